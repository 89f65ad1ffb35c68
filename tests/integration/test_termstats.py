"""Term statistics written at ingest: they follow upserts and deletes, the features read from them
equal the features computed by analysing the profiles, and an older version gets them on the next run."""
import dataclasses

import numpy as np

from indexer.build import IndexConfig, current_version, ingest
from indexer.reader import IndexReader
from indexer.store import ProfileStore
from indexer.termstats import FILE, TermStats, build_table, profile_stats
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
