"""Across-seed summaries of the closed-loop simulator: statistics, bootstrap intervals, the protocol record,
the chart and the printed headline."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.simulator.config import CONDITIONS, SPLITS, SimConfig

def stats(values) -> dict:
    v = np.asarray(values, dtype=np.float64)
    return {"mean": round(float(v.mean()), 5), "sd": round(float(v.std(ddof=1)) if len(v) > 1 else 0.0, 5),
            "min": round(float(v.min()), 5), "max": round(float(v.max()), 5), "n": int(len(v))}


def bootstrap_gain(runs: list[dict], split: str, tenants: list[str], cond: str, base: str = "hybrid",
                    draws: int = 2000) -> list[float]:
    """95 % interval of the relative gain (mean over seeds and tenants of mean_q cond / mean_q base - 1),
    resampling queries within each (seed, tenant), paired across conditions."""
    rng = np.random.default_rng(0)
    cells = []
    for r in runs:
        for t in tenants:
            fq = r["final_per_query"][split][t]
            qids = sorted(fq[base])
            cells.append((np.array([fq[cond][q] for q in qids]), np.array([fq[base][q] for q in qids])))
    out = np.empty(draws)
    for i in range(draws):
        gains = []
        for a, b in cells:
            idx = rng.integers(0, len(a), len(a))
            gains.append(a[idx].mean() / b[idx].mean() - 1)
        out[i] = np.mean(gains)
    return [round(float(x), 4) for x in np.percentile(out, [2.5, 97.5])]


def summarize(runs: list[dict], cfg: SimConfig) -> dict:
    """Across seeds, per split: nDCG@10 per round and the final relative gains; tenants and their mean."""
    tenants = [t for t, _ in cfg.tenants]
    out: dict = {}
    for split in SPLITS:
        by = {t: {c: [r["ndcg@10_by_round"][split][t][c] for r in runs] for c in CONDITIONS} for t in tenants}
        by["mean"] = {c: [list(np.mean([by[t][c][i] for t in tenants], axis=0)) for i in range(len(runs))] for c in CONDITIONS}
        s = {}
        for t, conds in by.items():
            final = {c: [v[-1] for v in conds[c]] for c in CONDITIONS}
            gain_ = {c: [f / h - 1 for f, h in zip(final[c], final["hybrid"])] for c in CONDITIONS[1:]}
            debias = [p - n for p, n in zip(final["ltr-position"], final["ltr-none"])]
            s[t] = {"ndcg@10_by_round": {c: [stats([v[i] for v in conds[c]]) for i in range(cfg.rounds + 1)] for c in CONDITIONS},
                    "final": {c: stats(final[c]) for c in CONDITIONS},
                    "relative_gain_vs_hybrid": {c: stats(gain_[c]) | {"per_seed": [round(g, 4) for g in gain_[c]]}
                                                for c in CONDITIONS[1:]},
                    "debias_minus_none": stats(debias) | {"seeds_debias_at_least_as_good": int(sum(d >= 0 for d in debias))}}
            ts = tenants if t == "mean" else [t]
            for c in CONDITIONS[1:]:
                s[t]["relative_gain_vs_hybrid"][c]["bootstrap_95"] = bootstrap_gain(runs, split, ts, c)
            s[t]["relative_gain_position_vs_none_bootstrap_95"] = bootstrap_gain(runs, split, ts, "ltr-position", "ltr-none")
        out[split] = s
    return out


def summarize_promotions(runs: list[dict]) -> dict:
    """Per trained condition and round: models the promotion gate promoted, of those trained (tenants x seeds)."""
    out: dict = {}
    for r in runs:
        for by_cond in r["training"].values():
            for cond, rounds in by_cond.items():
                for entry in rounds:
                    cell = out.setdefault(cond, {}).setdefault(f"round {entry['round']}", {"promoted": 0, "trained": 0})
                    cell["promoted"] += int(entry["promoted"])
                    cell["trained"] += 1
    return out


def summarize_opposite(runs: list[dict], cfg: SimConfig) -> dict:
    out = {}
    for cond in CONDITIONS[1:]:
        ops = [r["opposite_tenants"][cond] for r in runs if "error" not in r["opposite_tenants"][cond]]
        if not ops:
            out[cond] = {"error": "no seed with a promoted model for both tenants"}
            continue
        cell = {"spearman_between_tenant_models": stats([o["spearman_between_tenant_models"]["mean"] for o in ops])}
        for key in ("relevant_spearman_score_vs_taste", "relevant_spearman_score_vs_feature"):
            cell[key] = {t: {n: stats([o[key][t][n]["mean"] for o in ops if o[key][t][n]]) for n in ops[0][key][t]}
                         for t in ops[0][key]}
        out[cond] = cell
    return out


def protocol(cfg: SimConfig) -> dict:
    return {
        "query_sets": {"train": cfg.train_queries, "validation": cfg.validation_queries, "eval": cfg.eval_queries,
                       "disjoint": True, "split": "permutation of queries.jsonl per seed"},
        "knobs_chosen_on": "validation only; of SimConfig only `select` (off: fixed tree beat in-product selection on validation)",
        "seeds": "number set from the cost of one seed before any metric was shown",
        "model_selection": ("in ranking.ltr.fit: grid num_leaves x min_data_in_leaf, early stopping, one-standard-error "
                            "rule, on an inner split of the tenant's training requests scored with engagement labels; "
                            "gate holdout untouched" if cfg.select else "off: fixed tree (num_leaves 7, min_data_in_leaf 50, "
                            f"{cfg.boost_rounds} rounds)"),
        "seed_changes": ["query split", "click randomness", "request ids (gate and selection hash splits)", "LightGBM seed"],
        "metric": "nDCG@10 of the served top 10 vs hidden gains, ideal = best order of the top-`budget` fused pool",
        "interval": "bootstrap 95 %: queries resampled within each (seed, tenant), paired across conditions",
    }


def plot(result: dict, path: Path) -> None:
    """Top: eval nDCG@10 per round, mean over seeds with a +-1 sd band. Bottom: the paired gain over hybrid
    (same seed, same eval queries) per round, mean with a +-1 sd band."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = result["summary"]["eval"]
    kinds = dict(map(tuple, result["config"]["tenants"]))
    fig, axes = plt.subplots(2, len(kinds), figsize=(5.5 * len(kinds), 7.5), sharex=True, sharey="row", squeeze=False)
    styles = {"hybrid": ("grey", "--"), "ltr-none": ("tab:orange", "-"), "ltr-position": ("tab:blue", "-"),
              "ltr-none-ipsgate": ("tab:green", ":")}
    for col, tenant in enumerate(kinds):
        top, bottom = axes[0, col], axes[1, col]
        for cond, per_round in summary[tenant]["ndcg@10_by_round"].items():
            color, ls = styles[cond]
            x = np.arange(len(per_round))
            mean, sd = np.array([r["mean"] for r in per_round]), np.array([r["sd"] for r in per_round])
            top.plot(x, mean, marker="o", color=color, linestyle=ls, label=cond)
            top.fill_between(x, mean - sd, mean + sd, color=color, alpha=0.12)
            per_seed = np.array([r["ndcg@10_by_round"]["eval"][tenant][cond] for r in result["runs"]])
            base = np.array([r["ndcg@10_by_round"]["eval"][tenant]["hybrid"] for r in result["runs"]])
            rel = 100 * (per_seed / base - 1)
            bottom.plot(x, rel.mean(axis=0), marker="o", color=color, linestyle=ls, label=cond)
            if cond != "hybrid":
                bottom.fill_between(x, rel.mean(axis=0) - rel.std(axis=0, ddof=1), rel.mean(axis=0) + rel.std(axis=0, ddof=1),
                                    color=color, alpha=0.12)
        gain_ = summary[tenant]["relative_gain_vs_hybrid"]["ltr-position"]
        top.set_title(f"{tenant} (hidden taste: {kinds[tenant]})\nltr-position vs hybrid after {len(x) - 1} rounds: "
                      f"{gain_['mean']:+.1%} (sd {gain_['sd']:.1%}, 95% CI {gain_['bootstrap_95'][0]:+.1%}..{gain_['bootstrap_95'][1]:+.1%})",
                      fontsize=9)
        bottom.axhline(10, color="red", linewidth=0.8, linestyle=":", label="+10 % target")
        bottom.set_xlabel("round (serve -> engage -> retrain)")
        bottom.set_xticks(x)
        for ax in (top, bottom):
            ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("eval nDCG@10 vs hidden preferences")
    axes[1, 0].set_ylabel("gain over hybrid, same seed (%)")
    axes[0, 0].legend(loc="lower right", fontsize=8)
    axes[1, 0].legend(loc="upper left", fontsize=8)
    cfg = result["config"]
    fig.suptitle(f"Closed-loop LTR simulation: {len(cfg['seeds'])} seeds x {cfg['eval_queries']} eval queries, "
                 f"bands = mean +- 1 sd over seeds ({result['commit']})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def headline(result: dict) -> str:
    lines = []
    for split in SPLITS:
        for t, s in result["summary"][split].items():
            f, g = s["final"], s["relative_gain_vs_hybrid"]
            lines.append(f"{split:10s} {t:12s} " + "  ".join(f"{c} {f[c]['mean']:.4f}±{f[c]['sd']:.4f}" for c in CONDITIONS)
                         + "  gain " + "  ".join(f"{c} {g[c]['mean']:+.2%}±{g[c]['sd']:.2%} {g[c]['bootstrap_95']}"
                                                 for c in CONDITIONS[1:])
                         + f"  position-none {s['debias_minus_none']['mean']:+.4f}")
    return "\n".join(lines)
