"""Term statistics written at ingest: they follow upserts and deletes, the features read from them
equal the features computed by analysing the profiles, and an older version gets them on the next run."""
import dataclasses

import numpy as np
import pytest

from indexer.build import IndexConfig, current_version, ingest
from indexer.reader import IndexReader
from indexer.store import ProfileStore
from indexer.termstats import FILE, LEX_GROUPS, StatsWriter, TermStats, build_table, profile_stats, stats_batch
from query.lang.filters import Filters
from query.lang.keywords import keywords_to_ast
from query.lang.parser import parse
from ranking.ltr.features import FeatureSet, Pool, build_context
from tests.conftest import AS_OF
from tests.integration.conftest import write

CONFIG = IndexConfig(as_of=AS_OF)


def assert_matches_store(version_dir):
    store = ProfileStore.load(version_dir)
    stats = TermStats.load(version_dir)
    assert stats is not None and stats.aligned_with(store.table.column("ord").to_numpy())
    rows = np.arange(len(store))
    got = stats.gather(rows)
    want = TermStats(build_table(store.table)).gather(rows)
    for field in ("owner", "keys", "tf", "length", "first_start", "moves"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field), err_msg=field)
    # and each profile's own analysis, row by row
    for row, p in zip(rows[:3], store.table.slice(0, 3).to_pylist()):
        mine = got.keys[got.owner == row]
        assert sorted(mine.tolist()) == sorted(profile_stats(p).keys.tolist())


def test_termstats_follow_upserts_and_deletes(tmp_path, rows, encoder):
    idx = tmp_path / "idx"
    ingest([write(tmp_path / "a.jsonl", rows[:8])], idx, CONFIG, progress=False, encoder=encoder)
    assert_matches_store(current_version(idx))
    rows[2]["headline"] = "Kafka streaming specialist"                    # an update
    ingest([write(tmp_path / "b.jsonl", rows)], idx, CONFIG, progress=False, encoder=encoder)
    assert_matches_store(current_version(idx))
    ingest([], idx, CONFIG, delete_ids=[rows[0]["candidate_id"]], progress=False, encoder=encoder)
    assert_matches_store(current_version(idx))


def test_features_from_termstats_equal_features_from_profiles(tmp_path, rows, encoder):
    idx = tmp_path / "idx"
    ingest([write(tmp_path / "a.jsonl", rows)], idx, CONFIG, progress=False, encoder=encoder)
    snap = IndexReader(idx).snapshot()
    without = dataclasses.replace(snap, path=None)          # no file to read: profiles are analysed
    ords = np.flatnonzero(snap.store.columns.alive)
    n = len(ords)
    pool = Pool(ords, np.linspace(1, 0.1, n), np.linspace(9, 1, n), np.linspace(0.9, 0.2, n))
    filters = Filters.from_dict({"near": "Berlin", "radius_km": 800, "min_years": 2})
    for node, boolean in ((parse('title:"data engineer" AND (spark OR kafka)'), True),
                          (keywords_to_ast("registered nurse icu"), False), (None, False)):
        ctx = build_context(node, filters, boolean=boolean, today=AS_OF)
        a = FeatureSet().compute(snap, ctx, pool)
        b = FeatureSet().compute(without, ctx, pool)
        np.testing.assert_array_equal(a, b)
        assert node is None or (a[:, :6] > 0).any()          # the lexical features saw matches


def test_an_older_version_gets_termstats_on_the_next_run(tmp_path, rows, encoder):
    idx = tmp_path / "idx"
    src = write(tmp_path / "a.jsonl", rows)
    ingest([src], idx, CONFIG, progress=False, encoder=encoder)
    version = current_version(idx)
    (version / FILE).unlink()                                 # as written before the file existed
    again = ingest([src], idx, CONFIG, progress=False, encoder=encoder)
    assert again.version == version.name and again.unchanged == len(rows)
    assert_matches_store(version)


def test_merged_rows_stay_in_ord_order(tmp_path, rows, encoder):
    idx = tmp_path / "idx"
    ingest([write(tmp_path / "a.jsonl", rows[:6])], idx, CONFIG, progress=False, encoder=encoder)
    version = current_version(idx)
    store, stats = ProfileStore.load(version), TermStats.load(version)
    ords = store.table.column("ord").to_numpy()
    again = build_table(store.table.slice(0, 2))                  # rows re-added after the others: out of order
    merged = stats.merged(again, ords[:2].tolist())
    assert merged.aligned_with(np.sort(ords))
    appended = stats.merged(build_table(store.table.slice(0, 0)), [])   # nothing new: the same rows, no sort needed
    assert appended.aligned_with(ords)


def test_batch_statistics_equal_each_profiles_own(tmp_path, rows, encoder):
    """``stats_batch`` counts a whole batch in numpy: the same keys, counts and order as ``profile_stats``."""
    idx = tmp_path / "idx"
    ingest([write(tmp_path / "a.jsonl", rows)], idx, CONFIG, progress=False, encoder=encoder)
    records = ProfileStore.load(current_version(idx)).table.to_pylist()
    records.append({**records[0], "ord": 10_000, "headline": None, "summary": None, "positions": [], "skills": [],
                    "skills_normalized": [], "current_title": None, "occupation_title": None, "location": None})
    got = stats_batch(records).to_pylist()
    for p, row in zip(records, got):
        want = profile_stats(p)
        assert row["ord"] == p["ord"]
        assert row["keys"] == want.keys.tolist() and row["tf"] == want.tf.astype(int).tolist()
        assert row["length"] == want.length.astype(int).tolist()
        assert (row["first_start"], row["moves"]) == (want.first_start, want.moves)
    assert got[-1]["keys"] == [] and got[-1]["length"] == [0] * len(LEX_GROUPS)
    assert stats_batch([]).num_rows == 0


def test_a_file_written_batch_by_batch_reads_as_one(tmp_path, rows, encoder):
    """The writer streams small batches; the mapped file's chunks are gathered as if they were one, the
    previous version's removed ords are left out, and rows out of ord order are refused."""
    idx = tmp_path / "idx"
    ingest([write(tmp_path / "a.jsonl", rows)], idx, CONFIG, progress=False, encoder=encoder)
    store = ProfileStore.load(current_version(idx))
    records = store.table.to_pylist()
    whole = TermStats(build_table(store.table))
    (tmp_path / "v").mkdir()
    with StatsWriter(tmp_path / "v") as out:
        out.write_previous(whole, [records[1]["ord"]])
    assert TermStats.load(tmp_path / "v").ords.tolist() == [p["ord"] for p in records if p is not records[1]]
    (tmp_path / "w").mkdir()
    with StatsWriter(tmp_path / "w") as out:
        for at in range(0, len(records), 3):
            out.add(records[at:at + 3])
    loaded = TermStats.load(tmp_path / "w")
    assert loaded.table.column("keys").num_chunks > 1 and loaded.aligned_with(whole.ords)
    rows_wanted = np.array([5, 0, len(records) - 1, 3, 3])
    for field in ("owner", "keys", "tf", "length", "first_start", "moves"):
        np.testing.assert_array_equal(getattr(loaded.gather(rows_wanted), field),
                                      getattr(whole.gather(rows_wanted), field), err_msg=field)
    (tmp_path / "x").mkdir()
    with StatsWriter(tmp_path / "x") as out, pytest.raises(ValueError, match="ascending ord order"):
        out.add(records[3:5])
        out.add(records[0:2])
