"""RFC 9457 problem details: the one error shape of the HTTP API, how OpenAPI declares it, and the
handlers that turn engine errors (records.errors), request validation and routing errors into it.

Every error the server sends is ``application/problem+json``: engine errors, every validation error
of a request (all of them, each with its field), unknown paths (404), unsupported methods (405, with
``Allow``) and the authentication middleware's 401 (api/middleware.py).
"""
from __future__ import annotations

import http
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from query.guard import PolicyViolationError
from query.intake.requirements import IntakeError
from records.errors import (BackendUnavailableError, FilterError, ForbiddenError, NotFoundError, QueryError, QuerySyntaxError,
                            TalentSearchError, ValidationError)

log = logging.getLogger("talentsearch.api")
PROBLEM = "application/problem+json"


class FieldError(BaseModel):
    field: str = Field(description="the input, as a dotted path in the body (filters.k, candidate_ids.3) or the "
                                   "name of the query parameter, path parameter or header")
    location: str = Field(description="body, query, path or header")
    message: str
    type: str = Field(description="machine-readable kind, e.g. missing, less_than_equal, string_unicode")


class Finding(BaseModel):
    """What the responsible-AI guard removed or refused (query/guard.py)."""
    category: str
    text: str
    where: str
    action: str
    rule: str
    explanation: str


class Problem(BaseModel):
    """RFC 9457 problem details."""
    type: str
    title: str
    status: int
    detail: str
    field: str | None = Field(None, description="the (first) input the problem is about")
    column: int | None = Field(None, description="1-based column of a query syntax error")
    errors: list[FieldError] | None = Field(None, description="every validation error of the request")
    findings: list[Finding] | None = None
    request_id: str | None = None


_DESCRIPTIONS = {
    400: "Malformed request", 401: "Missing or invalid API key", 403: "Not allowed for this tenant's key", 404: "Not found (also another tenant's resource)",
    413: "Request too large", 415: "Unsupported media type", 422: "Invalid input: every error, each with its field", 503: "Backend unavailable",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route: these statuses answered with a Problem (problem+json, see ``openapi``)."""
    return {s: {"model": Problem, "description": _DESCRIPTIONS[s]} for s in statuses}


def problem(status: int, title: str, detail: str, *, headers: dict | None = None, **extra) -> JSONResponse:
    body = {"type": f"https://talentsearch.dev/problems/{title.lower().replace(' ', '-')}", "title": title,
            "status": status, "detail": detail, **{k: v for k, v in extra.items() if v is not None}}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _findings(exc: Exception) -> list[dict] | None:
    """What the responsible-AI guard removed before the request was found unreadable (None: nothing)."""
    found = getattr(exc, "findings", None)
    return [f.to_dict() for f in found] if found else None


def field_errors(exc: RequestValidationError) -> list[dict]:
    """pydantic/FastAPI errors as ``FieldError`` dicts (``body`` is left out of body paths)."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        where = loc[0] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else "body"
        path = loc[1:] if loc and loc[0] == where else loc
        out.append({"field": ".".join(path) or where, "location": where, "message": str(err.get("msg", "invalid")),
                    "type": str(err.get("type", "value_error"))})
    return out


def install(app: FastAPI) -> None:
    """The exception handlers: every error becomes a problem+json response."""
    @app.exception_handler(QuerySyntaxError)
    async def _syntax(_: Request, exc: QuerySyntaxError):
        return problem(422, "Query syntax error", str(exc), column=exc.column, field=getattr(exc, "field", None) or "query",
                       findings=_findings(exc))

    @app.exception_handler(FilterError)
    async def _filter(_: Request, exc: FilterError):
        return problem(422, "Invalid filter", str(exc), field=f"filters.{exc.field}")

    @app.exception_handler(PolicyViolationError)
    async def _refused(_: Request, exc: PolicyViolationError):
        return problem(422, "Request refused", str(exc), field="text", findings=[f.to_dict() for f in exc.findings])

    @app.exception_handler(IntakeError)
    async def _intake(_: Request, exc: IntakeError):
        return problem(422, "Invalid requirements", str(exc), field=exc.field, findings=_findings(exc))

    @app.exception_handler(QueryError)
    async def _query(_: Request, exc: QueryError):
        return problem(422, "Invalid query", str(exc), field=getattr(exc, "field", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        found = field_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in found) or "invalid request"
        return problem(422, "Invalid request", detail, field=found[0]["field"] if found else None, errors=found)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):     # routing (404, 405) and the routes' size limits
        title = http.HTTPStatus(exc.status_code).phrase
        detail = str(exc.detail)
        if detail == title and exc.status_code == 404:
            detail = f"no resource at {request.url.path}"
        elif detail == title and exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path} (allowed: {(exc.headers or {}).get('Allow')})"
        return problem(exc.status_code, title, detail, headers=exc.headers)

    @app.exception_handler(NotFoundError)
    async def _missing(_: Request, exc: NotFoundError):
        return problem(404, "Not found", str(exc))

    @app.exception_handler(ForbiddenError)
    async def _forbidden(_: Request, exc: ForbiddenError):
        return problem(403, "Forbidden", str(exc))

    @app.exception_handler(ValidationError)
    async def _invalid(_: Request, exc: ValidationError):
        return problem(422, "Invalid input", str(exc))

    @app.exception_handler(BackendUnavailableError)
    async def _down(_: Request, exc: BackendUnavailableError):
        log.error("backend unavailable: %s", exc)
        return problem(503, "Backend unavailable", str(exc))

    @app.exception_handler(TalentSearchError)
    async def _other(_: Request, exc: TalentSearchError):
        log.exception("engine error")
        return problem(500, "Internal error", str(exc))


def install_openapi(app: FastAPI, *, auth_required: bool) -> None:
    """The document FastAPI generates, with every error response as ``application/problem+json`` and, in
    development mode (no keys file), authentication marked optional on every operation."""
    def openapi() -> dict:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                               tags=app.openapi_tags, servers=app.servers)
            for item in spec["paths"].values():
                for op in item.values():
                    for status, response in op.get("responses", {}).items():
                        content = response.get("content", {})
                        if status[:1] in "45" and "application/json" in content:
                            content[PROBLEM] = content.pop("application/json")
                    if not auth_required and op.get("security"):
                        op["security"].append({})
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi


__all__ = ["PROBLEM", "FieldError", "Problem", "errors", "install", "install_openapi", "problem"]
