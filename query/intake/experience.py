"""Years of experience a posting asks for: overall and per skill, required or preferred.

Reads numerals and words ("three", "three (3)", "5+", "4 years’", "at least two years of",
"3-5 years", "6 months", "a minimum of 2 yrs"), job-board lines ("Salesforce: 2 years (Required)")
and tells required from preferred ("2 years preferred", "ideally 3+ years"). Numbers about the
company ("for over 50 years we have..."), ages and durations of anything else are not experience.

``read_years(required_text, preferred_text)`` returns ``YearsRequirement``: ``min_years`` overall
(the general statement; when only per-skill or per-role years are stated, the largest of them),
``max_years`` from a range or "no more than", and ``per_skill`` as (phrase, years) pairs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "a": 1, "an": 1, "one-half": 0.5}
_NUM = (r"(?:\d{1,2}(?:\.\d)?|\(\d{1,2}\)|" + "|".join(k for k in WORD_NUMBERS if k not in ("a", "an"))
        + r")(?:\s*\(\d{1,2}\))?")
_UNIT = r"(?P<unit>years?|yrs?|yr)(?:['’`]s?|\(s\))?|(?P<month>months?)"
_YEARS = re.compile(
    r"(?P<pre>\b(?:at least|minimum(?: of)?|a minimum of|min\.?|over|more than|no less than|in excess of|"
    r"no more than|at most|up to|maximum(?: of)?|less than)\s+)?"
    r"(?:\b|(?=\()|(?<=[a-z])(?=\d))(?P<lo>" + _NUM + r")(?:\s*(?:-|–|to|or)\s*(?P<hi>" + _NUM + r"))?\s*(?P<plus>\+|plus\b|or more\b)?\s*"
    r"(?:\+\s*)?(?:" + _UNIT + r")\b(?P<post>\s*(?:\+|plus\b|or more\b|minimum\b|min\b))?",
    re.IGNORECASE)
_A_YEAR = re.compile(r"\b(?:a|one)\s+(?:full\s+)?year\s+of\b", re.IGNORECASE)
_EXPERIENCE_CUE = re.compile(
    r"\bexperience\b|\bexp\b|\bexperienced\b|\bbackground\b|\bworking (?:in|with|as)\b|\bwork(?:ed|ing)?\b|"
    r"\bsimilar (?:role|position)\b|\bin the (?:field|industry)\b|\bas an?\b|\bhands[- ]on\b|\bproven\b|\bpractice\b|"
    r"\bprofessional\b|\brelated\b|\bprior\b|\brequired\b|\bminimum\b|\bcareer\b|\bin (?:a|an)\b|\bof\b", re.IGNORECASE)
_NOT_EXPERIENCE = re.compile(
    r"\b(?:years? old|years? of age|age\b|in business|founded|since \d{4}|anniversary|history|warranty|"
    r"(?:contract|lease) term|commitment|vesting|we(?:'ve| have)|our (?:company|team|firm|clients)|for over|"
    r"serving|served|established|old|legacy|heritage|tradition|track record|period of|duration of)\b", re.IGNORECASE)
# "4 years of education above high school", "one year of full-time academic study": schooling, not experience
_SCHOOLING = re.compile(r"\b(?:education|study|studies|college|university|school(?:ing)?|coursework|degree)\b",
                        re.IGNORECASE)
_DEGREE_AFTER = re.compile(r"[\s-]*(?:(?:college|university|bachelor'?s?|associate'?s?|technical)\s+)?"
                           r"(?:degree|college|university|program|diploma)\b|"
                           r"[\s-]*(?:contract|assignment|engagement|internship|fellowship|commitment)\b", re.IGNORECASE)
# "PREFERREDA working knowledge", "PreferredExperience": a heading or a line glued to the next one
_PREFERRED = re.compile(r"\b(?:preferred(?-i:(?=[A-Z]))|(?:preferred|prefer|a plus|plus\b(?!\s+years)|desired|desirable|ideally|"
                        r"ideal|nice to have|bonus|helpful|advantageous|welcome|would be great|strongly considered)\b)",
                        re.IGNORECASE)
_FILLER = re.compile(r"\b(?:is|are|be|would|will|strongly|highly|very|also|but not required|not required)\b|\W+", re.IGNORECASE)
# "preferably in hospitality" after the years names the kind of experience wanted, not an optional requirement
_PREFERABLY_IN = re.compile(r"\bpreferabl[ye]\s+(?:in|with|at|as|within|from|for|working|on)\b", re.IGNORECASE)
# "credential within 1 year", "within three years of hire": a deadline, not experience
_DEADLINE_BEFORE = re.compile(r"\bwithin(?: the first)?\s*$", re.IGNORECASE)
_DEADLINE_AFTER = re.compile(r"^\s*(?:of|from|after)\s+(?:the\s+)?(?:date\s+of\s+)?(?:hire|hiring|start|employment|appointment)\b",
                             re.IGNORECASE)
# "(preferred)" closing a list ("2+ years in customer service, management or sales (preferred)") tags all of it
_PREFERRED_TAG = re.compile(r"\((?:strongly |highly )?(?:preferred|desired|a plus|preferable)\)", re.IGNORECASE)
# "a Master's degree can be substituted for one year of experience": years it stands for, not years asked
_SUBSTITUTE = re.compile(r"\b(?:substitut\w*|in lieu of|equivalent to|count(?:s|ed)? (?:as|toward))\s+(?:for\s+)?$",
                         re.IGNORECASE)
_REQUIRED_TAG = re.compile(r"\((?:required|req\.?)\)", re.IGNORECASE)
_AFTER = re.compile(r"^\s*(?:of|with|in|using|doing|working (?:with|in|as)|as an?|within|at|on)\s+(?P<what>[^.;:\n()]{2,80})",
                    re.IGNORECASE)
_BOARD_LINE = re.compile(r"(?P<what>[A-Za-z][\w +#./&'-]{1,60}):\s*" + r"(?P<n>" + _NUM + r")\s*\+?\s*(?:years?|yrs?)"
                         r"\s*(?P<tag>\((?:required|preferred)\))?", re.IGNORECASE)
_GENERAL = re.compile(r"^(?:(?:relevant|related|professional|progressive(?:ly)?|responsible|prior|previous|direct|proven|practical|"
                      r"hands[- ]on|full[- ]time|paid|total|overall|industry|work|working|job|of)\s+)*"
                      r"(?:experience|work experience|exp)\b", re.IGNORECASE)


@dataclass(frozen=True)
class YearsMention:
    years: float
    max_years: float | None
    what: str | None         # the skill or role it is about ("Salesforce administration"), None = general
    required: bool
    text: str                # the matched words


@dataclass(frozen=True)
class YearsRequirement:
    min_years: float | None = None
    max_years: float | None = None
    per_skill: tuple[tuple[str, float], ...] = ()
    preferred_years: float | None = None
    mentions: tuple[YearsMention, ...] = ()


def _number(raw: str) -> float:
    raw = raw.strip().lower()
    raw = raw.strip("()") if raw.startswith("(") else re.sub(r"\s*\(\d{1,2}\)", "", raw)
    return float(WORD_NUMBERS[raw]) if raw in WORD_NUMBERS else float(raw)


def _sentences(text: str) -> list[str]:
    # "...in Pharmacy.EXPERIENCE: Five (5) years": a sentence end glued to the next capital is an end too
    # and a list bullet is one, spaced or not ("...discipline preferred· A minimum of 15 years")
    return [s for s in re.split(r"(?<=[.!?;])\s+|(?<=[a-z]{2}[.!?])(?=[A-Z])|\n+|\s*[•·▪●]\s*", text) if s.strip()]


def _preferred(sent: str, start: int, end: int) -> bool:
    """Whether the years at ``sent[start:end]`` are only preferred: a preference word in their own clause
    ("3 years preferred", "ideally 5+ years"), or a clause of its own that is nothing else (", a plus");
    "5+ years of payroll experience, Paychex preferred" prefers Paychex, not the years."""
    if _PREFERRED_TAG.search(sent, end):      # after the years: it closes their list (before: another item's)
        return True
    bounds = [0] + [m.end() for m in re.finditer(r"[,;]\s*|\s[-–]\s", sent)] + [len(sent) + 1]
    for lo, hi in zip(bounds, bounds[1:]):
        clause = sent[lo:hi]
        if lo <= start < hi:
            tail = clause[end - lo:]
            cut = _PREFERABLY_IN.search(tail)
            if _PREFERRED.search(clause[: end - lo] + (tail[: cut.start()] if cut else tail)):
                return True
        elif _PREFERRED.search(clause) and not _FILLER.sub("", _PREFERRED.sub("", clause)):
            return True
    return False


def mentions(text: str, *, preferred_section: bool = False, terse: bool = False,
             prose: bool = False) -> list[YearsMention]:
    """Every statement of years of experience in ``text`` (one section's text). ``terse``: a one-line request
    ("Senior Data Engineer, 5+ years, Spark") where bare years mean experience. ``prose``: text about the role
    and the company, where only years next to the word experience count and "over 40 years" is the company's."""
    out: list[YearsMention] = []
    for sent in _sentences(text):
        found = False
        for m in _BOARD_LINE.finditer(sent):                # "Salesforce: 2 years (Required)"
            what = m.group("what").strip()
            if _DEGREE_AFTER.match(sent[m.end():]) or (_SCHOOLING.search(what) and "experience" not in what.lower()):
                found = True                                # "Education: 4 Year Degree": schooling
                continue
            tag = (m.group("tag") or "").lower()
            required = "required" in tag or (not tag and not preferred_section and not _PREFERRED.search(sent))
            out.append(YearsMention(_number(m.group("n")), None,
                                    None if _GENERAL.match(what) or what.lower() in ("experience", "work") else what,
                                    required, m.group(0)))
            found = True
        if found:
            continue
        spans = [(m, _number(m.group("lo"))) for m in _YEARS.finditer(sent)]
        # "One year of study": one statement, read once (a second, what-less reading would escape the checks)
        spans += [(m, 1.0) for m in _A_YEAR.finditer(sent) if not any(y.start() <= m.start() < y.end() for y, _ in spans)]
        for m, lo in spans:
            if isinstance(m.re, re.Pattern) and m.re is _YEARS and m.group("month"):
                lo = round(lo / 12, 2)
            around = sent[max(0, m.start() - 60): m.end() + 80]
            after = sent[m.end(): m.end() + 80]
            if _NOT_EXPERIENCE.search(sent[m.end(): m.end() + 25]) or re.search(r"\bold\b|\bof age\b", after[:15], re.I):
                continue
            if _DEGREE_AFTER.match(after):
                continue                          # "4 Year Degree", "a 3-month contract": schooling, the job's length
            if not terse and not _EXPERIENCE_CUE.search(around):
                continue
            if prose and (not re.search(r"experience", sent[max(0, m.start() - 30): m.end() + 30], re.IGNORECASE)
                          or (m.re is _YEARS and (m.group("pre") or "").lower().startswith(("over", "more", "in excess")))):
                continue
            if _NOT_EXPERIENCE.search(sent[max(0, m.start() - 40): m.start()]) and "experience" not in after.lower():
                continue
            before = sent[max(0, m.start() - 30): m.start()]
            if _DEADLINE_BEFORE.search(before) or _DEADLINE_AFTER.match(after) or _SUBSTITUTE.search(before):
                continue
            hi = None
            if m.re is _YEARS and m.group("hi"):
                hi = _number(m.group("hi"))
                if m.group("lo").isdigit() is False and hi < lo:
                    hi = None
                lo, hi = (min(lo, hi), max(lo, hi)) if hi is not None else (lo, None)
            pre = (m.group("pre") or "").lower() if m.re is _YEARS else ""
            if pre.startswith(("no more", "at most", "up to", "maximum", "less than")):
                lo, hi = 0.0, lo
            a = _AFTER.match(after)
            what = a.group("what").strip() if a else None
            if what:
                what = re.split(r"\s+(?:and|or|with|in|is|are|required|preferred|experience|as well)\b|,", what)[0].strip()
                if _GENERAL.match(what) or what.lower() in ("", "the", "a", "an"):
                    what = None
            if what and _SCHOOLING.search(what):
                continue
            required = (not preferred_section and not _preferred(sent, m.start(), m.end())
                        or bool(_REQUIRED_TAG.search(sent)))
            if 0 <= lo <= 40:
                out.append(YearsMention(lo, hi, what, required, m.group(0)))
    return out


def read_years(required_text: str, preferred_text: str = "", *, terse: bool = False,
               prose: bool = False) -> YearsRequirement:
    """``prose``: ``required_text`` is the role's description, not a requirements section (see ``mentions``)."""
    ms = mentions(required_text, terse=terse, prose=prose) + mentions(preferred_text, preferred_section=True)
    req = [m for m in ms if m.required]
    general = [m for m in req if m.what is None]
    specific = [m for m in req if m.what is not None]
    lo = hi = None
    if general:
        lo = general[0].years
        hi = general[0].max_years
    elif specific:
        lo = max(m.years for m in specific)
    pref = [m.years for m in ms if not m.required]
    per_skill = tuple(dict.fromkeys((m.what, m.years) for m in specific))
    if lo is not None and lo == 0:            # "0-2 years": no experience required
        lo = None
    return YearsRequirement(lo, hi, per_skill, max(pref) if pref else None, tuple(ms))


__all__ = ["read_years", "mentions", "YearsRequirement", "YearsMention", "WORD_NUMBERS"]
