"""Dense encoding throughput of the GPU path (indexer.encoder_gpu) against sentence-transformers on the same device.

    python -m benchmarks.gpu_encode --profiles 100000                  # on a machine with a CUDA GPU
    python -m benchmarks.gpu_encode --profiles 2000 --device cpu       # the same code on the CPU (a smoke run)

Texts: generated profiles (``benchmarks.synth``, seed 42, cached under ``var/bench/gpu-encode-<N>``) through
``indexer.documents.dense_text`` cut at ``IndexConfig.dense_max_chars`` (from the raw profile fields: without
the derived current title ingest prepends, so a few words shorter than ingest's texts). Times
(after one warm-up batch): tokenisation alone, the GPU runner end to end (texts/s), and plain
sentence-transformers ``encode`` (batch 256, fp16 on CUDA) as the issue measured it; then the two
runners' vectors are compared (max |difference|, least cosine). Writes
``benchmarks/results/gpu-encode-<N>-<device>.json`` with the commit, the machine and the GPU's name.
No GPU numbers were measured where this was written (no GPU at hand).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from benchmarks.common import ROOT, write_result


def profile_texts(n: int) -> list[str]:
    import pyarrow.parquet as pq

    from benchmarks.synth import generate
    from indexer.build import IndexConfig
    from indexer.documents import dense_text

    corpus = ROOT / "var" / "bench" / f"gpu-encode-{n}"
    if not (corpus / "profiles.parquet").exists():
        generate(corpus, profiles=n, seed=42, queries=20, progress=True)
    cut = IndexConfig().dense_max_chars
    return [dense_text(p, max_chars=cut) for p in pq.read_table(corpus / "profiles.parquet").to_pylist()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profiles", type=int, default=100_000)
    ap.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    ap.add_argument("--max-tokens", type=int, default=65_536)
    ap.add_argument("--max-batch", type=int, default=1_024)
    ap.add_argument("--skip-reference", action="store_true", help="do not time sentence-transformers")
    args = ap.parse_args(argv)
    import torch

    from indexer.encoder import EncoderConfig, _model_dir
    from indexer.encoder_gpu import GpuEncodeConfig, GpuRunner

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA GPU here: run with --device cpu for a smoke run", file=sys.stderr)
        return 2
    texts = profile_texts(args.profiles)
    model_dir = _model_dir(EncoderConfig())
    runner = GpuRunner(model_dir, args.device, EncoderConfig().max_seq_length,
                       GpuEncodeConfig(max_tokens=args.max_tokens, max_batch=args.max_batch))
    runner.run(texts[:256])                                       # warm-up: kernels, allocator
    t0 = time.perf_counter()
    tokens = sum(len(t) for t in runner.tokenize(texts))
    tokenize_s = time.perf_counter() - t0
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    sync()
    t0 = time.perf_counter()
    ours = runner.run(texts)
    sync()
    ours_s = time.perf_counter() - t0
    result = {"profiles": len(texts), "data": "benchmarks.synth generated profiles, seed 42 (dense text)",
              "device": args.device, "gpu": torch.cuda.get_device_name() if args.device.startswith("cuda") else None,
              "dtype": str(runner.dtype), "tokens": tokens, "tokenize_texts_per_s": round(len(texts) / tokenize_s),
              "gpu_runner": {"seconds": round(ours_s, 2), "texts_per_s": round(len(texts) / ours_s),
                             "max_tokens": args.max_tokens, "max_batch": args.max_batch}}
    if not args.skip_reference:
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(str(model_dir), device=args.device, local_files_only=True)
        st.max_seq_length = EncoderConfig().max_seq_length
        if args.device.startswith("cuda"):
            st = st.half()
        st.encode(texts[:256], batch_size=256)
        sync()
        t0 = time.perf_counter()
        ref = st.encode(texts, batch_size=256, convert_to_numpy=True, normalize_embeddings=True)
        sync()
        ref_s = time.perf_counter() - t0
        cos = np.sum(ours * ref, axis=1)
        result["sentence_transformers"] = {"seconds": round(ref_s, 2), "texts_per_s": round(len(texts) / ref_s),
                                           "batch_size": 256}
        result["agreement"] = {"max_abs_difference": float(np.abs(ours - ref).max()), "min_cosine": float(cos.min())}
    path = write_result(f"gpu-encode-{args.profiles}-{args.device.replace(':', '')}", result)
    print(json.dumps(result, indent=2))
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
