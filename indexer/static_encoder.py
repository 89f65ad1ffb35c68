"""A static embedding model distilled from the shipped MiniLM: the cheap document path.

MiniLM reads every text with six transformer layers: about 16 profiles a second on 2 CPU cores. A
static model (the model2vec recipe, Tulkens & van Dongen 2024) keeps one vector per word piece of
MiniLM's vocabulary, computed once by MiniLM itself (each piece read alone, mean-pooled as MiniLM pools
a sentence), reduced by PCA; a text is the mean of its pieces' vectors, unit length. Tokenising is the
whole cost: thousands of profiles a second on one core, no model to run.

The distillation runs once per model (about a minute on 2 cores) and is cached next to the ONNX export
(``~/.cache/talentsearch/static``, keyed by the weights' digest and the settings); nothing is downloaded.
Queries must be encoded by the same static model (one index holds one model's vectors: its name is
``<MiniLM>-static<dims>``), so choosing it trades query quality for ingest speed; the numbers are in the
README (benchmarks/encoders_bench.py).
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.encoder import DEFAULT_MODEL_NAME, STATIC_DIMS, EncoderConfig, _model_dir, weights_digest
from records import durable

log = logging.getLogger(__name__)

FORMAT = 1


class StaticEncoder:
    """Mean of distilled word-piece vectors. Thread-safe (read-only after construction)."""

    def __init__(self, config: EncoderConfig = EncoderConfig(), *, dims: int = STATIC_DIMS):
        from tokenizers import Tokenizer

        self.config = config
        self.model_dir = _model_dir(config)
        base = DEFAULT_MODEL_NAME if config.model_dir is None else Path(config.model_dir).name
        self.name = f"{base}-static{dims}"
        self.dim = dims
        self.device = "cpu"
        self.backend = "static"
        self.fingerprint = weights_digest(config)[:16]
        self._tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=4096)
        self._special = {self._tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]", "[UNK]")} - {None}
        self._table = self._load_or_distil(dims)

    # -- encoding ---------------------------------------------------------------------------
    def encode(self, texts: Sequence[str], *, batch_size: int = 4096, progress: bool = False) -> np.ndarray:
        """Shape (len(texts), dim), float32, unit rows (a text with no known piece: a zero row)."""
        from tqdm.auto import tqdm

        out = np.zeros((len(texts), self.dim), np.float32)
        batch_size = max(batch_size, 4096)              # tokenising in big batches is the whole cost
        with tqdm(total=len(texts), desc="encode (static)", unit="text", disable=not progress) as bar:
            for start in range(0, len(texts), batch_size):
                chunk = [t or "" for t in texts[start:start + batch_size]]
                encodings = self._tokenizer.encode_batch(chunk, add_special_tokens=False)
                ids = [np.asarray([i for i in e.ids if i not in self._special], dtype=np.int64) for e in encodings]
                lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
                flat = np.concatenate(ids) if len(ids) else np.zeros(0, np.int64)
                if len(flat):
                    sums = np.add.reduceat(self._table[flat], np.r_[0, np.cumsum(lengths)[:-1]], axis=0)
                    has = lengths > 0
                    out[start:start + len(chunk)][has] = sums[has]
                bar.update(len(chunk))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=out, where=norms > 0)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    # -- distillation -----------------------------------------------------------------------
    def _load_or_distil(self, dims: int) -> np.ndarray:
        cache = Path(self.config.cache_dir or Path.home() / ".cache" / "talentsearch").expanduser() / "static"
        path = cache / f"{self.fingerprint}-v{FORMAT}-d{dims}.npy"
        if path.exists():
            try:
                table = np.load(path, allow_pickle=False)
                if table.shape[1] == dims:
                    return table
            except (OSError, ValueError) as exc:
                log.warning("static model cache %s unreadable (%s): distilling again", path, exc)
        log.info("distilling a static model from %s into %s (once)", self.model_dir, path)
        table = distil(self.model_dir, dims)
        durable.write_npy(path, table, mode=0o644)
        return table


def distil(model_dir: Path, dims: int, *, batch: int = 512, only: np.ndarray | None = None) -> np.ndarray:
    """(vocab, dims) float32: each word piece read alone by the model ([CLS] piece [SEP], mean-pooled as
    the model pools a sentence), centred and reduced to ``dims`` by PCA. ``only``: distil just these
    piece ids (the others stay zero; for tests)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    config = json.loads((model_dir / "config.json").read_text())
    vocab = int(config["vocab_size"])
    cls_id, sep_id = 101, 102
    tokenizer_path = model_dir / "tokenizer.json"
    if tokenizer_path.exists():
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(tokenizer_path))
        cls_id, sep_id = tok.token_to_id("[CLS]") or cls_id, tok.token_to_id("[SEP]") or sep_id
    threads = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    torch.set_num_threads(threads)
    wanted = np.arange(vocab) if only is None else np.unique(np.asarray(only, dtype=np.int64))
    rows = []
    with torch.no_grad():
        for start in range(0, len(wanted), batch):
            ids = torch.as_tensor(wanted[start:start + batch], dtype=torch.long)
            inputs = torch.stack([torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], dim=1)
            hidden = model(input_ids=inputs, attention_mask=torch.ones_like(inputs),
                           token_type_ids=torch.zeros_like(inputs)).last_hidden_state
            rows.append(hidden.mean(dim=1).numpy().astype(np.float32))
    pieces = np.concatenate(rows)
    pieces -= pieces.mean(axis=0, keepdims=True)
    if dims < pieces.shape[1]:
        _, _, vt = np.linalg.svd(pieces, full_matrices=False)
        pieces = pieces @ vt[:dims].T
    table = np.zeros((vocab, pieces.shape[1]), np.float32)
    table[wanted] = pieces
    return table


__all__ = ["StaticEncoder", "distil"]
