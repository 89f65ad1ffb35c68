"""FA*IR: ranked group fairness with a binomial test (Zehlike, Bonchi, Castillo, Hajian, Megahed and
Baeza-Yates, "FA*IR: A Fair Top-k Ranking Algorithm", CIKM 2017).

A ranking of length k is fair toward a protected group with minimum proportion ``p`` when every prefix of
length i holds at least ``m(i)`` protected items, where ``m(i)`` is the ``alpha_c`` quantile of Binomial(i, p):
the fewest protected items a ranking drawn at random with share ``p`` would show, at significance ``alpha_c``.
Testing all k prefixes at ``alpha`` each fails a truly fair ranking far more often than ``alpha``; ``alpha_c``
(``adjusted_alpha``) is chosen so that the probability of failing any prefix test is ``alpha`` (computed
exactly by dynamic programming over the protected count, then bisection).

The algorithm keeps two queues (protected, the rest) in their score order and fills each position with the
best head of either queue, unless the protected count is below ``m(i)``, when the protected head goes next.
Unlike DetGreedy's ``floor(i * p)`` it tolerates the shortfall a random draw at share ``p`` would show.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy.stats import binom


def _mtable(k: int, p: float, alpha: float) -> np.ndarray:
    """m(i) for i = 1..k (index i - 1): the smallest m with P[Binomial(i, p) <= m] > alpha (0 when p == 0)."""
    i = np.arange(1, k + 1)
    return np.maximum(binom.ppf(alpha, i, p), 0).astype(int) if p > 0 else np.zeros(k, int)


def _fail_probability(m: np.ndarray, p: float) -> float:
    """The probability that a ranking drawn item by item with P(protected) = p fails some prefix test."""
    alive = np.zeros(len(m) + 1)
    alive[0] = 1.0                                   # P(protected count == j, no test failed yet)
    for i, need in enumerate(m):
        nxt = np.zeros_like(alive)
        nxt[: i + 1] += alive[: i + 1] * (1 - p)
        nxt[1: i + 2] += alive[: i + 1] * p
        nxt[:need] = 0.0
        alive = nxt
    return float(1.0 - alive.sum())


@lru_cache(maxsize=256)
def adjusted_alpha(k: int, p: float, alpha: float) -> float:
    """The per-prefix significance ``alpha_c`` <= ``alpha`` whose overall failure probability is ~``alpha``."""
    if p <= 0 or _fail_probability(_mtable(k, p, alpha), p) <= alpha:
        return alpha
    lo, hi = 0.0, alpha
    for _ in range(40):
        mid = (lo + hi) / 2
        if _fail_probability(_mtable(k, p, mid), p) > alpha:
            hi = mid
        else:
            lo = mid
    return lo


@lru_cache(maxsize=256)
def mtable(k: int, p: float, alpha: float = 0.1, adjust: bool = True) -> tuple[int, ...]:
    """The minimum protected count per prefix length 1..k (``adjust``: at the corrected significance)."""
    if not 0 <= p <= 1 or not 0 < alpha < 1:
        raise ValueError(f"FA*IR needs 0 <= p <= 1 and 0 < alpha < 1, got p={p}, alpha={alpha}")
    return tuple(int(x) for x in _mtable(k, p, adjusted_alpha(k, p, alpha) if adjust else alpha))


def fa_ir(scores: Sequence[float], groups: Sequence[str], shares: dict[str, float], k: int, *, protected: str,
          alpha: float = 0.1, adjust: bool = True) -> list[int]:
    """Indices of the first ``k`` positions (scores best first): FA*IR toward ``protected`` with minimum
    proportion ``shares[protected]``. When the protected queue runs dry the rest follow by score."""
    k = min(k, len(scores))
    p = round(float(shares.get(protected, 0.0)), 6)
    need = mtable(k, p, alpha, adjust) if k else ()
    prot = [i for i, g in enumerate(groups) if g == protected]
    rest = [i for i, g in enumerate(groups) if g != protected]
    a = b = 0
    out: list[int] = []
    for pos in range(k):
        take_prot = a < len(prot) and (a < need[pos] or b >= len(rest) or
                                       (scores[prot[a]], -prot[a]) > (scores[rest[b]], -rest[b]))
        if take_prot:
            out.append(prot[a])
            a += 1
        else:
            out.append(rest[b])
            b += 1
    return out
