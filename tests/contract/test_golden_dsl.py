"""Golden files pin the Query DSL the OpenSearch backend sends. Regenerate after an intended change:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/contract/test_golden_dsl.py
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from indexer.backend import LexicalQuery
from indexer.opensearch import dsl
from query.lang.filters import Filters
from query.lang.keywords import keywords_to_ast
from query.lang.parser import parse
from tests.conftest import AS_OF

GOLDEN = Path(__file__).parent.parent / "golden"
CASES = {
    "boolean_scoped": ('title:"data engineer"~1 AND (spark OR airflow) NOT company:acme', {}, False),
    "prefix_and_symbols": ('c++ OR c# OR "machine learn*" OR engineer*', {}, False),
    "not_alone": ("NOT java", {}, False),
    "keywords": ("Senior data engineer with Spark, looking in Berlin", {}, True),
    "filters_all": ("skill:python", {"near": "Berlin", "radius_km": 50, "min_years": 3, "max_years": 10,
                                     "seniority": ["senior", "lead"], "current_company": ["Acme"], "not_current_company": "Globex",
                                     "past_company": "Initech", "open_to_work": True, "active_within_days": 30}, False),
    "filter_only": (None, {"seniority": ["mid"]}, False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_dsl_matches_the_golden_file(name):
    text, filters, keywords = CASES[name]
    node = None if text is None else (keywords_to_ast(text) if keywords else parse(text))
    lq = LexicalQuery(node, Filters.from_dict(filters, tenant_id="acme-talent"), keywords=keywords, today=AS_OF,
                      company_ids=lambda values: sorted(v.lower() for v in values),
                      expansions=(("occupation", "Data Engineers", 1.0),) if name == "keywords" else ())
    got = {"query": dsl.search_query(lq), "highlight_query": dsl.highlight_query(lq)}
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    assert path.exists(), f"no golden file {path}: run with UPDATE_GOLDEN=1"
    assert got == json.loads(path.read_text()), f"DSL changed for {name}; if intended, regenerate with UPDATE_GOLDEN=1"


def test_the_mapping_matches_the_golden_file():
    got = dsl.index_body(shards=3, replicas=1, refresh_interval="-1")
    path = GOLDEN / "index_body.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    assert got == json.loads(path.read_text())
