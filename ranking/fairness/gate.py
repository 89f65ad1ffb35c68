"""Impact ratios in the LTR promotion gate: a new model's next to the incumbent's, on the same served pages.

For each attribute the tenant supplied, the *qualified pool* of a request is the candidates the engine
served on its page (the engine judged them worth showing; engagement labels are not used, since biased
engagement is what the gate must catch) and a model *selects* the ``k`` it ranks first. Selection rates and
impact ratios are ``ranking.fairness.audit``'s. Groups with fewer than ``min_group_pool`` served pairs are not
compared. ``pages``: the gate's holdout requests (``"holdout"``) or every served page of the training set
(``"all"``: several times more requests; the pool is the page, not the labels the model was fitted to).

Both models rank the same pages, so the comparison is paired: a bootstrap over requests (``bootstrap``
resamples) gives a one-sided ``confidence`` bound on the change of the minimum impact ratio. A model is
refused, for some attribute, when

* its minimum impact ratio is below ``min_impact_ratio`` and significantly below the incumbent's (the upper
  bound of new - incumbent is < 0; with no incumbent figure, below the threshold is enough), or
* ``max_relative_drop`` is set and the minimum impact ratio falls by more than that share of the incumbent's
  significantly (the lower bound of 1 - new / incumbent exceeds it).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ranking.fairness.attributes import ATTRIBUTES, NOT_DISCLOSED, AttributeStore
from ranking.fairness.audit import AuditReport, audit


@dataclass(frozen=True)
class FairnessGate:
    """{attribute: {candidate_id: group}} of the scope's tenants, and the refusal rules (None: report only)."""
    groups: dict[str, dict[str, str]] = field(default_factory=dict)
    min_impact_ratio: float | None = None
    k: int = 10
    min_group_pool: int = 200      # a group with fewer served (request, candidate) pairs is not compared
    max_relative_drop: float | None = None
    pages: str = "holdout"         # "holdout" or "all" (every served page of the training set)
    bootstrap: int = 1000
    confidence: float = 0.95       # one-sided
    seed: int = 0

    def __post_init__(self):
        if self.pages not in ("holdout", "all"):
            raise ValueError(f"fairness gate pages must be 'holdout' or 'all', not {self.pages!r}")
        if not 0.5 <= self.confidence < 1:
            raise ValueError("fairness gate confidence must be in [0.5, 1)")

    @classmethod
    def from_store(cls, store: AttributeStore, tenants, *, attributes: tuple[str, ...] | None = None,
                   **options) -> FairnessGate:
        """The gate over the attributes the tenants supplied (``attributes``: only these; default all)."""
        groups: dict[str, dict[str, str]] = {a: {} for a in (attributes or ATTRIBUTES)}
        for tenant in tenants:
            if store.has(tenant):
                table = store.get(tenant)
                for a in groups:
                    groups[a].update(table.column(a))
        return cls({a: g for a, g in groups.items() if g}, **options)


def holdout_audit(scores: np.ndarray, candidate_ids: np.ndarray, group_sizes: np.ndarray, groups: dict[str, str], *,
                  attribute: str, k: int = 10, min_pool: int = 0) -> AuditReport:
    """Audit of one model's scores on served pages (rows grouped by request, ``group_sizes`` rows each)."""
    run, qrels, start = {}, {}, 0
    for i, size in enumerate(group_sizes):
        cids = candidate_ids[start:start + size]
        order = np.argsort(-scores[start:start + size], kind="stable")
        run[str(i)] = [str(cids[j]) for j in order]
        qrels[str(i)] = {str(c): 1 for c in cids}
        start += size
    return audit(run, qrels, groups, attribute=attribute, k=k, min_pool=min_pool)


def _counts(scores, candidate_ids, group_sizes, groups, compared, k) -> tuple[np.ndarray, np.ndarray]:
    """Per request x compared group: served pairs and the pairs among the model's top k."""
    index = {g: j for j, g in enumerate(compared)}
    pool = np.zeros((len(group_sizes), len(compared)))
    sel = np.zeros_like(pool)
    start = 0
    for r, size in enumerate(group_sizes):
        cids = candidate_ids[start:start + size]
        top = set(np.argsort(-scores[start:start + size], kind="stable")[:k].tolist())
        for j, c in enumerate(cids):
            g = index.get(groups.get(str(c), NOT_DISCLOSED))
            if g is not None:
                pool[r, g] += 1
                sel[r, g] += j in top
        start += size
    return pool, sel


def _min_ir(pool: np.ndarray, sel: np.ndarray) -> np.ndarray:
    """Minimum impact ratio per row of (resample x group) pooled counts."""
    rates = np.divide(sel, pool, out=np.zeros_like(sel), where=pool > 0)
    top = rates.max(axis=1)
    return np.divide(rates.min(axis=1), top, out=np.ones_like(top), where=top > 0)


def paired_bootstrap(new: np.ndarray, old: np.ndarray, candidate_ids, group_sizes, groups, compared, *, k: int,
                     resamples: int, confidence: float, seed: int = 0) -> dict:
    """One-sided bounds on min IR new - incumbent and on 1 - new / incumbent, resampling requests."""
    pool, s_new = _counts(new, candidate_ids, group_sizes, groups, compared, k)
    _, s_old = _counts(old, candidate_ids, group_sizes, groups, compared, k)
    w = np.random.default_rng(seed).multinomial(len(group_sizes), np.full(len(group_sizes), 1 / len(group_sizes)),
                                                size=resamples).astype(float)
    p = w @ pool
    m_new, m_old = _min_ir(p, w @ s_new), _min_ir(p, w @ s_old)
    diff = m_new - m_old
    rel = 1 - np.divide(m_new, m_old, out=np.ones_like(m_new), where=m_old > 0)
    return {"requests": len(group_sizes), "resamples": resamples, "confidence": confidence,
            "diff_upper": round(float(np.quantile(diff, confidence)), 5),
            "diff_lower": round(float(np.quantile(diff, 1 - confidence)), 5),
            "relative_drop_lower": round(float(np.quantile(rel, 1 - confidence)), 5),
            "relative_drop_upper": round(float(np.quantile(rel, confidence)), 5)}


def compare(gate: FairnessGate, new: np.ndarray, incumbent: np.ndarray, candidate_ids: np.ndarray,
            group_sizes: np.ndarray) -> tuple[dict, str | None]:
    """(per attribute: both models' impact ratios, minimums and the paired bootstrap; the refusal reason or None)."""
    out, refusals = {}, []
    for attribute, groups in gate.groups.items():
        a_new = holdout_audit(new, candidate_ids, group_sizes, groups, attribute=attribute, k=gate.k, min_pool=gate.min_group_pool)
        a_old = holdout_audit(incumbent, candidate_ids, group_sizes, groups, attribute=attribute, k=gate.k,
                              min_pool=gate.min_group_pool)
        compared = sorted(a_new.impact_ratios())
        entry = {"new": a_new.impact_ratios(), "incumbent": a_old.impact_ratios(),
                 "min_new": a_new.min_impact_ratio, "min_incumbent": a_old.min_impact_ratio,
                 "flagged_new": list(a_new.flagged), "flagged_incumbent": list(a_old.flagged), "pages": gate.pages}
        lo, was = a_new.min_impact_ratio, a_old.min_impact_ratio
        boot = None
        if lo is not None and was is not None and len(compared) >= 2 and gate.bootstrap > 0:
            boot = entry["bootstrap"] = paired_bootstrap(new, incumbent, candidate_ids, group_sizes, groups, compared,
                                                         k=gate.k, resamples=gate.bootstrap, confidence=gate.confidence,
                                                         seed=gate.seed)
        out[attribute] = entry
        if lo is None:
            continue
        significant = boot["diff_upper"] < 0 if boot is not None else (was is None or lo < was)
        if gate.min_impact_ratio is not None and lo < gate.min_impact_ratio and significant:
            refusals.append(f"{attribute} minimum impact ratio {lo:.3f} < {gate.min_impact_ratio:.2f}"
                            + (f" (incumbent {was:.3f}" + (f", new - incumbent <= {boot['diff_upper']:+.3f} at "
                                                           f"{gate.confidence:.0%}" if boot else "") + ")"
                               if was is not None else ""))
        elif gate.max_relative_drop is not None and boot is not None and boot["relative_drop_lower"] > gate.max_relative_drop:
            refusals.append(f"{attribute} minimum impact ratio {lo:.3f} vs incumbent {was:.3f}: a drop of at least "
                            f"{boot['relative_drop_lower']:.1%} at {gate.confidence:.0%} > {gate.max_relative_drop:.0%}")
    return out, ("; ".join(refusals) or None)
