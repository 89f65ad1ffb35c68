"""The static encoder distilled from MiniLM: distillation, encoding, and its place as one model of its own.

Distilling the whole vocabulary takes about a minute on 2 cores, so the tests distil only the word pieces
their texts use (``distil(only=...)``) into the cache the encoder reads."""
from __future__ import annotations

import numpy as np
import pytest
from tokenizers import Tokenizer

from indexer import static_encoder as se
from indexer.encoder import STATIC_DIMS, EncoderConfig, _model_dir, _weights_digest, model_identity, open_encoder

TEXTS = ["Registered nurse in the intensive care unit", "ICU nurse, critical care, patient monitoring",
         "Java developer building Spring microservices", "Senior backend engineer: Java, Kafka, Spring Boot",
         "", "Accountant: audits, tax returns, bookkeeping"]


@pytest.fixture(scope="module")
def static(tmp_path_factory):
    cache = tmp_path_factory.mktemp("static-cache")
    config = EncoderConfig(backend="static", cache_dir=str(cache))
    model_dir = _model_dir(config)
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    ids = np.unique(np.concatenate([tok.encode(t, add_special_tokens=False).ids for t in TEXTS + ["nurse", "java"] if t]))
    table = se.distil(model_dir, STATIC_DIMS, only=ids)
    path = cache / "static" / f"{_weights_digest(model_dir)[:16]}-v{se.FORMAT}-d{STATIC_DIMS}.npy"
    path.parent.mkdir(parents=True)
    np.save(path, table)
    return open_encoder(config)


def test_static_vectors_are_unit_deterministic_and_mean_what_minilm_means(static):
    v = static.encode(TEXTS)
    assert v.shape == (len(TEXTS), STATIC_DIMS) and v.dtype == np.float32
    norms = np.linalg.norm(v, axis=1)
    assert np.allclose(norms[[0, 1, 2, 3, 5]], 1, atol=1e-5) and norms[4] == 0          # an empty text: a zero row
    assert np.array_equal(v, static.encode(TEXTS)) and np.allclose(static.encode_query(TEXTS[0]), v[0])
    sim = v @ v.T
    assert sim[0, 1] > max(sim[0, 2], sim[0, 3], sim[0, 5])       # nurse ~ nurse, not java or accounting
    assert sim[2, 3] > max(sim[2, 0], sim[2, 1], sim[2, 5])
    assert static.encode_query("nurse") @ v[1] > static.encode_query("java") @ v[1]


def test_the_static_model_is_a_model_of_its_own(static):
    assert static.name.endswith(f"-static{STATIC_DIMS}") and static.dim == STATIC_DIMS
    assert model_identity(EncoderConfig(backend="static")) == (static.name, STATIC_DIMS)
    assert model_identity(EncoderConfig())[0] != static.name      # an index of static vectors refuses MiniLM queries


def test_a_damaged_cache_is_distilled_again(tmp_path, monkeypatch):
    config = EncoderConfig(backend="static", cache_dir=str(tmp_path))
    model_dir = _model_dir(config)
    path = tmp_path / "static" / f"{_weights_digest(model_dir)[:16]}-v{se.FORMAT}-d{STATIC_DIMS}.npy"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not numpy")
    calls = []
    monkeypatch.setattr(se, "distil", lambda d, dims: calls.append(dims) or np.ones((30522, dims), np.float32))
    enc = open_encoder(config)
    assert calls == [STATIC_DIMS] and np.load(path).shape == (30522, STATIC_DIMS)
    assert np.allclose(np.linalg.norm(enc.encode(["anything"]), axis=1), 1)
