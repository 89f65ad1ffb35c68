"""Where an ingest spends its time and memory: each stage's wall and CPU seconds and resident-memory peak.

    python -m benchmarks.ingest_stages --profiles 100000 --work /tmp/scale                 # this checkout
    python -m benchmarks.ingest_stages --profiles 100000 --work /tmp/scale --source /work/main --tag before

Runs ``indexer.build.ingest`` in this process on ``benchmarks.synth`` generated profiles (``--rebuild``, random
imported vectors, ivf-sq8; corpus and vectors made once under ``--work`` as ``benchmarks.scale_e2e`` makes
them), with the private stage functions of ``indexer.build`` wrapped to note when each starts and ends, and a
thread reading the process's resident memory every 20 ms. CPU seconds are the whole process's (tantivy's
threads included), so two runs under different load compare better by CPU than by wall time.
``--source DIR`` imports ``indexer`` from another checkout (an older commit as the baseline).
Writes benchmarks/results/ingest-stages-<N>-<tag>.json.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

from benchmarks.common import ROOT, stamp

STAGES = ("_read_all", "read_vectors", "_content_hashes", "_plan", "derive", "derive_batches", "_merge_store",
          "_write_lexical", "_write_termstats", "_write_dense", "_manifest", "_publish")


class StageMeter:
    """Per stage: wall and CPU seconds, resident MB at start and end, and the highest resident MB sampled."""

    def __init__(self, every_s: float = 0.02):
        self.stage, self.rows, self.peak = "start", [], {}
        threading.Thread(target=self._sample, args=(every_s,), daemon=True).start()

    @staticmethod
    def resident_mb() -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20

    def _sample(self, every_s: float) -> None:
        while True:
            mb, stage = self.resident_mb(), self.stage
            self.peak[stage] = max(self.peak.get(stage, 0), mb)
            time.sleep(every_s)

    def wrap(self, owner, name: str, label: str | None = None) -> None:
        fn, label = getattr(owner, name), label or name

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            outer, self.stage = self.stage, label
            t0, c0, r0 = time.perf_counter(), time.process_time(), self.resident_mb()
            try:
                return fn(*args, **kwargs)
            finally:
                self.rows.append({"stage": label, "wall_s": round(time.perf_counter() - t0, 1),
                                  "cpu_s": round(time.process_time() - c0, 1), "resident_start_mb": r0,
                                  "resident_end_mb": self.resident_mb(), "resident_peak_mb": self.peak.get(label, r0)})
                self.stage = outer
        setattr(owner, name, timed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    ap.add_argument("--source", type=Path, default=None, help="import indexer from this checkout instead")
    ap.add_argument("--tag", default="head")
    args = ap.parse_args(argv)
    if args.source is not None:
        # the code under test is chosen at run time: put that checkout first before indexer is imported
        sys.path.insert(0, str(args.source.resolve()))
    from api.settings import Settings
    from benchmarks.scale_e2e import make_vectors
    from benchmarks.synth import generate
    from indexer import build
    from indexer.store import ProfileStore

    work = args.work / f"scale-{args.profiles}"
    corpus, vectors = work / "corpus", work / "vectors-random.parquet"
    if not (corpus / "manifest.json").exists():
        generate(corpus, profiles=args.profiles, seed=args.seed, progress=True)
    if not vectors.exists():
        make_vectors(corpus, vectors, "random", args.seed)
    meter = StageMeter()
    for name in STAGES:
        if hasattr(build, name):
            meter.wrap(build, name)
    meter.wrap(ProfileStore, "save", "store.save")
    as_of = dt.date.fromisoformat(json.loads((corpus / "manifest.json").read_text())["as_of"])
    index_dir = work / f"index-stages-{args.tag}"
    config = dataclasses.replace(Settings(index_dir=index_dir, vector_kind="ivf-sq8").index_config(), as_of=as_of)
    load = os.getloadavg()
    t0, c0 = time.perf_counter(), time.process_time()
    report = build.ingest([corpus / "profiles.parquet"], index_dir, config, rebuild=True, progress=False, vectors=vectors)
    result = {"benchmark": "ingest-stages", **stamp(), "tag": args.tag, "source": str(args.source or ROOT),
              "indexer_file": build.__file__, "profiles": report.total,
              "data": f"benchmarks.synth generated profiles (seed {args.seed}), random imported vectors, ivf-sq8",
              "wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(time.process_time() - c0, 1),
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10,
              "load_avg_start": [round(x, 2) for x in load], "load_avg_end": [round(x, 2) for x in os.getloadavg()],
              "report_seconds": {k: round(v, 1) for k, v in report.seconds.items()}, "stages": meter.rows}
    out = ROOT / "benchmarks" / "results" / f"ingest-stages-{args.profiles}-{args.tag}.json"
    out.write_text(json.dumps(result, indent=2))
    for row in meter.rows:
        print(f"{row['stage']:18s} wall {row['wall_s']:7.1f} s  cpu {row['cpu_s']:7.1f} s  resident {row['resident_start_mb']:6d}"
              f" -> {row['resident_end_mb']:6d} MB, peak {row['resident_peak_mb']:6d} MB")
    print(f"wall {result['wall_s']} s, cpu {result['cpu_s']} s, peak RSS {result['peak_rss_mb']} MB; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
