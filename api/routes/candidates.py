"""``GET /v1/candidates/{candidate_id}``: one profile as stored (records/schema.py), tenant-scoped; an unfolded live write as written."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import CheckedRoute, Engine, Tenant
from api.problems import errors

router = APIRouter(prefix="/v1", tags=["candidates"], route_class=CheckedRoute, responses=errors(401))


class Place(BaseModel):
    city: str | None = None
    region: str | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-2")
    lat: float | None = None
    lon: float | None = None


class Position(BaseModel):
    company_id: str | None = None
    company_name: str | None = None
    title: str | None = None
    start: dt.date | None = None
    end: dt.date | None = Field(None, description="null = current position")
    description: str | None = None


class Education(BaseModel):
    school: str | None = None
    degree: str | None = None
    field: str | None = None
    start_year: int | None = None
    end_year: int | None = None


class Candidate(BaseModel):
    """The profile as given at ingest and the fields derived from it (``INDEXED_SCHEMA``)."""
    candidate_id: str
    headline: str | None = None
    summary: str | None = None
    location: Place | None = None
    positions: list[Position] | None = None
    skills: list[str] | None = None
    education: list[Education] | None = None
    open_to_work: bool | None = None
    last_active: dt.date | None = None
    owner_tenant: str | None = Field(None, description="null = network profile, visible to every tenant")
    current_title: str | None = None
    current_company_id: str | None = None
    current_company_name: str | None = None
    past_company_ids: list[str] | None = None
    years_experience: float | None = Field(None, description="merged position spans, years")
    seniority: str | None = None
    seniority_level: int | None = None
    tenure_months: float | None = Field(None, description="in the current role")
    occupation_code: str | None = Field(None, description="O*NET-SOC")
    occupation_title: str | None = None
    occupation_score: float | None = Field(None, description="0..1 confidence of the title match")
    skills_normalized: list[str] | None = None


@router.get("/candidates/{candidate_id}", operation_id="getCandidate", response_model=Candidate,
            responses=errors(404, 422, 503))
def get_candidate(candidate_id: str, tenant_id: Tenant, engine: Engine, request: Request) -> Candidate:
    """One profile; another tenant's private profile is "not found". An acknowledged write that is not folded
    into the published index yet is shown as written (a delete: "not found")."""
    live = getattr(request.app.state, "live", None)
    pending = live.unfolded(candidate_id, tenant_id) if live is not None else None
    return Candidate.model_validate(pending if pending is not None else engine.get(candidate_id, tenant_id=tenant_id))
