"""Query-side title normalisation: which leaves are matched and what each expansion says."""
from query.lang.expansion import title_expansions
from query.lang.keywords import keywords_to_ast
from query.lang.parser import parse


def test_boolean_uses_positive_title_leaves_only():
    exps = title_expansions(parse('title:"registered nurse" AND -title:"data engineer" AND skill:epic'), boolean=True)
    assert [e.code for e in exps] == ["29-1141.00"]
    assert "registered nurse" in exps[0].reason and "29-1141.00" in exps[0].reason


def test_keywords_match_the_whole_text_and_garbage_matches_nothing():
    exps = title_expansions(keywords_to_ast("Sr. Data Engineer"), boolean=False)
    assert exps and exps[0].score >= 0.6
    assert title_expansions(keywords_to_ast("qwzx blorp"), boolean=False) == []
    assert title_expansions(None, boolean=False) == []


def test_keywords_find_the_title_inside_a_sentence():
    """A recruiter's sentence names its occupation in a few of its words; the rest (places, skills, years)
    must not make the match fail or add occupations."""
    exps = title_expansions(keywords_to_ast("Need a senior Software Engineer (Oracle Java) in Montréal (7+ years)"),
                            boolean=False)
    assert [e.code for e in exps] == ["15-1252.00"]
    assert exps[0].source == "senior software engineer" and exps[0].score == 1.0
    # titles in the order they appear; one word of a longer text ("server" of SQL Server) is not a title
    exps = title_expansions(keywords_to_ast("real estate broker with Microsoft SQL Server, or a data engineer"), boolean=False)
    assert [e.source for e in exps] == ["real estate broker", "data engineer"]
    # no title of two words inside: the whole text as one title ("front desk supervisor", not the
    # "supervisor" alias of social workers), then single words, never a skill ("python" alone is a title)
    assert [e.code for e in title_expansions(keywords_to_ast("front desk supervisor"), boolean=False)] == ["43-4081.00"]
    exps = title_expansions(keywords_to_ast("Need a pedorthist in Denver with acrobat, 3 years"), boolean=False)
    assert [(e.source, e.code) for e in exps] == [("pedorthist", "29-2091.00")]
    assert [e.code for e in title_expansions(keywords_to_ast("python"), boolean=False)] == ["15-1252.00"]
