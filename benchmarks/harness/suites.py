"""Benchmark suites: a corpus in the profile schema, judged queries and graded judgments.

A ``Suite`` is everything the runner needs: the profile files to index, how to index them
(encoder/index configuration, the engine's clock), the queries and the qrels
(``{query_id: {candidate_id: grade}}``, grades > 0 only). Named suites are built by the loaders
in ``SUITES``; any directory with profiles, queries and judgments is a user suite.

Third-party sets (SciFact, TalentCLEF) are read from a data directory that exists only on the
benchmark machine; a missing folder raises ``SuiteUnavailableError`` naming it.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from records.errors import TalentSearchError

# part of every fingerprint: bump a suite's number when its adapter writes profiles differently
ADAPTER_VERSIONS = {"scifact": 1, "talentclef-en": 2, "synthetic": 1, "user": 1}
_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = _ROOT.parent / "shared" / "data"


class SuiteUnavailableError(TalentSearchError):
    """A suite whose data is missing or malformed; the message names the folder or file."""


@dataclass(frozen=True)
class BenchQuery:
    query_id: str
    query: str
    syntax: str = "keywords"              # "keywords", "boolean" or "auto"
    filters: dict | None = None           # Filters.from_dict input
    tenant_id: str | None = None
    kind: str | None = None               # free label (e.g. boolean/natural) for breakdowns


@dataclass(frozen=True)
class SuiteOptions:
    data_dir: Path = DEFAULT_DATA_DIR
    workdir: Path = _ROOT / "var" / "bench"   # each suite caches under workdir/<suite name>/
    profiles: int | None = None               # synthetic only
    seed: int = 42
    queries: int | None = None
    progress: bool = True


@dataclass
class Suite:
    """``profiles``: files for ``indexer.build.ingest``; ``build``: writes them when not cached."""

    name: str
    workdir: Path
    queries: list[BenchQuery]
    qrels: dict[str, dict[str, int]]
    profiles: list[Path]
    fingerprint: str                         # changes whenever the indexed corpus would change
    as_of: dt.date | None = None             # the engine's clock and ingest's as_of
    max_seq_length: int = 128
    dense_max_chars: int = 700
    field_boosts: tuple[tuple[str, float], ...] = ()   # unscoped keyword boosts; () = the profile defaults
    description: str = ""
    references: dict[str, dict[str, float]] = field(default_factory=dict)   # published numbers
    build: Callable[[], None] | None = None  # materialises ``profiles`` (adapters, generator)

    @property
    def index_dir(self) -> Path:
        return self.workdir / "index"

    def judged_queries(self) -> list[BenchQuery]:
        return [q for q in self.queries if q.query_id in self.qrels]


# --------------------------------------------------------------------------- readers

def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """TREC (``qid 0 docid grade``), BEIR TSV (``qid docid grade`` with a header) or a table
    (CSV/Parquet with query_id, candidate_id, grade). Grades <= 0 are dropped."""
    path = Path(path)
    rows: list[tuple[str, str, int]] = []
    if path.suffix in (".csv", ".parquet"):
        rows = [(str(r["query_id"]), str(r["candidate_id"]), int(r["grade"])) for r in _table_rows(path, ("query_id", "candidate_id", "grade"))]
    else:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) not in (3, 4):
                raise SuiteUnavailableError(f"{path}:{n}: a qrels line has 4 columns (qid 0 docid grade) or 3 (qid docid grade), got {len(parts)}")
            try:
                grade = int(float(parts[-1]))
            except ValueError:
                if n == 1:
                    continue                    # header line
                raise SuiteUnavailableError(f"{path}:{n}: grade {parts[-1]!r} is not a number") from None
            rows.append((parts[0], parts[-2], grade))
    qrels: dict[str, dict[str, int]] = {}
    for qid, cid, grade in rows:
        if grade > 0:
            qrels.setdefault(qid, {})[cid] = grade
    return qrels


def read_queries(path: Path, *, default_syntax: str = "keywords") -> list[BenchQuery]:
    """JSONL (query_id, query, optional filters/syntax/tenant_id/kind) or TSV ``query_id<TAB>query``."""
    path = Path(path)
    out = []
    if path.suffix == ".jsonl":
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                q = json.loads(line)
                out.append(BenchQuery(str(q["query_id"]), q["query"], q.get("syntax") or default_syntax,
                                      q.get("filters"), q.get("tenant_id"), q.get("kind")))
            except (ValueError, KeyError, TypeError) as exc:
                raise SuiteUnavailableError(f"{path}:{n}: a query line needs JSON with query_id and query ({exc})") from None
    else:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                raise SuiteUnavailableError(f"{path}:{n}: expected query_id<TAB>query")
            if n == 1 and parts[0].lower() in ("query_id", "q_id", "qid", "id", "c_id", "doc_id", "candidate_id"):
                continue
            out.append(BenchQuery(parts[0], parts[1], default_syntax))
    return out


def _table_rows(path: Path, required: tuple[str, ...]) -> list[dict]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
    else:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    missing = [c for c in required if rows and c not in rows[0]]
    if missing:
        raise SuiteUnavailableError(f"{path}: missing column(s) {missing}")
    return rows


def _require(*paths: Path, what: str) -> None:
    for p in paths:
        if not p.exists():
            raise SuiteUnavailableError(
                f"{what}: {p} is missing. This is benchmark-only data (never shipped with talentsearch); "
                f"put it there or pass --data-dir")


def _digest(*parts) -> str:
    """Fingerprint of a suite's inputs; the shipped taxonomy is always one (ingest derives occupations with it)."""
    from records.taxonomy import DEFAULT_PATH as TAXONOMY

    h = hashlib.blake2b(digest_size=12)
    for part in (TAXONOMY, *parts):
        if isinstance(part, Path):
            with open(part, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _write_profiles(rows: list[dict], path: Path) -> None:
    """Rows as dicts in PROFILE_SCHEMA shape (missing keys = null) to Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from records.schema import PROFILE_SCHEMA

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist([{n: r.get(n) for n in PROFILE_SCHEMA.names} for r in rows], schema=PROFILE_SCHEMA)
    tmp = path.with_suffix(".tmp.parquet")
    pq.write_table(table, tmp)
    tmp.replace(path)


# --------------------------------------------------------------------------- named suites

def scifact(opts: SuiteOptions) -> Suite:
    """BEIR SciFact test split: each abstract is a profile (headline = title, summary = text)."""
    root = opts.data_dir / "beir_scifact"
    corpus, queries_path, qrels_path = root / "corpus.jsonl", root / "queries.jsonl", root / "qrels" / "test.tsv"
    _require(root, corpus, queries_path, qrels_path, what="suite scifact needs BEIR SciFact")
    workdir = opts.workdir / "scifact"
    out = workdir / "profiles.parquet"

    def build() -> None:
        rows = []
        for line in corpus.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                rows.append({"candidate_id": str(d["_id"]), "headline": d.get("title") or None, "summary": d.get("text") or None})
        _write_profiles(rows, out)

    queries = [BenchQuery(str(q["_id"]), q["text"], "keywords")
               for q in map(json.loads, filter(str.strip, queries_path.read_text(encoding="utf-8").splitlines()))]
    return Suite("scifact", workdir, queries, read_qrels(qrels_path), [out],
                 _digest(ADAPTER_VERSIONS["scifact"], "scifact", corpus, 256, 2000), as_of=dt.date(2025, 1, 1),
                 max_seq_length=256, dense_max_chars=2000,
                 # documents, not profiles: title (headline) and abstract (summary) weigh the same
                 field_boosts=(("headline", 1.0), ("summary", 1.0)),
                 description="BEIR SciFact, test split (300 claims, 5,183 abstracts); headline=title, summary=abstract",
                 references={"BM25 (BEIR, Elasticsearch multifield)": {"ndcg@10": 0.665},
                             "BM25 (Pyserini flat, k1=0.9 b=0.4)": {"ndcg@10": 0.6789},
                             "all-MiniLM-L6-v2 (MTEB, 256 tokens)": {"ndcg@10": 0.645}},
                 build=build)


def talentclef_en(opts: SuiteOptions) -> Suite:
    """TalentCLEF 2025 task A, English validation: job title -> job titles, each a one-position profile."""
    root = opts.data_dir / "talentclef_en"
    corpus, queries_path, qrels_path = root / "corpus_elements.tsv", root / "queries.tsv", root / "qrels.tsv"
    _require(root, corpus, queries_path, qrels_path, what="suite talentclef-en needs TalentCLEF 2025 task A (English)")
    workdir = opts.workdir / "talentclef-en"
    out = workdir / "profiles.parquet"
    start = dt.date(2020, 1, 1)

    def build() -> None:
        rows = []
        for q in read_queries(corpus):      # same two-column layout: c_id<TAB>jobtitle
            rows.append({"candidate_id": q.query_id, "headline": q.query,
                         "positions": [{"title": q.query, "start": start, "end": None}]})
        _write_profiles(rows, out)

    return Suite("talentclef-en", workdir, read_queries(queries_path), read_qrels(qrels_path), [out],
                 _digest(ADAPTER_VERSIONS["talentclef-en"], "talentclef-en", corpus, 128, 700), as_of=dt.date(2025, 1, 1),
                 description="TalentCLEF 2025 task A, English validation (job title -> job titles)",
                 build=build)


def synthetic(opts: SuiteOptions, *, name: str = "synthetic", profiles: int = 20_000, queries: int = 240) -> Suite:
    """A corpus from ``benchmarks.synth.generate``; Boolean queries run as Boolean, natural ones as keywords."""
    profiles = opts.profiles or profiles
    queries = opts.queries or queries
    workdir = opts.workdir / f"{name}-{profiles}-{opts.seed}-q{queries}"
    corpus = workdir / "corpus"
    if not (corpus / "manifest.json").exists():
        from benchmarks.synth import generate

        generate(corpus, profiles=profiles, seed=opts.seed, queries=queries, progress=opts.progress)
    as_of = dt.date.fromisoformat(json.loads((corpus / "manifest.json").read_text())["as_of"])
    qs = []
    for line in (corpus / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            qs.append(BenchQuery(q["query_id"], q["query"], "boolean" if q["kind"] == "boolean" else "keywords",
                                 q.get("filters"), q.get("tenant_id"), q["kind"]))
    profiles_path = corpus / "profiles.parquet"
    return Suite(name, workdir, qs, read_qrels(corpus / "qrels.txt"), [profiles_path],
                 _digest(ADAPTER_VERSIONS["synthetic"], name, profiles_path, 128, 700, as_of), as_of=as_of,
                 description=f"synthetic corpus: {profiles:,} profiles, seed {opts.seed}, {queries} queries")


def synthetic_smoke(opts: SuiteOptions) -> Suite:
    """800 profiles, 60 queries: the CI smoke suite (about 30 s end to end on 2 cores)."""
    return synthetic(SuiteOptions(opts.data_dir, opts.workdir, None, 42, None, opts.progress),
                     name="synthetic-smoke", profiles=800, queries=60)


SUITES: dict[str, Callable[[SuiteOptions], Suite]] = {
    "scifact": scifact,
    "talentclef-en": talentclef_en,
    "synthetic": synthetic,
    "synthetic-smoke": synthetic_smoke,
}


# --------------------------------------------------------------------------- user suites

_PROFILE_NAMES = ("profiles.parquet", "profiles.jsonl")
_QUERY_NAMES = ("queries.jsonl", "queries.tsv")
_QREL_NAMES = ("qrels.txt", "qrels.tsv", "qrels", "judgments.csv", "judgments.parquet", "qrels.csv", "qrels.parquet")


def user_suite(path: Path, opts: SuiteOptions) -> Suite:
    """A directory with profiles.{parquet,jsonl}, queries.{jsonl,tsv} and qrels (TREC) or
    judgments.{csv,parquet}; optional suite.json: {"as_of": "YYYY-MM-DD", "syntax": "keywords"}."""
    path = Path(path)
    if not path.is_dir():
        raise SuiteUnavailableError(f"suite {str(path)!r}: not a known suite ({', '.join(SUITES)}) nor a directory")
    meta = json.loads((path / "suite.json").read_text()) if (path / "suite.json").exists() else {}

    def find(names, what):
        for n in names:
            if (path / n).exists():
                return path / n
        raise SuiteUnavailableError(f"suite {path}: no {what} file (looked for {', '.join(names)})")

    profiles = find(_PROFILE_NAMES, "profiles")
    queries = read_queries(find(_QUERY_NAMES, "queries"), default_syntax=meta.get("syntax", "keywords"))
    qrels = read_qrels(find(_QREL_NAMES, "judgments"))
    as_of = dt.date.fromisoformat(meta["as_of"]) if meta.get("as_of") else None
    name = meta.get("name") or path.resolve().name
    return Suite(name, opts.workdir / f"user-{name}-{_digest(str(path.resolve()))[:8]}", queries, qrels, [profiles],
                 _digest(ADAPTER_VERSIONS["user"], profiles, 128, 700, as_of), as_of=as_of,
                 description=meta.get("description", f"user suite at {path}"))


def load_suite(name_or_path: str | Path, opts: SuiteOptions = SuiteOptions()) -> Suite:
    """A named suite (``SUITES``) or a user suite directory; raises SuiteUnavailableError."""
    key = str(name_or_path)
    if key in SUITES:
        suite = SUITES[key](opts)
    else:
        suite = user_suite(Path(key), opts)
    if not suite.judged_queries():
        raise SuiteUnavailableError(f"suite {suite.name}: no query has a positive judgment")
    return suite
