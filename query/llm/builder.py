"""Requirements -> Boolean query trees, written the way an expert sourcer writes them.

``title:("data engineer" OR "big data engineer") AND title:(senior OR sr) AND (skill:"Apache Spark"
OR spark) AND NOT company:acme``: titles as phrases in the title field, seniority as title words
(profiles carry it in their titles), each must-have skill as one group of its canonical name
(skill field, normalised at ingest) OR its common short forms anywhere (summaries mention skills
too), exclusions as ``NOT company:``. Every tree is rendered with ``to_query_string`` and parsed
back before it leaves this module, so a query that would not parse cannot be produced.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from query.lang import ast as qa
from query.intake import lexicon
from query.lang.parser import parse
from records.taxonomy import Taxonomy

SENIORITY_WORDS = {"intern": ("intern", "internship"), "junior": ("junior", "jr"), "mid": (),
                   "senior": ("senior", "sr"), "lead": ("lead", "principal", "staff"), "manager": ("manager",),
                   "director": ("director", "head"), "executive": ("chief", "vp")}
_LEVEL_PREFIX = re.compile(r"^(?:(?:senior|sr\.?|junior|jr\.?|lead|principal|staff|intern|head of|chief)\s+)+",
                           re.IGNORECASE)
_SAFE = re.compile(r"[^\w+#./&'@\- ]+")
MAX_ALIASES = 2


@dataclass(frozen=True)
class Shape:
    """How strict a query is: which clauses it keeps."""

    titles: tuple[str, ...] = ()
    seniority: tuple[str, ...] = ()
    skills_all: tuple[str, ...] = ()          # each one required
    skills_any: tuple[str, ...] = ()          # at least one of them (one OR group)
    exclude_companies: tuple[str, ...] = ()
    skills_min: int | None = None             # at least this many of ``skills_all`` (None: all of them)


def strip_level(title: str) -> str:
    """``"Senior Data Engineer"`` -> ``"Data Engineer"`` (seniority becomes its own clause)."""
    return _LEVEL_PREFIX.sub("", title.strip()).strip() or title.strip()


def leaf(text: str, field: str | None = None) -> qa.Node | None:
    words = _SAFE.sub(" ", text).split()
    words = [w for w in words if qa.is_bare_term(w, operator_words=True) or any(c.isalnum() for c in w)]
    if not words:
        return None
    return qa.make_leaf(" ".join(words), field)


def lexicon_forms(name: str) -> tuple[str, ...]:
    """Other ways postings and profiles write a licence or domain skill ("RN license": "rn", "registered nurse license")."""
    return tuple(f for f in lexicon.forms_of(name) if f not in lexicon.GENERIC and not any(c in f for c in "/()"))


def skill_group(name: str, taxonomy: Taxonomy) -> qa.Node | None:
    """``skill:"Apache Spark" OR spark``: the canonical name (skill field) or a short alias anywhere."""
    # a tool named by the taxonomy is listed in the skill field; knowledge and licences are as often written in
    # a summary or a position's description, so those are searched everywhere
    listed = taxonomy.normalize_skill(name) == name
    leaves = [leaf(name, "skill" if listed else None)]
    aliases = [a for a in (*taxonomy.skill_aliases(name), *lexicon_forms(name)) if a.casefold() != name.casefold()]
    aliases = sorted(aliases, key=len)[:MAX_ALIASES]
    leaves += [leaf(a, "skill") if len(a) <= 2 else leaf(a) for a in aliases]
    leaves = list(dict.fromkeys(x for x in leaves if x is not None))
    if not leaves:
        return None
    return leaves[0] if len(leaves) == 1 else qa.Or(tuple(leaves))


def build(shape: Shape, taxonomy: Taxonomy) -> qa.Node | None:
    """The query tree for ``shape``; None when it has no positive clause."""
    parts: list[qa.Node] = []
    titles = [x for x in dict.fromkeys(leaf(strip_level(t), "title") for t in shape.titles) if x is not None]
    if titles:
        parts.append(titles[0] if len(titles) == 1 else qa.Or(tuple(titles)))
    words = [w for lv in shape.seniority for w in SENIORITY_WORDS.get(lv, ())]
    if words:
        ws = [qa.Term(w, "title") for w in dict.fromkeys(words)]
        parts.append(ws[0] if len(ws) == 1 else qa.Or(tuple(ws)))
    groups = [g for g in (skill_group(s, taxonomy) for s in shape.skills_all) if g is not None]
    need = len(groups) if shape.skills_min is None else max(1, min(shape.skills_min, len(groups)))
    if groups and need < len(groups):
        # "at least m of n" (minimum should match) written in the Boolean language both backends run:
        # the OR of every m-subset (n <= 5, so at most 10 branches)
        combos = [c[0] if len(c) == 1 else qa.And(tuple(c)) for c in itertools.combinations(groups, need)]
        parts.append(combos[0] if len(combos) == 1 else qa.Or(tuple(combos)))
    else:
        parts.extend(groups)
    anys = [g for g in (skill_group(s, taxonomy) for s in shape.skills_any) if g is not None]
    if anys:
        parts.append(anys[0] if len(anys) == 1 else qa.Or(tuple(anys)))
    if not parts:
        return None
    for c in shape.exclude_companies:
        x = leaf(c, "company")
        if x is not None:
            parts.append(qa.Not(x))
    return qa.normalize(parts[0] if len(parts) == 1 else qa.And(tuple(parts)))


def render(node: qa.Node) -> str:
    """Canonical text that is guaranteed to parse back to the same tree (raises otherwise)."""
    text = qa.to_query_string(node)
    if parse(text) != qa.normalize(node):
        raise ValueError(f"generated query does not round-trip: {text!r}")
    return text


def keywords_text(words: list[str], limit: int = 24) -> str:
    """Semantic text for the dense retriever made only of bare terms (so it also parses)."""
    out: list[str] = []
    for w in " ".join(words).split():
        w = _SAFE.sub("", w).strip("-+")
        if w and qa.is_bare_term(w) and w.lower() not in (x.lower() for x in out):
            out.append(w)
    return " ".join(out[:limit])


__all__ = ["Shape", "build", "render", "leaf", "skill_group", "strip_level", "keywords_text", "SENIORITY_WORDS"]
