"""The LLM evaluator against a real local HTTP server speaking chat-completions (tests/unit/test_llm_openai.Server):
verified quotes keep their verdict, a quote that is not in the profile downgrades to no_evidence, a malformed answer
is repaired once, and an endpoint that fails falls back to the offline evaluator."""
import json

import pytest

from query.llm.openai import LLMConfig
from query.qualifications import parse_qualifications
from ranking.evaluate.llm import LLMEvaluator
from ranking.evaluate.offline import OfflineEvaluator
from ranking.evaluate.profile import verified
from tests.unit.test_evaluate_offline import PROFILE, TODAY
from tests.unit.test_llm_openai import Server, chat

QUALS = parse_qualifications([{"kind": "skill", "text": "Apache Spark"}, {"kind": "free_text", "text": "led a team"}])


@pytest.fixture()
def server():
    s = Server()
    yield s
    s.close()


def _evaluator(server, **kw):
    cfg = LLMConfig(base_url=server.url, model="judge-model", retries=0, timeout_s=5, **kw)
    return LLMEvaluator(cfg, OfflineEvaluator(today=TODAY))


def _answer(*judgements):
    return chat(json.dumps({"judgements": list(judgements)}))


def test_verified_quotes_keep_the_verdict_and_unverified_ones_are_downgraded(server):
    server.replies = [_answer(
        {"qualification_id": "q1", "verdict": "meets", "confidence": 0.9, "reason": "listed",
         "evidence": [{"field": "positions[0].description", "quote": "Apache Spark"}]},
        {"qualification_id": "q2", "verdict": "meets", "confidence": 0.8, "reason": "made up",
         "evidence": [{"field": "summary", "quote": "Led a team of twelve engineers"}]})]
    ev = _evaluator(server)
    one, two = ev.evaluate([PROFILE], QUALS)[0]
    assert one.verdict == "meets" and verified(PROFILE, one.evidence[0]) and one.evidence[0].entry == 0
    assert one.evidence[0].dates == ("2021-01-01", None)
    assert two.verdict == "no_evidence" and not two.evidence and "downgraded" in two.reason
    body = server.requests[0]["body"]
    assert body["model"] == "judge-model" and body["response_format"]["json_schema"]["name"] == "candidate_evaluation"
    prompt = body["messages"][1]["content"]
    assert "q1 (skill, must-have): Apache Spark" in prompt and "summary: Data engineer with 9 years" in prompt
    assert ev.name == "llm:judge-model:evaluate_v1"


def test_a_meets_without_any_quote_is_no_evidence(server):
    server.replies = [_answer({"qualification_id": "q1", "verdict": "meets", "evidence": []},
                              {"qualification_id": "q2", "verdict": "no_evidence", "evidence": []})]
    one, two = _evaluator(server).evaluate([PROFILE], QUALS)[0]
    assert (one.verdict, two.verdict) == ("no_evidence", "no_evidence")


def test_a_malformed_answer_is_repaired_once(server):
    server.replies = [chat("not json"), _answer(
        {"qualification_id": "q1", "verdict": "meets", "evidence": [{"field": "skills[0]", "quote": "spark"}]},
        {"qualification_id": "q2", "verdict": "partly", "evidence": [{"field": "headline", "quote": "Senior Data Engineer"}]})]
    one, two = _evaluator(server).evaluate([PROFILE], QUALS)[0]
    assert (one.verdict, two.verdict) == ("meets", "partly")
    assert "could not be used" in server.requests[1]["body"]["messages"][-1]["content"]


def test_a_failing_endpoint_falls_back_to_the_offline_evaluator(server):
    server.replies = [(500, {}, {"error": "boom"})]
    notes = []
    one, _ = _evaluator(server).evaluate([PROFILE], QUALS, notes=notes)[0]
    assert one.verdict == "meets" and one.evidence[0].field == "skills[0]"     # the offline judgement
    assert notes and notes[0].startswith("p1: offline evaluator used")


def test_through_the_service_the_llm_judges_indexed_profiles_and_fallbacks_are_noted(server, small_engine):
    from ranking.evaluate.service import EvaluateRequest, evaluate

    server.replies = [_answer({"qualification_id": "q1", "verdict": "meets", "confidence": 0.9,
                               "evidence": [{"field": "summary", "quote": "Spark and Kafka"}]}),
                      (500, {}, {"error": "down"})]
    quals = [{"kind": "skill", "text": "Apache Spark"}]
    res = evaluate(small_engine, _evaluator(server), EvaluateRequest(tuple(quals), ("de-001", "de-002", "pv-001")))
    by_id = {c.candidate_id: c for c in res.candidates}
    assert res.evaluator == "llm:judge-model:evaluate_v1" and by_id["pv-001"].status == "not_found"
    assert by_id["de-001"].judgements[0].evidence[0].text == "Spark and Kafka"
    assert by_id["de-002"].judgements[0].verdict == "meets" and res.notes == ("de-002: offline evaluator used "
                                                                               + res.notes[0].split("used ", 1)[1],)
    assert len(server.requests) == 2          # one request per visible candidate, none for the private one
