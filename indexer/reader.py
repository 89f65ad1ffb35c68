"""The read side of an index directory: the live version's store, lexical and dense indexes."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from indexer.backend import LexicalIndex
from indexer.build import current_version
from indexer.common_terms import CommonTermsConfig
from indexer.lexical import TantivyLexicalIndex
from indexer.store import ProfileStore
from indexer.vectors import FaissVectorIndex, VectorIndexConfig
from records.errors import BackendUnavailableError


@dataclass(frozen=True)
class IndexSnapshot:
    version: str
    manifest: dict
    store: ProfileStore
    lexical: LexicalIndex          # TantivyLexicalIndex, or OpenSearchLexicalIndex on a cluster
    vectors: FaissVectorIndex
    path: Path | None = None       # the version directory (its termstats.arrow and other side files)


class IndexReader:
    """Opens the version named in CURRENT and re-opens when a newer one is published."""

    def __init__(self, index_dir: str | Path, *, vectors: VectorIndexConfig = VectorIndexConfig(), opensearch=None,
                 common_terms: CommonTermsConfig = CommonTermsConfig(), hydrate_rows: bool = True):
        """``opensearch`` (an OpenSearchConfig) reads the lexical side from the cluster's index of
        the live version, ``<prefix>-vNNNNNN``; None reads the embedded tantivy index (with the
        ``common_terms`` cut-off for ranked keyword searches). ``hydrate_rows``: hits are read from the
        version's ``profiles.rows`` (False: from the memory-mapped Arrow store)."""
        self.index_dir = Path(index_dir)
        self._common_terms = common_terms
        self._hydrate_rows = hydrate_rows
        self._opensearch = opensearch
        self._client = None
        self._vectors_config = vectors
        self._lock = threading.Lock()
        self._snapshot: IndexSnapshot | None = None
        self._pointer_mtime: float | None = None

    def snapshot(self) -> IndexSnapshot:
        """The live snapshot; cheap when nothing changed (one stat of CURRENT)."""
        pointer = self.index_dir / "CURRENT"
        try:
            mtime = pointer.stat().st_mtime_ns
        except FileNotFoundError as exc:
            raise BackendUnavailableError(f"no index at {self.index_dir}: run `talentsearch index PATH --index-dir {self.index_dir}`") from exc
        with self._lock:
            if self._snapshot is None or mtime != self._pointer_mtime:
                self._snapshot = self._open()
                self._pointer_mtime = mtime
            return self._snapshot

    def _open(self) -> IndexSnapshot:
        path = current_version(self.index_dir)
        if path is None:
            raise BackendUnavailableError(f"no index at {self.index_dir}")
        try:
            manifest = json.loads((path / "manifest.json").read_text())
            return IndexSnapshot(
                version=path.name, manifest=manifest, store=ProfileStore.load(path, rows=self._hydrate_rows),
                lexical=self._lexical(path),
                vectors=FaissVectorIndex.load(path / "dense", self._vectors_config, writable=False), path=path,
            )
        except (OSError, ValueError) as exc:
            raise BackendUnavailableError(f"index version {path.name} cannot be opened: {exc}") from exc

    def _lexical(self, path: Path) -> LexicalIndex:
        if self._opensearch is None:
            return TantivyLexicalIndex(path / "lexical", common_terms=self._common_terms)
        from indexer.opensearch.index import OpenSearchLexicalIndex

        if self._client is None:
            self._client = self._opensearch.client()
        return OpenSearchLexicalIndex(self._opensearch, self._opensearch.index_name(path.name), client=self._client)
