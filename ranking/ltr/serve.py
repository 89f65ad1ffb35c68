"""Serving a tenant's LightGBM model: the loaded model, and the featurize + re-rank stage of the search
pipeline (``ranking.search.pipeline.Reranker``) with its feature log and exploration."""
from __future__ import annotations

import dataclasses

import hashlib
import logging
import threading
from dataclasses import dataclass, field

import numpy as np

from ranking.ltr.events import EventStores, feature_set_id
from ranking.ltr.features import FEATURE_NAMES, FeatureSet, build_context, pool_from_runs
from ranking.ltr.registry import ModelRegistry, ModelVersion
from records.errors import MissingDependencyError, ValidationError

log = logging.getLogger("talentsearch.ltr")


def _lgb():
    try:
        import lightgbm
    except ImportError as exc:   # a core dependency; this only fires in a broken install
        raise MissingDependencyError("lightgbm", "ltr") from exc
    return lightgbm


class LtrModel:
    """A loaded model.txt with its manifest; refuses a model whose features are not FEATURE_NAMES."""

    def __init__(self, mv: ModelVersion):
        names = tuple(mv.manifest.get("feature_names", ()))
        if names != FEATURE_NAMES:
            raise ValidationError(f"{mv.path}: model features differ from this engine's FeatureSet; retrain")
        self.version = f"{mv.scope}/{mv.version}"
        self.booster = _lgb().Booster(model_file=str(mv.path / "model.txt"))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.booster.predict(X, num_threads=1)

    def explain(self, X: np.ndarray, top: int = 3) -> list[list[tuple[str, float]]]:
        """Top ``top`` features by |contribution| per row (LightGBM pred_contrib, SHAP values)."""
        contrib = self.booster.predict(X, pred_contrib=True, num_threads=1)[:, :-1]
        order = np.argsort(-np.abs(contrib), axis=1)[:, :top]
        return [[(FEATURE_NAMES[j], round(float(contrib[i, j]), 4)) for j in row] for i, row in enumerate(order)]


# -- serving --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LtrSettings:
    budget: int = 200          # fused candidates the model re-ranks
    explain_top: int = 3       # feature contributions returned per hit
    log_features: bool = True  # log served feature vectors (needs a tenant)
    explore: float = 0.0       # share of logged pages shown with random adjacent swaps (position propensity data)
    explore_depth: int = 10    # swaps stay among the first explore_depth hits of the page

    def __post_init__(self) -> None:
        if not 0.0 <= self.explore <= 1.0:
            raise ValueError(f"explore: a share in [0, 1], got {self.explore}")
        if self.explore_depth < 2:
            raise ValueError(f"explore_depth: at least 2, got {self.explore_depth}")


@dataclass(frozen=True)
class RerankResult:
    fused: list[tuple[int, float]]       # new order: re-ranked pool, then the rest in fused order
    features: np.ndarray                 # float32 (len(fused[:k]), F): features of the returned hits
    model_version: str | None
    explanations: list[list[tuple[str, float]]] | None = None


@dataclass
class LtrStage:
    """Featurize + re-rank after fusion. Without a model for the tenant the fused order is kept."""
    registry: ModelRegistry | None
    stores: EventStores | None
    features: FeatureSet = field(default_factory=FeatureSet)
    settings: LtrSettings = LtrSettings()

    def __post_init__(self) -> None:
        self._models: dict[str, LtrModel] = {}
        self._lock = threading.Lock()

    def prepare(self, snap) -> None:
        """Warm up: the features' per-version view (graph, term statistics) and every promoted model."""
        self.features.prepare(snap)
        self.preload()

    def preload(self) -> list[str]:
        """Load every promoted model (tenants' and global) that is not loaded yet, and run it once, so the
        first search after start or after a promotion does not pay for it; versions no longer current are
        dropped. Returns the versions loaded now."""
        if self.registry is None:
            return []
        current = {}
        for scope in self.registry.scopes():
            mv = self.registry.current(scope)
            if mv is not None:
                current[f"{mv.scope}/{mv.version}"] = mv
        loaded = []
        for key, mv in current.items():
            if key not in self._models:
                model = LtrModel(mv)
                model.predict(np.zeros((1, len(FEATURE_NAMES)), dtype=np.float32))    # LightGBM's first call
                with self._lock:
                    self._models[key] = model
                loaded.append(key)
        with self._lock:
            for key in [k for k in self._models if k not in current]:
                del self._models[key]
        return loaded

    def watch(self, interval_s: float = 2.0) -> threading.Event:
        """Preload promoted models in the background as they appear (a promotion by ``talentsearch train`` in
        another process). Set the returned event to stop watching."""
        stop = threading.Event()

        def loop():
            while not stop.wait(interval_s):
                try:
                    loaded = self.preload()
                except Exception:          # a half-written model is retried on the next tick; searches load lazily
                    log.exception("preloading promoted models failed")
                    continue
                if loaded:
                    log.info("preloaded promoted models: %s", ", ".join(loaded))
        threading.Thread(target=loop, name="ltr-model-watch", daemon=True).start()
        return stop

    def model_for(self, tenant_id: str | None) -> LtrModel | None:
        mv = self.registry.resolve(tenant_id) if self.registry else None
        if mv is None:
            return None
        key = f"{mv.scope}/{mv.version}"
        with self._lock:
            model = self._models.get(key)
            if model is None:
                model = self._models[key] = LtrModel(mv)
            return model

    def rerank(self, snap, node, filters, *, boolean: bool, today, fused, runs, k: int, budget: int | None = None,
               use_model: bool = True, explain: bool = True, qualifications: tuple = ()) -> RerankResult | None:
        tenant = filters.tenant_id
        model = self.model_for(tenant) if use_model else None
        if model is None and not self._logging(tenant):
            return None
        ctx = build_context(node, filters, boolean=boolean, today=today)
        if qualifications:
            ctx = dataclasses.replace(ctx, qualifications=tuple(qualifications))
        n = min(len(fused), max(budget or self.settings.budget, k)) if model else min(len(fused), k)
        X = self.features.compute(snap, ctx, pool_from_runs(fused[:n], runs))
        if model is None:
            return RerankResult(fused, X[:k], None)
        scores = model.predict(X)
        order = np.argsort(-scores, kind="stable")
        new = [(fused[i][0], float(scores[i])) for i in order] + list(fused[n:])
        top = X[order[:k]]
        return RerankResult(new, top, model.version, model.explain(top, self.settings.explain_top) if explain else None)

    def explore_order(self, tenant_id: str | None, request_id: str, n: int) -> list[int] | None:
        """The display order of a page chosen for exploration, else None.

        A share ``explore`` of logged pages (drawn from the request id, so a request is reproducible) is shown
        with adjacent pairs of the first ``explore_depth`` hits swapped by coin flips (pairs start at hit 1 or
        2, also a coin flip, so every boundary can swap). The served feature log keeps the model's rank and
        marks the page explored; the impressions report where each hit was shown. Hits the model ranked r
        then appear at r or r +- 1 at random, which identifies the position propensities without repeated
        queries (``ranking.ltr.propensity``). Swaps stay inside the page: a cursor's next page is unchanged."""
        if self.settings.explore <= 0 or n < 2 or not self._logging(tenant_id):
            return None
        rng = np.random.default_rng(int(hashlib.sha1(f"explore:{request_id}".encode()).hexdigest()[:16], 16))
        if rng.random() >= self.settings.explore:
            return None
        order = list(range(n))
        for i in range(int(rng.integers(0, 2)), min(n, self.settings.explore_depth) - 1, 2):
            if rng.random() < 0.5:
                order[i], order[i + 1] = order[i + 1], order[i]
        return order

    def _logging(self, tenant_id: str | None) -> bool:
        return self.stores is not None and tenant_id is not None and self.settings.log_features

    def log(self, tenant_id: str | None, request_id: str, candidate_ids: list[str], X: np.ndarray,
            model_version: str | None, query: str | None, *, explored: bool = False) -> None:
        """Record the served page in the model's order (position = the engine's rank)."""
        if not self._logging(tenant_id):
            return
        self.stores.get(tenant_id).log_features(request_id, candidate_ids, X, feature_set=feature_set_id(FEATURE_NAMES),
                                                model_version=model_version, query=query, explored=explored)
