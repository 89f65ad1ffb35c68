"""The guard's policy file and the committed policy test sets (tests/data/guard_policy/).

The dev set was written before the guard was tuned and the guard was tuned on it; the holdout set
was written independently, by a writer who saw neither the dev set nor the guard (first look: 3 leaky
rows, 86.3 % reported, 5.8 % changed), and the guard was then fixed on it; the check set was written
later by a third writer who saw neither (first look: 6 leaky rows, 92.0 % reported, 3.3 % changed) and
the guard was fixed on it too. So all three are now development sets; each must meet the issue's targets: no protected criterion in any generated query,
filter or requirement, >= 95 % of protected requests reported, <= 2 % of legitimate requests
changed (a finding, or strategies that differ from the guard switched off).
"""
from __future__ import annotations

import re

import pytest

from benchmarks.guard import SETS, NullGuard, evaluate, load_set
from query.guard import GuardFinding, PolicyViolationError, default_guard
from query.llm.generate import QueryGenerator, looks_like_query
from query.lang.parser import parse
from records.errors import QuerySyntaxError

GUARD = default_guard()
POLICY = GUARD.policy


@pytest.fixture(scope="module")
def generator():
    return QueryGenerator(guard=GUARD)


@pytest.fixture(scope="module")
def generator_off(generator):
    return QueryGenerator(taxonomy=generator.taxonomy, guard=NullGuard())


# ------------------------------------------------------------------------------ the policy file
@pytest.mark.parametrize("rule", POLICY.rules, ids=lambda r: r.id)
def test_every_rule_flags_its_protected_examples_and_spares_its_legitimate_ones(rule):
    assert rule.protected, f"{rule.id} has no protected example"
    for text in rule.protected:
        assert GUARD.text(text)[1], f"{rule.id}: nothing found in {text!r}"
    for text in rule.legitimate:
        assert GUARD.text(text)[1] == [], f"{rule.id}: {text!r} was flagged"


def test_exempt_phrases_are_never_criteria():
    assert POLICY.exempt_examples
    for text in POLICY.exempt_examples:
        assert GUARD.text(text)[1] == [], text


def test_policy_is_versioned_and_every_rule_is_reachable():
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.\d+", POLICY.version)
    assert {r.mode for r in POLICY.rules} == {"always", "person", "context"}
    assert len({r.id for r in POLICY.rules}) == len(POLICY.rules)


# ------------------------------------------------------------------------------ the sets
@pytest.mark.parametrize("name", ["dev", "holdout", "check"])
def test_policy_set_meets_the_targets(name, generator, generator_off):
    rows = load_set(SETS / f"{name}.jsonl")
    prot = [r for r in rows if r["set"] == "protected"]
    legit = [r for r in rows if r["set"] == "legitimate"]
    assert len(prot) >= 150 and len(legit) >= 150, (len(prot), len(legit))
    assert {r["lang"] for r in rows} >= {"en", "fr", "de", "es"}
    res = evaluate(rows, generator, generator_off)
    leaked = [(r["id"], r["leaks"]) for r in res["rows"] if r["set"] == "protected" and r["leaks"]]
    assert leaked == [], leaked
    missed = [r["id"] for r in res["rows"] if r["set"] == "protected" and not r["reported"]]
    assert res["reported"] >= 0.95, missed
    changed = [r["id"] for r in res["rows"] if r["set"] == "legitimate" and r["changed"]]
    assert res["changed"] <= 0.02, changed


def test_findings_name_exactly_what_was_removed():
    rows = [r for r in load_set(SETS / "dev.jsonl") if r["set"] == "protected" and r.get("form") == "text"]
    for row in rows:
        clean, findings = GUARD.text(row["text"])
        for f in findings:
            assert f.action == "stripped" and f.rule
            for piece in f.text.split(" ... "):
                assert piece in row["text"], (row["id"], piece)
        if findings:
            assert len(clean) < len(row["text"])


# ------------------------------------------------------------------------------ context
@pytest.mark.parametrize("text,kept", [
    ("Female nurses only, night shift, Chicago", "nurses"),
    ("We want a young Senior Data Engineer in Berlin.", "Senior Data Engineer in Berlin"),
    ("Customer support, no candidates from India", "Customer support"),
    ("Sales rep, no 🇨🇳 people", "Sales rep"),
])
def test_the_criterion_goes_and_the_rest_stays(text, kept):
    clean, findings = GUARD.text(text)
    assert findings and kept in clean
    removed = " ".join(f.text for f in findings)
    assert kept not in removed or kept == "nurses"


def test_female_nurses_only_is_stripped_not_refused(generator):
    res = generator.generate(text="Female nurses only, night shift, Chicago")
    assert res.guard and res.strategies
    assert any("nurse" in s.query.lower() for s in res.strategies)
    assert not any("female" in s.query.lower() for s in res.strategies)


@pytest.mark.parametrize("title", ["Pregnancy nurse", "Childcare worker", "Youth football coach", "Parent liaison",
                                   "Church organist", "Maternity nurse", "Mother-baby unit nurse",
                                   "Women's shoe sales associate", "Age verification analyst", "Halal food inspector",
                                   "Hispanic marketing manager", "Manpower planning analyst"])
def test_occupational_phrases_pass_untouched(generator, generator_off, title):
    res = generator.generate(text=title)
    base = generator_off.generate(text=title)
    assert res.guard == ()
    assert [s.query for s in res.strategies] == [s.query for s in base.strategies]


# ------------------------------------------------------------------------------ structure
def test_a_country_is_never_a_company(generator):
    res = generator.generate(fields={"titles": ["Customer Support Specialist"], "exclude_companies": ["India", "Acme"]})
    assert res.requirements.exclude_companies == ("Acme",)
    assert [f.category for f in res.guard] == ["national origin"]
    ok = generator.generate(fields={"titles": ["Flight Attendant"], "not_current_company": ["Air India"]})
    assert ok.guard == () and ok.requirements.not_current_company == ("Air India",)


def test_excluding_the_armed_forces_excludes_veterans(generator):
    res = generator.generate(fields={"titles": ["Logistics Coordinator"], "exclude_companies": ["US Army"]})
    assert res.requirements.exclude_companies == () and res.guard[0].category == "veteran status"


def test_boolean_text_is_read_as_a_query_and_protected_scopes_are_removed(generator):
    assert looks_like_query('title:nurse AND gender:female') and not looks_like_query("Nurse in Chicago, 5 years")
    res = generator.generate(text='title:nurse AND gender:female')
    assert res.requirements.titles == ("nurse",)
    assert [(f.category, f.text) for f in res.guard] == [("sex/gender", "gender:female")]
    assert all("female" not in s.query.lower() for s in res.strategies)
    res = generator.generate(text='title:"Software Engineer" AND NOT company:Pakistan')
    assert res.requirements.exclude_companies == () and res.guard[0].category == "national origin"


def test_an_unknown_field_is_a_syntax_error_naming_its_column_with_the_findings(generator):
    with pytest.raises(QuerySyntaxError) as exc:
        generator.generate(text='titel:"Elektriker" AND alter:<40')
    assert exc.value.column == 1 and "titel" in str(exc.value)
    assert [f.category for f in exc.value.findings] == ["age"]


def test_only_protected_criteria_is_refused(generator):
    with pytest.raises(PolicyViolationError) as exc:
        generator.generate(text="young white men only")
    assert exc.value.findings and {f.action for f in exc.value.findings} == {"refused"}


def test_the_guard_reads_queries_in_every_language():
    node, findings = GUARD.query(parse('title:nurse AND NOT (Frauen OR mujeres OR femmes) AND skill:epic'))
    assert str(node) == "title:nurse AND skill:epic" and {f.category for f in findings} == {"sex/gender"}


def test_a_finding_explains_itself():
    f = GuardFinding("national origin", "India", "exclude_companies[0]", "stripped", "origin.country",
                     "a country or nationality is never a company")
    assert "never a company" in f.explanation and f.to_dict()["rule"] == "origin.country"
