"""The normal form of standing queries (ranking.standing.anchors) against the tree evaluator it short-cuts:
an exact normal form decides exactly what ``evaluate.matches`` decides, any normal form is necessary, and the
anchor index returns every search a document matches (random documents and queries, fixed seed)."""
import random

import pytest

from ranking.standing.anchors import AnchorIndex, normal_form
from ranking.standing.evaluate import compile_tree, document, matches
from ranking.standing.matcher import parse_standing

TITLES = ["Senior Data Engineer", "Data Analyst", "Machine Learning Engineer", "Registered Nurse", "Engineer",
          "Site Reliability Engineer", "Staff Software Engineer", "Welder", "Data Scientist", "Intern Engineer"]
SKILLS = ["Python", "Apache Spark", "Kubernetes", "Java", "SQL", "Apache Kafka", "Go", "Nursing", "Natural Language Processing",
          "Machine Learning", "Data Engineering"]
FIXED = ['title:"data engineer" AND skill:"apache spark"', 'skill:"python" AND skill:"java"',
         'title:engineer AND (skill:"go" OR skill:"apache kafka")', '"data engineer" NOT title:intern',
         '"machine learning engineer"', 'skill:"natural language processing" AND title:scientist', "data*",
         '"machine learn*"', "title:engin*", '"data engineer"~2 OR skill:go', "NOT title:nurse", "nurse OR welder",
         "(title:data AND skill:sql) OR skill:nursing", "NOT (skill:python AND skill:java)", "the engineer",
         "company:globex OR past_company:initech", '"senior data" NOT (skill:python OR skill:go)', "engineer -java"]
WORDS = ["data", "engineer", "python", "spark", "nurse", "learning", "machine", "senior", "sql", "kafka", "the"]


def _query(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 1 or roll < 0.4:
        w = rng.sample(WORDS, rng.choice([1, 1, 2, 3]))
        field = rng.choice(["", "title:", "skill:"])
        text = f'{field}"{" ".join(w)}"' if len(w) > 1 else f"{field}{w[0]}"
        return f"NOT {text}" if rng.random() < 0.15 else text
    op = rng.choice([" AND ", " OR "])
    return "(" + op.join(_query(rng, depth + 1) for _ in range(rng.randint(2, 3))) + ")"


def _doc(rng: random.Random):
    current = rng.choice(TITLES)
    p = {"positions": [{"title": current, "company_name": rng.choice(["Globex", "Initech"]), "end": None},
                       {"title": rng.choice(TITLES), "company_name": "Initech", "end": "2020-01-01"}],
         "headline": rng.choice(TITLES), "summary": " ".join(rng.sample(SKILLS, 2)), "skills": rng.sample(SKILLS, 3),
         "current_title": current}
    return document(p)


@pytest.fixture(scope="module")
def cases():
    rng = random.Random(7)
    queries = FIXED + [_query(rng) for _ in range(300)]
    trees = []
    for q in queries:
        tree, _ = compile_tree(parse_standing(q))
        trees.append((q, tree, normal_form(tree)))
    return trees, [_doc(rng) for _ in range(150)]


def test_exact_normal_forms_decide_and_all_are_necessary(cases):
    trees, docs = cases
    exact = 0
    for q, tree, nf in trees:
        exact += nf.exact
        for doc in docs:
            truth = matches(tree, doc)
            cond = all(not g.isdisjoint(doc.features) for g in nf.groups) and nf.forbidden.isdisjoint(doc.features)
            if nf.exact:
                assert cond == truth, f"{q!r}: normal form {nf} says {cond}, the tree {truth}"
            elif truth:
                assert cond, f"{q!r}: matches but misses a necessary condition of {nf}"
    assert exact > len(trees) // 3        # most queries are decided by set tests
    assert any(not nf.exact for _, _, nf in trees)


def test_anchor_index_returns_every_matching_search(cases):
    trees, docs = cases
    index = AnchorIndex()
    for i, (_, _, nf) in enumerate(trees):
        index.add(str(i), nf)
    index.add("gone", trees[0][2])
    index.remove("gone")
    pruned = 0
    for doc in docs:
        found = index.lookup(doc.features)
        assert "gone" not in found
        truth = {str(i) for i, (_, tree, _) in enumerate(trees) if matches(tree, doc)}
        assert truth <= found, f"missing {sorted(truth - found)[:5]}"
        pruned += len(trees) - len(found)
    assert pruned > len(trees) * len(docs) // 3     # the index rules most searches out without evaluating them



def test_wide_searches_are_keyed_by_one_group_and_the_matcher_tests_the_other():
    import datetime as dt

    from ranking.standing.anchors import MAX_KEYS
    from ranking.standing.matcher import Matcher

    m = Matcher()
    s = m.compile("wide", "acme", "(python OR java OR golang OR rust OR scala) AND (kafka OR spark OR flink OR beam OR storm)", None)
    assert len(s.nf.groups[0]) * len(s.nf.groups[1]) > MAX_KEYS and s.nf.exact
    m.add(s)
    assert len(m._index._keys["wide"]) <= MAX_KEYS
    both = {"candidate_id": "both", "skills": ["Python", "Spark"], "headline": "x"}
    one = {"candidate_id": "one", "skills": ["Python"], "headline": "x"}
    found = m.match([both, one], {}, today=dt.date(2026, 1, 1))
    assert [(x.candidate_id, x.matched) for x in found] == [("both", True)]
