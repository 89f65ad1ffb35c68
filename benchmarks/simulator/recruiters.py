"""Simulated recruiters: hidden per-tenant preferences and a cascade click model with position bias.

A candidate's hidden gain for a query is ``grade / 3 * (0.05 + 0.95 * preference ** 2)`` (0 when the
generator's qrels grade is 0): recruiters only engage with relevant people, and among those they
favour their tenant's taste. Preferences read the generator's planted truth (companies.parquet,
truth.parquet), never the engine's features:

* ``growth`` (acme-talent): people at growing companies, short commutes, experienced;
* ``turnaround`` (globex-hr): the opposite on company and experience — people at companies with
  layoffs (easier to move), juniors, open to work.

Click model (cascade, Craswell et al. 2008, with patience): the recruiter scans the page top down,
examines position 1, and moves on to the next with probability ``patience`` (so examination decays
geometrically with position: the position bias). An examined irrelevant hit is dismissed from the list
with probability 0.3; a relevant one is opened (view) with probability ``0.1 + 0.8 * grade / 3`` (the
snippet attracts by relevance); once open, the recruiter decides by taste: shortlist, message, reply and
hire with probabilities rising with ``taste ** 2``, or a dismiss when the taste is poor (< 0.25, p 0.5).
A reply ends the session. Every rendered hit gets an impression event.

Biased recruiters (``SimConfig.bias``, issue 21): with the corpus's ``audit.parquet`` (self-reported
attributes the engine never sees), recruiters engage less with one group: past the view, the chance of each
further step is multiplied by ``bias_factor`` for its members (their taste is the same). A model trained
on that engagement can learn the bias only through proxies the engine sees. Biased against a visible trait of
the profile instead (``("profile", "no_current_job")``: nobody's position is current, e.g. a career break),
recruiters disadvantage the group that trait is correlated with (the generator's ``--plant-proxy`` gives women
career breaks fifteen times as often), and the ranker can learn it; the LTR gate's impact ratios must catch it.
The snippet shows the trait (no current employer), so the factor also applies to opening the profile.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from records.geo import haversine_km

PREFERENCES = ("growth", "turnaround")
PROFILE_TRAITS = ("no_current_job",)   # visible traits biased recruiters may hold against people


@dataclass(frozen=True)
class Candidate:
    company_trend: float     # growing 1, stable 0.5, layoffs 0, no company 0.5
    years: float
    lat: float
    lon: float
    open_to_work: bool


class Truth:
    """Planted truth of a generated corpus: per-candidate attributes and per-query qrels."""

    def __init__(self, corpus_dir: str | Path):
        corpus_dir = self.corpus_dir = Path(corpus_dir)
        companies = pq.read_table(corpus_dir / "companies.parquet", columns=["company_id", "trajectory"]).to_pydict()
        trend = {c: {"growing": 1.0, "stable": 0.5, "layoffs": 0.0}.get(t, 0.5)
                 for c, t in zip(companies["company_id"], companies["trajectory"])}
        t = pq.read_table(corpus_dir / "truth.parquet",
                          columns=["candidate_id", "current_company_id", "years_experience", "lat", "lon", "open_to_work"]).to_pydict()
        self.candidates = {
            cid: Candidate(trend.get(co, 0.5) if co else 0.5, float(y or 0.0), float(la) if la is not None else math.nan,
                           float(lo) if lo is not None else math.nan, bool(otw))
            for cid, co, y, la, lo, otw in zip(t["candidate_id"], t["current_company_id"], t["years_experience"],
                                               t["lat"], t["lon"], t["open_to_work"])}
        self.groups: dict[str, dict[str, str]] = {}     # attribute -> {candidate_id: group} (audit.parquet)
        if (corpus_dir / "audit.parquet").is_file():
            a = pq.read_table(corpus_dir / "audit.parquet").to_pydict()
            self.groups = {k: dict(zip(a["candidate_id"], a[k])) for k in a if k != "candidate_id"}
        self.qrels: dict[str, dict[str, int]] = {}
        for line in (corpus_dir / "qrels.txt").read_text().splitlines():
            qid, _, cid, grade = line.split()
            self.qrels.setdefault(qid, {})[cid] = int(grade)
        self._traits: dict[str, frozenset[str]] = {}

    def trait(self, name: str) -> frozenset[str]:
        """Candidates whose profile (profiles.parquet, what recruiters and the engine see) shows a trait."""
        if name not in PROFILE_TRAITS:
            raise ValueError(f"profile trait: one of {list(PROFILE_TRAITS)}, got {name!r}")
        if name not in self._traits:
            t = pq.read_table(self.corpus_dir / "profiles.parquet", columns=["candidate_id", "positions"]).to_pydict()
            self._traits[name] = frozenset(c for c, pos in zip(t["candidate_id"], t["positions"])
                                           if not any(p["end"] is None for p in pos or ()))
        return self._traits[name]


def preference(kind: str, c: Candidate, near: tuple[float, float] | None) -> float:
    """Hidden taste in [0, 1]."""
    senior = 1 / (1 + math.exp(-(c.years - 8.0) / 3.0))
    if kind == "growth":
        commute = 0.5
        if near is not None and not math.isnan(c.lat):
            commute = math.exp(-float(haversine_km(near[0], near[1], c.lat, c.lon)) / 30.0)
        return 0.30 * c.company_trend + 0.35 * commute + 0.35 * senior
    if kind == "turnaround":
        return 0.30 * (1.0 - c.company_trend) + 0.45 * (1.0 - senior) + 0.25 * float(c.open_to_work)
    raise ValueError(f"preference: one of {PREFERENCES}, got {kind!r}")


def judge(truth: Truth, kind: str, query_id: str, candidate_id: str, near) -> tuple[int, float]:
    """(qrels grade 0-3, hidden taste 0-1) of one candidate for one query."""
    grade = truth.qrels.get(query_id, {}).get(candidate_id, 0)
    if candidate_id not in truth.candidates:
        return 0, 0.0
    return grade, preference(kind, truth.candidates[candidate_id], near)


def gain(truth: Truth, kind: str, query_id: str, candidate_id: str, near) -> float:
    """The hidden gain nDCG is measured with: relevance scaled by the tenant's taste."""
    grade, taste = judge(truth, kind, query_id, candidate_id, near)
    return grade / 3.0 * (0.05 + 0.95 * taste ** 2) if grade > 0 else 0.0


@dataclass(frozen=True)
class ClickModel:
    patience: float = 0.9        # probability of examining the next position
    page: int = 20


def session_events(rng: np.random.Generator, model: ClickModel, *, tenant: str, recruiter: str, request_id: str,
                   shown: list[str], grades: list[int], tastes: list[float], start: dt.datetime, prefix: str,
                   factors: list[float] | None = None, view_factors: list[float] | None = None) -> list[dict]:
    """Events of one recruiter looking at one served page (``shown`` in display order).

    The snippet attracts by relevance (``grades``, 0-3); once the profile is open the recruiter decides
    by taste (``tastes``, 0-1): shortlist, message, reply, hire, or dismiss a poor fit. ``factors``
    (a biased recruiter): per hit, a multiplier of the chance of each step past the view; ``view_factors``: of
    the chance of opening the profile (a bias against what the result snippet shows)."""
    events, clock = [], start

    def emit(kind: str, cid: str, position: int | None = None) -> None:
        nonlocal clock
        clock += dt.timedelta(seconds=1)
        ev = {"event_id": f"{prefix}-{len(events)}", "type": kind, "tenant_id": tenant, "recruiter_id": recruiter,
              "candidate_id": cid, "request_id": request_id, "timestamp": clock.isoformat()}
        if position is not None:
            ev["position"] = position
        events.append(ev)

    for pos, cid in enumerate(shown, start=1):
        emit("impression", cid, pos)
    for cid, grade, taste, factor, seen in zip(shown, grades, tastes, factors or [1.0] * len(shown),
                                               view_factors or [1.0] * len(shown)):
        if grade == 0:
            if rng.random() < 0.3:          # an obvious mismatch is dismissed from the list
                emit("dismiss", cid)
            elif rng.random() < 0.02:
                emit("view", cid)
        elif rng.random() < (0.1 + 0.8 * grade / 3.0) * seen:
            emit("view", cid)
            fit = taste * taste * factor
            steps = (("shortlist", 0.95 * fit), ("message", 0.8 * fit), ("reply", 0.7 * fit), ("hire", 0.5 * fit))
            went = 0
            for kind, p in steps:
                if rng.random() >= p:
                    break
                emit(kind, cid)
                went += 1
            if went == 0 and taste < 0.25 and rng.random() < 0.5:
                emit("dismiss", cid)        # looked, relevant, but not this tenant's kind of hire
            if went >= 3:                   # a reply: enough candidates for today
                break
        if rng.random() > model.patience:
            break
    return events


def ndcg(gains_in_order: list[float], ideal_pool: list[float], k: int = 10) -> float:
    """nDCG@k with linear gains; the ideal is the best order of the candidate pool."""
    disc = 1 / np.log2(np.arange(2, k + 2))
    dcg = float(np.dot(np.asarray(gains_in_order[:k], dtype=np.float64), disc[: len(gains_in_order[:k])]))
    ideal = sorted(ideal_pool, reverse=True)[:k]
    idcg = float(np.dot(np.asarray(ideal, dtype=np.float64), disc[: len(ideal)]))
    return dcg / idcg if idcg > 0 else 0.0
