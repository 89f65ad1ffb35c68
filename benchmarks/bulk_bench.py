"""Bulk re-ranking at scale, with a crash: N candidate rows, SIGKILL half way, resume, verify.

    python -m benchmarks.bulk_bench --rows 1000000 [--profiles 100000] [--list-len 200] [--kill-at 0.5]

Builds (or reuses) the synthetic index of ``--profiles`` profiles, writes an input of ``--rows`` rows
(the judged queries, cycled under fresh query ids, each with ``--list-len`` candidates drawn from the
corpus plus 1% unknown ids), runs ``talentsearch rerank`` in a child process, kills it with SIGKILL
once ``--kill-at`` of the rows are recorded, runs the same command again, and checks that the output
holds every input row exactly once, in order. Writes JSON (throughput, peak memory, rows redone
after the kill) and a PNG of rows done over time.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.common import load_queries, prepare, write_result
from ranking.search.bulk import read_progress

REPO = Path(__file__).resolve().parents[1]


def make_input(path: Path, corpus: Path, index_dir: Path, rows: int, list_len: int, seed: int) -> int:
    from indexer.store import ProfileStore
    from indexer.build import current_version

    rng = np.random.default_rng(seed)
    queries = load_queries(corpus)
    store = ProfileStore.load(current_version(index_dir))
    ids = np.asarray(store.table.column("candidate_id").to_pylist(), dtype=object)
    n_queries = -(-rows // list_len)
    writer = pq.ParquetWriter(path, pa.schema([("query_id", pa.string()), ("query", pa.string()), ("candidate_id", pa.string())]))
    written = 0
    try:
        for start in range(0, n_queries, 500):
            qid, qtext, cid = [], [], []
            for q in range(start, min(n_queries, start + 500)):
                n = min(list_len, rows - written)
                picks = ids[rng.integers(0, len(ids), n)].tolist()
                for j in np.flatnonzero(rng.random(n) < 0.01):
                    picks[j] = f"unknown-{q}-{j}"
                judged = queries[q % len(queries)]
                qid += [f"bulk-{q:07d}"] * n
                qtext += [judged["query"]] + [None] * (n - 1)
                cid += picks
                written += n
            writer.write_table(pa.table({"query_id": qid, "query": qtext, "candidate_id": cid}))
    finally:
        writer.close()
    return written


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _run(cmd, out: Path, kill_at: float | None, total: int, trace: list, t0: float, label: str) -> dict:
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak, killed = 0, False
    while proc.poll() is None:
        peak = max(peak, _rss_kb(proc.pid))
        prog = read_progress(out)
        if prog is not None:
            trace.append((time.perf_counter() - t0, prog.rows_done, label))
            if kill_at is not None and prog.rows_done >= kill_at * total:
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
                break
        time.sleep(0.5)
    proc.wait()
    output = proc.stdout.read()
    return {"returncode": proc.returncode, "killed": killed, "peak_rss_mb": peak / 1024, "output_tail": output[-600:]}


def run(rows: int, profiles: int, list_len: int, kill_at: float, seed: int = 42, workdir: str | None = None) -> dict:
    bench = Path(workdir) if workdir else REPO / "var" / "bench"
    corpus, index_dir, _ = prepare(bench / f"synthetic-{profiles}-{seed}", profiles, seed)
    base = bench / f"bulk-{rows}"
    base.mkdir(parents=True, exist_ok=True)
    src, out = base / "input.parquet", base / "output.parquet"
    for p in (out, out.with_name(out.name + ".tmp")):
        p.unlink(missing_ok=True)
    work = out.with_name(out.name + ".work")
    if work.exists():
        import shutil
        shutil.rmtree(work)
    t = time.perf_counter()
    n = make_input(src, corpus, index_dir, rows, list_len, seed)
    gen_s = time.perf_counter() - t
    cmd = [sys.executable, "-m", "api.cli", "rerank", str(src), str(out), "--index-dir", str(index_dir), "--no-progress"]
    trace: list = []
    t0 = time.perf_counter()
    first = _run(cmd, out, kill_at, n, trace, t0, "first run")
    at_kill = read_progress(out)
    kill_s = time.perf_counter() - t0
    second = _run(cmd, out, None, n, trace, t0, "resumed")
    total_s = time.perf_counter() - t0
    trace.append((total_s, n, "resumed"))
    got = pq.read_table(out, columns=["input_row", "candidate_id", "status"])
    expect = pq.read_table(src, columns=["candidate_id"]).column("candidate_id")
    rows_ok = got.column("input_row").to_pylist() == list(range(n))
    ids_ok = got.column("candidate_id").equals(expect)
    status = dict(zip(*np.unique(np.asarray(got.column("status").to_pylist(), dtype=object), return_counts=True)))
    return {
        "rows": n, "list_len": list_len, "profiles": profiles, "input_seconds": gen_s,
        "killed_at_rows": at_kill.rows_done if at_kill else None, "killed_after_s": kill_s,
        "first_run": first, "resumed_run": second, "total_seconds": total_s,
        "rows_per_s": n / total_s, "output_rows": got.num_rows,
        "every_row_once_in_order": bool(rows_ok and ids_ok), "status_counts": {str(k): int(v) for k, v in status.items()},
        "trace": trace,
    }


def plot(result: dict, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for label, colour in (("first run", "tab:blue"), ("resumed", "tab:green")):
        pts = [(t, r) for t, r, lab in result["trace"] if lab == label]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] / 1e3 for p in pts], color=colour, label=label)
    if result["first_run"]["killed"]:
        ax.axvline(result["killed_after_s"], color="tab:red", ls="--",
                   label=f"SIGKILL ({result['killed_at_rows'] or 0:,} rows recorded)")
    ax.set_xlabel("seconds")
    ax.set_ylabel("rows done (thousands)")
    ax.set_title(f"Bulk re-rank of {result['rows']:,} rows: killed, resumed, "
                 f"{'every row once' if result['every_row_once_in_order'] else 'ROWS WRONG'}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--profiles", type=int, default=100_000)
    ap.add_argument("--list-len", type=int, default=200)
    ap.add_argument("--kill-at", type=float, default=0.5)
    ap.add_argument("--workdir")
    args = ap.parse_args(argv)
    res = run(args.rows, args.profiles, args.list_len, args.kill_at, workdir=args.workdir)
    path = write_result(f"bulk-rerank-{args.rows}", {k: v for k, v in res.items() if k != "trace"} | {"trace": res["trace"][::10]})
    png = plot(res, Path(path).with_suffix(".png"))
    summary = {k: res[k] for k in ("rows", "killed_at_rows", "total_seconds", "rows_per_s", "every_row_once_in_order",
                                   "status_counts")}
    summary["peak_rss_mb"] = max(res["first_run"]["peak_rss_mb"], res["resumed_run"]["peak_rss_mb"])
    print(json.dumps(summary, indent=2))
    print(f"written {path}, {png}")
    return 0 if res["every_row_once_in_order"] else 1


if __name__ == "__main__":
    sys.exit(main())
