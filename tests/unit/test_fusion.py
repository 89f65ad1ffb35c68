"""Fusion written out as arithmetic (ranx style), plus invariants."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ranking.search.fusion import FUSERS, rrf, weighted
from records.hits import Hit


def run(*ords, scores=None):
    scores = scores or [float(len(ords) - i) for i in range(len(ords))]
    return [Hit(o, s) for o, s in zip(ords, scores)]


def test_rrf_is_the_sum_of_reciprocal_ranks():
    fused = dict(rrf({"lexical": run(1, 2, 3), "dense": run(3, 1)}, rrf_k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[2] == pytest.approx(1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)


def test_rrf_order_and_tie_break_by_best_rank():
    # 1 and 3 tie on score: both have ranks {1, 2} -> (1/61 + 1/62); tie broken by best rank then ord
    fused = rrf({"a": run(1, 3), "b": run(3, 1)}, rrf_k=60)
    assert [o for o, _ in fused] == [1, 3]


def test_rrf_weights_scale_each_run():
    fused = dict(rrf({"a": run(1), "b": run(2)}, rrf_k=0, weights={"a": 2.0, "b": 1.0}))
    assert fused == {1: 2.0, 2: 1.0}


def test_weighted_min_max():
    fused = dict(weighted({"lexical": run(1, 2, 3, scores=[10.0, 6.0, 2.0]), "dense": run(2, 3, scores=[0.9, 0.5])},
                          weights={"lexical": 0.5, "dense": 0.5}))
    assert fused[1] == pytest.approx(0.5 * 1.0)
    assert fused[2] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    assert fused[3] == pytest.approx(0.5 * 0.0 + 0.5 * 0.0)


def test_weighted_constant_run_normalises_to_one():
    fused = dict(weighted({"a": run(1, 2, scores=[3.0, 3.0])}, weights={"a": 1.0}))
    assert fused == {1: 1.0, 2: 1.0}


def test_negative_rrf_k_rejected():
    with pytest.raises(ValueError):
        rrf({"a": run(1)}, rrf_k=-1)


runs_strategy = st.lists(st.integers(0, 40), max_size=25, unique=True).map(lambda ords: run(*ords))


@given(a=runs_strategy, b=runs_strategy, name=st.sampled_from(sorted(FUSERS)))
def test_fusion_ignores_run_order_and_has_no_duplicates(a, b, name):
    fuse = FUSERS[name]
    one = fuse({"x": a, "y": b}, weights={"x": 0.5, "y": 0.5})
    two = fuse({"y": b, "x": a}, weights={"x": 0.5, "y": 0.5})
    assert [o for o, _ in one] == [o for o, _ in two]
    ords = [o for o, _ in one]
    assert len(ords) == len(set(ords)) == len({h.ord for h in a} | {h.ord for h in b})
