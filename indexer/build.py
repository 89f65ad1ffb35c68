"""Ingest: validate, derive, then publish a new index version atomically.

Layout of an index directory::

    CURRENT                      name of the live version (replaced atomically)
    versions/v000007/            manifest.json, profiles.parquet, lexical/ (tantivy), dense/ (FAISS)
    rejects/<time>.jsonl         one line per input row not indexed, and per input file not read:
                                 source, row (null for a whole file), candidate_id, reason

A new version is assembled in a temporary directory from the previous one (tantivy segments are
immutable, so they are hard-linked) and only then named in CURRENT; a crash at any point leaves
the previous version searchable, and the next run removes what the crashed one left behind.
Re-running the same input changes nothing (content hashes). Inputs are read by ``indexer.inputs``:
a file that cannot be read is reported as a whole and the other files are indexed; when no input
could be read, or every row was rejected, nothing is published.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm

from indexer.derive import derive_batches
from indexer.documents import dense_text
from indexer.encoder import EncoderConfig, MiniLMEncoder, model_identity, open_encoder, same_model
from indexer.imported import DenseModel, ImportedVectors, read_vectors
from indexer.inputs import FileNote, Inputs, read_inputs
from indexer.lexical import TantivyLexicalIndex
from indexer.store import ProfileStore
from indexer.termstats import BATCH as TERMSTATS_BATCH
from indexer.termstats import FILE as TERMSTATS_FILE
from indexer.termstats import StatsWriter, TermStats
from indexer.termstats import build_table as build_termstats
from indexer.validate import Reject, latest_date
from indexer.vectors import FaissVectorIndex, VectorIndexConfig
from records import durable
from records.errors import NotFoundError, ValidationError
from records.schema import INDEXED_SCHEMA

log = logging.getLogger(__name__)
MANIFEST_KIND = "talentsearch-index"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class IndexConfig:
    as_of: dt.date | None = None          # reference date for experience/tenure; None = today
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    vectors: VectorIndexConfig = field(default_factory=VectorIndexConfig)
    batch_rows: int = 20_000
    encode_batch: int = 64
    dense_max_chars: int = 700            # profile text cut for the encoder (max_seq_length truncates too)
    keep_versions: int = 2
    opensearch: object | None = None      # an OpenSearchConfig: lexical side on a cluster (None = tantivy)


@dataclass(frozen=True)
class IngestReport:
    version: str
    added: int
    updated: int
    unchanged: int
    deleted: int
    rejected: int                          # invalid rows
    total: int
    rejects_path: str | None
    seconds: dict
    duplicates: int = 0                    # rows replaced by a later copy of their candidate_id
    files: tuple[str, ...] = ()            # input files read
    unreadable: tuple[FileNote, ...] = ()  # inputs not read at all (path, reason): none of their rows indexed
    skipped: tuple[FileNote, ...] = ()     # directory entries that are not profile files
    vectors_imported: int = 0              # profiles whose vector came from a --vectors file
    vectors_rejected: int = 0              # rows of the --vectors file not used (each in the rejects file)
    dense_model: dict | None = None        # the model of the version's vectors: model, dim, source


def current_version(index_dir: str | Path) -> Path | None:
    """Directory of the live version, or None for an empty index."""
    index_dir = Path(index_dir)
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    path = index_dir / "versions" / pointer.read_text().strip()
    if not (path / "manifest.json").exists():
        raise NotFoundError(f"index at {index_dir} names version {path.name}, which is missing")
    return path


def ingest(paths, index_dir: str | Path, config: IndexConfig = IndexConfig(), *, delete_ids=(),
           rebuild: bool = False, progress: bool = True, encoder=None, on_bulk_progress=None,
           vectors: str | Path | None = None, vectors_model: str | None = None) -> IngestReport:
    """Upsert the profiles in ``paths`` (Parquet/JSONL files, or directories of them) and delete
    ``delete_ids``; publish a new version.

    An input that cannot be read is listed in ``IngestReport.unreadable`` and the other inputs are
    indexed; when no input could be read, or every row was rejected, ``ValidationError`` says why
    and nothing is published. With ``config.opensearch`` the lexical side goes to the cluster;
    ``on_bulk_progress(n)`` is called with the running count of documents it acknowledged.

    ``vectors``: a Parquet file of (candidate_id, vector) computed elsewhere (``indexer.imported``); those
    profiles are not encoded here. Every version records the model of its vectors; an upsert must keep
    it (imported vectors of another model, or local encoding into an index of imported vectors of
    another model, is a ValidationError: ``rebuild`` to switch models). A profile that gets no vector
    (none in the file, and the local encoder is another model) is rejected with that reason.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    timings: dict[str, float] = {}
    with _locked(index_dir):
        _remove_stale_temporaries(index_dir)
        t0 = time.perf_counter()
        inputs = _read_all(paths, config, progress)
        prev_dir = None if rebuild else current_version(index_dir)
        imported = read_vectors(vectors, model=vectors_model) if vectors is not None else None
        prev = ProfileStore.load(prev_dir) if prev_dir else ProfileStore.empty()
        hashes = inputs.hashes
        dense_model, inputs, hashes = _dense_model(inputs, hashes, prev, prev_dir, imported, config, encoder)
        rejects_path = _write_rejects(index_dir, [*inputs.reject_lines(), *(imported.rejects if imported else ())])
        timings["read_validate"] = time.perf_counter() - t0
        if paths and not inputs.table.num_rows and (inputs.unreadable or inputs.rejects):
            raise ValidationError(_nothing_to_index(inputs, rejects_path))
        for note in inputs.unreadable:          # in the report too: callers decide how loud to be
            log.info("%s: not read (%s): none of its rows is indexed", note.path, note.reason)
        t0 = time.perf_counter()
        plan = _plan(prev, inputs.table.append_column("content_hash", hashes), set(delete_ids))
        # from here on only the plan's rows are held (no copy of them when every input row is new or changed)
        inputs = dataclasses.replace(inputs, table=inputs.table.schema.empty_table(), hashes=pa.array([], pa.string()))
        hashes = None
        timings["plan"] = time.perf_counter() - t0
        if not plan.changes and prev_dir is not None:
            ensure_termstats(prev_dir, prev, progress=progress)
            return IngestReport(prev_dir.name, 0, 0, plan.unchanged, 0, total=len(prev), rejects_path=rejects_path,
                                seconds=timings, dense_model=dense_model.to_dict(), **_input_counts(inputs))

        t0 = time.perf_counter()
        as_of = config.as_of or dt.date.today()
        fresh = derive_batches(plan.upserts, as_of=as_of, batch_rows=config.batch_rows)
        ords = pa.array(np.arange(prev.n_ord, prev.n_ord + fresh.num_rows, dtype=np.int64))
        fresh = fresh.add_column(0, "ord", ords).select(INDEXED_SCHEMA.names).cast(INDEXED_SCHEMA)
        plan.upserts = plan.upserts.schema.empty_table()    # (a slice would keep the rows' buffers alive)
        timings["derive"] = time.perf_counter() - t0

        version = _next_version(index_dir)
        tmp = index_dir / "versions" / f".{version}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            removed_ids = plan.replaced_ids + plan.deleted_ids
            removed_ords = [prev.ord_of(c) for c in removed_ids]
            store = _merge_store(prev, fresh, set(removed_ids))
            stats = StatsWriter(tmp)
            if config.opensearch is not None:
                from indexer.opensearch.sync import write_version

                lexical = write_version(config.opensearch, version, prev_dir.name if prev_dir else None, fresh=fresh,
                                        removed_ids=removed_ids, store_table=store.table,
                                        rejects_dir=index_dir / "rejects", progress=progress, on_progress=on_bulk_progress)
                timings["lexical"] = lexical["seconds"]
                timings["termstats"] = _write_termstats(prev_dir, prev, stats, removed_ords, fresh, progress)
            else:
                lexical = {"backend": "tantivy"}
                previous_s = _write_termstats(prev_dir, prev, stats, removed_ords, None, progress)
                total_s, fresh_s = _write_lexical(prev_dir, tmp, fresh, removed_ids, progress, prev_store=prev, stats=stats)
                timings["lexical"], timings["termstats"] = total_s - fresh_s, previous_s + fresh_s
            stats.close()
            dense_in = _dense_input(fresh, imported, config)
            t0 = time.perf_counter()
            store.save(tmp, previous=prev, progress=progress)   # parquet, mapped arrow, rows for hydration
            timings["store"] = time.perf_counter() - t0
            facts = _store_facts(store)
            # the rows are on disk now: let them go before the vectors are read and indexed
            store = fresh = prev = None
            pa.default_memory_pool().release_unused()
            timings["dense"], n_imported = _write_dense(prev_dir, tmp, dense_in, removed_ords, config, progress, encoder,
                                                        imported, dense_model.dim)
            manifest = _manifest(version, facts, config, as_of, timings)
            manifest["dense"] = dense_model.to_dict()
            manifest["lexical"] = {"backend": "opensearch", "index": lexical["index"]} if config.opensearch is not None else lexical
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
            if config.opensearch is not None:
                from indexer.opensearch.sync import publish

                kept = sorted(p.name for p in (index_dir / "versions").iterdir() if p.name.startswith("v"))
                publish(config.opensearch, version, kept[-(config.keep_versions - 1):] if config.keep_versions > 1 else [])
            _publish(index_dir, tmp, version, config.keep_versions)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return IngestReport(version, plan.added, len(plan.replaced_ids), plan.unchanged, len(plan.deleted_ids),
                            total=facts["profiles"], rejects_path=rejects_path, seconds=timings, vectors_imported=n_imported,
                            vectors_rejected=len(imported.rejects) if imported else 0,
                            dense_model=dense_model.to_dict(), **_input_counts(inputs))


def _input_counts(inputs: Inputs) -> dict:
    """The IngestReport fields that describe the inputs."""
    return {"rejected": len(inputs.rejects), "duplicates": len(inputs.duplicates), "files": inputs.files,
            "unreadable": inputs.unreadable, "skipped": inputs.skipped}


def _nothing_to_index(inputs: Inputs, rejects_path: str | None) -> str:
    if not inputs.files:
        why = "no input could be read"
    elif not inputs.unreadable:
        why = f"every row was rejected ({len(inputs.rejects)} of them)"
    else:
        why = f"{len(inputs.unreadable)} input(s) could not be read and every row of the others was rejected"
    lines = [f"nothing to index: {why}; the index is unchanged"]
    lines += [f"  {n.path}: {n.reason}" for n in inputs.unreadable]
    lines += [f"  {r.source} row {r.row}: {r.reason}" for r in inputs.rejects[:5]]
    if len(inputs.rejects) > 5:
        lines.append(f"  ... and {len(inputs.rejects) - 5} more rejected rows")
    if rejects_path:
        lines.append(f"every problem is listed in {rejects_path}")
    return "\n".join(lines)


@dataclass
class _Plan:
    upserts: pa.Table
    replaced_ids: list[str]
    deleted_ids: list[str]
    added: int
    unchanged: int

    @property
    def changes(self) -> int:
        return self.upserts.num_rows + len(self.deleted_ids)


def _plan(prev: ProfileStore, incoming: pa.Table, delete_ids: set[str]) -> _Plan:
    ids = incoming.column("candidate_id").to_pylist()
    hashes = incoming.column("content_hash").to_pylist()
    prev_hash = dict(zip(prev.table.column("candidate_id").to_pylist(), prev.table.column("content_hash").to_pylist()))
    keep, replaced, added, unchanged = [], [], 0, 0
    for i, (cid, h) in enumerate(zip(ids, hashes)):
        if cid in delete_ids:
            continue
        old = prev_hash.get(cid)
        if old == h:
            unchanged += 1
            continue
        keep.append(i)
        if old is None:
            added += 1
        else:
            replaced.append(cid)
    deleted = sorted(c for c in delete_ids if c in prev_hash)
    upserts = incoming if len(keep) == incoming.num_rows else incoming.take(pa.array(keep, pa.int64()))
    return _Plan(upserts, replaced, deleted, added, unchanged)


def _read_all(paths: list, config: IndexConfig, progress: bool) -> Inputs:
    def bar(path: Path, total: int | None):
        return tqdm(total=total, desc=f"validate {path.name}", unit="row")

    return read_inputs(paths, batch_rows=config.batch_rows, latest=latest_date(config.as_of),
                       progress=bar if progress else None)


def _write_lexical(prev_dir, tmp: Path, fresh: pa.Table, removed_ids, progress, prev_store=None,
                   stats: StatsWriter | None = None) -> tuple[float, float]:
    """The version's tantivy index; the fresh rows' term statistics go to ``stats`` in the same pass (one
    ``to_pylist`` per batch for both). Returns (seconds in all, of which term statistics)."""
    t0, in_stats = time.perf_counter(), 0.0
    if prev_dir is not None and (prev_dir / "lexical").exists():
        TantivyLexicalIndex(prev_dir / "lexical").copy_to(tmp / "lexical")
        lex = TantivyLexicalIndex(tmp / "lexical")
    else:
        lex = TantivyLexicalIndex(tmp / "lexical", create=True)
        if prev_dir is not None and prev_store is not None:
            # the previous version lives on OpenSearch only: load its surviving profiles here
            gone = set(removed_ids)
            survivors = [p for b in prev_store.table.to_batches(5_000) for p in b.to_pylist() if p["candidate_id"] not in gone]
            lex.add(survivors)
            removed_ids = []
    lex.delete(removed_ids)
    desc = "lexical index + term stats" if stats is not None else "lexical index"
    with tqdm(total=fresh.num_rows, desc=desc, unit="doc", disable=not progress) as bar:
        for batch in fresh.to_batches(TERMSTATS_BATCH):
            records = batch.to_pylist()
            lex.add(records)
            if stats is not None:
                t1 = time.perf_counter()
                stats.add(records)
                in_stats += time.perf_counter() - t1
            bar.update(batch.num_rows)
    lex.commit()
    return time.perf_counter() - t0, in_stats


@dataclass(frozen=True)
class _DenseInput:
    """What the vector stage needs of the fresh rows, taken before they are let go."""
    ords: np.ndarray                     # int64, each fresh row's ord
    where: np.ndarray                    # fresh rows whose vector was imported ...
    rows: np.ndarray                     # ... and their rows in ``imported.vectors``
    todo: np.ndarray                     # fresh rows to encode here
    texts: list[str]                     # their dense texts


def _dense_input(fresh: pa.Table, imported: ImportedVectors | None, config: IndexConfig) -> _DenseInput:
    n = fresh.num_rows
    where, rows = imported.lookup(fresh.column("candidate_id").to_pylist()) if imported else (np.zeros(0, np.int64),) * 2
    todo = np.setdiff1d(np.arange(n), where)
    texts = []
    if len(todo):
        sub = fresh if len(todo) == n else fresh.take(pa.array(todo))
        texts = [dense_text(p, max_chars=config.dense_max_chars) for b in sub.to_batches(10_000) for p in b.to_pylist()]
    return _DenseInput(fresh.column("ord").to_numpy(), where, rows, todo, texts)


def _write_dense(prev_dir, tmp: Path, given: _DenseInput, removed_ords, config: IndexConfig, progress, encoder,
                 imported: ImportedVectors | None, dim: int) -> tuple[float, int]:
    """Write the version's vector index: imported vectors where given, the rest encoded here (the encoder is
    loaded only when something needs encoding). Returns (seconds, how many vectors were imported)."""
    t0 = time.perf_counter()
    n, where, rows = len(given.ords), given.where, given.rows
    in_order = imported is not None and len(where) == n == len(imported.ids) and _identity(where) and _identity(rows)
    vectors = imported.vectors if in_order else np.empty((n, dim), np.float32)   # the file's own order: no copy
    if len(given.todo):
        encoder = encoder or (MiniLMEncoder(config.encoder) if config.encoder.backend != "static"
                              else open_encoder(config.encoder))
        vectors[given.todo] = encoder.encode(given.texts, batch_size=config.encode_batch, progress=progress)
    if len(where) and not in_order:
        vectors[where] = imported.vectors[rows]
    ords = given.ords
    if prev_dir is not None:
        index = FaissVectorIndex.load(prev_dir / "dense", config.vectors)
        if removed_ords:
            index.remove(np.asarray(removed_ords, dtype=np.int64))
        if len(ords):
            index.add(ords, vectors)
    else:
        index = FaissVectorIndex.build(ords, vectors, config.vectors)
    index.save(tmp / "dense")
    return time.perf_counter() - t0, len(where)


def _dense_model(inputs: Inputs, hashes: pa.Array, prev: ProfileStore, prev_dir: Path | None,
                 imported: ImportedVectors | None, config: IndexConfig, encoder) -> tuple[DenseModel, Inputs, pa.Array]:
    """The model of the next version's vectors, and the inputs (with their content hashes) less the new or
    changed profiles that would get no vector: none imported, and the local encoder is another model.

    Raises ValidationError when imported vectors are of another model than the index holds."""
    name, dim = (encoder.name, encoder.dim) if encoder is not None else model_identity(config.encoder)
    local = DenseModel(name, dim)
    prev_model = DenseModel.of_manifest(json.loads((prev_dir / "manifest.json").read_text()),
                                        DenseModel(*model_identity())) if prev_dir is not None else None
    if imported is not None and prev_model is not None and not (
            same_model(prev_model.model, imported.model) and prev_model.dim == imported.dim):
        raise ValidationError(f"{imported.path}: vectors of model {imported.model!r} (dim {imported.dim}), but the index "
                              f"holds vectors of {prev_model.model!r} (dim {prev_model.dim}); one index holds one "
                              "model's vectors: --rebuild to switch models")
    if imported is not None:
        model = DenseModel(prev_model.model if prev_model is not None else imported.model, imported.dim, "imported")
    else:
        model = prev_model or DenseModel(local.model, local.dim)
    if same_model(model.model, local.model) and model.dim == local.dim:
        return model, inputs, hashes              # whatever has no imported vector is encoded here
    ids = inputs.table.column("candidate_id").to_pylist()
    known = dict(zip(prev.table.column("candidate_id").to_pylist(), prev.table.column("content_hash").to_pylist()))
    ok = np.array([known.get(c) == h for c, h in zip(ids, hashes.to_pylist())], dtype=bool)   # unchanged: keeps its vector
    if imported is not None:
        ok[imported.lookup(ids)[0]] = True
    if ok.all():
        return model, inputs, hashes
    why = (f"vector: none in {imported.path}, and the local encoder ({local.model}) is not {model.model}"
           if imported is not None else
           f"vector: the index holds vectors of model {model.model!r} (dim {model.dim}), imported, and the local "
           f"encoder is {local.model!r}: give this profile's vector with --vectors, or --rebuild to switch models")
    missing = [Reject(imported.path if imported is not None else "--vectors", None, ids[n], why)
               for n in np.flatnonzero(~ok)]
    keep = pa.array(ok)
    return model, dataclasses.replace(inputs, table=inputs.table.filter(keep),
                                      rejects=(*inputs.rejects, *missing)), hashes.filter(keep)


def _identity(positions: np.ndarray) -> bool:
    return bool((positions == np.arange(len(positions))).all())


def _write_termstats(prev_dir, prev: ProfileStore, stats: StatsWriter, removed_ords, fresh: pa.Table | None,
                     progress) -> float:
    """The previous version's term statistics less the removed ords (the whole previous store is analysed
    once when its version predates the file), then ``fresh``'s when given (the tantivy path analyses them
    while indexing). Returns seconds."""
    t0 = time.perf_counter()
    old = TermStats.load(prev_dir) if prev_dir is not None else None
    if old is None or not old.aligned_with(prev.table.column("ord").to_numpy()):
        old = TermStats(build_termstats(prev.table, progress=progress))
    stats.write_previous(old, [o for o in removed_ords if o is not None])
    if fresh is not None:
        stats.add_table(fresh, progress=progress)
    return time.perf_counter() - t0


def ensure_termstats(version_dir: Path, store: ProfileStore, *, progress: bool = False) -> bool:
    """Add ``termstats.arrow`` to a published version written before it existed (atomically: a reader
    sees the whole file or none). Returns whether it wrote one."""
    stats = TermStats.load(version_dir)
    if stats is not None and stats.aligned_with(store.table.column("ord").to_numpy()):
        return False
    tmp = version_dir / f".termstats.tmp-{os.getpid()}"
    tmp.mkdir(exist_ok=True)
    try:
        with StatsWriter(tmp) as stats:
            stats.add_table(store.table, progress=progress)
        durable.fsync_tree(tmp)
        os.replace(tmp / TERMSTATS_FILE, version_dir / TERMSTATS_FILE)
        durable.fsync_dir(version_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def _merge_store(prev: ProfileStore, fresh: pa.Table, removed: set[str]) -> ProfileStore:
    if not len(prev):
        return ProfileStore(fresh)                # a rebuild: the fresh rows as they are, not copied again
    old = prev.table
    if removed:
        keep = pc.invert(pc.is_in(old.column("candidate_id"), value_set=pa.array(sorted(removed), pa.string())))
        old = old.filter(keep)
    return ProfileStore(pa.concat_tables([old, fresh]).combine_chunks())


def _store_facts(store: ProfileStore) -> dict:
    """The manifest's facts about the version's profiles: count, ord space and the corpus fingerprint."""
    digest = hashlib.blake2b(digest_size=16)
    for h in sorted(store.table.column("content_hash").to_pylist()):
        digest.update(h.encode())
    return {"profiles": len(store), "n_ord": store.n_ord, "corpus_fingerprint": digest.hexdigest()}


def _manifest(version, facts: dict, config: IndexConfig, as_of, timings) -> dict:
    return {
        "kind": MANIFEST_KIND, "schema_version": SCHEMA_VERSION, "version": version,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(), **facts, "encoder": asdict(config.encoder),
        "vectors": asdict(config.vectors), "seconds": {k: round(v, 3) for k, v in timings.items()},
    }


def _next_version(index_dir: Path) -> str:
    versions = index_dir / "versions"
    versions.mkdir(exist_ok=True)
    numbers = [int(p.name[1:]) for p in versions.iterdir() if p.name.startswith("v") and p.name[1:].isdigit()]
    return f"v{max(numbers, default=0) + 1:06d}"


def _publish(index_dir: Path, tmp: Path, version: str, keep: int) -> None:
    final = index_dir / "versions" / version
    durable.fsync_tree(tmp)
    os.replace(tmp, final)
    durable.fsync_dir(final.parent)
    durable.write_text(index_dir / "CURRENT", version + "\n")
    olds = sorted(p for p in (index_dir / "versions").iterdir() if p.name.startswith("v") and p.name != version)
    for old in olds[: max(0, len(olds) - (keep - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def _remove_stale_temporaries(index_dir: Path) -> None:
    """Remove what a killed run left behind: its temporary version, pointer and termstats files.

    Call with the index lock held: every writer takes that lock before it creates any of these, so
    while we hold it none of them can belong to a live run."""
    versions = index_dir / "versions"
    pointers = durable.stale_temporaries(index_dir, "CURRENT")
    for stale in (*versions.glob(".v*.tmp-*"), *versions.glob("v*/.termstats.tmp-*"), *pointers):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def _write_rejects(index_dir: Path, rejects: list[Reject]) -> str | None:
    if not rejects:
        return None
    folder = index_dir / "rejects"
    folder.mkdir(exist_ok=True)
    path = folder / f"{dt.datetime.now(dt.timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')}.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for r in rejects:
            fh.write(json.dumps(r.to_dict()) + "\n")
    return str(path)


@contextlib.contextmanager
def _locked(index_dir: Path):
    with open(index_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ValidationError(f"another process is writing the index at {index_dir}") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
