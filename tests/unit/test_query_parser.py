"""The recruiter Boolean query language: exact ASTs, every error path, and properties."""
from __future__ import annotations

import string
import timeit

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from query.lang.ast import (
    FIELDS, MAX_SLOP, And, Not, Or, Phrase, Prefix, Term, canonical_field, fields_used,
    is_bare_term, iter_leaves, make_leaf, normalize, to_query_string,
)
from query.lang.parser import MAX_DEPTH, MAX_QUERY_CHARS, parse
from records.errors import QueryError, QuerySyntaxError

T, P, X = Term, Phrase, Prefix


# ---------------------------------------------------------------------------------------------
# Exact ASTs
# ---------------------------------------------------------------------------------------------
CASES = [
    # terms, implicit and explicit AND
    ("java", T("java")),
    ("  java  ", T("java")),
    ("Java", T("Java")),                                    # case kept; backends analyse
    ("data engineer", And((T("data"), T("engineer")))),
    ("data AND engineer", And((T("data"), T("engineer")))),
    ("a b AND c", And((T("a"), T("b"), T("c")))),
    ("a\tb\nc", And((T("a"), T("b"), T("c")))),
    # precedence: NOT > AND > OR
    ("a OR b c", Or((T("a"), And((T("b"), T("c")))))),
    ("a b OR c", Or((And((T("a"), T("b"))), T("c")))),
    ("a AND b OR c AND d", Or((And((T("a"), T("b"))), And((T("c"), T("d")))))),
    ("a OR b OR c", Or((T("a"), T("b"), T("c")))),
    ("(a OR b) c", And((Or((T("a"), T("b"))), T("c")))),
    ("NOT a b", And((Not(T("a")), T("b")))),
    ("NOT a OR b", Or((Not(T("a")), T("b")))),
    ("java NOT android", And((T("java"), Not(T("android"))))),
    ("java AND NOT android", And((T("java"), Not(T("android"))))),
    ("a OR NOT b", Or((T("a"), Not(T("b"))))),
    # lower-case operator words are ordinary terms
    ("rock and roll", And((T("rock"), T("and"), T("roll")))),
    ("a or b", And((T("a"), T("or"), T("b")))),
    ("not java", And((T("not"), T("java")))),
    ("And Or", And((T("And"), T("Or")))),
    # flattening and collapsing
    ("(a b) (c d)", And((T("a"), T("b"), T("c"), T("d")))),
    ("(a OR b) OR (c OR d)", Or((T("a"), T("b"), T("c"), T("d")))),
    ("((java))", T("java")),
    ("(a OR (b OR (c)))", Or((T("a"), T("b"), T("c")))),
    ("(a)(b)", And((T("a"), T("b")))),
    # negation forms; double negation collapses
    ("-java", Not(T("java"))),
    ("NOT java", Not(T("java"))),
    ('-"data engineer"', Not(P("data engineer"))),
    ("-title:manager", Not(T("manager", "title"))),
    ("-(a OR b)", Not(Or((T("a"), T("b"))))),
    ("-title:(a OR b)", Not(Or((T("a", "title"), T("b", "title"))))),
    ("-java -python", And((Not(T("java")), Not(T("python"))))),
    ("NOT NOT java", T("java")),
    ("--java", T("java")),
    ("NOT -java", T("java")),
    ("-(-java)", T("java")),
    ("NOT NOT NOT java", Not(T("java"))),
    ("+java", T("java")),
    ("+java +python", And((T("java"), T("python")))),
    ('+"data engineer"', P("data engineer")),
    ("+title:cto", T("cto", "title")),
    ("-+java", Not(T("java"))),
    # special-character terms survive as one token
    ("c++", T("c++")),
    ("c#", T("c#")),
    (".net", T(".net")),
    ("asp.net", T("asp.net")),
    ("node.js", T("node.js")),
    ("s3", T("s3")),
    ("ci/cd", T("ci/cd")),
    ("r&d", T("r&d")),
    ("o'reilly", T("o'reilly")),
    ("e-commerce", T("e-commerce")),
    ("full_stack", T("full_stack")),
    ("@home", T("@home")),
    ("café münchen", And((T("café"), T("münchen")))),
    ("cafe\u0301", T("cafe\u0301")),                        # combining accent stays inside
    ("数据 工程师", And((T("数据"), T("工程师")))),
    ("c++ -c#", And((T("c++"), Not(T("c#"))))),
    ("java-", T("java-")),                                  # '-' inside or at the end is a letter
    ("c+", T("c+")),
    # phrases and slop
    ('"data engineer"', P("data engineer")),
    ('"data   engineer"', P("data engineer")),              # whitespace collapsed
    ('" data engineer "', P("data engineer")),
    ('"data engineer"~2', P("data engineer", None, 2)),
    ('"data engineer"~0', P("data engineer")),
    ('"data engineer"~007', P("data engineer", None, 7)),
    ('"data engineer"~00000012', P("data engineer", None, 12)),
    (f'"a b"~{MAX_SLOP}', P("a b", None, MAX_SLOP)),
    ('"java"', T("java")),                                  # one quoted word is a term
    ('"java"~3', T("java")),
    ('"AND"', T("AND")),
    ('"c++, c#"', P("c++, c#")),
    ('"title:x"', T("title:x")),
    ('"engineer*"', T("engineer*")),
    ('"say \\"hi\\" now"', P('say "hi" now')),
    ('"back\\\\slash x"', P("back\\slash x")),
    ('"keep \\n as is"', P("keep \\n as is")),
    ('"a b""c d"', And((P("a b"), P("c d")))),
    ('java"data engineer"', And((T("java"), P("data engineer")))),
    ('"a b"~2 c', And((P("a b", None, 2), T("c")))),
    ('("a b"~2)', P("a b", None, 2)),
    # prefixes
    ("engineer*", X("engineer")),
    ("engineer* developer", And((X("engineer"), T("developer")))),
    ("title:eng*", X("eng", "title")),
    ("-eng*", Not(X("eng"))),
    ("c+*", X("c+")),
    ("AND*", X("AND")),
    # field scopes
    ("title:engineer", T("engineer", "title")),
    ("Title:engineer", T("engineer", "title")),
    ("TITLE:engineer", T("engineer", "title")),
    ("company:google", T("google", "company")),
    ("skill:python", T("python", "skill")),
    ("school:mit", T("mit", "school")),
    ("location:berlin", T("berlin", "location")),
    ("summary:startup", T("startup", "summary")),
    ("headline:founder", T("founder", "headline")),
    ("skills:python", T("python", "skill")),
    ("Skills:python", T("python", "skill")),
    ("companies:google", T("google", "company")),
    ("employer:google", T("google", "company")),
    ('title:"data engineer"~1', P("data engineer", "title", 1)),
    ('title:"cto"', T("cto", "title")),
    ("title:c++", T("c++", "title")),
    ("title:AND*", X("AND", "title")),
    ("title:engineer data", And((T("engineer", "title"), T("data")))),
    ("title:(data OR ml) engineer",
     And((Or((T("data", "title"), T("ml", "title"))), T("engineer")))),
    ("title:(data ml)", And((T("data", "title"), T("ml", "title")))),
    ("title:(a skill:b)", And((T("a", "title"), T("b", "skill")))),
    ("title:(a skill:(b OR c) d)",
     And((T("a", "title"), Or((T("b", "skill"), T("c", "skill"))), T("d", "title")))),
    ("title:(a -b)", And((T("a", "title"), Not(T("b", "title"))))),
    ("title:(a (b OR company:c))",
     And((T("a", "title"), Or((T("b", "title"), T("c", "company")))))),
    ('title:("vp engineering" OR cto*)', Or((P("vp engineering", "title"), X("cto", "title")))),
    ("title:(((x)))", T("x", "title")),
    # a realistic recruiter query
    ('title:("data engineer" OR "ml engineer") skill:(spark OR kafka) -company:acme location:berlin',
     And((Or((P("data engineer", "title"), P("ml engineer", "title"))),
          Or((T("spark", "skill"), T("kafka", "skill"))),
          Not(T("acme", "company")),
          T("berlin", "location")))),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parse_exact(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_canonical_string_parses_back(text, expected):
    canonical = to_query_string(parse(text))
    assert parse(canonical) == expected
    assert to_query_string(parse(canonical)) == canonical


def test_precedence_matches_explicit_grouping():
    assert parse("a OR b c") == parse("a OR (b AND c)")
    assert parse("NOT a AND b OR c") == parse("((NOT a) AND b) OR c")
    assert parse("a -b OR c") == parse("(a AND (NOT b)) OR c")


def test_only_negative_query_is_valid():
    assert parse("NOT java") == Not(T("java"))
    assert parse("-java -title:intern") == And((Not(T("java")), Not(T("intern", "title"))))
    assert all(negated for _, negated in iter_leaves(parse("-java -title:intern")))


# ---------------------------------------------------------------------------------------------
# Errors: every path names the column and what was expected
# ---------------------------------------------------------------------------------------------
ERRORS = [
    # (query, column, reason contains, expected contains)
    ("", 1, "empty query", "a term"),
    ("   \t ", 1, "empty query", "a term"),
    ("(data engineer", 1, "unclosed '('", "a matching ')'"),
    ("a (b (c) d", 3, "unclosed '('", "')'"),
    ("(a AND (b", 8, "unclosed '('", "')'"),
    ("data) engineer", 5, "unmatched ')'", None),
    (")", 1, "unmatched ')'", None),
    ("(a))", 4, "unmatched ')'", None),
    ('java "data engineer', 6, "unterminated quote", "a closing '\"'"),
    ('"abc\\"', 1, "unterminated quote", None),
    ("data AND", 9, "unexpected end of query", "a term, a \"phrase\" or '(' after AND"),
    ("data OR", 8, "unexpected end of query", "after OR"),
    ("OR java", 1, "unexpected operator OR", "a term, a \"phrase\" or '('"),
    ("AND java", 1, "unexpected operator AND", "a term"),
    ("a AND OR b", 7, "unexpected operator OR", "after AND"),
    ("a OR AND b", 6, "unexpected operator AND", "after OR"),
    ("NOT", 4, "unexpected end of query", "after NOT"),
    ("java NOT", 9, "unexpected end of query", "after NOT"),
    ("NOT AND", 5, "unexpected operator AND", "after NOT"),
    ("(OR a)", 2, "unexpected operator OR", "after '('"),
    ("a AND )", 7, "unmatched ')'", "after AND"),
    ("(a AND )", 8, "unexpected ')'", "after AND"),
    ("()", 1, "empty parentheses", "inside '()'"),
    ("a ( ) b", 3, "empty parentheses", None),
    ("title:()", 7, "empty parentheses", None),
    ('""', 1, "empty phrase", "text between the quotes"),
    ('java "   "', 6, "empty phrase", None),
    ('"a b"~x', 7, "invalid proximity after '~'", 'e.g. "data engineer"~2'),
    ('"a b"~', 7, "invalid proximity", "a whole number"),
    ('"a b"~ 2', 7, "invalid proximity", None),
    ('"a b"~2x', 7, "invalid proximity", None),
    ('"a b"~-1', 7, "invalid proximity", None),
    ('"a b"~\u0662', 7, "invalid proximity", None),             # Arabic-Indic digit two
    (f'"a b"~{MAX_SLOP + 1}', 7, "too large", f"at most {MAX_SLOP}"),
    ('"a b"~99999999', 7, "too large", None),
    ("foo:bar", 1, "unknown field 'foo'", "title, company, skill, school, location, summary, headline"),
    ("java http://x", 6, "unknown field 'http'", "aliases skills, companies, employer"),
    ("title:(a foo:b)", 10, "unknown field 'foo'", None),
    ("title:", 7, "unexpected end of query", "after 'title:'"),
    ("java title:", 12, "unexpected end of query", "after 'title:'"),
    ("title: java", 7, "unexpected whitespace", "directly after 'title:'"),
    ("title:)", 7, "unmatched ')'", "after 'title:'"),
    ("(title:)", 8, "unexpected ')'", "after 'title:'"),
    ("title:AND", 7, "unexpected operator AND", "after 'title:'"),
    ("title:-java", 7, "unexpected '-'", "-title:java"),
    ("title:skill:java", 7, "unexpected 'skill:'", "directly after 'title:'"),
    ("title:(data AND", 16, "unexpected end of query", "a term, a \"phrase\" or '(' after AND"),
    ("title:(data", 7, "unclosed '('", "')'"),
    ("- java", 2, "unexpected whitespace", "directly after '-'"),
    ("java -", 7, "unexpected end of query", "after '-'"),
    ("+", 2, "unexpected end of query", "after '+'"),
    ("-)", 2, "unmatched ')'", "after '-'"),
    ("*", 1, "a lone '*' is not a query", "a term before '*'"),
    ("a -*", 4, "a lone '*'", None),
    ("*java", 1, "'*' cannot start a term", None),
    ("eng*neer", 4, "'*' is only allowed at the end of a term", None),
    ("eng**", 4, "only allowed at the end", None),
    ("a*", 1, "prefix 'a*' is too short", "at least 2 characters"),
    ("java~2", 5, "unexpected '~'", "only after a quoted phrase"),
    ("java, python", 5, "unexpected character ','", "quote the word"),
    ("java;", 5, "unexpected character ';'", None),
    ("a\x00b", 2, "unexpected character '\\x00'", None),
    ("&", 1, "has no letter or digit", "a letter or digit"),
    ("r & d", 3, "has no letter or digit", None),
    (":java", 1, "unexpected ':'", "a field name before ':'"),
    ('"a b":x', 6, "unexpected ':'", None),
]


@pytest.mark.parametrize(("text", "column", "reason", "expected"), ERRORS, ids=[e[0] for e in ERRORS])
def test_syntax_errors(text, column, reason, expected):
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    err = info.value
    assert err.column == column, str(err)
    assert reason in err.reason, str(err)
    if expected is not None:
        assert expected in err.expected, str(err)
    assert err.query == text                                    # nothing lost
    assert f"at column {column}" in str(err)
    assert err.caret().splitlines()[-1] == " " * (column - 1) + "^"


def test_error_message_reads_well():
    with pytest.raises(QuerySyntaxError) as info:
        parse("title:(data AND")
    assert str(info.value) == "unexpected end of query at column 16 (expected a term, a \"phrase\" or '(' after AND)"


def test_error_is_a_query_error():
    with pytest.raises(QueryError):
        parse("a AND")


def test_earliest_error_wins():
    with pytest.raises(QuerySyntaxError) as info:
        parse('foo:bar "unterminated')
    assert info.value.column == 1


def test_query_length_limit():
    parse("a " * (MAX_QUERY_CHARS // 2))                            # exactly at the limit is fine
    with pytest.raises(QuerySyntaxError) as info:
        parse("a" * (MAX_QUERY_CHARS + 1))
    assert info.value.column == MAX_QUERY_CHARS + 1
    assert "too long" in info.value.reason


def test_nesting_depth_limit():
    ok = "(" * MAX_DEPTH + "java" + ")" * MAX_DEPTH
    assert parse(ok) == T("java")
    with pytest.raises(QuerySyntaxError) as info:
        parse("(" * (MAX_DEPTH + 1) + "java" + ")" * (MAX_DEPTH + 1))
    assert info.value.column == MAX_DEPTH + 1
    assert "nested" in info.value.reason


@pytest.mark.parametrize("text", [
    "(" * 4000,
    ")" * 4000,
    "NOT " * 1000 + "java",
    "-" * 4000 + "java",
    "+" * 4000 + "java",
    '"' * 4001,
    "a OR " * 800 + "b",
    "title:(" * 600,
])
def test_hostile_input_raises_syntax_error_or_parses(text):
    try:
        parse(text)
    except QuerySyntaxError:
        pass


def test_long_negation_chain_does_not_recurse():
    assert parse("-" * 4000 + "java") == T("java")
    assert parse("NOT " * 1001 + "java") == Not(T("java"))


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        parse(None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# AST helpers
# ---------------------------------------------------------------------------------------------
def test_iter_leaves_reports_negation():
    node = parse('java -(python OR NOT "data engineer") NOT title:eng*')
    assert list(iter_leaves(node)) == [
        (T("java"), False), (T("python"), True), (P("data engineer"), False), (X("eng", "title"), True),
    ]


def test_fields_used():
    assert fields_used(parse("title:a skill:b -company:c")) == frozenset({"title", "skill", "company"})
    assert fields_used(parse("title:a b")) == frozenset({"title", None})
    assert fields_used(parse("a")) == frozenset({None})


@pytest.mark.parametrize(("node", "text"), [
    (T("java"), "java"),
    (T("AND"), '"AND"'),
    (T("and"), "and"),
    (T("-x"), '"-x"'),
    (T("+x"), '"+x"'),
    (T("a*"), '"a*"'),
    (T("x:y"), '"x:y"'),
    (T("&"), '"&"'),
    (T('a"b\\c'), '"a\\"b\\\\c"'),
    (T("c++", "skill"), "skill:c++"),
    (P("data  engineer", "title", 2), 'title:"data engineer"~2'),
    (X("eng", "title"), "title:eng*"),
    (Not(T("java")), "NOT java"),
    (Not(Not(T("java"))), "java"),
    (And((T("a"), Or((T("b"), T("c"))))), "a AND (b OR c)"),
    (Or((T("a"), And((T("b"), T("c"))))), "a OR (b AND c)"),
    (And((And((T("a"), T("b"))), T("c"))), "a AND b AND c"),
    (And((T("a"),)), "a"),
    (Or((T("a", "title"), T("b", "title"))), "title:(a OR b)"),
    (And((Or((T("a", "title"), T("b", "title"))), T("c"))), "title:(a OR b) AND c"),
    (Not(And((T("a", "skill"), Not(T("b", "skill"))))), "NOT skill:(a AND NOT b)"),
    (And((T("a", "title"), Or((T("b", "title"), T("c", "skill"))))), "title:a AND (title:b OR skill:c)"),
])
def test_to_query_string(node, text):
    assert to_query_string(node) == text
    assert str(node) == text
    assert parse(text) == normalize(node)


def test_normalize():
    node = And((And((T("a"), Or((T("b"),)))), Not(Not(Not(T("c")))), Or((Or((T("d"), T("e"))), T("f")))))
    assert normalize(node) == And((T("a"), T("b"), Not(T("c")), Or((T("d"), T("e"), T("f")))))
    assert normalize(normalize(node)) == normalize(node)


@pytest.mark.parametrize(("make", "error"), [
    (lambda: T(""), ValueError),
    (lambda: T("two words"), ValueError),
    (lambda: T("x", "foo"), ValueError),
    (lambda: T("x", "skills"), ValueError),                     # aliases are resolved by the parser
    (lambda: P("one"), ValueError),
    (lambda: P("a b", None, -1), ValueError),
    (lambda: P("a b", None, MAX_SLOP + 1), ValueError),
    (lambda: P("a b", None, True), ValueError),
    (lambda: X("a"), ValueError),
    (lambda: X("a*b"), ValueError),
    (lambda: X("-ab"), ValueError),
    (lambda: And(()), ValueError),
    (lambda: Or(("a",)), TypeError),
    (lambda: Not("a"), TypeError),
])
def test_node_validation(make, error):
    with pytest.raises(error):
        make()


def test_nodes_are_frozen_and_hashable():
    node = parse("a (b OR c)")
    with pytest.raises(AttributeError):
        node.children = ()  # type: ignore[misc]
    assert hash(node) == hash(parse("a AND (b OR c)"))
    assert And([T("a"), T("b")]).children == (T("a"), T("b"))   # lists become tuples


def test_make_leaf_and_canonical_field():
    assert make_leaf("java", "skill") == T("java", "skill")
    assert make_leaf("machine  learning", None, 1) == P("machine learning", None, 1)
    assert canonical_field("Skills") == "skill"
    assert canonical_field("EMPLOYER") == "company"
    assert canonical_field("foo") is None


def test_parse_is_fast():
    text = ('title:("senior data engineer"~2 OR "ml engineer" OR engineer*) AND skill:(python OR scala '
            'OR c++) -company:(acme OR "big corp") location:berlin NOT recruiter (spark kafka) OR etl')
    assert 150 <= len(text) <= 250
    best = min(timeit.repeat(lambda: parse(text), number=20, repeat=5)) / 20
    assert best < 1e-3, f"{best * 1e6:.0f} us per parse"


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------
_FIELDS = st.sampled_from((None, *FIELDS))
_AWKWARD = ["AND", "OR", "NOT", "and", "c++", "c#", ".net", "-x", "+x", "a*", "*", "title:x", '"',
            "\\", '\\"', "x~2", "(", ")", ":", "&", "é", "cafe\u0301", "数据", "'", "ci/cd"]
_TERM_TEXT = st.one_of(
    st.sampled_from(_AWKWARD),
    st.text(string.ascii_letters + string.digits + "+#./-_&'@*:~\"\\()", min_size=1, max_size=8),
    st.text(min_size=1, max_size=8),
).filter(lambda s: s.split() == [s])
_WORD = _TERM_TEXT
_SPACE = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u3000"])
_PHRASE_TEXT = st.builds(
    lambda words, spaces: "".join(w + s for w, s in zip(words, spaces)) + words[-1],
    st.lists(_WORD, min_size=2, max_size=4), st.lists(_SPACE, min_size=3, max_size=3),
)
_STEM = st.text(string.ascii_letters + string.digits + "+#./-_&'@éß中", min_size=2, max_size=8).filter(
    lambda s: is_bare_term(s, operator_words=True))

_LEAVES = st.one_of(
    st.builds(Term, _TERM_TEXT, _FIELDS),
    st.builds(Phrase, _PHRASE_TEXT, _FIELDS, st.integers(0, MAX_SLOP)),
    st.builds(Prefix, _STEM, _FIELDS),
)
_TREES = st.recursive(
    _LEAVES,
    lambda kids: st.one_of(
        st.builds(And, st.lists(kids, min_size=1, max_size=4).map(tuple)),
        st.builds(Or, st.lists(kids, min_size=1, max_size=4).map(tuple)),
        st.builds(Not, kids),
    ),
    max_leaves=20,
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_TREES)
def test_round_trip_random_asts(node):
    text = to_query_string(node)
    parsed = parse(text)
    assert parsed == normalize(node)
    assert to_query_string(parsed) == text


_QUERYISH = st.lists(
    st.sampled_from(list("ab c+-*:\"()~2\\\t,&é") + ["AND", "OR", "NOT", "title:", "skills:", "foo:",
                                                    '"x y"', "~3", " AND ", " OR "]),
    max_size=25,
).map("".join)


def _check_any_text(text: str) -> None:
    try:
        node = parse(text)
    except QuerySyntaxError as err:
        assert 1 <= err.column <= len(text) + 1
        assert err.query == text
        return
    assert normalize(node) == node
    assert parse(to_query_string(node)) == node


@settings(max_examples=1000)
@given(st.text(max_size=60))
def test_parse_arbitrary_text_raises_only_syntax_errors(text):
    _check_any_text(text)


@settings(max_examples=1000)
@given(_QUERYISH)
def test_parse_query_like_text_raises_only_syntax_errors(text):
    _check_any_text(text)


@given(st.text(max_size=20))
def test_quoted_text_is_a_term_or_phrase(text):
    assume(text.split())
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    assert parse(quoted) == make_leaf(text)
