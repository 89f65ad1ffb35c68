"""Closed loop: serve -> simulated recruiters engage -> retrain, per tenant and condition.

    python -m benchmarks.simulator.loop --index-dir var/sim/index \
        --corpus-dir var/bench/synthetic-100000-42/corpus --rounds 3

Conditions: ``hybrid`` (fused order, never trained), ``ltr-none`` (LightGBM lambdarank without
position debiasing) and ``ltr-position`` (position-debiased lambdarank). Each LTR condition is its own
closed loop with its own ltr directory (events, served feature log, registry), driven through the real
``SearchEngine`` + ``LtrStage``: every served page logs its features, events go through ``EventStore.add``,
and ``train_scope`` (with its promotion gate) retrains after each round on all events so far.
Evaluation (held-out queries, no logging) is nDCG@10 of the served top 10 against the hidden gains,
normalised by the best order of the re-ranked pool (the top ``budget`` fused candidates).
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from benchmarks.common import stamp
from benchmarks.simulator.recruiters import ClickModel, Truth, gain, judge, ndcg, session_events
from indexer.encoder import EncoderConfig, MiniLMEncoder
from indexer.reader import IndexReader
from query.filters import Filters
from ranking.events import EventStores
from ranking.features import FEATURE_NAMES, FeatureSet, graph_loader, pool_from_runs
from ranking.ltr import LtrConfig, LtrModel, LtrSettings, LtrStage, train_scope
from ranking.pipeline import SearchEngine, SearchRequest
from ranking.registry import ModelRegistry
from records.hits import Hit

CONDITIONS = ("hybrid", "ltr-none", "ltr-position")
AS_OF = dt.date(2026, 11, 1)


@dataclass(frozen=True)
class SimConfig:
    index_dir: str
    corpus_dir: str
    work_dir: str = "var/sim/runs"
    out: str = "benchmarks/results/ltr-simulator"
    tenants: tuple[tuple[str, str], ...] = (("acme-talent", "growth"), ("globex-hr", "turnaround"))
    rounds: int = 3
    train_queries: int = 160
    eval_queries: int = 60
    sessions: int = 3              # recruiters running each training query per round
    page: int = 20
    budget: int = 100              # fused candidates re-ranked (and the pool nDCG is normalised by)
    served: int = 30               # hits requested (and their features logged) per search
    explore_slots: int = 6         # page slots given to hits drawn from served positions page-slots+1..served
    explore: float = 0.5           # probability of swapping each adjacent pair on a served page
    patience: float = 0.9
    boost_rounds: int = 150
    seed: int = 42


class _CachedEncoder:
    """Query embeddings memoised: the loop issues the same queries every round."""

    def __init__(self, encoder):
        self._encoder = encoder
        self.encode_query = functools.lru_cache(maxsize=4096)(encoder.encode_query)


def _queries(cfg: SimConfig) -> tuple[list[dict], list[dict]]:
    qs = [json.loads(line) for line in Path(cfg.corpus_dir, "queries.jsonl").read_text().splitlines() if line.strip()]
    rng = np.random.default_rng([cfg.seed, 7])
    order = rng.permutation(len(qs))
    evals = [qs[i] for i in order[: cfg.eval_queries]]
    train = [qs[i] for i in order[cfg.eval_queries: cfg.eval_queries + cfg.train_queries]]
    return train, evals


def _request(q: dict, tenant: str, k: int, *, rerank: bool = True, debug: bool = False) -> SearchRequest:
    return SearchRequest(query=q["query"], filters=Filters.from_dict(q.get("filters") or {}, tenant_id=tenant), k=k,
                         syntax="boolean" if q.get("kind") == "boolean" else "keywords", rerank=rerank, debug=debug)


def _near(q: dict, filters: Filters):
    return (filters.near.lat, filters.near.lon) if filters.near else None


def run(cfg: SimConfig, *, progress: bool = True) -> dict:
    truth = Truth(cfg.corpus_dir)
    train_q, eval_q = _queries(cfg)
    work = Path(cfg.work_dir)
    shutil.rmtree(work, ignore_errors=True)
    reader = IndexReader(cfg.index_dir)
    encoder = _CachedEncoder(MiniLMEncoder(EncoderConfig()))
    features = FeatureSet(graph_loader=graph_loader(cfg.index_dir))
    hybrid = SearchEngine(reader, encoder, today=lambda: AS_OF)
    loops = {}
    for cond in CONDITIONS[1:]:
        ltr_dir = work / cond
        registry = ModelRegistry(ltr_dir)
        stores = EventStores(ltr_dir)
        settings = LtrSettings(budget=cfg.budget)
        loops[cond] = {
            "dir": ltr_dir, "stores": stores, "registry": registry,
            "serve": SearchEngine(reader, encoder, today=lambda: AS_OF, ltr=LtrStage(registry, stores, features, settings)),
            "eval": SearchEngine(reader, encoder, today=lambda: AS_OF,
                                 ltr=LtrStage(registry, None, features, LtrSettings(budget=cfg.budget, log_features=False))),
        }
    pools = _eval_pools(hybrid, truth, eval_q, cfg)
    results: dict = {t: {c: [] for c in CONDITIONS} for t, _ in cfg.tenants}
    training: dict = {t: {c: [] for c in CONDITIONS[1:]} for t, _ in cfg.tenants}
    for rnd in range(cfg.rounds + 1):
        for tenant, kind in cfg.tenants:
            results[tenant]["hybrid"].append(_evaluate(hybrid, tenant, kind, eval_q, pools, truth, cfg, rerank=False))
            for cond, loop in loops.items():
                results[tenant][cond].append(_evaluate(loop["eval"], tenant, kind, eval_q, pools, truth, cfg))
        if rnd == cfg.rounds:
            break
        for tenant, kind in cfg.tenants:
            for cond, loop in loops.items():
                _serve_round(loop, tenant, kind, train_q, truth, cfg, rnd, progress=progress, label=f"round {rnd + 1} {tenant} {cond}")
                config = LtrConfig(debias=cond.split("-", 1)[1], num_boost_round=cfg.boost_rounds, seed=cfg.seed)
                report = train_scope(loop["dir"], tenant, config)
                training[tenant][cond].append({"round": rnd + 1, "version": report.version, "promoted": report.promoted,
                                               "requests": report.requests, "rows": report.rows, "metrics": report.metrics})
    opposite = _opposite(loops["ltr-position"], hybrid, eval_q, cfg, features)
    summary = _summarize(results, cfg)
    return {"benchmark": "ltr-simulator", **stamp(), "config": asdict(cfg), "feature_names": list(FEATURE_NAMES),
            "ndcg@10_by_round": results, "summary": summary, "training": training, "opposite_tenants": opposite}


def _eval_pools(engine, truth, eval_q, cfg) -> dict:
    """Per (tenant, query): hidden gains of the re-rankable pool (the top ``budget`` fused candidates)."""
    out = {}
    for tenant, kind in cfg.tenants:
        for q in eval_q:
            req = _request(q, tenant, cfg.budget, rerank=False)
            res = engine.search(req)
            out[(tenant, q["query_id"])] = [gain(truth, kind, q["query_id"], h.candidate_id, _near(q, req.filters)) for h in res.hits]
    return out


def _evaluate(engine, tenant, kind, eval_q, pools, truth, cfg, *, rerank: bool = True) -> float:
    scores = []
    for q in eval_q:
        req = _request(q, tenant, 10, rerank=rerank)
        res = engine.search(req)
        gains = [gain(truth, kind, q["query_id"], h.candidate_id, _near(q, req.filters)) for h in res.hits]
        if max(pools[(tenant, q["query_id"])], default=0.0) > 0:
            scores.append(ndcg(gains, pools[(tenant, q["query_id"])]))
    return round(float(np.mean(scores)), 5) if scores else 0.0


def _serve_round(loop, tenant, kind, train_q, truth, cfg, rnd, *, progress, label) -> None:
    model = ClickModel(patience=cfg.patience, page=cfg.page)
    store = loop["stores"].get(tenant)
    start = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc) + dt.timedelta(days=rnd)
    batch = []
    for qi, q in enumerate(tqdm(train_q, desc=label, disable=not progress, leave=False)):
        for s in range(cfg.sessions):
            rng = np.random.default_rng([cfg.seed, rnd, qi, s, 11])
            req = replace(_request(q, tenant, cfg.served), rerank_k=cfg.budget)
            res = loop["serve"].search(req)
            shown = _page(rng, [h.candidate_id for h in res.hits], cfg)
            for i in range(0, len(shown) - 1, 2):   # randomised adjacent swaps: exploration for debiasing
                if rng.random() < cfg.explore:
                    shown[i], shown[i + 1] = shown[i + 1], shown[i]
            judged = [judge(truth, kind, q["query_id"], c, _near(q, req.filters)) for c in shown]
            when = start + dt.timedelta(minutes=qi * cfg.sessions + s)
            batch += session_events(rng, model, tenant=tenant, recruiter=f"{tenant}-r{s}", request_id=res.request_id,
                                    shown=shown, grades=[g for g, _ in judged], tastes=[t for _, t in judged],
                                    start=when, prefix=f"{res.request_id}")
    report = store.add(batch, tenant_id=tenant)
    if report.rejected:
        raise RuntimeError(f"simulator produced malformed events: {report.rejected[:3]}")


def _page(rng, ranked: list[str], cfg: SimConfig) -> list[str]:
    """The rendered page: the top ``page - explore_slots`` hits, plus exploration picks from deeper in the
    served list placed at random slots (so the training data also covers candidates the current model
    ranks low, and positions are not a copy of the model's order)."""
    head = cfg.page - cfg.explore_slots
    page = list(ranked[:head])
    deep = ranked[head:]
    picks = [deep[i] for i in rng.choice(len(deep), size=min(cfg.explore_slots, len(deep)), replace=False)] if deep else []
    for cid in picks:
        page.insert(int(rng.integers(0, len(page) + 1)), cid)
    return page


def _opposite(loop, hybrid, eval_q, cfg, features) -> dict:
    """Score the same pools with each tenant's final model: Spearman between the two tenants' orders,
    and each model's correlation with the features the tenants disagree on."""
    from scipy.stats import spearmanr

    registry = loop["registry"]
    models = {t: registry.current(t) for t, _ in cfg.tenants}
    if any(m is None for m in models.values()):
        return {"error": "a tenant has no promoted model"}
    loaded = {t: LtrModel(m) for t, m in models.items()}
    (ta, _), (tb, _) = cfg.tenants
    rho, corr = [], {t: {"graph_company_growth": [], "graph_company_layoff": [], "pair_years_experience": []} for t in loaded}
    snap = hybrid.reader.snapshot()
    from ranking.features import build_context
    from query.parser import parse
    from query.keywords import keywords_to_ast
    for q in eval_q:
        req = _request(q, ta, cfg.budget, rerank=False, debug=True)
        res = hybrid.search(req)
        if len(res.hits) < 10:
            continue
        runs = {name: [Hit(o, s) for o, s in hs] for name, hs in res.debug["runs"].items()}
        boolean = req.syntax == "boolean"
        node = parse(q["query"]) if boolean else keywords_to_ast(q["query"])
        ctx = build_context(node, req.filters, boolean=boolean, today=AS_OF)
        X = features.compute(snap, ctx, pool_from_runs([(h.ord, h.score) for h in res.hits], runs))
        scores = {t: m.predict(X) for t, m in loaded.items()}
        rho.append(spearmanr(scores[ta], scores[tb]).statistic)
        for t, s in scores.items():
            for name in corr[t]:
                col = X[:, FEATURE_NAMES.index(name)]
                if col.std() > 0:
                    corr[t][name].append(spearmanr(s, col).statistic)
    return {"models": {t: f"{m.scope}/{m.version}" for t, m in models.items()},
            "mean_spearman_between_tenant_models": round(float(np.nanmean(rho)), 4), "queries": len(rho),
            "mean_spearman_score_vs_feature": {t: {n: round(float(np.nanmean(v)), 4) for n, v in d.items() if v}
                                               for t, d in corr.items()}}


def _summarize(results: dict, cfg: SimConfig) -> dict:
    out = {}
    for tenant, by_cond in results.items():
        final = {c: v[-1] for c, v in by_cond.items()}
        base = final["hybrid"] or 1e-9
        out[tenant] = {"final": final,
                       "relative_gain_vs_hybrid": {c: round(final[c] / base - 1, 4) for c in CONDITIONS[1:]},
                       "debias_at_least_as_good": final["ltr-position"] >= final["ltr-none"]}
    mean = {c: round(float(np.mean([results[t][c][-1] for t in results])), 5) for c in CONDITIONS}
    out["mean"] = {"final": mean, "relative_gain_vs_hybrid": {c: round(mean[c] / mean["hybrid"] - 1, 4) for c in CONDITIONS[1:]}}
    return out


def plot(result: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tenants = list(result["ndcg@10_by_round"])
    fig, axes = plt.subplots(1, len(tenants), figsize=(5.5 * len(tenants), 4), sharey=True)
    styles = {"hybrid": ("grey", "--"), "ltr-none": ("tab:orange", "-"), "ltr-position": ("tab:blue", "-")}
    for ax, tenant in zip(np.atleast_1d(axes), tenants):
        for cond, values in result["ndcg@10_by_round"][tenant].items():
            color, ls = styles[cond]
            ax.plot(range(len(values)), values, marker="o", color=color, linestyle=ls, label=cond)
        kind = dict(map(tuple, result["config"]["tenants"]))[tenant]
        ax.set_title(f"{tenant} (hidden taste: {kind})")
        ax.set_xlabel("round (serve -> engage -> retrain)")
        ax.set_xticks(range(len(values)))
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("nDCG@10 vs hidden preferences")
    np.atleast_1d(axes)[0].legend()
    fig.suptitle(f"Closed-loop LTR simulation ({result['commit']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index-dir", required=True)
    p.add_argument("--corpus-dir", required=True)
    p.add_argument("--work-dir", default=SimConfig.work_dir)
    p.add_argument("--out", default=SimConfig.out, help="writes OUT.json and OUT.png")
    p.add_argument("--rounds", type=int, default=SimConfig.rounds)
    p.add_argument("--train-queries", type=int, default=SimConfig.train_queries)
    p.add_argument("--eval-queries", type=int, default=SimConfig.eval_queries)
    p.add_argument("--sessions", type=int, default=SimConfig.sessions)
    p.add_argument("--seed", type=int, default=SimConfig.seed)
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    cfg = SimConfig(index_dir=args.index_dir, corpus_dir=args.corpus_dir, work_dir=args.work_dir, out=args.out,
                    rounds=args.rounds, train_queries=args.train_queries, eval_queries=args.eval_queries,
                    sessions=args.sessions, seed=args.seed)
    result = run(cfg, progress=not args.no_progress)
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2))
    plot(result, out.with_suffix(".png"))
    print(json.dumps(result["summary"], indent=2))
    print(json.dumps(result["opposite_tenants"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
