"""Build ``query/data/occupation-vectors.npz``: MiniLM vectors of every O*NET occupation, for the resolver.

``query.intake.occupation.OccupationResolver`` compares a posting's title with two vectors per occupation: its
names (title, reported and short titles) and its text (title, description, first tasks). Encoding the
~1,000 occupations takes about 30 s on 2 CPU cores, too long for every load, so they are shipped (float16)
and rebuilt with this script whenever the taxonomy or the encoder changes (the resolver ignores a file whose
codes, taxonomy or model differ from what it runs with)::

    python scripts/build_occupation_vectors.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    import numpy as np

    from indexer.encoder import EncoderConfig, MiniLMEncoder
    from query.intake.occupation import VECTORS_PATH, occupation_texts
    from records.taxonomy import Taxonomy

    tax = Taxonomy.load()
    enc = MiniLMEncoder(EncoderConfig(backend="onnx"))
    codes, names, texts = occupation_texts(tax)
    t0 = time.perf_counter()
    names_v = enc.encode(names, batch_size=16).astype(np.float16)
    texts_v = enc.encode(texts, batch_size=16).astype(np.float16)
    VECTORS_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(VECTORS_PATH, codes=np.array(codes), names=names_v, texts=texts_v,
                        model=np.array(enc.fingerprint), taxonomy=np.array(tax.source))
    print(f"{len(codes)} occupations encoded in {time.perf_counter() - t0:.1f}s -> {VECTORS_PATH} "
          f"({VECTORS_PATH.stat().st_size / 1e6:.1f} MB, model {enc.fingerprint})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
