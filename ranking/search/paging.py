"""Cursor pagination of hybrid results that stays consistent from page to page.

A fused ranking has no natural "search after" key (a hit's RRF score depends on the whole list),
so a cursor pins everything the order depends on: the index version, the LTR model version, the
request (hashed) and the retrieval depth of the first page. Every later page re-runs the same
search at the same depth and cuts the next slice, so pages never overlap or skip while the index
and the model stay the same; when either changed, the cursor is refused (422, field ``cursor``)
rather than silently serving a different order. Depth: each retriever passes ``lexical_k`` /
``dense_k`` candidates (200 by default), so a query can be paged up to about that many hits (at
most ``MAX_DEPTH``); for whole match sets use the lexical backend's deep scan or a bulk job.

Cursors are signed (HMAC-SHA256 with the server's key, ``CursorCodec``) and their content is checked
field by field, so a client can neither forge a retrieval depth nor make the server read a value of
the wrong type: anything but a cursor this server issued is refused naming ``cursor``.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import hmac
import json
import re
import secrets

from ranking.search.pipeline import SearchEngine, SearchRequest, SearchResponse
from records.errors import QueryError

MAX_DEPTH = 1000
MAX_RETRIEVAL_DEPTH = 100_000     # candidates per retriever a cursor may pin
_FINGERPRINT = re.compile(r"^[0-9a-f]{24}$")


class CursorError(QueryError):
    field = "cursor"


class CursorCodec:
    """Cursor text: ``base64url(JSON state) "." base64url(HMAC-SHA256(key, JSON state))``."""

    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("a cursor key needs at least 16 bytes")
        self._key = key

    def encode(self, state: dict) -> str:
        raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(raw)}.{_b64(self._sign(raw))}"

    def decode(self, cursor: str) -> dict:
        """The state of a cursor this codec signed; CursorError for anything else."""
        payload, dot, sig = cursor.partition(".")
        try:
            raw, mac = _unb64(payload), _unb64(sig)
        except ValueError:
            raise CursorError("cursor: not a cursor returned by this API (not base64url)") from None
        if not dot or not hmac.compare_digest(mac, self._sign(raw)):
            raise CursorError("cursor: not a cursor returned by this API (the signature does not match: it was "
                              "changed, or issued with another server key)")
        return _checked(json.loads(raw))

    def _sign(self, raw: bytes) -> bytes:
        return hmac.new(self._key, raw, hashlib.sha256).digest()


@functools.cache
def process_codec() -> CursorCodec:
    """A codec with a key made for this process: its cursors do not outlive it (the API passes its own)."""
    return CursorCodec(secrets.token_bytes(32))


def search_page(engine: SearchEngine, request: SearchRequest, cursor: str | None = None, *,
                codec: CursorCodec | None = None) -> tuple[SearchResponse, str | None]:
    """The page of ``request.k`` hits after ``cursor`` (None: the first page) and the next page's cursor,
    signed with ``codec`` (None: ``process_codec()``)."""
    req = request.validate()
    codec = codec or process_codec()
    fingerprint = _fingerprint(req)
    offset, pinned = 0, None
    if cursor:
        state = codec.decode(cursor)
        if state["q"] != fingerprint:
            raise CursorError("cursor: it belongs to another query, filters or page size; send the same request with it")
        offset, pinned = state["o"], state
    depth = pinned["d"] if pinned else max(req.lexical_k, req.dense_k, req.k)
    want = offset + req.k
    if want > MAX_DEPTH:
        raise CursorError(f"cursor: pages end at {MAX_DEPTH} hits; narrow the query or use a bulk job")
    # a later page re-runs the search to its end: exploring that would swap hits across the page boundary
    res = engine.search(dataclasses.replace(req, k=want, lexical_k=depth, dense_k=depth, explore=req.explore and offset == 0,
                                            evaluate_block=req.k))
    if pinned and (res.version != pinned["v"] or res.model_version != pinned["m"]):
        raise CursorError(f"cursor: the index or the ranking model changed since the first page "
                          f"({pinned['v']}/{pinned['m']} -> {res.version}/{res.model_version}); start again without a cursor")
    page = res.hits[offset:want]
    more = len(res.hits) >= want and want < MAX_DEPTH
    nxt = codec.encode({"q": fingerprint, "o": want, "d": depth, "v": res.version, "m": res.model_version}) if more else None
    return dataclasses.replace(res, hits=page), nxt


def _fingerprint(req: SearchRequest) -> str:
    fields = {f.name: getattr(req, f.name) for f in dataclasses.fields(req) if f.name not in ("debug",)}
    fields["filters"] = (req.filters.to_dict(), req.filters.tenant_id)
    return hashlib.blake2b(json.dumps(fields, sort_keys=True, default=str).encode(), digest_size=12).hexdigest()


def _checked(state) -> dict:
    """A signed state still has to be one this version writes: exact fields, each of its type and range."""
    def whole(x, lo: int, hi: int) -> bool:
        return type(x) is int and lo <= x <= hi

    ok = (isinstance(state, dict) and state.keys() == {"q", "o", "d", "v", "m"}
          and isinstance(state["q"], str) and _FINGERPRINT.match(state["q"]) is not None
          and whole(state["o"], 1, MAX_DEPTH) and whole(state["d"], 1, MAX_RETRIEVAL_DEPTH)
          and isinstance(state["v"], str) and (state["m"] is None or isinstance(state["m"], str)))
    if not ok:
        raise CursorError("cursor: not a cursor this server version reads; start again without a cursor")
    return state


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


__all__ = ["MAX_DEPTH", "CursorCodec", "CursorError", "process_codec", "search_page"]
