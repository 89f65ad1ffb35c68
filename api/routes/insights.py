"""``GET /v1/insights``: talent-pool insights (graph/insights.py) for a query + filters, tenant-scoped."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import CheckedRoute, Engine, Tenant
from api.problems import errors
from api.schemas import DAYS, LAT, LON, RADIUS_KM, YEARS
from graph.chart import flows_png
from query.lang.filters import Filters
from ranking.search.insights import pool_insights
from ranking.search.pipeline import SearchRequest

router = APIRouter(prefix="/v1", tags=["insights"], route_class=CheckedRoute, responses=errors(401))


class Supply(BaseModel):
    candidates: int
    open_to_work: int
    recently_hired: int
    without_current_employer: int
    median_tenure_months: float | None
    mean_propensity_to_move: float | None
    likely_to_move: int = Field(description="propensity to move >= 0.5")


class PlaceCount(BaseModel):
    city: str | None
    region: str | None
    country: str | None
    count: int


class TitleCount(BaseModel):
    title: str
    count: int


class OccupationCount(BaseModel):
    code: str
    title: str
    count: int


class SkillCount(BaseModel):
    skill: str
    count: int


class SchoolCount(BaseModel):
    school: str
    count: int


class CompanyCount(BaseModel):
    company_id: str
    company: str | None
    count: int


class Destination(BaseModel):
    company_id: str
    company: str | None
    share: float = Field(description="expected share of the pool's moves out that go there")
    moves: int


class FlaggedCompany(BaseModel):
    company_id: str
    company: str | None
    pool_count: int
    headcount: int
    growth_12: float | None
    rel_growth_12: float | None
    rel_growth_24: float | None
    hires_12: int
    departures_12: int
    layoff_signal: float | None
    layoff_month: str | None = Field(None, description="YYYY-MM")


class Flow(BaseModel):
    company_id: str
    company: str | None
    moves: int
    net: int = Field(description="moves into the target company minus moves out, over the whole market")
    moves_other_way: int


class Versus(BaseModel):
    company_id: str
    company: str | None
    window_months: int
    moves_in: int
    moves_out: int
    wins_from: list[Flow]
    loses_to: list[Flow]
    pool_wins_from: list[CompanyCount]
    pool_loses_to: list[CompanyCount]


class Pool(BaseModel):
    matched: int
    used: int
    in_graph: int
    truncated: bool
    index_version: str
    graph_index_version: str | None


class Insights(BaseModel):
    as_of: str
    window_months: int
    supply: Supply
    top_locations: list[PlaceCount]
    top_titles: list[TitleCount]
    top_occupations: list[OccupationCount]
    top_skills: list[SkillCount]
    top_companies: list[CompanyCount]
    top_schools: list[SchoolCount]
    came_from: list[CompanyCount]
    goes_to: list[Destination]
    fast_growing: list[FlaggedCompany]
    layoffs: list[FlaggedCompany]
    vs_company: Versus | None = None
    pool: Pool
    timings_ms: dict[str, float]


_PNG = {"image/png": {"schema": {"type": "string", "format": "binary"}}}


@router.get("/insights", operation_id="getInsights", response_model=Insights,
            responses={200: {"content": _PNG, "description": "the insights (JSON), or a chart of the flows (format=png)"},
                       **errors(422, 503)})
def get_insights(
    tenant_id: Tenant, engine: Engine,
    query: Annotated[str, Query(max_length=4096, description="Boolean query or keywords; empty = every profile "
                                                              "passing the filters")] = "",
    near: str | None = None,
    lat: Annotated[float | None, Query(**LAT)] = None,
    lon: Annotated[float | None, Query(**LON)] = None,
    radius_km: Annotated[float | None, Query(**RADIUS_KM)] = None,
    min_years: Annotated[float | None, Query(**YEARS)] = None,
    max_years: Annotated[float | None, Query(**YEARS)] = None,
    seniority: Annotated[list[str] | None, Query()] = None,
    company: Annotated[list[str] | None, Query()] = None,
    not_company: Annotated[list[str] | None, Query()] = None,
    past_company: Annotated[list[str] | None, Query()] = None,
    open_to_work: bool | None = None,
    active_within_days: Annotated[int | None, Query(**DAYS)] = None,
    vs_company: Annotated[str | None, Query(description="company to compare: who it wins talent from and "
                                                        "loses it to")] = None,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
    window_months: Annotated[int, Query(ge=1, le=60)] = 24,
    pool_limit: Annotated[int, Query(ge=1, le=1_000_000, description="most matches in the pool (best BM25 first)")] = 100_000,
    syntax: Literal["auto", "boolean", "keywords"] = "auto",
    format: Annotated[Literal["json", "png"], Query(description="png: a chart of the pool's flows")] = "json",
):
    """Who the pool is, where it lives, where it came from and goes, who wins it (and from whom)."""
    raw = {"near": near, "lat": lat, "lon": lon, "radius_km": radius_km, "min_years": min_years,
           "max_years": max_years, "seniority": seniority, "current_company": company,
           "not_current_company": not_company, "past_company": past_company, "open_to_work": open_to_work,
           "active_within_days": active_within_days}
    filters = Filters.from_dict({k: v for k, v in raw.items() if v is not None}, tenant_id=tenant_id)
    out = pool_insights(engine, SearchRequest(query=query, filters=filters, syntax=syntax), vs_company=vs_company,
                        top=top, window_months=window_months, pool_limit=pool_limit)
    if format == "png":
        return Response(flows_png(out, title=query), media_type="image/png")
    return out
