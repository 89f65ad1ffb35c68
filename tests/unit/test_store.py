"""ProfileStore: the memory-mapped profiles and the id index without a Python object per profile."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexer import store as store_module
from indexer.build import current_version
from indexer.store import MAPPED_FILE, PROFILES_FILE, ProfileStore
from records.schema import INDEXED_SCHEMA


def test_versions_keep_a_memory_mapped_copy_equal_to_the_parquet(small_index):
    version = current_version(small_index)
    assert (version / MAPPED_FILE).exists()
    before = pa.total_allocated_bytes()
    st = ProfileStore.load(version)
    assert pa.total_allocated_bytes() - before < st.table.nbytes / 2      # the data stay in the mapped file
    assert st.table.equals(pq.read_table(version / PROFILES_FILE, schema=INDEXED_SCHEMA))


def test_rows_of_finds_every_id_and_nothing_else(small_index):
    st = ProfileStore.load(current_version(small_index))
    ids = st.table.column("candidate_id").to_pylist()
    assert st.rows_of(ids).tolist() == list(range(len(ids)))
    assert st.rows_of(["nobody", "", None, ids[3]]).tolist() == [-1, -1, -1, 3]
    assert st.row_of("nobody") is None and st.ord_of(ids[2]) == int(st.table.column("ord")[2].as_py())
    mask = st.ords_mask([ids[0], "nobody", ids[5]])
    assert np.flatnonzero(mask).tolist() == sorted(st.table.column("ord").to_numpy()[[0, 5]].tolist())


def test_a_digest_collision_is_never_taken_for_a_match(small_index, monkeypatch):
    monkeypatch.setattr(store_module, "_id_digests", lambda ids: np.zeros(len(ids), np.uint64))   # every id collides
    st = ProfileStore.load(current_version(small_index))
    ids = st.table.column("candidate_id").to_pylist()
    assert st.rows_of(ids[::-1]).tolist() == list(range(len(ids)))[::-1]
    assert st.rows_of(["nobody"]).tolist() == [-1]


def test_a_corpus_without_companies_or_tenants(tmp_path):
    """Documents with no positions (a benchmark's abstracts): every code is 'none', nothing fails."""
    import json

    from indexer.build import IndexConfig, ingest
    from tests.unit.test_ingest_robustness import HashEncoder

    (tmp_path / "docs.jsonl").write_text("".join(json.dumps({"candidate_id": f"d{i}", "headline": f"Title {i}",
                                                             "summary": "text"}) + "\n" for i in range(3)))
    ingest([tmp_path / "docs.jsonl"], tmp_path / "idx", IndexConfig(), progress=False, encoder=HashEncoder())
    st = ProfileStore.load(current_version(tmp_path / "idx"))
    assert st.company_codes == {} and (st.columns.company[st.columns.alive] == -1).all()
    assert st.rows_of(["d2", "d0"]).tolist() == [2, 0]
