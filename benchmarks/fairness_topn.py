"""Why re-ranking does not lift the planted occupations: recall of the qualified pool per group inside the
hybrid top N, and DetGreedy (population target) over larger top N with its nDCG@10 cost (issue 21).

    python -m benchmarks.fairness_topn --profiles 20000 --seed 42 --top-n 100,300,1000
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pyarrow.parquet as pq

from benchmarks.common import ROOT, load_qrels, load_queries, stamp
from benchmarks.fairness_bench import (
    AS_OF,
    _request,
    audits,
    mean_ndcg,
    prepare,
    split_candidates,
)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profiles", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--top-n", default="100,300,1000")
    args = p.parse_args(argv)
    from api.settings import Settings
    from api.wiring import build_engine
    from ranking.fairness.rerank import fair_order, target_shares

    workdir = Path(f"var/bench/fairness-{args.profiles}-{args.seed}")
    corpus, index_dir = prepare(workdir, args.profiles, args.seed, True)
    queries, qrels = load_queries(corpus), load_qrels(corpus)
    sex = dict(zip(*pq.read_table(corpus / "audit.parquet", columns=["candidate_id", "sex"]).to_pydict().values()))
    splits = split_candidates(corpus)
    planted = splits["planted"]
    population = target_shares(list(sex.values()))
    engine = build_engine(Settings(index_dir=index_dir, encoder_backend="static"), ltr=False, today=lambda: AS_OF)
    sizes = [int(n) for n in args.top_n.split(",")]
    clock = time.perf_counter()
    hits = {q["query_id"]: [(h.candidate_id, h.score) for h in engine.search(_request(q, max(sizes), rerank=False)).hits]
            for q in queries}
    out = {"benchmark": "fairness-topn", **stamp(), "data": f"synthetic generator, {args.profiles} profiles, seed "
           f"{args.seed}, --plant-bias, static encoder, {len(queries)} judged queries", "top_n": {}}
    hybrid = {q: [c for c, _ in h][:10] for q, h in hits.items()}
    base = mean_ndcg(hybrid, qrels)
    out["ndcg@10_hybrid"] = base
    for n in sizes:
        found, pool = {"female": 0, "male": 0}, {"female": 0, "male": 0}
        run = {}
        for q, h in hits.items():
            top = h[:n]
            for c, g in qrels.get(q, {}).items():
                if g > 0 and c in planted and sex.get(c) in pool:
                    pool[sex[c]] += 1
                    found[sex[c]] += c in {x for x, _ in top}
            order = fair_order([s for _, s in top], [sex.get(c, "not_disclosed") for c, _ in top], algorithm="detgreedy",
                               top_n=n, shares=population)
            run[q] = [top[i][0] for i in order][:10]
        a = audits(run, qrels, {"sex": sex}, splits)
        nd = mean_ndcg(run, qrels)
        out["top_n"][n] = {"planted_qualified_recall": {g: round(found[g] / max(1, pool[g]), 4) for g in pool},
                           "detgreedy_population_min_ir": {k.split("/")[1]: a[k].min_impact_ratio for k in a},
                           "ndcg@10": nd, "ndcg_cost_rel": round(1 - nd / base, 4)}
        print(n, json.dumps(out["top_n"][n]), flush=True)
    out["wall_s"] = round(time.perf_counter() - clock, 1)
    dest = ROOT / "benchmarks" / "results" / f"fairness-topn-synthetic-{args.profiles}.json"
    dest.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
