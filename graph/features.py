"""Graph features for ranking: one ordered feature set, used both to log and to serve.

``GraphFeaturizer.features(profiles, target)`` -> float32 ``(len(profiles), len(GRAPH_FEATURES))``,
0.0 when unknown, never NaN. ``profiles`` are ``ProfileStore.records`` dicts (``FusedHit.profile``).

- ``graph_flow_to_target``: all-time moves from the candidate's current company to the target company,
  ``log1p(moves) / log1p(max moves from any company to the target)``; 1.0 when already there.
- ``graph_transition_to_target``: ``P(target | occupation) = (moves occ -> target + ALPHA * r) /
  (moves out of occ + ALPHA)`` where ``r`` is the O*NET relatedness share of the target among the
  occupation's related occupations (tiers weighted ``TIER_WEIGHT``); 1.0 for the same occupation.
- ``graph_skill_proximity``: mean over query skills of the best adjacency weight (skill cosine
  co-occurrence, 1.0 for the skill itself) to any of the candidate's normalised skills.
- ``graph_company_growth``: market-relative 12-month headcount growth of the current company
  (``rel_growth_12``, clipped to [-1, 3]); ``graph_company_layoff``: its layoff signal (0..1).
- ``graph_propensity_to_move``: ``graph.metrics.propensity`` from the profile's own fields.
"""
from __future__ import annotations

import datetime as dt
import functools
import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from graph import metrics as gm
from graph.store import Graph, cached_view
from indexer.termstats import NO_START, career_moves
from query.lang import ast as qa
from query.lang.expansion import title_expansions
from records.taxonomy import Taxonomy

GRAPH_FEATURES: tuple[str, ...] = (
    "graph_flow_to_target",
    "graph_transition_to_target",
    "graph_skill_proximity",
    "graph_company_growth",
    "graph_company_layoff",
    "graph_propensity_to_move",
)
ALPHA = 5.0
TIER_WEIGHT = {"Primary-Short": 1.0, "Primary-Long": 0.6, "Supplemental": 0.3}
_EPOCH = dt.date(1970, 1, 1)



@dataclass(frozen=True)
class GraphTarget:
    occupation: str | None = None      # O*NET-SOC code, e.g. "15-1252.00"
    company: str | None = None         # company name (or id) as in profiles
    skills: tuple[str, ...] = ()       # normalised skill names


class GraphFeaturizer:
    """Graph features over one built graph; thread-safe (per-target caches are immutable arrays)."""

    def __init__(self, graph: Graph, taxonomy: Taxonomy | None = None):
        self.graph = graph
        self.taxonomy = taxonomy or Taxonomy.load()
        self.as_of = dt.date.fromisoformat(graph.manifest["as_of"])
        ids = graph.table("companies").column("company_id").to_pylist()
        names = graph.table("companies").column("name").to_pylist()
        self.company_code = {c: i for i, c in enumerate(ids)}
        self.company_by_name = {}
        for i, n in enumerate(names):
            self.company_by_name.setdefault((n or "").casefold(), i)
        n_c = len(ids)
        cm = graph.table("company_moves")
        self.flow = sp.csc_matrix((graph.col("company_moves", "count").astype(np.float64),
                                   (graph.col("company_moves", "src"), graph.col("company_moves", "dst"))),
                                  shape=(n_c, n_c)) if cm.num_rows else sp.csc_matrix((n_c, n_c))
        self.growth = np.clip(np.nan_to_num(graph.col("companies", "rel_growth_12")), -1.0, 3.0).astype(np.float32)
        self.layoff = np.nan_to_num(graph.col("companies", "layoff_signal")).astype(np.float32)
        self.attrition = np.nan_to_num(graph.col("companies", "attrition_12")).astype(np.float32)
        self.occ_code = {c: i for i, c in enumerate(graph.table("occupations").column("code").to_pylist())}
        n_o = len(self.occ_code)
        tr = graph.table("transitions")
        self.trans = sp.csr_matrix((graph.col("transitions", "count").astype(np.float64),
                                    (graph.col("transitions", "src"), graph.col("transitions", "dst"))),
                                   shape=(n_o, n_o)) if tr.num_rows else sp.csr_matrix((n_o, n_o))
        self.trans_out = np.asarray(self.trans.sum(axis=1)).ravel()
        self.skill_code = {s.casefold(): i for i, s in enumerate(graph.table("skills").column("name").to_pylist())}
        n_s = len(self.skill_code)
        self.adj = sp.csr_matrix((graph.col("skill_adjacency", "weight").astype(np.float32),
                                  (graph.col("skill_adjacency", "src"), graph.col("skill_adjacency", "dst"))),
                                 shape=(n_s, n_s))
        self._lock = threading.Lock()
        self._target_cache: dict = {}

    @classmethod
    def load(cls, index_dir) -> "GraphFeaturizer | None":
        """The featurizer for ``<index_dir>/graph`` (cached until the graph is rebuilt); None when none was built."""
        return cached_view(index_dir, "featurizer", cls)

    # -- lookups -----------------------------------------------------------------------------
    def company_of(self, value: str | None) -> int:
        if not value:
            return -1
        code = self.company_code.get(value)
        return code if code is not None else self.company_by_name.get(value.casefold(), -1)

    def _flow_column(self, target: int) -> np.ndarray:
        col = self.flow.getcol(target).toarray().ravel()
        top = col.max() if col.size else 0.0
        out = np.log1p(col) / np.log1p(top) if top > 0 else np.zeros_like(col)
        out[target] = 1.0
        return out.astype(np.float32)

    def _transition_column(self, code: str) -> dict[str, float]:
        """P(code | occupation) for every occupation with any evidence."""
        t = self.occ_code.get(code)
        out: dict[str, float] = {code: 1.0}
        counts = self.trans.getcol(t).toarray().ravel() if t is not None else None
        sources = set(np.flatnonzero(counts).tolist()) if counts is not None else set()
        codes = list(self.occ_code)
        related = dict(self._related_share.get(code, {}))
        for i in sources:
            src = codes[i]
            r = related.pop(src, 0.0)
            out[src] = float((counts[i] + ALPHA * r) / (self.trans_out[i] + ALPHA))
        for src, r in related.items():
            i = self.occ_code.get(src)
            out_moves = self.trans_out[i] if i is not None else 0.0
            out[src] = float(ALPHA * r / (out_moves + ALPHA))
        out[code] = 1.0
        return out

    def warm(self) -> None:
        """Build now what the first query naming an occupation would otherwise build."""
        _ = self._related_share

    @functools.cached_property
    def _related_share(self) -> dict[str, dict[str, float]]:
        """target code -> {source occupation: the share of the source's O*NET related-occupation weight on the
        target}: one pass over the taxonomy, instead of one per query occupation."""
        out: dict[str, dict[str, float]] = {}
        for src, occ in self.taxonomy.occupations.items():
            rel = [(c, TIER_WEIGHT.get(tier, 0.3)) for c, tier, _ in occ.related]
            total = sum(w for _, w in rel)
            for c in dict.fromkeys(c for c, _ in rel):
                share = sum(w for d, w in rel if d == c)
                if share:
                    out.setdefault(c, {})[src] = share / total
        return out

    def _skill_rows(self, skills: tuple[str, ...]) -> list[np.ndarray]:
        rows = []
        for s in skills:
            canon = self.taxonomy.normalize_skill(s) or s
            code = self.skill_code.get(canon.casefold(), self.skill_code.get(s.casefold()))
            row = np.zeros(len(self.skill_code), dtype=np.float32)
            if code is not None:
                r = self.adj.getrow(code)
                row[r.indices] = r.data
                row[code] = 1.0
            rows.append(row)
        return rows

    def _target(self, target: GraphTarget):
        key = (target.occupation, target.company, target.skills)
        with self._lock:
            hit = self._target_cache.get(key)
        if hit is None:
            company = self.company_of(target.company)
            hit = (company, self._flow_column(company) if company >= 0 else None,
                   self._transition_column(target.occupation) if target.occupation else None,
                   self._skill_rows(tuple(target.skills)))
            with self._lock:
                if len(self._target_cache) > 256:
                    self._target_cache.clear()
                self._target_cache[key] = hit
        return hit

    # -- features ----------------------------------------------------------------------------
    def features(self, profiles: list[dict], target: GraphTarget) -> np.ndarray:
        """float32 (len(profiles), len(GRAPH_FEATURES)); 0.0 when unknown, never NaN."""
        n = len(profiles)
        if not n:
            return np.zeros((0, len(GRAPH_FEATURES)), dtype=np.float32)
        comp = np.array([self.company_of(p.get("current_company_id")) if p.get("current_company_id")
                         else self.company_of(p.get("current_company_name")) for p in profiles], dtype=np.int64)
        owner, codes = [], []
        get = self.skill_code.get
        for i, p in enumerate(profiles):
            for s in (p.get("skills_normalized") or ()):
                code = get(s.casefold())
                if code is not None:
                    owner.append(i)
                    codes.append(code)
        moves = [career_moves(p.get("positions") or ()) for p in profiles]
        propensity = self.propensity_of(
            np.array([bool(p.get("open_to_work")) for p in profiles]), np.array([bool(p.get("current_company_id")) for p in profiles]),
            np.array([np.nan if p.get("tenure_months") is None else float(p["tenure_months"]) for p in profiles]), comp,
            moves_per_year_of(np.array([m[0] for m in moves], dtype=np.int64), np.array([m[1] for m in moves]), self.as_of))
        return self.features_of(comp, [p.get("occupation_code") or "" for p in profiles],
                                np.asarray(owner, dtype=np.int64), np.asarray(codes, dtype=np.int64), propensity, target)

    def propensity_of(self, open_to_work, has_job, tenure_months, company: np.ndarray, moves_per_year) -> np.ndarray:
        """``graph.metrics.propensity`` for candidates given as arrays (company codes, -1 for none)."""
        has = company >= 0
        c = np.maximum(company, 0)
        layoff = np.where(has, self.layoff[c], 0.0) if len(self.layoff) else np.zeros(len(company))
        attrition = np.where(has, self.attrition[c], 0.0) if len(self.attrition) else np.zeros(len(company))
        return gm.propensity(open_to_work, has_job, tenure_months, layoff, attrition, moves_per_year)

    def features_of(self, company: np.ndarray, occupations: list[str], skill_owner: np.ndarray, skill_codes: np.ndarray,
                    propensity: np.ndarray, target: GraphTarget) -> np.ndarray:
        """``features`` from arrays: company codes (-1 none), occupation codes, the (candidate, skill code)
        pairs with candidates non-decreasing, and each candidate's propensity. Array arithmetic only."""
        n = len(company)
        out = np.zeros((n, len(GRAPH_FEATURES)), dtype=np.float32)
        if not n:
            return out
        company_code, flow, trans, skill_rows = self._target(target)
        has = company >= 0
        c = np.maximum(company, 0)
        if flow is not None:
            out[:, 0] = np.where(has, flow[c], 0.0)
        if trans is not None:
            out[:, 1] = [trans.get(o, 0.0) for o in occupations]
        if skill_rows and len(skill_codes):
            # mean over query skills of the best adjacency to any of the candidate's skills, for all
            # candidates at once: one gather of the query rows at every (candidate, skill) pair, then a
            # per-candidate max (reduceat over each candidate's run of columns)
            starts = np.flatnonzero(np.r_[True, skill_owner[1:] != skill_owner[:-1]])
            best = np.maximum.reduceat(np.stack(skill_rows)[:, skill_codes], starts, axis=1)   # (query skills, candidates with skills)
            out[skill_owner[starts], 2] = best.mean(axis=0)
        if len(self.growth):
            out[:, 3] = np.where(has, self.growth[c], 0.0)
            out[:, 4] = np.where(has, self.layoff[c], 0.0)
        out[:, 5] = propensity
        return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def moves_per_year(positions, as_of: dt.date) -> float:
    """Company changes between consecutive positions per career year (at least one year)."""
    first, moves = career_moves(positions)
    return float(moves_per_year_of(np.array([first], dtype=np.int64), np.array([moves]), as_of)[0])


def moves_per_year_of(first_start: np.ndarray, moves: np.ndarray, as_of: dt.date) -> np.ndarray:
    """``moves_per_year`` from ``indexer.termstats.career_moves`` outputs (arrays; 0 without dated positions)."""
    first = np.asarray(first_start, dtype=np.int64)
    years = np.maximum(((as_of - _EPOCH).days - first) / 365.25, 1.0)
    return np.where(first == NO_START, 0.0, np.asarray(moves, dtype=np.float64) / years)


def target_from_query(node, *, boolean: bool, taxonomy: Taxonomy | None = None) -> GraphTarget:
    """The occupation the query's titles name (query.lang.expansion) and the skills its words name."""
    if node is None:
        return GraphTarget()
    taxonomy = taxonomy or Taxonomy.load()
    occ = title_expansions(node, boolean=boolean, taxonomy=taxonomy)
    skills: dict[str, None] = {}
    for leaf, negated in qa.iter_leaves(node):
        if negated or leaf.field not in (None, "skill"):
            continue
        canon = taxonomy.normalize_skill(leaf.text)
        if canon:
            skills.setdefault(canon, None)
    return GraphTarget(occupation=occ[0].code if occ else None, skills=tuple(skills))


def blend(head: list[tuple[int, float]], feats: np.ndarray, weights: dict[str, float]) -> list[tuple[int, float]]:
    """Min-max normalised fused score + sum(weight * feature), re-sorted (stable on ties)."""
    if not head:
        return []
    scores = np.array([s for _, s in head], dtype=np.float64)
    span = scores.max() - scores.min()
    base = (scores - scores.min()) / span if span > 0 else np.ones_like(scores)
    w = np.array([weights.get(name, 0.0) for name in GRAPH_FEATURES], dtype=np.float64)
    total = base + feats.astype(np.float64) @ w
    order = np.argsort(-total, kind="stable")
    return [(head[i][0], float(total[i])) for i in order]
