"""Intake, the offline planner, prompts, answer schema, SkillSpan scoring and job ads."""
from __future__ import annotations

import json

import pytest

from benchmarks.skillspan import bio_spans, evaluate
from benchmarks.synth.jobs import job_description
from query.intake.requirements import Intake, IntakeError
from query.llm.base import PlannerOutputError
from query.llm.offline import OfflinePlanner
from query.llm.prompts import available_prompts, load_prompt
from query.llm.schema import parse_answer
from query.lang.parser import parse
from query.intake.skills import SkillExtractor


@pytest.fixture(scope="module")
def intake():
    return Intake()


def test_text_intake_reads_every_requirement(intake):
    req = intake.from_text("Senior Data Engineer\n\nWe are hiring a Senior Data Engineer in Berlin (within 30 km).\n"
                           "Requirements: 5+ years of experience with Spark, Kafka and Python.\n"
                           "Nice to have: Airflow.\nCandidates who have worked at Acme will not be considered.")
    assert req.titles == ("Senior Data Engineer",) and req.occupation_code == "15-1243.00"
    assert req.seniority == ("senior",) and req.locations[0].name == "Berlin, DE" and req.locations[0].radius_km == 30
    assert req.must_have == ("Apache Spark", "Apache Kafka", "Python") and req.nice_to_have == ("Apache Airflow",)
    assert req.min_years == 5 and req.exclude_companies == ("Acme",)
    assert req.filters_dict() == {"near": "Berlin, DE", "radius_km": 30.0, "min_years": 5.0}


@pytest.mark.parametrize("fields, where", [({"titles": ["Nurse"], "min_years": -2}, "min_years"),
                                           ({"titles": ["Nurse"], "seniority": ["guru"]}, "seniority"),
                                           ({"titles": ["Nurse"], "locations": [{"near": "Nowhere-Ville-X"}]}, "locations[0].near"),
                                           ({"titles": ["Nurse"], "colour": "x"}, "colour"),
                                           ({"titles": [""]}, "titles")])
def test_field_intake_errors_name_the_field(intake, fields, where):
    with pytest.raises(IntakeError) as info:
        intake.from_fields(fields)
    assert info.value.field == where


def test_offline_planner_strategies_parse_and_say_what_they_are(intake):
    req = intake.from_fields({"titles": ["Data Engineer"], "seniority": ["senior"], "must_have": ["spark", "kafka"],
                              "near": "Berlin", "radius_km": 25, "min_years": 4, "exclude_companies": ["Acme"]})
    ans = OfflinePlanner(intake.taxonomy).plan(req)
    assert ans.provider == "offline-planner" and ans.prompt_version is None
    by = {s.name: s for s in ans.strategies}
    # strict: the title, its level, at least one of the top must-haves (minimum should match), the exclusion
    assert by["strict"].query == ('title:"Data Engineer" AND title:(senior OR sr) AND (skill:"Apache Spark" OR Spark OR '
                                  'pyspark OR skill:"Apache Kafka" OR Kafka) AND NOT company:Acme')
    assert "at least 1 of the top 2" in by["strict"].rationale
    assert by["broad"].filters["radius_km"] == 50 and by["broad"].filters["min_years"] == 2
    assert by["semantic"].syntax == "keywords" and by["semantic"].mode == "dense"
    for s in ans.strategies:
        assert str(parse(s.query)) and s.rationale


def test_prompts_are_versioned_files():
    assert "plan_v1" in available_prompts()
    text = load_prompt("plan_v1").render("repair", error="strategies[0].query: bad")
    assert "strategies[0].query: bad" in text


def test_answer_schema_reports_where():
    with pytest.raises(PlannerOutputError, match=r"strategies\.0\.rationale"):
        parse_answer(json.dumps({"strategies": [{"name": "a", "query": "x"}]}))
    with pytest.raises(PlannerOutputError, match="only excludes"):
        parse_answer(json.dumps({"strategies": [{"name": "a", "query": "NOT x", "rationale": "r"}]}))


def test_skill_extractor_and_span_scoring():
    ex = SkillExtractor()
    names = ex.skills("Experience with Apache Spark, node.js and SQL. Word of mouth matters; access to data.")
    assert names[:3] == ["Apache Spark", "Node.js", "Structured query language SQL"]
    assert "Microsoft Word" not in names and "Microsoft Access" not in names
    assert bio_spans(["O", "B", "I", "O", "B", "I", "I"]) == [(1, 3), (4, 7)]
    rows = [{"tokens": ["Python", "and", "Docker", "skills"], "tags_skill": ["O"] * 4,
             "tags_knowledge": ["B", "O", "B", "O"]}]
    m = evaluate(rows, ex)["knowledge"]["exact"]
    assert m["precision"] == 1.0 and m["recall"] == 1.0


def test_job_ads_come_from_the_ground_truth():
    q = {"query_id": "q9", "intent": {"title": "data engineer", "seniority": "senior", "skill_groups": [["Apache Spark", "Apache Airflow"]],
                                      "location": {"near": "Berlin, DE", "radius_km": 50}, "exclude_companies": ["Acme"]},
         "filters": {"min_years": 3}}
    text = job_description(q)
    assert text.startswith("Senior Data engineer\n") and "Must have: Spark." in text and "Nice to have: Airflow." in text
    req = Intake().from_text(text)
    assert req.must_have == ("Apache Spark",) and req.exclude_companies == ("Acme",) and req.min_years == 3


@pytest.mark.parametrize("text, title, skills", [
    ("Mandarin speaking sales manager in London", "sales manager", ("Mandarin",)),   # a spoken language is a skill
    ("Experienced bilingual registered nurse in Boston", "registered nurse", ()),
])
def test_a_title_after_qualifiers_is_found(text, title, skills):
    req = Intake().from_text(text)
    assert [t.lower() for t in req.titles] == [title]
    assert req.must_have == skills    # "manager" is not the skill "Assisi Software Assisi Manager"


def test_title_words_are_a_skill_only_when_the_requirements_ask_for_them(intake):
    # the job's domain asked for in the requirements is a must-have, with its years ...
    ap = intake.from_text("Accounts Payable Specialist\nAustin, TX\nRequirements:\n"
                          "- 2+ years of accounts payable experience\n- Strong data entry skills")
    assert "Accounts payable" in ap.must_have and ("Accounts payable", 2.0) in ap.skill_years
    # ... but the sentence that names the title is not a requirement of its own words
    hr = intake.from_text("Senior Human Resources Specialist\n\nOur client is seeking a Senior Human Resources "
                          "Specialist in Berlin (within 50 km).\n")
    assert not any(s.casefold() == "human resources" for s in hr.must_have), hr.must_have


def test_the_employer_and_eeo_boilerplate_name_no_skill(intake):
    req = intake.from_text("Security Engineer\nAtlanta, GA\nApex Systems is looking to hire a Security Engineer.\n"
                           "Requirements:\n- 3+ years with Microsoft Defender\n- This policy applies to all terms and "
                           "conditions of employment, including recruiting, hiring, placement and training.")
    assert "Microsoft Defender" in req.must_have
    assert not any("apex" in s.casefold() or s.casefold() == "recruiting" for s in req.must_have), req.must_have


def test_negotiation_is_a_soft_skill_and_contract_negotiation_a_skill(intake):
    req = intake.from_text("Account Executive\nAustin, TX\nRequirements:\n- Strong negotiation skills\n"
                           "- 3+ years of contract negotiation experience")
    assert "Negotiation" in req.competencies and "Negotiation" not in req.must_have
    assert "Contract negotiation" in req.must_have
