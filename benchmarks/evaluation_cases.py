"""Judged (candidate, qualification, right verdict) cases from the synthetic generator's ground truth.

Kinds and how the right verdict is decided (never from the evaluator's own reading of the text):

* skill: a latent skill of the person -> meets; a skill outside the latent set -> no_evidence;
* occupation: the latent occupation's O*NET title -> meets; an occupation of another SOC major group -> no_evidence;
* years: merged position years (truth) >= N -> meets, else contradicts (cases within 0.1 year of N are left out);
* seniority: latent level >= asked -> meets, one below -> partly, further below -> contradicts;
* location: truth coordinates within the radius of a city -> meets, else contradicts (±2 km of the edge left out);
* education: the generator's degree kind (read from its own degree table) >= asked -> meets, else contradicts;
* company: a company of one of the person's positions -> meets; another company -> no_evidence;
* free_text: a task statement of the latent occupation -> meets; one of another major group -> no_evidence.

Years with one skill are not in the benchmark: the generator has no per-skill years to judge them by.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.synth.education import _degree
from benchmarks.synth.world import GROUPS
from records.errors import FilterError
from records.geo import haversine_km, resolve_place
from records.schema import SENIORITY_LEVELS

KINDS = ("skill", "occupation", "years", "seniority", "location", "education", "company", "free_text")
_KIND_LEVEL = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 5}     # generator kind (HS..PHD) -> DEGREE_LEVELS index
_DEGREE_NAMES = ("high_school", "certificate", "associate", "bachelor", "master", "doctorate")


@dataclass(frozen=True)
class Case:
    row: int                 # profile row
    qual: dict               # qualification input
    expected: str            # the right verdict


def degree_table() -> dict[str, int]:
    """Every degree string the generator writes -> DEGREE_LEVELS index (from its own table, not a regex)."""
    out = {}
    for kind in range(7):
        for group in (*GROUPS, "11", "13", "15", "17", "23", "29", "00"):
            for country in ("IN", "US", "DE"):
                for r in range(4):
                    out[_degree(kind, group, country, r)] = _KIND_LEVEL[kind]
    return out


def build_cases(profiles: list[dict], truth: list[dict], world, companies: list[str], *, per_kind: int,
                free_text: int, seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    n = len(profiles)
    codes = {c: i for i, c in enumerate(world.codes)}
    degrees = degree_table()
    places = world.geo.places
    cases: list[Case] = []

    def rows(k):
        return rng.integers(0, n, k)

    for i in rows(per_kind):                       # skill
        have = truth[i]["skills"] or []
        if rng.random() < 0.5 and have:
            cases.append(Case(int(i), {"kind": "skill", "text": have[rng.integers(len(have))]}, "meets"))
        else:
            lower = {s.casefold() for s in have}
            other = world.skill_names[rng.integers(len(world.skill_names))]
            if other.casefold() not in lower:
                cases.append(Case(int(i), {"kind": "skill", "text": other}, "no_evidence"))
    for i in rows(per_kind):                       # occupation
        code = truth[i]["occupation_code"]
        if rng.random() < 0.5:
            cases.append(Case(int(i), {"kind": "occupation", "text": truth[i]["occupation_title"]}, "meets"))
        else:
            other = world.codes[rng.integers(len(world.codes))]
            if other[:2] != code[:2]:
                cases.append(Case(int(i), {"kind": "occupation", "text": world.taxonomy.occupation(other).title},
                                  "no_evidence"))
    for i in rows(per_kind):                       # years
        y = truth[i]["years_experience"]
        ask = float(max(0, round(y + rng.choice([-1, 1]) * rng.uniform(0.5, 6))))
        if abs(y - ask) > 0.1:
            cases.append(Case(int(i), {"kind": "years", "min_years": ask}, "meets" if y >= ask else "contradicts"))
    for i in rows(per_kind):                       # seniority
        have = SENIORITY_LEVELS.index(truth[i]["seniority"])
        ask = int(np.clip(have + rng.integers(-2, 3), 0, len(SENIORITY_LEVELS) - 1))
        verdict = "meets" if have >= ask else "partly" if have == ask - 1 else "contradicts"
        cases.append(Case(int(i), {"kind": "seniority", "level": SENIORITY_LEVELS[ask]}, verdict))
    for i in rows(per_kind):                       # location
        t = truth[i]
        if t["lat"] is None:
            continue
        near = rng.random() < 0.5
        pick = int(np.argmin(np.abs(world.geo.lat - t["lat"]) + np.abs(world.geo.lon - t["lon"]))) if near \
            else int(rng.integers(len(places)))
        place = places[pick]
        try:
            where = resolve_place(f"{place.name}, {place.country}")     # what the evaluator will measure from
        except FilterError:
            continue
        radius = float(rng.choice([10, 25, 50, 100, 300]))
        km = float(haversine_km(t["lat"], t["lon"], where.lat, where.lon))
        if abs(km - radius) > 2:
            cases.append(Case(int(i), {"kind": "location", "text": f"{place.name}, {place.country}", "radius_km": radius},
                              "meets" if km <= radius else "contradicts"))
    for i in rows(per_kind):                       # education
        entries = profiles[i].get("education") or []
        levels = [degrees[e["degree"]] for e in entries if e.get("degree") in degrees]
        if not levels or len(levels) != len(entries):
            continue
        ask = int(rng.integers(1, 6))
        cases.append(Case(int(i), {"kind": "education", "degree": _DEGREE_NAMES[ask]},
                          "meets" if max(levels) >= ask else "contradicts"))
    for i in rows(per_kind):                       # company
        mine = {p["company_name"] for p in profiles[i].get("positions") or []}
        if rng.random() < 0.5 and mine:
            cases.append(Case(int(i), {"kind": "company", "text": sorted(mine)[rng.integers(len(mine))]}, "meets"))
        else:
            other = companies[rng.integers(len(companies))]
            if other not in mine and not any(other.casefold() in m.casefold() or m.casefold() in other.casefold()
                                             for m in mine):
                cases.append(Case(int(i), {"kind": "company", "text": other}, "no_evidence"))
    d = world.task_dist
    for i in rows(free_text):                      # free text
        occ = codes.get(truth[i]["occupation_code"])
        if occ is None:
            continue
        own = d.values[d.offsets[occ]:d.offsets[occ + 1]]
        if rng.random() < 0.5 and len(own):
            cases.append(Case(int(i), {"kind": "free_text", "text": world.tasks[own[rng.integers(len(own))]]}, "meets"))
        else:
            other = int(rng.integers(len(world.codes)))
            if world.codes[other][:2] != truth[i]["occupation_code"][:2]:
                theirs = d.values[d.offsets[other]:d.offsets[other + 1]]
                if len(theirs):
                    cases.append(Case(int(i), {"kind": "free_text", "text": world.tasks[theirs[rng.integers(len(theirs))]]},
                                      "no_evidence"))
    return cases


__all__ = ["KINDS", "Case", "build_cases", "degree_table"]
