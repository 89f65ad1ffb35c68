"""Fixtures of the ingest tests: the hand-made profiles as rows, and a JSONL writer."""
import json

import pytest

from tests.conftest import DATA


@pytest.fixture
def rows():
    return [json.loads(x) for x in (DATA / "profiles_small.jsonl").read_text().splitlines()]


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
