"""The closed-loop simulator's settings: conditions, splits, and :class:`SimConfig` (frozen before evaluation)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CONDITIONS = ("hybrid", "ltr-none", "ltr-position", "ltr-none-ipsgate")
# LtrConfig settings per trained condition. "ltr-position" is the product default (debias="position": the
# position-debiased objective AND the propensity-weighted gate); "ltr-none" has no position correction
# anywhere; "ltr-none-ipsgate" isolates the gate: the plain objective with the propensity-weighted gate.
LTR_CONDITIONS = {"ltr-none": {"debias": "none"}, "ltr-position": {"debias": "position"},
                  "ltr-none-ipsgate": {"debias": "none", "gate": "ips"}}
SPLITS = ("validation", "eval")
TASTE_FEATURES = ("graph_company_growth", "graph_company_layoff", "pair_years_experience")
AS_OF = dt.date(2026, 11, 1)


@dataclass(frozen=True)
class SimConfig:
    index_dir: str
    corpus_dir: str
    work_dir: str = "var/sim/runs"
    out: str = "benchmarks/results/ltr-simulator"
    tenants: tuple[tuple[str, str], ...] = (("acme-talent", "growth"), ("globex-hr", "turnaround"))
    rounds: int = 3
    train_queries: int = 100
    validation_queries: int = 40
    eval_queries: int = 100
    sessions: int = 5              # recruiters running each training query per round
    page: int = 20
    budget: int = 100              # fused candidates re-ranked (and the pool nDCG is normalised by)
    served: int = 30               # hits requested (and their features logged) per search
    explore_slots: int = 6         # page slots given to hits drawn from served positions page-slots+1..served
    explore: float = 0.5           # probability of swapping each adjacent pair on a served page
    patience: float = 0.9
    boost_rounds: int = 150        # boosting rounds (with select: the cap)
    select: bool = False           # in-product model selection (ranking.ltr.fit); chosen off on validation
    threads: int = 1               # LightGBM threads: 2 on a shared 2-core VM spins (same model either way)
    seed: int = 42
    bias: tuple[str, str] | None = None   # (attribute, group) biased recruiters engage less with (audit.parquet)
    bias_factor: float = 0.3       # multiplier of each engagement step past the view for that group
