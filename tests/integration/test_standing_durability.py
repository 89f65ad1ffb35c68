"""Durability of live writes (issue 20): SIGKILL a real server process during a stream of writes; after a
restart every acknowledged write is in the index and in the standing search's feed, once. Also the MCP tools
``save_search`` and ``new_matches``."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import anyio
import httpx
import pytest

from indexer.build import IndexConfig, ingest
from indexer.encoder import EncoderConfig
from tests.conftest import AS_OF, DATA

REPO = Path(__file__).resolve().parents[2]
ACME = {"X-Tenant-Id": "acme"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "TALENTSEARCH_ENCODER_BACKEND": "static", "TALENTSEARCH_STANDING_DIR": str(tmp / "standing"),
           "TALENTSEARCH_JOBS_DIR": str(tmp / "jobs"), "TALENTSEARCH_LTR_DIR": str(tmp / "ltr"),
           "TALENTSEARCH_LIVE_FOLD_INTERVAL_S": "0.3", "TALENTSEARCH_AS_OF": AS_OF.isoformat()}
    env.pop("TALENTSEARCH_API_KEYS_FILE", None)
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--index-dir", str(tmp / "index"), "--port", str(port)],
                            cwd=str(REPO), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)


def _profile(cid: str) -> dict:
    p = json.loads((DATA / "profiles_small.jsonl").read_text().splitlines()[0])
    p.pop("owner_tenant", None)
    return {**p, "candidate_id": cid, "headline": "Senior Data Engineer"}


def test_every_acknowledged_write_survives_sigkill(tmp_path):
    ingest([DATA / "profiles_small.jsonl"], tmp_path / "index",
           IndexConfig(as_of=AS_OF, encoder=EncoderConfig(backend="static")), progress=False)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(tmp_path, port)
    acked: list[str] = []
    try:
        sid = httpx.post(f"{base}/v1/searches", json={"name": "de", "query": 'headline:"data engineer"'},
                         headers=ACME).json()["search_id"]
        stop = threading.Event()

        def stream():
            with httpx.Client(timeout=10) as http:
                for i in range(100_000):
                    if stop.is_set():
                        return
                    try:
                        r = http.put(f"{base}/v1/candidates/k-{i}", json=_profile(f"k-{i}"), headers=ACME)
                    except httpx.HTTPError:
                        return                         # the server is gone: this write was not acknowledged
                    if r.status_code == 200:
                        acked.append(f"k-{i}")
        writer = threading.Thread(target=stream)
        writer.start()
        assert _wait_for(lambda: len(acked) >= 40, 60), f"only {len(acked)} writes acknowledged"
        os.kill(proc.pid, signal.SIGKILL)              # mid-stream: no shutdown hook runs
        proc.wait(timeout=30)
        stop.set()
        writer.join(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    proc = _start(tmp_path, port)
    try:
        def all_there():
            r = httpx.post(f"{base}/v1/search", json={"query": "headline:engineer", "k": 1000, "mode": "lexical"},
                           headers=ACME).json()
            return set(acked) <= {h["candidate_id"] for h in r["hits"]}
        assert _wait_for(all_there, 60), "acknowledged writes missing after restart"
        entries = httpx.get(f"{base}/v1/searches/{sid}/matches?limit=1000", headers=ACME).json()["entries"]
        entered = [e["candidate_id"] for e in entries if e["event"] == "entered"]
        assert set(acked) <= set(entered) and len(entered) == len(set(entered))   # each once
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_for(pred, timeout: float) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def test_mcp_save_search_and_new_matches(tmp_path):
    pytest.importorskip("mcp")
    from mcp.client.client import Client

    from api.mcp_server import build_mcp
    from api.settings import Settings
    from api.wiring import build_engine

    ingest([DATA / "profiles_small.jsonl"], tmp_path / "index",
           IndexConfig(as_of=AS_OF, encoder=EncoderConfig(backend="static")), progress=False)
    settings = Settings(index_dir=tmp_path / "index", standing_dir=tmp_path / "standing", encoder_backend="static",
                        as_of=AS_OF, ltr_dir=tmp_path / "ltr", live_fold_interval_s=0)
    engine = build_engine(settings, ltr=False)
    server = build_mcp(settings, tenant_id="acme", engine=engine)

    def call(name, args):
        async def go():
            async with Client(server) as client:
                return await client.call_tool(name, args)
        res = anyio.run(go)
        assert not res.is_error, res.content
        return res.structured_content.get("result", res.structured_content)

    saved = call("save_search", {"name": "de", "query": 'title:"data engineer"', "near": "Berlin", "radius_km": 50,
                                 "backfill": True})
    page = call("new_matches", {"search_id": saved["search_id"]})
    assert page["entries"] and {e["event"] for e in page["entries"]} == {"entered"}
    assert "de-001" in {e["candidate_id"] for e in page["entries"]}
    again = call("new_matches", {"search_id": saved["search_id"], "after": page["next_cursor"]})
    assert again["entries"] == [] and again["next_cursor"] == page["next_cursor"]
    other = build_mcp(settings, tenant_id="globex", engine=engine)

    async def foreign():
        async with Client(other) as client:
            return await client.call_tool("new_matches", {"search_id": saved["search_id"]})
    res = anyio.run(foreign)
    assert res.is_error and "not found" in res.content[0].text
