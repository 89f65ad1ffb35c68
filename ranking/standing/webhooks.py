"""Webhook deliveries of new feed entries: signed, retried with backoff, at-least-once, logged.

Each POST carries the feed entries of one search after the last delivered seq (at most ``batch``), with
headers ``X-Talentsearch-Timestamp`` (unix seconds), ``X-Talentsearch-Signature: sha256=<hex>`` =
HMAC-SHA256(tenant secret, ``"<timestamp>.<body>"``) and ``Idempotency-Key: <search_id>:<first>-<last>``
(the same on every retry of those entries). A receiver verifies the signature, refuses a timestamp older
than it tolerates (replays) and drops a key it has seen. A 2xx moves the search's delivered mark; anything
else is retried after ``backoff_s * 2**attempt`` (at most ``max_backoff_s``), indefinitely: entries are
never skipped. Every attempt is a row of the deliveries log.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from ranking.standing.store import StandingStore
from records.errors import QueryError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookConfig:
    block_private: bool = True       # refuse private, link-local and reserved addresses (loopback is allowed)
    timeout_s: float = 5.0
    backoff_s: float = 0.5
    max_backoff_s: float = 60.0
    batch: int = 100                 # feed entries per POST


class WebhookURLError(QueryError):
    """A callback URL that is not http(s) or targets a refused address (HTTP 422, field ``callback_url``)."""
    field = "callback_url"


def check_url(url: str, *, block_private: bool) -> str:
    """``url`` if it may be called; raise WebhookURLError naming why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise WebhookURLError(f"callback_url: must be an http or https URL, got scheme {parts.scheme!r}")
    if not parts.hostname:
        raise WebhookURLError("callback_url: has no host")
    if block_private:
        for addr in _addresses(parts.hostname):
            if _refused(addr):
                raise WebhookURLError(f"callback_url: {parts.hostname} is a private or reserved address ({addr}); "
                                      "only public and loopback addresses are allowed (setting webhook_block_private)")
    return url


def _addresses(host: str) -> list:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        return list({ipaddress.ip_address(info[4][0].split("%")[0]) for info in socket.getaddrinfo(host, None)})
    except (OSError, ValueError):
        return []            # unresolvable now: checked again before each delivery


def _refused(addr) -> bool:
    if addr.is_loopback:
        return False
    return addr.is_private or addr.is_link_local or addr.is_reserved or addr.is_multicast or addr.is_unspecified


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance_s: float = 300.0,
           now: float | None = None) -> bool:
    """What a receiver runs: the signature matches and the timestamp is recent."""
    if abs((now or time.time()) - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


class Deliverer:
    """A background thread that delivers each search's new feed entries to its callback URL."""

    def __init__(self, store: StandingStore, config: WebhookConfig = WebhookConfig()):
        self.store, self.config = store, config
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._retry: dict[str, tuple[int, float]] = {}     # search_id -> (attempts so far, next try at)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def notify(self) -> None:
        """New feed entries exist."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                pending = self.deliver_once()
            except Exception:                       # the loop must survive a bad row or a store hiccup
                log.exception("webhook delivery pass failed")
                pending = True
            self._wake.wait(timeout=min(self._next_retry(), 1.0) if pending else 1.0)

    def _next_retry(self) -> float:
        if not self._retry:
            return 1.0
        return max(0.01, min(t for _, t in self._retry.values()) - time.time())

    def deliver_once(self) -> bool:
        """One pass over the searches with a callback URL; True when something is left to deliver."""
        left = False
        for s in self.store.list():
            if not s.callback_url:
                continue
            attempts, due = self._retry.get(s.search_id, (0, 0.0))
            if due > time.time():
                left = True
                continue
            entries = self.store.feed(s.search_id, after=self.store.delivered_through(s.search_id), limit=self.config.batch)
            if not entries:
                self._retry.pop(s.search_id, None)
                continue
            ok = self._post(s, entries, attempts + 1)
            if ok:
                self._retry.pop(s.search_id, None)
                left = left or len(entries) == self.config.batch
            else:
                delay = min(self.config.backoff_s * 2 ** attempts, self.config.max_backoff_s)
                self._retry[s.search_id] = (attempts + 1, time.time() + delay)
                left = True
        return left

    def _post(self, s, entries, attempt: int) -> bool:
        first, last = entries[0].seq, entries[-1].seq
        key = f"{s.search_id}:{first}-{last}"
        body = json.dumps({"search_id": s.search_id, "name": s.name, "idempotency_key": key,
                           "entries": [{"seq": e.seq, "candidate_id": e.candidate_id, "event": e.event, "why": e.why,
                                        "at": e.at} for e in entries]}).encode()
        ts = int(time.time())
        headers = {"Content-Type": "application/json", "Idempotency-Key": key, "X-Talentsearch-Timestamp": str(ts),
                   "X-Talentsearch-Signature": sign(self.store.secret(s.tenant_id), ts, body),
                   "User-Agent": "talentsearch-webhooks/1"}
        status, error = None, None
        try:
            check_url(s.callback_url, block_private=self.config.block_private)   # DNS may have changed
            req = urllib.request.Request(s.callback_url, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(req, timeout=self.config.timeout_s) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
        except (OSError, QueryError) as exc:
            error = str(exc) or type(exc).__name__
        ok = status is not None and 200 <= status < 300
        self.store.log_delivery(s.search_id, key, first, last, attempt, "delivered" if ok else "failed", status, error)
        return ok


__all__ = ["Deliverer", "WebhookConfig", "WebhookURLError", "check_url", "sign", "verify"]
