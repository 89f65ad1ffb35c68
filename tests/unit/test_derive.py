"""Derived fields, checked against hand-computed values."""
import datetime as dt

import pyarrow as pa
import pytest

from indexer.derive import DAYS_PER_MONTH, DAYS_PER_YEAR, derive, derive_batches
from indexer.validate import coerce_row
from records.schema import PROFILE_SCHEMA

AS_OF = dt.date(2020, 1, 1)


def table(*rows):
    # derive's own clamping of dates after as_of is tested here, so validation's window is set wide
    return pa.Table.from_pylist([coerce_row(r, latest=dt.date(2100, 1, 1)) for r in rows], schema=PROFILE_SCHEMA)


def pos(title, company, start, end=None):
    return {"title": title, "company_id": company, "company_name": company.title(), "start": start, "end": end}


def test_experience_merges_overlaps_and_current_role_is_open_position():
    t = derive(table({"candidate_id": "a", "positions": [
        pos("Data Analyst", "initech", "2010-01-01", "2014-01-01"),
        pos("Sr. Data Engineer", "globex", "2018-01-01"),
        pos("Data Engineer", "acme", "2013-01-01", "2016-01-01"),
    ], "skills": ["spark", "Apache Spark", "python", "Made-up Skill"]}), as_of=AS_OF)
    row = t.to_pylist()[0]
    union_days = (dt.date(2016, 1, 1) - dt.date(2010, 1, 1)).days + (AS_OF - dt.date(2018, 1, 1)).days
    assert row["years_experience"] == pytest.approx(union_days / DAYS_PER_YEAR, abs=1e-4)
    assert row["current_title"] == "Sr. Data Engineer"
    assert row["current_company_id"] == "globex" and row["current_company_name"] == "Globex"
    assert row["past_company_ids"] == ["initech", "acme"]
    assert row["tenure_months"] == pytest.approx((AS_OF - dt.date(2018, 1, 1)).days / DAYS_PER_MONTH, abs=1e-3)
    assert row["seniority"] == "senior" and row["seniority_level"] == 3
    assert row["occupation_code"] is not None and row["occupation_score"] > 0
    assert row["skills_normalized"] == ["Apache Spark", "Python", "Made-up Skill"]


def test_between_jobs_keeps_last_title_but_no_current_company():
    row = derive(table({"candidate_id": "b", "positions": [
        pos("Registered Nurse", "mercy", "2015-01-01", "2019-06-01"),
        pos("Nurse Intern", "mercy", "2014-01-01", "2014-06-01"),
    ]}), as_of=AS_OF).to_pylist()[0]
    assert row["current_title"] == "Registered Nurse"
    assert row["current_company_id"] is None and row["tenure_months"] is None
    assert set(row["past_company_ids"]) == {"mercy"}
    assert row["occupation_code"] == "29-1141.00"


def test_seniority_from_years_without_title_hint_and_empty_profile():
    rows = derive(table(
        {"candidate_id": "c", "positions": [pos("Accountant", "x", "2019-01-01")]},
        {"candidate_id": "d"},
    ), as_of=AS_OF).to_pylist()
    assert rows[0]["seniority"] == "junior"          # 1 year, no title words
    assert rows[1]["years_experience"] == 0 and rows[1]["current_title"] is None and rows[1]["occupation_code"] is None


def test_future_dates_are_clamped_to_as_of():
    row = derive(table({"candidate_id": "e", "positions": [pos("Chef", "x", "2019-07-01", "2030-01-01")]}), as_of=AS_OF).to_pylist()[0]
    assert row["years_experience"] == pytest.approx((AS_OF - dt.date(2019, 7, 1)).days / DAYS_PER_YEAR, abs=1e-4)


def test_derived_in_batches_equals_derived_at_once():
    """Slices start their position lists part-way: every batch boundary must give the same rows."""
    rows = [{"candidate_id": f"c{i}", "skills": ["Python", "sql"][: i % 3],
             "positions": [pos("Data Analyst", f"co{i % 4}", "2010-01-01", "2014-01-01"),
                           pos("Senior Data Engineer", f"co{(i + 1) % 4}", "2014-02-01")][: i % 3]}
            for i in range(11)]
    whole = derive(table(*rows), as_of=AS_OF)
    for size in (1, 2, 4, 11, 50):
        assert derive_batches(table(*rows), as_of=AS_OF, batch_rows=size).equals(whole), size
