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
    directory = pq.read_table(out / "companies.parquet", columns=["company_id", "name", "industry"]).to_pylist()
    return profiles, truth, directory, as_of


def test_every_span_is_in_the_profile_and_structured_meets_are_precise(corpus):
    profiles, truth, directory, as_of = corpus
    industries = {c["company_id"]: c["industry"] for c in directory}
    cases = build_cases(profiles, truth, build_world(Taxonomy.load()), [c["name"] for c in directory], per_kind=60,
                        free_text=0, seed=3, industries=industries, today=as_of, languages=30)
    kinds = {c.kind for c in cases}
    assert kinds >= {"years_skill", "industry", "language"} and len(kinds) == 10 and len(cases) > 500
    assert {c.expected for c in cases if c.kind == "years_skill"} == {"meets", "partly", "contradicts", "no_evidence"}
    ev = OfflineEvaluator(today=as_of, company_industries=industries)
    spans, tp, said = 0, 0, 0
    for c in cases:
        j = ev.evaluate([profiles[c.row]], parse_qualifications([c.qual]))[0][0]
        for e in j.evidence:
            spans += 1
            assert verified(profiles[c.row], e), (c, e)
        said += j.verdict == "meets"
        tp += j.verdict == "meets" and c.expected == "meets"
    assert spans > 300 and tp / said >= 0.95
