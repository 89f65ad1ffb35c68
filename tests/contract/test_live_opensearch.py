"""Live writes with the OpenSearch backend (issue 20): the same LiveService, with the lexical side on the
cluster (osmem-server here, or OPENSEARCH_URL): a write folds into the next version's OpenSearch index,
search finds it there, and standing-search baselines and refreshes read the cluster."""
import json

from indexer.build import IndexConfig, ingest
from indexer.encoder import EncoderConfig
from indexer.reader import IndexReader
from ranking.standing.service import LiveConfig, LiveService
from tests.conftest import AS_OF, DATA


def test_live_writes_fold_into_opensearch(opensearch_config, tmp_path):
    cfg = IndexConfig(as_of=AS_OF, encoder=EncoderConfig(backend="static"), opensearch=opensearch_config)
    ingest([DATA / "profiles_small.jsonl"], tmp_path / "index", cfg, progress=False)
    reader = IndexReader(tmp_path / "index", opensearch=opensearch_config)
    svc = LiveService(tmp_path / "index", tmp_path / "standing", LiveConfig(index=cfg, fold_interval_s=0),
                      reader=reader, today=lambda: AS_OF)
    try:
        s = svc.create_search("acme", {"name": "de", "query": 'title:"data engineer"'})
        before = svc.store.members(s.search_id)
        assert before and reader.snapshot().lexical.name == "opensearch"
        p = json.loads((DATA / "profiles_small.jsonl").read_text().splitlines()[0])
        p.pop("owner_tenant", None)
        svc.put("os-live-1", {**p, "candidate_id": "os-live-1"}, "acme")
        svc.delete(sorted(before)[0], "root", admin=True)
        assert [(e.candidate_id, e.event) for e in svc.store.feed(s.search_id)] == [("os-live-1", "entered"),
                                                                                      (sorted(before)[0], "left")]
        report = svc.fold()
        assert report.upserts == 1 and report.deletes == 1
        snap = reader.snapshot()
        assert snap.version == report.version and snap.store.row_of("os-live-1") is not None
        assert sum(svc.refresh().values()) == 0          # the cluster's match set is what the feed says
        assert svc.store.members(s.search_id) == (before - {sorted(before)[0]}) | {"os-live-1"}
    finally:
        svc.close()
