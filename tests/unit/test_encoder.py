"""MiniLMEncoder: ONNX embeddings against sentence-transformers, shapes, caching, fallbacks, bad input."""
from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

import indexer.encoder as encoder_module
from indexer.encoder import Encoder, EncoderConfig, MiniLMEncoder, export_onnx
from records.errors import BackendUnavailableError, MissingDependencyError

LONG = " ".join(f"Staff engineer number {i} built distributed data pipelines in Kotlin and Go." for i in range(40))
SENTENCES = [
    "",
    "a",
    "Senior Python engineer",
    "Ingénieur logiciel à Paris — 10 ans d'expérience, 日本語も話せます 🚀",
    LONG,
    "Kubernetes",
    "Product manager; fintech; B2B SaaS; growth",
    "Registered nurse (ICU), Boston MA, open to relocation",
    "The quick brown fox jumps over the lazy dog",
    "C++ / Rust low-latency trading systems developer",
    "   leading and trailing whitespace   ",
    "Москва, data scientist, NLP и рекомендательные системы",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def onnx_encoder(cache_dir):
    return MiniLMEncoder(EncoderConfig(backend="onnx", device="cpu", cache_dir=str(cache_dir)))


@pytest.fixture(scope="module")
def reference():
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(encoder_module._model_dir(EncoderConfig())), device="cpu", local_files_only=True)
    model.max_seq_length = 128
    return model.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)


def test_onnx_matches_sentence_transformers(onnx_encoder, reference):
    got = onnx_encoder.encode(SENTENCES)
    cosine = (got * reference).sum(axis=1)
    assert cosine.min() >= 0.999, dict(zip(SENTENCES, cosine.round(5)))


def test_long_texts_are_truncated_at_max_seq_length(onnx_encoder):
    a, b = onnx_encoder.encode([LONG + " tail one", LONG + " something else entirely"])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_shapes_dtype_and_unit_norm(onnx_encoder):
    vectors = onnx_encoder.encode(SENTENCES, batch_size=5)
    assert vectors.shape == (len(SENTENCES), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = onnx_encoder.encode_query("python engineer")
    assert query.shape == (384,) and query.dtype == np.float32
    assert abs(np.linalg.norm(query) - 1.0) < 1e-5
    empty = onnx_encoder.encode([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    assert isinstance(onnx_encoder, Encoder) and onnx_encoder.dim == 384 and onnx_encoder.backend == "onnx"


def test_deterministic_order_preserving_and_batch_independent(onnx_encoder):
    first = onnx_encoder.encode(SENTENCES, batch_size=3)
    np.testing.assert_array_equal(first, onnx_encoder.encode(SENTENCES, batch_size=3))
    reversed_ = onnx_encoder.encode(SENTENCES[::-1], batch_size=64)[::-1]
    np.testing.assert_allclose(first, reversed_, atol=1e-5)  # padding differs, results must not
    singles = np.stack([onnx_encoder.encode_query(s) for s in SENTENCES])
    np.testing.assert_allclose(first, singles, atol=1e-5)


def test_exported_model_is_cached(onnx_encoder, cache_dir, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("re-exported although the cache holds the model")

    monkeypatch.setattr(encoder_module, "export_onnx", boom)
    again = MiniLMEncoder(EncoderConfig(backend="onnx", device="cpu", cache_dir=str(cache_dir)))
    assert again.onnx_path == onnx_encoder.onnx_path and again.onnx_path.parent == cache_dir
    assert [p.name for p in cache_dir.iterdir()] == [again.onnx_path.name]  # no temp files left
    np.testing.assert_array_equal(again.encode_query("nurse"), onnx_encoder.encode_query("nurse"))


def test_cache_key_depends_on_max_seq_length(onnx_encoder, tmp_path, monkeypatch):
    monkeypatch.setattr(encoder_module, "export_onnx", lambda src, target, n: shutil.copy(onnx_encoder.onnx_path, target))
    short = MiniLMEncoder(EncoderConfig(backend="onnx", device="cpu", cache_dir=str(tmp_path), max_seq_length=16))
    assert short.onnx_path.name != onnx_encoder.onnx_path.name and "seq16" in short.onnx_path.name
    a, b = short.encode([LONG, LONG + " different tail"])
    np.testing.assert_array_equal(a, b)


def test_unreadable_cache_file_is_exported_again(onnx_encoder, tmp_path, monkeypatch, caplog):
    calls = []

    def fake_export(src, target, n):
        calls.append(target)
        shutil.copy(onnx_encoder.onnx_path, target)

    (tmp_path / onnx_encoder.onnx_path.name).write_bytes(b"not an onnx model")
    monkeypatch.setattr(encoder_module, "export_onnx", fake_export)
    with caplog.at_level(logging.WARNING, logger="indexer.encoder"):
        fixed = MiniLMEncoder(EncoderConfig(backend="onnx", device="cpu", cache_dir=str(tmp_path)))
    assert len(calls) == 1 and "cannot be loaded" in caplog.text
    np.testing.assert_array_equal(fixed.encode_query("x"), onnx_encoder.encode_query("x"))


def test_auto_falls_back_to_torch_when_export_fails(onnx_encoder, tmp_path, monkeypatch, caplog):
    def missing(*args, **kwargs):
        raise MissingDependencyError("onnxscript", "export")

    monkeypatch.setattr(encoder_module, "export_onnx", missing)
    with caplog.at_level(logging.WARNING, logger="indexer.encoder"):
        fallback = MiniLMEncoder(EncoderConfig(backend="auto", device="cpu", cache_dir=str(tmp_path)))
    assert fallback.backend == "torch" and fallback.onnx_path is None
    assert "falling back to sentence-transformers" in caplog.text and "onnxscript" in caplog.text
    got = fallback.encode(SENTENCES[:4])
    assert got.shape == (4, 384)
    assert ((got * onnx_encoder.encode(SENTENCES[:4])).sum(axis=1) >= 0.999).all()
    assert fallback.encode_query("nurse").shape == (384,)
    with pytest.raises(MissingDependencyError, match=r"talentsearch\[export\]"):
        MiniLMEncoder(EncoderConfig(backend="onnx", device="cpu", cache_dir=str(tmp_path)))
    assert list(tmp_path.iterdir()) == []


def test_export_names_the_missing_extra(tmp_path, monkeypatch):
    real = encoder_module.importlib.util.find_spec
    monkeypatch.setattr(encoder_module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "onnxscript" else real(name, *a))
    with pytest.raises(MissingDependencyError, match="onnxscript"):
        export_onnx(encoder_module._model_dir(EncoderConfig()), tmp_path / "m.onnx", 128)
    assert list(tmp_path.iterdir()) == []


def test_bad_input_is_rejected(onnx_encoder):
    with pytest.raises(TypeError, match="one str"):
        onnx_encoder.encode("python engineer")
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        onnx_encoder.encode(["ok", None])
    with pytest.raises(TypeError):
        onnx_encoder.encode_query(["python"])
    with pytest.raises(ValueError, match="batch_size"):
        onnx_encoder.encode(["ok"], batch_size=0)


@pytest.mark.parametrize("kwargs, match", [
    ({"backend": "tensorflow"}, "backend"),
    ({"device": "tpu"}, "device"),
    ({"max_seq_length": 0}, "max_seq_length"),
    ({"threads": 0}, "threads"),
])
def test_bad_config_is_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EncoderConfig(**kwargs)


def test_bad_model_dir_and_length(tmp_path):
    with pytest.raises(BackendUnavailableError, match="config.json"):
        MiniLMEncoder(EncoderConfig(model_dir=str(tmp_path), device="cpu"))
    with pytest.raises(ValueError, match="positions"):
        MiniLMEncoder(EncoderConfig(max_seq_length=1024, device="cpu", cache_dir=str(tmp_path)))
