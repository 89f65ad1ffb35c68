"""FA*IR next to DetGreedy / DetConstSort on the planted corpus: per occupation split (planted, other, all)
and per planted occupation, the women's impact ratio in the top 10 and the nDCG@10 cost (issue 21).

    python -m benchmarks.fairness_fair --profiles 20000 --seed 42 --top-n 200

Data: the generator's corpus with ``--plant-bias`` (``benchmarks.synth.audit``) and its 1,000 judged queries,
the same as ``benchmarks.fairness_bench``; the hybrid order (static encoder) of the top ``--top-n`` is re-ranked
with the tenant's whole audit file as the target distribution ("population"). FA*IR protects women with
minimum proportion p (their population share, or a policy's higher p) at significance alpha (adjusted for
the k prefix tests). Writes ``benchmarks/results/fairness-fair-synthetic-PROFILES.{json,md}``.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

import pyarrow.parquet as pq
from tqdm import tqdm

from benchmarks.common import ROOT, load_qrels, load_queries, stamp
from benchmarks.fairness_bench import AS_OF, _request, _table, audits, mean_ndcg, prepare, split_candidates

K = 10
MIN_OCC_POOL = 40          # qualified (query, woman) and (query, man) pairs an occupation needs to be reported


def variants(population: dict[str, float], top_n: int, ps: list[float], alpha: float) -> dict[str, dict]:
    out = {"detgreedy@100": {"algorithm": "detgreedy", "top_n": 100},
           f"detgreedy@{top_n}": {"algorithm": "detgreedy", "top_n": top_n},
           f"detconstsort@{top_n}": {"algorithm": "detconstsort", "top_n": top_n}}
    pop = round(population.get("female", 0.0), 3)
    for p in [pop, *ps]:
        out[f"fair p={p:.2f}@{top_n}"] = {"algorithm": "fair", "top_n": top_n, "p": p, "alpha": alpha}
    return out


def rerank(hits, sex, population, spec) -> list[str]:
    from ranking.fairness.fair import fa_ir
    from ranking.fairness.rerank import fair_order

    top = hits[: spec["top_n"]]
    ids, scores = [c for c, _ in top], [s for _, s in top]
    groups = [sex.get(c, "not_disclosed") for c in ids]
    if spec["algorithm"] == "fair":
        order = fa_ir(scores, groups, {"female": spec["p"]}, K, protected="female", alpha=spec["alpha"])
    else:
        order = fair_order(scores, groups, algorithm=spec["algorithm"], top_n=len(ids), shares=population)
    return [ids[i] for i in order][:K]


def per_occupation(run, qrels, sex, occ_of, planted_codes) -> dict:
    """Women's impact ratio per planted occupation with enough qualified pairs of both sexes."""
    from ranking.fairness.audit import audit

    members = defaultdict(set)
    for c, code in occ_of.items():
        if code in planted_codes:
            members[code].add(c)
    irs = {}
    for code, only in members.items():
        rep = audit(run, qrels, sex, attribute="sex", k=K, only=only)
        pools = {g.group: g.pool for g in rep.groups}
        if min(pools.get("female", 0), pools.get("male", 0)) >= MIN_OCC_POOL:
            irs[code] = rep.impact_ratios().get("female")
    vals = sorted(v for v in irs.values() if v is not None)
    return {"occupations": len(vals), "below_0.8": sum(v < 0.8 for v in vals),
            "median": round(vals[len(vals) // 2], 3) if vals else None, "impact_ratios": irs}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profiles", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--top-n", type=int, default=200)
    p.add_argument("--p", default="0.5,0.6,0.65,0.7,0.75,0.8", help="FA*IR minimum proportions tried beside the population share")
    p.add_argument("--alpha", type=float, default=0.1)
    args = p.parse_args(argv)
    from api.settings import Settings
    from api.wiring import build_engine
    from ranking.fairness.rerank import target_shares

    corpus, index_dir = prepare(ROOT / f"var/bench/fairness-{args.profiles}-{args.seed}", args.profiles, args.seed, True)
    queries, qrels = load_queries(corpus), load_qrels(corpus)
    sex = dict(zip(*pq.read_table(corpus / "audit.parquet", columns=["candidate_id", "sex"]).to_pydict().values()))
    splits = split_candidates(corpus)
    truth = pq.read_table(corpus / "truth.parquet", columns=["candidate_id", "occupation_code"]).to_pydict()
    occ_of = dict(zip(truth["candidate_id"], truth["occupation_code"]))
    planted_codes = set(json.loads((corpus / "manifest.json").read_text())["plant_bias"]["planted_occupations"])
    population = target_shares(list(sex.values()))
    engine = build_engine(Settings(index_dir=index_dir, encoder_backend="static"), ltr=False, today=lambda: AS_OF)
    clock = time.perf_counter()
    hits = {q["query_id"]: [(h.candidate_id, h.score) for h in engine.search(_request(q, args.top_n, rerank=False)).hits]
            for q in tqdm(queries, desc="hybrid top N")}
    specs = variants(population, args.top_n, [float(x) for x in args.p.split(",") if x], args.alpha)
    runs = {"hybrid": {q: [c for c, _ in h][:K] for q, h in hits.items()}}
    ms = {}
    for name, spec in specs.items():
        t0 = time.perf_counter()
        runs[name] = {q: rerank(h, sex, population, spec) for q, h in hits.items()}
        ms[name] = round(1000 * (time.perf_counter() - t0) / len(hits), 3)
    base = mean_ndcg(runs["hybrid"], qrels)
    out = {"benchmark": "fairness-fair", **stamp(), "data": f"synthetic generator, {args.profiles} profiles, seed "
           f"{args.seed}, --plant-bias, static encoder, {len(queries)} judged queries; target: the tenant's audit file "
           f"(female share {population.get('female', 0):.3f})", "k": K, "top_n": args.top_n, "alpha": args.alpha,
           "variants": {"hybrid": {}, **specs}, "results": {}}
    for name, run in runs.items():
        a = audits(run, qrels, {"sex": sex}, splits)
        nd = mean_ndcg(run, qrels)
        out["results"][name] = {"min_ir": {k.split("/")[1]: a[k].min_impact_ratio for k in a},
                                "female_topk_share": {k.split("/")[1]: next((g.topk_share for g in a[k].groups
                                                                            if g.group == "female"), None) for k in a},
                                "per_planted_occupation": per_occupation(run, qrels, sex, occ_of, planted_codes),
                                "ndcg@10": nd, "ndcg_cost_rel": round(1 - nd / base, 4), "ms_per_query": ms.get(name, 0.0)}
        r = out["results"][name]
        print(name, r["min_ir"], r["ndcg@10"], r["ndcg_cost_rel"], {k: v for k, v in r["per_planted_occupation"].items()
                                                                   if k != "impact_ratios"}, flush=True)
    out["wall_s"] = round(time.perf_counter() - clock, 1)
    dest = ROOT / "benchmarks" / "results" / f"fairness-fair-synthetic-{args.profiles}"
    dest.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n")
    dest.with_suffix(".md").write_text(markdown(out))
    print(markdown(out))
    return 0


def markdown(out: dict) -> str:
    rows = [("re-ranking (target: population)", "min IR planted occ.", "other occ.", "all", "planted occupations < 0.8",
             "median IR per planted occ.", "nDCG@10", "cost", "ms / query")]
    for name, r in out["results"].items():
        po = r["per_planted_occupation"]
        rows.append((name, r["min_ir"]["planted"], r["min_ir"]["other"], r["min_ir"]["all"],
                     f"{po['below_0.8']}/{po['occupations']}", po["median"], r["ndcg@10"],
                     f"{100 * r['ndcg_cost_rel']:.1f} %", r["ms_per_query"]))
    return (f"# FA*IR vs DetGreedy / DetConstSort (women's impact ratio, top {out['k']})\n\nData: {out['data']}; "
            f"re-ranked top {out['top_n']}, FA*IR alpha {out['alpha']} (adjusted); per planted occupation: those with >= "
            f"{MIN_OCC_POOL} qualified pairs of each sex; wall {out['wall_s']} s (2-core shared VM).\n\n{_table(rows)}")


if __name__ == "__main__":
    raise SystemExit(main())
