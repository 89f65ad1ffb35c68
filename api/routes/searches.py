"""Standing searches (ranking/standing/): ``/v1/searches`` CRUD, the new-match feed, webhook deliveries.

Searches belong to the caller's tenant; another tenant's search, feed and deliveries answer 404. Membership
is defined in ranking/standing/matcher.py: visible to the tenant, passes the filters, matches the query read
as a Boolean query (bare words ANDed) with the qualifications ANDed to it.
"""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.deps import CheckedRoute, RequiredTenant
from api.problems import errors
from api.routes.writes import Live
from ranking.standing.store import SavedSearch
from records.errors import QueryError

router = APIRouter(prefix="/v1", tags=["searches"], route_class=CheckedRoute, responses=errors(401))


class StandingSearchIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    query: str = Field("", max_length=10_000, description="Boolean query (bare words are ANDed); '' = filters only")
    filters: dict[str, Any] = Field(default_factory=dict, description="as in POST /v1/search")
    qualifications: list[str] = Field(default_factory=list, max_length=50,
                                      description="more Boolean clauses, each ANDed to the query")
    owner: str | None = Field(None, max_length=200, description="who in the tenant owns it (free text)")
    callback_url: str | None = Field(None, max_length=2000, description="http(s) URL that receives signed deliveries")


class SearchPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    query: str | None = Field(None, max_length=10_000)
    filters: dict[str, Any] | None = None
    qualifications: list[str] | None = Field(None, max_length=50)
    owner: str | None = Field(None, max_length=200)
    callback_url: str | None = Field(None, max_length=2000)


class SearchOut(BaseModel):
    search_id: str
    name: str
    query: str
    filters: dict[str, Any]
    qualifications: list[str]
    owner: str | None
    callback_url: str | None
    created_at: float
    updated_at: float


class SearchList(BaseModel):
    searches: list[SearchOut]


class FeedEntryOut(BaseModel):
    seq: int = Field(description="position in the feed; pass the last one seen as `after`")
    candidate_id: str
    event: Literal["entered", "left"]
    why: dict[str, Any] = Field(description="source (write, refresh, created, updated), matched_fields, score, rank")
    at: float


class MatchesPage(BaseModel):
    search_id: str
    entries: list[FeedEntryOut]
    next_cursor: str | None = Field(description="`after` for the next call (the last seq returned); null: nothing new")


class Delivery(BaseModel):
    delivery_id: int
    idempotency_key: str
    first_seq: int
    last_seq: int
    attempt: int
    status: Literal["delivered", "failed"]
    http_status: int | None
    error: str | None
    at: float


class Deliveries(BaseModel):
    search_id: str
    deliveries: list[Delivery]


class Deleted(BaseModel):
    search_id: str
    deleted: bool = True


class Refreshed(BaseModel):
    search_id: str
    feed_entries: int


class WebhookSecret(BaseModel):
    secret: str = Field(description="HMAC-SHA256 key of X-Talentsearch-Signature over '<timestamp>.<body>'")


def _out(s: SavedSearch) -> SearchOut:
    return SearchOut(**{k: v for k, v in s.to_dict().items() if k != "tenant_id"})


@router.post("/searches", operation_id="createStandingSearch", response_model=SearchOut, status_code=201,
             responses=errors(422, 503))
def create_search(body: StandingSearchIn, tenant_id: RequiredTenant, live: Live,
                  backfill: bool = Query(False, description="report the current matches as `entered` entries")) -> SearchOut:
    """Save a search. Its current matches become members (silently unless ``backfill``); from then on the feed
    reports each candidate that enters or leaves it."""
    return _out(live.create_search(tenant_id, body.model_dump(), backfill=backfill))


@router.get("/searches", operation_id="listStandingSearches", response_model=SearchList, responses=errors(422))
def list_searches(tenant_id: RequiredTenant, live: Live) -> SearchList:
    return SearchList(searches=[_out(s) for s in live.store.list(tenant_id)])


@router.get("/searches/{search_id}", operation_id="getStandingSearch", response_model=SearchOut, responses=errors(404, 422))
def get_search(search_id: str, tenant_id: RequiredTenant, live: Live) -> SearchOut:
    return _out(live.store.get(search_id, tenant_id))


@router.patch("/searches/{search_id}", operation_id="updateStandingSearch", response_model=SearchOut,
              responses=errors(404, 422, 503))
def update_search(search_id: str, body: SearchPatch, tenant_id: RequiredTenant, live: Live) -> SearchOut:
    """Change fields; members that no longer match leave and new matches enter (feed source ``updated``)."""
    return _out(live.update_search(live.store.get(search_id, tenant_id), body.model_dump(exclude_unset=True)))


@router.delete("/searches/{search_id}", operation_id="deleteStandingSearch", response_model=Deleted,
               responses=errors(404, 422))
def delete_search(search_id: str, tenant_id: RequiredTenant, live: Live) -> Deleted:
    live.delete_search(live.store.get(search_id, tenant_id))
    return Deleted(search_id=search_id)


@router.get("/searches/{search_id}/matches", operation_id="standingSearchMatches", response_model=MatchesPage,
            responses=errors(404, 422))
def matches(search_id: str, tenant_id: RequiredTenant, live: Live, response: Response,
            after: str | None = Query(None, max_length=20, description="the last seq seen (next_cursor); none: from the start"),
            limit: int = Query(100, ge=1, le=1000)) -> MatchesPage:
    """Feed entries after ``after``, in order; each entry appears once (a cursor survives restarts)."""
    live.store.get(search_id, tenant_id)
    if after is not None and not after.isdigit():
        err = QueryError(f"after: must be a cursor from next_cursor (a non-negative integer), got {after!r}")
        err.field = "after"
        raise err
    entries = live.store.feed(search_id, after=int(after or 0), limit=limit)
    return MatchesPage(search_id=search_id, entries=[FeedEntryOut(seq=e.seq, candidate_id=e.candidate_id, event=e.event,
                                                                  why=e.why, at=e.at) for e in entries],
                       next_cursor=str(entries[-1].seq) if entries else after)


@router.get("/searches/{search_id}/deliveries", operation_id="standingSearchDeliveries", response_model=Deliveries,
            responses=errors(404, 422))
def deliveries(search_id: str, tenant_id: RequiredTenant, live: Live,
               limit: int = Query(100, ge=1, le=1000)) -> Deliveries:
    """Webhook delivery attempts, newest first."""
    live.store.get(search_id, tenant_id)
    return Deliveries(search_id=search_id, deliveries=[Delivery(**d) for d in live.store.deliveries(search_id, limit=limit)])


@router.post("/searches/{search_id}/refresh", operation_id="refreshStandingSearch", response_model=Refreshed,
             responses=errors(404, 422, 503))
def refresh(search_id: str, tenant_id: RequiredTenant, live: Live) -> Refreshed:
    """Re-run the search now (what `talentsearch searches refresh` does for all)."""
    live.store.get(search_id, tenant_id)
    return Refreshed(search_id=search_id, feed_entries=live.refresh([search_id]).get(search_id, 0))


@router.get("/webhooks/secret", operation_id="webhookSecret", response_model=WebhookSecret, responses=errors(422))
def webhook_secret(tenant_id: RequiredTenant, live: Live) -> WebhookSecret:
    """The caller's webhook signing secret (made on first use)."""
    return WebhookSecret(secret=live.store.secret(tenant_id))
