"""A row-major, compressed copy of the profile store, read with ``os.pread`` for hydration.

Hydrating a hit from the memory-mapped ``profiles.arrow`` touches every column's buffers (about 40), and
the kernel maps large page-cache folios for each touch: at 1M profiles the 9,600 rows hydrated by 480
searches mapped 1,382 of 1,467 MB into the server (``benchmarks/results/scale-e2e.md``). Here each profile
is one blob, so a hit costs one ``pread`` of a few hundred bytes and maps nothing.

Files next to ``profiles.arrow`` in a version directory:

- ``profiles.rows``: the blobs, in table-row (= ord) order. A blob is a 4-byte little-endian length of the
  raw text, then that text compressed with zstd. The raw text is the row's values as a compact JSON array
  in schema order (structs as arrays, dates as days since 1970-01-01: no key names, 27% smaller compressed
  than the row's dict as JSON); ``RowReader`` rebuilds the dict from the schema, so a decoded row equals
  ``table.slice(row, 1).to_pylist()[0]`` (same keys in order, types, lists, nulls).
- ``profiles.rows.idx``: ``numpy`` int64 offsets (``n + 1``; blob ``i`` is ``[off[i], off[i + 1])``).

A new version copies the unchanged profiles' blobs from the previous version's file (ords never change
for a stored profile version) and encodes only the fresh rows, so a live fold stays cheap. Backfill an
index written before this file existed with ``python -m indexer.rowstore VERSION_DIR``.
"""
from __future__ import annotations

import ctypes
import datetime as dt
import json
import logging
import os
import struct
import sys
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

log = logging.getLogger(__name__)
_warned_missing = False

ROWS_FILE = "profiles.rows"
ROWS_INDEX = "profiles.rows.idx"
_CODEC = pa.Codec("zstd", compression_level=3)
_HEAD = struct.Struct("<I")
_EPOCH = dt.date(1970, 1, 1)
_CHUNK = 20_000          # rows converted to Python objects at a time while writing
_COPY = 64 << 20         # bytes copied at a time from the previous version's file


def _encoder(dtype: pa.DataType) -> Callable | None:
    """A function turning a ``to_pylist`` value of ``dtype`` into plain JSON (None: it already is)."""
    if pa.types.is_date32(dtype):
        return lambda v: None if v is None else (v - _EPOCH).days
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        inner = _encoder(dtype.value_type)
        return None if inner is None else (lambda v: None if v is None else [inner(x) for x in v])
    if pa.types.is_struct(dtype):
        fields = [(f.name, _encoder(f.type)) for f in dtype]
        return lambda v: None if v is None else [v[n] if e is None else e(v[n]) for n, e in fields]
    if pa.types.is_date(dtype) or pa.types.is_timestamp(dtype) or pa.types.is_time(dtype) \
            or pa.types.is_binary(dtype) or pa.types.is_decimal(dtype) or pa.types.is_dictionary(dtype):
        raise TypeError(f"the row store cannot hold a {dtype} column")
    return None


def _decoder(dtype: pa.DataType) -> Callable | None:
    """The inverse of ``_encoder``: plain JSON back into the ``to_pylist`` value (None: unchanged)."""
    if pa.types.is_date32(dtype):
        return lambda v: None if v is None else _EPOCH + dt.timedelta(days=v)
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        inner = _decoder(dtype.value_type)
        return None if inner is None else (lambda v: None if v is None else [inner(x) for x in v])
    if pa.types.is_struct(dtype):
        fields = [(f.name, _decoder(f.type)) for f in dtype]
        return lambda v: None if v is None else {n: x if d is None else d(x) for (n, d), x in zip(fields, v)}
    return None


def row_encoder(schema: pa.Schema) -> Callable[[dict], bytes]:
    """A row dict -> its blob: the values as a JSON array in schema order (structs as arrays too, dates as
    days since 1970-01-01), zstd-compressed, behind the 4-byte raw length."""
    fields = [(f.name, _encoder(f.type)) for f in schema]

    def encode(record: dict) -> bytes:
        values = [record[n] if e is None else e(record[n]) for n, e in fields]
        raw = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return _HEAD.pack(len(raw)) + _CODEC.compress(raw, asbytes=True)
    return encode


def row_decoder(schema: pa.Schema) -> Callable[[list], dict]:
    fields = [(f.name, _decoder(f.type)) for f in schema]

    def decode(values: list) -> dict:
        if len(values) != len(fields):
            raise ValueError(f"a row of {len(values)} values, the schema has {len(fields)} fields")
        return {n: x if d is None else d(x) for (n, d), x in zip(fields, values)}
    return decode


def encode_rows(schema: pa.Schema, records) -> list[bytes]:
    encode = row_encoder(schema)
    return [encode(r) for r in records]


def write_rows(directory: str | Path, table: pa.Table, *, previous: "RowReader | None" = None,
               previous_rows: np.ndarray | None = None, progress: bool = False) -> None:
    """``profiles.rows`` and its offsets for ``table``. ``previous_rows[i]`` (with ``previous``): the row of
    ``table`` row ``i`` in the previous version's row file, or -1 to encode it afresh."""
    directory = Path(directory)
    row_encoder(table.schema)                       # refuses a schema it could not restore
    n = table.num_rows
    offsets = np.zeros(n + 1, np.int64)
    from tqdm.auto import tqdm

    reuse = previous_rows if previous is not None and previous_rows is not None else np.full(n, -1, np.int64)
    with open(directory / ROWS_FILE, "wb") as out, \
            tqdm(total=n, desc="row store", unit="profile", disable=not progress) as bar:
        pos, i = 0, 0
        while i < n:
            if reuse[i] >= 0:                       # a run of rows consecutive in the previous file
                j = i + 1
                while j < n and reuse[j] == reuse[j - 1] + 1:
                    j += 1
                src = reuse[i:j]
                lengths = previous.offsets[src + 1] - previous.offsets[src]
                previous.copy_range(int(previous.offsets[src[0]]), int(previous.offsets[src[-1] + 1]), out)
                offsets[i + 1:j + 1] = pos + np.cumsum(lengths)
                pos = int(offsets[j])
            else:
                j = i + 1
                while j < n and reuse[j] < 0 and j - i < _CHUNK:
                    j += 1
                for k, blob in enumerate(encode_rows(table.schema, table.slice(i, j - i).to_pylist())):
                    out.write(blob)
                    pos += len(blob)
                    offsets[i + k + 1] = pos
            bar.update(j - i)
            i = j
    with open(directory / ROWS_INDEX, "wb") as fh:
        np.save(fh, offsets, allow_pickle=False)


class RowReader:
    """Reads rows of one version's ``profiles.rows`` by ``pread``; nothing is memory-mapped."""

    def __init__(self, directory: str | Path, schema: pa.Schema, n_rows: int):
        directory = Path(directory)
        with open(directory / ROWS_INDEX, "rb") as fh:
            self.offsets = np.load(fh, allow_pickle=False)
        if self.offsets.ndim != 1 or len(self.offsets) != n_rows + 1:
            raise ValueError(f"{directory / ROWS_INDEX}: {len(self.offsets) - 1} rows, the store has {n_rows}")
        self._fd = os.open(directory / ROWS_FILE, os.O_RDONLY)
        self._finalizer = weakref.finalize(self, os.close, self._fd)
        size = os.fstat(self._fd).st_size
        if size != int(self.offsets[-1]):
            self.close()
            raise ValueError(f"{directory / ROWS_FILE}: {size} bytes, its offsets say {int(self.offsets[-1])}")
        self._decode = row_decoder(schema)
        self.path = directory / ROWS_FILE

    @classmethod
    def open(cls, directory: str | Path, schema: pa.Schema, n_rows: int) -> "RowReader | None":
        """The reader, or None when the version has no row file (written before it existed)."""
        if not (Path(directory) / ROWS_INDEX).exists():
            return None
        return cls(directory, schema, n_rows)

    def close(self) -> None:
        self._finalizer()

    def record(self, row: int) -> dict:
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        blob = os.pread(self._fd, end - start, start)
        if len(blob) != end - start:
            raise ValueError(f"{self.path}: short read at row {row}")
        (raw,) = _HEAD.unpack_from(blob)
        text = _CODEC.decompress(memoryview(blob)[_HEAD.size:], decompressed_size=raw, asbytes=True)
        return self._decode(json.loads(text))

    def records(self, rows, *, expect_ords=None) -> list[dict]:
        """The rows' dicts; with ``expect_ords``, each row's ``ord`` is checked (a row file that does not
        belong to its store is an error, never someone else's profile)."""
        out = [self.record(int(r)) for r in rows]
        for o, rec in zip(expect_ords if expect_ords is not None else (), out):
            if rec["ord"] != int(o):
                raise ValueError(f"{self.path}: the row of ord {int(o)} holds ord {rec['ord']}")
        return out

    def copy_range(self, start: int, end: int, out) -> None:
        while start < end:
            chunk = os.pread(self._fd, min(_COPY, end - start), start)
            if not chunk:
                raise ValueError(f"{self.path}: ends before byte {end}")
            out.write(chunk)
            start += len(chunk)


def open_rows(directory: str | Path, schema: pa.Schema, n_rows: int) -> RowReader | None:
    """``RowReader.open``, logging once per process when a version has no row file (hydration then
    reads the Arrow store)."""
    global _warned_missing
    reader = RowReader.open(directory, schema, n_rows)
    if reader is None and not _warned_missing:
        _warned_missing = True
        log.warning("%s has no profiles.rows (written by an older version): hydrating from profiles.arrow; "
                    "`python -m indexer.rowstore %s` writes it", directory, directory)
    return reader


def rows_in_previous(ords: np.ndarray, previous_row_by_ord: np.ndarray) -> np.ndarray:
    """For each row's ord, its row in the previous version (-1: new). Ords never change for a stored
    profile version, so an ord the previous version held is the same profile, byte for byte."""
    out = np.full(len(ords), -1, np.int64)
    known = ords < len(previous_row_by_ord)
    out[known] = previous_row_by_ord[ords[known]]
    return out


def release_mapping(mapping: pa.Buffer) -> None:
    """Drop this process's pages of a read-only file mapping (madvise MADV_DONTNEED, Linux only). Building
    the filter arrays reads ids, locations and every position's company once, and those pages of
    ``profiles.arrow`` would stay resident (224 B a profile). They stay in the page cache; a later touch
    maps them again. Used only with the row store: Arrow hydration would touch them again at once."""
    if not sys.platform.startswith("linux") or not mapping.size:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.madvise(ctypes.c_void_p(mapping.address), ctypes.c_size_t(mapping.size), 4) != 0:  # 4: DONTNEED
            log.debug("madvise(DONTNEED) on the profile store failed: errno %d", ctypes.get_errno())
    except (OSError, AttributeError) as exc:
        log.debug("madvise unavailable: %s", exc)


def backfill(version_dir: str | Path) -> Path:
    """Write the row file of a version written before it existed (atomically: temporaries, then rename)."""
    from indexer.store import ProfileStore

    version_dir = Path(version_dir)
    store = ProfileStore.load(version_dir, rows=False)
    tmp = version_dir / f".rows.tmp-{os.getpid()}"
    tmp.mkdir(exist_ok=True)
    try:
        write_rows(tmp, store.table, progress=True)
        os.replace(tmp / ROWS_FILE, version_dir / ROWS_FILE)   # data first: the index marks it complete
        os.replace(tmp / ROWS_INDEX, version_dir / ROWS_INDEX)
    finally:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
    return version_dir / ROWS_FILE


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Write profiles.rows for an index version written before it existed.")
    ap.add_argument("version_dir", type=Path, help="a version directory, e.g. var/index/versions/v000003")
    args = ap.parse_args(argv)
    if not (args.version_dir / "manifest.json").exists():
        ap.error(f"{args.version_dir}: not an index version directory (no manifest.json)")
    print(backfill(args.version_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
