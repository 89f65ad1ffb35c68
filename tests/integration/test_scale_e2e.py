"""benchmarks.scale_e2e on a tiny corpus: generate, import vectors through the CLI, serve, report."""
import json

import pytest

from benchmarks import scale_e2e


@pytest.mark.slow      # about 70 s on 2 cores: two child processes, MiniLM loaded for the queries
def test_scale_e2e_builds_through_the_cli_and_serves(tmp_path):
    out = tmp_path / "result.json"
    assert scale_e2e.main(["--profiles", "400", "--work", str(tmp_path), "--vectors", "random", "--queries", "8",
                           "--out", str(out), "--clean"]) == 0
    r = json.loads(out.read_text())
    ing, s = r["ingest"], r["serve"]
    assert (ing["profiles"], ing["vectors_imported"], ing["rejected"]) == (400, 400, 0)
    assert ing["peak_rss_mb"] > 50 and {"read_validate", "lexical", "dense", "termstats", "store"} <= set(ing["seconds"])
    assert r["vectors"] == {**r["vectors"], "source": "random", "dim": 384}
    assert s["profiles"] == 400 and s["hybrid"]["p95_ms"] >= s["hybrid"]["p50_ms"] > 0
    assert {"lexical", "dense", "hydrate", "total"} <= set(s["hybrid"]["stages"])
    assert s["parallel_ab"]["queries_with_different_hits"] == 0
    assert any(k.endswith("*.arrow") for k in s["resident_index_files_mb"]["by_kind"])   # the mapped profile store
    assert s["hydrate_rows"] is True and r["store_files_mb"]["profiles.rows"] > 0      # hits read by pread
    assert not (tmp_path / "scale-400" / "index-e2e-random").exists()                     # --clean
