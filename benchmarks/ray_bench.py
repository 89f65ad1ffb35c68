"""The Ray runners against the local ones: bulk re-ranking and dense encoding at ingest, same results?

    python -m benchmarks.ray_bench --rows 100000 --ingest 300 [--profiles 2000] [--list-len 200] [--address HOST:PORT]
    python -m benchmarks.ray_bench --rows 0 --ingest 0 --graph 20000 100000      # the graph build only

Builds (or reuses) the synthetic index of ``--profiles`` profiles, then

1. re-ranks ``--rows`` rows (the judged queries under fresh ids, ``--list-len`` candidates each, as in
   ``benchmarks.bulk_bench``) with the local runner (this process, ``api.wiring.build_engine``) and with
   the Ray runner, and compares the two outputs row by row (every column, exactly);
2. ingests the first ``--ingest`` profiles of the corpus into two fresh indexes, once encoding locally
   and once on Ray, and compares the published versions: the same profiles and manifest, vectors
   equal up to float rounding (max |difference| reported);
3. with ``--graph N ...``: builds the economic graph of N generated profiles (``benchmarks.synth``,
   cached under ``var/bench/graph-<N>-42/corpus``) with the local runner (read + build, one partition)
   and on Ray (``graph.build_ray``: ``--graph-partitions`` partitions read by the actors), and checks
   that every table and array is equal.

Ray: a 2-node cluster on this machine (two raylets of ``--cpus-per-node`` CPUs, as the tests start),
or ``--address`` to use a running one. Times are wall-clock and include the Ray actors' start (each
loads the engine or the model once). Writes ``benchmarks/results/ray-bench-<rows>-<ingest>.json``
(``ray-bench-graph-<N>-....json`` for a graph-only run) with the commit and the machine; exits 1 when
an output differs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from api.settings import Settings
from api.wiring import build_engine, engine_factory
from benchmarks.bulk_bench import make_input
from benchmarks.common import prepare, write_result
from graph.build import COLUMNS, GraphConfig, build_graph
from graph.build_ray import build_graph_ray
from indexer.build import IndexConfig, current_version, ingest
from indexer.encoder import EncoderConfig, MiniLMEncoder
from indexer.encoder_ray import RayEncoder
from indexer.vectors import FaissVectorIndex
from ranking.search.bulk import BulkOptions, run_bulk
from ranking.search.bulk_ray import run_bulk_ray
from records.raypool import RayOptions, connected

REPO = Path(__file__).resolve().parents[1]


def bench_rerank(corpus: Path, index_dir: Path, work: Path, rows: int, list_len: int, ray_options: RayOptions) -> dict:
    src = work / "rerank-input.parquet"
    n = make_input(src, corpus, index_dir, rows, list_len, seed=42)
    settings = Settings(index_dir=index_dir, ltr_dir=work / "ltr")
    options = BulkOptions()
    t = time.perf_counter()
    local = run_bulk(build_engine(settings), src, work / "local.parquet", options)
    local_s = time.perf_counter() - t
    t = time.perf_counter()
    on_ray = run_bulk_ray(engine_factory(settings, threads=ray_options.threads), src, work / "ray.parquet", options,
                          ray_options)
    ray_s = time.perf_counter() - t
    a, b = pq.read_table(work / "local.parquet"), pq.read_table(work / "ray.parquet")
    return {"rows": n, "list_len": list_len, "queries": local.queries,
            "local": {"seconds": local_s, "rows_per_s": n / local_s},
            "ray": {"seconds": ray_s, "rows_per_s": n / ray_s},
            "equal_row_by_row": bool(a.equals(b)), "output_rows": b.num_rows,
            "same_counts": (local.queries, local.invalid_rows, local.not_found) ==
                           (on_ray.queries, on_ray.invalid_rows, on_ray.not_found)}


def bench_ingest(corpus: Path, work: Path, profiles: int, ray_options: RayOptions) -> dict:
    src = work / "ingest-input.parquet"
    table = pq.read_table(corpus / "profiles.parquet").slice(0, profiles)
    pq.write_table(table, src)
    as_of = json.loads((corpus / "manifest.json").read_text())["as_of"]
    config = IndexConfig(as_of=dt.date.fromisoformat(as_of))
    out, versions = {}, {}
    for runner in ("local", "ray"):
        index_dir = work / f"index-{runner}"
        if runner == "local":
            encoder = MiniLMEncoder(EncoderConfig())
            t = time.perf_counter()
            report = ingest([src], index_dir, config, encoder=encoder)
        else:
            encoder = RayEncoder(EncoderConfig(), ray_options)
            t = time.perf_counter()
            encoder.pool()                               # the actors' start (model loads) counts here
            start_s = time.perf_counter() - t
            report = ingest([src], index_dir, config, encoder=encoder)
            encoder.close()
        wall = time.perf_counter() - t
        out[runner] = {"seconds": wall, "dense_seconds": report.seconds["dense"],
                       "profiles_per_s": report.total / wall, "dense_profiles_per_s": report.total / report.seconds["dense"]}
        if runner == "ray":
            out[runner]["actor_start_seconds"] = start_s
        versions[runner] = current_version(index_dir)
    a, b = versions["local"], versions["ray"]
    ma, mb = (json.loads((v / "manifest.json").read_text()) for v in (a, b))
    va, vb = FaissVectorIndex.load(a / "dense"), FaissVectorIndex.load(b / "dense")
    same_ids = bool(np.array_equal(va.ids(), vb.ids()))
    diff = float(np.abs(va.vectors(va.ids()) - vb.vectors(vb.ids())).max()) if same_ids else None
    volatile = ("created", "seconds")
    return {"profiles": table.num_rows, **out,
            "same_profiles": pq.read_table(a / "profiles.parquet").equals(pq.read_table(b / "profiles.parquet")),
            "same_manifest": {k: v for k, v in ma.items() if k not in volatile} == {k: v for k, v in mb.items() if k not in volatile},
            "same_vector_ids": same_ids, "max_abs_vector_difference": diff}


def bench_graph(bench: Path, profiles: int, partitions: int, ray_options: RayOptions) -> dict:
    """Local (read + build) against Ray (actors read their partitions) on ``profiles`` generated profiles."""
    from benchmarks.synth import generate

    corpus = bench / f"graph-{profiles}-42" / "corpus"
    if not (corpus / "profiles.parquet").exists():
        generate(corpus, profiles=profiles, seed=42, queries=20, progress=True)
    as_of = dt.date.fromisoformat(json.loads((corpus / "manifest.json").read_text())["as_of"])
    path = corpus / "profiles.parquet"
    t0 = time.perf_counter()
    local = build_graph(pq.read_table(path, columns=list(COLUMNS)), GraphConfig(as_of=as_of, progress=False))
    local_s = time.perf_counter() - t0
    rows = -(-profiles // partitions)
    t0 = time.perf_counter()
    remote = build_graph_ray(path, GraphConfig(as_of=as_of, progress=False, partition_rows=rows), ray_options)
    ray_s = time.perf_counter() - t0
    return {"profiles": profiles, "data": "benchmarks.synth generated profiles, seed 42", "local_s": round(local_s, 2),
            "local_steps": local.manifest["seconds"], "ray_s": round(ray_s, 2), "ray_steps": remote.manifest["seconds"],
            "ray_build": remote.manifest["build"], "moves": local.tables["moves"].num_rows,
            "companies": local.tables["companies"].num_rows, "differences": (diff := _graph_differences(local, remote)),
            "equal": not diff}


def _graph_differences(a, b) -> list[str]:
    """Tables' columns and arrays that differ (NaN equals NaN); empty when the graphs are the same."""
    out = []
    for name, t in a.tables.items():
        u = b.tables[name]
        if t.schema != u.schema or t.num_rows != u.num_rows:
            out.append(f"{name}: schema or rows")
            continue
        for col in t.schema.names:
            x, y = t.column(col).to_numpy(zero_copy_only=False), u.column(col).to_numpy(zero_copy_only=False)
            if not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
                out.append(f"{name}.{col}: {int(np.count_nonzero(x != y))} rows")
    out += [f"{name}.{k}" for name, arrs in a.arrays.items() for k, x in arrs.items()
            if x.dtype != b.arrays[name][k].dtype or not np.array_equal(x, b.arrays[name][k])]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000, help="rows to re-rank")
    ap.add_argument("--ingest", type=int, default=300, help="profiles to ingest (dense encoding is the cost)")
    ap.add_argument("--profiles", type=int, default=2_000, help="size of the synthetic index re-ranked against")
    ap.add_argument("--list-len", type=int, default=200)
    ap.add_argument("--address", help="a running Ray cluster (default: start 2 local nodes)")
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--cpus-per-node", type=int, default=1)
    ap.add_argument("--graph", type=int, nargs="*", default=[], metavar="N", help="graph builds of N generated profiles")
    ap.add_argument("--graph-partitions", type=int, default=4, help="partitions of a Ray graph build (default 4)")
    ap.add_argument("--workdir", help="default var/bench")
    args = ap.parse_args(argv)
    bench = Path(args.workdir) if args.workdir else REPO / "var" / "bench"
    corpus = index_dir = None
    if args.rows or args.ingest:
        corpus, index_dir, _ = prepare(bench / f"synthetic-{args.profiles}-42", args.profiles, 42)
    cluster = None
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")   # Ray reports usage over the network unless told not to
    if args.address is None:
        from ray.cluster_utils import Cluster

        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": args.cpus_per_node, "include_dashboard": False})
        for _ in range(args.nodes - 1):
            cluster.add_node(num_cpus=args.cpus_per_node)
        cluster.wait_for_nodes()
    address = args.address or cluster.address
    ray_options = RayOptions(address=address)
    bench.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ray-bench-", dir=bench))
    try:
        with connected(ray_options) as ray:
            nodes = [n for n in ray.nodes() if n["Alive"]]
            cluster_info = {"address": "local 2-node cluster_utils.Cluster" if cluster else address, "nodes": len(nodes),
                            "cpus": ray.cluster_resources().get("CPU"), "ray": ray.__version__}
            rerank = bench_rerank(corpus, index_dir, work, args.rows, args.list_len, ray_options) if args.rows else None
            ingested = bench_ingest(corpus, work, args.ingest, ray_options) if args.ingest else None
            graphs = [bench_graph(bench, n, args.graph_partitions, ray_options) for n in args.graph]
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if cluster is not None:
            cluster.shutdown()
    ok = (rerank is None or rerank["equal_row_by_row"]) and (ingested is None or (
        ingested["same_profiles"] and ingested["same_manifest"] and ingested["same_vector_ids"]
        and ingested["max_abs_vector_difference"] < 1e-4)) and all(g["equal"] for g in graphs)
    result = {"index_profiles": args.profiles, "cluster": cluster_info, "rerank": rerank, "ingest": ingested,
              "graph": graphs, "equal": ok}
    name = f"ray-bench-{args.rows}-{args.ingest}" if args.rows or args.ingest else \
        "ray-bench-graph-" + "-".join(str(n) for n in args.graph)
    path = write_result(name, result)
    print(json.dumps(result, indent=2))
    print(f"written {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
