"""Connection and index settings of the OpenSearch backend (built from ``api.settings.Settings``)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from records.errors import MissingDependencyError


@dataclass(frozen=True)
class OpenSearchConfig:
    url: str = "http://localhost:9200"          # one or more, comma-separated
    username: str | None = None
    password: str | None = None
    verify_certs: bool = True
    ca_certs: str | None = None                 # path to a CA bundle for TLS verification
    index_prefix: str = "talentsearch"          # versioned indices <prefix>-v000007, alias <prefix>
    shards: int = 1
    replicas: int = 1
    timeout_s: float = 30.0
    bulk_chunk: int = 500                       # documents per bulk request
    bulk_retries: int = 3                       # extra passes over failed documents, with backoff
    backoff_s: float = 1.0                      # first wait; doubles each pass, capped at 30 s
    bulk_refresh_interval: str = "-1"           # refresh is off while a new version is loaded

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,200}", self.index_prefix):
            raise ValueError(f"opensearch index_prefix: lower-case letters, digits, '-' or '_', got {self.index_prefix!r}")
        if self.shards < 1 or self.replicas < 0 or self.bulk_chunk < 1 or self.bulk_retries < 0:
            raise ValueError("opensearch: shards >= 1, replicas >= 0, bulk_chunk >= 1, bulk_retries >= 0")

    def index_name(self, version: str) -> str:
        """The versioned index behind index version ``versions/v000007``: ``<prefix>-v000007``."""
        return f"{self.index_prefix}-{version}"

    @property
    def alias(self) -> str:
        return self.index_prefix

    def client(self):
        try:
            from opensearchpy import OpenSearch
        except ImportError as exc:
            raise MissingDependencyError("opensearch-py", "opensearch") from exc
        auth = (self.username, self.password or "") if self.username else None
        hosts = [h.strip() for h in self.url.split(",") if h.strip()]
        return OpenSearch(hosts=hosts, http_auth=auth, verify_certs=self.verify_certs, ca_certs=self.ca_certs,
                          ssl_show_warn=self.verify_certs, timeout=self.timeout_s, max_retries=1, retry_on_timeout=True)
