"""Document encoders side by side: ingest throughput next to nDCG@10 on real data (TalentCLEF, SciFact).

    python -m benchmarks.encoders_bench                     # MiniLM and its static distillation (~30 min on 2 cores)
    python -m benchmarks.encoders_bench --encoders static   # the static model only (~2 min)

For each encoder and suite the suite's corpus is indexed into its own work directory
(var/bench/encoders/<encoder>/<suite>, cached by corpus fingerprint), the dense encoding time of the ingest
gives documents per second, and the lexical, dense and hybrid conditions are scored with the relevance
harness (same queries, same judgments, same lexical side). Queries are encoded by the same model as the
documents (one index holds one model's vectors). Writes benchmarks/results/encoders.json and a PNG.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.common import ROOT, stamp

ENCODERS = ("minilm", "static")
SUITES = ("talentclef-en", "scifact")


def _encoder(name: str, max_seq_length: int):
    from indexer.encoder import EncoderConfig, MiniLMEncoder
    from indexer.static_encoder import StaticEncoder

    config = EncoderConfig(max_seq_length=max_seq_length)
    return MiniLMEncoder(config) if name == "minilm" else StaticEncoder(config)


def run(encoders: list[str], suites: list[str], progress: bool) -> dict:
    from benchmarks.harness.conditions import parse_conditions
    from benchmarks.harness.runner import RunConfig, make_engine, prepare_index, run_condition, score
    from benchmarks.harness.suites import SuiteOptions, load_suite

    result = {"benchmark": "encoders", **stamp(), "rows": []}
    conditions = tuple(parse_conditions("lexical,dense,hybrid-rrf"))
    for suite_name in suites:
        for enc_name in encoders:
            suite = load_suite(suite_name, SuiteOptions(workdir=ROOT / "var" / "bench" / "encoders" / enc_name,
                                                        progress=progress))
            encoder = _encoder(enc_name, suite.max_seq_length)
            info = prepare_index(suite, progress=progress, encoder=encoder)
            engine = make_engine(suite, encoder=encoder)
            config = RunConfig(conditions=conditions, baseline="lexical", progress=progress).validate()
            runs = {}
            for cond in conditions:
                runs[cond.name], _, _ = run_condition(engine, suite, cond, k=config.k, progress=progress)
            scored = score(suite.qrels, runs, config)
            dense_s = info.seconds.get("dense") or float("nan")
            row = {"suite": suite_name, "encoder": enc_name, "model": encoder.name, "dim": encoder.dim,
                   "documents": info.profiles, "dense_seconds": dense_s, "docs_per_s": round(info.profiles / dense_s, 1),
                   "reused_index": info.reused,
                   "ndcg@10": {c: round(scored["metrics"][c]["ndcg@10"], 4) for c in runs}}
            result["rows"].append(row)
            print(f"{suite_name:14s} {enc_name:7s} {row['docs_per_s']:>9,.1f} docs/s   nDCG@10 lexical "
                  f"{row['ndcg@10']['lexical']:.3f}  dense {row['ndcg@10']['dense']:.3f}  hybrid "
                  f"{row['ndcg@10']['hybrid-rrf']:.3f}" + ("  (index reused: docs/s from its build)" if info.reused else ""),
                  flush=True)
    return result


def _plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for r in result["rows"]:
        for cond, marker in (("dense", "o"), ("hybrid-rrf", "s")):
            ax.scatter(r["docs_per_s"], r["ndcg@10"][cond], marker=marker)
            ax.annotate(f"{r['encoder']} {cond} {r['suite']}", (r["docs_per_s"], r["ndcg@10"][cond]), fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("documents encoded per second (log)")
    ax.set_ylabel("nDCG@10")
    ax.grid(alpha=0.3)
    ax.set_title(f"Document encoders ({result['machine']['cores']} cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--encoders", nargs="+", choices=ENCODERS, default=list(ENCODERS))
    ap.add_argument("--suites", nargs="+", choices=SUITES, default=list(SUITES))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "encoders.json")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    result = run(args.encoders, args.suites, not args.no_progress)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    _plot(result, args.out.with_suffix(".png"))
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
