"""Query wording: the recruiter Boolean language and natural-language requests.

Boolean: uppercase AND / OR / NOT, "phrases", parentheses, field scopes (title:, skill:, company:,
location:) and ``-term``. Every skill term is written so that ``Taxonomy.normalize_skill`` maps it
back to the intended canonical skill; every title is an alias the taxonomy maps back to the target.
"""
from __future__ import annotations

import numpy as np

from benchmarks.synth.careers import INTERN, JUNIOR, LEAD, SENIOR

SEN_WORDS = {JUNIOR: ("junior", "jr"), SENIOR: ("senior", "sr"), LEAD: ("lead", "principal", "staff"),
             INTERN: ("intern", "trainee")}


def skill_term(maker, skill: int, *, boolean: bool) -> str:
    """A spelling of the skill: short form ("Spark") or canonical; Boolean terms are lower case and
    quoted when they hold a space."""
    tax, name = maker.tax, maker.w.skill_names[skill]
    rng = maker.rng
    short = maker.forms[skill * 3 + 1]
    text = short if rng.random() < 0.75 else name
    if tax.normalize_skill(text) != name:
        text = name
    if boolean:
        low = text.lower()
        text = low if tax.normalize_skill(low) == name else text
        if " " in text or any(ch in text for ch in '():"'):
            text = f'"{text}"'
    return text


def boolean_text(maker, spec) -> str:
    rng = maker.rng
    titles = maker.titles(spec.occ)
    n_titles = min(len(titles), int(rng.choice([1, 1, 2, 3])))
    picked = [titles[0]] + ([titles[j] for j in rng.permutation(np.arange(1, len(titles)))[:n_titles - 1]]
                            if n_titles > 1 else [])
    lower = rng.random() < 0.5
    quoted = [f'"{t.lower() if lower else t}"' for t in picked]
    spec.title = picked[0]
    parts = [f"title:{quoted[0]}" if len(quoted) == 1 else f"title:({' OR '.join(quoted)})"]
    if spec.level is not None:
        words = SEN_WORDS[spec.level]
        parts.append(f"title:({' OR '.join(words)})" if len(words) > 1 else f"title:{words[0]}")
    for group in spec.groups:
        terms = [skill_term(maker, s, boolean=True) for s in group]
        scoped = rng.random() < 0.7
        if len(terms) == 1:
            parts.append(f"skill:{terms[0]}" if scoped else terms[0])
        else:
            inner = " OR ".join(terms)
            parts.append(f"skill:({inner})" if scoped else f"({inner})")
    if spec.location_city:
        parts.append(f'location:"{spec.location_city}"')
    text = " AND ".join(parts)
    for company in spec.exclude:
        name = maker.c.names[company].lower()
        name = f'"{name}"' if " " in name else name
        text += f" NOT company:{name}" if rng.random() < 0.6 else f" -company:{name}"
    return text


def natural_text(maker, spec) -> str:
    rng = maker.rng
    title = maker.titles(spec.occ)[0 if rng.random() < 0.7 else rng.integers(len(maker.titles(spec.occ)))]
    spec.title = title
    t = title.lower() if rng.random() < 0.6 else title
    if spec.level is None:
        who = t
    elif spec.level == INTERN:
        who = f"{t} intern"
    else:
        who = f"{SEN_WORDS[spec.level][0]} {t}"
    skills = []
    for group in spec.groups:
        terms = [skill_term(maker, s, boolean=False) for s in group]
        skills.append(" or ".join(terms))
    skill_text = skills[0] if len(skills) == 1 else ", ".join(skills[:-1]) + " and " + skills[-1] if skills else ""
    f = spec.filters
    loc = ""
    if "near" in f:
        city = f["near"].split(",")[0]
        loc = [f" in {city}", f" near {city}", f" based in {city}", f" within {f['radius_km']} km of {city}"][rng.integers(4)]
    extra = ""
    if "min_years" in f and "max_years" in f:
        extra += f" with {f['min_years']}-{f['max_years']} years of experience"
    elif "min_years" in f:
        extra += [f" with {f['min_years']}+ years of experience", f" ({f['min_years']}+ years)"][rng.integers(2)]
    elif "max_years" in f:
        extra += f" with at most {f['max_years']} years of experience"
    if f.get("open_to_work"):
        extra += [" who is open to work", ", open to new roles"][rng.integers(2)]
    if "current_company" in f:
        extra += f" currently at {f['current_company']}"
    if "not_current_company" in f:
        extra += [f" not currently at {f['not_current_company']}", f" (not at {f['not_current_company']})"][rng.integers(2)]
    if "past_company" in f:
        extra += [f" who used to work at {f['past_company']}", f", ex-{f['past_company']}"][rng.integers(2)]
    a = "an" if who[:1].lower() in "aeiou" else "a"
    if skill_text:
        template = rng.integers(4)
        text = (f"{who} with {skill_text} experience{loc}{extra}", f"Looking for {a} {who} who knows {skill_text}{loc}{extra}",
                f"{who}{loc}, skilled in {skill_text}{extra}", f"Need {a} {who} ({skill_text}){loc}{extra}")[template]
    else:
        text = (f"{who}{loc}{extra}", f"Looking for {a} {who}{loc}{extra}")[rng.integers(2)]
    return text[0].upper() + text[1:] if rng.random() < 0.5 else text
