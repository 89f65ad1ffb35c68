"""Foundation benchmarks (issue 2): relevance of lexical / dense / hybrid on the judged synthetic
set, and speed (index build, per-retriever latency, query encoding).

    python -m benchmarks.foundation relevance --profiles 100000
    python -m benchmarks.foundation speed --profiles 100000

Expected (100k profiles, seed 42): hybrid nDCG@10 >= max(lexical, dense) - 0.005.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.common import load_qrels, load_queries, prepare, write_result

MODES = ("lexical", "dense", "hybrid")
METRICS = ["ndcg@10", "recall@100", "mrr@10", "map@100"]


def _engine(index_dir: Path, corpus: Path):
    from api.settings import Settings
    from api.wiring import build_engine

    as_of = dt.date.fromisoformat(json.loads((corpus / "manifest.json").read_text())["as_of"])
    return build_engine(Settings(index_dir=index_dir), ltr=False, today=lambda: as_of)


def _request(q: dict, mode: str, k: int):
    from query.lang.filters import Filters
    from ranking.search.pipeline import SearchRequest

    syntax = "boolean" if q["kind"] == "boolean" else "keywords"
    filters = Filters.from_dict(q.get("filters"), tenant_id=q.get("tenant_id"))
    return SearchRequest(query=q["query"], filters=filters, k=k, mode=mode, syntax=syntax)


def relevance(args) -> dict:
    from ranx import Qrels, Run, compare, evaluate

    corpus, index_dir, _ = prepare(Path(args.workdir), args.profiles, args.seed)
    engine = _engine(index_dir, corpus)
    queries, qrels = load_queries(corpus), load_qrels(corpus)
    queries = [q for q in queries if q["query_id"] in qrels]
    runs = {}
    for mode in MODES:
        run = {}
        for q in queries:
            res = engine.search(_request(q, mode, 100))
            run[q["query_id"]] = {h.candidate_id: float(len(res.hits) - h.rank + 1) for h in res.hits} or {"__none__": 0.0}
        runs[mode] = run
    ranx_qrels = Qrels(qrels)
    results = {mode: {m: float(v) for m, v in evaluate(ranx_qrels, Run(run, name=mode), METRICS).items()} for mode, run in runs.items()}
    by_kind = {}
    for kind in ("boolean", "natural"):
        ids = {q["query_id"] for q in queries if q["kind"] == kind}
        sub = Qrels({k: v for k, v in qrels.items() if k in ids})
        by_kind[kind] = {mode: {m: float(v) for m, v in evaluate(sub, Run({k: v for k, v in run.items() if k in ids}), METRICS).items()}
                         for mode, run in runs.items()}
    report = compare(ranx_qrels, [Run(r, name=m) for m, r in runs.items()], metrics=["ndcg@10"], max_p=0.05)
    best_single = max(results["lexical"]["ndcg@10"], results["dense"]["ndcg@10"])
    payload = {"benchmark": "foundation-relevance", "profiles": args.profiles, "seed": args.seed,
               "queries": len(queries), "metrics": results, "by_kind": by_kind,
               "significance_ndcg@10": str(report),
               "check": {"hybrid_ndcg@10": results["hybrid"]["ndcg@10"], "best_single": best_single,
                         "hybrid_at_least_best_single": results["hybrid"]["ndcg@10"] >= best_single - 0.005}}
    out = write_result(f"foundation-relevance-{args.profiles}", payload)
    plot_relevance(out)
    _print_table(results, by_kind)
    print(f"written {out}")
    return payload


def speed(args) -> dict:
    """Issue-2 speed figures: the in-process part of ``benchmarks.speed`` (no HTTP load)."""
    from benchmarks.speed import run

    payload = run(args.profiles, args.seed, workdir=args.workdir, queries=args.queries, api=False,
                  name=f"foundation-speed-{args.profiles}")
    print(json.dumps({k: payload[k] for k in ("index_build_seconds", "latency_ms", "query_encode_ms", "targets")}, indent=2))
    print(f"written {payload['path']}")
    return payload


def plot_relevance(result_json: Path) -> Path:
    """Grouped bars: each metric for lexical, dense and hybrid (PNG beside the JSON)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(Path(result_json).read_text())
    metrics = data["metrics"]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.25
    for i, mode in enumerate(MODES):
        vals = [metrics[mode][m] for m in METRICS]
        bars = ax.bar(np.arange(len(METRICS)) + (i - 1) * width, vals, width, label=mode)
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    ax.set_xticks(np.arange(len(METRICS)), METRICS)
    ax.set_ylim(0, 1)
    ax.set_title(f"Synthetic judged set, {data['profiles']:,} profiles, {data['queries']} queries ({data['commit']})")
    ax.legend()
    fig.tight_layout()
    out = Path(result_json).with_suffix(".png")
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def _print_table(results: dict, by_kind: dict) -> None:
    print(f"{'mode':<10}" + "".join(f"{m:>12}" for m in METRICS))
    for mode, vals in results.items():
        print(f"{mode:<10}" + "".join(f"{vals[m]:>12.4f}" for m in METRICS))
    for kind, res in by_kind.items():
        print(f"-- {kind} queries: " + ", ".join(f"{m} nDCG@10={v['ndcg@10']:.4f}" for m, v in res.items()))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.foundation")
    p.add_argument("what", choices=["relevance", "speed"])
    p.add_argument("--profiles", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workdir", default=None)
    p.add_argument("--queries", type=int, default=200, help="queries timed (speed)")
    args = p.parse_args(argv)
    args.workdir = args.workdir or f"var/bench/synthetic-{args.profiles}-{args.seed}"
    (relevance if args.what == "relevance" else speed)(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
