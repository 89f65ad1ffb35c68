"""Live candidate writes: ``PUT``/``DELETE /v1/candidates/{candidate_id}`` and ``POST /v1/candidates:batch``.

Records pass the validation of ``talentsearch index`` (indexer/validate.py). A tenant's writes are its private
candidates (``owner_tenant`` = the caller); network profiles are written by an admin key only (setting
``admin_tenants``; 403 otherwise); another tenant's candidate is "not found". A 200 means the write is in the
write-ahead log (it survives SIGKILL) and has been matched against the standing searches; search sees it once
the log is folded (every ``live_fold_interval_s``).
"""
from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from api.deps import CheckedRoute, Config, RequiredTenant
from api.problems import errors
from api.settings import Settings
from indexer.validate import read_batches
from ranking.standing.service import LiveService, WriteResult

router = APIRouter(prefix="/v1", tags=["writes"], route_class=CheckedRoute, responses=errors(401))
PARQUET_TYPES = ("application/vnd.apache.parquet", "application/x-parquet", "application/octet-stream")
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines", "text/plain")
_make_lock = threading.Lock()


def live_service(request: Request) -> LiveService:
    """The app's LiveService, made (and started) on first use."""
    state = request.app.state
    if state.live is None:
        with _make_lock:
            if state.live is None:
                state.live = open_live(state.settings, state.engine)
                state.live.start()
    return state.live


def open_live(settings: Settings, engine) -> LiveService:
    reader = getattr(engine, "reader", None)
    today = getattr(engine, "today", None)
    kwargs = {"today": today} if today is not None else {}
    return LiveService(settings.index_dir, settings.standing_dir, settings.live_config(), reader=reader, **kwargs)


Live = Annotated[LiveService, Depends(live_service)]


class WriteReceipt(BaseModel):
    candidate_id: str
    operation: str = Field(description="upsert or delete")
    seq: int = Field(description="the write's sequence number in the index's write-ahead log")
    feed_entries: int = Field(description="standing-search feed entries this write produced")
    searchable_within_s: float = Field(description="search sees the write within about this long: the fold interval "
                                                   "plus the last fold's duration")


class RejectedRecord(BaseModel):
    row: int | None = Field(description="1-based line (JSON Lines) or row (Parquet) of the body")
    candidate_id: str | None
    reason: str


class BatchReceipt(BaseModel):
    accepted: int
    duplicates: int = Field(description="earlier copies of a candidate_id in the body (the last one wins)")
    rejected: list[RejectedRecord]
    first_seq: int | None
    last_seq: int | None
    feed_entries: int
    searchable_within_s: float


def _admin(settings: Settings, tenant_id: str) -> bool:
    return tenant_id in settings.admin_tenants


def _receipt(result: WriteResult, live: LiveService) -> WriteReceipt:
    op = result.ops[0]
    return WriteReceipt(candidate_id=op.candidate_id, operation=op.op, seq=op.seq, feed_entries=result.feed_entries,
                        searchable_within_s=live.searchable_within_s())


@router.put("/candidates/{candidate_id}", operation_id="putCandidate", response_model=WriteReceipt,
            responses=errors(403, 404, 422, 503))
def put_candidate(candidate_id: str, body: Annotated[dict[str, Any], Body(description=(
                      "a profile (records/schema.py); candidate_id may be left out; owner_tenant is the caller's"))],
                  tenant_id: RequiredTenant, live: Live, settings: Config) -> WriteReceipt:
    """Create or replace one of the caller's candidates."""
    return _receipt(live.put(candidate_id, body, tenant_id, admin=_admin(settings, tenant_id)), live)


@router.delete("/candidates/{candidate_id}", operation_id="deleteCandidate", response_model=WriteReceipt,
               responses=errors(403, 404, 422, 503))
def delete_candidate(candidate_id: str, tenant_id: RequiredTenant, live: Live, settings: Config) -> WriteReceipt:
    """Delete one of the caller's candidates."""
    return _receipt(live.delete(candidate_id, tenant_id, admin=_admin(settings, tenant_id)), live)


@router.post("/candidates:batch", operation_id="writeCandidates", response_model=BatchReceipt,
             responses=errors(403, 413, 415, 422, 503),
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
                 "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}}}}})
async def write_candidates(request: Request, tenant_id: RequiredTenant, live: Live, settings: Config) -> BatchReceipt:
    """Upsert many candidates: a JSON Lines or Parquet body of at most ``max_batch_bytes`` (64 MiB unless
    configured; 413 above). Each bad record comes back in ``rejected`` with its reason; the good ones are kept."""
    limit = settings.max_batch_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body: {int(declared):,} bytes; at most {limit:,} (TALENTSEARCH_MAX_BATCH_BYTES)")
    data = await request.body()
    if len(data) > limit:
        raise HTTPException(413, f"body: {len(data):,} bytes; at most {limit:,} (TALENTSEARCH_MAX_BATCH_BYTES)")
    suffix = _suffix(request.headers.get("content-type", ""), data)
    with tempfile.TemporaryDirectory(prefix="talentsearch-batch-") as tmp:
        path = Path(tmp) / f"body{suffix}"
        path.write_bytes(data)
        records, rejects = [], []
        for batch in read_batches(path):
            records += list(zip(batch.rows, batch.table.to_pylist()))
            rejects += [r.__class__("body", r.row, r.candidate_id, r.reason) for r in batch.rejects]
    result = live.upsert_many(records, tenant_id, admin=_admin(settings, tenant_id), rejects=rejects)
    return BatchReceipt(accepted=len(result.ops), duplicates=result.duplicates,
                        rejected=[RejectedRecord(row=r.row, candidate_id=r.candidate_id, reason=r.reason) for r in result.rejects],
                        first_seq=result.ops[0].seq if result.ops else None, last_seq=result.ops[-1].seq if result.ops else None,
                        feed_entries=result.feed_entries, searchable_within_s=live.searchable_within_s())


def _suffix(content_type: str, data: bytes) -> str:
    media = content_type.split(";")[0].strip().lower()
    if data[:4] == b"PAR1" or media in PARQUET_TYPES[:2]:
        return ".parquet"
    if media in JSONL_TYPES or media in ("application/json", ""):
        return ".jsonl"
    raise HTTPException(415, f"content-type: {media!r} is not JSON Lines ({', '.join(JSONL_TYPES[:2])}) or Parquet "
                             f"({PARQUET_TYPES[0]})")
