"""Live writes and standing searches at scale (issue 20): throughput, exactness, freshness.

    python -m benchmarks.standing_bench --profiles 20000 --searches 0 1000 10000 --writes 10000
    python -m benchmarks.standing_bench --profiles 100000 --freshness-only --freshness-writes 300

Data: the synthetic generator (benchmarks/synth, seed 42), indexed with the static encoder (MiniLM would
spend the run encoding). Standing searches are drawn from the corpus itself (a title phrase, one or two
skills, optionally a city radius or a years floor) so that they have members. Writes are profiles of the
corpus re-written with another profile's title and skills (upserts) and deletes.

* **throughput**: acknowledged upserts/s through ``LiveService.upsert_many`` in batches of ``--batch``
  (validation, fsync'd log append, reverse matching, feed commit) with 0, 1k, 10k standing searches; the
  background fold is off while timing and its cost for the same writes is reported next to it. Also the
  process's CPU seconds for them (``upserts_per_cpu_s``: the cost, whatever else shares the CPU) and the feed
  entries each upsert produced. ``--profile FILE``: cProfile of as many more writes at the largest search count (untimed).
  Each run works on a fresh copy of the built index (``run_copy``), so reruns measure the same workload.
* **exactness**: ``--writes`` upserts and deletes (80/20) against the first 1,000 searches; each search's feed
  replayed on its match set before the stream must equal its match set after (folded), none missing or twice.
  A match set is the lexical retriever's full hit list on the published index (``ranking.standing.feed``).
* **freshness**: single writes at a steady rate with the fold loop on (``--fold-interval``): time from the
  acknowledgement to the profile being in the version search reads (p50/p95), and to its feed entry.
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import random
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from benchmarks.common import ROOT, stamp
from indexer.build import IndexConfig, current_version, ingest
from indexer.encoder import EncoderConfig
from indexer.validate import coerce_row
from ranking.standing.feed import published_matches
from ranking.standing.service import LiveConfig, LiveService
from records.errors import BackendUnavailableError, NotFoundError

TENANTS = ("acme-talent", "globex-hr")


def prepare(workdir: Path, profiles: int, seed: int) -> tuple[Path, dt.date]:
    from benchmarks.synth import generate

    corpus = workdir / "corpus"
    if not (corpus / "manifest.json").exists():
        print(f"generating {profiles:,} synthetic profiles ...", flush=True)
        generate(corpus, profiles=profiles, seed=seed, queries=0, progress=True)
    as_of = dt.date.fromisoformat(json.loads((corpus / "manifest.json").read_text())["as_of"])
    if current_version(workdir / "index") is None:
        print("indexing (static encoder) ...", flush=True)
        ingest([corpus / "profiles.parquet"], workdir / "index", _config(as_of), progress=True)
    return corpus, as_of


def run_copy(workdir: Path) -> Path:
    """A copy of the built index for this run (``<workdir>/run/index``): the writes are drawn with a fixed seed,
    so on an index earlier runs had written them to they would move few memberships (6 feed entries per upsert
    instead of 75 at 10,000 searches, measured). Every run starts from the index as built."""
    shutil.rmtree(workdir / "run", ignore_errors=True)
    shutil.copytree(workdir / "index", workdir / "run" / "index")
    return workdir / "run" / "index"


def _config(as_of: dt.date) -> IndexConfig:
    return IndexConfig(as_of=as_of, encoder=EncoderConfig(backend="static"))


def load_profiles(corpus: Path) -> list[dict]:
    rows = pq.read_table(corpus / "profiles.parquet").to_pylist()
    return [r for r in rows if r.get("owner_tenant") is None]


def make_searches(profiles: list[dict], n: int, rng: random.Random) -> list[tuple[str, dict]]:
    """(tenant, body) pairs drawn from the corpus's titles, skills and places."""
    out = []
    for i in range(n):
        p = rng.choice(profiles)
        title = next((x["title"] for x in p["positions"] or [] if x.get("title")), None) or "engineer"
        skills = [s for s in p["skills"] or [] if '"' not in s] or ["python"]
        words = title.replace('"', "").split()
        kind = i % 4
        if kind == 0:
            query = f'title:"{" ".join(words[-2:])}" AND skill:"{rng.choice(skills)}"'
        elif kind == 1:
            query = f'skill:"{rng.choice(skills)}" AND skill:"{rng.choice(skills)}"'
        elif kind == 2:
            query = f'title:{words[-1]} AND (skill:"{rng.choice(skills)}" OR skill:"{rng.choice(skills)}")'
        else:
            query = f'"{" ".join(words[-2:])}" NOT title:intern'
        filters: dict = {}
        loc = p.get("location") or {}
        if i % 3 == 0 and loc.get("lat") is not None:
            filters = {"lat": loc["lat"], "lon": loc["lon"], "radius_km": rng.choice([25, 50, 200])}
        elif i % 3 == 1:
            filters = {"min_years": rng.choice([2, 5, 8])}
        out.append((TENANTS[i % 2], {"name": f"bench-{i}", "query": query, "filters": filters}))
    return out


def make_writes(profiles: list[dict], n: int, rng: random.Random, latest: dt.date, *, deletes: float = 0.0,
                prefix: str = "") -> list[tuple[str, dict | str]]:
    """("upsert", record) / ("delete", candidate_id) ops: corpus profiles with another's title and skills."""
    ops, alive = [], [p["candidate_id"] for p in profiles]
    for i in range(n):
        if deletes and rng.random() < deletes:
            ops.append(("delete", alive.pop(rng.randrange(len(alive)))))
            continue
        base, donor = rng.choice(profiles), rng.choice(profiles)
        rec = dict(base)
        if prefix:
            rec["candidate_id"] = f"{prefix}{i}"
        rec["positions"] = [{**x, "title": (donor["positions"] or [{}])[0].get("title") or x.get("title")}
                            for x in base["positions"] or []]
        rec["skills"] = donor["skills"]
        ops.append(("upsert", coerce_row(rec, latest=latest)))
    return ops


def run_ops(svc: LiveService, ops, batch: int, stats: dict | None = None) -> float:
    """Apply ``ops`` in batches of consecutive upserts (deletes one by one, as the API does); seconds taken.
    ``stats`` gets ``feed_entries`` (entries the writes produced) and ``cpu_s`` (this process's CPU seconds:
    what the writes cost when other processes share the CPU)."""
    t0, c0, entries = time.perf_counter(), time.process_time(), 0
    i = 0
    while i < len(ops):
        if ops[i][0] == "delete":
            try:
                entries += svc.delete(ops[i][1], "root", admin=True).feed_entries
            except NotFoundError:     # deleted twice by the generator: not a write
                pass
            i += 1
            continue
        j = i
        while j < len(ops) and j - i < batch and ops[j][0] == "upsert":
            j += 1
        entries += svc.upsert_many([(k, ops[k][1]) for k in range(i, j)], "root", admin=True).feed_entries
        i = j
    if stats is not None:
        stats.update(feed_entries=entries, cpu_s=time.process_time() - c0)
    return time.perf_counter() - t0


def add_searches(svc: LiveService, bodies) -> float:
    t0 = time.perf_counter()
    for k, (tenant, body) in enumerate(bodies, 1):
        svc.create_search(tenant, body)
        if k % 1000 == 0:
            print(f"  {k:,} / {len(bodies):,} searches saved ({time.perf_counter() - t0:.0f} s)", flush=True)
    return time.perf_counter() - t0


def _fresh(path: Path) -> Path:
    """A standing-search directory of an earlier run would hold its searches too: start empty."""
    shutil.rmtree(path, ignore_errors=True)
    return path


def throughput(args, workdir: Path, as_of: dt.date, profiles, rng) -> dict:
    svc = LiveService(workdir / "run" / "index", _fresh(workdir / "standing-throughput"), LiveConfig(index=_config(as_of), fold_interval_s=0),
                      today=lambda: as_of)
    svc.warm()
    bodies = make_searches(profiles, max(args.searches), rng)
    out, have = {}, 0
    latest = as_of + dt.timedelta(days=365)
    for n in sorted(args.searches):
        if n > have:
            print(f"saving searches {have:,}..{n:,}", flush=True)
            out.setdefault("create_seconds", {})[str(n)] = round(add_searches(svc, bodies[have:n]), 1)
            have = n
        ops = make_writes(profiles, args.throughput_writes, rng, latest)
        stats: dict = {}
        secs = run_ops(svc, ops, args.batch, stats)
        fold = svc.fold()
        single = make_writes(profiles, args.single_writes, rng, latest)
        secs1 = run_ops(svc, single, 1)
        svc.fold()
        out[str(n)] = {"upserts": len(ops), "seconds": round(secs, 2), "upserts_per_s": round(len(ops) / secs, 1),
                       "cpu_seconds": round(stats["cpu_s"], 2), "upserts_per_cpu_s": round(len(ops) / stats["cpu_s"], 1),
                       "feed_entries_per_upsert": round(stats["feed_entries"] / len(ops), 1),
                       "fold_seconds": round(fold.seconds, 2),
                       "with_fold_upserts_per_s": round(len(ops) / (secs + fold.seconds), 1),
                       "single_write_upserts_per_s": round(len(single) / secs1, 1)}
        print(f"{n:>6} searches: {out[str(n)]}", flush=True)
        if args.profile and n == max(args.searches):     # more writes, untimed, under the profiler
            _profiled(args.profile, functools.partial(run_ops, svc, make_writes(profiles, args.throughput_writes, rng, latest),
                                                      args.batch))
            svc.fold()
    base = out[str(min(args.searches))]["upserts_per_s"]
    for n in args.searches:
        out[str(n)]["ratio_to_fewest_searches"] = round(out[str(n)]["upserts_per_s"] / base, 3)
    svc.close()
    return out


def _profiled(path: Path, fn) -> float:
    """Run ``fn`` under cProfile; write the top functions (by own time and by cumulative time) to ``path``."""
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    secs = prof.runcall(fn)
    buf = io.StringIO()
    for key in ("tottime", "cumulative"):
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(30)
    path.write_text("cProfile of the standing write path: more upserts in batches at the largest search count, after the"
                    f" timed ones ({secs:.2f} s under the profiler)\n" + buf.getvalue())
    print(f"profile written to {path}", flush=True)
    return secs


def exactness(args, workdir: Path, as_of: dt.date, profiles, rng) -> dict:
    svc = LiveService(workdir / "run" / "index", _fresh(workdir / "standing-exact"), LiveConfig(index=_config(as_of), fold_interval_s=0),
                      today=lambda: as_of)
    svc.fold()
    svc.warm()
    bodies = make_searches(profiles, args.exact_searches, random.Random(args.seed + 1))
    print(f"exactness: saving {len(bodies):,} searches", flush=True)
    add_searches(svc, bodies)
    searches = svc.store.list()
    snap = svc.reader.snapshot()
    before = {s.search_id: {c for c, _ in published_matches(snap, svc._matcher.searches[s.search_id], today=as_of)}
              for s in searches}
    ops = make_writes(profiles, args.writes, rng, as_of + dt.timedelta(days=365), deletes=0.2, prefix="")
    print(f"exactness: {len(ops):,} writes", flush=True)
    secs = run_ops(svc, ops, args.batch)
    svc.fold()
    snap = svc.reader.snapshot()
    missing = extra = twice = entries = 0
    for s in searches:
        members = set(before[s.search_id])
        for e in svc.store.feed(s.search_id, limit=10_000_000):
            entries += 1
            if (e.event == "entered") == (e.candidate_id in members):
                twice += 1
            members.add(e.candidate_id) if e.event == "entered" else members.discard(e.candidate_id)
        after = {c for c, _ in published_matches(snap, svc._matcher.searches[s.search_id], today=as_of)}
        missing += len(after - members)
        extra += len(members - after)
    svc.close()
    return {"searches": len(searches), "writes": len(ops), "deletes": sum(op == "delete" for op, _ in ops),
            "feed_entries": entries, "missing": missing, "extra": extra, "twice": twice,
            "seconds": round(secs, 1), "exact": missing == extra == twice == 0}


def freshness(args, workdir: Path, as_of: dt.date, profiles, rng) -> dict:
    svc = LiveService(workdir / "run" / "index", _fresh(workdir / "standing-fresh"),
                      LiveConfig(index=_config(as_of), fold_interval_s=args.fold_interval), today=lambda: as_of)
    svc.fold()
    bodies = make_searches(profiles, args.fresh_searches, random.Random(args.seed + 2))
    add_searches(svc, bodies)
    ops = make_writes(profiles, args.freshness_writes, rng, as_of + dt.timedelta(days=365),
                      prefix=f"fresh-{int(time.time())}-")   # new ids each run: "searchable" must mean this write
    svc.start()
    acked: dict[str, float] = {}
    seen: dict[str, float] = {}
    feed_lat: list[float] = []
    done = threading.Event()

    def poll():
        while not done.is_set() or len(seen) < len(acked):
            try:
                store = svc.reader.snapshot().store
            except BackendUnavailableError:
                time.sleep(0.05)
                continue
            now = time.time()
            for cid in [c for c in list(acked) if c not in seen]:
                if store.row_of(cid) is not None:
                    seen[cid] = now
            if done.is_set() and time.time() - max(acked.values(), default=now) > 120:
                return
            time.sleep(0.02)
    poller = threading.Thread(target=poll)
    poller.start()
    gap = 1.0 / args.rate
    for _, rec in ops:
        t0 = time.time()
        res = svc.put(rec["candidate_id"], rec, "root", admin=True)
        acked[rec["candidate_id"]] = time.time()
        feed_lat.append(time.time() - t0)       # the feed entries are committed before put returns
        del res
        time.sleep(max(0.0, gap - (time.time() - t0)))
    done.set()
    poller.join()
    svc.close()
    lat = np.array([seen[c] - acked[c] for c in acked if c in seen])
    fl = np.array(feed_lat)
    return {"writes": len(ops), "rate_per_s": args.rate, "fold_interval_s": args.fold_interval,
            "standing_searches": len(bodies), "searchable": len(lat),
            "write_to_searchable_s": {"p50": round(float(np.percentile(lat, 50)), 3), "p95": round(float(np.percentile(lat, 95)), 3),
                                      "max": round(float(lat.max()), 3)},
            "write_to_feed_s": {"p50": round(float(np.percentile(fl, 50)), 4), "p95": round(float(np.percentile(fl, 95)), 4)}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, default=None, help="default var/bench/standing-<profiles>")
    ap.add_argument("--searches", type=int, nargs="+", default=[0, 1000, 10_000])
    ap.add_argument("--throughput-writes", type=int, default=2000)
    ap.add_argument("--single-writes", type=int, default=200)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--writes", type=int, default=10_000, help="exactness: upserts and deletes")
    ap.add_argument("--exact-searches", type=int, default=1000)
    ap.add_argument("--freshness-writes", type=int, default=200)
    ap.add_argument("--fresh-searches", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=10.0, help="freshness: writes per second")
    ap.add_argument("--fold-interval", type=float, default=1.0)
    ap.add_argument("--profile", type=Path, default=None,
                    help="cProfile more upserts (untimed) at the largest search count, top functions written here")
    ap.add_argument("--skip", nargs="*", default=[], choices=["throughput", "exactness", "freshness"])
    args = ap.parse_args(argv)
    workdir = args.workdir or ROOT / "var" / "bench" / f"standing-{args.profiles}"
    corpus, as_of = prepare(workdir, args.profiles, args.seed)
    run_copy(workdir)
    profiles = load_profiles(corpus)
    rng = random.Random(args.seed)
    result = {"data": f"synthetic generator (benchmarks/synth), {args.profiles:,} profiles, seed {args.seed}, static encoder",
              "profiles": args.profiles, "batch": args.batch, **stamp()}
    name = ROOT / "benchmarks" / "results" / f"standing-{args.profiles}.json"
    for part, fn in (("throughput", throughput), ("exactness", exactness), ("freshness", freshness)):
        if part in args.skip:
            continue
        print(f"== {part}", flush=True)
        result[part] = fn(args, workdir, as_of, profiles, rng)
        print(json.dumps(result[part]), flush=True)
        name.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {name.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
