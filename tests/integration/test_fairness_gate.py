"""The LTR promotion gate weighs impact ratios; the `talentsearch audit` commands."""
import json
import random
import uuid

import pyarrow.parquet as pq
import pytest

from api.cli import main
from indexer.build import current_version
from ranking.fairness.attributes import AttributeStore, read_audit_file
from ranking.fairness.gate import FairnessGate
from ranking.search import pipeline
from ranking.ltr.registry import ModelRegistry
from ranking.ltr.train import LtrConfig, train_scope
from tests.integration.test_ltr_pipeline import _engage, ltr_engine  # noqa: F401  (fixture)

CONFIG = LtrConfig(num_boost_round=30, min_data_in_leaf=3, min_requests=5, holdout_fraction=0.3)


@pytest.fixture
def by_experience(small_index, tmp_path):
    """Self-reported sex that follows experience: the engaged (most experienced) hits are men."""
    t = pq.read_table(current_version(small_index) / "profiles.parquet", columns=["candidate_id", "years_experience"]).to_pylist()
    least = min(r["years_experience"] for r in t)
    lines = ["candidate_id,sex"] + [f"{r['candidate_id']},{'male' if r['years_experience'] > least else 'female'}" for r in t]
    (tmp_path / "audit.csv").write_text("\n".join(lines) + "\n")
    store = AttributeStore(tmp_path / "fairness")
    store.put("acme-talent", read_audit_file(tmp_path / "audit.csv"))
    return store


def test_the_gate_reports_impact_ratios_and_refuses_a_model_below_the_threshold(ltr_engine, by_experience,  # noqa: F811
                                                                                  monkeypatch):
    # request ids pick the gate's holdout (a hash of the id): fresh random ids made the split, and so the ratios,
    # differ from run to run (the test failed about one full-suite run in three); seeded random ids fix the split
    rng = random.Random(42)
    monkeypatch.setattr(pipeline.uuid, "uuid4", lambda: uuid.UUID(int=rng.getrandbits(128)))
    engine, ltr_dir = ltr_engine
    engine.ltr.stores.get("acme-talent").add(_engage(engine), tenant_id="acme-talent")
    report_only = FairnessGate.from_store(by_experience, ("acme-talent",), k=3, min_group_pool=0)
    assert set(report_only.groups) == {"sex", "age_band", "ethnicity"}
    tr = train_scope(ltr_dir, "acme-talent", CONFIG, fairness=report_only)
    fair = tr.metrics["fairness"]["sex"]
    assert tr.promoted and "fairness gate" not in tr.reason
    assert fair["min_new"] < fair["min_incumbent"] and fair["new"]["female"] < 0.8    # learned to prefer the engaged group
    assert fair["new"]["female"] < fair["incumbent"]["female"] and fair["flagged_new"] == ["female"]
    assert tr.metrics["fairness"]["ethnicity"]["min_new"] is None                  # nobody disclosed: nothing compared
    registry = ModelRegistry(ltr_dir)
    registry.rollback("acme-talent")                                                 # back to the hybrid order
    strict = FairnessGate.from_store(by_experience, ("acme-talent",), k=3, min_impact_ratio=0.8, min_group_pool=0, pages="all")
    refused = train_scope(ltr_dir, "acme-talent", CONFIG, fairness=strict)
    assert not refused.promoted and "refused by the fairness gate: sex minimum impact ratio" in refused.reason
    assert registry.current("acme-talent") is None
    assert registry.get("acme-talent", refused.version).manifest["metrics"]["fairness"]["sex"]["min_new"] < 0.8
    few = train_scope(ltr_dir, "acme-talent", CONFIG, fairness=FairnessGate.from_store(by_experience, ("acme-talent",), k=3,
                                                                                       min_impact_ratio=0.8))
    assert few.metrics["fairness"]["sex"]["min_new"] is None and "fairness gate" not in few.reason   # < 200 pairs a group


def test_audit_commands(small_index, small_engine, tmp_path, capsys):
    fdir = tmp_path / "fairness"
    (tmp_path / "a.csv").write_text("candidate_id,sex\nde-001,female\nde-002,male\nde-003,robot\n")
    assert main(["audit", "import", str(tmp_path / "a.csv"), "--tenant", "acme-talent", "--fairness-dir", str(fdir)]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["rows"] == 2 and "row 3, column sex: 'robot'" in err
    assert main(["audit", "import", str(tmp_path / "missing.csv"), "--tenant", "acme-talent", "--fairness-dir", str(fdir)]) == 2
    (tmp_path / "q.jsonl").write_text(json.dumps({"query_id": "q1", "query": "data engineer"}) + "\n")
    (tmp_path / "qrels.txt").write_text("q1 0 de-001 2\nq1 0 de-002 1\n")
    code = main(["audit", "report", "--tenant", "acme-talent", "--queries", str(tmp_path / "q.jsonl"), "--qrels",
                 str(tmp_path / "qrels.txt"), "--attribute", "sex", "--k", "3", "--index-dir", str(small_index),
                 "--ltr-dir", str(tmp_path / "ltr"), "--fairness-dir", str(fdir), "--out", str(tmp_path / "rep")])
    assert code == 0
    assert json.loads((tmp_path / "rep.json").read_text())["sex"]["queries"] == 1
    assert (tmp_path / "rep.png").stat().st_size > 1000 and "| female |" in (tmp_path / "rep.md").read_text()
    assert main(["audit", "rerank", "--tenant", "acme-talent", "--enable", "--algorithm", "detconstsort",
                 "--fairness-dir", str(fdir)]) == 0
    assert AttributeStore(fdir).settings("acme-talent").algorithm == "detconstsort"
    assert main(["audit", "rerank", "--tenant", "acme-talent", "--enable", "--attribute", "religion",
                 "--fairness-dir", str(fdir)]) == 2


def test_the_http_import_is_write_only_and_names_bad_rows(small_index, small_engine, tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    settings = Settings(index_dir=small_index, ltr_dir=tmp_path / "ltr", jobs_dir=tmp_path / "jobs", fairness_dir=tmp_path / "f")
    with TestClient(create_app(settings, engine=small_engine)) as client:
        acme = {"X-Tenant-Id": "acme-talent", "Content-Type": "text/csv"}
        r = client.put("/v1/audit/attributes", content=b"candidate_id,sex\nde-001,female\nde-002,robot\n", headers=acme)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["rows"] == 1 and body["rejected"][0]["row"] == 2 and body["rejected"][0]["column"] == "sex"
        assert AttributeStore(tmp_path / "f").groups("acme-talent", "sex") == {"de-001": "female"}
        assert AttributeStore(tmp_path / "f").groups("globex-hr", "sex") == {}
        bad = client.put("/v1/audit/attributes", content=b"candidate_id,sex\nde-001,x\n", headers=acme)
        assert bad.status_code == 422 and "row 1, column sex" in bad.json()["detail"]
        junk = client.put("/v1/audit/attributes", content=b"\x00\xff", headers={**acme, "Content-Type": "application/vnd.apache.parquet"})
        assert junk.status_code == 422 and "unreadable audit file" in junk.json()["detail"]
        other = client.put("/v1/audit/attributes", content=b"x", headers={**acme, "Content-Type": "text/plain"})
        assert other.status_code == 415
        assert client.get("/v1/audit/attributes", headers=acme).status_code == 405      # never read back
