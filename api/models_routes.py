"""Per-tenant ranking models over HTTP: list, train, promote, roll back (ranking/ltr.py, ranking/registry.py).

Every call acts on the caller's tenant only (the API key's tenant, or ``X-Tenant-Id`` in development
mode); another tenant's versions are "not found". Training reads only the caller's own events.
"""
from __future__ import annotations

import re
from typing import Literal

from fastapi import FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from records.errors import NotFoundError, QueryError


class TrainBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    debias: Literal["position", "none"] = Field("position", description="position-debiased lambdarank and a propensity-"
                                                "weighted promotion gate, or none (ablation)")
    gate: Literal["auto", "ips", "raw"] = Field("auto", description="holdout metric of the promotion gate: ips (inverse "
                                                "propensity weighted), raw engagement labels, or auto (ips when debiasing)")
    select: bool = Field(False, description="choose tree shape and rounds on an inner split of the tenant's requests "
                                            "(one-standard-error rule) instead of the fixed 7-leaf tree")


class ModelInfo(BaseModel):
    version: str
    created_at: str | None = None
    current: bool
    metrics: dict = {}
    training_window: dict | None = None
    feature_names: list[str] = []


class ModelsList(BaseModel):
    tenant_id: str
    current: str | None = Field(description="the promoted version serving this tenant's searches; null = hybrid order "
                                            "(or the global model when one is promoted)")
    versions: list[ModelInfo]
    history: list[dict]


class TrainResult(BaseModel):
    version: str
    promoted: bool
    reason: str
    metrics: dict
    rows: int
    requests: int


def install(app: FastAPI, settings, errors: dict) -> None:
    def registry():
        from ranking.registry import ModelRegistry

        return ModelRegistry(settings.ltr_dir)

    def tenant(x_tenant_id: str | None) -> str:
        from ranking.events import check_tenant
        from records.errors import ValidationError

        if not x_tenant_id:
            raise QueryError("X-Tenant-Id: models belong to a tenant; authenticate or send the header")
        try:
            return check_tenant(x_tenant_id)
        except ValidationError as exc:
            raise QueryError(f"X-Tenant-Id: {exc}") from exc

    def listing(t: str) -> ModelsList:
        reg = registry()
        cur = reg.current(t)
        return ModelsList(tenant_id=t, current=cur.version if cur else None, history=reg.history(t), versions=[
            ModelInfo(version=mv.version, created_at=mv.manifest.get("created_at"), current=bool(cur and cur.version == mv.version),
                      metrics=mv.manifest.get("metrics", {}), training_window=mv.manifest.get("training_window"),
                      feature_names=mv.manifest.get("feature_names", [])) for mv in reg.versions(t)])

    @app.get("/v1/models", response_model=ModelsList, responses=errors, tags=["models"])
    def models(x_tenant_id: str | None = Header(None, description="caller's tenant")) -> ModelsList:
        """The caller's model versions, the promoted one, and the promote/rollback history."""
        return listing(tenant(x_tenant_id))

    @app.post("/v1/models/train", response_model=TrainResult, responses=errors, tags=["models"])
    async def train(body: TrainBody | None = None, x_tenant_id: str | None = Header(None)) -> TrainResult:
        """Train on the caller's events; promoted only if the holdout nDCG@10 (propensity-weighted when debiasing)
        does not fall below that of what serves the tenant now."""
        from ranking.ltr import LtrConfig, train_scope

        t = tenant(x_tenant_id)
        body = body or TrainBody()
        cfg = LtrConfig(debias=body.debias, select=body.select, gate=body.gate)
        rep = await run_in_threadpool(train_scope, settings.ltr_dir, t, cfg)
        return TrainResult(version=rep.version, promoted=rep.promoted, reason=rep.reason, metrics=rep.metrics,
                           rows=rep.rows, requests=rep.requests)

    @app.post("/v1/models/{version}/promote", response_model=ModelsList, responses=errors, tags=["models"])
    def promote(version: str, x_tenant_id: str | None = Header(None)) -> ModelsList:
        """Serve this version from now on (no gate: an operator's decision, recorded in the history)."""
        t = tenant(x_tenant_id)
        if not re.fullmatch(r"v\d{6}", version):
            raise NotFoundError(f"model {version!r} not found")
        registry().promote(t, version, reason="promoted through the API")
        return listing(t)

    @app.post("/v1/models/rollback", response_model=ModelsList, responses=errors, tags=["models"])
    def rollback(x_tenant_id: str | None = Header(None)) -> ModelsList:
        """Serve the previously promoted version again (none left: hybrid order)."""
        t = tenant(x_tenant_id)
        registry().rollback(t)
        return listing(t)
