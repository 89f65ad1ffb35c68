"""Judged queries: sampled from seed profiles, written as Boolean or natural-language queries.

Each query starts from a seed profile (so every query has at least one grade-3 profile): its latent
occupation, some of its skills, often its seniority and city. When the judged pool (grade >= 1 and
passing the hard constraints) is larger than ``cap``, the query is made more specific (a location,
a smaller radius, one more skill, a minimum of years, the seed's seniority) before a new seed is tried.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from benchmarks.synth.careers import INTERN, JUNIOR, LEAD, SENIOR
from benchmarks.synth.companies import Companies
from benchmarks.synth.judge import CLOSE, RELATED, TARGET, Corpus, Intent, grades, passes
from benchmarks.synth.query_text import boolean_text, natural_text
from benchmarks.synth.world import World
from query.lang.filters import Filters
from records.schema import SENIORITY_LEVELS
from records.taxonomy import seniority_hint

POOL_CAP = 500
RADII = (100, 50, 25, 10, 5)
TEXT_LEVELS = (INTERN, JUNIOR, SENIOR, LEAD)      # levels a query names in words
EXCLUDABLE = ("Acme", "Globex", "Initech", "Hooli", "Umbrella")
PINNED = ('title:"data engineer" AND (spark OR airflow) NOT company:acme', "data engineer",
          ("Apache Spark", "Apache Airflow"), "Berlin, DE", 50)


@dataclass
class Spec:
    kind: str
    occ: int
    seed: int
    tenant: int
    level: int | None = None
    groups: list[list[int]] = field(default_factory=list)
    filters: dict = field(default_factory=dict)
    exclude: list[int] = field(default_factory=list)
    location_city: str | None = None
    text: str = ""
    title: str = ""


@dataclass
class Judged:
    query: dict                  # the JSONL record
    ids: np.ndarray              # corpus rows with grade >= 1
    grades: np.ndarray


class QueryMaker:
    def __init__(self, world: World, companies: Companies, corpus: Corpus, skill_forms: list[str],
                 tenants: tuple[str, ...], rng: np.random.Generator, cap: int = POOL_CAP):
        self.w, self.c, self.corpus, self.rng, self.cap = world, companies, corpus, rng, cap
        self.tax = world.taxonomy
        self.tenants = tenants
        self.forms = skill_forms
        self.code_index = {code: i for i, code in enumerate(world.codes)}
        self.company_index = {n.casefold(): i for i, n in enumerate(companies.names)}
        self.company_index.update({cid.casefold(): i for i, cid in enumerate(companies.ids)})
        self.city_names = [p.name for p in world.geo.places]
        self.skill_index = {n: i for i, n in enumerate(world.skill_names)}
        counts = np.bincount(corpus.occ, minlength=len(world.codes))
        tech = np.array([c.startswith("15-") for c in world.codes])
        weight = counts * np.where(tech, 1.5, 1.0)                      # recruiters ask for common jobs
        if (counts >= 3).any():
            weight = weight * (counts >= 3)
        self.occ_p = weight / weight.sum()
        self.by_occ = np.argsort(corpus.occ, kind="stable")
        self.occ_start = np.searchsorted(corpus.occ[self.by_occ], np.arange(len(world.codes) + 1))
        self._relation: dict[int, np.ndarray] = {}
        self._titles: dict[int, list[str]] = {}

    # -- building blocks ----------------------------------------------------------------------
    def relation(self, occ: int) -> np.ndarray:
        if occ not in self._relation:
            rel = np.zeros(len(self.w.codes), dtype=np.int8)
            for code, tier in self.tax.related(self.w.codes[occ]):
                if code in self.code_index:
                    rel[self.code_index[code]] = CLOSE if tier == "Primary-Short" else RELATED
            rel[occ] = TARGET
            self._relation[occ] = rel
        return self._relation[occ]

    def titles(self, occ: int) -> list[str]:
        """Display titles of the occupation that the taxonomy maps back to it exactly, most common first."""
        if occ not in self._titles:
            d = self.w.title_dist
            ids = d.values[d.offsets[occ]:d.offsets[occ + 1]]
            w = np.diff(np.concatenate([[occ], d.cum[d.offsets[occ]:d.offsets[occ + 1]]]))
            code = self.w.codes[occ]
            good = []
            for i in ids[np.argsort(-w, kind="stable")]:
                t = self.w.titles[i]
                m = self.tax.match_title(t)
                hint = seniority_hint(t)
                if m and m.code == code and m.score == 1.0 and hint not in ("manager", "director", "executive"):
                    good.append(t)
            self._titles[occ] = good[:6] or [self.w.titles[ids[np.argmax(w)]]]
        return self._titles[occ]

    def judge(self, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
        intent = Intent(occ=spec.occ, relation=self.relation(spec.occ),
                        groups=tuple(tuple(g) for g in spec.groups), level=spec.level,
                        exclude_companies=tuple(spec.exclude), location_city=spec.location_city)
        cand = np.flatnonzero(intent.relation[self.corpus.occ] > 0)
        f = Filters.from_dict(spec.filters)
        cand = cand[passes(self.corpus, f, cand, company_index=self.company_index, city_names=self.city_names,
                           intent=intent, tenant=spec.tenant)]
        g = grades(self.corpus, intent, cand)
        keep = g > 0
        return cand[keep], g[keep]

    # -- sampling ------------------------------------------------------------------------------
    def make(self, i: int, seen: set[str]) -> Judged | None:
        """The ``i``-th query (0-based); None if no seed worked after 30 tries."""
        kind = "boolean" if i % 2 == 0 else "natural"
        tenant = i % len(self.tenants) if self.tenants else -1
        for _ in range(30):
            spec = self._seed_spec(kind, tenant)
            if spec is None:
                continue
            ids, g = self.judge(spec)
            steps = 0
            while len(ids) > self.cap and steps < 8 and self._tighten(spec):
                ids, g = self.judge(spec)
                steps += 1
            if len(ids) > self.cap or not (g == 3).any():
                continue
            self._write(spec)
            if spec.text in seen:
                continue
            seen.add(spec.text)
            return Judged(self._record(i, spec), ids, g)
        return None

    def pinned(self, seen: set[str]) -> Judged | None:
        """The documented example query; kept only when it has a grade-3 profile in this corpus."""
        text, title, skills, near, radius = PINNED
        m = self.tax.match_title(title)
        if m is None or m.code not in self.code_index:
            return None
        groups = [[self.skill_index[s] for s in skills if s in self.skill_index]]
        acme = self.company_index.get("acme")
        spec = Spec(kind="boolean", occ=self.code_index[m.code], seed=-1, tenant=0 if self.tenants else -1,
                    groups=groups, filters={"near": near, "radius_km": radius},
                    exclude=[acme] if acme is not None else [], text=text, title=title)
        ids, g = self.judge(spec)
        if not (g == 3).any():
            return None
        seen.add(text)
        return Judged(self._record(0, spec), ids, g)

    def _seed_spec(self, kind: str, tenant: int) -> Spec | None:
        rng, corpus = self.rng, self.corpus
        occ = int(rng.choice(len(self.occ_p), p=self.occ_p))
        rows = self.by_occ[self.occ_start[occ]:self.occ_start[occ + 1]]
        rows = rows[((corpus.tenant[rows] == -1) | (corpus.tenant[rows] == tenant)) & (corpus.current_company[rows] >= 0)]
        if not len(rows):
            return None
        seed = int(rows[rng.integers(len(rows))])
        spec = Spec(kind=kind, occ=occ, seed=seed, tenant=tenant)
        level = int(corpus.level[seed])
        if level in TEXT_LEVELS and not self.w.is_manager_occ[occ] and rng.random() < (0.35 if level == INTERN else 0.7):
            spec.level = level
        mine = self._seed_skills(seed, occ)
        n_sk = min(len(mine), int(rng.choice(4, p=[0.1, 0.35, 0.4, 0.15])))
        for s in mine[:n_sk]:
            spec.groups.append([int(s)])
        if spec.groups and rng.random() < (0.4 if kind == "boolean" else 0.15):
            used = {s for g in spec.groups for s in g}
            pool = [int(s) for s in self.w.occ_skills[occ][:12] if s not in used]
            if pool:
                spec.groups[0].append(pool[rng.integers(len(pool))])
        self._seed_filters(spec, kind)
        return spec

    def _seed_skills(self, seed: int, occ: int) -> np.ndarray:
        """The seed's skills from its occupation's pool in a weighted random order (distinctive tools
        first, as a recruiter would ask for them); other skills only if it has none of those."""
        c = self.corpus
        mine = c.skill_ids[c.skill_offsets[seed]:c.skill_offsets[seed + 1]]
        pool, weight = self.w.occ_skills[occ], self.w.occ_skill_w[occ]
        inside = np.isin(pool, mine)
        if not inside.any():
            return mine
        rng = np.random.default_rng([seed, occ])          # stable per seed: tightening extends the same list
        keys = 2 * np.log(weight[inside]) - np.log(-np.log(rng.random(inside.sum())))
        keys += np.where(np.flatnonzero(inside) < 15, 100.0, 0.0)   # the occupation's top tools first
        return pool[inside][np.argsort(-keys)]

    def _seed_filters(self, spec: Spec, kind: str) -> None:
        rng, c, seed = self.rng, self.corpus, spec.seed
        place = self.w.geo.places[c.place[seed]]
        f = spec.filters
        if rng.random() < 0.75:
            f["near"], f["radius_km"] = f"{place.name}, {place.country}", int(rng.choice([25, 50, 50, 100]))
        elif kind == "boolean" and rng.random() < 0.4:
            spec.location_city = place.name
        years = float(c.years[seed])
        if years >= 2 and rng.random() < 0.3:
            f["min_years"] = max(1, math.floor(years) - int(rng.integers(0, 3)))
        if rng.random() < 0.08:
            f["max_years"] = math.ceil(years) + int(rng.integers(1, 4))
        if c.open_to_work[seed] and rng.random() < 0.3:
            f["open_to_work"] = True
        history = set(c.pos_company[c.pos_offsets[seed]:c.pos_offsets[seed + 1]].tolist())
        current = int(c.current_company[seed])
        u = rng.random()
        if u < 0.12:
            other = [b for b in EXCLUDABLE if self.company_index[b.casefold()] != current]
            f["not_current_company"] = other[rng.integers(len(other))]
        elif u < 0.17:
            f["current_company"] = self.c.names[current]
        elif u < 0.22 and len(history) > 1:
            past = sorted(history - {current})
            if past:
                f["past_company"] = self.c.names[past[rng.integers(len(past))]]
        if kind == "boolean" and rng.random() < 0.3:
            clean = [b for b in EXCLUDABLE if self.company_index[b.casefold()] not in history]
            spec.exclude.append(self.company_index[clean[rng.integers(len(clean))].casefold()])

    def _tighten(self, spec: Spec) -> bool:
        c, seed, f = self.corpus, spec.seed, spec.filters
        place = self.w.geo.places[c.place[seed]]
        if "near" not in f and spec.location_city is None:
            f["near"], f["radius_km"] = f"{place.name}, {place.country}", 50
            return True
        if "near" in f and f["radius_km"] > 25:
            f["radius_km"] = next(r for r in RADII if r < f["radius_km"])
            return True
        used = {s for g in spec.groups for s in g}
        extra = [int(s) for s in self._seed_skills(seed, spec.occ) if s not in used]
        if extra and len(spec.groups) < 4:
            spec.groups.append([extra[0]])
            return True
        if "min_years" not in f and c.years[seed] >= 3:
            f["min_years"] = math.floor(c.years[seed]) - 1
            return True
        if spec.level is None and int(c.level[seed]) in TEXT_LEVELS and not self.w.is_manager_occ[spec.occ]:
            spec.level = int(c.level[seed])
            return True
        if "near" in f and f["radius_km"] > 5:
            f["radius_km"] = next(r for r in RADII if r < f["radius_km"])
            return True
        return False

    # -- output --------------------------------------------------------------------------------
    def _write(self, spec: Spec) -> None:
        spec.text = boolean_text(self, spec) if spec.kind == "boolean" else natural_text(self, spec)

    def _record(self, i: int, spec: Spec) -> dict:
        names = self.w.skill_names
        f = spec.filters
        return {
            "query_id": f"q{i + 1:04d}",
            "kind": spec.kind,
            "query": spec.text,
            "filters": dict(f),
            "tenant_id": self.tenants[spec.tenant] if spec.tenant >= 0 else None,
            "intent": {
                "occupation_code": self.w.codes[spec.occ],
                "occupation_title": self.tax.occupations[self.w.codes[spec.occ]].title,
                "title": spec.title,
                "skills": [names[s] for g in spec.groups for s in g],
                "skill_groups": [[names[s] for s in g] for g in spec.groups],
                "seniority": SENIORITY_LEVELS[spec.level] if spec.level is not None else None,
                "location": {"near": f["near"], "radius_km": f["radius_km"]} if "near" in f else None,
                "location_city": spec.location_city,
                "exclude_companies": [self.c.names[x] for x in spec.exclude],
                "seed_candidate_id": str(self.corpus.ids[spec.seed]) if spec.seed >= 0 else None,
            },
        }
