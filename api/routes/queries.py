"""``POST /v1/queries/generate`` and ``/v1/queries/refine``: the LLM query layer (issue 7) over HTTP;
the planner, expander and history come from api/queries.py."""
from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.deps import CheckedRoute, Config, Engine, Tenant
from api.problems import Finding, errors
from api.queries import build_generator, pool_counter, record_engagement
from api.schemas import FilterFields
from query.llm.generate import QueryGenerator
from query.refine import Feedback, RefineConfig, Refiner

router = APIRouter(prefix="/v1/queries", tags=["queries"], route_class=CheckedRoute, responses=errors(401))


# ---- requests ----------------------------------------------------------------------------------------
class Requirements(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(None, max_length=200_000,
                             description="a job posting as pasted (title line, location line, description; HTML is "
                                         "read as text) or one request sentence; the first 60,000 characters are read")
    title: str | None = Field(None, max_length=300, description="the posting's own title field, when known (with text)")
    location: str | None = Field(None, max_length=300, description="the posting's own location field (with text)")
    requirements: dict | None = Field(None, description="structured fields: titles, seniority, locations, "
                                      "must_have, nice_to_have, min_years, max_years, exclude_companies, ...")

    @model_validator(mode="after")
    def _one(self):
        if (self.text is None) == (self.requirements is None):
            raise ValueError("give exactly one of 'text' or 'requirements'")
        if self.requirements is not None and (self.title or self.location):
            raise ValueError("'title' and 'location' go with 'text'")
        return self

    def inputs(self) -> dict:
        if self.text is not None:
            return {"text": self.text, "title": self.title, "location": self.location}
        return {"fields": self.requirements}


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engagement_rate: float | None = Field(None, ge=0, le=1)
    relevant_share: float | None = Field(None, ge=0, le=1)


class RefineBody(Requirements):
    target_min: int = Field(50, ge=0)
    target_max: int = Field(500, ge=1)
    max_steps: int = Field(6, ge=1, le=20)
    feedback: FeedbackBody | None = None


# ---- responses ---------------------------------------------------------------------------------------
class WantedLocation(BaseModel):
    name: str
    radius_km: float


class PostingPlace(BaseModel):
    city: str | None = None
    region: str | None = None
    country: str | None = None
    remote: bool = False
    written: str = ""
    lat: float | None = None
    lon: float | None = None
    label: str = ""


class SkillYears(BaseModel):
    skill: str
    min_years: float


class HiringRequirements(BaseModel):
    """What intake read (query/intake/requirements.py): titles, occupation, skills, places, years, companies."""
    titles: list[str]
    occupation_code: str | None
    occupation_title: str | None
    seniority: list[str]
    locations: list[WantedLocation]
    must_have: list[str]
    nice_to_have: list[str]
    competencies: list[str]
    min_years: float | None
    max_years: float | None
    exclude_companies: list[str]
    current_company: list[str]
    past_company: list[str]
    not_current_company: list[str]
    open_to_work: bool | None
    notes: list[str]
    place: PostingPlace | None
    skill_kinds: dict[str, str] = Field(description="skill -> technology, knowledge, credential or language")
    skill_years: list[SkillYears]
    sections: list[str]


class Strategy(BaseModel):
    name: str = Field(description="strict, broad, semantic, history, or a provider's own label")
    query: str
    filters: FilterFields
    rationale: str
    syntax: str
    mode: str


class Generation(BaseModel):
    requirements: HiringRequirements
    strategies: list[Strategy]
    provider: str
    is_llm: bool
    model: str | None
    prompt_version: str | None
    fallback_reason: str | None
    guard: list[Finding]
    notes: list[str]


class RefineStep(BaseModel):
    step: int
    query: str
    filters: FilterFields
    count: int
    action: str = Field(description="start, broaden:<how>, narrow:<how> or stop")
    reason: str


class Refinement(BaseModel):
    strategy: Strategy
    count: int
    status: str = Field(description="in_range, max_steps or no_action")
    trace: list[RefineStep]
    requirements: HiringRequirements
    provider: str
    guard: list[Finding]
    prior_recorded: bool


def _generator(request: Request, settings: Config) -> QueryGenerator:
    state = request.app.state
    if getattr(state, "query_generator", None) is None:
        state.query_generator = build_generator(settings)
    return state.query_generator


# exclude_unset: a strategy's filters carry only the filters it sets, as the engine wrote them
@router.post("/generate", operation_id="generateQueries", response_model=Generation, response_model_exclude_unset=True,
             responses=errors(422))
def generate_queries(body: Requirements, tenant_id: Tenant, request: Request, settings: Config) -> Generation:
    """Requirements (a posting's text or structured fields) -> runnable query strategies."""
    res = _generator(request, settings).generate(tenant_id=tenant_id, **body.inputs())
    return Generation.model_validate(res.to_dict())


@router.post("/refine", operation_id="refineQuery", response_model=Refinement, response_model_exclude_unset=True,
             responses=errors(422, 503))
def refine_query(body: RefineBody, tenant_id: Tenant, engine: Engine, request: Request, settings: Config) -> Refinement:
    """Run the strict query and broaden or narrow it toward a pool size; the trace says each step and why."""
    gen = _generator(request, settings)
    res = gen.generate(tenant_id=tenant_id, **body.inputs())
    refiner = Refiner(gen.taxonomy, gen.expander, RefineConfig(body.target_min, body.target_max, body.max_steps))
    feedback = Feedback(**body.feedback.model_dump()) if body.feedback else None
    out = refiner.refine(res.requirements, pool_counter(engine, tenant_id=tenant_id), feedback=feedback)
    recorded = False
    if feedback is not None and feedback.engagement_rate:
        recorded = record_engagement(gen, tenant_id, res.requirements,
                                     dataclasses.replace(out.strategy, query=out.trace[0].query,
                                                         filters=out.trace[0].filters), feedback.engagement_rate)
    return Refinement.model_validate({**out.to_dict(), "provider": res.provider,
                                      "guard": [g.to_dict() for g in res.guard], "prior_recorded": recorded})
