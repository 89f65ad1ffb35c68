"""Render careers into ``records.schema.PROFILE_SCHEMA`` rows: titles, skills, education, texts.

Strings are built once per distinct combination (title x level x pattern x noise, school x kind...) and
gathered with Arrow ``take``; only the headline and summary are formatted per profile.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from benchmarks.synth import vocab
from benchmarks.synth.careers import MANAGER, Careers
from benchmarks.synth.companies import Companies
from benchmarks.synth.education import education
from benchmarks.synth.world import World
from records.schema import LOCATION, POSITION, PROFILE_SCHEMA, SENIORITY_LEVELS
from records.taxonomy import seniority_hint

P_TITLE_NOISE = 0.12
P_DESCRIPTION = 0.65
P_HIDDEN_SKILL = 0.08            # a latent skill only named in the summary, not in the skills list
SKILL_STYLE_P = (0.55, 0.30, 0.15)   # canonical name, short form ("Spark"), lower case ("spark")
P_NO_SUMMARY = 0.15
_ADJ = ("Aspiring ", "Junior ", "", "Senior ", "Lead ", "", "", "")


@dataclass
class Rendered:
    table: pa.Table
    skill_offsets: np.ndarray    # latent skills, CSR per profile (skill ids into world.skill_names)
    skill_ids: np.ndarray


class Renderer:
    """Lookup tables shared by every chunk of a run."""

    def __init__(self, world: World, companies: Companies):
        self.world = world
        tax = world.taxonomy
        levels = {name: i for i, name in enumerate(SENIORITY_LEVELS)}
        self.title_hint = np.array([levels.get(seniority_hint(t) or "", -1) for t in world.titles])
        self.default_title = np.empty(len(world.codes), dtype=np.int64)
        d = world.title_dist
        for o in range(len(world.codes)):
            ids, cum = d.values[d.offsets[o]:d.offsets[o + 1]], d.cum[d.offsets[o]:d.offsets[o + 1]]
            w = np.diff(np.concatenate([[o], cum]))
            ok = self.title_hint[ids] < MANAGER
            self.default_title[o] = ids[np.argmax(np.where(ok, w, -1))] if ok.any() else ids[np.argmax(w)]
        forms = []
        for name in world.skill_names:
            short = [a for a in tax.skill_aliases(name)[1:] if len(a) >= 2 and a != a.lower()
                     and tax.normalize_skill(a) == name]
            s = min(short, key=len) if short else name
            low = s.lower() if tax.normalize_skill(s.lower()) == name else s
            forms += [name, s, low]
        self.skill_forms = pa.array(forms)
        self.company_ids = pa.array(companies.ids)
        self.company_names = pa.array(companies.names)
        self.tasks = pa.array(world.tasks)
        places = world.geo.places
        self.location = pa.StructArray.from_arrays(
            [pa.array([p.name for p in places]), pa.array([p.region for p in places]),
             pa.array([p.country for p in places]), pa.array(world.geo.lat), pa.array(world.geo.lon)],
            fields=list(LOCATION))

    # -- titles -------------------------------------------------------------------------------
    def titles(self, c: Careers, rng: np.random.Generator) -> tuple[pa.Array, np.ndarray]:
        """Raw title per position; also the base-title id (for summaries)."""
        w = self.world
        tid = w.title_dist.sample(c.pos_occ, rng)
        prof = c.pos_profile
        k = np.diff(c.pos_offsets)
        rank_from_end = c.pos_offsets[prof + 1] - 1 - np.arange(len(prof))
        for r in range(1, int(k.max(initial=1))):
            rows = np.flatnonzero((rank_from_end == r) & (rng.random(len(prof)) < 0.7))
            same = c.pos_occ[rows] == c.pos_occ[rows + 1]
            tid[rows[same]] = tid[rows[same] + 1]
        clash = (self.title_hint[tid] >= MANAGER) & (c.pos_level < MANAGER)
        tid[clash] = self.default_title[c.pos_occ[clash]]
        pattern = rng.integers(0, 60, len(tid))          # reduced modulo the level's pattern count
        noise = np.where(rng.random(len(tid)) < P_TITLE_NOISE, rng.integers(1, 8, len(tid)), 0)
        key = ((tid * 8 + c.pos_level) * 64 + pattern) * 8 + noise
        uniq, inverse = np.unique(key, return_inverse=True)
        texts = [self._title_text(int(u)) for u in uniq]
        return pa.array(texts).take(pa.array(inverse.astype(np.int64))), tid

    def _title_text(self, key: int) -> str:
        key, noise = divmod(key, 8)
        key, pattern = divmod(key, 64)
        tid, level = divmod(key, 8)
        t = self.world.titles[tid]
        name = SENIORITY_LEVELS[level]
        if level >= MANAGER and self.title_hint[tid] >= MANAGER:
            s = t
        else:
            patterns = vocab.TITLE_PATTERNS[name]
            s = patterns[pattern % len(patterns)].format(t=t)
        extras = [x for x in vocab.TITLE_NOISE if x]
        tag = extras[(noise - 1) % len(extras)] if noise else ""
        if tag == "lower":
            return s.lower()
        if tag == "upper":
            return s.upper()
        return s + tag if tag.strip() else s

    # -- skills -------------------------------------------------------------------------------
    def latent_skills(self, c: Careers, years: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Skill ids per profile (CSR): top-m of the occupation's pool by Gumbel-perturbed log weight
        (weighted sampling without replacement), one from an earlier occupation (60 %), one popular
        off-occupation skill (35 %)."""
        w = self.world
        m = np.clip(3 + np.floor(years / 3) + rng.poisson(1.0, c.n), 3, 14).astype(np.int64)
        prof_parts, skill_parts = [], []
        order = np.argsort(c.occ, kind="stable")
        occs, starts = np.unique(c.occ[order], return_index=True)
        for o, lo, hi in zip(occs, starts, np.append(starts[1:], c.n)):
            rows = order[lo:hi]
            pool, weight = w.occ_skills[o], w.occ_skill_w[o]
            keys = np.log(weight)[None, :] - np.log(-np.log(rng.random((len(rows), len(pool)))))
            top = np.argsort(-keys, axis=1)[:, :min(14, len(pool))]
            take = np.arange(top.shape[1])[None, :] < m[rows, None]
            prof_parts.append(np.broadcast_to(rows[:, None], top.shape)[take])
            skill_parts.append(pool[top[take]])
        first_occ = c.pos_occ[c.pos_offsets[:-1]]
        past = np.flatnonzero((first_occ != c.occ) & (rng.random(c.n) < 0.6))
        prof_parts.append(past)
        skill_parts.append(w.skill_dist.sample(first_occ[past], rng))
        off = np.flatnonzero(rng.random(c.n) < 0.35)
        prof_parts.append(off)
        skill_parts.append(w.popular_skills[rng.integers(0, len(w.popular_skills), len(off))])
        prof = np.concatenate(prof_parts)
        skill = np.concatenate(skill_parts)
        pair = np.unique(prof * len(w.skill_names) + skill)
        prof, skill = pair // len(w.skill_names), pair % len(w.skill_names)
        order = np.lexsort((rng.random(len(prof)), prof))           # shuffled within each profile
        prof, skill = prof[order], skill[order]
        offsets = np.concatenate([[0], np.cumsum(np.bincount(prof, minlength=c.n))])
        return offsets, skill

    def written_skills(self, offsets: np.ndarray, skills: np.ndarray, rng: np.random.Generator):
        """The profile's skills list (display forms) and the hidden ones (named only in the summary)."""
        hidden = rng.random(len(skills)) < P_HIDDEN_SKILL
        style = rng.choice(3, len(skills), p=SKILL_STYLE_P)
        form = skills * 3 + style
        prof = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        shown = ~hidden
        list_offsets = np.concatenate([[0], np.cumsum(np.bincount(prof[shown], minlength=len(offsets) - 1))])
        values = self.skill_forms.take(pa.array(form[shown]))
        return pa.ListArray.from_arrays(pa.array(list_offsets.astype(np.int32)), values), hidden, form

    # -- texts --------------------------------------------------------------------------------
    def texts(self, c: Careers, titles: pa.Array, tid: np.ndarray, years: np.ndarray, skill_offsets: np.ndarray,
              form: np.ndarray, hidden: np.ndarray, rng: np.random.Generator) -> tuple[list, list]:
        """Headline ("Senior Data Engineer at Globex | Spark, Kafka") and a few-sentence summary."""
        n = c.n
        last = c.pos_offsets[1:] - 1
        cur_title = titles.take(pa.array(last)).to_pylist()
        cur_company = self.company_names.take(pa.array(c.pos_company[last])).to_pylist()
        employed = c.pos_end[last] == -1
        forms = self.skill_forms.to_pylist()
        top = _first_k(skill_offsets, np.where(hidden, -1, form), 3)
        extra = _first_k(skill_offsets, np.where(hidden, form, -1), 1)[:, 0]
        t1 = self.world.task_dist.sample(c.occ, rng)
        t2 = self.world.task_dist.sample(c.occ, rng)
        tasks = self.world.tasks
        titles_base = self.world.titles
        style = rng.integers(0, 4, n)
        no_summary = rng.random(n) < P_NO_SUMMARY
        heads, sums = [], []
        for i in range(n):
            title, company = cur_title[i], cur_company[i]
            sk = [forms[f] for f in top[i] if f >= 0]
            if not employed[i]:
                heads.append(f"{title} | Open to new opportunities" if style[i] % 2 else f"Former {title} at {company}")
            elif style[i] == 1 and len(sk) >= 2:
                heads.append(f"{title} at {company} | {sk[0]}, {sk[1]}")
            elif style[i] == 2 and sk:
                heads.append(" | ".join([title] + sk))
            else:
                heads.append(f"{title} at {company}" if style[i] != 3 else f"{title} @ {company}")
            if no_summary[i]:
                sums.append(None)
                continue
            lvl = c.level[i]
            who = title if lvl >= MANAGER else _ADJ[lvl] + titles_base[tid[last[i]]]
            y = int(years[i])
            text = f"{who} with {y} years of experience." if y >= 1 else f"{who} at the start of my career."
            a, b = tasks[t1[i]], tasks[t2[i]]
            text += " I " + a[0].lower() + a[1:]
            if b != a:
                text += " I also " + b[0].lower() + b[1:]
            if sk:
                text += " Skilled in " + (", ".join(sk[:-1]) + " and " + sk[-1] if len(sk) > 1 else sk[0]) + "."
            if extra[i] >= 0:
                text += f" Also hands-on with {forms[extra[i]]}."
            sums.append(text)
        return heads, sums

    # -- assembly -----------------------------------------------------------------------------
    def render(self, c: Careers, ids: list[str], years: np.ndarray, tenants: tuple[str, ...],
               rng: np.random.Generator) -> Rendered:
        titles, tid = self.titles(c, rng)
        skill_offsets, skill_ids = self.latent_skills(c, years, rng)
        skills, hidden, form = self.written_skills(skill_offsets, skill_ids, rng)
        desc = np.where(rng.random(len(c.pos_occ)) < P_DESCRIPTION, self.world.task_dist.sample(c.pos_occ, rng), -1)
        positions = pa.StructArray.from_arrays([
            self.company_ids.take(pa.array(c.pos_company)),
            self.company_names.take(pa.array(c.pos_company)),
            titles,
            pa.array(c.pos_start.astype(np.int32), type=pa.date32()),
            pa.array(c.pos_end.astype(np.int32), type=pa.date32(), mask=c.pos_end == -1),
            self.tasks.take(pa.array(desc, mask=desc < 0)),
        ], fields=list(POSITION))
        heads, sums = self.texts(c, titles, tid, years, skill_offsets, form, hidden, rng)
        owner = pa.array([tenants[t] if t >= 0 else None for t in c.tenant], type=pa.string())
        table = pa.Table.from_arrays([
            pa.array(ids, type=pa.string()),
            pa.array(heads, type=pa.string()),
            pa.array(sums, type=pa.string()),
            self.location.take(pa.array(c.place)),
            pa.ListArray.from_arrays(pa.array(c.pos_offsets.astype(np.int32)), positions),
            skills,
            education(self.world, c, rng),
            pa.array(c.open_to_work),
            pa.array(c.last_active.astype(np.int32), type=pa.date32()),
            owner,
        ], schema=PROFILE_SCHEMA)
        return Rendered(table=table, skill_offsets=skill_offsets, skill_ids=skill_ids)


def _first_k(offsets: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """(n, k) array of the first k values >= 0 in each CSR row, -1 padded."""
    n = len(offsets) - 1
    out = np.full((n, k), -1, dtype=np.int64)
    keep = np.flatnonzero(values >= 0)
    prof = np.repeat(np.arange(n), np.diff(offsets))[keep]
    first = np.searchsorted(prof, np.arange(n))
    rank = np.arange(len(keep)) - first[prof]
    sel = rank < k
    out[prof[sel], rank[sel]] = values[keep[sel]]
    return out
