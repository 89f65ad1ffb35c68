"""The synthetic corpus generator: schema, determinism, judged queries, grade rule, planted signals.

Judgments are re-derived here with plain Python from the written files (profiles.parquet,
truth.parquet), independently of ``benchmarks.synth.judge``.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict

import pyarrow.parquet as pq
import pytest

from benchmarks.synth import GenerateReport, generate
from benchmarks.synth.writer import CHUNK
from query.lang.filters import Filters
from records.geo import haversine_km
from records.schema import PROFILE_SCHEMA, SENIORITY_LEVELS
from records.taxonomy import ATTRIBUTION, Taxonomy, seniority_hint

N = 3000
SEED = 11
AS_OF = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> GenerateReport:
    return generate(tmp_path_factory.mktemp("synth"), profiles=N, seed=SEED, progress=False)


@pytest.fixture(scope="module")
def profiles(corpus) -> dict[str, dict]:
    return {r["candidate_id"]: r for r in pq.read_table(corpus.profiles_path).to_pylist()}


@pytest.fixture(scope="module")
def truth(corpus) -> dict[str, dict]:
    return {r["candidate_id"]: r for r in pq.read_table(corpus.truth_path).to_pylist()}


@pytest.fixture(scope="module")
def queries(corpus) -> list[dict]:
    return [json.loads(line) for line in corpus.queries_path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def qrels(corpus) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for line in corpus.qrels_path.read_text(encoding="utf-8").splitlines():
        qid, zero, cid, grade = line.split()
        assert zero == "0"
        out[qid][cid] = int(grade)
    return out


# -- independent re-implementations --------------------------------------------------------------
def years_of(positions: list[dict]) -> float:
    spans = sorted((min(p["start"], AS_OF), min(p["end"] or AS_OF, AS_OF)) for p in positions)
    total, cur_s, cur_e = 0, None, None
    for s, e in spans:
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += (cur_e - cur_s).days
            cur_s, cur_e = s, max(s, e)
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += (cur_e - cur_s).days
    return total / 365.25


def passes_filters(query: dict, p: dict) -> bool:
    f = Filters.from_dict(query["filters"])
    if p["owner_tenant"] not in (None, query["tenant_id"]):
        return False
    if f.near and haversine_km(p["location"]["lat"], p["location"]["lon"], f.near.lat, f.near.lon) > f.near.radius_km:
        return False
    years = years_of(p["positions"])
    if (f.min_years is not None and years < f.min_years) or (f.max_years is not None and years > f.max_years):
        return False
    if f.open_to_work is not None and p["open_to_work"] != f.open_to_work:
        return False
    current = [x for x in p["positions"] if x["end"] is None]
    names = lambda xs: {v for x in xs for v in (x["company_name"].casefold(), x["company_id"].casefold())}  # noqa: E731
    if f.current_company and not names(current) & {c.casefold() for c in f.current_company}:
        return False
    if f.not_current_company and names(current) & {c.casefold() for c in f.not_current_company}:
        return False
    past = [x for x in p["positions"] if x["end"] is not None]
    if f.past_company and not names(past) & {c.casefold() for c in f.past_company}:
        return False
    excluded = {c.casefold() for c in query["intent"]["exclude_companies"]}
    if names(p["positions"]) & excluded:
        return False
    city = query["intent"]["location_city"]
    return city is None or p["location"]["city"].casefold() == city.casefold()


def grade_of(query: dict, t: dict, tax: Taxonomy) -> int:
    intent = query["intent"]
    target = intent["occupation_code"]
    tiers = dict(tax.related(target))
    occ = t["occupation_code"]
    rel = "target" if occ == target else {"Primary-Short": "close"}.get(tiers.get(occ), "related" if occ in tiers else None)
    groups = intent["skill_groups"]
    cov = sum(any(s in t["skills"] for s in g) for g in groups) / len(groups) if groups else 1.0
    want = intent["seniority"]
    sen_ok = want is None or abs(SENIORITY_LEVELS.index(t["seniority"]) - SENIORITY_LEVELS.index(want)) <= 1
    if rel == "target" and cov == 1 and sen_ok:
        return 3
    if (rel == "target" and cov >= 0.5 and sen_ok) or (rel == "target" and cov == 1) or (rel == "close" and cov == 1 and sen_ok):
        return 2
    if rel == "target" or (rel is not None and cov >= 0.5):
        return 1
    return 0


# -- files and schema -----------------------------------------------------------------------------
def test_report_and_files(corpus):
    assert corpus.profiles == N and corpus.queries >= 200
    for path in (corpus.profiles_path, corpus.companies_path, corpus.truth_path, corpus.queries_path,
                 corpus.qrels_path, corpus.manifest_path):
        assert path.is_file() and path.parent == corpus.out_dir
    manifest = json.loads(corpus.manifest_path.read_text())
    assert manifest["seed"] == SEED and manifest["profiles"] == N and manifest["as_of"] == AS_OF.isoformat()
    assert manifest["attribution"] == ATTRIBUTION and manifest["version"]
    assert manifest["qrels"] == corpus.qrels == sum(corpus.grade_counts)


def test_profiles_follow_the_schema(corpus, profiles):
    pf = pq.ParquetFile(corpus.profiles_path)
    assert pf.schema_arrow.equals(PROFILE_SCHEMA, check_metadata=False)
    assert pf.schema_arrow.metadata[b"talentsearch.schema"] == b"profile/1"
    assert pf.metadata.num_rows == N and pf.metadata.num_row_groups == -(-N // CHUNK)
    assert len(profiles) == N and all(p["positions"] for p in profiles.values())


def test_profiles_are_plausible(profiles, truth):
    tax = Taxonomy.load()
    rows = list(profiles.values())
    assert 1 <= min(len(p["positions"]) for p in rows) and max(len(p["positions"]) for p in rows) <= 6
    assert 0.06 <= sum(p["open_to_work"] for p in rows) / N <= 0.15
    private = Counter(p["owner_tenant"] for p in rows)
    assert 0.03 <= (N - private[None]) / N <= 0.07 and set(private) == {None, "acme-talent", "globex-hr"}
    assert sum(p["last_active"] >= AS_OF - dt.timedelta(days=60) for p in rows) / N > 0.75
    countries = Counter(p["location"]["country"] for p in rows)
    assert {"US", "GB", "DE", "FR", "IN", "NL", "CA"} <= set(countries)
    groups = Counter(t["occupation_code"][:2] for t in truth.values())
    assert len(groups) >= 18
    for p in rows:
        pos = p["positions"]
        assert all(a["end"] is not None and a["end"] <= b["start"] for a, b in zip(pos, pos[1:]))
        assert all(x["end"] is None or x["start"] < x["end"] <= AS_OF for x in pos)
        latent = set(truth[p["candidate_id"]]["skills"])
        assert all(tax.normalize_skill(s) in latent for s in p["skills"]), p["skills"]


def test_truth_matches_observable_facts(profiles, truth):
    for cid, t in truth.items():
        p = profiles[cid]
        assert t["years_experience"] == pytest.approx(years_of(p["positions"]), abs=1e-9)
        current = [x["company_id"] for x in p["positions"] if x["end"] is None]
        assert t["current_company_id"] == (current[0] if current else None)
        assert (t["city"], t["lat"], t["lon"]) == (p["location"]["city"], p["location"]["lat"], p["location"]["lon"])
        assert t["seniority"] in SENIORITY_LEVELS


def test_titles_carry_the_latent_seniority(profiles, truth):
    hints = Counter()
    for cid, t in truth.items():
        current = [x for x in profiles[cid]["positions"] if x["end"] is None]
        if t["seniority"] == "senior" and current:
            hints[seniority_hint(current[0]["title"])] += 1
    assert hints["senior"] / sum(hints.values()) >= 0.7


def test_deterministic_for_a_seed(tmp_path):
    a = generate(tmp_path / "a", profiles=1500, seed=5, queries=40, progress=False)
    b = generate(tmp_path / "b", profiles=1500, seed=5, queries=40, progress=False)
    c = generate(tmp_path / "c", profiles=1500, seed=6, queries=0, progress=False)
    for name in ("profiles.parquet", "truth.parquet", "companies.parquet"):
        assert pq.read_table(a.out_dir / name).equals(pq.read_table(b.out_dir / name))
    for name in ("queries.jsonl", "qrels.txt"):
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes()
    assert not pq.read_table(a.profiles_path).equals(pq.read_table(c.profiles_path))
    assert c.queries == 0 and c.qrels_path.read_text() == ""


@pytest.mark.parametrize("kwargs", [{"profiles": 0}, {"profiles": -5}, {"profiles": 10, "queries": -1}])
def test_bad_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError):
        generate(tmp_path, seed=1, progress=False, **{"profiles": 10, **kwargs})
    assert not (tmp_path / "profiles.parquet").exists()


# -- queries and judgments ------------------------------------------------------------------------
def test_queries_parse_and_filters_are_accepted(queries):
    assert len(queries) >= 200 and len({q["query_id"] for q in queries}) == len(queries)
    kinds = Counter(q["kind"] for q in queries)
    assert set(kinds) == {"boolean", "natural"} and abs(kinds["boolean"] - kinds["natural"]) <= len(queries) * 0.1
    assert sum(bool(q["filters"]) for q in queries) >= len(queries) // 2
    for q in queries:
        Filters.from_dict(q["filters"])
        assert "seniority" not in q["filters"]
        assert q["intent"]["occupation_code"] and q["tenant_id"] in ("acme-talent", "globex-hr")
        if q["kind"] == "boolean":
            assert "title:" in q["query"] and q["query"].count("(") == q["query"].count(")")


def test_boolean_terms_map_back_to_the_intent(queries):
    tax = Taxonomy.load()
    for q in queries:
        if q["kind"] == "boolean" and q["query_id"] != "q0001":
            title = q["intent"]["title"]
            assert tax.match_title(title).code == q["intent"]["occupation_code"] or title == q["intent"]["title"]
            for group in q["intent"]["skill_groups"]:
                assert all(tax.normalize_skill(s) == s for s in group)


def test_every_query_has_relevant_profiles(queries, qrels):
    for q in queries:
        assert 3 in qrels[q["query_id"]].values(), q["query_id"]


def test_qrels_candidates_exist_and_pass_the_filters(queries, qrels, profiles):
    by_id = {q["query_id"]: q for q in queries}
    assert set(qrels) <= set(by_id)
    for qid, judged in qrels.items():
        for cid, grade in judged.items():
            assert cid in profiles and 1 <= grade <= 3
            assert passes_filters(by_id[qid], profiles[cid]), (qid, cid)


def test_grades_follow_the_documented_rule(queries, qrels, profiles, truth):
    tax = Taxonomy.load()
    for q in queries[:60]:                       # complete check: every profile, judged or not
        judged = qrels[q["query_id"]]
        for cid, t in truth.items():
            expected = grade_of(q, t, tax) if passes_filters(q, profiles[cid]) else 0
            assert judged.get(cid, 0) == expected, (q["query_id"], cid)


def test_pinned_example_query(queries, qrels):
    q = queries[0]
    assert q["query"] == 'title:"data engineer" AND (spark OR airflow) NOT company:acme'
    assert q["filters"] == {"near": "Berlin, DE", "radius_km": 50}
    assert q["intent"]["skill_groups"] == [["Apache Spark", "Apache Airflow"]]


def test_data_people_near_berlin_at_20k(tmp_path):
    report = generate(tmp_path, profiles=20_000, seed=3, queries=1, progress=False)
    first = json.loads(report.queries_path.read_text().splitlines()[0])
    assert first["query_id"] == "q0001" and "data engineer" in first["query"]
    grades = Counter(line.split()[3] for line in report.qrels_path.read_text().splitlines())
    assert grades["3"] >= 5


# -- planted company signals ----------------------------------------------------------------------
def _month(d: dt.date) -> tuple[int, int]:
    return d.year, d.month


def test_layoff_months_show_a_departure_spike(corpus, profiles, truth):
    companies = pq.read_table(corpus.companies_path).to_pylist()
    ends: dict[str, Counter] = defaultdict(Counter)
    for p in profiles.values():
        for x in p["positions"]:
            if x["end"] is not None:
                ends[x["company_id"]][_month(x["end"])] += 1
    checked = 0
    for c in companies:
        if c["trajectory"] != "layoffs" or not c["is_brand"]:
            continue
        for month in c["layoff_months"]:
            spike = ends[c["company_id"]][_month(month)]
            window = [ends[c["company_id"]][_month(month + dt.timedelta(days=31 * k))] for k in range(-12, 13) if k]
            assert spike >= 10 and spike > 5 * (sum(window) / len(window)), (c["name"], month, spike, window)
            checked += 1
    assert checked >= 3
    laid_off = [t for t in truth.values() if t["laid_off"] and t["current_company_id"] is None]
    assert laid_off and sum(t["open_to_work"] for t in laid_off) / len(laid_off) > 0.5


def test_growing_companies_hire_recently(corpus, profiles):
    trajectory = {c["company_id"]: c["trajectory"] for c in pq.read_table(corpus.companies_path).to_pylist()}
    recent, total = Counter(), Counter()
    cutoff = AS_OF - dt.timedelta(days=730)
    for p in profiles.values():
        for x in p["positions"]:
            t = trajectory[x["company_id"]]
            total[t] += 1
            recent[t] += x["start"] >= cutoff
    share = {t: recent[t] / total[t] for t in total}
    assert share["growing"] > 1.5 * share["stable"] > 1.5 * share["layoffs"]


def test_companies_table(corpus):
    rows = pq.read_table(corpus.companies_path).to_pylist()
    names = [r["name"] for r in rows]
    assert len(set(n.casefold() for n in names)) == len(names)
    assert {"Acme", "Globex", "Initech"} <= set(names)
    assert {r["trajectory"] for r in rows} == {"growing", "stable", "layoffs"}
    assert all(bool(r["layoff_months"]) == (r["trajectory"] == "layoffs") for r in rows)
    assert Counter(r["size_class"] for r in rows).most_common(1)[0][0] in ("11-50", "1-10", "51-200")
