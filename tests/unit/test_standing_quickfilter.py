"""The write path's short cuts against the checks they replace (random cases, fixed seed): ``QuickFilter`` decides
what ``evaluate.passes`` decides, and an exact phrase tested on a document's n-gram sets matches where
``highlight._contains`` finds it in a value."""
import datetime as dt
import random

from indexer.highlight import _contains
from query.lang import ast as qa
from query.lang.filters import Filters
from ranking.standing.evaluate import Doc, matches, passes
from ranking.standing.quickfilter import QuickFilter, facts

TODAY = dt.date(2026, 1, 1)


def _profile(rng: random.Random) -> dict:
    loc = {} if rng.random() < 0.1 else {"lat": rng.uniform(40, 60), "lon": rng.uniform(-10, 30)}
    if loc and rng.random() < 0.05:
        loc["lon"] = None
    return {"candidate_id": "c", "location": loc, "years_experience": rng.choice([None, 0.0, 2.0, 4.9999, 5.0, rng.uniform(0, 20)]),
            "owner_tenant": rng.choice([None, None, "acme", "globex"])}


def _filters(rng: random.Random) -> Filters:
    data: dict = {}
    if rng.random() < 0.6:
        data.update(lat=rng.uniform(40, 60), lon=rng.uniform(-10, 30), radius_km=rng.choice([25, 50, 200, 800]))
    if rng.random() < 0.5:
        data["min_years"] = rng.choice([2, 5, 4.9999, 2.3])
    if rng.random() < 0.3:
        data["max_years"] = rng.choice([5, 10, 7.7])
    return Filters.from_dict(data, tenant_id=rng.choice(["acme", "globex"]))


def test_quick_filters_decide_what_passes_decides():
    rng = random.Random(11)
    profiles = [_profile(rng) for _ in range(300)]
    decided = {True: 0, False: 0}
    for _ in range(200):
        f = _filters(rng)
        quick = QuickFilter.of(f)
        assert quick is not None
        for p in profiles:
            truth = passes(f, p, today=TODAY)
            assert quick(facts(p)) == truth, (f, p)
            decided[truth] += 1
    assert min(decided.values()) > 1000            # both answers are common: the test tells something


def test_other_filters_are_left_to_passes():
    for data in ({"seniority": ["senior"]}, {"open_to_work": False}, {"current_company": ["globex"]},
                 {"active_within_days": 30}, {"min_years": 2, "past_company": ["initech"]}):
        assert QuickFilter.of(Filters.from_dict(data, tenant_id="acme")) is None
    assert QuickFilter.of(Filters.from_dict({}, tenant_id="acme")) is not None


def test_long_exact_phrases_match_where_contains_finds_them():
    rng = random.Random(5)
    words = ["data", "engineer", "senior", "cloud", "google", "platform"]
    for _ in range(500):
        vals = [tuple(rng.choice(words) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(0, 3))]
        doc = Doc({"skill": vals}, {"skill": frozenset(t for v in vals for t in v)},
                  bigrams={"skill": frozenset(p for v in vals for p in zip(v, v[1:]))})
        want = tuple(rng.choice(words) for _ in range(rng.randint(3, 4)))
        leaf = qa.Phrase(" ".join(want), field="skill")
        truth = any(_contains(list(v), list(want), leaf) for v in vals)
        assert matches(("leaf", (("skill", want, leaf, False),)), doc) == truth, (vals, want)
