"""The economic graph on hand-made careers: moves, transitions, monthly series, metrics, persistence."""
import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from graph import metrics as gm
from graph.build import GraphConfig, _top_k, build_for_index, build_graph
from graph.store import Graph, month_of_days
from records.errors import BackendUnavailableError, ValidationError
from records.schema import PROFILE_SCHEMA
from tests.support.graphs import assert_same_graph

AS_OF = dt.date(2026, 11, 1)
D = dt.date


def _pos(company, title, start, end=None):
    return {"company_id": company.lower(), "company_name": company, "title": title, "start": start, "end": end,
            "description": None}


def _profile(cid, positions, skills=(), school=None, city="Berlin", otw=False):
    return {"candidate_id": cid, "headline": None, "summary": None,
            "location": {"city": city, "region": None, "country": "DE", "lat": 52.5, "lon": 13.4},
            "positions": positions, "skills": list(skills),
            "education": [{"school": school, "degree": None, "field": None, "start_year": 2010, "end_year": 2014}] if school else [],
            "open_to_work": otw, "last_active": None, "owner_tenant": None}


def _steady(prefix, company, n, start=D(2018, 1, 1)):
    return [_profile(f"{prefix}{i}", [_pos(company, "Accountant", start)]) for i in range(n)]


def _hand_made_table() -> pa.Table:
    rows = [
        _profile("p1", [_pos("Acme", "Data Scientist", D(2020, 1, 1), D(2024, 3, 15)),
                        _pos("Globex", "Statistician", D(2024, 4, 2))], ["python", "spark"], "TU Berlin", otw=True),
        _profile("p2", [_pos("Acme", "Data Scientist", D(2019, 1, 1), D(2025, 6, 10)),
                        _pos("Globex", "Statistician", D(2025, 7, 1))], ["Python", "SQL"], "TU Berlin"),
        _profile("p3", [_pos("Initech", "Software Developer", D(2021, 1, 1), D(2022, 1, 1)),
                        _pos("Acme", "Software Developer", D(2022, 2, 1))], ["python", "spark", "kafka"], city="London"),
        _profile("p4", [_pos("Globex", "Registered Nurse", D(2023, 5, 1), D(2026, 10, 20))], ["Epic"]),
    ]
    # a company that cut half of its 20 people in one month, and one that doubled in the last year
    layoff = [_profile(f"l{i}", [_pos("Cutco", "Accountant", D(2019, 1, 1), D(2025, 9, 12) if i < 10 else None)])
              for i in range(20)]
    grower = _steady("g", "Growco", 8) + [_profile(f"h{i}", [_pos("Growco", "Accountant", D(2026, 3, 1))]) for i in range(10)]
    return pa.Table.from_pylist(rows + layoff + grower + _steady("s", "Stableco", 30), schema=PROFILE_SCHEMA)


@pytest.fixture(scope="module")
def table():
    return _hand_made_table()


@pytest.fixture(scope="module")
def graph():      # no fixture parameters: tests/unit/test_graph_features.py imports this fixture alone
    return build_graph(_hand_made_table(), GraphConfig(as_of=AS_OF, progress=False))


@pytest.mark.parametrize("rows", [1, 3, 29])
def test_any_partitioning_builds_the_same_graph(table, graph, rows):
    """The aggregation's partials merge exactly: partitions of 1, 3 or 29 rows give the one-partition graph."""
    parted = build_graph(table, GraphConfig(as_of=AS_OF, progress=False, partition_rows=rows))
    assert parted.manifest["build"] == {"runner": "local", "partitions": -(-table.num_rows // rows)}
    assert_same_graph(graph, parted)


def test_partition_rows_and_runner_are_checked(tmp_path):
    with pytest.raises(ValidationError, match="partition_rows must be >= 1, not 0"):
        GraphConfig(partition_rows=0)
    with pytest.raises(ValidationError, match="runner must be one of"):
        build_for_index(tmp_path, runner="spark")


def _company(graph, name):
    return graph.table("companies").column("name").to_pylist().index(name)


def test_moves_are_consecutive_positions_at_different_companies(graph):
    names = graph.table("companies").column("name").to_pylist()
    moves = {(names[s], names[d], m) for s, d, m in zip(*(graph.col("moves", c) for c in ("src", "dst", "month")))}
    assert moves == {("Acme", "Globex", 2024 * 12 + 3), ("Acme", "Globex", 2025 * 12 + 6), ("Initech", "Acme", 2022 * 12 + 1)}
    agg = graph.table("company_moves").to_pylist()
    assert sum(r["count"] for r in agg) == 3 and len(agg) == 3


def test_occupation_transitions_count_title_changes(graph):
    codes = graph.table("occupations").column("code").to_pylist()
    tr = {(codes[s], codes[d]): c for s, d, c in zip(*(graph.col("transitions", c) for c in ("src", "dst", "count")))}
    assert tr == {("15-2051.00", "15-2041.00"): 2}   # Data Scientists -> Statisticians, twice


def test_people_current_company_previous_company_and_tenure(graph):
    people = {r["candidate_id"]: r for r in graph.table("people").to_pylist()}
    names = graph.table("companies").column("name").to_pylist()
    assert names[people["p1"]["company"]] == "Globex" and names[people["p1"]["prev_company"]] == "Acme"
    assert names[people["p3"]["prev_company"]] == "Initech"
    assert people["p4"]["company"] == -1 and np.isnan(people["p4"]["tenure_months"])
    assert people["p1"]["tenure_months"] == pytest.approx((AS_OF - D(2024, 4, 2)).days / (365.25 / 12), rel=1e-4)
    assert people["p1"]["propensity"] > people["p2"]["propensity"]    # open to work


def test_monthly_headcount_hires_and_departures(graph):
    mon = graph.arrays["monthly"]
    g0 = graph.as_of_month - (gm.MONTHS - 1)
    acme = _company(graph, "Acme")
    assert mon["departures"][acme, 2024 * 12 + 2 - g0] == 1 and mon["departures"][acme].sum() == 2
    assert mon["headcount"][acme, -1] == 1                          # only p3 is still there
    globex = _company(graph, "Globex")
    assert mon["hires"][globex].sum() == 3 and mon["headcount"][globex, -1] == 2   # p4 left in October 2026


def test_layoff_and_growth_flags(graph):
    companies = {r["name"]: r for r in graph.table("companies").to_pylist()}
    assert companies["Cutco"]["layoffs"] and companies["Cutco"]["layoff_signal"] == pytest.approx(1.0)
    assert companies["Cutco"]["departures_24"] == 10 and companies["Cutco"]["headcount"] == 10
    assert not companies["Stableco"]["layoffs"] and companies["Stableco"]["layoff_signal"] == 0
    assert companies["Growco"]["growing"] and companies["Growco"]["growth_12"] == pytest.approx(18 / 8 - 1, rel=1e-5)
    assert not companies["Stableco"]["growing"] and not companies["Cutco"]["growing"]
    assert companies["Cutco"]["attrition_24"] == pytest.approx(10 / 15)


def test_skill_adjacency_is_cosine_of_cooccurrence(graph):
    names = graph.table("skills").column("name").to_pylist()
    freq = dict(zip(names, graph.col("skills", "count").tolist()))
    adj = {(names[s], names[d]): (c, w) for s, d, c, w in
           zip(*(graph.col("skill_adjacency", c) for c in ("src", "dst", "count", "weight")))}
    assert freq["Python"] == 3 and freq["Apache Spark"] == 2     # "python"/"Python" normalised to one skill
    count, weight = adj[("Python", "Apache Spark")]
    assert count == 2 and weight == pytest.approx(2 / np.sqrt(3 * 2))
    assert ("Python", "Python") not in adj


def test_company_skill_and_location_weights_are_shares_of_current_staff(graph):
    names = graph.table("companies").column("name").to_pylist()
    skills = graph.table("skills").column("name").to_pylist()
    rows = [(names[r["company"]], skills[r["skill"]], r["count"], r["weight"]) for r in graph.table("company_skills").to_pylist()]
    assert ("Globex", "Python", 2, 1.0) in rows      # p1 and p2 are Globex's current staff; both list Python
    locs = [(names[r["company"]], r["count"]) for r in graph.table("company_locations").to_pylist()]
    assert ("Acme", 1) in locs


def test_save_load_round_trip_and_errors(graph, tmp_path):
    path = graph.save(tmp_path / "graph")
    again = Graph.load(path)
    for name, table in graph.tables.items():
        assert again.table(name).schema == table.schema, name
        for col in table.column_names:   # NaN-aware, column by column
            np.testing.assert_array_equal(again.col(name, col), graph.col(name, col), err_msg=f"{name}.{col}")
    assert np.array_equal(again.arrays["monthly"]["headcount"], graph.arrays["monthly"]["headcount"])
    with pytest.raises(BackendUnavailableError, match="graph build"):
        Graph.load(tmp_path / "nothing")
    (path / "manifest.json").write_text("{not json")
    with pytest.raises(BackendUnavailableError, match="unreadable"):
        Graph.load(path)


def test_bad_input_names_the_missing_column():
    with pytest.raises(ValidationError, match="positions"):
        build_graph(pa.table({"candidate_id": ["x"]}), GraphConfig(as_of=AS_OF, progress=False))


def test_empty_table_builds_an_empty_graph():
    g = build_graph(PROFILE_SCHEMA.empty_table(), GraphConfig(as_of=AS_OF, progress=False))
    assert g.table("people").num_rows == 0 and g.table("companies").num_rows == 0


def test_month_of_days_and_top_k():
    days = np.array([(D(2024, 1, 31) - D(1970, 1, 1)).days, (D(2024, 2, 1) - D(1970, 1, 1)).days])
    assert month_of_days(days).tolist() == [2024 * 12, 2024 * 12 + 1]
    r, c, v, w = _top_k([0, 0, 0, 1], [1, 2, 3, 0], [5, 9, 1, 2], [0.5, 0.9, 0.1, 0.3], 2)
    assert list(zip(r.tolist(), c.tolist())) == [(0, 2), (0, 1), (1, 0)]


def test_propensity_formula_orders_the_obvious_cases():
    p = gm.propensity([1, 0, 0, 0], [1, 1, 1, 0], [30, 2, 30, np.nan], [0, 0, 1, 0], [0.1, 0.1, 0.5, 0], [0.3, 0.1, 0.3, 0])
    assert p.dtype == np.float32 and ((p > 0) & (p < 1)).all()
    assert p[0] > p[1] and p[2] > p[1] and p[3] > p[1]     # open to work, layoffs, no job > fresh hire
