"""FaissVectorIndex against numpy brute force: flat exactness, HNSW recall, pre-filters, upserts,
removals, persistence, bad input, and the top-k invariants (hypothesis)."""
from __future__ import annotations

import json

import faiss
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.vectors import FaissVectorIndex, VectorIndexConfig
from records.errors import BackendUnavailableError, MissingDependencyError

FLAT = VectorIndexConfig(kind="flat", use_gpu="never")
# The flat search paths, each forced: exact subset / BLAS matvec + FAISS bitmap / FAISS bitmap only.
FLAT_BLAS = VectorIndexConfig(kind="flat", use_gpu="never", exact_below=0, exact_fraction=0.0)
FLAT_FAISS = VectorIndexConfig(kind="flat", use_gpu="never", exact_below=0, exact_fraction=0.0, blas_fraction=2.0)
FLAT_PATHS = pytest.mark.parametrize("config", [FLAT, FLAT_BLAS, FLAT_FAISS], ids=["exact", "blas", "faiss"])
HNSW = VectorIndexConfig(kind="hnsw", hnsw_m=16, ef_construction=100, use_gpu="never")
# Force graph search (no exact shortcut) to test the HNSW + selector path itself.
HNSW_GRAPH_ONLY = VectorIndexConfig(kind="hnsw", hnsw_m=16, ef_construction=100, use_gpu="never",
                                    exact_below=0, exact_fraction=0.0)
IVF_SQ8 = VectorIndexConfig(kind="ivf-sq8", use_gpu="never", nprobe=8)
# few lists probed, no narrow-filter shortcut: short rows must be completed by scanning every list
IVF_SQ8_TIGHT = VectorIndexConfig(kind="ivf-sq8", use_gpu="never", nlist=4, nprobe=1, exact_below=0, exact_fraction=0.0)
IVF_PQ = VectorIndexConfig(kind="ivf-pq", use_gpu="never", pq_m=16, nprobe=16)
HAS_GPU = hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def clustered(rng, n: int, dim: int, centers: np.ndarray) -> np.ndarray:
    return unit(centers[rng.integers(0, len(centers), n)] + 0.5 * rng.standard_normal((n, dim)))


def brute(ids, vectors, query, k, allowed=None):
    """Numpy oracle: (ids, scores) of the best k allowed vectors, best first."""
    scores = vectors @ query
    keep = np.ones(len(ids), bool) if allowed is None else allowed[ids]
    order = np.argsort(-np.where(keep, scores, -np.inf), kind="stable")[: min(k, int(keep.sum()))]
    return ids[order], scores[order]


def mask(size: int, allowed_ids) -> np.ndarray:
    m = np.zeros(size, bool)
    m[np.asarray(allowed_ids, dtype=np.int64)] = True
    return m


@pytest.fixture(scope="module")
def flat_data():
    rng = np.random.default_rng(7)
    ids = np.sort(rng.choice(4000, 2000, replace=False)).astype(np.int64)  # gaps in ord space
    return ids, unit(rng.standard_normal((2000, 32))), unit(rng.standard_normal((8, 32)))


@pytest.fixture(scope="module")
def flat(flat_data):
    ids, vectors, _ = flat_data
    return FaissVectorIndex.build(ids, vectors, FLAT)


@pytest.fixture(scope="module")
def hnsw_data():
    rng = np.random.default_rng(11)
    centers = rng.standard_normal((40, 24))
    n = 50_000
    ids = np.arange(n, dtype=np.int64)
    return ids, clustered(rng, n, 24, centers), clustered(rng, 100, 24, centers)


@pytest.fixture(scope="module")
def hnsw(hnsw_data):
    ids, vectors, _ = hnsw_data
    return FaissVectorIndex.build(ids, vectors, HNSW)


@pytest.fixture(scope="module")
def ivf_data():
    rng = np.random.default_rng(13)
    centers = rng.standard_normal((40, 32))
    n = 12_000
    ids = np.arange(0, 2 * n, 2, dtype=np.int64)           # gaps in ord space
    return ids, clustered(rng, n, 32, centers), clustered(rng, 60, 32, centers)


@pytest.fixture(scope="module")
def ivf_sq8(ivf_data):
    ids, vectors, _ = ivf_data
    return FaissVectorIndex.build(ids, vectors, IVF_SQ8)


# -- flat: exact against the oracle, on every search path ---------------------------------------
@FLAT_PATHS
@pytest.mark.parametrize("fraction", [None, 0.9, 0.5, 0.1, 0.01])
def test_flat_top_k_equals_brute_force(config, flat_data, fraction):
    ids, vectors, queries = flat_data
    flat = FaissVectorIndex.build(ids, vectors, config)
    rng = np.random.default_rng(3)
    allowed = None if fraction is None else rng.random(4000) < fraction
    for q in queries:
        got_ids, got_scores = flat.search(q, 25, allowed)
        want_ids, want_scores = brute(ids, vectors, q, 25, allowed)
        np.testing.assert_array_equal(got_ids, want_ids)
        np.testing.assert_allclose(got_scores, want_scores, atol=1e-5)


@FLAT_PATHS
def test_flat_batch_queries_return_2d_arrays(config, flat_data):
    ids, vectors, queries = flat_data
    flat = FaissVectorIndex.build(ids, vectors, config)
    for allowed in (None, np.random.default_rng(1).random(4000) < 0.3):
        got_ids, got_scores = flat.search(queries, 10, allowed)
        assert got_ids.shape == got_scores.shape == (len(queries), 10)
        assert got_ids.dtype == np.int64 and got_scores.dtype == np.float32
        for q, row in zip(queries, got_ids):
            np.testing.assert_array_equal(row, brute(ids, vectors, q, 10, allowed)[0])


def test_k_larger_than_index_returns_everything_without_padding(flat, flat_data):
    ids, _, queries = flat_data
    got, scores = flat.search(queries[0], 10_000)
    assert len(got) == len(ids) and set(got) == set(ids) and np.all(np.diff(scores) <= 1e-6)


# -- HNSW: recall and narrow filters -------------------------------------------------------------
def test_hnsw_recall_at_10(hnsw, hnsw_data):
    ids, vectors, queries = hnsw_data
    got, _ = hnsw.search(queries, 10)
    recall = np.mean([len(set(g) & set(brute(ids, vectors, q, 10)[0])) / 10 for q, g in zip(queries, got)])
    assert recall >= 0.95


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_very_narrow_filter_returns_exactly_the_allowed(kind, hnsw, hnsw_data):
    ids, vectors, queries = hnsw_data
    index = hnsw if kind == "hnsw" else FaissVectorIndex.build(ids, vectors, FLAT)
    allowed = mask(len(ids), [17, 20_000, 49_999])
    got, scores = index.search(queries[0], 10, allowed)
    assert sorted(got) == [17, 20_000, 49_999]
    np.testing.assert_array_equal(got, brute(ids, vectors, queries[0], 10, allowed)[0])


def test_hnsw_graph_search_with_selector_stays_inside_the_filter(hnsw_data):
    ids, vectors, queries = hnsw_data
    index = FaissVectorIndex.build(ids[:20_000], vectors[:20_000], HNSW_GRAPH_ONLY)
    for allowed_ids in (np.arange(0, 20_000, 20), [3, 7, 11]):  # 5% and 3 ids, graph only
        allowed = mask(20_000, allowed_ids)
        got, _ = index.search(queries[:20], 10, allowed)
        assert got.shape == (20, min(10, len(allowed_ids))) and allowed[got].all()
        want = [brute(ids[:20_000], vectors[:20_000], q, 10, allowed)[0] for q in queries[:20]]
        assert np.mean([len(set(g) & set(w)) / len(w) for g, w in zip(got, want)]) >= 0.9


# -- mutation ----------------------------------------------------------------------------------
@pytest.mark.parametrize("config", [FLAT, FLAT_BLAS, FLAT_FAISS, HNSW, HNSW_GRAPH_ONLY],
                         ids=["flat", "flat-blas", "flat-faiss", "hnsw", "hnsw-graph"])
def test_upsert_replaces_and_remove_hides(config, flat_data):
    ids, vectors, queries = flat_data
    index = FaissVectorIndex.build(ids, vectors, config)
    target, fresh = int(ids[500]), unit(queries[:1])
    index.add(np.array([target]), fresh)
    assert len(index) == len(ids)
    got, scores = index.search(fresh[0], 1)
    assert got[0] == target and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert target not in index.search(vectors[500], 1)[0]  # the old vector is gone

    gone = ids[:100]
    assert index.remove(np.concatenate([gone, [10**6]])) == 100 and index.remove(gone) == 0
    assert len(index) == len(ids) - 100 and not set(index.ids()) & set(gone)
    got, _ = index.search(queries, 3000)
    assert got.shape == (len(queries), len(ids) - 100) and not set(got.ravel()) & set(gone)
    live, live_vectors = ids[100:], vectors[100:].copy()
    live_vectors[400] = fresh[0]  # ids[500], upserted above
    got, want = index.search(queries, 10)[0], [brute(live, live_vectors, q, 10)[0] for q in queries]
    assert np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want)]) >= (0.9 if config is HNSW_GRAPH_ONLY else 1.0)
    assert index.tombstones == (101 if config.kind == "hnsw" else 0)


def test_compact_drops_tombstones(flat_data):
    ids, vectors, queries = flat_data
    index = FaissVectorIndex.build(ids, vectors, HNSW)
    index.remove(ids[::2])
    compacted = index.compact()
    assert index.tombstones == 1000 and compacted.tombstones == 0
    assert len(compacted) == len(index) and compacted.kind == "hnsw"
    np.testing.assert_array_equal(compacted.ids(), index.ids())  # 1000 live <= exact_below: both exact
    np.testing.assert_array_equal(compacted.search(queries[0], 10)[0], index.search(queries[0], 10)[0])


def test_auto_kind_follows_the_threshold(flat_data):
    ids, vectors, _ = flat_data
    assert FaissVectorIndex.build(ids, vectors, VectorIndexConfig(use_gpu="never")).kind == "flat"
    small = VectorIndexConfig(hnsw_threshold=1000, hnsw_m=8, ef_construction=40, use_gpu="never")
    assert FaissVectorIndex.build(ids, vectors, small).kind == "ivf-sq8"
    graph = VectorIndexConfig(hnsw_threshold=1000, auto_large="hnsw", hnsw_m=8, ef_construction=40, use_gpu="never")
    assert FaissVectorIndex.build(ids, vectors, graph).kind == "hnsw"
    assert FaissVectorIndex(32).kind == "flat" and len(FaissVectorIndex(32)) == 0


# -- persistence -------------------------------------------------------------------------------
@pytest.mark.parametrize("config", [FLAT, FLAT_FAISS, HNSW_GRAPH_ONLY], ids=["flat", "flat-faiss", "hnsw-graph"])
def test_save_load_round_trip(config, flat_data, tmp_path):
    ids, vectors, queries = flat_data
    index = FaissVectorIndex.build(ids, vectors, config)
    index.remove(ids[:50])
    index.save(tmp_path / "dense")
    manifest = json.loads((tmp_path / "dense" / "manifest.json").read_text())
    assert manifest["kind"] == f"faiss-{config.kind}" and manifest["dim"] == 32 and manifest["metric"] == "inner_product"
    assert manifest["count"] == len(ids) - 50 and manifest["tombstones"] == index.tombstones
    assert sorted(p.name for p in (tmp_path / "dense").iterdir()) == ["index.faiss", "manifest.json", "slots.npy"]
    loaded = FaissVectorIndex.load(tmp_path / "dense", config)
    allowed = np.random.default_rng(2).random(4000) < 0.4
    for a in (None, allowed):
        for got, want in zip(loaded.search(queries, 20, a), index.search(queries, 20, a)):
            np.testing.assert_array_equal(got, want)
    loaded.add(ids[:50], vectors[:50])  # a loaded index stays mutable
    assert len(loaded) == len(ids)


def test_load_rejects_missing_torn_and_foreign_indexes(flat, tmp_path):
    with pytest.raises(BackendUnavailableError, match="no vector index"):
        FaissVectorIndex.load(tmp_path / "nothing")
    flat.save(tmp_path / "a")
    manifest_path = tmp_path / "a" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "schema_version": 99}))
    with pytest.raises(BackendUnavailableError, match="schema_version"):
        FaissVectorIndex.load(tmp_path / "a")
    manifest_path.write_text(json.dumps(manifest))
    with (tmp_path / "a" / "index.faiss").open("ab") as fh:
        fh.write(b"junk")
    with pytest.raises(BackendUnavailableError, match="torn"):
        FaissVectorIndex.load(tmp_path / "a")
    flat.save(tmp_path / "a")  # saving again over a previous save repairs it
    assert len(FaissVectorIndex.load(tmp_path / "a")) == len(flat)
    (tmp_path / "a" / "slots.npy").write_bytes(b"x" * manifest["files"]["slots.npy"])  # right size, garbage
    with pytest.raises(BackendUnavailableError, match="cannot read"):
        FaissVectorIndex.load(tmp_path / "a")
    manifest_path.write_text(json.dumps({**manifest, "kind": "annoy"}))
    with pytest.raises(BackendUnavailableError, match="not a talentsearch-faiss index"):
        FaissVectorIndex.load(tmp_path / "a")
    manifest_path.write_text("{not json")
    with pytest.raises(BackendUnavailableError, match="not valid JSON"):
        FaissVectorIndex.load(tmp_path / "a")


# -- bad input: clear errors, nothing changed ---------------------------------------------------
def test_bad_batches_are_rejected_without_changes(flat_data):
    ids, vectors, queries = flat_data
    index = FaissVectorIndex.build(ids, vectors, FLAT)
    before = index.search(queries[0], 10)
    nan = vectors[:2].copy()
    nan[1, 3] = np.nan
    for bad_ids, bad_vectors, match in [
        (ids[:2], vectors[:2, :5], "shape"),
        (ids[:3], vectors[:2], "shape"),
        (np.array([1, 1]), vectors[:2], "duplicates"),
        (np.array([-1, 2]), vectors[:2], "ords"),
        (np.array([0.5, 2.0]), vectors[:2], "integer"),
        (np.array([ids[0], 10**7]), nan, "NaN"),
    ]:
        with pytest.raises(ValueError, match=match):
            index.add(bad_ids, bad_vectors)
    assert len(index) == len(ids)
    for got, want in zip(index.search(queries[0], 10), before):
        np.testing.assert_array_equal(got, want)


def test_bad_searches_are_rejected(flat):
    q = np.ones(32, np.float32)
    for kwargs, match in [({"query": np.ones(5)}, "shape"), ({"k": 0}, "k must"),
                          ({"allowed": np.ones(4000, np.int8)}, "bool"), ({"allowed": np.ones(10, bool)}, "entries"),
                          ({"query": np.full(32, np.nan)}, "NaN")]:
        args = {"query": q, "k": 5, "allowed": None, **kwargs}
        with pytest.raises(ValueError, match=match):
            flat.search(args["query"], args["k"], args["allowed"])
    assert flat.search(q, 5, np.zeros(4000, bool))[0].shape == (0,)
    empty = FaissVectorIndex(32, FLAT)
    assert empty.search(q, 5)[0].shape == (0,) and empty.search(q, 5, np.zeros(0, bool))[1].shape == (0,)
    assert empty.search(np.ones((3, 32)), 5)[0].shape == (3, 0)


def test_gpu_always_fails_clearly_without_gpu():
    if HAS_GPU:
        pytest.skip("a GPU is present")
    with pytest.raises((MissingDependencyError, BackendUnavailableError), match="gpu|GPU"):
        FaissVectorIndex(8, VectorIndexConfig(use_gpu="always"))
    assert FaissVectorIndex(8, VectorIndexConfig(use_gpu="auto")).on_gpu is False


class _FakeGpuIndex:
    """Stands in for a FAISS GPU index that, like some builds, rejects ID selectors."""

    def __init__(self, cpu_index, calls):
        self._index, self._calls = faiss.clone_index(cpu_index), calls

    def search(self, q, k, params=None):
        self._calls.append("filtered" if params is not None else "plain")
        if params is not None:
            raise RuntimeError("IDSelector is not supported on GPU")
        return self._index.search(q, k)


def test_gpu_path_with_a_fake_gpu(flat_data, monkeypatch):
    """Mirror upload, refresh after mutation, CPU fallback for filtered searches (no GPU here)."""
    import indexer.vectors as vectors_module

    ids, vectors, queries = flat_data
    calls, uploads = [], []
    monkeypatch.setattr(faiss, "StandardGpuResources", lambda: object(), raising=False)
    monkeypatch.setattr(faiss, "get_num_gpus", lambda: 1)
    monkeypatch.setattr(faiss, "index_cpu_to_gpu",
                        lambda res, device, index: uploads.append(index.ntotal) or _FakeGpuIndex(index, calls), raising=False)
    vectors_module._gpu_resources.cache_clear()
    config = VectorIndexConfig(kind="flat", use_gpu="always", exact_below=0, exact_fraction=0.0)
    gpu, cpu = FaissVectorIndex.build(ids, vectors, config), FaissVectorIndex.build(ids, vectors, FLAT_FAISS)
    assert gpu.on_gpu and FaissVectorIndex(8, VectorIndexConfig(kind="hnsw")).on_gpu is False
    allowed = np.random.default_rng(5).random(4000) < 0.5
    for a in (None, allowed, allowed):
        np.testing.assert_array_equal(gpu.search(queries, 10, a)[0], cpu.search(queries, 10, a)[0])
    assert calls == ["plain", "filtered"] and uploads == [len(ids)]  # selectors tried once, then CPU
    gpu.remove(ids[:10])
    cpu.remove(ids[:10])
    np.testing.assert_array_equal(gpu.search(queries, 10)[0], cpu.search(queries, 10)[0])
    assert uploads == [len(ids), len(ids) - 10]
    vectors_module._gpu_resources.cache_clear()


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_GPU, reason="needs faiss with GPU support and a CUDA GPU")
def test_gpu_flat_matches_cpu(flat_data):
    ids, vectors, queries = flat_data
    cpu = FaissVectorIndex.build(ids, vectors, FLAT)
    gpu = FaissVectorIndex.build(ids, vectors, VectorIndexConfig(kind="flat", use_gpu="always"))
    assert gpu.on_gpu
    allowed = np.random.default_rng(4).random(4000) < 0.5
    for a in (None, allowed):
        np.testing.assert_array_equal(gpu.search(queries, 10, a)[0], cpu.search(queries, 10, a)[0])


# -- invariants --------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.integers(1, 60), seed=st.integers(0, 2**32 - 1),
       config=st.sampled_from([FLAT, FLAT_BLAS, FLAT_FAISS, HNSW, HNSW_GRAPH_ONLY, IVF_SQ8_TIGHT]),
       fraction=st.sampled_from([None, 0.0, 0.002, 0.05, 0.5, 1.0]), removed=st.integers(0, 30))
def test_top_k_invariants(k, seed, config, fraction, removed):
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(400, 150, replace=False)).astype(np.int64)
    index = FaissVectorIndex.build(ids, unit(rng.standard_normal((150, 8))), config)
    index.remove(rng.choice(ids, removed, replace=False))
    allowed = None if fraction is None else rng.random(400) < fraction
    got, scores = index.search(unit(rng.standard_normal((1, 8)))[0], k, allowed)
    eligible = set(index.ids()) if allowed is None else set(index.ids()) & set(np.flatnonzero(allowed))
    assert len(got) == len(set(got)) == min(k, len(eligible))
    assert set(got) <= eligible and np.all(np.diff(scores) <= 1e-6)


# -- compressed inverted-file kinds ---------------------------------------------------------------
def _recall(index, ids, vectors, queries, k=10, allowed=None) -> float:
    hits = 0
    for q in queries:
        got, _ = index.search(q, k, allowed)
        want, _ = brute(ids, vectors, q, k, allowed)
        hits += len(set(got) & set(want))
        assert allowed is None or allowed[got].all()
        assert len(got) == len(want)
    return hits / (k * len(queries))


def test_ivf_sq8_recall_and_filters(ivf_sq8, ivf_data):
    ids, vectors, queries = ivf_data
    assert ivf_sq8.kind == "ivf-sq8" and len(ivf_sq8) == len(ids) and ivf_sq8.tombstones == 0
    assert _recall(ivf_sq8, ids, vectors, queries) >= 0.95
    rng = np.random.default_rng(3)
    half = mask(2 * len(ids), rng.choice(ids, len(ids) // 2, replace=False))
    assert _recall(ivf_sq8, ids, vectors, queries[:20], allowed=half) >= 0.95
    narrow = mask(2 * len(ids), rng.choice(ids, 40, replace=False))        # every list scanned, allowed codes only
    assert _recall(ivf_sq8, ids, vectors, queries[:20], allowed=narrow) >= 0.95


def test_ivf_pq_recall_filters_and_size(ivf_data, tmp_path):
    ids, vectors, queries = ivf_data
    pq = FaissVectorIndex.build(ids, vectors, IVF_PQ)
    assert pq.kind == "ivf-pq"
    assert _recall(pq, ids, vectors, queries) >= 0.75                       # 16 bytes for 32 floats (128 as float32)
    narrow = mask(2 * len(ids), ids[:30])
    assert _recall(pq, ids, vectors, queries[:10], allowed=narrow) >= 0.75
    pq.save(tmp_path / "pq")
    flat = FaissVectorIndex.build(ids, vectors, FLAT)
    flat.save(tmp_path / "flat")
    assert (tmp_path / "pq" / "index.faiss").stat().st_size < (tmp_path / "flat" / "index.faiss").stat().st_size / 3
    with pytest.raises(ValueError, match="ivf-pq needs at least 9984 vectors"):
        FaissVectorIndex.build(ids[:500], vectors[:500], IVF_PQ)
    with pytest.raises(ValueError, match="pq_m 7 must divide the dimension 32"):
        FaissVectorIndex.build(ids, vectors, VectorIndexConfig(kind="ivf-pq", pq_m=7, use_gpu="never"))
    with pytest.raises(ValueError, match="trained on its vectors"):
        FaissVectorIndex(32, IVF_SQ8)


def test_ivf_upsert_remove_and_memory_mapped_reload(ivf_data, tmp_path):
    ids, vectors, queries = ivf_data
    index = FaissVectorIndex.build(ids[:6000], vectors[:6000], IVF_SQ8)
    index.add(ids[6000:], vectors[6000:])                                  # reuses the trained quantizers
    gone = ids[:100]
    assert index.remove(gone) == 100 and len(index) == len(ids) - 100 and index.tombstones == 0
    moved = ids[200]
    index.add(np.array([moved]), vectors[300:301])                         # an upsert: the new vector
    got, _ = index.search(vectors[300], 2)
    assert set(got) == {moved, ids[300]}
    got, _ = index.search(queries, 50)
    assert not set(got.ravel()) & set(gone)
    index.save(tmp_path / "d")
    manifest = json.loads((tmp_path / "d" / "manifest.json").read_text())
    assert manifest["kind"] == "faiss-ivf-sq8" and manifest["params"]["nprobe"] == 8 and manifest["params"]["nlist"] > 1
    assert FaissVectorIndex.load(tmp_path / "d", VectorIndexConfig(use_gpu="never")).nprobe == max(64, manifest["params"]["nlist"] // 4)
    mapped = FaissVectorIndex.load(tmp_path / "d", VectorIndexConfig(nprobe=8, mmap=True, use_gpu="never"), writable=False)
    assert len(mapped) == len(index)
    for q in queries[:10]:
        a, sa = index.search(q, 10)
        b, sb = mapped.search(q, 10)
        assert a.tolist() == b.tolist() and np.allclose(sa, sb)
    writable = FaissVectorIndex.load(tmp_path / "d", IVF_SQ8)
    writable.remove(ids[-10:])
    assert len(writable) == len(index) - 10
    assert np.allclose(writable.vectors(ids[500:502]), vectors[500:502], atol=0.05)   # decoded from 8-bit codes


def test_a_forked_child_searches_after_the_parent_ran_openmp():
    """FAISS's OpenMP pool does not survive fork (faiss#5206): without the at-fork handler the child hangs."""
    from tests.support.forked import run_in_forked_child

    rng = np.random.default_rng(5)
    ids = np.arange(20_000, dtype=np.int64)
    vectors = unit(rng.standard_normal((20_000, 64)))
    index = FaissVectorIndex.build(ids, vectors, FLAT)
    index.search(vectors[:2000], 10)                 # a batch: FAISS runs an OpenMP parallel region here
    want = index.search(vectors[:50], 5)[0].tolist()
    assert run_in_forked_child(lambda: index.search(vectors[:50], 5)[0].tolist()) == want
