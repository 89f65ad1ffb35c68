"""Education entries from the occupation's typical education level (O*NET "Required Level of Education").

Schools are plausible names generated per country from real cities ("Technical University of Berlin",
"Austin State University", "Pune Community College"); 45 % of people studied in their own city.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from benchmarks.synth import vocab
from benchmarks.synth.careers import YEAR, Careers
from benchmarks.synth.world import GROUPS, World, stable_hash
from records.schema import EDUCATION

HS, CERT, ASSOC, BACH, MASTER, PROF, PHD = range(7)
DURATION = np.array([4, 1, 2, 4, 2, 4, 5])
_BACH_TECH = {"15", "17"}


def _degree(kind: int, group: str, country: str, r: int) -> str:
    if kind == HS:
        return "High School Diploma"
    if kind == CERT:
        return ("Certificate", "Vocational Certificate")[r % 2]
    if kind == ASSOC:
        return ("Associate of Applied Science", "Associate of Arts")[r % 2]
    if kind == BACH:
        if group in _BACH_TECH and country == "IN":
            return ("B.Tech", "Bachelor of Engineering")[r % 2]
        return ("Bachelor of Science", "Bachelor of Arts", "BSc", "Bachelor of Science")[r % 4]
    if kind == MASTER:
        if group in ("11", "13") and r % 2 == 0:
            return "MBA"
        if group in _BACH_TECH and country == "IN":
            return "M.Tech"
        return ("Master of Science", "MSc", "Master of Arts", "Master of Science")[r % 4]
    if kind == PROF:
        if group == "29":
            return ("Doctor of Medicine (MD)", "Doctor of Pharmacy (PharmD)")[r % 2]
        return "Juris Doctor (JD)" if group == "23" else "Professional Degree"
    return ("PhD", "Doctor of Philosophy (PhD)")[r % 2]


def _school(world: World, place: int, kind: int, variant: int) -> str:
    p = world.geo.places[place]
    if kind == HS:
        return f"{p.name} High School"
    if kind in (CERT, ASSOC):
        patterns = vocab.COLLEGE_PATTERNS
    else:
        patterns = vocab.UNIVERSITY_PATTERNS.get(p.country, ("University of {c}",))
    return patterns[(stable_hash(p.name) + variant) % len(patterns)].format(c=p.name)


def _strings(keys: np.ndarray, render) -> pa.Array:
    uniq, inverse = np.unique(keys, return_inverse=True)
    return pa.array([render(int(u)) for u in uniq]).take(pa.array(inverse.astype(np.int64)))


def education(world: World, c: Careers, rng: np.random.Generator) -> pa.ListArray:
    """0-3 entries per profile, most recent first; the last one ends when the career starts."""
    n = c.n
    level = np.clip(world.education[c.occ] + rng.choice([-1, 0, 1], n, p=[0.15, 0.7, 0.15]), 1, 12)
    u = rng.random((n, 2))
    flags = np.zeros((n, 7), dtype=bool)
    flags[:, HS] = (level <= 2) & (u[:, 0] < 0.6)
    flags[:, CERT] = (level == 3) | (level == 4)
    flags[:, ASSOC] = level == 5
    flags[:, BACH] = level >= 6
    flags[:, MASTER] = (level == 8) | (level == 9) | ((level >= 11) & (u[:, 1] < 0.5)) | ((level <= 7) & (level >= 6) & (u[:, 1] < 0.12))
    flags[:, PROF] = level == 10
    flags[:, PHD] = level >= 11
    prof, kind = np.nonzero(flags)
    order = np.lexsort((-kind, prof))                     # most recent (highest) degree first
    prof, kind = prof[order], kind[order]
    counts = np.bincount(prof, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)])

    first_start = c.pos_start[c.pos_offsets[:-1]]
    top_end = (1970 + (first_start / YEAR)).astype(np.int64) - (rng.random(n) < 0.3)
    dur = DURATION[kind] - ((kind == BACH) & (rng.random(len(kind)) < 0.4))
    csum = np.cumsum(dur)
    before = csum - dur - (csum - dur)[offsets[prof]]   # years of more recent degrees
    end_year = top_end[prof] - before
    start_year = end_year - dur

    own = rng.random(len(prof)) < 0.45
    place = np.where(own, c.place[prof], world.geo.by_country.sample(c.country[prof] * 2, rng))
    variant = rng.integers(0, 2, len(prof))
    school_class = np.select([kind == HS, kind <= ASSOC], [0, 1], 2)
    school = _strings((place * 3 + school_class) * 2 + variant,
                      lambda k: _school(world, k // 6, (HS, CERT, BACH)[k // 2 % 3], k % 2))
    group = world.group[c.occ[prof]].astype(np.int64)
    r = rng.integers(0, 16, len(prof))
    countries = world.geo.countries
    deg = _strings(((kind * 32 + group) * 16 + c.country[prof]) * 16 + r,
                   lambda k: _degree(k // (32 * 16 * 16), GROUPS[k // (16 * 16) % 32], countries[k // 16 % 16], k % 16))
    fields = _strings(group * 16 + r, lambda k: _field(GROUPS[k // 16], k % 16))
    fields = pa.array(fields.to_numpy(zero_copy_only=False), mask=kind == HS)
    struct = pa.StructArray.from_arrays(
        [school, deg, fields, pa.array(start_year.astype(np.int16)), pa.array(end_year.astype(np.int16))],
        fields=list(EDUCATION))
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), struct)


def _field(group: str, r: int) -> str:
    options = vocab.FIELDS_OF_STUDY[group]
    return options[r % len(options)]
