"""The offline evaluator: each qualification kind judged from the structured profile, with evidence.

Inputs per candidate are the indexed profile (``indexer.store`` record: raw fields plus the derived
``skills_normalized``, ``occupation_code``, ``seniority_level``, ``years_experience``). Skills are
normalised with the taxonomy and a related skill (co-listed by O*NET occupations) is ``partly``;
years with a skill are the merged spans of the positions that name it; distance is great-circle
from the profile's coordinates. Free text goes to ``freetext.FreeTextJudge`` (MiniLM similarity).
"""
from __future__ import annotations

import datetime as dt
import re

from query.llm.expand import TaxonomyExpander
from query.qualifications import DEGREE_LEVELS, Qualification
from ranking.evaluate import profile as pf
from ranking.evaluate.freetext import FreeTextJudge
from ranking.evaluate.model import Evidence, Judgement
from ranking.evaluate.titles import TitleCodes
from records.geo import haversine_km
from records.schema import SENIORITY_LEVELS
from records.taxonomy import Taxonomy, normalize_title

NAME = "offline/1"
_DEGREES = [  # (pattern, DEGREE_LEVELS index); the first that matches a degree text wins
    (re.compile(r"\b(ph\.?\s?d|doctor of philosophy|doctorate|d\.?phil)\b", re.IGNORECASE), 5),
    (re.compile(r"\b(doctor|juris|m\.?d\b|pharm\.?d|professional degree)", re.IGNORECASE), 5),
    (re.compile(r"\b(master|m\.?sc|m\.?s\b|m\.?a\b|mba|m\.?tech|m\.?eng|meng|llm)", re.IGNORECASE), 4),
    (re.compile(r"\b(bachelor|b\.?sc|b\.?s\b|b\.?a\b|b\.?tech|b\.?eng|beng|llb|undergraduate)", re.IGNORECASE), 3),
    (re.compile(r"\bassociate", re.IGNORECASE), 2),
    (re.compile(r"\b(certificate|diploma of|vocational)", re.IGNORECASE), 1),
    (re.compile(r"\b(high school|secondary|ged|abitur)", re.IGNORECASE), 0),
]


def degree_level(text: str | None) -> int | None:
    """DEGREE_LEVELS index of a degree as written ("MSc" -> 4), None when unknown."""
    for rx, level in _DEGREES:
        if text and rx.search(text):
            return level
    return None


class OfflineEvaluator:
    name = NAME

    def __init__(self, taxonomy: Taxonomy | None = None, *, freetext: FreeTextJudge | None = None,
                 today: dt.date | None = None, related_k: int = 10, company_industries: dict[str, str] | None = None):
        self.taxonomy = taxonomy or Taxonomy.load()
        self.titles = TitleCodes(self.taxonomy)
        self.company_industries = company_industries or {}      # company_id -> industry (a company directory)
        self.expander = TaxonomyExpander(self.taxonomy)
        self.freetext = freetext
        self.today = today or dt.date.today()
        self.related_k = related_k
        self._related: dict[str, tuple[tuple[str, str], ...]] = {}     # skill -> ((related, reason), ...)
        self._canonical: dict[str, str] = {}                           # raw skill -> canonical (or itself)
        self._judges = {"skill": self._skill, "occupation": self._occupation, "years": self._years,
                        "seniority": self._seniority, "location": self._location, "education": self._education,
                        "company": self._company, "industry": self._industry, "language": self._language,
                        "free_text": self._free_text}

    def evaluate(self, profiles: list[dict], quals, *, notes: list | None = None) -> list[list[Judgement]]:
        """Judgements per profile, one per qualification in order (``notes``: nothing to add offline)."""
        free = [q for q in quals if q.kind == "free_text"]
        sims = self.freetext.judge_many(profiles, free) if free and self.freetext is not None else {}
        out = []
        for i, p in enumerate(profiles):
            row = []
            for q in quals:
                row.append(sims[i, q.id] if q.kind == "free_text" and (i, q.id) in sims else self._judges[q.kind](p, q))
            out.append(row)
        return out

    # ---------------------------------------------------------------------------------------- skills
    def _canon(self, raw: str) -> str:
        out = self._canonical.get(raw)
        if out is None:
            if len(self._canonical) > 200_000:
                self._canonical.clear()
            out = self._canonical[raw] = self.taxonomy.normalize_skill(raw) or raw
        return out

    def _related_skills(self, skill: str) -> tuple[tuple[str, str], ...]:
        out = self._related.get(skill)
        if out is None:
            if len(self._related) > 50_000:
                self._related.clear()
            out = self._related[skill] = tuple((r.value, r.reason) for r in
                                               self.expander.related_skills(skill, k=self.related_k))
        return out

    def _skill_terms(self, name: str) -> tuple[str, tuple[str, ...]]:
        canonical = self.taxonomy.normalize_skill(name) or name
        aliases = self.taxonomy.skill_aliases(canonical) if canonical != name or self.taxonomy.normalize_skill(name) else ()
        return canonical, tuple({canonical, name, *aliases})

    def _skill_evidence(self, p: dict, name: str) -> list[Evidence]:
        canonical, terms = self._skill_terms(name)
        out = []
        for i, raw in enumerate(p.get("skills") or ()):
            if raw and self._canon(raw).casefold() == canonical.casefold():
                out.append(pf.whole(p, f"skills[{i}]", "listed skill"))
        rx = pf.term_pattern(terms)
        if rx is not None:
            out += pf.find_terms(p, rx, pf.text_fields(p))
        return [e for e in out if e is not None]

    def _skill(self, p: dict, q: Qualification) -> Judgement:
        found = self._skill_evidence(p, q.text)
        if found:
            return Judgement(q.id, "meets", 0.95 if any(e.field.startswith("skills[") for e in found) else 0.85,
                             tuple(found[:3]), "named in the profile")
        have = {s.casefold(): s for s in p.get("skills_normalized") or ()}
        for value, reason in self._related_skills(q.text):
            if value.casefold() in have:
                ev = self._skill_evidence(p, value)[:1]
                if ev:
                    return Judgement(q.id, "partly", 0.5, tuple(ev), f"related skill {value} ({reason})")
        return Judgement(q.id, "no_evidence", 0.7, (), "not named in the profile")

    def _language(self, p: dict, q: Qualification) -> Judgement:
        word = re.sub(r"(?i)\b(fluent|business|native|professional|working|proficiency|in|level|c1|c2|b2)\b", "", q.text)
        rx = pf.term_pattern((word.strip() or q.text,))
        found = pf.find_terms(p, rx, pf.text_fields(p, skills=True)) if rx is not None else []
        if found:
            return Judgement(q.id, "meets", 0.8, tuple(found[:2]), "language named in the profile")
        return Judgement(q.id, "no_evidence", 0.6, (), "language not named in the profile")

    def _industry(self, p: dict, q: Qualification) -> Judgement:
        """From the company directory when one is given (company_id -> industry), else the words in the profile."""
        want = q.text.casefold().strip()
        hits = []
        for i, pos in enumerate(p.get("positions") or []):
            ind = self.company_industries.get(pos.get("company_id") or "")
            if ind and (ind.casefold() == want or re.search(rf"(?<!\w){re.escape(want)}(?!\w)", ind.casefold())):
                hits.append((i, ind))
        if hits:
            ev = tuple(e for i, ind in hits[-2:] if (e := pf.whole(p, f"positions[{i}].company_name", f"industry: {ind}")))
            if ev:
                return Judgement(q.id, "meets", 0.85, ev, f"worked at a company in {hits[-1][1]}")
        return self._mention(p, q)

    def _mention(self, p: dict, q: Qualification) -> Judgement:
        rx = pf.term_pattern((q.text,))
        paths = pf.text_fields(p) + [f"positions[{i}].company_name" for i, _ in enumerate(p.get("positions") or ())]
        found = pf.find_terms(p, rx, [x for x in paths if pf.value_of(p, x)]) if rx is not None else []
        if found:
            return Judgement(q.id, "meets", 0.7, tuple(found[:2]), f"{q.kind} named in the profile")
        return Judgement(q.id, "no_evidence", 0.5, (), f"{q.kind} not named in the profile")

    # ---------------------------------------------------------------------------------------- work
    def _occupation(self, p: dict, q: Qualification) -> Judgement:
        m = self.taxonomy.match_title(q.text)
        positions = p.get("positions") or []
        cur = pf.current_position(p)
        if m is None:
            want = normalize_title(q.text)
            hits = [i for i, pos in enumerate(positions) if want and want in normalize_title(pos.get("title") or "")]
            if hits:
                verdict = "meets" if cur in hits else "partly"
                return Judgement(q.id, verdict, 0.6, (pf.whole(p, f"positions[{hits[-1]}].title"),), "title as written")
            return Judgement(q.id, "no_evidence", 0.5, (), "title not found and not in the taxonomy")
        named = {i: self.titles.codes(pos.get("title")) for i, pos in enumerate(positions)}   # every code a title names
        codes = {}
        for i, pos in enumerate(positions):
            t = self.taxonomy.match_title(pos.get("title") or "")
            codes[i] = t.code if t else None
        if cur is not None and (p.get("occupation_code") == m.code or m.code in named[cur]):
            return Judgement(q.id, "meets", 0.9, (pf.whole(p, f"positions[{cur}].title", m.title),),
                             f"current title is {m.title} ({m.code})")
        past = [i for i, c in named.items() if m.code in c]
        if past:
            return Judgement(q.id, "partly", 0.7, (pf.whole(p, f"positions[{past[-1]}].title", "earlier role"),),
                             f"held {m.title} earlier, not now")
        related = {c for c, tier in self.taxonomy.related(m.code) if tier == "Primary-Short"}
        if cur is not None and codes.get(cur) in related:
            return Judgement(q.id, "partly", 0.4, (pf.whole(p, f"positions[{cur}].title", "related occupation"),),
                             f"current title is an occupation related to {m.title}")
        return Judgement(q.id, "no_evidence", 0.6, (), f"no title matching {m.title}")

    def _years(self, p: dict, q: Qualification) -> Judgement:
        positions = p.get("positions") or []
        if q.skill is None:
            years = p.get("years_experience")
            if years is None:
                years = pf.merged_years(positions, range(len(positions)), self.today)
            ev = _span_evidence(p, range(len(positions)), f"{years:.1f} years in all")
            if not positions:
                return Judgement(q.id, "no_evidence", 0.6, (), "no positions")
            verdict = "meets" if years >= q.min_years else "contradicts"
            return Judgement(q.id, verdict, 0.9, ev, f"{years:.1f} years of experience (merged position dates)")
        canonical, terms = self._skill_terms(q.skill)
        rx = pf.term_pattern(terms)
        with_skill = [i for i in range(len(positions)) if rx is not None and any(
            rx.search(pf.value_of(p, f"positions[{i}].{f}") or "") for f in ("title", "description"))]
        listed = self._skill_evidence(p, q.skill)
        if listed:      # the profile names the skill: positions whose occupation (best title match) lists it count too
            with_skill = sorted(set(with_skill) | {i for i, pos in enumerate(positions) if (
                m := self.taxonomy.match_title(pos.get("title") or "")) and self.titles.lists_skill(m.code, canonical)})
        if with_skill:
            years = pf.merged_years(positions, with_skill, self.today)
            ev = tuple(e for i in with_skill[:3] for e in ((pf.find_terms(
                p, rx, [f"positions[{i}].title", f"positions[{i}].description"]) if rx is not None else [])
                or [pf.whole(p, f"positions[{i}].title", f"an occupation using {canonical}")])[:1] if e)
            ev = ev + tuple(listed[:1])
            if years >= q.min_years:
                return Judgement(q.id, "meets", 0.85, ev, f"{years:.1f} years in positions naming or using {canonical}")
        if listed:
            total = p.get("years_experience") or pf.merged_years(positions, range(len(positions)), self.today)
            if with_skill and total >= q.min_years:
                return Judgement(q.id, "partly", 0.6, ev, f"only {years:.1f} years in positions naming or using {canonical}")
            if total < q.min_years:
                return Judgement(q.id, "contradicts", 0.8, tuple(listed[:1]),
                                 f"{total:.1f} years of experience in all, fewer than {q.min_years:g}")
            return Judgement(q.id, "partly", 0.5, tuple(listed[:1]), f"{canonical} named, but no dated position names it")
        return Judgement(q.id, "no_evidence", 0.7, (), f"{canonical} not named in the profile")

    def _seniority(self, p: dict, q: Qualification) -> Judgement:
        level = p.get("seniority_level")
        cur = pf.current_position(p)
        if level is None or cur is None:
            return Judgement(q.id, "no_evidence", 0.5, (), "seniority unknown")
        want = SENIORITY_LEVELS.index(q.level)
        ev = (pf.whole(p, f"positions[{cur}].title", SENIORITY_LEVELS[level]),)
        verdict = "meets" if level >= want else "partly" if level == want - 1 else "contradicts"
        return Judgement(q.id, verdict, 0.8, ev, f"seniority {SENIORITY_LEVELS[level]} from the current title and years")

    # ---------------------------------------------------------------------------------------- place, school
    def _location(self, p: dict, q: Qualification) -> Judgement:
        loc = p.get("location") or {}
        if loc.get("lat") is None or loc.get("lon") is None:
            return Judgement(q.id, "no_evidence", 0.6, (), "no location on the profile")
        km = float(haversine_km(q.lat, q.lon, loc["lat"], loc["lon"]))
        ev = tuple(e for e in (pf.whole(p, "location.city", f"{km:.0f} km away"),) if e is not None)
        verdict = "meets" if km <= q.radius_km else "contradicts"
        return Judgement(q.id, verdict, 0.95 if ev else 0.8, ev, f"{km:.0f} km from {q.text}")

    def _education(self, p: dict, q: Qualification) -> Judgement:
        entries = p.get("education") or []
        if not entries:
            return Judgement(q.id, "no_evidence", 0.6, (), "no education listed")
        want = DEGREE_LEVELS.index(q.degree) if q.degree else None
        field_rx = pf.term_pattern((q.field,)) if q.field else None
        best, best_key = None, (-1, -1)
        for i, e in enumerate(entries):
            level = degree_level(e.get("degree"))
            level_ok = want is None or (level is not None and level >= want)
            field_ok = field_rx is None or bool(field_rx.search(e.get("field") or "") or field_rx.search(e.get("degree") or ""))
            key = (int(level_ok) + int(field_ok), level if level is not None else -1)
            if key > best_key:
                best, best_key = (i, level, level_ok, field_ok), key
        i, level, level_ok, field_ok = best
        ev = tuple(x for x in (pf.whole(p, f"education[{i}].degree"), pf.whole(p, f"education[{i}].field")) if x)
        if level_ok and field_ok:
            return Judgement(q.id, "meets", 0.9, ev, "degree and field match")
        known = [degree_level(e.get("degree")) for e in entries]
        if want is not None and not level_ok and all(k is not None for k in known):
            return Judgement(q.id, "contradicts", 0.7, ev, f"highest degree listed is below {q.degree}")
        return Judgement(q.id, "partly" if (level_ok or field_ok) else "no_evidence", 0.5, ev,
                         "field differs" if level_ok else "degree level unclear or lower")

    def _company(self, p: dict, q: Qualification) -> Judgement:
        want = q.text.casefold().strip()
        for i, pos in enumerate(p.get("positions") or []):
            name = (pos.get("company_name") or "").casefold()
            if name and (name == want or re.search(rf"(?<!\w){re.escape(want)}(?!\w)", name)):
                cur = pos.get("end") is None
                return Judgement(q.id, "meets", 0.9, (pf.whole(p, f"positions[{i}].company_name",
                                                                "current" if cur else "past"),),
                                 f"{'works' if cur else 'worked'} at {pos.get('company_name')}")
        return self._mention(p, q)

    def _free_text(self, p: dict, q: Qualification) -> Judgement:
        rx = pf.term_pattern((q.text,))
        found = pf.find_terms(p, rx, pf.text_fields(p)) if rx is not None else []
        if found:
            return Judgement(q.id, "meets", 0.9, tuple(found[:1]), "stated verbatim")
        return Judgement(q.id, "no_evidence", 0.3, (), "no encoder configured for free-text similarity")


def _span_evidence(p: dict, indexes, note: str) -> tuple[Evidence, ...]:
    """The earliest and the current position titles (their dates bound the experience)."""
    positions = p.get("positions") or []
    dated = [i for i in indexes if positions[i].get("start") is not None]
    if not dated:
        return ()
    first = min(dated, key=lambda i: positions[i]["start"])
    cur = pf.current_position(p)
    picks = [first] + ([cur] if cur is not None and cur != first else [])
    return tuple(e for i in picks if (e := pf.whole(p, f"positions[{i}].title", note)) is not None)


__all__ = ["NAME", "OfflineEvaluator", "degree_level"]
