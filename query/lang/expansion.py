"""Title normalisation for the query side: the O*NET occupation a query's title words name.

A recruiter writes "sr swe" or "automation engineer"; profiles were normalised at ingest to an
O*NET occupation (``occupation_code`` / the ``occupation`` lexical field). Matching the query's
titles to the same taxonomy lets the engine reward, and for keyword queries also retrieve,
profiles of that occupation whatever words they used. Each expansion says where it came from.
"""
from __future__ import annotations

from dataclasses import dataclass

from query.lang import ast as qa
from records.taxonomy import Taxonomy

MIN_SCORE = 0.6


@dataclass(frozen=True)
class TitleExpansion:
    source: str             # the query text that was matched
    code: str               # O*NET-SOC code
    occupation_title: str
    alias: str              # the O*NET title or alternate title that matched
    score: float            # 1.0 exact alias, else weighted token overlap

    @property
    def reason(self) -> str:
        return f"'{self.source}' matches O*NET '{self.alias}' -> {self.code} {self.occupation_title}"


def title_expansions(node: qa.Node | None, *, boolean: bool, taxonomy: Taxonomy | None = None,
                     min_score: float = MIN_SCORE) -> list[TitleExpansion]:
    """Occupations named by the query: its ``title:`` leaves (Boolean). For keywords, in this order, the
    first that finds any: the exact titles of two words or more inside its words ("Need a senior software
    engineer in Berlin" -> "senior software engineer"); all its words matched as one title ("front desk
    supervisor", "sr swe"); exact one-word titles among its words ("a pedorthist in Denver")."""
    if node is None:
        return []
    taxonomy = taxonomy or Taxonomy.load()
    if boolean:
        texts = [leaf.text for leaf, negated in qa.iter_leaves(node)
                 if not negated and leaf.field in ("title", "current_title") and not isinstance(leaf, qa.Prefix)]
        found = [(t, m) for t, m in ((t, taxonomy.match_title(t) if t.strip() else None) for t in texts)
                 if m is not None and m.score >= min_score]
    else:
        words = " ".join(leaf.text for leaf, negated in qa.iter_leaves(node) if not negated)
        found = taxonomy.titles_in(words)
        if not found:
            whole = taxonomy.match_title(words) if words.strip() else None
            found = [(words, whole)] if whole is not None and whole.score >= min_score else taxonomy.titles_in(words, min_words=1)
    out: dict[str, TitleExpansion] = {}
    for text, m in found:
        out.setdefault(m.code, TitleExpansion(text, m.code, m.title, m.alias, float(m.score)))
    return list(out.values())
