"""The ``talentsearch generate``, ``demo`` and ``bench`` commands: the benchmarks package's plug-ins.

They register under the ``talentsearch.commands`` entry-point group (pyproject.toml), so the product's
command line (api/cli.py) loads them without importing ``benchmarks``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path


def add_generate(sub) -> None:
    g = sub.add_parser("generate", help="write a synthetic corpus + judged queries (Parquet, JSONL, TREC qrels)")
    g.add_argument("--profiles", type=int, required=True)
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--queries", type=int, default=240)
    g.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="reference date (default 2026-11-01)")
    g.add_argument("--plant-bias", action="store_true",
                   help="under-document part of one group's profiles in half the occupations (audit.parquet says who)")
    g.add_argument("--plant-proxy", action="store_true",
                   help="career breaks (no current position) far more often for women: a proxy the engine can see")
    g.add_argument("--no-progress", action="store_true")
    g.set_defaults(func=_generate)


def add_demo(sub) -> None:
    m = sub.add_parser("demo", help="generate a sample corpus, index it, serve the API, print example queries")
    m.add_argument("--profiles", type=int, default=5000)
    m.add_argument("--seed", type=int, default=42)
    m.add_argument("--workdir", type=Path, default=Path("var/demo"))
    m.add_argument("--host", default="127.0.0.1")
    m.add_argument("--port", type=int, default=8000)
    m.add_argument("--no-serve", action="store_true", help="exit after printing the examples")
    m.set_defaults(func=_demo)


def add_bench(sub) -> None:
    b = sub.add_parser("bench", help="benchmarks").add_subparsers(dest="bench", required=True)
    r = b.add_parser("relevance", help="score named conditions on a judged suite (ranx), write JSON/CSV/MD/PNG")
    r.add_argument("--suite", required=True, help="scifact, talentclef-en, synthetic, synthetic-smoke or a suite directory")
    r.add_argument("--conditions", default=None, help="comma-separated (default lexical,dense,hybrid-rrf,hybrid-weighted)")
    r.add_argument("--baseline", default="lexical")
    r.add_argument("--out", type=Path, default=None, help="results JSON (default benchmarks/results/relevance-<suite>.json)")
    r.add_argument("--check", action="store_true", help="compare with benchmarks/conditions/<suite>.json; exit 1 on a miss")
    r.add_argument("--expected", type=Path, default=None, help="expected-metrics file for --check")
    r.add_argument("--rebuild", action="store_true", help="re-index even when the cached index matches")
    r.add_argument("--stat-test", choices=["student", "fisher"], default="student")
    r.add_argument("--k", type=int, default=100)
    r.add_argument("--profiles", type=int, default=None, help="synthetic: corpus size")
    r.add_argument("--seed", type=int, default=42, help="synthetic: generator seed")
    r.add_argument("--queries", type=int, default=None, help="synthetic: judged queries generated")
    r.add_argument("--data-dir", type=Path, default=None, help="third-party benchmark data (default ../shared/data)")
    r.add_argument("--workdir", type=Path, default=None, help="suite caches (default var/bench)")
    r.add_argument("--no-progress", action="store_true")
    r.set_defaults(func=_bench_relevance)
    sp = b.add_parser("speed", help="ingest throughput, per-stage latency, API throughput at concurrency 1/4/16, peak memory")
    from benchmarks.speed import add_arguments as speed_arguments

    speed_arguments(sp)
    sp.set_defaults(func=_bench_speed)


def _generate(args) -> int:
    from benchmarks.synth import generate

    kwargs = {"as_of": args.as_of} if args.as_of else {}
    report = generate(args.out, profiles=args.profiles, seed=args.seed, queries=args.queries,
                      progress=not args.no_progress, plant_bias=args.plant_bias,
                      plant_proxy=args.plant_proxy, **kwargs)
    print(json.dumps(dataclasses.asdict(report), indent=2, default=str))
    return 0


def _demo(args) -> int:
    from benchmarks.demo import run_demo

    return run_demo(args)


def _bench_speed(args) -> int:
    from benchmarks.speed import run_args

    return run_args(args)


def _bench_relevance(args) -> int:
    from dataclasses import replace

    from benchmarks.common import ROOT, stamp
    from benchmarks.harness.conditions import parse_conditions
    from benchmarks.harness.report import CONDITIONS_DIR, check, load_expected, write_reports
    from benchmarks.harness.runner import RunConfig, run_relevance
    from benchmarks.harness.suites import SuiteOptions, load_suite

    opts = SuiteOptions(profiles=args.profiles, seed=args.seed, queries=args.queries, progress=not args.no_progress)
    if args.data_dir:
        opts = replace(opts, data_dir=args.data_dir)
    if args.workdir:
        opts = replace(opts, workdir=args.workdir)
    config = RunConfig(tuple(parse_conditions(args.conditions)), baseline=args.baseline, k=args.k,
                       stat_test=args.stat_test, rebuild=args.rebuild, progress=not args.no_progress).validate()
    expected = load_expected(args.expected or CONDITIONS_DIR / f"{args.suite}.json") if args.check else None
    suite = load_suite(args.suite, opts)
    result = {**stamp(), **run_relevance(suite, config)}
    out = args.out or ROOT / "benchmarks" / "results" / f"relevance-{suite.name}.json"
    paths = write_reports(result, out)
    metrics = list(config.metrics)
    print(f"{suite.name}: {result['n_queries']} queries, {result['suite']['profiles']:,} documents, "
          f"{result['timings']['total_seconds']:.0f} s")
    print(f"{'condition':<22}" + "".join(f"{m:>12}" for m in metrics))
    for cond, vals in result["metrics"].items():
        marks = result["significance"].get(cond, {})
        print(f"{cond:<22}" + "".join(f"{vals[m]:>11.4f}{'*' if marks.get(m, {}).get('significant') else ' '}" for m in metrics))
    print(f"* p < {config.max_p} against {config.baseline} ({config.stat_test})")
    print("written " + ", ".join(str(p) for p in paths.values()))
    if expected is not None:
        misses = check(result, expected)
        for miss in misses:
            print(f"check: {miss}", file=sys.stderr)
        if misses:
            return 1
        print(f"check: all expectations met ({sum(len(v) for c, v in expected.items() if c in result['metrics'])} metrics)")
    return 0
