"""The relevance harness: suites, condition registry, scoring, reports, expected-metric checks."""
import json
import shutil

import pytest

from benchmarks.harness.conditions import CONDITIONS, DEFAULT_CONDITIONS, get_condition, parse_conditions
from benchmarks.harness.report import Deviation, check, load_expected, markdown, write_reports
from benchmarks.harness.runner import RunConfig, run_relevance, score
from benchmarks.harness.suites import (DEFAULT_DATA_DIR, SuiteOptions, SuiteUnavailableError, load_suite, read_qrels,
                                       read_queries)
from records.errors import QueryError
from tests.conftest import AS_OF, DATA

SHARED = DEFAULT_DATA_DIR


@pytest.fixture()
def tiny_suite(tmp_path):
    """A user suite over the hand-made corpus: JSONL profiles, TSV queries, TREC qrels."""
    d = tmp_path / "tiny"
    d.mkdir()
    shutil.copy(DATA / "profiles_small.jsonl", d / "profiles.jsonl")
    (d / "queries.tsv").write_text("query_id\tquery\nq1\tdata engineer spark\nq2\tairflow pipelines\nq3\tnobody judged this\n")
    (d / "qrels.txt").write_text("q1 0 de-001 2\nq1 0 de-002 1\nq2 0 de-003 1\nq2 0 de-002 0\n")
    (d / "suite.json").write_text(json.dumps({"as_of": AS_OF.isoformat()}))
    return d


# ---------------------------------------------------------------- suites

def test_user_suite_loads_queries_judgments_and_clock(tiny_suite, tmp_path):
    suite = load_suite(tiny_suite, SuiteOptions(workdir=tmp_path / "bench"))
    assert suite.name == "tiny" and suite.as_of == AS_OF
    assert [q.query_id for q in suite.judged_queries()] == ["q1", "q2"]      # q3 has no judgment
    assert suite.qrels == {"q1": {"de-001": 2, "de-002": 1}, "q2": {"de-003": 1}}   # grade 0 dropped
    assert suite.workdir.parent == tmp_path / "bench"


def test_qrels_and_queries_in_every_accepted_shape(tmp_path):
    (tmp_path / "beir.tsv").write_text("query-id\tcorpus-id\tscore\n1\td9\t1\n")
    assert read_qrels(tmp_path / "beir.tsv") == {"1": {"d9": 1}}
    (tmp_path / "j.csv").write_text("query_id,candidate_id,grade\nq,c1,3\nq,c2,0\n")
    assert read_qrels(tmp_path / "j.csv") == {"q": {"c1": 3}}
    (tmp_path / "q.jsonl").write_text('{"query_id": 7, "query": "x AND y", "syntax": "boolean", "filters": {"min_years": 3}}\n')
    (q,) = read_queries(tmp_path / "q.jsonl")
    assert (q.query_id, q.syntax, q.filters) == ("7", "boolean", {"min_years": 3})


def test_bad_suite_inputs_name_the_file(tmp_path):
    (tmp_path / "bad.txt").write_text("q1 0 c1 2\nq1 c1\n")
    with pytest.raises(SuiteUnavailableError, match=r"bad.txt:2"):
        read_qrels(tmp_path / "bad.txt")
    with pytest.raises(SuiteUnavailableError, match="not a known suite"):
        load_suite(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SuiteUnavailableError, match="no profiles file"):
        load_suite(tmp_path / "empty")


@pytest.mark.parametrize("name, folder", [("scifact", "beir_scifact"), ("talentclef-en", "talentclef_en")])
def test_missing_shared_data_is_a_clear_error_not_a_traceback(tmp_path, capsys, name, folder):
    from api.cli import main

    code = main(["bench", "relevance", "--suite", name, "--data-dir", str(tmp_path / "absent"),
                 "--workdir", str(tmp_path / "bench"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and folder in err and "benchmark-only" in err and "Traceback" not in err


@pytest.mark.skipif(not (SHARED / "beir_scifact").exists(), reason=f"BEIR SciFact not present at {SHARED / 'beir_scifact'}")
def test_scifact_adapter_writes_profiles(tmp_path):
    import pyarrow.parquet as pq

    suite = load_suite("scifact", SuiteOptions(workdir=tmp_path))
    assert len(suite.judged_queries()) == 300 and suite.max_seq_length == 256 and suite.dense_max_chars == 2000
    suite.build()
    table = pq.read_table(suite.profiles[0])
    assert table.num_rows == 5183
    row = table.slice(0, 1).to_pylist()[0]
    assert row["headline"] and row["summary"] and row["positions"] is None


@pytest.mark.skipif(not (SHARED / "talentclef_en").exists(), reason=f"TalentCLEF not present at {SHARED / 'talentclef_en'}")
def test_talentclef_adapter_makes_one_current_position(tmp_path):
    import pyarrow.parquet as pq

    suite = load_suite("talentclef-en", SuiteOptions(workdir=tmp_path))
    suite.build()
    row = pq.read_table(suite.profiles[0]).slice(0, 1).to_pylist()[0]
    (pos,) = row["positions"]
    assert pos["title"] == row["headline"] and pos["end"] is None and str(pos["start"]) == "2020-01-01"


# ---------------------------------------------------------------- conditions

def test_condition_registry_builds_requests():
    assert set(DEFAULT_CONDITIONS) <= set(CONDITIONS)
    req = get_condition("hybrid-rrf").request("spark", syntax="keywords", k=100)
    assert (req.mode, req.fusion, req.rrf_k, req.k) == ("hybrid", "rrf", 60, 100) and req.lexical_k >= 100
    w = get_condition("hybrid-weighted:0.3")
    assert w.name == "hybrid-weighted:0.3" and dict(w.weights) == {"lexical": 0.3, "dense": 0.7}
    assert dict(get_condition("hybrid-weighted").weights) == {"lexical": 0.5, "dense": 0.5}
    assert get_condition("lexical").request("x", syntax="boolean").mode == "lexical"
    assert [c.name for c in parse_conditions(None)] == list(DEFAULT_CONDITIONS)


@pytest.mark.parametrize("spec, message", [("bm42", "unknown condition"), ("hybrid-weighted:1.5", r"\[0, 1\]"),
                                           ("hybrid-weighted:abc", "not a float"), ("lexical:3", "takes no parameter"),
                                           ("dense,dense", "listed twice")])
def test_bad_condition_names_are_rejected(spec, message):
    with pytest.raises(QueryError, match=message):
        parse_conditions(spec)


def test_baseline_must_be_a_condition():
    with pytest.raises(QueryError, match="baseline"):
        RunConfig(tuple(parse_conditions("dense")), baseline="lexical").validate()


# ---------------------------------------------------------------- scoring, reports, check

def test_scoring_by_hand():
    qrels = {"a": {"d1": 1}, "b": {"d2": 1}}
    runs = {"lexical": {"a": {"d1": 2.0, "d2": 1.0}, "b": {"d1": 2.0, "d2": 1.0}},
            "dense": {"a": {"d1": 1.0}, "b": {"d2": 1.0}}}
    out = score(qrels, runs, RunConfig(tuple(parse_conditions("lexical,dense")), metrics=("mrr@10", "ndcg@10")))
    assert out["metrics"]["lexical"]["mrr@10"] == pytest.approx((1 + 0.5) / 2)
    assert out["metrics"]["dense"]["mrr@10"] == pytest.approx(1.0)
    assert out["per_query"]["mrr@10"]["lexical"] == {"a": 1.0, "b": 0.5}
    sig = out["significance"]["dense"]["mrr@10"]
    assert sig["delta"] == pytest.approx(0.25) and 0 <= sig["p"] <= 1 and "lexical" not in out["significance"]


def _fake_result():
    metrics = {"lexical": {"ndcg@10": 0.60, "recall@100": 0.9}, "dense": {"ndcg@10": 0.64, "recall@100": 0.92}}
    return {"commit": "abc", "when": "now", "suite": {"name": "fake", "description": "fake suite", "profiles": 10},
            "n_queries": 2, "k": 100, "baseline": "lexical", "stat_test": "student", "max_p": 0.05, "metrics": metrics,
            "significance": {"dense": {m: {"p": 0.01, "significant": True, "delta": 0.04, "win_tie_loss": {"W": 2, "T": 0, "L": 0}}
                                       for m in ("ndcg@10", "recall@100")}},
            "per_query": {"ndcg@10": {"lexical": {"1": 0.5, "2": 0.7}, "dense": {"1": 0.6, "2": 0.68}}},
            "references": {"BM25 (BEIR)": {"ndcg@10": 0.665}}, "failures": {},
            "timings": {"index": {"reused": True}, "conditions": {"lexical": {"seconds": 1.0}}, "total_seconds": 3.0}}


def test_reports_are_written(tmp_path):
    paths = write_reports(_fake_result(), tmp_path / "out" / "relevance-fake.json")
    assert json.loads(paths["json"].read_text())["metrics"]["dense"]["ndcg@10"] == 0.64
    assert paths["csv"].read_text().splitlines() == ["query_id,ndcg@10[lexical],ndcg@10[dense]", "1,0.5000,0.6000",
                                                     "2,0.7000,0.6800"]
    md = paths["md"].read_text()
    assert "| lexical (baseline) |" in md and "**0.6400** ▲" in md and "*0.665*" in md
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"


def test_check_names_each_planted_regression(tmp_path):
    path = tmp_path / "fake.json"
    path.write_text(json.dumps({"_command": "talentsearch bench relevance --suite fake",
                                "lexical": {"ndcg@10": [0.60, 0.01]}, "dense": {"ndcg@10": [0.70, 0.02], "recall@100": [0.92, 0.01]},
                                "hybrid-rrf": {"ndcg@10": [0.7, 0.01]}}))
    misses = check(_fake_result(), load_expected(path))
    assert misses == [Deviation("dense", "ndcg@10", 0.64, 0.70, 0.02)]
    assert misses[0].regression and "0.6400, expected 0.7000 ± 0.0200" in str(misses[0])
    assert check(_fake_result(), load_expected(path), only_run=False)[-1].value is None   # hybrid-rrf not run
    path.write_text(json.dumps({"dense": {"ndcg@10": 0.7}}))
    with pytest.raises(SuiteUnavailableError, match="expected, tolerance"):
        load_expected(path)


def test_tiny_suite_end_to_end(tiny_suite, tmp_path, encoder):
    suite = load_suite(tiny_suite, SuiteOptions(workdir=tmp_path / "bench", progress=False))
    config = RunConfig(tuple(parse_conditions(None)), k=10, progress=False)
    result = run_relevance(suite, config, encoder=encoder)
    assert set(result["metrics"]) == set(DEFAULT_CONDITIONS) and result["n_queries"] == 2
    assert result["suite"]["profiles"] == 12 and not result["timings"]["index"]["reused"]
    assert result["metrics"]["lexical"]["recall@100"] == 1.0       # every judged profile shares a query word
    again = run_relevance(suite, config, encoder=encoder)
    assert again["timings"]["index"]["reused"] and again["metrics"] == result["metrics"]
    assert "| hybrid-rrf |" in markdown({**result, "commit": "x", "when": "y"})


def test_synthetic_smoke_suite_passes_its_check(tmp_path, capsys):
    """The CI smoke suite end to end through the CLI: generate 800 profiles, index, 4 conditions, --check."""
    from api.cli import main

    out = tmp_path / "smoke.json"
    code = main(["bench", "relevance", "--suite", "synthetic-smoke", "--workdir", str(tmp_path / "bench"),
                 "--out", str(out), "--check", "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "all expectations met" in captured.out
    assert {p.suffix for p in out.parent.iterdir()} >= {".json", ".csv", ".md", ".png"}


def test_titles_suffix_turns_on_query_title_normalisation():
    from benchmarks.harness.conditions import get_condition

    cond = get_condition("hybrid-rrf+titles")
    req = cond.request("sr data engineer", syntax="keywords")
    assert cond.name == "hybrid-rrf+titles" and req.title_normalization and req.fusion == "rrf"
    raw = get_condition("lexical-raw").request("x", syntax="keywords")
    assert dict(raw.field_boosts) == {"occupation": 0.0} and raw.mode == "lexical"
