"""Relevance reports: results JSON, per-query CSV, a Markdown table, a PNG chart, and the
expected-metric check (``benchmarks/conditions/<suite>.json``).

Expected file: ``{"_command": "...", "<condition>": {"<metric>": [expected, tolerance]}}``;
keys starting with ``_`` are notes. A value further than the tolerance from its expectation
fails the check, in either direction (an improvement means the expectation must be updated).
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness.suites import SuiteUnavailableError

CONDITIONS_DIR = Path(__file__).resolve().parents[1] / "conditions"


@dataclass(frozen=True)
class Deviation:
    condition: str
    metric: str
    value: float | None          # None: the condition or metric was not run
    expected: float
    tolerance: float

    @property
    def regression(self) -> bool:
        return self.value is None or self.value < self.expected - self.tolerance

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.condition} {self.metric}: not measured (expected {self.expected:.4f} ± {self.tolerance:.4f})"
        kind = "REGRESSION" if self.regression else "above expectation (update the conditions file)"
        return (f"{self.condition} {self.metric}: {self.value:.4f}, expected {self.expected:.4f} ± {self.tolerance:.4f} "
                f"({self.value - self.expected:+.4f}) — {kind}")


def load_expected(path: Path) -> dict[str, dict[str, tuple[float, float]]]:
    path = Path(path)
    if not path.exists():
        raise SuiteUnavailableError(f"no expected metrics at {path}: write one from a trusted run to use --check")
    raw = json.loads(path.read_text())
    out = {}
    for cond, metrics in raw.items():
        if cond.startswith("_"):
            continue
        try:
            out[cond] = {m: (float(v[0]), float(v[1])) for m, v in metrics.items()}
        except (TypeError, ValueError, IndexError, AttributeError):
            raise SuiteUnavailableError(f"{path}: {cond}: each metric needs [expected, tolerance]") from None
    return out


def check(result: dict, expected: dict[str, dict[str, tuple[float, float]]], *, only_run: bool = True) -> list[Deviation]:
    """Every expectation the result misses by more than its tolerance. With ``only_run``,
    expectations for conditions that were not run are skipped."""
    out = []
    for cond, metrics in expected.items():
        measured = result["metrics"].get(cond)
        if measured is None and only_run:
            continue
        for metric, (exp, tol) in metrics.items():
            value = None if measured is None else measured.get(metric)
            if value is None or abs(value - exp) > tol + 1e-12:
                out.append(Deviation(cond, metric, value, exp, tol))
    return out


def write_reports(result: dict, out_json: Path) -> dict[str, Path]:
    """JSON at ``out_json``; ``.csv`` (per query), ``.md`` and ``.png`` beside it."""
    out_json = Path(out_json)
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(result, indent=2, default=str))
    paths = {"json": out_json, "csv": out_json.with_suffix(".csv"), "md": out_json.with_suffix(".md"),
             "png": out_json.with_suffix(".png")}
    write_per_query_csv(result, paths["csv"])
    paths["md"].write_text(markdown(result, chart=paths["png"].name))
    plot(result, paths["png"])
    return paths


def write_per_query_csv(result: dict, path: Path) -> None:
    """One row per query: nDCG@10 under each condition (the headline metric of the breakdown)."""
    per = result["per_query"]["ndcg@10"]
    conds = list(per)
    qids = sorted({q for c in conds for q in per[c]}, key=_natural)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["query_id", *(f"ndcg@10[{c}]" for c in conds)])
        for q in qids:
            w.writerow([q, *(f"{per[c].get(q, 0.0):.4f}" for c in conds)])


def markdown(result: dict, *, chart: str | None = None) -> str:
    metrics = list(next(iter(result["metrics"].values())))
    base, sig = result["baseline"], result["significance"]
    suite = result["suite"]
    lines = [f"# Relevance: {suite['name']}", "",
             f"{suite['description']}. {result['n_queries']} judged queries, {suite['profiles']:,} documents, "
             f"depth k={result['k']}. Commit `{result.get('commit', '?')}`, {result.get('when', '')}.", "",
             "| condition | " + " | ".join(metrics) + " | seconds |",
             "|---|" + "---:|" * (len(metrics) + 1)]
    best = {m: max(v[m] for v in result["metrics"].values()) for m in metrics}
    for cond, vals in result["metrics"].items():
        cells = []
        for m in metrics:
            cell = f"{vals[m]:.4f}"
            if vals[m] == best[m]:
                cell = f"**{cell}**"
            s = sig.get(cond, {}).get(m)
            if s and s["significant"]:
                cell += " ▲" if s["delta"] > 0 else " ▼"
            cells.append(cell)
        label = f"{cond} (baseline)" if cond == base else cond
        secs = result["timings"]["conditions"].get(cond, {}).get("seconds")
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {'' if secs is None else f'{secs:.1f}'} |")
    for ref, vals in (result.get("references") or {}).items():
        lines.append(f"| *{ref}, published* | " + " | ".join(f"*{vals[m]:.3f}*" if m in vals else "–" for m in metrics) + " | |")
    test = "paired Student's t-test" if result["stat_test"] == "student" else "Fisher's randomization test"
    lines += ["", f"▲/▼: significantly better/worse than `{base}` ({test}, p < {result['max_p']}); bold: best per metric.", ""]
    if sig:
        lines += [f"p-values against `{base}` (win/tie/loss on nDCG@10):", "",
                  "| condition | " + " | ".join(f"p {m}" for m in metrics) + " | W/T/L nDCG@10 |",
                  "|---|" + "---:|" * (len(metrics) + 1)]
        for cond, per in sig.items():
            wtl = per.get("ndcg@10", {}).get("win_tie_loss")
            wtl_s = f"{wtl['W']}/{wtl['T']}/{wtl['L']}" if wtl else ""
            lines.append(f"| {cond} | " + " | ".join(_p(per[m]["p"]) for m in metrics) + f" | {wtl_s} |")
        lines.append("")
    idx = result["timings"]["index"]
    built = f"built in {idx['total']:.0f} s" if "total" in idx else "built"
    lines.append(f"Index: {'reused from cache, ' + built if idx.get('reused') else built}; "
                 f"whole run {result['timings']['total_seconds']:.0f} s.")
    if result.get("failures"):
        lines.append("Queries that failed (scored 0): " + ", ".join(f"{c}: {len(f)}" for c, f in result["failures"].items()))
    if chart:
        lines += ["", f"![relevance]({chart})"]
    return "\n".join(lines) + "\n"


def plot(result: dict, path: Path) -> Path:
    """Grouped bars: one group per metric, one bar per condition."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    conds = list(result["metrics"])
    metrics = list(result["metrics"][conds[0]])
    width = 0.8 / len(conds)
    fig, ax = plt.subplots(figsize=(max(8, 2 * len(metrics) * len(conds) / 3), 4.2))
    for i, cond in enumerate(conds):
        vals = [result["metrics"][cond][m] for m in metrics]
        bars = ax.bar(np.arange(len(metrics)) + (i - (len(conds) - 1) / 2) * width, vals, width, label=cond)
        ax.bar_label(bars, fmt="%.3f", fontsize=6)
    ax.set_xticks(np.arange(len(metrics)), metrics)
    ax.set_ylim(0, 1)
    ax.set_title(f"{result['suite']['name']}: {result['n_queries']} queries ({result.get('commit', '')})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def _p(p: float) -> str:
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def _natural(q: str):
    return (0, int(q), "") if q.isdigit() else (1, 0, q)
