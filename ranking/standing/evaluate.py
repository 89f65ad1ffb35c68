"""One profile against one compiled standing query, in Python, with the engine's semantics.

The query side mirrors ``indexer.lexical.compile_query`` clause for clause: a leaf is a dis_max over its
scope's fields (it matches when any field does); a leaf whose text analyses to no token in any field is
dropped from its AND / OR, exactly as the compiler drops it; an AND with only negative children matches
everything but them; an empty compiled query matches nothing. The document side is the profile's lexical
fields analysed by the same analysers the index uses, one token list per value (phrases match inside one
value). Prefixes and phrases match as ``indexer.highlight`` matches them. Sloppy phrases (``"a b"~2``) are
not evaluated here: a query with one is marked ``needs_index`` and runs on a tantivy index of the batch.

Filters are checked on the derived profile with ``ProfileStore.mask``'s rules (float32 years, haversine
distance, seniority levels, company ids or names, open to work, recency, tenant visibility).
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
import dataclasses
from dataclasses import dataclass

import numpy as np

from indexer.analysis import analyze
from indexer.documents import SCOPES, TEXT_FIELDS, lexical_fields
from indexer.highlight import _contains
from query.lang import ast as qa
from query.lang.filters import Filters
from records.geo import EARTH_RADIUS_KM
from records.schema import SENIORITY_LEVELS

ALL = ("all",)
NOTHING = ("nothing",)
EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Doc:
    """A profile's analysed lexical fields: per field, one token tuple per value, and the token set."""
    values: dict[str, list[tuple[str, ...]]]
    tokens: dict[str, frozenset[str]]
    pairs: frozenset[tuple[str, str]] = frozenset()     # every (field, token)
    bigrams: dict[str, frozenset[tuple[str, str]]] | None = None   # per field, adjacent tokens inside a value
    features: frozenset[tuple] = frozenset()            # every (field, token) and (field, token, next token)
    grams: dict = dataclasses.field(default_factory=dict, compare=False)   # (field, n) -> n-token runs inside a value, on demand


def _grams(doc: Doc, name: str, n: int) -> set[tuple[str, ...]]:
    """Every run of ``n`` adjacent tokens inside one value of field ``name`` (built on first use, then a set test
    decides an exact phrase of ``n`` tokens, as ``highlight._contains`` would value by value)."""
    key = (name, n)
    out = doc.grams.get(key)
    if out is None:
        out = doc.grams[key] = {v[i:i + n] for v in doc.values.get(name, ()) for i in range(len(v) - n + 1)}
    return out


def document(profile: dict) -> Doc:
    values, tokens, bigrams = {}, {}, {}
    for field, texts in lexical_fields(profile).items():
        name = TEXT_FIELDS[field]
        vals = [tuple(analyze(name, t)) for t in texts if t]
        values[field] = vals
        tokens[field] = frozenset(tok for v in vals for tok in v)
        bigrams[field] = frozenset(pair for v in vals for pair in itertools.pairwise(v))
    pairs = frozenset((f, t) for f, toks in tokens.items() for t in toks)
    features = pairs.union((f, a, b) for f, bg in bigrams.items() for a, b in bg)
    return Doc(values, tokens, pairs, bigrams, features)


def compile_tree(node: qa.Node | None):
    """A nested tuple evaluated by ``matches``; (tree, needs_index)."""
    if node is None:
        return ALL, False
    tree = _compile(node)
    return (NOTHING if tree is None else tree), _sloppy(node)


def _sloppy(node) -> bool:
    return any(isinstance(leaf, qa.Phrase) and leaf.slop for leaf, _ in qa.iter_leaves(node))


def _compile(node):
    if isinstance(node, (qa.Term, qa.Phrase, qa.Prefix)):
        per_field = []
        for field, boost in SCOPES[node.field]:
            want = tuple(analyze(TEXT_FIELDS[field], node.text)) if boost > 0 else ()
            if want:
                simple = len(want) == 1 and not isinstance(node, qa.Prefix)
                per_field.append((field, want, node, simple))
        return ("leaf", tuple(per_field)) if per_field else None
    if isinstance(node, qa.Not):
        inner = _compile(node.child)
        return ("and", (ALL,), (inner,) if inner is not None else ())
    if isinstance(node, qa.And):
        musts, nots = [], []
        for child in node.children:
            if isinstance(child, qa.Not):
                inner = _compile(child.child)
                if inner is not None:
                    nots.append(inner)
            else:
                q = _compile(child)
                if q is not None:
                    musts.append(q)
        return ("and", tuple(musts) or (ALL,), tuple(nots))
    if isinstance(node, qa.Or):
        parts = tuple(q for q in (_compile(c) for c in node.children) if q is not None)
        return ("or", parts) if parts else None
    raise TypeError(f"unknown query node {type(node).__name__}")


def matches(tree, doc: Doc) -> bool:
    kind = tree[0]
    if kind == "leaf":
        for field, want, leaf, simple in tree[1]:
            toks = doc.tokens.get(field, ())
            if simple:
                if want[0] in toks:
                    return True
            elif isinstance(leaf, qa.Prefix):
                if all(w in toks for w in want[:-1]) and any(_contains(list(v), list(want), leaf) for v in doc.values.get(field, ())):
                    return True
            elif all(w in toks for w in want):            # an exact phrase: its adjacent pairs first (a set test each)
                pairs = doc.bigrams.get(field, ())
                if all(pair in pairs for pair in itertools.pairwise(want)) and \
                        (len(want) == 2 or want in _grams(doc, field, len(want))):
                    return True
        return False
    if kind == "and":
        return all(matches(t, doc) for t in tree[1]) and not any(matches(t, doc) for t in tree[2])
    if kind == "or":
        return any(matches(t, doc) for t in tree[1])
    return kind == "all"


def passes(f: Filters, p: dict, *, today: dt.date, company_ids=None) -> bool:
    """``ProfileStore.mask`` for one derived profile. ``company_ids(values)``: ids the published index knows
    for company names or ids (the profile's own company names count too)."""
    owner = p.get("owner_tenant")
    if owner is not None and owner != f.tenant_id:
        return False
    if f.near is not None:
        loc = p.get("location") or {}
        if loc.get("lat") is None or loc.get("lon") is None:
            return False
        if _km(f.near.lat, f.near.lon, float(loc["lat"]), float(loc["lon"])) > f.near.radius_km:
            return False
    if f.min_years is not None or f.max_years is not None:
        years = np.float32(p.get("years_experience") or 0.0)
        if f.min_years is not None and not years >= f.min_years:
            return False
        if f.max_years is not None and not years <= f.max_years:
            return False
    if f.seniority and p.get("seniority_level") not in {SENIORITY_LEVELS.index(s) for s in f.seniority}:
        return False
    current = p.get("current_company_id")
    if f.current_company and not _company_in(current, p, f.current_company, company_ids):
        return False
    if f.not_current_company and _company_in(current, p, f.not_current_company, company_ids):
        return False
    if f.past_company and not any(_company_in(c, p, f.past_company, company_ids) for c in p.get("past_company_ids") or ()):
        return False
    if f.open_to_work is not None and bool(p.get("open_to_work")) != f.open_to_work:
        return False
    if f.active_within_days is not None:
        last = p.get("last_active")
        if last is None or (last - EPOCH).days < (today - EPOCH).days - f.active_within_days:
            return False
    return True


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """``records.geo.haversine_km`` for scalars, without numpy's per-call cost (same formula and radius)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1, lon1, lat2, lon2))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))


def _company_in(cid: str | None, p: dict, values, company_ids) -> bool:
    if not cid:
        return False
    if cid in values:
        return True
    names = {(x.get("company_name") or "").casefold() for x in p.get("positions") or [] if x.get("company_id") == cid}
    if any(v.casefold() in names for v in values):
        return True
    return company_ids is not None and cid in company_ids(tuple(values))


__all__ = ["Doc", "compile_tree", "document", "matches", "passes"]
