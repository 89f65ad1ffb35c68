"""Fusion of ranked runs: pure functions looked up by name in ``FUSERS``.

A run is a list of ``Hit`` best first. Every fuser returns ``[(ord, fused_score)]`` best first,
ties broken by the best rank any run gave the document, then by ord, so output is deterministic
and independent of the order of the runs.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from records.hits import Hit


def rrf(runs: Mapping[str, list[Hit]], *, rrf_k: int = 60, weights: Mapping[str, float] | None = None) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: sum over runs of ``w / (rrf_k + rank)``, rank 1-based (Cormack et al. 2009)."""
    if rrf_k < 0:
        raise ValueError("rrf_k must be >= 0")
    scores: dict[int, float] = {}
    best: dict[int, int] = {}
    for name, hits in runs.items():
        w = 1.0 if weights is None else float(weights.get(name, 1.0))
        for rank, hit in enumerate(hits, start=1):
            scores[hit.ord] = scores.get(hit.ord, 0.0) + w / (rrf_k + rank)
            best[hit.ord] = min(best.get(hit.ord, rank), rank)
    return _sorted(scores, best)


def weighted(runs: Mapping[str, list[Hit]], *, weights: Mapping[str, float] | None = None, **_) -> list[tuple[int, float]]:
    """Weighted sum of min-max normalised scores; a document missing from a run gets 0 from it.

    A run whose scores are all equal normalises to 1 for every hit it has.
    """
    scores: dict[int, float] = {}
    best: dict[int, int] = {}
    for name, hits in runs.items():
        if not hits:
            continue
        w = 1.0 / len(runs) if weights is None else float(weights.get(name, 0.0))
        values = [h.score for h in hits]
        lo, hi = min(values), max(values)
        for rank, hit in enumerate(hits, start=1):
            norm = 1.0 if hi == lo else (hit.score - lo) / (hi - lo)
            scores[hit.ord] = scores.get(hit.ord, 0.0) + w * norm
            best[hit.ord] = min(best.get(hit.ord, rank), rank)
    return _sorted(scores, best)


def _sorted(scores: dict[int, float], best: dict[int, int]) -> list[tuple[int, float]]:
    return sorted(scores.items(), key=lambda kv: (-kv[1], best[kv[0]], kv[0]))


FUSERS: dict[str, Callable[..., list[tuple[int, float]]]] = {"rrf": rrf, "weighted": weighted}
