"""Does engagement training overtake the evaluator-distilled student? (issue 19, item 4, second half)

    python -m benchmarks.evaluation_overtake --seeds 1,2,3 --rounds 2

Runs after ``benchmarks.evaluation_coldstart`` built its corpus and index (same work dir, same split per seed).
Two closed loops per tenant and seed, through the simulator's own serving, click model and ``train_scope``
(position-debiased lambdarank with the promotion gate): ``hybrid-start`` (no model: the product today) and
``student-start`` (the distilled student promoted as the tenant's first model). Each round serves the 120
training queries to simulated recruiters (``sessions`` each), then retrains on all engagement so far; the
gate keeps the student unless the engagement model beats it on the holdout. Reported: nDCG@10 on the 120 eval
queries against the hidden gains after each round, per condition, mean over seeds.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np

from api.settings import Settings
from api.wiring import build_engine
from benchmarks.common import ROOT, write_result
from benchmarks.evaluation_coldstart import AS_OF, TENANTS, pool_features, qualifications, teacher_labels
from benchmarks.simulator.config import SimConfig
from benchmarks.simulator.recruiters import Truth
from ranking.evaluate.offline import OfflineEvaluator
from ranking.ltr.events import EventStores, feature_set_id
from ranking.ltr.features import FEATURE_NAMES, FeatureSet, graph_loader
from ranking.ltr.registry import ModelRegistry
from ranking.ltr.serve import LtrSettings, LtrStage
from ranking.ltr.train import LtrConfig, train_scope
from ranking.search.pipeline import SearchEngine


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def student(hybrid, features, evaluator, train_q, tenant, budget, seed) -> lgb.Booster:
    Xs, ys, groups = [], [], []
    snap = hybrid.reader.snapshot()
    for q in train_q:
        ids, X, _ = pool_features(hybrid, features, q, tenant, budget)
        quals = qualifications(q)
        if not ids or not quals:
            continue
        Xs.append(X)
        ys.append(teacher_labels(evaluator, snap.store.records([snap.store.ord_of(c) for c in ids]), quals))
        groups.append(len(ids))
    return lgb.train({**LtrConfig().params(), "seed": seed}, lgb.Dataset(np.vstack(Xs), np.concatenate(ys), group=groups),
                     num_boost_round=LtrConfig().num_boost_round)


def main(argv=None) -> int:
    # the simulator's loop is imported here, not at the top: tests run its module as a script (runpy) too
    from benchmarks.simulator.loop import _eval_pools, _evaluate, _serve_round

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--budget", type=int, default=50)
    ap.add_argument("--workdir", type=Path, default=ROOT / "var" / "coldstart")
    ap.add_argument("--name", default="evaluation-overtake")
    args = ap.parse_args(argv)
    corpus, index = args.workdir / "corpus", args.workdir / "index"
    hybrid = build_engine(Settings(index_dir=index, encoder_backend="static"), ltr=False, today=lambda: AS_OF)
    features = FeatureSet(graph_loader=graph_loader(index))
    truth = Truth(corpus)
    evaluator = OfflineEvaluator(today=AS_OF)
    queries = [json.loads(line) for line in (corpus / "queries.jsonl").read_text().splitlines() if line.strip()]
    results = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        order = np.random.default_rng([seed, 19]).permutation(len(queries))      # the cold-start benchmark's split
        train_q = [queries[i] for i in order[: len(order) // 2]]
        eval_q = [queries[i] for i in order[len(order) // 2:]]
        cfg = SimConfig(index_dir=str(index), corpus_dir=str(corpus), budget=args.budget, seed=seed,
                        sessions=args.sessions, tenants=TENANTS)
        pools = _eval_pools(hybrid, truth, eval_q, cfg)
        for cond in ("hybrid-start", "student-start"):
            ltr_dir = args.workdir / "overtake" / f"seed{seed}" / cond
            if ltr_dir.exists():
                import shutil
                shutil.rmtree(ltr_dir)
            registry, stores = ModelRegistry(ltr_dir), EventStores(ltr_dir)
            loop = {"dir": ltr_dir, "stores": stores,
                    "serve": SearchEngine(hybrid.reader, hybrid.encoder, today=lambda: AS_OF,
                                          ltr=LtrStage(registry, stores, features, LtrSettings(budget=args.budget))),
                    "eval": SearchEngine(hybrid.reader, hybrid.encoder, today=lambda: AS_OF,
                                         ltr=LtrStage(registry, None, features,
                                                      LtrSettings(budget=args.budget, log_features=False)))}
            for tenant, kind in TENANTS:
                if cond == "student-start":
                    booster = student(hybrid, features, evaluator, train_q, tenant, args.budget, seed)
                    mv = registry.add(tenant, booster.model_to_string(), {
                        "feature_names": list(FEATURE_NAMES), "feature_set": feature_set_id(FEATURE_NAMES),
                        "trained_on": "evaluator labels (teacher -> student)", "promoted": True})
                    registry.promote(tenant, mv.version, reason="cold start distilled from the evaluator")
                curve = [float(np.mean(list(_evaluate(loop["eval"], tenant, kind, eval_q, pools, truth).values())))]
                promoted = []
                for rnd in range(args.rounds):
                    _serve_round(loop, tenant, kind, train_q, truth, cfg, rnd, progress=False, label="")
                    report = train_scope(ltr_dir, tenant, LtrConfig(seed=seed, threads=1))
                    promoted.append(report.promoted)
                    curve.append(float(np.mean(list(_evaluate(loop["eval"], tenant, kind, eval_q, pools, truth).values()))))
                log(f"seed {seed} {tenant} {cond}: nDCG@10 by round {[round(c, 4) for c in curve]} promoted {promoted}")
                results.append({"seed": seed, "tenant": tenant, "condition": cond, "ndcg10_by_round": curve,
                                "promoted": promoted})
            stores.close()
    summary = {}
    for tenant, _ in TENANTS:
        for cond in ("hybrid-start", "student-start"):
            curves = np.array([r["ndcg10_by_round"] for r in results if r["tenant"] == tenant and r["condition"] == cond])
            summary.setdefault(tenant, {})[cond] = {"mean_by_round": [round(float(x), 4) for x in curves.mean(axis=0)],
                                                    "min_by_round": [round(float(x), 4) for x in curves.min(axis=0)],
                                                    "max_by_round": [round(float(x), 4) for x in curves.max(axis=0)]}
    result = {"data": "synthetic generator, cold-start corpus (6,000 profiles, seed 23), static encoder index",
              "protocol": __doc__.split("\n\n", 2)[2].strip(), "rounds": args.rounds, "sessions": args.sessions,
              "summary": summary, "runs": results}
    path = write_result(args.name, result)
    log(f"wrote {path}")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
