"""Teacher -> student cold start (issue 19, item 4): the evaluator's verdicts on a tenant's pools are graded
labels for a first LightGBM ranker, before any engagement exists.

    python -m benchmarks.evaluation_coldstart --profiles 6000 --seeds 1,2,3,4,5

Protocol: a synthetic corpus with judged queries (``benchmarks.synth``, seed 23) indexed with the static
encoder (so it builds on the 2-core VM in seconds). Per seed the 240 queries are split 120 train / 120 eval.
Teacher: for each train query, qualifications from its planted intent (the occupation title as a must,
seniority and location as musts when asked, each skill of its skill groups as a nice-to-have) judge the top
``budget`` hybrid candidates; label = 2 x (every must met) + (score >= 0.5), 0..3. Student: LightGBM
lambdarank with the product's tree (``LtrConfig``) on the product's ``FeatureSet`` of those pools. Metric:
nDCG@10 on the eval queries against the simulator's hidden gains (``benchmarks.simulator.recruiters``:
relevance grade x the tenant's hidden taste), normalised by the best order of the pool, student order vs
the hybrid order of the same pool, and against the teacher itself used as a re-rank (the evaluation stage:
pool ordered by label, hybrid breaking ties), per tenant; mean over seeds with a bootstrap 95 % interval of the gain
(queries resampled within each seed). Engagement training afterwards (whether it overtakes the student) is
not run here.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np

from api.settings import Settings
from api.wiring import build_engine
from benchmarks.common import ROOT, write_result
from benchmarks.simulator.recruiters import Truth, gain, ndcg
from benchmarks.synth import generate
from indexer.build import IndexConfig, current_version, ingest
from indexer.encoder import EncoderConfig
from query.lang.filters import Filters
from query.lang.keywords import keywords_to_ast
from query.lang.parser import parse
from query.qualifications import parse_qualifications
from ranking.evaluate.model import summarize
from ranking.evaluate.offline import OfflineEvaluator
from ranking.ltr.features import FeatureSet, build_context, graph_loader, pool_from_runs
from ranking.ltr.train import LtrConfig
from ranking.search.pipeline import SearchRequest
from records.hits import Hit

AS_OF = dt.date(2026, 11, 1)
TENANTS = (("acme-talent", "growth"), ("globex-hr", "turnaround"))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pool_features(engine, features, q: dict, tenant: str, budget: int):
    """(candidate ids, feature matrix, request) of the top ``budget`` hybrid candidates of one judged query, as the
    LTR stage computes them (the simulator does the same)."""
    boolean = q.get("kind") == "boolean"
    req = SearchRequest(query=q["query"], filters=Filters.from_dict(q.get("filters") or {}, tenant_id=tenant), k=budget,
                        syntax="boolean" if boolean else "keywords", rerank=False, debug=True)
    res = engine.search(req)
    runs = {name: [Hit(o, s) for o, s in hs] for name, hs in res.debug["runs"].items()}
    node = parse(q["query"]) if boolean else keywords_to_ast(q["query"])
    ctx = build_context(node, req.filters, boolean=boolean, today=AS_OF)
    X = features.compute(engine.reader.snapshot(), ctx, pool_from_runs([(h.ord, h.score) for h in res.hits], runs))
    return [h.candidate_id for h in res.hits], X, req


def qualifications(q: dict):
    intent = q.get("intent") or {}
    out = []
    if intent.get("title") or intent.get("occupation_title"):
        out.append({"kind": "occupation", "text": intent.get("title") or intent["occupation_title"]})
    if intent.get("seniority"):
        out.append({"kind": "seniority", "level": intent["seniority"]})
    loc = intent.get("location") or {}
    if loc.get("near"):
        out.append({"kind": "location", "text": loc["near"], "radius_km": loc.get("radius_km") or 50})
    for group in intent.get("skill_groups") or []:
        for s in group[:2]:
            out.append({"kind": "skill", "text": s, "must": False})
    return parse_qualifications(out[:32]) if out else ()


def teacher_labels(evaluator, profiles, quals) -> np.ndarray:
    rows = evaluator.evaluate(profiles, quals)
    evals = [summarize(p["candidate_id"], r, quals) for p, r in zip(profiles, rows)]
    return np.array([2 * int(e.all_musts) + int((e.score or 0) >= 0.5) for e in evals], dtype=np.int32)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profiles", type=int, default=6000)
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--budget", type=int, default=50, help="pool re-ranked per query (and the nDCG ideal)")
    ap.add_argument("--workdir", type=Path, default=ROOT / "var" / "coldstart")
    ap.add_argument("--name", default="evaluation-coldstart")
    args = ap.parse_args(argv)
    corpus, index = args.workdir / "corpus", args.workdir / "index"
    if not (corpus / "manifest.json").exists():
        generate(corpus, profiles=args.profiles, seed=23, progress=True)
    settings = Settings(index_dir=index, encoder_backend="static")
    if current_version(index) is None:
        log("indexing with the static encoder")
        ingest([corpus / "profiles.parquet"], index, IndexConfig(as_of=AS_OF, encoder=EncoderConfig(backend="static")),
               progress=True)
    hybrid = build_engine(settings, ltr=False, today=lambda: AS_OF)
    features = FeatureSet(graph_loader=graph_loader(index))
    truth = Truth(corpus)
    evaluator = OfflineEvaluator(today=AS_OF)
    queries = [json.loads(line) for line in (corpus / "queries.jsonl").read_text().splitlines() if line.strip()]
    pools = {}
    log(f"{len(queries)} queries x {len(TENANTS)} tenants: pools, features and teacher labels")
    for tenant, _ in TENANTS:
        for q in queries:
            ids, X, req = pool_features(hybrid, features, q, tenant, args.budget)
            if not ids:
                continue
            snap = hybrid.reader.snapshot()
            profiles = snap.store.records([snap.store.ord_of(c) for c in ids])
            quals = qualifications(q)
            labels = teacher_labels(evaluator, profiles, quals) if quals else np.zeros(len(ids), np.int32)
            pools[tenant, q["query_id"]] = (ids, X, labels, req)
    lt = LtrConfig()
    per_seed = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        order = np.random.default_rng([seed, 19]).permutation(len(queries))
        train_q = [queries[i]["query_id"] for i in order[: len(order) // 2]]
        eval_q = [queries[i]["query_id"] for i in order[len(order) // 2:]]
        for tenant, kind in TENANTS:
            keys = [(tenant, qid) for qid in train_q if (tenant, qid) in pools]
            X = np.vstack([pools[k][1] for k in keys])
            y = np.concatenate([pools[k][2] for k in keys])
            booster = lgb.train({**lt.params(), "seed": seed}, lgb.Dataset(X, y, group=[len(pools[k][0]) for k in keys]),
                                num_boost_round=lt.num_boost_round)
            rows = {}
            for qid in eval_q:
                if (tenant, qid) not in pools:
                    continue
                ids, Xq, yq, req = pools[tenant, qid]
                near = (req.filters.near.lat, req.filters.near.lon) if req.filters.near else None
                gains = np.array([gain(truth, kind, qid, c, near) for c in ids])
                if gains.max() <= 0:
                    continue
                student = np.argsort(-booster.predict(Xq), kind="stable")
                teacher = np.argsort(-yq, kind="stable")     # the evaluation re-rank stage itself (hybrid breaks ties)
                rows[qid] = (ndcg(list(gains[:10]), list(gains)), ndcg(list(gains[student][:10]), list(gains)),
                             ndcg(list(gains[teacher][:10]), list(gains)))
            hy = np.array([h for h, _, _ in rows.values()])
            st = np.array([s for _, s, _ in rows.values()])
            te = np.array([t for _, _, t in rows.values()])
            per_seed.append({"seed": seed, "tenant": tenant, "queries": len(rows), "hybrid": float(hy.mean()),
                             "student": float(st.mean()), "teacher": float(te.mean()), "diffs": (st - hy).tolist(),
                             "train_rows": len(y), "label_counts": np.bincount(y, minlength=4).tolist()})
            log(f"seed {seed} {tenant}: hybrid {hy.mean():.4f} student {st.mean():.4f} teacher {te.mean():.4f} "
                f"({len(rows)} eval queries)")
    summary = {}
    rng = np.random.default_rng(0)
    for tenant, _ in TENANTS:
        runs = [r for r in per_seed if r["tenant"] == tenant]
        boots = []
        for _ in range(2000):
            boots.append(np.mean([np.mean(rng.choice(r["diffs"], len(r["diffs"]))) for r in runs]))
        summary[tenant] = {"hybrid_ndcg10": round(float(np.mean([r["hybrid"] for r in runs])), 4),
                           "student_ndcg10": round(float(np.mean([r["student"] for r in runs])), 4),
                           "teacher_rerank_ndcg10": round(float(np.mean([r["teacher"] for r in runs])), 4),
                           "gain": round(float(np.mean([r["student"] - r["hybrid"] for r in runs])), 4),
                           "gain_95ci": [round(float(np.percentile(boots, 2.5)), 4), round(float(np.percentile(boots, 97.5)), 4)],
                           "per_seed": [(r["seed"], round(r["hybrid"], 4), round(r["student"], 4)) for r in runs]}
    result = {"data": f"synthetic generator, {args.profiles} profiles (seed 23), 240 judged queries; static encoder index",
              "protocol": __doc__.split("Protocol: ", 1)[1].strip(), "budget": args.budget, "summary": summary,
              "per_seed": [{k: v for k, v in r.items() if k != "diffs"} for r in per_seed]}
    path = write_result(args.name, result)
    log(f"wrote {path}")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
