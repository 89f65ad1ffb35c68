"""``POST /v1/evaluate``, ``GET /v1/evaluations``, ``GET /v1/evaluations/{id}``: candidates judged against
qualifications with evidence that quotes the profile (ranking/evaluate/). Evaluations are kept per tenant;
another tenant's evaluation is 404 and another tenant's private candidate is ``not_found``."""
from __future__ import annotations

import threading
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CheckedRoute, Config, Engine, Tenant
from api.problems import errors
from api.schemas import FilterBody, QualificationIn
from query.intake.requirements import Intake
from query.lang.filters import Filters
from query.qualifications import MAX_QUALIFICATIONS, from_requirements
from ranking.evaluate.model import VERDICTS
from ranking.evaluate.service import MAX_CANDIDATES, EvaluateRequest, evaluate
from ranking.evaluate.store import EvaluationStore
from ranking.search.pipeline import SearchRequest
from records.errors import QueryError

router = APIRouter(prefix="/v1", tags=["evaluate"], route_class=CheckedRoute, responses=errors(401))
_LOCK = threading.Lock()


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field("", max_length=4096)
    filters: FilterBody = Field(default_factory=FilterBody)
    k: int = Field(50, ge=1, le=MAX_CANDIDATES)


class EvaluateBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "qualifications": [{"kind": "skill", "text": "Apache Spark"}, {"kind": "years", "min_years": 5},
                           {"kind": "location", "text": "Berlin", "radius_km": 50, "must": False}],
        "candidate_ids": ["c0000001", "c0000002"]}]})
    qualifications: list[QualificationIn] | None = Field(None, min_length=1, max_length=MAX_QUALIFICATIONS)
    requirements: str | None = Field(None, min_length=1, max_length=20_000,
                                     description="a job description; intake derives the qualifications")
    candidate_ids: list[str] | None = Field(None, min_length=1, max_length=MAX_CANDIDATES)
    search: SearchIn | None = Field(None, description="evaluate the top k hits of this search instead")
    store: bool = Field(True, description="keep the evaluation (GET /v1/evaluations/{id})")


class EvidenceOut(BaseModel):
    field: str
    text: str = Field(description="the exact span: profile[field][start:end]")
    start: int
    end: int
    entry: int | None = None
    dates: list[str | None] | None = None
    note: str = ""


class JudgementOut(BaseModel):
    qualification_id: str
    verdict: Literal[VERDICTS]  # type: ignore[valid-type]
    confidence: float
    reason: str
    evidence: list[EvidenceOut]


class CandidateOut(BaseModel):
    candidate_id: str
    status: Literal["ok", "not_found"]
    rank: int | None
    score: float | None
    must_met: int
    must_total: int
    all_musts: bool
    judgements: list[JudgementOut]


class EvaluationOut(BaseModel):
    evaluation_id: str
    tenant_id: str | None
    created: str
    evaluator: str
    qualifications: list[dict]
    candidates: list[CandidateOut]
    guard: list[dict] = Field(description="qualifications the responsible-AI guard stripped, with the reason")
    notes: list[str] = []


class EvaluationSummary(BaseModel):
    evaluation_id: str
    created: str
    evaluator: str
    candidates: int
    qualifications: list[str]


class EvaluationList(BaseModel):
    items: list[EvaluationSummary]


def _state(request: Request, name: str, make):
    with _LOCK:
        if getattr(request.app.state, name, None) is None:
            setattr(request.app.state, name, make())
        return getattr(request.app.state, name)


@router.post("/evaluate", operation_id="evaluate", response_model=EvaluationOut, responses=errors(422, 503))
def evaluate_candidates(body: EvaluateBody, request: Request, tenant_id: Tenant, engine: Engine,
                        settings: Config) -> EvaluationOut:
    """Judge each candidate on each qualification: verdict, confidence and evidence quoting the profile;
    ordered with every must-have met first. Give ``qualifications`` or ``requirements``, and
    ``candidate_ids`` or ``search``."""
    if (body.qualifications is None) == (body.requirements is None):
        raise QueryError("give exactly one of qualifications and requirements")
    if (body.candidate_ids is None) == (body.search is None):
        raise QueryError("give exactly one of candidate_ids and search")
    if body.qualifications is not None:
        quals = [q.model_dump(exclude_none=True) for q in body.qualifications]
    else:
        intake = _state(request, "intake", Intake)
        quals = list(from_requirements(intake.from_text(body.requirements)))
    if body.candidate_ids is not None:
        ids = tuple(body.candidate_ids)
    else:
        filters = Filters.from_dict(body.search.filters.model_dump(exclude_none=True), tenant_id=tenant_id)
        res = engine.search(SearchRequest(query=body.search.query, filters=filters, k=body.search.k))
        ids = tuple(h.candidate_id for h in res.hits)
        if not ids:
            raise QueryError("search: the search found no candidates to evaluate")
    store = EvaluationStore(settings.evaluations_dir) if body.store else None
    result = evaluate(engine, engine.evaluator, EvaluateRequest(tuple(quals), ids, tenant_id=tenant_id), store=store)
    return EvaluationOut(**result.to_dict())


@router.get("/evaluations", operation_id="listEvaluations", response_model=EvaluationList, responses=errors(422))
def list_evaluations(tenant_id: Tenant, settings: Config) -> EvaluationList:
    """The caller's stored evaluations, newest first (50)."""
    return EvaluationList(items=EvaluationStore(settings.evaluations_dir).list(tenant_id))


@router.get("/evaluations/{evaluation_id}", operation_id="getEvaluation", response_model=EvaluationOut,
            responses=errors(404, 422))
def get_evaluation(evaluation_id: str, tenant_id: Tenant, settings: Config) -> EvaluationOut:
    """One stored evaluation of the caller's tenant (another tenant's is 404)."""
    data = EvaluationStore(settings.evaluations_dir).get(tenant_id, evaluation_id)
    data.pop("schema", None)
    return EvaluationOut(**data)
