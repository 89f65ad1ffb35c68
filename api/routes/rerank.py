"""``POST /v1/rerank``: score and order up to 1,000 given candidates for a query, synchronously."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CheckedRoute, Engine, Tenant
from api.problems import errors
from ranking.search.rerank import MAX_CANDIDATES, RerankRequest, rerank

router = APIRouter(prefix="/v1", tags=["rerank"], route_class=CheckedRoute, responses=errors(401))


class RerankBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "query": 'title:"data engineer" AND spark', "candidate_ids": ["c0000001", "c0000002"]}]})
    query: str = Field(..., min_length=1, max_length=4096, description="Boolean query or natural language")
    candidate_ids: list[str] = Field(..., min_length=1, max_length=MAX_CANDIDATES)
    syntax: Literal["auto", "boolean", "keywords"] = "auto"
    mode: Literal["hybrid", "lexical", "dense"] = "hybrid"
    explain: bool = False


class RerankedItem(BaseModel):
    candidate_id: str
    status: Literal["ok", "no_match", "not_found"]
    rank: int | None
    score: float | None
    lexical_score: float | None = None
    dense_score: float | None = None
    matched_fields: list[str] = []
    explanation: str = ""


class RerankResult(BaseModel):
    items: list[RerankedItem]
    index_version: str
    model_version: str | None = None
    request_id: str = ""


@router.post("/rerank", operation_id="rerank", response_model=RerankResult, responses=errors(422, 503))
def rerank_sync(body: RerankBody, tenant_id: Tenant, engine: Engine) -> RerankResult:
    """Score and order the given candidates for the query, as a search would; every candidate
    comes back once with a status (``not_found`` also for another tenant's private profiles)."""
    res = rerank(engine, RerankRequest(body.query, tuple(body.candidate_ids), tenant_id=tenant_id,
                                       syntax=body.syntax, mode=body.mode, explain=body.explain))
    return RerankResult(items=[RerankedItem(candidate_id=r.candidate_id, status=r.status, rank=r.rank, score=r.score,
                                            lexical_score=r.lexical_score, dense_score=r.dense_score,
                                            matched_fields=list(r.matched_fields), explanation=r.explanation)
                               for r in res.items],
                        index_version=res.index_version, model_version=res.model_version, request_id=res.request_id)
