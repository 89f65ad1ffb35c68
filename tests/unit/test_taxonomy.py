"""The shipped O*NET taxonomy: contents, title matching, seniority hints, skill normalisation."""
from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from records.errors import NotFoundError, ValidationError
from records.schema import SENIORITY_LEVELS
from records.taxonomy import (
    ATTRIBUTION, DEFAULT_PATH, MATCH_THRESHOLD, Taxonomy, TitleMatch, normalize_title, seniority_hint, strip_seniority,
)

REPO = Path(__file__).resolve().parents[2]
ONET = REPO.parent / "shared" / "data" / "onet"
ESCO = REPO.parent / "shared" / "data" / "esco"


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return Taxonomy.load()


# -- contents -------------------------------------------------------------------------------------
def test_shipped_file_is_compact_and_attributed(tax):
    assert DEFAULT_PATH.stat().st_size < 3_000_000
    assert tax.attribution.startswith(ATTRIBUTION + "; ESCO classification v1.2, European Commission")
    assert "O*NET 27.0" in ATTRIBUTION and "CC BY 4.0" in ATTRIBUTION and "USDOL/ETA" in ATTRIBUTION
    with gzip.open(DEFAULT_PATH, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    assert data["attribution"] == ATTRIBUTION
    assert "Nesta" in data["esco"]["attribution"] and "not O*NET data" in data["esco"]["note"]


# -- ESCO labels ------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, code", [
    ("brand development manager", "11-2021.00"),  # ESCO label, placed through the crosswalk
    ("vehicle glazier", "49-3022.00"),
    ("head of technical", "27-2012.05"),          # ESCO alt label of "technical director" (placed by its preferred label)
])
def test_esco_labels_are_title_aliases(tax, raw, code):
    occ = tax.occupation(code)
    assert raw not in {t.lower() for t in occ.alternate_titles + occ.reported_titles}    # not an O*NET alias
    m = tax.match_title(raw)
    assert m is not None and (m.code, m.score) == (code, 1.0), m
    assert raw in {t.lower() for t in occ.esco_titles}


def test_esco_never_overrides_onet(tax):
    """Every key O*NET names keeps its O*NET occupation; ESCO labels only fill gaps."""
    onet_only = Taxonomy.from_dict({**_raw(), "esco": {"titles": [], "attribution": ""}})
    for raw in ("Jr. Accountant", "Data Engineer", "Software Engineer", "Nurse", "Truck Driver", "Chef"):
        a, b = tax.match_title(raw), onet_only.match_title(raw)
        assert (a.code if a else None) == (b.code if b else None), raw


def _raw() -> dict:
    with gzip.open(DEFAULT_PATH, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def test_load_is_cached(tax):
    assert Taxonomy.load() is tax
    assert Taxonomy.load(DEFAULT_PATH) is tax


def test_every_occupation_is_complete(tax):
    assert len(tax.occupations) == 1016
    for code, occ in tax.occupations.items():
        assert occ.code == code and occ.major_group == code[:2]
        assert 1 <= occ.job_zone <= 5
        assert 1 <= occ.education_level <= 12 and occ.education
        assert len(occ.tasks) <= 8
        assert all(tier in ("Primary-Short", "Primary-Long", "Supplemental") for _, tier, _ in occ.related)
        assert all(rc in tax.occupations for rc, _, _ in occ.related)
    inferred = [o for o in tax.occupations.values() if o.job_zone_inferred]
    assert len(inferred) == 93                       # 1016 occupations, 923 rows in "Job Zones.txt"
    assert tax.occupation("11-9039.00").job_zone_inferred


def test_software_developers_record(tax):
    occ = tax.occupation("15-1252.00")
    assert occ.title == "Software Developers"
    assert occ.job_zone == 4 and not occ.job_zone_inferred
    assert occ.education == "Bachelor's Degree" and occ.education_inferred   # O*NET has no ETE row for it
    assert "Software Engineer" in occ.reported_titles
    assert {"Python", "Oracle Java", "Git"} <= {s.name for s in occ.skills}
    assert tax.related("15-1252.00")[0] == ("15-1299.08", "Primary-Short")


def test_registered_nurses_tasks_core_first(tax):
    occ = tax.occupation("29-1141.00")
    assert occ.education == "Bachelor's Degree" and occ.job_zone == 4
    assert len(occ.tasks) == 8
    assert "Staff Nurse" in occ.reported_titles


def test_skills_for_and_related(tax):
    skills = dict(tax.skills_for("15-1243.00"))
    assert skills["Apache Spark"] is True and skills["Apache Hadoop"] is True
    assert skills["Apache Airflow"] is True            # talentsearch supplement, not O*NET 27.0
    related = tax.related("29-1141.00")
    assert len(related) == 20 and related[0][1] == "Primary-Short"


@pytest.mark.parametrize("call", ["related", "skills_for", "occupation"])
def test_unknown_code_raises_not_found(tax, call):
    with pytest.raises(NotFoundError, match="99-9999.99"):
        getattr(tax, call)("99-9999.99")


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(NotFoundError, match="build_taxonomy"):
        Taxonomy.load(tmp_path / "nope.json.gz")
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(ValidationError, match="not gzip"):
        Taxonomy.load(bad)
    wrong = tmp_path / "wrong.json.gz"
    wrong.write_bytes(gzip.compress(json.dumps({"format": "other/9"}).encode()))
    with pytest.raises(ValidationError, match="format"):
        Taxonomy.load(wrong)


@pytest.mark.skipif(not (ONET.is_dir() and ESCO.is_dir()), reason="../shared/data/onet or esco is not available")
def test_build_script_is_deterministic_and_shipped_file_is_current(tmp_path):
    spec = importlib.util.spec_from_file_location("build_taxonomy", REPO / "scripts" / "build_taxonomy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    a, b = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    assert mod.main(["--onet", str(ONET), "--esco", str(ESCO), "--out", str(a)]) == 0
    assert mod.main(["--onet", str(ONET), "--esco", str(ESCO), "--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes() == DEFAULT_PATH.read_bytes()
    assert mod.main(["--onet", str(tmp_path), "--out", str(a)]) == 2
    assert mod.main(["--onet", str(ONET), "--esco", str(tmp_path), "--out", str(a)]) == 2


# -- titles ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, code", [
    ("Sr. Data Engineer", "15-1243.00"),
    ("data engineer", "15-1243.00"),
    ("Registered Nurse", "29-1141.00"),
    ("RN", "29-1141.00"),
    ("Senior Software Engineer", "15-1252.00"),
    ("SWE II", "15-1252.00"),
    ("Principal Software Engineer III", "15-1252.00"),
    ("Software Engineer (m/f/d)", "15-1252.00"),
    ("Software Developer @ Acme", "15-1252.00"),
    ("Chief Executive Officer", "11-1011.00"),
    ("CEO", "11-1011.00"),
    ("Jr. Accountant", "13-2011.00"),
    ("Marketing Mgr", "11-2021.00"),
    ("Senior Sales Associate", "41-2031.00"),
    ("Data Scientist", "15-2051.00"),
    ("Truck Driver", "53-3032.00"),
])
def test_match_title_exact(tax, raw, code):
    m = tax.match_title(raw)
    assert isinstance(m, TitleMatch)
    assert (m.code, m.score) == (code, 1.0)
    assert m.title == tax.occupation(code).title


def test_data_engineer_is_in_the_matched_alias_table(tax):
    m = tax.match_title("Sr. Data Engineer")
    occ = tax.occupation(m.code)
    assert m.alias == "Data Engineer" and "Data Engineer" in occ.alternate_titles


def test_match_title_fallback_scores_below_one(tax):
    m = tax.match_title("Lead Backend Developer")
    assert m is not None and m.code == "15-1254.00"
    assert MATCH_THRESHOLD <= m.score < 1.0


@pytest.mark.parametrize("raw", ["asdfgh qwerty", "", "   ", "!!!", "12345", "zzzz xqv", None, 42])
def test_match_title_garbage_is_none(tax, raw):
    assert tax.match_title(raw) is None


def test_match_title_is_memoised(tax):
    first = tax.match_title("Senior Data Engineer, Platform")
    assert tax.match_title("Senior Data Engineer, Platform") is first
    assert tax.match_title("senior  data engineer platform") == first   # same normalised form


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_match_title_never_raises(raw):
    m = Taxonomy.load().match_title(raw)
    assert m is None or (0.0 < m.score <= 1.0 and m.code in Taxonomy.load().occupations)


def test_normalize_title_and_strip():
    assert normalize_title("Sr. Software Eng. (Backend) | Acme") == "senior software engineer"
    assert normalize_title("Nurses & Analysts") == "nurse and analyst"
    assert strip_seniority(normalize_title("Head of Data Engineering II")) == "data engineer"
    assert strip_seniority(normalize_title("Junior Developer L3")) == "developer"


# -- seniority ------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, level", [
    ("Data Engineering Intern", "intern"), ("Trainee Accountant", "intern"),
    ("Junior Developer", "junior"), ("Jr. Analyst", "junior"), ("Associate Product Manager", "manager"),
    ("Associate Consultant", "junior"), ("Entry Level Nurse", "junior"),
    ("Senior Data Engineer", "senior"), ("Sr Data Engineer", "senior"),
    ("Lead Engineer", "lead"), ("Principal Scientist", "lead"), ("Staff Software Engineer", "lead"),
    ("Engineering Manager", "manager"), ("Sales Mgr", "manager"),
    ("Head of Data", "director"), ("Director of Engineering", "director"),
    ("VP Engineering", "executive"), ("Vice President, Sales", "executive"), ("Chief Technology Officer", "executive"),
    ("CTO", "executive"), ("Data Engineer", None), ("Registered Nurse", None), ("", None),
])
def test_seniority_hint(tax, raw, level):
    assert seniority_hint(raw) == level
    assert tax.seniority_hint(raw) == level
    assert level is None or level in SENIORITY_LEVELS


# -- skills ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, name", [
    ("spark", "Apache Spark"), ("Apache Spark", "Apache Spark"), ("apache spark", "Apache Spark"),
    ("Spark", "Apache Spark"), ("pyspark", "Apache Spark"),
    ("excel", "Microsoft Excel"), ("MS Excel", "Microsoft Excel"), ("Excel 2016", "Microsoft Excel"),
    ("python", "Python"), ("PYTHON", "Python"), ("Python 3.10", "Python"),
    ("sql", "Structured query language SQL"), ("html", "Hypertext markup language HTML"),
    ("photoshop", "Adobe Systems Adobe Photoshop"), ("Adobe Photoshop", "Adobe Systems Adobe Photoshop"),
    ("matlab", "The MathWorks MATLAB"), ("hadoop", "Apache Hadoop"), ("kafka", "Apache Kafka"),
    ("airflow", "Apache Airflow"), ("k8s", "Kubernetes"), ("js", "JavaScript"), ("java", "Oracle Java"),
    ("C++", "C++"), ("c#", "C#"), ("R", "R"), ("autocad", "Autodesk AutoCAD"), ("jira", "Atlassian JIRA"),
    ("SQL Server", "Microsoft SQL Server"), (".net", "Microsoft .NET Framework"),
])
def test_normalize_skill(tax, raw, name):
    assert tax.normalize_skill(raw) == name


@pytest.mark.parametrize("raw", ["blahblah", "", "   ", "software", "server", None, 3])
def test_normalize_skill_unknown_is_none(tax, raw):
    assert tax.normalize_skill(raw) is None


def test_skill_aliases_round_trip(tax):
    aliases = tax.skill_aliases("Apache Spark")
    assert aliases[0] == "Apache Spark" and "Spark" in aliases
    for code in ("15-1243.00", "29-1141.00", "13-2011.00"):
        for name, _ in tax.skills_for(code):
            for alias in tax.skill_aliases(name):
                assert tax.normalize_skill(alias) == name


@pytest.mark.parametrize("raw, name", [("PM", None), ("AI", None), ("BI", None), ("Allscripts PM", "Allscripts PM"),
                                       ("js", "JavaScript"), ("go", "Go")])
def test_derived_two_letter_rests_are_not_aliases(tax, raw, name):
    assert tax.normalize_skill(raw) == name


@pytest.mark.parametrize("word", ["manager", "Manager", "designer", "director", "illustrator"])
def test_job_title_nouns_are_not_skill_aliases(tax, word):
    assert tax.normalize_skill(word) is None


@pytest.mark.parametrize("raw, canonical", [("Assisi Manager", "Assisi Software Assisi Manager"),
                                            ("Adobe Illustrator", "Adobe Systems Adobe Illustrator"),
                                            ("Oracle Designer", "Oracle Designer"), ("spark", "Apache Spark")])
def test_full_product_names_still_normalise(tax, raw, canonical):
    assert tax.normalize_skill(raw) == canonical


def test_contract_and_remote_are_kept_where_they_name_the_work():
    from records.taxonomy import normalize_title
    assert normalize_title("Contract Administrator") == "contract administrator"
    assert normalize_title("Remote Sensing Analyst") == "remote sensing analyst"
    assert normalize_title("Contract Software Engineer") == "software engineer"     # how the job is held
    assert normalize_title("Data Analyst - Remote") == "data analyst"
