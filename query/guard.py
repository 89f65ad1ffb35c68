"""Responsible-AI guard: no query may select or exclude people by a protected attribute.

What is protected, which words about the work are not criteria, and how context decides are data
in a versioned policy file (``query/data/guard_policy.toml``, read by ``query.policy``), so a
tenant's compliance team can read exactly what the guard does. The guard runs on every path:

* ``Guard.text`` strips each criterion from free text with its cue words ("female candidates
  only"), or the whole clause when nothing else is left in it, and says what it removed;
* ``Guard.values`` cleans structured values (titles, skills, companies...); a country or
  nationality given as a company is national origin, never a company;
* ``Guard.query`` removes protected leaves from a parsed Boolean query (``NOT women`` is as
  discriminatory as ``women``); ``Guard.boolean_text`` first removes field scopes that name a
  protected attribute (``gender:female``), which are not profile fields;
* ``Guard.filters`` checks the values of a strategy's filters (an LLM can be told anything).

A known occupation title of the taxonomy ("Maternity Nurse", "Church Organist", "Youth Pastor")
is about the work, as are the phrases the policy lists. Each finding names exactly the text that
was removed; a request is refused only when nothing legitimate is left.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from query.lang import ast as qa
from query.policy import Policy, fold
from records.errors import QueryError
from records.taxonomy import Taxonomy

_YEAR = r"(?:19[5-9]\d|20[0-3]\d)"
_COMPANY_FIELDS = frozenset({"company", "current_company", "past_company"})
EXPLANATION = ("{category} is a protected attribute (or a proxy for one); selecting or excluding candidates by it "
               "is discriminatory, so '{text}' was {action}")


class PolicyViolationError(QueryError):
    """A request whose only criteria are protected attributes (HTTP 422); ``findings`` say which."""

    def __init__(self, message: str, findings: list["GuardFinding"]):
        self.findings = findings
        super().__init__(message)


@dataclass(frozen=True)
class GuardFinding:
    category: str       # "age", "sex/gender", "national origin", ...
    text: str           # exactly the text that was removed, as written
    where: str          # "text", "must_have[2]", "strategies[0:strict].query", ...
    action: str         # "stripped" | "refused"
    rule: str = ""      # the policy rule that decided ("age.numbers"); "" for structural checks
    reason: str = ""    # set when the explanation is not the category's ("a country is never a company")

    @property
    def explanation(self) -> str:
        base = EXPLANATION.format(category=self.category.capitalize(), text=self.text, action=self.action)
        return f"{base} ({self.reason})" if self.reason else base

    def to_dict(self) -> dict:
        return {"category": self.category, "text": self.text, "where": self.where, "action": self.action,
                "rule": self.rule, "explanation": self.explanation}


class Guard:
    """The policy applied to text, values, queries and filters; one per process (``default_guard``)."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self._fields = {fold(f): cat for cat, names in policy.fields.items() for f in names}
        self._scope = re.compile(r"(?:\bNOT\s+|(?<![\w\"])-)?\b([^\W\d]\w*):(\"[^\"]*\"|\([^)]*\)|[^\s()]+)")
        self._countries = frozenset(policy.countries)
        self._demonyms = frozenset(fold(w) for w in _DEMONYMS)

    # ------------------------------------------------------------------------------------ text
    def scan(self, text: str, *, standalone: bool = False) -> list[tuple[str, str]]:
        """``(category, text as written)`` for every protected criterion in ``text``."""
        return [(c.category, text[c.start:c.end]) for c in self.policy.criteria(text, standalone=standalone)]

    def text(self, text: str, *, where: str = "text", standalone: bool = False,
             cue_needed: bool = False) -> tuple[str, list[GuardFinding]]:
        """``text`` without its protected criteria; a finding for each piece removed. ``cue_needed``
        (a long posting): a word describing people is a criterion only with a cue ("must be", "only")."""
        crits = self.policy.criteria(text, standalone=standalone, cue_needed=cue_needed)
        if not crits:
            return text, []
        findings, cut = [], []
        for c in crits:
            spans = [(a, b) for a, b in c.cuts if not any(x <= a and b <= y for x, y in cut)]
            if not spans:            # inside what another criterion removed: still said, for its own category
                if all(f.category != c.category for f in findings):
                    findings.append(GuardFinding(c.category, text[c.start:c.end], where, "stripped", c.rule))
                continue
            cut.extend(spans)
            removed = " ... ".join(text[a:b].strip(" ,;:.-") for a, b in spans if text[a:b].strip(" ,;:.-"))
            findings.append(GuardFinding(c.category, removed or text[c.start:c.end], where, "stripped", c.rule))
        out, pos = [], 0
        for a, b in sorted(_union(cut)):
            out.append(text[pos:a])
            pos = b
        out.append(text[pos:])
        return _tidy("".join(out)), findings

    # ------------------------------------------------------------------------------------ values
    def values(self, values, *, where: str, kind: str = "text") -> tuple[tuple[str, ...], list[GuardFinding]]:
        """Clean each value; drop it when nothing legitimate is left. ``kind="company"``: a country or
        nationality is refused as a company (it would exclude people by national origin)."""
        kept, findings = [], []
        for i, v in enumerate(values):
            at = f"{where}[{i}]"
            if kind == "company":
                if self.is_country(v):
                    findings.append(GuardFinding("national origin", v, at, "stripped", "origin.country",
                                                 "a country or nationality is never a company"))
                else:
                    kept.append(v)   # a company's own name is not a criterion
                continue
            clean, found = self.text(v, where=at, standalone=True)
            if not found:
                kept.append(v)
                continue
            rest = clean.strip(" ,;:.-/+")
            words = [w for w in re.findall(r"\w+", fold(rest)) if w not in _FILLER_WORDS]
            # a requirement item is one criterion: what is left of a short one is its label or its value
            # ("Edad: 20-30", "Marital status: single", "Height 170cm+"), so it goes with the finding
            if len(words) > 2:
                kept.append(rest)
                findings.extend(found)
            else:
                findings.extend(GuardFinding(f.category, v, at, "stripped", f.rule) for f in found[:1])
                findings.extend(f for f in found[1:] if f.category != found[0].category)
        return tuple(kept), findings

    def is_country(self, value: str) -> bool:
        words = " ".join(re.findall(r"[a-z0-9]+", fold(value)))
        return words in self._countries or words in self._demonyms

    def excluded_companies(self, values, *, where: str) -> tuple[tuple[str, ...], list[GuardFinding]]:
        """Companies to EXCLUDE: besides countries, excluding the armed forces excludes veterans."""
        kept, findings = self.values(values, where=where, kind="company")
        out = []
        for v in kept:
            if _MILITARY.search(fold(v)):
                findings.append(GuardFinding("veteran status", v, f"{where}[{list(values).index(v)}]", "stripped",
                                             "veteran.employer", "excluding the armed forces excludes veterans"))
            else:
                out.append(v)
        return tuple(out), findings

    # ------------------------------------------------------------------------------------ queries
    def boolean_text(self, text: str) -> tuple[str, list[GuardFinding]]:
        """A Boolean query text without field scopes that name a protected attribute; other unknown
        fields are left for the parser to reject with their column."""
        findings: list[GuardFinding] = []

        def cut(m: re.Match) -> str:
            name = fold(m.group(1))
            cat = self._fields.get(name)
            if cat is None and qa.canonical_field(name) is None:
                # an unknown scope whose name or value is protected ("status:pregnant", "skin_tone:light")
                value = m.group(2).strip('"()')
                hits = (self.policy.criteria(name.replace("_", " "), standalone=True, any_mode=True)
                        or self.policy.criteria(value, standalone=True, any_mode=True))
                cat = hits[0].category if hits else None
            if cat is None:
                return m.group(0)
            findings.append(GuardFinding(cat, m.group(0).strip(), "query", "stripped", f"field.{fold(m.group(1))}",
                                         f"'{m.group(1)}' is a protected attribute, not a profile field"))
            return " "
        out = self._scope.sub(cut, text)
        out = re.sub(r"\(\s*\)", " ", out)
        for _ in range(3):     # operators left dangling by a removed scope
            out = re.sub(r"^\s*(?:AND|OR)\s+|\s+(?:AND|OR|NOT)\s*$", "", out)
            out = re.sub(r"\b(AND|OR)\s+(?:AND|OR)\b", r"\1", out)
            out = re.sub(r"\(\s*(?:AND|OR)\s+|\s+(?:AND|OR|NOT)\s*\)", lambda m: "(" if "(" in m.group(0) else ")", out)
        return re.sub(r"\s{2,}", " ", out).strip(), findings

    def query(self, node: qa.Node, *, where: str = "query", accepted: frozenset[str] = frozenset()
              ) -> tuple[qa.Node | None, list[GuardFinding]]:
        """``node`` without protected leaves (negated or not); None when nothing legitimate is left.
        ``accepted``: case-folded requirement values already guarded in context, not judged again."""
        findings: list[GuardFinding] = []

        negated = {id(leaf) for leaf, neg in qa.iter_leaves(node) if neg}

        def clean(n: qa.Node) -> bool:
            if n.field in _COMPANY_FIELDS and id(n) in negated and _MILITARY.search(fold(n.text)):
                findings.append(GuardFinding("veteran status", f"NOT {n.field}:{n.text}", where, "stripped", "veteran.employer",
                                             "excluding the armed forces excludes veterans"))
                return False
            if n.field in _COMPANY_FIELDS:
                if not self.is_country(n.text):
                    return True      # a company's name ("Christian Dior", "Gay Times") is not a criterion
            if n.field in _COMPANY_FIELDS and self.is_country(n.text):
                findings.append(GuardFinding("national origin", f"{n.field}:{n.text}", where, "stripped", "origin.country",
                                             "a country or nationality is never a company"))
                return False
            # excluding by a protected word is a criterion whatever the word ("NOT hijab"); a bare term alone is
            # one ("women"); a skill is read as a skill ("hijab" styling)
            neg = id(n) in negated
            if not neg and fold(" ".join(n.text.split())) in accepted:
                return True          # a requirement the guard already read in its context ("all skin tones")
            hits = self.policy.criteria(n.text, standalone=True, any_mode=neg, cue_needed=n.field == "skill" and not neg)
            if n.field == "school" and re.fullmatch(_YEAR, n.text):
                findings.append(GuardFinding("age", f"school:{n.text}", where, "stripped", "age.graduation"))
                return False
            if hits:
                findings.extend(GuardFinding(h.category, n.text, where, "stripped", h.rule) for h in hits[:1])
                return False
            return True

        out = qa.prune_leaves(node, clean)
        if out is not None and all(negated for _, negated in qa.iter_leaves(out)) and findings:
            out = None        # only exclusions left after stripping: the query no longer says who is wanted
        if out is None and findings:
            findings = [GuardFinding(f.category, f.text, f.where, "refused", f.rule, f.reason) for f in findings]
        return (qa.normalize(out) if out is not None else None), findings

    def filters(self, filters: dict, *, where: str) -> tuple[dict, list[GuardFinding]]:
        """A strategy's filters without protected values (a country as a company, "female" anywhere)."""
        out, findings = {}, []
        for key, value in filters.items():
            kind = "company" if "compan" in key else "text"
            if isinstance(value, str):
                kept, found = self.values([value], where=f"{where}.{key}", kind=kind)
                findings += found
                if kept:
                    out[key] = kept[0]
            elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                kept, found = self.values(value, where=f"{where}.{key}", kind=kind)
                findings += found
                if kept or not value:
                    out[key] = list(kept)
            else:
                out[key] = value
        return out, findings


_MILITARY = re.compile(r"\b(?:army|navy|air force|marine corps|marines|coast guard|national guard|armed forces|military|"
                       r"bundeswehr|armee|ejercito|armada|fuerzas armadas|forces armees|space force|usmc|usaf)\b")
_FILLER_WORDS = frozenset("a an the and or of for with only please candidates candidate applicants people no not must be "
                          "should preferred ideal ideally who are is".split())

# Nationality and people words that are never a company name.
_DEMONYMS = ("indian", "indians", "pakistani", "pakistanis", "chinese", "mexican", "mexicans", "nigerian", "nigerians",
             "filipino", "filipinos", "russian", "russians", "ukrainian", "ukrainians", "polish", "poles", "german",
             "germans", "british", "italian", "italians", "turkish", "turks", "arab", "arabs", "african", "africans",
             "european", "europeans", "asian", "asians", "korean", "koreans", "japanese", "vietnamese", "brazilian",
             "brazilians", "canadian", "canadians", "romanian", "romanians", "syrian", "syrians", "afghan", "afghans",
             "iranian", "iranians", "iraqi", "iraqis", "somali", "somalis", "moroccan", "moroccans", "algerian",
             "algerians", "venezuelan", "venezuelans", "colombian", "colombians", "cuban", "cubans", "haitian", "haitians",
             "bangladeshi", "bangladeshis", "israeli", "israelis", "palestinian", "palestinians", "immigrants",
             "foreigners", "migrants", "expats", "hispanic", "hispanics", "latino", "latinos", "americans", "french",
             "spanish", "dutch", "greek", "greeks", "albanian", "albanians", "serbian", "serbians", "roma", "gypsies")


def _union(spans):
    out = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"\s+([,;.:!?])", r"\1", text)
    text = re.sub(r"([,;:.])(?:\s*[,;:.])+", lambda m: m.group(0).strip()[-1], text)
    text = re.sub(r"\(\s*\)", "", text)
    return text.strip(" ,;:-")


@lru_cache(maxsize=1)
def default_guard() -> Guard:
    """The guard with the shipped policy and the taxonomy's titles and vocabulary (loaded once)."""
    return Guard(Policy.load(**taxonomy_terms(Taxonomy.load())))


def taxonomy_terms(taxonomy) -> dict:
    """Occupation titles (what is a job, not a criterion) and the taxonomy's words (what is not a
    misspelling) for ``Policy``."""
    titles, vocab = set(), set()
    for occ in taxonomy.occupations.values():
        for t in (occ.title, *occ.alternate_titles, *occ.reported_titles, *occ.short_titles, *occ.esco_titles):
            words = re.findall(r"[a-z0-9]+", fold(t))
            if words:
                titles.add(" ".join(words))
                vocab.update(words)
        for text in (occ.description, *occ.tasks, *(s.name for s in occ.skills)):
            vocab.update(re.findall(r"[a-z]+", fold(text)))
    return {"titles": frozenset(titles), "vocabulary": frozenset(vocab)}


# ---------------------------------------------------------------------------------- functions
def scan(text: str) -> list[tuple[str, str]]:
    return default_guard().scan(text)


def is_protected(text: str, *, title_exempt=None) -> list[tuple[str, str]]:
    if title_exempt is not None and title_exempt(text):
        return []
    return default_guard().scan(text, standalone=True)


def guard_text(text: str, *, where: str = "text", title_exempt=None) -> tuple[str, list[GuardFinding]]:
    return default_guard().text(text, where=where)


def guard_values(values, *, where: str, title_exempt=None, kind: str = "text") -> tuple[tuple[str, ...], list[GuardFinding]]:
    return default_guard().values(values, where=where, kind=kind)


def guard_query(node: qa.Node, *, where: str = "query", title_exempt=None) -> tuple[qa.Node | None, list[GuardFinding]]:
    return default_guard().query(node, where=where)


__all__ = ["Guard", "GuardFinding", "PolicyViolationError", "default_guard", "scan", "is_protected", "guard_text",
           "guard_values", "guard_query", "taxonomy_terms"]
