"""SkillSpan data and span-level scores, shared by the span trainer and the SkillSpan benchmark.

SkillSpan (Zhang et al., NAACL 2022; MIT) is JSON lines, one sentence per line:
``{"idx", "tokens", "tags_skill", "tags_knowledge", "source"}`` with one BIO tag per token and kind.
It is training and benchmark data only; nothing at run time reads it.

Scores (``score_spans``) compare predicted and gold ``[start, end)`` token spans per sentence:

* **exact**: a predicted span counts when its boundaries equal a gold span's;
* **overlap** (lenient): a predicted span counts when it shares a token with a gold span;
  recall counts gold spans touched by a prediction.
"""
from __future__ import annotations

import json
from pathlib import Path

KINDS = ("skill", "knowledge")

Spans = list[tuple[int, int]]


def bio_spans(tags: list[str]) -> Spans:
    """``[start, end)`` token spans of a BIO sequence (an I without a B starts a span)."""
    spans, start = [], None
    for i, tag in enumerate(tags + ["O"]):
        if tag == "B" or (tag == "I" and start is None) or tag == "O":
            if start is not None:
                spans.append((start, i))
                start = None
            if tag in ("B", "I"):
                start = i
    return spans


def read_skillspan(path: Path) -> list[dict]:
    """The sentences of a SkillSpan JSON-lines file; FileNotFoundError naming it when absent,
    ValueError naming the line when tokens and tags differ in length."""
    if not path.is_file():
        raise FileNotFoundError(f"SkillSpan file {path} is missing (benchmark-only data under ../shared/data/skillspan; "
                                "pass --data)")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            if not (len(row["tokens"]) == len(row["tags_skill"]) == len(row["tags_knowledge"])):
                raise ValueError(f"{path}:{n}: tokens and tags differ in length")
            rows.append(row)
    return rows


def gold_spans(rows: list[dict]) -> dict[str, list[Spans]]:
    """Gold spans per sentence for each kind and for their union (a span tagged as both counts once)."""
    golds = {k: [bio_spans(list(r[f"tags_{k}"])) for r in rows] for k in KINDS}
    golds["union"] = [sorted(set(a) | set(b)) for a, b in zip(golds["skill"], golds["knowledge"])]
    return golds


def _prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict:
    p = tp_pred / n_pred if n_pred else 0.0
    r = tp_gold / n_gold if n_gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "predicted": n_pred, "gold": n_gold}


def score_spans(preds: list[Spans], gold: list[Spans]) -> dict:
    """``{"exact": prf, "overlap": prf}`` over aligned per-sentence span lists; prf holds precision,
    recall, f1 (0..1, 4 decimals) and the predicted and gold span counts."""
    n_pred = sum(map(len, preds))
    n_gold = sum(map(len, gold))
    exact = sum(len(set(p) & set(g)) for p, g in zip(preds, gold))
    pred_hit = sum(sum(any(ps < ge and gs < pe for gs, ge in g) for ps, pe in p) for p, g in zip(preds, gold))
    gold_hit = sum(sum(any(ps < ge and gs < pe for ps, pe in p) for gs, ge in g) for p, g in zip(preds, gold))
    return {"exact": _prf(exact, n_pred, exact, n_gold), "overlap": _prf(pred_hit, n_pred, gold_hit, n_gold)}


def score_typed(rows: list[dict], preds: list[list[tuple[int, int, str]]]) -> dict:
    """Scores for the union (all predictions against all gold spans) and for each kind (predictions
    of that kind against gold spans of that kind); ``preds`` holds ``(start, end, kind)`` per sentence."""
    golds = gold_spans(rows)
    out = {"union": score_spans([[(s, e) for s, e, _ in p] for p in preds], golds["union"])}
    for kind in KINDS:
        out[kind] = score_spans([[(s, e) for s, e, k in p if k == kind] for p in preds], golds[kind])
    return out


__all__ = ["KINDS", "bio_spans", "gold_spans", "read_skillspan", "score_spans", "score_typed"]
