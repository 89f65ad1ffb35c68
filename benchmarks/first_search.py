"""First search after a server start and after a model promotion, against warm searches.

    python -m benchmarks.first_search --profiles 2000            # generates and indexes once under var/bench

A tenant's recruiters engage with served pages (shortlisting the most experienced hit, as in the LTR
tests), a model is trained and promoted, and then in a fresh app (its start-up warms the engine):
the first tenant search, warm searches, then a second model promoted by another ``train`` while the
server runs, measured immediately and after the model watcher's tick (``ltr_watch_s``). Reports the
ratio first / warm median with each call's stage timings, and writes var/bench/first-search.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import prepare, stamp

QUERIES = ["data engineer", "software engineer python", "nurse", "sales manager", "accountant", "project manager",
           "java developer", "marketing", "registered nurse", "data scientist"]
TENANT = "acme-talent"


def _engage(client, start: int, rounds: int) -> tuple[list[dict], int]:
    events, n = [], start
    t0 = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    for _ in range(rounds):
        for q in QUERIES:
            body = client.post("/v1/search", json={"query": q, "k": 10}, headers={"X-Tenant-Id": TENANT}).json()
            hits = body["hits"]
            if len(hits) < 2:
                continue
            for h in hits:
                n += 1
                events.append({"event_id": f"e{n}", "type": "impression", "recruiter_id": "r1",
                               "candidate_id": h["candidate_id"], "request_id": body["request_id"], "position": h["rank"],
                               "timestamp": (t0 + dt.timedelta(seconds=n)).isoformat()})
            best = max(hits, key=lambda h: h["candidate"]["years_experience"])
            n += 1
            events.append({"event_id": f"e{n}", "type": "shortlist", "recruiter_id": "r1", "candidate_id": best["candidate_id"],
                           "request_id": body["request_id"], "timestamp": (t0 + dt.timedelta(seconds=n)).isoformat()})
    client.post("/v1/events", json=events, headers={"X-Tenant-Id": TENANT})
    return events, n


def _timed(client, query: str) -> dict:
    t = time.perf_counter()
    r = client.post("/v1/search", json={"query": query, "k": 10}, headers={"X-Tenant-Id": TENANT})
    ms = (time.perf_counter() - t) * 1000
    if r.status_code != 200:
        raise SystemExit(f"search failed: {r.status_code} {r.text[:300]}")
    body = r.json()
    return {"ms": round(ms, 1), "model": body.get("model_version"), "stages_ms": body.get("timings_ms")}


def run(profiles: int, seed: int, warm_calls: int) -> dict:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from graph.build import GraphConfig, build_for_index
    from ranking.ltr.train import LtrConfig, train_scope

    _, index_dir, _ = prepare(Path(f"var/bench/synthetic-{profiles}-{seed}"), profiles, seed)
    if not (index_dir / "graph").exists():
        build_for_index(index_dir, GraphConfig(progress=False))
    work = Path(tempfile.mkdtemp(prefix="first-search-"))
    settings = Settings(index_dir=index_dir, ltr_dir=work / "ltr", jobs_dir=work / "jobs", ltr_watch_s=1.0)
    config = LtrConfig(num_boost_round=30, min_data_in_leaf=3, min_requests=5, holdout_fraction=0.2)
    with TestClient(create_app(settings)) as client:
        _, n = _engage(client, 0, rounds=3)
    first_model = train_scope(settings.ltr_dir, TENANT, config)

    out: dict = {"benchmark": "first_search", "profiles": profiles, **stamp(), "first_model": first_model.version}
    t = time.perf_counter()
    with TestClient(create_app(settings)) as client:            # start-up warms the engine and loads the models
        out["start_s"] = round(time.perf_counter() - t, 2)
        out["first_after_start"] = _timed(client, "data engineer spark")
        warm = [_timed(client, QUERIES[i % len(QUERIES)])["ms"] for i in range(warm_calls)]
        out["warm_ms"] = {"median": statistics.median(warm), "p95": sorted(warm)[int(0.95 * (len(warm) - 1))]}
        _, n = _engage(client, n, rounds=2)
        second = train_scope(settings.ltr_dir, TENANT, config)   # "talentsearch train" in another process
        out["second_model"] = second.version if second.promoted else None
        out["first_after_promotion_immediately"] = _timed(client, "data engineer spark")
        _, n = _engage(client, n, rounds=2)
        third = train_scope(settings.ltr_dir, TENANT, config)
        time.sleep(2 * settings.ltr_watch_s)                        # the watcher's tick: the model is preloaded
        out["third_model"] = third.version if third.promoted else None    # None: the gate kept v2 (then the same model)
        out["first_after_promotion_watched"] = _timed(client, "data engineer spark")
        warm2 = [_timed(client, QUERIES[i % len(QUERIES)])["ms"] for i in range(warm_calls)]
        out["warm_after_ms"] = {"median": statistics.median(warm2), "p95": sorted(warm2)[int(0.95 * (len(warm2) - 1))]}
    base = out["warm_ms"]["median"]
    out["ratios"] = {"after_start": round(out["first_after_start"]["ms"] / base, 2),
                     "after_promotion_immediately": round(out["first_after_promotion_immediately"]["ms"] / out["warm_after_ms"]["median"], 2),
                     "after_promotion_watched": round(out["first_after_promotion_watched"]["ms"] / out["warm_after_ms"]["median"], 2)}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.first_search", description=__doc__.split("\n\n")[0])
    p.add_argument("--profiles", type=int, default=2000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--warm-calls", type=int, default=30)
    p.add_argument("--out", type=Path, default=Path("var/bench/first-search.json"))
    args = p.parse_args(argv)
    out = run(args.profiles, args.seed, args.warm_calls)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    print(json.dumps({k: out[k] for k in ("profiles", "start_s", "warm_ms", "warm_after_ms", "ratios")}, indent=2))
    for k in ("first_after_start", "first_after_promotion_immediately", "first_after_promotion_watched"):
        print(f"{k}: {out[k]['ms']} ms ({out[k]['model']}); stages {out[k]['stages_ms']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
