"""The GPU bulk-encoding path (indexer.encoder_gpu): its CPU-checkable parts here, CUDA itself under ``-m gpu``."""
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.encoder import EncoderConfig, MiniLMEncoder
from indexer.encoder_gpu import GpuEncodeConfig, GpuRunner, length_batches, pad

REPO = Path(__file__).resolve().parents[2]
TEXTS = ["data engineer", "Senior Data Engineer at Globex. Builds streaming pipelines with Spark and Kafka. " * 6,
         "nurse", "", "python developer in Berlin, open to work", "Registered nurse, ICU, 8 years " * 3, "x"]


@given(st.lists(st.integers(0, 300), max_size=60), st.integers(1, 2000), st.integers(1, 64))
@settings(max_examples=200, deadline=None)
def test_length_batches_cover_every_text_once_within_budget(lengths, max_tokens, max_batch):
    lengths = np.array(lengths, dtype=np.int64)
    batches = length_batches(lengths, max_tokens, max_batch)
    flat = np.concatenate(batches) if batches else np.zeros(0, np.int64)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths.tolist(), reverse=True)     # longest first
    for b in batches:
        assert 1 <= len(b) <= max_batch
        assert len(b) == 1 or len(b) * lengths[b].max() <= max_tokens           # over budget only alone


def test_pad_builds_ids_and_mask():
    ids, mask = pad([[1, 2, 3], [4], [5, 6]], np.array([2, 0]))
    assert ids.tolist() == [[5, 6, 0], [1, 2, 3]] and mask.tolist() == [[1, 1, 0], [1, 1, 1]]
    assert ids.dtype == np.int64


@pytest.fixture(scope="module")
def cpu_runner(encoder):
    """The runner on the CPU in fp32, with tiny chunks and budgets: 3 chunks, several batches each."""
    return GpuRunner(encoder.model_dir, "cpu", EncoderConfig().max_seq_length,
                     GpuEncodeConfig(max_tokens=64, max_batch=2, chunk=3))


def test_runner_on_cpu_gives_the_cpu_encoders_vectors_in_input_order(cpu_runner, encoder):
    got = cpu_runner.run(TEXTS)
    assert got.shape == (len(TEXTS), encoder.dim) and got.dtype == np.float32
    np.testing.assert_allclose(got, encoder.encode(TEXTS), atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(cpu_runner.run(TEXTS[::-1]), got[::-1], atol=1e-5)     # order restored
    assert cpu_runner.run([]).shape == (0, encoder.dim)


def test_runner_truncates_at_max_seq_length(cpu_runner):
    assert max(len(ids) for ids in cpu_runner.tokenize(["word " * 1000])) == EncoderConfig().max_seq_length


@pytest.mark.parametrize("kwargs", [dict(max_tokens=0), dict(max_batch=0), dict(chunk=0), dict(dtype="int8")])
def test_bad_gpu_config_is_rejected(kwargs):
    with pytest.raises(ValueError, match="GpuEncodeConfig"):
        GpuEncodeConfig(**kwargs)


def test_gpu_marker_is_registered_and_deselected_by_default():
    pytest_ini = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("gpu:") for m in pytest_ini["markers"])
    assert "not gpu" in pytest_ini["addopts"]
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(dep.startswith("faiss-gpu") for dep in extras["gpu"])


@pytest.mark.gpu
def test_cuda_encoder_bulk_runs_on_the_gpu_runner_in_fp16(encoder):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    gpu = MiniLMEncoder(EncoderConfig())
    assert gpu.device == "cuda" and gpu.backend.endswith("+gpu")
    got = gpu.encode(TEXTS * 50)
    assert gpu._gpu.dtype == torch.float16
    np.testing.assert_allclose(got, np.tile(encoder.encode(TEXTS), (50, 1)), atol=5e-3)
    cpu = MiniLMEncoder(EncoderConfig(device="cpu"))
    assert cpu.device == "cpu" and "+gpu" not in cpu.backend                  # the setting keeps it off the GPU
