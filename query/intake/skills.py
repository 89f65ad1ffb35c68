"""A dictionary skill extractor: job-description text -> skill mentions with canonical names.

Technology skills come from the shipped taxonomy (O*NET technology skills and their aliases,
``Taxonomy.normalize_skill``); competencies (communication, problem solving, agile...) from a
small curated lexicon below. Matching is greedy longest-first over word n-grams (at most
``max_ngram`` words). Single words that are also ordinary English ("word", "access", "project",
"sales") only count when written like a product name (capitalised, not at a sentence start),
because in job ads they are far more often plain words than the Microsoft product.

This is the skill extractor of the offline planner; its span-level precision and recall on
SkillSpan dev are measured by ``benchmarks/skillspan.py``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import functools

from query.intake import lexicon
from records.taxonomy import Taxonomy

TECHNOLOGY, COMPETENCY = "technology", "competency"
KNOWLEDGE, CREDENTIAL, LANGUAGE = lexicon.KNOWLEDGE, lexicon.CREDENTIAL, "language"
SKILL_KINDS = (TECHNOLOGY, KNOWLEDGE, CREDENTIAL, LANGUAGE)     # what intake reports as skills

# Competencies and knowledge areas that are not O*NET technology skills. Lower case; matched as
# whole token sequences. The value is the canonical name reported.
COMPETENCIES: dict[str, str] = {
    **{k: "Communication" for k in ("communication", "communication skills", "communications skills",
                                    "verbal communication", "written communication", "interpersonal skills")},
    **{k: "Teamwork" for k in ("teamwork", "team player", "team work", "collaboration", "team spirit")},
    **{k: "Problem solving" for k in ("problem solving", "problem-solving", "problem solving skills",
                                      "troubleshooting", "analytical thinking", "critical thinking")},
    **{k: "Analytical skills" for k in ("analytical skills", "analytic skills", "analytical")},
    **{k: "Attention to detail" for k in ("attention to detail", "detail oriented", "detail-oriented")},
    **{k: "Leadership" for k in ("leadership", "leadership skills", "people management", "mentoring", "coaching")},
    **{k: "Project management" for k in ("project management", "programme management", "program management")},
    **{k: "Agile" for k in ("agile", "scrum", "kanban", "agile methodologies", "agile development")},
    **{k: "Stakeholder management" for k in ("stakeholder management", "stakeholder communication")},
    **{k: "Time management" for k in ("time management", "prioritization", "prioritisation", "self-motivated",
                                      "self motivated", "work independently", "independently")},
    **{k: "Customer service" for k in ("customer service", "customer focus", "client focus", "customer-oriented")},
    **{k: "Negotiation" for k in ("negotiation", "negotiation skills")},
    **{k: "Presentation skills" for k in ("presentation skills", "presentations", "public speaking")},
    **{k: "Machine learning" for k in ("machine learning", "deep learning", "artificial intelligence", "nlp",
                                       "natural language processing", "computer vision")},
    **{k: "Data analysis" for k in ("data analysis", "data analytics", "statistics", "statistical analysis",
                                    "data modeling", "data modelling", "data visualization", "data visualisation")},
    **{k: "Software development" for k in ("software development", "software engineering", "programming",
                                           "object-oriented programming", "oop", "design patterns",
                                           "test-driven development", "tdd", "unit testing", "code review",
                                           "code reviews", "clean code")},
    **{k: "Cloud computing" for k in ("cloud", "cloud computing", "cloud infrastructure", "cloud services")},
    **{k: "DevOps" for k in ("devops", "ci/cd", "ci cd", "continuous integration", "continuous delivery",
                             "continuous deployment", "infrastructure as code")},
    **{k: "Software architecture" for k in ("microservices", "software architecture", "system design",
                                            "distributed systems", "rest apis", "rest api", "restful apis", "apis")},
    **{k: "Security" for k in ("security", "information security", "cybersecurity", "cyber security")},
    **{k: "Networking" for k in ("networking", "tcp/ip", "network protocols")},
    **{k: "Databases" for k in ("databases", "relational databases", "nosql", "data warehousing", "etl")},
    **{k: "English" for k in ("english", "fluent english", "english language")},
    **{k: "German" for k in ("german", "fluent german")},
    **{k: "Sales" for k in ("sales", "business development", "account management")},
    **{k: "Budgeting" for k in ("budgeting", "forecasting", "financial analysis", "accounting")},
}

# Single words whose taxonomy match is usually an ordinary word in job ads unless written as a name.
_AMBIGUOUS = frozenset({
    "go", "r", "c", "d", "chef", "react", "shell", "puppet", "julia", "swift", "ruby", "rust", "dash", "maple",
    "spark", "hive", "pig", "word", "access", "project", "teams", "design", "sales", "testing", "database",
    "email", "office", "dynamics", "outlook", "box", "excel", "visio", "publisher", "gateway", "alteryx",
    "target", "unity", "notes", "compass", "atlas", "slack", "zoom", "mail", "calendar", "drive", "sheets",
    "docs", "forms", "jira", "git", "quest", "mis", "it", "pro", "one", "edge", "express", "flash", "base",
    "element", "studio", "server", "cloud", "data", "mobile", "web", "internet", "analytics", "insight",
})
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+#]*(?:[./'-][A-Za-z0-9+#]+)*[+#]*|\.[A-Za-z][A-Za-z0-9]*")
_STOP = frozenset({"a", "an", "the", "of", "and", "or", "for", "in", "to", "with", "on", "at", "as", "by", "is",
                   "are", "be", "we", "you", "our", "your", "will", "experience", "knowledge", "skills"})
# words around an ordinary word that make it a requirement: "experience in sales", "accounting principles"
_CUE_BEFORE = frozenset({"experience", "experienced", "knowledge", "background", "proficient", "proficiency", "skilled",
                         "familiar", "familiarity", "understanding", "expertise", "certified", "trained", "training",
                         "skills", "years", "year", "degree", "using", "use", "utilize", "utilizing", "operate",
                         "operating", "including", "such", "like", "e.g.", "eg", "knowledgeable", "working", "competent",
                         "read", "reading", "interpret", "interpreting"})
_CUE_AFTER = frozenset({"experience", "skills", "skill", "knowledge", "background", "environment", "industry", "setting",
                        "software", "systems", "system", "principles", "procedures", "certification", "certified",
                        "license", "experienced", "expertise", "proficiency", "required", "preferred", "is", "a"})


# office products postings write in lower case ("proficient in excel, word and outlook"); each is also an English
# word, so in lower case it counts only after a cue or next to a certain tool (``extract_tokens``)
_LOWER_PRODUCTS = frozenset({"excel", "outlook", "word", "powerpoint", "visio", "sharepoint", "onenote", "quickbooks"})
_MODAL = frozenset({"to", "will", "must", "can", "should", "may", "would", "could", "you", "we", "they"})   # "to excel in"
_REJECTED = object()
# words written in capitals in postings' shouting headings and taglines that are also product acronyms
_CAPS_WORDS = frozenset({"fast", "calm", "lead", "fear", "harvest", "act", "san", "now", "new", "team", "care", "hope",
                         "best", "great", "free", "top", "key", "open", "apply", "hiring", "urgent", "must", "note"})


def _listed_with(tokens: list[str], gaps: list[str], m: "SkillMention", sure: list["SkillMention"]) -> bool:
    """True when ``m`` sits in a list with a certain technology: "Word, Excel", "Excel/Word", "Java or Ruby",
    at most two other list items between them. ``gaps[k]``: the text between token k-1 and token k."""
    for s in sure:
        lo, hi = (s.end, m.start) if s.end <= m.start else (m.end, s.start)
        if hi - lo > 2:
            continue
        seps = [gaps[k] for k in range(lo, hi + 1)]
        words = [t.lower() for t in tokens[lo:hi]]
        if all(re.fullmatch(r"\s*[,/&;(]\s*|\s+", g) for g in seps) and any(re.search(r"[,/&;(]", g) for g in seps) \
                or any(w in ("and", "or") for w in words) and all(re.fullmatch(r"\s*[,/&(]?\s*", g) for g in seps):
            return True
    return False


def _list_cue(tokens: list[str], gaps: list[str], start: int, max_back: int = 16, max_item: int = 4) -> bool:
    """True when the word at ``start`` is an item of a comma list that a cue opens: "proficient in data
    management, reporting/KPIs, cost controls, payroll" (the cue carries to every item of its list; each item
    at most ``max_item`` words, nothing but commas, "and", "or" between items). ``gaps[k]``: the text between
    token k-1 and token k."""
    def sep(k: int) -> bool:
        return bool(re.fullmatch(r"\s*[,&]\s*|\s*,?\s*", gaps[k])) and "," in gaps[k]

    if start == 0 or not (sep(start) or tokens[start - 1].lower() in ("and", "or")):
        return False
    item, commas = 0, 0
    for j in range(start - 1, max(-1, start - 1 - max_back), -1):
        low = tokens[j].lower()
        if re.search(r"[.:;!?()]", gaps[j + 1]):
            return False                                  # a sentence or clause ends between
        if low in _CUE_BEFORE and j < start - 1:
            return commas > 0                             # a list: "using input from Product Development and Sales" is none
        if low in ("and", "or"):
            item = 0
            continue
        item += 1
        if item > max_item:
            return False
        if sep(j):
            item, commas = 0, commas + 1
    return False


def _product_list(tokens: list[str], gaps: list[str], pending: list["SkillMention"], min_items: int = 3) -> list["SkillMention"]:
    """Doubtful product names that make a list of at least ``min_items`` on their own, each written as a name and
    each the last word of its product's name ("Microsoft products (Word, Excel, Outlook)"): three products in a
    row are no accident of English; "Medical/Dental/Vision" (Medical software...) is not such a list."""
    items = [m for m in pending if m.kind == TECHNOLOGY and tokens[m.start][:1].isupper()
             and m.canonical.split()[-1].casefold() == m.text.casefold()]     # "Microsoft Word", not "Dental software"
    groups: list[list[SkillMention]] = []
    for m in sorted(items, key=lambda m: m.start):
        if groups and _listed_with(tokens, gaps, m, [groups[-1][-1]]):
            groups[-1].append(m)
        else:
            groups.append([m])
    return [m for g in groups if len({x.canonical for x in g}) >= min_items for m in g]


# a product made an adjective ("Python-based", "JSON-driven"); a lower-case word stays one ("cloud-based" is no skill)
_ADJECTIVE_SUFFIX = re.compile(r"\b([A-Z][\w+#.]{0,30})-(?:based|driven|powered|enabled|centric|focused|savvy)\b")
# a quantity, not a product ("max 3 trips", "level 2"; "one (1) year" is a number written twice, not "Sun ONE")
_QUANTITY = re.compile(r"(?:max|min|maximum|minimum|top|up|over|under|level|tier|grade|step|phase|class|type|group|zone|"
                       r"around|about|approx|approximately|one|two|three|four|five|six|seven|eight|nine|ten)\s+\d+(?:[.,]\d+)?")


@functools.lru_cache(maxsize=4)
def common_words(taxonomy: Taxonomy, min_count: int = 3) -> frozenset[str]:
    """Lower-case words of ordinary English as the taxonomy's own prose uses them (O*NET task statements and
    occupation descriptions): "reports", "meet", "vision", "plan", "lead", "access", "teams"... A one-word
    product name that is also one of these needs evidence before it counts as a skill."""
    from collections import Counter

    counts: Counter = Counter()
    for occ in taxonomy.occupations.values():
        for text in (*occ.tasks, occ.description):
            counts.update(re.findall(r"(?<![A-Za-z])[a-z][a-z+#.-]*[a-z+#]", text))
    return frozenset(w for w, c in counts.items() if c >= min_count)


@functools.lru_cache(maxsize=4)
def rare_products(taxonomy: Taxonomy) -> frozenset[str]:
    """Technology skills listed by at most two occupations and not flagged hot: obscure products ("FEAR",
    "HARVEST") whose one-word names are more often something else in a posting."""
    from collections import Counter

    counts: Counter = Counter()
    hot: set[str] = set()
    for occ in taxonomy.occupations.values():
        for sk in occ.skills:
            counts[sk.name] += 1
            if sk.hot:
                hot.add(sk.name)
    return frozenset(n for n, c in counts.items() if c <= 2 and n not in hot)


# category words, not skills: "proficiency in modern programming languages"
_CATEGORIES = frozenset({"programming languages", "software solutions", "remote monitoring", "computer software",
                         "software applications", "software programs", "web applications", "mobile applications",
                         "office equipment", "computer systems", "computer applications", "software tools"})


@functools.lru_cache(maxsize=1)
def _lexicon_table() -> dict[str, tuple[str, str]]:
    return {form: (canonical, kind) for form, canonical, kind in lexicon.entries()}


@dataclass(frozen=True)
class SkillMention:
    text: str           # as written
    canonical: str      # taxonomy name ("Apache Spark") or competency name ("Communication")
    kind: str           # TECHNOLOGY or COMPETENCY
    start: int          # token offsets [start, end) in the tokens given (or of ``tokenize(text)``)
    end: int


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """``(token, char_start, char_end)`` for every word-like token (keeps c++, c#, .net, node.js, ci/cd)."""
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


class SkillExtractor:
    """Greedy longest-match skill spotting over tokens. Thread-safe (read-only after construction)."""

    def __init__(self, taxonomy: Taxonomy | None = None, *, max_ngram: int = 5, competencies: bool = True,
                 domain: bool = True):
        self.taxonomy = taxonomy or Taxonomy.load()
        self.max_ngram = max_ngram
        self.competencies = COMPETENCIES if competencies else {}
        self.lexicon = _lexicon_table() if domain else {}
        self.common = common_words(self.taxonomy)
        self.rare = rare_products(self.taxonomy)

    def extract(self, text: str) -> list[SkillMention]:
        """Skill mentions of free text, in order of appearance (token offsets counted over its sentences)."""
        out: list[SkillMention] = []
        offset = 0
        text = text.replace("\u2019", "'").replace("\u2018", "'")
        text = _ADJECTIVE_SUFFIX.sub(r"\1 ", text)          # "Python-based development": Python
        for sentence in re.split(r"(?<=[.!?;])\s+|\n+", text):     # so a sentence's first word is known
            spans = self._split_slashes(tokenize(sentence))
            tokens = [t for t, _, _ in spans]
            gaps = [sentence[spans[k - 1][2]:spans[k][1]] if k else "" for k in range(len(spans))]
            out += [SkillMention(m.text, m.canonical, m.kind, m.start + offset, m.end + offset)
                    for m in self.extract_tokens(tokens, gaps=gaps)]
            offset += len(tokens)
        return out

    def _split_slashes(self, spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
        """"JavaScript/TypeScript", "Excel/Word": two skills; "ci/cd", "tcp/ip", "a/p" stay one token."""
        out = []
        for tok, a, b in spans:
            parts = tok.split("/")
            if len(parts) > 1 and all(len(p) >= 2 for p in parts) and tok.lower() not in self.lexicon \
                    and self.taxonomy.normalize_skill(tok) is None:
                pos = a
                for p in parts:
                    out.append((p, pos, pos + len(p)))
                    pos += len(p) + 1
            else:
                out.append((tok, a, b))
        return out

    def skills(self, text: str, *, kinds: tuple[str, ...] = (TECHNOLOGY,)) -> list[str]:
        """Distinct canonical names mentioned in ``text``, first mention first."""
        return list(dict.fromkeys(m.canonical for m in self.extract(text) if m.kind in kinds))

    def extract_tokens(self, tokens: list[str], *, gaps: list[str] | None = None) -> list[SkillMention]:
        """Mentions over pre-split tokens (SkillSpan style); spans never overlap. A product name that is also
        an ordinary word ("Word", "Teams", "Vision") is kept only when the sentence names another technology
        or a cue says it is one ("experience with ..."): a benefits list "Medical/Dental/Vision" is not software."""
        out: list[tuple[SkillMention, bool]] = []
        i, n = 0, len(tokens)
        while i < n:
            hit = None
            for size in range(min(self.max_ngram, n - i), 0, -1):
                hit = self._match(tokens, i, size, gaps)
                if hit is not None:
                    break          # a match, or a lexicon entry refused in this context (no shorter fallback)
            if hit is None or hit is _REJECTED:
                i += 1
                continue
            out.append(hit)
            i = hit[0].end
        gaps = gaps if gaps is not None else [" "] * len(tokens)
        kept = [m for m, doubtful in out if not doubtful or self._cue(tokens, m.start, m.end)]
        pending = [m for m, doubtful in out if doubtful and m not in kept]
        while pending:            # "Word, Excel and Outlook": a list anchored by one certain item keeps the rest
            anchors = [m for m in kept if m.kind == TECHNOLOGY]
            joined = [m for m in pending if _listed_with(tokens, gaps, m, anchors)]
            if not joined:
                break
            kept += joined
            pending = [m for m in pending if m not in joined]
        kept += _product_list(tokens, gaps, pending)
        return sorted(kept, key=lambda m: m.start)

    def _match(self, tokens: list[str], i: int, size: int, gaps: list[str] | None = None) -> tuple[SkillMention, bool] | None:
        """(mention, doubtful) for tokens[i:i+size], or None."""
        words = [w.strip(".,;:()") for w in tokens[i:i + size]]
        if not all(words) or words[0].lower() in _STOP or words[-1].lower() in _STOP:
            return None
        phrase = " ".join(words)
        low = phrase.lower()
        sentence_start = i == 0 or tokens[i - 1].endswith((".", ":"))
        if low not in self.lexicon and size > 1 and low.endswith("s") and not low.endswith("ss") \
                and low[:-1] in self.lexicon:
            low = low[:-1]                                  # "internal audits", "wound care plans": the plural of one
        if low in self.lexicon:
            canonical, kind = self.lexicon[low]
            if lexicon.is_abbreviation(low, canonical) and not (phrase.isupper() or any(c.isdigit() for c in phrase)) and (
                    kind != lexicon.TOOL or low in self.common):
                return _REJECTED                            # "rn", "pos", "cdl" in lower case are not the credentials
            if low in lexicon.GENERIC and not self._cue(tokens, i, i + size, gaps):
                return _REJECTED                            # "sales" alone is not a requirement; "sales experience" is
            doubtful = kind == lexicon.TOOL and size == 1 and low in self.common
            if kind == lexicon.TOOL and size == 1 and phrase.isalpha() and (phrase.islower() or doubtful and sentence_start):
                return _REJECTED                            # "epic", "notion" as plain words; products are capitalised
            return SkillMention(phrase, canonical, kind, i, i + size), doubtful
        if low in self.competencies:
            return SkillMention(phrase, self.competencies[low], COMPETENCY, i, i + size), False
        if size == 1 and len(tokens) == 1 and words[0][:1].isupper() and len(words[0]) > 1:
            canonical = self.taxonomy.normalize_skill(phrase)       # a list item of its own: "Spark.", "Excel"
            return (SkillMention(phrase, canonical, TECHNOLOGY, i, i + size), False) if canonical else None
        # "word processing" names no product, "to excel in" is the verb
        following = tokens[i + 1].lower().strip(".,;:()") if i + 1 < len(tokens) else ""
        if size == 1 and low in _LOWER_PRODUCTS and words[0].islower() and not sentence_start \
                and not following.startswith("process") and (i == 0 or tokens[i - 1].lower() not in _MODAL):
            canonical = self.taxonomy.normalize_skill(phrase)   # "experience with excel and word": doubtful, so only
            if canonical:                                        # after a cue or in a list with a certain tool
                return SkillMention(phrase, canonical, TECHNOLOGY, i, i + size), True
        if size == 1 and not self._plausible_single(words[0], sentence_start=sentence_start):
            return None
        canonical = self.taxonomy.normalize_skill(phrase)
        if canonical is None:
            return None
        if size == 1 and words[0].islower() and canonical.casefold() != low and words[0].isalpha():
            return None                                     # "world" is not "Autodesk World"; "Excel" written so is
        derived = canonical.casefold() != low             # "Act!" from "ACT", "SAN" from "Storage area network SAN"
        if derived and _QUANTITY.fullmatch(low):
            return None                                     # "max 3 trips", "level 2": a quantity, not "Exact MAX"
        if size > 1 and (low in _CATEGORIES or derived and phrase.islower() and all(w in self.common for w in low.split())):
            return None                                     # "software solutions" is not "EZ Software Solutions"
        acronym = size == 1 and words[0].isupper() and len(words[0]) >= 2 and words[0].isalpha()
        if acronym and len(low) > 3 and low in _AMBIGUOUS and canonical.split()[-1].lower() == low and not sentence_start:
            return SkillMention(phrase, canonical, TECHNOLOGY, i, i + size), True   # "Python, SPARK": only in a list
        if acronym and derived and (low in self.common or low in _CAPS_WORDS):
            return None                                     # "FAST-PACED", "CALM", "LEAD" in capitals: words
        if acronym and low not in _AMBIGUOUS and canonical not in self.rare:
            return SkillMention(phrase, canonical, TECHNOLOGY, i, i + size), False      # "SQL", "AWS", "HTML"
        doubtful = size == 1 and (low in self.common or low in _AMBIGUOUS or derived or canonical in self.rare)
        shouted = words[0].isupper() and len(words[0]) > 3 and canonical.split()[-1] != words[0]
        if doubtful and (not words[0][:1].isupper() or sentence_start or shouted):
            return None                                     # "reports", "meet", "plan" as plain words; "FAST-PACED"
        return SkillMention(phrase, canonical, TECHNOLOGY, i, i + size), doubtful

    @staticmethod
    def _domain_word(low: str, canonical: str) -> bool:
        """"bookkeeping" -> "Bookkeeping software": the word names the skill itself, not a product."""
        rest = canonical.lower().replace(low, "", 1).split()
        return canonical.lower().startswith(low) and all(w in ("software", "systems", "system", "suite", "applications",
                                                                "application", "programs", "tools") for w in rest)

    @staticmethod
    def _cue(tokens: list[str], start: int, end: int, gaps: list[str] | None = None) -> bool:
        before = [t.lower().strip(".,;:()") for t in tokens[max(0, start - 2):start]]
        after = tokens[end].lower().strip(".,;:()") if end < len(tokens) else ""
        return any(t in _CUE_BEFORE for t in before) or after in _CUE_AFTER or (
            gaps is not None and _list_cue(tokens, gaps, start))

    @staticmethod
    def _plausible_single(word: str, *, sentence_start: bool) -> bool:
        """A one-word taxonomy match counts unless it is an ordinary word written as one."""
        if len(word) < 2 and not word.isupper():
            return False
        if any(not ch.isalpha() for ch in word):
            return True                                   # c++, c#, .net, node.js, s3
        if word.lower() not in _AMBIGUOUS:
            return True
        written_as_name = word[:1].isupper()      # in capitals ("SPARK") it counts only in a list of tools (_match)
        return written_as_name and not sentence_start and word.lower() not in ("it", "one", "data", "web", "cloud")


__all__ = ["SkillExtractor", "SkillMention", "COMPETENCIES", "TECHNOLOGY", "COMPETENCY", "tokenize"]
