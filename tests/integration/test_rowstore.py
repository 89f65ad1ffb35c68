"""profiles.rows: hydration by pread returns exactly the Arrow store's dicts; folds copy unchanged rows."""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from indexer import rowstore
from indexer.build import IndexConfig, current_version, ingest
from indexer.reader import IndexReader
from indexer.rowstore import ROWS_FILE, ROWS_INDEX, RowReader, backfill, write_rows
from indexer.store import ProfileStore
from query.lang.filters import Filters
from ranking.search.pipeline import SearchEngine, SearchRequest
from records.schema import INDEXED_SCHEMA
from tests.conftest import AS_OF
from tests.integration.conftest import write

CONFIG = IndexConfig(as_of=AS_OF)


def same(a: list[dict], b: list[dict]) -> None:
    """Equal values, and equal key order and Python types (repr shows date vs int, float vs int, ...)."""
    assert a == b
    assert [repr(x) for x in a] == [repr(x) for x in b]


def both_paths(version) -> tuple[list[dict], list[dict]]:
    fast, arrow = ProfileStore.load(version), ProfileStore.load(version, rows=False)
    assert fast.rows is not None and arrow.rows is None
    ords = arrow.table.column("ord").to_pylist()
    return fast.records(ords), arrow.records(ords)


def test_rows_equal_the_arrow_store_row_by_row(small_index):
    version = current_version(small_index)
    assert (version / ROWS_FILE).exists() and (version / ROWS_INDEX).exists()
    fast, arrow = both_paths(version)
    assert len(fast) == 12 and any(p["positions"] for p in fast)
    same(fast, arrow)
    st = ProfileStore.load(version)
    ords = st.table.column("ord").to_pylist()[::-1][:5]                 # any order, any subset
    same(st.records(ords), ProfileStore.load(version, rows=False).records(ords))


def test_nulls_empty_lists_and_odd_text_round_trip(tmp_path):
    recs = [{"ord": 0, "candidate_id": "a"},                           # every other field null
            {"ord": 1, "candidate_id": "b\u00e9\U0001f600\"\\\n", "skills": [], "positions": [],
             "past_company_ids": [None, "x"], "years_experience": 3.2, "tenure_months": float("nan"),
             "last_active": pa.scalar(-3, pa.date32()).as_py(),
             "positions_dummy": None}]
    recs[1].pop("positions_dummy")
    table = pa.Table.from_pylist(recs, schema=INDEXED_SCHEMA)
    write_rows(tmp_path, table)
    got = RowReader(tmp_path, INDEXED_SCHEMA, 2).records([0, 1])
    want = table.to_pylist()
    assert repr(got) == repr(want)                                     # NaN != NaN, so compare the reprs


def test_a_fold_encodes_only_fresh_rows_and_still_matches(tmp_path, rows, encoder, monkeypatch):
    idx = tmp_path / "idx"
    ingest([write(tmp_path / "p.jsonl", rows)], idx, CONFIG, progress=False, encoder=encoder)
    encoded = []
    real = rowstore.encode_rows
    monkeypatch.setattr(rowstore, "encode_rows", lambda schema, recs: encoded.extend(r["candidate_id"] for r in recs)
                        or real(schema, recs))
    rows[9]["positions"][0]["title"] = "Flight Nurse"                 # rn-001 changes
    rows.append({**rows[0], "candidate_id": "new-1", "headline": "Quantum Plumber"})
    ingest([write(tmp_path / "p2.jsonl", rows)], idx, CONFIG, progress=False, encoder=encoder)
    assert sorted(encoded) == ["new-1", "rn-001"]
    ingest([], idx, CONFIG, delete_ids=[rows[2]["candidate_id"]], progress=False, encoder=encoder)
    assert sorted(encoded) == ["new-1", "rn-001"]                     # a delete encodes nothing
    fast, arrow = both_paths(current_version(idx))
    same(fast, arrow)
    assert len(fast) == 12 and {"new-1", "rn-001"} <= {p["candidate_id"] for p in fast}
    assert next(p for p in fast if p["candidate_id"] == "rn-001")["positions"][0]["title"] == "Flight Nurse"


def test_an_old_index_without_rows_falls_back_logs_once_and_backfills(tmp_path, rows, encoder, caplog, monkeypatch):
    idx = tmp_path / "idx"
    ingest([write(tmp_path / "p.jsonl", rows)], idx, CONFIG, progress=False, encoder=encoder)
    version = current_version(idx)
    (version / ROWS_FILE).unlink()
    (version / ROWS_INDEX).unlink()
    monkeypatch.setattr(rowstore, "_warned_missing", False)
    engine = SearchEngine(IndexReader(idx), encoder, today=lambda: AS_OF)
    with caplog.at_level(logging.WARNING, logger="indexer.rowstore"):
        old = engine.search(SearchRequest(query="nurse", k=5, mode="lexical")).hits
        ProfileStore.load(version)
    assert old and [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "profiles.rows" in caplog.records[0].message and ProfileStore.load(version).rows is None
    backfill(version)
    new = SearchEngine(IndexReader(idx), encoder, today=lambda: AS_OF).search(
        SearchRequest(query="nurse", k=5, mode="lexical")).hits
    assert [(h.candidate_id, h.profile) for h in new] == [(h.candidate_id, h.profile) for h in old]
    same(*both_paths(version))


def test_a_row_file_of_another_store_is_refused_by_name(tmp_path, small_index):
    version = current_version(small_index)
    table = ProfileStore.load(version, rows=False).table
    write_rows(tmp_path, table.slice(0, 5))
    with pytest.raises(ValueError, match="profiles.rows.idx: 5 rows, the store has 12"):
        RowReader(tmp_path, INDEXED_SCHEMA, 12)
    write_rows(tmp_path, table)
    with open(tmp_path / ROWS_FILE, "ab") as fh:
        fh.write(b"x")
    with pytest.raises(ValueError, match="profiles.rows: .* bytes, its offsets say"):
        RowReader(tmp_path, INDEXED_SCHEMA, 12)


def test_the_setting_turns_row_hydration_off(small_index, monkeypatch):
    from api.settings import Settings
    from api.wiring import build_reader

    monkeypatch.setenv("TALENTSEARCH_HYDRATE_ROWS", "false")
    off = build_reader(Settings(index_dir=small_index)).snapshot().store
    monkeypatch.setenv("TALENTSEARCH_HYDRATE_ROWS", "true")
    on = build_reader(Settings(index_dir=small_index)).snapshot().store
    assert off.rows is None and on.rows is not None
    assert json.dumps(off.records([0]), default=str) == json.dumps(on.records([0]), default=str)


def _mapped_rss(path) -> int:
    """Resident bytes of this process's mappings of ``path`` (/proc/self/smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split(None, 5)
            if len(head) >= 5 and "-" in head[0] and ":" not in head[0]:
                inside = len(head) == 6 and head[5].strip() == str(path)
            elif inside and line.startswith("Rss:"):
                total += int(line.split()[1]) * 1024
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="Linux only")
def test_with_rows_the_arrow_pages_read_at_load_are_released(small_index, tmp_path):
    version = current_version(small_index)
    for name in ("rows", "arrow"):
        shutil.copytree(version, tmp_path / name)
    with_rows, arrow = ProfileStore.load(tmp_path / "rows"), ProfileStore.load(tmp_path / "arrow", rows=False)
    assert _mapped_rss(tmp_path / "arrow" / "profiles.arrow") > 0            # build_columns touched them
    assert _mapped_rss(tmp_path / "rows" / "profiles.arrow") == 0            # released after load
    same(with_rows.records([0, 3]), arrow.records([0, 3]))                   # still readable: they map again
    assert len(with_rows.mask(Filters(), today=AS_OF)) == with_rows.n_ord
