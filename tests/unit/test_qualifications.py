"""Qualifications: validation names the item and field, intake requirements map to kinds, the guard strips."""
import pytest

from query.guard import PolicyViolationError
from query.intake.requirements import HiringRequirements, Location
from query.qualifications import MAX_QUALIFICATIONS, from_requirements, guard_qualifications, parse_qualifications
from records.errors import FilterError


def test_ids_defaults_and_labels():
    qs = parse_qualifications([{"kind": "skill", "text": " Spark "}, {"kind": "years", "min_years": 5, "skill": "SQL"},
                               {"kind": "location", "text": "Berlin"}, {"kind": "seniority", "level": "Senior"},
                               {"kind": "education", "degree": "master", "id": "edu"}])
    assert [q.id for q in qs] == ["q1", "q2", "q3", "q4", "edu"]
    assert qs[0].text == "Spark" and qs[1].label == "5+ years of SQL"
    assert qs[2].radius_km == 50.0 and abs(qs[2].lat - 52.52) < 0.1 and qs[3].level == "senior"


@pytest.mark.parametrize("items, field", [
    ([], "qualifications"),
    ([{"kind": "skill", "text": "x"}] * (MAX_QUALIFICATIONS + 1), "qualifications"),
    ([{"kind": "skill", "text": "spark"}, {"kind": "mind-reading", "text": "x"}], "qualifications[1].kind"),
    ([{"kind": "skill"}], "qualifications[0].text"),
    ([{"kind": "skill", "text": "x", "colour": "red"}], "qualifications[0]"),
    ([{"kind": "years", "min_years": -1}], "qualifications[0].min_years"),
    ([{"kind": "seniority", "level": "boss"}], "qualifications[0].level"),
    ([{"kind": "education", "degree": "wizard"}], "qualifications[0].degree"),
    ([{"kind": "location", "text": "Nowhere-upon-Nothing"}], "qualifications[0].text"),
    ([{"kind": "skill", "text": "x", "weight": 0}], "qualifications[0].weight"),
    ([{"kind": "skill", "text": "x", "id": "a"}, {"kind": "skill", "text": "y", "id": "a"}], "qualifications"),
    (["spark"], "qualifications[0]"),
])
def test_bad_input_names_the_item_and_field(items, field):
    with pytest.raises(FilterError) as err:
        parse_qualifications(items)
    assert err.value.field == field


def test_from_requirements_covers_each_part():
    req = HiringRequirements(titles=("Senior Data Engineer",), occupation_title="Data Engineer", seniority=("senior", "lead"),
                             locations=(Location("Berlin, DE", 40.0),), must_have=("Apache Spark", "German"),
                             nice_to_have=("Apache Kafka",), competencies=("stakeholder management",), min_years=5,
                             skill_years=(("Apache Spark", 3.0),), skill_kinds=(("German", "language"),),
                             past_company=("Globex",))
    qs = from_requirements(req)
    got = [(q.kind, q.text if q.kind not in ("years", "seniority") else q.label, q.must) for q in qs]
    assert ("occupation", "Data Engineer", True) in got and ("seniority", "seniority senior or above", True) in got
    assert ("years", "5+ years of experience", True) in got and ("years", "3+ years of Apache Spark", True) in got
    assert ("skill", "Apache Spark", True) in got and ("language", "German", True) in got
    assert ("skill", "Apache Kafka", False) in got and ("free_text", "stakeholder management", False) in got
    assert ("company", "Globex", False) in got
    assert next(q for q in qs if q.kind == "location").radius_km == 40.0


def test_guard_strips_protected_qualifications_with_a_reason_and_refuses_when_nothing_is_left():
    qs = parse_qualifications([{"kind": "skill", "text": "Python"}, {"kind": "free_text", "text": "young and energetic"},
                               {"kind": "company", "text": "Germany"}])
    kept, findings = guard_qualifications(qs)
    assert [q.id for q in kept] == ["q1"]
    where = {f.where: f.category for f in findings}
    assert where["qualifications[1].text"] == "age" and where["qualifications[2].text"] == "national origin"
    assert all(f.explanation for f in findings)
    with pytest.raises(PolicyViolationError):
        guard_qualifications(parse_qualifications([{"kind": "free_text", "text": "no pregnant women"}]))
