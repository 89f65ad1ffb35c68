"""Fairness-aware re-ranking toward a target distribution of one attribute (Geyik, Ambler and Kenthapadi,
"Fairness-Aware Ranking in Search & Recommendation Systems with Application to LinkedIn Talent Search",
KDD 2019): DetGreedy and DetConstSort; FA*IR (``ranking.fairness.fair``) through the same ``fair_order``.

Both take the ranked list (best first, with scores), each item's group and the target share of every group
(LinkedIn: the group's share of the qualified pool, here the share of the re-ranked top N), and return a new
order in which every prefix of length k holds at least ``floor(k * p_g)`` items of each group g while it has
items left; inside a group the original order is kept. Only the top N are permuted; the rest follow as they
were.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from ranking.fairness.attributes import ALGORITHMS
from ranking.fairness.fair import fa_ir


def target_shares(groups: Sequence[str]) -> dict[str, float]:
    """Each group's share of ``groups`` (the pool's distribution)."""
    counts = Counter(groups)
    n = sum(counts.values())
    return {g: c / n for g, c in counts.items()} if n else {}


def _queues(scores: Sequence[float], groups: Sequence[str]) -> dict[str, list[int]]:
    queues: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        queues.setdefault(g, []).append(i)
    return queues


def det_greedy(scores: Sequence[float], groups: Sequence[str], shares: dict[str, float], k: int) -> list[int]:
    """Indices of the first ``k`` positions (Algorithm 1, DetGreedy). At each position: if a group is below
    its minimum ``floor(pos * p)``, the best next item among such groups; else the best next item among the
    groups below their maximum ``ceil(pos * p)``; else the best next item overall."""
    queues, head = _queues(scores, groups), Counter()
    counts: Counter = Counter()
    out: list[int] = []
    k = min(k, len(scores))
    for pos in range(1, k + 1):
        live = [g for g, q in queues.items() if head[g] < len(q)]
        below_min = [g for g in live if counts[g] < math.floor(pos * shares.get(g, 0.0))]
        below_max = [g for g in live if counts[g] < math.ceil(pos * shares.get(g, 0.0))]
        pool = below_min or below_max or live
        g = max(pool, key=lambda a: (scores[queues[a][head[a]]], -queues[a][head[a]]))
        out.append(queues[g][head[g]])
        head[g] += 1
        counts[g] += 1
    return out


def det_const_sort(scores: Sequence[float], groups: Sequence[str], shares: dict[str, float], k: int) -> list[int]:
    """Indices of the first ``k`` positions (Algorithm 3, DetConstSort): positions are filled as each group's
    minimum count rises, then an item moves up past lower-scored items as long as every item it passes may
    still sit one place lower (``max_index``)."""
    queues, head = _queues(scores, groups), Counter()
    k = min(k, len(scores))
    placed: list[int] = []         # item index per filled slot
    max_index: list[int] = []      # the latest position (1-based) each slot's item may hold
    mins: Counter = Counter()
    pos = 0
    while len(placed) < k:
        pos += 1
        new_mins = {g: math.floor(pos * shares.get(g, 0.0)) for g in queues}
        changed = [g for g in queues if mins[g] < new_mins[g] and head[g] < len(queues[g])]
        if pos > 10 * k + len(scores):        # every group with a share is exhausted: fill by score below
            break
        for g in sorted(changed, key=lambda a: -scores[queues[a][head[a]]]):
            if len(placed) >= k:
                break
            item = queues[g][head[g]]
            head[g] += 1
            placed.append(item)
            max_index.append(pos)
            s = len(placed) - 1
            while s > 0 and max_index[s - 1] >= s + 1 and scores[placed[s - 1]] < scores[placed[s]]:
                placed[s - 1], placed[s] = placed[s], placed[s - 1]
                max_index[s - 1], max_index[s] = max_index[s], max_index[s - 1]
                s -= 1
        mins.update({g: new_mins[g] - mins[g] for g in changed})
    if len(placed) < k:
        rest = sorted((i for i in range(len(scores)) if i not in set(placed)), key=lambda i: (-scores[i], i))
        placed += rest[: k - len(placed)]
    return placed


RERANKERS = {"detgreedy": det_greedy, "detconstsort": det_const_sort, "fair": fa_ir}
assert set(RERANKERS) == set(ALGORITHMS)


def fair_order(scores: Sequence[float], groups: Sequence[str], *, algorithm: str = "detgreedy", top_n: int | None = None,
               shares: dict[str, float] | None = None, protected: str | None = None, alpha: float = 0.1,
               min_proportion: float | None = None) -> list[int]:
    """A permutation of ``range(len(scores))``: the first ``top_n`` re-ranked toward ``shares`` (default: the
    groups' shares among those ``top_n``), the rest in their order. ``scores`` are best-first. FA*IR ("fair")
    protects ``protected`` with minimum proportion ``min_proportion`` (default: its share in the target)."""
    n = len(scores) if top_n is None else min(top_n, len(scores))
    if n == 0:
        return []
    head_scores, head_groups = list(scores[:n]), list(groups[:n])
    target = shares if shares is not None else target_shares(head_groups)
    if algorithm == "fair":
        if protected is None:
            raise ValueError("FA*IR needs the protected group")
        p = target.get(protected, 0.0) if min_proportion is None else min_proportion
        order = fa_ir(head_scores, head_groups, {protected: p}, n, protected=protected, alpha=alpha)
    else:
        order = RERANKERS[algorithm](head_scores, head_groups, target, n)
    return order + list(range(n, len(scores)))
