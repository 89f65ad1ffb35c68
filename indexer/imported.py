"""Bring your own embeddings: profile vectors computed elsewhere (a GPU box, a Ray job, another model).

``talentsearch index profiles.parquet --vectors vectors.parquet`` reads one vector per candidate from a
Parquet file with the columns ``candidate_id`` (string) and ``vector`` (a list or fixed-size list of
floats, all of one dimension) and indexes them instead of encoding the profiles here. The file names the
model that made them, in its schema metadata (key ``model``, as ``pq.write_table(table.replace_schema_metadata(
{"model": "..."}))`` writes it) or on the command line (``--vectors-model``); the version's manifest
records the model and the dimension (``dense``), and a search whose query encoder is another model is
refused (``EncoderMismatchError``) rather than comparing vectors of two spaces.

Rows are checked one by one: a vector of another dimension, with NaN or infinite values, or all zeros is
rejected with its row number and the good rows are kept; vectors are scaled to unit length (the index
ranks by inner product, i.e. cosine). A candidate_id given twice keeps its last vector.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from indexer.validate import ARROW_ERRORS, Reject
from records.errors import BackendUnavailableError, ValidationError

MODEL_KEYS = (b"model", b"talentsearch.model")
# rows decoded at a time: the reader's list buffers grow to several times a batch's raw size, and without
# pre-buffering a row group (a writer's default group holds a million rows) is not read whole into memory
_BATCH = 10_000


class EncoderMismatchError(BackendUnavailableError):
    """The index's vectors come from another model than the query encoder (HTTP 503: fix the setup)."""


@dataclass(frozen=True)
class DenseModel:
    """Which model made an index version's vectors, and how they got there."""
    model: str
    dim: int
    source: str = "encoder"              # "encoder" (encoded at ingest) or "imported" (--vectors)

    def to_dict(self) -> dict:
        return {"model": self.model, "dim": self.dim, "source": self.source}

    @classmethod
    def of_manifest(cls, manifest: dict, default: DenseModel) -> DenseModel:
        """The version's dense model; versions written before it was recorded were encoded by the default."""
        d = manifest.get("dense")
        return cls(str(d["model"]), int(d["dim"]), str(d.get("source", "encoder"))) if d else default


@dataclass(frozen=True)
class ImportedVectors:
    path: str
    model: str
    dim: int
    ids: np.ndarray                      # candidate ids (object array), unique
    rejects: tuple[Reject, ...]          # rows that were not usable, with the reason
    file_rows: np.ndarray                # 0-based row of the file holding each of ``ids``' vectors, ascending

    @functools.cached_property
    def vectors(self) -> np.ndarray:
        """(len(ids), dim) float32, unit rows: read from the file again when first wanted, so that ingest
        holds them only while it builds the vector index (``read_vectors`` checked every row already)."""
        path = Path(self.path)
        try:
            pf = _open(path)
        except (OSError, *ARROW_ERRORS) as exc:
            raise ValidationError(f"{self.path}: vectors file cannot be read again ({exc})") from None
        used = np.zeros(pf.metadata.num_rows, bool)
        if len(self.file_rows) and self.file_rows[-1] >= len(used):
            raise ValidationError(f"{self.path}: the vectors file changed while it was being indexed")
        used[self.file_rows] = True
        matrix = np.empty((len(self.file_rows), self.dim), np.float32)
        finite, norms = _scan_rows(pf, used, self.dim, self.path, out=matrix)
        pa.default_memory_pool().release_unused()        # the reader's buffers, kept by the allocator otherwise
        if len(finite) != len(matrix) or not (finite & (norms > 1e-12)).all():
            raise ValidationError(f"{self.path}: the vectors file changed while it was being indexed")
        return matrix

    @functools.cached_property
    def _row_of(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.ids.tolist())}     # built once: ingest looks up twice

    def lookup(self, candidate_ids) -> tuple[np.ndarray, np.ndarray]:
        """(positions in ``candidate_ids`` that have a vector, their rows of ``vectors``)."""
        index = self._row_of
        found = [(n, index[c]) for n, c in enumerate(candidate_ids) if c in index]
        if not found:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        where, rows = np.asarray(found, dtype=np.int64).T
        return where, rows


def read_vectors(path: str | Path, *, model: str | None = None) -> ImportedVectors:
    """Read and check a vectors file. ``model`` overrides the file's own metadata. A file that cannot be
    used at all (missing, not Parquet, no such columns, no model named, no good row) is a ValidationError
    that says what and where."""
    path = Path(path)
    where = str(path)
    try:
        pf = _open(path)
    except FileNotFoundError:
        raise ValidationError(f"{where}: vectors file not found") from None
    except IsADirectoryError:
        raise ValidationError(f"{where}: is a directory; --vectors wants one Parquet file") from None
    except ARROW_ERRORS as exc:
        raise ValidationError(f"{where}: not a readable Parquet file ({exc})") from None
    meta = pf.schema_arrow.metadata or {}
    named = next((meta[k].decode("utf-8", "replace") for k in MODEL_KEYS if k in meta), None)
    model = (model or named or "").strip()
    if not model:
        raise ValidationError(f"{where}: which model made these vectors? Give --vectors-model NAME or the "
                              "file's schema metadata key 'model'")
    missing = [c for c in ("candidate_id", "vector") if c not in pf.schema_arrow.names]
    if missing:
        raise ValidationError(f"{where}: missing column(s) {', '.join(missing)}; it wants candidate_id (string) "
                              f"and vector (list of floats); found {', '.join(pf.schema_arrow.names)}")
    vtype = pf.schema_arrow.field("vector").type
    if not (pa.types.is_list(vtype) or pa.types.is_large_list(vtype) or pa.types.is_fixed_size_list(vtype)) \
            or not (pa.types.is_floating(vtype.value_type) or pa.types.is_integer(vtype.value_type)):
        raise ValidationError(f"{where}: column vector: wants a list of floats, found {vtype}")
    ids, lengths = _ids_and_lengths(pf, vtype, where)
    good_len = lengths[lengths > 0]
    if not len(good_len):
        raise ValidationError(f"{where}: no row has a vector")
    dim = int(np.bincount(good_len).argmax())       # the file's dimension: what most rows have
    rejects: list[Reject] = []
    no_id = np.fromiter((c is None or not c.strip() for c in ids), dtype=bool, count=len(ids))
    keep = ~no_id & (lengths == dim)
    for n in np.flatnonzero(~keep):                   # a Python step only for the bad rows
        if no_id[n]:
            rejects.append(Reject(where, int(n) + 1, None, "candidate_id: missing"))
        elif lengths[n] < 0:
            rejects.append(Reject(where, int(n) + 1, ids[n], "vector: missing"))
        else:
            rejects.append(Reject(where, int(n) + 1, ids[n], f"vector: {lengths[n]} values, the file's vectors have {dim}"))
    rows = np.flatnonzero(keep)
    finite, norms = _scan_rows(pf, keep, dim, where)
    usable = finite & (norms > 1e-12)
    for n in np.flatnonzero(~usable):
        rejects.append(Reject(where, int(rows[n]) + 1, ids[rows[n]],
                              "vector: NaN or infinite values" if not finite[n] else "vector: all zeros"))
    # a candidate_id given twice keeps its last vector
    good = np.flatnonzero(usable)
    _, last = np.unique(ids[rows[good]][::-1].astype(str), return_index=True)
    pick = good[np.sort(len(good) - 1 - last)]
    for n in np.setdiff1d(good, pick):
        rejects.append(Reject(where, int(rows[n]) + 1, ids[rows[n]], "candidate_id: given again later in the file; "
                                                                     "the last vector is used"))
    if not len(pick):
        raise ValidationError(f"{where}: no usable vector (" + "; ".join(r.reason for r in rejects[:3]) + ")")
    rejects.sort(key=lambda r: r.row or 0)
    pa.default_memory_pool().release_unused()
    return ImportedVectors(where, model, dim, ids[rows[pick]].astype(object), tuple(rejects), rows[pick])


def _open(path: Path) -> pq.ParquetFile:
    return pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)


def _ids_and_lengths(pf: pq.ParquetFile, vtype: pa.DataType, where: str) -> tuple[np.ndarray, np.ndarray]:
    """The ids (object array) and each row's vector length (-1: null), read batch by batch (a fixed-size
    list column is read only for its nulls)."""
    ids, lengths = [], []
    try:
        for batch in pf.iter_batches(batch_size=_BATCH, columns=["candidate_id", "vector"]):
            ids.append(batch.column(0).cast(pa.string()).to_numpy(zero_copy_only=False))
            col = batch.column(1)
            if pa.types.is_fixed_size_list(vtype):
                lengths.append(np.where(col.is_null().to_numpy(zero_copy_only=False), -1, vtype.list_size))
            else:
                lengths.append(pc.fill_null(pc.list_value_length(col), -1).to_numpy(zero_copy_only=False))
    except ARROW_ERRORS as exc:
        raise ValidationError(f"{where}: cannot be read to the end ({exc})") from None
    if not ids:
        return np.zeros(0, object), np.zeros(0, np.int64)
    return np.concatenate(ids), np.concatenate(lengths).astype(np.int64)


def _scan_rows(pf: pq.ParquetFile, select: np.ndarray, dim: int, where: str,
               out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each ``select``ed row's finiteness and norm, read batch by batch (memory: one batch); with ``out``
    ((select.sum(), dim) float32), the rows scaled to unit length are written into it in file order."""
    finite = np.zeros(int(select.sum()), bool)
    norms = np.zeros(len(finite), np.float32)
    at, start = 0, 0
    try:
        for batch in pf.iter_batches(batch_size=_BATCH, columns=["vector"]):
            sel = select[start:start + batch.num_rows]
            start += batch.num_rows
            if not sel.any():
                continue
            flat = pc.list_flatten(batch.column(0).filter(pa.array(sel))).to_numpy(zero_copy_only=False)
            part = np.asarray(flat, dtype=np.float32).reshape(-1, dim)
            ok = np.isfinite(part).all(axis=1)
            norm = np.linalg.norm(np.where(ok[:, None], part, 0), axis=1)
            if out is not None:
                scale = np.where(ok & (norm > 1e-12), norm, 1).astype(np.float32)
                out[at:at + len(part)] = part / scale[:, None]
            finite[at:at + len(part)], norms[at:at + len(part)] = ok, norm
            at += len(part)
    except (ValueError, *ARROW_ERRORS) as exc:
        raise ValidationError(f"{where}: cannot be read to the end ({exc})") from None
    return finite, norms


__all__ = ["DenseModel", "EncoderMismatchError", "ImportedVectors", "read_vectors"]
