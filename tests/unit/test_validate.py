"""Every bad row is reported with its reason and row number; every good row is kept."""
import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from indexer.validate import coerce_row, RowError, read_profiles
from records.errors import ValidationError
from records.schema import PROFILE_SCHEMA


def good(cid, **extra):
    row = {"candidate_id": cid, "headline": "Data Engineer", "summary": "Builds pipelines.",
           "location": {"city": "Berlin", "region": "16", "country": "DE", "lat": 52.52, "lon": 13.40},
           "positions": [{"company_id": "c1", "company_name": "Globex", "title": "Data Engineer",
                          "start": "2020-01-01", "end": None, "description": "Spark pipelines"}],
           "skills": ["Apache Spark", "Python"], "education": [{"school": "TU Berlin", "degree": "MSc",
                                                               "field": "CS", "start_year": 2014, "end_year": 2016}],
           "open_to_work": True, "last_active": "2026-10-01", "owner_tenant": None}
    row.update(extra)
    return row


BAD = [
    ({"headline": "no id"}, "candidate_id: required"),
    (good("b1", location={"lat": 95.0, "lon": 10.0}), "location.lat: must be a number in [-90, 90]"),
    (good("b2", positions=[{"title": "Eng", "start": "2021-05-01", "end": "2020-01-01"}]), "positions[0]: end 2020-01-01 is before start"),
    (good("b3", positions=[{"title": "Eng"}]), "positions[0].start: required date"),
    (good("b4", skills="python"), "skills: must be a list"),
    (good("b5", last_active="yesterday"), "last_active: not a date"),
    (good("b6", open_to_work="yes"), "open_to_work: must be true or false"),
    (good("b7", education=[{"school": "X", "start_year": 1800}]), "education[0].start_year: must be a year"),
    (good("has space"), "candidate_id: must be at most"),
    (good("b8", location={"lat": 10.0}), "location: lat and lon must be given together"),
]


def test_jsonl_keeps_good_rows_and_reports_bad_ones(tmp_path):
    path = tmp_path / "mixed.jsonl"
    lines = []
    for i in range(5):
        lines.append(json.dumps(good(f"g{i}")))
        bad, _ = BAD[i]
        lines.append(json.dumps(bad))
    lines.append("{not json")
    for bad, _ in BAD[5:]:
        lines.append(json.dumps(bad))
    path.write_text("\n".join(lines) + "\n")
    tables, rejects = zip(*read_profiles(path))
    table = pa.concat_tables(tables)
    rejects = [r for batch in rejects for r in batch]
    assert sorted(table.column("candidate_id").to_pylist()) == [f"g{i}" for i in range(5)]
    assert table.schema == PROFILE_SCHEMA
    assert len(rejects) == len(BAD) + 1
    by_line = {r.row: r for r in rejects}
    assert by_line[2].reason.startswith("candidate_id: required")       # line 2 is BAD[0]
    assert by_line[4].candidate_id == "b1" and "location.lat" in by_line[4].reason
    assert by_line[11].reason.startswith("invalid JSON")
    for bad, expected in BAD:
        assert any(expected in r.reason for r in rejects), expected


def test_parquet_rows_are_validated_too(tmp_path):
    rows = [good("p1"), good("p2", location={"lat": 10.0, "lon": 500.0})]
    rows[1]["positions"][0]["start"] = dt.date(2020, 1, 1)
    rows[0]["positions"][0]["start"] = dt.date(2020, 1, 1)
    for r in rows:
        r["last_active"] = dt.date(2026, 10, 1)
    pq.write_table(pa.Table.from_pylist(rows, schema=PROFILE_SCHEMA), tmp_path / "p.parquet")
    (table, rejects), = list(read_profiles(tmp_path / "p.parquet"))
    assert table.column("candidate_id").to_pylist() == ["p1"]
    assert [(r.row, r.candidate_id) for r in rejects] == [(2, "p2")]
    assert "location.lon" in rejects[0].reason


def test_dates_accept_partial_iso_and_company_id_is_derived_from_name():
    row = coerce_row(good("x", positions=[{"title": "Eng", "company_name": "Acme Corp", "start": "2019-03", "end": "2020"}]))
    pos = row["positions"][0]
    assert pos["start"] == dt.date(2019, 3, 1) and pos["end"] == dt.date(2020, 1, 1)
    assert pos["company_id"] == "name:acme-corp"


def test_non_object_row():
    with pytest.raises(RowError, match="row must be an object"):
        coerce_row(["a"])


def test_unsupported_file_and_missing_file(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(ValidationError, match="unsupported file type"):
        list(read_profiles(tmp_path / "x.csv"))
    with pytest.raises(ValidationError, match="no such file"):
        list(read_profiles(tmp_path / "missing.jsonl"))
