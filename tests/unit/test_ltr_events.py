"""Events: validation with reasons, idempotency, tenant scoping, durability; labels from events."""
import datetime as dt

import numpy as np
import pytest

from ranking.ltr.events import EventStore, parse_event
from ranking.ltr.labels import DEFAULT_GRADES, LabelConfig, build_training_set
from records.errors import ValidationError

NAMES = ("f0", "f1")


def ev(i, kind="view", cand="c1", request="r1", position=None, tenant="acme", ts="2026-11-01T10:00:00Z", **extra):
    out = {"event_id": f"e{i}", "type": kind, "tenant_id": tenant, "recruiter_id": "rec1", "candidate_id": cand,
           "timestamp": ts, **extra}
    if request is not None:
        out["request_id"] = request
    if position is not None:
        out["position"] = position
    return out


@pytest.mark.parametrize("raw, field", [
    ({**ev(1), "type": "click"}, "type"),
    ({**ev(1), "timestamp": "yesterday"}, "timestamp"),
    ({k: v for k, v in ev(1).items() if k != "candidate_id"}, "candidate_id"),
    ({**ev(1), "recruiter_id": "has space"}, "recruiter_id"),
    (ev(1, "impression"), "impression"),                          # no position
    (ev(1, "impression", position=0), "position"),
    ({**ev(1), "colour": "red"}, "colour"),
    ({**ev(1), "tenant_id": "../etc"}, "tenant_id"),
])
def test_malformed_event_is_rejected_naming_the_field(raw, field):
    with pytest.raises(ValidationError, match=field):
        parse_event(raw)


def test_header_tenant_must_match_body():
    with pytest.raises(ValidationError, match="tenant_id"):
        parse_event(ev(1, tenant="globex"), tenant_id="acme")
    assert parse_event({k: v for k, v in ev(1).items() if k != "tenant_id"}, tenant_id="acme").tenant_id == "acme"


def test_bad_events_reported_good_kept_and_idempotent(tmp_path):
    store = EventStore(tmp_path, "acme")
    batch = [ev(1, "impression", position=1), {**ev(2), "type": "nope"}, ev(3, "shortlist"), "not an object"]
    report = store.add(batch, tenant_id="acme")
    assert report.accepted == 2 and report.duplicates == 0
    assert [(r.index, r.event_id) for r in report.rejected] == [(1, "e2"), (3, None)]
    assert "type" in report.rejected[0].reason
    again = store.add([ev(1, "impression", position=1), ev(3, "shortlist"), ev(4)], tenant_id="acme")
    assert (again.accepted, again.duplicates) == (1, 2)
    store.close()
    reopened = EventStore(tmp_path, "acme")          # durable: a new connection sees everything
    assert sorted(e.event_id for e in reopened.events()) == ["e1", "e3", "e4"]
    assert reopened._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_refuses_other_tenants_events(tmp_path):
    store = EventStore(tmp_path, "acme")
    report = store.add([ev(1, tenant="globex")])
    assert report.accepted == 0 and "globex" in report.rejected[0].reason
    assert store.count_events() == 0
    assert (tmp_path / "tenants" / "acme" / "events.sqlite").exists()
    assert not (tmp_path / "tenants" / "globex").exists()


def _served(store, request, cands, features):
    store.log_features(request, cands, np.asarray(features, dtype=np.float32), feature_set=_fs())


def _fs():
    from ranking.ltr.events import feature_set_id
    return feature_set_id(NAMES)


def test_labels_are_graded_deduplicated_and_dismiss_is_lowest(tmp_path):
    store = EventStore(tmp_path, "acme")
    _served(store, "r1", ["a", "b", "c", "d", "e"], [[1, 0], [2, 0], [3, 0], [4, 0], [5, 0]])
    events = [ev(i, "impression", cand=c, position=p) for i, (c, p) in enumerate(zip("abcd", range(1, 5)))]
    events += [ev(10, "impression", cand="a", position=1),                # re-sent impression: counted once
               ev(11, "view", cand="a"), ev(12, "shortlist", cand="a"), ev(13, "hire", cand="a"),
               ev(14, "view", cand="b"), ev(15, "dismiss", cand="b"),      # looked and said no -> lowest
               ev(16, "shortlist", cand="c", request=None, ts="2026-11-02T10:00:00Z")]   # attributed to r1's impression
    store.add(events)
    ts = build_training_set(store, NAMES)
    got = dict(zip(ts.candidate_ids, ts.y))
    g = DEFAULT_GRADES
    assert got == {"a": g["hire"], "b": g["dismiss"], "c": g["shortlist"], "d": g["impression"]}   # e never shown
    assert list(ts.group) == [4] and list(ts.position) == [0, 1, 2, 3]
    assert ts.X[list(ts.candidate_ids).index("c")].tolist() == [3.0, 0.0]    # the logged (served) vector


def test_label_config_is_configurable_and_checked(tmp_path):
    with pytest.raises(ValueError, match="missing"):
        LabelConfig(grades={"hire": 1})
    store = EventStore(tmp_path, "acme")
    _served(store, "r1", ["a", "b"], [[1, 0], [2, 0]])
    store.add([ev(1, "impression", cand="a", position=1), ev(2, "impression", cand="b", position=2), ev(3, "view", cand="b")])
    flat = {**DEFAULT_GRADES, "view": 9}
    ts = build_training_set(store, NAMES, LabelConfig(grades=flat))
    assert dict(zip(ts.candidate_ids, ts.y)) == {"a": 1, "b": 9}


def test_actions_outside_the_attribution_window_are_not_attributed(tmp_path):
    store = EventStore(tmp_path, "acme")
    _served(store, "r1", ["a", "b"], [[1, 0], [2, 0]])
    store.add([ev(1, "impression", cand="a", position=1), ev(2, "impression", cand="b", position=2),
               ev(3, "hire", cand="b", request=None, ts=(dt.datetime(2026, 11, 1, 10) + dt.timedelta(days=30)).isoformat())])
    ts = build_training_set(store, NAMES, LabelConfig(drop_constant_groups=False))
    assert dict(zip(ts.candidate_ids, ts.y)) == {"a": 1, "b": 1}


def test_a_version_1_store_gains_the_explored_column_and_keeps_its_rows(tmp_path):
    import sqlite3

    path = tmp_path / "tenants" / "acme" / "events.sqlite"
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE feature_log (request_id TEXT NOT NULL, candidate_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
            position INTEGER NOT NULL, feature_set TEXT NOT NULL, features BLOB NOT NULL, model_version TEXT, query TEXT,
            served_at TEXT NOT NULL, PRIMARY KEY (request_id, candidate_id));
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('tenant_id', 'acme'), ('schema_version', '1');""")
    db.execute("INSERT INTO feature_log VALUES ('r0','c0','acme',1,'fs',?,NULL,'q','2026-11-01T00:00:00+00:00')",
               (np.ones(3, np.float32).tobytes(),))
    db.commit()
    db.close()
    store = EventStore(tmp_path, "acme")
    store.log_features("r1", ["c1", "c2"], np.zeros((2, 3), np.float32), feature_set="fs", query="q", explored=True)
    rows = store.logged(feature_set="fs")
    assert [(r.request_id, r.position, r.explored) for r in rows] == [("r0", 1, False), ("r1", 1, True), ("r1", 2, True)]
    assert store._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "2"
    store.close()
