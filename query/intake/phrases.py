"""Requirement phrases no dictionary names: "knowledge of personal injury litigation", "experience in
case management", "proficiency with 3Shape", "familiar with State Rules/Regulations".

In requirement sections, recruiters' cue words ("experience in/with", "knowledge of", "proficient in",
"familiarity with", "background in", "expertise in", "skilled in", "certified in") introduce the
skill; the phrase after the cue, up to a clause boundary, is the skill as the posting writes it.
``cue_phrases`` returns those phrases, each cut at "and"/"or"/commas into items, with generic
tails dropped ("... environment", "... setting"); phrases about the work rather than a skill
("a fast-paced environment", "working independently", "a team") are not returned.
"""
from __future__ import annotations

import re

_CUE = re.compile(
    r"\b(?:(?:hands[- ]on |proven |prior |previous |demonstrated |strong |solid |working |some |basic |advanced |"
    r"in[- ]depth |thorough |extensive |general |good |sound |excellent |deep |practical |professional )?"
    r"(?:experience|knowledge|understanding|proficiency|expertise|background|familiarity|competence|fluency|"
    r"skills?)\s+(?:with|in|of|using|on|across|working with)|(?:proficient|skilled|versed|experienced|certified|"
    r"trained|fluent|familiar)\s+(?:with|in|at|on)|ability to (?:use|operate|perform|read|administer))\s+"
    r"(?:the\s+|a\s+|an\s+|all\s+|various\s+|basic\s+|modern\s+|common\s+|standard\s+)?"
    r"(?P<phrase>[^.;:!?()\n•·]{2,300})", re.IGNORECASE)
_END = re.compile(r"\s+(?:is|are|will|to|that|which|who|as well as|preferred|required|a plus|desired|ideally|"
                  r"including|such as|e\.g\.|is a plus|would be|and/or the|for|from|within|while|in order|"
                  r"with (?:a|an|the|strong|excellent|good|minimal)|at least|\d+\+?\s+years?)\b.*$", re.IGNORECASE)
_EXAMPLES = re.compile(r"\b(?:including|such as|e\.g\.,?|especially|particularly)(?:,?\s*but not limited to)?:?\s+"
                       r"(?P<list>.{2,160})", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|/(?=\s)|\band\b|\bor\b|&)\s*", re.IGNORECASE)
_GENERIC = frozenset("""environment environments setting settings industry industries field fields role roles position
positions team teams company companies organization organizations business businesses work job jobs tasks task duties
duty area areas setting manner way ways capacity level levels projects project people public others
customers clients things matters issues relevant related similar various multiple all any some fast-paced
paced dynamic high-volume high volume small large growing startup start-up independently independent ability
abilities attitude willingness desire passion minimal supervision detail details deadlines pressure multitasking
multi-tasking communication communications skill skills experience experiences knowledge years year plus good
excellent strong basic general proven working computer computers technology technologies tools tool systems system
software programs program applications application platforms platform procedures processes process practices
methods concepts principles standards demonstrated ability best regard regards including etc""".split())
# generic tails that, after one ordinary word, name a skill of their own ("power tools", "safety procedures")
_CONCRETE_TAILS = frozenset("tools equipment codes regulations procedures principles".split())
_STOP_START = frozenset("a an the this that these those our your their its his her my we you they it such other any all "
                        "strong superior both different excellent good great solid extensive exceptional outstanding "
                        "preferably ideally lieu when how where what why can could must should may particularly "
                        "specifically especially mainly mostly primarily major mainstream proven updated plethora".split())
# words that join list items or introduce examples, never a skill's first or last word ("as QuickBooks", "for
# automating", "including regulatory requirements", "immunology and preferably", "etc.")
_JOINERS = frozenset("and or nor as for other including include includes like plus etc e.g eg i.e ie preferably ideally "
                     "especially particularly".split())
_GLUED_NUMBER = re.compile(r"[a-z]\.\d")
# nouns that name a person's manner or a circumstance, never a skill a profile would list
_TRAITS = frozenset("personality demeanor demeanour attitude mindset manner disposition ethic temperament opportunity "
                    "opportunities advantage comfort culture peace hope barriers friendly approachable outgoing".split())
_CUT = re.compile(r"\s+(?:in|on|to|at|by|of|with|within|across|into|through|under|over|related|regarding|"
                  r"adhering|using)\s+.*$", re.IGNORECASE)
_ADJECTIVE_END = re.compile(r"(?:al|ive|ous|ful|ent|ant|ible|able|ic)$", re.IGNORECASE)
_VERBY = re.compile(r"^(?:working|work|being|be|have|having|handle|handling|deal|dealing|manage(?!ment)|managing|"
                    r"interact|interacting|lead|leading|support|supporting|help|helping|make|making|take|taking|"
                    r"provide|providing|meet|meeting|perform|performing|build|building|maintain|maintaining|"
                    r"prioritize|prioritizing|communicate|communicating|learn|learning|implement\w*|interpret\w*|"
                    r"convert\w*|gather\w*|love|enjoy\w*|can|will|use|using|apply|applying|ensure|ensuring|"
                    r"develop(?!ment)\w*|create|creating|write|writing|drive|driving|own|owning|do|doing)\b",
                    re.IGNORECASE)


_CLAUSE_WORDS = frozenset("were was is are be been being must should will would can could may used handled where when "
                          "which who that very extremely quickly highly eager willing able new our we you".split())
_ABSTRACT = frozenset("curiosity ethics familiarity integrity creativity initiative flexibility reliability "
                      "professionalism enthusiasm motivation accountability ownership empathy patience honesty "
                      "positivity humility grit resilience adaptability dependability punctuality".split())
_NOUNS_AL = frozenset("approval appraisal arrival disposal proposal rental removal renewal referral retrieval "
                      "survival withdrawal terminal manual journal material capital hospital personal medical "
                      "legal dental clinical technical financial chemical electrical mechanical analytic logistic "
                      "management agent client patient student incident accident equipment".split())


def cue_phrases(text: str, *, max_words: int = 5, common: frozenset[str] = frozenset()) -> list[str]:
    """Skill phrases introduced by a cue word, as written, in order (see the module docstring). ``common``:
    ordinary words that are no skill on their own ("order", "rules", "equipment")."""
    out: list[str] = []
    for m in _CUE.finditer(text):
        raw = m.group("phrase")
        if len(raw) >= 300:                      # cut off mid-phrase: the last word may be cut too
            raw = raw.rsplit(" ", 1)[0]
        phrase = _CUT.sub("", _END.sub("", raw)).strip(" -–,")
        items = _SPLIT.split(phrase)
        shared = _SHARED_HEAD.fullmatch(phrase)
        if shared:     # "the Hispanic/Latino or minority community": both are communities, not "Hispanic/Latino"
            items = [f"{shared.group('a')} {shared.group('head')}", shared.group("b") + " " + shared.group("head")]
        ex = _EXAMPLES.search(raw)
        if ex:        # "knowledge of office systems, including VOIP phone systems and file management": the examples
            items += _SPLIT.split(_END.sub("", ex.group("list")).strip(" -–,"))
        for item in items:
            words = tidy(item.strip(" -–,'\"").split(), common=common, max_words=max_words)
            if words:
                out.append(" ".join(words))
    return list(dict.fromkeys(out))


# "A or B head": two words sharing the last ("3Shape and dental implant design" is two skills; "administer medication
# and IV certification" is no "medication certification": only "or" shares a head)
_SHARED_HEAD = re.compile(r"(?:the |a |an )?(?P<a>[^\s,]+)\s+or\s+(?P<b>[^\s,]+)\s+(?P<head>[^\s,]+)",
                          re.IGNORECASE)


def has_cue(text: str) -> bool:
    """Whether ``text`` introduces a skill with a recruiter's cue ("experience with", "knowledge of", ...)."""
    return bool(_CUE.search(text))


_LIST_LEAD = re.compile(r"^.*?\b(?:include|includes|including|such as|e\.g\.,?|like|of|in|with)\s+", re.IGNORECASE)


def list_siblings(sentence: str, known, *, common: frozenset[str] = frozenset(), max_words: int = 4) -> list[str]:
    """Items of an enumeration that names a known skill, the items no dictionary names, as written: in "including
    tenant communication, lease administration, property maintenance, rent collection and budgeting" (property
    maintenance is known) lease administration and rent collection are skills too. ``known(item) -> bool`` tells a
    dictionary item. Three items or more, most of them short noun phrases (``tidy``); a list of clauses yields none."""
    parts = [p.strip() for p in re.split(r"\s*[,;]\s*", sentence) if p.strip()]
    if len(parts) < 3:
        return []
    last = re.split(r"^(?:and|or|&)\s+|\s+(?:and|or|&)\s+(?=\S+$)", parts[-1], flags=re.IGNORECASE)
    parts[-1:] = [x for x in last if x and x.strip()]
    m = _CUE.search(parts[0])
    parts[0] = m.group("phrase") if m else _LIST_LEAD.sub("", parts[0])
    items = []
    for part in parts:
        part = re.sub(r"\s*\([^)]*\)?", "", part).strip(" .-–'\"")
        words = tidy(part.split(), common=common, max_words=max_words)
        items.append(" ".join(words) if words else None)
    good = [i for i in items if i]
    if len(good) < 3 or len(good) < 0.6 * len(items):
        return []
    is_known = [known(i) for i in good]          # a dictionary look-up each, once
    if not any(is_known):
        return []
    return list(dict.fromkeys(i for i, k in zip(good, is_known) if not k))


def tidy(words: list[str], *, common: frozenset[str] = frozenset(), max_words: int = 5,
         tails: bool = True) -> list[str] | None:
    """The words of a candidate skill phrase without leading qualifiers and generic tails, or None when what is
    left names no skill: a trait ("outgoing personality"), a clause, an adjective without its noun ("superior
    organizational"), an ordinary or abstract word alone. Shared by the cue phrases and the learned spans (``tails``:
    drop generic tail words, "... environment"; a learned span keeps its own: "Design software")."""
    words = [w.strip("()[]{}") for w in words]
    words = [w for w in words if w.strip(".,")]
    while words and (words[0].lower().strip(".,") in _STOP_START or words[0].lower().strip(".,") in _JOINERS):
        words = words[1:]
    while words and words[-1].lower().strip(".,") in _JOINERS:
        words = words[:-1]                # "Financial software and", "And Outlook": a list's joiner, cut off
    if any(_GLUED_NUMBER.search(w) for w in words):
        return None                       # "applications.7": the next list item's number glued on
    whole = list(words)
    while words and ((tails and words[-1].lower().strip(".,") in _GENERIC) or words[-1].lower().strip(".,") in _JOINERS):
        words = words[:-1]
    if len(words) == 1 and len(whole) == 2 and whole[1].lower().strip(".,") in _CONCRETE_TAILS \
            and (words[0].lower() in common or words[0].lower() in _GENERIC):
        words = whole                     # "power tools", "construction principles": the tail makes the skill
    if not words or len(words) > max_words or _VERBY.match(words[0]):
        return None
    content = [w for w in words if w.lower() not in _GENERIC and w.lower() not in _STOP_START and len(w) > 1]
    if not content or all(w.isdigit() for w in content) or any(c.isdigit() for c in words[0]) and len(words) > 1:
        return None
    low = [w.lower().strip(".,") for w in words]
    if len(words) == 1 and (low[0] in common or low[0] in _GENERIC or len(words[0]) < 3
                            or _adjective(low[0]) or low[0] in _ABSTRACT):
        return None                       # "order", "rules", "journalistic", "curiosity": not a skill
    if any(w in _CLAUSE_WORDS for w in low):
        return None                       # "accounts were handled", "PR must be": a clause, not a skill
    if len(words) > 1 and _adjective(low[-1]):
        return None                       # "superior organizational": the noun is missing
    if low[-1] in _TRAITS or " ".join(low[-2:]) == "track record":
        return None                       # "outgoing personality", "approachable demeanor": who, not what
    return words


def _adjective(word: str) -> bool:
    """"organizational", "clinical", "relevant": an adjective by its ending ("development", "recruitment": nouns)."""
    return bool(_ADJECTIVE_END.search(word)) and word not in _NOUNS_AL and not word.endswith("ment")


__all__ = ["cue_phrases", "has_cue", "list_siblings", "tidy"]
