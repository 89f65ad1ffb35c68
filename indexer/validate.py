"""Read profiles from Parquet or JSONL and validate every row.

A bad row never stops the load: it becomes a ``Reject`` (source, 1-based row or line number,
candidate_id when one could be read, reason) and the good rows go on. Unknown top-level keys are
ignored. Dates accept ``YYYY-MM-DD``, ``YYYY-MM`` and ``YYYY`` (first day of the period).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from records.errors import ValidationError
from records.schema import PROFILE_SCHEMA

MAX_ID_LEN = 128
MAX_TEXT_LEN = 20_000
MAX_LIST_LEN = 500
_ID_RE = re.compile(r"^[^\s\x00-\x1f]+$")
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


@dataclass(frozen=True)
class Reject:
    source: str
    row: int                  # 1-based: line number for JSONL, row number for Parquet
    candidate_id: str | None
    reason: str

    def to_dict(self) -> dict:
        return {"source": self.source, "row": self.row, "candidate_id": self.candidate_id, "reason": self.reason}


class RowError(ValueError):
    """One row's problem; the message says which field and why."""


def read_profiles(path: str | Path, *, batch_rows: int = 20_000) -> Iterator[tuple[pa.Table, list[Reject]]]:
    """Yield (valid rows as a PROFILE_SCHEMA table, rejects) batch by batch."""
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        yield from _read_parquet(path, batch_rows)
    elif suffix in (".jsonl", ".ndjson", ".json"):
        yield from _read_jsonl(path, batch_rows)
    else:
        raise ValidationError(f"{path}: unsupported file type {suffix!r} (use .parquet or .jsonl)")


def count_rows(path: str | Path) -> int | None:
    """Rows (Parquet) or lines (JSONL) in ``path``, for progress bars; None when unknown."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        return pq.ParquetFile(path).metadata.num_rows
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def _read_parquet(path: Path, batch_rows: int):
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise ValidationError(f"{path}: not a readable Parquet file: {exc}") from exc
    row = 0
    for batch in pf.iter_batches(batch_size=batch_rows):
        good, rejects = [], []
        for obj in batch.to_pylist():
            row += 1
            _check(obj, good, rejects, str(path), row)
        yield _to_table(good), rejects


def _read_jsonl(path: Path, batch_rows: int):
    good, rejects = [], []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                rejects.append(Reject(str(path), line_no, _sniff_id(line), f"invalid JSON: {exc.msg} at char {exc.pos}"))
                continue
            _check(obj, good, rejects, str(path), line_no)
            if len(good) + len(rejects) >= batch_rows:
                yield _to_table(good), rejects
                good, rejects = [], []
    yield _to_table(good), rejects


def _check(obj, good: list, rejects: list, source: str, row: int) -> None:
    try:
        good.append(coerce_row(obj))
    except RowError as exc:
        cid = obj.get("candidate_id") if isinstance(obj, dict) else None
        rejects.append(Reject(source, row, cid if isinstance(cid, str) else None, str(exc)))


def _to_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=PROFILE_SCHEMA)


def _sniff_id(line: str) -> str | None:
    m = re.search(r'"candidate_id"\s*:\s*"([^"]{1,128})"', line)
    return m.group(1) if m else None


def coerce_row(obj) -> dict:
    """Validate one profile mapping and return it in PROFILE_SCHEMA shape; raise RowError."""
    if not isinstance(obj, dict):
        raise RowError(f"row must be an object, got {type(obj).__name__}")
    cid = obj.get("candidate_id")
    if not isinstance(cid, str) or not cid.strip():
        raise RowError("candidate_id: required non-empty string")
    if len(cid) > MAX_ID_LEN or not _ID_RE.match(cid):
        raise RowError(f"candidate_id: must be at most {MAX_ID_LEN} characters without whitespace or control characters")
    return {
        "candidate_id": cid,
        "headline": _text(obj.get("headline"), "headline"),
        "summary": _text(obj.get("summary"), "summary"),
        "location": _location(obj.get("location")),
        "positions": [_position(p, i) for i, p in enumerate(_list(obj.get("positions"), "positions"))],
        "skills": [_text(s, f"skills[{i}]", required=True) for i, s in enumerate(_list(obj.get("skills"), "skills"))],
        "education": [_education(e, i) for i, e in enumerate(_list(obj.get("education"), "education"))],
        "open_to_work": _bool(obj.get("open_to_work"), "open_to_work"),
        "last_active": parse_date(obj.get("last_active"), "last_active"),
        "owner_tenant": _text(obj.get("owner_tenant"), "owner_tenant") or None,
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
    if required and not value.strip():
        raise RowError(f"{field}: must not be empty")
    return value


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
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not lo <= value <= hi:
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


def _position(value, i: int) -> dict:
    where = f"positions[{i}]"
    if not isinstance(value, dict):
        raise RowError(f"{where}: must be an object")
    title = _text(value.get("title"), f"{where}.title", required=True)
    name = _text(value.get("company_name"), f"{where}.company_name")
    cid = _text(value.get("company_id"), f"{where}.company_id") or (_slug(name) if name else None)
    start = parse_date(value.get("start"), f"{where}.start")
    if start is None:
        raise RowError(f"{where}.start: required date")
    end = parse_date(value.get("end"), f"{where}.end")
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
