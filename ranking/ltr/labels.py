"""Graded labels from engagement events, joined to the features logged when the page was served.

Default grades (``LabelConfig.grades``; configurable):

    hire 6 > reply 5 > message 4 > shortlist 3 > view 2 > impression only 1 > dismiss 0

A served hit's label is the highest grade among the events for it in that request; a dismiss
overrides impression and view (the recruiter looked and said no) but not a stronger action
(shortlisting someone and dismissing them later keeps the shortlist). An action that carries no
``request_id`` is attributed to the most recent impression of that candidate by the same recruiter
within ``attribution_days`` before it. Impressions are counted once per (request_id, candidate_id)
however often they are re-sent. Only hits with an impression (or an action) become training rows:
what was logged but never shown on screen is not a negative. Requests whose rows all share one
label carry no ranking signal and are dropped.

Training reads ONE tenant's :class:`ranking.ltr.events.EventStore`; there is no API to read several.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ranking.ltr.events import EventStore, feature_set_id

DEFAULT_GRADES = {"dismiss": 0, "impression": 1, "view": 2, "shortlist": 3, "message": 4, "reply": 5, "hire": 6}


@dataclass(frozen=True)
class LabelConfig:
    grades: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_GRADES))
    attribution_days: float = 7.0
    drop_constant_groups: bool = True

    def __post_init__(self) -> None:
        missing = set(DEFAULT_GRADES) - set(self.grades)
        if missing:
            raise ValueError(f"grades: missing event types {sorted(missing)}")
        if any(not isinstance(v, int) or v < 0 for v in self.grades.values()):
            raise ValueError("grades: must be non-negative integers (LightGBM lambdarank labels)")


@dataclass(frozen=True)
class TrainingSet:
    X: np.ndarray                 # float32 (n, n_features), the logged (served) features
    y: np.ndarray                 # int32 (n,) graded labels
    group: np.ndarray             # int32 (n_requests,) rows per request, in row order
    position: np.ndarray          # int32 (n,) 0-based page position the hit was shown at
    request_ids: np.ndarray       # object (n,)
    candidate_ids: np.ndarray     # object (n,)
    window: tuple[str | None, str | None]   # first and last event timestamp used (ISO, UTC)
    events: int                   # events read
    queries: np.ndarray | None = None   # object (n,) query text served ("" when not logged)
    served_rank: np.ndarray | None = None   # int32 (n,) 0-based rank in the engine's order (the logged position)
    explored: np.ndarray | None = None      # bool (n,) the page was shown with random swaps (LtrSettings.explore)

    @property
    def requests(self) -> int:
        return len(self.group)


def build_training_set(store: EventStore, feature_names: tuple[str, ...], config: LabelConfig = LabelConfig(), *,
                       since: dt.datetime | None = None, until: dt.datetime | None = None) -> TrainingSet:
    events = store.events(since=since, until=until)
    logged = {(r.request_id, r.candidate_id): r for r in store.logged(feature_set=feature_set_id(feature_names))}
    shown: dict[tuple[str, str], int] = {}                  # (request, candidate) -> 1-based position
    last_seen: dict[tuple[str, str], list[tuple[dt.datetime, str]]] = {}   # (recruiter, candidate) -> [(ts, request)]
    for ev in events:
        if ev.type == "impression":
            shown.setdefault((ev.request_id, ev.candidate_id), ev.position)
            last_seen.setdefault((ev.recruiter_id, ev.candidate_id), []).append((ev.timestamp, ev.request_id))
    label: dict[tuple[str, str], int] = {key: config.grades["impression"] for key in shown}
    dismissed: set[tuple[str, str]] = set()
    window = dt.timedelta(days=config.attribution_days)
    for ev in events:
        if ev.type == "impression":
            continue
        request = ev.request_id or _attribute(last_seen.get((ev.recruiter_id, ev.candidate_id), []), ev.timestamp, window)
        if request is None:
            continue
        key = (request, ev.candidate_id)
        if ev.type == "dismiss":
            dismissed.add(key)
        else:
            label[key] = max(label.get(key, 0), config.grades[ev.type])
    for key in dismissed:
        if label.get(key, 0) <= config.grades["view"]:
            label[key] = config.grades["dismiss"]
    rows = sorted((key for key in label if key in logged),
                  key=lambda k: (logged[k].served_at, k[0], shown.get(k, logged[k].position)))
    by_request: dict[str, list[tuple[str, str]]] = {}
    for key in rows:
        by_request.setdefault(key[0], []).append(key)
    keep = [keys for keys in by_request.values()
            if len(keys) > 1 and not (config.drop_constant_groups and len({label[k] for k in keys}) == 1)]
    flat = [k for keys in keep for k in keys]
    n_features = len(feature_names)
    X = np.stack([logged[k].features for k in flat]) if flat else np.zeros((0, n_features), np.float32)
    stamps = [ev.timestamp.isoformat() for ev in events]
    return TrainingSet(
        X=X.astype(np.float32), y=np.array([label[k] for k in flat], dtype=np.int32),
        group=np.array([len(keys) for keys in keep], dtype=np.int32),
        position=np.array([shown.get(k, logged[k].position) - 1 for k in flat], dtype=np.int32),
        request_ids=np.array([k[0] for k in flat], dtype=object), candidate_ids=np.array([k[1] for k in flat], dtype=object),
        window=(min(stamps) if stamps else None, max(stamps) if stamps else None), events=len(events),
        queries=np.array([logged[k].query or "" for k in flat], dtype=object),
        served_rank=np.array([logged[k].position - 1 for k in flat], dtype=np.int32),
        explored=np.array([logged[k].explored for k in flat], dtype=bool))


def _attribute(seen: list[tuple[dt.datetime, str]], ts: dt.datetime, window: dt.timedelta) -> str | None:
    best = None
    for when, request in seen:
        if when <= ts and ts - when <= window and (best is None or when > best[0]):
            best = (when, request)
    return best[1] if best else None
