"""The simulator's across-seed summary: gains, paired intervals and the debiasing count computed as stated."""
import numpy as np
import pytest

from benchmarks.simulator.config import CONDITIONS, SPLITS, SimConfig
from benchmarks.simulator.report import bootstrap_gain, summarize

CFG = SimConfig(index_dir="-", corpus_dir="-", rounds=1)
TENANTS = [t for t, _ in CFG.tenants]


def run(seed: int, lift: dict[str, float]) -> dict:
    """One seed: 20 queries per (split, tenant); each condition's per-query nDCG is hybrid's times (1 + lift)."""
    rng = np.random.default_rng(seed)
    per_query, by_round = {}, {}
    for split in SPLITS:
        per_query[split], by_round[split] = {}, {}
        for t in TENANTS:
            base = {f"q{i}": float(x) for i, x in enumerate(rng.uniform(0.4, 0.8, 20))}
            per_query[split][t] = {c: {q: v * (1 + lift.get(c, 0.0)) for q, v in base.items()} for c in CONDITIONS}
            mean = float(np.mean(list(base.values())))
            by_round[split][t] = {c: [mean, mean * (1 + lift.get(c, 0.0))] for c in CONDITIONS}
    return {"seed": seed, "final_per_query": per_query, "ndcg@10_by_round": by_round}


def test_gain_and_interval_match_the_definition():
    runs = [run(s, {"ltr-none": 0.20, "ltr-position": 0.25}) for s in range(3)]
    s = summarize(runs, CFG)["eval"]["mean"]
    assert s["relative_gain_vs_hybrid"]["ltr-none"]["mean"] == pytest.approx(0.20, abs=1e-4)
    assert s["relative_gain_vs_hybrid"]["ltr-position"]["per_seed"] == [0.25] * 3
    lo, hi = s["relative_gain_vs_hybrid"]["ltr-position"]["bootstrap_95"]
    assert lo == pytest.approx(0.25, abs=1e-4) and hi == pytest.approx(0.25, abs=1e-4)   # a constant ratio has no spread
    assert s["debias_minus_none"]["seeds_debias_at_least_as_good"] == 3 and s["debias_minus_none"]["mean"] > 0


def test_interval_widens_with_noise_and_pairs_conditions():
    runs = [run(s, {"ltr-none": 0.10}) for s in range(3)]
    rng = np.random.default_rng(9)
    for r in runs:                                   # per-query noise on ltr-position only
        for t in TENANTS:
            cell = r["final_per_query"]["eval"][t]
            cell["ltr-position"] = {q: v * (1 + rng.normal(0.10, 0.2)) for q, v in cell["hybrid"].items()}
    lo, hi = bootstrap_gain(runs, "eval", TENANTS, "ltr-position")
    assert lo < 0.10 < hi and hi - lo > 0.02
    lo_n, hi_n = bootstrap_gain(runs, "eval", TENANTS, "ltr-none")
    assert hi_n - lo_n < 1e-3


def test_promotions_are_counted_per_condition_and_round():
    from benchmarks.simulator.report import summarize_promotions

    runs = [{"training": {t: {"ltr-none": [{"round": 1, "promoted": True}, {"round": 2, "promoted": seed == 0}],
                              "ltr-position": [{"round": 1, "promoted": True}, {"round": 2, "promoted": True}]}
                          for t in TENANTS}} for seed in range(3)]
    out = summarize_promotions(runs)
    assert out["ltr-none"]["round 1"] == {"promoted": 6, "trained": 6}
    assert out["ltr-none"]["round 2"] == {"promoted": 2, "trained": 6}
    assert out["ltr-position"]["round 2"] == {"promoted": 6, "trained": 6}
