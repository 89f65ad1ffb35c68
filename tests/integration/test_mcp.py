"""The MCP server: agents discover and call the tools, in process and over stdio like an agent host."""
import json
import sys
from pathlib import Path

import anyio
import pytest

pytest.importorskip("mcp")
from mcp.client.client import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

from api.mcp_server import build_mcp  # noqa: E402
from api.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MUST_SHOW = 'title:"data engineer" AND (spark OR airflow) NOT company:acme'
TOOLS = {"search_candidates", "get_candidate", "rerank_candidates", "talent_pool_insights", "generate_queries",
         "evaluate_candidates", "save_search", "new_matches"}


def _payload(result) -> dict:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return result.structured_content.get("result", result.structured_content)
    return json.loads(result.content[0].text)


def _call(server, name, args):
    async def go():
        async with Client(server) as client:
            return await client.call_tool(name, args)
    return anyio.run(go)


@pytest.fixture(scope="module")
def servers(small_index, small_engine):
    settings = Settings(index_dir=small_index)
    return {t: build_mcp(settings, tenant_id=t, engine=small_engine) for t in ("acme-talent", "globex-hr")}


def test_tools_are_discoverable_with_descriptions(servers):
    async def go():
        async with Client(servers["acme-talent"]) as client:
            return (await client.list_tools()).tools
    tools = anyio.run(go)
    assert {t.name for t in tools} >= TOOLS
    search = next(t for t in tools if t.name == "search_candidates")
    assert "Boolean" in search.description and "query" in search.input_schema["properties"]


def test_search_tool_answers_and_is_bound_to_its_tenant(servers):
    acme = _payload(_call(servers["acme-talent"], "search_candidates",
                          {"query": MUST_SHOW, "near": "Berlin", "radius_km": 50, "k": 20}))
    ids = [h["candidate_id"] for h in acme["hits"]]
    assert ids and "de-002" not in ids                     # NOT company:acme
    assert "pv-001" in ids                                  # acme-talent's private candidate
    globex = _payload(_call(servers["globex-hr"], "search_candidates",
                            {"query": MUST_SHOW, "near": "Berlin", "radius_km": 50, "k": 20}))
    assert "pv-001" not in [h["candidate_id"] for h in globex["hits"]]
    missing = _call(servers["globex-hr"], "get_candidate", {"candidate_id": "pv-001"})
    assert missing.is_error and "not found" in missing.content[0].text


def test_tool_errors_say_what_and_where(servers):
    bad = _call(servers["acme-talent"], "search_candidates", {"query": "title:(data AND"})
    assert bad.is_error and "column 16" in bad.content[0].text
    bad = _call(servers["acme-talent"], "search_candidates", {"query": "x", "near": "Atlantis-on-Sea"})
    assert bad.is_error and "near" in bad.content[0].text


def test_rerank_and_query_generation_tools(servers):
    rr = _payload(_call(servers["acme-talent"], "rerank_candidates",
                        {"query": "data engineer spark", "candidate_ids": ["rn-001", "de-001", "ghost"]}))
    assert [i["candidate_id"] for i in rr["items"]][0] == "de-001"
    assert {i["candidate_id"]: i["status"] for i in rr["items"]}["ghost"] == "not_found"
    gen = _payload(_call(servers["acme-talent"], "generate_queries",
                         {"job_description": "Senior data engineer in Berlin with Spark and Airflow, 5+ years."}))
    assert gen["provider"] == "offline-planner" and gen["strategies"]
    refused = _call(servers["acme-talent"], "generate_queries",
                    {"job_description": "young female data engineer under 30"})
    if refused.is_error:                                   # nothing legitimate left: refused with the reason
        assert "age" in refused.content[0].text.lower() or "gender" in refused.content[0].text.lower()
    else:                                                  # stripped: the protected words reach no query
        out = _payload(refused)
        assert out["guard"], out
        queries = " ".join(s["query"] for s in out["strategies"]).lower()
        assert "young" not in queries and "female" not in queries and "30" not in queries


def test_stdio_server_as_an_agent_host_launches_it(small_index):
    params = StdioServerParameters(command=sys.executable, cwd=str(REPO),
                                   args=["-m", "api.cli", "mcp", "--index-dir", str(small_index), "--tenant", "acme-talent"])

    async def go():
        async with Client(params) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            res = await client.call_tool("search_candidates", {"query": MUST_SHOW, "k": 5})
            return names, res
    names, res = anyio.run(go)
    assert names >= TOOLS
    assert _payload(res)["hits"]


def test_every_tool_declares_an_output_schema_and_answers_structured_content(servers):
    """Issue 17: tools returned JSON as text; the server version was empty."""
    async def go():
        async with Client(servers["acme-talent"]) as client:
            tools = (await client.list_tools()).tools
            res = await client.call_tool("search_candidates", {"query": MUST_SHOW, "k": 3})
            return client.initialize_result if hasattr(client, "initialize_result") else None, tools, res
    init, tools, res = anyio.run(go)
    for tool in tools:
        assert tool.output_schema and tool.output_schema.get("type") == "object", tool.name
    search = next(t for t in tools if t.name == "search_candidates")
    assert {"hits", "index_version", "model_version"} <= set(search.output_schema["properties"])
    assert not res.is_error and res.structured_content["hits"] and "candidate" in res.structured_content["hits"][0]
    assert servers["acme-talent"].version not in ("", None)


def test_the_engine_is_built_when_the_server_starts(small_index, small_engine, monkeypatch):
    import api.mcp_server

    built = []
    monkeypatch.setattr(api.mcp_server, "build_engine", lambda settings: built.append(settings) or small_engine)
    build_mcp(Settings(index_dir=small_index), tenant_id="acme-talent")
    assert len(built) == 1                      # before any tool call: the first call does not pay for loading


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_http_transport_needs_a_bearer_key_and_the_key_decides_the_tenant(small_index, tmp_path):
    import os
    import socket
    import subprocess
    import time

    import httpx
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    from api.middleware import ApiKeys

    keys = ApiKeys(tmp_path / "keys.json")
    _, acme = keys.create("acme-talent")
    _, globex = keys.create("globex-hr")
    port = _free_port()
    env = {**os.environ, "TALENTSEARCH_API_KEYS_FILE": str(tmp_path / "keys.json")}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "mcp", "--transport", "streamable-http", "--port", str(port),
                             "--index-dir", str(small_index)], cwd=str(REPO), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:                                            # wait for the port, not for a fixed time
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "MCP HTTP server did not start"
            time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/mcp"
        anonymous = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                               headers={"Accept": "application/json, text/event-stream"})
        assert anonymous.status_code == 401
        wrong = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                           headers={"Accept": "application/json, text/event-stream", "Authorization": "Bearer ts_nope_nope"})
        assert wrong.status_code == 401

        def ids(key):
            async def go():
                http = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
                async with Client(streamable_http_client(url, http_client=http)) as client:
                    return await client.call_tool("search_candidates", {"query": MUST_SHOW, "k": 20})
            return [h["candidate_id"] for h in _payload(anyio.run(go))["hits"]]
        assert "pv-001" in ids(acme)            # acme-talent's private candidate, for acme's key only
        assert "pv-001" not in ids(globex)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_http_transport_beyond_loopback_needs_keys(small_index, monkeypatch, capsys):
    from api.cli import main

    monkeypatch.delenv("TALENTSEARCH_API_KEYS_FILE", raising=False)
    assert main(["mcp", "--transport", "streamable-http", "--host", "0.0.0.0", "--index-dir", str(small_index)]) == 2
    assert "TALENTSEARCH_API_KEYS_FILE" in capsys.readouterr().err


def test_evaluate_candidates_tool_quotes_profiles_and_keeps_tenants_apart(small_index, small_engine, tmp_path):
    settings = Settings(index_dir=small_index, evaluations_dir=tmp_path / "evaluations")
    server = build_mcp(settings, tenant_id="globex-hr", engine=small_engine)
    out = _payload(_call(server, "evaluate_candidates", {
        "qualifications": [{"kind": "skill", "text": "spark"}, {"kind": "years", "min_years": 5}],
        "candidate_ids": ["de-001", "pv-001"]}))
    by_id = {c["candidate_id"]: c for c in out["candidates"]}
    assert by_id["pv-001"]["status"] == "not_found"          # acme-talent's private profile
    skill = by_id["de-001"]["judgements"][0]
    assert skill["verdict"] == "meets" and skill["evidence"][0]["text"] == "Apache Spark"
    assert (tmp_path / "evaluations" / "globex-hr" / f"{out['evaluation_id']}.json").is_file()
    bad = _call(server, "evaluate_candidates", {"qualifications": [{"kind": "telepathy"}], "candidate_ids": ["de-001"]})
    assert bad.is_error and "qualifications[0].kind" in bad.content[0].text
