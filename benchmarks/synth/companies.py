"""Companies: industry, heavy-tailed size, offices, and a planted trajectory (growing / stable / layoffs).

The trajectory is the latent truth a talent-flow analysis must recover from the career histories:
growing companies hire disproportionately in the last 24 months; companies with layoffs end many
positions in their layoff month(s), and those people open to work or move on (mostly to growers).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from benchmarks.synth import vocab
from benchmarks.synth.world import GROUPS, World

TRAJECTORIES = ("growing", "stable", "layoffs")
RECENT_DAYS = 730          # "recent" hiring window: the last 24 months before as_of
COMPANIES_SCHEMA = pa.schema([
    pa.field("company_id", pa.string(), nullable=False),
    pa.field("name", pa.string(), nullable=False),
    pa.field("industry", pa.string()),
    pa.field("size_class", pa.string()),
    pa.field("headcount", pa.int32()),
    pa.field("hq_city", pa.string()),
    pa.field("hq_country", pa.string()),
    pa.field("office_cities", pa.list_(pa.string())),
    pa.field("trajectory", pa.string()),            # growing | stable | layoffs
    pa.field("growth_rate", pa.float32()),          # planted headcount change per year, e.g. 0.4 = +40 %
    pa.field("layoff_months", pa.list_(pa.date32())),   # first day of each layoff month
    pa.field("layoff_fraction", pa.float32()),      # share of active positions ended in a layoff month
    pa.field("is_brand", pa.bool_()),
], metadata={"talentsearch.schema": "synth-companies/1"})


@dataclass(frozen=True)
class Companies:
    ids: list[str]
    names: list[str]
    industry: np.ndarray         # int index into vocab.INDUSTRIES
    size_class: np.ndarray       # int index into vocab.SIZE_CLASSES
    headcount: np.ndarray
    hq: np.ndarray               # place index (world.geo.places)
    offices: list[list[int]]     # place indices, hq first
    present: np.ndarray          # bool (n_companies, n_countries)
    trajectory: np.ndarray       # int index into TRAJECTORIES
    growth: np.ndarray
    layoff_days: np.ndarray      # int32 (n_companies, 2): days since epoch of layoff months, -1 = none
    layoff_fraction: np.ndarray
    is_brand: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def company_count(profiles: int) -> int:
    """About one company per 200 profiles (5,000 for 1M), at least 40, plus the planted brands."""
    return int(np.clip(profiles // 200, 40, 20_000)) + len(vocab.BRANDS)


def _month_start(as_of: dt.date, months_back: int) -> int:
    y, m = divmod(as_of.year * 12 + as_of.month - 1 - months_back, 12)
    return (dt.date(y, m + 1, 1) - dt.date(1970, 1, 1)).days


def make_companies(world: World, n: int, rng: np.random.Generator, as_of: dt.date) -> Companies:
    geo = world.geo
    industries = list(vocab.INDUSTRIES)
    sizes = vocab.SIZE_CLASSES
    n_gen = n - len(vocab.BRANDS)
    share = np.array([vocab.INDUSTRY_SHARE[i] for i in industries])
    industry = rng.choice(len(industries), n_gen, p=share / share.sum())
    size_p = np.array([s[3] for s in sizes])
    size = rng.choice(len(sizes), n_gen, p=size_p / size_p.sum())
    lo = np.array([s[1] for s in sizes])[size]
    hi = np.array([s[2] for s in sizes])[size]
    headcount = np.exp(rng.uniform(np.log(lo), np.log(hi + 1))).astype(np.int64)
    country = rng.choice(len(geo.countries), n_gen, p=geo.country_prob)
    country[:2 * len(geo.countries)] = np.arange(2 * len(geo.countries)) % len(geo.countries)   # >= 2 per country
    hq = geo.by_country.sample(country * 2 + 1, rng)            # hubs-heavy city distribution
    traj = rng.choice(3, n_gen, p=[vocab.TRAJECTORY_SHARE[t] for t in TRAJECTORIES])
    growth = np.select([traj == 0, traj == 1], [rng.uniform(0.15, 0.8, n_gen), rng.uniform(-0.05, 0.1, n_gen)],
                       rng.uniform(-0.4, -0.1, n_gen))
    n_layoffs = np.where(traj == 2, 1 + (rng.random(n_gen) < 0.25), 0)
    months_back = rng.integers(2, 31, size=(n_gen, 2))
    fraction = np.where(traj == 2, rng.uniform(0.2, 0.45, n_gen), 0.0)

    present = np.zeros((n, len(geo.countries)), dtype=bool)
    present[np.arange(n_gen), country] = True
    extra_p = np.where(size >= 5, 0.35, np.where(size == 4, 0.1, 0.0))
    present[:n_gen] |= rng.random((n_gen, len(geo.countries))) < extra_p[:, None] * geo.country_prob[None, :] * 6

    names = _names(rng, industry, country, geo.countries, industries)
    brand_rows = _brands(world, as_of)
    ids = [f"co{i:05d}" for i in range(1, n + 1)]
    hub_of = {cc: _largest(world, ci) for ci, cc in enumerate(geo.countries)}
    offices = []
    for i in range(n_gen):
        extra = [hub_of[geo.countries[c]] for c in np.flatnonzero(present[i]) if c != country[i]]
        offices.append([int(hq[i])] + [p for p in extra if p != hq[i]])
    layoff = np.full((n, 2), -1, dtype=np.int32)
    for i in range(n_gen):
        for k in range(n_layoffs[i]):
            layoff[i, k] = _month_start(as_of, int(months_back[i, k]))
    for j, b in enumerate(brand_rows):
        i = n_gen + j
        present[i, [geo.countries.index(c) for c in b["countries"]]] = True
        offices.append(b["offices"])
        for k, mb in enumerate(b["months_back"]):
            layoff[i, k] = _month_start(as_of, mb)
    cat = np.concatenate
    return Companies(
        ids=ids, names=names + [b["name"] for b in brand_rows],
        industry=cat([industry, [industries.index(b["industry"]) for b in brand_rows]]).astype(np.int16),
        size_class=cat([size, [b["size"] for b in brand_rows]]).astype(np.int8),
        headcount=cat([headcount, [b["headcount"] for b in brand_rows]]).astype(np.int64),
        hq=cat([hq, [b["offices"][0] for b in brand_rows]]).astype(np.int64),
        offices=offices, present=present,
        trajectory=cat([traj, [TRAJECTORIES.index(b["trajectory"]) for b in brand_rows]]).astype(np.int8),
        growth=cat([growth, [b["growth"] for b in brand_rows]]),
        layoff_days=layoff,
        layoff_fraction=cat([fraction, [0.4 if b["months_back"] else 0.0 for b in brand_rows]]),
        is_brand=cat([np.zeros(n_gen, bool), np.ones(len(brand_rows), bool)]),
    )


def _largest(world: World, country_index: int) -> int:
    """The country's main hub: the city with the largest tech-hiring weight."""
    d = world.geo.by_country
    row = country_index * 2 + 1
    lo, hi = d.offsets[row], d.offsets[row + 1]
    return int(d.values[lo + np.argmax(np.diff(np.concatenate([[row], d.cum[lo:hi]])))])


def _names(rng, industry, country, countries, industries) -> list[str]:
    draws = rng.integers(0, 1 << 30, size=(len(industry), 8, 3))
    legal = rng.random(len(industry)) < 0.3
    heads, tails = vocab.NAME_HEADS, vocab.NAME_TAILS
    seen: set[str] = set()
    out = []
    for i in range(len(industry)):
        suffixes = vocab.INDUSTRY_SUFFIXES[industries[industry[i]]]
        for h, t, s in draws[i]:             # unique names (company filters may use names): redraw on a clash
            name = f"{heads[h % len(heads)]}{tails[t % len(tails)]} {suffixes[s % len(suffixes)]}"
            if legal[i]:
                name += " " + vocab.COUNTRY_LEGAL_FORM[countries[country[i]]]
            if name.casefold() not in seen:
                break
        base, k = name, 2
        while name.casefold() in seen:
            name, k = f"{base} {k}", k + 1
        seen.add(name.casefold())
        out.append(name)
    return out


def _brands(world: World, as_of: dt.date) -> list[dict]:
    geo = world.geo
    by_name = {f"{p.name}, {p.country}": i for i, p in enumerate(geo.places)}
    out = []
    for name, city, industry, size_label, trajectory, growth, months_back in vocab.BRANDS:
        hq = by_name[city]
        hq_cc = geo.countries[geo.country_of[hq]]
        countries = [hq_cc] + [c for c in vocab.BRAND_COUNTRIES if c != hq_cc]
        offices = [hq] + [_largest(world, geo.countries.index(c)) for c in countries[1:]]
        size = [s[0] for s in vocab.SIZE_CLASSES].index(size_label)
        out.append({"name": name, "industry": industry, "size": size, "trajectory": trajectory,
                    "headcount": max(vocab.SIZE_CLASSES[size][1] * 2, 12000), "growth": growth,
                    "months_back": months_back, "countries": countries, "offices": offices})
    return out


class Hiring:
    """Which company a position starts at: P(company | country, SOC major group, recent start).

    Weight = present in the country x industry affinity for the group x headcount^0.75 x trajectory
    factor (growing: recent x (1 + 5 g), older x (1 - 0.5 g); layoffs: recent x 0.6, older x 1.2);
    the planted brands are scaled to hold ``BRAND_SHARE`` of the headcount weight together.
    Distributions are built lazily and cached, so every chunk of a run reuses them.
    """

    def __init__(self, world: World, companies: Companies):
        industries = list(vocab.INDUSTRIES)
        aff = np.full((len(industries), len(GROUPS)), 0.05)
        for i, name in enumerate(industries):
            for g, w in vocab.INDUSTRIES[name].items():
                aff[i, GROUPS.index(g)] = w
        self.affinity = aff[companies.industry]                      # (n_companies, n_groups)
        base = companies.headcount.astype(np.float64) ** 0.75
        brand = companies.is_brand
        if brand.any() and (~brand).any():    # brands together get BRAND_SHARE of the weight at any size
            base[brand] *= vocab.BRAND_SHARE / (1 - vocab.BRAND_SHARE) * base[~brand].sum() / base[brand].sum()
        g = companies.growth
        growing, layoffs = companies.trajectory == 0, companies.trajectory == 2
        self.recent = base * np.where(growing, 1 + 5 * g, np.where(layoffs, 0.6, 1.0))
        self.older = base * np.where(growing, 1 - 0.5 * g, np.where(layoffs, 1.2, 1.0))
        self.present = companies.present
        self._cache: dict[tuple[int, int, bool], np.ndarray] = {}

    def cdf(self, country: int, group: int, recent: bool) -> np.ndarray:
        key = (country, group, recent)
        if key not in self._cache:
            base = self.recent if recent else self.older
            w = base * self.affinity[:, group] * self.present[:, country]
            if w.sum() <= 0:                  # tiny corpora: no company present in this country
                w = base * self.affinity[:, group]
            c = np.cumsum(w)
            self._cache[key] = c / c[-1]
        return self._cache[key]

    def sample(self, country: np.ndarray, group: np.ndarray, recent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One company index per position (arrays aligned)."""
        out = np.empty(len(country), dtype=np.int64)
        key = (country.astype(np.int64) * 64 + group) * 2 + recent
        order = np.argsort(key, kind="stable")
        uniq, starts = np.unique(key[order], return_index=True)
        bounds = np.append(starts, len(order))
        u = rng.random(len(country))
        for k, lo, hi in zip(uniq, bounds[:-1], bounds[1:]):
            rows = order[lo:hi]
            c = self.cdf(int(k // 128), int(k // 2 % 64), bool(k % 2))
            out[rows] = np.minimum(np.searchsorted(c, u[rows], side="right"), len(c) - 1)
        return out


def companies_table(companies: Companies, world: World) -> pa.Table:
    places = world.geo.places
    industries = list(vocab.INDUSTRIES)
    epoch = dt.date(1970, 1, 1)
    layoffs = [[epoch + dt.timedelta(days=int(d)) for d in row if d >= 0] for row in companies.layoff_days]
    return pa.table({
        "company_id": companies.ids,
        "name": companies.names,
        "industry": [industries[i] for i in companies.industry],
        "size_class": [vocab.SIZE_CLASSES[i][0] for i in companies.size_class],
        "headcount": companies.headcount.astype(np.int32),
        "hq_city": [places[i].name for i in companies.hq],
        "hq_country": [places[i].country for i in companies.hq],
        "office_cities": [[places[p].name for p in row] for row in companies.offices],
        "trajectory": [TRAJECTORIES[t] for t in companies.trajectory],
        "growth_rate": companies.growth.astype(np.float32),
        "layoff_months": layoffs,
        "layoff_fraction": companies.layoff_fraction.astype(np.float32),
        "is_brand": companies.is_brand,
    }, schema=COMPANIES_SCHEMA)
