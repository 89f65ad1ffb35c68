"""Bias audit, fairness-aware re-ranking and the LTR fairness gate on the synthetic corpus (issue 21).

    python -m benchmarks.fairness_bench --profiles 20000 --seed 42      # generates with --plant-bias, static encoder
    python -m benchmarks.fairness_bench --no-plant --skip-gate --tag=-noplant   # the control: no planted bias

Data: the generator's corpus with ``--plant-bias`` (``benchmarks.synth.audit``: in half the occupations 70 % of
the women have under-documented profiles; their grades are unchanged) and its judged queries. The audit is
reported over candidates of the planted occupations, of the others, and over all (ranks unchanged).

1. **Audit** of the hybrid ranker (top 10) per attribute, planted vs other occupations: impact ratio < 0.8 where
   planted, ~1 elsewhere.
2. **Re-ranking** the hybrid top ``--top-n`` toward its own sex distribution (DetGreedy, DetConstSort): the
   minimum impact ratio and nDCG@10 (qrels, gain 2^g - 1) next to the hybrid's.
3. **Gate**: a tenant's recruiters (``benchmarks.simulator``: cascade clicks, hidden taste) engage with the
   served pages, once unbiased and once biased against women (engagement past the view x ``--bias-factor``);
   a LightGBM model is trained on each and goes through the promotion gate with
   ``fairness_min_impact_ratio`` = 0.8. Reported: both gates' impact ratios next to the incumbent's (the
   hybrid order), the decisions, and each model's audit on the held-out evaluation queries.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from tqdm import tqdm

from benchmarks.common import ROOT, load_qrels, load_queries, stamp

AS_OF = dt.date(2026, 11, 1)
TENANT = "acme-talent"
# engagement of the simulated recruiters in the gate runs: unbiased, against women (hidden from the engine),
# against people without a current job (visible; with --plant-proxy mostly women on a career break)
GATE_CONDITIONS = {"unbiased": None, "biased": ("sex", "female"), "biased-proxy": ("profile", "no_current_job")}
VARIANTS = ("detgreedy/pool", "detconstsort/pool", "detgreedy/population", "detconstsort/population")


def prepare(workdir: Path, profiles: int, seed: int, progress: bool, plant: bool = True, queries: int = 1000,
            proxy: bool = False):
    from benchmarks.synth import generate
    from indexer.build import IndexConfig, current_version, ingest
    from indexer.encoder import EncoderConfig

    corpus, index_dir = workdir / "corpus", workdir / "index"
    if not (corpus / "manifest.json").exists():
        generate(corpus, profiles=profiles, seed=seed, progress=progress, plant_bias=plant, queries=queries,
                 plant_proxy=proxy)
    if current_version(index_dir) is None:
        ingest([corpus / "profiles.parquet"], index_dir, IndexConfig(as_of=AS_OF, encoder=EncoderConfig(backend="static")),
               progress=progress)
    return corpus, index_dir


def ndcg10(ranked: list[str], rel: dict[str, int]) -> float:
    disc = [1 / math.log2(i + 2) for i in range(10)]
    dcg = sum((2 ** rel.get(c, 0) - 1) * d for c, d in zip(ranked[:10], disc))
    ideal = sorted(rel.values(), reverse=True)[:10]
    idcg = sum((2 ** g - 1) * d for g, d in zip(ideal, disc))
    return dcg / idcg if idcg > 0 else 0.0


def split_candidates(corpus: Path) -> dict[str, set[str] | None]:
    """{'planted': candidates whose latent occupation carries the planted bias, 'other': the rest, 'all': None}."""
    from benchmarks.synth.audit import planted

    t = pq.read_table(corpus / "truth.parquet", columns=["candidate_id", "occupation_code"]).to_pydict()
    out: dict[str, set[str] | None] = {"planted": set(), "other": set()}
    for cid, code in zip(t["candidate_id"], t["occupation_code"]):
        out["planted" if planted(code) else "other"].add(cid)
    out["all"] = None
    return out


def _request(q: dict, k: int, **kw):
    from query.lang.filters import Filters
    from ranking.search.pipeline import SearchRequest

    return SearchRequest(query=q["query"], filters=Filters.from_dict(q.get("filters") or {}, tenant_id=TENANT), k=k,
                         syntax="boolean" if q.get("kind") == "boolean" else "keywords", **kw)


def audits(run, qrels, groups, splits, k=10) -> dict:
    """Audit per attribute and candidate split (planted occupations, other occupations, all)."""
    from ranking.fairness.audit import audit

    return {f"{attribute}/{name}": audit(run, qrels, g, attribute=attribute, k=k, only=only)
            for attribute, g in groups.items() for name, only in splits.items()}


def mean_ndcg(run, qrels, ids=None) -> float:
    vals = [ndcg10(r, qrels[q]) for q, r in run.items() if qrels.get(q) and (ids is None or q in ids)]
    return round(float(np.mean(vals)), 5) if vals else 0.0


def rerank_section(engine, queries, qrels, groups, splits, top_n: int, progress: bool) -> tuple[dict, dict]:
    from ranking.fairness.rerank import fair_order, target_shares

    runs = {"hybrid": {}, **{v: {} for v in VARIANTS}}
    seconds = {v: 0.0 for v in VARIANTS}
    sex = groups["sex"]
    population = target_shares(list(sex.values()))
    for q in tqdm(queries, desc="hybrid + re-rank", disable=not progress, leave=False):
        hits = engine.search(_request(q, top_n, rerank=False)).hits
        ids = [h.candidate_id for h in hits]
        scores = [h.score for h in hits]
        runs["hybrid"][q["query_id"]] = ids
        for v in VARIANTS:
            alg, target = v.split("/")
            t0 = time.perf_counter()
            order = fair_order(scores, [sex.get(c, "not_disclosed") for c in ids], algorithm=alg, top_n=top_n,
                               shares=population if target == "population" else None)
            seconds[v] += time.perf_counter() - t0
            runs[v][q["query_id"]] = [ids[i] for i in order][:10]
    return runs, {a: round(1000 * s / max(1, len(queries)), 3) for a, s in seconds.items()}


def _serve_round(engine, train_q, truth, sim, sessions: int, rnd: int, progress: bool, label: str, seed: int = 42) -> int:
    """One round: every training query searched ``sessions`` times by the tenant's simulated recruiters."""
    from benchmarks.simulator.loop import bias_factors, view_bias_factors
    from benchmarks.simulator.recruiters import ClickModel, judge, session_events

    model = ClickModel(patience=sim.patience, page=sim.page)
    batch, start = [], dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=rnd)
    for qi, q in enumerate(tqdm(train_q, desc=label, disable=not progress, leave=False)):
        for s in range(sessions):
            rng = np.random.default_rng([seed, rnd, qi, s, 11])
            req = dataclasses.replace(_request(q, sim.served), explain=False)
            res = engine.search(req)
            shown = [h.candidate_id for h in res.hits][: sim.page]
            for i in range(0, len(shown) - 1, 2):
                if rng.random() < sim.explore:
                    shown[i], shown[i + 1] = shown[i + 1], shown[i]
            near = (req.filters.near.lat, req.filters.near.lon) if req.filters.near else None
            judged = [judge(truth, "growth", q["query_id"], c, near) for c in shown]
            batch += session_events(rng, model, tenant=TENANT, recruiter=f"r{s}", request_id=res.request_id, shown=shown,
                                    grades=[g for g, _ in judged], tastes=[t for _, t in judged],
                                    start=start + dt.timedelta(minutes=qi * sessions + s), prefix=res.request_id,
                                    factors=bias_factors(truth, sim, shown),
                                    view_factors=view_bias_factors(truth, sim, shown))
    engine.ltr.stores.get(TENANT).add(batch, tenant_id=TENANT)
    return len(batch)


def gate_section(cfg_args, index_dir, corpus, queries, qrels, groups, splits, workdir, progress) -> dict:
    """Serve -> (un)biased simulated engagement -> train -> fairness gate, per scenario:

    * ``unbiased`` / ``biased``: one round served by the hybrid order (the incumbent), then a model;
    * ``biased-after-unbiased``: the unbiased model serves (promoted by the operator), the recruiters turn
      biased, and a model trained on their engagement meets the unbiased model in the gate."""
    from api.settings import Settings
    from api.wiring import build_engine
    from benchmarks.simulator.config import SimConfig
    from benchmarks.simulator.loop import _seeded_request_ids
    from benchmarks.simulator.recruiters import Truth
    from ranking.fairness.attributes import AttributeStore, read_audit_file
    from ranking.fairness.gate import FairnessGate
    from ranking.ltr.registry import ModelRegistry
    from ranking.ltr.train import LtrConfig, train_scope

    truth = Truth(corpus)
    fair_dir = workdir / "fairness"
    AttributeStore(fair_dir).put(TENANT, read_audit_file(corpus / "audit.parquet"))
    order = np.random.default_rng(7).permutation(len(queries))
    train_q = [queries[i] for i in order[: cfg_args.train_queries]]
    eval_q = [queries[i] for i in order[cfg_args.train_queries:]]
    eval_ids = {q["query_id"] for q in eval_q}
    out = {"train_queries": len(train_q), "eval_queries": len(eval_q), "sessions": cfg_args.sessions,
           "threshold": cfg_args.gate_threshold, "bias_factor": cfg_args.bias_factor, "conditions": {}}
    scenarios = (("unbiased", None, None), ("biased", ("sex", "female"), None),
                 ("biased-after-unbiased", ("sex", "female"), "unbiased"))
    for cond, bias, after in scenarios:
        ltr_dir = workdir / f"ltr-{cond}"
        shutil.rmtree(ltr_dir, ignore_errors=True)
        if after is not None:              # the earlier scenario's model serves; its events stay behind
            shutil.copytree(workdir / f"ltr-{after}", ltr_dir)
            (ltr_dir / "tenants" / TENANT / "events.sqlite").unlink()
        settings = Settings(index_dir=index_dir, ltr_dir=ltr_dir, fairness_dir=fair_dir, encoder_backend="static")
        engine = build_engine(settings, today=lambda: AS_OF)
        sim = SimConfig(index_dir=str(index_dir), corpus_dir=str(corpus), bias=bias, bias_factor=cfg_args.bias_factor)
        with _seeded_request_ids(42 + len(out["conditions"])):
            events = _serve_round(engine, train_q, truth, sim, cfg_args.sessions, 0 if after is None else 1, progress,
                                  f"serve {cond}")
        engine.ltr.stores.close()
        gate = FairnessGate.from_store(AttributeStore(fair_dir), (TENANT,), min_impact_ratio=cfg_args.gate_threshold)
        rep = train_scope(ltr_dir, TENANT, LtrConfig(seed=42), fairness=gate)
        fair = rep.metrics.get("fairness", {})
        refused = {a: f["min_new"] is not None and f["min_new"] < cfg_args.gate_threshold
                   and (f["min_incumbent"] is None or f["min_new"] < f["min_incumbent"]) for a, f in fair.items()}
        if not rep.promoted:       # the benchmark audits every trained model: the operator promotes it here
            ModelRegistry(ltr_dir).promote(TENANT, rep.version, reason="benchmark: audit the model")
        model_engine = build_engine(settings.model_copy(update={"ltr_log_features": False}), today=lambda: AS_OF)
        mrun, hrun = {}, {}
        for q in eval_q:
            mrun[q["query_id"]] = [h.candidate_id for h in model_engine.search(dataclasses.replace(_request(q, 10), explain=False)).hits]
            hrun[q["query_id"]] = [h.candidate_id for h in model_engine.search(_request(q, 10, rerank=False)).hits]
        ev = audits({q: r for q, r in mrun.items()}, qrels, {"sex": groups["sex"]}, splits)
        hv = audits(hrun, qrels, {"sex": groups["sex"]}, splits)
        out["conditions"][cond] = {
            "events": events, "incumbent": f"model of '{after}'" if after else "hybrid order", "promoted": rep.promoted,
            "gate": rep.reason, "fairness_refuses": refused, "gate_impact_ratios": fair,
            "holdout_requests": rep.metrics.get("holdout_requests"),
            "eval_sex_min_impact_ratio": {k: {"model": ev[k].min_impact_ratio, "hybrid": hv[k].min_impact_ratio} for k in ev},
            "eval_ndcg@10": {"model": mean_ndcg(mrun, qrels, eval_ids), "hybrid": mean_ndcg(hrun, qrels, eval_ids)}}
        if model_engine.ltr is not None and model_engine.ltr.stores is not None:
            model_engine.ltr.stores.close()
    return out


def gate_seeds_section(cfg_args, index_dir, corpus, queries, workdir, progress) -> dict:
    """The gate's verdicts over several seeds: per seed a fresh query split, recruiters' sessions and request
    ids; unbiased and sex-biased engagement served by the hybrid order; the same events trained through the
    gate comparing on the holdout pages and on all served pages (threshold and relative-drop rules, paired
    bootstrap). A refusal of the unbiased model is a false refusal."""
    from api.settings import Settings
    from api.wiring import build_engine
    from benchmarks.simulator.config import SimConfig
    from benchmarks.simulator.loop import _seeded_request_ids
    from benchmarks.simulator.recruiters import Truth
    from ranking.fairness.attributes import AttributeStore, read_audit_file
    from ranking.fairness.gate import FairnessGate
    from ranking.ltr.train import LtrConfig, train_scope

    truth = Truth(corpus)
    fair_dir = workdir / "fairness"
    AttributeStore(fair_dir).put(TENANT, read_audit_file(corpus / "audit.parquet"))
    out = {"seeds": list(cfg_args.gate_seeds), "train_queries": cfg_args.train_queries, "sessions": cfg_args.sessions,
           "threshold": cfg_args.gate_threshold, "max_relative_drop": cfg_args.max_relative_drop,
           "bias_factor": cfg_args.bias_factor, "confidence": 0.95, "bootstrap": 1000, "runs": [],
           "conditions": {c: GATE_CONDITIONS[c] for c in cfg_args.gate_conditions}, "pages": list(cfg_args.gate_pages)}
    for seed in cfg_args.gate_seeds:
        order = np.random.default_rng(seed).permutation(len(queries))
        train_q = [queries[i] for i in order[: cfg_args.train_queries]]
        for cond in cfg_args.gate_conditions:
            bias = GATE_CONDITIONS[cond]
            served = workdir / f"gate-{seed}-{cond}"
            shutil.rmtree(served, ignore_errors=True)
            settings = Settings(index_dir=index_dir, ltr_dir=served, fairness_dir=fair_dir, encoder_backend="static")
            engine = build_engine(settings, today=lambda: AS_OF)
            sim = SimConfig(index_dir=str(index_dir), corpus_dir=str(corpus), bias=bias, bias_factor=cfg_args.bias_factor)
            with _seeded_request_ids(seed * 10 + list(GATE_CONDITIONS).index(cond)):
                events = _serve_round(engine, train_q, truth, sim, cfg_args.sessions, 0, progress,
                                      f"seed {seed} {cond}", seed=seed)
            engine.ltr.stores.close()
            for pages in cfg_args.gate_pages:
                ltr_dir = workdir / f"gate-{seed}-{cond}-{pages}"
                shutil.rmtree(ltr_dir, ignore_errors=True)
                shutil.copytree(served, ltr_dir)
                gate = FairnessGate.from_store(AttributeStore(fair_dir), (TENANT,), min_impact_ratio=cfg_args.gate_threshold,
                                               max_relative_drop=cfg_args.max_relative_drop, pages=pages, seed=seed)
                rep = train_scope(ltr_dir, TENANT, LtrConfig(seed=42), fairness=gate)
                fair = rep.metrics.get("fairness", {})
                reason = rep.reason.split("refused by the fairness gate: ")[-1] if "fairness gate" in rep.reason else None
                old_rule = {a: f["min_new"] is not None and f["min_new"] < cfg_args.gate_threshold
                            and (f["min_incumbent"] is None or f["min_new"] < f["min_incumbent"]) for a, f in fair.items()}
                row = {"seed": seed, "engagement": cond, "pages": pages, "events": events,
                       "requests": (fair.get("sex", {}).get("bootstrap") or {}).get("requests"),
                       "fairness_refusal": reason, "refused_on": [a for a in fair if reason and reason.count(f"{a} minimum")],
                       "old_rule_refuses": [a for a, v in old_rule.items() if v],
                       "attributes": {a: {k: f.get(k) for k in ("min_new", "min_incumbent", "bootstrap")} for a, f in fair.items()}}
                out["runs"].append(row)
                if progress:
                    sx = row["attributes"].get("sex", {})
                    print(f"seed {seed} {cond} {pages}: sex {sx.get('min_new')} vs {sx.get('min_incumbent')} "
                          f"{(sx.get('bootstrap') or {}).get('diff_upper')} -> {reason}", flush=True)
    return out


def gate_seeds_markdown(g: dict) -> str:
    rows = [("seed", "engagement", "pages", "requests", "sex min IR new / incumbent", "new - inc. (90 % CI)",
             "age_band new / inc.", "ethnicity new / inc.", "refused on", "old rule refuses on")]
    for r in g["runs"]:
        cells = []
        for a in ("sex", "age_band", "ethnicity"):
            f = r["attributes"].get(a, {})
            cells.append(f"{f.get('min_new') or float('nan'):.3f} / {f.get('min_incumbent') or float('nan'):.3f}")
        b = r["attributes"].get("sex", {}).get("bootstrap") or {}
        ci = f"[{b.get('diff_lower', float('nan')):+.3f}, {b.get('diff_upper', float('nan')):+.3f}]"
        rows.append((r["seed"], r["engagement"], r["pages"], r["requests"], cells[0], ci, cells[1], cells[2],
                     ", ".join(r["refused_on"]) or "-", ", ".join(r["old_rule_refuses"]) or "-"))
    summary = []
    for pages in g.get("pages", ("holdout", "all")):
        for cond in g.get("conditions", ("biased", "unbiased")):
            rs = [r for r in g["runs"] if r["pages"] == pages and r["engagement"] == cond]
            summary.append(f"- {pages} pages, {cond} engagement: refused on sex {sum('sex' in r['refused_on'] for r in rs)}"
                           f"/{len(rs)}, refused on any attribute {sum(bool(r['refused_on']) for r in rs)}/{len(rs)}")
    return (f"## LTR fairness gate over seeds (threshold {g['threshold']}, max relative drop {g['max_relative_drop']}, "
            f"paired bootstrap {g['bootstrap']} x, one-sided {g['confidence']:.0%}; bias factor {g['bias_factor']}; "
            f"{g['train_queries']} queries x {g['sessions']} sessions a seed)\n\n{_table(rows)}\n\n" + "\n".join(summary) + "\n")


def _table(rows: list[tuple]) -> str:
    head = "| " + " | ".join(rows[0]) + " |\n|" + "---|" * len(rows[0]) + "\n"
    return head + "\n".join("| " + " | ".join(str(c) for c in r) + " |" for r in rows[1:]) + "\n"


def run(args) -> dict:
    from api.settings import Settings
    from api.wiring import build_engine

    workdir = Path(args.workdir)
    corpus, index_dir = prepare(workdir, args.profiles, args.seed, not args.no_progress, plant=not args.no_plant,
                                proxy=args.plant_proxy)
    queries = load_queries(corpus)
    qrels = load_qrels(corpus)
    a = pq.read_table(corpus / "audit.parquet").to_pydict()
    groups = {k: dict(zip(a["candidate_id"], a[k])) for k in ("sex", "age_band", "ethnicity")}
    splits = split_candidates(corpus)
    engine = build_engine(Settings(index_dir=index_dir, encoder_backend="static"), ltr=False, today=lambda: AS_OF)
    clock = time.perf_counter()
    runs, rerank_ms = rerank_section(engine, queries, qrels, groups, splits, args.top_n, not args.no_progress)
    hybrid = audits(runs["hybrid"], qrels, groups, splits)
    reranked = {v: audits(runs[v], qrels, {"sex": groups["sex"]}, splits) for v in VARIANTS}
    ndcg = {name: mean_ndcg(run, qrels) for name, run in runs.items()}
    planted_flag = json.loads((corpus / "manifest.json").read_text()).get("plant_bias") is not None
    result = {"benchmark": "fairness", **stamp(), "data": f"synthetic generator, {args.profiles} profiles, seed {args.seed}, "
              f"{'--plant-bias' if planted_flag else 'no planted bias'} (benchmarks.synth.audit), static encoder",
              "k": 10, "top_n": args.top_n,
              "queries": len(queries), "candidates": {k: len(v) for k, v in splits.items() if v is not None},
              "audit_hybrid": {k: r.to_dict() for k, r in hybrid.items()},
              "rerank": {alg: {k: r.to_dict() for k, r in rep.items()} for alg, rep in reranked.items()},
              "ndcg@10": ndcg, "rerank_ms_per_query": rerank_ms}
    if not args.skip_gate:
        result["gate"] = gate_section(args, index_dir, corpus, queries, qrels, groups, splits, workdir, not args.no_progress)
    result["wall_s"] = round(time.perf_counter() - clock, 1)
    out = ROOT / "benchmarks" / "results" / f"fairness-synthetic-{args.profiles}{args.tag}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    from ranking.fairness.audit import plot

    plot({"hybrid, planted occ.": hybrid["sex/planted"], "hybrid, other occ.": hybrid["sex/other"], "hybrid, all": hybrid["sex/all"],
          **{f"{v}, all": reranked[v]["sex/all"] for v in VARIANTS}},
         out.with_suffix(".png"), title=f"Sex, top 10, hybrid vs re-ranked ({args.profiles} synthetic profiles, planted bias)")
    out.with_suffix(".md").write_text(markdown(result, hybrid, reranked))
    print(markdown(result, hybrid, reranked))
    return result


def markdown(result, hybrid, reranked) -> str:
    rows = [("attribute / queries", "min impact ratio (hybrid)", "flagged groups")]
    for key, r in hybrid.items():
        rows.append((key, r.min_impact_ratio, ", ".join(r.flagged) or "-"))
    md = f"# Bias audit on {result['data']}\n\n{_table(rows)}\n"
    rows = [("sex, occupations", "hybrid", *VARIANTS)]
    for split in ("planted", "other", "all"):
        rows.append((f"min impact ratio, {split}", hybrid[f"sex/{split}"].min_impact_ratio,
                     *(reranked[v][f"sex/{split}"].min_impact_ratio for v in VARIANTS)))
    nd = result["ndcg@10"]
    h = nd["hybrid"]
    rows.append(("nDCG@10 (all queries)", h, *(f"{nd[v]} ({100 * (nd[v] - h) / h:+.1f} %)" for v in VARIANTS)))
    rows.append(("re-rank ms / query", "", *(result["rerank_ms_per_query"][v] for v in VARIANTS)))
    md += (f"## Re-ranking the hybrid top {result['top_n']} by sex (algorithm / target distribution)\n\n"
           f"{_table(rows)}\n")
    if "gate" in result:
        rows = [("scenario", "events", *(f"gate {a} min IR new / incumbent" for a in ("sex", "age_band", "ethnicity")),
                 "fairness gate refuses", "eval sex min IR model / hybrid (planted occ.)", "eval nDCG@10 model / hybrid")]
        for cond, c in result["gate"]["conditions"].items():
            g = c["gate_impact_ratios"] or {}
            ev = c["eval_sex_min_impact_ratio"]["sex/planted"]
            rows.append((cond, c["events"], *(f"{g[a]['min_new']} / {g[a]['min_incumbent']}" if a in g else "-"
                                              for a in ("sex", "age_band", "ethnicity")),
                         ", ".join(a for a, r in c["fairness_refuses"].items() if r) or "no",
                         f"{ev['model']} / {ev['hybrid']}", f"{c['eval_ndcg@10']['model']} / {c['eval_ndcg@10']['hybrid']}"))
        md += (f"## LTR fairness gate (threshold {result['gate']['threshold']}, recruiters' bias factor "
               f"{result['gate']['bias_factor']})\n\n{_table(rows)}\n")
        for cond, c in result["gate"]["conditions"].items():
            md += f"- {cond}: {c['gate']}\n"
    return md


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profiles", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workdir", default=None, help="default var/bench/fairness-PROFILES-SEED")
    p.add_argument("--top-n", type=int, default=100, help="hybrid candidates re-ranked")
    p.add_argument("--train-queries", type=int, default=300, help="queries the simulated recruiters search (rest: eval)")
    p.add_argument("--sessions", type=int, default=3, help="recruiter sessions per training query")
    p.add_argument("--bias-factor", type=float, default=0.1, help="biased recruiters' engagement multiplier for women")
    p.add_argument("--gate-threshold", type=float, default=0.8, help="fairness_min_impact_ratio of the gate")
    p.add_argument("--skip-gate", action="store_true")
    p.add_argument("--gate-seeds", type=lambda v: [int(x) for x in v.split(",")], default=None,
                   help="only the gate over these seeds (e.g. 1,2,3): writes fairness-gate-synthetic-PROFILES.*")
    p.add_argument("--max-relative-drop", type=float, default=0.05, help="the gate's relative-drop rule (with --gate-seeds)")
    p.add_argument("--no-plant", action="store_true", help="a corpus without the planted bias (the control)")
    p.add_argument("--plant-proxy", action="store_true",
                   help="a corpus where women take career breaks far more often (visible: no current job)")
    p.add_argument("--gate-conditions", type=lambda v: v.split(","), default=["unbiased", "biased"],
                   help=f"engagement of the gate runs, of {','.join(GATE_CONDITIONS)}")
    p.add_argument("--gate-pages", type=lambda v: v.split(","), default=["holdout", "all"], help="holdout,all")
    p.add_argument("--tag", default="", help="suffix of the result files' name")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    args.workdir = args.workdir or (f"var/bench/fairness-{args.profiles}-{args.seed}{'-noplant' if args.no_plant else ''}"
                                    f"{'-proxy' if args.plant_proxy else ''}")
    bad = [c for c in args.gate_conditions if c not in GATE_CONDITIONS] + [x for x in args.gate_pages if x not in ("holdout", "all")]
    if bad:
        p.error(f"unknown gate condition or pages: {bad}")
    if args.gate_seeds:
        return run_gate_seeds(args)
    run(args)
    return 0


def run_gate_seeds(args) -> int:
    workdir = Path(args.workdir)
    corpus, index_dir = prepare(workdir, args.profiles, args.seed, not args.no_progress, plant=not args.no_plant,
                                proxy=args.plant_proxy)
    clock = time.perf_counter()
    g = gate_seeds_section(args, index_dir, corpus, load_queries(corpus), workdir, not args.no_progress)
    result = {"benchmark": "fairness-gate", **stamp(), "data": f"synthetic generator, {args.profiles} profiles, seed "
              f"{args.seed}, {'no planted bias' if args.no_plant else '--plant-bias'}{', --plant-proxy' if args.plant_proxy else ''}, "
              "simulator recruiters, static encoder",
              "gate": g, "wall_s": round(time.perf_counter() - clock, 1)}
    out = ROOT / "benchmarks" / "results" / f"fairness-gate-synthetic-{args.profiles}{args.tag}"
    out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    md = f"# Fairness gate over seeds\n\nData: {result['data']}; wall {result['wall_s']} s (2-core shared VM).\n\n" + gate_seeds_markdown(g)
    out.with_suffix(".md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
