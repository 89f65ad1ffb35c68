"""records.durable: the one atomic, durable write helper (temp name, fsync, rename, directory fsync)."""

from __future__ import annotations

import json
import os
import stat

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from records import durable


def test_write_json_replaces_whole_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "state" / "job.json"
    durable.write_json(target, {"n": 1})
    durable.write_json(target, {"n": 2})
    assert json.loads(target.read_text()) == {"n": 2}
    assert sorted(p.name for p in target.parent.iterdir()) == ["job.json"]


def test_a_failing_writer_keeps_the_old_file_and_removes_its_temporary(tmp_path):
    target = tmp_path / "CURRENT"
    durable.write_text(target, "v000001\n")

    def torn(tmp):
        tmp.write_text("v0000")          # half written, then the writer dies
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        durable.write_atomic(target, torn)
    assert target.read_text() == "v000001\n"
    assert list(durable.stale_temporaries(tmp_path)) == []


def test_secret_files_are_never_wider_than_their_mode(tmp_path):
    old = os.umask(0o022)
    try:
        target = tmp_path / "keys.json"
        seen = []
        durable.write_atomic(target, lambda tmp: seen.append(stat.S_IMODE(tmp.stat().st_mode)) or tmp.write_text("{}"),
                             mode=0o600)
    finally:
        os.umask(old)
    assert seen == [0o600]                                  # before the first byte was written
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_parquet_and_appended_lines(tmp_path):
    durable.write_parquet(tmp_path / "part.parquet", pa.table({"a": [1, 2]}))
    assert pq.read_table(tmp_path / "part.parquet").column("a").to_pylist() == [1, 2]
    durable.append_line(tmp_path / "log" / "history.jsonl", '{"x": 1}')
    durable.append_line(tmp_path / "log" / "history.jsonl", '{"x": 2}\n')
    assert (tmp_path / "log" / "history.jsonl").read_text().splitlines() == ['{"x": 1}', '{"x": 2}']


def test_stale_temporaries_are_found_by_target_name(tmp_path):
    killed = durable.temp_name(tmp_path / "CURRENT")
    killed.write_text("v2")                                  # what a SIGKILLed writer leaves
    (tmp_path / ".other.tmp-1-2").write_text("x")
    assert list(durable.stale_temporaries(tmp_path, "CURRENT")) == [killed]
    assert len(list(durable.stale_temporaries(tmp_path))) == 2
