"""The OpenAI-compatible planner against a real local HTTP server speaking chat-completions.

The server (``http.server`` in a thread, started by the test) answers each request with the next
scripted reply: valid JSON, malformed JSON, a query that does not parse, 429 with Retry-After,
500, or a stall past the client's timeout. It records every request body so the tests can
check the prompt version, the response format and the repair message.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from query.lang import ast as qa
from query.llm.base import PlannerOutputError, ProviderUnavailableError
from query.llm.generate import QueryGenerator
from query.llm.openai import LLMConfig, OpenAIChatPlanner
from query.lang.parser import parse

GOOD = {"strategies": [
    {"name": "strict", "query": 'title:"data engineer" AND skill:(spark OR kafka)', "syntax": "boolean",
     "mode": "hybrid", "filters": {"near": "Berlin", "radius_km": 30}, "rationale": "Expert query."},
    {"name": "semantic", "query": "senior data engineer spark kafka", "syntax": "keywords", "mode": "dense",
     "filters": {}, "rationale": "Dense text."}]}


def chat(content: str) -> tuple[int, dict, dict]:
    return 200, {}, {"id": "x", "object": "chat.completion", "model": "test-model",
                     "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}


class Server:
    def __init__(self):
        self.replies: list = []
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                reply = outer.replies.pop(0) if outer.replies else (500, {}, {"error": "no scripted reply"})
                if reply == "stall":
                    time.sleep(1.0)
                    reply = chat(json.dumps(GOOD))
                status, headers, payload = reply
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass     # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture(scope="module")
def requirements():
    return QueryGenerator().intake.from_text("Senior Data Engineer in Berlin with Spark and Kafka")


def planner(server, **kw) -> OpenAIChatPlanner:
    waits = []
    p = OpenAIChatPlanner(LLMConfig(base_url=server.url, model="test-model", api_key="sk-test", timeout_s=kw.pop("timeout_s", 2.0),
                                    **kw), sleep=waits.append)
    p.waits = waits
    return p


def test_valid_answer_is_parsed_and_recorded(server, requirements):
    server.replies = [chat(json.dumps(GOOD))]
    ans = planner(server).plan(requirements)
    assert [s.name for s in ans.strategies] == ["strict", "semantic"]
    assert ans.strategies[0].query == 'title:"data engineer" AND skill:(spark OR kafka)'
    assert ans.provider == "openai-compatible" and ans.model == "test-model" and ans.prompt_version == "plan_v1"
    req = server.requests[0]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer sk-test"
    assert req["body"]["response_format"]["type"] == "json_schema" and req["body"]["temperature"] == 0
    assert "Data Engineer" in req["body"]["messages"][1]["content"]


def test_fenced_json_is_accepted(server, requirements):
    server.replies = [chat("```json\n" + json.dumps(GOOD) + "\n```")]
    assert len(planner(server).plan(requirements).strategies) == 2


def test_malformed_json_is_retried_once_with_the_error(server, requirements):
    server.replies = [chat('{"strategies": [ {"name": "strict", '), chat(json.dumps(GOOD))]
    ans = planner(server).plan(requirements)
    assert ans.attempts == 2 and len(ans.strategies) == 2
    repair = server.requests[1]["body"]["messages"][-1]["content"]
    assert "not valid JSON" in repair
    assert server.requests[1]["body"]["messages"][-2]["role"] == "assistant"


def test_unparsable_query_is_retried_with_the_column(server, requirements):
    bad = {"strategies": [{**GOOD["strategies"][0], "query": "title:(data AND"}]}
    server.replies = [chat(json.dumps(bad)), chat(json.dumps(GOOD))]
    ans = planner(server).plan(requirements)
    assert ans.attempts == 2
    assert "strategies[0].query: unexpected end of query at column 16" in server.requests[1]["body"]["messages"][-1]["content"]


def test_malformed_twice_raises_and_the_generator_falls_back(server, requirements):
    server.replies = [chat("not json"), chat(json.dumps({"strategies": []}))]
    with pytest.raises(PlannerOutputError, match="malformed answer twice"):
        planner(server).plan(requirements)
    server.replies = [chat("not json"), chat("still not json")]
    gen = QueryGenerator(planner=planner(server))
    res = gen.generate(text="Senior Data Engineer in Berlin with Spark and Kafka")
    assert res.provider == "offline-planner" and not res.is_llm and res.prompt_version is None
    assert "malformed answer twice" in res.fallback_reason
    assert {s.name for s in res.strategies} >= {"strict", "broad", "semantic"}
    for s in res.strategies:
        parse(s.query)


def test_429_is_retried_honouring_retry_after(server, requirements):
    server.replies = [(429, {"Retry-After": "3"}, {"error": "rate limited"}), chat(json.dumps(GOOD))]
    p = planner(server)
    assert len(p.plan(requirements).strategies) == 2
    assert p.waits == [3.0] and len(server.requests) == 2


def test_5xx_retried_then_unavailable_and_fallback(server, requirements):
    server.replies = [(500, {}, {"error": "boom"}), (503, {}, {"error": "down"}), (502, {}, "bad gateway")]
    p = planner(server, retries=2, backoff_s=0.25)
    with pytest.raises(ProviderUnavailableError, match="failed 3 time"):
        p.plan(requirements)
    assert p.waits == [0.25, 0.5]
    server.replies = [(500, {}, {"error": "boom"})] * 3
    res = QueryGenerator(planner=planner(server, retries=2)).generate(text="Data Engineer with Spark")
    assert res.provider == "offline-planner" and "HTTP 500" in res.fallback_reason


def test_4xx_is_not_retried(server, requirements):
    server.replies = [(401, {}, {"error": "bad key"})]
    with pytest.raises(ProviderUnavailableError, match="refused the request: HTTP 401"):
        planner(server).plan(requirements)
    assert len(server.requests) == 1


def test_timeout_is_retried_then_falls_back(server, requirements):
    server.replies = ["stall", "stall"]
    p = planner(server, timeout_s=0.2, retries=1)
    with pytest.raises(ProviderUnavailableError, match="timed out"):
        p.plan(requirements)
    server.replies = ["stall", "stall"]
    res = QueryGenerator(planner=planner(server, timeout_s=0.2, retries=1)).generate(text="Data Engineer with Spark")
    assert res.provider == "offline-planner" and "timed out" in res.fallback_reason


def test_refused_connection_falls_back():
    p = OpenAIChatPlanner(LLMConfig(base_url="http://127.0.0.1:9/v1", model="m", retries=0, timeout_s=0.5))
    res = QueryGenerator(planner=p).generate(text="Data Engineer with Spark")
    assert res.provider == "offline-planner" and "cannot connect" in res.fallback_reason


def test_provider_output_goes_through_the_guard(server):
    biased = {"strategies": [
        {"name": "strict", "query": 'title:"data engineer" AND NOT (female OR women) AND young', "syntax": "boolean",
         "filters": {}, "rationale": "Biased."},
        {"name": "broad", "query": "title:engineer", "syntax": "boolean", "filters": {}, "rationale": "Fine."}]}
    server.replies = [chat(json.dumps(biased))]
    res = QueryGenerator(planner=planner(server)).generate(text="Data Engineer with Spark")
    assert res.provider == "openai-compatible" and res.is_llm and res.prompt_version == "plan_v1"
    assert [s.query for s in res.strategies] == ['title:"data engineer"', "title:engineer"]
    assert {f.category for f in res.guard} == {"sex/gender", "age"}


def test_only_biased_output_falls_back_to_offline(server):
    server.replies = [chat(json.dumps({"strategies": [
        {"name": "x", "query": "women OR young", "filters": {}, "rationale": "Biased."}]}))]
    res = QueryGenerator(planner=planner(server)).generate(text="Data Engineer with Spark")
    assert res.provider == "offline-planner" and "no usable strategy" in res.fallback_reason
    assert res.guard and all(s.query for s in res.strategies)


def test_json_object_mode_and_bad_filter(server, requirements):
    bad = {"strategies": [{**GOOD["strategies"][0], "filters": {"near": "Atlantis-Nowhere"}}]}
    server.replies = [chat(json.dumps(bad)), chat(json.dumps(GOOD))]
    ans = planner(server, response_format="json_object").plan(requirements)
    assert server.requests[0]["body"]["response_format"] == {"type": "json_object"}
    assert "strategies[0].filters: near" in server.requests[1]["body"]["messages"][-1]["content"]
    assert ans.attempts == 2


def test_model_skills_are_checked_against_the_posting(server):
    """An LLM's skills go through the same check as the planner's: a skill the posting never names is removed
    (and said), one it names is kept; the posting is read by the same intake (sections, EEO text ignored)."""
    posting = ("Data Engineer\nBerlin, Germany\nRequirements: 3+ years with Spark and Kafka.\n"
               "We are an equal opportunity employer and do not discriminate based on age or religion.")
    answer = {"strategies": [
        {"name": "strict", "query": 'title:"data engineer" AND skill:(spark OR kubernetes) AND skill:kafka',
         "syntax": "boolean", "filters": {"near": "Berlin", "radius_km": 50}, "rationale": "Expert query."},
        {"name": "invented", "query": "skill:terraform", "syntax": "boolean", "filters": {}, "rationale": "Made up."}]}
    server.replies = [chat(json.dumps(answer))]
    res = QueryGenerator(planner=planner(server)).generate(text=posting)
    assert res.is_llm and res.guard == ()                      # the EEO sentence is not a criterion
    assert [s.query for s in res.strategies] == ['title:"data engineer" AND skill:spark AND skill:kafka']
    assert any("kubernetes" in n for n in res.notes) and any("terraform" in n for n in res.notes)
    assert res.requirements.min_years == 3 and res.requirements.place.city == "Berlin"


# An LLM told (or tricked) into discriminating: every strategy below carries a protected criterion,
# in English, French, German or Spanish, as a term, a negation, a country given as a company or a
# filter value. The guard must strip each one; nothing protected may reach the engine.
DISCRIMINATORY = [
    ('title:nurse AND NOT company:India', {}, ["india"]),
    ('title:nurse AND NOT (company:Mexico OR company:"Pakistan")', {}, ["mexico", "pakistan"]),
    ('title:"software engineer" AND (femme OR Frau OR mujer)', {}, ["femme", "frau", "mujer"]),
    ('skill:python AND NOT (muslim OR hijab)', {}, ["muslim", "hijab"]),
    ('title:developer AND young AND "digital native"', {}, ["young", "digital native"]),
    ('title:nurse AND "born after 1995"', {}, ["1995"]),
    ('title:developer AND NOT veteran', {}, ["veteran"]),
    ('title:cashier AND "native English speaker"', {}, ["native english speaker"]),
    ('title:barista AND (pretty OR attractive)', {}, ["pretty", "attractive"]),
    ('title:engineer AND NOT (pregnant OR schwanger OR embarazada)', {}, ["pregnant", "schwanger", "embarazada"]),
    ('title:engineer AND (jeune OR "moins de 30 ans")', {}, ["jeune", "moins de 30 ans"]),
    ('title:accountant AND (married OR verheiratet OR casada)', {}, ["married", "verheiratet", "casada"]),
    ('title:driver AND NOT (gay OR lesbian)', {}, ["gay", "lesbian"]),
    ('title:analyst', {"not_current_company": ["Nigeria"]}, ["nigeria"]),
    ('title:teller AND NOT "wheelchair users"', {}, ["wheelchair"]),
    ('title:receptionist AND "white candidates"', {}, ["white"]),
]


@pytest.mark.parametrize("batch", [0, 1])
def test_a_discriminating_llm_cannot_reach_the_engine(server, batch):
    from query.guard import default_guard

    cases = DISCRIMINATORY[batch * 8:(batch + 1) * 8]           # the schema allows 8 strategies per answer
    strategies = [{"name": f"s{i}", "query": q, "syntax": "boolean", "filters": f, "rationale": "Biased on purpose."}
                  for i, (q, f, _) in enumerate(cases)]
    server.replies = [chat(json.dumps({"strategies": strategies}))]
    res = QueryGenerator(planner=planner(server)).generate(text="Data Engineer with Spark")
    assert res.provider == "openai-compatible" and res.strategies, res.fallback_reason
    guard = default_guard()
    sent = json.dumps([[s.query, s.filters] for s in res.strategies]).casefold()
    for _, _, forbidden in cases:
        for word in forbidden:
            assert word not in sent, (word, sent)
    for s in res.strategies:
        for leaf, _ in qa.iter_leaves(parse(s.query)):
            assert guard.scan(leaf.text, standalone=True) == [], leaf
    reported = {f.where.split(":")[0] for f in res.guard}
    assert len(reported) == len(cases)                          # every strategy was cleaned and said so
