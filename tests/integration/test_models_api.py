"""/v1/models: train, list, promote and roll back a tenant's ranking model over HTTP, tenant-scoped."""
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.integration.test_ltr_pipeline import _engage, ltr_engine  # noqa: F401  (fixture)

ACME = {"X-Tenant-Id": "acme-talent"}
GLOBEX = {"X-Tenant-Id": "globex-hr"}


def test_train_list_promote_rollback(ltr_engine, small_index, tmp_path):  # noqa: F811
    engine, ltr_dir = ltr_engine
    engine.ltr.stores.get("acme-talent").add(_engage(engine), tenant_id="acme-talent")
    app = create_app(Settings(index_dir=small_index, ltr_dir=ltr_dir, jobs_dir=tmp_path / "jobs"), engine=engine)
    with TestClient(app) as client:
        assert client.get("/v1/models", headers=ACME).json()["versions"] == []
        first = client.post("/v1/models/train", json={"debias": "position"}, headers=ACME)
        assert first.status_code == 200, first.text
        v1 = first.json()
        assert v1["promoted"] and v1["version"] == "v000001" and "ndcg@10" in str(v1["metrics"])
        second = client.post("/v1/models/train", json={"debias": "none"}, headers=ACME).json()
        listing = client.get("/v1/models", headers=ACME).json()
        assert [v["version"] for v in listing["versions"]] == ["v000001", "v000002"]
        assert listing["current"] == ("v000002" if second["promoted"] else "v000001")
        assert listing["versions"][0]["feature_names"]
        # an operator promotes v1 explicitly, then rolls back to what served before
        before = listing["current"]
        assert client.post("/v1/models/v000001/promote", headers=ACME).json()["current"] == "v000001"
        assert client.post("/v1/models/rollback", headers=ACME).json()["current"] == before
        assert [h["action"] for h in client.get("/v1/models", headers=ACME).json()["history"]][-2:] == ["promote", "rollback"]
        # searches of acme are now served by its model; globex sees none of it
        res = client.post("/v1/search", json={"query": "engineer"}, headers=ACME).json()
        assert res["model_version"] == f"acme-talent/{before}"
        assert client.get("/v1/models", headers=GLOBEX).json() == {"tenant_id": "globex-hr", "current": None,
                                                                   "versions": [], "history": []}
        assert client.post("/v1/models/v000001/promote", headers=GLOBEX).status_code == 404
        assert client.post("/v1/models/..%2F..%2Facme-talent/promote", headers=GLOBEX).status_code == 404
        assert client.post("/v1/models/rollback", headers=GLOBEX).status_code == 404
        refused = client.post("/v1/models/train", headers=GLOBEX)          # no events: a clear refusal, not a 500
        assert refused.status_code == 422, refused.text
        assert client.get("/v1/models").status_code == 422                 # no tenant at all
        # the fixed tree by default; in-product selection on request (recorded in the metrics)
        assert second["metrics"]["selection"] == {"enabled": False}
        third = client.post("/v1/models/train", json={"select": True}, headers=ACME).json()
        assert third["metrics"]["selection"]["enabled"] is True
        assert client.post("/v1/models/train", json={"select": "sometimes"}, headers=ACME).status_code == 422
        # the gate's metric: propensity-weighted when debiasing and the log allows it, raw on request
        assert third["metrics"]["gate_metric"] in ("ips_ndcg@10", "ndcg@10") and "propensities" in third["metrics"]
        raw = client.post("/v1/models/train", json={"gate": "raw"}, headers=ACME).json()
        assert raw["metrics"]["gate_metric"] == "ndcg@10" and "propensities" not in raw["metrics"]
        bad = client.post("/v1/models/train", json={"gate": "lenient"}, headers=ACME)
        assert bad.status_code == 422 and "gate" in bad.text
