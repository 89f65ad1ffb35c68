"""Shared records and the small interfaces of the query-generation layer.

``QueryPlanner`` is the one Protocol every provider implements: the OpenAI-compatible chat
provider (``query.llm.openai``) and the offline planner (``query.llm.offline``, not an LLM).
``Expander`` is the contract the economic graph (``graph.expansion.Expander``) fulfils; the
taxonomy-only ``query.llm.expand.TaxonomyExpander`` fulfils it too when no graph is built.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from records.errors import BackendUnavailableError, QueryError

SYNTAXES = ("boolean", "keywords")
MODES = ("hybrid", "lexical", "dense")
OFFLINE_PROVIDER = "offline-planner"


@dataclass(frozen=True)
class QueryStrategy:
    """One runnable query: canonical Boolean text (it parses), ``Filters.from_dict`` input, why."""

    name: str                 # "strict", "broad", "semantic", "history", or a provider's own label
    query: str
    filters: dict
    rationale: str            # one line
    syntax: str = "boolean"   # how SearchRequest runs ``query``: "boolean" (hard) or "keywords" (soft)
    mode: str = "hybrid"      # SearchRequest.mode

    def to_dict(self) -> dict:
        return {"name": self.name, "query": self.query, "filters": dict(self.filters), "rationale": self.rationale,
                "syntax": self.syntax, "mode": self.mode}


@dataclass(frozen=True)
class PlanContext:
    """What a planner may use besides the requirements: graph/taxonomy neighbours and tenant priors."""

    related_titles: tuple = ()        # Expansion-like objects (kind, value, weight, reason, source)
    related_skills: tuple = ()
    history: tuple[QueryStrategy, ...] = ()
    tenant_id: str | None = None


@dataclass(frozen=True)
class PlanAnswer:
    strategies: tuple[QueryStrategy, ...]
    provider: str                     # "offline-planner" or "openai-compatible"
    model: str | None = None
    prompt_version: str | None = None
    attempts: int = 1
    notes: tuple[str, ...] = field(default_factory=tuple)


class PlannerOutputError(QueryError):
    """A provider's answer that does not follow the schema (after the repair attempt)."""


class ProviderUnavailableError(BackendUnavailableError):
    """The LLM endpoint cannot answer (timeouts, 429 and 5xx after retries, connection refused)."""


@runtime_checkable
class QueryPlanner(Protocol):
    name: str

    def plan(self, requirements, context: PlanContext) -> PlanAnswer: ...


@runtime_checkable
class Expander(Protocol):
    def related_titles(self, title_or_code: str, k: int = 10) -> list: ...

    def related_skills(self, skill: str, k: int = 10) -> list: ...


__all__ = ["QueryStrategy", "PlanContext", "PlanAnswer", "PlannerOutputError", "ProviderUnavailableError",
           "QueryPlanner", "Expander", "OFFLINE_PROVIDER", "SYNTAXES", "MODES"]
