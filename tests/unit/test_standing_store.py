"""The standing store's write-ordered layout (issue 20): memberships packed per candidate, the feed appended by
seq and read through an in-memory index that also sees another connection's entries, stores of the earlier
layout migrated on open."""
import json
import sqlite3

from ranking.standing.store import DB_FILE, Change, StandingStore, write_why


def _search(store: StandingStore, name: str) -> str:
    return store.create("acme", {"name": name, "query": "python"}).search_id


def test_changes_move_memberships_and_the_feed_keeps_each_search_in_order(tmp_path):
    store = StandingStore(tmp_path)
    a, b = _search(store, "a"), _search(store, "b")
    store.apply([Change(a, "c1", "entered", {"source": "write"}), Change(b, "c1", "entered", {"source": "write"}),
                 Change(a, "c2", "entered", {"source": "write"})])
    store.apply([Change(a, "c1", "left", {"source": "write"}), Change(b, "c3", "entered", {"source": "write"})])
    assert store.members_of(["c1", "c2", "c3", "nobody"]) == {"c1": {b}, "c2": {a}, "c3": {b}}
    assert store.members(a) == {"c2"} and store.members_many([a, b, "ss-none"]) == {a: {"c2"}, b: {"c1", "c3"}, "ss-none": set()}
    feed = store.feed(a)
    assert [(e.candidate_id, e.event) for e in feed] == [("c1", "entered"), ("c2", "entered"), ("c1", "left")]
    assert [e.candidate_id for e in store.feed(a, after=feed[0].seq, limit=1)] == ["c2"]
    assert store.feed(a, after=feed[-1].seq) == []


def test_record_false_moves_members_without_entries(tmp_path):
    store = StandingStore(tmp_path)
    a = _search(store, "a")
    assert store.apply([Change(a, "c1", "entered", {})], record=False) == []
    assert store.members(a) == {"c1"} and store.feed(a) == []


def test_a_reader_sees_entries_another_connection_committed(tmp_path):
    reader, writer = StandingStore(tmp_path), StandingStore(tmp_path)
    a = _search(writer, "a")
    assert reader.feed(a) == []                       # the index is built (empty) before the other writes
    seqs = writer.apply([Change(a, f"c{i}", "entered", {"i": i}) for i in range(3)])
    assert [e.seq for e in reader.feed(a)] == seqs and [e.why["i"] for e in reader.feed(a)] == [0, 1, 2]
    reader.apply([Change(a, "c9", "entered", {})])
    more = writer.apply([Change(a, "c8", "entered", {})])
    assert [e.candidate_id for e in reader.feed(a, after=seqs[-1])] == ["c9", "c8"] and reader.feed(a)[-1].seq == more[0]


def test_deleting_a_search_removes_its_memberships_and_entries_only(tmp_path):
    store = StandingStore(tmp_path)
    a, b = _search(store, "a"), _search(store, "b")
    seqs = store.apply([Change(a, "c1", "entered", {}), Change(b, "c1", "entered", {}), Change(a, "c2", "entered", {})])
    store.feed(a)
    store.delete(a)
    assert store.members_of(["c1", "c2"]) == {"c1": {b}}
    assert store.feed(a) == [] and [e.candidate_id for e in store.feed(b)] == ["c1"]
    assert StandingStore(tmp_path).feed(a) == []      # also for a store that indexes the feed afresh
    assert store.apply([Change(b, "c5", "entered", {})]) == [max(seqs) + 1]     # a deleted entry's seq is never reused


def test_a_store_of_the_earlier_layout_is_migrated_on_open(tmp_path):
    db = sqlite3.connect(tmp_path / DB_FILE)
    db.executescript("""
        CREATE TABLE members (candidate_id TEXT NOT NULL, search_id TEXT NOT NULL, PRIMARY KEY (candidate_id, search_id)) WITHOUT ROWID;
        CREATE INDEX members_search ON members (search_id);
        CREATE TABLE feed (seq INTEGER PRIMARY KEY AUTOINCREMENT, search_id TEXT NOT NULL, candidate_id TEXT NOT NULL,
            event TEXT NOT NULL, why TEXT NOT NULL, at REAL NOT NULL);
        CREATE INDEX feed_search ON feed (search_id, seq);
        INSERT INTO members VALUES ('c1', 'ss-a'), ('c1', 'ss-b'), ('c2', 'ss-a');
        INSERT INTO feed (search_id, candidate_id, event, why, at) VALUES ('ss-a', 'c1', 'entered', '{}', 1.0),
            ('ss-b', 'c1', 'entered', '{}', 1.0), ('ss-a', 'c2', 'entered', '{}', 1.0);
    """)
    db.commit()
    db.close()
    store = StandingStore(tmp_path)
    assert store.members_of(["c1", "c2"]) == {"c1": {"ss-a", "ss-b"}, "c2": {"ss-a"}}
    assert [(e.seq, e.candidate_id) for e in store.feed("ss-a")] == [(1, "c1"), (3, "c2")]
    names = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master")}
    assert not names & {"members", "members_search", "feed_search"}
    assert store.apply([Change("ss-b", "c3", "entered", {})]) == [4]


def test_write_why_is_the_json_of_its_dict():
    for seq, fields, score in ((1, (), 0.0), (123456789, ("title", "skills"), 0.6667), (7, ("headline",), 1.0),
                               (8, ("summary",), 1 / 3)):
        why = {"source": "write", "write_seq": seq, "matched_fields": list(fields), "score": score, "rank": None}
        assert write_why(seq, fields, score) == json.dumps(why)
