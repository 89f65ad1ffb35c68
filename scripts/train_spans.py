"""Train the skill-span CRF (``query.intake.spans``) on SkillSpan train and write the shipped model directory.

Usage::

    python scripts/train_spans.py [--train ../shared/data/skillspan/train.json] [--dev ../shared/data/skillspan/dev.json]
                                  [--out query/data/skillspan-crf] [--jobs 2]

Selection never sees dev: SkillSpan train is split by posting (``source``, ``idx``) into a fitting
part and a held-out fifth; each (c1, c2) of the grid is fitted on the first and every ``o_scale`` of
the decoding grid is scored on the second (union overlap F1, then exact F1). The best setting is
refitted on all of train. Dev, when present, is only scored, and the scores go in the manifest.

Output (``--out``): ``model.crfsuite`` (CRFsuite's binary format) and ``manifest.json`` (kind,
features version, params, selection table, training data fingerprint, dev metrics, attribution).
About 3 minutes on 2 cores; the model is about 2 MB.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from pathlib import Path

import pycrfsuite

from query.intake.span_eval import read_skillspan, score_typed
from query.intake.span_features import FEATURES_VERSION, sentence_features
from query.intake.spans import DEFAULT_DIR, FORMAT_VERSION, KIND, LABELS, MANIFEST_FILE, MODEL_FILE, SpanTagger, decode

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "skillspan"
C_GRID = ((0.02, 0.01), (0.05, 0.01), (0.1, 0.01), (0.2, 0.01))
O_SCALES = (1.0, 0.7, 0.5, 0.35, 0.25, 0.15, 0.1)
ATTRIBUTION = ("Trained on SkillSpan (Mike Zhang, Kristian Nørgaard Jensen, Sif Dam Sonniks, Barbara Plank: "
               "'SkillSpan: Hard and Soft Skill Extraction from English Job Postings', NAACL 2022), MIT licence, "
               "Copyright (c) 2023 Mike Zhang")


def joint_labels(row: dict) -> list[str]:
    """One tag per token from SkillSpan's two BIO layers; a token tagged as both is knowledge."""
    return [f"{k}-KNOW" if k != "O" else f"{s}-SKILL" if s != "O" else "O"
            for s, k in zip(row["tags_skill"], row["tags_knowledge"])]


def split_by_posting(rows: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """(fit, held-out): whole postings go to one side, so no posting's sentences leak across."""
    postings = sorted({(r["source"], r["idx"]) for r in rows})
    random.Random(seed).shuffle(postings)
    held = set(postings[:round(len(postings) * fraction)])
    return [r for r in rows if (r["source"], r["idx"]) not in held], [r for r in rows if (r["source"], r["idx"]) in held]


def fit(rows: list[dict], model_file: Path, c1: float, c2: float, iterations: int) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for row in rows:
        trainer.append(sentence_features(list(row["tokens"])), joint_labels(row))
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": iterations, "feature.possible_transitions": True})
    trainer.train(str(model_file))


def evaluate(model_file: Path, rows: list[dict], o_scales: tuple[float, ...]) -> dict[float, dict]:
    """Typed scores (``score_typed``) of the model on ``rows`` for each decoding ``o_scale``."""
    tagger = SpanTagger(model_file)
    marginals = [tagger.marginals(list(r["tokens"])) for r in rows]
    return {o: score_typed(rows, [[(s, e, k) for s, e, k, _ in decode(m, o, list(r["tokens"]))]
                                  for m, r in zip(marginals, rows)]) for o in o_scales}


_ROWS: dict[str, list[dict]] = {}


def _init(fit_rows: list[dict], held_rows: list[dict]) -> None:
    _ROWS["fit"], _ROWS["held"] = fit_rows, held_rows


def _try(c: tuple[float, float], iterations: int) -> list[dict]:
    """Fit one (c1, c2) on the fitting part; one selection row per o_scale, scored on the held-out part."""
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / MODEL_FILE
        fit(_ROWS["fit"], model, *c, iterations)
        scores = evaluate(model, _ROWS["held"], O_SCALES)
    return [{"c1": c[0], "c2": c[1], "o_scale": o, "overlap_f1": m["union"]["overlap"]["f1"],
             "exact_f1": m["union"]["exact"]["f1"]} for o, m in scores.items()]


def fingerprint(path: Path, rows: list[dict]) -> dict:
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "sentences": len(rows),
            "tokens": sum(len(r["tokens"]) for r in rows)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=Path, default=DATA / "train.json")
    ap.add_argument("--dev", type=Path, default=DATA / "dev.json", help="scored only, for the manifest; never fitted")
    ap.add_argument("--out", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--iterations", type=int, default=150, help="L-BFGS iterations per fit")
    ap.add_argument("--holdout", type=float, default=0.2, help="fraction of train postings held out for selection")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2, help="grid fits run in parallel (one core each)")
    ap.add_argument("--params", type=float, nargs=3, metavar=("C1", "C2", "O_SCALE"),
                    help="skip the selection and fit these on all of train")
    args = ap.parse_args(argv)
    try:
        train = read_skillspan(args.train)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    selection: list[dict] = []
    if args.params:
        c1, c2, o_scale = args.params
    else:
        fit_rows, held_rows = split_by_posting(train, args.holdout, args.seed)
        print(f"selection: {len(fit_rows)} sentences to fit, {len(held_rows)} held out; grid {C_GRID} x o_scale {O_SCALES}")
        with ProcessPoolExecutor(max_workers=args.jobs, initializer=_init, initargs=(fit_rows, held_rows)) as pool:
            for rows in pool.map(_try, C_GRID, [args.iterations] * len(C_GRID)):
                selection += rows
                top = max(rows, key=lambda r: (r["overlap_f1"], r["exact_f1"]))
                print(f"  c1 {top['c1']} c2 {top['c2']}: best o_scale {top['o_scale']} overlap F1 {top['overlap_f1']:.4f} "
                      f"exact F1 {top['exact_f1']:.4f} ({time.perf_counter() - t0:.0f} s)")
        best = max(selection, key=lambda r: (r["overlap_f1"], r["exact_f1"]))
        c1, c2, o_scale = best["c1"], best["c2"], best["o_scale"]
    print(f"fitting all {len(train)} train sentences with c1 {c1} c2 {c2} (o_scale {o_scale})")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out) as tmp:
        model = Path(tmp) / MODEL_FILE
        fit(train, model, c1, c2, args.iterations)
        train_seconds = time.perf_counter() - t0
        dev_metrics = None
        if args.dev.is_file():
            dev = read_skillspan(args.dev)
            dev_metrics = {"data": fingerprint(args.dev, dev), **evaluate(model, dev, (o_scale,))[o_scale]}
        manifest = {
            "kind": KIND, "format_version": FORMAT_VERSION, "features_version": FEATURES_VERSION,
            "labels": list(LABELS), "label_rule": "joint BIO; skill+knowledge -> knowledge",
            "params": {"c1": c1, "c2": c2, "max_iterations": args.iterations, "o_scale": o_scale,
                       "algorithm": "lbfgs", "feature.possible_transitions": True},
            "selection": {"holdout": args.holdout, "seed": args.seed, "split": "by posting (source, idx)",
                          "criterion": "held-out union overlap F1, then exact F1", "rows": selection},
            "training_data": fingerprint(args.train, train), "dev_metrics": dev_metrics,
            "train_seconds": round(train_seconds, 1), "model_bytes": model.stat().st_size,
            "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
            "python_crfsuite": version("python-crfsuite"),
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "attribution": ATTRIBUTION, "license": "MIT (SkillSpan data)",
        }
        (Path(tmp) / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(model, args.out / MODEL_FILE)
        os.replace(Path(tmp) / MANIFEST_FILE, args.out / MANIFEST_FILE)
    print(f"written {args.out / MODEL_FILE} ({manifest['model_bytes'] / 1e6:.1f} MB) and {MANIFEST_FILE} "
          f"in {train_seconds:.0f} s")
    if dev_metrics:
        for kind in ("union", "skill", "knowledge"):
            e, o = dev_metrics[kind]["exact"], dev_metrics[kind]["overlap"]
            print(f"  dev {kind:<10} exact P {e['precision']:.3f} R {e['recall']:.3f} F1 {e['f1']:.3f} | "
                  f"overlap P {o['precision']:.3f} R {o['recall']:.3f} F1 {o['f1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
