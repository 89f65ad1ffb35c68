"""``POST /v1/search``: one page of ranked candidates for a query + filters, with a signed cursor for the next."""
from __future__ import annotations

from fastapi import APIRouter

from api.deps import CheckedRoute, Cursors, Engine, Tenant
from api.problems import errors
from api.schemas import RetrieverScore, SearchBody, SearchHit, SearchResult, summarize
from query.lang.filters import Filters
from query.qualifications import guard_qualifications, parse_qualifications
from ranking.search.paging import search_page
from ranking.search.pipeline import SearchRequest
from records.errors import QueryError, ValidationError

router = APIRouter(prefix="/v1", tags=["search"], route_class=CheckedRoute, responses=errors(401))


@router.post("/search", operation_id="search", response_model=SearchResult, responses=errors(422, 503))
def search(body: SearchBody, tenant_id: Tenant, engine: Engine, codec: Cursors) -> SearchResult:
    """Recruiter Boolean query or natural language, filters, hybrid retrieval, fusion and re-ranking."""
    filters = Filters.from_dict(body.filters.model_dump(exclude_none=True), tenant_id=tenant_id)
    quals, findings = (), []
    if body.qualifications:
        quals, findings = guard_qualifications(parse_qualifications([q.model_dump(exclude_none=True)
                                                                     for q in body.qualifications]))
    req = SearchRequest(query=body.query, filters=filters, k=body.k, mode=body.mode, syntax=body.syntax,
                        fusion=body.fusion, rrf_k=body.rrf_k, debug=body.debug, rerank=body.rerank,
                        rerank_k=body.rerank_k, explain=body.explain, facets=tuple(body.facets),
                        facet_size=body.facet_size, highlight=body.highlight, qualifications=quals,
                        fairness_settings=_fairness(engine, tenant_id, body.fairness))
    res, next_cursor = search_page(engine, req, body.cursor, codec=codec)
    return SearchResult(
        next_cursor=next_cursor,
        hits=[SearchHit(candidate_id=h.candidate_id, rank=h.rank, score=h.score,
                        retrievers={n: RetrieverScore(rank=h.ranks[n], score=h.scores[n]) for n in h.ranks},
                        matched_fields=list(h.matched_fields), candidate=summarize(h.profile),
                        explanation=(res.explanations or {}).get(h.candidate_id),
                        highlights=(res.highlights or {}).get(h.candidate_id),
                        evaluation=_evaluation(res, h.candidate_id)) for h in res.hits],
        facets=res.facets, total_lexical=res.total_lexical, mode=res.mode, syntax=res.syntax, query=res.query,
        index_version=res.version, timings_ms=res.timings_ms, debug=res.debug, request_id=res.request_id,
        model_version=res.model_version, explored=res.explored, fairness=res.fairness,
        qualifications=[q.to_dict() for q in quals] if quals else None,
        guard=[f.to_dict() for f in findings] if quals else None)


def _fairness(engine, tenant_id: str | None, body):
    """The request's fairness settings over the tenant's (None: the tenant's own); a bad value is a 422 naming
    the field under ``fairness``."""
    if body is None:
        return None
    overrides = body.model_dump(exclude_none=True)
    try:
        if engine.fairness is None:
            raise ValidationError("rerank: fairness-aware re-ranking is not configured on this server")
        return engine.fairness.request_settings(tenant_id, overrides)
    except ValidationError as exc:
        err = QueryError(f"fairness.{exc}")
        err.field = "fairness." + str(exc).split(":", 1)[0]
        raise err from exc


def _evaluation(res, candidate_id: str) -> dict | None:
    e = (res.evaluations or {}).get(candidate_id)
    if e is None:
        return None
    d = e.to_dict()
    d.pop("candidate_id")
    d.pop("status")
    d.pop("rank")
    return d
