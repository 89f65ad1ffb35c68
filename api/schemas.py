"""Pydantic request/response models of the HTTP API (edges only; the engine uses dataclasses)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _one_or_many(value):
    """A single string is accepted where a list of strings is expected ("Acme" == ["Acme"])."""
    return [value] if isinstance(value, str) else value


Names = Annotated[list[str] | None, BeforeValidator(_one_or_many, json_schema_input_type=str | list[str] | None)]
# bounds of the numeric filters, shared by the JSON body and the query parameters of /v1/insights
LAT = {"ge": -90, "le": 90}
LON = {"ge": -180, "le": 180}
RADIUS_KM = {"gt": 0, "le": 20_038}       # half the equator: reaches every place on Earth
YEARS = {"ge": 0, "le": 100}
DAYS = {"ge": 0, "le": 36_525}            # 100 years; larger values overflow date arithmetic


class FilterFields(BaseModel):
    """The filters of a search (``query.lang.filters.Filters.from_dict`` input); as output, a strategy's filters."""
    model_config = ConfigDict(extra="allow")
    near: str | None = Field(None, description="City name, e.g. 'Berlin' or 'Berlin, DE'", examples=["Berlin"])
    lat: float | None = Field(None, **LAT)
    lon: float | None = Field(None, **LON)
    radius_km: float | None = Field(None, **RADIUS_KM, examples=[50])
    min_years: float | None = Field(None, **YEARS)
    max_years: float | None = Field(None, **YEARS)
    seniority: Names = Field(None, examples=[["senior", "lead"]])
    current_company: Names = Field(None, description="One name or a list", examples=[["Acme"]])
    not_current_company: Names = None
    past_company: Names = None
    open_to_work: bool | None = None
    active_within_days: int | None = Field(None, **DAYS)


class FilterBody(FilterFields):
    model_config = ConfigDict(extra="forbid")


class QualificationIn(BaseModel):
    """One qualification a candidate is judged against (query/qualifications.py)."""
    model_config = ConfigDict(extra="forbid")
    kind: Literal["skill", "occupation", "years", "seniority", "location", "education", "company", "industry",
                  "language", "free_text"]
    text: str | None = Field(None, max_length=500)
    must: bool = True
    weight: float = Field(1.0, gt=0, le=100)
    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    skill: str | None = Field(None, max_length=200, description="years: with this skill")
    min_years: float | None = Field(None, ge=0, le=60)
    level: str | None = Field(None, max_length=40, description="seniority: at least this level")
    radius_km: float | None = Field(None, gt=0, le=20000)
    degree: str | None = Field(None, max_length=40, description="education: high_school ... doctorate")
    field: str | None = Field(None, max_length=200, description="education: field of study")


class FairnessBody(BaseModel):
    """Per-request fairness-aware re-ranking (issue 21); unset fields keep the tenant's setting
    (``talentsearch audit rerank``). Only attributes the tenant supplied (``PUT /v1/audit/attributes``) are used."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"rerank": "fair", "attribute": "sex", "protected": "female", "top_n": 200, "target": "population"}]})
    rerank: Literal["off", "detgreedy", "detconstsort", "fair"] | None = Field(
        None, description="off, DetGreedy, DetConstSort (Geyik et al. 2019) or FA*IR (Zehlike et al. 2017); null = the tenant's")
    attribute: Literal["sex", "age_band", "ethnicity"] | None = None
    top_n: int | None = Field(None, ge=1, le=2000, description="ranked candidates re-ranked")
    target: Literal["pool", "population"] | None = Field(None, description="the top N's own distribution or the tenant's file's")
    protected: str | None = Field(None, max_length=64, description="FA*IR: the protected group, e.g. female")
    alpha: float | None = Field(None, gt=0, lt=1, description="FA*IR: significance of the ranked group fairness test")
    min_proportion: float | None = Field(None, ge=0, le=1, description="FA*IR: minimum proportion p (default: the target share)")


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
    qualifications: list[QualificationIn] | None = Field(
        None, min_length=1, max_length=32, description="judge each hit of the page against these (verdicts with evidence) "
        "and order the page with every must-have met first; the engine's order breaks ties")
    fairness: FairnessBody | None = Field(None, description="this request's fairness-aware re-ranking; null = the tenant's setting")
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
    evaluation: dict[str, Any] | None = Field(None, description="with qualifications: score, must-haves met and a verdict "
                                                                "with evidence per qualification")


class SearchResult(BaseModel):
    hits: list[SearchHit]
    total_lexical: int = Field(description="documents matching lexically, -1 when not known exactly")
    mode: str
    syntax: str
    query: str | None = Field(description="the parsed query in canonical form")
    index_version: str
    timings_ms: dict[str, float]
    debug: dict[str, Any] | None = Field(None, description="every stage's output (debug=true)")
    request_id: str = Field("", description="keys the served feature log; send it back with impression events")
    model_version: str | None = Field(None, description="the LTR model that ordered the hits; null = hybrid order")
    explored: bool = Field(False, description="some adjacent hits were swapped at random (the tenant's exploration share, "
                                              "for position-bias estimates); report impressions at the positions shown")
    fairness: str | None = Field(None, description="the tenant's fairness-aware re-ranking applied (algorithm:attribute@N); "
                                                   "null = none")
    facets: dict[str, list[tuple[str, int]]] | None = Field(None, description="facet -> [(value, count)], count desc")
    next_cursor: str | None = Field(None, description="send it back as `cursor` for the next k hits; null = no more")
    qualifications: list[dict[str, Any]] | None = Field(None, description="the qualifications the hits were judged against")
    guard: list[dict[str, Any]] | None = Field(None, description="qualifications the responsible-AI guard stripped, with the reason")


class RejectedEvent(BaseModel):
    index: int = Field(description="0-based position in the batch")
    event_id: str | None
    reason: str


class EventsReceipt(BaseModel):
    accepted: int
    duplicates: int = Field(description="events whose event_id was already stored (idempotent re-sends)")
    rejected: list[RejectedEvent] = Field(description="per malformed event; the others were kept")


def summarize(p: dict | None) -> CandidateSummary:
    """The short view of an indexed profile that a search hit carries."""
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
