"""Ingest of several inputs (issue 17): a bad file is reported as a whole and the other files' good rows
are indexed; a directory is read as the profile files inside it; duplicates are counted; a killed run's
temporary version directory is cleaned up; the CLI prints every problem and exits 0, 1 or 2.

A hashing encoder stands in for MiniLM: these tests are about files, not vectors.
"""
import hashlib
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import indexer.build as build
from api.cli import main
from indexer.build import IndexConfig, current_version, ingest
from indexer.store import ProfileStore
from records.errors import ValidationError
from records.schema import PROFILE_SCHEMA
from tests.conftest import AS_OF, DATA

CONFIG = IndexConfig(as_of=AS_OF)


class HashEncoder:
    """Unit vectors from a hash of the text: deterministic, no model."""
    name = "hash-8"
    dim = 8

    def encode(self, texts, *, batch_size=64, progress=False):
        out = np.array([np.frombuffer(hashlib.blake2b(t.encode(), digest_size=32).digest(), np.uint32)
                        for t in texts], np.float32).reshape(len(texts), self.dim) + 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_query(self, text):
        return self.encode([text])[0]


@pytest.fixture
def rows():
    return [json.loads(x) for x in (DATA / "profiles_small.jsonl").read_text().splitlines()]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_parquet(path, rows):
    """Rows of profiles_small.jsonl as a Parquet file (dates as text are valid Parquet input too)."""
    from indexer.validate import coerce_row

    pq.write_table(pa.Table.from_pylist([coerce_row(r) for r in rows], schema=PROFILE_SCHEMA), path)
    return path


def truncated(path, source):
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def indexed_ids(index_dir):
    return set(ProfileStore.load(current_version(index_dir)).table.column("candidate_id").to_pylist())


def read_rejects(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def run(paths, index_dir, **kwargs):
    return ingest(paths, index_dir, CONFIG, progress=False, encoder=HashEncoder(), **kwargs)


# ---- several files ---------------------------------------------------------------------------

def test_a_corrupt_and_a_missing_file_are_reported_and_the_other_files_are_indexed(tmp_path, rows):
    a = write_jsonl(tmp_path / "a.jsonl", rows[:4])
    b = write_parquet(tmp_path / "b.parquet", rows[4:8])
    bad = truncated(tmp_path / "truncated.parquet", write_parquet(tmp_path / "whole.parquet", rows[8:]))
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.jsonl"
    idx = tmp_path / "idx"
    report = run([a, bad, b, empty, missing], idx)

    assert indexed_ids(idx) == {r["candidate_id"] for r in rows[:8]}
    assert (report.added, report.total, report.rejected) == (8, 8, 0)
    assert report.files == (str(a), str(b))
    unreadable = {n.path: n.reason for n in report.unreadable}
    assert set(unreadable) == {str(bad), str(empty), str(missing)}
    assert "not a readable Parquet file" in unreadable[str(bad)]
    assert "not a readable Parquet file" in unreadable[str(empty)]
    assert "no such file or directory" in unreadable[str(missing)]
    lines = read_rejects(report.rejects_path)          # the rejects file names every unreadable file as a whole
    assert [(x["source"], x["row"]) for x in lines] == [(str(bad), None), (str(empty), None), (str(missing), None)]


def corrupt_second_row_group(path, rows):
    """Profiles in two row groups; the second one's pages overwritten, the footer intact."""
    from indexer.validate import coerce_row

    table = pa.Table.from_pylist([coerce_row(r) for r in rows], schema=PROFILE_SCHEMA)
    pq.write_table(table, path, row_group_size=len(rows) // 2, compression="zstd")
    column = pq.ParquetFile(path).metadata.row_group(1).column(1)
    data = bytearray(path.read_bytes())
    data[column.data_page_offset + 20: column.data_page_offset + column.total_compressed_size] = \
        b"\xab" * (column.total_compressed_size - 20)
    path.write_bytes(bytes(data))
    return path


def test_a_file_that_breaks_midway_contributes_no_rows(tmp_path, rows):
    """A file is taken whole or not at all: half a file indexed would be worse than a clear error."""
    a = write_jsonl(tmp_path / "a.jsonl", rows[:3])
    b = corrupt_second_row_group(tmp_path / "b.parquet", rows[3:11])
    config = IndexConfig(as_of=AS_OF, batch_rows=2)
    report = ingest([a, b], tmp_path / "idx", config, progress=False, encoder=HashEncoder())
    assert indexed_ids(tmp_path / "idx") == {r["candidate_id"] for r in rows[:3]}
    assert [n.path for n in report.unreadable] == [str(b)]
    assert "not a readable Parquet file" in report.unreadable[0].reason
    assert "after row 4" in report.unreadable[0].reason


def test_nothing_readable_is_an_error_that_names_every_file_and_publishes_nothing(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    idx = tmp_path / "idx"
    with pytest.raises(ValidationError) as err:
        run([bad, tmp_path / "missing.jsonl"], idx)
    message = str(err.value)
    assert "nothing to index" in message
    assert f"{bad}: not a readable Parquet file" in message and "missing.jsonl: no such file or directory" in message
    assert current_version(idx) is None
    rejects = sorted((idx / "rejects").glob("*.jsonl"))
    assert len(rejects) == 1 and str(rejects[0]) in message
    assert {x["source"] for x in read_rejects(rejects[0])} == {str(bad), str(tmp_path / "missing.jsonl")}


def test_every_row_rejected_on_a_rebuild_keeps_the_index(tmp_path, rows):
    idx = tmp_path / "idx"
    run([write_jsonl(tmp_path / "a.jsonl", rows)], idx)
    before = current_version(idx)
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**r, "owner_tenant": "../../etc"} for r in rows])
    with pytest.raises(ValidationError, match="nothing to index: every row was rejected"):
        run([bad], idx, rebuild=True)
    assert current_version(idx) == before and len(indexed_ids(idx)) == len(rows)


# ---- duplicates ------------------------------------------------------------------------------

def test_duplicate_ids_are_counted_and_the_last_copy_wins(tmp_path, rows):
    first = [{**rows[0], "headline": "first copy"}, rows[1], {**rows[0], "headline": "second copy"}]
    a = write_jsonl(tmp_path / "a.jsonl", first)
    b = write_jsonl(tmp_path / "b.jsonl", [rows[2], {**rows[0], "headline": "third copy"}])
    idx = tmp_path / "idx"
    report = run([a, b], idx)
    assert (report.added, report.duplicates, report.rejected, report.total) == (3, 2, 0, 3)
    store = ProfileStore.load(current_version(idx))
    assert store.records([store.ord_of(rows[0]["candidate_id"])])[0]["headline"] == "third copy"
    lines = read_rejects(report.rejects_path)
    assert [(x["source"], x["row"], x["candidate_id"]) for x in lines] == [
        (str(a), 1, rows[0]["candidate_id"]), (str(a), 3, rows[0]["candidate_id"])]
    assert all(f"the later copy ({b} line 2) is indexed" in x["reason"] for x in lines)


# ---- directories -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generator's real output folder: profiles, companies, truth, queries, qrels, manifest."""
    from benchmarks.synth import generate

    return generate(tmp_path_factory.mktemp("gen"), profiles=30, seed=3, queries=3, progress=False)


def test_the_generator_folder_is_read_as_its_profiles_only(tmp_path, generated):
    idx = tmp_path / "idx"
    report = run([generated.out_dir], idx)
    assert report.files == (str(generated.profiles_path),)
    assert (report.total, report.rejected, report.duplicates) == (30, 0, 0)
    skipped = {os.path.basename(n.path): n.reason for n in report.skipped}
    assert set(skipped) == {"companies.parquet", "truth.parquet", "audit.parquet", "queries.jsonl", "qrels.txt", "manifest.json"}
    assert "audit-attributes/1" in skipped["audit.parquet"]
    assert "synth-truth/1" in skipped["truth.parquet"] and "candidate_id" in skipped["queries.jsonl"]
    assert indexed_ids(idx) == set(pq.read_table(generated.profiles_path).column("candidate_id").to_pylist())


def test_a_directory_of_jsonl_files_is_read_in_name_order(tmp_path, rows):
    folder = tmp_path / "export"
    folder.mkdir()
    write_jsonl(folder / "part-2.jsonl", [{**rows[0], "headline": "later"}])
    write_jsonl(folder / "part-1.jsonl", rows)
    (folder / "README.txt").write_text("exported nightly\n")
    (folder / ".part-3.jsonl.crc").write_text("x")
    report = run([folder], tmp_path / "idx")
    assert report.files == (str(folder / "part-1.jsonl"), str(folder / "part-2.jsonl"))
    assert report.duplicates == 1 and report.total == len(rows)
    assert [os.path.basename(n.path) for n in report.skipped] == ["README.txt"]


def test_a_directory_without_profile_files_says_what_it_wants(tmp_path, rows):
    folder = tmp_path / "nothing"
    folder.mkdir()
    (folder / "notes.txt").write_text("hi")
    with pytest.raises(ValidationError) as err:
        run([folder], tmp_path / "idx")
    assert f"{folder}: no profile files" in str(err.value)
    assert ".parquet" in str(err.value) and ".jsonl" in str(err.value) and "notes.txt" in str(err.value)


# ---- stale temporary versions ----------------------------------------------------------------

def test_a_killed_runs_temporaries_are_removed_by_the_next_run_even_without_changes(tmp_path, rows):
    idx = tmp_path / "idx"
    src = write_jsonl(tmp_path / "a.jsonl", rows)
    first = run([src], idx)
    versions = idx / "versions"
    stale = versions / ".v000002.tmp-999999"                     # what a SIGKILLed run leaves
    (stale / "lexical").mkdir(parents=True)
    (stale / "lexical" / "seg").write_bytes(b"x" * 100)
    (idx / ".CURRENT.tmp-999999").write_text("v000002\n")
    (versions / first.version / ".termstats.tmp-999999").mkdir()
    again = run([src], idx)                                      # nothing changed: no publish
    assert (again.version, again.unchanged) == (first.version, len(rows))
    assert not stale.exists() and not (idx / ".CURRENT.tmp-999999").exists()
    assert not (versions / first.version / ".termstats.tmp-999999").exists()
    assert sorted(p.name for p in versions.iterdir()) == [first.version]


def test_a_live_runs_temporary_version_is_left_alone(tmp_path, rows):
    idx = tmp_path / "idx"
    src = write_jsonl(tmp_path / "a.jsonl", rows)
    run([src], idx)
    with build._locked(idx):                                     # another process is mid-run
        live = idx / "versions" / f".v000002.tmp-{os.getpid()}"
        live.mkdir()
        with pytest.raises(ValidationError, match="another process is writing"):
            run([src], idx)
        assert live.exists()


# ---- the CLI ---------------------------------------------------------------------------------

@pytest.fixture
def cli(monkeypatch, tmp_path):
    monkeypatch.setattr(build, "MiniLMEncoder", lambda config: HashEncoder())
    monkeypatch.setattr(build, "model_identity", lambda config=None: (HashEncoder.name, HashEncoder.dim))
    idx = tmp_path / "idx"

    def call(*args):
        return main(["index", *map(str, args), "--index-dir", str(idx), "--as-of", AS_OF.isoformat(), "--no-progress"])

    call.index_dir = idx
    return call


def test_cli_indexes_the_readable_files_and_exits_1_naming_the_bad_one(cli, tmp_path, rows, capsys):
    a = write_jsonl(tmp_path / "a.jsonl", rows[:4])
    b = write_parquet(tmp_path / "b.parquet", rows[4:])
    bad = truncated(tmp_path / "truncated.parquet", b)
    assert cli(a, bad, b) == 1
    out, err = capsys.readouterr()
    assert f"{bad}: not a readable Parquet file" in err and "not indexed" in err
    assert str(a) in out and str(b) in out and "12 profiles" in out
    assert indexed_ids(cli.index_dir) == {r["candidate_id"] for r in rows}


def test_cli_exits_2_when_nothing_could_be_read(cli, tmp_path, capsys):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"")
    assert cli(bad, tmp_path / "missing.jsonl") == 2
    err = capsys.readouterr().err
    assert "nothing to index" in err and f"{bad}: not a readable Parquet file" in err and "missing.jsonl" in err
    assert current_version(cli.index_dir) is None


def test_cli_exits_0_with_warnings_for_rejected_rows_and_duplicates(cli, tmp_path, rows, capsys):
    src = write_jsonl(tmp_path / "a.jsonl", [*rows, {**rows[0], "owner_tenant": "../../etc"}, rows[1]])
    assert cli(src) == 0
    out, err = capsys.readouterr()
    assert "1 row rejected" in err and "1 duplicate candidate_id" in err and "last copy" in err
    assert "rejects" in out


def test_cli_reads_a_directory_and_lists_what_it_read_and_skipped(cli, generated, capsys):
    assert cli(generated.out_dir) == 0
    out = capsys.readouterr().out
    assert f"read {generated.profiles_path}" in out and "skipped" in out and "truth.parquet" in out


def test_cli_json_report_lists_unreadable_files(cli, tmp_path, rows, capsys):
    a = write_jsonl(tmp_path / "a.jsonl", rows)
    missing = tmp_path / "missing.parquet"
    rc = main(["index", str(a), str(missing), "--index-dir", str(cli.index_dir), "--as-of", AS_OF.isoformat(),
               "--no-progress", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert rc == 1 and report["files"] == [str(a)]
    assert report["unreadable"] == [{"path": str(missing), "reason": "no such file or directory"}]


def test_cli_help_documents_the_exit_status(capsys):
    with pytest.raises(SystemExit):
        main(["index", "--help"])
    text = capsys.readouterr().out
    assert "exit status" in text.lower() and "0 " in text and "1 " in text and "2 " in text


def test_a_file_named_directly_and_through_its_directory_is_read_once(tmp_path, rows):
    folder = tmp_path / "export"
    folder.mkdir()
    a = write_jsonl(folder / "a.jsonl", rows)
    bad = folder / "bad.parquet"
    bad.write_bytes(b"")
    report = run([a, folder, bad], tmp_path / "idx")
    assert report.files == (str(a),) and report.duplicates == 0
    assert [n.path for n in report.unreadable] == [str(bad)]
