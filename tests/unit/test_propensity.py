"""Position propensities (PBM, from pairs shown at several positions) and the IPS holdout metric the promotion gate uses."""
import numpy as np
import pytest

from ranking.ltr.train import ndcg_at
from ranking.ltr.propensity import Propensities, estimate, ips_dcg

TRUE = 0.85 ** np.arange(20)            # examination probability per 0-based position


def pbm_log(pairs=1000, shows=10, seed=0):
    """Each (query, candidate) pair shown ``shows`` times at random positions; engaged ~ theta[pos] * gamma."""
    rng = np.random.default_rng(seed)
    gamma = rng.uniform(0.05, 0.95, pairs)
    doc = np.repeat(np.arange(pairs), shows)
    pos = rng.integers(0, len(TRUE), len(doc))
    engaged = rng.random(len(doc)) < TRUE[pos] * gamma[doc]
    return pos, engaged, np.array([f"q{d % 37}\x1fc{d}" for d in doc], dtype=object)


def test_recovers_the_examination_curve():
    pos, engaged, keys = pbm_log(pairs=5000)
    props = estimate(pos, engaged, keys, clip=0.01)
    assert props is not None and props.informative_pairs == 5000 and props.rows == 50_000
    theta = np.array(props.theta)
    assert theta.max() == 1.0
    assert np.abs(theta[:10] - TRUE[:10]).max() < 0.08          # relative to position 1, as IPS needs
    assert theta[0] > theta[5] > theta[15]
    assert props.of(np.array([0, 19, 500])).tolist() == pytest.approx([theta[0], theta[19], theta[19]])


def test_pairs_shown_at_one_position_carry_no_information():
    rng = np.random.default_rng(1)
    pos = rng.integers(0, 20, 5000)
    keys = np.array([f"q\x1fc{i}" for i in range(5000)], dtype=object)      # every pair once
    assert estimate(pos, rng.random(5000) < 0.3, keys) is None
    pos, engaged, keys = pbm_log(pairs=30)
    assert estimate(pos, engaged, keys, min_pairs=50) is None                # too few informative pairs
    assert estimate(pos, np.zeros_like(engaged), keys, min_pairs=10) is None  # nothing engaged


def test_ips_metric_does_not_favour_the_order_that_served_the_page():
    """Pages served in a poor order; engagement with position bias. Raw labels rate the serving order above
    the truly better one (its top hits were the ones looked at); IPS-weighted labels do not."""
    rng = np.random.default_rng(3)
    page, requests = 10, 2000
    rel = rng.uniform(0, 1, (requests, page))
    incumbent = rel + rng.normal(0, 0.5, rel.shape)                                     # a noisy model served
    better = rel + rng.normal(0, 0.2, rel.shape)                                        # a better one, not served
    served_pos = np.argsort(np.argsort(-incumbent, axis=1), axis=1)
    engaged = rng.random((requests, page)) < TRUE[served_pos] * rel
    labels = np.where(engaged, 2, 1).ravel()                                             # view > impression only
    group = np.full(requests, page)
    position = served_pos.ravel()
    incumbent, better = incumbent.ravel(), better.ravel()
    assert ndcg_at(incumbent, labels, group) > ndcg_at(better, labels, group)
    props = Propensities(tuple(TRUE), 0, 0, 0, 0, clip=0.05)
    assert ips_dcg(better, labels, group, position, props, engaged_above=1) > \
        ips_dcg(incumbent, labels, group, position, props, engaged_above=1)


def test_ips_metric_bounds_and_weights():
    props = Propensities((1.0, 0.5, 0.25), 0, 0, 0, 0, clip=0.3)
    labels, group, position = np.array([1, 2, 0, 3]), np.array([4]), np.array([0, 1, 2, 2])
    perfect = np.array([0.0, 1.0, 0.0, 2.0])
    assert ips_dcg(perfect, labels, group, position, props, engaged_above=1) == pytest.approx(1.0)
    # the label-3 hit at position 2 weighs (8 - 2) / max(0.25, clip 0.3) = 20, the label-2 one (4 - 2) / 0.5 = 4
    swapped = np.array([0.0, 2.0, 0.0, 1.0])
    expect = (4 + 20 / np.log2(3)) / (20 + 4 / np.log2(3))
    assert ips_dcg(swapped, labels, group, position, props, engaged_above=1) == pytest.approx(expect)
    assert ips_dcg(perfect, np.ones(4, int), group, position, props, engaged_above=1) == 0.0   # nothing engaged


def test_explored_pages_identify_propensities_without_repeated_queries():
    """Every page has its own candidates (no pair is ever shown twice); the engine swapped adjacent hits at
    random, so grouping by the engine's rank recovers the curve."""
    rng = np.random.default_rng(5)
    pages, depth = 4000, 10
    rank = np.tile(np.arange(depth), pages)
    rel = np.clip(0.9 - 0.06 * rank + rng.normal(0, 0.1, len(rank)), 0, 1)      # better ranks are better hits
    shown = rank.copy().reshape(pages, depth)
    for p in range(pages):
        for i in range(int(rng.integers(0, 2)), depth - 1, 2):
            if rng.random() < 0.5:
                shown[p, i], shown[p, i + 1] = shown[p, i + 1], shown[p, i]
    shown = shown.ravel()
    engaged = rng.random(len(rank)) < TRUE[shown] * rel
    by_pair = np.array([f"q{i // depth}\x1fc{i}" for i in range(len(rank))], dtype=object)
    assert estimate(shown, engaged, by_pair) is None                           # nothing repeats
    by_rank = np.array([f"\x1drank\x1f{r}" for r in rank], dtype=object)
    props = estimate(shown, engaged, by_rank, randomized=np.ones(len(rank), bool), clip=0.01)
    assert props is not None and props.informative_pairs == depth
    assert np.abs(np.array(props.theta) - TRUE[:depth]).max() < 0.08          # chained ratios: noise grows with depth
    naive = np.bincount(shown, weights=engaged) / np.bincount(shown)            # click rates mix in relevance
    assert np.abs(naive / naive[0] - TRUE[:depth]).max() > 0.1
