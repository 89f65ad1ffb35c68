"""The FastAPI application: ``create_app(settings)`` includes one router per resource (api/routes/)."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import middleware, problems
from api.jobs import JobManager
from api.jobs_ray import RayJobRunner
from api.routes import audit, candidates, evaluate, events, insights, jobs, models, ops, queries, rerank, search, searches, writes
from api.schemas import summarize
from api.settings import Settings
from api.wiring import build_engine
from ranking.ltr.events import EventStores
from ranking.search.pipeline import SearchEngine
from records.errors import TalentSearchError

log = logging.getLogger("talentsearch.api")
ROUTERS = (search.router, events.router, candidates.router, rerank.router, jobs.router, insights.router,
           queries.router, models.router, audit.router, evaluate.router, writes.router, searches.router, ops.router)


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
        if app.state.live is None and _has_live_state(settings):   # fold and deliver what a previous process left
            app.state.live = writes.open_live(settings, app.state.engine)
            app.state.live.start()
        try:
            yield
        finally:
            app.state.jobs.stop()
            if app.state.live is not None:
                app.state.live.close()
                app.state.live = None
            if watching is not None:
                watching.set()

    app = FastAPI(title="talentsearch", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Hybrid Boolean + semantic candidate search. Every error is RFC 9457 "
                              "`application/problem+json`, including 404 for unknown paths and 405 (with `Allow`) "
                              "for unsupported methods. With an API keys file every `/v1/` call needs "
                              "`Authorization: Bearer <key>` or `X-API-Key`; without one (development) "
                              "`X-Tenant-Id` is trusted as sent.")
    app.state.engine = engine
    app.state.settings = settings
    app.state.cursor_codec = None       # made on first use (api/cursor_key.py)
    app.state.live = None               # live writes + standing searches: made at start when state exists, else on first use
    ltr = getattr(engine, "ltr", None)
    app.state.events = ltr.stores if ltr is not None and ltr.stores is not None else EventStores(settings.ltr_dir)
    app.state.jobs = JobManager(settings.jobs_dir, lambda: app.state.engine, max_upload_bytes=settings.max_upload_bytes,
                                runner=RayJobRunner(settings) if settings.jobs_runner == "ray" else None)
    problems.install(app)
    middleware.install(app, settings)       # API keys -> tenants, request ids, metrics
    for router in ROUTERS:
        app.include_router(router)
    ops.install_docs(app)
    problems.install_openapi(app, auth_required=settings.api_keys_file is not None)
    return app


def _has_live_state(settings: Settings) -> bool:
    return (settings.index_dir / "live" / "log.sqlite").exists() or (settings.standing_dir / "standing.sqlite").exists()


__all__ = ["create_app", "summarize"]   # summarize: the CLI and the MCP server import it from here
