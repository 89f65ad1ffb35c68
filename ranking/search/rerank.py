"""Re-rank a given candidate list for a query: the search pipeline restricted to those candidates.

The caller (an agent, a bulk job) already holds the candidates; the engine scores and orders them
exactly as a search would (lexical BM25, dense cosine, fusion, and the tenant's LTR model when one
serves), so a re-ranked list and a search agree on every candidate both contain. Every input
candidate comes back once, with a status:

- ``ok``: scored and ranked;
- ``no_match``: a Boolean query excludes it (it is ranked after every match, in input order);
- ``not_found``: unknown id, or another tenant's private profile (never ranked, never revealed).
"""
from __future__ import annotations

from dataclasses import dataclass

from query.lang.filters import Filters
from records.errors import QueryError
from ranking.search.pipeline import SearchEngine, SearchRequest

MAX_CANDIDATES = 1000           # one synchronous request; bulk jobs split larger lists
STATUSES = ("ok", "no_match", "not_found")


@dataclass(frozen=True)
class RerankRequest:
    query: str
    candidate_ids: tuple[str, ...]
    tenant_id: str | None = None
    syntax: str = "auto"                 # auto | boolean | keywords
    mode: str = "hybrid"
    fusion: str = "rrf"
    rrf_k: int = 60
    explain: bool = False                # per-candidate top feature contributions (LTR) when a model serves

    def validate(self) -> "RerankRequest":
        if not self.candidate_ids:
            raise QueryError("candidate_ids: give at least one candidate id")
        if len(self.candidate_ids) > MAX_CANDIDATES:
            raise QueryError(f"candidate_ids: at most {MAX_CANDIDATES} per request, got {len(self.candidate_ids)}; "
                             "use a bulk job for longer lists")
        bad = [i for i, c in enumerate(self.candidate_ids) if not isinstance(c, str) or not c.strip()]
        if bad:
            raise QueryError(f"candidate_ids[{bad[0]}]: must be a non-empty string")
        return self


@dataclass(frozen=True)
class Reranked:
    candidate_id: str
    status: str                          # one of STATUSES
    rank: int | None                     # 1-based over ok + no_match candidates; None when not_found
    score: float | None
    lexical_score: float | None = None
    dense_score: float | None = None
    lexical_rank: int | None = None      # rank inside the candidate list, per retriever
    dense_rank: int | None = None
    matched_fields: tuple[str, ...] = ()
    explanation: str = ""


@dataclass(frozen=True)
class RerankResult:
    items: list[Reranked]                # input order is NOT kept: ranked first, then not_found
    index_version: str
    model_version: str | None
    request_id: str


def rerank(engine: SearchEngine, request: RerankRequest) -> RerankResult:
    req = request.validate()
    ids = list(dict.fromkeys(req.candidate_ids))          # a repeated id is scored once ...
    snap = engine.reader.snapshot()
    visible = snap.store.visible(req.tenant_id)
    known = [c for c in ids if (o := snap.store.ord_of(c)) is not None and visible[o]]
    n = max(len(known), 1)
    search = SearchRequest(query=req.query, filters=Filters(tenant_id=req.tenant_id), k=n, mode=req.mode,
                           syntax=req.syntax, fusion=req.fusion, rrf_k=req.rrf_k, lexical_k=n, dense_k=n,
                           boolean_pool=max(n, 1), explain=req.explain, explore=False)   # a job's order is not a page
    if known:
        res = engine.search(search, within=known)
        hits, version, model, request_id = res.hits, res.version, res.model_version, res.request_id
        explanations = res.explanations or {}
    else:
        search.validate()
        hits, version, model, request_id, explanations = [], snap.version, None, "", {}
    out: list[Reranked] = []
    for h in hits:
        parts = [f"{name} #{h.ranks[name]}" for name in ("lexical", "dense") if name in h.ranks]
        if h.matched_fields:
            parts.append("matched " + ", ".join(h.matched_fields))
        if req.explain and h.candidate_id in explanations:
            parts.append("model: " + ", ".join(f"{f} {v:+.3f}" for f, v in explanations[h.candidate_id][:3]))
        out.append(Reranked(h.candidate_id, "ok", h.rank, h.score, h.scores.get("lexical"), h.scores.get("dense"),
                            h.ranks.get("lexical"), h.ranks.get("dense"), tuple(h.matched_fields), "; ".join(parts)))
    ranked = {r.candidate_id for r in out}
    for c in known:
        if c not in ranked:
            out.append(Reranked(c, "no_match", len(out) + 1, None, explanation="does not match the Boolean query"))
    known_set = set(known)
    for c in ids:
        if c not in known_set:
            out.append(Reranked(c, "not_found", None, None, explanation="unknown candidate id"))
    # ... and reported once per occurrence, so a caller's list maps back row for row
    if len(ids) != len(req.candidate_ids):
        by_id = {r.candidate_id: r for r in out}
        out = sorted((by_id[c] for c in req.candidate_ids), key=_order)
    return RerankResult(out, version, model, request_id)


def _order(r: Reranked):
    return (r.rank is None, r.rank or 0)


__all__ = ["MAX_CANDIDATES", "RerankRequest", "Reranked", "RerankResult", "STATUSES", "rerank"]
