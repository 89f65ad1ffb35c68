"""Related titles and skills for the query layer, each with a weight in (0, 1] and a reason.

Sources, strongest first:
- ``onet-alternate``: the occupation's own O*NET title, reported and alternate titles (synonyms);
- ``onet-related``: O*NET related occupations (Primary-Short > Primary-Long > Supplemental, then O*NET's order);
- ``learned-transitions``: occupations people in this index moved between (both directions), share of moves;
- ``skill-cooccurrence``: skills listed together on profiles (cosine), when a graph was built;
- ``taxonomy``: skills listed together in O*NET occupations (cosine), the fallback without a graph.

The O*NET data comes from the shipped taxonomy (``records/data/taxonomy.json.gz``, built from
O*NET 27.0 by ``scripts/build_taxonomy.py``); nothing is read from the network.
"""
from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from graph.store import Graph, cached_view, graph_dir
from records.taxonomy import Taxonomy

ALTERNATE_WEIGHT = (1.0, 0.9)          # the O*NET title itself; reported/alternate titles decay from 0.9
TIER_WEIGHT = {"Primary-Short": 0.8, "Primary-Long": 0.6, "Supplemental": 0.4}
LEARNED_WEIGHT = 0.7                   # the most frequent learned transition; others scale by their share
MIN_TRANSITIONS = 3                    # learned transitions seen fewer times are noise


@dataclass(frozen=True)
class Expansion:
    kind: str        # "title" | "skill"
    value: str       # the related title / skill name
    weight: float    # (0, 1]
    reason: str      # one human-readable line
    source: str      # "onet-alternate" | "onet-related" | "learned-transitions" | "skill-cooccurrence" | "taxonomy"


class Expander:
    def __init__(self, taxonomy: Taxonomy, graph: Graph | None = None):
        self.taxonomy = taxonomy
        self.graph = graph
        if graph is not None:
            self._occ_codes = graph.table("occupations").column("code").to_pylist()
            self._skill_names = graph.table("skills").column("name").to_pylist()
            self._skill_code = {s.casefold(): i for i, s in enumerate(self._skill_names)}

    @classmethod
    def load(cls, index_dir=None) -> "Expander":
        """O*NET/taxonomy only when ``index_dir`` is None or has no graph; else also the learned graph."""
        graph = cached_view(index_dir, "graph", lambda g: g) if index_dir is not None else None
        return cls(Taxonomy.load(), graph)

    # -- titles ------------------------------------------------------------------------------
    def resolve(self, title_or_code: str) -> tuple[str, str] | None:
        """(O*NET-SOC code, what matched) for a code or a raw title, or None."""
        text = (title_or_code or "").strip()
        if text in self.taxonomy.occupations:
            return text, text
        m = self.taxonomy.match_title(text) if text else None
        return (m.code, m.alias) if m is not None else None

    def related_titles(self, title_or_code: str, k: int = 10) -> list[Expansion]:
        """Synonyms and related occupation titles, best first, at most ``k``, no duplicates (case-insensitive)."""
        hit = self.resolve(title_or_code)
        if hit is None or k <= 0:
            return []
        code, _ = hit
        occ = self.taxonomy.occupation(code)
        out: list[Expansion] = [Expansion("title", occ.title, ALTERNATE_WEIGHT[0],
                                          f"O*NET occupation {code} {occ.title}", "onet-alternate")]
        synonyms = list(dict.fromkeys((*occ.reported_titles, *occ.short_titles, *occ.alternate_titles)))
        for i, alt in enumerate(synonyms[:k]):
            out.append(Expansion("title", alt, round(ALTERNATE_WEIGHT[1] * 0.97 ** i, 4),
                                 f"O*NET alternate title of {occ.title}", "onet-alternate"))
        for i, (rel, tier, _) in enumerate(occ.related):
            if rel in self.taxonomy.occupations:
                w = TIER_WEIGHT.get(tier, 0.4) * 0.98 ** i
                out.append(Expansion("title", self.taxonomy.occupations[rel].title, round(w, 4),
                                     f"O*NET related occupation ({tier}) of {occ.title}", "onet-related"))
        out.extend(self._learned_titles(code, occ.title))
        return _best(out, k)

    def _learned_titles(self, code: str, title: str) -> list[Expansion]:
        if self.graph is None or code not in self._occ_index:
            return []
        i = self._occ_index[code]
        src, dst, cnt = (self.graph.col("transitions", c) for c in ("src", "dst", "count"))
        sel = ((src == i) | (dst == i)) & (cnt >= MIN_TRANSITIONS)
        other = np.where(src[sel] == i, dst[sel], src[sel])
        totals = Counter()
        for o, c in zip(other.tolist(), cnt[sel].tolist()):
            totals[o] += c
        if not totals:
            return []
        top = max(totals.values())
        out = []
        for o, c in totals.most_common(20):
            other_code = self._occ_codes[o]
            name = self.taxonomy.occupations[other_code].title
            out.append(Expansion("title", name, round(LEARNED_WEIGHT * c / top, 4),
                                 f"{c} career moves between {title} and {name} in this index", "learned-transitions"))
        return out

    @functools.cached_property
    def _occ_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self._occ_codes)} if self.graph is not None else {}

    # -- skills ------------------------------------------------------------------------------
    def related_skills(self, skill: str, k: int = 10) -> list[Expansion]:
        """Skills that go with ``skill``, at most ``k`` (never the skill itself): learned co-occurrence
        first (best first), then O*NET co-listing to fill up."""
        raw = (skill or "").strip()
        if not raw or k <= 0:
            return []
        canon = self.taxonomy.normalize_skill(raw) or " ".join(raw.split())
        out: list[Expansion] = []
        if self.graph is not None:
            code = self._skill_code.get(canon.casefold())
            if code is not None:
                src, dst, cnt, w = (self.graph.col("skill_adjacency", c) for c in ("src", "dst", "count", "weight"))
                lo, hi = np.searchsorted(src, code, "left"), np.searchsorted(src, code, "right")
                for d, c, wt in zip(dst[lo:hi].tolist(), cnt[lo:hi].tolist(), w[lo:hi].tolist()):
                    if wt > 0:
                        out.append(Expansion("skill", self._skill_names[d], round(min(1.0, wt), 4),
                                             f"listed with {canon} on {c} profiles", "skill-cooccurrence"))
        out = _best([e for e in out if e.value.casefold() != canon.casefold()], k)
        if len(out) < k:   # the taxonomy fills up after what this index learned
            seen = {x.value.casefold() for x in out} | {canon.casefold()}
            extra = [e for e in _taxonomy_skill_neighbours(self.taxonomy).get(canon.casefold(), ())
                     if e.value.casefold() not in seen]
            out += _best(extra, k - len(out))
        return out


def _best(items: list[Expansion], k: int) -> list[Expansion]:
    seen: dict[str, Expansion] = {}
    for e in items:
        key = e.value.casefold()
        if e.weight > 0 and (key not in seen or e.weight > seen[key].weight):
            seen[key] = e
    ordered = sorted(seen.values(), key=lambda e: (-e.weight, e.value))
    return ordered[:k]


@functools.lru_cache(maxsize=2)
def _taxonomy_skill_neighbours(taxonomy: Taxonomy, per_skill: int = 30) -> dict[str, tuple[Expansion, ...]]:
    """Skill -> skills co-listed in O*NET occupations (cosine over occupations), built once per taxonomy."""
    freq: Counter = Counter()
    pairs: Counter = Counter()
    for occ in taxonomy.occupations.values():
        names = sorted({s.name for s in occ.skills})
        freq.update(names)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                pairs[(a, b)] += 1
    neighbours: dict[str, list[tuple[float, str, int]]] = {}
    for (a, b), c in pairs.items():
        if c < 2:
            continue
        w = c / math.sqrt(freq[a] * freq[b])
        neighbours.setdefault(a, []).append((w, b, c))
        neighbours.setdefault(b, []).append((w, a, c))
    out = {}
    for a, items in neighbours.items():
        items.sort(key=lambda x: (-x[0], x[1]))
        out[a.casefold()] = tuple(Expansion("skill", b, round(min(1.0, w), 4), f"listed with {a} in {c} O*NET occupations",
                                            "taxonomy") for w, b, c in items[:per_skill])
    return out


_LOADED: dict[tuple[str, int], Expander] = {}


def cached(index_dir=None) -> Expander:
    """``Expander.load`` cached per index directory until its graph is rebuilt."""
    manifest = graph_dir(index_dir) / "manifest.json" if index_dir is not None else None
    key = (str(manifest), manifest.stat().st_mtime_ns if manifest is not None and manifest.exists() else 0)
    hit = _LOADED.get(key)
    if hit is None:
        hit = Expander.load(index_dir)
        if len(_LOADED) > 8:
            _LOADED.clear()
        _LOADED[key] = hit
    return hit


def lexical_expansions(index_dir, codes: list[str], *, k: int, boost: float) -> list[tuple[str, str, float]]:
    """``(field, text, boost)`` clauses for the lexical retriever: synonyms on the current title, related
    occupations on the normalised occupation field (the matched occupation itself is left to title normalisation)."""
    expander = cached(index_dir)
    out: dict[tuple[str, str], float] = {}
    for code in codes:
        own = expander.taxonomy.occupations[code].title.casefold()
        for e in expander.related_titles(code, k=k + 1):
            if e.value.casefold() == own:
                continue
            field = "title_current" if e.source == "onet-alternate" else "occupation"
            key = (field, e.value)
            out[key] = max(out.get(key, 0.0), round(boost * e.weight, 4))
    return [(f, v, b) for (f, v), b in out.items()]
