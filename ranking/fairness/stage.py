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
from records.errors import ValidationError
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
    """Per-tenant plans read from an :class:`AttributeStore`, cached until the tenant's files change. A request
    may bring its own settings (``request_settings``): they re-rank with the attributes its tenant supplied."""

    def __init__(self, store: AttributeStore):
        self.store = store
        self._cache: dict[str, tuple[tuple, FairPlan | None]] = {}
        self._groups: dict[tuple[str, str], tuple[tuple, dict[str, str], dict[str, float]]] = {}
        self._lock = threading.Lock()

    def _key(self, tenant_id: str) -> tuple:
        folder = self.store.dir(tenant_id)
        return tuple(_mtime(folder / name) for name in ("rerank.json", "audit.parquet"))

    def plan(self, tenant_id: str | None, settings: FairnessSettings | None = None) -> FairPlan | None:
        """The tenant's plan, or None (no tenant, stage off for it, or no attribute file). ``settings``: this
        request's (from ``request_settings``) instead of the tenant's stored ones."""
        if not tenant_id:
            return None
        if settings is not None:
            if not settings.enabled or not self.store.has(tenant_id):
                return None
            groups, population = self._attribute(tenant_id, settings.attribute)
            return FairPlan(settings, groups, population if settings.target == "population" else None)
        key = self._key(tenant_id)
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

    def _attribute(self, tenant_id: str, attribute: str) -> tuple[dict[str, str], dict[str, float]]:
        """({candidate_id: group}, the file's shares) of one attribute of the tenant's file, cached."""
        key = self._key(tenant_id)[1]
        with self._lock:
            hit = self._groups.get((tenant_id, attribute))
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
        groups = self.store.groups(tenant_id, attribute)
        entry = (key, groups, target_shares(list(groups.values())))
        with self._lock:
            self._groups[(tenant_id, attribute)] = entry
        return entry[1], entry[2]

    def request_settings(self, tenant_id: str | None, overrides: dict) -> FairnessSettings:
        """The tenant's settings with a request's ``overrides`` (``rerank``: "off" or an algorithm, then any
        FairnessSettings field). Raises ``ValidationError`` naming the field: a bad value, no tenant, or an
        attribute the tenant supplied no disclosed value of."""
        base = self.store.settings(tenant_id) if tenant_id else FairnessSettings()
        fields = dict(overrides)
        rerank = fields.pop("rerank", None)
        if rerank == "off":
            fields["enabled"] = False
        elif rerank is not None:
            fields.update(enabled=True, algorithm=rerank)
        unknown = sorted(set(fields) - set(FairnessSettings.__dataclass_fields__))
        if unknown:
            raise ValidationError(f"{unknown[0]}: not a fairness setting")
        settings = FairnessSettings.from_dict({**base.to_dict(), **fields})
        if settings.enabled:
            if not tenant_id:
                raise ValidationError("rerank: fairness-aware re-ranking needs a tenant (X-Tenant-Id)")
            groups = self._attribute(tenant_id, settings.attribute)[0] if self.store.has(tenant_id) else {}
            if not any(g != NOT_DISCLOSED for g in groups.values()):
                raise ValidationError(f"attribute: tenant {tenant_id!r} supplied no {settings.attribute} values "
                                      "(PUT /v1/audit/attributes)")
        return settings


def _mtime(path: Path):
    try:
        st = path.stat()
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return None
