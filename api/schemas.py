"""Pydantic request/response models of the HTTP API (edges only; the engine uses dataclasses)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from typing import Annotated


def _one_or_many(value):
    """A single string is accepted where a list of strings is expected ("Acme" == ["Acme"])."""
    return [value] if isinstance(value, str) else value


Names = Annotated[list[str] | None, BeforeValidator(_one_or_many)]


class FilterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    near: str | None = Field(None, description="City name, e.g. 'Berlin' or 'Berlin, DE'", examples=["Berlin"])
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    radius_km: float | None = Field(None, gt=0, examples=[50])
    min_years: float | None = Field(None, ge=0)
    max_years: float | None = Field(None, ge=0)
    seniority: Names = Field(None, examples=[["senior", "lead"]])
    current_company: Names = Field(None, description="One name or a list", examples=[["Acme"]])
    not_current_company: Names = None
    past_company: Names = None
    open_to_work: bool | None = None
    active_within_days: int | None = Field(None, ge=0)


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "query": 'title:"data engineer" AND (spark OR airflow) NOT company:acme',
        "filters": {"near": "Berlin", "radius_km": 50}, "k": 10}]})
    query: str = Field("", max_length=4096, description="Recruiter Boolean query or natural language; empty = filters only")
    filters: FilterBody = Field(default_factory=FilterBody)
    k: int = Field(10, ge=1, le=1000)
    mode: Literal["hybrid", "lexical", "dense"] = "hybrid"
    syntax: Literal["auto", "boolean", "keywords"] = "auto"
    fusion: Literal["rrf", "weighted"] = "rrf"
    rrf_k: int = Field(60, ge=0, le=10_000)
    debug: bool = False
    rerank: bool = Field(True, description="re-rank with the tenant's LTR model when one is promoted")
    rerank_k: int | None = Field(None, ge=1, le=2000, description="fused candidates the model re-ranks (default: server setting)")
    explain: bool = Field(True, description="each hit's top feature contributions (LightGBM SHAP) when a model re-ranks; "
                          "false saves about 0.1-0.4 ms per returned hit")
    facets: list[Literal["current_company", "seniority", "location", "skills", "open_to_work"]] = Field(
        default_factory=list, description="count these over the whole filtered match set", examples=[["location", "skills"]])
    facet_size: int = Field(10, ge=1, le=1000, description="values per facet")
    highlight: bool = Field(False, description="mark up the matched words of each hit per field (<em>...</em>)")
    cursor: str | None = Field(None, max_length=2048, description="next_cursor of the previous page (same request); "
                               "pages stay consistent while the index and model are unchanged")


class RetrieverScore(BaseModel):
    rank: int
    score: float


class CandidateSummary(BaseModel):
    headline: str | None = None
    current_title: str | None = None
    current_company: str | None = None
    location: str | None = None
    years_experience: float | None = None
    seniority: str | None = None
    occupation: str | None = None
    skills: list[str] = []
    open_to_work: bool = False
    last_active: str | None = None


class SearchHit(BaseModel):
    candidate_id: str
    rank: int
    score: float
    retrievers: dict[str, RetrieverScore]
    matched_fields: list[str]
    candidate: CandidateSummary
    explanation: list[tuple[str, float]] | None = Field(
        None, description="LTR: top features by contribution to this hit's score (LightGBM SHAP values)")
    highlights: dict[str, list[str]] | None = Field(None, description="per field, values with matched words marked up")


class SearchResult(BaseModel):
    hits: list[SearchHit]
    total_lexical: int = Field(description="documents matching lexically, -1 when not known exactly")
    mode: str
    syntax: str
    query: str | None = Field(description="the parsed query in canonical form")
    index_version: str
    timings_ms: dict[str, float]
    debug: dict | None = None
    request_id: str = Field("", description="keys the served feature log; send it back with impression events")
    model_version: str | None = Field(None, description="the LTR model that ordered the hits; null = hybrid order")
    explored: bool = Field(False, description="some adjacent hits were swapped at random (the tenant's exploration share, "
                                              "for position-bias estimates); report impressions at the positions shown")
    facets: dict[str, list[tuple[str, int]]] | None = Field(None, description="facet -> [(value, count)], count desc")
    next_cursor: str | None = Field(None, description="send it back as `cursor` for the next k hits; null = no more")


class EventsReceipt(BaseModel):
    accepted: int
    duplicates: int = Field(description="events whose event_id was already stored (idempotent re-sends)")
    rejected: list[dict] = Field(description="{index, event_id, reason} per malformed event; the others were kept")


class Problem(BaseModel):
    """RFC 9457 problem details."""
    type: str
    title: str
    status: int
    detail: str
    column: int | None = None
    field: str | None = None
