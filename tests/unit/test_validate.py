"""Every bad row is reported with its reason and row number; every good row is kept."""
import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from indexer.validate import RowError, coerce_row, count_rows, read_profiles
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


# ---- issue 17: rows that used to be accepted -------------------------------------------------

TODAY = dt.date(2026, 12, 5)
LATEST = dt.date(2027, 12, 5)            # today + 1 year: the last plausible date


def read_all(path, **kwargs):
    tables, rejects = zip(*read_profiles(path, **kwargs))
    return pa.concat_tables(tables), [r for batch in rejects for r in batch]


def test_non_utf8_bytes_reject_their_line_and_keep_the_others(tmp_path):
    path = tmp_path / "latin1.jsonl"
    bad = json.dumps(good("bad-utf8", headline="Ingénieur"), ensure_ascii=False).encode("utf-8").replace("é".encode(), b"\xe9")
    path.write_bytes(b"\n".join([json.dumps(good("g1")).encode(), bad, json.dumps(good("g2")).encode()]) + b"\n")
    table, rejects = read_all(path)
    assert table.column("candidate_id").to_pylist() == ["g1", "g2"]
    assert [(r.row, r.candidate_id) for r in rejects] == [(2, "bad-utf8")]
    assert "not valid UTF-8" in rejects[0].reason and "0xe9" in rejects[0].reason
    assert "\ufffd" not in str(table.to_pylist())              # nothing was silently replaced


@pytest.mark.parametrize("field, row, expected", [
    ("start", good("y1", positions=[{"title": "Eng", "start": "0001-01-01"}]), "positions[0].start: 0001-01-01 is before 1950-01-01"),
    ("start", good("y2", positions=[{"title": "Eng", "start": "1949-12"}]), "positions[0].start: 1949-12-01 is before 1950-01-01"),
    ("start", good("y3", positions=[{"title": "Eng", "start": "2031-01-01"}]), "positions[0].start: 2031-01-01 is after 2027-12-05"),
    ("end", good("y4", positions=[{"title": "Eng", "start": "2020", "end": "9999-12-31"}]), "positions[0].end: 9999-12-31 is after 2027-12-05"),
    ("last_active", good("y5", last_active="2099-01-01"), "last_active: 2099-01-01 is after 2027-12-05"),
    ("last_active", good("y6", last_active="1900-01-01"), "last_active: 1900-01-01 is before 1950-01-01"),
])
def test_implausible_dates_are_rejected_with_the_field_named(field, row, expected):
    with pytest.raises(RowError) as err:
        coerce_row(row, latest=LATEST)
    assert expected in str(err.value)


def test_plausible_edge_dates_are_kept():
    row = coerce_row(good("ok", positions=[{"title": "Eng", "start": "1950-01-01", "end": "2027-12-05"},
                                           {"title": "Lead", "start": "2027-03-01"}],    # an accepted offer
                          last_active="2026-12-05"), latest=LATEST)
    assert [p["start"] for p in row["positions"]] == [dt.date(1950, 1, 1), dt.date(2027, 3, 1)]


def test_the_default_latest_date_is_a_year_from_today():
    next_year = dt.date.today() + dt.timedelta(days=400)
    with pytest.raises(RowError, match="positions\\[0\\].start: .* is after"):
        coerce_row(good("f", positions=[{"title": "Eng", "start": next_year.isoformat()}]))


def test_year_0001_in_parquet_is_rejected_not_turned_into_2025_years(tmp_path):
    rows = [good("p1"), good("p0001")]
    for r in rows:
        r["positions"][0]["start"] = dt.date(2020, 1, 1)
        r["last_active"] = dt.date(2026, 10, 1)
    rows[1]["positions"][0]["start"] = dt.date(1, 1, 1)
    pq.write_table(pa.Table.from_pylist(rows, schema=PROFILE_SCHEMA), tmp_path / "p.parquet")
    table, rejects = read_all(tmp_path / "p.parquet", latest=LATEST)
    assert table.column("candidate_id").to_pylist() == ["p1"]
    assert [(r.row, r.candidate_id) for r in rejects] == [(2, "p0001")]
    assert "positions[0].start: 0001-01-01 is before 1950-01-01" in rejects[0].reason


@pytest.mark.parametrize("row, expected", [
    (good("n1", headline="Data\x00Engineer"), "headline: contains a NUL character"),
    (good("n2", skills=["Python", "Sp\x00ark"]), "skills[1]: contains a NUL character"),
    (good("n3", positions=[{"title": "Eng", "start": "2020", "company_name": "A\x00"}]), "positions[0].company_name: contains a NUL"),
    (good("n4", summary="lone \ud800 surrogate"), "summary: not valid Unicode (a lone surrogate at character 6)"),
    (good("n5\ud800"), "candidate_id: must be at most"),
    (good("n6", owner_tenant="../../etc"), "owner_tenant: must be a tenant id matching"),
    (good("n7", owner_tenant="acme talent"), "owner_tenant: must be a tenant id matching"),
])
def test_nul_bytes_bad_unicode_and_bad_tenant_ids_are_rejected(row, expected):
    with pytest.raises(RowError) as err:
        coerce_row(row, latest=LATEST)
    assert expected in str(err.value)


def test_valid_tenant_ids_are_kept():
    assert coerce_row(good("t1", owner_tenant="acme-talent"), latest=LATEST)["owner_tenant"] == "acme-talent"
    assert coerce_row(good("t2", owner_tenant=""), latest=LATEST)["owner_tenant"] is None


def test_nul_escaped_in_jsonl_rejects_only_that_line(tmp_path):
    path = tmp_path / "nul.jsonl"
    path.write_text(json.dumps(good("g1")) + "\n" + json.dumps(good("nul", headline="a\u0000b")) + "\n")
    table, rejects = read_all(path)
    assert table.column("candidate_id").to_pylist() == ["g1"]
    assert [(r.row, r.candidate_id) for r in rejects] == [(2, "nul")] and "NUL" in rejects[0].reason


# ---- issue 17: files that used to crash ------------------------------------------------------

def parquet_bytes(tmp_path, n=3):
    rows = [good(f"p{i}") for i in range(n)]
    for r in rows:
        r["positions"][0]["start"] = dt.date(2020, 1, 1)
        r["last_active"] = dt.date(2026, 10, 1)
    path = tmp_path / "whole.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=PROFILE_SCHEMA), path)
    return path.read_bytes()


@pytest.mark.parametrize("content", [b"", b"PAR1", "truncated"])
def test_empty_or_truncated_parquet_is_a_validation_error_and_count_rows_does_not_crash(tmp_path, content):
    if content == "truncated":
        whole = parquet_bytes(tmp_path)
        content = whole[: len(whole) // 2]
    path = tmp_path / "bad.parquet"
    path.write_bytes(content)
    assert count_rows(path) is None
    with pytest.raises(ValidationError, match=r"bad.parquet: not a readable Parquet file"):
        list(read_profiles(path))


def test_count_rows_of_a_missing_path_or_directory_is_unknown(tmp_path):
    assert count_rows(tmp_path / "missing.parquet") is None
    assert count_rows(tmp_path / "missing.jsonl") is None
    assert count_rows(tmp_path) is None


def test_a_directory_given_to_read_profiles_is_a_validation_error(tmp_path):
    with pytest.raises(ValidationError, match="is a directory"):
        list(read_profiles(tmp_path))


def test_a_huge_integer_coordinate_is_rejected_not_an_overflow(tmp_path):
    with pytest.raises(RowError, match=r"location.lat: must be a number in \[-90, 90\]"):
        coerce_row(good("big", location={"lat": 10**400, "lon": 1.0}), latest=LATEST)
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps(good("g1")) + "\n" + '{"candidate_id": "deep", "summary": ' + "[" * 100_000 + "\n"
                    + '{"candidate_id": "long", "location": {"lat": ' + "9" * 5000 + ', "lon": 1}}\n')
    table, rejects = read_all(path)
    assert table.column("candidate_id").to_pylist() == ["g1"]
    assert [(r.row, r.candidate_id) for r in rejects] == [(2, "deep"), (3, "long")]
    assert all(r.reason.startswith("invalid JSON") for r in rejects)
