"""The fairness gate's paired comparison: hand-made served pages, k = 2, 4 candidates a page (2 women, 2 men)."""
import numpy as np
import pytest

from ranking.fairness.gate import FairnessGate, compare

GROUPS = {"sex": {"f1": "female", "f2": "female", "m1": "male", "m2": "male"}}


def pages(n: int, new_first: list[list[str]]):
    """n pages of f1 f2 m1 m2; the incumbent ranks f1 m1 first on every page (impact ratio 1), the new model
    ranks ``new_first[i % len]`` first."""
    ids = np.array(["f1", "f2", "m1", "m2"] * n, dtype=object)
    old = np.tile([4.0, 1.0, 3.0, 0.0], n)
    new = np.concatenate([[2.0 if c in new_first[i % len(new_first)] else 0.0 for c in ("f1", "f2", "m1", "m2")]
                          for i in range(n)])
    return new, old, ids, np.full(n, 4)


def gate(**kw):
    return FairnessGate(GROUPS, k=2, min_group_pool=0, bootstrap=500, **kw)


def test_a_model_that_selects_fewer_women_on_many_pages_is_refused():
    new, old, ids, sizes = pages(200, [["m1", "m2"], ["f1", "m1"]])         # women's rate 0.25 vs men's 0.75
    out, refusal = compare(gate(min_impact_ratio=0.8), new, old, ids, sizes)
    sex = out["sex"]
    assert sex["min_new"] == pytest.approx(1 / 3, abs=1e-3) and sex["min_incumbent"] == 1.0
    assert sex["bootstrap"]["requests"] == 200 and sex["bootstrap"]["diff_upper"] < 0
    assert refusal and refusal.startswith("sex minimum impact ratio 0.333 < 0.80 (incumbent 1.000")


def test_the_same_order_is_never_refused_and_its_interval_is_zero():
    _, old, ids, sizes = pages(50, [["f1", "m1"]])
    out, refusal = compare(gate(min_impact_ratio=0.8, max_relative_drop=0.0), old, old, ids, sizes)
    assert refusal is None and out["sex"]["bootstrap"]["diff_lower"] == out["sex"]["bootstrap"]["diff_upper"] == 0


def test_a_drop_on_a_few_pages_is_not_significant():
    new, old, ids, sizes = pages(3, [["m1", "m2"], ["f1", "m1"], ["f1", "m1"]])
    out, refusal = compare(gate(min_impact_ratio=0.8), new, old, ids, sizes)
    assert out["sex"]["min_new"] < 0.8 and out["sex"]["bootstrap"]["diff_upper"] >= 0 and refusal is None


def test_the_relative_drop_rule_refuses_a_significant_fall_above_the_threshold():
    # one page in 10 selects two men: women's rate 0.45 vs men's 0.55, impact ratio 0.818 (above 0.8)
    new, old, ids, sizes = pages(400, [["m1", "m2"]] + [["f1", "m1"]] * 9)
    out, refusal = compare(gate(min_impact_ratio=0.8), new, old, ids, sizes)
    assert out["sex"]["min_new"] == pytest.approx(0.45 / 0.55, abs=1e-3) and refusal is None
    _, refusal = compare(gate(min_impact_ratio=0.8, max_relative_drop=0.05), new, old, ids, sizes)
    assert refusal and "a drop of at least" in refusal and "> 5%" in refusal
    _, refusal = compare(gate(min_impact_ratio=0.8, max_relative_drop=0.3), new, old, ids, sizes)
    assert refusal is None


def test_bad_gate_settings_are_refused():
    with pytest.raises(ValueError, match="pages must be"):
        FairnessGate(GROUPS, pages="some")
