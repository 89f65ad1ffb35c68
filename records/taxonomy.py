"""The shipped occupation taxonomy (O*NET 27.0): occupations, title matching, skill normalisation.

``records/data/taxonomy.json.gz`` is built by ``scripts/build_taxonomy.py``; the product never needs
``../shared/data`` at run time. ``Taxonomy.load()`` returns a cached instance::

    >>> tax = Taxonomy.load()
    >>> tax.match_title("Sr. Data Engineer").code
    '15-1243.00'
    >>> tax.normalize_skill("spark")
    'Apache Spark'

Title matching: exact lookup of the normalised title in an alias table (occupation titles,
reported, alternate and short titles), first with seniority words kept ("Chief Executive Officer"),
then with them stripped ("Sr. Data Engineer" -> "data engineer"); otherwise the best IDF-weighted
token overlap (weighted Dice, 0..1) above ``MATCH_THRESHOLD``. Results are memoised per raw and per
normalised title, so ingesting millions of rows costs a dict lookup for every title seen before.
"""
from __future__ import annotations

import functools
import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from records.errors import NotFoundError, ValidationError

ATTRIBUTION = ("O*NET 27.0 Database by the U.S. Department of Labor, Employment and Training Administration "
               "(USDOL/ETA), CC BY 4.0")
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.json.gz"
FORMAT = "talentsearch-taxonomy/1"
MATCH_THRESHOLD = 0.5
"""Minimum weighted-Dice score of a fallback (non-exact) title match."""
_CACHE_LIMIT = 500_000

# ---------------------------------------------------------------------------------------------
# Title text
# ---------------------------------------------------------------------------------------------
_ABBREVIATIONS = {
    "sr": "senior", "snr": "senior", "jr": "junior", "jnr": "junior", "mgr": "manager", "mngr": "manager",
    "eng": "engineer", "engr": "engineer", "dev": "developer", "swe": "software engineer",
    "sde": "software development engineer", "sw": "software", "admin": "administrator", "asst": "assistant",
    "assoc": "associate", "dir": "director", "vp": "vice president", "svp": "senior vice president",
    "evp": "executive vice president", "avp": "assistant vice president", "rn": "registered nurse",
    "lpn": "licensed practical nurse", "qa": "quality assurance", "hr": "human resources",
    "it": "information technology", "ml": "machine learning", "ai": "artificial intelligence",
    "mgmt": "management", "coord": "coordinator", "exec": "executive", "ops": "operations",
    "ceo": "chief executive officer", "cfo": "chief financial officer", "coo": "chief operating officer",
    "cto": "chief technology officer", "cio": "chief information officer", "cmo": "chief marketing officer",
    "intl": "international", "acct": "accountant", "engineering": "engineer", "frontend": "front end",
    "backend": "back end", "fullstack": "full stack",
}
_STOPWORDS = frozenset({"a", "an", "the", "of", "and", "for", "in", "to", "at", "with", "on", "or"})
_SENIORITY_WORDS = frozenset({"senior", "junior", "lead", "principal", "staff", "chief", "intern", "internship",
                              "associate", "trainee", "mid", "graduate"})
_LEVEL_TOKEN = re.compile(r"^(?:i{1,3}|iv|vi{0,3}|ix|x|l\d|\d{1,2})$")
_LEVEL_L = re.compile(r"^l\d$")
# "contract" and "remote" say how a job is held, except where they name the work: "Contract Administrator",
# "Contract Specialist" (O*NET titles of purchasing agents), "Remote Sensing Scientist", "Remote Pilot"
HOW_HELD = (r"remote(?!\s+(?:sensing|pilot|camera|broadcast|encoding|control)\b)|"
            r"contract(?!\s+(?:administrat\w*|analyst|clerk|coordinator|manager|negotiat\w*|specialist|officer|"
            r"attorney|lawyer|paralegal|compliance|management|inspector|preparer|review\w*)s?\b)")
_NOISE = re.compile(r"\b(?:[mfwd]\s*/\s*[mfwd]\s*/\s*[mfwd]|full[- ]time|part[- ]time|hybrid|freelance|temporary|"
                    + HOW_HELD + r")\b")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#]*")
_PAREN = re.compile(r"\(([^()]*)\)")
_TAIL = re.compile(r"\s(?:\||@|at)\s.*$")


@functools.lru_cache(maxsize=65536)
def _singular(token: str) -> str:
    """Light plural stripping, applied identically to titles and aliases (so it only needs consistency)."""
    if len(token) <= 3 or not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("sses", "ches", "shes", "xes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        out.extend(_ABBREVIATIONS.get(tok, tok).split())
    return [_singular(t) for t in out]


def normalize_title(raw: str) -> str:
    """Casefold, drop parentheticals / "| Company" tails / noise ("m/f/d", "remote"), expand
    abbreviations (sr, mgr, swe...) and singularise tokens. Seniority words are kept."""
    text = raw.casefold().replace("&", " and ")
    text = _TAIL.sub("", text)
    text = _PAREN.sub(" ", text) if _PAREN.sub("", text).strip() else text
    text = _NOISE.sub(" ", text)
    return " ".join(_tokens(text))


def strip_seniority(normalized: str) -> str:
    """Remove seniority words, "head of", "vice president (of)" and trailing levels ("ii", "3") from a normalised title."""
    toks = normalized.split()
    out: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if (t, nxt) in (("head", "of"), ("vice", "president"), ("entry", "level")):
            i += 3 if i + 2 < len(toks) and toks[i + 2] == "of" and t == "vice" else 2
            continue
        if t not in _SENIORITY_WORDS:
            out.append(t)
        i += 1
    while out and _LEVEL_TOKEN.match(out[-1]):
        out.pop()
    return " ".join(t for t in out if not _LEVEL_L.match(t))


def _strip_leading(normalized: str) -> str:
    """Only the seniority words in front and the trailing levels: "senior sales associate" -> "sales associate"."""
    toks = normalized.split()
    while toks and toks[0] in _SENIORITY_WORDS:
        toks.pop(0)
    while toks and _LEVEL_TOKEN.match(toks[-1]):
        toks.pop()
    return " ".join(toks)


_HINTS = (  # checked top down: the highest level named in the title wins
    ("executive", re.compile(r"\b(?:vp|svp|evp|vice president|chief|c[a-z]o|president|cxo)\b")),
    ("director", re.compile(r"\b(?:head of|director|dir)\b")),
    ("manager", re.compile(r"\b(?:manager|mgr|mngr)\b")),
    ("lead", re.compile(r"\b(?:lead|principal|staff)\b")),
    ("senior", re.compile(r"\b(?:senior|sr|snr)\b")),
    ("junior", re.compile(r"\b(?:junior|jr|jnr|associate|entry)\b")),
    ("intern", re.compile(r"\b(?:intern|internship|trainee)\b")),
)


def seniority_hint(raw_title: str) -> str | None:
    """One of ``records.schema.SENIORITY_LEVELS`` named by the title's words, or None (e.g. "Data Engineer")."""
    text = " ".join(re.findall(r"[a-z0-9]+", raw_title.casefold()))
    for level, pattern in _HINTS:
        if pattern.search(text):
            return level
    return None


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TechSkill:
    name: str          # canonical O*NET technology-skill name, e.g. "Apache Spark"
    hot: bool          # O*NET "Hot Technology" flag
    commodity: str     # UNSPSC commodity title, e.g. "Data base management system software"


@dataclass(frozen=True)
class Occupation:
    code: str                                   # O*NET-SOC, e.g. "15-1252.00"
    title: str                                  # e.g. "Software Developers"
    description: str
    job_zone: int                               # 1..5 (preparation needed)
    job_zone_inferred: bool                     # True when O*NET has none (inferred at build time)
    education_level: int                        # most common "Required Level of Education" category, 1..12
    education: str                              # its label, e.g. "Bachelor's Degree"
    education_inferred: bool                    # True when O*NET has no education data for it
    alternate_titles: tuple[str, ...]
    short_titles: tuple[str, ...]
    reported_titles: tuple[str, ...]
    skills: tuple[TechSkill, ...]
    related: tuple[tuple[str, str, int], ...]   # (code, tier, index), index order; tier Primary-Short|Primary-Long|Supplemental
    tasks: tuple[str, ...]                      # Core tasks first, at most 8
    esco_titles: tuple[str, ...] = ()           # ESCO v1.2 labels placed on this occupation (extra aliases)

    @property
    def major_group(self) -> str:
        """The two-digit SOC major group, e.g. "15" (Computer and Mathematical)."""
        return self.code[:2]


@dataclass(frozen=True)
class TitleMatch:
    code: str          # O*NET-SOC code
    title: str         # the occupation title
    score: float       # 1.0 for an exact alias match, else the weighted token overlap in (0, 1)
    alias: str         # the alias text that matched, as written in O*NET


# ---------------------------------------------------------------------------------------------
# Indexes
# ---------------------------------------------------------------------------------------------
# ESCO labels rank last: they fill gaps in O*NET's aliases and never take a key O*NET names.
TITLE_KIND_RANK = {"title": 0, "reported": 1, "alternate": 2, "short": 3, "parenthetical": 4, "esco": 5}


def title_variants(text: str) -> list[tuple[str, str]]:
    """(variant, kind suffix): the text without its parenthetical, and the parenthetical alone."""
    inner = _PAREN.findall(text)
    outer = _PAREN.sub(" ", text).strip()
    out = [(outer or text, "")]
    out += [(i.strip(), "parenthetical") for i in inner if len(i.split()) >= 2]
    return out


class _TitleIndex:
    """Alias table (normalised text -> best code) plus an inverted index for the overlap fallback."""

    def __init__(self, occupations: dict[str, Occupation]):
        entries: list[tuple] = []                # (key, kind rank, -sources, code, alias)
        for occ in occupations.values():
            named = [(occ.title, "title", 3)] + [(t, "reported", 2) for t in occ.reported_titles]
            named += [(t, "alternate", 1) for t in occ.alternate_titles] + [(t, "short", 1) for t in occ.short_titles]
            named += [(t, "esco", 0) for t in occ.esco_titles]
            for text, kind, weight in named:
                for variant, sub in title_variants(text):
                    key = normalize_title(variant)
                    if key:
                        entries.append((key, TITLE_KIND_RANK[sub or kind], -weight, occ.code, text))
        support = self._support(entries)
        exact: dict[str, tuple] = {}
        for key, rank, neg_w, code, alias in entries:
            cand = (rank, -support.get((key, code), 0), neg_w, code, alias)
            if key not in exact or cand < exact[key]:
                exact[key] = cand
        # Stripped keys ("senior data engineer" -> "data engineer") rank below every unstripped alias;
        # one-word leftovers ("marketing" from "Marketing Associate") would be too vague to keep.
        for key, cand in list(exact.items()):
            stripped = strip_seniority(key)
            if stripped != key and len(stripped.split()) >= 2:
                demoted = (cand[0] + 10,) + cand[1:]
                if stripped not in exact or demoted < exact[stripped]:
                    exact[stripped] = demoted
        # An ESCO label never overrides what O*NET says of its seniority-stripped form: "junior accountant"
        # (an ESCO label of bookkeeping clerks) stays an Accountant, as "jr accountant" always was.
        esco_rank = TITLE_KIND_RANK["esco"]
        for key, cand in list(exact.items()):
            if cand[0] == esco_rank:
                stripped = strip_seniority(key)
                if stripped != key and stripped in exact and exact[stripped][0] < esco_rank:
                    exact[key] = exact[stripped]
        self.exact = {k: (c[3], c[4]) for k, c in exact.items()}
        self.vocab = frozenset(t for k in self.exact for t in k.split())
        order = sorted(exact, key=lambda k: (exact[k][0], k))   # better-ranked aliases get lower ids
        self.keys = order
        self.codes = [exact[k][3] for k in order]
        self.aliases = [exact[k][4] for k in order]
        df = Counter(t for k in order for t in set(k.split()))
        n = len(order)
        self.idf = {t: math.log(1.0 + n / c) for t, c in df.items()}
        self.median_idf = float(np.median(list(self.idf.values())))
        postings: dict[str, list[int]] = {}
        weight = np.zeros(n, dtype=np.float64)
        for i, k in enumerate(order):
            toks = sorted(set(k.split()))     # sorted: a float sum in set order varied with PYTHONHASHSEED,
            weight[i] = sum(self.idf[t] for t in toks)   # and so did near-tied matches between processes
            for t in toks:
                postings.setdefault(t, []).append(i)
        self.postings = {t: np.asarray(v, dtype=np.int32) for t, v in postings.items()}
        self.weight = weight

    @staticmethod
    def _support(entries: list[tuple]) -> dict[tuple[str, str], int]:
        """For keys claimed by several codes: how many of each code's aliases contain all the key's tokens.

        "data engineer" is an alternate title of both Database Architects and Data Scientists; the
        former also lists "Big Data Engineer", so it wins.
        """
        codes_by_key: dict[str, set[str]] = {}
        for key, _, _, code, _ in entries:
            codes_by_key.setdefault(key, set()).add(code)
        contested = {c for codes in codes_by_key.values() if len(codes) > 1 for c in codes}
        by_code: dict[str, dict[str, set[int]]] = {}     # code -> token -> ids of its aliases holding it
        for i, (key, _, _, code, _) in enumerate(entries):
            if code in contested:
                for tok in key.split():
                    by_code.setdefault(code, {}).setdefault(tok, set()).add(i)
        out = {}
        for key, codes in codes_by_key.items():
            if len(codes) > 1:
                toks = key.split()
                for code in codes:
                    sets = [by_code[code].get(t, set()) for t in toks]
                    out[(key, code)] = len(set.intersection(*sets))
        return out

    def overlap(self, normalized: str) -> tuple[int, float] | None:
        """Best alias id and weighted-Dice score for the tokens of ``normalized``; None if no token is known.

        Tokens unknown to every alias weigh the median IDF. A candidate must also cover at least half of
        the query's weight, so "data engineering" never falls back to the one-word alias "data".
        """
        words = [t for t in dict.fromkeys(normalized.split()) if t not in _STOPWORDS]
        toks = [t for t in words if t in self.postings]
        if not toks:
            return None
        q_weight = sum(self.idf.get(t, self.median_idf) for t in words)
        ids = np.concatenate([self.postings[t] for t in toks])
        w = np.concatenate([np.full(len(self.postings[t]), self.idf[t]) for t in toks])
        cand, inverse = np.unique(ids, return_inverse=True)
        shared = np.bincount(inverse, weights=w)
        score = np.where(shared >= 0.5 * q_weight, 2.0 * shared / (q_weight + self.weight[cand]), 0.0)
        best = int(np.argmax(score))          # ties: the lowest id, i.e. the best-ranked alias
        return int(cand[best]), float(score[best])


_GENERIC_REMAINDERS = frozenset({"software", "suite", "system", "systems", "server", "online", "cloud", "basic",
                                 "tool", "tools", "professional", "enterprise", "pro", "plus", "standard"})
_NOT_VENDORS = frozenset({"Windows", "Visual", "Office", "Power", "SQL", "Business", "Enterprise", "Data",
                          "Digital", "Dynamics", "Web", "Project", "Internet", "Computer", "Electronic"})
_SHORT_FORMS = {  # user spelling -> canonical name (kept only where the canonical name is in the taxonomy)
    "js": "JavaScript", "ts": "TypeScript", "golang": "Go", "postgres": "PostgreSQL", "k8s": "Kubernetes",
    "sklearn": "scikit-learn", "node": "Node.js", "nodejs": "Node.js", "reactjs": "React", "react.js": "React",
    "vue": "Vue.js", "vuejs": "Vue.js", "cpp": "C++", "c sharp": "C#", "csharp": "C#", "aws": "Amazon Web Services AWS software",
    "amazon web services": "Amazon Web Services AWS software", "ms excel": "Microsoft Excel",
    "ms word": "Microsoft Word", "ms office": "Microsoft Office", "mssql": "Microsoft SQL Server",
    "ms sql": "Microsoft SQL Server", "powerbi": "Microsoft Power BI", "power bi": "Microsoft Power BI",
    "spss": "IBM SPSS Statistics", "jira": "Atlassian JIRA", "bash scripting": "Bash", "hive": "Apache Hive",
    "gcp": "Google Cloud software", "azure": "Microsoft Azure software", "ruby on rails": "Ruby on Rails",
    "rails": "Ruby on Rails", "tf": "TensorFlow", "pyspark": "Apache Spark", "spark sql": "Apache Spark",
    ".net": "Microsoft .NET Framework", "dotnet": "Microsoft .NET Framework", "sap": "SAP business and customer relations management software",
}
_SKILL_TOKEN = re.compile(r"[\w+#.]+")


def _skill_key(text: str) -> str:
    toks = (t.strip(".") if not t.startswith(".") else t.rstrip(".") for t in _SKILL_TOKEN.findall(text.casefold()))
    return " ".join(t for t in toks if t).replace("_", " ")


def _vendor_prefixes(names: list[str]) -> set[str]:
    """Leading tokens shared by >= 3 names and followed by a capitalised product name ("Microsoft", "Apache",
    "Adobe Systems"). Words that also occur in lower case inside names ("advanced", "power") are not vendors."""
    lower_words = {w for n in names for w in n.split()[1:] if w[:1].islower()}
    starts, upper = Counter(), Counter()
    corporate = {"Systems", "Software", "Corporation", "Technologies", "Inc", "Research", "Solutions", "Graphics",
                 "Networks", "Labs", "Healthcare", "Microsystems", "Information", "International", "Reuters"}
    for n in names:
        toks = n.split()
        for k in (1, 2):
            if len(toks) <= k:
                continue
            prefix = toks[:k]
            if k == 2 and prefix[1] not in corporate:
                continue
            p = " ".join(prefix)
            starts[p] += 1
            if toks[k][:1].isupper() or toks[k][:1].isdigit():
                upper[p] += 1
    return {p for p, c in upper.items()
            if c >= 3 and c >= 0.5 * starts[p] and p not in _NOT_VENDORS
            and (" " in p or p.casefold() not in {w.casefold() for w in lower_words})} | {"The"}


def _role_nouns(occupations: dict[str, "Occupation"], min_titles: int = 3) -> frozenset[str]:
    """Words that end at least ``min_titles`` O*NET job titles ("manager", "director", "designer")."""
    heads: Counter = Counter()
    for occ in occupations.values():
        for text in (occ.title, *occ.alternate_titles, *occ.reported_titles):
            toks = re.findall(r"[A-Za-z]+", _PAREN.sub(" ", text))
            if toks:
                heads[toks[-1].lower()] += 1
    return frozenset(h for h, n in heads.items() if n >= min_titles)


class _SkillIndex:
    """Alias table: skill key -> (canonical name, display form). Lower tier wins, then the more common skill.

    A derived one-word alias that is also a job-title head noun is not kept: "Assisi Software Assisi
    Manager" is not "manager", "Oracle Designer" not "designer" (the full names still match)."""

    def __init__(self, frequency: Counter, role_nouns: frozenset[str] = frozenset()):
        names = sorted(frequency)
        vendors = _vendor_prefixes(names)
        best: dict[str, tuple] = {}

        def add(alias: str, canonical: str, tier: int) -> None:
            key = _skill_key(alias)
            if not key or (tier > 0 and (len(key) < 2 or key in _GENERIC_REMAINDERS or key in role_nouns)):
                return
            if tier >= 2 and len(key) <= 2:   # a derived two-letter rest is any acronym: "PM" is not "Allscripts PM",
                return                        # "AI" not "NI Vision Builder for Automated Inspection AI" (curated "js" stays)
            cand = (tier, -frequency[canonical], canonical, alias)
            if key not in best or cand < best[key]:
                best[key] = cand

        for name in names:
            add(name, name, 0)
            forms = [name]
            rest = name
            for _ in range(3):                  # "Adobe Systems Adobe Photoshop" -> "Adobe Photoshop" -> "Photoshop"
                toks = rest.split()
                hit = next((k for k in (2, 1) if len(toks) > k and " ".join(toks[:k]) in vendors
                            and (toks[k][:1].isupper() or toks[k][:1].isdigit())), None)
                if hit is None:
                    break
                rest = " ".join(toks[hit:])
                forms.append(rest)
            for form in forms:
                add(form, name, 0 if form == name else 2)
                base = re.sub(r"\s+(?:software|suite)$", "", form, flags=re.I)
                if base != form:
                    add(base, name, 1)
                toks = base.split()   # "Structured query language SQL" -> "SQL"
                if len(toks) >= 3 and re.fullmatch(r"[A-Z][A-Z0-9+#]{1,5}", toks[-1]) and any(t[:1].islower() for t in toks[1:-1]):
                    add(toks[-1], name, 3)
                    add(" ".join(toks[:-1]), name, 3)
        for alias, canonical in _SHORT_FORMS.items():
            if canonical in frequency:
                add(alias, canonical, 1)
        self.table = {k: (c[2], c[3]) for k, c in best.items()}
        self.display: dict[str, list[str]] = {}
        for key, (canonical, alias) in sorted(self.table.items()):
            self.display.setdefault(canonical, []).append(alias)

    def lookup(self, raw: str) -> str | None:
        key = _skill_key(raw)
        hit = self.table.get(key)
        if hit is None:                         # "Python 3", "Java 8"
            trimmed = re.sub(r"\s+v?\d+(?:\.\d+)*$", "", key)
            hit = self.table.get(trimmed) if trimmed != key else None
        return hit[0] if hit else None


# ---------------------------------------------------------------------------------------------
# The taxonomy
# ---------------------------------------------------------------------------------------------
_MISSING = object()


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """Occupations keyed by O*NET-SOC code, with title and skill lookups (indexes built on first use)."""

    occupations: dict[str, Occupation]
    attribution: str = ATTRIBUTION
    source: str = ""
    _raw_cache: dict = field(default_factory=dict, init=False, repr=False)
    _norm_cache: dict = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Taxonomy":
        """Load ``records/data/taxonomy.json.gz`` (cached) or another file built by ``scripts/build_taxonomy.py``."""
        return _load(str(Path(path).resolve()) if path is not None else str(DEFAULT_PATH))

    @classmethod
    def from_dict(cls, data: dict) -> "Taxonomy":
        if data.get("format") != FORMAT:
            raise ValidationError(f"taxonomy format {data.get('format')!r} is not {FORMAT!r}; rebuild it with "
                                  "scripts/build_taxonomy.py")
        skills, commodities = data["skills"], data["commodities"]
        levels = data.get("education_levels", {})
        extra: dict[str, list] = {}
        for code, s, hot, c in data.get("supplement", {}).get("skills", []):
            extra.setdefault(code, []).append([s, hot, c])
        esco: dict[str, list[str]] = {}
        for code, _isco, labels, _how in data.get("esco", {}).get("titles", []):
            esco.setdefault(code, []).extend(labels)
        occupations = {}
        for o in data["occupations"]:
            seen = {s[0] for s in o["skills"]}
            links = o["skills"] + [s for s in extra.get(o["code"], []) if s[0] not in seen]
            occupations[o["code"]] = Occupation(
                code=o["code"], title=o["title"], description=o["description"], job_zone=int(o["job_zone"]),
                job_zone_inferred=bool(o["job_zone_inferred"]), education_level=int(o["education"]),
                education=levels.get(str(o["education"]), ""), education_inferred=bool(o["education_inferred"]),
                alternate_titles=tuple(a[0] for a in o["alternate_titles"]),
                short_titles=tuple(dict.fromkeys(a[1] for a in o["alternate_titles"] if a[1])),
                reported_titles=tuple(r[0] for r in o["reported_titles"]),
                skills=tuple(TechSkill(skills[i], bool(hot), commodities[c]) for i, hot, c in links),
                related=tuple((r[0], r[1], int(r[2])) for r in o["related"]),
                tasks=tuple(o["tasks"]),
                esco_titles=tuple(dict.fromkeys(esco.get(o["code"], []))),
            )
        attribution = data.get("attribution", ATTRIBUTION)
        if "esco" in data:
            attribution += "; " + data["esco"]["attribution"]
        return cls(occupations=occupations, attribution=attribution,
                   source=data.get("source", ""))

    # -- lookups ------------------------------------------------------------------------------
    def occupation(self, code: str) -> Occupation:
        try:
            return self.occupations[code]
        except KeyError:
            raise NotFoundError(f"unknown O*NET-SOC code {code!r}") from None

    def related(self, code: str) -> list[tuple[str, str]]:
        """Related occupations as (code, tier) in O*NET's index order (most related first)."""
        return [(c, tier) for c, tier, _ in self.occupation(code).related]

    def skills_for(self, code: str) -> list[tuple[str, bool]]:
        """Technology skills of an occupation as (canonical name, hot)."""
        return [(s.name, s.hot) for s in self.occupation(code).skills]

    def match_title(self, raw_title: str) -> TitleMatch | None:
        """The occupation a raw job title names, or None when nothing matches well enough."""
        if not isinstance(raw_title, str):
            return None
        hit = self._raw_cache.get(raw_title, _MISSING)
        if hit is _MISSING:
            norm = normalize_title(raw_title)
            hit = self._norm_cache.get(norm, _MISSING)
            if hit is _MISSING:
                hit = self._match_normalized(norm)
                _remember(self._norm_cache, norm, hit)
            _remember(self._raw_cache, raw_title, hit)
        return hit

    def titles_in(self, text: str, *, max_words: int = 6, min_words: int = 2) -> list[tuple[str, TitleMatch]]:
        """Exact titles named inside free text ("Need a senior software engineer in Berlin with Java"):
        the longest word spans (up to ``max_words``) that are an O*NET title or alias once normalised,
        not overlapping, in the order they appear, each as (span, match). A span that is also a skill name
        ("acrobat", "python") is not taken for a title here. Spans are at least ``min_words`` long (unless the
        text is shorter): single words ("supervisor", "server", "page") are often part of something else.
        Dictionary lookups only."""
        if not isinstance(text, str):
            return []
        toks = normalize_title(text).split()
        exact, vocab = self._titles.exact, self._titles.vocab
        # a span can only match if every token is an alias word or one that stripping removes
        dead = [not (t in vocab or t in _SENIORITY_WORDS or _LEVEL_TOKEN.match(t) or _LEVEL_L.match(t)) for t in toks]
        found: list[tuple[int, str, TitleMatch]] = []
        used = [False] * len(toks)
        for width in range(min(max_words, len(toks)), min(min_words, len(toks)) - 1, -1):
            for i in range(len(toks) - width + 1):
                if any(used[i:i + width]) or any(dead[i:i + width]):
                    continue
                span = " ".join(toks[i:i + width])
                for key in (span, _strip_leading(span), strip_seniority(span)):
                    if key and key in exact and self.normalize_skill(span) is None:
                        code, alias = exact[key]
                        found.append((i, span, TitleMatch(code, self.occupations[code].title, 1.0, alias)))
                        used[i:i + width] = [True] * width
                        break
        return [(span, m) for _, span, m in sorted(found, key=lambda f: f[0])]

    def _match_normalized(self, norm: str) -> TitleMatch | None:
        if not norm:
            return None
        index = self._titles
        stripped = strip_seniority(norm)
        for key in (norm, _strip_leading(norm), stripped):
            if key and key in index.exact:
                code, alias = index.exact[key]
                return TitleMatch(code, self.occupations[code].title, 1.0, alias)
        best = index.overlap(stripped or norm)
        if best is None or best[1] < MATCH_THRESHOLD:
            return None
        i, score = best
        return TitleMatch(index.codes[i], self.occupations[index.codes[i]].title, round(score, 4), index.aliases[i])

    def normalize_skill(self, raw: str) -> str | None:
        """Canonical O*NET technology-skill name for a user-written skill ("spark" -> "Apache Spark"), or None."""
        if not isinstance(raw, str) or not raw.strip():
            return None
        return self._skills.lookup(raw)

    def skill_aliases(self, name: str) -> tuple[str, ...]:
        """Spellings that ``normalize_skill`` maps to the canonical ``name`` (the name itself first)."""
        forms = self._skills.display.get(name, [])
        return tuple(sorted(set(forms), key=lambda f: (f != name, len(f), f)))

    @staticmethod
    def seniority_hint(raw_title: str) -> str | None:
        return seniority_hint(raw_title)

    def title_word_idf(self, word: str) -> float:
        """IDF of a normalised title word over every title and alias (1.0 for a word no title uses)."""
        return self._titles.idf.get(word, 1.0)

    def warm(self) -> "Taxonomy":
        """Build the title and skill indexes now (seconds) instead of in the first lookup, e.g. a server's first search."""
        _ = self._titles, self._skills
        return self

    @functools.cached_property
    def _titles(self) -> _TitleIndex:
        return _TitleIndex(self.occupations)

    @functools.cached_property
    def _skills(self) -> _SkillIndex:
        return _SkillIndex(Counter(s.name for o in self.occupations.values() for s in o.skills),
                           role_nouns=_role_nouns(self.occupations))


def _remember(cache: dict, key, value) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


@functools.lru_cache(maxsize=4)
def _load(path: str) -> Taxonomy:
    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"taxonomy file {p} not found; build it with scripts/build_taxonomy.py")
    try:
        with gzip.open(p, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ValidationError(f"taxonomy file {p} is not gzip-compressed JSON: {exc}") from exc
    return Taxonomy.from_dict(data)
