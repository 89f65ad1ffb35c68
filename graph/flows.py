"""Talent-flow aggregation as pure functions over row partitions: the map and reduce of the graph build.

A build is two passes over partitions of the profile table (any partition size, any runner):

1. ``vocab_of(part)`` lists a partition's distinct companies, titles (with their O*NET match), skill
   spellings (with their normalised name), locations and schools; ``merge_vocab`` unites them in
   partition order, so every node gets the code the whole table's first-appearance order gives it.
2. ``partial_of(part, vocab)`` counts with those global codes: per-profile columns (current company,
   occupation, title, location, tenure, previous company, moves a year), CSR skills and schools, the
   moves, occupation transitions, monthly hires / departures / starting headcount, skill
   co-occurrence, company x skill and company x location counts. ``merge_partials`` concatenates the
   per-profile parts and sums the counts (integers, so the sum is exact whatever the partitioning).

``graph.build`` finishes from the merged counts (metrics, PageRank, top-k); ``graph.build`` runs the
passes in this process, ``graph.build_ray`` on Ray: the same functions, the same graph, byte for byte.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from graph import metrics as gm
from graph.store import month_of_days
from records.taxonomy import Taxonomy

COLUMNS = ("candidate_id", "location", "positions", "skills", "education", "open_to_work")
DAYS_PER_MONTH = 365.25 / 12
_S = pa.string()


@dataclass(frozen=True, eq=False)
class Vocab:
    """Distinct node values in first-appearance order (a partition's, or the merged table's)."""
    company_ids: pa.Array       # string; ``company_names`` the name on the first position at each
    company_names: pa.Array
    titles: pa.Array            # position titles; ``title_occ`` the O*NET code each matched (null: none)
    title_occ: pa.Array
    skill_raw: pa.Array         # skill spellings as written; ``skill_name`` normalised (null: blank)
    skill_name: pa.Array
    locations: pa.Array         # "city\x1fregion\x1fcountry"
    schools: pa.Array           # trimmed school names


@dataclass(frozen=True, eq=False)
class GlobalVocab:
    """The merged vocabulary plus the code tables ``partial_of`` maps values through."""
    vocab: Vocab
    occupations: list[str]      # O*NET codes in first-match order (occupation code = position)
    title_to_occ: np.ndarray    # int32 per title, -1 = no match
    skill_names: list[str]      # canonical skills (skill code = position)
    raw_to_skill: np.ndarray    # int32 per raw spelling, -1 = blank


@dataclass(frozen=True, eq=False)
class Partial:
    """Counts of one partition (or of all, merged), every code global; rows are partition-local."""
    n: int
    people: dict[str, np.ndarray]     # candidate_id (object), company, occupation, title, location, tenure,
    #                                   career_years, open_to_work, moves_per_year, prev_company
    skills: tuple[np.ndarray, np.ndarray]    # CSR (offsets int64 (n+1,), codes int32) per profile
    schools: tuple[np.ndarray, np.ndarray]
    moves: dict[str, np.ndarray]      # row, src, dst, month (one per company change)
    transitions: tuple[np.ndarray, np.ndarray]   # (key src * n_occ + dst int64 sorted, count int64)
    monthly: dict[str, np.ndarray]    # hires, departures (companies, MONTHS), start (companies,) int64
    skill_freq: np.ndarray            # int64 per skill (uncapped)
    cooccurrence: sp.csr_matrix       # int64 (skills, skills), capped per profile
    company_skills: sp.csr_matrix     # int64 (companies, skills): current staff's skills
    company_locations: tuple[np.ndarray, np.ndarray]   # (key company * n_loc + location, count)


# -- pass 1: vocabulary ------------------------------------------------------------------------
def vocab_of(table: pa.Table, taxonomy: Taxonomy) -> Vocab:
    flat = _positions(table)
    cid = _company_ids(flat)
    ids = _uniques(cid)
    codes = _codes(cid, ids)
    ok = np.flatnonzero(codes >= 0)
    uniq, idx = np.unique(codes[ok], return_index=True)
    first = np.zeros(len(ids), dtype=np.int64)
    first[uniq] = ok[idx]                 # the first position at each company names it
    titles = _uniques(flat.field("title"))
    occ = [None if (m := taxonomy.match_title(t)) is None else m.code for t in titles.to_pylist()]
    raw = _uniques(_list_values(table, "skills"))
    names = []
    for s in raw.to_pylist():
        names.append((taxonomy.normalize_skill(s) or " ".join(s.split())) if s.strip() else None)
    return Vocab(ids, flat.field("company_name").take(pa.array(first)).cast(_S), titles, pa.array(occ, _S), raw, pa.array(names, _S),
                 _uniques(_location_keys(table)), _uniques(_school_values(table)))


def merge_vocab(parts: list[Vocab]) -> GlobalVocab:
    """Unite partition vocabularies in partition order (= the whole table's first-appearance order)."""
    def union(keys: str, *values: str) -> list[pa.Array]:
        seen: dict = {}
        for p in parts:
            cols = [getattr(p, v).to_pylist() for v in values]
            for i, k in enumerate(getattr(p, keys).to_pylist()):
                if k not in seen:
                    seen[k] = tuple(c[i] for c in cols)
        return [pa.array(list(seen), _S)] + [pa.array([v[j] for v in seen.values()], _S) for j in range(len(values))]

    ids, names = union("company_ids", "company_names")
    titles, title_occ = union("titles", "title_occ")
    raw, skill_name = union("skill_raw", "skill_name")
    (locations,), (schools,) = union("locations"), union("schools")
    occupations: dict[str, int] = {}
    t2o = np.array([-1 if c is None else occupations.setdefault(c, len(occupations)) for c in title_occ.to_pylist()],
                   dtype=np.int32)
    canon: dict[str, int] = {}
    skill_names: list[str] = []
    r2s = np.full(len(raw), -1, dtype=np.int32)
    for i, name in enumerate(skill_name.to_pylist()):
        if name is not None:
            r2s[i] = code = canon.setdefault(name.casefold(), len(skill_names))
            if code == len(skill_names):
                skill_names.append(name)
    vocab = Vocab(ids, names, titles, title_occ, raw, skill_name, locations, schools)
    return GlobalVocab(vocab, list(occupations), t2o, skill_names, r2s)


# -- pass 2: counts ----------------------------------------------------------------------------
def partial_of(table: pa.Table, g: GlobalVocab, as_of: dt.date, max_skills_per_profile: int) -> Partial:
    """Every count of one partition with global codes (see the module docstring)."""
    v, n = g.vocab, table.num_rows
    n_c, n_s, n_loc, n_o = len(v.company_ids), len(g.skill_names), len(v.locations), max(len(g.occupations), 1)
    today = (as_of - dt.date(1970, 1, 1)).days
    as_of_month = int(month_of_days(np.array([today]))[0])
    flat = _positions(table)
    parent = _parents(table.column("positions"), n)
    comp = _codes(_company_ids(flat), v.company_ids)
    title = _codes(flat.field("title"), v.titles)
    occ = np.where(title >= 0, g.title_to_occ[np.maximum(title, 0)] if len(g.title_to_occ) else -1, -1)
    start = pc.fill_null(flat.field("start").cast(pa.int32()), today).to_numpy(zero_copy_only=False)
    end = pc.fill_null(flat.field("end").cast(pa.int32()), -1).to_numpy(zero_copy_only=False)
    ended = (end >= 0) & (end <= today)
    start = np.minimum(start.astype(np.int64), today)
    end = np.where(ended, end, today).astype(np.int64)

    # people: the open position with the latest start, else the latest position
    cur = _last_per_parent(parent, n, np.flatnonzero(~ended), start)
    latest = _last_per_parent(parent, n, np.arange(len(parent)), end * 100_000 + start)
    has = cur >= 0
    pick = np.where(has, cur, latest)
    company = np.where(has, comp[np.maximum(cur, 0)], -1).astype(np.int32)
    first = np.full(n, today, dtype=np.int64)
    if len(parent):
        np.minimum.at(first, parent, start)
    people = {"candidate_id": table.column("candidate_id").cast(_S).to_numpy(zero_copy_only=False),
              "company": company,
              "occupation": np.where(pick >= 0, occ[np.maximum(pick, 0)], -1).astype(np.int32),
              "title": np.where(pick >= 0, title[np.maximum(pick, 0)], -1).astype(np.int32),
              "location": _codes(_location_keys(table), v.locations),
              "tenure": np.where(has, (today - start[np.maximum(cur, 0)]) / DAYS_PER_MONTH, np.nan),
              "career_years": np.maximum((today - first) / 365.25, 1.0),
              "open_to_work": pc.fill_null(table.column("open_to_work"), False).to_numpy(zero_copy_only=False).astype(bool)}
    schools = _csr(_parents(table.column("education"), n), _codes(_school_values(table), v.schools), n, len(v.schools))

    # skills: canonical codes, deduplicated per profile; co-occurrence over the first ``max`` of each
    raw = _codes(_list_values(table, "skills"), v.skill_raw)
    codes = np.where(raw >= 0, g.raw_to_skill[np.maximum(raw, 0)] if len(raw) else -1, -1)
    skills = _csr(_parents(table.column("skills"), n), codes, n, n_s)
    offsets, scodes = skills
    keep = _rank_in_row(offsets) < max_skills_per_profile
    rows = np.repeat(np.arange(n), np.diff(offsets))
    x = sp.csr_matrix((np.ones(int(keep.sum()), np.int64), (rows[keep], scodes[keep])), shape=(n, n_s))
    one_hot = sp.csr_matrix((np.ones(int(has.sum()), np.int64), (company[has], np.flatnonzero(has))), shape=(n_c, n))

    # moves (consecutive positions at different companies) and occupation transitions
    o = np.lexsort((end, start, parent))
    a, b = o[:-1], o[1:]
    same = parent[a] == parent[b]
    mv = same & (comp[a] >= 0) & (comp[b] >= 0) & (comp[a] != comp[b])
    moves = {"row": parent[b][mv], "src": comp[a][mv], "dst": comp[b][mv], "month": month_of_days(start[b][mv])}
    tr = same & (occ[a] >= 0) & (occ[b] >= 0) & (occ[a] != occ[b])
    transitions = np.unique(occ[a][tr].astype(np.int64) * n_o + occ[b][tr], return_counts=True)
    people["moves_per_year"] = (np.bincount(moves["row"], minlength=n) / people["career_years"]).astype(np.float32)
    prev = np.full(n, -1, dtype=np.int32)
    into = moves["dst"] == company[moves["row"]]
    last = _last_per_parent(moves["row"], n, np.flatnonzero(into), moves["month"].astype(np.int64))
    prev[last >= 0] = moves["src"][last[last >= 0]]
    people["prev_company"] = prev

    # monthly series over the last MONTHS months ending at as_of
    m, g0 = gm.MONTHS, as_of_month - (gm.MONTHS - 1)
    ok = comp >= 0
    sm, em = month_of_days(start), month_of_days(end)
    c = comp.astype(np.int64)
    h, d = ok & (sm >= g0), ok & ended & (em >= g0)
    base = ok & (sm < g0) & (~ended | (em >= g0))
    monthly = {"hires": np.bincount(c[h] * m + (sm[h] - g0), minlength=n_c * m).reshape(n_c, m),
               "departures": np.bincount(c[d] * m + (em[d] - g0), minlength=n_c * m).reshape(n_c, m),
               "start": np.bincount(c[base], minlength=n_c)}
    loc = people["location"]
    okl = has & (loc >= 0)
    company_locations = np.unique(company[okl].astype(np.int64) * max(n_loc, 1) + loc[okl], return_counts=True)
    return Partial(n, people, skills, schools, moves, transitions, monthly,
                   np.bincount(scodes, minlength=n_s).astype(np.int64), (x.T @ x).tocsr(), (one_hot @ x).tocsr(),
                   company_locations)


def merge_partials(parts: list[Partial]) -> Partial:
    """Concatenate per-profile columns (rows renumbered in order) and sum every count."""
    if not parts:
        raise ValueError("merge_partials: no partitions")
    starts = np.cumsum([0] + [p.n for p in parts])
    people = {k: np.concatenate([p.people[k] for p in parts]) for k in parts[0].people}
    moves = {k: np.concatenate([p.moves[k] + (starts[i] if k == "row" else 0) for i, p in enumerate(parts)])
             for k in parts[0].moves}
    monthly = {k: sum(p.monthly[k] for p in parts) for k in parts[0].monthly}
    return Partial(int(starts[-1]), people, _concat_csr([p.skills for p in parts]), _concat_csr([p.schools for p in parts]),
                   moves, _sum_keys([p.transitions for p in parts]), monthly, sum(p.skill_freq for p in parts),
                   _sum_sparse([p.cooccurrence for p in parts]), _sum_sparse([p.company_skills for p in parts]),
                   _sum_keys([p.company_locations for p in parts]))


# -- helpers -----------------------------------------------------------------------------------
def _positions(table: pa.Table) -> pa.StructArray:
    return table.column("positions").combine_chunks().flatten()


def _company_ids(flat: pa.StructArray) -> pa.Array:
    return pc.coalesce(flat.field("company_id"), pc.utf8_lower(flat.field("company_name")))


def _list_values(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks().flatten()


def _school_values(table: pa.Table) -> pa.Array:
    return pc.utf8_trim_whitespace(_list_values(table, "education").field("school"))


def _location_keys(table: pa.Table) -> pa.Array:
    loc = table.column("location").combine_chunks()
    key = pc.binary_join_element_wise(*[pc.fill_null(loc.field(f), "") for f in ("city", "region", "country")], "\x1f")
    key = pc.if_else(pc.equal(key, "\x1f\x1f"), pa.scalar(None, _S), key)
    return pc.if_else(loc.is_valid(), key, pa.scalar(None, _S))


def _blank_to_null(arr) -> pa.Array:
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr) if len(arr) else arr


def _uniques(arr) -> pa.Array:
    """Distinct non-null, non-empty values in first-appearance order."""
    return pc.drop_null(pc.unique(_blank_to_null(arr))).cast(_S)


def _codes(arr, values: pa.Array) -> np.ndarray:
    """int32 position of each value in ``values`` (-1 for null, empty or absent)."""
    arr = _blank_to_null(arr)
    if not len(arr):
        return np.zeros(0, dtype=np.int32)
    idx = pc.index_in(arr, value_set=values) if len(values) else pa.nulls(len(arr), pa.int32())
    return pc.fill_null(idx, -1).to_numpy(zero_copy_only=False).astype(np.int32)


def _parents(col, n: int) -> np.ndarray:
    off = np.asarray(col.combine_chunks().offsets, dtype=np.int64)
    return np.repeat(np.arange(n, dtype=np.int64), np.diff(off - off[0]))


def _last_per_parent(parent: np.ndarray, n: int, candidates: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Per parent, the candidate index with the largest key, or -1."""
    out = np.full(n, -1, dtype=np.int64)
    if not len(candidates):
        return out
    order = candidates[np.lexsort((key[candidates], parent[candidates]))]
    last = np.r_[parent[order][1:] != parent[order][:-1], True]
    out[parent[order][last]] = order[last]
    return out


def _csr(parent: np.ndarray, codes: np.ndarray, n: int, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """Deduplicated (offsets int64 (n+1,), codes int32) per parent, codes sorted; -1 codes dropped."""
    ok = codes >= 0
    key = np.unique(parent[ok].astype(np.int64) * max(n_codes, 1) + codes[ok])
    rows = key // max(n_codes, 1)
    offsets = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n)))).astype(np.int64)
    return offsets, (key % max(n_codes, 1)).astype(np.int32)


def _rank_in_row(offsets: np.ndarray) -> np.ndarray:
    return np.arange(offsets[-1]) - np.repeat(offsets[:-1], np.diff(offsets))


def _concat_csr(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    offsets, base = [np.zeros(1, np.int64)], 0
    for off, _ in parts:
        offsets.append(off[1:] + base)
        base += int(off[-1])
    return np.concatenate(offsets), np.concatenate([c for _, c in parts]).astype(np.int32)


def _sum_keys(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    keys = np.concatenate([k for k, _ in parts]).astype(np.int64)
    uk, inv = np.unique(keys, return_inverse=True)
    return uk, np.bincount(inv, weights=np.concatenate([c for _, c in parts]), minlength=len(uk)).astype(np.int64)


def _sum_sparse(parts: list[sp.csr_matrix]) -> sp.csr_matrix:
    out = parts[0].copy()
    for p in parts[1:]:
        out = out + p
    out.sum_duplicates()
    out.sort_indices()
    return out
