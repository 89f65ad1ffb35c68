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


class SearchResult(BaseModel):
    hits: list[SearchHit]
    total_lexical: int = Field(description="documents matching lexically, -1 when not known exactly")
    mode: str
    syntax: str
    query: str | None = Field(description="the parsed query in canonical form")
    index_version: str
    timings_ms: dict[str, float]
    debug: dict | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""
    type: str
    title: str
    status: int
    detail: str
    column: int | None = None
    field: str | None = None
