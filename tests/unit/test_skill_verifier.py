"""The learned skill verifier: the evidence it reads, the shipped weights, demotion without loss, languages."""
from __future__ import annotations

import json

import pytest

from query.intake.requirements import Intake
from query.intake.verify import FEATURES, WEIGHTS_PATH, Evidence, SkillVerifier

POSTING = ("Marketing Coordinator\nAustin, TX\n"
           "Responsibilities:\n- Maintain procedure manuals and support seeding innovation methodologies\n"
           "Requirements:\n- 2+ years of experience with Salesforce, HubSpot and Microsoft Excel\n"
           "- Fluent in written and spoken English\n- Bachelor's degree in English or Communications")


@pytest.fixture(scope="module")
def taxonomy():
    from records.taxonomy import Taxonomy

    return Taxonomy.load()


@pytest.fixture(scope="module")
def verified(taxonomy):
    return Intake(taxonomy)


def test_evidence_records_where_and_how_a_skill_was_read():
    ev = Evidence("Salesforce")
    ev.add("dict_technology", "requirements", "2+ years of experience with Salesforce, HubSpot, Excel", "Salesforce")
    f = ev.features(common=frozenset(), thin=False, candidates=3)
    assert set(f) == set(FEATURES)
    assert f["src_dict_technology"] == 1 and f["in_requirements"] == 1 and f["only_duties"] == 0
    assert f["cue"] == 1 and f["cue_near"] == 1 and f["in_list"] == 1 and f["capitalised"] == 1
    duty = Evidence("Procedure manuals")
    duty.add("phrase", "duties", "Maintain procedure manuals", "procedure manuals")
    g = duty.features(common=frozenset(), thin=False, candidates=3)
    assert g["only_duties"] == 1 and g["phrase_duties"] == 1 and g["cue"] == 0 and g["capitalised"] == 0


def test_shipped_weights_are_whole_and_say_how_they_were_fitted():
    data = json.loads(WEIGHTS_PATH.read_text())
    assert set(data["weights"]) == set(FEATURES)
    assert 0.0 < data["threshold"] < 1.0
    assert "judged_fresh5.jsonl" not in data["fitted_on"] and "judged_fresh6.jsonl" not in data["fitted_on"]
    assert data["out_of_fold"]["precision"] >= 0.80          # the threshold was chosen to meet it, out of fold


def test_weights_naming_an_unknown_feature_are_refused(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"weights": {"cue": 1.0, "shoe_size": 2.0}, "bias": 0.0, "threshold": 0.5}))
    with pytest.raises(ValueError, match="shoe_size"):
        SkillVerifier.load(path)
    assert SkillVerifier.load(tmp_path / "missing.json") is None


def test_a_listed_product_stays_required_and_a_duty_phrase_is_demoted(verified):
    req = verified.from_text(POSTING)
    assert {"Salesforce software", "Microsoft Excel"} <= set(req.must_have), req.must_have
    assert not any("manual" in s.casefold() for s in req.must_have), req.must_have


def test_demoting_loses_nothing(taxonomy):
    """A verifier that keeps nothing moves every must-have to nice-to-have, in order; nothing is dropped."""
    rules = Intake(taxonomy, verifier=False)
    every = SkillVerifier({k: 0.0 for k in FEATURES}, bias=0.0, threshold=1.0)
    strict = Intake(taxonomy, verifier=every)
    wide = Intake(taxonomy, verifier=False)
    wide.trace = []                       # the candidate set the verifier sees (the duties read too)
    base, none, seen = rules.from_text(POSTING), strict.from_text(POSTING), wide.from_text(POSTING)
    candidates = [name for name, _f in wide.trace]
    assert base.must_have and set(base.must_have) <= set(candidates)
    kept_by_years = [s for s in none.must_have if s not in candidates]   # a skill asked years of stays required
    assert set(none.must_have) == set(kept_by_years)
    assert all(c in none.nice_to_have or c in none.must_have for c in candidates)
    assert seen.must_have == tuple(dict.fromkeys(seen.must_have))


def test_a_spoken_language_is_a_requirement_and_a_degree_subject_is_not(verified, taxonomy):
    req = verified.from_text(POSTING)
    assert "English" in req.must_have and dict(req.skill_kinds)["English"] == "language"
    degree = Intake(taxonomy).from_text("Editor\nAustin, TX\nRequirements:\n- Bachelor's degree in English or Journalism\n"
                                        "- 2+ years of experience with Adobe InDesign")
    assert "English" not in degree.must_have + degree.nice_to_have
