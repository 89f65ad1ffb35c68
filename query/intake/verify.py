"""A learned check on each must-have skill the intake read: keep it required, or demote it to nice-to-have.

The intake's readers (dictionary mentions, cue phrases, learned spans, credential rules; see ``requirements``)
propose candidates; each carries where it came from and how it was written (``Evidence``). ``SkillVerifier``
is a logistic regression over those facts, nothing about the skill's identity (no word features), so it
learns which *kinds* of evidence a recruiter's reading confirms: a product named in a requirements list is
kept, a lower-case domain phrase read only in the duties is demoted. A demoted skill is not lost: it moves to
``nice_to_have``, which ranking still uses and strict queries do not require.

The weights (``query/data/skill-verifier.json``) are fitted by ``python -m benchmarks.skill_verifier`` on the
hand-judged postings used while building (the postings themselves are benchmark data and are never shipped;
the file holds only the fitted weights, the cross-validated numbers and which sets were used). Without the file
the intake keeps every candidate its rules accept, as before.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

WEIGHTS_PATH = Path(__file__).resolve().parents[1] / "data" / "skill-verifier.json"

# where a candidate came from (any of its readings) and how it was written
SOURCES = ("dict_technology", "dict_knowledge", "dict_credential", "dict_language", "phrase", "span", "credential_rule",
           "years", "list")
BLOCKS = ("requirements", "preferred", "duties")
FEATURES = (*(f"src_{s}" for s in SOURCES), *(f"in_{b}" for b in BLOCKS),
            "only_duties", "cue", "required_word", "nice_word", "in_list", "capitalised", "acronym", "words1", "words3",
            "common", "thin", "readings", "candidates", "sentence_long", "cue_near", "occ_skill", "occ_hot", "occ_words",
            "phrase_duties", "knowledge_duties")
_CUE = re.compile(r"\b(?:experience (?:with|in|using|of)|experienced (?:with|in)|proficien\w*|knowledge of|knowledgeable|"
                  r"familiar\w*|skilled|skills? in|expertise|expert in|understanding of|background in|certifi\w*|"
                  r"licen[cs]\w*|fluen\w*|working with|hands-on|command of|ability to use|using|"
                  r"(?:years?|yrs?|months?)(?: of)?(?: \w+)? (?:with|in|of|within)|experience within)\b", re.IGNORECASE)
_REQUIRED = re.compile(r"\b(?:required|requirement|mandatory|must|need to have|essential)\b", re.IGNORECASE)
_STOP = frozenset("and or of the a an in with for to on at by as from skills skill knowledge experience".split())
_NICE = re.compile(r"\b(?:preferred|a plus|bonus|nice[- ]to[- ]have|ideally|desired|desirable|advantage\w*)\b",
                   re.IGNORECASE)


@dataclass
class Evidence:
    """What the readers saw of one candidate skill across a posting."""
    name: str
    sources: set[str] = field(default_factory=set)
    blocks: set[str] = field(default_factory=set)
    cue: bool = False
    required_word: bool = False
    nice_word: bool = False
    in_list: bool = False
    capitalised: bool = False
    acronym: bool = False
    sentence_long: bool = False
    cue_near: bool = False
    readings: int = 0

    def add(self, source: str, block: str, sentence: str, surface: str) -> None:
        self.sources.add(source)
        self.blocks.add(block)
        self.readings += 1
        self.cue |= bool(_CUE.search(sentence))
        self.required_word |= bool(_REQUIRED.search(sentence))
        self.nice_word |= bool(_NICE.search(sentence))
        self.in_list |= sentence.count(",") + sentence.count("/") >= 2
        s = surface.strip()
        self.capitalised |= bool(s[:1].isupper())
        self.acronym |= bool(re.fullmatch(r"[A-Z0-9][A-Z0-9+#&./-]{1,9}", s))
        self.sentence_long |= len(sentence.split()) > 30
        at = sentence.casefold().find(s.casefold())
        self.cue_near |= at >= 0 and bool(_CUE.search(sentence[max(0, at - 60):at]))

    def features(self, *, common: frozenset[str], thin: bool, candidates: int,
                 occupation: OccupationContext | None = None) -> dict[str, float]:
        words = len(self.name.split())
        occ = occupation or OccupationContext()
        content = [w for w in re.findall(r"[a-z][a-z0-9+#]+", self.name.casefold()) if w not in _STOP]
        f = {f"src_{s}": float(s in self.sources) for s in SOURCES}
        f.update({f"in_{b}": float(b in self.blocks) for b in BLOCKS})
        f.update(only_duties=float(self.blocks == {"duties"}), cue=float(self.cue), required_word=float(self.required_word),
                 nice_word=float(self.nice_word), in_list=float(self.in_list), capitalised=float(self.capitalised),
                 acronym=float(self.acronym), words1=float(words == 1), words3=float(words >= 3),
                 common=float(self.name.casefold() in common), thin=float(thin),
                 readings=math.log1p(self.readings), candidates=math.log1p(candidates),
                 sentence_long=float(self.sentence_long), cue_near=float(self.cue_near),
                 occ_skill=float(self.name.casefold() in occ.skills), occ_hot=float(self.name.casefold() in occ.hot),
                 occ_words=(sum(w in occ.words for w in content) / len(content)) if content else 0.0,
                 phrase_duties=float(self.blocks == {"duties"} and bool(self.sources & {"phrase", "span"})),
                 knowledge_duties=float(self.blocks == {"duties"} and "dict_knowledge" in self.sources))
        return f


@dataclass(frozen=True)
class OccupationContext:
    """The posting's occupation as the verifier reads it: its O*NET technology skills (hot ones apart) and the
    words of its title, tasks and description."""
    skills: frozenset[str] = frozenset()
    hot: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()

    @classmethod
    def of(cls, taxonomy, code: str | None) -> OccupationContext:
        occ = taxonomy.occupations.get(code) if code else None
        if occ is None:
            return cls()
        text = " ".join([occ.title, occ.description, *occ.tasks, *occ.alternate_titles[:40]]).casefold()
        return cls(frozenset(s.name.casefold() for s in occ.skills), frozenset(s.name.casefold() for s in occ.skills if s.hot),
                   frozenset(w for w in re.findall(r"[a-z][a-z0-9+#]+", text) if w not in _STOP))


class SkillVerifier:
    """``p(keep)`` of a candidate from its evidence; ``keep`` when at least ``threshold``."""

    def __init__(self, weights: dict[str, float], bias: float, threshold: float, meta: dict | None = None):
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"skill verifier weights name unknown features: {sorted(unknown)}")
        self.weights, self.bias, self.threshold, self.meta = weights, bias, threshold, meta or {}

    @classmethod
    def load(cls, path: Path | None = None) -> SkillVerifier | None:
        path = path or WEIGHTS_PATH
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError):
            return None
        return cls(data["weights"], data["bias"], data["threshold"], {k: v for k, v in data.items() if k != "weights"})

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features.get(k, 0.0) for k, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


__all__ = ["Evidence", "OccupationContext", "SkillVerifier", "FEATURES", "WEIGHTS_PATH"]
