"""``POST /v1/events``: recruiter engagement events (ranking/ltr/events.py), stored per tenant."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from api.deps import CheckedRoute, Config, RequiredTenant
from api.problems import errors
from api.schemas import EventsReceipt, RejectedEvent

router = APIRouter(prefix="/v1", tags=["events"], route_class=CheckedRoute, responses=errors(401))


@router.post("/events", operation_id="recordEvents", response_model=EventsReceipt, responses=errors(413, 422))
def record_events(body: list[dict[str, Any]] | dict[str, Any], tenant_id: RequiredTenant, settings: Config,
                  request: Request) -> EventsReceipt:
    """Engagement events (one object or a list of at most ``max_events_per_request``, 10,000 unless configured).
    Idempotent by event_id; malformed events are listed in ``rejected`` with a reason and the others are stored."""
    events = body if isinstance(body, list) else [body]
    limit = settings.max_events_per_request
    if len(events) > limit:
        raise HTTPException(413, f"body: {len(events):,} events in one request; at most {limit:,} per request "
                                 f"(TALENTSEARCH_MAX_EVENTS_PER_REQUEST): send them in batches")
    report = request.app.state.events.get(tenant_id).add(events, tenant_id=tenant_id)
    return EventsReceipt(accepted=report.accepted, duplicates=report.duplicates,
                         rejected=[RejectedEvent(index=r.index, event_id=r.event_id, reason=r.reason)
                                   for r in report.rejected])
