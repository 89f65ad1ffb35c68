"""Cross-cutting HTTP concerns: API keys -> tenants, request ids in logs, Prometheus metrics.

API keys: ``talentsearch keys create --tenant T`` prints a key once (``ts_<id>_<secret>``) and stores
only its SHA-256 in the keys file (``TALENTSEARCH_API_KEYS_FILE``). With a keys file configured,
every ``/v1/`` request must carry ``Authorization: Bearer <key>`` (or ``X-API-Key``); the key decides
the tenant, and any ``X-Tenant-Id`` the caller sent is replaced by it, so every endpoint's tenant
scoping holds whatever the client claims. Without a keys file the server trusts ``X-Tenant-Id``
(development mode, said at start-up).
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from records import durable
from records.errors import NotFoundError, ValidationError
from records.ids import TENANT_ID

log = logging.getLogger("talentsearch.api")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
OPEN_PATHS = ("/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json")


# ---- API keys ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    tenant_id: str
    sha256: str
    created_at: float


class ApiKeys:
    """Keys file: JSON ``{"keys": [{key_id, tenant_id, sha256, created_at}]}``; never the keys themselves."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._mtime: int | None = None
        self._by_hash: dict[str, KeyRecord] = {}

    def records(self) -> list[KeyRecord]:
        self._refresh()
        return sorted(self._by_hash.values(), key=lambda r: r.created_at)

    def create(self, tenant_id: str) -> tuple[KeyRecord, str]:
        if not TENANT_ID.fullmatch(tenant_id or ""):
            raise ValidationError(f"tenant: {tenant_id!r} is not a valid tenant id (letters, digits, . _ -)")
        key_id = secrets.token_hex(4)
        secret = f"ts_{key_id}_{secrets.token_urlsafe(24)}"
        rec = KeyRecord(key_id, tenant_id, _digest(secret), time.time())
        with self._lock:
            recs = self._read()
            recs.append(rec)
            self._write(recs)
        return rec, secret

    def revoke(self, key_id: str) -> KeyRecord:
        with self._lock:
            recs = self._read()
            gone = [r for r in recs if r.key_id == key_id]
            if not gone:
                raise NotFoundError(f"key {key_id!r} not found in {self.path}")
            self._write([r for r in recs if r.key_id != key_id])
        return gone[0]

    def tenant_for(self, presented: str) -> str | None:
        self._refresh()
        rec = self._by_hash.get(_digest(presented))
        return rec.tenant_id if rec is not None else None

    # the file is re-read when it changes, so keys created or revoked by the CLI apply without a restart
    def _refresh(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if mtime != self._mtime:
            with self._lock:
                self._by_hash = {r.sha256: r for r in self._read()}
                self._mtime = mtime

    def _read(self) -> list[KeyRecord]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text())
            return [KeyRecord(**r) for r in data["keys"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationError(f"{self.path}: not a talentsearch keys file ({exc})") from None

    def _write(self, recs: list[KeyRecord]) -> None:
        durable.write_json(self.path, {"keys": [r.__dict__ for r in recs]}, mode=0o600, indent=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# ---- metrics -----------------------------------------------------------------------------------------
class Metrics:
    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter("talentsearch_http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("talentsearch_http_request_seconds", "HTTP request latency", ["method", "route"],
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=self.registry)

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


# ---- the middleware ----------------------------------------------------------------------------------
class ServiceMiddleware:
    """Pure ASGI: request id, authentication (when keys are configured), metrics, one log line per request."""

    def __init__(self, app, *, keys: ApiKeys | None, metrics: Metrics):
        self.app = app
        self.keys = keys
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        rid = headers.get("x-request-id", "")
        rid = rid if _REQUEST_ID.match(rid) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        path = scope["path"]
        start = time.perf_counter()
        status = {"code": 500}
        tenant = headers.get("x-tenant-id")

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", rid.encode())]
            await send(message)

        try:
            if self.keys is not None and path.startswith("/v1/") and path not in OPEN_PATHS:
                presented = _presented_key(headers)
                tenant = self.keys.tenant_for(presented) if presented else None
                if tenant is None:
                    scope["route_label"] = "unauthenticated"      # rejected before routing
                    return await _unauthorized(send_with_id, rid, "missing API key" if not presented else "invalid API key")
                scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"x-tenant-id"]
                scope["headers"].append((b"x-tenant-id", tenant.encode()))
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or scope.get("route_label", "unmatched")
            self.metrics.requests.labels(scope["method"], route, str(status["code"])).inc()
            self.metrics.latency.labels(scope["method"], route).observe(elapsed)
            log.info("request_id=%s tenant=%s %s %s -> %s %.1f ms", rid, tenant or "-", scope["method"], path,
                     status["code"], elapsed * 1000)


def _presented_key(headers: dict) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return headers.get("x-api-key") or None


async def _unauthorized(send, rid: str, detail: str) -> None:
    body = json.dumps({"type": "https://talentsearch.dev/problems/unauthorized", "title": "Unauthorized",
                       "status": 401, "detail": f"{detail}: send 'Authorization: Bearer <key>' (talentsearch keys create)",
                       "request_id": rid}).encode()
    await send({"type": "http.response.start", "status": 401,
                "headers": [(b"content-type", b"application/problem+json"), (b"www-authenticate", b"Bearer")]})
    await send({"type": "http.response.body", "body": body})


def install(app, settings) -> None:
    """Add the middleware to ``app``; its metrics are ``app.state.metrics`` (served by ``GET /metrics``)."""
    keys = ApiKeys(settings.api_keys_file) if settings.api_keys_file else None
    if keys is None:
        log.warning("no API keys file configured: X-Tenant-Id is trusted as sent (development mode)")
    app.state.metrics = Metrics()
    app.state.api_keys = keys
    app.add_middleware(ServiceMiddleware, keys=keys, metrics=app.state.metrics)


__all__ = ["ApiKeys", "KeyRecord", "Metrics", "ServiceMiddleware", "install"]
