"""Read profiles from Parquet or JSONL and validate every row.

A bad row never stops the load: it becomes a ``Reject`` (source, 1-based row or line number,
candidate_id when one could be read, reason) and the good rows go on. A file that cannot be read
at all (missing, not Parquet, broken part-way, a directory) raises ``UnreadableFileError`` naming
it; ``indexer.inputs`` reads several files and reports such a file as a whole.

Unknown top-level keys are ignored. Dates accept ``YYYY-MM-DD``, ``YYYY-MM`` and ``YYYY`` (first
day of the period) and must lie between 1950-01-01 and ``latest`` (default: a year from today).
Text must be valid UTF-8 / Unicode without NUL characters; ``owner_tenant`` must be a tenant id.
"""
from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from records.errors import ValidationError
from records.ids import TENANT_ID
from records.schema import PROFILE_SCHEMA

MAX_ID_LEN = 128
MAX_TEXT_LEN = 20_000
MAX_LIST_LEN = 500
EARLIEST_DATE = dt.date(1950, 1, 1)
PARQUET_SUFFIXES = (".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
_ID_RE = re.compile(r"^[^\s\x00-\x1f\ud800-\udfff]+$")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
# what pyarrow raises for a file that is not Parquet, is cut short or has a corrupt page
ARROW_ERRORS = (OSError, ValueError, OverflowError, pa.ArrowException)


@dataclass(frozen=True)
class Reject:
    source: str
    row: int | None           # 1-based: line number for JSONL, row number for Parquet; None: the whole file
    candidate_id: str | None
    reason: str

    def to_dict(self) -> dict:
        return {"source": self.source, "row": self.row, "candidate_id": self.candidate_id, "reason": self.reason}


@dataclass(frozen=True)
class Batch:
    table: pa.Table           # the valid rows, PROFILE_SCHEMA
    rows: list[int]           # 1-based row (Parquet) or line (JSONL) number of each valid row
    rejects: list[Reject]
    hashes: list[str]         # ``content_hash`` of each valid row


class RowError(ValueError):
    """One row's problem; the message says which field and why."""


class UnreadableFileError(ValidationError):
    """A whole input file that cannot be read; ``reason`` says why without the path."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def latest_date(as_of: dt.date | None = None, *, today: dt.date | None = None) -> dt.date:
    """The last plausible date in a profile: a year after today, or after ``as_of`` when that is later."""
    ref = max(today or dt.date.today(), as_of or dt.date.min)
    return ref.replace(year=ref.year + 1, day=28) if (ref.month, ref.day) == (2, 29) else ref.replace(year=ref.year + 1)


def read_profiles(path: str | Path, *, batch_rows: int = 20_000,
                  latest: dt.date | None = None) -> Iterator[tuple[pa.Table, list[Reject]]]:
    """Yield (valid rows as a PROFILE_SCHEMA table, rejects) batch by batch."""
    for batch in read_batches(path, batch_rows=batch_rows, latest=latest):
        yield batch.table, batch.rejects


def read_batches(path: str | Path, *, batch_rows: int = 20_000, latest: dt.date | None = None) -> Iterator[Batch]:
    """Yield ``Batch``es of at most ``batch_rows`` rows; raise ``UnreadableFileError`` for a file that
    cannot be read (possibly after some batches: a caller that wants whole files buffers them)."""
    path = Path(path)
    latest = latest or latest_date()
    if path.is_dir():
        raise UnreadableFileError(path, "is a directory, not a profile file")
    if not path.exists():
        raise UnreadableFileError(path, "no such file or directory")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        yield from _read_parquet(path, batch_rows, latest)
    elif suffix in JSONL_SUFFIXES:
        yield from _read_jsonl(path, batch_rows, latest)
    else:
        raise UnreadableFileError(path, f"unsupported file type {suffix!r} (use .parquet or .jsonl)")


def count_rows(path: str | Path) -> int | None:
    """Rows (Parquet) or lines (JSONL) in ``path``, for progress bars; None when unknown or unreadable."""
    path = Path(path)
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            return pq.ParquetFile(path).metadata.num_rows
        with open(path, "rb") as fh:
            return sum(1 for _ in fh)
    except ARROW_ERRORS:
        return None


def _read_parquet(path: Path, batch_rows: int, latest: dt.date) -> Iterator[Batch]:
    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=batch_rows)
    except ARROW_ERRORS as exc:
        raise UnreadableFileError(path, f"not a readable Parquet file: {_one_line(exc)}") from exc
    row = 0
    while True:
        try:
            batch = next(batches, None)
            objs = None if batch is None else batch.to_pylist()
        except ARROW_ERRORS as exc:
            raise UnreadableFileError(path, f"not a readable Parquet file after row {row}: {_one_line(exc)}") from exc
        if objs is None:
            return
        out = _Collector(str(path), latest)
        for obj in objs:
            row += 1
            out.check(obj, row)
        yield out.batch()


def _read_jsonl(path: Path, batch_rows: int, latest: dt.date) -> Iterator[Batch]:
    out = _Collector(str(path), latest)
    try:
        with open(path, "rb") as fh:
            for line_no, raw in enumerate(fh, start=1):
                if line_no == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8):]
                _parse_line(raw, line_no, out)
                if len(out) >= batch_rows:
                    yield out.batch()
                    out = _Collector(str(path), latest)
    except OSError as exc:
        raise UnreadableFileError(path, f"cannot be read: {exc.strerror or exc}") from exc
    yield out.batch()


def _parse_line(raw: bytes, line_no: int, out: _Collector) -> None:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        sniffed = _sniff_id(raw.decode("utf-8", errors="replace"))
        out.reject(line_no, sniffed, f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line")
        return
    if not line.strip():
        return
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        out.reject(line_no, _sniff_id(line), f"invalid JSON: {exc.msg} at char {exc.pos}")
        return
    except (ValueError, RecursionError) as exc:   # a number too long to convert, nesting too deep
        out.reject(line_no, _sniff_id(line), f"invalid JSON: {_one_line(exc)}")
        return
    out.check(obj, line_no)


class _Collector:
    """The valid rows (with their row numbers) and the rejects of one batch of one file."""

    def __init__(self, source: str, latest: dt.date):
        self.source, self.latest = source, latest
        self.good: list[dict] = []
        self.rows: list[int] = []
        self.rejects: list[Reject] = []
        self.hashes: list[str] = []

    def __len__(self) -> int:
        return len(self.good) + len(self.rejects)

    def check(self, obj, row: int) -> None:
        try:
            good = coerce_row(obj, latest=self.latest)
        except RowError as exc:
            cid = obj.get("candidate_id") if isinstance(obj, dict) else None
            self.reject(row, cid if isinstance(cid, str) else None, str(exc))
            return
        self.good.append(good)
        self.rows.append(row)
        self.hashes.append(content_hash(good))

    def reject(self, row: int, candidate_id: str | None, reason: str) -> None:
        self.rejects.append(Reject(self.source, row, candidate_id, reason))

    def batch(self) -> Batch:
        return Batch(pa.Table.from_pylist(self.good, schema=PROFILE_SCHEMA), self.rows, self.rejects, self.hashes)


def content_hash(row: dict) -> str:
    """A digest of one valid row (``coerce_row``'s dict, equal to its PROFILE_SCHEMA row's ``to_pylist``), so
    an identical re-run is recognised as unchanged. Computed while validating: no second pass over the rows."""
    return hashlib.blake2b(json.dumps(row, default=str, sort_keys=True).encode(), digest_size=16).hexdigest()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _sniff_id(line: str) -> str | None:
    m = re.search(r'"candidate_id"\s*:\s*"([^"]{1,128})"', line)
    return m.group(1) if m else None


def coerce_row(obj, *, latest: dt.date | None = None) -> dict:
    """Validate one profile mapping and return it in PROFILE_SCHEMA shape; raise RowError.

    ``latest`` is the last plausible date (default: a year from today, see ``latest_date``)."""
    latest = latest or latest_date()
    if not isinstance(obj, dict):
        raise RowError(f"row must be an object, got {type(obj).__name__}")
    cid = obj.get("candidate_id")
    if not isinstance(cid, str) or not cid.strip():
        raise RowError("candidate_id: required non-empty string")
    if len(cid) > MAX_ID_LEN or not _ID_RE.match(cid):
        raise RowError(f"candidate_id: must be at most {MAX_ID_LEN} characters without whitespace, control characters "
                       "or lone surrogates")
    return {
        "candidate_id": cid,
        "headline": _text(obj.get("headline"), "headline"),
        "summary": _text(obj.get("summary"), "summary"),
        "location": _location(obj.get("location")),
        "positions": [_position(p, i, latest) for i, p in enumerate(_list(obj.get("positions"), "positions"))],
        "skills": [_text(s, f"skills[{i}]", required=True) for i, s in enumerate(_list(obj.get("skills"), "skills"))],
        "education": [_education(e, i) for i, e in enumerate(_list(obj.get("education"), "education"))],
        "open_to_work": _bool(obj.get("open_to_work"), "open_to_work"),
        "last_active": _date(obj.get("last_active"), "last_active", latest),
        "owner_tenant": _tenant(obj.get("owner_tenant")),
    }


def _text(value, field: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise RowError(f"{field}: required string")
        return None
    if not isinstance(value, str):
        raise RowError(f"{field}: must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT_LEN:
        raise RowError(f"{field}: longer than {MAX_TEXT_LEN} characters")
    bad = _BAD_TEXT.search(value)
    if bad is not None:
        where = f"at character {bad.start() + 1}"
        raise RowError(f"{field}: contains a NUL character ({where})" if bad.group() == "\x00"
                       else f"{field}: not valid Unicode (a lone surrogate {where})")
    if required and not value.strip():
        raise RowError(f"{field}: must not be empty")
    return value


def _tenant(value) -> str | None:
    tenant = _text(value, "owner_tenant") or None
    # fullmatch: "$" alone would let a trailing newline through
    if tenant is not None and not TENANT_ID.fullmatch(tenant):
        raise RowError(f"owner_tenant: must be a tenant id matching {TENANT_ID.pattern}, got {tenant!r}")
    return tenant


def _list(value, field: str) -> list:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise RowError(f"{field}: must be a list, got {type(value).__name__}")
    if len(value) > MAX_LIST_LEN:
        raise RowError(f"{field}: more than {MAX_LIST_LEN} entries")
    return list(value)


def _bool(value, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise RowError(f"{field}: must be true or false, got {value!r}")
    return value


def _number(value, field: str, lo: float, hi: float) -> float | None:
    if value is None:
        return None
    # the range test alone also rejects NaN and infinities; math.isfinite would overflow on a huge int
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise RowError(f"{field}: must be a number in [{lo}, {hi}], got {value!r}")
    return float(value)


def parse_date(value, field: str) -> dt.date | None:
    """``date``, ``datetime`` or ISO text (``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY``) -> date."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = _DATE_RE.match(value.strip()[:10]) if len(value.strip()) <= 10 else None
        if m is None and len(value) > 10:
            try:
                return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
            except ValueError:
                m = None
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
            except ValueError:
                pass
    raise RowError(f"{field}: not a date (use YYYY-MM-DD, YYYY-MM or YYYY): {value!r}")


def _date(value, field: str, latest: dt.date) -> dt.date | None:
    """A date in [EARLIEST_DATE, latest]: year 0001 would count two thousand years of experience."""
    date = parse_date(value, field)
    if date is not None and date < EARLIEST_DATE:
        raise RowError(f"{field}: {date} is before {EARLIEST_DATE}")
    if date is not None and date > latest:
        raise RowError(f"{field}: {date} is after {latest}, a year from today")
    return date


def _location(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RowError(f"location: must be an object, got {type(value).__name__}")
    lat = _number(value.get("lat"), "location.lat", -90, 90)
    lon = _number(value.get("lon"), "location.lon", -180, 180)
    if (lat is None) != (lon is None):
        raise RowError("location: lat and lon must be given together")
    return {"city": _text(value.get("city"), "location.city"), "region": _text(value.get("region"), "location.region"),
            "country": _text(value.get("country"), "location.country"), "lat": lat, "lon": lon}


def _position(value, i: int, latest: dt.date) -> dict:
    where = f"positions[{i}]"
    if not isinstance(value, dict):
        raise RowError(f"{where}: must be an object")
    title = _text(value.get("title"), f"{where}.title", required=True)
    name = _text(value.get("company_name"), f"{where}.company_name")
    cid = _text(value.get("company_id"), f"{where}.company_id") or (_slug(name) if name else None)
    start = _date(value.get("start"), f"{where}.start", latest)
    if start is None:
        raise RowError(f"{where}.start: required date")
    end = _date(value.get("end"), f"{where}.end", latest)
    if end is not None and end < start:
        raise RowError(f"{where}: end {end} is before start {start}")
    return {"company_id": cid, "company_name": name, "title": title, "start": start, "end": end,
            "description": _text(value.get("description"), f"{where}.description")}


def _education(value, i: int) -> dict:
    where = f"education[{i}]"
    if not isinstance(value, dict):
        raise RowError(f"{where}: must be an object")
    years = []
    for key in ("start_year", "end_year"):
        year = value.get(key)
        if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100):
            raise RowError(f"{where}.{key}: must be a year between 1900 and 2100, got {year!r}")
        years.append(year)
    if years[0] is not None and years[1] is not None and years[1] < years[0]:
        raise RowError(f"{where}: end_year {years[1]} is before start_year {years[0]}")
    return {"school": _text(value.get("school"), f"{where}.school"), "degree": _text(value.get("degree"), f"{where}.degree"),
            "field": _text(value.get("field"), f"{where}.field"), "start_year": years[0], "end_year": years[1]}


def _slug(name: str) -> str:
    return "name:" + "-".join(re.findall(r"\w+", name.casefold()))
