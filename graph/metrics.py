"""Company metrics over 6/12/24-month windows and candidate signals.

All inputs are the monthly matrices of ``graph.store`` (companies x MONTHS, the last column is the
``as_of`` month): ``hires`` (positions starting that month), ``departures`` (positions ending that
month) and ``headcount`` (positions open at the end of that month).

- ``headcount_w``: open positions now; ``hires_w`` / ``departures_w``: in the last w months;
  ``attrition_w`` = departures / mean(headcount w months ago, now);
  ``growth_w`` = headcount now / headcount w months ago - 1;
  ``rel_growth_w``: growth against the whole corpus over the same window (a corpus of people who
  exist today grows backwards in time by construction, so raw growth is biased upwards for all).
- ``layoff_signal`` (0..1): the largest single-month departure spike of the last ``LAYOFF_LOOKBACK``
  months against the company's own baseline (median monthly departure rate over the whole grid):
  ``excess = (d - base_rate * h_prev) / h_prev``; the signal is ``min(1, excess / 0.25)`` when the
  spike is significant (Poisson z >= ``LAYOFF_Z`` and at least ``LAYOFF_MIN_DEPARTURES``), else 0.
- ``growing`` / ``layoffs``: boolean flags (``rel_growth_24 >= GROWTH_FLAG`` with at least
  ``MIN_HEADCOUNT`` people now; ``layoff_signal >= LAYOFF_FLAG``). The 24-month window recovers the
  generator's planted growers best (1M profiles: precision 0.89 / recall 0.86 against 0.73 / 0.68
  for ``rel_growth_12 >= 0.10``; benchmarks/graph_bench.py).

Propensity to move (``propensity``), a documented logistic score, not a trained model::

    logit = -2.2 + 2.4 * open_to_work + 1.6 * no_current_job
            + 1.0 * clip((tenure_months - 12) / 24, -1, 1)      # fresh hires rarely move; 3 y+ often do
            + 1.8 * layoff_signal(company) + 1.2 * min(1, attrition_12(company) / 0.4)
            + 0.6 * min(1, moves_per_year / 0.6)                 # people who moved often move again
    propensity = 1 / (1 + exp(-logit))
"""
from __future__ import annotations

import numpy as np

WINDOWS = (6, 12, 24)
MONTHS = 60
LAYOFF_LOOKBACK = 24
LAYOFF_Z = 4.0
LAYOFF_MIN_DEPARTURES = 5
LAYOFF_FLAG = 0.3
GROWTH_FLAG = 0.20
MIN_HEADCOUNT = 15
RECENT_HIRE_MONTHS = 6


def company_metrics(hires: np.ndarray, departures: np.ndarray, headcount: np.ndarray) -> dict[str, np.ndarray]:
    """Per-company metric columns (float32 unless noted); NaN where a ratio has no denominator."""
    out: dict[str, np.ndarray] = {}
    now = headcount[:, -1].astype(np.float64)
    total_now = now.sum()
    for w in WINDOWS:
        then = headcount[:, -1 - w].astype(np.float64)
        h = hires[:, -w:].sum(axis=1)
        d = departures[:, -w:].sum(axis=1)
        avg = (now + then) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = np.where(then > 0, now / then - 1, np.nan)
            market = total_now / max(then.sum(), 1.0)
            rel = np.where(then > 0, (now / then) / market - 1, np.nan)
            attrition = np.where(avg > 0, d / avg, np.nan)
        out[f"headcount_{w}"] = then.astype(np.int32)   # headcount w months ago
        out[f"hires_{w}"] = h.astype(np.int32)
        out[f"departures_{w}"] = d.astype(np.int32)
        out[f"attrition_{w}"] = attrition.astype(np.float32)
        out[f"growth_{w}"] = growth.astype(np.float32)
        out[f"rel_growth_{w}"] = rel.astype(np.float32)
    out["headcount"] = now.astype(np.int32)
    signal, month_idx = layoff_signal(departures, headcount)
    out["layoff_signal"] = signal
    out["layoff_month"] = month_idx          # index into the monthly grid, -1 when no spike
    out["growing"] = (np.nan_to_num(out["rel_growth_24"], nan=-1.0) >= GROWTH_FLAG) & (now >= MIN_HEADCOUNT)
    out["layoffs"] = signal >= LAYOFF_FLAG
    return out


def layoff_signal(departures: np.ndarray, headcount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(signal 0..1 float32, month index int32 or -1) per company; see the module docstring."""
    d = departures[:, 1:].astype(np.float64)
    h_prev = headcount[:, :-1].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(h_prev > 0, d / h_prev, np.nan)
    base = np.nan_to_num(np.nanmedian(np.where(np.isnan(rate).all(axis=1, keepdims=True), 0.0, rate), axis=1))
    expected = base[:, None] * h_prev
    z = (d - expected) / np.sqrt(expected + 1.0)
    excess = (d - expected) / np.maximum(h_prev, 1.0)
    look = slice(d.shape[1] - LAYOFF_LOOKBACK, d.shape[1])
    zl, el, dl = z[:, look], excess[:, look], d[:, look]
    ok = (zl >= LAYOFF_Z) & (dl >= LAYOFF_MIN_DEPARTURES)
    score = np.where(ok, np.clip(el / 0.25, 0.0, 1.0), 0.0)
    best = score.argmax(axis=1) if score.size else np.zeros(len(d), dtype=np.int64)
    signal = score[np.arange(len(d)), best] if score.size else np.zeros(len(d))
    month = np.where(signal > 0, best + 1 + (d.shape[1] - LAYOFF_LOOKBACK), -1)
    return signal.astype(np.float32), month.astype(np.int32)


def propensity(open_to_work, has_job, tenure_months, layoff, attrition_12, moves_per_year) -> np.ndarray:
    """Propensity to move, 0..1 float32 (formula in the module docstring); NaN inputs count as 0."""
    t = np.nan_to_num(np.asarray(tenure_months, dtype=np.float64), nan=12.0)
    logit = (-2.2 + 2.4 * np.asarray(open_to_work, dtype=np.float64)
             + 1.6 * (1.0 - np.asarray(has_job, dtype=np.float64))
             + 1.0 * np.clip((t - 12.0) / 24.0, -1.0, 1.0)
             + 1.8 * np.nan_to_num(np.asarray(layoff, dtype=np.float64))
             + 1.2 * np.minimum(1.0, np.nan_to_num(np.asarray(attrition_12, dtype=np.float64)) / 0.4)
             + 0.6 * np.minimum(1.0, np.nan_to_num(np.asarray(moves_per_year, dtype=np.float64)) / 0.6))
    return (1.0 / (1.0 + np.exp(-logit))).astype(np.float32)
