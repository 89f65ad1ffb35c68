"""Speed benchmark: ingest throughput, per-stage latency, API throughput under concurrency, peak memory.

    talentsearch bench speed --profiles 100000          (or python -m benchmarks.speed ...)

Latency is measured one query at a time after warm-up, in process; throughput against the real
API (`talentsearch serve` in a child process) on loopback at concurrency 1, 4 and 16, with a
bounded number of requests per level. Results: JSON with commit and machine, plus a PNG chart.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.demo import wait_ready
from benchmarks.common import load_queries, prepare, write_result

MODES = ("lexical", "dense", "hybrid")


def percentiles(xs) -> dict:
    if not len(xs):
        return {"p50": None, "p95": None, "p99": None, "mean": None}
    return {"p50": float(np.percentile(xs, 50)), "p95": float(np.percentile(xs, 95)),
            "p99": float(np.percentile(xs, 99)), "mean": float(statistics.fmean(xs))}


def request_for(q: dict, mode: str = "hybrid", k: int = 10):
    """The engine request for one judged query (Boolean ones as Boolean, the rest as keywords)."""
    from query.lang.filters import Filters
    from ranking.search.pipeline import SearchRequest

    filters = Filters.from_dict(q.get("filters"), tenant_id=q.get("tenant_id"))
    return SearchRequest(query=q["query"], filters=filters, k=k, mode=mode,
                         syntax="boolean" if q.get("kind") == "boolean" else "keywords")


def measure_inprocess(engine, queries: list[dict], n: int, *, warmup: int = 20) -> dict:
    """Per-mode end-to-end latency, hybrid per-stage latency and query-encoding latency (ms)."""
    for q in queries[:warmup]:
        engine.search(request_for(q))
    lat: dict[str, list[float]] = {m: [] for m in MODES}
    stage: dict[str, list[float]] = {}
    for q in queries[:n]:
        for mode in MODES:
            t0 = time.perf_counter()
            res = engine.search(request_for(q, mode))
            lat[mode].append((time.perf_counter() - t0) * 1000)
            if mode == "hybrid":
                for name, ms in res.timings_ms.items():
                    stage.setdefault(name, []).append(ms)
    enc = []
    for q in queries[:n]:
        t0 = time.perf_counter()
        engine.encoder.encode_query(q["query"])
        enc.append((time.perf_counter() - t0) * 1000)
    return {"latency_ms": {m: percentiles(v) for m, v in lat.items()},
            "hybrid_stage_ms": {k: percentiles(v) for k, v in stage.items()},
            "query_encode_ms": percentiles(enc), "queries_timed": len(lat["hybrid"])}


def measure_api(index_dir: Path, queries: list[dict], *, levels=(1, 4, 16), requests: int = 300,
                max_seconds: float = 120.0) -> dict:
    """Throughput and latency of POST /v1/search against a real server on loopback."""
    port = _free_port()
    env = {**os.environ, "TALENTSEARCH_INDEX_DIR": str(index_dir)}
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--index-dir", str(index_dir),
                               "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, 120, proc=server)
        bodies = [({"query": q["query"], "filters": q.get("filters") or {}, "k": 10,
                    "syntax": "boolean" if q.get("kind") == "boolean" else "keywords"},
                   {"X-Tenant-Id": q["tenant_id"]} if q.get("tenant_id") else {}) for q in queries]
        asyncio.run(_load(base, bodies[:20], 2, 20, 30))     # warm-up
        out = {str(c): asyncio.run(_load(base, bodies, c, requests, max_seconds)) for c in levels}
        out["server_peak_rss_mb"] = _peak_rss_mb(server.pid)
        return out
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


async def _load(base: str, bodies, concurrency: int, total: int, max_seconds: float) -> dict:
    import httpx

    latencies, errors, statuses = [], 0, {}
    next_i = 0
    deadline = time.monotonic() + max_seconds

    async def worker(client):
        nonlocal next_i, errors
        while next_i < total and time.monotonic() < deadline:
            body, headers = bodies[next_i % len(bodies)]
            next_i += 1
            t0 = time.perf_counter()
            try:
                r = await client.post("/v1/search", json=body, headers=headers)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code != 200:      # every judged query is valid: a 4xx is a defect too
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - t0) * 1000)

    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    wall = time.perf_counter() - start
    return {"concurrency": concurrency, "requests": len(latencies), "seconds": wall,
            "throughput_rps": len(latencies) / wall if wall else 0.0, "errors": errors,
            "status_counts": {str(k): v for k, v in statuses.items()}, "latency_ms": percentiles(latencies)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_rss_mb(pid: int) -> float | None:
    """VmHWM (peak resident set) of a process, from /proc; None where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def plot_speed(result_json: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(Path(result_json).read_text())
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    stages = {k: v for k, v in data["hybrid_stage_ms"].items() if k != "total"}
    names = list(stages)
    a.bar(names, [stages[n]["p50"] for n in names], label="p50")
    a.bar(names, [stages[n]["p95"] - stages[n]["p50"] for n in names], bottom=[stages[n]["p50"] for n in names],
          alpha=0.5, label="p95")
    a.set_ylabel("ms")
    a.set_title(f"hybrid search stages, {data['profiles']:,} profiles")
    a.legend()
    api = data.get("api") or {}
    levels = sorted(int(k) for k in api if k.isdigit())
    if levels:
        b.plot(levels, [api[str(c)]["throughput_rps"] for c in levels], "o-", label="requests/s")
        b2 = b.twinx()
        b2.plot(levels, [api[str(c)]["latency_ms"]["p95"] for c in levels], "s--", color="tab:red", label="p95 ms")
        b2.set_ylabel("p95 latency, ms")
        b.set_xscale("log", base=2)
        b.set_xticks(levels, [str(c) for c in levels])
        b.set_xlabel("concurrency")
        b.set_ylabel("requests/s")
        b.set_title("POST /v1/search on loopback")
    fig.suptitle(f"{data['machine']['cores']} cores, {data['commit']}")
    fig.tight_layout()
    out = Path(result_json).with_suffix(".png")
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def run(profiles: int, seed: int = 42, *, workdir: str | None = None, queries: int = 200, api: bool = True,
        requests: int = 300, name: str | None = None) -> dict:
    from api.settings import Settings
    from api.wiring import build_engine

    work = Path(workdir or f"var/bench/synthetic-{profiles}-{seed}")
    corpus, index_dir, _ = prepare(work, profiles, seed)
    version = (index_dir / "CURRENT").read_text().strip()
    manifest = json.loads((index_dir / "versions" / version / "manifest.json").read_text())
    secs = manifest.get("seconds") or {}
    as_of = dt.date.fromisoformat(manifest["as_of"])
    engine = build_engine(Settings(index_dir=index_dir), ltr=False, today=lambda: as_of)
    qs = load_queries(corpus)
    payload = {"benchmark": "speed", "profiles": manifest["profiles"], "index_version": version,
               "index_build_seconds": secs,
               "ingest_profiles_per_s": {k: manifest["profiles"] / v for k, v in secs.items() if v and k in ("lexical", "dense")},
               **measure_inprocess(engine, qs, queries)}
    payload["process_peak_rss_mb"] = _peak_rss_mb(os.getpid())
    if api:
        payload["api"] = measure_api(index_dir, qs, requests=requests)
    hybrid, enc = payload["latency_ms"]["hybrid"], payload["query_encode_ms"]
    payload["targets"] = {"hybrid_p95_ms<=50": hybrid["p95"] <= 50, "encode_p50_ms<=10": enc["p50"] <= 10}
    out = write_result(name or f"speed-{profiles}", payload)
    plot_speed(out)
    return {**payload, "path": str(out)}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The speed benchmark's options (shared by ``python -m benchmarks.speed`` and ``talentsearch bench speed``)."""
    p.add_argument("--profiles", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workdir", default=None)
    p.add_argument("--queries", type=int, default=200, help="queries timed in process")
    p.add_argument("--requests", type=int, default=300, help="requests per concurrency level")
    p.add_argument("--no-api", action="store_true", help="skip the HTTP throughput part")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="talentsearch bench speed")
    add_arguments(p)
    return run_args(p.parse_args(argv))


def run_args(args) -> int:
    res = run(args.profiles, args.seed, workdir=args.workdir, queries=args.queries, api=not args.no_api,
              requests=args.requests)
    summary = {k: res[k] for k in ("latency_ms", "query_encode_ms", "ingest_profiles_per_s", "targets")}
    summary["api"] = {c: {"rps": round(v["throughput_rps"], 1), "p95_ms": round(v["latency_ms"]["p95"] or 0, 1),
                          "errors": v["errors"]} for c, v in (res.get("api") or {}).items() if isinstance(v, dict)}
    print(json.dumps(summary, indent=2))
    print(f"written {res['path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
