"""Dense encoding at ingest on Ray: an ``Encoder`` whose ``encode`` runs on a pool of actors.

Each actor loads ``MiniLMEncoder(config)`` once (ONNX Runtime on its CPUs, or torch on a GPU) and
encodes tasks of ``task_texts`` texts; the driver puts each task's vectors back at its offset, so the
result is the local encoder's up to float rounding (the batches group texts differently). Give it to
``indexer.build.ingest(..., encoder=RayEncoder(...))``: everything else about ingest (validation, the
lexical index, the atomic publish of a new version) is unchanged and stays on the driver.

Faults: a worker killed mid-task is restarted by Ray (loading its model again) and the task re-run;
vectors are only kept by the driver, so nothing is written twice. A killed driver publishes nothing:
the previous version keeps serving. With ``checkpoint_dir`` the driver saves each task's vectors there
(durably, named by a digest of the model and the task's texts) as they come back, so running the same
ingest again encodes only the tasks it had not finished; the caller removes the directory once the
version is published.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm.auto import tqdm

from indexer.encoder import EncoderConfig, MiniLMEncoder, model_identity, weights_digest
from records import durable
from records.raypool import ActorPool, RayOptions

TASK_TEXTS = 256           # texts per task: a few seconds of work on one core for profile-length texts


class _Encoding:
    """Lives inside one actor: the model, loaded once."""

    def __init__(self, config: EncoderConfig):
        self.encoder = MiniLMEncoder(config)

    def encode(self, task: tuple[list[str], int]) -> np.ndarray:
        texts, batch_size = task
        return self.encoder.encode(texts, batch_size=batch_size)


class RayEncoder:
    """The ``Encoder`` protocol over a Ray actor pool (``name`` and ``dim`` read without loading the model).

    Use inside ``records.raypool.connected(...)``; the pool starts on the first ``encode`` and lives until
    ``close()`` (or the end of a ``with`` block). ``encode_query`` runs a local encoder, loaded when first
    needed: one query is not worth a round trip."""

    def __init__(self, config: EncoderConfig = EncoderConfig(), options: RayOptions = RayOptions(), *,
                 task_texts: int = TASK_TEXTS, checkpoint_dir: str | Path | None = None):
        if task_texts < 1:
            raise ValueError(f"task_texts must be >= 1, not {task_texts}")
        self.config = config
        self.name, self.dim = model_identity(config)
        self.options = options
        self.task_texts = task_texts
        # the workers' copy: directories absolute (a worker's working directory is not ours), threads per actor
        absolute = {k: str(Path(v).resolve()) for k in ("model_dir", "cache_dir") if (v := getattr(config, k))}
        self._worker_config = dataclasses.replace(config, **absolute, threads=config.threads or options.threads)
        self._pool: ActorPool | None = None
        self._local: MiniLMEncoder | None = None
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.reused = 0                        # texts whose vectors came from checkpoint_dir
        self._model_key: bytes | None = None

    def __enter__(self) -> "RayEncoder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def pool(self) -> ActorPool:
        """The actor pool, started when first needed."""
        if self._pool is None:
            self._pool = ActorPool(functools.partial(_Encoding, self._worker_config), self.options, name="encode")
        return self._pool

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Shape (len(texts), dim), float32, unit rows, in input order."""
        if isinstance(texts, str):
            raise TypeError("encode expects a sequence of str, not one str (use encode_query)")
        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        starts = range(0, len(texts), self.task_texts)
        saved = {i: self._checkpoint(texts[i:i + self.task_texts]) for i in starts} if self.checkpoint_dir else {}
        size = {i: min(self.task_texts, len(texts) - i) for i in starts}
        todo = [i for i in starts if not self._restore(saved.get(i), out, i, size[i])]
        restored = len(texts) - sum(size[i] for i in todo)
        self.reused += restored
        if not todo:
            return out
        tasks = ((texts[i:i + self.task_texts], batch_size) for i in todo)
        pool = self.pool()                      # actors up (models loaded) before the bar starts
        with tqdm(total=len(texts), initial=restored, disable=not progress, unit="text", desc="encode (ray)") as bar:
            for i, vectors in zip(todo, pool.map("encode", tasks)):
                out[i:i + len(vectors)] = vectors
                if i in saved:
                    durable.write_atomic(saved[i], functools.partial(_save_npy, vectors))
                bar.update(len(vectors))
        return out

    def _checkpoint(self, texts: list[str]) -> Path:
        """Where the vectors of this task live: a digest of the model (weights, length limit) and the texts."""
        if self._model_key is None:
            c = self.config
            self._model_key = f"{weights_digest(c)}|{c.max_seq_length}|{self.dim}".encode()
        h = hashlib.blake2b(self._model_key, digest_size=20)
        for t in texts:
            h.update(len(t).to_bytes(8, "little"))
            h.update(t.encode("utf-8", "surrogatepass"))
        return self.checkpoint_dir / f"{h.hexdigest()}.npy"

    def _restore(self, path: Path | None, out: np.ndarray, i: int, n: int) -> bool:
        """Fill ``out[i:i+n]`` from a checkpoint file; False when there is none (or it is not n finite vectors)."""
        if path is None or not path.is_file():
            return False
        try:
            vectors = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return False
        if vectors.shape != (n, self.dim) or vectors.dtype != np.float32 or not np.isfinite(vectors).all():
            return False
        out[i:i + n] = vectors
        return True

    def encode_query(self, text: str) -> np.ndarray:
        if self._local is None:
            self._local = MiniLMEncoder(self.config)
        return self._local.encode_query(text)


def _save_npy(vectors: np.ndarray, tmp: Path) -> None:
    with open(tmp, "wb") as fh:           # np.save(path) would append ".npy" to the temporary name
        np.save(fh, vectors, allow_pickle=False)


__all__ = ["RayEncoder", "TASK_TEXTS"]
