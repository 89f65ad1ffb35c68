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
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from graph.features import GRAPH_FEATURES, GraphFeaturizer, GraphTarget, moves_per_year_of
from indexer.analysis import analyze
from indexer.documents import SCOPES, TEXT_FIELDS
from indexer.termstats import LEX_GROUPS, SKILL_GROUP, TITLE_GROUP, PoolStats, ProfileStats, TermStats, profile_stats, term_key
from query.lang import ast as qa
from query.lang.expansion import title_expansions
from query.lang.filters import Filters
from ranking.evaluate.model import summarize
from ranking.evaluate.offline import OfflineEvaluator
from records.geo import haversine_km
from records.schema import SENIORITY_LEVELS
from records.taxonomy import Taxonomy, seniority_hint, strip_seniority

PAIR_FEATURES = ("pair_skill_cover", "pair_title_match", "pair_occupation_match", "pair_distance_km",
                 "pair_seniority_level", "pair_seniority_fit", "pair_years_experience", "pair_experience_fit",
                 "pair_recency_days", "pair_open_to_work", "pair_tenure_months")
EVAL_FEATURES = ("eval_attached", "eval_must_met", "eval_score")
"""The candidate evaluator's verdicts (ranking/evaluate/) against the request's qualifications: 1 when the
request had qualifications, the share of must-haves met, the weighted score. All 0 without qualifications."""
FEATURE_NAMES: tuple[str, ...] = (*(f"lex_bm25_{g}" for g in LEX_GROUPS), "lex_score", "dense_cos", "fused_rank",
                                  "fused_score", *GRAPH_FEATURES, *PAIR_FEATURES, *EVAL_FEATURES)
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
    occupations: tuple[str, ...] = ()          # O*NET codes the query's titles name, first-named first
    near: tuple[float, float] | None = None
    seniority: tuple[int, ...] = ()            # target levels
    years: tuple[float | None, float | None] = (None, None)
    today_days: int = 0                        # days since epoch
    company: str | None = None
    skill_names: tuple[str, ...] = ()
    qualifications: tuple = ()                 # query.qualifications of the request (eval_* features)


@dataclass(frozen=True)
class Pool:
    """The fused candidates to featurize, in fused order."""
    ords: np.ndarray                     # int64 (n,)
    fused_score: np.ndarray              # float (n,)
    lex_score: np.ndarray                # float (n,), 0 when absent
    dense_cos: np.ndarray                # float (n,), NaN when absent (filled with the bound)


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
    expansions = title_expansions(node, boolean=boolean, taxonomy=taxonomy)
    occupations = tuple(e.code for e in expansions)
    if not boolean and expansions:   # a sentence: the title is the words that named the occupation, not all words
        title = {t for e in expansions for t in analyze(TEXT_FIELDS["title_current"], strip_seniority(e.source))} or title
    levels = tuple(SENIORITY_LEVELS.index(s) for s in filters.seniority)
    if not levels and positive:
        hint = seniority_hint(" ".join(leaf.text for leaf in positive))
        levels = (SENIORITY_LEVELS.index(hint),) if hint in SENIORITY_LEVELS else ()
    near = (filters.near.lat, filters.near.lon) if filters.near else None
    return QueryContext({g: tuple(v) for g, v in terms.items()}, frozenset(skills), frozenset(title), occupations, near,
                        levels, (filters.min_years, filters.max_years), (today - _EPOCH).days,
                        filters.current_company[0] if filters.current_company else None, tuple(skills.values()))


class FeatureSet:
    """Computes ``FEATURE_NAMES`` for a pool of candidates of one index snapshot. Thread-safe.

    Candidate text statistics come from the version's ``termstats.arrow`` (written at ingest); for an
    index without it they are computed from the stored profiles and cached (LRU, ``cache_size``)."""

    names = FEATURE_NAMES

    def __init__(self, *, cache_size: int = 50_000, graph_loader=None):
        self.cache_size = cache_size
        self._graph_loader = graph_loader     # callable(snapshot) -> GraphFeaturizer | None
        self._lock = threading.Lock()
        self._version: str | None = None
        self._view: _SnapshotView | None = None
        self._idf: dict[tuple[str, str], float] = {}
        self._evaluator = None                # made on the first request with qualifications

    def prepare(self, snap) -> None:
        """Build the per-version view and the taxonomy's indexes (query titles and skills) now (a server calls
        this at start-up) rather than in the first search."""
        Taxonomy.load().warm()
        view = self._switch(snap)
        if view.graph is not None:
            view.graph.warm()

    def compute(self, snap, ctx: QueryContext, pool: Pool) -> np.ndarray:
        """float32 (len(pool.ords), len(FEATURE_NAMES)); never NaN."""
        n = len(pool.ords)
        out = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
        if n == 0:
            return out
        view = self._switch(snap)
        stats = view.stats(snap, pool.ords)
        matched = self._match(snap, ctx, stats, out)
        out[:, _INDEX["lex_score"]] = pool.lex_score
        dense = np.asarray(pool.dense_cos, dtype=np.float64)
        known = ~np.isnan(dense)
        out[:, _INDEX["dense_cos"]] = np.where(known, dense, dense[known].min() if known.any() else 0.0)
        out[:, _INDEX["fused_rank"]] = np.arange(1, n + 1)
        out[:, _INDEX["fused_score"]] = pool.fused_score
        if view.graph is not None:
            target = GraphTarget(occupation=ctx.occupations[0] if ctx.occupations else None, company=ctx.company, skills=ctx.skill_names)
            g0 = _INDEX[GRAPH_FEATURES[0]]
            out[:, g0:g0 + len(GRAPH_FEATURES)] = view.graph_features(snap, pool.ords, stats, target)
        self._pair(snap, ctx, view, pool.ords, matched, out)
        if ctx.qualifications:
            self._eval(snap, ctx, pool.ords, out)
        return out

    def _eval(self, snap, ctx: QueryContext, ords: np.ndarray, out: np.ndarray) -> None:
        """Structured verdicts only (free text needs the encoder, which the features do not hold)."""
        quals = tuple(q for q in ctx.qualifications if q.kind != "free_text")
        out[:, _INDEX["eval_attached"]] = 1.0
        if not quals:
            return
        today = _EPOCH + dt.timedelta(days=ctx.today_days)
        evaluator = self._evaluator
        if evaluator is None or evaluator.today != today:
            evaluator = self._evaluator = OfflineEvaluator(today=today)
        records = snap.store.records(ords)
        for i, (rec, judged) in enumerate(zip(records, evaluator.evaluate(records, quals))):
            e = summarize(rec["candidate_id"], judged, quals)
            out[i, _INDEX["eval_must_met"]] = e.must_met / e.must_total if e.must_total else 1.0
            out[i, _INDEX["eval_score"]] = e.score or 0.0

    def _match(self, snap, ctx: QueryContext, stats: PoolStats, out: np.ndarray) -> np.ndarray:
        """BM25 per field group into ``out``, all candidates at once: the pool's (group, token) keys are
        matched against the query's in one lookup (a 16-bit prefilter, then the exact sorted search) and
        the per-token BM25 parts summed per (candidate, group). A query term repeated counts as often as
        it is written. Returns (n, groups + 2) match counts whose last two columns are the distinct query
        skills and current-title tokens each candidate holds."""
        n, groups = len(stats.length), len(LEX_GROUPS)
        weight: dict[int, list] = {}                  # key -> [idf * repetitions, group index]
        for gi, group in enumerate(LEX_GROUPS):
            for t in ctx.terms.get(group, ()):
                key = term_key(gi, t)
                if key in weight:
                    weight[key][0] += self._idf_of(snap, group, t)
                else:
                    weight[key] = [self._idf_of(snap, group, t), gi]
        for gi, names in ((SKILL_GROUP, ctx.skills), (TITLE_GROUP, ctx.title_tokens)):
            for t in names:
                weight.setdefault(term_key(gi, t), [0.0, gi])
        matched = np.zeros((n, groups + 2), dtype=np.float64)
        if not weight or not len(stats.keys):
            return matched
        wanted = np.fromiter(weight, dtype=np.int64, count=len(weight))
        wanted.sort()
        w = np.array([weight[k][0] for k in wanted.tolist()], dtype=np.float64)
        wg = np.array([weight[k][1] for k in wanted.tolist()], dtype=np.int64)
        sel, p = _lookup(wanted, stats.keys)
        if not len(sel):
            return matched
        owner, g, tf = stats.owner[sel], wg[p], stats.tf[sel]
        cells = owner * (groups + 2) + g
        matched[:] = np.bincount(cells, minlength=n * (groups + 2)).reshape(n, groups + 2)
        lex = g < groups
        if lex.any():
            o, gl, t = owner[lex], g[lex], tf[lex]
            norm = K1 * (1 - B + B * stats.length[o, gl] / self._avgdl[gl])
            parts = w[p[lex]] * t * (K1 + 1) / (t + norm)
            scores = np.bincount(o * groups + gl, weights=parts, minlength=n * groups).reshape(n, groups)
            for gi, group in enumerate(LEX_GROUPS):
                if ctx.terms.get(group):
                    out[:, _INDEX[f"lex_bm25_{group}"]] = scores[:, gi].astype(np.float32)
        return matched

    # -- pair features (vectorised over the store's columns) ------------------------------------
    def _pair(self, snap, ctx: QueryContext, view: "_SnapshotView", ords: np.ndarray, matched: np.ndarray, out: np.ndarray) -> None:
        cols = snap.store.columns
        col = lambda name: _INDEX[name]   # noqa: E731
        if ctx.skills:
            out[:, col("pair_skill_cover")] = matched[:, SKILL_GROUP] / len(ctx.skills)
        if ctx.title_tokens:
            out[:, col("pair_title_match")] = matched[:, TITLE_GROUP] / len(ctx.title_tokens)
        if ctx.occupations:
            codes = [view.occupation_names.index(o) for o in ctx.occupations if o in view.occupation_names]
            out[:, col("pair_occupation_match")] = np.isin(view.occupation[ords], codes)
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
        out[:, col("pair_tenure_months")] = np.nan_to_num(view.tenure[ords], nan=0.0)

    def _idf_of(self, snap, group: str, term: str) -> float:
        key = (group, term)
        value = self._idf.get(key)
        if value is None:
            searcher = snap.lexical.index.searcher()
            n = max(searcher.num_docs, 1)
            df = max(searcher.doc_freq(f, term) for f in LEX_GROUPS[group])
            value = self._idf[key] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return value

    # -- per-snapshot state ---------------------------------------------------------------------
    def _switch(self, snap) -> "_SnapshotView":
        """The per-version view (column arrays, term statistics, graph); rebuilt when the version changes."""
        with self._lock:
            if self._version != snap.version or self._view is None:
                graph = self._graph_loader(snap) if self._graph_loader else None
                self._view = _SnapshotView(snap, graph, self.cache_size)
                self._version, self._idf = snap.version, {}
                self._avgdl = self._view.avgdl(snap)
            return self._view


class _SnapshotView:
    """What the features read per index version: the term statistics (``termstats.arrow`` or a cache
    of profiles analysed on demand), per-ord occupation and tenure, and the graph's view of each
    company and skill."""

    def __init__(self, snap, graph, cache_size: int):
        store = snap.store
        self.graph = graph
        self.termstats = TermStats.load(snap.path) if getattr(snap, "path", None) else None
        if self.termstats is not None and not self.termstats.aligned_with(store.table.column("ord").to_numpy()):
            self.termstats = None      # a partial write: fall back to analysing profiles
        self.cache_size = cache_size
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, ProfileStats] = OrderedDict()
        ords = store.table.column("ord").to_numpy()
        occ = store.table.column("occupation_code").to_pylist()
        self.occupation_names = sorted({o for o in occ if o})
        code = {o: i for i, o in enumerate(self.occupation_names)}
        self.occupation = np.full(store.n_ord, -1, dtype=np.int32)
        self.occupation[ords] = [code.get(o, -1) if o else -1 for o in occ]
        self.tenure = np.full(store.n_ord, np.nan, dtype=np.float64)
        self.tenure[ords] = store.table.column("tenure_months").to_numpy(zero_copy_only=False).astype(np.float64)
        self.company = None
        if graph is not None:
            # graph company code per ord: by current company id, else by the current company's name
            by_code = np.full(len(store.company_codes) + 1, -1, dtype=np.int64)
            for cid, c in store.company_codes.items():
                by_code[c] = graph.company_of(cid)
            self.company = by_code[store.columns.company]          # -1 (no company) reads the last slot: -1
            nameless = np.flatnonzero(store.columns.alive & (store.columns.company < 0))
            if len(nameless):
                names = store.table.column("current_company_name").take(store.columns.row[nameless]).to_pylist()
                self.company[nameless] = [graph.company_of(n) if n else -1 for n in names]
            skills = list(graph.skill_code.items())
            keys = np.array([term_key(SKILL_GROUP, s) for s, _ in skills], dtype=np.int64)
            order = np.argsort(keys)
            self.skill_keys, self.skill_codes = keys[order], np.array([c for _, c in skills], dtype=np.int64)[order]

    def avgdl(self, snap) -> np.ndarray:
        """Average tokens per field group over a fixed sample of up to 400 live profiles."""
        n = len(snap.store)
        if not n:
            return np.ones(len(LEX_GROUPS))
        sample = np.linspace(0, n - 1, num=min(n, 400), dtype=np.int64)
        alive = np.flatnonzero(snap.store.columns.alive)[sample]
        avg = self.stats(snap, alive, cache=False).length.mean(axis=0)
        return np.where(avg > 0, avg, 1.0)

    def stats(self, snap, ords: np.ndarray, *, cache: bool = True) -> PoolStats:
        if self.termstats is not None:
            return self.termstats.gather(snap.store.columns.row[ords])
        with self._lock:
            found = {o: self._cache.get(o) for o in ords.tolist()}
        missing = [o for o, s in found.items() if s is None]
        if missing:
            made = {o: profile_stats(p) for o, p in zip(missing, snap.store.records(missing))}
            found.update(made)
            if cache:
                with self._lock:
                    self._cache.update(made)
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
        return PoolStats.of([found[o] for o in ords.tolist()])

    def graph_features(self, snap, ords: np.ndarray, stats: PoolStats, target) -> np.ndarray:
        graph, cols = self.graph, snap.store.columns
        company = self.company[ords]
        sel, p = _lookup(self.skill_keys, stats.keys)
        occupation = [self.occupation_names[c] if c >= 0 else "" for c in self.occupation[ords].tolist()]
        propensity = graph.propensity_of(cols.open_to_work[ords], cols.company[ords] >= 0, self.tenure[ords], company,
                                         moves_per_year_of(stats.first_start, stats.moves, graph.as_of))
        return graph.features_of(company, occupation, stats.owner[sel], self.skill_codes[p], propensity, target)


def _lookup(wanted: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``keys`` holding one of the sorted ``wanted`` keys, and where each sits in ``wanted``."""
    if not len(wanted) or not len(keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    bucket = np.zeros(_BUCKETS, dtype=bool)
    bucket[wanted & (_BUCKETS - 1)] = True
    maybe = np.flatnonzero(bucket[keys & (_BUCKETS - 1)])
    pos = np.minimum(np.searchsorted(wanted, keys[maybe]), len(wanted) - 1)
    hit = wanted[pos] == keys[maybe]
    return maybe[hit], pos[hit]


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
        return GraphFeaturizer.load(index_dir)
    return load
