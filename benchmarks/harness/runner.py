"""Run conditions over a suite and score them with ranx.

``run_relevance(suite, config)`` indexes the suite once (cached under ``suite.workdir``, keyed by
the corpus fingerprint), runs every judged query under every condition at depth ``k`` and
returns a JSON-ready result: mean metrics, paired significance against the baseline, per-query
scores and timings.
"""
from __future__ import annotations

import datetime as dt
import json
import dataclasses
import time
from dataclasses import asdict, dataclass, field

from benchmarks.harness.conditions import Condition
from benchmarks.harness.suites import Suite
from records.errors import QueryError

METRICS = ("ndcg@10", "recall@100", "mrr@10", "map@100")
STAT_TESTS = ("student", "fisher")
_EMPTY = "__no_hit__"      # ranx needs every judged query in a run; an empty result gets a dummy


@dataclass(frozen=True)
class RunConfig:
    conditions: tuple[Condition, ...]
    baseline: str = "lexical"
    k: int = 100                   # hits per query; Recall@100 and MAP@100 need 100
    metrics: tuple[str, ...] = METRICS
    stat_test: str = "student"     # ranx compare: "student" (paired t) or "fisher" (randomization)
    max_p: float = 0.05
    rebuild: bool = False
    progress: bool = True

    def validate(self) -> "RunConfig":
        names = [c.name for c in self.conditions]
        if self.baseline not in names:
            raise QueryError(f"baseline {self.baseline!r} is not among the conditions {names}")
        if self.stat_test not in STAT_TESTS:
            raise QueryError(f"stat_test must be one of {list(STAT_TESTS)}, got {self.stat_test!r}")
        if not 1 <= self.k <= 1000:
            raise QueryError(f"k must be between 1 and 1000, got {self.k}")
        return self


@dataclass
class IndexInfo:
    index_dir: str
    reused: bool
    profiles: int
    rejected: int
    seconds: dict = field(default_factory=dict)


def prepare_index(suite: Suite, *, rebuild: bool = False, progress: bool = True, encoder=None) -> IndexInfo:
    """Build the suite's index unless one with the same corpus fingerprint is already there."""
    from indexer.build import IndexConfig, current_version, ingest
    from indexer.encoder import EncoderConfig

    stamp_path = suite.workdir / "fingerprint.json"
    live = current_version(suite.index_dir) if suite.index_dir.exists() else None
    if live is not None and not rebuild and stamp_path.exists():
        saved = json.loads(stamp_path.read_text())
        if saved.get("fingerprint") == suite.fingerprint and saved.get("version") == live.name:
            manifest = json.loads((live / "manifest.json").read_text())
            return IndexInfo(str(suite.index_dir), True, manifest["profiles"], saved.get("rejected", 0),
                             saved.get("seconds") or manifest.get("seconds", {}))
    t0 = time.perf_counter()
    if suite.build is not None:
        suite.build()
    adapt = time.perf_counter() - t0
    config = IndexConfig(as_of=suite.as_of, encoder=EncoderConfig(max_seq_length=suite.max_seq_length),
                         dense_max_chars=suite.dense_max_chars)
    report = ingest(suite.profiles, suite.index_dir, config, rebuild=True, progress=progress, encoder=encoder)
    seconds = {"adapt": round(adapt, 3), **{k: round(v, 3) for k, v in report.seconds.items()},
               "total": round(time.perf_counter() - t0, 3)}
    stamp_path.write_text(json.dumps({"fingerprint": suite.fingerprint, "version": report.version,
                                      "rejected": report.rejected, "seconds": seconds}, indent=2))
    return IndexInfo(str(suite.index_dir), False, report.total, report.rejected, seconds)


def make_engine(suite: Suite, encoder=None):
    from api.settings import Settings
    from api.wiring import build_engine
    from indexer.encoder import EncoderConfig, MiniLMEncoder

    encoder = encoder or MiniLMEncoder(EncoderConfig(max_seq_length=suite.max_seq_length))
    as_of = suite.as_of or dt.date.today()
    return build_engine(Settings(index_dir=suite.index_dir), encoder=encoder, ltr=False, today=lambda: as_of)


def run_condition(engine, suite: Suite, cond: Condition, *, k: int, progress: bool = True) -> tuple[dict, dict, float]:
    """``({query_id: {candidate_id: score}}, {query_id: error}, seconds)``; scores keep the engine's order."""
    from tqdm.auto import tqdm

    from query.lang.filters import Filters

    run: dict[str, dict[str, float]] = {}
    failures: dict[str, str] = {}
    queries = suite.judged_queries()
    t0 = time.perf_counter()
    for q in tqdm(queries, desc=cond.name, unit="q", disable=not progress):
        try:
            filters = Filters.from_dict(q.filters, tenant_id=q.tenant_id) if (q.filters or q.tenant_id) else None
            req = cond.request(q.query, syntax=q.syntax, filters=filters, k=k)
            if suite.field_boosts:   # the suite's defaults, then the condition's own overrides
                merged = {**dict(suite.field_boosts), **dict(req.field_boosts)}
                req = dataclasses.replace(req, field_boosts=tuple(merged.items()))
            res = engine.search(req)
            hits = res.hits
        except QueryError as exc:          # a bad judged query scores 0; the run goes on
            failures[q.query_id] = str(exc)
            hits = []
        run[q.query_id] = {h.candidate_id: float(k - h.rank + 1) for h in hits} or {_EMPTY: 0.0}
    return run, failures, time.perf_counter() - t0


def score(qrels: dict, runs: dict[str, dict], config: RunConfig) -> dict:
    """Mean metrics, per-query nDCG@10 (and every metric), significance against the baseline."""
    import sys

    from tqdm.auto import tqdm

    if config.progress:     # ranx compiles its numba kernels on first use: minutes of silence otherwise
        print(f"scoring {len(runs)} runs with ranx (its first use on a machine compiles numba kernels: "
              "a minute or more)...", file=sys.stderr, flush=True)
    from ranx import Qrels, Run, compare, evaluate

    rq = Qrels(qrels)
    ranx_runs = {name: Run(run, name=name) for name, run in runs.items()}
    metrics = list(config.metrics)
    means, per_query = {}, {m: {} for m in metrics}
    for name, run in tqdm(ranx_runs.items(), desc="scoring", unit="run", disable=not config.progress):
        means[name] = {m: float(v) for m, v in evaluate(rq, run, metrics, make_comparable=True).items()}
        for m in metrics:
            per_query[m][name] = {qid: float(v) for qid, v in run.scores[m].items()}
    significance = {}
    others = [n for n in runs if n != config.baseline]
    if others:
        rep = compare(rq, [ranx_runs[config.baseline], *(ranx_runs[n] for n in others)], metrics=metrics,
                      stat_test=config.stat_test, max_p=config.max_p, make_comparable=True).to_dict()
        for n in others:
            significance[n] = {m: {"p": float(rep[n]["comparisons"][config.baseline][m]),
                                   "significant": bool(rep[n]["comparisons"][config.baseline][m] < config.max_p),
                                   "delta": means[n][m] - means[config.baseline][m],
                                   "win_tie_loss": rep[n]["win_tie_loss"][config.baseline][m]}
                               for m in metrics}
    return {"metrics": means, "per_query": per_query, "significance": significance}


def run_relevance(suite: Suite, config: RunConfig, *, encoder=None) -> dict:
    """Index (cached), run every condition, score; the JSON-ready result (without the stamp)."""
    config.validate()
    t_all = time.perf_counter()
    info = prepare_index(suite, rebuild=config.rebuild, progress=config.progress, encoder=encoder)
    if any(c.graph_blend or c.title_expansion for c in config.conditions):
        from graph.build import ensure_graph   # graph conditions need the suite's economic graph

        ensure_graph(suite.index_dir, progress=config.progress)
    engine = make_engine(suite, encoder)
    queries = suite.judged_queries()
    qrels = {q.query_id: suite.qrels[q.query_id] for q in queries}
    runs, failures, timings = {}, {}, {}
    for cond in config.conditions:
        runs[cond.name], fails, secs = run_condition(engine, suite, cond, k=config.k, progress=config.progress)
        if fails:
            failures[cond.name] = fails
        timings[cond.name] = {"seconds": round(secs, 3), "queries_per_second": round(len(queries) / secs, 2) if secs else None}
    scored = score(qrels, runs, config)
    return {
        "benchmark": "relevance",
        "suite": {"name": suite.name, "description": suite.description, "fingerprint": suite.fingerprint,
                  "as_of": suite.as_of.isoformat() if suite.as_of else None, "profiles": info.profiles,
                  "rejected": info.rejected, "max_seq_length": suite.max_seq_length, "dense_max_chars": suite.dense_max_chars},
        "n_queries": len(queries), "n_judgments": sum(len(v) for v in qrels.values()), "k": config.k,
        "baseline": config.baseline, "stat_test": config.stat_test, "max_p": config.max_p,
        "conditions": {c.name: asdict(c) for c in config.conditions},
        **scored,
        "references": suite.references,
        "failures": failures,
        "timings": {"index": {"reused": info.reused, **info.seconds}, "conditions": timings,
                    "total_seconds": round(time.perf_counter() - t_all, 3)},
    }


__all__ = ["METRICS", "RunConfig", "prepare_index", "make_engine", "run_condition", "score", "run_relevance"]

