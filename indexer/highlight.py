"""Which profile fields a query's positive terms matched, for any hit (lexical or dense)."""
from __future__ import annotations

import re

from indexer.analysis import analyze
from indexer.documents import FIELD_TO_SCOPE, SCOPES, TEXT_FIELDS, lexical_fields
from query.lang import ast as qa


def matched_fields(node: qa.Node | None, profile: dict) -> tuple[str, ...]:
    """Query scopes (``title``, ``skill``, ...) in which a positive leaf of ``node`` occurs."""
    return matched_fields_many(node, [profile])[0]


def matched_fields_many(node: qa.Node | None, profiles: list[dict]) -> list[tuple[str, ...]]:
    """``matched_fields`` for several profiles, analysing the query's leaves once."""
    if node is None:
        return [() for _ in profiles]
    wanted = []   # (scope, field, leaf, tokens)
    for leaf, negated in qa.iter_leaves(node):
        if negated:
            continue
        for field, _ in SCOPES[leaf.field]:
            tokens = analyze(TEXT_FIELDS[field], leaf.text)
            if tokens:
                wanted.append((FIELD_TO_SCOPE.get(field, field), field, leaf, tokens))
    out = []
    for profile in profiles:
        values = lexical_fields(profile)
        analysed: dict[str, list[list[str]]] = {}
        found: dict[str, None] = {}
        for scope, field, leaf, want in wanted:
            if scope in found:
                continue
            if field not in analysed:
                analysed[field] = [analyze(TEXT_FIELDS[field], v) for v in values.get(field, []) if v]
            if any(_contains(have, want, leaf) for have in analysed[field]):
                found[scope] = None
        out.append(tuple(found))
    return out


def _contains(have: list[str], want: list[str], leaf) -> bool:
    if isinstance(leaf, qa.Prefix):
        if len(want) == 1:
            return any(tok.startswith(want[0]) for tok in have)
        want, last = want[:-1], want[-1]
        return any(have[i:i + len(want)] == want and i + len(want) < len(have) and have[i + len(want)].startswith(last)
                   for i in range(len(have) - len(want)))
    if len(want) == 1:
        return want[0] in have
    slop = leaf.slop if isinstance(leaf, qa.Phrase) else 0
    if slop == 0:
        n = len(want)
        return any(have[i:i + n] == want for i in range(len(have) - n + 1))
    return _within_slop(have, want, slop)


def _within_slop(have: list[str], want: list[str], slop: int) -> bool:
    """In order, with at most ``slop`` extra positions in total (tantivy's phrase slop, approximately)."""
    starts = [i for i, tok in enumerate(have) if tok == want[0]]
    for s in starts:
        pos, gaps, ok = s, 0, True
        for w in want[1:]:
            nxt = next((j for j in range(pos + 1, min(len(have), pos + 2 + slop - gaps)) if have[j] == w), None)
            if nxt is None:
                ok = False
                break
            gaps += nxt - pos - 1
            pos = nxt
        if ok and gaps <= slop:
            return True
    return False


# ---- highlighting: which tokens matched where, and the original text marked up ---------------------
_WORD = re.compile(r"(?<![\w+#])c\+\+|(?<![\w#])[cf]#|(?<![\w.])\.net|node\.js|[^\W_]+", re.I)


def matched_tokens_many(node: qa.Node | None, profiles: list[dict]) -> list[dict[str, list[str]]]:
    """Per profile, per lexical field, the analysed tokens of positive leaves found there (sorted)."""
    if node is None:
        return [{} for _ in profiles]
    leaves = []
    for leaf, negated in qa.iter_leaves(node):
        if not negated:
            leaves.extend((field, leaf, analyze(TEXT_FIELDS[field], leaf.text)) for field, _ in SCOPES[leaf.field])
    out = []
    for profile in profiles:
        values = lexical_fields(profile)
        analysed: dict[str, list[list[str]]] = {}
        found: dict[str, set[str]] = {}
        for field, leaf, want in leaves:
            if not want:
                continue
            if field not in analysed:
                analysed[field] = [analyze(TEXT_FIELDS[field], v) for v in values.get(field, []) if v]
            for have in analysed[field]:
                if _contains(have, want, leaf):
                    found.setdefault(field, set()).update(_leaf_tokens(have, want, leaf))
        out.append({f: sorted(toks) for f, toks in sorted(found.items())})
    return out


def _leaf_tokens(have: list[str], want: list[str], leaf) -> set[str]:
    if isinstance(leaf, qa.Prefix):
        return set(want[:-1]) | {tok for tok in have if tok.startswith(want[-1])}
    return set(want)


def render(profile: dict, tokens: dict[str, list[str]], *, pre: str = "<em>", post: str = "</em>",
           max_chars: int = 160) -> dict[str, list[str]]:
    """The profile's field values that hold a matched token, matched words wrapped in ``pre``/``post``."""
    values = lexical_fields(profile)
    out: dict[str, list[str]] = {}
    for field, toks in tokens.items():
        wanted = set(toks)
        frags = []
        for value in values.get(field, []):
            spans = [m.span() for m in _WORD.finditer(value or "")
                     if wanted & set(analyze(TEXT_FIELDS[field], m.group(0)))]
            if spans:
                frags.append(_mark(value, spans, pre, post, max_chars))
        if frags:
            out[field] = frags
    return out


def _mark(value: str, spans, pre: str, post: str, max_chars: int) -> str:
    start = max(0, spans[0][0] - max_chars // 3) if len(value) > max_chars else 0
    end = min(len(value), start + max_chars)
    parts, pos = [], start
    for a, b in spans:
        if a < start or b > end:
            continue
        parts += [value[pos:a], pre, value[a:b], post]
        pos = b
    parts.append(value[pos:end])
    return ("…" if start else "") + "".join(parts) + ("…" if end < len(value) else "")
