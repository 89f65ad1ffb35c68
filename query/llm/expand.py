"""Related titles and skills from the shipped taxonomy alone (no economic graph needed).

Fulfils the ``Expander`` contract of ``graph.expansion`` (same method names, same fields on each
expansion) so the query layer works on an index without a graph; with a graph built, the API and
CLI pass ``graph.expansion.Expander`` instead, which adds learned transitions.
"""
from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from records.taxonomy import Taxonomy

_CODE = re.compile(r"^\d{2}-\d{4}\.\d{2}$")
_TIER_WEIGHT = {"Primary-Short": 0.8, "Primary-Long": 0.6, "Supplemental": 0.4}


@dataclass(frozen=True)
class Expansion:
    kind: str        # "title" | "skill"
    value: str
    weight: float    # (0, 1]
    reason: str
    source: str      # "onet-alternate" | "onet-related" | "skill-cooccurrence" | "taxonomy"


class TaxonomyExpander:
    def __init__(self, taxonomy: Taxonomy | None = None):
        self.taxonomy = taxonomy or Taxonomy.load()

    def _code(self, title_or_code: str) -> str | None:
        if _CODE.match(title_or_code or ""):
            return title_or_code if title_or_code in self.taxonomy.occupations else None
        m = self.taxonomy.match_title(title_or_code)
        return m.code if m else None

    def related_titles(self, title_or_code: str, k: int = 10) -> list[Expansion]:
        """The occupation's own titles first (reported, then alternate), then related occupations'."""
        code = self._code(title_or_code)
        if code is None:
            return []
        occ = self.taxonomy.occupation(code)
        out: dict[str, Expansion] = {}
        given = (title_or_code or "").casefold()
        for t in (occ.title.removesuffix("s") if occ.title.endswith("s") and " " not in occ.title[-3:] else occ.title,
                  *occ.reported_titles, *occ.alternate_titles):
            if len(t.split()) <= 4 and t.casefold() != given and t.casefold() not in out:
                out[t.casefold()] = Expansion("title", t, 0.9, f"O*NET title of {occ.title}", "onet-alternate")
            if len(out) >= k // 2 + 1:
                break
        for rel, tier in self.taxonomy.related(code):
            if len(out) >= k:
                break
            r = self.taxonomy.occupations.get(rel)
            if r is not None and r.title.casefold() not in out:
                out[r.title.casefold()] = Expansion("title", r.title, _TIER_WEIGHT.get(tier, 0.4),
                                                    f"O*NET related occupation of {occ.title} ({tier})", "onet-related")
        return list(out.values())[:k]

    def related_skills(self, skill: str, k: int = 10) -> list[Expansion]:
        """Skills listed together with ``skill`` by the most occupations."""
        canonical = self.taxonomy.normalize_skill(skill) or skill
        co = _cooccurrence(self.taxonomy).get(canonical)
        if not co:
            return []
        top = co.most_common(k)
        best = top[0][1]
        return [Expansion("skill", s, round(max(c / best, 0.05), 3),
                          f"listed with {canonical} by {c} O*NET occupations", "skill-cooccurrence") for s, c in top]


@functools.lru_cache(maxsize=2)
def _cooccurrence(taxonomy: Taxonomy) -> dict[str, Counter]:
    co: dict[str, Counter] = defaultdict(Counter)
    for occ in taxonomy.occupations.values():
        names = [s.name for s in occ.skills[:40]]
        for a in names:
            for b in names:
                if a != b:
                    co[a][b] += 1
    return co


__all__ = ["Expansion", "TaxonomyExpander"]
