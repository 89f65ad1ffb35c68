"""Backends under contract: the embedded tantivy index and OpenSearch, over one generated corpus.

OpenSearch is ``osmem-server`` (an in-memory OpenSearch-compatible server from PyPI) started
here, or the real cluster named by ``OPENSEARCH_URL`` (auth and TLS from ``OPENSEARCH_USERNAME``,
``OPENSEARCH_PASSWORD``, ``OPENSEARCH_VERIFY_CERTS``, ``OPENSEARCH_CA_CERTS``). Tests take
``backend`` (parametrised over both) and compare it with ``oracle`` (tests/support/oracle.py,
written from the language's definition) and, for scores, with ``peer`` (the other backend).
"""
from __future__ import annotations

import os
import uuid

import numpy as np
import pyarrow as pa
import pytest

from tests.conftest import AS_OF

CORPUS_PROFILES = 1500


def _indexed_table(tmp_dir):
    from benchmarks.synth import generate
    from indexer.derive import derive
    from indexer.validate import read_profiles
    from records.schema import INDEXED_SCHEMA

    generate(tmp_dir, profiles=CORPUS_PROFILES, seed=7, as_of=AS_OF, queries=0, progress=False)
    tables = [t for t, _bad in read_profiles(tmp_dir / "profiles.parquet", batch_rows=5000)]
    table = derive(pa.concat_tables(tables), as_of=AS_OF)
    table = table.append_column("content_hash", pa.array([""] * table.num_rows, pa.string()))
    table = table.add_column(0, "ord", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    return table.select(INDEXED_SCHEMA.names).cast(INDEXED_SCHEMA)


@pytest.fixture(scope="session")
def contract_store(tmp_path_factory):
    from indexer.store import ProfileStore

    return ProfileStore(_indexed_table(tmp_path_factory.mktemp("contract-corpus")))


@pytest.fixture(scope="session")
def opensearch_config():
    """An OpenSearchConfig for a real cluster (OPENSEARCH_URL) or a session osmem-server."""
    from indexer.opensearch.config import OpenSearchConfig

    prefix = f"ts-test-{uuid.uuid4().hex[:8]}"
    url = os.environ.get("OPENSEARCH_URL")
    if url:
        yield OpenSearchConfig(url=url, username=os.environ.get("OPENSEARCH_USERNAME"),
                               password=os.environ.get("OPENSEARCH_PASSWORD"),
                               verify_certs=os.environ.get("OPENSEARCH_VERIFY_CERTS", "true").lower() != "false",
                               ca_certs=os.environ.get("OPENSEARCH_CA_CERTS"), index_prefix=prefix, replicas=0)
        return
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    try:
        yield OpenSearchConfig(url=server.url, index_prefix=prefix, replicas=0, backoff_s=0.05, bulk_retries=1)
    finally:
        server.close()


@pytest.fixture(scope="session")
def backends(contract_store, opensearch_config, tmp_path_factory):
    from indexer.lexical import TantivyLexicalIndex
    from indexer.opensearch.index import OpenSearchLexicalIndex

    rows = contract_store.table.to_pylist()
    tan = TantivyLexicalIndex(tmp_path_factory.mktemp("contract-tantivy") / "lexical", create=True)
    tan.add(rows)
    tan.commit()
    osx = OpenSearchLexicalIndex(opensearch_config, opensearch_config.index_name("v000001"))
    osx.create(loading=True)
    report = osx.bulk_index(rows, total=len(rows))
    osx.finish_load()
    assert report.ok and osx.num_docs() == len(rows), report.failed[:5]
    yield {"tantivy": tan, "opensearch": osx}
    osx.client.indices.delete(index=osx.index, ignore_unavailable=True)


@pytest.fixture(params=["tantivy", "opensearch"])
def backend(request, backends):
    return backends[request.param]


@pytest.fixture
def peer(request, backend, backends):
    """The other backend, for comparisons that have no exact oracle (BM25 rankings)."""
    return backends["opensearch" if backend.name == "tantivy" else "tantivy"]
