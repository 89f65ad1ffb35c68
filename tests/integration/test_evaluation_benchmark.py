"""The evaluation benchmark's cases on a small generated corpus: every evidence span is a substring of the
profile field it cites, and structured meets stay precise (the full run: python -m benchmarks.evaluation)."""
import datetime as dt

import pyarrow.parquet as pq
import pytest

from benchmarks.evaluation_cases import build_cases
from benchmarks.synth import generate
from benchmarks.synth.world import build_world
from indexer.derive import derive
from query.qualifications import parse_qualifications
from ranking.evaluate.offline import OfflineEvaluator
from ranking.evaluate.profile import verified
from records.taxonomy import Taxonomy


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("evalcorpus")
    generate(out, profiles=400, seed=7, queries=0, progress=False)
    as_of = dt.date(2026, 11, 1)
    profiles = derive(pq.read_table(out / "profiles.parquet"), as_of=as_of).to_pylist()
    truth = pq.read_table(out / "truth.parquet").to_pylist()
    companies = pq.read_table(out / "companies.parquet", columns=["name"]).column("name").to_pylist()
    return profiles, truth, companies, as_of


def test_every_span_is_in_the_profile_and_structured_meets_are_precise(corpus):
    profiles, truth, companies, as_of = corpus
    cases = [c for c in build_cases(profiles, truth, build_world(Taxonomy.load()), companies, per_kind=60, free_text=0, seed=3)]
    assert len({c.qual["kind"] for c in cases}) == 7 and len(cases) > 350
    ev = OfflineEvaluator(today=as_of)
    spans, tp, said = 0, 0, 0
    for c in cases:
        j = ev.evaluate([profiles[c.row]], parse_qualifications([c.qual]))[0][0]
        for e in j.evidence:
            spans += 1
            assert verified(profiles[c.row], e), (c, e)
        said += j.verdict == "meets"
        tp += j.verdict == "meets" and c.expected == "meets"
    assert spans > 300 and tp / said >= 0.95
