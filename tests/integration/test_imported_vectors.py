"""Bring your own embeddings: ``talentsearch index --vectors vectors.parquet``.

A foreign model here is a small, real hashing bag-of-words encoder (the Encoder protocol, 64 dimensions):
it "runs elsewhere" to write the vectors file and serves as the query encoder of the same model, so a
dense search over imported vectors can be checked end to end without encoding anything with MiniLM."""
from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from api.cli import main as cli_main
from indexer import build as build_module
from indexer import imported as imported_module
from indexer.build import IndexConfig, current_version, ingest
from indexer.imported import EncoderMismatchError, read_vectors
from indexer.reader import IndexReader
from indexer.vectors import FaissVectorIndex
from ranking.search.pipeline import SearchEngine, SearchRequest
from records.errors import ValidationError
from tests.conftest import AS_OF, DATA

PROFILES = DATA / "profiles_small.jsonl"


class HashingEncoder:
    """Hashed bag of words, L2-normalised: a real (if simple) embedding model of its own space."""

    def __init__(self, name: str = "acme/hash-bow-64", dim: int = 64):
        self.name, self.dim = name, dim

    def encode(self, texts, *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for n, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[n, int(hashlib.blake2b(word.encode(), digest_size=4).hexdigest(), 16) % self.dim] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def _profiles() -> list[dict]:
    return [json.loads(line) for line in PROFILES.read_text().splitlines()]


def _text(p: dict) -> str:
    return " ".join([p.get("headline") or "", *(p.get("skills") or []), *((x.get("title") or "") for x in p.get("positions") or [])])


def _write_vectors(path, ids, vectors, model: str | None = "acme/hash-bow-64"):
    table = pa.table({"candidate_id": pa.array(ids, pa.string()),
                      "vector": pa.array([None if v is None else list(map(float, v)) for v in vectors],
                                         pa.list_(pa.float32()))})
    if model:
        table = table.replace_schema_metadata({"model": model})
    pq.write_table(table, path)
    return path


@pytest.fixture
def no_minilm(monkeypatch):
    """Fail if ingest tries to load the local encoder."""
    def refuse(*_a, **_k):
        raise AssertionError("the local encoder was loaded although every vector was imported")
    monkeypatch.setattr(build_module, "MiniLMEncoder", refuse)


def test_imported_vectors_of_another_model_are_indexed_and_searched_with_that_model(tmp_path, no_minilm):
    profiles, enc = _profiles(), HashingEncoder()
    vecs = _write_vectors(tmp_path / "v.parquet", [p["candidate_id"] for p in profiles], enc.encode([_text(p) for p in profiles]))
    report = ingest([PROFILES], tmp_path / "idx", IndexConfig(as_of=AS_OF), progress=False, vectors=vecs)
    assert report.vectors_imported == len(profiles) and report.rejected == 0
    manifest = json.loads((current_version(tmp_path / "idx") / "manifest.json").read_text())
    assert manifest["dense"] == {"model": "acme/hash-bow-64", "dim": 64, "source": "imported"}

    engine = SearchEngine(IndexReader(tmp_path / "idx"), enc, today=lambda: AS_OF)
    target = profiles[3]
    res = engine.search(SearchRequest(query=_text(target), mode="dense", k=3))
    assert res.hits[0].candidate_id == target["candidate_id"]          # its own vector is the nearest

    other = SearchEngine(IndexReader(tmp_path / "idx"), HashingEncoder("acme/other-64"), today=lambda: AS_OF)
    with pytest.raises(EncoderMismatchError, match=r"acme/hash-bow-64.*acme/other-64"):
        other.search(SearchRequest(query="python", mode="hybrid"))
    assert other.search(SearchRequest(query="python", mode="lexical")).hits    # lexical still serves


def test_bad_vector_rows_are_reported_and_profiles_without_a_vector_rejected(tmp_path, no_minilm):
    profiles, enc = _profiles(), HashingEncoder()
    ids = [p["candidate_id"] for p in profiles]
    good = enc.encode([_text(p) for p in profiles])
    rows = [good[0], good[1][:10], np.full(64, np.nan), np.zeros(64), None, *good[5:]]
    vecs = _write_vectors(tmp_path / "v.parquet", ids, rows)
    report = ingest([PROFILES], tmp_path / "idx", IndexConfig(as_of=AS_OF), progress=False, vectors=vecs)
    assert report.vectors_rejected == 4
    assert report.vectors_imported == len(profiles) - 4 == report.total
    assert report.rejected == 4                                        # those profiles: no vector, not encodable here
    lines = [json.loads(x) for x in open(report.rejects_path)]
    by_row = {r["row"]: r["reason"] for r in lines if r["source"] == str(vecs)}
    assert by_row[2] == "vector: 10 values, the file's vectors have 64"
    assert by_row[3] == "vector: NaN or infinite values" and by_row[4] == "vector: all zeros"
    assert by_row[5] == "vector: missing"
    missing = {r["candidate_id"] for r in lines if r["row"] is None}
    assert missing == set(ids[1:5])
    assert all("the local encoder" in r["reason"] for r in lines if r["row"] is None)


def test_one_index_holds_one_models_vectors(tmp_path, no_minilm):
    profiles, enc = _profiles(), HashingEncoder()
    ids = [p["candidate_id"] for p in profiles]
    vecs = _write_vectors(tmp_path / "v.parquet", ids, enc.encode([_text(p) for p in profiles]))
    ingest([PROFILES], tmp_path / "idx", IndexConfig(as_of=AS_OF), progress=False, vectors=vecs)
    before = current_version(tmp_path / "idx").name

    # unchanged profiles keep their vectors and a delete needs none: no encoder is asked for
    report = ingest([PROFILES], tmp_path / "idx", IndexConfig(as_of=AS_OF), progress=False, delete_ids=[ids[0]])
    assert (report.unchanged, report.deleted, report.rejected) == (len(ids) - 1, 1, 0)
    before = current_version(tmp_path / "idx").name
    changed = tmp_path / "changed.jsonl"
    changed.write_text(json.dumps({**profiles[1], "headline": "Staff Data Engineer"}) + "\n")
    with pytest.raises(ValidationError, match=r"every row was rejected"):        # would need a local vector
        ingest([changed], tmp_path / "idx", IndexConfig(as_of=AS_OF), progress=False)
    lines = [json.loads(x) for x in sorted((tmp_path / "idx" / "rejects").glob("*.jsonl"))[-1].read_text().splitlines()]
    assert lines[0]["candidate_id"] == ids[1] and "holds vectors of model 'acme/hash-bow-64'" in lines[0]["reason"]
    other = _write_vectors(tmp_path / "o.parquet", ids, HashingEncoder("x/y", 32).encode(["a"] * len(ids)), model="x/y")
    with pytest.raises(ValidationError, match=r"x/y.*--rebuild"):
        ingest([PROFILES], tmp_path / "idx", IndexConfig(as_of=AS_OF), progress=False, vectors=other)
    assert current_version(tmp_path / "idx").name == before            # nothing published
    report = ingest([PROFILES], tmp_path / "idx", IndexConfig(as_of=AS_OF), progress=False, vectors=other, rebuild=True)
    assert report.dense_model == {"model": "x/y", "dim": 32, "source": "imported"}


def test_vectors_of_the_local_model_fill_in_and_the_rest_is_encoded(tmp_path, small_index, small_engine, encoder):
    """MiniLM vectors for all but two profiles: those two are encoded here; dense results equal the
    fully encoded index's."""
    profiles = _profiles()
    snap = small_engine.reader.snapshot()
    store = snap.store.table
    ids = store.column("candidate_id").to_pylist()
    dense = FaissVectorIndex.load(current_version(small_index) / "dense")
    vectors = dense.vectors(store.column("ord").to_numpy())
    vecs = _write_vectors(tmp_path / "v.parquet", ids[2:], vectors[2:], model="all-MiniLM-L6-v2")
    report = ingest([PROFILES], tmp_path / "idx", IndexConfig(as_of=AS_OF), progress=False, vectors=vecs, encoder=encoder)
    assert report.vectors_imported == len(profiles) - 2 and report.rejected == 0
    mine = SearchEngine(IndexReader(tmp_path / "idx"), encoder, today=lambda: AS_OF)
    for q in ("python data engineer", "registered nurse", "sales"):
        a = [(h.candidate_id, round(h.score, 5)) for h in mine.search(SearchRequest(query=q, mode="dense", k=12)).hits]
        b = [(h.candidate_id, round(h.score, 5)) for h in small_engine.search(SearchRequest(query=q, mode="dense", k=12)).hits]
        assert a == b, q


def test_vectors_file_errors_say_what_and_where(tmp_path):
    with pytest.raises(ValidationError, match="vectors file not found"):
        read_vectors(tmp_path / "nope.parquet")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(ValidationError, match="not a readable Parquet file"):
        read_vectors(tmp_path / "bad.parquet")
    unnamed = _write_vectors(tmp_path / "u.parquet", ["a"], [np.ones(4)], model=None)
    with pytest.raises(ValidationError, match="which model made these vectors"):
        read_vectors(unnamed)
    assert read_vectors(unnamed, model="m").model == "m"
    pq.write_table(pa.table({"id": ["a"], "embedding": [[1.0]]}), tmp_path / "cols.parquet")
    with pytest.raises(ValidationError, match=r"missing column\(s\) candidate_id, vector"):
        read_vectors(tmp_path / "cols.parquet", model="m")
    pq.write_table(pa.table({"candidate_id": ["a"], "vector": ["1,2"]}), tmp_path / "str.parquet")
    with pytest.raises(ValidationError, match="column vector: wants a list of floats"):
        read_vectors(tmp_path / "str.parquet", model="m")
    twice = _write_vectors(tmp_path / "t.parquet", ["a", "b", "a"], [np.ones(4), np.ones(4), np.arange(1, 5)])
    got = read_vectors(twice)
    assert sorted(got.ids.tolist()) == ["a", "b"] and got.rejects[0].row == 1
    a = got.vectors[got.ids.tolist().index("a")]
    assert np.allclose(a, np.arange(1, 5) / np.linalg.norm(np.arange(1, 5)))   # the last copy, unit length


def test_cli_index_with_vectors(tmp_path, capsys, no_minilm):
    profiles, enc = _profiles(), HashingEncoder()
    vecs = _write_vectors(tmp_path / "v.parquet", [p["candidate_id"] for p in profiles], enc.encode([_text(p) for p in profiles]),
                          model=None)
    assert cli_main(["index", str(PROFILES), "--index-dir", str(tmp_path / "idx"), "--vectors", str(vecs), "--no-progress"]) == 2
    assert "which model made these vectors" in capsys.readouterr().err
    assert cli_main(["index", str(PROFILES), "--index-dir", str(tmp_path / "idx"), "--vectors", str(vecs),
                     "--vectors-model", "acme/hash-bow-64", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"vectors: {len(profiles)} imported from {vecs} (acme/hash-bow-64, dim 64)" in out


def test_http_refuses_dense_search_with_another_encoder_as_503_and_serves_lexical(tmp_path, no_minilm, encoder):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    profiles, enc = _profiles(), HashingEncoder()
    vecs = _write_vectors(tmp_path / "v.parquet", [p["candidate_id"] for p in profiles], enc.encode([_text(p) for p in profiles]))
    ingest([PROFILES], tmp_path / "idx", IndexConfig(as_of=AS_OF), progress=False, vectors=vecs)
    engine = SearchEngine(IndexReader(tmp_path / "idx"), encoder, today=lambda: AS_OF)      # MiniLM queries
    with TestClient(create_app(Settings(index_dir=tmp_path / "idx", ltr_dir=tmp_path / "ltr"), engine=engine)) as client:
        r = client.post("/v1/search", json={"query": "spark"})
        assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
        assert "acme/hash-bow-64" in r.json()["detail"] and "all-MiniLM-L6-v2" in r.json()["detail"]
        r = client.post("/v1/search", json={"query": "spark", "mode": "lexical"})
        assert r.status_code == 200 and r.json()["hits"]


def test_compressed_memory_mapped_vector_index_end_to_end(tmp_path, no_minilm):
    """An ivf-sq8 index built at ingest, upserted into, and served memory-mapped by the reader."""
    from indexer.vectors import VectorIndexConfig

    profiles, enc = _profiles(), HashingEncoder()
    ids = [p["candidate_id"] for p in profiles]
    vecs = _write_vectors(tmp_path / "v.parquet", ids, enc.encode([_text(p) for p in profiles]))
    config = IndexConfig(as_of=AS_OF, vectors=VectorIndexConfig(kind="ivf-sq8", use_gpu="never"))
    ingest([PROFILES], tmp_path / "idx", config, progress=False, vectors=vecs)
    changed = {**profiles[2], "headline": "Welder and pipefitter"}
    (tmp_path / "c.jsonl").write_text(json.dumps(changed) + "\n")
    upsert = _write_vectors(tmp_path / "u.parquet", [changed["candidate_id"]], enc.encode([_text(changed)]))
    ingest([tmp_path / "c.jsonl"], tmp_path / "idx", config, progress=False, vectors=upsert)
    dense = json.loads((current_version(tmp_path / "idx") / "dense" / "manifest.json").read_text())
    assert dense["kind"] == "faiss-ivf-sq8" and dense["count"] == len(profiles)
    reader = IndexReader(tmp_path / "idx", vectors=VectorIndexConfig(mmap=True, use_gpu="never"))
    engine = SearchEngine(reader, enc, today=lambda: AS_OF)
    assert engine.search(SearchRequest(query=_text(changed), mode="dense", k=1)).hits[0].candidate_id == changed["candidate_id"]
    for target in (profiles[0], profiles[7]):
        assert engine.search(SearchRequest(query=_text(target), mode="dense", k=1)).hits[0].candidate_id == target["candidate_id"]


def test_vectors_read_batch_by_batch_as_read_whole(tmp_path, monkeypatch):
    """The file is read in batches into one matrix: bad rows and repeated ids on either side of a batch
    boundary are reported as when it is read at once."""
    rng = np.random.default_rng(7)
    ids = [f"c{i}" for i in range(23)]
    vectors = [rng.standard_normal(8) for _ in ids]
    vectors[4], vectors[7], vectors[9], vectors[15] = None, np.ones(3), np.zeros(8), np.full(8, np.nan)
    ids[20] = "c3"                                          # c3 again, in a later batch: the last vector wins
    path = _write_vectors(tmp_path / "v.parquet", ids, vectors)
    whole = read_vectors(path)
    monkeypatch.setattr(imported_module, "_BATCH", 5)
    parts = read_vectors(path)
    assert parts.ids.tolist() == whole.ids.tolist() and len(parts.ids) == 23 - 5
    np.testing.assert_array_equal(parts.vectors, whole.vectors)
    assert parts.rejects == whole.rejects and [r.row for r in parts.rejects] == [4, 5, 8, 10, 16]
    assert np.allclose(np.linalg.norm(parts.vectors, axis=1), 1, atol=1e-6)


def test_vectors_are_read_when_first_wanted_and_a_changed_file_is_refused(tmp_path):
    """``read_vectors`` checks every row but keeps no matrix; the vectors are read again when wanted, and a
    file that changed in between is an error naming it, not vectors of other rows."""
    rng = np.random.default_rng(3)
    path = _write_vectors(tmp_path / "v.parquet", ["a", "b", "c"], [rng.standard_normal(4) for _ in range(3)])
    got = read_vectors(path)
    assert "vectors" not in got.__dict__                   # nothing read into memory yet
    assert got.vectors.shape == (3, 4) and np.allclose(np.linalg.norm(got.vectors, axis=1), 1)
    again = read_vectors(path)
    _write_vectors(path, ["a", "b", "c"], [np.ones(4), np.zeros(4), np.ones(4)])      # b's vector is now zeros
    with pytest.raises(ValidationError, match="changed while it was being indexed"):
        again.vectors
    _write_vectors(path, ["a"], [np.ones(4)])                                         # two rows fewer
    with pytest.raises(ValidationError, match="changed while it was being indexed"):
        again.vectors
