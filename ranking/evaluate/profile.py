"""A profile's text fields by path, span search, and the check that evidence quotes the profile.

Field paths: ``headline``, ``summary``, ``skills[i]``, ``positions[i].title``, ``.company_name``,
``.description``, ``education[i].degree``, ``.field``, ``.school``, ``location.city``,
``location.country``. ``value_of(profile, path)`` returns the text; evidence is valid only when its
``text`` equals ``value_of(...)[start:end]``.
"""
from __future__ import annotations

import datetime as dt
import functools
import re

from ranking.evaluate.model import Evidence

_PATH = re.compile(r"^(\w+)(?:\[(\d+)\])?(?:\.(\w+))?$")
_SENTENCE = re.compile(r"[^.!?;|\n]+[.!?]?")


@functools.lru_cache(maxsize=8192)
def _parse(path: str) -> tuple[str, int | None, str | None] | None:
    m = _PATH.match(path)
    return (m.group(1), None if m.group(2) is None else int(m.group(2)), m.group(3)) if m else None


def value_of(profile: dict, path: str) -> str | None:
    parsed = _parse(path)
    if parsed is None:
        return None
    name, index, sub = parsed
    value = profile.get(name)
    if index is not None:
        if not isinstance(value, list) or index >= len(value):
            return None
        value = value[index]
    if sub is not None:
        value = value.get(sub) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def verified(profile: dict, ev: Evidence) -> bool:
    """True when the evidence span is exactly the profile's text at those offsets."""
    value = value_of(profile, ev.field)
    return bool(ev.text) and value is not None and 0 <= ev.start < ev.end <= len(value) \
        and value[ev.start:ev.end] == ev.text


def locate(profile: dict, path: str, quote: str) -> Evidence | None:
    """Evidence for ``quote`` found verbatim (then case-insensitively) in the field ``path``; None if absent."""
    value = value_of(profile, path)
    if not value or not quote:
        return None
    at = value.find(quote)
    if at < 0:
        at = value.casefold().find(quote.casefold())
        if at < 0 or len(value.casefold()) != len(value):
            return None
    return entry_evidence(profile, path, at, at + len(quote))


def text_fields(profile: dict, *, skills: bool = False) -> list[str]:
    """Paths of the free-text fields (headline, summary, position titles and descriptions)."""
    out = ["headline", "summary"]
    for i, _ in enumerate(profile.get("positions") or ()):
        out += [f"positions[{i}].title", f"positions[{i}].description"]
    if skills:
        out += [f"skills[{i}]" for i, _ in enumerate(profile.get("skills") or ())]
    return [p for p in out if value_of(profile, p)]


def entry_evidence(profile: dict, path: str, start: int, end: int, note: str = "") -> Evidence:
    """Evidence of ``value_of(profile, path)[start:end]`` with the position or education entry and its dates."""
    value = value_of(profile, path) or ""
    m = _PATH.match(path)
    entry, dates = None, None
    if m and m.group(2) is not None and m.group(1) in ("positions", "education"):
        entry = int(m.group(2))
        e = profile[m.group(1)][entry]
        if m.group(1) == "positions":
            dates = (_iso(e.get("start")), _iso(e.get("end")))
        else:
            dates = (_iso(e.get("start_year")), _iso(e.get("end_year")))
    return Evidence(path, value[start:end], start, end, entry, dates, note)


def whole(profile: dict, path: str, note: str = "") -> Evidence | None:
    value = value_of(profile, path)
    return entry_evidence(profile, path, 0, len(value), note) if value else None


def find_terms(profile: dict, pattern: re.Pattern, paths) -> list[Evidence]:
    """Every match of ``pattern`` in the given fields, as evidence (first match per field)."""
    out = []
    for path in paths:
        value = value_of(profile, path)
        m = pattern.search(value) if value else None
        if m:
            out.append(entry_evidence(profile, path, m.start(), m.end()))
    return out


@functools.lru_cache(maxsize=4096)
def term_pattern(terms: tuple[str, ...]) -> re.Pattern | None:
    """Case-insensitive whole-term alternation (longest first); ``+``/``#`` count as word characters."""
    terms = sorted({t.strip() for t in terms if t and len(t.strip()) >= 2}, key=len, reverse=True)
    if not terms:
        return None
    alt = "|".join(re.escape(t) for t in terms)
    return re.compile(rf"(?<![\w+#])(?:{alt})(?![\w+#])", re.IGNORECASE)


def sentences(profile: dict) -> list[tuple[str, int, int]]:
    """(path, start, end) of every sentence in the free-text fields."""
    out = []
    for path in text_fields(profile):
        value = value_of(profile, path)
        for m in _SENTENCE.finditer(value):
            s, e = m.start(), m.end()
            while s < e and value[s].isspace():
                s += 1
            while e > s and value[e - 1].isspace():
                e -= 1
            if e - s >= 3:
                out.append((path, s, e))
    return out


def current_position(profile: dict) -> int | None:
    positions = profile.get("positions") or []
    current = [i for i, p in enumerate(positions) if p.get("end") is None]
    if current:
        return max(current, key=lambda i: positions[i].get("start") or dt.date.min)
    return max(range(len(positions)), key=lambda i: positions[i].get("end") or dt.date.min) if positions else None


def merged_years(positions, indexes, today: dt.date) -> float:
    """Years covered by the union of the date spans of the positions at ``indexes``, up to ``today``."""
    spans = sorted((pos["start"], min(pos.get("end") or today, today)) for i, pos in enumerate(positions)
                   if i in set(indexes) and pos.get("start") is not None)
    total, cur_s, cur_e = 0.0, None, None
    for s, e in spans:
        if e < s:
            continue
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += (cur_e - cur_s).days
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += (cur_e - cur_s).days
    return total / 365.25


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


__all__ = [
    "current_position",
    "entry_evidence",
    "find_terms",
    "locate",
    "merged_years",
    "sentences",
    "term_pattern",
    "text_fields",
    "value_of",
    "verified",
    "whole",
]
