"""Span-level precision and recall of the offline planner's skill extractor on SkillSpan dev.

SkillSpan (Zhang et al., NAACL 2022) tags job-posting sentences with BIO spans of two kinds:
*skill* (mostly soft skills and abilities: "work independently") and *knowledge* (mostly tools
and fields: "Python", "Docker"). The extractor (``query.skills.SkillExtractor``) predicts spans
over the same tokens. Reported for the union of both kinds and for each kind alone:

* **exact**: a predicted span counts when its token boundaries equal a gold span's;
* **overlap** (lenient): a predicted span counts when it shares a token with a gold span of
  that kind; recall counts gold spans touched by a prediction.

SkillSpan is benchmark-only data (MIT, never shipped); without it this exits 2 naming the file::

    python -m benchmarks.skillspan [--data ../shared/data/skillspan/dev.json] [--out benchmarks/results/skillspan-dev.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.common import ROOT, stamp

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "skillspan" / "dev.json"
KINDS = ("skill", "knowledge")


def bio_spans(tags: list[str]) -> list[tuple[int, int]]:
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


def _prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict:
    p = tp_pred / n_pred if n_pred else 0.0
    r = tp_gold / n_gold if n_gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "predicted": n_pred, "gold": n_gold}


def evaluate(rows: list[dict], extractor) -> dict:
    """Exact and overlap P/R/F1 for the union of kinds and each kind; counts of spans."""
    preds = [[(m.start, m.end) for m in extractor.extract_tokens(list(r["tokens"]))] for r in rows]
    golds = {k: [bio_spans(list(r[f"tags_{k}"])) for r in rows] for k in KINDS}
    golds["union"] = [sorted(set(a) | set(b)) for a, b in zip(golds["skill"], golds["knowledge"])]
    out = {}
    for kind, gold in golds.items():
        n_pred = sum(map(len, preds))
        n_gold = sum(map(len, gold))
        exact = sum(len(set(p) & set(g)) for p, g in zip(preds, gold))
        pred_hit = sum(sum(any(ps < ge and gs < pe for gs, ge in g) for ps, pe in p) for p, g in zip(preds, gold))
        gold_hit = sum(sum(any(ps < ge and gs < pe for ps, pe in p) for gs, ge in g) for p, g in zip(preds, gold))
        out[kind] = {"exact": _prf(exact, n_pred, exact, n_gold), "overlap": _prf(pred_hit, n_pred, gold_hit, n_gold)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.skillspan", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "skillspan-dev.json")
    args = ap.parse_args(argv)
    try:
        rows = read_skillspan(args.data)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from query.skills import SkillExtractor

    t0 = time.perf_counter()
    extractor = SkillExtractor()
    metrics = evaluate(rows, extractor)
    seconds = time.perf_counter() - t0
    result = {**stamp(), "benchmark": "skillspan", "data": str(args.data), "sentences": len(rows),
              "extractor": "query.skills.SkillExtractor (O*NET technology skills + competency lexicon)",
              "metrics": metrics, "seconds": round(seconds, 2)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"SkillSpan dev: {len(rows)} sentences, {seconds:.1f} s")
    for kind, m in metrics.items():
        e, o = m["exact"], m["overlap"]
        print(f"  {kind:<10} exact P {e['precision']:.3f} R {e['recall']:.3f} F1 {e['f1']:.3f} | "
              f"overlap P {o['precision']:.3f} R {o['recall']:.3f} F1 {o['f1']:.3f}  (gold {e['gold']}, predicted {e['predicted']})")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
