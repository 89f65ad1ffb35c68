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
* years_skill (``years`` with a skill): the generator draws a person's skills from the skill pools of the
  occupations they held, and truth.parquet keeps each position's latent occupation; the true years with a
  latent skill are the merged spans of the positions whose occupation's pool holds it. >= N -> meets;
  fewer, but N or more years in all -> partly; fewer than N years in all -> contradicts; a skill outside the
  latent set -> no_evidence (cases within 0.25 year of N are left out);
* industry: the industry (companies.parquet) of a company the person worked at -> meets; an industry none of
  their companies is in -> no_evidence;
* language: negatives only. The generator assigns no spoken language, so every language asked is no_evidence;
  these cases measure false ``meets`` from incidental words ("English" in a teacher's task text).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.synth.education import _degree
from benchmarks.synth.world import GROUPS
from records.errors import FilterError
from records.geo import haversine_km, resolve_place
from records.schema import SENIORITY_LEVELS

KINDS = ("skill", "occupation", "years", "years_skill", "seniority", "location", "education", "company", "industry",
         "language", "free_text")
LANGUAGES = ("English", "German", "Spanish", "French", "Hindi", "Mandarin", "Japanese", "Portuguese", "Italian",
             "Dutch", "Arabic", "Polish")
_KIND_LEVEL = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 5}     # generator kind (HS..PHD) -> DEGREE_LEVELS index
_DEGREE_NAMES = ("high_school", "certificate", "associate", "bachelor", "master", "doctorate")


@dataclass(frozen=True)
class Case:
    row: int                 # profile row
    qual: dict               # qualification input
    expected: str            # the right verdict

    @property
    def kind(self) -> str:
        """The benchmark kind: ``years`` with a skill is reported apart as ``years_skill``."""
        return "years_skill" if self.qual["kind"] == "years" and self.qual.get("skill") else self.qual["kind"]


def degree_table() -> dict[str, int]:
    """Every degree string the generator writes -> DEGREE_LEVELS index (from its own table, not a regex)."""
    out = {}
    for kind in range(7):
        for group in (*GROUPS, "11", "13", "15", "17", "23", "29", "00"):
            for country in ("IN", "US", "DE"):
                for r in range(4):
                    out[_degree(kind, group, country, r)] = _KIND_LEVEL[kind]
    return out


def merged_years(spans, today) -> float:
    """Years covered by the union of (start, end|None) date spans, up to ``today``."""
    total, cur_s, cur_e = 0, None, None
    for s, e in sorted((s, min(e or today, today)) for s, e in spans if s is not None):
        if e < s:
            continue
        if cur_e is None or s > cur_e:
            total += (cur_e - cur_s).days if cur_e is not None else 0
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    total += (cur_e - cur_s).days if cur_e is not None else 0
    return total / 365.25


def skill_pools(world) -> dict[str, set[str]]:
    """Skill name -> the occupation codes whose generator skill pool holds it."""
    out: dict[str, set[str]] = {}
    for code, ids in zip(world.codes, world.occ_skills):
        for i in ids:
            out.setdefault(world.skill_names[i], set()).add(code)
    return out


def build_cases(profiles: list[dict], truth: list[dict], world, companies: list[str], *, per_kind: int,
                free_text: int, seed: int, industries: dict[str, str] | None = None, today=None,
                languages: int = 0) -> list[Case]:
    """``industries`` (company_id -> industry) and ``today`` enable the industry and years_skill kinds;
    ``languages``: how many language cases. Their draws come after the original kinds', which stay as they were."""
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
    if today is not None:
        cases += _years_skill(profiles, truth, world, rng, per_kind, today)
    if industries:
        cases += _industry(profiles, industries, rng, per_kind)
    for i in rows(languages):
        cases.append(Case(int(i), {"kind": "language", "text": LANGUAGES[rng.integers(len(LANGUAGES))]}, "no_evidence"))
    return cases


def _years_skill(profiles, truth, world, rng, k, today) -> list[Case]:
    pools, out = skill_pools(world), []
    for i in rng.integers(0, len(profiles), k):
        t, positions = truth[i], profiles[i].get("positions") or []
        have = t["skills"] or []
        if not have or len(positions) != len(t["position_occupation_codes"] or ()):
            continue
        if rng.random() < 0.8:
            skill = have[rng.integers(len(have))]
            codes = pools.get(skill, set())
            years = merged_years([(p["start"], p.get("end")) for p, c in zip(positions, t["position_occupation_codes"])
                                  if c in codes], today)
            ask = float(max(1, round(years + rng.choice([-1, 1]) * rng.uniform(0.5, 5))))
            total = t["years_experience"]
            if abs(years - ask) < 0.25 or abs(total - ask) < 0.25:
                continue
            verdict = "meets" if years >= ask else "contradicts" if total < ask else "partly"
        else:
            lower = {s.casefold() for s in have}
            skill = world.skill_names[rng.integers(len(world.skill_names))]
            if skill.casefold() in lower:
                continue
            ask, verdict = float(rng.integers(1, 8)), "no_evidence"
        out.append(Case(int(i), {"kind": "years", "skill": skill, "min_years": ask}, verdict))
    return out


def _industry(profiles, industries, rng, k) -> list[Case]:
    every, out = sorted(set(industries.values())), []
    for i in rng.integers(0, len(profiles), k):
        mine = sorted({industries[p["company_id"]] for p in profiles[i].get("positions") or ()
                       if p.get("company_id") in industries})
        if rng.random() < 0.5 and mine:
            out.append(Case(int(i), {"kind": "industry", "text": mine[rng.integers(len(mine))]}, "meets"))
        else:
            other = every[rng.integers(len(every))]
            if other not in mine:
                out.append(Case(int(i), {"kind": "industry", "text": other}, "no_evidence"))
    return out


__all__ = ["KINDS", "LANGUAGES", "Case", "build_cases", "degree_table", "merged_years", "skill_pools"]
