"""Fit the intake's skill verifier (``query.intake.verify``) on the hand-judged postings used while building.

    python -m benchmarks.skill_verifier            # fit, report cross-validated numbers, write the weights
    python -m benchmarks.skill_verifier --dry-run  # the same, writing nothing

Every must-have the intake reads from a judged posting (with the duties read like the requirements: the
verifier's candidate set) is labelled by the benchmark's own matching rule (``benchmarks.postings``): a
candidate is right when it names one of the judge's must-have or nice-to-have items. A logistic regression over
the candidates' evidence (no word features) is fitted; the threshold is chosen on out-of-fold probabilities
(5 folds, grouped by posting): the one with the most recall whose precision meets the issue's 0.80 (junk
must-haves are what break strict queries; a demoted skill stays a nice-to-have), or, when none does, the one that
best meets both targets at once, the larger of min(precision / 0.80, recall / 0.70). The unseen test sets (``judged_fresh5``, ``judged_fresh6``) are never
read here. Only weights and numbers are written (``query/data/skill-verifier.json``), never posting text.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time

import numpy as np
from scipy.optimize import minimize

from benchmarks.postings import DATA, JUDGED, ROOT, THRESHOLDS, any_match, item_forms, pred_forms, raw_text
from query.intake.verify import FEATURES, WEIGHTS_PATH

TRAIN_SETS = ("judged.jsonl", "judged_fresh.jsonl", "judged_fresh2.jsonl", "judged_fresh3.jsonl", "judged_fresh4.jsonl")
FOLDS = 5
L2 = 1.0


def collect(postings: list[dict], judged: dict[str, dict]) -> tuple[list[dict], int]:
    """One row per (posting, must-have candidate): features, right or wrong, the judged must-haves it finds; and the
    number of judged must-haves in all (a posting with no candidate still counts its own)."""
    from query.llm.generate import QueryGenerator
    from query.intake.requirements import Intake

    gen = QueryGenerator(expander=None)      # the benchmark's taxonomy (matching rule: pred_forms, item_forms)
    intake = Intake(gen.taxonomy, verifier=False)
    tax = gen.taxonomy
    rows = []
    gold = 0
    t0 = time.perf_counter()
    for n, p in enumerate(x for x in postings if x["job_id"] in judged):
        j = judged[p["job_id"]]
        gold += len(j["must_have"])
        intake.trace = []
        try:
            req = intake.from_text(raw_text(p))
        except Exception as exc:           # noqa: BLE001 - a posting the intake refuses has no candidates
            print(f"  {p['job_id']}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        must_forms = [item_forms(i, tax) for i in j["must_have"]]
        any_forms = must_forms + [item_forms(i, tax) for i in j["nice_to_have"]]
        traced = {name for name, _f in intake.trace}
        fixed = [s for s in req.must_have if s not in traced]      # added after the check (years named per skill)
        for name, x in [(name, [f[k] for k in FEATURES]) for name, f in intake.trace] + [(s, None) for s in fixed]:
            names = pred_forms(name, tax)
            rows.append({"job": p["job_id"], "x": x, "fixed": x is None,
                         "right": any(any_match(names, fs) for fs in any_forms),
                         "finds": [i for i, fs in enumerate(must_forms) if any_match(names, fs)]})
        if (n + 1) % 60 == 0:
            print(f"  read {n + 1} postings ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    intake.trace = None
    return rows, gold


def fit(X: np.ndarray, y: np.ndarray, l2: float = L2) -> tuple[np.ndarray, float]:
    Xb = np.hstack([X, np.ones((len(X), 1))])

    def loss(w):
        z = Xb @ w
        p = 1.0 / (1.0 + np.exp(-z))
        eps = 1e-12
        reg = l2 * float(w[:-1] @ w[:-1])
        return (-float(np.sum(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))) + reg,
                Xb.T @ (p - y) + np.concatenate([2 * l2 * w[:-1], [0.0]]))

    w = minimize(loss, np.zeros(Xb.shape[1]), jac=True, method="L-BFGS-B").x
    return w[:-1], float(w[-1])


def metrics(rows: list[dict], keep: np.ndarray, gold: int) -> tuple[float, float]:
    """Precision and recall as ``benchmarks.postings`` computes them, for the candidates kept."""
    kept = [r for r, k in zip(rows, keep) if k]
    precision = sum(r["right"] for r in kept) / max(1, len(kept))
    found = {(r["job"], i) for r in kept for i in r["finds"]}
    return precision, len(found) / max(1, gold)


def out_of_fold(rows: list[dict], folds: int = FOLDS, seed: int = 0) -> np.ndarray:
    jobs = sorted({r["job"] for r in rows})
    rng = np.random.default_rng(seed)
    fold_of = {j: int(f) for j, f in zip(jobs, rng.permutation(len(jobs)) % folds)}
    scored = [i for i, r in enumerate(rows) if not r["fixed"]]
    X = np.array([rows[i]["x"] for i in scored], dtype=float)
    y = np.array([rows[i]["right"] for i in scored], dtype=float)
    f = np.array([fold_of[rows[i]["job"]] for i in scored])
    prob = np.ones(len(rows))
    for k in range(folds):
        w, b = fit(X[f != k], y[f != k])
        p = 1.0 / (1.0 + np.exp(-(X[f == k] @ w + b)))
        for i, v in zip(np.array(scored)[f == k], p):
            prob[i] = v
    return prob


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true", help="report only; do not write the weights")
    ap.add_argument("--out", default=str(WEIGHTS_PATH))
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"the job postings are missing ({DATA}): nothing to fit", file=sys.stderr)
        return 2
    judged: dict[str, dict] = {}
    for name in TRAIN_SETS:
        for line in (JUDGED.parent / name).read_text().splitlines():
            if line.strip():
                j = json.loads(line)
                judged.setdefault(j["job_id"], j)
    postings = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    print(f"reading {len(judged)} judged postings (the sets used while building)", file=sys.stderr)
    rows, gold = collect(postings, judged)
    base_p, base_r = metrics(rows, np.ones(len(rows), bool), gold)
    prob = out_of_fold(rows)
    curve = []
    for t in np.arange(0.05, 0.95, 0.025):
        p, r = metrics(rows, prob >= t, gold)
        curve.append((round(float(t), 3), round(p, 4), round(r, 4)))
    meets = [c for c in curve if c[1] >= THRESHOLDS["skill_precision"]]
    best = (max(meets, key=lambda c: (c[2], -c[0])) if meets else
            max(curve, key=lambda c: (min(c[1] / THRESHOLDS["skill_precision"], c[2] / THRESHOLDS["skill_recall"]), -c[0])))
    print(f"candidates {len(rows)} in {len(judged)} postings; all kept: P {base_p:.4f} R {base_r:.4f}")
    for t, p, r in curve:
        mark = "  <- chosen" if t == best[0] else ""
        print(f"  threshold {t:.3f}: P {p:.4f} R {r:.4f} (out of fold){mark}")
    scored = [r for r in rows if not r["fixed"]]
    w, b = fit(np.array([r["x"] for r in scored], float), np.array([r["right"] for r in scored], float))
    out = {"weights": {k: round(float(v), 5) for k, v in zip(FEATURES, w)}, "bias": round(b, 5), "threshold": best[0],
           "fitted_on": list(TRAIN_SETS), "postings": len(judged), "candidates": len(rows),
           "all_kept": {"precision": round(base_p, 4), "recall": round(base_r, 4)},
           "out_of_fold": {"precision": best[1], "recall": best[2], "folds": FOLDS},
           "l2": L2, "script": "python -m benchmarks.skill_verifier"}
    for k, v in sorted(out["weights"].items(), key=lambda kv: -abs(kv[1])):
        print(f"  {k:22s} {v:+.3f}")
    if not args.dry_run:
        from pathlib import Path
        Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
        print(f"written {Path(args.out).relative_to(ROOT) if Path(args.out).is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
