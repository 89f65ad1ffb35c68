"""The cold-start benchmark's teacher: qualifications from a judged query's intent, graded labels 0..3."""
from benchmarks.evaluation_coldstart import qualifications, teacher_labels
from ranking.evaluate.offline import OfflineEvaluator
from tests.unit.test_evaluate_offline import PROFILE, TODAY


def test_intent_becomes_qualifications_and_labels_grade_them():
    q = {"intent": {"title": "data engineer", "seniority": "senior", "location": {"near": "Berlin, DE", "radius_km": 50},
                    "skill_groups": [["Apache Spark", "Apache Airflow"], ["COBOL"]]}}
    quals = qualifications(q)
    assert [(x.kind, x.must) for x in quals] == [("occupation", True), ("seniority", True), ("location", True),
                                                 ("skill", False), ("skill", False), ("skill", False)]
    far = {**PROFILE, "candidate_id": "far", "location": {"city": "Lisbon", "country": "PT", "lat": 38.72, "lon": -9.14}}
    labels = teacher_labels(OfflineEvaluator(today=TODAY), [PROFILE, far], quals).tolist()
    assert labels == [3, 1]      # every must met and half the score / the location must fails
    assert qualifications({"intent": {}}) == ()
