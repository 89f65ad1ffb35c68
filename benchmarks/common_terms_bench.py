"""The common-terms cut-off (indexer.common_terms) on and off: keyword latency and lexical quality.

    python -m benchmarks.scale_bench --profiles 100000 --vectors random       # builds the index once
    python -m benchmarks.common_terms_bench --profiles 100000

On the generated corpus and judged queries of ``scale_bench`` (``var/bench/scale-<N>``, imported
vectors): two engines on the same index, the cut-off on and off (the default). Latency: every
keyword query in lexical and hybrid mode (k=20), the two engines interleaved query by query and the
whole set ``--repeats`` times (a shared machine's load then hits both alike); p50/p95 of the search
and of its lexical stage. Quality: lexical mode, k=100, ranx nDCG@10 and Recall@100 over every judged
query and over the keyword ones. Writes benchmarks/results/common-terms-<N>.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, load_qrels, load_queries, stamp


def _engines(index_dir: Path, as_of: dt.date) -> dict:
    from api.settings import Settings
    from api.wiring import build_engine

    out = {}
    for name, on in (("on", True), ("off", False)):
        engine = build_engine(Settings(index_dir=index_dir, lexical_common_terms=on), ltr=False, today=lambda: as_of)
        engine.warm()
        out[name] = engine
    return out


def _request(q: dict, mode: str, k: int):
    from query.lang.filters import Filters
    from ranking.search.pipeline import SearchRequest

    syntax = "boolean" if q["kind"] == "boolean" else "keywords"
    return SearchRequest(query=q["query"], filters=Filters.from_dict(q.get("filters"), tenant_id=q.get("tenant_id")),
                         k=k, mode=mode, syntax=syntax)


def latency(engines: dict, queries: list[dict], repeats: int) -> dict:
    keyword = [q for q in queries if q["kind"] != "boolean"]
    out = {"queries": len(keyword), "repeats": repeats}
    for mode in ("lexical", "hybrid"):
        total = {name: [] for name in engines}
        stage = {name: [] for name in engines}
        for _ in range(repeats):
            for q in keyword:
                for name, engine in engines.items():
                    t = time.perf_counter()
                    res = engine.search(_request(q, mode, 20))
                    total[name].append((time.perf_counter() - t) * 1000)
                    stage[name].append(res.timings_ms.get("lexical", 0.0))
        out[mode] = {name: {"p50_ms": _p(total[name], 50), "p95_ms": _p(total[name], 95),
                            "lexical_stage_p50_ms": _p(stage[name], 50), "lexical_stage_p95_ms": _p(stage[name], 95)}
                     for name in engines}
    return out


def quality(engines: dict, queries: list[dict], qrels: dict) -> dict:
    from ranx import Qrels, Run, evaluate

    judged = [q for q in queries if q["query_id"] in qrels]
    groups = {"all": {q["query_id"] for q in judged}, "keywords": {q["query_id"] for q in judged if q["kind"] != "boolean"}}
    out = {"queries": {g: len(ids) for g, ids in groups.items()}}
    for name, engine in engines.items():
        run = {}
        for q in judged:
            hits = engine.search(_request(q, "lexical", 100)).hits
            run[q["query_id"]] = {h.candidate_id: float(len(hits) - i) for i, h in enumerate(hits)} or {"-": 0.0}
        for g, ids in groups.items():
            scores = evaluate(Qrels({k: v for k, v in qrels.items() if k in ids}),
                              Run({k: v for k, v in run.items() if k in ids}), ["ndcg@10", "recall@100"])
            out[f"{name}_{g}"] = {k: round(float(v), 4) for k, v in scores.items()}
    return out


def _p(values: list[float], q: int) -> float:
    return round(float(np.percentile(values, q)), 1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profiles", type=int, default=100_000)
    ap.add_argument("--vectors", choices=("suite", "random"), default="random", help="which scale_bench index")
    ap.add_argument("--vector-kind", default="ivf-sq8")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    work = ROOT / "var" / "bench" / f"scale-{args.profiles}"
    suffix = "" if args.vectors == "suite" else f"-{args.vectors}"
    corpus, index_dir = work / "corpus", work / f"index-{args.vector_kind}{suffix}"
    if not (index_dir / "CURRENT").exists():
        print(f"no index at {index_dir}: run python -m benchmarks.scale_bench --profiles {args.profiles} "
              f"--vectors {args.vectors} first", file=sys.stderr)
        return 2
    as_of = dt.date.fromisoformat(json.loads((corpus / "manifest.json").read_text())["as_of"])
    queries = load_queries(corpus)
    engines = _engines(index_dir, as_of)
    result = {"benchmark": "common-terms", **stamp(), "profiles": args.profiles,
              "data": "benchmarks.synth generated profiles and judged queries (seed 42)",
              "latency": latency(engines, queries, args.repeats), "quality": quality(engines, queries, load_qrels(corpus))}
    out = ROOT / "benchmarks" / "results" / f"common-terms-{args.profiles}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: result[k] for k in ("latency", "quality")}, indent=2))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
