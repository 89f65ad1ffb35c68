"""Which occupations a job title names, and which of them list a skill: every occupation, not only the best match.

``Taxonomy.match_title`` returns the one best code for a title, but O*NET lists many titles under several
occupations ("Cytologist" is a title of Medical Scientists and of Cytotechnologists; "Research Scientist"
of several). An evaluator asking "is this person a Medical Scientist?" must accept a title that O*NET lists
for that occupation even when another occupation wins the best match. A title names a code when one of
its forms is one of the code's own O*NET (or ESCO) titles, normalised:

* the title as written, normalised (``records.taxonomy.normalize_title``);
* without seniority words and levels ("Sr. Cytologist II" -> "cytologist");
* without a management wrapper ("Engineering Technician Team Manager", "Manager, Professor",
  "Head of Data Engineering" -> the role managed), then without seniority words.

A title that O*NET lists under more than ``MAX_SHARED_CODES`` occupations ("Data Analyst" names eight) is too
generic to name any one of them: it names its best match only. The limit was chosen on the evaluation
benchmark (recall of occupation ``meets`` vs false ``meets`` on asks of another occupation of the same SOC
major group; see benchmarks/results/evaluation.md).
"""
from __future__ import annotations

import re

from records.taxonomy import Taxonomy, normalize_title, strip_seniority, title_variants

MAX_SHARED_CODES = 6
_LEAD = re.compile(r"^(?:manager|director(?: of)?|head of|vp(?: of)?|vice president(?: of)?|chief)\s+")
_TAIL = re.compile(r"\s+(?:team\s+)?(?:manager|lead|supervisor)$")


def title_keys(title: str) -> tuple[str, ...]:
    """The normalised forms of a title that may name an occupation (see the module doc)."""
    norm = normalize_title(title or "")
    bare = _TAIL.sub("", _LEAD.sub("", norm)).strip()
    keys = [norm, strip_seniority(norm), bare, strip_seniority(bare)]
    return tuple(k for k in dict.fromkeys(keys) if k)


class TitleCodes:
    """Normalised O*NET/ESCO title -> every occupation code listing it, and code -> its skills (casefolded)."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self._by_key: dict[str, set[str]] | None = None
        self._skills: dict[str, frozenset[str]] = {}
        self._cache: dict[str, frozenset[str]] = {}

    def _index(self) -> dict[str, set[str]]:
        if self._by_key is None:
            out: dict[str, set[str]] = {}
            for code, occ in self.taxonomy.occupations.items():
                names = (occ.title, *occ.alternate_titles, *occ.short_titles, *occ.reported_titles, *occ.esco_titles)
                for name in names:
                    for variant, _ in title_variants(name):
                        norm = normalize_title(variant)
                        for key in (norm, strip_seniority(norm)):
                            if key:
                                out.setdefault(key, set()).add(code)
            self._by_key = out
        return self._by_key

    def codes(self, title: str | None) -> frozenset[str]:
        """Every occupation code the title names (the best match included)."""
        if not title:
            return frozenset()
        hit = self._cache.get(title)
        if hit is None:
            index = self._index()
            found = {c for k in title_keys(title) for c in index.get(k, ())}
            best = self.taxonomy.match_title(title)
            if len(found) > MAX_SHARED_CODES:
                found = set()
            if best is not None:
                found.add(best.code)
            if len(self._cache) > 100_000:
                self._cache.clear()
            hit = self._cache[title] = frozenset(found)
        return hit

    def lists_skill(self, code: str, canonical: str) -> bool:
        """True when O*NET lists the skill (canonical name) among the occupation's technology skills."""
        got = self._skills.get(code)
        if got is None:
            got = self._skills[code] = frozenset(name.casefold() for name, _ in self.taxonomy.skills_for(code))
        return canonical.casefold() in got


__all__ = ["MAX_SHARED_CODES", "TitleCodes", "title_keys"]
