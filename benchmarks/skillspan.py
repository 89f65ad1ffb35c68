"""Span-level precision and recall of the skill extractors on SkillSpan dev.

SkillSpan (Zhang et al., NAACL 2022) tags job-posting sentences with BIO spans of two kinds:
*skill* (mostly soft skills and abilities: "work independently") and *knowledge* (mostly tools
and fields: "Python", "Docker"). Extractors (``--extractor``, repeatable; ``all`` for every one):

* ``dictionary`` (the default): ``query.intake.skills.SkillExtractor``, the offline planner's matcher;
* ``learned``: ``query.intake.spans.SpanTagger``, the CRF trained on SkillSpan train (``scripts/train_spans.py``);
* ``union``: the dictionary's spans plus the learned spans that overlap none of them.

Reported for the union of both kinds and for each kind alone (``query.intake.span_eval.score_spans``):

* **exact**: a predicted span counts when its token boundaries equal a gold span's;
* **overlap** (lenient): a predicted span counts when it shares a token with a gold span of
  that kind; recall counts gold spans touched by a prediction.

Per kind, ``learned`` is scored typed (its skill spans against gold skills, its knowledge spans
against gold knowledge); ``dictionary`` and ``union`` have no SkillSpan kinds, so every prediction is
scored against each kind. The union row is the same measure for all three.

SkillSpan is benchmark-only data (MIT, never shipped); without it this exits 2 naming the file::

    python -m benchmarks.skillspan [--extractor dictionary|learned|union|all] [--data ../shared/data/skillspan/dev.json] [--out FILE]

Results go to ``benchmarks/results/skillspan-dev.json`` (dictionary), ``skillspan-dev-learned.json``
and ``skillspan-dev-union.json``; each line ends with the expected union overlap F1 and its tolerance.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.common import ROOT, stamp
from query.intake.span_eval import KINDS, bio_spans, gold_spans, read_skillspan, score_spans, score_typed

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "skillspan" / "dev.json"
RESULTS = ROOT / "benchmarks" / "results"
EXTRACTORS = ("dictionary", "learned", "union")
OUT_NAMES = {"dictionary": "skillspan-dev.json", "learned": "skillspan-dev-learned.json",
             "union": "skillspan-dev-union.json"}
# Union overlap F1 on dev (3,174 sentences) with the shipped taxonomy and model, and the tolerance.
# The dictionary's follows query/intake/skills.py (0.41 at ec4c63a, 0.35 at d48a269: precision over recall; 0.37 with
# capitals in lists, product lists and "agile" read as a word).
EXPECTED = {"dictionary": (0.37, 0.02), "learned": (0.720, 0.01), "union": (0.70, 0.02)}
DESCRIPTIONS = {"dictionary": "query.intake.skills.SkillExtractor (O*NET technology skills + competency lexicon)",
                "learned": "query.intake.spans.SpanTagger (CRF trained on SkillSpan train)",
                "union": "dictionary spans + learned spans overlapping none of them"}


class UnionExtractor:
    """The dictionary's mentions plus the tagger's spans that share no token with any of them."""

    def __init__(self, dictionary, tagger):
        self.dictionary, self.tagger = dictionary, tagger

    def extract_tokens(self, tokens: list[str]) -> list:
        found = self.dictionary.extract_tokens(tokens)
        extra = [s for s in self.tagger.tag_tokens(tokens) if not any(s.start < m.end and m.start < s.end for m in found)]
        return sorted([*found, *extra], key=lambda m: m.start)


class _Learned:
    def __init__(self, tagger):
        self.tagger = tagger

    def extract_tokens(self, tokens: list[str]) -> list:
        return self.tagger.tag_tokens(tokens)


def evaluate(rows: list[dict], extractor, *, typed: bool = False) -> dict:
    """Exact and overlap P/R/F1 for the union of kinds and each kind; counts of spans.
    ``typed``: per kind, only predictions whose ``kind`` is that kind count."""
    found = [extractor.extract_tokens(list(r["tokens"])) for r in rows]
    if typed:
        return score_typed(rows, [[(m.start, m.end, m.kind) for m in f] for f in found])
    preds = [[(m.start, m.end) for m in f] for f in found]
    golds = gold_spans(rows)
    return {kind: score_spans(preds, golds[kind]) for kind in (*KINDS, "union")}


def build(name: str):
    from query.intake.skills import SkillExtractor
    from query.intake.spans import SpanTagger

    if name == "dictionary":
        return SkillExtractor()
    if name == "learned":
        return _Learned(SpanTagger.load())
    return UnionExtractor(SkillExtractor(), SpanTagger.load())


def run(name: str, rows: list[dict], data: Path, out: Path) -> dict:
    t0 = time.perf_counter()
    metrics = evaluate(rows, build(name), typed=name == "learned")
    seconds = time.perf_counter() - t0
    expected, tolerance = EXPECTED[name]
    f1 = metrics["union"]["overlap"]["f1"]
    result = {**stamp(), "benchmark": "skillspan", "data": str(data), "sentences": len(rows), "extractor": name,
              "description": DESCRIPTIONS[name], "per_kind": "typed" if name == "learned" else "untyped",
              "metrics": metrics, "seconds": round(seconds, 2),
              "expected": {"metric": "union overlap F1", "value": expected, "tolerance": tolerance,
                           "ok": abs(f1 - expected) <= tolerance}}
    if name != "dictionary":
        from query.intake.spans import SpanTagger
        result["model"] = {k: SpanTagger.load().manifest.get(k) for k in ("kind", "features_version", "params", "model_sha256")}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"SkillSpan dev, {name}: {len(rows)} sentences, {seconds:.1f} s")
    for kind in ("union", *KINDS):
        e, o = metrics[kind]["exact"], metrics[kind]["overlap"]
        print(f"  {kind:<10} exact P {e['precision']:.3f} R {e['recall']:.3f} F1 {e['f1']:.3f} | "
              f"overlap P {o['precision']:.3f} R {o['recall']:.3f} F1 {o['f1']:.3f}  (gold {e['gold']}, predicted {e['predicted']})")
    print(f"  expected union overlap F1 {expected} +- {tolerance}: {'ok' if result['expected']['ok'] else 'DIFFERS'} ({f1:.3f})")
    print(f"written {out}")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.skillspan", description=__doc__.split("\n\n")[0])
    ap.add_argument("--extractor", action="append", choices=(*EXTRACTORS, "all"),
                    help="repeatable; default dictionary")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, help="result file (one extractor only); default benchmarks/results/skillspan-dev[-NAME].json")
    args = ap.parse_args(argv)
    names = list(dict.fromkeys(n for e in (args.extractor or ["dictionary"])
                               for n in (EXTRACTORS if e == "all" else (e,))))
    if args.out is not None and len(names) > 1:
        ap.error("--out takes one extractor; without it each writes benchmarks/results/skillspan-dev[-NAME].json")
    try:
        rows = read_skillspan(args.data)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name in names:
        run(name, rows, args.data, args.out or RESULTS / OUT_NAMES[name])
    return 0


__all__ = ["UnionExtractor", "bio_spans", "evaluate", "main", "read_skillspan"]

if __name__ == "__main__":
    sys.exit(main())
