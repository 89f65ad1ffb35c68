"""The learned span tagger as a recall source for requirement sentences: knowledge spans no dictionary names.

The CRF of ``query.intake.spans`` finds skills the dictionaries lack ("consumer packaged goods industry",
"construction procedures", "Social Security") but, used alone, also tags degrees, categories ("front-end
technologies", "modern programming languages") and odd capitalised words. Intake therefore asks it only
about sentences of requirement sections, and keeps a span only when

* it is a *knowledge* span (tools, fields) of confidence >= ``min_confidence`` (the mean per-token marginal);
* it is 1 to ``max_words`` words, not an education requirement (degree, diploma) or the field of study right
  after one ("degree in Computer Science"), not glued text;
* its last word is not a category word ("technologies", "principles", "tools"...);
* a one-word span is written as a name (capitalised) and is no ordinary English word (``common``);
* it passes the cue phrases' word rules (``query.intake.phrases.tidy``): leading qualifiers dropped ("Particularly
  Excel" -> "Excel"), no trait ("Outgoing personality"), no adjective without its noun ("Updated clinical");
* no dictionary mention and no phrase already read overlaps it (the dictionary's name wins).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from query.intake.phrases import tidy
from query.intake.spans import SpanTagger

_EDUCATION = re.compile(r"(?i)\b(?:degrees?|diplomas?|bachelor'?s?|bachelors|master'?s?|masters|associate'?s?|ged|"
                        r"high school|undergraduate|graduate|mba|phd|coursework|major|gpa)\b")
# two items glued by a lost line break: "database.FULL", "skillsASE", "CISSPExperience", "Development3D"
_GLUED = re.compile(r"[a-z][.][A-Z]|[a-z][A-Z]{2}|[A-Z]{2}[a-z]{3}|[a-z]{3}[0-9]")
_AFTER_EDUCATION = 48      # characters after "degree in", "Bachelor's in": the field of study, not a skill
# a span ending in one of these names a category or a quality, not a skill a profile would list
_CATEGORY = frozenset("""technologies technology fundamentals practices practice principles products languages
frameworks policies policy connection skills skill abilities ability environment environments tools tool
applications application platforms platform projects project concepts methods techniques solutions systems
field fields areas area background experience knowledge requirements standards role roles duties tasks""".split())


def learned_skills(tagger: SpanTagger, sentence: str, *, covered: Iterable[str] = (),
                   common: frozenset[str] = frozenset(), min_confidence: float = 0.8,
                   max_words: int = 4) -> list[str]:
    """Knowledge spans of one requirement sentence kept by the rules of the module docstring, as written
    (first letter capitalised), in order. ``covered``: names and phrases already read from the sentence."""
    seen = [c.casefold() for c in covered]
    out: list[str] = []
    schooling = [m.end() for m in _EDUCATION.finditer(sentence)]
    for span in tagger.tag(sentence):
        text = span.text.strip(" ,;:-–")
        if any(0 <= (span.char_start or 0) - end <= _AFTER_EDUCATION for end in schooling):
            continue                                  # "degree in Computer Science": a field of study
        words = text.split()
        if span.kind != "knowledge" or span.confidence < min_confidence or not words or len(words) > max_words:
            continue
        if _EDUCATION.search(text) or _GLUED.search(text) or words[-1].lower().strip(".,") in _CATEGORY:
            continue
        words = tidy(words, common=common, max_words=max_words, tails=False)   # "Particularly Excel" -> "Excel"
        if not words:
            continue                                  # "Outgoing personality", "Updated clinical"
        if len(words) == 1 and (not words[0][:1].isupper() or words[0].lower() in common
                                or sum(c.isalpha() for c in words[0]) < 3):
            continue                                  # "maintenance", "Present", "US": not a skill on their own
        text = " ".join(words)
        low = text.casefold()
        if any(low in c or c in low for c in seen):
            continue                                  # the dictionary or a cue phrase has it already
        seen.append(low)
        out.append(text[:1].upper() + text[1:])
    return out


__all__ = ["learned_skills"]
