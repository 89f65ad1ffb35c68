"""Bulk jobs (api/jobs.py): ``POST /v1/jobs/rerank`` with a Parquet body or ``POST /v1/jobs/evaluate`` with
qualifications and candidate ids, then status, result
and cancel by job id. Jobs belong to the caller's tenant; another tenant's job is "not found"."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CheckedRoute, Tenant
from api.jobs import JobManager
from api.problems import errors
from api.schemas import QualificationIn
from query.qualifications import MAX_QUALIFICATIONS
from ranking.evaluate.bulk import MAX_BULK_CANDIDATES

PARQUET = "application/vnd.apache.parquet"
router = APIRouter(prefix="/v1/jobs", tags=["jobs"], route_class=CheckedRoute, responses=errors(401))


class JobStatus(BaseModel):
    job_id: str
    state: Literal["queued", "running", "done", "cancelled", "failed"]
    total_rows: int
    rows_done: int
    progress: float = Field(description="rows_done / total_rows")
    created_at: float
    error: str | None = None
    attempts: int = Field(0, description="attempts that met an unavailable index or backend (retried with backoff)")
    next_attempt_at: float | None = Field(None, description="when a waiting job is tried again (epoch seconds)")
    queries: int | None = None
    invalid_rows: int | None = None
    not_found: int | None = None
    split_queries: int | None = None
    finished_at: float | None = None


def _jobs(request: Request) -> JobManager:
    return request.app.state.jobs


Jobs = Annotated[JobManager, Depends(_jobs)]
_LOCATION = {"Location": {"description": "the job's status URL (GET it to poll)", "required": True,
                          "schema": {"type": "string", "format": "uri"}}}


@router.post("/rerank", operation_id="submitRerankJob", response_model=JobStatus, status_code=202,
             responses={202: {"headers": _LOCATION}, **errors(422, 503)},
             openapi_extra={"requestBody": {"required": True, "content": {PARQUET: {"schema": {"type": "string",
                                                                                             "format": "binary"}}}}})
async def submit_rerank_job(request: Request, response: Response, tenant_id: Tenant, jobs: Jobs,
                            batch_rows: int = Query(20_000, ge=100, le=1_000_000)) -> JobStatus:
    """A bulk re-ranking job: the body is a Parquet file with ``query_id``, ``query``, ``candidate_id``
    (rows of a query contiguous). Poll ``Location`` (``GET /v1/jobs/{job_id}``); fetch ``.../result`` when done."""
    data = await request.body()
    status = JobStatus(**jobs.submit(tenant_id, data, batch_rows=batch_rows))
    response.headers["Location"] = str(request.url_for("getJob", job_id=status.job_id))
    return status


class EvaluateJobBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    qualifications: list[QualificationIn] = Field(..., min_length=1, max_length=MAX_QUALIFICATIONS)
    candidate_ids: list[str] = Field(..., min_length=1, max_length=MAX_BULK_CANDIDATES)


@router.post("/evaluate", operation_id="submitEvaluateJob", response_model=JobStatus, status_code=202,
             responses={202: {"headers": _LOCATION}, **errors(422, 503)})
def submit_evaluate_job(body: EvaluateJobBody, request: Request, response: Response, tenant_id: Tenant,
                        jobs: Jobs) -> JobStatus:
    """A bulk evaluation job: up to 100,000 candidates judged against the qualifications, in resumable units.
    The result Parquet has one row per distinct candidate (rank, score, must-haves met, judgements as JSON)."""
    spec = {"qualifications": [q.model_dump(exclude_none=True) for q in body.qualifications],
            "candidate_ids": body.candidate_ids}
    status = JobStatus(**jobs.submit_evaluation(tenant_id, spec))
    response.headers["Location"] = str(request.url_for("getJob", job_id=status.job_id))
    return status


@router.get("/{job_id}", operation_id="getJob", name="getJob", response_model=JobStatus, responses=errors(404, 422))
def get_job(job_id: str, tenant_id: Tenant, jobs: Jobs) -> JobStatus:
    return JobStatus(**jobs.status(tenant_id, job_id))


@router.get("/{job_id}/result", operation_id="getJobResult", response_class=FileResponse,
            responses={200: {"description": "the result Parquet file",
                             "content": {PARQUET: {"schema": {"type": "string", "format": "binary"}}}},
                       **errors(404, 422)})
def get_job_result(job_id: str, tenant_id: Tenant, jobs: Jobs):
    """The job's output Parquet (one row per input row: ranks, scores, explanations)."""
    return FileResponse(jobs.result_path(tenant_id, job_id), media_type=PARQUET, filename=f"job-{job_id}.parquet")


@router.delete("/{job_id}", operation_id="cancelJob", response_model=JobStatus, responses=errors(404, 422))
def cancel_job(job_id: str, tenant_id: Tenant, jobs: Jobs) -> JobStatus:
    """Cancel a queued or running job (it stops after the unit in hand)."""
    return JobStatus(**jobs.cancel(tenant_id, job_id))
