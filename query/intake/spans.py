"""A learned skill-span tagger: a linear-chain CRF over hand-made token features (no neural network).

Trained on SkillSpan train (Zhang et al., NAACL 2022, MIT) by ``scripts/train_spans.py``, it finds
spans of two kinds in job-posting text: *skill* (abilities, often long phrases: "work in a team",
"manage stakeholders") and *knowledge* (tools and fields: "Python", "project management"). One joint
tag set (``B-SKILL I-SKILL B-KNOW I-KNOW O``); where SkillSpan tags a token as both, knowledge wins.

Decoding is posterior (max-marginal) rather than Viterbi: each token takes the label with the largest
marginal probability after P(O) is multiplied by ``o_scale`` (< 1 favours recall; tuned on a held-out
slice of SkillSpan train and stored in the manifest). A span's ``confidence`` is the mean over its
tokens of the marginal probability that the token lies in a span of that kind.

The shipped model is the directory ``query/data/skillspan-crf/``: ``model.crfsuite`` (CRFsuite's own
binary format, never pickle) and ``manifest.json`` (kind, features version, params, training data
fingerprint, metrics, attribution)::

    >>> tagger = SpanTagger.load()
    >>> [(s.text, s.kind) for s in tagger.tag("Strong Python skills and project management.")]
    [('Python', 'knowledge'), ('project management', 'knowledge')]
"""
from __future__ import annotations

import functools
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pycrfsuite

from query.intake.span_features import FEATURES_VERSION, sentence_features
from records.errors import BackendUnavailableError, NotFoundError

KIND = "talentsearch-span-crf"
FORMAT_VERSION = 1
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "data" / "skillspan-crf"
MODEL_FILE, MANIFEST_FILE = "model.crfsuite", "manifest.json"
LABELS = ("O", "B-SKILL", "I-SKILL", "B-KNOW", "I-KNOW")
KIND_OF = {"SKILL": "skill", "KNOW": "knowledge"}

# Words keep c++, c#, .net, node.js, ci/cd, problem-solving whole; any other non-space character is a token.
_TOKEN = re.compile(r"\.?[^\W_][\w+#]*(?:[./'’&@-][^\W_][\w+#]*)*|\S")
_SENTENCE_END = frozenset(".!?;")
# Posterior decoding with a small o_scale lets a span run over the comma or "and" between two
# skills; SkillSpan's gold spans almost never start or end with these (a few "to", "at").
_EDGE_WORDS = frozenset({"and", "or", "&", "as", "with", "of", "the", "a", "an", "in", "for", "on", "at", "by",
                         "to", "is", "are", "including", "such"})


@dataclass(frozen=True)
class Span:
    """A tagged span: token offsets ``[start, end)``; character offsets too when tagged from text."""

    start: int
    end: int
    kind: str                       # "skill" or "knowledge"
    text: str                       # the tokens joined by spaces, or the exact text slice
    confidence: float               # 0..1, mean per-token marginal of being inside a span of this kind
    char_start: int | None = None   # text[char_start:char_end] == text, when tagged from text
    char_end: int | None = None


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """``(token, char_start, char_end)`` for every token of ``text``; punctuation is split off."""
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def sentences(text: str) -> list[list[tuple[str, int, int]]]:
    """Tokens of ``text`` grouped into sentences: a sentence ends at a ``. ! ? ;`` token or a newline."""
    out: list[list[tuple[str, int, int]]] = []
    current: list[tuple[str, int, int]] = []
    for tok in tokenize(text):
        if current and "\n" in text[current[-1][2]:tok[1]]:
            out.append(current)
            current = []
        current.append(tok)
        if tok[0] in _SENTENCE_END:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _trim(tokens: list[str], start: int, end: int) -> tuple[int, int]:
    """Drop edge tokens that are punctuation or ``_EDGE_WORDS``; a ")" closing a "(" of the span stays."""
    def loose(tok: str, closing: bool) -> bool:
        if tok.lower() in _EDGE_WORDS:
            return True
        if any(ch.isalnum() for ch in tok):
            return False
        return not (closing and tok in (")", "]") and ("(" in tokens[start:end - 1] or "[" in tokens[start:end - 1]))

    while start < end and loose(tokens[start], False):
        start += 1
    while end > start and loose(tokens[end - 1], True):
        end -= 1
    return start, end


def decode(marginals: list[dict[str, float]], o_scale: float = 1.0,
           tokens: list[str] | None = None) -> list[tuple[int, int, str, float]]:
    """Spans ``(start, end, kind, confidence)`` from per-token label marginals (one dict per token,
    keyed by ``LABELS``); an I after O or after the other kind starts a new span. With ``tokens``,
    edge punctuation and function words are trimmed off (see ``_trim``) and empty spans dropped."""
    labels = [max(LABELS, key=lambda lab: m[lab] * (o_scale if lab == "O" else 1.0)) for m in marginals]
    spans: list[tuple[int, int, str, float]] = []
    start, kind = None, None
    for i, label in enumerate([*labels, "O"]):
        tag, _, k = label.partition("-")
        if start is not None and (tag != "I" or k != kind):
            lo, hi = _trim(tokens, start, i) if tokens is not None else (start, i)
            if lo < hi:
                inside = [marginals[j][f"B-{kind}"] + marginals[j][f"I-{kind}"] for j in range(lo, hi)]
                spans.append((lo, hi, KIND_OF[kind], min(1.0, sum(inside) / len(inside))))
            start = None
        if tag in ("B", "I") and start is None:
            start, kind = i, k
    return spans


class SpanTagger:
    """Tags skill and knowledge spans. Thread-safe: CRFsuite's tagger is stateful, so calls are serialised."""

    def __init__(self, model_file: str | Path, *, o_scale: float = 1.0, manifest: dict | None = None):
        self.model_file = Path(model_file)
        self.o_scale = float(o_scale)
        self.manifest = manifest or {}
        self._tagger = pycrfsuite.Tagger()
        try:
            self._tagger.open(str(self.model_file))
        except (OSError, ValueError) as exc:
            raise BackendUnavailableError(f"span model {self.model_file} cannot be opened: {exc}") from exc
        self._labels = frozenset(self._tagger.labels())
        unknown = self._labels - set(LABELS)
        if unknown:
            raise BackendUnavailableError(f"span model {self.model_file} has labels {sorted(unknown)} outside {LABELS}")
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path | None = None) -> "SpanTagger":
        """The model directory at ``path`` (or its ``model.crfsuite``); None: the shipped model.
        NotFoundError when absent; BackendUnavailableError when built for other features."""
        return _load(str(Path(path).resolve()) if path is not None else str(DEFAULT_DIR))

    def marginals(self, tokens: list[str]) -> list[dict[str, float]]:
        """Per token, the marginal probability of each label in ``LABELS`` (each dict sums to 1)."""
        if not tokens:
            return []
        with self._lock:
            self._tagger.set(sentence_features(tokens))
            return [{lab: (self._tagger.marginal(lab, i) if lab in self._labels else 0.0) for lab in LABELS}
                    for i in range(len(tokens))]

    def tag_tokens(self, tokens: list[str]) -> list[Span]:
        """Spans over one pre-split sentence (SkillSpan style), in order; spans never overlap."""
        return [Span(s, e, kind, " ".join(tokens[s:e]), conf)
                for s, e, kind, conf in decode(self.marginals(tokens), self.o_scale, tokens)]

    def tag(self, text: str) -> list[Span]:
        """Spans of free text, with token offsets over ``tokenize(text)`` and character offsets."""
        out: list[Span] = []
        offset = 0
        for sentence in sentences(text):
            for sp in self.tag_tokens([t for t, _, _ in sentence]):
                lo, hi = sentence[sp.start][1], sentence[sp.end - 1][2]
                out.append(Span(sp.start + offset, sp.end + offset, sp.kind, text[lo:hi], sp.confidence, lo, hi))
            offset += len(sentence)
        return out


@functools.lru_cache(maxsize=4)
def _load(path: str) -> SpanTagger:
    p = Path(path)
    directory = p.parent if p.suffix == ".crfsuite" else p
    model, manifest_file = directory / MODEL_FILE, directory / MANIFEST_FILE
    if not model.is_file() or not manifest_file.is_file():
        raise NotFoundError(f"span model {directory} not found (needs {MODEL_FILE} and {MANIFEST_FILE}); "
                            "train it with scripts/train_spans.py")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackendUnavailableError(f"{manifest_file}: unreadable manifest: {exc}") from exc
    if manifest.get("kind") != KIND or manifest.get("features_version") != FEATURES_VERSION:
        raise BackendUnavailableError(
            f"{manifest_file}: kind {manifest.get('kind')!r}, features {manifest.get('features_version')!r}; "
            f"this code reads {KIND!r} with {FEATURES_VERSION!r}: retrain with scripts/train_spans.py")
    return SpanTagger(model, o_scale=manifest.get("params", {}).get("o_scale", 1.0), manifest=manifest)


__all__ = ["DEFAULT_DIR", "LABELS", "Span", "SpanTagger", "decode", "sentences", "tokenize"]
