"""Hydration alone, Arrow store against row store, each in a fresh process on the same index version.

``python -m benchmarks.hydrate_bench INDEX_DIR --rows 9600`` loads the version's ``ProfileStore`` twice
(``rows=False``: the memory-mapped ``profiles.arrow``; ``rows=True``: ``profiles.rows`` by pread), hydrates
the same random ords in pages of 20 (as 480 searches of k=20 do) and reports per-page p50/p95 ms, the
resident memory the hydration added (anonymous / file-backed) and that per profile of the index, and how
much of each file the kernel's page cache holds (both files are evicted from it first). The two
modes alternate order over ``--reps`` repetitions (fresh processes each, so no shared page tables).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.common import ROOT, stamp


def _page_cache_mb(path: Path) -> float | None:
    """MB of ``path`` in the kernel's page cache (util-linux ``fincore``; None where it is missing)."""
    try:
        out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", str(path)],
                             capture_output=True, text=True, check=True).stdout.split()
        return round(int(out[0]) / 2**20, 1)
    except (OSError, subprocess.CalledProcessError, IndexError, ValueError):
        return None


def _evict(path: Path) -> None:
    """Drop this one file's clean pages from the page cache (posix_fadvise DONTNEED; nothing else is touched)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _child(index_dir: str, n_rows: int, rows: bool, seed: int) -> dict:
    import time

    import numpy as np

    from benchmarks.common import resident_bytes, resident_files
    from indexer.build import current_version
    from indexer.store import ProfileStore

    version = current_version(Path(index_dir))
    files = [version / n for n in ("profiles.arrow", "profiles.rows") if (version / n).exists()]
    for f in files:
        _evict(f)
    store = ProfileStore.load(version, rows=rows)
    loaded = {f.name: _page_cache_mb(f) for f in files}
    ords = store.table.column("ord").to_numpy()
    picked = np.random.default_rng(seed).choice(ords, size=min(n_rows, len(ords)), replace=False)
    base = resident_bytes()
    ms = []
    for page in np.array_split(picked, max(1, len(picked) // 20)):
        t = time.perf_counter()
        store.records(page)
        ms.append((time.perf_counter() - t) * 1000)
    after = resident_bytes()
    added = {k: after[k] - base[k] for k in base}
    return {"mode": "rows" if rows else "arrow", "profiles": len(store), "hydrated": len(picked),
            "page_p50_ms": round(float(np.percentile(ms, 50)), 3), "page_p95_ms": round(float(np.percentile(ms, 95)), 3),
            "added_mb": {k: round(v / 2**20, 1) for k, v in added.items()},
            "added_bytes_per_profile": {k: round(v / len(store)) for k, v in added.items()},
            "resident_index_files_mb": resident_files(version.resolve()),
            # the kernel's cache of each file (shared, reclaimable, not this process's RSS) after loading and
            # after hydrating; both files are evicted from it first
            "page_cache_mb": {"after_load": loaded, "after_hydrating": {f.name: _page_cache_mb(f) for f in files}}}


def run(index_dir: Path, n_rows: int, rows: bool, seed: int) -> dict:
    code = (f"import json; from benchmarks.hydrate_bench import _child; "
            f"print(json.dumps(_child({str(index_dir)!r}, {n_rows}, {rows}, {seed})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index_dir", type=Path)
    ap.add_argument("--rows", type=int, default=9600, help="profiles hydrated (pages of 20)")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    runs = []
    for rep in range(args.reps):
        for rows in ((False, True) if rep % 2 == 0 else (True, False)):
            r = run(args.index_dir, args.rows, rows, args.seed + rep)
            print(json.dumps({k: r[k] for k in ("mode", "page_p50_ms", "page_p95_ms", "added_mb", "page_cache_mb")}),
                  flush=True)
            runs.append(r)
    result = {"benchmark": "hydrate", **stamp(), "index_dir": str(args.index_dir), "runs": runs}
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
