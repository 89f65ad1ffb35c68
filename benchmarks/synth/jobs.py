"""Job descriptions written from the generator's ground truth, one per judged query.

For the query-generation benchmark (``benchmarks/querygen.py``): a hiring manager's job ad for
what each judged query's ``intent`` and ``filters`` ask for (title and level, skills, place and
radius, experience, companies to avoid or to source from), in plain English. It reads the files
``generate`` wrote and writes a new ``jobs.jsonl`` next to them (or to ``out``); the generator's
own outputs are not touched. A skill group with alternatives ("Spark or Airflow") names its
first skill as required and the others as nice to have; skills are written in their short form
("SQL", "Spark") the way ads write them. Deterministic: the wording is chosen from the query id.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from records.taxonomy import Taxonomy

LEVEL_WORD = {"intern": "Intern", "junior": "Junior", "senior": "Senior", "lead": "Lead"}
_OPENERS = ("We are hiring a {title} to join our team{place}.", "We are looking for a {title}{place}.",
            "Our client is seeking a {title}{place}.")


def _pick(qid: str, options: tuple[str, ...]) -> str:
    return options[int(hashlib.blake2b(qid.encode(), digest_size=2).hexdigest(), 16) % len(options)]


def _written(skill: str, tax: Taxonomy) -> str:
    forms = [a for a in tax.skill_aliases(skill) if len(a) >= 2] or [skill]
    return min(forms, key=len)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def job_description(query: dict, tax: Taxonomy | None = None) -> str:
    """The ad for one judged query record (as in queries.jsonl)."""
    tax = tax or Taxonomy.load()
    intent, filters, qid = query["intent"], query.get("filters") or {}, query["query_id"]
    title = intent["title"].strip()
    title = title[:1].upper() + title[1:]
    level = LEVEL_WORD.get(intent.get("seniority") or "")
    if level == "Intern":
        full = f"{title} Intern"
    else:
        full = f"{level} {title}" if level else title
    place = ""
    loc = intent.get("location") or ({"near": filters["near"], "radius_km": filters.get("radius_km")} if filters.get("near") else None)
    if loc and loc.get("near"):
        place = f" in {loc['near']} (within {int(loc.get('radius_km') or 50)} km)"
    elif intent.get("location_city"):
        place = f" in {intent['location_city']}"
    lines = [full, "", _pick(qid, _OPENERS).format(title=full, place=place)]
    must, nice = [], []
    for group in intent.get("skill_groups") or []:
        if group:
            must.append(_written(group[0], tax))
            nice += [_written(s, tax) for s in group[1:]]
    req = []
    if filters.get("min_years") is not None:
        req.append(f"At least {int(filters['min_years'])} years of experience.")
    if filters.get("max_years") is not None:
        req.append(f"No more than {int(filters['max_years'])} years of experience.")
    if must:
        req.append(f"Must have: {_and(must)}.")
    if req:
        lines += ["", "Requirements: " + " ".join(req)]
    if nice:
        lines += ["", f"Nice to have: {_and(nice)}."]
    extra = []
    for c in intent.get("exclude_companies") or []:
        extra.append(f"Candidates who have worked at {c} will not be considered.")
    for c in _names(filters.get("not_current_company")):
        extra.append(f"Only people not currently working at {c}.")
    for c in _names(filters.get("current_company")):
        extra.append(f"We want people currently working at {c}.")
    for c in _names(filters.get("past_company")):
        extra.append(f"Ideal candidates previously worked at {c}.")
    if filters.get("open_to_work"):
        extra.append("Candidates should be open to new opportunities.")
    if extra:
        lines += ["", " ".join(extra)]
    return "\n".join(lines).strip() + "\n"


def _names(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def write_jobs(corpus_dir: str | Path, out: str | Path | None = None) -> Path:
    """``jobs.jsonl`` (query_id, tenant_id, occupation_code, text) for every query in ``queries.jsonl``."""
    corpus_dir = Path(corpus_dir)
    out = Path(out) if out else corpus_dir / "jobs.jsonl"
    tax = Taxonomy.load()
    rows = []
    for line in (corpus_dir / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            rows.append({"query_id": q["query_id"], "tenant_id": q.get("tenant_id"), "kind": q.get("kind"),
                         "occupation_code": q["intent"]["occupation_code"], "text": job_description(q, tax)})
    tmp = out.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(out)
    return out


__all__ = ["job_description", "write_jobs"]
