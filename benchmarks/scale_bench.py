"""A whole index at scale without encoding it here: server memory per profile and search latency.

    python -m benchmarks.scale_bench --profiles 100000 --vector-kind ivf-sq8        # ~10 min on 2 cores
    python -m benchmarks.scale_bench --profiles 100000 --vectors random             # no 20k suite needed

Generates N synthetic profiles (once, under var/bench/scale-<N>), indexes them with imported vectors
(``talentsearch index --vectors``: the MiniLM vectors of the 20k suite, grown by jitter as in
``benchmarks/vectors_bench.py``, so no profile is encoded here; they are not tied to these profiles'
texts, so this measures memory and speed, not relevance), then opens the engine in a fresh process as the
server does (memory-mapped store and, for ivf kinds, vectors), warms it and runs the generated judged
queries in hybrid and lexical mode. Reports resident memory added per profile (anonymous and file-backed),
p50/p95 per mode (all queries, and keyword and Boolean queries apart), and the ingest timings; then the
same queries with the common-terms cut-off (``indexer.common_terms``) the other way, and with the default again.
``--vectors random``: seeded random unit vectors instead of the suite's (when no 20k suite was built;
dense ranking is then meaningless, its cost is not). Writes benchmarks/results/scale-<N>-<kind>[-random].json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.common import ROOT, load_queries, resident_bytes, resident_files, stamp
from benchmarks.vectors_bench import SUITE, grow, real_vectors


def prepare(n: int, seed: int, kind: str, source: str = "suite") -> tuple[Path, Path, dict | None]:
    from benchmarks.synth import generate
    from indexer.build import IndexConfig, current_version, ingest
    from indexer.vectors import VectorIndexConfig

    work = ROOT / "var" / "bench" / f"scale-{n}"
    suffix = "" if source == "suite" else f"-{source}"
    corpus, index_dir = work / "corpus", work / f"index-{kind}{suffix}"
    if not (corpus / "manifest.json").exists():
        print(f"generating {n:,} profiles into {corpus} ...", flush=True)
        generate(corpus, profiles=n, seed=seed, progress=True)
    report = None
    if current_version(index_dir) is None:
        vectors_path = work / f"vectors{suffix}.parquet"
        if not vectors_path.exists():
            ids = pq.read_table(corpus / "profiles.parquet", columns=["candidate_id"]).column("candidate_id")
            if source == "random":
                vectors = np.random.default_rng(seed).standard_normal((len(ids), 384), dtype=np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            else:
                vectors = grow(real_vectors(SUITE / "index"), len(ids), seed=seed)
            table = pa.table({"candidate_id": ids,
                              "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])})
            pq.write_table(table.replace_schema_metadata({"model": "sentence-transformers/all-MiniLM-L6-v2"}), vectors_path)
        as_of = dt.date.fromisoformat(json.loads((corpus / "manifest.json").read_text())["as_of"])
        print(f"indexing into {index_dir} (vectors imported, kind {kind}) ...", flush=True)
        t0 = time.perf_counter()
        rep = ingest([corpus / "profiles.parquet"], index_dir,
                     IndexConfig(as_of=as_of, vectors=VectorIndexConfig(kind=kind, use_gpu="never")),
                     progress=True, vectors=vectors_path)
        report = {"seconds": {k: round(v, 1) for k, v in rep.seconds.items()}, "total_s": round(time.perf_counter() - t0, 1),
                  "profiles": rep.total, "vectors_imported": rep.vectors_imported}
    return corpus, index_dir, report


def _serve_child(index_dir: str, corpus: str, n_queries: int, extras: bool = True) -> dict:
    """In a fresh process: open, warm and query the engine as the server does (``extras``: then the
    common-terms and parallel-retriever comparisons)."""
    from api.settings import Settings
    from api.wiring import build_engine

    queries = load_queries(Path(corpus))[:n_queries]
    base = resident_bytes()
    t0 = time.perf_counter()
    engine = build_engine(Settings(index_dir=Path(index_dir), vector_mmap=True), ltr=False)
    engine.warm()
    start_s = time.perf_counter() - t0
    warmed = resident_bytes()
    out = {"start_s": round(start_s, 2), **_latencies(engine, queries)}
    after = resident_bytes()
    profiles = len(engine.reader.snapshot().store)
    out["profiles"] = profiles
    out["resident_added_mb"] = {k: round((after[k] - base[k]) / 2**20, 1) for k in base}
    out["resident_index_files_mb"] = resident_files(Path(index_dir).resolve())   # which mapped files the queries paged in
    out["bytes_per_profile"] = {
        "after_warm": {k: round((warmed[k] - base[k]) / profiles) for k in base},
        "after_queries": {k: round((after[k] - base[k]) / profiles) for k in base},
    }
    out["hydrate_rows"] = Settings().hydrate_rows
    if not extras:
        return out
    other = not Settings().lexical_common_terms
    alt = build_engine(Settings(index_dir=Path(index_dir), vector_mmap=True, lexical_common_terms=other), ltr=False)
    out["common_terms"] = Settings().lexical_common_terms
    out[f"common_terms_{'on' if other else 'off'}"] = _latencies(alt, queries)
    out["default_again"] = _latencies(engine, queries)
    out["parallel_ab"] = _parallel_ab(engine, queries)
    return out


def _parallel_ab(engine, queries: list[dict]) -> dict:
    """Hybrid p50/p95 with the dense retriever in a thread beside the lexical one (``search_parallel``) and
    without, interleaved query by query on one engine (which goes first alternates), results compared."""
    from query.lang.filters import Filters
    from query.lang.syntax import parse_query
    from ranking.search.pipeline import SearchRequest

    ms = {on: {"keywords": [], "boolean": []} for on in (True, False)}
    differ = 0
    for i, q in enumerate(queries):
        req = SearchRequest(query=q["query"], mode="hybrid", k=20, filters=Filters(tenant_id=q.get("tenant_id")))
        group = "boolean" if parse_query(q["query"], "auto")[1] == "boolean" else "keywords"
        got = {}
        for on in ((True, False) if i % 2 == 0 else (False, True)):
            engine.parallel = on
            t = time.perf_counter()
            got[on] = [(h.candidate_id, round(h.score, 9)) for h in engine.search(req).hits]
            ms[on][group].append((time.perf_counter() - t) * 1000)
        differ += got[True] != got[False]
    engine.parallel = True
    return {("parallel" if on else "sequential"): {**_pct(v["keywords"] + v["boolean"]),
                                                   **{g: {"queries": len(x), **_pct(x)} for g, x in v.items() if x}}
            for on, v in ms.items()} | {"queries_with_different_hits": differ}


def _latencies(engine, queries: list[dict]) -> dict:
    """p50/p95 ms per mode: over all queries and over keyword and Boolean queries apart."""
    from query.lang.filters import Filters
    from query.lang.syntax import parse_query
    from ranking.search.pipeline import SearchRequest

    out = {}
    for mode in ("hybrid", "lexical"):
        ms: dict[str, list[float]] = {"keywords": [], "boolean": []}
        stages: dict[str, list[float]] = {}
        slow: list[tuple[float, str, dict]] = []
        for q in queries:
            req = SearchRequest(query=q["query"], mode=mode, k=20, filters=Filters(tenant_id=q.get("tenant_id")))
            t = time.perf_counter()
            resp = engine.search(req)
            took = (time.perf_counter() - t) * 1000
            ms["boolean" if parse_query(q["query"], "auto")[1] == "boolean" else "keywords"].append(took)
            for name, v in resp.timings_ms.items():
                stages.setdefault(name, []).append(v)
            slow = sorted(slow + [(took, q["query"], resp.timings_ms)], key=lambda x: -x[0])[:5]
        every = ms["keywords"] + ms["boolean"]
        out[mode] = {**_pct(every), **{g: {"queries": len(v), **_pct(v)} for g, v in ms.items() if v},
                     # where the time goes: each stage's p50/p95 (the pipeline's own timings) and the slowest queries
                     "stages": {k: _pct(v) for k, v in stages.items()},
                     "slowest": [{"ms": round(m, 1), "query": qt[:120], "stages": {k: round(v, 1) for k, v in st.items()}}
                                 for m, qt, st in slow]}
    return out


def _pct(ms: list[float]) -> dict:
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--vector-kind", default="ivf-sq8", choices=("flat", "hnsw", "ivf-sq8", "ivf-pq"))
    ap.add_argument("--queries", type=int, default=240)
    ap.add_argument("--vectors", choices=("suite", "random"), default="suite",
                    help="imported vectors: the 20k suite's MiniLM vectors grown by jitter, or seeded random ones")
    args = ap.parse_args(argv)
    if args.vectors == "suite" and not (SUITE / "index" / "CURRENT").exists():
        print(f"no suite index at {SUITE / 'index'}: run python -m benchmarks.querygen --profiles 20000 first", file=sys.stderr)
        return 2
    corpus, index_dir, ingest_report = prepare(args.profiles, args.seed, args.vector_kind, args.vectors)
    print("serving in a fresh process ...", flush=True)
    child = subprocess.run([sys.executable, "-c", "import json; from benchmarks.scale_bench import _serve_child; "
                            f"print(json.dumps(_serve_child({str(index_dir)!r}, {str(corpus)!r}, {args.queries})))"],
                           cwd=ROOT, capture_output=True, text=True)
    if child.returncode:
        print(child.stderr[-3000:], file=sys.stderr)
        return 1
    served = json.loads(child.stdout.strip().splitlines()[-1])
    result = {"benchmark": "scale", **stamp(), "profiles": args.profiles, "vector_kind": args.vector_kind,
              "vectors": args.vectors, "data": "benchmarks.synth generated profiles and judged queries",
              "ingest": ingest_report, "serve": served}
    suffix = "" if args.vectors == "suite" else f"-{args.vectors}"
    out = ROOT / "benchmarks" / "results" / f"scale-{args.profiles}-{args.vector_kind}{suffix}.json"
    out.write_text(json.dumps(result, indent=2))
    b = served["bytes_per_profile"]["after_queries"]
    print(f"{served['profiles']:,} profiles, vectors {args.vector_kind}: server start {served['start_s']} s; resident "
          f"{b['VmRSS']:,} B/profile ({b['RssAnon']:,} anonymous, {b['RssFile']:,} file-backed); hybrid p50/p95 "
          f"{served['hybrid']['p50_ms']}/{served['hybrid']['p95_ms']} ms, lexical {served['lexical']['p50_ms']}/"
          f"{served['lexical']['p95_ms']} ms; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
