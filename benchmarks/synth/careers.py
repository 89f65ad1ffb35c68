"""Careers: occupation, place, experience, seniority and 1-6 dated positions per profile (vectorised).

All arrays are per chunk; positions are in CSR form (``pos_offsets``) sorted by start within a profile.
Dates are int days since 1970-01-01 (Arrow ``date32``); ``pos_end == -1`` means current (null).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from benchmarks.synth import vocab
from benchmarks.synth.companies import RECENT_DAYS, Companies, Hiring
from benchmarks.synth.world import GROUPS, World
from records.schema import SENIORITY_LEVELS

INTERN, JUNIOR, MID, SENIOR, LEAD, MANAGER, DIRECTOR, EXECUTIVE = (SENIORITY_LEVELS.index(name) for name in (
    "intern", "junior", "mid", "senior", "lead", "manager", "director", "executive"))
YEAR = 365.25
# P(level | years-of-experience bucket); buckets: <1, 1-3, 3-6, 6-10, 10-15, 15+
LEVEL_BY_YEARS = np.array([
    # intern junior mid senior lead manager director executive
    [0.60, 0.40, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],
    [0.00, 0.80, 0.20, 0.00, 0.00, 0.00, 0.00, 0.00],
    [0.00, 0.10, 0.75, 0.15, 0.00, 0.00, 0.00, 0.00],
    [0.00, 0.00, 0.20, 0.60, 0.15, 0.05, 0.00, 0.00],
    [0.00, 0.00, 0.05, 0.35, 0.30, 0.22, 0.08, 0.00],
    [0.00, 0.00, 0.05, 0.20, 0.25, 0.28, 0.16, 0.06],
])
YEAR_BUCKETS = np.array([1.0, 3.0, 6.0, 10.0, 15.0])
P_SAME_OCCUPATION = 0.55     # an earlier role keeps the occupation; otherwise a related one (tier-weighted)
P_SAME_COMPANY = 0.15        # an earlier role at the same company (internal move)
P_UNEMPLOYED = 0.05
P_MOVER = 0.65               # laid off from the current job -> already moved to a new one


@dataclass
class Careers:
    occ: np.ndarray              # current occupation id
    level: np.ndarray            # current seniority index into SENIORITY_LEVELS
    place: np.ndarray
    country: np.ndarray
    pos_offsets: np.ndarray      # (n + 1,)
    pos_occ: np.ndarray
    pos_level: np.ndarray
    pos_company: np.ndarray
    pos_start: np.ndarray        # int days
    pos_end: np.ndarray          # int days, -1 = current
    laid_off: np.ndarray         # bool per profile: a position ended in a layoff month of its company
    moved: np.ndarray            # bool per profile: laid off from the current job and already moved on
    open_to_work: np.ndarray
    last_active: np.ndarray      # int days
    tenant: np.ndarray           # int8: -1 network profile, else index into the tenants tuple

    @property
    def n(self) -> int:
        return len(self.occ)

    @property
    def pos_profile(self) -> np.ndarray:
        return np.repeat(np.arange(self.n), np.diff(self.pos_offsets))


def _days(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _draw_levels(years: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    bucket = np.searchsorted(YEAR_BUCKETS, years, side="right")
    cdf = np.cumsum(LEVEL_BY_YEARS, axis=1)[bucket]
    return (rng.random(len(years))[:, None] > cdf).sum(axis=1).clip(0, EXECUTIVE).astype(np.int8)


def _level_at(years: np.ndarray) -> np.ndarray:
    """Deterministic level for an earlier role, from the experience the person had when it started."""
    return np.select([years < 0.5, years < 3, years < 6, years < 10], [JUNIOR, JUNIOR, MID, SENIOR], LEAD).astype(np.int8)


def simulate(world: World, companies: Companies, hiring: Hiring, n: int, rng: np.random.Generator,
             as_of: dt.date, n_tenants: int) -> Careers:
    today = _days(as_of)
    occ = rng.choice(len(world.codes), size=n, p=world.occ_prob)
    group = world.group[occ]
    country = rng.choice(len(world.geo.countries), size=n, p=world.geo.country_prob)
    tech = _TECH[group].astype(np.int64)
    place = world.geo.by_country.sample(country * 2 + tech, rng)

    years = np.clip(rng.gamma(2.0, 4.5, n), 0.1, 42.0)
    interns = rng.random(n) < 0.04
    years[interns] = rng.uniform(0.1, 0.8, interns.sum())
    manager = world.is_manager_occ[occ]
    years[manager] += 3.0
    level = _draw_levels(years, rng)
    low_zone = world.job_zone[occ] <= 2
    level[low_zone & (level > MANAGER)] = MANAGER
    level[manager] = np.maximum(level[manager], MANAGER)
    level[np.asarray(world.codes)[occ] == "11-1011.00"] = EXECUTIVE

    k = 1 + rng.binomial(5, np.minimum(0.9, years / 18.0))
    k[years < 0.5] = 1
    offsets = np.concatenate([[0], np.cumsum(k)])
    prof = np.repeat(np.arange(n), k)
    rank = np.arange(len(prof)) - offsets[prof]                   # 0 = first job
    last = rank == k[prof] - 1

    # Dates: durations ~ Dirichlet(2), short gaps between jobs, the career starts `years` ago.
    gap = np.where(~last & (rng.random(len(prof)) < 0.5), rng.integers(7, 120, len(prof)), 0)
    span = years * YEAR
    gap_total = np.bincount(prof, weights=gap, minlength=n)
    gap = np.where(gap_total[prof] > 0.3 * span[prof], 0, gap)
    work = span - np.bincount(prof, weights=gap, minlength=n)
    share = rng.gamma(2.0, 1.0, len(prof))
    share /= np.bincount(prof, weights=share, minlength=n)[prof]
    dur = np.maximum(share * work[prof], 20.0)
    step = dur + gap
    csum = np.cumsum(step)
    before = csum - step - (csum - step)[offsets[prof]]           # sum of earlier steps within the profile
    career_start = today - span
    # Floors on short durations can push late jobs past as_of: keep every span inside the career,
    # at least a day long, and never overlapping the previous one.
    start = np.floor(career_start[prof] + before).astype(np.int64)
    end = np.floor(career_start[prof] + before + dur).astype(np.int64)
    for r in range(1, 6):
        rows = np.flatnonzero(rank == r)
        end[rows - 1] = np.maximum(end[rows - 1], start[rows - 1] + 1)
        start[rows] = np.maximum(start[rows], end[rows - 1])
    start = np.minimum(start, today - 2 * (k[prof] - rank))
    for r in range(1, 6):
        rows = np.flatnonzero(rank == r)
        end[rows - 1] = np.minimum(end[rows - 1], start[rows])
    end = np.where(last, -1, end)
    unemployed = rng.random(n) < P_UNEMPLOYED
    cut = today - rng.integers(20, 300, n)
    lp = offsets[1:] - 1
    ok = unemployed & (cut - start[lp] > 60)
    end[lp[ok]] = cut[ok]

    pos_occ = np.empty(len(prof), dtype=np.int64)
    pos_occ[lp] = occ
    for r in range(1, 6):                                          # walk backwards through the career
        rows = np.flatnonzero(k[prof] - 1 - rank == r)
        nxt = pos_occ[rows + 1]
        moved = rng.random(len(rows)) >= P_SAME_OCCUPATION
        pos_occ[rows] = np.where(moved, world.related_dist.sample(nxt, rng), nxt)
    pos_level = np.minimum(level[prof], _level_at((start - career_start[prof]) / YEAR))
    first_intern = (rank == 0) & ((start - career_start[prof]) < 200) & (rng.random(len(prof)) < 0.25)
    pos_level = np.where(first_intern, INTERN, pos_level)
    mgr_pos = world.is_manager_occ[pos_occ]
    pos_level = np.where(mgr_pos, np.maximum(pos_level, np.minimum(level[prof], MANAGER)), pos_level)
    pos_level[lp] = level

    recent = start >= today - RECENT_DAYS
    company = hiring.sample(country[prof], world.group[pos_occ], recent, rng)
    for r in range(1, 6):
        rows = np.flatnonzero((k[prof] - 1 - rank == r) & (rng.random(len(prof)) < P_SAME_COMPANY))
        company[rows] = company[rows + 1]

    c = Careers(occ=occ, level=level, place=place, country=country, pos_offsets=offsets, pos_occ=pos_occ,
                pos_level=pos_level.astype(np.int8), pos_company=company, pos_start=start, pos_end=end,
                laid_off=np.zeros(n, bool), moved=np.zeros(n, bool), open_to_work=np.zeros(n, bool),
                last_active=np.zeros(n, np.int64), tenant=np.full(n, -1, np.int8))
    _layoffs(c, world, companies, hiring, rng, today)
    _activity(c, rng, today, n_tenants)
    return c


def _layoffs(c: Careers, world: World, companies: Companies, hiring: Hiring, rng: np.random.Generator,
             today: int) -> None:
    """End a share of the positions active in each layoff month; people laid off from their current job
    either moved on (a new position 2 weeks to 5 months later, hired like any recent start) or are
    still looking. Earlier jobs ended by a layoff push the next job's start later."""
    prof = c.pos_profile
    n_pos = len(prof)
    is_last = np.arange(n_pos) == c.pos_offsets[prof + 1] - 1
    k = np.diff(c.pos_offsets)
    hit_once = np.zeros(n_pos, dtype=bool)
    new_rows = []
    for slot in (0, 1):
        month = companies.layoff_days[c.pos_company, slot].astype(np.int64)
        active = (month >= 0) & ~hit_once & (c.pos_start < month - 60) & ((c.pos_end == -1) | (c.pos_end > month + 15))
        hit = active & (rng.random(n_pos) < companies.layoff_fraction[c.pos_company])
        new_end = month + rng.integers(0, 28, n_pos)
        earlier = np.flatnonzero(hit & ~is_last)
        next_start = new_end[earlier] + rng.integers(14, 120, len(earlier))
        next_end = c.pos_end[earlier + 1]
        ok = np.where(next_end == -1, next_start < today - 30, next_start < next_end - 30)
        earlier, next_start = earlier[ok], next_start[ok]
        c.pos_end[earlier] = new_end[earlier]
        c.pos_start[earlier + 1] = np.maximum(c.pos_start[earlier + 1], next_start)
        current = np.flatnonzero(hit & is_last)
        c.pos_end[current] = new_end[current]
        hit_once[earlier] = hit_once[current] = True
        c.laid_off[prof[earlier]] = c.laid_off[prof[current]] = True
        mover = current[(rng.random(len(current)) < P_MOVER) & (k[prof[current]] < 6)
                        & (new_end[current] + 150 < today) & ~c.moved[prof[current]]]
        c.moved[prof[mover]] = True
        if len(mover):
            new_rows.append((mover, new_end[mover] + rng.integers(14, 150, len(mover))))
    if not new_rows:
        return
    src = np.concatenate([r for r, _ in new_rows])
    starts = np.concatenate([s for _, s in new_rows])
    owner = prof[src]
    group = world.group[c.pos_occ[src]]
    company = hiring.sample(c.country[owner], group, np.ones(len(src), bool), rng)
    again = company == c.pos_company[src]
    company[again] = hiring.sample(c.country[owner[again]], group[again], np.ones(again.sum(), bool), rng)
    all_prof = np.concatenate([prof, owner])
    all_start = np.concatenate([c.pos_start, starts])
    order = np.lexsort((all_start, all_prof))
    c.pos_occ = np.concatenate([c.pos_occ, c.pos_occ[src]])[order]
    c.pos_level = np.concatenate([c.pos_level, c.pos_level[src]])[order]
    c.pos_company = np.concatenate([c.pos_company, company])[order]
    c.pos_start = all_start[order]
    c.pos_end = np.concatenate([c.pos_end, np.full(len(src), -1, np.int64)])[order]
    c.pos_offsets = np.concatenate([[0], np.cumsum(np.bincount(all_prof, minlength=c.n))])


def _activity(c: Careers, rng: np.random.Generator, today: int, n_tenants: int) -> None:
    """open_to_work (~10 %: 5 % base, 80 % of those laid off and still looking, 30 % of recent movers),
    last_active (recent for most), and ~5 % of profiles private to one tenant."""
    employed = c.pos_end[c.pos_offsets[1:] - 1] == -1
    p = np.select([~employed & c.laid_off, ~employed, c.moved], [0.8, 0.6, 0.3], 0.05)
    c.open_to_work = rng.random(c.n) < p
    stale = rng.random(c.n) < 0.15
    days = np.where(stale, rng.integers(45, 720, c.n), np.floor(rng.exponential(12.0, c.n)))
    days = np.where(c.open_to_work, np.floor(rng.exponential(4.0, c.n)), days)
    c.last_active = today - days.astype(np.int64)
    private = rng.random(c.n) < 0.05
    c.tenant = np.where(private, rng.integers(0, max(n_tenants, 1), c.n), -1).astype(np.int8)
    if n_tenants == 0:
        c.tenant[:] = -1


def _tech_mask() -> np.ndarray:
    return np.array([g in vocab.TECH_GROUPS for g in GROUPS])


_TECH = _tech_mask()
