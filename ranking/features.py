"""The one ordered FeatureSet: computed for the fused candidates at serve time, logged per served hit,
and read back as training data — never two implementations.

Families (prefix = family):

* ``lex_bm25_<group>`` — BM25 (k1=1.2, b=0.75) of the query's positive terms in one field group of
  the candidate (title, occupation, skill, headline, summary, company); IDF from the live lexical index,
  average lengths from a sample of the index. ``lex_score`` is the lexical retriever's own score (0 if
  it did not return the candidate).
* ``dense_cos`` — cosine similarity from the dense retriever; for a candidate the dense retriever did
  not return, the lowest returned similarity (an upper bound on its true value).
* ``fused_rank`` (1-based) and ``fused_score`` — position and score after fusion.
* ``graph_*`` — the economic-graph features of ``graph.features`` (all 0 when no graph was built).
* ``pair_*`` — candidate-query match: skill coverage, title/occupation match, distance to the
  searched place (km; -1 when the search has no place), seniority level and fit (-1 without a target),
  years of experience and fit to the years range (-1 without a range), days since last active,
  open to work, months in the current role.

Per-candidate text statistics are cached per index version (LRU), so re-ranking a candidate seen
before costs only array arithmetic.
"""
from __future__ import annotations

import datetime as dt
import math
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass

import numpy as np

from indexer.analysis import analyze
from indexer.documents import SCOPES, TEXT_FIELDS, lexical_fields
from query import ast as qa
from query.expansion import title_expansions
from query.filters import Filters
from records.geo import haversine_km
from records.schema import SENIORITY_LEVELS
from records.taxonomy import Taxonomy, seniority_hint

try:   # the graph helper's module; the contract fixes these names
    from graph.features import GRAPH_FEATURES, GraphTarget
except ImportError:   # graph package not built yet: same names, features 0
    GRAPH_FEATURES = ("graph_flow_to_target", "graph_transition_to_target", "graph_skill_proximity",
                      "graph_company_growth", "graph_company_layoff", "graph_propensity_to_move")
    GraphTarget = None

LEX_GROUPS: dict[str, tuple[str, ...]] = {
    "title": ("title_current", "title_past"), "occupation": ("occupation",), "skill": ("skill",),
    "headline": ("headline",), "summary": ("summary",), "company": ("company_current", "company_past"),
}
PAIR_FEATURES = ("pair_skill_cover", "pair_title_match", "pair_occupation_match", "pair_distance_km",
                 "pair_seniority_level", "pair_seniority_fit", "pair_years_experience", "pair_experience_fit",
                 "pair_recency_days", "pair_open_to_work", "pair_tenure_months")
FEATURE_NAMES: tuple[str, ...] = (*(f"lex_bm25_{g}" for g in LEX_GROUPS), "lex_score", "dense_cos", "fused_rank",
                                  "fused_score", *GRAPH_FEATURES, *PAIR_FEATURES)
_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}
_FIELD_GROUP = {f: g for g, fs in LEX_GROUPS.items() for f in fs}
K1, B = 1.2, 0.75
_BUCKETS = 1 << 16
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class QueryContext:
    """What the features need to know about one search, built once per request."""
    terms: dict[str, tuple[str, ...]]          # lex group -> analysed positive query tokens
    skills: frozenset[str] = frozenset()       # casefolded O*NET skill names named by the query
    title_tokens: frozenset[str] = frozenset()
    occupations: frozenset[str] = frozenset()  # O*NET codes the query's title words match
    near: tuple[float, float] | None = None
    seniority: tuple[int, ...] = ()            # target levels
    years: tuple[float | None, float | None] = (None, None)
    today_days: int = 0                        # days since epoch
    company: str | None = None
    skill_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pool:
    """The fused candidates to featurize, in fused order."""
    ords: np.ndarray                     # int64 (n,)
    fused_score: np.ndarray              # float (n,)
    lex_score: np.ndarray                # float (n,), 0 when absent
    dense_cos: np.ndarray                # float (n,), NaN when absent (filled with the bound)


@dataclass
class _Doc:
    """What the features need of one candidate, independent of the query (cached per index version)."""
    keys: np.ndarray          # int64 ``_term_key(group index, term)`` of each distinct token of each group
    tf: np.ndarray            # float64 count of each of those tokens
    length: np.ndarray        # float64 (len(LEX_GROUPS),) tokens per group
    skills: frozenset[str]
    title: frozenset[str]
    occupation: str | None
    tenure: float
    graph: object = None      # graph.features.CandidateGraph when a graph is loaded


def build_context(node: qa.Node | None, filters: Filters, *, boolean: bool, today, taxonomy: Taxonomy | None = None) -> QueryContext:
    taxonomy = taxonomy or Taxonomy.load()
    terms: dict[str, list[str]] = {g: [] for g in LEX_GROUPS}
    skills: dict[str, str] = {}
    title: set[str] = set()
    positive = [leaf for leaf, negated in (qa.iter_leaves(node) if node is not None else []) if not negated]
    for leaf in positive:
        for fname, _ in SCOPES[leaf.field]:
            group = _FIELD_GROUP.get(fname)
            if group:
                terms[group].extend(t for t in analyze(TEXT_FIELDS[fname], leaf.text) if t not in terms[group])
        skill = taxonomy.normalize_skill(leaf.text) if leaf.field in (None, "skill") else None
        if skill:
            skills[skill.casefold()] = skill
        elif leaf.field in (None, "title", "current_title") and not seniority_hint(leaf.text):
            title.update(analyze(TEXT_FIELDS["title_current"], leaf.text))
    words = [leaf.text for leaf in positive if leaf.field is None]
    for a, b in zip(words, words[1:]):   # two-word skills in keyword queries ("machine learning")
        skill = taxonomy.normalize_skill(f"{a} {b}")
        if skill:
            skills[skill.casefold()] = skill
    occupations = frozenset(e.code for e in title_expansions(node, boolean=boolean, taxonomy=taxonomy)) if node is not None else frozenset()
    levels = tuple(SENIORITY_LEVELS.index(s) for s in filters.seniority)
    if not levels and positive:
        hint = seniority_hint(" ".join(leaf.text for leaf in positive))
        levels = (SENIORITY_LEVELS.index(hint),) if hint in SENIORITY_LEVELS else ()
    near = (filters.near.lat, filters.near.lon) if filters.near else None
    return QueryContext({g: tuple(v) for g, v in terms.items()}, frozenset(skills), frozenset(title), occupations, near,
                        levels, (filters.min_years, filters.max_years), (today - _EPOCH).days,
                        filters.current_company[0] if filters.current_company else None, tuple(skills.values()))


class FeatureSet:
    """Computes ``FEATURE_NAMES`` for a pool of candidates of one index snapshot. Thread-safe."""

    names = FEATURE_NAMES

    def __init__(self, *, cache_size: int = 50_000, graph_loader=None):
        self.cache_size = cache_size
        self._graph_loader = graph_loader     # callable(snapshot) -> GraphFeaturizer | None
        self._lock = threading.Lock()
        self._version: str | None = None
        self._docs: OrderedDict[int, _Doc] = OrderedDict()
        self._idf: dict[tuple[str, str], float] = {}
        self._avgdl = np.ones(len(LEX_GROUPS))
        self._graph = None

    def compute(self, snap, ctx: QueryContext, pool: Pool) -> np.ndarray:
        """float32 (len(pool.ords), len(FEATURE_NAMES)); never NaN."""
        n = len(pool.ords)
        out = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
        if n == 0:
            return out
        graph = self._switch(snap)
        docs = self._docs_for(snap, pool.ords, graph)
        self._bm25(snap, ctx, docs, out)
        out[:, _INDEX["lex_score"]] = pool.lex_score
        dense = np.asarray(pool.dense_cos, dtype=np.float64)
        known = ~np.isnan(dense)
        out[:, _INDEX["dense_cos"]] = np.where(known, dense, dense[known].min() if known.any() else 0.0)
        out[:, _INDEX["fused_rank"]] = np.arange(1, n + 1)
        out[:, _INDEX["fused_score"]] = pool.fused_score
        if graph is not None and GraphTarget is not None:
            target = GraphTarget(occupation=next(iter(sorted(ctx.occupations)), None), company=ctx.company, skills=ctx.skill_names)
            g0 = _INDEX[GRAPH_FEATURES[0]]
            out[:, g0:g0 + len(GRAPH_FEATURES)] = np.nan_to_num(graph.features_of([d.graph for d in docs], target))
        self._pair(snap, ctx, pool.ords, docs, out)
        return out

    # -- pair features (vectorised over the store's columns) ------------------------------------
    def _pair(self, snap, ctx: QueryContext, ords: np.ndarray, docs: list[_Doc], out: np.ndarray) -> None:
        cols = snap.store.columns
        col = lambda name: _INDEX[name]   # noqa: E731
        if ctx.skills:
            out[:, col("pair_skill_cover")] = [len(ctx.skills & d.skills) / len(ctx.skills) for d in docs]
        if ctx.title_tokens:
            out[:, col("pair_title_match")] = [len(ctx.title_tokens & d.title) / len(ctx.title_tokens) for d in docs]
        if ctx.occupations:
            out[:, col("pair_occupation_match")] = [float(d.occupation in ctx.occupations) for d in docs]
        if ctx.near is not None:
            dist = haversine_km(ctx.near[0], ctx.near[1], cols.lat[ords], cols.lon[ords])
            out[:, col("pair_distance_km")] = np.nan_to_num(np.minimum(dist, 5000.0), nan=5000.0)
        else:
            out[:, col("pair_distance_km")] = -1.0
        level = cols.level[ords].astype(np.float32)
        out[:, col("pair_seniority_level")] = level
        if ctx.seniority:
            gap = np.min(np.abs(level[:, None] - np.asarray(ctx.seniority, dtype=np.float32)[None, :]), axis=1)
            out[:, col("pair_seniority_fit")] = 1.0 - np.minimum(gap, 4.0) / 4.0
        else:
            out[:, col("pair_seniority_fit")] = -1.0
        years = cols.years[ords].astype(np.float32)
        out[:, col("pair_years_experience")] = years
        lo, hi = ctx.years
        if lo is None and hi is None:
            out[:, col("pair_experience_fit")] = -1.0
        else:
            gap = np.maximum((lo or 0.0) - years, 0.0) + (np.maximum(years - hi, 0.0) if hi is not None else 0.0)
            out[:, col("pair_experience_fit")] = np.exp(-gap / 3.0)
        last = cols.last_active[ords].astype(np.int64)
        days = np.where(last == np.iinfo(np.int32).min, 3650, ctx.today_days - last)
        out[:, col("pair_recency_days")] = np.clip(days, 0, 3650)
        out[:, col("pair_open_to_work")] = cols.open_to_work[ords]
        out[:, col("pair_tenure_months")] = [d.tenure for d in docs]

    def _bm25(self, snap, ctx: QueryContext, docs: list[_Doc], out: np.ndarray) -> None:
        """``lex_bm25_<group>`` for every group the query has terms in, all candidates at once: the
        candidates' (group, token) keys are matched against the query's in one sorted lookup and the
        per-token BM25 parts summed per (candidate, group). A query term repeated counts as often as it
        is written."""
        weight: dict[int, list] = {}                  # key -> [idf * repetitions, group index]
        for gi, group in enumerate(LEX_GROUPS):
            for t in ctx.terms.get(group, ()):
                key = _term_key(gi, t)
                if key in weight:
                    weight[key][0] += self._idf_of(snap, group, t)
                else:
                    weight[key] = [self._idf_of(snap, group, t), gi]
        n = len(docs)
        if not weight or not n:
            return
        wanted = np.fromiter(weight, dtype=np.int64, count=len(weight))
        order = np.argsort(wanted)
        wanted = wanted[order]
        w = np.array([weight[k][0] for k in wanted.tolist()], dtype=np.float64)
        wg = np.array([weight[k][1] for k in wanted.tolist()], dtype=np.int64)
        sizes = np.fromiter((len(d.keys) for d in docs), dtype=np.int64, count=n)
        keys = np.concatenate([d.keys for d in docs])
        bucket = np.zeros(_BUCKETS, dtype=bool)       # a 16-bit prefilter, then the exact sorted lookup
        bucket[wanted & (_BUCKETS - 1)] = True
        maybe = np.flatnonzero(bucket[keys & (_BUCKETS - 1)])
        pos = np.minimum(np.searchsorted(wanted, keys[maybe]), len(wanted) - 1)
        hit = wanted[pos] == keys[maybe]
        sel, p = maybe[hit], pos[hit]
        if not len(sel):
            return
        owner = np.repeat(np.arange(n), sizes)[sel]
        g = wg[p]
        tf = np.concatenate([d.tf for d in docs])[sel]
        length = np.stack([d.length for d in docs])[owner, g]
        norm = K1 * (1 - B + B * length / self._avgdl[g])
        parts = w[p] * tf * (K1 + 1) / (tf + norm)
        groups = len(LEX_GROUPS)
        scores = np.bincount(owner * groups + g, weights=parts, minlength=n * groups).reshape(n, groups)
        for gi, group in enumerate(LEX_GROUPS):
            if ctx.terms.get(group):
                out[:, _INDEX[f"lex_bm25_{group}"]] = scores[:, gi].astype(np.float32)

    def _idf_of(self, snap, group: str, term: str) -> float:
        key = (group, term)
        value = self._idf.get(key)
        if value is None:
            searcher = snap.lexical.index.searcher()
            n = max(searcher.num_docs, 1)
            df = max(searcher.doc_freq(f, term) for f in LEX_GROUPS[group])
            value = self._idf[key] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return value

    # -- per-snapshot caches --------------------------------------------------------------------
    def _switch(self, snap):
        """Reset the caches when the snapshot's version changes; returns the graph featurizer in use."""
        with self._lock:
            if self._version == snap.version:
                return self._graph
            self._version, self._docs, self._idf = snap.version, OrderedDict(), {}
            self._graph = self._graph_loader(snap) if self._graph_loader else None
            n = len(snap.store)
            sample = np.linspace(0, n - 1, num=min(n, 400), dtype=np.int64) if n else np.zeros(0, np.int64)
            alive = np.flatnonzero(snap.store.columns.alive)[sample] if n else np.zeros(0, np.int64)
            docs = [_make_doc(p) for p in snap.store.records(alive.tolist())] if len(alive) else []
            avg = np.mean([d.length for d in docs], axis=0) if docs else np.ones(len(LEX_GROUPS))
            self._avgdl = np.where(avg > 0, avg, 1.0)
            return self._graph

    def _docs_for(self, snap, ords: np.ndarray, graph=None) -> list[_Doc]:
        with self._lock:
            found = {o: self._docs.get(o) for o in ords.tolist()}
            missing = [o for o, d in found.items() if d is None or (graph is not None and d.graph is None)]
        if missing:
            profiles = snap.store.records(missing)
            made = {o: _make_doc(p) for o, p in zip(missing, profiles)}
            if graph is not None:
                for d, cand in zip(made.values(), graph.candidates(profiles)):
                    d.graph = cand
            found.update(made)
            with self._lock:
                for o, d in made.items():
                    self._docs[o] = d
                while len(self._docs) > self.cache_size:
                    self._docs.popitem(last=False)
        return [found[o] for o in ords.tolist()]


def _term_key(group: int, term: str) -> int:
    """One int64 per (field group, token): Python's 64-bit string hash, stable within the process that
    caches the documents (never persisted, so hash randomisation does not matter)."""
    return hash((group, term))


def _make_doc(p: dict) -> _Doc:
    values = lexical_fields(p)
    keys, tfs, length = [], [], []
    for gi, (g, fields) in enumerate(LEX_GROUPS.items()):
        tokens = [t for f in fields for v in values.get(f, []) if v for t in analyze(TEXT_FIELDS[f], v)]
        for t, c in Counter(tokens).items():
            keys.append(_term_key(gi, t))
            tfs.append(c)
        length.append(len(tokens))
    skills = frozenset(s.casefold() for s in (p.get("skills_normalized") or []))
    title = frozenset(analyze(TEXT_FIELDS["title_current"], p.get("current_title") or ""))
    return _Doc(np.array(keys, dtype=np.int64), np.array(tfs, dtype=np.float64), np.array(length, dtype=np.float64),
                skills, title, p.get("occupation_code"), float(p.get("tenure_months") or 0.0))


def pool_from_runs(fused: list[tuple[int, float]], runs: dict) -> Pool:
    """The pool for fused (ord, score) pairs, with each retriever's score looked up in ``runs``."""
    lex = {h.ord: h.score for h in runs.get("lexical", ())}
    dense = {h.ord: h.score for h in runs.get("dense", ())}
    ords = np.fromiter((o for o, _ in fused), dtype=np.int64, count=len(fused))
    return Pool(ords, np.array([s for _, s in fused], dtype=np.float64),
                np.array([lex.get(o, 0.0) for o in ords.tolist()], dtype=np.float64),
                np.array([dense.get(o, np.nan) for o in ords.tolist()], dtype=np.float64))


def graph_loader(index_dir):
    """A ``FeatureSet`` graph loader for one index directory: the built graph, or None (features 0)."""
    def load(_snap):
        try:
            from graph.features import GraphFeaturizer
        except ImportError:
            return None
        return GraphFeaturizer.load(index_dir)
    return load
