"""Bias audit of a ranker's output: per group of one attribute, for a query set.

For each query the *qualified pool* is its relevant candidates (grade > 0) and the ranker's *top k* is what
it returned first. Pooled over queries, per group g:

* ``pool_share``: g's share of the qualified pool; ``topk_share``: g's share of the top-k slots;
* ``selection_rate``: qualified members of g in the top k / qualified members of g;
* ``impact_ratio``: g's selection rate / the highest selection rate among the groups compared (NYC Local Law
  144: the disclosed groups holding at least ``min_share`` of the pool); ``four_fifths``: impact ratio < 0.8;
* ``exposure_share``: g's share of the position-discounted attention ``1 / log2(1 + rank)`` over the top k;
  ``merit_share``: g's share of the pool's relevance grades; ``exposure_vs_merit`` = exposure / merit share
  (1 is attention in proportion to merit, Singh and Joachims 2018).

Candidates without a self-reported value count as ``not_disclosed``: reported, never compared.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from ranking.fairness.attributes import NOT_DISCLOSED

FOUR_FIFTHS = 0.8


@dataclass(frozen=True)
class GroupStats:
    group: str
    pool: int                  # qualified (query, candidate) pairs of the group
    topk: int                  # top-k slots the group holds
    selected: int              # qualified pairs of the group in the top k
    pool_share: float
    topk_share: float
    selection_rate: float
    impact_ratio: float | None     # None: not compared (not disclosed, or below min_share of the pool)
    four_fifths: bool              # impact ratio below 0.8
    exposure_share: float
    merit_share: float
    exposure_vs_merit: float | None


@dataclass(frozen=True)
class AuditReport:
    attribute: str
    k: int
    queries: int
    groups: tuple[GroupStats, ...]
    min_impact_ratio: float | None
    flagged: tuple[str, ...]       # groups with the four-fifths flag

    def to_dict(self) -> dict:
        return {"attribute": self.attribute, "k": self.k, "queries": self.queries,
                "min_impact_ratio": self.min_impact_ratio, "flagged": list(self.flagged),
                "groups": [asdict(g) for g in self.groups]}

    def impact_ratios(self) -> dict[str, float]:
        return {g.group: g.impact_ratio for g in self.groups if g.impact_ratio is not None}

    def to_markdown(self, title: str = "") -> str:
        head = f"### {title or 'Bias audit'}: {self.attribute}, top {self.k}, {self.queries} queries\n\n"
        rows = ["| group | pool share | top-k share | selection rate | impact ratio | 4/5 flag | exposure share | merit share | exposure/merit |",
                "|---|---|---|---|---|---|---|---|---|"]
        for g in self.groups:
            ir = f"{g.impact_ratio:.3f}" if g.impact_ratio is not None else "n/a"
            em = f"{g.exposure_vs_merit:.3f}" if g.exposure_vs_merit is not None else "n/a"
            rows.append(f"| {g.group} | {g.pool_share:.3f} | {g.topk_share:.3f} | {g.selection_rate:.4f} | {ir} | "
                        f"{'**yes**' if g.four_fifths else 'no'} | {g.exposure_share:.3f} | {g.merit_share:.3f} | {em} |")
        mir = f"{self.min_impact_ratio:.3f}" if self.min_impact_ratio is not None else "n/a"
        tail = f"\n\nMinimum impact ratio {mir}; four-fifths flag: {', '.join(self.flagged) or 'none'}.\n"
        return head + "\n".join(rows) + tail


def audit(run: dict[str, list[str]], qrels: dict[str, dict[str, int]], groups: dict[str, str], *, attribute: str,
          k: int = 10, min_share: float = 0.02, min_pool: int = 0, only=None) -> AuditReport:
    """Audit ``run`` ({query_id: candidate ids best first}) against ``qrels`` ({query_id: {candidate_id:
    grade}}) for the groups ``groups`` ({candidate_id: group}). Queries without a qualified candidate are
    skipped. Groups below ``min_share`` of the pool or with fewer than ``min_pool`` qualified pairs are reported,
    not compared. ``only`` (a set of candidate ids) restricts the counts to those candidates, ranks unchanged
    (e.g. the candidates of some occupations)."""
    pool, topk, selected = defaultdict(int), defaultdict(int), defaultdict(int)
    exposure, merit = defaultdict(float), defaultdict(float)
    n_queries = 0
    for qid, ranked in run.items():
        qualified = {c: g for c, g in (qrels.get(qid) or {}).items() if g > 0 and (only is None or c in only)}
        if not qualified:
            continue
        n_queries += 1
        for cid, grade in qualified.items():
            grp = groups.get(cid, NOT_DISCLOSED)
            pool[grp] += 1
            merit[grp] += grade
        for rank, cid in enumerate(ranked[:k], start=1):
            if only is not None and cid not in only:
                continue
            grp = groups.get(cid, NOT_DISCLOSED)
            topk[grp] += 1
            exposure[grp] += 1.0 / math.log2(1 + rank)
            if cid in qualified:
                selected[grp] += 1
    return _report(attribute, k, n_queries, pool, topk, selected, exposure, merit, min_share, min_pool)


def _report(attribute, k, n_queries, pool, topk, selected, exposure, merit, min_share, min_pool=0) -> AuditReport:
    names = sorted(set(pool) | set(topk), key=lambda g: (g == NOT_DISCLOSED, g))
    total_pool, total_topk = sum(pool.values()), sum(topk.values())
    total_exp, total_merit = sum(exposure.values()), sum(merit.values())
    rate = {g: selected[g] / pool[g] if pool[g] else 0.0 for g in names}
    compared = [g for g in names if g != NOT_DISCLOSED and total_pool and pool[g] / total_pool >= min_share
                and pool[g] >= min_pool]
    best = max((rate[g] for g in compared), default=0.0)
    stats = []
    for g in names:
        ir = (rate[g] / best if best > 0 else None) if g in compared else None
        es = exposure[g] / total_exp if total_exp else 0.0
        ms = merit[g] / total_merit if total_merit else 0.0
        stats.append(GroupStats(g, pool[g], topk[g], selected[g], _r(pool[g] / total_pool if total_pool else 0.0),
                                _r(topk[g] / total_topk if total_topk else 0.0), _r(rate[g]),
                                _r(ir) if ir is not None else None, ir is not None and ir < FOUR_FIFTHS, _r(es), _r(ms),
                                _r(es / ms) if ms > 0 else None))
    irs = [s.impact_ratio for s in stats if s.impact_ratio is not None]
    return AuditReport(attribute, k, n_queries, tuple(stats), min(irs) if irs else None,
                       tuple(s.group for s in stats if s.four_fifths))


def _r(x: float) -> float:
    return round(float(x), 5)


def write_report(reports: dict[str, AuditReport], out: str | Path, *, title: str = "Bias audit") -> list[Path]:
    """Write ``OUT.json``, ``OUT.md`` and ``OUT.png`` for named reports (e.g. one per ranker)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = [out.with_suffix(".json"), out.with_suffix(".md"), out.with_suffix(".png")]
    paths[0].write_text(json.dumps({name: r.to_dict() for name, r in reports.items()}, indent=1) + "\n", encoding="utf-8")
    md = f"# {title}\n\n" + "\n".join(r.to_markdown(name) for name, r in reports.items())
    paths[1].write_text(md, encoding="utf-8")
    plot(reports, paths[2], title=title)
    return paths


def plot(reports: dict[str, AuditReport], path: Path, *, title: str) -> None:
    """Impact ratio per group and ranker (the 0.8 line drawn), and exposure vs merit share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = list(reports)
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        gs = [g for g in reports[name].groups if g.impact_ratio is not None]
        xs = [j + i * width for j in range(len(gs))]
        ax1.bar(xs, [g.impact_ratio for g in gs], width, label=name)
        ax1.set_xticks([j + width * (len(names) - 1) / 2 for j in range(len(gs))], [f"{reports[name].attribute}\n{g.group}" for g in gs],
                       fontsize=7)
        ax2.scatter([g.merit_share for g in reports[name].groups], [g.exposure_share for g in reports[name].groups], label=name)
    ax1.axhline(FOUR_FIFTHS, color="red", linestyle="--", linewidth=1)
    ax1.set_ylabel("impact ratio (selection rate / highest)")
    ax1.legend(fontsize=7)
    lim = max([g.merit_share for r in reports.values() for g in r.groups] + [g.exposure_share for r in reports.values() for g in r.groups] + [0.1])
    ax2.plot([0, lim], [0, lim], color="grey", linewidth=1)
    ax2.set_xlabel("merit share (qualified pool's grades)")
    ax2.set_ylabel("exposure share (top k)")
    ax2.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
