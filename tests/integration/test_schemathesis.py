"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema (schemathesis): no input,
however malformed, may produce a 5xx. The index has a graph so that /v1/insights is fully served."""
import shutil

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")

from api.app import create_app  # noqa: E402
from api.settings import Settings  # noqa: E402


@schemathesis.serializer("application/vnd.apache.parquet")
def _parquet_body(ctx, value):
    """Bulk-job uploads: the fuzzer's bytes as the body (anything but a valid Parquet file must be a 422)."""
    return value if isinstance(value, bytes) else str(value).encode()


@pytest.fixture(scope="module")
def api_schema(small_index, small_engine, tmp_path_factory):
    from graph.build import GraphConfig, build_for_index
    from indexer.reader import IndexReader
    from ranking.pipeline import SearchEngine
    from tests.conftest import AS_OF

    tmp = tmp_path_factory.mktemp("fuzz")
    index = tmp / "index"
    shutil.copytree(small_index, index)
    build_for_index(index, GraphConfig(progress=False))
    engine = SearchEngine(IndexReader(index), small_engine.encoder, today=lambda: AS_OF, ltr=small_engine.ltr)
    app = create_app(Settings(index_dir=index, jobs_dir=tmp / "jobs", ltr_dir=tmp / "ltr"), engine=engine)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_input_makes_the_api_fail(api_schema):
    failures, tried = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case):
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{operation.method.upper()} {operation.path} -> {response.status_code}: "
                                f"{response.text[:300]}\n  reproduce: {case.as_curl_command()}")
            case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])

        try:
            fuzz()
        except Exception as exc:          # the first failing example of this operation, after shrinking
            if not any(f.startswith(f"{operation.method.upper()} {operation.path} ") for f in failures):
                failures.append(f"{operation.method.upper()} {operation.path} : {exc}")
        tried += 1
    assert tried >= 12, f"only {tried} operations in the schema"
    assert not failures, "\n".join(failures[:10])
