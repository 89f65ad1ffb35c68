"""The Ray runners on a real 2-node Ray cluster (two raylets of 1 CPU each on this machine).

Bulk re-ranking and dense encoding at ingest give the local runner's output (re-rank: the same
Parquet, row for row; ingest: the same profiles and vectors up to float rounding), a worker killed
with SIGKILL mid-job loses no row and writes none twice, and a missing extra is a clear exit 2.
"""
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray
from fastapi.testclient import TestClient
from ray.cluster_utils import Cluster

from api.app import create_app
from api.cli import main
from api.settings import Settings
from api.wiring import engine_factory
from graph.build import COLUMNS, GraphConfig, build_graph
from graph.build_ray import build_graph_ray
from graph.store import Graph
from indexer.build import IndexConfig, current_version
from indexer.encoder import EncoderConfig
from indexer.encoder_ray import RayEncoder
from indexer.vectors import FaissVectorIndex
from ranking.search.bulk import BulkOptions, read_progress, run_bulk
from ranking.search.bulk_ray import run_bulk_ray
from records.errors import BackendUnavailableError, ValidationError
from records.raypool import ACTOR_PREFIX, ActorPool, RayOptions
from tests.conftest import AS_OF, DATA
from tests.support.graphs import assert_same_graph

REPO = Path(__file__).resolve().parents[2]
IDS = ("de-001", "de-002", "de-003", "de-004", "de-005", "de-006", "sw-001", "sw-002", "ds-001", "rn-001", "ghost-1")
TEXTS = ["data engineer spark", 'title:"data engineer" AND berlin', "nurse", "python developer", "title:(data AND"]


@pytest.fixture(scope="module")
def cluster():
    """A head and a worker node, 1 CPU each, joined by this process as the driver. Ray's usage statistics
    (sent over the network by default) are off: no test touches the network."""
    saved = os.environ.get("RAY_USAGE_STATS_ENABLED")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"           # read by the processes the cluster starts
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    c.add_node(num_cpus=1)
    c.wait_for_nodes()
    ray.init(address=c.address)
    assert len([n for n in ray.nodes() if n["Alive"]]) == 2
    yield c
    ray.shutdown()
    c.shutdown()
    if saved is None:
        os.environ.pop("RAY_USAGE_STATS_ENABLED", None)
    else:
        os.environ["RAY_USAGE_STATS_ENABLED"] = saved


def _input(path: Path, queries: int) -> pa.Table:
    """``queries`` runs of 11 rows (one unknown id), the text on the first row, a bad query among them, two bad rows."""
    rows = {"query_id": [], "query": [], "candidate_id": []}
    for q in range(queries):
        for j, cid in enumerate(IDS):
            rows["query_id"].append(f"q{q:04d}")
            rows["query"].append(TEXTS[q % len(TEXTS)] if j == 0 else None)
            rows["candidate_id"].append(cid)
    rows["query_id"] += ["q0000", None]             # q0000 again: a split query id
    rows["query"] += ["spark", "spark"]
    rows["candidate_id"] += [None, "de-001"]
    table = pa.table(rows)
    pq.write_table(table, path, row_group_size=37)
    return table


def _counts(prog) -> tuple:
    return prog.rows_done, prog.parts, prog.queries, prog.invalid_rows, prog.not_found, prog.split_queries


@pytest.fixture(scope="module")
def factory(small_index, tmp_path_factory):
    """The engine each actor builds once: api.wiring.build_engine over the small index."""
    ltr = tmp_path_factory.mktemp("ltr")
    return engine_factory(Settings(index_dir=small_index, ltr_dir=ltr), threads=1)


def test_bulk_rerank_on_ray_equals_local_and_survives_a_killed_worker(cluster, factory, tmp_path):
    """Row for row the local runner's output (ranks, scores, explanations; every status), with one actor's
    process SIGKILLed mid-job: no row lost, none written twice."""
    src = tmp_path / "in.parquet"
    table = _input(src, 120)
    options = BulkOptions(batch_rows=44)                                    # 31 parts of 4 queries
    killed: list[int] = []

    def kill_a_worker(prog):
        if prog.parts == 2:                                                 # tasks of later parts are in flight
            names = [a for a in ray.util.list_named_actors(all_namespaces=True)
                     if a["name"].startswith(ACTOR_PREFIX + "rerank-")]
            actor = ray.get_actor(names[0]["name"], namespace=names[0]["namespace"])
            pid = ray.get(actor.pid.remote())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    prog = run_bulk_ray(factory, src, tmp_path / "ray.parquet", options, RayOptions(actors=2), task_rows=11,
                        on_progress=kill_a_worker, progress_bar=False)
    assert killed and prog.state == "done" and prog.parts == 31
    got = pq.read_table(tmp_path / "ray.parquet")
    assert got.column("input_row").to_pylist() == list(range(table.num_rows))      # every row, once, in order
    local = run_bulk(factory(), src, tmp_path / "local.parquet", options, progress_bar=False)
    want = pq.read_table(tmp_path / "local.parquet")
    assert got.schema == want.schema and got.to_pylist() == want.to_pylist()
    assert _counts(prog) == _counts(local)
    assert set(got.column("status").to_pylist()) == {"ok", "no_match", "not_found", "invalid"}


def test_cli_rerank_runner_ray_survives_a_killed_driver_and_matches_local(cluster, factory, small_index, tmp_path):
    """``talentsearch rerank --runner ray`` joins TALENTSEARCH_RAY_ADDRESS; SIGKILL of the driver half way, the
    same command again resumes; the output is the local runner's, row for row."""
    src = tmp_path / "in.parquet"
    table = _input(src, 60)
    env = {**os.environ, "TALENTSEARCH_RAY_ADDRESS": cluster.address, "TALENTSEARCH_LTR_DIR": str(tmp_path / "ltr")}

    def cmd(runner: str, out: Path) -> list[str]:
        return [sys.executable, "-m", "api.cli", "rerank", str(src), str(out), "--index-dir", str(small_index),
                "--batch-rows", "22", "--no-progress", "--runner", runner]

    out = tmp_path / "ray.parquet"
    proc = subprocess.Popen(cmd("ray", out), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        prog = read_progress(out)
        if prog is not None and prog.parts >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"the job ended before it could be killed: {proc.stdout.read().decode()[-2000:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    killed_at = read_progress(out).rows_done
    assert 0 < killed_at < table.num_rows and not out.exists()
    done = subprocess.run(cmd("ray", out), cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and "resuming" in done.stdout, done.stdout + done.stderr
    run_bulk(factory(), src, tmp_path / "local.parquet", BulkOptions(batch_rows=22), progress_bar=False)
    assert pq.read_table(out).to_pylist() == pq.read_table(tmp_path / "local.parquet").to_pylist()


def test_a_job_stopped_under_one_runner_resumes_under_the_other(cluster, factory, tmp_path):
    src = tmp_path / "in.parquet"
    _input(src, 20)
    options, cancel = BulkOptions(batch_rows=33), threading.Event()
    first = run_bulk(factory(), src, tmp_path / "out.parquet", options, cancel=cancel, progress_bar=False,
                     on_progress=lambda prog: prog.parts == 2 and cancel.set())
    assert first.state == "cancelled" and first.parts == 2
    second = run_bulk_ray(factory, src, tmp_path / "out.parquet", options, RayOptions(actors=2), task_rows=11,
                          progress_bar=False)
    assert second.state == "done" and second.resumed == 1
    run_bulk(factory(), src, tmp_path / "whole.parquet", options, progress_bar=False)
    assert pq.read_table(tmp_path / "out.parquet").to_pylist() == pq.read_table(tmp_path / "whole.parquet").to_pylist()


def test_api_bulk_jobs_run_on_ray(cluster, factory, small_index, tmp_path):
    """TALENTSEARCH_JOBS_RUNNER=ray: POST /v1/jobs/rerank runs on the cluster; the result is the local runner's."""
    src = tmp_path / "in.parquet"
    _input(src, 20)
    settings = Settings(index_dir=small_index, jobs_dir=tmp_path / "jobs", ltr_dir=tmp_path / "ltr", jobs_runner="ray")
    with TestClient(create_app(settings, engine=factory())) as client:
        r = client.post("/v1/jobs/rerank?batch_rows=100", content=src.read_bytes())
        assert r.status_code == 202, r.text
        job = r.json()["job_id"]
        deadline = time.monotonic() + 120
        while (st := client.get(f"/v1/jobs/{job}").json())["state"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert st["state"] == "done", st
        got = pq.read_table(io.BytesIO(client.get(f"/v1/jobs/{job}/result").content))
    run_bulk(factory(), src, tmp_path / "local.parquet", BulkOptions(batch_rows=100), progress_bar=False)
    assert got.to_pylist() == pq.read_table(tmp_path / "local.parquet").to_pylist()


def test_ingest_on_ray_publishes_the_local_index(cluster, small_index, tmp_path):
    """``talentsearch index --runner ray`` on the cluster: the same version as the local ingest."""
    env = {**os.environ, "TALENTSEARCH_RAY_ADDRESS": cluster.address}
    done = subprocess.run([sys.executable, "-m", "api.cli", "index", str(DATA / "profiles_small.jsonl"),
                           "--index-dir", str(tmp_path / "index"), "--as-of", AS_OF.isoformat(), "--no-progress",
                           "--runner", "ray", "--ray-actors", "2", "--json"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["added"] == 12
    assert not (tmp_path / "index" / ".encode-checkpoint").exists()          # removed once published
    local, remote = current_version(small_index), current_version(tmp_path / "index")
    assert pq.read_table(remote / "profiles.parquet").equals(pq.read_table(local / "profiles.parquet"))
    a, b = (json.loads((v / "manifest.json").read_text()) for v in (local, remote))
    assert {k: v for k, v in a.items() if k not in ("created", "seconds")} == \
           {k: v for k, v in b.items() if k not in ("created", "seconds")}
    va, vb = FaissVectorIndex.load(local / "dense"), FaissVectorIndex.load(remote / "dense")
    assert np.array_equal(va.ids(), vb.ids())
    np.testing.assert_allclose(vb.vectors(vb.ids()), va.vectors(va.ids()), atol=1e-5)


def test_ray_encoder_survives_a_killed_worker_and_resumes_from_its_checkpoint(cluster, encoder, rows_texts, tmp_path):
    """Vectors saved per task as they come back: the next encode of the same texts computes only what is
    missing (a torn file is not trusted). With Ray's restarts off (max_restarts=0) the pool itself replaces
    a killed actor and resubmits its tasks (the re-rank test covers Ray's own restart and retry)."""
    checkpoint = tmp_path / "checkpoint"
    options = RayOptions(actors=2, max_restarts=0)
    with RayEncoder(EncoderConfig(), options, task_texts=3, checkpoint_dir=checkpoint) as ray_encoder:
        first = ray_encoder.encode(rows_texts[:6])              # a run that stopped after two tasks
        files = sorted(checkpoint.glob("*.npy"))
        assert len(files) == 2
        files[1].write_bytes(b"torn")
        pids = ray_encoder.pool().pids()
        os.kill(pids[0], signal.SIGKILL)
        second = ray_encoder.encode(rows_texts)                 # 3 tasks to do; the dead actor's: replaced, resubmitted
        assert ray_encoder.reused == 3 and len(list(checkpoint.glob("*.npy"))) == 4
        assert ray_encoder.pool().replaced == 1 and sorted(ray_encoder.pool().pids()) != sorted(pids)
    want = encoder.encode(rows_texts)
    np.testing.assert_allclose(first, want[:6], atol=1e-5)
    np.testing.assert_allclose(second, want, atol=1e-5)
    assert ray_encoder.name == encoder.name and ray_encoder.dim == encoder.dim


def test_graph_build_on_ray_equals_local(cluster, small_index, tmp_path):
    """``talentsearch graph build --runner ray`` on the 2-node cluster, 3 partitions of 5 rows read by
    the actors themselves: the saved graph is the one the local runner builds in one partition."""
    index = tmp_path / "index"
    shutil.copytree(small_index, index)
    version = current_version(index)
    local = build_graph(pq.read_table(version / "profiles.parquet", columns=list(COLUMNS)),
                        GraphConfig(as_of=AS_OF, progress=False))
    remote = build_graph_ray(version / "profiles.parquet", GraphConfig(as_of=AS_OF, progress=False, partition_rows=5),
                             RayOptions(actors=2))
    assert remote.manifest["build"] == {"runner": "ray", "partitions": 3, "actors": 2}
    assert local.tables["moves"].num_rows > 0 and local.tables["skill_adjacency"].num_rows > 0
    assert_same_graph(local, remote)
    rc = main(["graph", "build", "--index-dir", str(index), "--runner", "ray", "--partition-rows", "5",
               "--ray-actors", "2", "--no-progress"])
    assert rc == 0
    saved = Graph.load(index / "graph")
    assert saved.manifest["build"]["runner"] == "ray" and saved.manifest["source"]["index_version"] == version.name
    assert_same_graph(local, saved)


@pytest.fixture
def rows_texts():
    """Twelve profile-length texts (the small corpus' rows as written)."""
    return [line[:IndexConfig().dense_max_chars] for line in (DATA / "profiles_small.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("command", [["rerank", "in.parquet", "out.parquet"], ["index", "profiles.jsonl"], ["graph", "build"]])
def test_runner_ray_without_the_extra_names_it(command, monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)              # what `import ray` meets without the extra
    monkeypatch.chdir(tmp_path)
    rc = main([*command, "--index-dir", str(tmp_path / "index"), "--runner", "ray"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "pip install 'talentsearch[ray]'" in err and "Traceback" not in err
    assert not (tmp_path / "index").exists() and not (tmp_path / "out.parquet.work").exists()   # nothing touched


def test_a_pool_larger_than_the_cluster_fails_clearly(cluster):
    with pytest.raises(BackendUnavailableError, match="3 actors of 1 CPU.*not all up after 2 s.*2 CPUs"):
        ActorPool(dict, RayOptions(actors=3, start_timeout_s=2), name="too-many")
    with ActorPool(dict, RayOptions(actors=2), name="fits") as pool:     # the failed pool's actors are gone
        assert list(pool.map("get", ["a", "b", "c"])) == [None, None, None]


@pytest.mark.parametrize("bad", [{"actors": 0}, {"cpus_per_actor": 0}, {"gpus_per_actor": -1}, {"in_flight": 0}])
def test_ray_options_are_checked(bad):
    with pytest.raises(ValidationError, match="Ray"):
        RayOptions(**bad)
