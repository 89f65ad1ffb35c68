"""The schema a model's answer must follow, and its validation into ``QueryStrategy`` records.

Validation is strict: JSON object -> pydantic model (this is an edge: text from outside) ->
every ``boolean`` query parsed with ``query.lang.parser.parse`` and re-rendered canonically ->
filters checked with ``Filters.from_dict``. The first problem is reported with where it is
(``strategies[1].query: unexpected end of query at column 9 ...``) so the repair prompt can
quote it back to the model.
"""
from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from query.lang import ast as qa
from query.lang.filters import Filters
from query.llm.base import PlannerOutputError, QueryStrategy
from query.lang.parser import parse
from records.errors import QueryError

MAX_STRATEGIES = 8
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class StrategyModel(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1, max_length=40)
    query: str = Field(min_length=1, max_length=4096)
    syntax: Literal["boolean", "keywords"] = "boolean"
    mode: Literal["hybrid", "lexical", "dense"] = "hybrid"
    filters: dict = Field(default_factory=dict)
    rationale: str = Field(min_length=1, max_length=400)


class PlanModel(BaseModel):
    model_config = ConfigDict(extra="ignore")
    strategies: list[StrategyModel] = Field(min_length=1, max_length=MAX_STRATEGIES)


def json_schema() -> dict:
    """JSON Schema sent as ``response_format`` to endpoints that support structured output."""
    return PlanModel.model_json_schema()


def parse_answer(content: str | None) -> tuple[QueryStrategy, ...]:
    """Model text -> validated strategies; raises ``PlannerOutputError`` saying what is wrong and where."""
    if not content or not content.strip():
        raise PlannerOutputError("the answer is empty")
    m = _FENCE.match(content)
    text = m.group(1) if m else content
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PlannerOutputError(f"the answer is not valid JSON: {exc}") from None
    try:
        plan = PlanModel.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        raise PlannerOutputError(f"{where}: {first['msg']}") from None
    out = []
    for i, s in enumerate(plan.strategies):
        out.append(_strategy(s, f"strategies[{i}]"))
    return tuple(out)


def _strategy(s: StrategyModel, where: str) -> QueryStrategy:
    try:
        node = parse(s.query)
    except QueryError as exc:
        raise PlannerOutputError(f"{where}.query: {exc}") from None
    if all(negated for _, negated in qa.iter_leaves(node)):
        raise PlannerOutputError(f"{where}.query: the query only excludes; it must say who is wanted")
    try:
        filters = Filters.from_dict(s.filters)
    except QueryError as exc:
        raise PlannerOutputError(f"{where}.filters: {exc}") from None
    query = qa.to_query_string(node) if s.syntax == "boolean" else " ".join(s.query.split())
    return QueryStrategy(s.name, query, _filters_input(s.filters, filters), " ".join(s.rationale.split()),
                         s.syntax, s.mode)


def _filters_input(raw: dict, parsed: Filters) -> dict:
    """The user-level filter dict (city names kept) once ``Filters.from_dict`` has accepted it."""
    return {k: v for k, v in raw.items() if v not in (None, [], "")}


__all__ = ["PlanModel", "StrategyModel", "json_schema", "parse_answer", "MAX_STRATEGIES"]
