"""Free-text qualifications: MiniLM similarity of the qualification to each profile sentence.

The best sentence's cosine decides: ``>= meets`` -> meets, ``>= partly`` -> partly, else no_evidence;
the sentence itself is the evidence. The two thresholds are calibrated on the synthetic evaluation
benchmark (``python -m benchmarks.evaluation --calibrate`` writes ``data/freetext_thresholds.json``,
one entry per encoder model) rather than set by hand.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ranking.evaluate import profile as pf
from ranking.evaluate.model import Judgement

THRESHOLDS_PATH = Path(__file__).resolve().parent / "data" / "freetext_thresholds.json"
FALLBACK = {"meets": 0.75, "partly": 0.6}
_CACHE = 50_000


def load_thresholds(model: str, path: Path = THRESHOLDS_PATH) -> dict:
    """The calibrated thresholds for ``model`` (an encoder identity); FALLBACK with ``calibrated: false`` if none."""
    try:
        table = json.loads(path.read_text())
    except (OSError, ValueError):
        table = {}
    entry = table.get(model)
    if entry is None:
        return {**FALLBACK, "calibrated": False}
    return {"meets": float(entry["meets"]), "partly": float(entry["partly"]), "calibrated": True}


class FreeTextJudge:
    """``encoder``: anything with ``encode(texts) -> (n, d) float32``; sentence vectors are cached by text."""

    def __init__(self, encoder, *, model: str = "", thresholds: dict | None = None):
        self.encoder = encoder
        self.model = model
        self.thresholds = thresholds or load_thresholds(model)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()          # API requests share one judge

    def vectors(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            found = {t: self._cache[t] for t in set(texts) if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            vecs = np.asarray(self.encoder.encode(missing), dtype=np.float32)
            vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            found.update(zip(missing, vecs))
            with self._lock:
                self._cache.update(zip(missing, vecs))
                while len(self._cache) > _CACHE:
                    self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, 1), np.float32)
        return np.stack([found[t] for t in texts])

    def best(self, profiles: list[dict], quals) -> dict:
        """{(profile index, qualification id): (cosine, (path, start, end) or None)} for every pair."""
        spans = [pf.sentences(p) for p in profiles]
        texts = [pf.value_of(p, path)[s:e] for p, sp in zip(profiles, spans) for path, s, e in sp]
        S = self.vectors(texts)
        Q = self.vectors([q.text for q in quals])
        sims = S @ Q.T if len(texts) else np.zeros((0, len(quals)), np.float32)
        out, at = {}, 0
        for i, sp in enumerate(spans):
            block = sims[at:at + len(sp)]
            at += len(sp)
            for j, q in enumerate(quals):
                if len(sp) == 0:
                    out[i, q.id] = (0.0, None)
                else:
                    k = int(np.argmax(block[:, j]))
                    out[i, q.id] = (float(block[k, j]), sp[k])
        return out

    def judge_many(self, profiles: list[dict], quals) -> dict:
        t = self.thresholds
        out = {}
        for (i, qid), (cos, span) in self.best(profiles, quals).items():
            if span is None or cos < t["partly"]:
                out[i, qid] = Judgement(qid, "no_evidence", round(1.0 - max(cos, 0.0), 3), (),
                                        f"no sentence close enough (best cosine {cos:.2f} < {t['partly']:.2f})")
                continue
            path, s, e = span
            verdict = "meets" if cos >= t["meets"] else "partly"
            ev = pf.entry_evidence(profiles[i], path, s, e, f"cosine {cos:.2f}")
            out[i, qid] = Judgement(qid, verdict, round(min(1.0, max(cos, 0.0)), 3), (ev,),
                                    f"closest sentence, cosine {cos:.2f} (threshold {t[verdict]:.2f})")
        return out


__all__ = ["FALLBACK", "THRESHOLDS_PATH", "FreeTextJudge", "load_thresholds"]
