"""The recruiter Boolean query as a tree, and its canonical text.

Leaves (``Term``, ``Phrase``, ``Prefix``) carry the text as written (case preserved; backends
analyse it) and the field they are scoped to, ``None`` meaning every text field. Inner nodes
are ``And``, ``Or`` and ``Not``. ``parse`` (in ``query.lang.parser``) always returns a normalized
tree (see ``normalize``); ``to_query_string`` renders one back so that
``parse(to_query_string(node)) == normalize(node)``. The language is described in
docs/query-language.md.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeAlias

FIELDS = ("title", "company", "skill", "school", "location", "summary", "headline",
          "current_title", "past_title", "current_company", "past_company")
FIELD_ALIASES = {"skills": "skill", "companies": "company", "employer": "company",
                 "current_employer": "current_company", "past_employer": "past_company"}
OPERATORS = frozenset({"AND", "OR", "NOT"})
MAX_SLOP = 100          # words of proximity allowed in "a b"~N
MIN_PREFIX_CHARS = 2    # characters before '*'; "a*" would expand to a large share of the index

# Characters allowed inside a bare term besides letters, digits and combining marks. '+' and
# '-' may not start a term: there they are the "required" and NOT markers.
TERM_PUNCTUATION = "+#./-_&'@\u2019!"     # '!' for product names: ACT!, Yahoo! (never first: not an operator)
_BARE = re.compile(r"[\w+#./&'@\u2019!-]+")   # \w is exactly str.isalnum() plus '_'


def canonical_field(name: str) -> str | None:
    """The field a user-written name refers to (case-insensitive, aliases resolved), or None."""
    low = name.lower()
    if low in FIELDS:
        return low
    return FIELD_ALIASES.get(low)


def is_term_char(ch: str) -> bool:
    """True for a character that may appear inside a bare (unquoted) term."""
    return ch.isalnum() or ch in TERM_PUNCTUATION or unicodedata.category(ch).startswith("M")


def is_bare_term(text: str, *, operator_words: bool = False) -> bool:
    """True when ``text`` reads back as one term without quotes.

    That is: only term characters, not starting with '+' or '-', at least one letter or digit,
    and (unless ``operator_words``) not one of AND, OR, NOT.
    """
    if not text or text[0] in "+-!":
        return False
    if not operator_words and text in OPERATORS:
        return False
    if _BARE.fullmatch(text) is None and not all(is_term_char(ch) for ch in text):
        return False
    return any(ch.isalnum() for ch in text)


def _check_field(field: str | None) -> None:
    if field is not None and field not in FIELDS:
        raise ValueError(f"unknown field {field!r}; expected None or one of {', '.join(FIELDS)}")


class _Node:
    __slots__ = ()

    def __str__(self) -> str:
        return to_query_string(self)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Term(_Node):
    """One word as written (may hold inner punctuation: ``c++``, ``node.js``); no whitespace."""

    text: str
    field: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or self.text.split() != [self.text]:
            raise ValueError(f"a Term needs non-empty text without whitespace, got {self.text!r}")
        _check_field(self.field)


@dataclass(frozen=True, slots=True)
class Phrase(_Node):
    """Two or more words in order; ``slop`` is how many positions they may move (0 = adjacent).

    Whitespace in ``text`` is collapsed to single spaces on construction.
    """

    text: str
    field: str | None = None
    slop: int = 0

    def __post_init__(self) -> None:
        words = self.text.split() if isinstance(self.text, str) else []
        if len(words) < 2:
            raise ValueError(f"a Phrase needs two or more words (use Term for one), got {self.text!r}")
        object.__setattr__(self, "text", " ".join(words))
        if type(self.slop) is not int or not 0 <= self.slop <= MAX_SLOP:
            raise ValueError(f"slop must be an int from 0 to {MAX_SLOP}, got {self.slop!r}")
        _check_field(self.field)


@dataclass(frozen=True, slots=True)
class Prefix(_Node):
    """Words starting with ``text`` (written ``text*``); ``text`` excludes the star."""

    text: str
    field: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or len(self.text) < MIN_PREFIX_CHARS or not is_bare_term(
            self.text, operator_words=True
        ):
            raise ValueError(
                f"a Prefix needs a bare term of at least {MIN_PREFIX_CHARS} characters, got {self.text!r}"
            )
        _check_field(self.field)


@dataclass(frozen=True, slots=True)
class And(_Node):
    children: tuple

    def __post_init__(self) -> None:
        _check_children(self)


@dataclass(frozen=True, slots=True)
class Or(_Node):
    children: tuple

    def __post_init__(self) -> None:
        _check_children(self)


@dataclass(frozen=True, slots=True)
class Not(_Node):
    child: Node

    def __post_init__(self) -> None:
        if not isinstance(self.child, _NODE_TYPES):
            raise TypeError(f"Not needs a query node, got {type(self.child).__name__}")


Leaf: TypeAlias = Term | Phrase | Prefix
Node: TypeAlias = Term | Phrase | Prefix | And | Or | Not
_LEAF_TYPES = (Term, Phrase, Prefix)
_NODE_TYPES = (Term, Phrase, Prefix, And, Or, Not)


def _check_children(node: And | Or) -> None:
    children = tuple(node.children)
    if not children:
        raise ValueError(f"{type(node).__name__} needs at least one child")
    for child in children:
        if not isinstance(child, _NODE_TYPES):
            raise TypeError(f"{type(node).__name__} children must be query nodes, got {type(child).__name__}")
    object.__setattr__(node, "children", children)


def normalize(node: Node) -> Node:
    """Flatten And-in-And and Or-in-Or, collapse one-child And/Or, and drop double negation.

    Child order and duplicates are kept (they can matter for scoring). Idempotent.
    """
    if isinstance(node, Not):
        child = normalize(node.child)
        return child.child if isinstance(child, Not) else Not(child)
    if isinstance(node, (And, Or)):
        kind = type(node)
        flat: list[Node] = []
        for child in node.children:
            child = normalize(child)
            if type(child) is kind:
                flat.extend(child.children)
            else:
                flat.append(child)
        return flat[0] if len(flat) == 1 else kind(tuple(flat))
    return node


def prune_leaves(node: "Node", keep) -> "Node | None":
    """``node`` without the leaves for which ``keep(leaf)`` is false (NOT, AND and OR left empty go too);
    None when nothing is left. The tree is not normalised."""
    if isinstance(node, Not):
        child = prune_leaves(node.child, keep)
        return None if child is None else Not(child)
    if isinstance(node, (And, Or)):
        kids = [c for c in (prune_leaves(c, keep) for c in node.children) if c is not None]
        if not kids:
            return None
        return kids[0] if len(kids) == 1 else type(node)(tuple(kids))
    return node if keep(node) else None


def iter_leaves(node: Node) -> Iterator[tuple[Leaf, bool]]:
    """Yield ``(leaf, negated)`` left to right; ``negated`` is True under an odd number of Nots."""
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, negated = stack.pop()
        if isinstance(current, Not):
            stack.append((current.child, not negated))
        elif isinstance(current, (And, Or)):
            stack.extend((child, negated) for child in reversed(current.children))
        else:
            yield current, negated


def fields_used(node: Node) -> frozenset[str | None]:
    """The fields the leaves are scoped to; contains None when some leaf searches all fields."""
    return frozenset(leaf.field for leaf, _ in iter_leaves(node))


def to_query_string(node: Node) -> str:
    """Canonical query text: explicit AND/OR/NOT, groups parenthesised, odd terms quoted.

    A group whose leaves all share one field is written once as ``field:(...)``.
    ``parse(to_query_string(node)) == normalize(node)`` for any node nested at most
    ``MAX_DEPTH`` groups deep.
    """
    node = normalize(node)
    if isinstance(node, (And, Or)):
        field = _shared_field(node)
        if field is not None:
            return f"{field}:({_sequence(node, field)})"
        return _sequence(node, None)
    return _atom(node, None)


def _shared_field(node: Node) -> str | None:
    fields = fields_used(node)
    return next(iter(fields)) if len(fields) == 1 else None


def _sequence(node: And | Or, scope: str | None) -> str:
    joiner = " AND " if isinstance(node, And) else " OR "
    return joiner.join(_atom(child, scope) for child in node.children)


def _atom(node: Node, scope: str | None) -> str:
    """Render ``node`` so it can stand as one operand; ``scope`` is the enclosing field group."""
    if isinstance(node, (And, Or)):
        if scope is None:
            field = _shared_field(node)
            if field is not None:
                return f"{field}:({_sequence(node, field)})"
        return f"({_sequence(node, scope)})"
    if isinstance(node, Not):
        return "NOT " + _atom(node.child, scope)
    prefix = f"{node.field}:" if node.field != scope else ""
    if isinstance(node, Prefix):
        return f"{prefix}{node.text}*"
    if isinstance(node, Phrase):
        return f"{prefix}{_quote(node.text)}" + (f"~{node.slop}" if node.slop else "")
    return prefix + (node.text if is_bare_term(node.text) else _quote(node.text))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_leaf(text: str, field: str | None = None, slop: int = 0) -> Term | Phrase:
    """A Term for one word, else a Phrase: the leaf a quoted ``text`` would parse to."""
    words = text.split()
    if len(words) == 1:
        return Term(words[0], field)
    return Phrase(text, field, slop)


__all__ = [
    "FIELDS", "FIELD_ALIASES", "OPERATORS", "MAX_SLOP", "MIN_PREFIX_CHARS", "TERM_PUNCTUATION",
    "Term", "Phrase", "Prefix", "And", "Or", "Not", "Leaf", "Node",
    "canonical_field", "is_term_char", "is_bare_term", "normalize", "iter_leaves", "fields_used",
    "to_query_string", "make_leaf", "prune_leaves",
]
