"""The fairness-aware re-ranking stage of the search pipeline: after fusion and the LTR model, before hydration.

Off by default. A tenant turns it on (``talentsearch audit rerank --tenant T --enable``), which writes its
``rerank.json`` next to the attributes it supplied; the stage then re-ranks that tenant's top N toward the
N's own distribution of the chosen attribute (``target`` "pool", LinkedIn's choice) or toward its distribution
over every candidate in the tenant's file ("population"), with DetGreedy or DetConstSort. It reads only that tenant's file:
a candidate the tenant gave no value for counts as ``not_disclosed``. Nothing about the attribute reaches
the response (which only says that the stage ran and how).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ranking.fairness.attributes import NOT_DISCLOSED, AttributeStore, FairnessSettings
from ranking.fairness.rerank import fair_order, target_shares


@dataclass(frozen=True)
class FairPlan:
    """One tenant's enabled re-ranking: its settings and {candidate_id: group} of the chosen attribute."""
    settings: FairnessSettings
    groups: dict[str, str]
    population: dict[str, float] | None = None    # the file's shares ("population" target)

    @property
    def top_n(self) -> int:
        return self.settings.top_n

    @property
    def label(self) -> str:
        target = "" if self.settings.target == "pool" else f"/{self.settings.target}"
        return f"{self.settings.algorithm}:{self.settings.attribute}@{self.settings.top_n}{target}"

    def order(self, candidate_ids: list[str], scores: list[float]) -> list[int]:
        """A permutation of the ranked list (best first) whose first ``top_n`` are re-ranked."""
        groups = [self.groups.get(c, NOT_DISCLOSED) for c in candidate_ids]
        s = self.settings
        return fair_order(scores, groups, algorithm=s.algorithm, top_n=s.top_n, shares=self.population,
                          protected=s.protected, alpha=s.alpha, min_proportion=s.min_proportion)


class FairnessStage:
    """Per-tenant plans read from an :class:`AttributeStore`, cached until the tenant's files change."""

    def __init__(self, store: AttributeStore):
        self.store = store
        self._cache: dict[str, tuple[tuple, FairPlan | None]] = {}
        self._lock = threading.Lock()

    def plan(self, tenant_id: str | None) -> FairPlan | None:
        """The tenant's plan, or None (no tenant, stage off for it, or no attribute file)."""
        if not tenant_id:
            return None
        folder = self.store.dir(tenant_id)
        key = tuple(_mtime(folder / name) for name in ("rerank.json", "audit.parquet"))
        with self._lock:
            hit = self._cache.get(tenant_id)
        if hit is not None and hit[0] == key:
            return hit[1]
        plan = None
        if key[0] is not None and key[1] is not None:
            settings = self.store.settings(tenant_id)
            if settings.enabled:
                groups = self.store.groups(tenant_id, settings.attribute)
                population = target_shares(list(groups.values())) if settings.target == "population" else None
                plan = FairPlan(settings, groups, population)
        with self._lock:
            self._cache[tenant_id] = (key, plan)
        return plan


def _mtime(path: Path):
    try:
        st = path.stat()
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return None
