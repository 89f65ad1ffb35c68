"""Re-ranking endpoints: ``POST /v1/rerank`` (synchronous, up to 1,000 candidates) and bulk jobs
(``POST /v1/jobs/rerank`` with a Parquet body, then status, result and cancel by job id)."""
from __future__ import annotations

from typing import Literal

from fastapi import FastAPI, Header, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from api.jobs import JobManager
from ranking.rerank import MAX_CANDIDATES, RerankRequest, rerank

PARQUET = "application/vnd.apache.parquet"


class RerankBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "query": 'title:"data engineer" AND spark', "candidate_ids": ["c0000001", "c0000002"]}]})
    query: str = Field(..., min_length=1, max_length=4096, description="Boolean query or natural language")
    candidate_ids: list[str] = Field(..., min_length=1, max_length=MAX_CANDIDATES)
    syntax: Literal["auto", "boolean", "keywords"] = "auto"
    mode: Literal["hybrid", "lexical", "dense"] = "hybrid"
    explain: bool = False


class RerankedItem(BaseModel):
    candidate_id: str
    status: Literal["ok", "no_match", "not_found"]
    rank: int | None
    score: float | None
    lexical_score: float | None = None
    dense_score: float | None = None
    matched_fields: list[str] = []
    explanation: str = ""


class RerankResult(BaseModel):
    items: list[RerankedItem]
    index_version: str
    model_version: str | None = None
    request_id: str = ""


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


def install(app: FastAPI, errors: dict) -> None:
    @app.post("/v1/rerank", response_model=RerankResult, responses=errors, tags=["rerank"])
    def rerank_sync(body: RerankBody, x_tenant_id: str | None = Header(None, description="caller's tenant")) -> RerankResult:
        """Score and order the given candidates for the query, as a search would; every candidate
        comes back once with a status (``not_found`` also for another tenant's private profiles)."""
        res = rerank(app.state.engine, RerankRequest(body.query, tuple(body.candidate_ids), tenant_id=x_tenant_id,
                                                     syntax=body.syntax, mode=body.mode, explain=body.explain))
        return RerankResult(items=[RerankedItem(candidate_id=r.candidate_id, status=r.status, rank=r.rank, score=r.score,
                                                lexical_score=r.lexical_score, dense_score=r.dense_score,
                                                matched_fields=list(r.matched_fields), explanation=r.explanation)
                                   for r in res.items],
                            index_version=res.index_version, model_version=res.model_version, request_id=res.request_id)

    @app.post("/v1/jobs/rerank", response_model=JobStatus, status_code=202, responses=errors, tags=["jobs"],
              openapi_extra={"requestBody": {"required": True, "content": {PARQUET: {"schema": {"type": "string", "format": "binary"}}}}})
    async def submit(request: Request, batch_rows: int = Query(20_000, ge=100, le=1_000_000),
                     x_tenant_id: str | None = Header(None, description="caller's tenant")) -> JobStatus:
        """A bulk re-ranking job: the body is a Parquet file with ``query_id``, ``query``, ``candidate_id``
        (rows of a query contiguous). Poll ``GET /v1/jobs/{job_id}``; fetch ``.../result`` when done."""
        data = await request.body()
        return JobStatus(**jobs(app).submit(x_tenant_id, data, batch_rows=batch_rows))

    @app.get("/v1/jobs/{job_id}", response_model=JobStatus, responses=errors, tags=["jobs"])
    def status(job_id: str, x_tenant_id: str | None = Header(None)) -> JobStatus:
        return JobStatus(**jobs(app).status(x_tenant_id, job_id))

    @app.get("/v1/jobs/{job_id}/result", responses={**errors, 200: {"content": {PARQUET: {}}}}, tags=["jobs"],
             response_class=FileResponse)
    def result(job_id: str, x_tenant_id: str | None = Header(None)):
        """The job's output Parquet (one row per input row: ranks, scores, explanations)."""
        return FileResponse(jobs(app).result_path(x_tenant_id, job_id), media_type=PARQUET,
                            filename=f"rerank-{job_id}.parquet")

    @app.delete("/v1/jobs/{job_id}", response_model=JobStatus, responses=errors, tags=["jobs"])
    def cancel(job_id: str, x_tenant_id: str | None = Header(None)) -> JobStatus:
        """Cancel a queued or running job (it stops after the unit in hand)."""
        return JobStatus(**jobs(app).cancel(x_tenant_id, job_id))


def jobs(app: FastAPI) -> JobManager:
    return app.state.jobs
