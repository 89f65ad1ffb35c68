"""Vector index kinds at scale: bytes per profile, resident memory, recall@10 against exact search, latency.

    python -m benchmarks.vectors_bench --sizes 100000 1000000          # ~25 min on 2 cores

Vectors: the MiniLM vectors of a built index (default: the 20k synthetic suite of
``python -m benchmarks.querygen --profiles 20000``, real encodings of generated profile texts), grown to
each size by jittering copies of them (a real vector plus Gaussian noise of a third of the typical
nearest-neighbour distance, renormalised): the cluster structure of real embeddings, at sizes no encoder
on this machine can produce (16 profiles/s). Queries: the suite's 240 judged queries, encoded as the
search pipeline encodes them. Ground truth: exact inner product over all vectors.

For each kind (flat, hnsw up to --hnsw-max, ivf-sq8, ivf-pq) and size: build seconds, file bytes per
vector, resident memory added by opening it in a fresh process (memory-mapped where the kind allows:
anonymous + file-backed pages after the queries), recall@10 unfiltered and under a 10% filter, and
query latency p50/p95 (one query at a time, as a server runs them). Writes
benchmarks/results/vectors-<sizes>.json and a PNG.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, resident_bytes, stamp

SUITE = ROOT / "var" / "bench" / "synthetic-20000-42-q240"
KINDS = ("flat", "hnsw", "ivf-sq8", "ivf-pq")


def real_vectors(index_dir: Path) -> np.ndarray:
    from indexer.build import current_version
    from indexer.vectors import FaissVectorIndex

    dense = FaissVectorIndex.load(current_version(index_dir) / "dense")
    return dense.vectors(dense.ids())


def query_vectors(corpus: Path) -> np.ndarray:
    from indexer.encoder import EncoderConfig, MiniLMEncoder
    from query.lang.syntax import parse_query
    from ranking.search.pipeline import dense_query_text

    enc = MiniLMEncoder(EncoderConfig())
    out = []
    for line in (corpus / "queries.jsonl").read_text().splitlines():
        text = json.loads(line)["query"]
        node, syntax = parse_query(text, "auto")
        out.append(enc.encode_query(dense_query_text(node) if syntax == "boolean" and node is not None else text))
    return np.stack(out)


def grow(real: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` unit vectors: the real ones, then jittered copies of random real ones."""
    rng = np.random.default_rng(seed)
    if n <= len(real):
        return real[:n].copy()
    probe = real[rng.choice(len(real), 200, replace=False)]
    nn = np.sort(probe @ real.T, axis=1)[:, -2]                   # nearest other vector's cosine
    sigma = float(np.sqrt(np.median(2 - 2 * nn))) / 3 / np.sqrt(real.shape[1])
    out = np.empty((n, real.shape[1]), np.float32)
    out[: len(real)] = real
    for start in range(len(real), n, 100_000):
        stop = min(n, start + 100_000)
        x = real[rng.integers(0, len(real), stop - start)] + sigma * rng.standard_normal((stop - start, real.shape[1]))
        out[start:stop] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    top = np.empty((len(queries), k), np.int64)
    for i in range(0, len(queries), 16):
        s = queries[i:i + 16] @ vectors.T
        if allowed is not None:
            s[:, ~allowed] = -np.inf
        part = np.argpartition(-s, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(s, part, axis=1), axis=1)
        top[i:i + 16] = np.take_along_axis(part, order, axis=1)
    return top


def _measure_child(path: str, kind: str, queries_path: str, truth_path: str, allowed_path: str, nprobe: int) -> dict:
    """Runs in a fresh process: open the saved index as a server does, query it, report memory and speed."""
    from indexer.vectors import FaissVectorIndex, VectorIndexConfig

    queries, truth, allowed = np.load(queries_path), np.load(truth_path), np.load(allowed_path)
    truth_f = np.load(truth_path.replace(".npy", "-filtered.npy"))
    before = resident_bytes()
    index = FaissVectorIndex.load(path, VectorIndexConfig(mmap=True, nprobe=nprobe, ef_search=128, use_gpu="never"),
                                  writable=False)
    times, hits, hits_f = [], 0, 0
    for n, q in enumerate(queries):
        t0 = time.perf_counter()
        got, _ = index.search(q, 10)
        times.append(time.perf_counter() - t0)
        hits += len(set(got.tolist()) & set(truth[n].tolist()))
    times_f = []
    for n, q in enumerate(queries):
        t0 = time.perf_counter()
        got, _ = index.search(q, 10, allowed)
        times_f.append(time.perf_counter() - t0)
        hits_f += len(set(got.tolist()) & set(truth_f[n].tolist()))
    after = resident_bytes()
    ms = np.array(times) * 1000
    ms_f = np.array(times_f) * 1000
    return {"kind": kind, "recall_at_10": hits / truth.size, "recall_at_10_filter_10pct": hits_f / truth_f.size,
            "p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "filtered_p50_ms": float(np.percentile(ms_f, 50)), "filtered_p95_ms": float(np.percentile(ms_f, 95)),
            "rss_added": after["VmRSS"] - before["VmRSS"], "anon_added": after["RssAnon"] - before["RssAnon"],
            "file_added": after["RssFile"] - before["RssFile"]}


def run(sizes: list[int], kinds: list[str], *, hnsw_max: int, nprobe: int, out: Path) -> dict:
    from indexer.vectors import FaissVectorIndex, VectorIndexConfig

    print(f"reading real vectors from {SUITE / 'index'} and encoding the suite's queries ...", flush=True)
    real, queries = real_vectors(SUITE / "index"), query_vectors(SUITE / "corpus")
    result = {"benchmark": "vectors", **stamp(), "real_vectors": len(real), "queries": len(queries), "nprobe": nprobe,
              "sizes": {}}
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmpdir:
        tmp = Path(tmpdir)
        for n in sizes:
            vectors = grow(real, n)
            ids = np.arange(n, dtype=np.int64)
            allowed = np.random.default_rng(1).random(n) < 0.10
            truth, truth_f = exact_top(vectors, queries, 10), exact_top(vectors, queries, 10, allowed)
            np.save(tmp / "q.npy", queries)
            np.save(tmp / "t.npy", truth)
            np.save(tmp / "t-filtered.npy", truth_f)
            np.save(tmp / "a.npy", allowed)
            rows = []
            for kind in kinds:
                if kind == "hnsw" and n > hnsw_max:
                    print(f"  {n:>9,} {kind:8s} skipped (--hnsw-max {hnsw_max:,})", flush=True)
                    continue
                t0 = time.perf_counter()
                index = FaissVectorIndex.build(ids, vectors, VectorIndexConfig(kind=kind, nprobe=nprobe, use_gpu="never"))
                build_s = time.perf_counter() - t0
                path = tmp / f"{kind}-{n}"
                index.save(path)
                del index
                size = sum(f.stat().st_size for f in path.iterdir())
                child = subprocess.run(
                    [sys.executable, "-c", "import json, sys; from benchmarks.vectors_bench import _measure_child; "
                     f"print(json.dumps(_measure_child({str(path)!r}, {kind!r}, {str(tmp / 'q.npy')!r}, "
                     f"{str(tmp / 't.npy')!r}, {str(tmp / 'a.npy')!r}, {nprobe})))"],
                    cwd=ROOT, capture_output=True, text=True, check=True)
                row = {**json.loads(child.stdout.strip().splitlines()[-1]), "build_s": round(build_s, 1),
                       "bytes_per_vector": size / n}
                rows.append(row)
                print(f"  {n:>9,} {kind:8s} build {build_s:7.1f}s  {size / n:7.0f} B/vector on disk  "
                      f"resident +{row['rss_added'] / n:7.0f} B/vector  recall@10 {row['recall_at_10']:.3f} "
                      f"(10% filter {row['recall_at_10_filter_10pct']:.3f})  p50/p95 {row['p50_ms']:.2f}/{row['p95_ms']:.2f} ms"
                      f"  filtered {row['filtered_p50_ms']:.2f}/{row['filtered_p95_ms']:.2f} ms", flush=True)
                for f in path.iterdir():
                    f.unlink()
            result["sizes"][str(n)] = rows
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    _plot(result, out.with_suffix(".png"))
    print(f"wrote {out} and {out.with_suffix('.png')}")
    return result


def _plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for n, rows in result["sizes"].items():
        for r in rows:
            a.scatter(r["rss_added"] / int(n), r["recall_at_10"], label=f"{r['kind']} {int(n):,}")
            b.scatter(r["p95_ms"], r["recall_at_10"], label=f"{r['kind']} {int(n):,}")
    a.set_xscale("log")
    a.set_xlabel("resident bytes per vector (log)")
    b.set_xlabel("p95 ms per query")
    for ax in (a, b):
        ax.set_ylabel("recall@10 vs exact")
        ax.grid(alpha=0.3)
    b.legend(fontsize=7)
    fig.suptitle(f"Vector index kinds ({result['machine']['cores']} cores, {result['machine']['cpu']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    ap.add_argument("--hnsw-max", type=int, default=100_000, help="skip hnsw above this size (its build is slow here)")
    ap.add_argument("--nprobe", type=int, default=None, help="ivf lists searched (default: the index's own)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if not (SUITE / "index" / "CURRENT").exists():
        print(f"no suite index at {SUITE / 'index'}: run python -m benchmarks.querygen --profiles 20000 first", file=sys.stderr)
        return 2
    out = args.out or ROOT / "benchmarks" / "results" / f"vectors-{'-'.join(map(str, args.sizes))}.json"
    run(args.sizes, args.kinds, hnsw_max=args.hnsw_max, nprobe=args.nprobe, out=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
