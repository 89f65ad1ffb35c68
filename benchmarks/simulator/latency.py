"""What the LTR stage adds to a search: featurize + LightGBM predict + explanations for N fused candidates.

    python -m benchmarks.simulator.latency --index-dir var/sim/index --ltr-dir var/sim/runs/ltr-position \
        --tenant acme-talent --queries var/bench/synthetic-100000-42/corpus/queries.jsonl --candidates 300

Times what the LTR stage adds after fusion — ``LtrStage.rerank`` on the fused top N of each query plus
the served-feature log of the 10 returned hits (SQLite WAL, as in serving); ``with_explanations`` adds
the SHAP contributions of those 10 hits (``explain: true``, the API default) — in two passes: ``cold`` (the first search of a fresh process: nothing of these candidates has
been read yet) and ``warm`` (the same searches ``--repeat`` more times). With the ``termstats.arrow`` written at ingest
both read the same memory-mapped arrays; an index without it analyses each candidate's profile on first
sight and caches it, which is what ``cold`` then measures. Writes JSON with p50/p95/p99 per pass,
whether the index had term statistics, the commit and the machine.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from api.settings import Settings
from api.wiring import build_engine
from benchmarks.common import stamp
from indexer.termstats import FILE as TERMSTATS_FILE
from query.lang.filters import Filters
from query.lang.keywords import keywords_to_ast
from query.lang.parser import parse
from ranking.ltr.events import EventStores
from ranking.ltr.features import FeatureSet, graph_loader
from ranking.ltr.serve import LtrSettings, LtrStage
from ranking.search.pipeline import SearchRequest
from ranking.ltr.registry import ModelRegistry
from records.hits import Hit

AS_OF = dt.date(2026, 11, 1)


def measure(index_dir: str, ltr_dir: str, tenant: str, queries: list[dict], candidates: int, *, progress: bool = True,
            graph: bool = True, repeat: int = 3) -> dict:
    engine = build_engine(Settings(index_dir=index_dir), ltr=False, today=lambda: AS_OF)
    reader = engine.reader
    logs = tempfile.TemporaryDirectory(prefix="ltr-latency-")      # the served-feature log it writes per page
    stage = LtrStage(ModelRegistry(ltr_dir), EventStores(logs.name), FeatureSet(graph_loader=graph_loader(index_dir) if graph else None),
                     LtrSettings(budget=candidates, log_features=True))
    model = stage.model_for(tenant)
    if model is None:
        raise SystemExit(f"no model serves {tenant!r} in {ltr_dir}: run the simulator or `talentsearch train` first")
    work = []
    for q in queries:
        syntax = "boolean" if q.get("kind") == "boolean" else "keywords"
        filters = Filters.from_dict(q.get("filters") or {}, tenant_id=tenant)
        req = SearchRequest(query=q["query"], filters=filters, k=candidates, syntax=syntax, lexical_k=candidates,
                            dense_k=candidates, rerank=False, debug=True)
        res = engine.search(req)
        if len(res.hits) < candidates:
            continue
        node = parse(q["query"]) if syntax == "boolean" else keywords_to_ast(q["query"])
        runs = {n: [Hit(o, s) for o, s in hs] for n, hs in res.debug["runs"].items()}
        work.append((node, filters, syntax == "boolean", [(h.ord, h.score) for h in res.hits], runs))
    snap = reader.snapshot()
    stage.features.prepare(snap)          # as a server does at start-up (api.app lifespan -> SearchEngine.warm)
    out = {}
    for label, passes in (("cold", 1), ("warm", repeat)):
        times, logged, explained = [], [], []
        for i, (node, filters, boolean, fused, runs) in enumerate(tqdm(work * passes, desc=label, disable=not progress)):
            t = time.perf_counter()
            res = stage.rerank(snap, node, filters, boolean=boolean, today=AS_OF, fused=fused, runs=runs, k=10, explain=False)
            t1 = time.perf_counter()
            stage.log(tenant, f"{label}-{i}", snap.store.candidate_ids([o for o, _ in res.fused[:10]]), res.features,
                      res.model_version, None)
            t2 = time.perf_counter()
            model.explain(res.features, stage.settings.explain_top)       # what `explain: true` adds for the 10 hits
            done = time.perf_counter()
            times.append((t2 - t) * 1000)
            logged.append((t2 - t1) * 1000)
            explained.append((done - t) * 1000)
        out[label] = {**_percentiles(times), "of_which_feature_log_p50_ms": round(float(np.percentile(logged, 50)), 3),
                      "with_explanations": _percentiles(explained)}
    stage.stores.close()
    logs.cleanup()
    return {"benchmark": "ltr-rerank-latency", **stamp(), "candidates": candidates, "tenant": tenant, "graph_features": graph,
            "termstats": bool(snap.path and (snap.path / TERMSTATS_FILE).exists()),
            "model": model.version, "model_trees": model.booster.num_trees(), "index_profiles": len(snap.store), "queries": len(work), **out,
            "target": {"warm_p95_ms_at_most": 10.0}}


def _percentiles(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"n": len(a), "p50_ms": round(float(np.percentile(a, 50)), 3), "p95_ms": round(float(np.percentile(a, 95)), 3),
            "p99_ms": round(float(np.percentile(a, 99)), 3), "mean_ms": round(float(a.mean()), 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index-dir", required=True)
    p.add_argument("--ltr-dir", required=True)
    p.add_argument("--tenant", required=True)
    p.add_argument("--queries", required=True, help="queries.jsonl of a generated corpus")
    p.add_argument("--candidates", type=int, default=300)
    p.add_argument("--limit", type=int, default=240, help="queries used (those with at least N fused hits are timed)")
    p.add_argument("--repeat", type=int, default=3, help="warm passes over the queries")
    p.add_argument("--out", default="benchmarks/results/ltr-rerank-latency.json")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    qs = [json.loads(line) for line in Path(args.queries).read_text().splitlines() if line.strip()][: args.limit]
    result = measure(args.index_dir, args.ltr_dir, args.tenant, qs, args.candidates, progress=not args.no_progress,
                     repeat=args.repeat)
    # the same stage with the graph features left at 0: what graph.features.GraphFeaturizer adds
    without = measure(args.index_dir, args.ltr_dir, args.tenant, qs, args.candidates, progress=not args.no_progress, graph=False,
                      repeat=args.repeat)
    result["without_graph_features"] = {k: without[k] for k in ("cold", "warm")}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
