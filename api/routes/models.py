"""Per-tenant ranking models over HTTP: list, train, promote, roll back (ranking/ltr/train.py, ranking/ltr/registry.py).

Every call acts on the caller's tenant only (the API key's tenant, or ``X-Tenant-Id`` in development
mode); another tenant's versions are "not found". Training reads only the caller's own events.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import CheckedRoute, Config, RequiredTenant
from api.problems import errors
from ranking.fairness.attributes import AttributeStore
from ranking.fairness.gate import FairnessGate
from ranking.ltr.train import LtrConfig, train_scope
from ranking.ltr.registry import ModelRegistry
from records.errors import NotFoundError

router = APIRouter(prefix="/v1/models", tags=["models"], route_class=CheckedRoute, responses=errors(401))


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
    metrics: dict[str, Any] = Field({}, description="training and holdout metrics (holdout_ndcg@10, gate_metric, ...)")
    training_window: dict[str, Any] | None = None
    feature_names: list[str] = []


class HistoryEntry(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    action: str = Field(description="promote or rollback")
    version: str | None = Field(None, description="the version served from then on; null = hybrid order")
    at: str = Field(description="UTC, ISO 8601")
    reason: str | None = None
    from_version: str | None = Field(None, alias="from", description="rollback: the version it replaced")


class ModelsList(BaseModel):
    tenant_id: str
    current: str | None = Field(description="the promoted version serving this tenant's searches; null = hybrid order "
                                            "(or the global model when one is promoted)")
    versions: list[ModelInfo]
    history: list[HistoryEntry]


class TrainResult(BaseModel):
    version: str
    promoted: bool
    reason: str
    metrics: dict[str, Any]
    rows: int
    requests: int


def _listing(settings, tenant_id: str) -> ModelsList:
    reg = ModelRegistry(settings.ltr_dir)
    cur = reg.current(tenant_id)
    return ModelsList(
        tenant_id=tenant_id, current=cur.version if cur else None,
        history=[HistoryEntry.model_validate(h) for h in reg.history(tenant_id)],
        versions=[ModelInfo(version=mv.version, created_at=mv.manifest.get("created_at"),
                            current=bool(cur and cur.version == mv.version), metrics=mv.manifest.get("metrics", {}),
                            training_window=mv.manifest.get("training_window"),
                            feature_names=mv.manifest.get("feature_names", [])) for mv in reg.versions(tenant_id)])


@router.get("", operation_id="listModels", response_model=ModelsList, responses=errors(422))
def list_models(tenant_id: RequiredTenant, settings: Config) -> ModelsList:
    """The caller's model versions, the promoted one, and the promote/rollback history."""
    return _listing(settings, tenant_id)


@router.post("/train", operation_id="trainModel", response_model=TrainResult, responses=errors(422))
async def train_model(tenant_id: RequiredTenant, settings: Config, body: TrainBody | None = None) -> TrainResult:
    """Train on the caller's events; promoted only if the holdout nDCG@10 (propensity-weighted when debiasing)
    does not fall below that of what serves the tenant now."""
    body = body or TrainBody()
    cfg = LtrConfig(debias=body.debias, select=body.select, gate=body.gate)
    gate = FairnessGate.from_store(AttributeStore(settings.fairness_dir), (tenant_id,),
                                   min_impact_ratio=settings.fairness_min_impact_ratio,
                                   max_relative_drop=settings.fairness_max_relative_drop, pages=settings.fairness_gate_pages)
    rep = await run_in_threadpool(functools.partial(train_scope, settings.ltr_dir, tenant_id, cfg, fairness=gate))
    return TrainResult(version=rep.version, promoted=rep.promoted, reason=rep.reason, metrics=rep.metrics,
                       rows=rep.rows, requests=rep.requests)


@router.post("/{version}/promote", operation_id="promoteModel", response_model=ModelsList, responses=errors(404, 422))
def promote_model(version: str, tenant_id: RequiredTenant, settings: Config) -> ModelsList:
    """Serve this version from now on (no gate: an operator's decision, recorded in the history)."""
    if not re.fullmatch(r"v\d{6}", version):
        raise NotFoundError(f"model {version!r} not found")
    ModelRegistry(settings.ltr_dir).promote(tenant_id, version, reason="promoted through the API")
    return _listing(settings, tenant_id)


@router.post("/rollback", operation_id="rollbackModel", response_model=ModelsList, responses=errors(404, 422))
def rollback_model(tenant_id: RequiredTenant, settings: Config) -> ModelsList:
    """Serve the previously promoted version again (none left: hybrid order)."""
    ModelRegistry(settings.ltr_dir).rollback(tenant_id)
    return _listing(settings, tenant_id)
