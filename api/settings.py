"""One Settings object, built by the CLI or ``create_app()`` and passed down."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.build import IndexConfig
from indexer.common_terms import CommonTermsConfig
from indexer.encoder import EncoderConfig
from indexer.vectors import VectorIndexConfig
from ranking.standing.service import LiveConfig
from ranking.standing.webhooks import WebhookConfig


class Settings(BaseSettings):
    """Read from ``TALENTSEARCH_*`` environment variables (e.g. ``TALENTSEARCH_INDEX_DIR``)."""

    model_config = SettingsConfigDict(env_prefix="TALENTSEARCH_", extra="ignore")

    index_dir: Path = Path("var/index")
    encoder_backend: str = Field("auto", pattern="^(auto|onnx|torch|static)$")
    encoder_model_dir: Path | None = None   # a local sentence-transformers model (None: the shipped MiniLM)
    encoder_cache_dir: Path | None = None
    encoder_threads: int | None = None
    encoder_device: str = Field("auto", pattern="^(auto|cpu|cuda)$")   # auto: bulk encoding on CUDA when torch sees a GPU
    vector_kind: str = Field("auto", pattern="^(auto|flat|hnsw|ivf-sq8|ivf-pq)$")
    vector_nlist: int | None = Field(None, ge=1)     # ivf kinds: inverted lists (None: sqrt(n))
    vector_nprobe: int | None = Field(None, ge=1)    # ivf kinds: lists searched (None: a quarter, at least 64)
    vector_pq_m: int = Field(48, ge=1)               # ivf-pq: bytes per vector
    vector_mmap: bool = True                         # ivf kinds: the server memory-maps the inverted lists
    hnsw_threshold: int = 200_000                    # "auto": flat below this many vectors ...
    vector_auto_large: str = Field("ivf-sq8", pattern="^(flat|hnsw|ivf-sq8|ivf-pq)$")   # ... this at or above
    use_gpu: str = Field("auto", pattern="^(auto|never|always)$")
    as_of: dt.date | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # LLM query layer (issue 7): an OpenAI-compatible chat-completions endpoint; unset = the offline planner
    llm_base_url: str | None = None        # e.g. http://localhost:8001/v1 (vLLM, Ollama, llama.cpp, hosted)
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(30.0, gt=0)
    llm_retries: int = Field(2, ge=0, le=10)
    llm_response_format: str = Field("json_schema", pattern="^(json_schema|json_object)$")
    llm_prompt_version: str = "plan_v1"
    evaluations_dir: Path = Path("var/evaluations")   # candidate evaluations (issue 19), one JSON per run, per tenant
    evaluate_with_llm: bool = False        # evaluate with the LLM endpoint above (when set) instead of offline
    api_keys_file: Path | None = None      # API keys -> tenants (hashed); unset = trust X-Tenant-Id (development)
    jobs_dir: Path = Path("var/jobs")      # bulk re-ranking jobs: uploads, work state, results (per tenant)
    max_upload_bytes: int = Field(2 << 30, ge=1)   # largest Parquet body a bulk job accepts
    max_events_per_request: int = Field(10_000, ge=1)   # POST /v1/events: larger batches are refused (413)
    cursor_secret: SecretStr | None = Field(None, min_length=16)   # HMAC key of paging cursors; unset = generated
    #                                      once into <jobs_dir>/.cursor-secret (set it for several replicas)
    ltr_dir: Path = Path("var/ltr")        # per-tenant events, served feature logs, model registry
    ltr_rerank_k: int = Field(200, ge=1, le=2000)   # fused candidates the LTR model re-ranks
    ltr_log_features: bool = True          # log the served feature vectors (tenant searches only)
    ltr_watch_s: float = Field(2.0, ge=0)   # preload newly promoted models every this many seconds (0: off)
    ltr_explore: float = Field(0.0, ge=0.0, le=1.0)   # share of tenant pages shown with random adjacent swaps
    # bias audit and fairness-aware re-ranking (issue 21): per-tenant self-reported attributes, never indexed
    fairness_dir: Path = Path("var/fairness")
    fairness_min_impact_ratio: float | None = Field(None, ge=0.0, le=1.0)   # LTR gate: refuse a model below it
    fairness_max_relative_drop: float | None = Field(None, ge=0.0, le=1.0)  # ... or one lowering it by more (significantly)
    fairness_gate_pages: str = Field("holdout", pattern="^(holdout|all)$")  # pages the gate compares the models on
    # lexical backend: the embedded tantivy index (default) or an OpenSearch cluster
    lexical_backend: str = Field("tantivy", pattern="^(tantivy|opensearch)$")
    # embedded tantivy: ranked keyword searches skip candidates holding only words in > max_df of the
    # documents (indexer.common_terms), from min_docs documents on; off by default (no gain measured at 100k)
    lexical_common_terms: bool = False
    # hydration reads each hit from profiles.rows by pread (indexer.rowstore); false: from profiles.arrow
    hydrate_rows: bool = True
    search_parallel: bool = True     # hybrid keyword searches: dense retrieval in a thread beside the lexical one
    lexical_common_terms_max_df: float = Field(0.05, gt=0.0, le=1.0)
    lexical_common_terms_min_docs: int = Field(50_000, ge=0)
    opensearch_url: str = "http://localhost:9200"    # comma-separated for several nodes
    opensearch_username: str | None = None
    opensearch_password: str | None = None
    opensearch_verify_certs: bool = True
    opensearch_ca_certs: Path | None = None
    opensearch_index_prefix: str = Field("talentsearch", pattern="^[a-z0-9][a-z0-9_-]*$")
    opensearch_shards: int = Field(1, ge=1)
    opensearch_replicas: int = Field(1, ge=0)
    opensearch_timeout_s: float = Field(30.0, gt=0)
    opensearch_bulk_chunk: int = Field(500, ge=1)
    opensearch_bulk_retries: int = Field(3, ge=0)
    # Ray runners (`--runner ray`, the `ray` extra): the cluster to join; unset = $RAY_ADDRESS, else a local Ray
    ray_address: str | None = None
    jobs_runner: str = Field("local", pattern="^(local|ray)$")   # where the API's bulk jobs run
    # live writes and standing searches (issue 20)
    admin_tenants: list[str] = []          # tenants whose keys may write network profiles (JSON list in the env)
    standing_dir: Path = Path("var/standing")   # standing searches, members, feeds, webhook deliveries (SQLite)
    live_fold_interval_s: float = Field(1.0, ge=0)   # fold the write log into a new index version this often (0: off)
    max_batch_bytes: int = Field(64 << 20, ge=1)     # largest POST /v1/candidates:batch body (413 above)
    webhook_block_private: bool = True     # refuse callback URLs on private / link-local / reserved addresses
    webhook_timeout_s: float = Field(5.0, gt=0)
    webhook_backoff_s: float = Field(0.5, gt=0)     # retry n waits backoff * 2**(n-1), at most webhook_max_backoff_s
    webhook_max_backoff_s: float = Field(60.0, gt=0)

    def encoder_config(self) -> EncoderConfig:
        return EncoderConfig(backend=self.encoder_backend,
                             model_dir=str(self.encoder_model_dir) if self.encoder_model_dir else None,
                             cache_dir=str(self.encoder_cache_dir) if self.encoder_cache_dir else None,
                             threads=self.encoder_threads, device=self.encoder_device)

    def vector_config(self) -> VectorIndexConfig:
        return VectorIndexConfig(kind=self.vector_kind, hnsw_threshold=self.hnsw_threshold, use_gpu=self.use_gpu,
                                 nlist=self.vector_nlist, nprobe=self.vector_nprobe, pq_m=self.vector_pq_m,
                                 mmap=self.vector_mmap, auto_large=self.vector_auto_large)

    def common_terms_config(self) -> CommonTermsConfig:
        return CommonTermsConfig(enabled=self.lexical_common_terms, max_df=self.lexical_common_terms_max_df,
                                 min_docs=self.lexical_common_terms_min_docs)

    def index_config(self) -> IndexConfig:
        return IndexConfig(as_of=self.as_of, encoder=self.encoder_config(), vectors=self.vector_config(),
                           opensearch=self.opensearch_config())

    def live_config(self):
        """The LiveConfig of live writes, standing searches and webhooks."""
        return LiveConfig(index=self.index_config(), admin_tenants=frozenset(self.admin_tenants),
                          fold_interval_s=self.live_fold_interval_s,
                          webhooks=WebhookConfig(block_private=self.webhook_block_private, timeout_s=self.webhook_timeout_s,
                                                 backoff_s=self.webhook_backoff_s, max_backoff_s=self.webhook_max_backoff_s))

    def opensearch_config(self):
        """An OpenSearchConfig when ``lexical_backend`` is opensearch, else None (embedded tantivy)."""
        if self.lexical_backend != "opensearch":
            return None
        from indexer.opensearch.config import OpenSearchConfig

        return OpenSearchConfig(url=self.opensearch_url, username=self.opensearch_username, password=self.opensearch_password,
                                verify_certs=self.opensearch_verify_certs,
                                ca_certs=str(self.opensearch_ca_certs) if self.opensearch_ca_certs else None,
                                index_prefix=self.opensearch_index_prefix, shards=self.opensearch_shards,
                                replicas=self.opensearch_replicas, timeout_s=self.opensearch_timeout_s,
                                bulk_chunk=self.opensearch_bulk_chunk, bulk_retries=self.opensearch_bulk_retries)
