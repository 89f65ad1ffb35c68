"""Qualifications: the typed list a candidate is evaluated against (issue 19).

A qualification is one thing a recruiter approved for a role: a skill, a title/occupation, years
(overall or with one skill), a minimum seniority, a location within a radius, an education
(degree level and/or field), company or industry experience, a language, or free text. Each is a
must-have or a nice-to-have with a weight. They come from ``HiringRequirements`` (intake) or are
given directly as dicts; every one passes the responsible-AI guard, which strips protected ones
with a reason (``guard_qualifications``)::

    >>> quals = parse_qualifications([{"kind": "skill", "text": "spark"},
    ...                                {"kind": "years", "min_years": 5}])
    >>> [q.id for q in quals]
    ['q1', 'q2']
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace

from query.guard import GuardFinding, PolicyViolationError, default_guard
from records.errors import FilterError
from records.geo import resolve_place
from records.schema import SENIORITY_LEVELS

KINDS = ("skill", "occupation", "years", "seniority", "location", "education", "company", "industry",
         "language", "free_text")
DEGREE_LEVELS = ("high_school", "certificate", "associate", "bachelor", "master", "doctorate")
MAX_QUALIFICATIONS = 32
DEFAULT_RADIUS_KM = 50.0
_FIELDS = {"kind", "text", "must", "weight", "id", "skill", "min_years", "level", "radius_km", "degree", "field"}
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Qualification:
    kind: str                        # one of KINDS
    text: str = ""                   # the value as a recruiter reads it ("Apache Spark", "Berlin, DE", ...)
    must: bool = True                # must-have (True) or nice-to-have
    weight: float = 1.0              # > 0; relative weight in the overall score
    id: str = ""                     # "q1", ... unless given
    skill: str | None = None         # years: with this skill (None: overall experience)
    min_years: float | None = None   # years: at least this many
    level: str | None = None         # seniority: at least this SENIORITY_LEVELS entry
    radius_km: float | None = None   # location: within this distance of the place
    degree: str | None = None        # education: at least this DEGREE_LEVELS entry
    field: str | None = None         # education: field of study ("Computer Science")
    lat: float | None = None         # location: resolved place (WGS84 degrees)
    lon: float | None = None

    @property
    def label(self) -> str:
        if self.kind == "years":
            return f"{self.min_years:g}+ years" + (f" of {self.skill}" if self.skill else " of experience")
        if self.kind == "seniority":
            return f"seniority {self.level} or above"
        if self.kind == "location":
            return f"within {self.radius_km:g} km of {self.text}"
        if self.kind == "education":
            return " in ".join(p for p in (self.degree, self.field) if p)
        return self.text

    def to_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if v is not None}
        d["label"] = self.label
        return d


def parse_qualifications(items, *, where: str = "qualifications") -> tuple[Qualification, ...]:
    """Validate a list of dicts (or Qualification) into qualifications with ids; errors name the item and field."""
    if not isinstance(items, (list, tuple)) or not items:
        raise FilterError("give at least one qualification", field=where)
    if len(items) > MAX_QUALIFICATIONS:
        raise FilterError(f"at most {MAX_QUALIFICATIONS} qualifications, got {len(items)}", field=where)
    out = []
    for i, item in enumerate(items):
        q = item if isinstance(item, Qualification) else _from_dict(item, f"{where}[{i}]")
        out.append(_check(q, f"{where}[{i}]"))
    ids = [q.id or f"q{i + 1}" for i, q in enumerate(out)]
    dup = next((x for x in ids if ids.count(x) > 1), None)
    if dup:
        raise FilterError(f"id {dup!r} is used twice", field=where)
    return tuple(replace(q, id=x) for q, x in zip(out, ids))


def _from_dict(item, at: str) -> Qualification:
    if not isinstance(item, dict):
        raise FilterError("must be an object with a 'kind'", field=at)
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        raise FilterError(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(_FIELDS))})", field=at)
    kind = item.get("kind")
    if kind not in KINDS:
        raise FilterError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})", field=f"{at}.kind")
    values = {k: v for k, v in item.items() if v is not None}
    for name in ("text", "skill", "level", "degree", "field", "id"):
        if name in values and not isinstance(values[name], str):
            raise FilterError("must be a string", field=f"{at}.{name}")
    for name in ("weight", "min_years", "radius_km"):
        if name in values and (isinstance(values[name], bool) or not isinstance(values[name], (int, float))):
            raise FilterError("must be a number", field=f"{at}.{name}")
    if "must" in values and not isinstance(values["must"], bool):
        raise FilterError("must be true or false", field=f"{at}.must")
    return Qualification(**values)


def _check(q: Qualification, at: str) -> Qualification:
    if q.kind not in KINDS:
        raise FilterError(f"unknown kind {q.kind!r} (one of {', '.join(KINDS)})", field=f"{at}.kind")
    if not (0 < q.weight <= 100):
        raise FilterError(f"must be in (0, 100], got {q.weight}", field=f"{at}.weight")
    if q.id and not _ID.match(q.id):
        raise FilterError("letters, digits, '_', '.', '-' (at most 64)", field=f"{at}.id")
    text = (q.text or "").strip()
    if q.kind == "years":
        if q.min_years is None or not (0 <= q.min_years <= 60):
            raise FilterError("years needs min_years between 0 and 60", field=f"{at}.min_years")
        return replace(q, text=text or q.label)
    if q.kind == "seniority":
        level = (q.level or text).strip().lower()
        if level not in SENIORITY_LEVELS:
            raise FilterError(f"unknown level {level!r} (one of {', '.join(SENIORITY_LEVELS)})", field=f"{at}.level")
        return replace(q, level=level, text=text or level)
    if q.kind == "education":
        degree = (q.degree or "").strip().lower().replace(" ", "_") or None
        if degree is not None and degree not in DEGREE_LEVELS:
            raise FilterError(f"unknown degree {degree!r} (one of {', '.join(DEGREE_LEVELS)})", field=f"{at}.degree")
        if degree is None and not (q.field or "").strip():
            raise FilterError("education needs a degree, a field, or both", field=at)
        q = replace(q, degree=degree, field=(q.field or "").strip() or None)
        return replace(q, text=text or q.label)
    if not text:
        raise FilterError(f"a {q.kind} qualification needs a non-empty text", field=f"{at}.text")
    if len(text) > 500:
        raise FilterError("at most 500 characters", field=f"{at}.text")
    if q.kind == "location":
        radius = DEFAULT_RADIUS_KM if q.radius_km is None else q.radius_km
        if not (0 < radius <= 20_000):
            raise FilterError(f"must be in (0, 20000] km, got {radius}", field=f"{at}.radius_km")
        place = resolve_place(text, field=f"{at}.text")
        return replace(q, text=text, radius_km=float(radius), lat=place.lat, lon=place.lon)
    return replace(q, text=text)


def from_requirements(req, *, taxonomy=None) -> tuple[Qualification, ...]:
    """``HiringRequirements`` (query.intake) -> qualifications: titles, seniority, location, years, skills
    (must/nice), years with a skill, competencies as free text, companies as nice-to-haves."""
    kinds = dict(req.skill_kinds)
    out: list[dict] = []
    if req.titles:
        out.append({"kind": "occupation", "text": req.occupation_title or req.titles[0]})
    if req.seniority:
        levels = [s for s in req.seniority if s in SENIORITY_LEVELS]
        if levels:
            out.append({"kind": "seniority", "level": min(levels, key=SENIORITY_LEVELS.index)})
    if req.locations:
        loc = req.locations[0]
        out.append({"kind": "location", "text": loc.name, "radius_km": loc.radius_km})
    if req.min_years is not None:
        out.append({"kind": "years", "min_years": float(req.min_years)})
    for skill, years in req.skill_years:
        out.append({"kind": "years", "skill": skill, "min_years": float(years)})
    for must, names in ((True, req.must_have), (False, req.nice_to_have)):
        for name in names:
            kind = "language" if kinds.get(name) == "language" else "skill"
            out.append({"kind": kind, "text": name, "must": must, "weight": 1.0 if must else 0.5})
    for comp in req.competencies:
        out.append({"kind": "free_text", "text": comp, "must": False, "weight": 0.5})
    for company in (*req.current_company, *req.past_company):
        out.append({"kind": "company", "text": company, "must": False, "weight": 0.5})
    return parse_qualifications(out[:MAX_QUALIFICATIONS], where="requirements")


def guard_qualifications(quals, *, where: str = "qualifications", guard=None
                         ) -> tuple[tuple[Qualification, ...], list[GuardFinding]]:
    """Every qualification through the responsible-AI guard: protected ones are stripped (a finding each,
    with the reason); a text that keeps a legitimate part is kept cleaned. Raises ``PolicyViolationError``
    when nothing legitimate is left."""
    guard = guard or default_guard()
    kept, findings = [], []
    for i, q in enumerate(quals):
        at = f"{where}[{i}]"
        texts = {"text": q.text} if q.kind not in ("years", "seniority", "education", "location") else {}
        if q.kind == "years" and q.skill:
            texts = {"skill": q.skill}
        if q.kind == "education" and q.field:
            texts = {"field": q.field}
        update, dropped = {}, False
        for name, value in texts.items():
            kind = "company" if q.kind == "company" else "text"
            clean, found = guard.values([value], where=f"{at}.{name}", kind=kind)
            findings.extend(replace(f, where=f"{at}.{name}") for f in found)
            if not clean:
                dropped = True
            elif clean[0] != value:
                update[name] = clean[0]
        if not dropped:
            kept.append(replace(q, **update))
    if not kept:
        raise PolicyViolationError("every qualification names a protected attribute; nothing is left to evaluate",
                                   findings)
    return tuple(kept), findings


__all__ = [
    "DEGREE_LEVELS",
    "KINDS",
    "MAX_QUALIFICATIONS",
    "Qualification",
    "from_requirements",
    "guard_qualifications",
    "parse_qualifications",
]
