"""Natural language and plain keywords -> a query AST of optional terms.

Keyword text is not held to the Boolean grammar (commas, question marks and the like are just
separators), and the lexical retriever treats its words as optional (BM25 over any of them).
"""
from __future__ import annotations

import re

from query.lang import ast as qa

_WORD = re.compile(r"[^\W_]+(?:[+#]+|(?:[.\-/'][^\W_]+)+)?", re.UNICODE)


def keywords_to_ast(text: str) -> qa.Node | None:
    """``"Senior data engineer, Spark + Kafka?"`` -> And(Term(Senior), Term(data), ...); None if no words."""
    words = [m.group(0) for m in _WORD.finditer(text)]
    words = [w for w in dict.fromkeys(words) if any(ch.isalnum() for ch in w)]
    if not words:
        return None
    terms = tuple(qa.Term(w) for w in words)
    return terms[0] if len(terms) == 1 else qa.And(terms)
