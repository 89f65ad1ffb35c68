"""Ranked keyword searches counted or not: latency A/B on one engine (issue 18, hybrid p95 at 1M).

    python -m benchmarks.lexical_count_ab --index-dir DIR --corpus CORPUS     # e.g. a scale_e2e work folder

A ranked keyword search (``keywords`` and ``top_k``) returns the top k, not a match set, so counting its matches
is wasted work: tantivy's count collector scores every document holding any query word, while top-k alone skips
blocks that cannot reach the top k (block-max WAND). ``indexer.lexical.COUNT_RANKED`` switches between the two;
this runs the corpus's keyword queries (lexical mode, k=20) alternately with and without counting, query by
query (which goes first alternates, two passes), and checks the hits are the same.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, stamp


def run(index_dir: Path, corpus: Path, passes: int = 2) -> dict:
    import indexer.lexical as lexical
    from api.settings import Settings
    from api.wiring import build_engine
    from query.lang.filters import Filters
    from query.lang.syntax import parse_query
    from ranking.search.pipeline import SearchRequest

    engine = build_engine(Settings(index_dir=index_dir), dense=False, ltr=False)
    queries = [json.loads(line) for line in (corpus / "queries.jsonl").read_text().splitlines() if line.strip()]
    keyword = [q for q in queries if parse_query(q["query"], "auto")[1] != "boolean"]
    ms: dict[bool, list[float]] = {True: [], False: []}
    differ = 0
    for rep in range(passes):
        for i, q in enumerate(keyword):
            req = SearchRequest(query=q["query"], mode="lexical", k=20, filters=Filters(tenant_id=q.get("tenant_id")))
            got = {}
            for counted in ((True, False) if (i + rep) % 2 == 0 else (False, True)):
                lexical.COUNT_RANKED = counted
                t = time.perf_counter()
                hits = engine.search(req).hits
                ms[counted].append((time.perf_counter() - t) * 1000)
                got[counted] = [(h.candidate_id, round(h.score, 6)) for h in hits]
            differ += got[True] != got[False]
    lexical.COUNT_RANKED = False
    pct = {("counted" if c else "not_counted"): {"p50_ms": round(float(np.percentile(v, 50)), 1),
                                                 "p95_ms": round(float(np.percentile(v, 95)), 1),
                                                 "mean_ms": round(float(np.mean(v)), 1)} for c, v in ms.items()}
    return {"benchmark": "lexical-count-ab", **stamp(), "profiles": len(engine.reader.snapshot().store),
            "keyword_queries": len(keyword), "passes": passes, **pct, "queries_with_different_hits": differ}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, required=True, help="the generated corpus (its queries.jsonl)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    result = run(args.index_dir, args.corpus)
    out = args.out or ROOT / "benchmarks" / "results" / f"lexical-count-ab-{result['profiles']}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("profiles", "counted", "not_counted", "queries_with_different_hits")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
