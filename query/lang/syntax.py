"""Which syntax a search box's text is written in, and its AST: Boolean or keywords (``syntax=auto``).

Text with a Boolean sign is parsed as Boolean. When the only sign was a parenthesis, balanced and in
order ("data engineer (Spark, Airflow) in Berlin"), and the Boolean parse fails, the text is natural
language and is read as keywords. Anything else that fails stands as a syntax error naming the column:
unambiguous signs (AND/OR/NOT, quotes, ``field:``, ``-term``), a known field scope with nothing after
it (``title:``), and parentheses out of order or unbalanced (``)python(``).
"""
from __future__ import annotations

import re

from query.lang import ast as qa
from query.lang.ast import canonical_field
from query.lang.keywords import keywords_to_ast
from query.lang.parser import parse
from records.errors import QueryError

SYNTAXES = ("auto", "boolean", "keywords")
_BOOLEAN_HINT = re.compile(r'\b(AND|OR|NOT)\b|["()]|(^|\s)[-+]\S|\b[A-Za-z_]+:\S')
# Unambiguous signs of a Boolean query: upper-case operators, quotes, field scopes, +/- prefixes.
_STRONG_BOOLEAN = re.compile(r'\b(AND|OR|NOT)\b|"|(^|\s)[-+]\S|\b[A-Za-z_]+:\S')
_EMPTY_SCOPE = re.compile(r'\b([A-Za-z_]+):(?=\s*(?:\)|$))')   # "title:" at the end or before ')'


def detect_syntax(text: str) -> str:
    if _BOOLEAN_HINT.search(text) or _empty_scope(text):
        return "boolean"
    return "keywords"


def parse_query(text: str, syntax: str) -> tuple[qa.Node | None, str]:
    """The AST of ``text`` and the syntax it was read with (``auto``: see the module docstring)."""
    text = text.strip()
    if not text:
        return None, "keywords" if syntax == "auto" else syntax
    chosen = detect_syntax(text) if syntax == "auto" else syntax
    if chosen != "boolean":
        return keywords_to_ast(text), chosen
    try:
        return parse(text), "boolean"
    except QueryError:
        if syntax == "auto" and not _STRONG_BOOLEAN.search(text) and not _empty_scope(text) and _parentheses_in_order(text):
            return keywords_to_ast(text), "keywords"
        raise


def _empty_scope(text: str) -> bool:
    return any(canonical_field(m.group(1)) is not None for m in _EMPTY_SCOPE.finditer(text))


def _parentheses_in_order(text: str) -> bool:
    """Every ')' closes an earlier '(' and every '(' is closed: a parenthetical remark, not a typo."""
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0
