"""The offline evaluator on a hand-made profile: each kind's verdict, the evidence is the profile's own text,
years with a skill from dated positions, must-haves first; free text through a tiny fake-free encoder."""
import datetime as dt

import numpy as np
import pytest

from query.qualifications import parse_qualifications
from ranking.evaluate.freetext import FreeTextJudge
from ranking.evaluate.model import Judgement, order, summarize
from ranking.evaluate.offline import OfflineEvaluator, degree_level
from ranking.evaluate.profile import value_of, verified

TODAY = dt.date(2026, 11, 1)
PROFILE = {
    "candidate_id": "p1", "headline": "Senior Data Engineer at Globex | Spark, Kafka",
    "summary": "Data engineer with 9 years of experience. I build streaming pipelines. Fluent in German.",
    "location": {"city": "Berlin", "country": "DE", "lat": 52.52, "lon": 13.405},
    "positions": [
        {"company_id": "g", "company_name": "Globex", "title": "Senior Data Engineer", "start": dt.date(2021, 1, 1),
         "end": None, "description": "Streaming ETL with Apache Spark and Kafka."},
        {"company_id": "i", "company_name": "Initech GmbH", "title": "Data Analyst", "start": dt.date(2017, 1, 1),
         "end": dt.date(2020, 12, 31), "description": "Reporting in SQL."}],
    "skills": ["spark", "SQL", "Python"],
    "education": [{"school": "TU Berlin", "degree": "MSc", "field": "Computer Science", "start_year": 2014, "end_year": 2016}],
    "years_experience": 9.8, "seniority_level": 3, "occupation_code": "15-1243.00", "skills_normalized": ["Apache Spark", "SQL", "Python"],
}


@pytest.fixture(scope="module")
def judged():
    quals = parse_qualifications([
        {"kind": "skill", "text": "Apache Spark"}, {"kind": "skill", "text": "Haskell"},
        {"kind": "years", "min_years": 12}, {"kind": "years", "skill": "Spark", "min_years": 6},
        {"kind": "years", "skill": "SQL", "min_years": 3}, {"kind": "seniority", "level": "lead"},
        {"kind": "seniority", "level": "executive"}, {"kind": "location", "text": "Potsdam", "radius_km": 50},
        {"kind": "location", "text": "Munich", "radius_km": 100}, {"kind": "education", "degree": "master", "field": "computer science"},
        {"kind": "education", "degree": "doctorate"}, {"kind": "company", "text": "Initech"},
        {"kind": "occupation", "text": "Data Engineer"}, {"kind": "language", "text": "German"}])
    rows = OfflineEvaluator(today=TODAY).evaluate([PROFILE], quals)[0]
    return quals, rows


def test_each_kind_gets_the_right_verdict(judged):
    _, rows = judged
    assert [j.verdict for j in rows] == [
        "meets", "no_evidence", "contradicts", "meets", "meets", "partly", "contradicts",
        "meets", "contradicts", "meets", "contradicts", "meets", "meets", "meets"]
    # Spark is listed; the engineer role names it and the analyst role's occupation (O*NET) uses it: 2017-01 .. 2026-11
    assert "9.8 years" in rows[3].reason
    assert [(e.field, e.note) for e in rows[3].evidence][:2] == [
        ("positions[0].description", ""), ("positions[1].title", "an occupation using Apache Spark")]
    assert "9.8 years" in rows[4].reason


def test_years_with_a_skill_count_only_positions_that_name_or_use_it():
    import copy
    p = copy.deepcopy(PROFILE)
    p["positions"][1]["title"] = "Line Cook"                  # an occupation that does not use Spark
    quals = parse_qualifications([{"kind": "years", "skill": "Spark", "min_years": 6},
                                  {"kind": "years", "skill": "Spark", "min_years": 12}])
    six, twelve = OfflineEvaluator(today=TODAY).evaluate([p], quals)[0]
    assert six.verdict == "partly" and "5.8 years" in six.reason     # only 2021-01 .. 2026-11, the engineer role
    assert twelve.verdict == "contradicts"                             # 9.8 years in all


def test_an_occupation_is_met_by_any_of_its_own_titles_senior_or_managed():
    from ranking.evaluate.titles import title_keys
    assert title_keys("Sr. Cytologist II")[-1] == "cytologist"
    assert "registered nurse" in title_keys("Manager, Registered Nurse")
    assert "engineer technician" in title_keys("Engineering Technician Team Manager")
    ev = OfflineEvaluator(today=TODAY)
    for title, asked in [("Cytologist II", "Medical Scientists, Except Epidemiologists"),
                         ("Manager, Registered Nurse", "Registered Nurses")]:
        p = {**PROFILE, "occupation_code": None, "positions": [{**PROFILE["positions"][0], "title": title}]}
        (j,), = ev.evaluate([p], parse_qualifications([{"kind": "occupation", "text": asked}]))
        assert j.verdict == "meets" and j.evidence[0].text == title, (title, j)
        (no,), = ev.evaluate([p], parse_qualifications([{"kind": "occupation", "text": "Truck Drivers, Heavy and Tractor-Trailer"}]))
        assert no.verdict == "no_evidence"


def test_industry_comes_from_the_company_directory_and_cites_the_company():
    ev = OfflineEvaluator(today=TODAY, company_industries={"g": "Software & Internet", "i": "Financial Services"})
    quals = parse_qualifications([{"kind": "industry", "text": "Financial Services"}, {"kind": "industry", "text": "Healthcare"},
                                  {"kind": "industry", "text": "software"}])
    fin, health, soft = ev.evaluate([PROFILE], quals)[0]
    assert fin.verdict == "meets" and (fin.evidence[0].field, fin.evidence[0].text) == ("positions[1].company_name", "Initech GmbH")
    assert "Financial Services" in fin.evidence[0].note and verified(PROFILE, fin.evidence[0])
    assert health.verdict == "no_evidence" and soft.verdict == "meets"
    assert OfflineEvaluator(today=TODAY).evaluate([PROFILE], quals[:1])[0][0].verdict == "no_evidence"   # no directory


def test_every_evidence_span_is_the_profiles_text_with_its_entry_and_dates(judged):
    _, rows = judged
    spans = [e for j in rows for e in j.evidence]
    assert spans and all(verified(PROFILE, e) for e in spans)
    company = rows[11].evidence[0]
    assert (company.field, company.text, company.entry, company.dates) == (
        "positions[1].company_name", "Initech GmbH", 1, ("2017-01-01", "2020-12-31"))
    assert rows[0].evidence[0].field == "skills[0]" and rows[0].evidence[0].text == "spark"


def test_a_span_that_is_not_the_profile_text_is_not_verified():
    from ranking.evaluate.model import Evidence
    assert not verified(PROFILE, Evidence("summary", "Fluent in French", 70, 86))
    assert not verified(PROFILE, Evidence("positions[9].title", "x", 0, 1))
    assert value_of(PROFILE, "location.city") == "Berlin"


def test_degree_levels():
    assert [degree_level(d) for d in ("PhD", "MSc", "MBA", "B.Tech", "Bachelor of Arts", "Associate of Arts",
                                      "High School Diploma", "Juris Doctor (JD)", "Basket weaving")] == [5, 4, 4, 3, 3, 2, 0, 5, None]


def test_score_and_order_put_every_must_first():
    quals = parse_qualifications([{"kind": "skill", "text": "a"}, {"kind": "skill", "text": "b", "must": False, "weight": 3}])
    a = summarize("a", [Judgement("q1", "meets", 1), Judgement("q2", "no_evidence", 1)], quals)
    b = summarize("b", [Judgement("q1", "no_evidence", 1), Judgement("q2", "meets", 1)], quals)
    assert (a.score, b.score) == (0.25, 0.75)
    assert [e.candidate_id for e in order([b, a])] == ["a", "b"] and order([b, a])[0].rank == 1


class Bag:
    """A bag-of-words encoder: enough to check the free-text path without a model."""
    name = "bag"

    def encode(self, texts):
        vocab = ["stream", "pipelin", "german", "payroll", "account"]
        return np.array([[float(w in t.lower()) for w in vocab] + [0.01] for t in texts], dtype=np.float32)


def test_free_text_quotes_the_closest_sentence():
    judge = FreeTextJudge(Bag(), model="bag", thresholds={"meets": 0.9, "partly": 0.5})
    quals = parse_qualifications([{"kind": "free_text", "text": "builds streaming pipelines"},
                                  {"kind": "free_text", "text": "payroll accounting"}])
    rows = OfflineEvaluator(freetext=judge, today=TODAY).evaluate([PROFILE], quals)[0]
    assert rows[0].verdict == "meets" and verified(PROFILE, rows[0].evidence[0])
    assert rows[0].evidence[0].text in ("I build streaming pipelines.", "Streaming ETL with Apache Spark and Kafka.")
    assert rows[1].verdict == "no_evidence" and not rows[1].evidence
