"""A standing query as sets of features, and the two-level index that finds the searches a profile can match.

A *feature* is ``(field, token)`` or ``(field, token, next_token)``: a token, or two adjacent tokens inside one
value, of a lexical field (``evaluate.Doc.features``). The *normal form* of a compiled query tree
(``evaluate.compile_tree``, so leaves the compiler drops are dropped here too) is

* ``groups``: sets of features; a matching document has at least one feature of each (necessary);
* ``forbidden``: features a matching document has none of (from ``NOT`` clauses that are sets of features);
* ``exact``: the groups and the forbidden set together *decide* the query, no tree evaluation needed. A leaf
  is a set of features when, in each field of its scope, it is one token or an exact two-token phrase (a
  dis_max over fields matches when any field does); an AND of such leaves, an OR of them, and NOT of one of
  them stay exact. Prefixes, longer or sloppy phrases and ORs of ANDs give necessary groups only.

``AnchorIndex`` keys each search by a feature of its rarest group and, under it, by a feature of its second
rarest group (the *conjunction* of the two rarest conditions): a profile reaches a search only when it holds
both, so a profile with common tokens (``skill: python``) is not tested against every search naming them.
(A search whose two rarest groups would need more than ``MAX_KEYS`` pairs is keyed by its rarest group only;
``depth`` says which groups the index checked, the matcher tests the others.)
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

from query.lang import ast as qa

Feature = tuple  # (field, token) | (field, token, next_token)
_NONE = ()       # second-level key of a search keyed by its rarest group alone
MAX_KEYS = 256   # feature pairs one search may be keyed by; above (wide ORs on both sides), its rarest group alone


@dataclass(frozen=True)
class NormalForm:
    groups: tuple[frozenset, ...]     # rarest first
    forbidden: frozenset
    exact: bool

    @property
    def never(self) -> bool:
        """An empty group: nothing matches (a query compiled to NOTHING, or ``NOT`` of everything)."""
        return any(not g for g in self.groups)


def normal_form(tree, cost=None) -> NormalForm:
    """The normal form of ``evaluate.compile_tree``'s tree; ``cost(feature)``: estimated document frequency
    (the published index's, so the index anchors on rare features)."""
    cost = cost or length_cost
    groups, forbidden, exact = _nf(tree, cost)
    unique = sorted(set(groups), key=lambda g: (sum(cost(f) for f in g), sorted(g)))
    return NormalForm(tuple(unique), frozenset(forbidden), exact)


def length_cost(feature: Feature) -> int:
    """Without document frequencies: longer tokens and token pairs are rarer."""
    return 1_000_000 // (1 + sum(len(t) for t in feature[1:]) * len(feature))


def _nf(tree, cost) -> tuple[list[frozenset], set, bool]:
    kind = tree[0]
    if kind == "all":
        return [], set(), True
    if kind == "nothing":
        return [frozenset()], set(), True
    if kind == "leaf":
        return _leaf(tree[1], cost)
    if kind == "and":
        groups, forbidden, exact = [], set(), True
        for t in tree[1]:
            g, f, e = _nf(t, cost)
            groups += g
            forbidden |= f
            exact = exact and e
        for t in tree[2]:
            g, f, e = _nf(t, cost)
            if e and not f and len(g) == 1:
                forbidden |= g[0]             # NOT (a OR b): neither a nor b
            elif e and not f and not g:
                groups.append(frozenset())    # NOT everything
            else:
                exact = False                 # NOT (a AND b) and the like: the tree decides
        return groups, forbidden, exact
    if kind == "or":
        parts = [_nf(t, cost) for t in tree[1]]
        if all(e and not f and len(g) <= 1 for g, f, e in parts):
            if any(not g for g, _, _ in parts):
                return [], set(), True        # one alternative matches everything
            return [frozenset().union(*(g[0] for g, _, _ in parts))], set(), True
        if all(g for g, _, _ in parts):       # each alternative needs one of its groups: the union is needed
            return [frozenset().union(*(min(g, key=lambda x: sum(map(cost, x))) for g, _, _ in parts))], set(), False
        return [], set(), False
    raise TypeError(f"unknown query tree node {kind!r}")


def _leaf(per_field, cost) -> tuple[list[frozenset], set, bool]:
    """One feature per field of the leaf's scope that the field needs to match (the leaf is a dis_max: it
    matches when one field does)."""
    reps, exact = set(), True
    for field, want, node, simple in per_field:
        if simple:
            reps.add((field, want[0]))
            continue
        prefix, sloppy = isinstance(node, qa.Prefix), bool(getattr(node, "slop", 0))
        if not prefix and not sloppy and len(want) == 2:
            reps.add((field, want[0], want[1]))     # adjacent inside one value: exactly the phrase
            continue
        exact = False
        keyed = want[:-1] if prefix else want
        if not keyed:
            return [], set(), False                 # a bare prefix: no token is known in advance
        options = [(field, t) for t in keyed]
        if not prefix and not sloppy:
            options += [(field, a, b) for a, b in itertools.pairwise(want)]
        reps.add(min(options, key=lambda f: (cost(f), f)))
    return [frozenset(reps)], set(), exact


def depth(nf: NormalForm) -> int:
    """How many of ``nf``'s groups (rarest first) the anchor index checks: 0, 1 or 2. The matcher tests the rest."""
    if not nf.groups:
        return 0
    if len(nf.groups) > 1 and len(nf.groups[0]) * len(nf.groups[1]) <= MAX_KEYS:
        return 2
    return 1


class AnchorIndex:
    """search_id -> its first two groups, inverted: ``lookup(features)`` returns every search whose two
    rarest groups the features both meet, and the searches without groups."""

    def __init__(self):
        self._first: dict[Feature, dict[Feature, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._free: set[str] = set()
        self._keys: dict[str, list[tuple[Feature, Feature]]] = {}

    def add(self, search_id: str, nf: NormalForm) -> None:
        self.remove(search_id)
        if not nf.groups:
            self._free.add(search_id)
            self._keys[search_id] = []
            return
        if nf.never:
            self._keys[search_id] = []        # matches nothing: never a candidate
            return
        second = nf.groups[1] if depth(nf) == 2 else (_NONE,)
        keys = [(a, b) for a in nf.groups[0] for b in second]
        for a, b in keys:
            self._first[a][b].add(search_id)
        self._keys[search_id] = keys

    def remove(self, search_id: str) -> None:
        self._free.discard(search_id)
        for a, b in self._keys.pop(search_id, ()):
            sub = self._first[a]
            sub[b].discard(search_id)
            if not sub[b]:
                del sub[b]
            if not sub:
                del self._first[a]

    def lookup(self, features: frozenset) -> set[str]:
        out = set(self._free)
        first = self._first
        for f in first.keys() & features:      # one C loop over the features
            for b, sids in first[f].items():
                if b is _NONE or b in features:
                    out |= sids
        return out


__all__ = ["MAX_KEYS", "AnchorIndex", "Feature", "NormalForm", "depth", "length_cost", "normal_form"]
