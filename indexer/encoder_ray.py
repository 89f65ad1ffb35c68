"""Dense encoding at ingest on Ray: an ``Encoder`` whose ``encode`` runs on a pool of actors.

Each actor loads ``MiniLMEncoder(config)`` once (ONNX Runtime on its CPUs, or torch on a GPU) and
encodes tasks of ``task_texts`` texts; the driver puts each task's vectors back at its offset, so the
result is the local encoder's up to float rounding (the batches group texts differently). Give it to
``indexer.build.ingest(..., encoder=RayEncoder(...))``: everything else about ingest (validation, the
lexical index, the atomic publish of a new version) is unchanged and stays on the driver.

Faults: a worker killed mid-task is restarted by Ray (loading its model again) and the task re-run;
vectors are only kept by the driver, so nothing is written twice. A killed driver publishes nothing:
the previous version keeps serving, and running the same ingest again encodes the changed profiles
again (ingest is idempotent; encoded vectors are not checkpointed).
"""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm.auto import tqdm

from indexer.encoder import EncoderConfig, MiniLMEncoder, model_identity
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
                 task_texts: int = TASK_TEXTS):
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
        tasks = ((texts[i:i + self.task_texts], batch_size) for i in starts)
        pool = self.pool()                      # actors up (models loaded) before the bar starts
        with tqdm(total=len(texts), disable=not progress, unit="text", desc="encode (ray)") as bar:
            for i, vectors in zip(starts, pool.map("encode", tasks)):
                out[i:i + len(vectors)] = vectors
                bar.update(len(vectors))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        if self._local is None:
            self._local = MiniLMEncoder(self.config)
        return self._local.encode_query(text)


__all__ = ["RayEncoder", "TASK_TEXTS"]
