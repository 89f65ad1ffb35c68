"""Title normalisation for the query side: the O*NET occupation a query's title words name.

A recruiter writes "sr swe" or "automation engineer"; profiles were normalised at ingest to an
O*NET occupation (``occupation_code`` / the ``occupation`` lexical field). Matching the query's
titles to the same taxonomy lets the engine reward, and for keyword queries also retrieve,
profiles of that occupation whatever words they used. Each expansion says where it came from.
"""
from __future__ import annotations

from dataclasses import dataclass

from query import ast as qa
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
    """Occupations named by the query: its ``title:`` leaves (Boolean), or for keywords the exact titles
    inside its words ("Need a senior software engineer in Berlin" -> "senior software engineer"), else
    all its words matched as one title ("sr swe")."""
    if node is None:
        return []
    taxonomy = taxonomy or Taxonomy.load()
    out: dict[str, TitleExpansion] = {}
    if boolean:
        sources = [leaf.text for leaf, negated in qa.iter_leaves(node)
                   if not negated and leaf.field in ("title", "current_title") and not isinstance(leaf, qa.Prefix)]
    else:
        words = " ".join(leaf.text for leaf, negated in qa.iter_leaves(node) if not negated)
        for span, match in taxonomy.titles_in(words):
            out.setdefault(match.code, TitleExpansion(span, match.code, match.title, match.alias, 1.0))
        sources = [] if out else [words]
    for text in sources:
        match = taxonomy.match_title(text) if text.strip() else None
        if match is not None and match.score >= min_score and match.code not in out:
            out[match.code] = TitleExpansion(text, match.code, match.title, match.alias, float(match.score))
    return list(out.values())
