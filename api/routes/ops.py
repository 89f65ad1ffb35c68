"""Operations: liveness, readiness, Prometheus metrics, and the API documentation (Swagger UI and
ReDoc served from the installed ``fastapi-offline`` package: the pages work without the internet)."""
from __future__ import annotations

from importlib.resources import files
from typing import Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from api.deps import Engine
from api.problems import errors

router = APIRouter(tags=["ops"])
ASSETS = "/docs-assets"


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    index_version: str
    profiles: int


@router.get("/healthz", operation_id="getHealth", response_model=Health)
def healthz() -> Health:
    """The process answers (it may still have no index: see /readyz)."""
    return Health()


@router.get("/readyz", operation_id="getReadiness", response_model=Readiness, responses=errors(503))
def readyz(engine: Engine) -> Readiness:
    """The index is open and searchable."""
    snap = engine.reader.snapshot()
    return Readiness(index_version=snap.version, profiles=len(snap.store))


@router.get("/metrics", operation_id="getMetrics", response_class=Response,
            responses={200: {"description": "Prometheus text exposition format",
                             "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics(request: Request) -> Response:
    """Request counts by route and status, latency histograms."""
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")


def install_docs(app: FastAPI) -> None:
    """``/docs`` and ``/redoc`` with their scripts from the installed package (create the app with
    ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - Swagger UI",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{ASSETS}/redoc.standalone.js", redoc_favicon_url=f"{ASSETS}/favicon.png",
                              with_google_fonts=False)
