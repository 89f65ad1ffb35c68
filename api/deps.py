"""What every resource router shares: the caller's tenant (one dependency, with the API-key security
schemes, so OpenAPI shows them on every operation), the engine, and the route class that refuses
JSON bodies whose strings cannot be stored.

Authentication itself happens in api/middleware.py before routing: with a keys file, a request
without a valid key is answered 401 there and the key's tenant replaces any ``X-Tenant-Id`` sent.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.message import Message
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPBearer

from api.cursor_key import cursor_codec
from api.settings import Settings
from ranking.search.paging import CursorCodec
from ranking.search.pipeline import SearchEngine
from records.errors import QueryError

TENANT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
_KEY_HELP = "an API key (`talentsearch keys create --tenant T`); it decides the tenant"
bearer = HTTPBearer(auto_error=False, scheme_name="bearer", description=_KEY_HELP)
api_key = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="apiKey", description=_KEY_HELP)


def tenant(x_tenant_id: Annotated[str | None, Header(pattern=TENANT_PATTERN, description=(
               "the caller's tenant; replaced by the API key's tenant when keys are configured"))] = None,
           _bearer: Annotated[Any, Security(bearer)] = None, _key: Annotated[Any, Security(api_key)] = None) -> str | None:
    """The caller's tenant (None: network profiles only)."""
    return x_tenant_id


def required_tenant(tenant_id: Annotated[str | None, Depends(tenant)]) -> str:
    if tenant_id is None:
        raise QueryError("X-Tenant-Id: this resource belongs to a tenant; authenticate or send the header")
    return tenant_id


Tenant = Annotated[str | None, Depends(tenant)]
RequiredTenant = Annotated[str, Depends(required_tenant)]


def engine(request: Request) -> SearchEngine:
    return request.app.state.engine


Engine = Annotated[SearchEngine, Depends(engine)]


def settings(request: Request) -> Settings:
    return request.app.state.settings


Config = Annotated[Settings, Depends(settings)]


def cursors(request: Request) -> CursorCodec:
    """The server's cursor codec, made on first use (the key may be generated then)."""
    state = request.app.state
    if state.cursor_codec is None:
        state.cursor_codec = cursor_codec(state.settings)
    return state.cursor_codec


Cursors = Annotated[CursorCodec, Depends(cursors)]


# ---- JSON bodies: every string must be storable text ------------------------------------------------
_SURROGATE = re.compile("[\ud800-\udfff]")


class CheckedRoute(APIRoute):
    """A route that answers 422, naming each field, for a JSON body that is not UTF-8 or whose strings
    hold a lone UTF-16 surrogate (``"\\ud800"`` escapes): such text cannot be indexed, stored or
    encoded again, and every string input passes here before any model sees it."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def checked(request: Request):
            if _is_json(request.headers.get("content-type")):
                found = unstorable_strings(await request.body())
                if found:
                    raise RequestValidationError(found)
            return await handler(request)
        return checked


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    msg = Message()
    msg["content-type"] = content_type
    sub = msg.get_content_subtype()
    return msg.get_content_maintype() == "application" and (sub == "json" or sub.endswith("+json"))


def unstorable_strings(body: bytes) -> list[dict]:
    """pydantic-style errors for a body that is not UTF-8 or holds lone surrogates ([] when it is fine)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [{"type": "unicode_error", "loc": ("body",), "msg": f"the body is not UTF-8 (byte {exc.start})"}]
    if "\\u" not in text:                           # lone surrogates can only come from escapes
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []                                    # FastAPI reports the syntax error itself
    return [{"type": "string_unicode", "loc": ("body", *path),
             "msg": "String should be valid Unicode: it holds a lone UTF-16 surrogate (\\ud800-\\udfff)"}
            for path in _surrogate_paths(value, ())]


def _surrogate_paths(value: Any, path: tuple) -> Iterator[tuple]:
    if isinstance(value, str):
        if _SURROGATE.search(value):
            yield path
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _surrogate_paths(item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            name = key.encode("utf-8", "backslashreplace").decode("utf-8") if _SURROGATE.search(key) else key
            if name is not key:
                yield (*path, name)
            yield from _surrogate_paths(item, (*path, name))


__all__ = ["TENANT_PATTERN", "CheckedRoute", "Config", "Cursors", "Engine", "RequiredTenant", "Tenant", "api_key",
           "bearer", "tenant", "unstorable_strings"]
