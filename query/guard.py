"""Responsible-AI guard: no query may select or exclude people by a protected attribute.

Protected attributes and their common proxies: age ("young", "digital native", "under 30",
"recent graduates", graduation-year cut-offs), gender, ethnicity / race, religion, nationality /
national origin (including "native speaker" and citizenship demands), disability and health,
marital or family status, pregnancy, sexual orientation. The guard runs on the recruiter's text
before intake, on the structured requirements, and on every generated query whatever the
provider (an LLM can be talked into anything), so a protected term never reaches a backend.

* ``guard_text`` strips each sentence that names a protected criterion and says why;
* ``guard_values`` drops protected items from a list of structured values (skills, titles...);
* ``guard_query`` removes protected leaves from a parsed Boolean query (``NOT women`` is as
  discriminatory as ``women``); when nothing is left the query is refused (None).

O*NET/ESCO job titles are exempt as whole titles ("Mental Health Counselor", "Women's Health
Nurse Practitioner" are occupations, not criteria).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from query import ast as qa
from records.errors import QueryError

_YEAR = r"(?:19[5-9]\d|20[0-3]\d)"
_NOT_EXPERIENCE = r"(?!\s*\+?\s*(?:years?|yrs?)\s+(?:of\s+)?(?:experience|exp\b|in\b|as\b|with\b))(?!\s*(?:km|kilomet|mi\b|miles|%|k\b|employees|people|hires|clients|countries|languages))"
_PATTERNS: dict[str, list[str]] = {
    "age": [
        r"\b(?:young|younger|youthful|youngster|elderly|old(?:er)? (?:people|candidates|workers|applicants))\b",
        r"\b(?:age[ds]?|aged)\s*(?:\d{2}|between|under|over|below|above|limit|range|requirement|of)\b",
        r"(?<!-)(?<!school )(?<!working )\bage\b(?!nc|nd|nt|[- ](?:appropriate|group|level|range of (?:students|children|patients)))",
        r"\b(?:under|over|below|above|younger than|older than|less than|more than|max(?:imum)?|min(?:imum)?)\s+\d{2}"
        r"(?:\s*(?:years? old|yo|y/o|years of age))\b",
        r"\b(?:under|below|younger than|older than)\s+(?:the age of\s+)?\d{2}\b" + _NOT_EXPERIENCE,
        r"\b(?:no one|nobody|no candidates?|no applicants?|none|not)\s+(?:over|above|older than|under|below|younger than)\s+"
        r"\d{2}\b" + _NOT_EXPERIENCE,
        r"\b(?:over|under)[- ]\d0s\b",
        r"\b\d{2}\s*(?:-|to)\s*\d{2}\s*(?:years? old|yo|y/o)\b", r"\byears? old\b", r"\bdate of birth\b", r"\bdob\b",
        r"\bborn (?:in|after|before|since)\s+" + _YEAR,
        r"\b(?:millennials?|gen[- ]?z|gen[- ]?y|zoomers?|boomers?|baby boomers?|digital natives?)\b",
        r"\b(?:recent|fresh|new)\s+(?:college\s+|university\s+)?grad(?:uate)?s?\b", r"\bretir(?:ee|ees|ed|ement age)\b",
        r"\b(?:energetic|dynamic)\s+young\b", r"\byouth\b", r"\bold\b(?=\s+(?:guys?|men|women|people|folks|timers?))",
    ],
    "graduation year": [
        r"\b(?:graduat\w*|class of|grad(?:uation)? year|degree (?:obtained|earned|completed))\s+"
        r"(?:in\s+|after\s+|before\s+|since\s+|from\s+|later than\s+|no earlier than\s+)?" + _YEAR + r"\b",
        r"\bclass of\s+" + _YEAR, r"\bgraduation year\b", r"\bgraduated (?:after|before|since|no earlier)\b",
    ],
    "gender": [
        r"\b(?:male|female|males|females|gender|sex|men|women|man|woman|girls?|guys?|ladies|lady|gentlemen|"
        r"boys?|masculine|feminine|non-binary|nonbinary|transgender|he/him|she/her|salesman|saleswoman|"
        r"manpower|womanpower)\b(?!['’]s health)",
    ],
    "ethnicity": [
        r"\b(?:race|racial|ethnic\w*|caucasian|hispanic|latin[oax]s?|african[- ]american|arabs?|asians?|"
        r"native american|indigenous|minorit(?:y|ies)|skin colou?r|colou?red)\b",
        r"\b(?:white|black)\b(?!\s*[- ]?(?:box|hat|belt|list|board|paper|space|label|duck|friday))"
        r"(?=\s+(?:people|persons?|candidates?|applicants?|only|men|women|males?|females?|guys?|workers?|employees?))",
        r"\b(?:be|is|are|being)\s+(?:white|black|brown)\b",
    ],
    "religion": [
        r"\b(?:religio\w*|christians?|muslims?|islam\w*|jewish|jews?|hindus?|buddhists?|sikhs?|catholics?|"
        r"protestants?|atheists?|churchgoers?|church|mosque|synagogue|halal|kosher|faith)\b",
    ],
    "nationality": [
        r"\b(?:nationality|nationalities|national origin|country of origin|ethnic origin|citizenship|passport|"
        r"immigrants?|foreigners?|foreign[- ]born|expats?|non[- ]natives?|natives? only|locals? only)\b",
        r"\bnative\s+(?:\w+\s+)?speakers?\b", r"\b(?:\w+)[- ]born\b(?<!newborn)(?<!firstborn)",
        r"\bcitizens?\s+only\b", r"\bmust be (?:a|an)\s+\w+\s+citizen\b", r"\b(?:only|no)\s+(?:americans|germans|"
        r"indians|chinese|british|brits|french|poles|mexicans|africans|europeans|asians|russians|turks|arabs)\b",
    ],
    "disability": [
        r"\b(?:disab\w+|handicap\w*|able[- ]bodied|wheelchairs?|blind|deaf|autis\w*|neurotypical|neurodivergent|"
        r"mental(?:ly)?\s+(?:ill\w*|disorder|condition|health (?:issues?|problems?|conditions?|history))|"
        r"physically fit|no health (?:issues?|problems?|conditions?)|medical (?:conditions?|history)|"
        r"healthy (?:people|candidates?|applicants?)|chronic (?:illness|conditions?)|impairments?)\b",
    ],
    "family status": [
        r"\b(?:married|unmarried|divorced|widowed|marital|spouse|wife|husband|childless|childcare|"
        r"family status|family planning|family commitments|family obligations|no kids|no children|"
        r"mothers?|fathers?|moms?|dads?|parents?|children|kids)\b(?!\s+compan)",
        r"\bsingle\b(?=\s+(?:candidates?|people|persons?|applicants?|only|status|women|men|mothers?|fathers?|parents?))",
        r"\b(?:be|are|is|being)\s+single\b",
    ],
    "pregnancy": [
        r"\b(?:pregnan\w*|maternity|paternity|parental leave|expecting (?:a )?(?:baby|child)|"
        r"plans? (?:to have|for) (?:children|kids|a baby|a family)|start(?:ing)? a family)\b",
    ],
    "sexual orientation": [
        r"\b(?:gay|lesbians?|heterosexual|homosexual|bisexual|lgbt\w*|queer|sexual orientation|straight (?:men|women|people|candidates))\b",
    ],
}
_COMPILED = [(cat, re.compile(p, re.IGNORECASE)) for cat, ps in _PATTERNS.items() for p in ps]
EXPLANATION = ("{category} is a protected attribute (or a proxy for one); selecting or excluding candidates by it "
               "is discriminatory, so '{text}' was {action}")


class PolicyViolationError(QueryError):
    """A request whose only criteria are protected attributes (HTTP 422); ``findings`` say which."""

    def __init__(self, message: str, findings: list["GuardFinding"]):
        self.findings = findings
        super().__init__(message)


@dataclass(frozen=True)
class GuardFinding:
    category: str       # "age", "gender", ...
    text: str           # the offending text as written
    where: str          # "text", "must_have[2]", "strategies.strict.query", ...
    action: str         # "stripped" | "refused"

    @property
    def explanation(self) -> str:
        return EXPLANATION.format(category=self.category.capitalize(), text=self.text, action=self.action)

    def to_dict(self) -> dict:
        return {"category": self.category, "text": self.text, "where": self.where, "action": self.action,
                "explanation": self.explanation}


# A protected word naming the SUBJECT of the work, not the person: "pregnancy care", "religious studies
# teacher", "family law", "disability services", "gender equity" are job content, never a criterion.
_SPECIALTY = re.compile(
    r"(?:pregnancy|maternity|prenatal|antenatal|religious|religion|gender|disabilit(?:y|ies)|family|elder(?:ly)?|"
    r"women'?s|ethnic|age)\s+(?:care|studies|law|lawyer|attorney|services?|health|nursing|ward|medicine|rights|"
    r"policy|research|education|support|counsel(?:l)?ing|counsel(?:l)?or|unit|equity|inclusion|benefits|insurance|"
    r"claims|therapy|therapist|clinic|programs?)\b", re.IGNORECASE)


def _specialty(text: str, start: int) -> bool:
    return _SPECIALTY.match(text, start) is not None


def scan(text: str) -> list[tuple[str, str]]:
    """``(category, matched text)`` for every protected criterion in ``text`` (left to right)."""
    hits = sorted(((m.start(), -m.end(), cat, m.group(0)) for cat, rx in _COMPILED for m in rx.finditer(text)
                   if not _specialty(text, m.start())))
    out, reach = [], -1
    for start, neg_end, cat, matched in hits:      # overlapping matches: the longest, leftmost one
        if -neg_end <= reach:
            continue
        out.append((cat, matched))
        reach = max(reach, -neg_end)
    return out


def is_protected(text: str, *, title_exempt=None) -> list[tuple[str, str]]:
    """``scan`` unless ``title_exempt(text)`` says the whole text is a known job title."""
    if title_exempt is not None and title_exempt(text):
        return []
    return scan(text)


def guard_text(text: str, *, where: str = "text", title_exempt=None) -> tuple[str, list[GuardFinding]]:
    """Cut every protected criterion out of ``text`` (the rest of the sentence stays: "a young
    Senior Data Engineer in Berlin" keeps its title and place); the clean text and the findings."""
    findings, spans = [], []
    for cat, rx in _COMPILED:
        for m in rx.finditer(text):
            if _specialty(text, m.start()):
                continue      # "pregnancy care", "family law": what the job is about
            if title_exempt is not None and title_exempt(_window(text, m.start(), m.end())):
                continue      # "Mental Health Counselor", "Women's Health Nurse": a job title, not a criterion
            spans.append((m.start(), m.end(), cat))
    spans.sort(key=lambda s: (s[0], -s[1]))
    out, pos = [], 0
    for start, end, cat in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        findings.append(GuardFinding(cat, text[start:end], where, "stripped"))
        pos = end
    out.append(text[pos:])
    return re.sub(r"[ \t]{2,}", " ", "".join(out)), findings


def _window(text: str, start: int, end: int) -> str:
    """The words around a match, up to the sentence edges: the candidate job title it may belong to."""
    left = re.split(r"[.;:!?\n,(]", text[max(0, start - 40):start])[-1]
    right = re.split(r"[.;:!?\n,)]", text[end:end + 40])[0]
    return " ".join(re.findall(r"[\w'’]+", left + text[start:end] + right))


def guard_values(values, *, where: str, title_exempt=None) -> tuple[tuple[str, ...], list[GuardFinding]]:
    """Keep the values that name no protected criterion; a finding for each one dropped."""
    kept, findings = [], []
    for i, v in enumerate(values):
        hits = is_protected(v, title_exempt=title_exempt)
        if hits:
            findings.extend(GuardFinding(cat, t, f"{where}[{i}]", "stripped") for cat, t in hits)
        else:
            kept.append(v)
    return tuple(kept), findings


def guard_query(node: qa.Node, *, where: str = "query", title_exempt=None) -> tuple[qa.Node | None, list[GuardFinding]]:
    """``node`` without protected leaves (negated or not); None when nothing legitimate is left."""
    findings: list[GuardFinding] = []

    def clean(n: qa.Node) -> bool:
        exempt = title_exempt if n.field == "title" else None
        hits = is_protected(n.text, title_exempt=exempt)
        if n.field == "school" and re.fullmatch(_YEAR, n.text):
            hits = hits + [("graduation year", n.text)]
        if hits:
            findings.extend(GuardFinding(cat, t, where, "stripped") for cat, t in hits)
            return False
        return True

    out = qa.prune_leaves(node, clean)
    if out is not None and all(negated for _, negated in qa.iter_leaves(out)) and findings:
        out = None        # only exclusions left after stripping: the query no longer says who is wanted
    if out is None and findings:
        findings = [GuardFinding(f.category, f.text, f.where, "refused") for f in findings]
    return (qa.normalize(out) if out is not None else None), findings


__all__ = ["GuardFinding", "PolicyViolationError", "scan", "is_protected", "guard_text", "guard_values", "guard_query"]
