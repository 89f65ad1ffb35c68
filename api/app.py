"""The FastAPI application: ``create_app(settings)``."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.schemas import CandidateSummary, Problem, RetrieverScore, SearchBody, SearchHit, SearchResult
from api.schemas import EventsReceipt
from api.jobs import JobManager
from api.settings import Settings
from api.wiring import build_engine
from query.filters import Filters
from ranking.events import EventStores, check_tenant
from ranking.paging import search_page
from ranking.pipeline import SearchEngine, SearchRequest
from records.errors import ValidationError
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
            app.state.engine = build_engine(settings)
        try:
            app.state.engine.warm()     # the first search should not pay for loading the index, graph and models
        except (TalentSearchError, OSError) as exc:
            log.warning("not warmed up at start: %s", exc)
        ltr = getattr(app.state.engine, "ltr", None)
        watching = ltr.watch(settings.ltr_watch_s) if ltr is not None and settings.ltr_watch_s > 0 else None
        app.state.jobs.start()          # queued/running jobs of a previous process resume here
        try:
            yield
        finally:
            app.state.jobs.stop()
            if watching is not None:
                watching.set()

    app = FastAPI(title="talentsearch", version="0.1.0", lifespan=lifespan,
                  description="Hybrid Boolean + semantic candidate search. Errors are RFC 9457 problem+json.")
    app.state.engine = engine
    ltr = getattr(engine, "ltr", None)
    app.state.events = ltr.stores if ltr is not None and ltr.stores is not None else EventStores(settings.ltr_dir)
    app.state.jobs = JobManager(settings.jobs_dir, lambda: app.state.engine, max_upload_bytes=settings.max_upload_bytes)
    _install_error_handlers(app)
    from api.middleware import install as install_service_middleware   # API keys, request ids, /metrics

    install_service_middleware(app, settings)

    @app.post("/v1/search", response_model=SearchResult, responses=_ERRORS["/v1/search"], tags=["search"])
    def search(body: SearchBody, x_tenant_id: str | None = Header(None, description="caller's tenant")) -> SearchResult:
        filters = Filters.from_dict(body.filters.model_dump(exclude_none=True), tenant_id=x_tenant_id)
        req = SearchRequest(query=body.query, filters=filters, k=body.k, mode=body.mode, syntax=body.syntax,
                            fusion=body.fusion, rrf_k=body.rrf_k, debug=body.debug, rerank=body.rerank, rerank_k=body.rerank_k, explain=body.explain,
                            facets=tuple(body.facets), facet_size=body.facet_size, highlight=body.highlight)
        res, next_cursor = search_page(app.state.engine, req, body.cursor)
        return SearchResult(next_cursor=next_cursor,
            hits=[SearchHit(candidate_id=h.candidate_id, rank=h.rank, score=h.score,
                            retrievers={n: RetrieverScore(rank=h.ranks[n], score=h.scores[n]) for n in h.ranks},
                            matched_fields=list(h.matched_fields), candidate=summarize(h.profile),
                            explanation=(res.explanations or {}).get(h.candidate_id),
                            highlights=(res.highlights or {}).get(h.candidate_id)) for h in res.hits],
            facets=res.facets,
            total_lexical=res.total_lexical, mode=res.mode, syntax=res.syntax, query=res.query,
            index_version=res.version, timings_ms=res.timings_ms, debug=res.debug,
            request_id=res.request_id, model_version=res.model_version, explored=res.explored)

    @app.post("/v1/events", response_model=EventsReceipt, responses={422: {"model": Problem}}, tags=["events"])
    def events(body: list[dict] | dict, x_tenant_id: str | None = Header(None, description="caller's tenant")) -> EventsReceipt:
        """Engagement events (one object or a list). Idempotent by event_id; malformed events are
        listed in ``rejected`` with a reason and the others are stored."""
        if x_tenant_id is None:
            raise QueryError("X-Tenant-Id: header required for events")
        try:
            check_tenant(x_tenant_id)
        except ValidationError as exc:
            raise QueryError(f"X-Tenant-Id: {exc}") from exc
        report = app.state.events.get(x_tenant_id).add(body if isinstance(body, list) else [body],
                                                                     tenant_id=x_tenant_id)
        return EventsReceipt(accepted=report.accepted, duplicates=report.duplicates,
                             rejected=[{"index": r.index, "event_id": r.event_id, "reason": r.reason} for r in report.rejected])

    @app.get("/v1/candidates/{candidate_id}", responses={404: {"model": Problem}}, tags=["candidates"])
    def candidate(candidate_id: str, x_tenant_id: str | None = Header(None)) -> dict:
        rec = app.state.engine.get(candidate_id, tenant_id=x_tenant_id)
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items() if k not in ("ord", "content_hash")}

    from api.models_routes import install as install_model_routes   # /v1/models: list, train, promote, rollback

    install_model_routes(app, settings, _ERRORS["/v1/search"])
    from api.jobs_routes import install as install_job_routes     # POST /v1/rerank, /v1/jobs/*

    install_job_routes(app, _ERRORS["/v1/search"])
    from api.graph_routes import install as install_graph_routes   # GET /v1/insights

    install_graph_routes(app, _ERRORS["/v1/search"])

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"model": Problem}}, tags=["ops"])
    def readyz() -> dict:
        snap = app.state.engine.reader.snapshot()
        return {"status": "ready", "index_version": snap.version, "profiles": len(snap.store)}

    from api.queries import install_query_routes   # issue 7: /v1/queries/*

    install_query_routes(app, settings, _problem)
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


def _findings(exc: Exception) -> list[dict] | None:
    """What the responsible-AI guard removed before the request was found unreadable (None: nothing)."""
    found = getattr(exc, "findings", None)
    return [f.to_dict() for f in found] if found else None


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QuerySyntaxError)
    async def _syntax(_: Request, exc: QuerySyntaxError):
        return _problem(422, "Query syntax error", str(exc), column=exc.column, field="query", findings=_findings(exc))

    @app.exception_handler(FilterError)
    async def _filter(_: Request, exc: FilterError):
        return _problem(422, "Invalid filter", str(exc), field=f"filters.{exc.field}")

    @app.exception_handler(QueryError)
    async def _query(_: Request, exc: QueryError):
        return _problem(422, "Invalid query", str(exc), field=getattr(exc, "field", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return _problem(422, "Invalid request", f"{where}: {first.get('msg', 'invalid')}", field=where or None)

    @app.exception_handler(NotFoundError)
    async def _missing(_: Request, exc: NotFoundError):
        return _problem(404, "Not found", str(exc))

    @app.exception_handler(ValidationError)
    async def _invalid(_: Request, exc: ValidationError):
        return _problem(422, "Invalid input", str(exc))

    @app.exception_handler(BackendUnavailableError)
    async def _down(_: Request, exc: BackendUnavailableError):
        log.error("backend unavailable: %s", exc)
        return _problem(503, "Backend unavailable", str(exc))

    @app.exception_handler(TalentSearchError)
    async def _other(_: Request, exc: TalentSearchError):
        log.exception("engine error")
        return _problem(500, "Internal error", str(exc))
