"""A whole index built end to end through the CLI, then served: ingest per stage, peak RSS, latency, memory.

    python -m benchmarks.scale_e2e --profiles 1000000 --work /tmp/scale    # ~45 min on 2 cores, ~4.5 GB in --work
    python -m benchmarks.scale_e2e --profiles 100000 --work /tmp/scale     # ~5 min
    python -m benchmarks.scale_e2e --profiles 1000000 --work /tmp/scale --vectors random --ingest-only   # steps 1-3

Steps, each timed and shown with progress:
1. generate N synthetic profiles and judged queries (``benchmarks.synth``) under ``--work`` (once);
2. the profiles' vectors from the static encoder (``TALENTSEARCH_ENCODER_BACKEND=static``: the real
   encoding of each profile's dense text, not random numbers), written as the ``--vectors`` Parquet file
   (``--vectors random``: seeded random unit vectors instead);
3. ``python -m api.cli index CORPUS --vectors FILE --rebuild --json`` in a child process (ivf-sq8, the
   static encoder configured so the query encoder matches the imported model): its per-stage seconds and
   its peak resident memory (``wait4``'s ``ru_maxrss``);
4. the engine opened in a fresh process as the server opens it (``benchmarks.scale_bench._serve_child``:
   warm, the judged queries one at a time in hybrid and lexical mode, keyword and Boolean apart, the
   common-terms cut-off the other way and the default again; resident memory added, anonymous and file-backed).

Writes benchmarks/results/scale-e2e-<N>.json. ``--clean`` deletes the index and vectors afterwards (the
corpus stays for a rerun). Data: benchmarks.synth generated profiles only.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.common import ROOT, stamp

ENV = {"TALENTSEARCH_VECTOR_KIND": "ivf-sq8"}


def _env(source: str) -> dict:
    """The index and serve children's settings: the query encoder is the model of the imported vectors."""
    return {**ENV, "TALENTSEARCH_ENCODER_BACKEND": "static" if source == "static" else "auto"}


def make_vectors(corpus: Path, out: Path, source: str, seed: int) -> dict:
    """The --vectors file for ``corpus``: static-encoder vectors of each profile's dense text, or random."""
    from tqdm.auto import tqdm

    from indexer.documents import dense_text
    from indexer.encoder import EncoderConfig
    from indexer.static_encoder import StaticEncoder

    t0 = time.perf_counter()
    pf = pq.ParquetFile(corpus / "profiles.parquet")
    n = pf.metadata.num_rows
    ids, parts = [], []
    if source == "random":
        ids = pq.read_table(corpus / "profiles.parquet", columns=["candidate_id"]).column("candidate_id")
        vectors = np.random.default_rng(seed).standard_normal((n, 384), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        model = "sentence-transformers/all-MiniLM-L6-v2"
    else:
        encoder = StaticEncoder(EncoderConfig(backend="static"))
        model = encoder.name
        with tqdm(total=n, desc="vectors (static encoder)", unit="profile") as bar:
            for batch in pf.iter_batches(batch_size=20_000):
                rows = batch.to_pylist()
                ids.extend(r["candidate_id"] for r in rows)
                parts.append(encoder.encode([dense_text(r) for r in rows]))
                bar.update(len(rows))
        vectors = np.concatenate(parts)
        ids = pa.array(ids, pa.string())
    table = pa.table({"candidate_id": ids,
                      "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])})
    pq.write_table(table.replace_schema_metadata({"model": model}), out)
    s = time.perf_counter() - t0
    return {"source": source, "model": model, "dim": int(vectors.shape[1]), "seconds": round(s, 1),
            "profiles_per_s": round(n / s), "file_mb": round(out.stat().st_size / 2**20, 1)}


def index_via_cli(corpus: Path, index_dir: Path, vectors: Path, as_of: str, source: str) -> dict:
    """``talentsearch index`` in a child process: its JSON report, wall time and peak resident memory."""
    cmd = [sys.executable, "-m", "api.cli", "index", str(corpus / "profiles.parquet"), "--index-dir", str(index_dir),
           "--as-of", as_of, "--vectors", str(vectors), "--rebuild", "--json"]
    print("$", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **_env(source)}, stdout=subprocess.PIPE, text=True)
    hwm = _HighWater(proc.pid)
    out = proc.stdout.read()                     # progress goes to stderr, straight through
    hwm.stop()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"talentsearch index exited {proc.returncode}")
    rep = json.loads(out)
    return {"command": "python -m api.cli index CORPUS/profiles.parquet --index-dir DIR --as-of D --vectors FILE "
                       "--rebuild --json", "env": _env(source), "wall_s": round(wall, 1),
            "seconds": {k: round(v, 1) for k, v in rep["seconds"].items()},
            # wait4's maxrss also counts this process's resident memory when it spawned the child (Linux keeps
            # the pre-exec high-water mark): after making 1M vectors that was 4.1 GB against the child's 3.0
            "peak_rss_mb": hwm.mb, "maxrss_wait4_mb": round(usage.ru_maxrss / 1024), "profiles": rep["total"],
            "vectors_imported": rep.get("vectors_imported"), "rejected": rep.get("rejected"),
            "index_mb": round(sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file()) / 2**20)}


class _HighWater:
    """The child's own peak resident memory: its VmHWM (a high-water mark of its own address space since
    exec), read every 0.2 s until it ends."""

    def __init__(self, pid: int):
        self.mb, self._pid, self._done = 0, pid, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.is_set():
            try:
                with open(f"/proc/{self._pid}/status") as fh:
                    kb = next((int(line.split()[1]) for line in fh if line.startswith("VmHWM:")), 0)
            except (OSError, ValueError):
                kb = 0
            self.mb = max(self.mb, round(kb / 1024))
            self._done.wait(0.2)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def serve(index_dir: Path, corpus: Path, queries: int, source: str, *, hydrate: str = "rows", extras: bool = True) -> dict:
    code = ("import json; from benchmarks.scale_bench import _serve_child; "
            f"print(json.dumps(_serve_child({str(index_dir)!r}, {str(corpus)!r}, {queries}, {extras})))")
    env = {**os.environ, **_env(source), "TALENTSEARCH_HYDRATE_ROWS": "true" if hydrate == "rows" else "false"}
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=False,
                           capture_output=True, text=True)
    if child.returncode:
        print(child.stderr[-3000:], file=sys.stderr)
        raise SystemExit("serving child failed")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "bench", help="where corpus, vectors and index go")
    ap.add_argument("--vectors", choices=("static", "random"), default="static")
    ap.add_argument("--queries", type=int, default=240)
    ap.add_argument("--clean", action="store_true", help="delete the index and vectors file afterwards")
    ap.add_argument("--serve-only", action="store_true", help="reuse the index already built under --work")
    ap.add_argument("--out", type=Path, default=None, help="result file (default benchmarks/results/scale-e2e-N.json)")
    ap.add_argument("--hydrate", choices=("rows", "arrow"), default="rows",
                    help="serve hydrating hits from profiles.rows (default) or from the mapped profiles.arrow")
    ap.add_argument("--no-extras", action="store_true", help="serve: skip the common-terms and parallel comparisons")
    ap.add_argument("--ingest-only", action="store_true", help="generate, vectors and index only: no serving pass")
    args = ap.parse_args(argv)
    from benchmarks.synth import generate

    work = args.work / f"scale-{args.profiles}"
    corpus, index_dir, vec_path = work / "corpus", work / f"index-e2e-{args.vectors}", work / f"vectors-{args.vectors}.parquet"
    result = {"benchmark": "scale-e2e", **stamp(), "profiles": args.profiles, "vector_kind": "ivf-sq8",
              "data": f"benchmarks.synth generated profiles and judged queries (seed {args.seed})",
              "load_avg_start": [round(x, 2) for x in os.getloadavg()]}
    if not (corpus / "manifest.json").exists():
        t0 = time.perf_counter()
        generate(corpus, profiles=args.profiles, seed=args.seed, progress=True)
        result["generate_s"] = round(time.perf_counter() - t0, 1)
    if not args.serve_only:
        print(f"vectors for {args.profiles:,} profiles -> {vec_path}", flush=True)
        result["vectors"] = make_vectors(corpus, vec_path, args.vectors, args.seed)
        as_of = json.loads((corpus / "manifest.json").read_text())["as_of"]
        result["ingest"] = index_via_cli(corpus, index_dir, vec_path, as_of, args.vectors)
        print(json.dumps(result["ingest"]), flush=True)
    out = args.out or ROOT / "benchmarks" / "results" / f"scale-e2e-{args.profiles}.json"
    if args.ingest_only:
        result["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
        out.write_text(json.dumps(result, indent=2))
        print(f"wrote {out}")
        return 0
    print("serving in a fresh process ...", flush=True)
    result["serve"] = s = serve(index_dir, corpus, args.queries, args.vectors, hydrate=args.hydrate,
                                extras=not args.no_extras)
    from indexer.build import current_version

    version = current_version(index_dir)
    result["store_files_mb"] = {f.name: round(f.stat().st_size / 2**20, 1) for f in sorted(version.glob("profiles.*"))}
    added = s["resident_added_mb"]
    result["serve"]["bytes_per_profile_all"] = {k: round(v * 2**20 / s["profiles"]) for k, v in added.items()}
    out.write_text(json.dumps(result, indent=2))
    h, lx = s["hybrid"], s["lexical"]
    print(f"{s['profiles']:,} profiles: hybrid p50/p95 {h['p50_ms']}/{h['p95_ms']} ms, lexical {lx['p50_ms']}/"
          f"{lx['p95_ms']} ms; resident added {added} MB; wrote {out}")
    if args.clean:
        import shutil

        shutil.rmtree(index_dir, ignore_errors=True)
        vec_path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
