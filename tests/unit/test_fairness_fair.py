"""FA*IR (ranking/fairness/fair.py) against hand-computed binomial tables and rankings."""
import itertools

import pytest

from ranking.fairness.fair import _fail_probability, adjusted_alpha, fa_ir, mtable


def test_the_minimum_table_is_the_binomial_quantile():
    # p = 0.5, alpha = 0.1: m(k) is the smallest m with P[Bin(k, .5) <= m] > .1
    # k=3: P[0] = 1/8 > .1 -> 0; k=4: P[0] = 1/16, P[<=1] = 5/16 -> 1; k=7: P[<=1] = 8/128, P[<=2] = 29/128 -> 2
    assert mtable(10, 0.5, 0.1, adjust=False) == (0, 0, 0, 1, 1, 1, 2, 2, 3, 3)
    assert mtable(5, 0.0, 0.1) == (0,) * 5
    with pytest.raises(ValueError, match="alpha"):
        mtable(5, 0.5, 0.0)


def test_the_adjusted_alpha_keeps_the_overall_failure_probability_at_alpha():
    # m = (0, 1): a fair ranking fails only when both of the first two are unprotected: 1/4
    assert _fail_probability([0, 1], 0.5) == pytest.approx(0.25)
    # brute force over all 2^10 rankings of the unadjusted table: more than alpha fail
    m = mtable(10, 0.5, 0.1, adjust=False)
    fails = sum(any(sum(bits[: i + 1]) < m[i] for i in range(10)) for bits in itertools.product((0, 1), repeat=10))
    assert _fail_probability(m, 0.5) == pytest.approx(fails / 1024) and fails / 1024 > 0.1
    a = adjusted_alpha(10, 0.5, 0.1)
    assert a < 0.1 and _fail_probability(mtable(10, 0.5, 0.1), 0.5) <= 0.1 + 1e-9
    assert mtable(10, 0.5, 0.1) == tuple(int(x) for x in mtable(10, 0.5, a, adjust=False))


def test_fa_ir_meets_the_table_and_keeps_each_groups_order():
    scores = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    groups = ["m"] * 8 + ["f", "f"]
    out = fa_ir(scores, groups, {"f": 0.5}, 10, protected="f", alpha=0.1, adjust=False)
    need = mtable(10, 0.5, 0.1, adjust=False)
    # the first woman must be in by position 4 (need 1), the second by 7 (need 2); then the queue is dry
    assert out == [0, 1, 2, 8, 3, 4, 9, 5, 6, 7]
    assert all(sum(groups[j] == "f" for j in out[: i + 1]) >= min(need[i], 2) for i in range(10))
    # nothing to do when the protected group already leads, and k caps the output
    assert fa_ir(scores, ["f"] * 10, {"f": 0.5}, 3, protected="f") == [0, 1, 2]
    assert fa_ir(scores, ["m"] * 10, {"f": 0.5}, 4, protected="f") == [0, 1, 2, 3]
