"""Licences and certifications no lexicon lists: "mechanical license", "Pharmacist licensure", "ASE
certification", "Licensed Respiratory Care Practitioner", "FINRA Series 6, 26, and 65", "Georgia bar membership",
"licensed to practice law in the State of Hawaii".

Postings name a credential in two shapes: a noun phrase before a credential word ("<X> license",
"<X> licensure", "<X> certification", "<X> certificate", "<X> credential") and "Licensed <occupation>".
``credential_phrases`` reads both from one sentence of a requirement section and returns a canonical
name ("Mechanical license", "Respiratory Care Practitioner license"). Qualifiers ("valid", "current",
"relevant", "professional"), a state in front ("CA State Pharmacist License") and words that make the
phrase a category ("other certifications", "industry certifications") are dropped; a phrase left with
no content word is not a credential. Two credentials have shapes of their own: a list of FINRA exams
("Series 6, 26, and 65" -> FINRA Series 6, 26 and 65, one each) and admission to a state's bar ("FL bar",
"member of the Florida Bar", "Georgia bar membership", "licensed to practice law in Hawaii" -> "Florida Bar",
the credential's usual name); "licensed to practice medicine" is a medical license. Credentials the lexicon knows (RN licence, CDL, CPA) are read by the
dictionary extractor first; this reader is for the rest.
"""
from __future__ import annotations

import re
from collections.abc import Callable

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’./&+-]*$")
_CRED = re.compile(r"\b(?P<cred>licen[cs]e|licensure|certification|certificate|credential|registration)s?\b",
                   re.IGNORECASE)
_LICENSED = re.compile(r"\b[Ll]icensed\s+(?:as\s+an?\s+)?(?P<who>[A-Z][\w'-]*(?:[ \t]+[A-Za-z][\w'-]*){0,3})")
_CRED_NAME = {"license": "license", "licence": "license", "licensure": "license", "certification": "certification",
              "certificate": "certification", "credential": "credential", "registration": "registration"}
# qualifiers and category words: "a valid current state", "relevant professional", "other applicable"
_QUALIFIER = frozenset("""a an the this that any all other others additional relevant applicable required necessary
appropriate valid current active unrestricted unencumbered full good standing professional industry national
state local federal recognized accredited approved equivalent related similar specific own their your his her its
our must have has having hold holding possess possessing obtain obtaining get getting receive received provide
maintain maintaining eligible eligibility pursue pursuing and or with of in to for as by on at from is be are will
plus preferred desired required also compact multistate multi-state new nys us u.s. usa its
certified licensed registered acceptable and/or post towards toward take taking
progress years year months one two three four five""".split())
# heads that make "<X> registration" ordinary work ("guest registration", "event registration") or a document
_NOT_CRED_HEAD = frozenset("""guest guests event events onsite on-site patient patients student students course
courses class classes vehicle vehicles voter process processing managing manage business birth death marriage
completion training program programs school degree diploma ged graduation trade college university
business-to-business""".split())


_SERIES = re.compile(r"\bSeries\s+(?P<nums>\d{1,2}(?:\s*(?:,|/|&|\band\b|\bor\b|,\s*and\b|,\s*or\b)\s*(?:Series\s+)?\d{1,2})*)\b")
_BAR_WORD = re.compile(r"\b(?:[Bb]ar|BAR)s?\b(?![-&])")
_STATE_WORDS_AFTER = re.compile(r"^\s*(?:licen[cs]e|licensure|admission|membership)?\s*(?:in|of)\s+(?:both\s+)?(?:the\s+)?"
                                r"(?:(?:[Ss]tate|[Cc]ommonwealth)\s+of\s+)?(?P<states>[A-Za-zʻ'’ ,]+)")
_LAW = re.compile(r"\b(?:[Ll]icensed|[Ee]ligib\w*|[Aa]dmitted)\s+(?:attorney\s+)?to\s+practi[cs]e\s+(?P<what>law|medicine)\s+"
                  r"in\s+(?:the\s+)?(?:(?:[Ss]tate|[Cc]ommonwealth)\s+of\s+)?(?P<states>[A-Za-zʻ'’ ,]+)"
                  r"|\b[Ll]icensed\s+(?P<states2>[A-Z][A-Za-z]+(?:\s+[A-Z][A-Za-z]+)?)\s+(?:attorney|lawyer)")


def _states_in(text: str, names: dict[str, str], *, first_only: bool = False) -> list[str]:
    """State names at the start of ``text`` joined by "and", "or", commas: "New Jersey and New York" -> both."""
    out: list[str] = []
    words = re.split(r"(\s+|,)", text.replace("ʻ", "").replace("’", "").replace("'", ""))
    tokens = [w for w in words if w.strip() and w != ","]
    i = 0
    while i < len(tokens):
        two = " ".join(tokens[i:i + 2]).lower()
        if i + 1 < len(tokens) and two in names:
            out.append(names[two])
            i += 2
        elif tokens[i].lower() in names and (len(tokens[i]) > 2 or tokens[i].isupper()):
            out.append(names[tokens[i].lower()])
            i += 1
        else:
            break
        if first_only:
            break
        if i < len(tokens) and tokens[i].lower() in ("and", "or", "&"):
            i += 1
            continue
        if i < len(tokens) and tokens[i].lower() in ("both",):
            i += 1
            continue
        if i >= len(tokens) or tokens[i].lower() not in names:
            break
    return out


def special_credentials(sentence: str, state_names: dict[str, str] | None = None) -> list[str]:
    """FINRA exam lists and bar admissions (see the module docstring), in order of appearance.
    ``state_names``: lower-cased state name or code -> the state's name ("fl" -> "Florida"); a bar not
    named by a state ("bar memberships in any southeastern state") is not read."""
    found: list[tuple[int, str]] = []
    for m in _SERIES.finditer(sentence):
        for num in re.findall(r"\d{1,2}", m.group("nums")):
            found.append((m.start(), f"FINRA Series {int(num)}"))
    names = state_names or {}
    for m in _BAR_WORD.finditer(sentence):
        before = re.sub(r"\s+(?:[Ss]tate|STATE)\s*$", "", sentence[max(0, m.start() - 30):m.start()].rstrip())
        words = before.split()
        states = []
        for n in (2, 1):
            if len(words) >= n and " ".join(words[-n:]).lower().strip("ʻ'’") in names and (
                    n == 2 or len(words[-1]) > 2 or words[-1].isupper()):
                states = [names[" ".join(words[-n:]).lower().strip("ʻ'’")]]
                break
        after = _STATE_WORDS_AFTER.match(sentence[m.end():m.end() + 80])
        # "bar license in Pennsylvania", "Admission to the Bar in New Jersey"; not "a sports bar in Ohio"
        if after and (re.match(r"\s*(?:licen|admission|membership)", after.group(0), re.IGNORECASE)
                      or re.search(r"\b(?:admi\w+|member\w*)\s+(?:to|of|in)(?:\s+the)?\s*$", before, re.IGNORECASE)):
            states += _states_in(after.group("states"), names)
        found += [(m.start(), f"{st} Bar") for st in states]
    for m in _LAW.finditer(sentence):
        states = _states_in(m.group("states") or m.group("states2") or "", names)
        if m.group("what") == "medicine":
            found += [(m.start(), "Medical license")] if states else []
        else:
            found += [(m.start(), f"{st} Bar") for st in states]
    return list(dict.fromkeys(name for _pos, name in sorted(found, key=lambda f: f[0])))


def _head_words(before: str, states: frozenset[str], max_words: int = 3) -> list[str]:
    """The words right before a credential word, back to the first qualifier, state or punctuation:
    "5 yrs. on the job with mechanical" -> ["mechanical"]; "CA State Pharmacist" -> ["Pharmacist"]."""
    words: list[str] = []
    if not before[-1:].isspace():
        return []                                     # "role.LICENSURE": the credential word starts a new item
    for raw in reversed(re.split(r"[ \t]+", before.rstrip(" \t"))):
        w = raw.strip()
        glued = re.search(r"[a-z](?P<tail>[A-Z]{2,}[A-Za-z0-9-]*)$", w)
        if glued:                                     # "skillsASE": the end of one line glued to the next
            w = glued.group("tail")
        low = w.lower()
        if not w or not _WORD.match(w) or w.endswith(".") or low in _QUALIFIER or low in states or w.endswith((",", ";", ":")) \
                or any(_CRED_NAME.get(re.sub(r"s?\W*$", "", part)) or part in _QUALIFIER for part in low.split("/")):
            break
        words.insert(0, w)
        if glued:
            break
        if len(words) > max_words:
            return []                                 # a long run of words: a clause, not a credential's name
    return words


def credential_phrases(sentence: str, *, is_occupation: Callable[[str], bool] = lambda s: False,
                       states: frozenset[str] = frozenset()) -> list[str]:
    """Canonical credential names read from one sentence, in order of appearance (see the module docstring).
    ``is_occupation``: True when a phrase names an occupation ("Respiratory Care Practitioner");
    ``states``: lower-cased state names and codes, dropped in front of a credential."""
    out: list[str] = []
    for m in _CRED.finditer(sentence):
        kind = _CRED_NAME[m.group("cred").lower()]
        words = _head_words(sentence[:m.start()], states)
        if not words or any(_CRED_NAME.get(w.lower().rstrip("s")) for w in words) or words[-1].lower() in _NOT_CRED_HEAD:
            continue
        if kind == "registration" and not (words[0][:1].isupper() or is_occupation(" ".join(words))):
            continue                                  # "process registration" is work; "CA PE registration" is not
        if re.search(r"[.](?=[A-Z])", " ".join(words)):
            continue                                  # glued sentences: "role.LICENSURE"
        name = " ".join(words)
        out.append(f"{name[:1].upper()}{name[1:]} {kind}")
    for m in _LICENSED.finditer(sentence):
        words = m.group("who").split()
        while words and (words[0].lower() in states or words[0].lower() in _QUALIFIER):
            words = words[1:]
        cut = next((i for i, w in enumerate(words) if w.lower() in _QUALIFIER), len(words))
        words = words[:cut]                           # "Licensed attorney with a ...": the occupation ends at "with"
        while words and not is_occupation(" ".join(words)):
            words = words[:-1]                        # "Licensed Respiratory Care Practitioner Current"
        if words:
            out.append(f"{' '.join(words)} license")
    return list(dict.fromkeys(out))


__all__ = ["credential_phrases", "special_credentials"]
