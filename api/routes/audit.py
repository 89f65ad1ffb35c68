"""``PUT /v1/audit/attributes``: a tenant's self-reported audit attributes (ranking/fairness/attributes.py).

Write-only: the attributes are stored apart from the index for the bias audit, the fairness re-ranking stage
and the LTR gate; no endpoint returns them. The body is CSV (``text/csv``), Parquet
(``application/vnd.apache.parquet``) or JSON Lines (``application/x-ndjson``); it replaces the tenant's
previous file. Rejected rows come back naming row and column; a body with no valid row is a 422.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from api.deps import CheckedRoute, Config, RequiredTenant
from api.problems import errors
from ranking.fairness.attributes import AttributeStore, read_audit_file
from records.errors import ValidationError

router = APIRouter(prefix="/v1/audit", tags=["audit"], route_class=CheckedRoute, responses=errors(401))
SUFFIX = {"text/csv": ".csv", "application/vnd.apache.parquet": ".parquet", "application/x-ndjson": ".jsonl"}


class RejectedRow(BaseModel):
    row: int
    column: str
    message: str


class AttributesReceipt(BaseModel):
    rows: int
    rejected_rows: int
    rejected: list[RejectedRow]
    disclosed: dict[str, int]


# the schema declares Parquet (what generated clients can send); text/csv and application/x-ndjson are read too
_BODY = {"requestBody": {"required": True, "content": {"application/vnd.apache.parquet": {"schema": {"type": "string",
                                                                                                 "format": "binary"}}}}}


@router.put("/attributes", operation_id="putAuditAttributes", response_model=AttributesReceipt,
            responses=errors(413, 415, 422), openapi_extra=_BODY)
async def put_attributes(request: Request, tenant_id: RequiredTenant, settings: Config) -> AttributesReceipt:
    """Replace the caller's self-reported attributes (``candidate_id, sex, age_band, ethnicity``): a Parquet
    body, or CSV (``text/csv``) or JSON Lines (``application/x-ndjson``). Never returned by any endpoint."""
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind not in SUFFIX:
        raise HTTPException(415, f"content-type: one of {', '.join(SUFFIX)}, got {kind or 'none'!r}")
    data = await request.body()
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(413, f"body: {len(data):,} bytes; at most {settings.max_upload_bytes:,}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"body{SUFFIX[kind]}"
        path.write_bytes(data)
        try:
            audit = read_audit_file(path)
        except (ValueError, TypeError, UnicodeDecodeError) as exc:   # a JSON line that is not an object, odd bytes
            raise ValidationError(f"body: unreadable audit file ({exc})") from exc
        manifest = AttributeStore(settings.fairness_dir).put(tenant_id, audit)
    return AttributesReceipt(rows=manifest["rows"], rejected_rows=manifest["rejected_rows"],
                             rejected=[RejectedRow(row=e.row, column=e.column, message=e.message) for e in audit.errors[:1000]],
                             disclosed=manifest["disclosed"])
