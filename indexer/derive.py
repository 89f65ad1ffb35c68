"""Fields derived at ingest: current role, experience, seniority, tenure, occupation, skills.

Everything is computed column-wise from the Arrow table (the position arithmetic is vectorised
with numpy) so that a million profiles derive in seconds; title and skill normalisation are
memoised per distinct string, which real corpora repeat heavily.
"""
from __future__ import annotations

import datetime as dt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from records.schema import DERIVED_FIELDS, SENIORITY_LEVELS
from records.taxonomy import Taxonomy

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
_LEVEL = {name: i for i, name in enumerate(SENIORITY_LEVELS)}


def days(value: dt.date) -> int:
    """Days since the Unix epoch, the unit of Arrow ``date32``."""
    return (value - dt.date(1970, 1, 1)).days


def derive(table: pa.Table, *, as_of: dt.date, taxonomy: Taxonomy | None = None) -> pa.Table:
    """Return ``table`` with the ``DERIVED_FIELDS`` columns appended (same row order)."""
    return _derive(table, as_of, _Memo(taxonomy or Taxonomy.load()))


def derive_batches(table: pa.Table, *, as_of: dt.date, taxonomy: Taxonomy | None = None,
                   batch_rows: int = 50_000) -> pa.Table:
    """``derive`` of ``table`` ``batch_rows`` rows at a time (one chunk each, the same rows and values): the
    per-position arrays and strings live for one batch, not the corpus. The normalisation memo is shared."""
    memo = _Memo(taxonomy or Taxonomy.load())
    if table.num_rows <= batch_rows:
        return _derive(table, as_of, memo)
    parts = [_derive(table.slice(at, batch_rows), as_of, memo) for at in range(0, table.num_rows, batch_rows)]
    return pa.concat_tables(parts)


def _derive(table: pa.Table, as_of: dt.date, memo: "_Memo") -> pa.Table:
    n = table.num_rows
    pos = table.column("positions").combine_chunks() if n else pa.array([], type=table.schema.field("positions").type)
    offsets = np.asarray(pos.offsets if n else [0], dtype=np.int64)
    offsets -= offsets[0]             # a slice's list offsets start where the slice does; flatten() starts at 0
    flat = pos.flatten() if n else None
    parent = np.repeat(np.arange(n, dtype=np.int64), np.diff(offsets)) if n else np.zeros(0, np.int64)
    today = days(as_of)
    start = _date_col(flat, "start", today) if n else np.zeros(0, np.int64)
    end_raw = _date_col(flat, "end", -1) if n else np.zeros(0, np.int64)
    is_current = end_raw < 0
    end = np.where(is_current, today, np.minimum(end_raw, today))
    start = np.minimum(start, end)

    years = _merged_years(parent, start, end, n)
    cur_idx = _pick_per_parent(parent, n, key=np.where(is_current, start.astype(np.float64), -np.inf))
    # between jobs: describe the person by their most recent position (title, not employer)
    last_idx = _pick_per_parent(parent, n, key=(end * 100000 + start).astype(np.float64))
    titles = flat.field("title").to_numpy(zero_copy_only=False) if n else np.array([], object)
    comp_ids = flat.field("company_id").to_numpy(zero_copy_only=False) if n else np.array([], object)
    comp_names = flat.field("company_name").to_numpy(zero_copy_only=False) if n else np.array([], object)

    has_cur = cur_idx >= 0
    title_idx = np.where(has_cur, cur_idx, last_idx)
    current_title = _take(titles, title_idx)
    current_company_id = _take(comp_ids, np.where(has_cur, cur_idx, -1))
    current_company_name = _take(comp_names, np.where(has_cur, cur_idx, -1))
    tenure = np.where(has_cur, (today - _take_num(start, cur_idx)) / DAYS_PER_MONTH, np.nan).astype(np.float32)
    past = _past_companies(parent, comp_ids, cur_idx, offsets, n)

    occ_code, occ_title, occ_score, seniority, level = [], [], [], [], []
    for title, yoe in zip(current_title, years.tolist()):
        code, name, score = memo.title(title)
        occ_code.append(code)
        occ_title.append(name)
        occ_score.append(score)
        sen = memo.seniority(title, yoe)
        seniority.append(sen)
        level.append(_LEVEL[sen])

    skills = table.column("skills").to_pylist() if n else []
    normalized = [memo.skills_of(s or ()) for s in skills]
    derived = {
        "current_title": pa.array(current_title, pa.string()),
        "current_company_id": pa.array(current_company_id, pa.string()),
        "current_company_name": pa.array(current_company_name, pa.string()),
        "past_company_ids": pa.array(past, pa.list_(pa.string())),
        "years_experience": pa.array(years.astype(np.float32)),
        "seniority": pa.array(seniority, pa.string()),
        "seniority_level": pa.array(level, pa.int8()),
        "tenure_months": pa.array(tenure, pa.float32(), from_pandas=True),
        "occupation_code": pa.array(occ_code, pa.string()),
        "occupation_title": pa.array(occ_title, pa.string()),
        "occupation_score": pa.array(occ_score, pa.float32()),
        "skills_normalized": pa.array(normalized, pa.list_(pa.string())),
    }
    for f in DERIVED_FIELDS:
        table = table.append_column(f, derived[f.name])
    return table


def _date_col(flat: pa.StructArray, name: str, fill: int) -> np.ndarray:
    col = pc.fill_null(flat.field(name).cast(pa.int32()), fill)
    return col.to_numpy(zero_copy_only=False).astype(np.int64)


def _merged_years(parent: np.ndarray, start: np.ndarray, end: np.ndarray, n: int) -> np.ndarray:
    """Years covered by the union of each profile's position spans (overlaps counted once)."""
    if not len(parent):
        return np.zeros(n)
    order = np.lexsort((start, parent))
    p, s, e = parent[order], start[order], end[order]
    # running max of end within each parent: offset by parent so the accumulate never leaks across
    big = np.int64(10 ** 7)
    run = np.maximum.accumulate(e + p * big) - p * big
    prev = np.concatenate(([np.iinfo(np.int64).min], run[:-1]))
    prev[np.r_[True, p[1:] != p[:-1]]] = np.iinfo(np.int64).min
    covered = np.maximum(0, e - np.maximum(s, prev))
    return np.bincount(p, weights=covered, minlength=n) / DAYS_PER_YEAR


def _pick_per_parent(parent: np.ndarray, n: int, *, key: np.ndarray) -> np.ndarray:
    """Index of the position with the largest finite ``key`` per profile, or -1."""
    out = np.full(n, -1, dtype=np.int64)
    ok = np.isfinite(key)
    if not ok.any():
        return out
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((key[idx], parent[idx]))]
    last = np.r_[parent[order][1:] != parent[order][:-1], True]
    out[parent[order][last]] = order[last]
    return out


def _take(values: np.ndarray, idx: np.ndarray) -> list:
    return [values[i] if i >= 0 else None for i in idx.tolist()]


def _take_num(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.where(idx >= 0, values[np.maximum(idx, 0)] if len(values) else 0, 0)


def _past_companies(parent, comp_ids, cur_idx, offsets, n) -> list[list[str]]:
    is_cur = np.zeros(len(parent), dtype=bool)
    is_cur[cur_idx[cur_idx >= 0]] = True
    out: list[list[str]] = []
    ids = comp_ids.tolist()
    cur = is_cur.tolist()
    for i in range(n):
        seen: dict[str, None] = {}
        for j in range(offsets[i], offsets[i + 1]):
            if not cur[j] and ids[j]:
                seen.setdefault(ids[j], None)
        out.append(list(seen))
    return out


class _Memo:
    """Per-call memo of title and skill normalisation (corpora repeat the same strings heavily)."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self.titles: dict[str, tuple] = {}
        self.hints: dict[str, str | None] = {}
        self.skills: dict[str, str] = {}

    def title(self, title: str | None) -> tuple:
        if not title:
            return (None, None, 0.0)
        hit = self.titles.get(title)
        if hit is None:
            match = self.taxonomy.match_title(title)
            hit = (match.code, match.title, float(match.score)) if match else (None, None, 0.0)
            self.titles[title] = hit
        return hit

    def seniority(self, title: str | None, years: float) -> str:
        """Title words decide when present (``Sr.``, ``Head of``); otherwise years of experience."""
        if title:
            if title not in self.hints:
                self.hints[title] = self.taxonomy.seniority_hint(title)
            if self.hints[title]:
                return self.hints[title]
        if years < 2:
            return "junior"
        return "mid" if years < 5 else "senior"

    def skills_of(self, raw) -> list[str]:
        seen: dict[str, str] = {}
        for s in raw:
            if s and s.strip():
                canon = self.skills.get(s)
                if canon is None:
                    canon = self.skills[s] = self.taxonomy.normalize_skill(s) or " ".join(s.split())
                seen.setdefault(canon.casefold(), canon)
        return list(seen.values())
