"""The search pipeline: parse -> filter mask -> lexical + dense retrieval -> fuse -> hydrate.

A Boolean query is a hard contract: every returned hit matches it, whichever retriever found it
(the dense retriever ranks only inside the Boolean match set, up to ``boolean_pool`` documents).
Plain keywords or natural language are soft: BM25 over any of the words, and dense similarity.
Filters are hard for every retriever: both use the same mask from ``ProfileStore.mask``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from graph.expansion import lexical_expansions
from graph.features import GRAPH_FEATURES, GraphFeaturizer, blend, target_from_query
from indexer.backend import LexicalQuery, Page, check_facets
from indexer.documents import TEXT_FIELDS
from indexer.encoder import same_model
from indexer.highlight import matched_fields_many
from indexer.highlight import render as render_highlights
from indexer.imported import EncoderMismatchError
from indexer.reader import IndexReader, IndexSnapshot
from query.lang import ast as qa
from query.lang.filters import Filters
from query.lang.expansion import title_expansions
from query.lang.syntax import SYNTAXES, parse_query
from records.errors import NotFoundError, QueryError
from records.hits import FusedHit, Hit, RetrieverResult
from records.taxonomy import Taxonomy
from ranking.evaluate.freetext import FreeTextJudge
from ranking.evaluate.offline import OfflineEvaluator
from ranking.evaluate.stage import evaluate_page
from ranking.search.fusion import FUSERS

log = logging.getLogger(__name__)
MODES = ("hybrid", "lexical", "dense")
_DENSE_POOL: ThreadPoolExecutor | None = None


def _dense_pool() -> ThreadPoolExecutor:
    """Threads for the dense retriever of hybrid keyword searches (FAISS and tantivy release the GIL)."""
    global _DENSE_POOL
    if _DENSE_POOL is None:
        _DENSE_POOL = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="dense")
    return _DENSE_POOL


def _forget_pool_in_child() -> None:
    """A forked child has none of the parent's threads: it starts a pool of its own when it needs one."""
    global _DENSE_POOL
    _DENSE_POOL = None


os.register_at_fork(after_in_child=_forget_pool_in_child)


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    filters: Filters = field(default_factory=Filters)
    k: int = 10
    mode: str = "hybrid"
    syntax: str = "auto"          # auto: Boolean when the text uses operators, quotes, () or field:
    fusion: str = "rrf"
    rrf_k: int = 60
    weights: tuple[tuple[str, float], ...] = (("lexical", 0.5), ("dense", 0.5))
    lexical_k: int = 200          # budget each retriever passes to fusion
    dense_k: int = 200
    boolean_pool: int = 10_000    # most Boolean matches the dense retriever may rank
    field_boosts: tuple[tuple[str, float], ...] = ()   # override unscoped-term field boosts (lexical)
    title_normalization: bool = False   # match query titles to O*NET occupations (query.lang.expansion)
    title_boost: float = 1.0            # weight of the normalised-occupation clause (lexical)
    graph_blend: tuple[tuple[str, float], ...] = ()   # (graph feature, weight) added to min-max fused scores; () = off
    graph_depth: int = 100              # fused candidates the graph blend re-scores
    title_expansion: int = 0            # related titles added per query occupation (graph.expansion); 0 = off
    title_expansion_boost: float = 0.5  # weight of each related-title clause, times the expansion's weight
    debug: bool = False
    rerank: bool = True                 # LTR re-rank when a model serves the tenant (ranking/ltr/train.py)
    rerank_k: int | None = None         # fused candidates the model re-ranks (None = the stage's budget)
    explain: bool = True                # the model's top feature contributions per returned hit (SHAP)
    explore: bool = True                # may be shown with random adjacent swaps when the tenant explores (LtrSettings)
    facets: tuple[str, ...] = ()        # indexer.backend.FACETS counted over the whole filtered match set
    facet_size: int = 10                # values per facet
    highlight: bool = False             # mark up the matched words of each hit (lexical backend's highlighter)
    fairness: bool = True               # the tenant's fairness-aware re-ranking, when it turned it on (ranking.fairness)
    fairness_settings: object | None = None   # this request's FairnessSettings (FairnessStage.request_settings); None: the tenant's
    qualifications: tuple = ()          # query.qualifications (parsed, guarded): judge the page's hits, must-haves first
    evaluate_block: int | None = None   # order within consecutive blocks of this many hits (pages); None: all k

    def validate(self) -> "SearchRequest":
        if self.mode not in MODES:
            raise QueryError(f"mode: must be one of {list(MODES)}, got {self.mode!r}")
        if self.syntax not in SYNTAXES:
            raise QueryError(f"syntax: must be one of {list(SYNTAXES)}, got {self.syntax!r}")
        if self.fusion not in FUSERS:
            raise QueryError(f"fusion: must be one of {sorted(FUSERS)}, got {self.fusion!r}")
        if not 1 <= self.k <= 1000:
            raise QueryError(f"k: must be between 1 and 1000, got {self.k}")
        if self.rrf_k < 0:
            raise QueryError(f"rrf_k: must be >= 0, got {self.rrf_k}")
        if self.graph_blend:
            unknown = [n for n, _ in self.graph_blend if n not in GRAPH_FEATURES]
            if unknown:
                raise QueryError(f"graph_blend: unknown graph feature(s) {unknown}; known: {list(GRAPH_FEATURES)}")
        check_facets(self.facets)
        if not 1 <= self.facet_size <= 1000:
            raise QueryError(f"facet_size: must be between 1 and 1000, got {self.facet_size}")
        bad = [name for name, boost in self.field_boosts if name not in TEXT_FIELDS or boost < 0]
        if bad:
            raise QueryError(f"field_boosts: unknown field or negative boost {bad}; fields: {sorted(TEXT_FIELDS)}")
        return self


@dataclass(frozen=True)
class SearchResponse:
    hits: list[FusedHit]
    version: str
    mode: str
    syntax: str
    query: str | None             # canonical form of the parsed query
    total_lexical: int            # documents matching lexically (-1 when unknown)
    timings_ms: dict[str, float]
    debug: dict | None = None
    request_id: str = ""               # keys the served feature log; events refer to it
    model_version: str | None = None   # the LTR model that ordered the hits (None = fused order)
    explanations: dict[str, list[tuple[str, float]]] | None = None   # candidate_id -> top feature contributions
    facets: dict[str, list[tuple[str, int]]] | None = None   # facet -> [(value, count)] over the filtered match set
    highlights: dict[str, dict[str, list[str]]] | None = None   # candidate_id -> lexical field -> marked-up values
    explored: bool = False             # hits shown with random adjacent swaps of the ranked order (propensity data)
    fairness: str | None = None        # the fairness re-ranking applied ("detgreedy:sex@100"), None = none
    evaluations: dict | None = None    # candidate_id -> CandidateEvaluation when the request had qualifications


def dense_query_text(node: qa.Node) -> str:
    """What the encoder sees for a parsed query: its positive words, in order, once."""
    words = [leaf.text for leaf, negated in qa.iter_leaves(node) if not negated]
    return " ".join(dict.fromkeys(words))


class Reranker(Protocol):
    """The stage after fusion (``ranking.ltr.LtrStage``): featurize the fused pool, re-order it with the
    tenant's model, and log what was served. Without a model for the tenant the fused order stands."""

    def prepare(self, snap: IndexSnapshot) -> None:
        """Load what the first search would otherwise wait for (features' per-version view, models)."""

    def rerank(self, snap: IndexSnapshot, node, filters: Filters, *, boolean: bool, today: dt.date,
               fused: list[tuple[int, float]], runs: dict[str, list[Hit]], k: int, budget: int | None = None,
               use_model: bool = True, explain: bool = True, qualifications: tuple = ()):
        """A ``RerankResult`` (new order, the returned hits' features, model version, explanations) or None.
        ``qualifications``: the request's, for the ``eval_*`` features."""

    def explore_order(self, tenant_id: str | None, request_id: str, n: int) -> list[int] | None:
        """The display order of a page chosen for exploration, else None."""

    def log(self, tenant_id: str | None, request_id: str, candidate_ids: list[str], X: np.ndarray,
            model_version: str | None, query: str | None, *, explored: bool = False) -> None:
        """Record the served page (position = the engine's rank)."""


class SearchEngine:
    """Hybrid search over one index directory. Thread-safe for concurrent ``search`` calls."""

    def __init__(self, reader: IndexReader, encoder, *, today: Callable[[], dt.date] = dt.date.today,
                 ltr: Reranker | None = None, fairness=None, evaluator=None, parallel: bool = True):
        self.reader = reader
        # hybrid keyword searches: the dense retriever (query encoding + vector search) runs in a thread
        # while the lexical one runs here; a Boolean query's dense side needs the lexical pool, so it waits
        self.parallel = parallel
        self.encoder = encoder
        self.today = today
        self.ltr = ltr   # featurize + re-rank after fusion, feature logging (None: the fused order)
        self.fairness = fairness   # ranking.fairness.stage.FairnessStage: per-tenant re-ranking (None: off)
        self._evaluator = evaluator

    @property
    def evaluator(self):
        """The candidate evaluator (ranking/evaluate/); offline over this engine's encoder unless one was given."""
        if self._evaluator is None:
            freetext = FreeTextJudge(self.encoder, model=getattr(self.encoder, "name", "")) if self.encoder is not None else None
            self._evaluator = OfflineEvaluator(freetext=freetext, today=self.today())
        return self._evaluator

    @evaluator.setter
    def evaluator(self, value) -> None:
        self._evaluator = value

    def warm(self) -> None:
        """Load what the first search would otherwise wait for: the live snapshot, the taxonomy, the query
        encoder and the LTR features' per-version view (graph, term statistics). Raises
        BackendUnavailableError when there is no index yet."""
        snap = self.reader.snapshot()
        Taxonomy.load().warm()
        if self.encoder is not None:              # a lexical-only engine (dense=False) has none
            self.encoder.encode_query("warm up")
            try:
                self._check_encoder(snap)
            except EncoderMismatchError as exc:   # lexical search still serves; dense and hybrid say why not
                log.warning("%s", exc)
        if self.ltr is not None:
            self.ltr.prepare(snap)

    def _check_encoder(self, snap) -> None:
        """Refuse to compare the query's vector with vectors of another model (imported with --vectors)."""
        dm = snap.manifest.get("dense")
        if dm and not (same_model(dm["model"], self.encoder.name) and int(dm["dim"]) == self.encoder.dim):
            raise EncoderMismatchError(
                f"index version {snap.version} holds vectors of model {dm['model']!r} (dim {dm['dim']}) but the query "
                f"encoder is {self.encoder.name!r} (dim {self.encoder.dim}): set TALENTSEARCH_ENCODER_MODEL_DIR to a "
                f"local copy of {dm['model']!r}, or search with mode=lexical")

    def search(self, request: SearchRequest, *, within=None) -> SearchResponse:
        """``within``: optional candidate ids the hits must come from, ANDed with the filters
        (re-ranking a given candidate list; see ``ranking.search.rerank``)."""
        req = request.validate()
        t: dict[str, float] = {}
        clock = started = time.perf_counter()
        snap = self.reader.snapshot()
        text = req.query.strip()
        node, syntax = parse_query(text, req.syntax)
        t["parse"] = _lap(clock)
        mode = "lexical" if node is None else req.mode
        boolean = node is not None and syntax == "boolean"
        expansions = title_expansions(node, boolean=boolean) if (req.title_normalization or req.title_expansion) else []
        lex_expansions = [("occupation", e.occupation_title, req.title_boost) for e in expansions] if req.title_normalization else []
        if req.title_expansion and expansions:
            lex_expansions += lexical_expansions(self.reader.index_dir, [e.code for e in expansions], k=req.title_expansion,
                                                 boost=req.title_expansion_boost)
        t["expand"] = _lap(clock) - t["parse"]

        clock = time.perf_counter()
        today = self.today()
        mask = snap.store.mask(req.filters, today=today)
        if within is not None:
            mask = mask & snap.store.ords_mask(within)
        t["filter"] = _lap(clock)

        runs: dict[str, list[Hit]] = {}
        total = -1
        dense_mask = mask
        dense_side = None
        if mode == "hybrid" and not boolean and self.parallel:
            self._check_encoder(snap)      # refused before either retriever starts
            dense_side = _dense_pool().submit(self._dense, snap, text, max(req.dense_k, req.k), mask)
        if mode in ("lexical", "hybrid") or boolean:
            clock = time.perf_counter()
            need_pool = boolean and mode in ("dense", "hybrid")
            limit = max(req.lexical_k, req.k) if not need_pool else max(req.boolean_pool, req.lexical_k, req.k)
            try:
                lex = self._lexical(snap, node, req, mask, limit, keywords=not boolean, today=today,
                                    expansions=lex_expansions, top_k=True)
            except BaseException:
                if dense_side is not None:
                    dense_side.cancel()
                raise
            total = lex.total
            if mode in ("lexical", "hybrid"):
                runs["lexical"] = lex.hits[: max(req.lexical_k, req.k)]
            if need_pool:
                dense_mask = np.zeros_like(mask)
                dense_mask[[h.ord for h in lex.hits]] = True
            t["lexical"] = _lap(clock)
        if mode in ("dense", "hybrid"):
            if dense_side is not None:
                runs["dense"], t["encode"], t["dense"] = dense_side.result()
            else:
                # expansions stay out of the dense text: appending the occupation title cost 0.04
                # nDCG@10 on talentclef-en (0.670 -> 0.630); the embedding already places synonyms together
                self._check_encoder(snap)
                runs["dense"], t["encode"], t["dense"] = self._dense(
                    snap, dense_query_text(node) if boolean else text, max(req.dense_k, req.k), dense_mask)

        clock = time.perf_counter()
        if len(runs) == 1:
            (only,) = runs.values()
            fused = [(h.ord, h.score) for h in only]
        else:
            fused = FUSERS[req.fusion](runs, rrf_k=req.rrf_k, weights=dict(req.weights))
        t["fuse"] = _lap(clock)
        if req.graph_blend and fused:
            clock = time.perf_counter()
            fused = self._graph_blend(snap, node, boolean, req, fused)
            t["graph"] = _lap(clock)
        request_id = uuid.uuid4().hex
        ranked = None
        fair = (self.fairness.plan(req.filters.tenant_id, req.fairness_settings)
                if (self.fairness is not None and req.fairness) else None)
        if self.ltr is not None and fused:
            clock = time.perf_counter()
            ranked = self.ltr.rerank(snap, node, req.filters, boolean=boolean, today=today, fused=fused, runs=runs,
                                     k=max(req.k, fair.top_n) if fair else req.k, budget=req.rerank_k,
                                     use_model=req.rerank, explain=req.explain, qualifications=req.qualifications)
            fused = ranked.fused if ranked is not None else fused
            t["rerank"] = _lap(clock)
        if fair is not None and fused:
            clock = time.perf_counter()
            fused, ranked = _fair(fair, snap, fused, ranked)
            t["fairness"] = _lap(clock)
        clock = time.perf_counter()
        hits = self._hydrate(snap, fused[: req.k], runs, node)
        explanations = None
        order = None
        feats = ranked.features[: len(hits)] if ranked is not None else None
        expl = ranked.explanations if ranked is not None else None
        evaluations = None
        if req.qualifications and hits:     # the optional evaluation stage: must-haves first (ranking/evaluate/stage.py)
            eclock = time.perf_counter()
            perm, judged = [], []
            block = req.evaluate_block or len(hits)
            for lo in range(0, len(hits), block):       # a page never takes hits from the next one
                p, j = evaluate_page(self.evaluator, [h.profile for h in hits[lo:lo + block]], req.qualifications)
                perm += [lo + i for i in p]
                judged += j
            hits = [dataclasses.replace(hits[i], rank=n) for n, i in enumerate(perm, start=1)]
            feats = feats[perm] if feats is not None else None
            expl = [expl[i] for i in perm] if expl is not None else None
            evaluations = {e.candidate_id: e for e in judged}
            t["evaluate"] = _lap(eclock)
        if ranked is not None:
            order = self.ltr.explore_order(req.filters.tenant_id, request_id, len(hits)) if req.explore else None
            self.ltr.log(req.filters.tenant_id, request_id, [h.candidate_id for h in hits], feats,
                         ranked.model_version, text, explored=order is not None)
            if order is not None:   # rank = where the hit is shown (the log keeps the engine's rank)
                hits = [dataclasses.replace(hits[i], rank=n) for n, i in enumerate(order, start=1)]
            if expl is not None:
                explanations = {h.candidate_id: e for h, e in zip(hits, expl)}
        t["hydrate"] = _lap(clock) - t.get("evaluate", 0.0)
        t["total"] = _lap(started)     # wall time: with parallel retrievers, less than the stages' sum
        debug = None
        if req.debug:
            debug = {"runs": {name: [(h.ord, h.score) for h in hs] for name, hs in runs.items()},
                     "filtered_candidates": int(mask.sum()), "dense_pool": int(dense_mask.sum()) if "dense" in runs else None,
                     "dense_text": dense_query_text(node) if (node is not None and boolean) else text,
                     "title_expansions": [e.reason for e in expansions]}
        return SearchResponse(hits, snap.version, mode, syntax, qa.to_query_string(node) if node else None, total, t, debug,
                              request_id=request_id, model_version=ranked.model_version if ranked else None,
                              explanations=explanations, explored=order is not None, evaluations=evaluations,
                              fairness=fair.label if (fair is not None and fused) else None, **self._extras(snap, node, req, mask, hits, keywords=not boolean,
                                                                         today=today, timings=t))

    def _dense(self, snap: IndexSnapshot, text: str, k: int, allowed) -> tuple[list[Hit], float, float]:
        """The dense run: encode the query text, search the vectors under ``allowed``; (hits, encode ms, search ms)."""
        clock = time.perf_counter()
        qvec = self.encoder.encode_query(text)
        encode_ms = _lap(clock)
        clock = time.perf_counter()
        ids, scores = snap.vectors.search(qvec, k, allowed=allowed)
        return [Hit(int(i), float(s)) for i, s in zip(ids, scores)], encode_ms, _lap(clock)

    def pool(self, request: SearchRequest, *, limit: int = 100_000) -> tuple[np.ndarray, int, IndexSnapshot]:
        """The match set of a query + filters as ords (at most ``limit``, best BM25 first; no query: every
        profile passing the filters), the number matching (-1 when unknown) and the snapshot used."""
        req = request.validate()
        snap = self.reader.snapshot()
        text = req.query.strip()
        today = self.today()
        mask = snap.store.mask(req.filters, today=today)
        if not text:
            ords = np.flatnonzero(mask)
            return ords[:limit], int(len(ords)), snap
        node, syntax = parse_query(text, req.syntax)
        lex = self._lexical(snap, node, req, mask, limit, keywords=syntax != "boolean", today=today)
        return np.array([h.ord for h in lex.hits], dtype=np.int64), lex.total, snap

    def _graph_blend(self, snap: IndexSnapshot, node, boolean: bool, req: SearchRequest, fused):
        """Fixed linear blend of graph features (graph.features) into the head of the fused list."""
        featurizer = GraphFeaturizer.load(self.reader.index_dir)
        if featurizer is None:
            return fused
        head = fused[: max(req.k, req.graph_depth)]
        feats = featurizer.features(snap.store.records([o for o, _ in head]), target_from_query(node, boolean=boolean))
        return blend(head, feats, dict(req.graph_blend)) + list(fused[len(head):])

    def _lexical(self, snap: IndexSnapshot, node, req: SearchRequest, mask, limit: int, *, keywords: bool, today,
                 expansions=(), top_k: bool = False) -> RetrieverResult:
        lq = _lexical_query(snap, node, req, keywords=keywords, today=today, expansions=expansions, top_k=top_k)
        return snap.lexical.retrieve(lq, k=limit, mask=mask)

    def _extras(self, snap: IndexSnapshot, node, req: SearchRequest, mask, hits, *, keywords: bool, today, timings) -> dict:
        """Facets over the whole filtered match set and highlights of the returned hits (when asked)."""
        out: dict = {}
        lq = _lexical_query(snap, node, req, keywords=keywords, today=today)
        if req.facets:
            clock = time.perf_counter()
            out["facets"] = snap.lexical.facets(lq, mask=mask, names=req.facets, size=req.facet_size, store=snap.store)
            timings["facets"] = _lap(clock)
        if req.highlight and node is not None and hits:
            clock = time.perf_counter()
            records = [h.profile for h in hits]
            tokens = snap.lexical.highlight(lq, records)
            out["highlights"] = {h.candidate_id: render_highlights(h.profile, tok) for h, tok in zip(hits, tokens)}
            timings["highlight"] = _lap(clock)
        return out

    def page(self, request: SearchRequest, *, size: int = 100, cursor: str | None = None) -> tuple[list[FusedHit], str | None]:
        """Deep paging over the lexical match set (every match, not a top-k): hits in a stable order
        (score desc then ord; filter-only: ord) and the cursor of the next page, None at the end.
        OpenSearch holds a point in time for the scan; the embedded backend re-ranks each page."""
        req = request.validate()
        if not 1 <= size <= 10_000:
            raise QueryError(f"size: must be between 1 and 10000, got {size}")
        snap = self.reader.snapshot()
        text = req.query.strip()
        node, syntax = parse_query(text, req.syntax)
        today = self.today()
        mask = snap.store.mask(req.filters, today=today)
        lq = _lexical_query(snap, node, req, keywords=syntax != "boolean", today=today)
        result: Page = snap.lexical.page(lq, size=size, mask=mask, cursor=cursor)
        runs = {"lexical": result.hits}
        return self._hydrate(snap, [(h.ord, h.score) for h in result.hits], runs, node), result.cursor

    def _hydrate(self, snap: IndexSnapshot, fused, runs, node) -> list[FusedHit]:
        if not fused:
            return []
        ords = [o for o, _ in fused]
        records = snap.store.records(ords)
        positions = {name: {h.ord: (r, h.score) for r, h in enumerate(hs, start=1)} for name, hs in runs.items()}
        out = []
        matched = matched_fields_many(node, records)
        for rank, ((o, score), rec, fields) in enumerate(zip(fused, records, matched), start=1):
            ranks = {name: pos[o][0] for name, pos in positions.items() if o in pos}
            scores = {name: pos[o][1] for name, pos in positions.items() if o in pos}
            out.append(FusedHit(rec["candidate_id"], o, float(score), rank, ranks, scores,
                                fields, profile=rec))
        return out

    def get(self, candidate_id: str, *, tenant_id: str | None = None) -> dict:
        """One indexed profile; another tenant's private candidate is reported as not found."""
        snap = self.reader.snapshot()
        o = snap.store.ord_of(candidate_id)
        if o is None or not snap.store.visible(tenant_id)[o]:
            raise NotFoundError(f"candidate {candidate_id!r} not found")
        return snap.store.records([o])[0]


def _fair(fair, snap: IndexSnapshot, fused, ranked):
    """``fused`` re-ranked by the tenant's fairness plan; the LTR result's features and explanations (computed
    for the top ``max(k, top_n)``) follow the same permutation, so the served-feature log stays true."""
    head = fused[: fair.top_n]
    perm = fair.order(snap.store.candidate_ids([o for o, _ in head]), [s for _, s in head]) + list(range(len(head), len(fused)))
    fused = [fused[i] for i in perm]
    if ranked is not None:
        n = len(ranked.features)
        expl = ranked.explanations
        ranked = dataclasses.replace(ranked, fused=fused, features=ranked.features[perm[:n]],
                                     explanations=[expl[i] for i in perm[: len(expl)]] if expl is not None else None)
    return fused, ranked


def _lexical_query(snap: IndexSnapshot, node, req: SearchRequest, *, keywords: bool, today, expansions=(),
                   top_k: bool = False) -> LexicalQuery:
    return LexicalQuery(node, req.filters, keywords=keywords, field_boosts=tuple(req.field_boosts),
                        expansions=tuple(expansions), today=today, top_k=top_k, company_ids=snap.store.resolve_companies)


def _lap(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
