"""Token features of the skill-span CRF (``query.intake.spans``), shared by training and serving.

One implementation only: ``scripts/train_spans.py`` computes these features for SkillSpan train
and ``SpanTagger`` computes the same ones at query time. Bump ``FEATURES_VERSION`` whenever the
output of ``sentence_features`` changes; a model trained on another version refuses to load.

Features of token ``i`` (strings, CRFsuite attributes with weight 1):

* the token: lower-cased form with edge punctuation stripped, word shape and short shape,
  prefixes and suffixes of 2-4 characters, case, digit and punctuation flags, length bucket;
* neighbours at -2..+2: lower-cased form and short shape; the bigrams (-1, 0) and (0, +1);
* position flags (sentence start / end).

No word lists or clusters: a gazetteer of the O*NET skill names and MiniLM-embedding word clusters
(k-means, 16/128/512) were each measured at +0.5 to +1 point of overlap F1 on a held-out slice of
SkillSpan train, inside the noise between slices, and not worth a second artifact to keep in step.
"""
from __future__ import annotations

import re

FEATURES_VERSION = "spans-features/1"

_EDGE_PUNCT = ".,;:!?()[]{}\"'“”‘’*•"
_UPPER, _LOWER, _DIGIT = re.compile(r"[A-Z]"), re.compile(r"[a-z]"), re.compile(r"[0-9]")
_RUNS = re.compile(r"(.)\1+")


def normalise(token: str) -> str:
    """Lower case without edge punctuation ("Python," -> "python"); punctuation alone stays."""
    core = token.strip(_EDGE_PUNCT)
    return (core or token).lower()


def shape(token: str) -> str:
    """Word shape: A for upper, a for lower, 0 for digits, other characters kept ("C++" -> "A++")."""
    return _DIGIT.sub("0", _LOWER.sub("a", _UPPER.sub("A", token)))


def short_shape(token: str) -> str:
    """Word shape with runs collapsed ("Python3" -> "Aa0")."""
    return _RUNS.sub(r"\1", shape(token))


def _token_features(token: str, low: str) -> list[str]:
    feats = [f"w={low}", f"sh={shape(token)[:8]}", f"ss={short_shape(token)}", f"len={min(len(low), 10)}"]
    feats += [f"p{n}={low[:n]}" for n in (2, 3, 4) if len(low) > n]
    feats += [f"s{n}={low[-n:]}" for n in (2, 3, 4) if len(low) > n]
    if token[:1].isupper():
        feats.append("title" if token[1:].islower() or len(token) == 1 else "cap")
    if token.isupper() and len(token) > 1:
        feats.append("upper")
    if any(ch.isdigit() for ch in token):
        feats.append("digit")
    if not any(ch.isalnum() for ch in token):
        feats.append("punct")
    elif any(not ch.isalnum() for ch in token.strip(_EDGE_PUNCT)):
        feats.append("inner_punct")             # c++, node.js, ci/cd, problem-solving
    if token[-1:] in ":;.!?" and len(token) > 1:
        feats.append(f"trail={token[-1]}")
    if token.startswith("<") and token.endswith(">"):
        feats.append("anon")                    # SkillSpan's <ORGANIZATION>, <LOCATION>...
    return feats


def sentence_features(tokens: list[str]) -> list[list[str]]:
    """CRFsuite attribute lists, one per token of a sentence (``len(tokens)`` lists)."""
    lows = [normalise(t) for t in tokens]
    shapes = [short_shape(t) for t in tokens]
    n = len(tokens)
    out = []
    for i, token in enumerate(tokens):
        feats = ["bias", *_token_features(token, lows[i])]
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < n:
                feats += [f"{d:+d}w={lows[j]}", f"{d:+d}ss={shapes[j]}"]
            else:
                feats.append(f"{d:+d}w=<pad>")
        if i > 0:
            feats.append(f"-1w0={lows[i - 1]}|{lows[i]}")
        if i + 1 < n:
            feats.append(f"w0+1={lows[i]}|{lows[i + 1]}")
        if i == 0:
            feats.append("first")
        if i == n - 1:
            feats.append("last")
        out.append(feats)
    return out


__all__ = ["FEATURES_VERSION", "normalise", "sentence_features", "shape", "short_shape"]
