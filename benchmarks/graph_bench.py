"""Economic-graph benchmark: build time at scale, planted-company recovery, insights latency.

    python -m benchmarks.graph_bench build --profiles 1000000          # generate (cached) + build, recovery P/R
    python -m benchmarks.graph_bench insights --suite-dir var/bench/synthetic-20000-42-q240 --pool 10000

``build`` generates the corpus once under ``var/bench/graph-<N>-<seed>/corpus`` (``--corpus DIR`` to use
another), builds the graph straight from ``profiles.parquet`` (the same code ``talentsearch graph
build`` runs on an index version) and scores the growing / layoff flags against ``companies.parquet``.
``insights`` times ``ranking.search.insights.pool_insights`` (pool from SearchEngine.pool + graph insights)
on a built index. Results: ``benchmarks/results/graph-*.json`` with the commit, the machine and the
load average before/after (the machine is shared: report contention with the numbers).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, write_result


def recovery(companies_path: Path, graph) -> dict:
    """Precision / recall of the graph's flags against the planted trajectories (all companies, and
    those the flags can see: at least MIN_HEADCOUNT people now, layoffs inside the lookback window)."""
    import pyarrow.parquet as pq

    from graph import metrics as gm

    truth = {r["company_id"]: r for r in pq.read_table(companies_path).to_pylist()}
    rows = graph.table("companies").to_pylist()
    as_of = dt.date.fromisoformat(graph.manifest["as_of"])
    horizon = dt.date(as_of.year - gm.LAYOFF_LOOKBACK // 12, as_of.month, 1)
    out = {}
    for flag, trajectory in (("growing", "growing"), ("layoffs", "layoffs")):
        for scope in ("all", "visible"):
            def visible(r):
                t = truth[r["company_id"]]
                if scope == "all":
                    return True
                if r["headcount"] < gm.MIN_HEADCOUNT:
                    return False
                return trajectory != "layoffs" or t["trajectory"] != "layoffs" or any(m >= horizon for m in t["layoff_months"])
            sel = [r for r in rows if r["company_id"] in truth and visible(r)]
            pred = {r["company_id"] for r in sel if r[flag]}
            real = {r["company_id"] for r in sel if truth[r["company_id"]]["trajectory"] == trajectory}
            tp = len(pred & real)
            out[f"{flag}_{scope}"] = {"companies": len(sel), "predicted": len(pred), "planted": len(real), "true_positives": tp,
                                      "precision": round(tp / len(pred), 4) if pred else None,
                                      "recall": round(tp / len(real), 4) if real else None}
    brands = {t["name"]: t["trajectory"] for t in truth.values() if t["is_brand"]}
    flagged = {r["name"]: ("growing" if r["growing"] else "layoffs" if r["layoffs"] else "stable") for r in rows if r["name"] in brands}
    out["brands"] = {name: {"planted": brands[name], "flagged": flagged.get(name)} for name in sorted(brands)}
    return out


def run_build(args) -> dict:
    import pyarrow.parquet as pq

    from graph.build import COLUMNS, GraphConfig, build_graph

    corpus = args.corpus or ROOT / "var" / "bench" / f"graph-{args.profiles}-{args.seed}" / "corpus"
    gen_seconds = None
    if not (corpus / "profiles.parquet").exists():
        from benchmarks.synth import generate

        t0 = time.perf_counter()
        generate(corpus, profiles=args.profiles, seed=args.seed, queries=20, progress=not args.no_progress)
        gen_seconds = round(time.perf_counter() - t0, 2)
    as_of = dt.date.fromisoformat(json.loads((corpus / "manifest.json").read_text())["as_of"])
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    table = pq.read_table(corpus / "profiles.parquet", columns=list(COLUMNS))
    read_s = time.perf_counter() - t0
    graph = build_graph(table, GraphConfig(as_of=as_of, progress=not args.no_progress))
    build_s = time.perf_counter() - t0 - read_s
    t1 = time.perf_counter()
    out_dir = Path(args.out_dir) if args.out_dir else corpus.parent / "graph"
    graph.save(out_dir)
    save_s = time.perf_counter() - t1
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "benchmark": "graph-build", "profiles": table.num_rows, "corpus": str(corpus), "generate_seconds": gen_seconds,
        "seconds": {"read": round(read_s, 2), "build": round(build_s, 2), "save": round(save_s, 2),
                    "total": round(read_s + build_s + save_s, 2), "steps": graph.manifest["seconds"]},
        "target_seconds": 300, "cpu_seconds": round(cpu.ru_utime + cpu.ru_stime, 1),
        "peak_rss_mb": round(cpu.ru_maxrss / 1024, 1), "counts": graph.manifest["counts"],
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "recovery": recovery(corpus / "companies.parquet", graph),
    }
    result["insights_core"] = insights_core(graph, pool=args.pool, repeats=args.repeats)
    result["chart"] = str(flows_chart(graph, ROOT / "benchmarks" / "results" / f"graph-flows-{table.num_rows}.png"))
    return result


def flows_chart(graph, path: Path, *, occupation: str = "15-1252.00", vs: str = "Acme") -> Path:
    """The flows PNG for a sample pool: up to 10k people of one occupation, against one company."""
    from graph.chart import flows_png
    from graph.insights import TalentInsights

    codes = graph.table("occupations").column("code").to_pylist()
    occ = codes.index(occupation) if occupation in codes else 0
    rows = np.flatnonzero(graph.col("people", "occupation") == occ)[:10_000]
    names = graph.table("companies").column("name").to_pylist()
    out = TalentInsights(graph).insights(rows, vs_company=vs if vs in names else None)
    flows_png(out, path, title=graph.table("occupations").column("title")[occ].as_py())
    return path


def insights_core(graph, *, pool: int, repeats: int) -> dict:
    """graph.insights alone on random pools of ``pool`` people (no retrieval)."""
    from graph.insights import TalentInsights

    ti = TalentInsights(graph)
    rng = np.random.default_rng(0)
    n = graph.table("people").num_rows
    brand = graph.table("companies").column("name").to_pylist()
    vs = "Globex" if "Globex" in brand else None
    times = []
    for i in range(repeats + 3):
        rows = np.sort(rng.choice(n, size=min(pool, n), replace=False))
        t0 = time.perf_counter()
        ti.insights(rows, vs_company=vs)
        if i >= 3:   # the first calls build per-window caches
            times.append((time.perf_counter() - t0) * 1000)
    return _latency(times, pool=min(pool, n))


def run_insights(args) -> dict:
    from graph.build import ensure_graph
    from api.settings import Settings
    from api.wiring import build_engine
    from query.lang.filters import Filters
    from ranking.search.insights import pool_insights
    from ranking.search.pipeline import SearchRequest

    index_dir = Path(args.suite_dir) / "index"
    ensure_graph(index_dir, progress=not args.no_progress)
    engine = build_engine(Settings(index_dir=index_dir), ltr=False)
    requests = [SearchRequest(query=q, filters=Filters.from_dict(f)) for q, f in args.queries]
    times, sizes = [], []
    load_before = os.getloadavg()
    for i in range(args.repeats + len(requests)):
        req = requests[i % len(requests)]
        t0 = time.perf_counter()
        out = pool_insights(engine, req, vs_company="Globex", pool_limit=args.pool)
        if i >= len(requests):   # first pass warms caches (graph load, alignment, per-window matrices)
            times.append((time.perf_counter() - t0) * 1000)
            sizes.append(out["supply"]["candidates"])
    return {"benchmark": "graph-insights", "index_dir": str(index_dir), "pool_limit": args.pool,
            "queries": [q for q, _ in args.queries], "pool_sizes": sorted(set(sizes)),
            "latency_ms": _latency(times, pool=int(np.median(sizes))), "target_p95_ms": 200,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def truncate(table, cutoff: dt.date):
    """The corpus as it looked at ``cutoff``: later positions dropped, later ends re-opened, open_to_work
    cleared (it is only known today, and it leaks the future)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pos = table.column("positions").combine_chunks()
    flat = pos.flatten()
    off = np.asarray(pos.offsets)
    parent = np.repeat(np.arange(table.num_rows), np.diff(off - off[0]))
    start = pc.fill_null(flat.field("start").cast(pa.int32()), 0).to_numpy(zero_copy_only=False)
    end = pc.fill_null(flat.field("end").cast(pa.int32()), -1).to_numpy(zero_copy_only=False)
    c = (cutoff - dt.date(1970, 1, 1)).days
    keep = start <= c
    fields = {f.name: flat.field(f.name) for f in flat.type}
    fields["end"] = pa.array(np.where(end > c, None, fields["end"].to_pylist()), pa.date32())
    struct = pa.StructArray.from_arrays(list(fields.values()), fields=list(flat.type)).filter(pa.array(keep))
    offsets = np.concatenate(([0], np.cumsum(np.bincount(parent[keep], minlength=table.num_rows)))).astype(np.int32)
    new = pa.ListArray.from_arrays(pa.array(offsets), struct)
    table = table.set_column(table.schema.get_field_index("positions"), "positions", new)
    return table.set_column(table.schema.get_field_index("open_to_work"), "open_to_work",
                            pa.array(np.zeros(table.num_rows, dtype=bool)))


def run_backtest(args) -> dict:
    """Propensity computed 12 months before as_of against who changed company in those 12 months (ROC AUC)."""
    import pyarrow.parquet as pq

    from graph.build import COLUMNS, GraphConfig, build_graph

    corpus = Path(args.corpus)
    as_of = dt.date.fromisoformat(json.loads((corpus / "manifest.json").read_text())["as_of"])
    cutoff = dt.date(as_of.year - 1, as_of.month, as_of.day)
    full = pq.read_table(corpus / "profiles.parquet", columns=list(COLUMNS))
    past = build_graph(truncate(full, cutoff), GraphConfig(as_of=cutoff, progress=False))
    now = build_graph(full, GraphConfig(as_of=as_of, progress=False))
    before = np.asarray(past.col("people", "company"))
    ids_then = past.table("companies").column("company_id").to_pylist()
    ids_now = now.table("companies").column("company_id").to_pylist()
    after = np.array([ids_now[c] if c >= 0 else None for c in now.col("people", "company")], dtype=object)
    then = np.array([ids_then[c] if c >= 0 else None for c in before], dtype=object)
    employed = before >= 0
    moved = employed & (after != then)
    score = past.col("people", "propensity")[employed]
    label = moved[employed]
    return {"benchmark": "graph-propensity-backtest", "corpus": str(corpus), "cutoff": cutoff.isoformat(),
            "as_of": as_of.isoformat(), "employed_at_cutoff": int(employed.sum()), "moved_within_12_months": int(label.sum()),
            "roc_auc": round(_auc(score, label), 4),
            "move_rate_by_propensity_decile": _deciles(score, label)}


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    from scipy.stats import rankdata

    r = rankdata(score)
    pos = label.sum()
    neg = len(label) - pos
    return float((r[label].sum() - pos * (pos + 1) / 2) / max(pos * neg, 1))


def _deciles(score: np.ndarray, label: np.ndarray) -> list[float]:
    edges = np.quantile(score, np.linspace(0, 1, 11))
    idx = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, 9)
    return [round(float(label[idx == d].mean()), 4) if (idx == d).any() else None for d in range(10)]


def _latency(times: list[float], *, pool: int) -> dict:
    a = np.array(times)
    return {"pool": pool, "requests": len(a), "p50": round(float(np.percentile(a, 50)), 2),
            "p95": round(float(np.percentile(a, 95)), 2), "p99": round(float(np.percentile(a, 99)), 2),
            "max": round(float(a.max()), 2)}


DEFAULT_QUERIES = [("", {}), ("engineer OR manager OR analyst OR specialist OR nurse", {}),
                   ("", {"min_years": 3}), ("", {"open_to_work": False})]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.graph_bench")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--profiles", type=int, default=1_000_000)
    b.add_argument("--seed", type=int, default=42)
    b.add_argument("--corpus", type=Path, default=None)
    b.add_argument("--out-dir", default=None)
    b.add_argument("--pool", type=int, default=10_000)
    b.add_argument("--repeats", type=int, default=50)
    b.add_argument("--no-progress", action="store_true")
    i = sub.add_parser("insights")
    i.add_argument("--suite-dir", default=str(ROOT / "var" / "bench" / "synthetic-20000-42-q240"))
    i.add_argument("--pool", type=int, default=10_000)
    i.add_argument("--repeats", type=int, default=60)
    i.add_argument("--no-progress", action="store_true")
    t = sub.add_parser("backtest")
    t.add_argument("--corpus", default=str(ROOT / "var" / "bench" / "synthetic-20000-42-q240" / "corpus"))
    args = p.parse_args(argv)
    if args.cmd == "backtest":
        res = run_backtest(args)
        path = write_result(f"graph-backtest-{Path(args.corpus).parent.name}", res)
    elif args.cmd == "build":
        res = run_build(args)
        path = write_result(f"graph-build-{res['profiles']}", res)
    else:
        args.queries = DEFAULT_QUERIES
        res = run_insights(args)
        path = write_result(f"graph-insights-{res['latency_ms']['pool']}", res)
    print(json.dumps(res, indent=2, default=str))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
