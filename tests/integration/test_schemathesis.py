"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema (schemathesis): no input,
however malformed, may produce a 5xx, and every answer must be one the document declares: its status
code, its content type (problem+json for errors), its headers (``Location`` on a job's 202) and its
body's schema. Schema-violating input must be refused (development mode), and with API keys every
operation must refuse a call without one. The index has a graph so that /v1/insights is fully served."""
import re
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

schemathesis = pytest.importorskip("schemathesis")

from schemathesis.generation import GenerationMode

from api.app import create_app
from api.middleware import ApiKeys
from api.settings import Settings

CONTRACT = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
            schemathesis.checks.content_type_conformance, schemathesis.checks.response_headers_conformance,
            schemathesis.checks.response_schema_conformance]
_QUERY_PARAM = re.compile(r"parameter `([^`]+)` in query")


def _takes_any_string(schema: dict) -> bool:
    """A query schema every query-string value satisfies: a plain string, or an array of plain strings
    (``company=-5.5e16`` is the one-element list ["-5.5e16"], whatever type the fuzzer meant it to be)."""
    options = schema.get("anyOf", [schema])
    plain = ("pattern", "enum", "format", "minLength", "maxLength", "const")
    for o in options:
        if o.get("type") == "string" and not any(k in o for k in plain):
            return True
        items = o.get("items", {})
        if o.get("type") == "array" and items.get("type") == "string" and not any(k in items for k in plain) \
                and "minItems" not in o and "maxItems" not in o:
            return True
    return False


def negative_query_data_rejection(ctx, response, case):
    """schemathesis' negative_data_rejection, less its false positive: a "wrong type" query value that the
    query string turns into a string the parameter accepts is not invalid input."""
    from schemathesis.core.failures import AcceptedNegativeData
    try:
        return schemathesis.checks.negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData as exc:
        m = _QUERY_PARAM.search(str(exc))
        params = {p.get("name"): p.get("schema", {}) for p in case.operation.definition.raw.get("parameters", [])
                  if p.get("in") == "query"}
        if m and m.group(1) in params and _takes_any_string(params[m.group(1)]):
            return None
        raise


RUNS = {   # name: (API keys, generation mode, examples per operation, checks beyond the contract)
    "valid-input": (False, GenerationMode.POSITIVE, 30, []),
    "invalid-input": (False, GenerationMode.NEGATIVE, 15, [negative_query_data_rejection]),
    "with-api-keys": (True, GenerationMode.POSITIVE, 10, [schemathesis.checks.ignored_auth]),
}


@schemathesis.serializer("application/vnd.apache.parquet")
def _parquet_body(ctx, value):
    """Bulk-job uploads: the fuzzer's bytes as the body (anything but a valid Parquet file must be a 422)."""
    return value if isinstance(value, bytes) else str(value).encode()


@schemathesis.serializer("application/x-ndjson")
def _jsonl_body(ctx, value):
    """Live batch writes: the fuzzer's bytes as a JSON Lines body (bad lines come back as rejected)."""
    return value if isinstance(value, bytes) else str(value).encode()


@pytest.fixture(scope="module")
def served(small_index, small_engine, tmp_path_factory):
    """``keyed -> (schema, headers)`` for an app without and one with an API keys file."""
    from graph.build import GraphConfig, build_for_index
    from indexer.reader import IndexReader
    from ranking.search.pipeline import SearchEngine
    from tests.conftest import AS_OF

    tmp = tmp_path_factory.mktemp("fuzz")
    index = tmp / "index"
    shutil.copytree(small_index, index)
    build_for_index(index, GraphConfig(progress=False))
    engine = SearchEngine(IndexReader(index), small_engine.encoder, today=lambda: AS_OF, ltr=small_engine.ltr)
    _, key = ApiKeys(tmp / "keys.json").create("acme-talent")
    out = {}
    for keyed in (False, True):
        where = tmp / ("keyed" if keyed else "open")
        app = create_app(Settings(index_dir=index, jobs_dir=where / "jobs", ltr_dir=where / "ltr",
                                  evaluations_dir=where / "evaluations",
                                  standing_dir=where / "standing", live_fold_interval_s=0,
                                  api_keys_file=tmp / "keys.json" if keyed else None), engine=engine)
        out[keyed] = (schemathesis.openapi.from_asgi("/openapi.json", app),
                      {"Authorization": f"Bearer {key}"} if keyed else {})
    return out


@pytest.mark.parametrize("run", list(RUNS))
def test_no_input_makes_the_api_fail_or_break_its_contract(served, run):
    keyed, mode, examples, extra = RUNS[run]
    schema, headers = served[keyed]
    failures, tried, calls = [], 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"

        @given(case=operation.as_strategy(mode))
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case):
            label = f"{case.method.upper()} {case.path}"
            response = case.call(headers=headers)
            calls.append(label)
            if response.status_code >= 500:
                failures.append(f"{label} -> {response.status_code}: {response.text[:300]}\n"
                                f"  reproduce: {case.as_curl_command()}")
            case.validate_response(response, checks=CONTRACT + extra, headers=headers)

        try:
            fuzz()
        except Unsatisfiable:             # no invalid input exists for an operation without parameters
            assert mode is GenerationMode.NEGATIVE, label
        except Exception as exc:          # the first failing example of this operation, after shrinking
            if not any(f.startswith(f"{label} ") for f in failures):
                failures.append(f"{label} : {exc}")
        tried += 1
    print(f"\nschemathesis {run}: {tried} operations, {len(calls)} examples, {len(failures)} failures")
    assert tried >= 18, f"only {tried} operations in the schema"
    assert not failures, "\n".join(failures[:10])
