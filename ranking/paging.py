"""Cursor pagination of hybrid results that stays consistent from page to page.

A fused ranking has no natural "search after" key (a hit's RRF score depends on the whole list),
so a cursor pins everything the order depends on: the index version, the LTR model version, the
request (hashed) and the retrieval depth of the first page. Every later page re-runs the same
search at the same depth and cuts the next slice, so pages never overlap or skip while the index
and the model stay the same; when either changed, the cursor is refused (422, field ``cursor``)
rather than silently serving a different order. Depth: each retriever passes ``lexical_k`` /
``dense_k`` candidates (200 by default), so a query can be paged up to about that many hits (at
most ``MAX_DEPTH``); for whole match sets use the lexical backend's deep scan or a bulk job.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json

from ranking.pipeline import SearchEngine, SearchRequest, SearchResponse
from records.errors import QueryError

MAX_DEPTH = 1000


class CursorError(QueryError):
    field = "cursor"


def search_page(engine: SearchEngine, request: SearchRequest, cursor: str | None = None) -> tuple[SearchResponse, str | None]:
    """The page of ``request.k`` hits after ``cursor`` (None: the first page) and the next page's cursor."""
    req = request.validate()
    fingerprint = _fingerprint(req)
    offset, pinned = 0, None
    if cursor:
        state = _decode(cursor)
        if state.get("q") != fingerprint:
            raise CursorError("cursor: it belongs to another query, filters or page size; send the same request with it")
        offset, pinned = int(state["o"]), state
    depth = pinned["d"] if pinned else max(req.lexical_k, req.dense_k, req.k)
    want = offset + req.k
    if want > MAX_DEPTH:
        raise CursorError(f"cursor: pages end at {MAX_DEPTH} hits; narrow the query or use a bulk job")
    # a later page re-runs the search to its end: exploring that would swap hits across the page boundary
    res = engine.search(dataclasses.replace(req, k=want, lexical_k=depth, dense_k=depth, explore=req.explore and offset == 0))
    if pinned and (res.version != pinned["v"] or res.model_version != pinned["m"]):
        raise CursorError(f"cursor: the index or the ranking model changed since the first page "
                          f"({pinned['v']}/{pinned['m']} -> {res.version}/{res.model_version}); start again without a cursor")
    page = res.hits[offset:want]
    more = len(res.hits) >= want and want < MAX_DEPTH
    nxt = _encode({"q": fingerprint, "o": want, "d": depth, "v": res.version, "m": res.model_version}) if more else None
    return dataclasses.replace(res, hits=page), nxt


def _fingerprint(req: SearchRequest) -> str:
    fields = {f.name: getattr(req, f.name) for f in dataclasses.fields(req) if f.name not in ("debug",)}
    fields["filters"] = (req.filters.to_dict(), req.filters.tenant_id)
    return hashlib.blake2b(json.dumps(fields, sort_keys=True, default=str).encode(), digest_size=12).hexdigest()


def _encode(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(state, dict) or not {"q", "o", "d", "v", "m"} <= state.keys() or int(state["o"]) < 0:
            raise ValueError("missing fields")
        return state
    except (ValueError, TypeError) as exc:
        raise CursorError(f"cursor: not a cursor returned by this API ({exc})") from None


__all__ = ["MAX_DEPTH", "CursorError", "search_page"]
