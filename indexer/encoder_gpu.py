"""Bulk encoding on a CUDA GPU: fp16 MiniLM, length-bucketed large batches, tokenisation overlapped.

``MiniLMEncoder`` uses this runner for document encoding when its device is CUDA (``EncoderConfig.device``
"auto" picks CUDA whenever torch sees a GPU; "cpu" keeps everything on the CPU); queries stay on ONNX
Runtime. Why not plain sentence-transformers: on a GPU it is bound by its Python tokenisation and
padding (the issue measured ~5,400 profile texts/s on an H200). Here:

* texts are tokenised by the Rust ``tokenizers`` fast tokenizer (``encode_batch``, parallel across
  cores) a chunk at a time, the next chunk in a background thread while the GPU runs the current one;
* a chunk's texts are sorted by token length and cut into batches of at most ``max_tokens`` padded
  tokens (and ``max_batch`` texts), so short texts run in large batches with almost no padding;
* the model runs in fp16 (``dtype``; fp32 on the CPU), mean pooling and L2 normalisation in fp32, and
  a chunk's vectors are copied back to the host once, in input order.

The vectors equal the CPU encoder's up to fp16 rounding (cosine > 0.999 measured on the CPU path in
fp32: within 1e-5; ``tests/unit/test_encoder_gpu.py``). Needs ``torch`` and ``transformers`` (installed
with the project); no GPU numbers were measured where this was written (no GPU at hand):
``python -m benchmarks.gpu_encode`` measures profiles/s where one is.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class GpuEncodeConfig:
    max_tokens: int = 65_536      # padded tokens per forward pass (batch x longest text of the batch)
    max_batch: int = 1_024        # texts per forward pass at most
    chunk: int = 16_384           # texts tokenised at a time (the next chunk is tokenised meanwhile)
    dtype: str = "auto"           # "float16", "bfloat16", "float32"; auto: float16 on CUDA, float32 on CPU

    def __post_init__(self) -> None:
        if self.max_tokens < 1 or self.max_batch < 1 or self.chunk < 1:
            raise ValueError("GpuEncodeConfig: max_tokens, max_batch and chunk must be >= 1")
        if self.dtype not in ("auto", "float16", "bfloat16", "float32"):
            raise ValueError(f"GpuEncodeConfig.dtype must be auto, float16, bfloat16 or float32, not {self.dtype!r}")


def length_batches(lengths: np.ndarray, max_tokens: int, max_batch: int) -> list[np.ndarray]:
    """Indices of ``lengths`` (tokens per text) in batches: longest first (an out-of-memory shows at once),
    each at most ``max_batch`` texts and ``max_tokens`` padded tokens (a text longer than ``max_tokens``
    alone). Every index appears once."""
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    batches, start = [], 0
    while start < len(order):
        longest = max(int(lengths[order[start]]), 1)        # the batch's first text is its longest
        size = max(1, min(max_batch, max_tokens // longest, len(order) - start))
        batches.append(order[start:start + size])
        start += size
    return batches


def pad(encodings: list[list[int]], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(input_ids, attention_mask) int64 (len(rows), longest) for the token id lists ``encodings[rows]``."""
    longest = max((len(encodings[i]) for i in rows), default=0)
    ids = np.zeros((len(rows), longest), dtype=np.int64)
    mask = np.zeros_like(ids)
    for r, i in enumerate(rows):
        n = len(encodings[i])
        ids[r, :n] = encodings[i]
        mask[r, :n] = 1
    return ids, mask


class GpuRunner:
    """MiniLM (any BERT-like sentence-transformers model) from a local directory, on ``device``."""

    def __init__(self, model_dir: Path, device: str, max_seq_length: int, config: GpuEncodeConfig = GpuEncodeConfig()):
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModel

        self.config, self.device = config, device
        name = config.dtype if config.dtype != "auto" else ("float16" if device.startswith("cuda") else "float32")
        self.dtype = getattr(torch, name)
        tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=max_seq_length)
        self._tokenizer = tokenizer
        self._model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, torch_dtype=self.dtype) \
            .to(device).eval()
        self.dim = int(self._model.config.hidden_size)
        self._lock = threading.Lock()        # one forward pass at a time on the device

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text (truncated), by the fast tokenizer's parallel ``encode_batch``."""
        return [e.ids for e in self._tokenizer.encode_batch(list(texts))]

    def run(self, texts: list[str], advance: Callable[[int], None] | None = None) -> np.ndarray:
        """float32 (len(texts), dim), unit rows, in input order."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start, encodings in self._chunks(texts):
            out[start:start + len(encodings)] = self._encode_chunk(encodings)
            if advance is not None:
                advance(len(encodings))
        return out

    def _chunks(self, texts: list[str]) -> Iterator[tuple[int, list[list[int]]]]:
        """(offset, token ids) per chunk; chunk i+1 is tokenised in a thread while chunk i is encoded."""
        step = self.config.chunk
        with ThreadPoolExecutor(1, thread_name_prefix="tokenize") as pool:
            pending = pool.submit(self.tokenize, texts[:step]) if texts else None
            for start in range(0, len(texts), step):
                encodings = pending.result()
                nxt = start + step
                pending = pool.submit(self.tokenize, texts[nxt:nxt + step]) if nxt < len(texts) else None
                yield start, encodings

    def _encode_chunk(self, encodings: list[list[int]]) -> np.ndarray:
        import torch

        lengths = np.fromiter((len(e) for e in encodings), dtype=np.int64, count=len(encodings))
        batches = length_batches(lengths, self.config.max_tokens, self.config.max_batch)
        cuda = self.device.startswith("cuda")
        pieces = []
        with self._lock, torch.inference_mode():
            for rows in batches:
                ids, mask = (torch.from_numpy(a) for a in pad(encodings, rows))
                if cuda:
                    ids, mask = ids.pin_memory().to(self.device, non_blocking=True), \
                        mask.pin_memory().to(self.device, non_blocking=True)
                hidden = self._model(input_ids=ids, attention_mask=mask,
                                     token_type_ids=torch.zeros_like(ids)).last_hidden_state.float()
                m = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)
                pieces.append(torch.nn.functional.normalize(pooled, p=2, dim=1))
            vectors = torch.cat(pieces).cpu().numpy() if pieces else np.zeros((0, self.dim), np.float32)
        out = np.empty_like(vectors)
        out[np.concatenate(batches) if batches else np.zeros(0, np.int64)] = vectors    # back to input order
        return out
