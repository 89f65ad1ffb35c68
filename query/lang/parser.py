"""Recruiter Boolean query text -> normalized AST (``query.lang.ast``).

A hand-written lexer with character positions feeds a recursive-descent parser. Precedence,
tightest first: NOT / ``-`` / ``+``, then AND (explicit or implicit), then OR. Every error is a
``QuerySyntaxError`` whose 1-based ``column`` points at the offending character (one past the
end when the query stops early). The grammar is in docs/query-language.md.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple, NoReturn

from query.lang.ast import (
    FIELD_ALIASES, FIELDS, MAX_SLOP, MIN_PREFIX_CHARS, OPERATORS, And, Node, Not, Or, Phrase,
    TERM_PUNCTUATION, Prefix, Term, canonical_field, is_bare_term, is_term_char,
)
from records.errors import QuerySyntaxError

MAX_QUERY_CHARS = 4096
MAX_DEPTH = 64          # nested parentheses; bounds the parser's recursion

EXPECT_OPERAND = "a term, a \"phrase\" or '('"
_KNOWN_FIELDS = f"one of {', '.join(FIELDS)}; aliases {', '.join(FIELD_ALIASES)}"
_PUNCTUATION = " ".join(TERM_PUNCTUATION)

_WS = re.compile(r"\s+")
_RUN = re.compile(r'[^\s()"]+')             # a bare word, field prefix or operator, unsplit
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_UNESCAPE = re.compile(r'\\(["\\])')

# Token kinds. The parser compares them with `is`, so tokens always carry these very objects
# (looked up through _KIND, never a slice of the query text).
TERM, PREFIX, PHRASE, FIELD = "term", "prefix", "phrase", "field"
LPAREN, RPAREN, MINUS, PLUS, EOF = "(", ")", "-", "+", "end"
AND, OR, NOT = "AND", "OR", "NOT"
_OPERAND_START = frozenset({TERM, PREFIX, PHRASE, FIELD, LPAREN, MINUS, PLUS, NOT})
_KIND = {"(": LPAREN, ")": RPAREN, "-": MINUS, "+": PLUS, "AND": AND, "OR": OR, "NOT": NOT}


class Token(NamedTuple):
    kind: str
    text: str           # term text, prefix stem, phrase words joined by one space, raw field name
    start: int          # 0-based offsets into the query text
    end: int
    slop: int = 0


def parse(text: str) -> Node:
    """Parse recruiter query text into a normalized AST.

    Raises ``QuerySyntaxError`` (with a 1-based ``column``) for anything that is not a query;
    nothing else is raised for any ``str`` input.
    """
    if not isinstance(text, str):
        raise TypeError(f"query text must be str, got {type(text).__name__}")
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"query is too long ({len(text)} characters)", query=text,
                               column=MAX_QUERY_CHARS + 1, expected=f"at most {MAX_QUERY_CHARS} characters")
    if not text or text.isspace():
        raise QuerySyntaxError("empty query", query=text, column=1, expected=EXPECT_OPERAND)
    return _Parser(text).parse()


def _error(text: str, message: str, index: int, expected: str | None = None) -> QuerySyntaxError:
    return QuerySyntaxError(message, query=text, column=index + 1, expected=expected)


def _tokens(text: str) -> Iterator[Token]:
    """Yield tokens lazily, so the earliest error in the text is the one reported."""
    pos, n = 0, len(text)
    while True:
        ws = _WS.match(text, pos)
        if ws:
            pos = ws.end()
        if pos >= n:
            yield Token(EOF, "", n, n)
            return
        ch = text[pos]
        if ch == "(" or ch == ")":
            yield Token(_KIND[ch], ch, pos, pos + 1)
            pos += 1
        elif ch == '"':
            token = _lex_quoted(text, pos)
            yield token
            pos = token.end
        else:
            end = _RUN.match(text, pos).end()
            yield from _lex_run(text, pos, end)
            pos = end


def _lex_run(text: str, pos: int, end: int) -> Iterator[Token]:
    """Split one whitespace-delimited run into sign, field and word tokens."""
    while pos < end:
        ch = text[pos]
        if ch == "-" or ch == "+":
            yield Token(_KIND[ch], ch, pos, pos + 1)
            pos += 1
            continue
        colon = text.find(":", pos, end)
        if colon == pos:
            raise _error(text, "unexpected ':'", pos, "a field name before ':', e.g. title:engineer")
        if colon > pos:
            yield Token(FIELD, text[pos:colon], pos, colon + 1)
            pos = colon + 1
            continue
        yield _lex_word(text, pos, end)
        return


def _lex_word(text: str, pos: int, end: int) -> Token:
    word = text[pos:end]
    star = word.find("*")
    if star == 0:
        message = "a lone '*' is not a query" if len(word) == 1 else "'*' cannot start a term"
        raise _error(text, message, pos, "a term before '*', e.g. engineer*")
    if star > 0 and star != len(word) - 1:
        raise _error(text, "'*' is only allowed at the end of a term", pos + star,
                     "whitespace, ')' or the end of the query after '*'")
    stem = word[:-1] if star > 0 else word
    if not is_bare_term(stem, operator_words=True):
        _raise_bad_word(text, stem, pos)
    if star > 0:
        if len(stem) < MIN_PREFIX_CHARS:
            raise _error(text, f"prefix '{word}' is too short", pos,
                         f"at least {MIN_PREFIX_CHARS} characters before '*'")
        return Token(PREFIX, stem, pos, end)
    if word in OPERATORS:
        return Token(_KIND[word], word, pos, end)
    return Token(TERM, word, pos, end)


def _raise_bad_word(text: str, stem: str, pos: int) -> NoReturn:
    if stem.startswith("!"):
        raise _error(text, "'!' is not an operator", pos, "NOT or '-' before a term to exclude it, e.g. -java")
    for offset, ch in enumerate(stem):
        if ch == "~":
            raise _error(text, "unexpected '~'", pos + offset,
                         'proximity only after a quoted phrase, e.g. "data engineer"~2')
        if not is_term_char(ch):
            raise _error(text, f"unexpected character {ch!r}", pos + offset,
                         f"letters, digits or one of {_PUNCTUATION}; or quote the word to search for it as text")
    raise _error(text, f"term {stem!r} has no letter or digit", pos,
                 "a letter or digit; or quote the word to search for it as text")


def _lex_quoted(text: str, pos: int) -> Token:
    match = _QUOTED.match(text, pos)
    if match is None:
        raise _error(text, "unterminated quote", pos, "a closing '\"'")
    words = _UNESCAPE.sub(r"\1", match.group(1)).split()
    if not words:
        raise _error(text, "empty phrase", pos, "text between the quotes")
    end, slop = match.end(), 0
    if end < len(text) and text[end] == "~":
        digits_match = _RUN.match(text, end + 1)
        digits = digits_match.group() if digits_match else ""
        if not (digits.isascii() and digits.isdigit()):
            raise _error(text, "invalid proximity after '~'", end + 1,
                         'a whole number of words, e.g. "data engineer"~2')
        if len(digits.lstrip("0")) > 3 or int(digits) > MAX_SLOP:     # int() of 4000 digits is slow
            raise _error(text, f"proximity {digits} is too large", end + 1, f"at most {MAX_SLOP}")
        slop, end = int(digits), digits_match.end()
    return Token(PHRASE, " ".join(words), pos, end, slop)


class _Parser:
    """Recursive descent over a one-token lookahead; ``field`` arguments carry the scope."""

    __slots__ = ("text", "_next", "tok", "depth")

    def __init__(self, text: str):
        self.text = text
        self._next = _tokens(text).__next__
        self.tok = self._next()
        self.depth = 0

    def advance(self) -> Token:
        current = self.tok
        self.tok = self._next()
        return current

    def parse(self) -> Node:
        node = self.parse_or(None, None)
        if self.tok.kind is RPAREN:
            raise _error(self.text, "unmatched ')'", self.tok.start, "an operator, a term or the end of the query")
        if self.tok.kind is not EOF:       # unreachable by the grammar; kept so nothing is dropped
            raise self._unexpected(None)
        return node

    def parse_or(self, field: str | None, after: Token | None) -> Node:
        children = [self.parse_and(field, after)]
        while self.tok.kind is OR:
            children.append(self.parse_and(field, self.advance()))
        return _join(Or, children)

    def parse_and(self, field: str | None, after: Token | None) -> Node:
        children = [self.parse_unary(field, after)]
        while True:
            kind = self.tok.kind
            if kind is AND:
                children.append(self.parse_unary(field, self.advance()))
            elif kind in _OPERAND_START:
                children.append(self.parse_unary(field, None))
            else:
                return _join(And, children)

    def parse_unary(self, field: str | None, after: Token | None) -> Node:
        negate = False
        while self.tok.kind is NOT:         # a loop, not recursion: NOT NOT ... cannot overflow
            negate = not negate
            after = self.advance()
        while self.tok.kind is MINUS or self.tok.kind is PLUS:
            after = self.advance()
            negate ^= after.kind is MINUS
            self._expect_glued(after)
        if self.tok.kind is FIELD:
            field = canonical_field(self.tok.text)
            if field is None:       # checked before advancing: the earliest error wins
                raise _error(self.text, f"unknown field '{self.tok.text}'", self.tok.start,
                             f"{_KNOWN_FIELDS}; or quote the word to search for it as text")
            after = self.advance()
            self._expect_glued(after)
            if self.tok.kind is MINUS or self.tok.kind is FIELD:
                hint = "; write the '-' before the field, e.g. -title:java" if self.tok.kind is MINUS else ""
                raise _error(self.text, f"unexpected {_describe(self.tok)}", self.tok.start,
                             f"{EXPECT_OPERAND} directly after {_describe(after)}{hint}")
        node = self.parse_primary(field, after)
        if negate:
            return node.child if isinstance(node, Not) else Not(node)
        return node

    def parse_primary(self, field: str | None, after: Token | None) -> Node:
        tok = self.tok
        kind = tok.kind
        if kind is TERM:
            self.advance()
            return Term(tok.text, field)
        if kind is PREFIX:
            self.advance()
            return Prefix(tok.text, field)
        if kind is PHRASE:
            self.advance()
            if " " in tok.text:
                return Phrase(tok.text, field, tok.slop)
            return Term(tok.text, field)        # a quoted single word is a term; slop is moot
        if kind is LPAREN:
            return self.parse_group(field)
        raise self._unexpected(after)

    def parse_group(self, field: str | None) -> Node:
        opening = self.advance()
        if self.depth >= MAX_DEPTH:
            raise _error(self.text, f"parentheses nested more than {MAX_DEPTH} deep", opening.start,
                         f"at most {MAX_DEPTH} levels of '('")
        if self.tok.kind is RPAREN:
            raise _error(self.text, "empty parentheses", opening.start, f"{EXPECT_OPERAND} inside '()'")
        self.depth += 1
        node = self.parse_or(field, opening)
        self.depth -= 1
        if self.tok.kind is not RPAREN:     # parse_or stops only at ')' or the end
            raise _error(self.text, "unclosed '('", opening.start,
                         "a matching ')'")
        self.advance()
        return node

    def _expect_glued(self, prefix: Token) -> None:
        """A sign or ``field:`` must touch its operand: ``-java``, ``title:(a OR b)``."""
        if self.tok.kind is not EOF and self.tok.start != prefix.end:
            raise _error(self.text, "unexpected whitespace", prefix.end,
                         f"{EXPECT_OPERAND} directly after {_describe(prefix)}")

    def _unexpected(self, after: Token | None) -> QuerySyntaxError:
        tok = self.tok
        expected = EXPECT_OPERAND + (f" after {_describe(after)}" if after is not None else "")
        if tok.kind is EOF:
            message = "unexpected end of query"
        elif tok.kind in (AND, OR, NOT):
            message = f"unexpected operator {tok.text}"
        elif tok.kind is RPAREN and self.depth == 0:
            message = "unmatched ')'"
        else:
            message = f"unexpected '{tok.text}'"
        return _error(self.text, message, tok.start, expected)


def _describe(tok: Token) -> str:
    if tok.kind in (AND, OR, NOT):
        return tok.text
    if tok.kind is FIELD:
        return f"'{tok.text}:'"
    return f"'{tok.text}'"


def _join(kind: type[And] | type[Or], items: list[Node]) -> Node:
    if len(items) == 1:
        return items[0]
    flat: list[Node] = []
    for item in items:
        if type(item) is kind:
            flat.extend(item.children)
        else:
            flat.append(item)
    return kind(tuple(flat))


__all__ = ["parse", "MAX_QUERY_CHARS", "MAX_DEPTH", "EXPECT_OPERAND"]
