"""LightGBM lambdarank: training per tenant with a promotion gate (serving: ``ranking.ltr.serve``).

Position bias: with ``debias="position"`` the training Dataset gets each row's page position and
LightGBM's position-debiased lambdarank learns a per-position bias factor jointly with the ranker
(Wang et al. 2018 style unbiased LTR), so clicks that happened only because a hit sat at the top do
not teach the model to copy the old order; and the promotion gate scores the holdout with inverse
propensity weights (``ranking.ltr.propensity``), so it does not favour the model that served the holdout's
pages. ``debias="none"`` is the ablation (neither); ``gate`` sets the gate's metric on its own.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

import numpy as np

from ranking.fairness.gate import FairnessGate, compare as compare_fairness
from ranking.ltr.events import EventStore, feature_set_id, tenants
from ranking.ltr.features import FEATURE_NAMES
from ranking.ltr.labels import LabelConfig, TrainingSet, build_training_set
from ranking.ltr.propensity import Propensities, estimate, ips_dcg
from ranking.ltr.registry import GLOBAL, ModelRegistry
from ranking.ltr.serve import LtrModel, _lgb
from records.errors import ValidationError

log = logging.getLogger("talentsearch.ltr")

DEBIAS = ("position", "none")
GATES = ("auto", "ips", "raw")


@dataclass(frozen=True)
class LtrConfig:
    """Training settings. By default a fixed small tree (``num_leaves`` 7, ``min_data_in_leaf`` 50, 150
    rounds): in the closed-loop simulator's validation queries it beat choosing the shape on engagement
    labels (README, "Learning to rank"). With ``select`` the tree shape and rounds are chosen per training
    run from the grid below on the tenant's own engagement labels, simplest within one standard error of
    the best (see :func:`_select`); ``num_leaves`` and ``min_data_in_leaf`` are then the fallback when there
    are too few requests to select on."""
    debias: str = "position"
    num_leaves: int = 7                # small trees: engagement logs are small and noisy
    learning_rate: float = 0.05
    num_boost_round: int = 150         # with select: the cap, early stopping picks the number
    min_data_in_leaf: int = 50
    holdout_fraction: float = 0.2      # requests held out (by hash of request_id) for the gate
    min_requests: int = 20             # fewer usable requests: refuse to train
    seed: int = 0
    threads: int = 1                   # engagement sets are small: more threads mostly spin (29-43 s vs 1.5 s seen)
    select: bool = False               # choose (num_leaves, min_data_in_leaf, rounds) on an inner split
    grid_num_leaves: tuple[int, ...] = (7, 15, 31)
    grid_min_data_in_leaf: tuple[int, ...] = (20, 50)
    inner_fraction: float = 0.2        # of the non-holdout requests (second, salted hash) for selection
    early_stopping_rounds: int = 30
    min_select_requests: int = 30      # fewer inner-validation (or inner-train) requests: no selection
    gate: str = "auto"                 # holdout metric of the gate: ips (propensity-weighted), raw, auto (ips iff debias)
    ips_clip: float = 0.1              # smallest propensity used: a weight is at most 1 / ips_clip
    ips_min_pairs: int = 50            # (query, candidate) pairs shown at >= 2 positions needed to estimate

    def __post_init__(self) -> None:
        if self.debias not in DEBIAS:
            raise ValueError(f"debias: one of {DEBIAS}, got {self.debias!r}")
        if self.gate not in GATES:
            raise ValueError(f"gate: one of {GATES}, got {self.gate!r}")
        if not 0 < self.ips_clip <= 1:
            raise ValueError(f"ips_clip: must be in (0, 1], got {self.ips_clip}")
        if not (0 <= self.holdout_fraction < 1 and 0 < self.inner_fraction < 1):
            raise ValueError("holdout_fraction must be in [0, 1) and inner_fraction in (0, 1)")
        if self.select and not (self.grid_num_leaves and self.grid_min_data_in_leaf):
            raise ValueError("select: grid_num_leaves and grid_min_data_in_leaf must not be empty")

    @property
    def ips_gate(self) -> bool:
        return self.gate == "ips" or (self.gate == "auto" and self.debias == "position")

    def params(self) -> dict:
        return {"objective": "lambdarank", "metric": "ndcg", "eval_at": [10], "num_leaves": self.num_leaves,
                "learning_rate": self.learning_rate, "min_data_in_leaf": self.min_data_in_leaf, "verbosity": -1,
                "seed": self.seed, "deterministic": True, "num_threads": self.threads, "force_row_wise": True}


@dataclass(frozen=True)
class TrainReport:
    scope: str
    version: str
    promoted: bool
    reason: str
    metrics: dict
    rows: int
    requests: int


def ndcg_at(scores: np.ndarray, labels: np.ndarray, group: np.ndarray, k: int = 10) -> float:
    """Mean nDCG@k over groups (gain 2^label - 1); groups without a positive gain are skipped."""
    out = ndcg_per_group(scores, labels, group, k)
    return float(np.mean(out)) if len(out) else 0.0


def ndcg_per_group(scores: np.ndarray, labels: np.ndarray, group: np.ndarray, k: int = 10) -> np.ndarray:
    """nDCG@k of each group with a positive gain, in group order."""
    out, start = [], 0
    for size in group:
        s, y = scores[start:start + size], labels[start:start + size].astype(np.float64)
        start += size
        ideal = np.sort(y)[::-1][:k]
        disc = 1 / np.log2(np.arange(2, min(k, size) + 2))
        idcg = ((2 ** ideal - 1) * disc[: len(ideal)]).sum()
        if idcg <= 0:
            continue
        top = y[np.argsort(-s, kind="stable")][:k]
        out.append(((2 ** top - 1) * disc[: len(top)]).sum() / idcg)
    return np.asarray(out, dtype=np.float64)


def _split(ts: TrainingSet, fraction: float, salt: str = "") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row masks (kept, held out) and the per-request held-out mask, by a stable hash of ``salt + request_id``.
    The gate's holdout hashes the bare id; model selection salts it, so its split is independent of the gate's."""
    starts = np.concatenate(([0], np.cumsum(ts.group)))
    hold_group = np.array([int(hashlib.sha1(f"{salt}{ts.request_ids[s]}".encode()).hexdigest()[:8], 16) % 1000 < fraction * 1000
                           for s in starts[:-1]], dtype=bool)
    if fraction > 0 and (hold_group.all() or not hold_group.any()) and len(hold_group) > 1:
        hold_group[:] = False
        hold_group[-max(1, int(len(hold_group) * fraction)):] = True
    rows = np.repeat(hold_group, ts.group)
    return ~rows, rows, hold_group


def fit(ts: TrainingSet, config: LtrConfig, *, engaged_above: int = LabelConfig().grades["impression"]):
    """Train on the non-holdout requests; returns (booster, metrics, holdout) where ``holdout`` scores any
    model's predictions on the held-out rows with the gate's metric (:class:`Holdout`).

    Model selection (``config.select``) happens inside the non-holdout requests only (:func:`_select`); the
    chosen params and every grid point's score go to ``metrics["params"]`` / ``metrics["selection"]``. The
    holdout is read only after the final model exists, to score it for the promotion gate. Labels above
    ``engaged_above`` (the impression grade) count as engagement for the propensity estimate."""
    lgb = _lgb()
    train_rows, hold_rows, hold_group = _split(ts, config.holdout_fraction)
    params, rounds, selection = _select(ts, config, hold_group)
    train_group = ts.group[~hold_group]
    data = lgb.Dataset(ts.X[train_rows], ts.y[train_rows], group=train_group, feature_name=list(FEATURE_NAMES),
                       position=ts.position[train_rows] if config.debias == "position" else None, free_raw_data=False)
    booster = lgb.train(params, data, num_boost_round=rounds)
    metrics = {"train_requests": int(len(train_group)), "holdout_requests": int(hold_group.sum()),
               "params": {"num_leaves": params["num_leaves"], "min_data_in_leaf": params["min_data_in_leaf"],
                          "learning_rate": params["learning_rate"], "num_boost_round": rounds},
               "selection": selection}
    holdout = Holdout(ts, hold_rows, hold_group, _propensities(ts, config, engaged_above, metrics), engaged_above)
    if hold_group.any():
        fused = -ts.X[hold_rows][:, FEATURE_NAMES.index("fused_rank")]
        new = booster.predict(ts.X[hold_rows])
        metrics["holdout_ndcg@10"] = round(ndcg_at(new, ts.y[hold_rows], ts.group[hold_group]), 5)
        metrics["holdout_ndcg@10_fused_order"] = round(ndcg_at(fused, ts.y[hold_rows], ts.group[hold_group]), 5)
        if holdout.props is not None:
            metrics["holdout_ips_ndcg@10"] = holdout.ips(new)
            metrics["holdout_ips_ndcg@10_fused_order"] = holdout.ips(fused)
    metrics["gate_metric"] = holdout.metric
    return booster, metrics, holdout


@dataclass(frozen=True)
class Holdout:
    """The gate's held-out requests and how it scores a model on them: IPS-nDCG@10 when propensities were
    estimated (``props``), else nDCG@10 of the raw engagement labels."""
    ts: TrainingSet
    rows: np.ndarray
    group_mask: np.ndarray
    props: Propensities | None
    engaged_above: int

    @property
    def metric(self) -> str:
        return "ips_ndcg@10" if self.props is not None else "ndcg@10"

    def ips(self, scores: np.ndarray) -> float:
        return round(ips_dcg(scores, self.ts.y[self.rows], self.ts.group[self.group_mask], self.ts.position[self.rows],
                             self.props, engaged_above=self.engaged_above), 5)

    def score(self, scores: np.ndarray) -> float:
        if self.props is not None:
            return self.ips(scores)
        return round(ndcg_at(scores, self.ts.y[self.rows], self.ts.group[self.group_mask]), 5)


def _propensities(ts: TrainingSet, config: LtrConfig, engaged_above: int, metrics: dict) -> Propensities | None:
    """Position propensities of the tenant's pages for an IPS gate (all its rows: a property of the page and
    the recruiters, not of a model); recorded in ``metrics["propensities"]``, with the reason when none."""
    if not config.ips_gate:
        return None
    queries = ts.queries if ts.queries is not None else np.full(len(ts.y), "", dtype=object)
    keys = np.array([f"{q}\x1f{c}" if q else f"\x1e{r}\x1f{c}" for q, r, c in zip(queries, ts.request_ids, ts.candidate_ids)],
                    dtype=object)
    position, engaged = ts.position, ts.y > engaged_above
    randomized = np.zeros(len(keys), dtype=bool)
    if ts.explored is not None and ts.explored.any():   # explored pages: also grouped by the engine's rank
        m = ts.explored
        keys = np.concatenate([keys, np.array([f"\x1drank\x1f{r}" for r in ts.served_rank[m]], dtype=object)])
        position, engaged = np.concatenate([position, position[m]]), np.concatenate([engaged, engaged[m]])
        randomized = np.concatenate([randomized, np.ones(int(m.sum()), dtype=bool)])
    props = estimate(position, engaged, keys, min_pairs=config.ips_min_pairs, clip=config.ips_clip, randomized=randomized)
    metrics["propensities"] = props.to_dict() if props is not None else {
        "skipped": f"fewer than {config.ips_min_pairs} (query, candidate) pairs shown at two or more positions (or "
                   "explored rows), or no engagement among them: the gate uses raw labels"}
    return props


def _select(ts: TrainingSet, config: LtrConfig, hold_group: np.ndarray) -> tuple[dict, int, dict]:
    """(params, boosting rounds, record) chosen on the tenant's own engagement labels, never the holdout.

    The non-holdout requests are split again by a salted hash into inner-train and inner-validation; each
    (num_leaves, min_data_in_leaf) of the grid trains on inner-train with early stopping on the inner
    validation nDCG@10. The one-standard-error rule then picks the SIMPLEST grid point (fewest leaves, then
    most data per leaf) whose inner nDCG@10 is within one standard error (over inner-validation requests) of
    the best: engagement labels are noisy, and the larger trees that win on them by less than their noise
    fit the clicks rather than what recruiters want. The choice is refit by :func:`fit` on all non-holdout
    requests for its best number of rounds. Deterministic for a given data set."""
    base = config.params()
    if not config.select:
        return base, config.num_boost_round, {"enabled": False}
    inner_group = _split(ts, config.inner_fraction, salt="select:")[2] & ~hold_group
    fit_group = ~hold_group & ~inner_group
    if min(inner_group.sum(), fit_group.sum()) < config.min_select_requests:
        return base, config.num_boost_round, {"enabled": True, "skipped": f"{int(inner_group.sum())} inner-validation / "
                                              f"{int(fit_group.sum())} inner-train requests, need {config.min_select_requests}"}
    lgb = _lgb()
    fit_rows, inner_rows = np.repeat(fit_group, ts.group), np.repeat(inner_group, ts.group)
    grid, fits = [], []
    for leaves in sorted(config.grid_num_leaves):                       # simplest first
        for min_leaf in sorted(config.grid_min_data_in_leaf, reverse=True):
            params = base | {"num_leaves": leaves, "min_data_in_leaf": min_leaf}
            train = lgb.Dataset(ts.X[fit_rows], ts.y[fit_rows], group=ts.group[fit_group], feature_name=list(FEATURE_NAMES),
                                position=ts.position[fit_rows] if config.debias == "position" else None)
            valid = lgb.Dataset(ts.X[inner_rows], ts.y[inner_rows], group=ts.group[inner_group], reference=train)
            booster = lgb.train(params, train, num_boost_round=config.num_boost_round, valid_sets=[valid],
                                callbacks=[lgb.early_stopping(config.early_stopping_rounds, first_metric_only=True, verbose=False)])
            rounds = int(booster.best_iteration or config.num_boost_round)
            per = ndcg_per_group(booster.predict(ts.X[inner_rows], num_iteration=rounds), ts.y[inner_rows], ts.group[inner_group])
            score = float(per.mean()) if len(per) else 0.0
            se = float(per.std(ddof=1) / np.sqrt(len(per))) if len(per) > 1 else 0.0
            grid.append({"num_leaves": leaves, "min_data_in_leaf": min_leaf, "best_iteration": rounds,
                         "inner_ndcg@10": round(score, 5), "inner_se": round(se, 5)})
            fits.append((score, se, params, rounds))
    top = max(range(len(fits)), key=lambda i: fits[i][0])               # the first of ties
    bar = fits[top][0] - fits[top][1]
    pick = next(i for i, f in enumerate(fits) if f[0] >= bar)
    score, _, params, rounds = fits[pick]
    record = {"enabled": True, "rule": "one standard error", "inner_train_requests": int(fit_group.sum()),
              "inner_validation_requests": int(inner_group.sum()), "grid": grid,
              "best": {"num_leaves": fits[top][2]["num_leaves"], "min_data_in_leaf": fits[top][2]["min_data_in_leaf"],
                       "inner_ndcg@10": round(fits[top][0], 5), "inner_se": round(fits[top][1], 5)},
              "chosen": {"num_leaves": params["num_leaves"], "min_data_in_leaf": params["min_data_in_leaf"],
                         "num_boost_round": rounds, "inner_ndcg@10": round(score, 5)}}
    return params, rounds, record


def train_scope(ltr_dir, scope: str, config: LtrConfig = LtrConfig(), labels: LabelConfig = LabelConfig(), *,
                from_tenants: tuple[str, ...] = (), until: dt.datetime | None = None,
                fairness: FairnessGate | None = None) -> TrainReport:
    """Train one tenant's model (``scope`` = tenant id) from ITS store only, or the global model from the
    tenants that opted in (``from_tenants``); gate, and promote when the holdout nDCG@10 does not fall below
    what serves the scope now, on the same holdout: its current model, else for a tenant the global
    fallback model, else the hybrid order. With ``fairness`` (the tenant's self-reported attributes) the
    gate also reports both models' impact ratios on the holdout (``metrics["fairness"]``) and, with its
    ``min_impact_ratio``, refuses a model that lowers an attribute's minimum impact ratio below it."""
    sources = from_tenants if scope == GLOBAL else (scope,)
    if scope == GLOBAL and not sources:
        raise ValidationError("global model: name the tenants whose events may be pooled (--from-tenants)")
    sets = []
    for tenant in sources:
        store = EventStore(ltr_dir, tenant)
        try:
            sets.append(build_training_set(store, FEATURE_NAMES, labels, until=until))
        finally:
            store.close()
    ts = _concat(sets)
    if ts.requests < config.min_requests:
        raise ValidationError(f"{scope}: {ts.requests} usable requests (served pages with varied labels); "
                              f"need at least {config.min_requests}")
    booster, metrics, holdout = fit(ts, config, engaged_above=labels.grades["impression"])
    registry = ModelRegistry(ltr_dir)
    current = registry.current(scope)
    # what serves the scope now: its own model, else (a tenant) the global fallback, else the hybrid order
    incumbent = current or (registry.current(GLOBAL) if scope != GLOBAL else None)
    key = f"holdout_{holdout.metric}"                 # the gate's metric: ips_ndcg@10 or ndcg@10
    label = "IPS-nDCG@10" if holdout.props is not None else "nDCG@10"
    new_score = metrics.get(key, 0.0)
    if incumbent is not None:
        name = f"current {incumbent.version}" if current is not None else f"the global fallback {incumbent.version}"
        try:
            old = LtrModel(incumbent).predict(ts.X[holdout.rows])
            metrics["current_holdout_ndcg@10"] = holdout_raw = round(ndcg_at(old, ts.y[holdout.rows], ts.group[holdout.group_mask]), 5)
            metrics[f"current_{key}"] = old_score = holdout.score(old) if holdout.props is not None else holdout_raw
            reason = f"holdout {label} {new_score:.4f} vs {name} {old_score:.4f}"
        except ValidationError:
            reason = f"{name} uses another feature set"
        promote = new_score >= metrics.get(f"current_{key}", -1.0)   # both rounded alike
    elif f"{key}_fused_order" in metrics:
        baseline = metrics[f"{key}_fused_order"]
        reason = f"holdout {label} {new_score:.4f} vs the hybrid order {baseline:.4f} (no model serves {scope} yet)"
        promote = new_score >= baseline
    else:
        reason, promote = "no current model and no holdout", True
    if fairness is not None and fairness.groups and holdout.group_mask.any():
        # the pages both models rank: the holdout's, or every served page of the training set
        rows = holdout.rows if fairness.pages == "holdout" else np.arange(len(ts.y))
        sizes = ts.group[holdout.group_mask] if fairness.pages == "holdout" else ts.group
        new_scores = booster.predict(ts.X[rows])
        old_scores = None
        if incumbent is not None:
            try:
                old_scores = LtrModel(incumbent).predict(ts.X[rows])
            except ValidationError:
                old_scores = None
        if old_scores is None:                        # what serves now: the hybrid order
            old_scores = -ts.X[rows][:, FEATURE_NAMES.index("fused_rank")]
        metrics["fairness"], refusal = compare_fairness(fairness, new_scores, old_scores, ts.candidate_ids[rows], sizes)
        metrics["fairness_min_impact_ratio"] = fairness.min_impact_ratio
        if refusal is not None:
            reason, promote = f"{reason}; refused by the fairness gate: {refusal}", False
    manifest = {"feature_names": list(FEATURE_NAMES), "feature_set": feature_set_id(FEATURE_NAMES),
                "training_window": {"from": ts.window[0], "to": ts.window[1]}, "trained_on_tenants": list(sources),
                "events": ts.events, "rows": int(len(ts.y)), "requests": ts.requests, "metrics": metrics,
                "params": config.params() | metrics["params"] | {"debias": config.debias},
                "label_grades": labels.grades, "promoted": bool(promote), "gate": reason}
    manifest["lightgbm_version"] = _lgb().__version__
    mv = registry.add(scope, booster.model_to_string(), manifest)
    if promote:
        registry.promote(scope, mv.version, reason=reason)
    return TrainReport(scope, mv.version, bool(promote), reason, metrics, int(len(ts.y)), ts.requests)


def retrain_job(ltr_dir, *, min_new_events: int = 100, config: LtrConfig = LtrConfig(), fairness_store=None,
                min_impact_ratio: float | None = None, **gate_options) -> list[TrainReport | str]:
    """Retrain every tenant with at least ``min_new_events`` events newer than its current model's window.
    ``fairness_store`` (an ``AttributeStore``): each tenant's gate also weighs its supplied attributes."""
    out: list[TrainReport | str] = []
    registry = ModelRegistry(ltr_dir)
    for tenant in tenants(ltr_dir):
        current = registry.current(tenant)
        since = None
        if current and current.manifest.get("training_window", {}).get("to"):
            since = dt.datetime.fromisoformat(current.manifest["training_window"]["to"]) + dt.timedelta(microseconds=1)
        store = EventStore(ltr_dir, tenant)
        try:
            new = store.count_events(since=since)
        finally:
            store.close()
        if new < min_new_events:
            out.append(f"{tenant}: {new} new events < {min_new_events}, skipped")
            continue
        gate = FairnessGate.from_store(fairness_store, (tenant,), min_impact_ratio=min_impact_ratio,
                                       **gate_options) if fairness_store else None
        try:
            out.append(train_scope(ltr_dir, tenant, config, fairness=gate))
        except ValidationError as exc:
            out.append(f"{tenant}: {exc}")
    return out


def _concat(sets: list[TrainingSet]) -> TrainingSet:
    if len(sets) == 1:
        return sets[0]
    froms = [s.window[0] for s in sets if s.window[0]]
    tos = [s.window[1] for s in sets if s.window[1]]
    return TrainingSet(np.concatenate([s.X for s in sets]), np.concatenate([s.y for s in sets]),
                       np.concatenate([s.group for s in sets]), np.concatenate([s.position for s in sets]),
                       np.concatenate([s.request_ids for s in sets]), np.concatenate([s.candidate_ids for s in sets]),
                       (min(froms) if froms else None, max(tos) if tos else None), sum(s.events for s in sets),
                       np.concatenate([s.queries if s.queries is not None else np.full(len(s.y), "", dtype=object) for s in sets]),
                       np.concatenate([s.served_rank if s.served_rank is not None else s.position for s in sets]),
                       np.concatenate([s.explored if s.explored is not None else np.zeros(len(s.y), bool) for s in sets]))
