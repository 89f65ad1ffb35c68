"""Impact ratios in the LTR promotion gate: a new model's next to the incumbent's, on the gate's holdout.

The holdout holds pages the engine served to the tenant. For each attribute the tenant supplied, the
*qualified pool* of a held-out request is the candidates served on its page (the engine judged them worth
showing; engagement labels are not used, since biased engagement is what the gate must catch) and a model
*selects* the ``k`` it ranks first. Selection rates and impact ratios are ``ranking.fairness.audit``'s.
Groups with fewer than ``min_group_pool`` served pairs in the holdout are not compared (their selection rate
is too noisy to refuse a model on). With ``min_impact_ratio`` set, a model is refused when, for some attribute, its minimum impact ratio is below
the threshold and below the incumbent's (it lowers the minimum below the threshold).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ranking.fairness.attributes import ATTRIBUTES, AttributeStore
from ranking.fairness.audit import AuditReport, audit


@dataclass(frozen=True)
class FairnessGate:
    """{attribute: {candidate_id: group}} of the scope's tenants, and the refusal threshold (None: report only)."""
    groups: dict[str, dict[str, str]] = field(default_factory=dict)
    min_impact_ratio: float | None = None
    k: int = 10
    min_group_pool: int = 200      # a group with fewer served (request, candidate) pairs in the holdout is not compared

    @classmethod
    def from_store(cls, store: AttributeStore, tenants, *, min_impact_ratio: float | None = None, k: int = 10,
                   attributes: tuple[str, ...] | None = None, min_group_pool: int = 200) -> "FairnessGate":
        """The gate over the attributes the tenants supplied (``attributes``: only these; default all)."""
        groups: dict[str, dict[str, str]] = {a: {} for a in (attributes or ATTRIBUTES)}
        for tenant in tenants:
            if store.has(tenant):
                table = store.get(tenant)
                for a in groups:
                    groups[a].update(table.column(a))
        return cls({a: g for a, g in groups.items() if g}, min_impact_ratio, k, min_group_pool)


def holdout_audit(scores: np.ndarray, candidate_ids: np.ndarray, group_sizes: np.ndarray, groups: dict[str, str], *,
                  attribute: str, k: int = 10, min_pool: int = 0) -> AuditReport:
    """Audit of one model's holdout scores (rows grouped by request, ``group_sizes`` rows each)."""
    run, qrels, start = {}, {}, 0
    for i, size in enumerate(group_sizes):
        cids = candidate_ids[start:start + size]
        order = np.argsort(-scores[start:start + size], kind="stable")
        run[str(i)] = [str(cids[j]) for j in order]
        qrels[str(i)] = {str(c): 1 for c in cids}
        start += size
    return audit(run, qrels, groups, attribute=attribute, k=k, min_pool=min_pool)


def compare(gate: FairnessGate, new: np.ndarray, incumbent: np.ndarray, candidate_ids: np.ndarray,
            group_sizes: np.ndarray) -> tuple[dict, str | None]:
    """(per attribute: both models' impact ratios and minimums, the refusal reason or None)."""
    out, refusals = {}, []
    for attribute, groups in gate.groups.items():
        a_new = holdout_audit(new, candidate_ids, group_sizes, groups, attribute=attribute, k=gate.k, min_pool=gate.min_group_pool)
        a_old = holdout_audit(incumbent, candidate_ids, group_sizes, groups, attribute=attribute, k=gate.k,
                              min_pool=gate.min_group_pool)
        out[attribute] = {"new": a_new.impact_ratios(), "incumbent": a_old.impact_ratios(),
                          "min_new": a_new.min_impact_ratio, "min_incumbent": a_old.min_impact_ratio,
                          "flagged_new": list(a_new.flagged), "flagged_incumbent": list(a_old.flagged)}
        lo, was = a_new.min_impact_ratio, a_old.min_impact_ratio
        if gate.min_impact_ratio is not None and lo is not None and lo < gate.min_impact_ratio and (was is None or lo < was):
            refusals.append(f"{attribute} minimum impact ratio {lo:.3f} < {gate.min_impact_ratio:.2f} "
                            f"(incumbent {was:.3f})" if was is not None else f"{attribute} minimum impact ratio {lo:.3f} "
                            f"< {gate.min_impact_ratio:.2f}")
    return out, ("; ".join(refusals) or None)
