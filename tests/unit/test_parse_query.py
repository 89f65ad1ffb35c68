"""``syntax=auto``: natural language with parentheses is read as keywords; real Boolean errors still name the column."""
import pytest

from query import ast as qa
from ranking.pipeline import parse_query
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
