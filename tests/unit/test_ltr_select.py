"""In-product model selection inside ``fit``: deterministic, never reads the gate's holdout, recorded."""
import numpy as np
import pytest

from ranking.ltr.features import EVAL_FEATURES, FEATURE_NAMES
from ranking.ltr.labels import TrainingSet
from ranking.ltr.train import LtrConfig, _split, fit

YEARS = FEATURE_NAMES.index("pair_years_experience")


def served(rng, n):
    """Random served feature rows; the eval_* columns are 0, as for searches without qualifications."""
    base = rng.random((n, len(FEATURE_NAMES) - len(EVAL_FEATURES))).astype(np.float32)
    return np.hstack([base, np.zeros((n, len(EVAL_FEATURES)), np.float32)])
SELECT = LtrConfig(select=True, num_boost_round=40, early_stopping_rounds=10, grid_num_leaves=(3, 7), grid_min_data_in_leaf=(5, 20),
                   min_select_requests=20, threads=1)


def training_set(requests=300, page=10, seed=0) -> TrainingSet:
    """Served pages with random features; the label rises with experience, plus noise (grades 0-6)."""
    rng = np.random.default_rng(seed)
    n = requests * page
    X = served(rng, n)
    X[:, YEARS] = rng.uniform(0, 30, n)
    y = np.clip(np.round(X[:, YEARS] / 6 + rng.normal(0, 1.0, n)), 0, 6).astype(np.int32)
    rids = np.repeat([f"acme-req{r}" for r in range(requests)], page).astype(object)
    cids = np.array([f"acme-c{i}" for i in range(n)], dtype=object)
    return TrainingSet(X, y, np.full(requests, page, dtype=np.int32), np.tile(np.arange(page, dtype=np.int32), requests),
                       rids, cids, (None, None), 0)


def test_selection_is_deterministic_and_picks_the_simplest_within_one_standard_error():
    ts = training_set()
    b1, m1, _ = fit(ts, SELECT)
    b2, m2, _ = fit(ts, SELECT)
    assert b1.model_to_string() == b2.model_to_string() and m1 == m2
    sel = m1["selection"]
    assert sel["enabled"] and sel["rule"] == "one standard error" and len(sel["grid"]) == 4
    # simplest first: fewer leaves, then more data per leaf
    assert [(g["num_leaves"], g["min_data_in_leaf"]) for g in sel["grid"]] == [(3, 20), (3, 5), (7, 20), (7, 5)]
    best = max(sel["grid"], key=lambda g: g["inner_ndcg@10"])          # max() keeps the first of ties, as fit does
    assert sel["best"]["inner_ndcg@10"] == best["inner_ndcg@10"] and best["inner_se"] > 0
    bar = best["inner_ndcg@10"] - best["inner_se"]
    pick = next(g for g in sel["grid"] if g["inner_ndcg@10"] >= bar - 1e-5)
    assert all(g["inner_ndcg@10"] < bar + 1e-5 for g in sel["grid"][:sel["grid"].index(pick)])
    assert sel["chosen"] == {"num_leaves": pick["num_leaves"], "min_data_in_leaf": pick["min_data_in_leaf"],
                             "num_boost_round": pick["best_iteration"], "inner_ndcg@10": pick["inner_ndcg@10"]}
    assert m1["params"] == {"num_leaves": pick["num_leaves"], "min_data_in_leaf": pick["min_data_in_leaf"],
                            "learning_rate": SELECT.learning_rate, "num_boost_round": pick["best_iteration"]}
    assert b1.current_iteration() == pick["best_iteration"] <= SELECT.num_boost_round


def test_one_standard_error_rule_prefers_small_trees_when_large_ones_win_by_noise():
    """Labels from one feature plus heavy noise: the grid's larger trees may score a hair higher on the inner
    split, but not by a standard error, so the rule keeps the smallest tree."""
    rng = np.random.default_rng(3)
    ts = training_set(requests=400, seed=3)
    y = np.clip(np.round(ts.X[:, YEARS] / 10 + rng.normal(0, 2.0, len(ts.y))), 0, 6).astype(np.int32)
    noisy = TrainingSet(ts.X, y, ts.group, ts.position, ts.request_ids, ts.candidate_ids, ts.window, ts.events)
    sel = fit(noisy, SELECT)[1]["selection"]
    assert sel["best"]["num_leaves"] == 7                                # plain argmax would take the big trees
    assert sel["chosen"]["num_leaves"] == 3
    assert sel["best"]["inner_ndcg@10"] - sel["chosen"]["inner_ndcg@10"] <= sel["best"]["inner_se"] + 1e-5


def test_selection_uses_no_holdout_row():
    """Scramble every holdout row (features and labels): selection and the final model do not change, only the
    holdout score does; the inner split partitions exactly the non-holdout requests."""
    ts = training_set()
    _, hold_rows, hold_group = _split(ts, SELECT.holdout_fraction)
    assert 0 < hold_group.sum() < len(hold_group)
    rng = np.random.default_rng(7)
    X, y = ts.X.copy(), ts.y.copy()
    X[hold_rows] = rng.random((hold_rows.sum(), X.shape[1])).astype(np.float32) * 1000
    y[hold_rows] = rng.integers(0, 7, hold_rows.sum())
    scrambled = TrainingSet(X, y, ts.group, ts.position, ts.request_ids, ts.candidate_ids, ts.window, ts.events)
    b1, m1, _ = fit(ts, SELECT)
    b2, m2, _ = fit(scrambled, SELECT)
    assert m1["selection"] == m2["selection"] and m1["params"] == m2["params"]
    assert b1.model_to_string() == b2.model_to_string()
    assert m1["holdout_ndcg@10"] != m2["holdout_ndcg@10"]               # the scrambling did reach the holdout
    inner = _split(ts, SELECT.inner_fraction, salt="select:")[2]
    assert not (inner & hold_group).all()                                # the salted hash is not the gate's split
    sel = m1["selection"]
    assert sel["inner_validation_requests"] == int((inner & ~hold_group).sum()) > 0
    assert sel["inner_validation_requests"] + sel["inner_train_requests"] == m1["train_requests"] == int((~hold_group).sum())


def test_selection_off_or_too_little_data_keeps_the_configured_shape():
    ts = training_set()
    off = LtrConfig(num_boost_round=15, num_leaves=5, min_data_in_leaf=9, select=False, threads=1)
    booster, m, _ = fit(ts, off)
    assert m["selection"] == {"enabled": False}
    assert m["params"] == {"num_leaves": 5, "min_data_in_leaf": 9, "learning_rate": 0.05, "num_boost_round": 15}
    assert booster.current_iteration() == 15
    _, small, _ = fit(training_set(requests=60), SELECT)                 # ~10 inner-validation requests < 20
    assert "skipped" in small["selection"] and small["params"]["num_leaves"] == SELECT.num_leaves


def test_bad_selection_config_is_refused():
    with pytest.raises(ValueError, match="grid"):
        LtrConfig(select=True, grid_num_leaves=())
    LtrConfig(grid_num_leaves=())              # without selection the grid is not used
    with pytest.raises(ValueError, match="inner_fraction"):
        LtrConfig(inner_fraction=0.0)
