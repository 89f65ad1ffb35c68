"""Position propensities from the engagement log, and the inverse-propensity (IPS) holdout metric.

Why: engagement on a served page is biased by position (a recruiter opens what sits on top). A holdout
scored with raw engagement labels therefore favours the model that SERVED those pages: the incumbent's top
hits were the ones looked at. The promotion gate compares a new model with that incumbent on exactly such
pages, so on raw labels it refuses models that order differently, and more so the position-debiased ones
(whose point is to order differently). In the closed-loop simulator every one of 20 refused debiased
models was in fact better than the incumbent on the hidden preferences (README, "Learning to rank").

Estimation: a position-based click model (PBM: P(engage) = theta[position] * gamma[query, candidate]),
identified by the pairs (query text, candidate) that were shown at two or more different positions: what
moves a candidate without changing it (page exploration, swaps, a new model, another recruiter's page)
reveals theta (intervention harvesting, Agarwal et al., WSDM 2019). See :func:`estimate`. Pairs shown at
one position only carry no information on theta and are left out. With too few informative pairs no
propensities are returned and the caller falls back to raw labels, saying so.

Metric: IPS-DCG@k (Joachims et al., WSDM 2017): each engaged hit's gain divided by the propensity of the
position it was SHOWN at, summed at the rank the scored model gives it. Its expectation does not depend on
which model served the page. Reported normalised as sum(DCG) / sum(ideal DCG) over requests, so it reads
like nDCG while keeping the per-request weights (a mean of per-request ratios would cancel them).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Propensities:
    theta: tuple[float, ...]       # relative examination probability per 0-based position (max 1)
    informative_pairs: int         # (query, candidate) pairs shown at >= 2 positions
    rows: int                      # impressions those pairs contributed
    engaged: int                   # engaged impressions among them
    position_pairs: int            # (k, k') position pairs with a ratio estimate
    clip: float                    # smallest propensity used when weighting (weights <= 1 / clip)

    def of(self, position: np.ndarray) -> np.ndarray:
        """Propensity of each 0-based position (positions past the estimated range take the last one)."""
        theta = np.asarray(self.theta, dtype=np.float64)
        return np.maximum(theta[np.minimum(np.asarray(position), len(theta) - 1)], self.clip)

    def to_dict(self) -> dict:
        return {"method": "pbm-ratios", "theta": [round(t, 4) for t in self.theta], "informative_pairs": self.informative_pairs,
                "rows": self.rows, "engaged": self.engaged, "position_pairs": self.position_pairs, "clip": self.clip}


def estimate(position: np.ndarray, engaged: np.ndarray, pair_keys: np.ndarray, *, max_position: int = 50,
             min_pairs: int = 50, clip: float = 0.1, randomized: np.ndarray | None = None) -> Propensities | None:
    """Relative examination probability per position, from (query, candidate) pairs shown at two or more.

    ``position`` 0-based shown positions, ``engaged`` booleans (the recruiter acted on the hit), ``pair_keys``
    one hashable per row naming its (query, candidate). Under the position-based model the mean engagement
    of a pair d at position k is theta[k] * gamma[d]; summed over the pairs shown at both k and k', the
    ratio of their mean engagement at k to that at k' estimates theta[k] / theta[k'] without fitting a
    gamma per pair (which, with a handful of showings per pair, biases an EM fit). All such ratios are
    joined by least squares on log theta, weighted by the number of pairs behind each. Positions at or past
    ``max_position`` share one estimate.

    ``randomized`` marks rows whose key is a RANK of the engine's order on pages it explored (adjacent
    pairs swapped at random, ``LtrSettings.explore``): the hit the model ranked r, shown at r or r +- 1 by a
    coin flip, is the same distribution of candidates either way, so its engagement ratio estimates the
    propensity ratio across queries (Joachims et al. 2017). Such a group averages many pages, so it weighs
    by its rows at the rarer position, where a (query, candidate) pair counts once. Returns None with fewer
    than ``min_pairs`` informative groups (a randomized rank group counts its rows) or no engagement."""
    position = np.minimum(np.asarray(position, dtype=np.int64), max_position - 1)
    engaged = np.asarray(engaged, dtype=np.float64)
    _, doc = np.unique(np.asarray(pair_keys, dtype=object).astype(str), return_inverse=True)
    randomized = np.zeros(len(doc), dtype=bool) if randomized is None else np.asarray(randomized, dtype=bool)
    if len(doc) == 0:
        return None
    n_pos = int(position.max()) + 1
    cell = doc * n_pos + position                       # (pair, position) cells
    cells, inverse = np.unique(cell, return_inverse=True)
    count = np.bincount(inverse)
    mean = np.bincount(inverse, weights=engaged) / count
    by_rank = np.bincount(inverse, weights=randomized) > 0
    cell_doc, cell_pos = cells // n_pos, cells % n_pos
    starts = np.flatnonzero(np.r_[True, cell_doc[1:] != cell_doc[:-1]])
    sizes = np.diff(np.r_[starts, len(cells)])
    informative = sizes >= 2
    keep_rows = np.isin(doc, cell_doc[starts[informative]])
    weight_of = [int(count[st:st + n].sum()) if by_rank[st] else 1 for st, n in zip(starts[informative], sizes[informative])]
    if sum(weight_of) < min_pairs or not engaged[keep_rows].any():
        return None
    num = np.zeros((n_pos, n_pos))                      # num[k, j]: sum over pairs seen at k and j of mean at k
    shared = np.zeros((n_pos, n_pos))                   # pairs seen at both
    for st, size in zip(starts[informative], sizes[informative]):
        p, m = cell_pos[st:st + size], mean[st:st + size]
        if by_rank[st]:                                 # many pages behind each mean: weigh by the rarer side
            n = count[st:st + size]
            num[np.ix_(p, p)] += m[:, None] * np.minimum.outer(n, n)
            shared[np.ix_(p, p)] += np.minimum.outer(n, n)
        else:
            num[np.ix_(p, p)] += m[:, None]
            shared[np.ix_(p, p)] += 1
    k, j = np.nonzero(np.triu((num > 0) & (num.T > 0), 1))
    rows, rhs, w = [], [], []
    for a, b in zip(k, j):
        rows.append((a, b))
        rhs.append(np.log(num[a, b] / num[b, a]))
        w.append(np.sqrt(shared[a, b]))
    seen = np.zeros(n_pos, dtype=bool)
    for a, b in rows:
        seen[a] = seen[b] = True
    if not rows or not seen[0]:
        return None
    A = np.zeros((len(rows) + 1, n_pos))
    for i, (a, b) in enumerate(rows):
        A[i, a], A[i, b] = w[i], -w[i]
    A[-1, 0] = 1e3                                      # anchor: log theta[0] = 0
    log_theta = np.linalg.lstsq(A, np.r_[np.array(rhs) * np.array(w), 0.0], rcond=None)[0]
    theta = _fill_forward(np.where(seen, np.exp(log_theta), np.nan))
    theta = theta / theta.max()
    return Propensities(tuple(float(x) for x in theta), int(informative.sum()), int(keep_rows.sum()),
                        int(engaged[keep_rows].sum()), len(rows), clip)


def _fill_forward(theta: np.ndarray) -> np.ndarray:
    out = theta.copy()
    for i in range(len(out)):
        if np.isnan(out[i]):
            out[i] = out[i - 1] if i else 1.0
    return out


def ips_dcg(scores: np.ndarray, labels: np.ndarray, group: np.ndarray, position: np.ndarray, props: Propensities, *,
            engaged_above: int, k: int = 10) -> float:
    """sum over requests of IPS-DCG@k / sum of the ideal IPS-DCG@k (0 when nothing was engaged).

    A row's gain is ``(2**label - 2**engaged_above) / propensity(position)`` when ``label > engaged_above``
    (it was acted on), else 0: an impression without action says nothing about relevance on its own (it
    may never have been looked at), and a dismiss is not a gain either."""
    labels = np.asarray(labels, dtype=np.float64)
    gain = np.where(labels > engaged_above, (2 ** labels - 2 ** engaged_above) / props.of(position), 0.0)
    disc = 1 / np.log2(np.arange(2, k + 2))
    dcg = ideal = 0.0
    start = 0
    for size in group:
        g, s = gain[start:start + size], scores[start:start + size]
        start += size
        top = g[np.argsort(-s, kind="stable")][:k]
        best = np.sort(g)[::-1][:k]
        dcg += float((top * disc[: len(top)]).sum())
        ideal += float((best * disc[: len(best)]).sum())
    return dcg / ideal if ideal > 0 else 0.0
