"""Independent checks of a hit against the profile itself: the Boolean query and every filter.

Used by integration tests to prove that each hit satisfies each constraint, whichever retriever
returned it. The Boolean evaluator is written from the language's definition, not from the
engine's compiler.
"""
from __future__ import annotations

import datetime as dt
import math

from indexer.analysis import analyze
from indexer.documents import SCOPES, TEXT_FIELDS, lexical_fields
from query.lang import ast as qa
from query.lang.filters import Filters


def satisfies_query(node, profile: dict) -> bool:
    values = lexical_fields(profile)

    def leaf_matches(leaf) -> bool:
        for field, _ in SCOPES[leaf.field]:
            want = analyze(TEXT_FIELDS[field], leaf.text)
            if not want:
                continue
            for v in values.get(field, []):
                have = analyze(TEXT_FIELDS[field], v)
                if isinstance(leaf, qa.Prefix) and len(want) == 1:
                    if any(t.startswith(want[0]) for t in have):
                        return True
                elif isinstance(leaf, qa.Phrase) and leaf.slop:
                    if all(w in have for w in want):   # necessary condition only for sloppy phrases
                        return True
                elif any(have[i:i + len(want)] == want for i in range(len(have) - len(want) + 1)):
                    return True
        return False

    def ev(n) -> bool:
        if isinstance(n, qa.And):
            return all(ev(c) for c in n.children)
        if isinstance(n, qa.Or):
            return any(ev(c) for c in n.children)
        if isinstance(n, qa.Not):
            return not ev(n.child)
        return leaf_matches(n)

    return ev(node)


def satisfies_filters(f: Filters, p: dict, *, today: dt.date) -> bool:
    if p.get("owner_tenant") not in (None, f.tenant_id):
        return False
    loc = p.get("location") or {}
    if f.near is not None:
        if loc.get("lat") is None:
            return False
        if _km(f.near.lat, f.near.lon, loc["lat"], loc["lon"]) > f.near.radius_km + 1e-6:
            return False
    years = float(p["years_experience"])
    if f.min_years is not None and years < f.min_years - 1e-4:
        return False
    if f.max_years is not None and years > f.max_years + 1e-4:
        return False
    if f.seniority and p["seniority"] not in f.seniority:
        return False
    cur_id, cur_name = p.get("current_company_id"), p.get("current_company_name")
    if f.current_company and not _company_hit(f.current_company, cur_id, cur_name):
        return False
    if f.not_current_company and _company_hit(f.not_current_company, cur_id, cur_name):
        return False
    if f.past_company and not any(_company_hit(f.past_company, pos.get("company_id"), pos.get("company_name"))
                                  for pos in p.get("positions") or [] if pos.get("end") is not None):
        return False
    if f.open_to_work is not None and bool(p["open_to_work"]) != f.open_to_work:
        return False
    if f.active_within_days is not None:
        if p.get("last_active") is None or (today - p["last_active"]).days > f.active_within_days:
            return False
    return True


def _company_hit(values, company_id, company_name) -> bool:
    return company_id is not None and any(v == company_id or v.casefold() == (company_name or "").casefold() for v in values)


def _km(lat1, lon1, lat2, lon2) -> float:
    r = math.radians
    a = math.sin(r(lat2 - lat1) / 2) ** 2 + math.cos(r(lat1)) * math.cos(r(lat2)) * math.sin(r(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))
