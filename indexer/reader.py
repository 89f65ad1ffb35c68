"""The read side of an index directory: the live version's store, lexical and dense indexes."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from indexer.build import current_version
from indexer.lexical import TantivyLexicalIndex
from indexer.store import ProfileStore
from indexer.vectors import FaissVectorIndex, VectorIndexConfig
from records.errors import BackendUnavailableError


@dataclass(frozen=True)
class IndexSnapshot:
    version: str
    manifest: dict
    store: ProfileStore
    lexical: TantivyLexicalIndex
    vectors: FaissVectorIndex


class IndexReader:
    """Opens the version named in CURRENT and re-opens when a newer one is published."""

    def __init__(self, index_dir: str | Path, *, vectors: VectorIndexConfig = VectorIndexConfig()):
        self.index_dir = Path(index_dir)
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
                version=path.name, manifest=manifest, store=ProfileStore.load(path),
                lexical=TantivyLexicalIndex(path / "lexical"),
                vectors=FaissVectorIndex.load(path / "dense", self._vectors_config),
            )
        except (OSError, ValueError) as exc:
            raise BackendUnavailableError(f"index version {path.name} cannot be opened: {exc}") from exc
