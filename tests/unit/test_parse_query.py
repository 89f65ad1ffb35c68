"""``syntax=auto``: natural language with parentheses is read as keywords; real Boolean errors still name the column."""
import pytest

from query.lang import ast as qa
from query.lang.syntax import parse_query
from records.errors import QuerySyntaxError


@pytest.mark.parametrize("text", [
    "Need a senior Grocery Buyer (Taleo or Qlik Tech QlikView, QuickBooks and Microsoft SharePoint) within 25 km of Memphis",
    "Telephone operator, skilled in Windows, Microsoft Outlook and Word processing (2+ years)",
    "data engineer (spark, airflow)",
])
def test_natural_language_with_parentheses_is_keywords(text):
    node, syntax = parse_query(text, "auto")
    assert syntax == "keywords" and node is not None


@pytest.mark.parametrize("text, column", [('title:(data AND', 16), ('"data engineer" AND (spark,', 27)])
def test_boolean_errors_still_raise_with_the_column(text, column):
    with pytest.raises(QuerySyntaxError) as err:
        parse_query(text, "auto")
    assert err.value.column == column


def test_explicit_syntax_is_obeyed():
    node, syntax = parse_query("data engineer (spark)", "boolean")
    assert syntax == "boolean" and qa.to_query_string(node)
    with pytest.raises(QuerySyntaxError):
        parse_query("data engineer (spark,", "boolean")
    assert parse_query("", "auto") == (None, "keywords")
    assert parse_query("spark AND airflow", "keywords")[1] == "keywords"


@pytest.mark.parametrize("text, column", [("title:", 7), (")python(", 1), ("java AND title:", 16), ("(java", 1),
                                          ("skill:", 7), ("java (spark", 6)])
def test_empty_scopes_and_parentheses_out_of_order_are_errors_not_keywords(text, column):
    """Issue 17: 'title:' and ')python(' answered 200 with keyword hits; they are syntax errors naming the column."""
    with pytest.raises(QuerySyntaxError) as err:
        parse_query(text, "auto")
    assert err.value.column == column


@pytest.mark.parametrize("text", ["Requirements: Java, SQL", "Note: remote ok", "java developer (5+ years, Spring)"])
def test_a_colon_in_prose_and_balanced_remarks_stay_keywords(text):
    assert parse_query(text, "auto")[1] == "keywords"


def test_product_names_with_a_bang_parse_and_a_leading_bang_names_its_column():
    """The generator's judged query 'skill:act!' (ACT! CRM) did not parse."""
    node, syntax = parse_query("skill:act! AND yahoo!", "auto")
    assert syntax == "boolean" and qa.to_query_string(node) == "skill:act! AND yahoo!"
    with pytest.raises(QuerySyntaxError) as err:
        parse_query("java AND !python", "auto")
    assert err.value.column == 10 and "NOT" in err.value.expected
