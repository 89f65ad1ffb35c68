"""Queries generated from job descriptions vs hand-written expert Boolean queries (relevance harness).

For every judged query of the synthetic suite, ``benchmarks.synth.jobs`` writes the job ad its
ground truth describes; the query generator (offline planner unless an endpoint is configured)
turns each ad into strategies; each strategy set is run through the harness runner
(``run_condition``, hybrid RRF, k=100) on the suite's cached index and scored with ranx against
the same qrels as the expert queries. The must-show: generated strict Boolean nDCG@10 within 10 %
of the expert Boolean queries on the Boolean half of the suite::

    python -m benchmarks.querygen --profiles 20000            # writes benchmarks/results/querygen-synthetic-20000.json

Strategies scored: each generated strategy as it comes out of the planner (strict, broad, semantic,
history), and ``refined``: the strict query after the refinement loop moved it into the default
liquidity band (``REFINE_POOL``), which is what a caller of ``/v1/queries/refine`` then searches with.
The exit status reports ``refined`` against the expert Boolean queries.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from benchmarks.common import ROOT, stamp

TOLERANCE = 0.10        # generated nDCG@10 >= (1 - TOLERANCE) x expert
REFINE_POOL = (50, 500)  # the refinement loop's default liquidity band (query.refine.RefineConfig)


def run(profiles: int, seed: int, *, conditions: str = "hybrid-rrf", progress: bool = True, out: Path | None = None) -> dict:
    from tqdm.auto import tqdm

    from api.queries import load_expander, pool_counter
    from query.refine import RefineConfig, Refiner
    from benchmarks.harness.conditions import get_condition
    from benchmarks.harness.runner import RunConfig, make_engine, prepare_index, run_condition, score
    from benchmarks.harness.suites import BenchQuery, SuiteOptions, synthetic
    from benchmarks.synth.jobs import write_jobs
    from query.guard import PolicyViolationError
    from query.llm.generate import QueryGenerator

    suite = synthetic(SuiteOptions(profiles=profiles, seed=seed, progress=progress))
    prepare_index(suite, progress=progress)
    engine = make_engine(suite)
    jobs_path = write_jobs(suite.workdir / "corpus", suite.workdir / "jobs.jsonl")
    jobs = {r["query_id"]: r for r in map(json.loads, jobs_path.read_text().splitlines())}
    gen = QueryGenerator(expander=load_expander(suite.index_dir))
    refiner = Refiner(gen.taxonomy, gen.expander, RefineConfig(target_min=REFINE_POOL[0], target_max=REFINE_POOL[1]))
    judged = suite.judged_queries()
    by_strategy: dict[str, list] = {}
    generated, failures = {}, {}
    t0 = time.perf_counter()
    for q in tqdm(judged, desc="generate", unit="job", disable=not progress):
        job = jobs[q.query_id]
        try:
            res = gen.generate(text=job["text"], tenant_id=q.tenant_id)
        except PolicyViolationError as exc:   # would be a guard false positive: reported, scored 0
            failures[q.query_id] = str(exc)
            continue
        generated[q.query_id] = {"job": job["text"], "strategies": [s.to_dict() for s in res.strategies],
                                 "provider": res.provider, "guard": [g.to_dict() for g in res.guard]}
        for s in res.strategies:
            by_strategy.setdefault(s.name, []).append(
                BenchQuery(q.query_id, s.query, s.syntax, s.filters or None, q.tenant_id, q.kind))
        # what the product does next: refine the strict query toward a liquid pool, then search with it
        refined = refiner.refine(res.requirements, pool_counter(engine, tenant_id=q.tenant_id)).strategy
        generated[q.query_id]["refined"] = refined.to_dict()
        by_strategy.setdefault("refined", []).append(
            BenchQuery(q.query_id, refined.query, refined.syntax, refined.filters or None, q.tenant_id, q.kind))
    gen_seconds = time.perf_counter() - t0
    cond = get_condition(conditions)
    runs = {}
    runs["expert"], _, _ = run_condition(engine, suite, cond, k=100, progress=progress)
    for name, queries in by_strategy.items():
        sub = dataclasses.replace(suite, queries=queries)
        runs[f"generated-{name}"], _, _ = run_condition(engine, sub, cond, k=100, progress=progress)
        missing = {q.query_id for q in judged} - {q.query_id for q in queries}
        for qid in missing:
            runs[f"generated-{name}"][qid] = {"__no_hit__": 0.0}
    report = {}
    for subset in ("boolean", "natural", "all"):
        ids = [q.query_id for q in judged if subset == "all" or q.kind == subset]
        qrels = {i: suite.qrels[i] for i in ids}
        sub_runs = {n: {i: r[i] for i in ids} for n, r in runs.items()}
        config = RunConfig((cond,), baseline=cond.name)
        res = score(qrels, {**sub_runs}, dataclasses.replace(config, baseline="expert"))
        report[subset] = {"n_queries": len(ids), "metrics": res["metrics"], "significance": res["significance"]}
    expert = report["boolean"]["metrics"]["expert"]["ndcg@10"]
    strict = report["boolean"]["metrics"].get("generated-strict", {}).get("ndcg@10", 0.0)
    refined_ndcg = report["boolean"]["metrics"].get("generated-refined", {}).get("ndcg@10", 0.0)
    result = {**stamp(), "benchmark": "querygen", "suite": suite.name, "profiles": profiles, "seed": seed,
              "condition": cond.name, "provider": gen.planner.name if gen.planner else "offline-planner",
              "expander": type(gen.expander).__module__ + "." + type(gen.expander).__name__,
              "tolerance": TOLERANCE, "expert_boolean_ndcg@10": expert, "generated_strict_ndcg@10": strict,
              "ratio": round(strict / expert, 4) if expert else None,
              "within_tolerance": bool(expert and strict >= (1 - TOLERANCE) * expert),
              "generated_refined_ndcg@10": refined_ndcg,
              "refined_ratio": round(refined_ndcg / expert, 4) if expert else None,
              "refined_within_tolerance": bool(expert and refined_ndcg >= (1 - TOLERANCE) * expert),
              "refine_pool": list(REFINE_POOL),
              "subsets": report, "generation_seconds": round(gen_seconds, 2), "failures": failures,
              "examples": {qid: generated[qid] for qid in list(generated)[:12]}}
    out = out or ROOT / "benchmarks" / "results" / f"querygen-synthetic-{profiles}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    result["_out"] = str(out)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.querygen", description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--condition", default="hybrid-rrf")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    res = run(args.profiles, args.seed, conditions=args.condition, progress=not args.no_progress, out=args.out)
    for subset, rep in res["subsets"].items():
        print(f"{subset} ({rep['n_queries']} queries)")
        for name, m in rep["metrics"].items():
            print(f"  {name:<22} nDCG@10 {m['ndcg@10']:.4f}  Recall@100 {m['recall@100']:.4f}  MRR@10 {m['mrr@10']:.4f}")
    print(f"generated strict / expert Boolean nDCG@10 = {res['ratio']} (within {TOLERANCE:.0%}: {res['within_tolerance']})")
    print(f"generated + refined to {REFINE_POOL[0]}-{REFINE_POOL[1]} profiles / expert Boolean nDCG@10 = "
          f"{res['refined_ratio']} (within {TOLERANCE:.0%}: {res['refined_within_tolerance']})")
    print(f"written {res['_out']}")
    return 0 if res["refined_within_tolerance"] else 1


if __name__ == "__main__":
    sys.exit(main())
