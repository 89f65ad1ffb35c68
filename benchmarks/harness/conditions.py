"""Named pipeline configurations ("conditions") compared by the relevance harness.

A condition is a frozen template of ``SearchRequest`` knobs; the runner fills in the query,
syntax, filters and ``k``. Add a condition by adding an entry to ``CONDITIONS``: a factory that
takes the text after ``:`` in the name (``hybrid-weighted:0.3``) or None.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from records.errors import QueryError


@dataclass(frozen=True)
class Condition:
    name: str
    description: str
    mode: str = "hybrid"                     # SearchRequest.mode
    fusion: str = "rrf"
    rrf_k: int = 60
    weights: tuple[tuple[str, float], ...] = (("lexical", 0.5), ("dense", 0.5))
    lexical_k: int = 200                     # budget each retriever passes to fusion
    dense_k: int = 200
    title_normalization: bool = False        # query titles -> O*NET occupation (query.lang.expansion)
    field_boosts: tuple[tuple[str, float], ...] = ()
    graph_blend: tuple[tuple[str, float], ...] = ()   # graph features blended after fusion (graph.features)
    title_expansion: int = 0                 # related titles per query occupation (graph.expansion)

    def request(self, query: str, *, syntax: str, filters=None, k: int = 100):
        """The SearchRequest for one query under this condition."""
        from query.lang.filters import Filters
        from ranking.search.pipeline import SearchRequest

        return SearchRequest(query=query, filters=filters if filters is not None else Filters(), k=k, mode=self.mode,
                             syntax=syntax, fusion=self.fusion, rrf_k=self.rrf_k, weights=self.weights,
                             lexical_k=max(self.lexical_k, k), dense_k=max(self.dense_k, k),
                             title_normalization=self.title_normalization, field_boosts=self.field_boosts,
                             graph_blend=self.graph_blend, title_expansion=self.title_expansion)


def _no_arg(cond: Condition) -> Callable[[str | None], Condition]:
    def make(arg: str | None) -> Condition:
        if arg is not None:
            raise QueryError(f"condition {cond.name!r} takes no parameter, got {cond.name}:{arg}")
        return cond
    return make


def _hybrid_rrf(arg: str | None) -> Condition:
    k = 60 if arg is None else _number(arg, "hybrid-rrf", int)
    if k < 0:
        raise QueryError(f"condition hybrid-rrf: rrf_k must be >= 0, got {k}")
    name = "hybrid-rrf" if arg is None else f"hybrid-rrf:{k}"
    return Condition(name, f"lexical + dense, reciprocal rank fusion (rrf_k={k})", fusion="rrf", rrf_k=k)


def _hybrid_weighted(arg: str | None) -> Condition:
    w = 0.5 if arg is None else _number(arg, "hybrid-weighted", float)
    if not 0.0 <= w <= 1.0:
        raise QueryError(f"condition hybrid-weighted: the lexical weight must be in [0, 1], got {w}")
    name = "hybrid-weighted" if arg is None else f"hybrid-weighted:{arg}"
    return Condition(name, f"lexical + dense, min-max scores weighted {w:g}/{1 - w:g}", fusion="weighted",
                     weights=(("lexical", w), ("dense", round(1.0 - w, 6))))


def _number(text: str, name: str, kind):
    try:
        return kind(text)
    except ValueError:
        raise QueryError(f"condition {name}: parameter {text!r} is not a {kind.__name__}") from None


CONDITIONS: dict[str, Callable[[str | None], Condition]] = {
    "lexical": _no_arg(Condition("lexical", "BM25 on the embedded tantivy index", mode="lexical")),
    "dense": _no_arg(Condition("dense", "all-MiniLM-L6-v2 + FAISS, exact inner product", mode="dense")),
    "hybrid-rrf": _hybrid_rrf,
    "hybrid-weighted": _hybrid_weighted,
    # title normalisation ablation: without the ingest-time O*NET occupation field
    "lexical-raw": _no_arg(Condition("lexical-raw", "BM25 without the normalised O*NET occupation field",
                                     mode="lexical", field_boosts=(("occupation", 0.0),))),
}
GRAPH_BLEND = (("graph_transition_to_target", 0.15), ("graph_skill_proximity", 0.15))
CONDITIONS["hybrid-graph"] = lambda arg: _hybrid_graph(arg)
EXPAND_SUFFIX = "+expand"   # any condition + related titles (O*NET + learned transitions), e.g. lexical+titles+expand
EXPAND_K = 5
TITLES_SUFFIX = "+titles"   # any condition + query-side title normalisation, e.g. hybrid-rrf+titles
DEFAULT_CONDITIONS = ("lexical", "dense", "hybrid-rrf", "hybrid-weighted")


def _hybrid_graph(arg: str | None) -> Condition:
    scale = 1.0 if arg is None else _number(arg, "hybrid-graph", float)
    if scale < 0:
        raise QueryError(f"condition hybrid-graph: the blend scale must be >= 0, got {scale}")
    blend = tuple((f, round(w * scale, 6)) for f, w in GRAPH_BLEND)
    return Condition("hybrid-graph" if arg is None else f"hybrid-graph:{arg}",
                     f"hybrid RRF + graph features in a fixed linear blend {dict(blend)}", graph_blend=blend)


def get_condition(name: str) -> Condition:
    """``name`` or ``name:param`` from ``CONDITIONS``; raises QueryError naming the known ones."""
    name = name.strip()
    if name.endswith(EXPAND_SUFFIX):
        cond = get_condition(name.removesuffix(EXPAND_SUFFIX))
        return replace(cond, name=cond.name + EXPAND_SUFFIX, title_expansion=EXPAND_K,
                       description=cond.description + f"; {EXPAND_K} related titles per query occupation "
                                                      "(O*NET alternate/related + learned transitions)")
    titles = name.endswith(TITLES_SUFFIX)
    base, _, arg = name.removesuffix(TITLES_SUFFIX).partition(":")
    if base not in CONDITIONS:
        raise QueryError(f"unknown condition {name!r}; known: {', '.join(CONDITIONS)} "
                         f"(e.g. hybrid-weighted:0.3, lexical{TITLES_SUFFIX})")
    cond = CONDITIONS[base](arg if arg else None)
    if titles:
        cond = replace(cond, name=cond.name + TITLES_SUFFIX, title_normalization=True,
                       description=cond.description + "; query titles normalised to O*NET occupations")
    return cond


def parse_conditions(spec: str | None) -> list[Condition]:
    """A comma-separated list (None: ``DEFAULT_CONDITIONS``); duplicate names are an error."""
    names = [s for s in (spec.split(",") if spec else DEFAULT_CONDITIONS) if s.strip()]
    conds = [get_condition(n) for n in names]
    seen = [c.name for c in conds]
    dupes = sorted({n for n in seen if seen.count(n) > 1})
    if dupes:
        raise QueryError(f"condition(s) listed twice: {', '.join(dupes)}")
    return conds


__all__ = ["Condition", "CONDITIONS", "DEFAULT_CONDITIONS", "get_condition", "parse_conditions"]
