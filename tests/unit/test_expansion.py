"""Query-side title normalisation: which leaves are matched and what each expansion says."""
from query.expansion import title_expansions
from query.keywords import keywords_to_ast
from query.parser import parse


def test_boolean_uses_positive_title_leaves_only():
    exps = title_expansions(parse('title:"registered nurse" AND -title:"data engineer" AND skill:epic'), boolean=True)
    assert [e.code for e in exps] == ["29-1141.00"]
    assert "registered nurse" in exps[0].reason and "29-1141.00" in exps[0].reason


def test_keywords_match_the_whole_text_and_garbage_matches_nothing():
    exps = title_expansions(keywords_to_ast("Sr. Data Engineer"), boolean=False)
    assert exps and exps[0].score >= 0.6
    assert title_expansions(keywords_to_ast("qwzx blorp"), boolean=False) == []
    assert title_expansions(None, boolean=False) == []
