"""Relevance judgments: graded from the latent truth, gated by the observable filters.

The grade rule (documented in README.md, "How grades are assigned"):

* relation of the profile's latent occupation to the target: ``target`` (same code), ``close``
  (a Primary-Short related occupation of the target), ``related`` (Primary-Long or Supplemental);
* coverage ``c``: share of the query's skill groups the latent skill set satisfies (a group is
  satisfied by any one of its skills; no groups -> c = 1);
* ``sen_ok``: the latent seniority is within one level of the requested one (always true if none).

    grade 3: target and c == 1 and sen_ok
    grade 2: target and c >= 0.5 and sen_ok; or target and c == 1; or close and c == 1 and sen_ok
    grade 1: target (any c, any seniority); or close/related and c >= 0.5
    else 0 (not listed)

A profile that fails a hard constraint (the query's filters, tenant visibility, a Boolean
``NOT company:X`` or ``location:"City"``) is not relevant whatever its grade.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from query.lang.filters import Filters
from records.geo import haversine_km

TARGET, CLOSE, RELATED = 3, 2, 1
YEAR = 365.25


def years_experience(offsets: np.ndarray, start: np.ndarray, end: np.ndarray, today: int) -> np.ndarray:
    """Union of position spans [start, end or today] clipped at ``today``, in years (days / 365.25).

    ``end == -1`` is a current position. Overlapping or unsorted spans are merged, as the engine does.
    """
    n = len(offsets) - 1
    prof = np.repeat(np.arange(n), np.diff(offsets))
    s = np.minimum(start, today).astype(np.int64)
    e = np.where(end < 0, today, np.minimum(end, today)).astype(np.int64)
    e = np.maximum(e, s)
    order = np.lexsort((s, prof))
    prof, s, e = prof[order], s[order], e[order]
    shift = prof.astype(np.int64) * 10_000_000            # keeps each profile's running max separate
    s2, e2 = s + shift, e + shift
    prev = np.concatenate([[np.iinfo(np.int64).min], np.maximum.accumulate(e2)[:-1]])
    covered = np.maximum(0, e2 - np.maximum(s2, prev))
    return np.bincount(prof, weights=covered, minlength=n) / YEAR


@dataclass
class Corpus:
    """Whole-corpus arrays (one row per profile) the judge and the query sampler work on."""
    ids: np.ndarray              # candidate ids (object array of str)
    occ: np.ndarray              # latent occupation id (world.codes index)
    level: np.ndarray            # latent seniority index
    place: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    years: np.ndarray            # observable years of experience (years_experience)
    skill_offsets: np.ndarray    # latent skills, CSR
    skill_ids: np.ndarray
    pos_offsets: np.ndarray
    pos_company: np.ndarray
    pos_start: np.ndarray
    pos_end: np.ndarray          # -1 = current
    open_to_work: np.ndarray
    last_active: np.ndarray
    tenant: np.ndarray           # -1 = network profile
    today: int
    _postings: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.occ)

    @property
    def current_company(self) -> np.ndarray:
        """Company index of the position with end null (the last one in this generator), -1 if none."""
        if "current" not in self._postings:
            last = self.pos_offsets[1:] - 1
            self._postings["current"] = np.where(self.pos_end[last] == -1, self.pos_company[last], -1)
        return self._postings["current"]

    def has_skill_mask(self, skills: list[int]) -> np.ndarray:
        """Bool (n,): the latent skill set holds at least one of ``skills``."""
        if "skills" not in self._postings:
            prof = np.repeat(np.arange(self.n), np.diff(self.skill_offsets))
            order = np.argsort(self.skill_ids, kind="stable")
            bounds = np.searchsorted(self.skill_ids[order], np.arange(self.skill_ids.max(initial=0) + 2))
            self._postings["skills"] = (prof[order], bounds)
        prof, bounds = self._postings["skills"]
        mask = np.zeros(self.n, dtype=bool)
        for s in skills:
            if s + 1 < len(bounds):
                mask[prof[bounds[s]:bounds[s + 1]]] = True
        return mask


@dataclass(frozen=True)
class Intent:
    occ: int                                  # target occupation id
    relation: np.ndarray                      # per occupation id: TARGET / CLOSE / RELATED / 0
    groups: tuple[tuple[int, ...], ...]       # skill groups (skill ids); one skill of each is required
    level: int | None                         # requested seniority index
    exclude_companies: tuple[int, ...] = ()   # Boolean NOT company:X (any position, current or past)
    location_city: str | None = None          # Boolean location:"City" (the profile's city, case-insensitive)


def grades(corpus: Corpus, intent: Intent, idx: np.ndarray) -> np.ndarray:
    """Grade 0-3 of the profiles ``idx`` (int array) by the rule in the module docstring."""
    rel = intent.relation[corpus.occ[idx]]
    if intent.groups:
        hits = sum(corpus.has_skill_mask(list(g))[idx].astype(np.int64) for g in intent.groups)
        cov = hits / len(intent.groups)
    else:
        cov = np.ones(len(idx))
    sen_ok = np.ones(len(idx), bool) if intent.level is None else np.abs(corpus.level[idx] - intent.level) <= 1
    full, half = cov >= 1.0, cov >= 0.5
    target, close = rel == TARGET, rel == CLOSE
    g3 = target & full & sen_ok
    g2 = (target & half & sen_ok) | (target & full) | (close & full & sen_ok)
    g1 = target | ((rel > 0) & half)
    return np.select([g3, g2, g1], [3, 2, 1], 0).astype(np.int8)


def passes(corpus: Corpus, filters: Filters, idx: np.ndarray, *, company_index: dict[str, int],
           city_names: list[str], intent: Intent | None = None, tenant: int | None = None) -> np.ndarray:
    """Bool mask over ``idx``: the hard constraints, computed from observable facts as the engine does."""
    ok = np.ones(len(idx), dtype=bool)
    if tenant is not None:
        ok &= (corpus.tenant[idx] == -1) | (corpus.tenant[idx] == tenant)
    else:
        ok &= corpus.tenant[idx] == -1
    if filters.near is not None:
        d = haversine_km(corpus.lat[idx], corpus.lon[idx], filters.near.lat, filters.near.lon)
        ok &= d <= filters.near.radius_km
    if filters.min_years is not None:
        ok &= corpus.years[idx] >= filters.min_years
    if filters.max_years is not None:
        ok &= corpus.years[idx] <= filters.max_years
    if filters.open_to_work is not None:
        ok &= corpus.open_to_work[idx] == filters.open_to_work
    if filters.active_within_days is not None:
        ok &= corpus.last_active[idx] >= corpus.today - filters.active_within_days
    if filters.seniority:
        raise ValueError("judged queries must not use the seniority filter (seniority is derived at ingest)")
    current = corpus.current_company[idx]
    if filters.current_company:
        ok &= np.isin(current, _companies(filters.current_company, company_index))
    if filters.not_current_company:
        ok &= ~np.isin(current, _companies(filters.not_current_company, company_index))
    if filters.past_company:
        ok &= _any_position(corpus, idx, _companies(filters.past_company, company_index), past_only=True)
    if intent is not None and intent.exclude_companies:
        ok &= ~_any_position(corpus, idx, np.array(intent.exclude_companies), past_only=False)
    if intent is not None and intent.location_city:
        names = np.array([city_names[p].casefold() for p in corpus.place[idx]], dtype=object)
        ok &= names == intent.location_city.casefold()
    return ok


def _companies(values, company_index: dict[str, int]) -> np.ndarray:
    """Company ids or names (case-insensitive) -> company indices; unknown values match nothing."""
    return np.array([company_index[v.casefold()] for v in values if v.casefold() in company_index], dtype=np.int64)


def _any_position(corpus: Corpus, idx: np.ndarray, companies: np.ndarray, *, past_only: bool) -> np.ndarray:
    lo, hi = corpus.pos_offsets[idx], corpus.pos_offsets[idx + 1]
    counts = hi - lo
    first = np.cumsum(counts) - counts
    pos = np.arange(counts.sum()) - np.repeat(first, counts) + np.repeat(lo, counts)
    owner = np.repeat(np.arange(len(idx)), counts)
    hit = np.isin(corpus.pos_company[pos], companies)
    if past_only:
        hit &= corpus.pos_end[pos] != -1
    return np.bincount(owner[hit], minlength=len(idx)) > 0
