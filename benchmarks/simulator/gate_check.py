"""Was the promotion gate right? Each retrained model against the model serving when it was trained, on hidden truth.

    python -m benchmarks.simulator.gate_check --work-dir var/sim/runs-v3-ipsgate --index-dir var/sim/index \
        --corpus-dir var/bench/synthetic-100000-42/corpus --seeds 42,43,44,45,46,47,48,49,50,51

Reads a finished simulator run (``WORK_DIR/seed-N.json`` and each condition's model registry). For every
model trained in rounds 2 and later while another model served, both score the re-rankable pool of the
seed's VALIDATION queries; the difference of their nDCG@10 against the hidden gains says whether the new
model was better. The gate was right when it promoted a model that was not worse, or refused one that
was. Prints and writes (``--out``) the counts per condition.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from benchmarks.simulator import loop
from benchmarks.simulator.config import LTR_CONDITIONS, SimConfig
from benchmarks.simulator.recruiters import Truth, gain, ndcg
from ranking.ltr.serve import LtrModel
from ranking.ltr.registry import ModelRegistry


def check(cfg: SimConfig, seeds: list[int], *, progress: bool = True) -> dict:
    truth = Truth(cfg.corpus_dir)
    hybrid, features = loop.hybrid_engine(cfg)
    queries = {q["query_id"]: q for q in map(json.loads, Path(cfg.corpus_dir, "queries.jsonl").read_text().splitlines())}
    pools: dict = {}

    def scores(model: LtrModel, qs, tenant, kind) -> float:
        out = []
        for q in qs:
            key = (q["query_id"], tenant)
            if key not in pools:
                cids, X, req = loop._pool_features(hybrid, features, q, tenant, cfg)
                near = loop._near(q, req.filters)
                pools[key] = (X, np.array([gain(truth, kind, q["query_id"], c, near) for c in cids]))
            X, g = pools[key]
            if g.max(initial=0) > 0:
                out.append(ndcg(list(g[np.argsort(-model.predict(X), kind="stable")]), list(g)))
        return float(np.mean(out))

    decisions: dict = {c: [] for c in LTR_CONDITIONS}
    for seed in tqdm(seeds, desc="seeds", disable=not progress):
        result = json.loads((Path(cfg.work_dir) / f"seed-{seed}.json").read_text())
        qs = [queries[i] for i in result["queries"]["validation"]]
        for tenant, kind in cfg.tenants:
            for cond in LTR_CONDITIONS:
                registry, serving = ModelRegistry(Path(cfg.work_dir) / f"seed-{seed}" / cond), None
                for entry in result["training"][tenant][cond]:
                    mv = registry.get(tenant, entry["version"])
                    if serving is not None:
                        delta = scores(LtrModel(mv), qs, tenant, kind) - scores(LtrModel(serving), qs, tenant, kind)
                        decisions[cond].append({"seed": seed, "tenant": tenant, "round": entry["round"],
                                                "promoted": entry["promoted"], "truth_delta": round(delta, 5)})
                    if entry["promoted"]:
                        serving = mv
    summary = {}
    for cond, rows in decisions.items():
        promoted = np.array([r["promoted"] for r in rows], dtype=bool)
        better = np.array([r["truth_delta"] >= 0 for r in rows], dtype=bool)
        summary[cond] = {"decisions": len(rows), "better_on_truth": int(better.sum()), "promoted": int(promoted.sum()),
                         "right": int((promoted == better).sum()), "refused_but_better": int((~promoted & better).sum()),
                         "promoted_but_worse": int((promoted & ~better).sum())}
    return {"work_dir": cfg.work_dir, "seeds": seeds, "summary": summary, "decisions": decisions}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work-dir", required=True, help="a finished simulator run (its --work-dir)")
    p.add_argument("--index-dir", required=True)
    p.add_argument("--corpus-dir", required=True)
    p.add_argument("--seeds", default="42,43,44,45,46,47,48,49,50,51")
    p.add_argument("--out", default=None, help="write the JSON here")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    cfg = SimConfig(index_dir=args.index_dir, corpus_dir=args.corpus_dir, work_dir=args.work_dir)
    result = check(cfg, [int(s) for s in args.seeds.split(",") if s.strip()], progress=not args.no_progress)
    for cond, s in result["summary"].items():
        print(f"{cond:18s} " + ", ".join(f"{k} {v}" for k, v in s.items()))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
