"""Dense retrieval over int64 ordinals with FAISS: exact flat inner product, HNSW, or compressed
inverted-file indexes (IVF with 8-bit scalar quantization, or OPQ + product quantization), CPU or GPU.

Vectors live in FAISS "slots" (0..ntotal-1, insertion order); ``_slot_ord`` maps a slot to its
ord (-1 = HNSW tombstone) and ``_ord_slot`` maps back. Every search takes an optional boolean
``allowed`` mask over ord space; it becomes a per-slot mask and is applied *before* ranking, so a
narrow filter still yields ``min(k, allowed live vectors)`` results. The plan per query batch:

1. few allowed vectors (<= ``exact_below`` or <= ``exact_fraction`` of live ones): exact scoring
   of just those rows (gathered from the flat storage). HNSW graph search misses results when
   almost every node is filtered out; this is also the fastest path for narrow filters.
2. flat, <= 4 queries, >= ``blas_fraction`` allowed: one multi-threaded BLAS matvec over the
   storage (FAISS scans with one thread per query: 15.6 ms vs 6.3 ms for 100k x 384, 2 cores).
3. otherwise FAISS with an ``IDSelectorBitmap`` (measured 1.5-2x faster than ``IDSelectorBatch``
   above 10% selectivity, equal at 1%); HNSW rows that come back short are completed exactly.

HNSW cannot delete: ``remove`` (and the old copy of an upserted id) leaves a tombstone that every
search ANDs into the mask; the manifest reports them and ``compact()`` rebuilds without them.

Compressed kinds, for corpora that do not fit in memory as float32 (384 floats = 1,536 bytes a profile):
``ivf-sq8`` keeps one byte per dimension (384 bytes, recall close to exact), ``ivf-pq`` an OPQ rotation
and ``pq_m`` one-byte codes (48 bytes by default). Both are trained on a sample at build time (k-means
over ``nlist`` lists; upserts reuse the trained quantizers), search ``nprobe`` lists with the same
ID-selector pre-filter, finish rows that come back short by probing every list, and score narrow
filters exactly over the allowed vectors' codes. IVF ids are slot numbers that are never reused, so
``remove`` deletes physically. With ``mmap`` the inverted lists are memory-mapped read-only from
``index.faiss`` (the server's resident memory holds only the pages a search touches); the builder
loads indexes writable.

GPU: with ``use_gpu`` selected, flat indexes are mirrored to the GPU (``index_cpu_to_gpu``; the
CPU copy stays authoritative for mutations and ``save``, the mirror is refreshed after them).
Unfiltered searches run on the GPU; filtered ones try the GPU with the selector and, if FAISS
rejects selectors on GPU, run on the CPU from then on. HNSW always stays on the CPU.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from records import durable
from records.errors import BackendUnavailableError, MissingDependencyError

log = logging.getLogger(__name__)


def _one_openmp_thread_in_child() -> None:
    """FAISS's OpenMP thread pool (libgomp) does not survive ``fork``: a forked child's first multi-threaded
    search waits forever on threads that exist only in the parent (facebookresearch/faiss#5206; a gunicorn
    ``--preload`` worker or a ``multiprocessing`` fork child after the parent searched). A forked child searches
    on one thread; processes parallelise across each other."""
    faiss.omp_set_num_threads(1)


os.register_at_fork(after_in_child=_one_openmp_thread_in_child)

FORMAT = "talentsearch-faiss"
SCHEMA_VERSION = 1
METRIC = "inner_product"
MANIFEST_FILE, INDEX_FILE, SLOTS_FILE = "manifest.json", "index.faiss", "slots.npy"
MAX_ORD = 2**31 - 1          # ords index a dense array: keep them dense-ish
_BLAS_MAX_QUERIES = 4        # above this FAISS already spreads queries over threads
KINDS = ("flat", "hnsw", "ivf-sq8", "ivf-pq")
IVF_KINDS = ("ivf-sq8", "ivf-pq")
PQ_TRAIN_MIN = 256 * 39      # FAISS wants 39 training points per centroid; PQ codes have 256 centroids


@dataclass(frozen=True)
class VectorIndexConfig:
    kind: str = "auto"              # "flat", "hnsw", "ivf-sq8", "ivf-pq", "auto" (flat below hnsw_threshold
                                    # vectors, else auto_large); build only
    hnsw_threshold: int = 200_000   # where "auto" leaves flat (the name predates the ivf kinds)
    auto_large: str = "ivf-sq8"     # what "auto" builds at or above the threshold (benchmarks/vectors_bench.py:
                                    # at 1M, 0.43 KB a vector memory-mapped and recall@10 0.96, against
                                    # hnsw's 1.9 KB in the heap and a build of about 45 minutes on 2 cores)
    hnsw_m: int = 32                # build only
    ef_construction: int = 200      # build only
    ef_search: int = 128
    use_gpu: str = "auto"           # "auto", "never", "always"
    exact_below: int = 4096         # allowed sets at most this large are scored exactly
    exact_fraction: float = 0.02    # ... as are those at most this fraction of live vectors
    blas_fraction: float = 0.6      # flat: BLAS matvec when at least this fraction is allowed (> 1: never)
    nlist: int | None = None        # ivf: inverted lists (None: sqrt(n), at most n / 39); build only
    nprobe: int | None = None       # ivf: lists searched per query (None: a quarter of the lists, at least
                                    # 64; measured at 1M: 128 lists recall 0.94, 256 lists 0.96, p95 29 ms)
    pq_m: int = 48                  # ivf-pq: bytes per vector (sub-quantizers; must divide the dimension)
    mmap: bool = True               # ivf: memory-map the inverted lists when a server opens the index (load
                                    # with writable=False); builders always load writable

    def __post_init__(self) -> None:
        if self.kind not in KINDS + ("auto",):
            raise ValueError(f"VectorIndexConfig.kind must be 'auto' or one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.auto_large not in KINDS:
            raise ValueError(f"VectorIndexConfig.auto_large must be one of {', '.join(KINDS)}, not {self.auto_large!r}")
        if self.nprobe is not None and self.nprobe < 1:
            raise ValueError(f"VectorIndexConfig.nprobe must be >= 1 or None, not {self.nprobe}")
        for name in ("pq_m",):
            if getattr(self, name) < 1:
                raise ValueError(f"VectorIndexConfig.{name} must be >= 1, not {getattr(self, name)}")
        if self.nlist is not None and self.nlist < 1:
            raise ValueError(f"VectorIndexConfig.nlist must be >= 1 or None, not {self.nlist}")
        if self.use_gpu not in ("auto", "never", "always"):
            raise ValueError(f"VectorIndexConfig.use_gpu must be 'auto', 'never' or 'always', not {self.use_gpu!r}")
        for name in ("hnsw_m", "ef_construction", "ef_search"):
            if getattr(self, name) < 1:
                raise ValueError(f"VectorIndexConfig.{name} must be >= 1, not {getattr(self, name)}")
        if self.exact_below < 0 or not 0 <= self.exact_fraction <= 1 or self.blas_fraction < 0:
            raise ValueError("VectorIndexConfig: exact_below and blas_fraction must be >= 0, exact_fraction in [0, 1]")


class FaissVectorIndex:
    """Inner-product (cosine for unit vectors) top-k over int64 ords, with pre-filtering.

    Searches may run concurrently; ``add``/``remove``/``save`` need exclusive access.
    """

    def __init__(self, dim: int, config: VectorIndexConfig = VectorIndexConfig(), *, kind: str | None = None):
        """An empty index; ``kind`` overrides ``config.kind`` ("auto" resolves to flat here)."""
        if dim < 1:
            raise ValueError(f"dim must be >= 1, not {dim}")
        kind = kind or ("flat" if config.kind == "auto" else config.kind)
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if kind in IVF_KINDS:
            raise ValueError(f"an {kind} index is trained on its vectors: create it with FaissVectorIndex.build")
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        else:
            index = faiss.IndexHNSWFlat(dim, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = config.ef_construction
        self._setup(index, np.empty(0, dtype=np.int64), kind, config, {"hnsw_m": config.hnsw_m,
                                                                     "ef_construction": config.ef_construction})

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, config: VectorIndexConfig = VectorIndexConfig()) -> FaissVectorIndex:
        """A new index holding ``vectors`` (float32, (n, dim)) under ``ids`` (int64 ords, (n,))."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D (n, dim), got shape {vectors.shape}")
        kind = config.kind if config.kind != "auto" else (config.auto_large if len(vectors) >= config.hnsw_threshold
                                                          else "flat")
        if kind in IVF_KINDS:
            index = cls.__new__(cls)
            ivf, params = _train_ivf(kind, np.ascontiguousarray(vectors, dtype=np.float32), config)
            index._setup(ivf, np.empty(0, dtype=np.int64), kind, config, params)
        else:
            index = cls(vectors.shape[1], config, kind=kind)
        index.add(ids, vectors)
        return index

    def _setup(self, index, slot_ord: np.ndarray, kind: str, config: VectorIndexConfig, params: dict) -> None:
        self.config, self.kind, self._index, self._params = config, kind, index, params
        self._storage = index if kind == "flat" else faiss.downcast_index(index.storage) if kind == "hnsw" else None
        self._ivf = faiss.extract_index_ivf(index) if kind in IVF_KINDS else None
        self.nprobe = (config.nprobe or max(64, self._ivf.nlist // 4)) if self._ivf is not None else None
        self._direct_map = False
        self._slot_ord = slot_ord
        live = slot_ord[slot_ord >= 0]
        self._count = len(live)
        self._ord_slot = np.full(int(live.max()) + 1 if len(live) else 0, -1, dtype=np.int64)
        self._ord_slot[live] = np.flatnonzero(slot_ord >= 0)
        self._ord_bound = len(self._ord_slot)
        self._gpu_lock = threading.Lock()
        self._gpu_index = None
        self._gpu_selectors: bool | None = None  # unknown until the first filtered GPU search
        self.on_gpu = _resolve_gpu(config, kind)

    # -- size and contents -------------------------------------------------------------------
    def __len__(self) -> int:
        return self._count

    @property
    def dim(self) -> int:
        return self._index.d

    @property
    def tombstones(self) -> int:
        """Dead HNSW slots still in the graph (always 0 for flat and ivf, which delete physically)."""
        return 0 if self._ivf is not None else len(self._slot_ord) - self._count

    def ids(self) -> np.ndarray:
        """Live ords, ascending (int64)."""
        return np.sort(self._slot_ord[self._slot_ord >= 0])

    def vectors(self, ords) -> np.ndarray:
        """The stored vectors of ``ords`` (a copy, (len(ords), dim) float32); KeyError for an ord not here."""
        ords = np.asarray(ords, dtype=np.int64)
        inside = (ords >= 0) & (ords < len(self._ord_slot))
        slots = np.full(len(ords), -1, np.int64)
        slots[inside] = self._ord_slot[ords[inside]]
        if (slots < 0).any():
            raise KeyError(f"ord {int(ords[np.argmax(slots < 0)])} has no vector")
        return np.array(self._rows(slots), dtype=np.float32)

    # -- mutation ------------------------------------------------------------------------------
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Upsert: ids already present get the new vector. Validates everything before changing anything."""
        ids, vectors = self._check_batch(ids, vectors)
        if not len(ids):
            return
        self._drop(ids)
        start = len(self._slot_ord)           # == ntotal for flat and hnsw; ivf slots are never reused
        if self._ivf is not None:
            self._index.add_with_ids(vectors, np.arange(start, start + len(ids), dtype=np.int64))
            self._direct_map = False
        else:
            self._index.add(vectors)
        self._slot_ord = np.concatenate([self._slot_ord, ids])
        needed = int(ids.max()) + 1
        if needed > len(self._ord_slot):
            grown = np.full(max(needed, len(self._ord_slot) * 5 // 4), -1, dtype=np.int64)
            grown[: len(self._ord_slot)] = self._ord_slot
            self._ord_slot = grown
        self._ord_slot[ids] = np.arange(start, start + len(ids))
        self._count += len(ids)
        self._ord_bound = max(self._ord_bound, needed)
        self._gpu_index = None

    def remove(self, ids: np.ndarray) -> int:
        """Remove ords (unknown ones are ignored); returns how many were live."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or (len(ids) and not np.issubdtype(ids.dtype, np.integer)):
            raise ValueError(f"ids must be a 1-D integer array, got {ids.dtype} with shape {ids.shape}")
        removed = self._drop(np.unique(ids.astype(np.int64)))
        if removed:
            self._gpu_index = None
        return removed

    def _drop(self, ids: np.ndarray) -> int:
        ids = ids[(ids >= 0) & (ids < len(self._ord_slot))]
        slots = self._ord_slot[ids]
        ids, slots = ids[slots >= 0], slots[slots >= 0]
        if not len(slots):
            return 0
        self._ord_slot[ids] = -1
        if self._ivf is not None:  # physical delete; ivf ids are slot numbers, nothing to renumber
            self._index.remove_ids(faiss.IDSelectorBatch(slots))
            self._slot_ord[slots] = -1
            self._direct_map = False
        elif self.kind == "flat":  # physical delete; FAISS compacts in order, so renumber the slots
            self._index.remove_ids(faiss.IDSelectorBatch(slots))
            keep = np.ones(len(self._slot_ord), dtype=bool)
            keep[slots] = False
            self._slot_ord = self._slot_ord[keep]
            self._ord_slot[self._slot_ord] = np.arange(len(self._slot_ord))
        else:
            self._slot_ord[slots] = -1
        self._count -= len(slots)
        live = self._slot_ord[self._slot_ord >= 0]
        self._ord_bound = int(live.max()) + 1 if len(live) else 0
        return len(slots)

    def compact(self) -> FaissVectorIndex:
        """A new index with the live vectors only (drops tombstones; "auto" kind is re-resolved)."""
        live = np.flatnonzero(self._slot_ord >= 0)
        return type(self).build(self._slot_ord[live], self._rows(live), self.config)

    # -- search --------------------------------------------------------------------------------
    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` ords by inner product, best first, never padded.

        ``query`` is (dim,) or (nq, dim) float32. ``allowed`` is a bool mask over ord space
        (length > the largest live ord; True = may be returned) or None. Returns ``(ids, scores)``:
        int64 and float32 arrays of shape (m,) for a 1-D query and (nq, m) for a batch, where
        m = min(k, number of allowed live vectors): the same mask applies to every query.
        """
        q, single = self._check_query(query)
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer, not {k!r}")
        ok = self._selection(allowed)
        n_ok = self._count if ok is None else int(np.count_nonzero(ok))
        kk = min(int(k), n_ok)
        if kk == 0 or len(q) == 0:
            scores, slots = np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
        elif self._ivf is not None:
            scores, slots = self._search_ivf(q, kk, ok, n_ok)
        elif n_ok <= max(self.config.exact_below, self.config.exact_fraction * self._count):
            subset = np.flatnonzero(ok) if ok is not None else np.arange(self._index.ntotal)
            scores, slots = self._exact_rows(q, kk, subset)
        elif self.kind == "flat":
            scores, slots = self._search_flat(q, kk, ok, n_ok)
        else:
            scores, slots = self._search_hnsw(q, kk, ok)
        ids = self._slot_ord[slots]
        return (ids[0], scores[0]) if single else (ids, scores)

    def _search_flat(self, q, kk, ok, n_ok):
        if self.on_gpu:
            found = self._search_gpu(q, kk, ok)
            if found is not None:
                return found
        if len(q) <= _BLAS_MAX_QUERIES and n_ok >= self.config.blas_fraction * self._index.ntotal:
            scores = q @ self._matrix().T
            if ok is not None:
                scores[:, ~ok] = -np.inf
            return _top_k(scores, kk)
        params, _bits = _bitmap_params(ok)
        return self._index.search(q, kk, params=params)

    def _search_hnsw(self, q, kk, ok):
        ef = max(self.config.ef_search, kk)
        bits = None if ok is None else np.packbits(ok, bitorder="little")
        params = faiss.SearchParametersHNSW(efSearch=ef) if bits is None else \
            faiss.SearchParametersHNSW(sel=faiss.IDSelectorBitmap(bits), efSearch=ef)
        scores, slots = self._index.search(q, kk, params=params)
        short = np.flatnonzero((slots < 0).any(axis=1))
        if len(short):  # the graph walk ran out of allowed nodes: finish those rows exactly
            exact_params, _bits = _bitmap_params(ok)
            scores[short], slots[short] = self._storage.search(q[short], kk, params=exact_params)
        return scores, slots

    def _search_ivf(self, q, kk, ok, n_ok):
        """``nprobe`` lists, pre-filtered by the selector; narrow filters (and rows that come back
        short because the probed lists held too few allowed vectors) scan every list: over the allowed
        vectors only, that is an exact scan of their codes."""
        nlist = self._ivf.nlist
        narrow = n_ok <= max(self.config.exact_below, self.config.exact_fraction * self._count)
        scores, slots = self._index.search(q, kk, params=self._ivf_params(ok, nlist if narrow else self.nprobe))
        short = np.flatnonzero((slots < 0).any(axis=1))
        if len(short) and not narrow:
            scores[short], slots[short] = self._index.search(q[short], kk, params=self._ivf_params(ok, nlist))
        return scores, slots

    def _ivf_params(self, ok, nprobe: int):
        bits = None if ok is None else np.packbits(ok, bitorder="little")
        sel = None if bits is None else faiss.IDSelectorBitmap(bits)
        ivf = faiss.SearchParametersIVF(nprobe=min(nprobe, self._ivf.nlist), sel=sel) if sel is not None else \
            faiss.SearchParametersIVF(nprobe=min(nprobe, self._ivf.nlist))
        params = faiss.SearchParametersPreTransform(index_params=ivf) if self.kind == "ivf-pq" else ivf
        params._keep = (bits, sel, ivf)       # the bitmap and selector must outlive the search
        return params

    def _search_gpu(self, q, kk, ok):
        gpu = self._gpu()
        if ok is None:
            return gpu.search(q, kk)
        if self._gpu_selectors is False:
            return None
        params, _bits = _bitmap_params(ok)
        try:
            found = gpu.search(q, kk, params=params)
        except RuntimeError as exc:  # FAISS builds without GPU IDSelector support
            log.info("FAISS GPU index rejects ID selectors (%s); filtered searches run on the CPU", exc)
            self._gpu_selectors = False
            return None
        self._gpu_selectors = True
        return found

    def _gpu(self):
        with self._gpu_lock:
            if self._gpu_index is None:
                self._gpu_index = faiss.index_cpu_to_gpu(_gpu_resources(), 0, self._index)
            return self._gpu_index

    def _exact_rows(self, q, kk, subset):
        scores, top = _top_k(q @ self._rows(subset).T, kk)
        return scores, subset[top]

    def _matrix(self) -> np.ndarray:
        """Zero-copy (ntotal, dim) view of the flat storage; valid until the next mutation."""
        n, d = self._storage.ntotal, self._storage.d
        if n == 0:
            return np.zeros((0, d), np.float32)
        return faiss.rev_swig_ptr(self._storage.get_xb(), n * d).reshape(n, d)

    def _rows(self, slots: np.ndarray) -> np.ndarray:
        if self._ivf is None:
            return self._matrix()[slots]
        if not self._direct_map:              # ivf: decode from the codes (approximate for pq)
            self._ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
            self._direct_map = True
        return self._index.reconstruct_batch(np.ascontiguousarray(slots, dtype=np.int64))

    def _selection(self, allowed) -> np.ndarray | None:
        """Per-slot bool mask of searchable vectors, or None when every slot is."""
        dead = self._count < len(self._slot_ord)
        if allowed is None:
            return self._slot_ord >= 0 if dead else None
        allowed = np.asarray(allowed)
        if allowed.dtype != np.bool_ or allowed.ndim != 1:
            raise ValueError(f"allowed must be a 1-D bool mask over ords, got {allowed.dtype} with shape {allowed.shape}")
        if len(allowed) < self._ord_bound:
            raise ValueError(f"allowed has {len(allowed)} entries but the index holds ords up to {self._ord_bound - 1}")
        if not len(allowed):
            return np.zeros(len(self._slot_ord), dtype=bool)
        ok = np.take(allowed, self._slot_ord, mode="clip")  # tombstones (-1) are cleared below
        if dead:
            ok &= self._slot_ord >= 0
        return ok

    # -- validation ----------------------------------------------------------------------------
    def _check_batch(self, ids, vectors) -> tuple[np.ndarray, np.ndarray]:
        ids, vectors = np.asarray(ids), np.asarray(vectors)
        if ids.ndim != 1 or (len(ids) and not np.issubdtype(ids.dtype, np.integer)):
            raise ValueError(f"ids must be a 1-D integer array, got {ids.dtype} with shape {ids.shape}")
        if vectors.ndim != 2 or vectors.shape != (len(ids), self.dim):
            raise ValueError(f"vectors must have shape ({len(ids)}, {self.dim}), got {vectors.shape}")
        ids = ids.astype(np.int64)
        if len(ids) and (ids.min() < 0 or ids.max() > MAX_ORD):
            raise ValueError(f"ids must be ords in [0, {MAX_ORD}], got range [{ids.min()}, {ids.max()}]")
        if len(np.unique(ids)) != len(ids):
            raise ValueError("ids contain duplicates; upsert each id once per call")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        finite = np.isfinite(vectors).all(axis=1)
        if not finite.all():
            raise ValueError(f"vector for id {ids[np.argmin(finite)]} has NaN or infinite values")
        return ids, vectors

    def _check_query(self, query) -> tuple[np.ndarray, bool]:
        q = np.ascontiguousarray(query, dtype=np.float32)
        if q.ndim not in (1, 2) or q.shape[-1] != self.dim:
            raise ValueError(f"query must have shape ({self.dim},) or (nq, {self.dim}), got {q.shape}")
        if not np.isfinite(q).all():
            raise ValueError("query has NaN or infinite values")
        return (q[None, :], True) if q.ndim == 1 else (q, False)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write ``manifest.json``, ``index.faiss`` and ``slots.npy`` (int64 ord per slot, -1 =
        tombstone) into ``path``. Each file goes to a temp name, is fsynced, then ``os.replace``d;
        the manifest goes last and records file sizes, so ``load`` detects a torn save."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        durable.write_atomic(path / INDEX_FILE, lambda tmp: faiss.write_index(self._index, str(tmp)))
        durable.write_npy(path / SLOTS_FILE, self._slot_ord)
        manifest = {
            "kind": f"faiss-{self.kind}", "format": FORMAT, "schema_version": SCHEMA_VERSION,
            "dim": self.dim, "count": self._count, "tombstones": self.tombstones, "metric": METRIC,
            "params": {**self._params, "ef_search": self.config.ef_search,
                       **({"nprobe": self.nprobe} if self._ivf is not None else {})},
            "files": {name: (path / name).stat().st_size for name in (INDEX_FILE, SLOTS_FILE)},
        }
        durable.write_atomic(path / MANIFEST_FILE, lambda tmp: tmp.write_text(json.dumps(manifest, indent=2)))

    @classmethod
    def load(cls, path: str | Path, config: VectorIndexConfig = VectorIndexConfig(), *,
             writable: bool = True) -> FaissVectorIndex:
        """Open a saved index. Kind and build parameters come from the manifest; search-time
        settings (``ef_search``, ``nprobe``, ``use_gpu``, exact/BLAS thresholds, ``mmap``) from ``config``.
        ``writable=False`` (a server) lets an ivf index be memory-mapped read-only when ``config.mmap``."""
        path = Path(path)
        try:
            manifest = json.loads((path / MANIFEST_FILE).read_text())
        except FileNotFoundError as exc:
            raise BackendUnavailableError(f"no vector index at {path} ({MANIFEST_FILE} missing)") from exc
        except ValueError as exc:
            raise BackendUnavailableError(f"{path / MANIFEST_FILE} is not valid JSON: {exc}") from exc
        kind = str(manifest.get("kind", "")).removeprefix("faiss-")
        if manifest.get("format") != FORMAT or kind not in KINDS:
            raise BackendUnavailableError(f"{path} is not a {FORMAT} index (kind {manifest.get('kind')!r})")
        if manifest.get("schema_version") != SCHEMA_VERSION:
            raise BackendUnavailableError(f"{path}: schema_version {manifest.get('schema_version')} "
                                          f"is not the supported {SCHEMA_VERSION}; rebuild the index")
        for name, size in manifest.get("files", {}).items():
            actual = (path / name).stat().st_size if (path / name).exists() else None
            if actual != size:
                raise BackendUnavailableError(f"{path / name} has {actual} bytes, manifest says {size}: torn or partial save")
        try:
            mapped = config.mmap and not writable and kind in IVF_KINDS
            index = faiss.read_index(str(path / INDEX_FILE), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mapped else 0)
            slot_ord = np.load(path / SLOTS_FILE, allow_pickle=False)
        except (RuntimeError, ValueError, OSError) as exc:  # FAISS reports unreadable files as RuntimeError
            raise BackendUnavailableError(f"{path}: cannot read the index files: {exc}") from exc
        expected = (slot_ord >= 0).sum() if kind in IVF_KINDS else len(slot_ord)
        if index.d != manifest["dim"] or index.ntotal != expected or (slot_ord >= 0).sum() != manifest["count"]:
            raise BackendUnavailableError(f"{path}: index.faiss, slots.npy and manifest.json disagree")
        if kind == "hnsw":
            index.hnsw.efSearch = config.ef_search
        obj = cls.__new__(cls)
        params = {k: v for k, v in manifest["params"].items() if k not in ("ef_search", "nprobe")}
        obj._setup(index, slot_ord.astype(np.int64, copy=False), kind, config, params)
        return obj


def _train_ivf(kind: str, vectors: np.ndarray, config: VectorIndexConfig):
    """A trained, empty IVF index for ``vectors`` ((n, dim) float32) and its build parameters."""
    n, dim = vectors.shape
    if n == 0:
        raise ValueError(f"an {kind} index is trained on its vectors: build it with at least one")
    nlist = config.nlist or int(min(max(1, round(np.sqrt(n))), max(1, n // 39)))
    nlist = min(nlist, n)
    if kind == "ivf-sq8":
        factory, params = f"IVF{nlist},SQ8", {"nlist": nlist}
    else:
        if dim % config.pq_m:
            raise ValueError(f"ivf-pq: pq_m {config.pq_m} must divide the dimension {dim}")
        if n < PQ_TRAIN_MIN:
            raise ValueError(f"ivf-pq needs at least {PQ_TRAIN_MIN} vectors to train its codes, got {n}: use flat or ivf-sq8")
        factory, params = f"OPQ{config.pq_m},IVF{nlist},PQ{config.pq_m}x8", {"nlist": nlist, "pq_m": config.pq_m, "opq": True}
    index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    if kind == "ivf-pq":
        # polysemous code training (on by default) only serves Hamming pre-filtering, which is not used
        # here, and costs 10x the whole build (48 s against 3.5 s for 12k x 32)
        faiss.downcast_index(faiss.extract_index_ivf(index)).do_polysemous_training = False
        opq = faiss.downcast_VectorTransform(index.chain.at(0))
        opq.niter = 25                        # FAISS default 50: the rotation converges well before
    sample = max(nlist * 39, PQ_TRAIN_MIN if kind == "ivf-pq" else 0, 50_000)
    train = vectors if n <= sample else vectors[np.random.default_rng(0).choice(n, sample, replace=False)]
    index.train(train)
    return index, params


def _top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise best ``k`` of (nq, n) scores: (scores, columns), both (nq, k), best first."""
    if k < scores.shape[1]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    cols = np.take_along_axis(part, order, axis=1)
    return np.take_along_axis(scores, cols, axis=1).astype(np.float32, copy=False), cols.astype(np.int64)


def _bitmap_params(ok: np.ndarray | None):
    """FAISS search parameters restricted to the True slots; the bitmap must outlive the search."""
    if ok is None:
        return None, None
    bits = np.packbits(ok, bitorder="little")
    return faiss.SearchParameters(sel=faiss.IDSelectorBitmap(bits)), bits


def _resolve_gpu(config: VectorIndexConfig, kind: str) -> bool:
    if config.use_gpu == "never":
        return False
    has_module = hasattr(faiss, "StandardGpuResources")
    available = has_module and faiss.get_num_gpus() > 0
    if config.use_gpu == "always" and not has_module:
        raise MissingDependencyError("faiss-gpu", "gpu")
    if config.use_gpu == "always" and not available:
        raise BackendUnavailableError("VectorIndexConfig.use_gpu='always' but FAISS sees no GPU")
    if available and kind != "flat":
        level = logging.WARNING if config.use_gpu == "always" else logging.INFO
        log.log(level, "FAISS has no GPU HNSW index; the %s index stays on the CPU", kind)
        return False
    return available


@functools.lru_cache(maxsize=1)
def _gpu_resources():
    return faiss.StandardGpuResources()
