import datetime as dt
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
AS_OF = dt.date(2026, 11, 1)


@pytest.fixture(scope="session")
def encoder():
    from indexer.encoder import EncoderConfig, MiniLMEncoder

    return MiniLMEncoder(EncoderConfig())


@pytest.fixture(scope="session")
def small_index(tmp_path_factory, encoder):
    """The hand-made 12-profile corpus (tests/data/profiles_small.jsonl), indexed once."""
    from indexer.build import IndexConfig, ingest

    index_dir = tmp_path_factory.mktemp("small") / "index"
    ingest([DATA / "profiles_small.jsonl"], index_dir, IndexConfig(as_of=AS_OF), progress=False, encoder=encoder)
    return index_dir


@pytest.fixture(scope="session")
def small_engine(small_index, encoder):
    from indexer.reader import IndexReader
    from ranking.search.pipeline import SearchEngine

    return SearchEngine(IndexReader(small_index), encoder, today=lambda: AS_OF)
