"""Text analysis shared by indexing and querying, so both sides produce the same tokens.

tantivy term and phrase queries take already-analysed tokens, so the query compiler runs the very
analyzer the field was indexed with. Symbols that tokenizers drop (``c++``, ``c#``, ``.net``)
are rewritten to word forms first, on both sides.
"""
from __future__ import annotations

import functools
import re

STEMMED = "ts_en_stem"   # lowercase + English stemming: titles, headline, summary, descriptions
NAMES = "ts_names"       # lowercase + ASCII folding, no stemming: skills, companies, schools, places

_SYMBOLS = [
    (re.compile(r"(?<![\w+#])c\+\+(?![\w+])", re.I), " cplusplus "),
    (re.compile(r"(?<![\w#])c#(?!\w)", re.I), " csharp "),
    (re.compile(r"(?<![\w#])f#(?!\w)", re.I), " fsharp "),
    (re.compile(r"(?<![\w.])\.net(?!\w)", re.I), " dotnet "),
    (re.compile(r"(?<!\w)node\.js(?!\w)", re.I), " nodejs "),
]


_ANY_SYMBOL = re.compile(r"c\+\+|[cf]#|\.net|node\.js", re.I)   # one cheap test before the five rewrites


def normalize_symbols(text: str) -> str:
    """Rewrite symbol-bearing technology names to single word tokens (``c++`` -> ``cplusplus``)."""
    if not text:
        return ""
    if not _ANY_SYMBOL.search(text):
        return text
    for pattern, repl in _SYMBOLS:
        if pattern.search(text):
            text = pattern.sub(repl, text)
    return text


@functools.lru_cache(maxsize=None)
def analyzer(name: str):
    """The tantivy TextAnalyzer registered on the index under ``name``."""
    import tantivy

    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
    builder = builder.filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold())
    if name == STEMMED:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    elif name != NAMES:
        raise ValueError(f"unknown analyzer {name!r}")
    return builder.build()


SHORT_TEXT = 64     # titles, skills, company and place names repeat across profiles: their tokens are cached


def analyze(name: str, text: str) -> list[str]:
    """Tokens of ``text`` as the field analyzer ``name`` indexes them."""
    if not text:
        return []
    if len(text) <= SHORT_TEXT:
        return list(_analyze_short(name, text))
    return analyzer(name).analyze(normalize_symbols(text))


@functools.lru_cache(maxsize=200_000)
def _analyze_short(name: str, text: str) -> tuple[str, ...]:
    return tuple(analyzer(name).analyze(normalize_symbols(text)))
