"""How an indexed profile is laid out for retrieval: lexical fields and the dense text.

One place decides which profile parts feed which field, so the embedded engine, OpenSearch and
the encoder all see the same profile.
"""
from __future__ import annotations

from indexer.analysis import NAMES, STEMMED

# Lexical fields: name -> analyzer. A query scope searches one or more of them (``SCOPES``).
TEXT_FIELDS = {
    "title_current": STEMMED, "title_past": STEMMED, "headline": STEMMED, "summary": STEMMED,
    "occupation": STEMMED, "skill": NAMES, "company_current": NAMES, "company_past": NAMES, "school": NAMES, "location": NAMES,
}
# scope -> [(field, boost)]; ``None`` is an unscoped term: all fields, best field wins (dis_max)
SCOPES: dict[str | None, list[tuple[str, float]]] = {
    "title": [("title_current", 2.0), ("title_past", 1.0)],
    "company": [("company_current", 2.0), ("company_past", 1.0)],
    "skill": [("skill", 1.0)],
    "school": [("school", 1.0)],
    "location": [("location", 1.0)],
    "summary": [("summary", 1.0)],
    "headline": [("headline", 1.0)],
    # narrower scopes: the current role only, or earlier roles only
    "current_title": [("title_current", 1.0)],
    "past_title": [("title_past", 1.0)],
    "current_company": [("company_current", 1.0)],
    "past_company": [("company_past", 1.0)],
    None: [("title_current", 3.0), ("title_past", 1.0), ("occupation", 1.0), ("headline", 1.5), ("skill", 2.0), ("summary", 0.5),
           ("company_current", 1.0), ("company_past", 0.5), ("school", 0.5), ("location", 0.5)],
}
NARROW_SCOPES = {"current_title": "title", "past_title": "title", "current_company": "company", "past_company": "company"}
# a matched lexical field is reported under its broad scope ("title", "company"), whichever scope matched it
FIELD_TO_SCOPE = {field: scope for scope, pairs in SCOPES.items() if scope and scope not in NARROW_SCOPES
                  for field, _ in pairs}
FIELD_TO_SCOPE["occupation"] = "title"   # the O*NET title matched at ingest: reported as a title match


def lexical_fields(p: dict) -> dict[str, list[str]]:
    """Text values per lexical field for one indexed profile (dict in INDEXED_SCHEMA shape)."""
    positions = p.get("positions") or []
    current = [x for x in positions if x.get("end") is None]
    past = [x for x in positions if x.get("end") is not None]
    loc = p.get("location") or {}
    edu = p.get("education") or []
    skills = list(dict.fromkeys([*(p.get("skills") or []), *(p.get("skills_normalized") or [])]))
    return {
        "title_current": [x["title"] for x in current] or ([p["current_title"]] if p.get("current_title") and not current else []),
        "title_past": [x["title"] for x in past],
        "occupation": [p["occupation_title"]] if p.get("occupation_title") else [],
        "headline": [p.get("headline") or ""],
        "summary": [p.get("summary") or ""] + [x.get("description") or "" for x in positions],
        "skill": skills,
        "company_current": [x.get("company_name") or "" for x in current],
        "company_past": [x.get("company_name") or "" for x in past],
        "school": [e.get("school") or "" for e in edu],
        "location": [v for v in (loc.get("city"), loc.get("region"), loc.get("country")) if v],
    }


def dense_text(p: dict, *, max_chars: int = 700) -> str:
    """The text the encoder embeds: who the person is now, their skills, their path, their words."""
    parts = []
    if p.get("current_title"):
        at = f" at {p['current_company_name']}" if p.get("current_company_name") else ""
        parts.append(f"{p['current_title']}{at}.")
    if p.get("headline"):
        parts.append(p["headline"].strip().rstrip(".") + ".")
    skills = p.get("skills_normalized") or p.get("skills") or []
    if skills:
        parts.append("Skills: " + ", ".join(skills[:20]) + ".")
    past = [x["title"] for x in (p.get("positions") or []) if x.get("end") is not None]
    if past:
        parts.append("Previously: " + ", ".join(dict.fromkeys(past)) + ".")
    if p.get("summary"):
        parts.append(p["summary"].strip())
    return " ".join(parts)[:max_chars]
