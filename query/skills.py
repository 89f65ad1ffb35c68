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

from records.taxonomy import Taxonomy

TECHNOLOGY, COMPETENCY = "technology", "competency"

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

    def __init__(self, taxonomy: Taxonomy | None = None, *, max_ngram: int = 5, competencies: bool = True):
        self.taxonomy = taxonomy or Taxonomy.load()
        self.max_ngram = max_ngram
        self.competencies = COMPETENCIES if competencies else {}

    def extract(self, text: str) -> list[SkillMention]:
        """Skill mentions of free text, in order of appearance (token offsets counted over its sentences)."""
        out: list[SkillMention] = []
        offset = 0
        for sentence in re.split(r"(?<=[.!?;])\s+|\n+", text):     # so a sentence's first word is known
            tokens = [t for t, _, _ in tokenize(sentence)]
            out += [SkillMention(m.text, m.canonical, m.kind, m.start + offset, m.end + offset)
                    for m in self.extract_tokens(tokens)]
            offset += len(tokens)
        return out

    def skills(self, text: str, *, kinds: tuple[str, ...] = (TECHNOLOGY,)) -> list[str]:
        """Distinct canonical names mentioned in ``text``, first mention first."""
        return list(dict.fromkeys(m.canonical for m in self.extract(text) if m.kind in kinds))

    def extract_tokens(self, tokens: list[str]) -> list[SkillMention]:
        """Mentions over pre-split tokens (SkillSpan style); spans never overlap."""
        out: list[SkillMention] = []
        i, n = 0, len(tokens)
        while i < n:
            hit = None
            for size in range(min(self.max_ngram, n - i), 0, -1):
                hit = self._match(tokens, i, size)
                if hit is not None:
                    break
            if hit is None:
                i += 1
                continue
            out.append(hit)
            i = hit.end
        return out

    def _match(self, tokens: list[str], i: int, size: int) -> SkillMention | None:
        words = [w.strip(".,;:()") for w in tokens[i:i + size]]
        if not all(words) or words[0].lower() in _STOP or words[-1].lower() in _STOP:
            return None
        phrase = " ".join(words)
        low = phrase.lower()
        if low in self.competencies:
            return SkillMention(phrase, self.competencies[low], COMPETENCY, i, i + size)
        if size == 1 and not self._plausible_single(words[0], sentence_start=i == 0 or tokens[i - 1].endswith((".", ":"))):
            return None
        canonical = self.taxonomy.normalize_skill(phrase)
        if canonical is None:
            return None
        return SkillMention(phrase, canonical, TECHNOLOGY, i, i + size)

    @staticmethod
    def _plausible_single(word: str, *, sentence_start: bool) -> bool:
        """A one-word taxonomy match counts unless it is an ordinary word written as one."""
        if len(word) < 2 and not word.isupper():
            return False
        if any(not ch.isalpha() for ch in word):
            return True                                   # c++, c#, .net, node.js, s3
        if word.lower() not in _AMBIGUOUS:
            return True
        written_as_name = word[:1].isupper() and not word.isupper() or (word.isupper() and len(word) <= 4)
        return written_as_name and not sentence_start and word.lower() not in ("it", "one", "data", "web", "cloud")


__all__ = ["SkillExtractor", "SkillMention", "COMPETENCIES", "TECHNOLOGY", "COMPETENCY", "tokenize"]
