"""Position propensities from the engagement log, and the inverse-propensity (IPS) holdout metric.

Why: engagement on a served page is biased by position (a recruiter opens what sits on top). A holdout
scored with raw engagement labels therefore favours the model that SERVED those pages: the incumbent's top
hits were the ones looked at. The promotion gate compares a new model with that incumbent on exactly such
pages, so on raw labels it refuses models that order differently, and more so the position-debiased ones
(whose point is to order differently). In the closed-loop simulator every one of 20 refused debiased
models was in fact better than the incumbent on the hidden preferences (README, "Learning to rank").

Estimation: a position-based click model (PBM: P(engage) = theta[position] * gamma[query, candidate]), fitted
by EM (Chuklin et al., "Click Models for Web Search", 2015, ch. 4) on the pairs (query text, candidate) that
were shown at two or more different positions: what varies a candidate's position without changing the
candidate (page exploration, swaps, a new model, another recruiter's page) is what identifies theta
(intervention harvesting, Agarwal et al., WSDM 2019). Pairs shown at one position only carry no
information on theta and are left out. With too few informative pairs no propensities are returned and
the caller falls back to raw labels, saying so.

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
    iterations: int
    clip: float                    # smallest propensity used when weighting (weights <= 1 / clip)

    def of(self, position: np.ndarray) -> np.ndarray:
        """Propensity of each 0-based position (positions past the estimated range take the last one)."""
        theta = np.asarray(self.theta, dtype=np.float64)
        return np.maximum(theta[np.minimum(np.asarray(position), len(theta) - 1)], self.clip)

    def to_dict(self) -> dict:
        return {"method": "pbm-em", "theta": [round(t, 4) for t in self.theta], "informative_pairs": self.informative_pairs,
                "rows": self.rows, "engaged": self.engaged, "iterations": self.iterations, "clip": self.clip}


def estimate(position: np.ndarray, engaged: np.ndarray, pair_keys: np.ndarray, *, max_position: int = 50,
             min_pairs: int = 50, iterations: int = 100, tol: float = 1e-6, clip: float = 0.1) -> Propensities | None:
    """Fit a PBM by EM on the (query, candidate) pairs shown at two or more positions.

    ``position`` 0-based shown positions, ``engaged`` booleans (the recruiter acted on the hit), ``pair_keys``
    one hashable per row naming its (query, candidate). Positions at or past ``max_position`` share one
    parameter. Returns None with fewer than ``min_pairs`` informative pairs or no engagement among them."""
    position = np.minimum(np.asarray(position, dtype=np.int64), max_position - 1)
    engaged = np.asarray(engaged, dtype=bool)
    _, doc = np.unique(np.asarray(pair_keys, dtype=object).astype(str), return_inverse=True)
    # pairs seen at >= 2 distinct positions
    span = np.full(doc.max() + 1 if len(doc) else 0, -1)
    lo = np.full_like(span, np.iinfo(np.int64).max)
    np.maximum.at(span, doc, position)
    np.minimum.at(lo, doc, position)
    informative = span > lo
    keep = informative[doc] if len(doc) else np.zeros(0, dtype=bool)
    if informative.sum() < min_pairs or not engaged[keep].any():
        return None
    p, c = position[keep], engaged[keep].astype(np.float64)
    _, d = np.unique(doc[keep], return_inverse=True)
    n_pos, n_doc = int(p.max()) + 1, int(d.max()) + 1
    per_pos, per_doc = np.bincount(p, minlength=n_pos).astype(np.float64), np.bincount(d, minlength=n_doc).astype(np.float64)
    theta = np.full(n_pos, 0.5)
    gamma = np.full(n_doc, 0.5)
    done = 0
    for done in range(1, iterations + 1):
        t, g = theta[p], gamma[d]
        miss = np.maximum(1.0 - t * g, 1e-12)
        seen = c + (1 - c) * t * (1 - g) / miss          # P(examined | outcome)
        liked = c + (1 - c) * (1 - t) * g / miss         # P(relevant | outcome)
        new_theta = np.bincount(p, weights=seen, minlength=n_pos) / np.maximum(per_pos, 1)
        gamma = (np.bincount(d, weights=liked, minlength=n_doc) + 1.0) / (per_doc + 2.0)   # Beta(1, 1) prior
        shift = float(np.abs(new_theta - theta).max())
        theta = new_theta
        if shift < tol:
            break
    theta = _fill_forward(np.where(per_pos > 0, theta, np.nan))
    theta = theta / theta.max()
    return Propensities(tuple(float(x) for x in theta), int(informative.sum()), int(keep.sum()), int(c.sum()), done, clip)


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
