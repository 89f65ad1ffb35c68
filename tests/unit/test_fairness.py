"""Audit arithmetic against hand-computed cases, DetGreedy / DetConstSort, and the audit file's validation."""
import math

import pyarrow.parquet as pq
import pytest

from ranking.fairness.attributes import AttributeStore, FairnessSettings, read_audit_file
from ranking.fairness.audit import audit
from ranking.fairness.rerank import det_const_sort, det_greedy, fair_order
from records.errors import NotFoundError, ValidationError

GROUPS = {"a": "female", "b": "male", "c": "male", "d": "female", "e": "female", "f": "male", "g": "not_disclosed",
          "h": "male", "x": "male"}
QRELS = {"q1": {"a": 3, "b": 1, "c": 2, "d": 1}, "q2": {"e": 2, "f": 2, "g": 1}, "q3": {}}
RUN = {"q1": ["b", "a", "x", "c"], "q2": ["f", "g", "h"], "q3": ["a"]}


def test_audit_matches_the_hand_computed_case():
    r = audit(RUN, QRELS, GROUPS, attribute="sex", k=3)
    by = {g.group: g for g in r.groups}
    assert r.queries == 2                                   # q3 has no qualified candidate
    assert [g.group for g in r.groups] == ["female", "male", "not_disclosed"]
    f, m, nd = by["female"], by["male"], by["not_disclosed"]
    assert (f.pool, m.pool, nd.pool) == (3, 3, 1)
    assert (f.topk, m.topk, nd.topk) == (1, 4, 1)           # x and h hold top-3 slots without being qualified
    assert (f.selected, m.selected, nd.selected) == (1, 2, 1)
    assert f.pool_share == pytest.approx(3 / 7, abs=1e-5) and f.topk_share == pytest.approx(1 / 6, abs=1e-5)
    assert f.selection_rate == pytest.approx(1 / 3, abs=1e-5) and m.selection_rate == pytest.approx(2 / 3, abs=1e-5)
    assert f.impact_ratio == pytest.approx(0.5) and m.impact_ratio == pytest.approx(1.0)
    assert nd.impact_ratio is None and not nd.four_fifths   # reported, never compared
    assert f.four_fifths and not m.four_fifths and r.flagged == ("female",) and r.min_impact_ratio == pytest.approx(0.5)
    d2 = 1 / math.log2(3)
    total = 3.0 + 2 * d2                                     # M: 1 + .5 + 1 + .5, F: d2, ND: d2
    assert f.exposure_share == pytest.approx(d2 / total, abs=1e-5) and m.exposure_share == pytest.approx(3 / total, abs=1e-5)
    assert f.merit_share == pytest.approx(6 / 12, abs=1e-5) and m.merit_share == pytest.approx(5 / 12, abs=1e-5)
    assert f.exposure_vs_merit == pytest.approx((d2 / total) / 0.5, abs=1e-4)
    assert "| female | 0.429 | 0.167 | 0.3333 | 0.500 | **yes** |" in r.to_markdown()


def test_audit_small_groups_are_not_compared():
    groups = dict(GROUPS, d="other")
    r = audit(RUN, QRELS, groups, attribute="sex", k=3, min_share=0.2)
    by = {g.group: g for g in r.groups}
    assert by["other"].impact_ratio is None and by["female"].impact_ratio is not None


def test_det_greedy_and_const_sort_hand_case():
    scores, groups = [10, 9, 8, 7, 6, 5], ["m", "m", "m", "m", "f", "f"]
    shares = {"m": 0.5, "f": 0.5}
    assert det_greedy(scores, groups, shares, 4) == [0, 4, 1, 5]
    assert det_const_sort(scores, groups, shares, 4) == [0, 4, 1, 5]


@pytest.mark.parametrize("algorithm", ["detgreedy", "detconstsort"])
def test_every_prefix_meets_the_minimums_and_groups_keep_their_order(algorithm):
    groups = ["a"] * 12 + ["b"] * 5 + ["c"] * 3
    scores = [100 - i for i in range(20)]
    order = fair_order(scores, groups, algorithm=algorithm, top_n=20)
    assert sorted(order) == list(range(20))
    shares = {"a": 0.6, "b": 0.25, "c": 0.15}
    for n in range(1, 21):
        prefix = [groups[i] for i in order[:n]]
        for g, p in shares.items():
            assert prefix.count(g) >= math.floor(n * p) - (1 if algorithm == "detconstsort" else 0), (n, g, prefix)
    for g in shares:
        picked = [i for i in order if groups[i] == g]
        assert picked == sorted(picked)
    assert fair_order(scores, groups, top_n=5)[5:] == list(range(5, 20))


def write_csv(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_rows_name_row_and_column_and_good_rows_are_kept(tmp_path):
    path = write_csv(tmp_path / "audit.csv", [
        "candidate_id,sex,age_band,ethnicity",
        "c1,female,25_34,asian",
        "c2,robot,25_34,white",
        ",male,35_44,white",
        "c1,male,35_44,white",
        "c3,,,",
        "c4,MALE,45_54,Hispanic_or_Latino",
        "c5,male,40,white",
    ])
    f = read_audit_file(path)
    assert f.table.column("candidate_id").to_pylist() == ["c1", "c3", "c4"]
    assert f.column("sex") == {"c1": "female", "c3": "not_disclosed", "c4": "male"}
    msgs = [str(e) for e in f.errors]
    assert msgs[0].startswith("row 2, column sex: 'robot' is not one of")
    assert msgs[1] == "row 3, column candidate_id: empty"
    assert msgs[2] == "row 4, column candidate_id: 'c1' already given in row 1"
    assert msgs[3].startswith("row 7, column age_band: '40'")


def test_an_audit_file_without_candidate_id_or_valid_rows_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="column candidate_id is missing"):
        read_audit_file(write_csv(tmp_path / "a.csv", ["id,sex", "c1,male"]))
    with pytest.raises(ValidationError, match="no valid row .row 1, column sex"):
        read_audit_file(write_csv(tmp_path / "b.csv", ["candidate_id,sex", "c1,x"]))
    with pytest.raises(ValidationError, match="audit files are .parquet, .csv or .jsonl"):
        read_audit_file(write_csv(tmp_path / "c.txt", ["candidate_id,sex"]))
    (tmp_path / "d.jsonl").write_text('{"candidate_id": "c1", "sex": 1}\n')
    with pytest.raises(ValidationError, match="row 1, column sex: expected text, got int 1"):
        read_audit_file(tmp_path / "d.jsonl")


def test_store_keeps_tenants_apart(tmp_path):
    f = read_audit_file(write_csv(tmp_path / "a.csv", ["candidate_id,sex", "c1,female", "c2,male"]))
    store = AttributeStore(tmp_path / "fair")
    manifest = store.put("acme", f)
    assert manifest["rows"] == 2 and manifest["disclosed"]["sex"] == 2 and manifest["disclosed"]["ethnicity"] == 0
    assert store.groups("acme", "sex") == {"c1": "female", "c2": "male"}
    assert store.groups("globex", "sex") == {}
    with pytest.raises(NotFoundError, match="globex"):
        store.get("globex")
    with pytest.raises(ValidationError, match="tenant_id"):
        store.get("../acme")
    assert pq.read_schema(tmp_path / "fair/tenants/acme/audit.parquet").metadata[b"talentsearch.schema"] == b"audit-attributes/1"
    assert store.settings("acme") == FairnessSettings()          # off by default
    store.set_settings("acme", FairnessSettings(enabled=True, attribute="ethnicity", algorithm="detconstsort"))
    assert store.settings("acme").enabled and store.settings("globex").enabled is False
    with pytest.raises(ValidationError, match="algorithm"):
        FairnessSettings(algorithm="sorted")
    with pytest.raises(ValidationError, match="protected: algorithm 'fair'"):
        FairnessSettings(algorithm="fair")                      # FA*IR needs the protected group
    with pytest.raises(ValidationError, match="protected: one of"):
        FairnessSettings(algorithm="fair", protected="not_disclosed")
    with pytest.raises(ValidationError, match="alpha"):
        FairnessSettings(algorithm="fair", protected="female", alpha=1.5)
    fair = FairnessSettings(enabled=True, algorithm="fair", protected="female", min_proportion=0.5)
    store.set_settings("acme", fair)
    assert store.settings("acme") == fair
    with pytest.raises(ValidationError, match="target"):
        FairnessSettings(target="census")


def test_population_target_uses_the_whole_file(tmp_path):
    from ranking.fairness.stage import FairnessStage

    rows = ["candidate_id,sex"] + [f"m{i},male" for i in range(6)] + [f"f{i},female" for i in range(6)]
    store = AttributeStore(tmp_path / "fair")
    store.put("acme", read_audit_file(write_csv(tmp_path / "a.csv", rows)))
    store.set_settings("acme", FairnessSettings(enabled=True, top_n=4))
    ranked = ["m0", "m1", "m2", "m3", "f0"]
    pool = FairnessStage(store).plan("acme")
    assert pool.order(ranked, [5, 4, 3, 2, 1]) == [0, 1, 2, 3, 4]        # the top 4 are all men: nothing to move
    store.set_settings("acme", FairnessSettings(enabled=True, top_n=5, target="population"))
    plan = FairnessStage(store).plan("acme")
    assert plan.population == {"male": 0.5, "female": 0.5} and plan.label == "detgreedy:sex@5/population"
    assert plan.order(ranked, [5, 4, 3, 2, 1])[:2] == [0, 4]            # half the file is women: one by position 2
    # FA*IR toward p = 0.5 over 12: the binomial test tolerates fewer women early than DetGreedy does
    from ranking.fairness.fair import mtable

    ranked = [f"m{i}" for i in range(6)] + [f"f{i}" for i in range(6)]
    store.set_settings("acme", FairnessSettings(enabled=True, top_n=12, algorithm="fair", protected="female", target="population"))
    order = FairnessStage(store).plan("acme").order(ranked, list(range(12, 0, -1)))
    need = mtable(12, 0.5, 0.1)
    women = [sum(i >= 6 for i in order[: n + 1]) for n in range(12)]
    # a man whenever the table allows and men are left (they score higher), a woman when it demands
    assert women == [max(m, n + 1 - 6) for n, m in enumerate(need)] and need[4] == 1
    assert sorted(order) == list(range(12)) and [i for i in order if i < 6] == list(range(6))


def test_biased_simulated_recruiters_engage_less_with_the_group():
    import datetime as dt

    import numpy as np

    from benchmarks.simulator.recruiters import ClickModel, session_events

    def engaged(factors):
        n = 0
        for seed in range(200):
            ev = session_events(np.random.default_rng(seed), ClickModel(patience=1.0), tenant="t", recruiter="r",
                                request_id="q", shown=["a", "b"], grades=[0, 3], tastes=[0.0, 1.0],
                                start=dt.datetime(2026, 11, 1), prefix=f"p{seed}", factors=factors)
            n += sum(e["type"] == "shortlist" and e["candidate_id"] == "b" for e in ev)
        return n

    fair, biased = engaged(None), engaged([1.0, 0.1])
    assert fair > 100 and biased < fair / 4

    def viewed(view_factors):
        return sum(any(e["type"] == "view" for e in session_events(
            np.random.default_rng(seed), ClickModel(patience=1.0), tenant="t", recruiter="r", request_id="q", shown=["b"],
            grades=[3], tastes=[1.0], start=dt.datetime(2026, 11, 1), prefix=f"p{seed}", view_factors=view_factors))
            for seed in range(200))

    assert viewed(None) > 150 and viewed([0.1]) < 40       # a bias against what the snippet shows: fewer opened
