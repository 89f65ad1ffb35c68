"""Shared benchmark plumbing: machine/commit stamp, corpus + index preparation, judged query loading."""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def stamp() -> dict:
    """Commit and machine, recorded with every result."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip())
    except OSError:
        commit, dirty = "unknown", False
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    except OSError:
        pass
    return {"commit": commit + ("-dirty" if dirty else ""), "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpu": cpu or platform.processor(), "cores": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform()}}


def resident_bytes() -> dict[str, int]:
    """This process's resident memory: VmRSS, RssAnon (heap) and RssFile (mapped files), in bytes."""
    with open("/proc/self/status") as fh:
        fields = dict(line.split(":", 1) for line in fh if line.startswith(("VmRSS", "RssAnon", "RssFile")))
    return {k: int(v.split()[0]) * 1024 for k, v in fields.items()}


def resident_files(under: Path, *, top: int = 12) -> dict[str, float]:
    """Resident MB of this process's memory-mapped files below ``under`` (/proc/self/smaps), by file, largest first."""
    per: dict[str, int] = {}
    path = None
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split(None, 5)
            if len(head) >= 5 and "-" in head[0] and not line.startswith(("Rss", "Size")) and ":" not in head[0]:
                path = head[5].strip() if len(head) == 6 else None
            elif line.startswith("Rss:") and path and path.startswith(str(under)):
                per[path] = per.get(path, 0) + int(line.split()[1]) * 1024
    kinds: dict[str, int] = {}
    for p, b in per.items():              # by kind: the directory and the suffix (tantivy's segments are many files)
        key = f"{Path(p).parent.name}/*{Path(p).suffix}"
        kinds[key] = kinds.get(key, 0) + b
    def mb(d: dict[str, int]) -> dict[str, float]:
        return {k: round(b / 2**20, 1) for k, b in sorted(d.items(), key=lambda x: -x[1])[:top]}

    return {"by_kind": mb(kinds), "by_file": mb({str(Path(p).relative_to(under)): b for p, b in per.items()})}


def prepare(workdir: Path, profiles: int, seed: int, *, progress: bool = True):
    """Generate (once) and index (once) a synthetic corpus; returns (corpus_dir, index_dir, ingest_report or None)."""
    from benchmarks.synth import generate
    from indexer.build import IndexConfig, current_version, ingest

    corpus, index_dir = workdir / "corpus", workdir / "index"
    if not (corpus / "manifest.json").exists():
        generate(corpus, profiles=profiles, seed=seed, progress=progress)
    report = None
    if current_version(index_dir) is None:
        as_of = dt.date.fromisoformat(json.loads((corpus / "manifest.json").read_text())["as_of"])
        report = ingest([corpus / "profiles.parquet"], index_dir, IndexConfig(as_of=as_of), progress=progress)
    return corpus, index_dir, report


def load_queries(corpus: Path) -> list[dict]:
    return [json.loads(line) for line in (corpus / "queries.jsonl").read_text().splitlines() if line.strip()]


def load_qrels(corpus: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in (corpus / "qrels.txt").read_text().splitlines():
        qid, _, cid, grade = line.split()
        if int(grade) > 0:
            qrels.setdefault(qid, {})[cid] = int(grade)
    return qrels


def write_result(name: str, payload: dict) -> Path:
    out = ROOT / "benchmarks" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**stamp(), **payload}, indent=2, default=str))
    return out
