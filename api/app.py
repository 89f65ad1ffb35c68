"""The FastAPI application: ``create_app(settings)``."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.schemas import CandidateSummary, Problem, RetrieverScore, SearchBody, SearchHit, SearchResult
from api.settings import Settings
from indexer.encoder import MiniLMEncoder
from indexer.reader import IndexReader
from query.filters import Filters
from ranking.pipeline import SearchEngine, SearchRequest
from records.errors import (BackendUnavailableError, FilterError, NotFoundError, QueryError, QuerySyntaxError,
                            TalentSearchError)

log = logging.getLogger("talentsearch.api")
PROBLEM = "application/problem+json"
_ERRORS = {"/v1/search": {422: {"model": Problem}, 503: {"model": Problem}, 404: {"model": Problem}}}


def create_app(settings: Settings | None = None, *, engine: SearchEngine | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.engine is None:
            reader = IndexReader(settings.index_dir, vectors=settings.vector_config())
            app.state.engine = SearchEngine(reader, MiniLMEncoder(settings.encoder_config()))
        yield

    app = FastAPI(title="talentsearch", version="0.1.0", lifespan=lifespan,
                  description="Hybrid Boolean + semantic candidate search. Errors are RFC 9457 problem+json.")
    app.state.engine = engine
    _install_error_handlers(app)

    @app.post("/v1/search", response_model=SearchResult, responses=_ERRORS["/v1/search"], tags=["search"])
    def search(body: SearchBody, x_tenant_id: str | None = Header(None, description="caller's tenant")) -> SearchResult:
        filters = Filters.from_dict(body.filters.model_dump(exclude_none=True), tenant_id=x_tenant_id)
        req = SearchRequest(query=body.query, filters=filters, k=body.k, mode=body.mode, syntax=body.syntax,
                            fusion=body.fusion, rrf_k=body.rrf_k, debug=body.debug)
        res = app.state.engine.search(req)
        return SearchResult(
            hits=[SearchHit(candidate_id=h.candidate_id, rank=h.rank, score=h.score,
                            retrievers={n: RetrieverScore(rank=h.ranks[n], score=h.scores[n]) for n in h.ranks},
                            matched_fields=list(h.matched_fields), candidate=summarize(h.profile)) for h in res.hits],
            total_lexical=res.total_lexical, mode=res.mode, syntax=res.syntax, query=res.query,
            index_version=res.version, timings_ms=res.timings_ms, debug=res.debug)

    @app.get("/v1/candidates/{candidate_id}", responses={404: {"model": Problem}}, tags=["candidates"])
    def candidate(candidate_id: str, x_tenant_id: str | None = Header(None)) -> dict:
        rec = app.state.engine.get(candidate_id, tenant_id=x_tenant_id)
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items() if k not in ("ord", "content_hash")}

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"model": Problem}}, tags=["ops"])
    def readyz() -> dict:
        snap = app.state.engine.reader.snapshot()
        return {"status": "ready", "index_version": snap.version, "profiles": len(snap.store)}

    return app


def summarize(p: dict | None) -> CandidateSummary:
    if not p:
        return CandidateSummary()
    loc = p.get("location") or {}
    place = ", ".join(x for x in (loc.get("city"), loc.get("country")) if x) or None
    return CandidateSummary(
        headline=p.get("headline"), current_title=p.get("current_title"), current_company=p.get("current_company_name"),
        location=place, years_experience=round(float(p.get("years_experience") or 0), 1), seniority=p.get("seniority"),
        occupation=p.get("occupation_title"), skills=list(p.get("skills_normalized") or [])[:15],
        open_to_work=bool(p.get("open_to_work")),
        last_active=p["last_active"].isoformat() if p.get("last_active") else None)


def _problem(status: int, title: str, detail: str, **extra) -> JSONResponse:
    body = {"type": f"https://talentsearch.dev/problems/{title.lower().replace(' ', '-')}", "title": title,
            "status": status, "detail": detail, **{k: v for k, v in extra.items() if v is not None}}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QuerySyntaxError)
    async def _syntax(_: Request, exc: QuerySyntaxError):
        return _problem(422, "Query syntax error", str(exc), column=exc.column, field="query")

    @app.exception_handler(FilterError)
    async def _filter(_: Request, exc: FilterError):
        return _problem(422, "Invalid filter", str(exc), field=f"filters.{exc.field}")

    @app.exception_handler(QueryError)
    async def _query(_: Request, exc: QueryError):
        return _problem(422, "Invalid query", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return _problem(422, "Invalid request", f"{where}: {first.get('msg', 'invalid')}", field=where or None)

    @app.exception_handler(NotFoundError)
    async def _missing(_: Request, exc: NotFoundError):
        return _problem(404, "Not found", str(exc))

    @app.exception_handler(BackendUnavailableError)
    async def _down(_: Request, exc: BackendUnavailableError):
        log.error("backend unavailable: %s", exc)
        return _problem(503, "Backend unavailable", str(exc))

    @app.exception_handler(TalentSearchError)
    async def _other(_: Request, exc: TalentSearchError):
        log.exception("engine error")
        return _problem(500, "Internal error", str(exc))
