"""Upsert, delete, idempotent re-runs and atomic publish of index versions."""

import hashlib
import json

import pytest

import indexer.build as build
from indexer.build import IndexConfig, current_version, ingest
from indexer.inputs import read_inputs
from indexer.validate import latest_date
from indexer.reader import IndexReader
from query.lang.filters import Filters
from ranking.search.pipeline import SearchEngine, SearchRequest
from tests.conftest import AS_OF
from tests.integration.conftest import write

CONFIG = IndexConfig(as_of=AS_OF)


def search_ids(index_dir, encoder, query, mode="lexical"):
    engine = SearchEngine(IndexReader(index_dir), encoder, today=lambda: AS_OF)
    return {h.candidate_id for h in engine.search(SearchRequest(query=query, k=50, mode=mode)).hits}


def test_rerun_is_idempotent_then_upsert_and_delete(tmp_path, rows, encoder):
    src = write(tmp_path / "p.jsonl", rows)
    idx = tmp_path / "idx"
    first = ingest([src], idx, CONFIG, progress=False, encoder=encoder)
    assert (first.added, first.total) == (12, 12)
    again = ingest([src], idx, CONFIG, progress=False, encoder=encoder)
    assert (again.version, again.added, again.updated, again.unchanged) == (first.version, 0, 0, 12)

    rows[9]["positions"][0]["title"] = "Flight Nurse"           # rn-001 changes title
    rows.append({**rows[0], "candidate_id": "new-1", "headline": "Quantum Plumber"})
    third = ingest([write(tmp_path / "p2.jsonl", rows)], idx, CONFIG, progress=False, encoder=encoder)
    assert (third.added, third.updated, third.unchanged, third.total) == (1, 1, 11, 13)
    assert search_ids(idx, encoder, 'title:"flight nurse"') == {"rn-001"}
    assert search_ids(idx, encoder, 'title:"registered nurse"') == set()
    assert search_ids(idx, encoder, "quantum plumber", mode="dense") >= {"new-1"}

    fourth = ingest([], idx, CONFIG, delete_ids=["rn-001", "not-there"], progress=False, encoder=encoder)
    assert (fourth.deleted, fourth.total) == (1, 12)
    assert search_ids(idx, encoder, 'title:"flight nurse"') == set()
    assert "rn-001" not in search_ids(idx, encoder, "nurse", mode="dense")
    versions = sorted(p.name for p in (idx / "versions").iterdir())
    assert len(versions) == 2 and (idx / "CURRENT").read_text().strip() == versions[-1]   # keeps one previous


def test_crash_mid_index_leaves_previous_version_searchable(tmp_path, rows, encoder, monkeypatch):
    idx = tmp_path / "idx"
    ingest([write(tmp_path / "a.jsonl", rows[:6])], idx, CONFIG, progress=False, encoder=encoder)
    before = current_version(idx)

    def boom(*args, **kwargs):
        raise RuntimeError("power cut while encoding")

    monkeypatch.setattr(build, "_write_dense", boom)
    with pytest.raises(RuntimeError, match="power cut"):
        ingest([write(tmp_path / "b.jsonl", rows)], idx, CONFIG, progress=False, encoder=encoder)
    assert current_version(idx) == before
    assert not list((idx / "versions").glob(".v*"))            # the half-built version is gone
    assert search_ids(idx, encoder, "spark") == {"de-001", "de-002", "de-004", "de-006"}
    monkeypatch.undo()
    done = ingest([write(tmp_path / "b.jsonl", rows)], idx, CONFIG, progress=False, encoder=encoder)
    assert (done.added, done.total) == (6, 12)


def test_reader_picks_up_a_new_version(tmp_path, rows, encoder):
    idx = tmp_path / "idx"
    ingest([write(tmp_path / "a.jsonl", rows[:2])], idx, CONFIG, progress=False, encoder=encoder)
    engine = SearchEngine(IndexReader(idx), encoder, today=lambda: AS_OF)
    q = SearchRequest(query="", filters=Filters(), k=50)
    assert len(engine.search(q).hits) == 2
    ingest([write(tmp_path / "b.jsonl", rows[:5])], idx, CONFIG, progress=False, encoder=encoder)
    assert len(engine.search(q).hits) == 5


def test_content_hashes_are_the_digests_of_the_rows_kept(tmp_path, rows):
    """Hashed while validating (no second pass): each equals the digest of the row as stored, and a
    duplicate's hash goes with the copy that won."""
    changed = {**rows[1], "headline": "A later copy"}
    inputs = read_inputs([write(tmp_path / "p.jsonl", [*rows, changed])], latest=latest_date(AS_OF))
    stored = inputs.table.to_pylist()
    assert len(stored) == len(rows) and len(inputs.duplicates) == 1
    assert inputs.hashes.to_pylist() == [
        hashlib.blake2b(json.dumps(r, default=str, sort_keys=True).encode(), digest_size=16).hexdigest() for r in stored]
    assert stored[-1]["headline"] == "A later copy"
