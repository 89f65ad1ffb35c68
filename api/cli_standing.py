"""``talentsearch live fold|status`` (the write-ahead log of live writes) and ``talentsearch searches
create|list|show|delete|refresh|matches`` (standing searches and their feeds), over the same files the
server uses (``--index-dir``, ``--standing-dir``), so they work with or without a running server."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from api.cli_args import index_dir_arg, settings_from_args
from api.settings import Settings
from ranking.standing.service import LiveService


def add_parsers(sub) -> None:
    lv = sub.add_parser("live", help="live writes: fold the write-ahead log into a new index version, or show it")
    lsub = lv.add_subparsers(dest="live", required=True)
    for name, help_ in (("fold", "publish every logged write as the next index version"),
                        ("status", "pending writes and the last folded sequence number")):
        p = lsub.add_parser(name, help=help_)
        _common(p)
        p.set_defaults(func=_live)

    s = sub.add_parser("searches", help="standing searches: saved queries with a feed of new and departed matches")
    ssub = s.add_subparsers(dest="searches", required=True)
    c = ssub.add_parser("create", help="save a search for a tenant (prints it as JSON)")
    c.add_argument("query", help="Boolean query (bare words are ANDed); '' = filters only")
    c.add_argument("--name", required=True)
    c.add_argument("--filters", default="{}", help='JSON object, as in POST /v1/search, e.g. \'{"near": "Berlin"}\'')
    c.add_argument("--qualification", action="append", default=[], help="a Boolean clause ANDed to the query (repeatable)")
    c.add_argument("--owner")
    c.add_argument("--callback-url")
    c.add_argument("--backfill", action="store_true", help="report the current matches as entered")
    lst = ssub.add_parser("list", help="a tenant's standing searches")
    show = ssub.add_parser("show", help="one standing search")
    show.add_argument("search_id")
    d = ssub.add_parser("delete", help="delete a standing search with its feed")
    d.add_argument("search_id")
    r = ssub.add_parser("refresh", help="re-run standing searches (cron-friendly: every tenant's when --tenant is not given)")
    r.add_argument("search_ids", nargs="*")
    m = ssub.add_parser("matches", help="feed entries after a cursor, as JSON lines")
    m.add_argument("search_id")
    m.add_argument("--after", type=int, default=0, help="the last seq already seen")
    m.add_argument("--limit", type=int, default=100)
    for p in (c, lst, show, d, r, m):
        _common(p)
        p.add_argument("--tenant", required=p not in (r,), help="the tenant the searches belong to")
        p.set_defaults(func=_searches)


def _common(p) -> None:
    index_dir_arg(p)
    p.add_argument("--standing-dir", type=Path, default=None, help="default $TALENTSEARCH_STANDING_DIR or var/standing")


def _service(args) -> LiveService:
    settings = settings_from_args(args)
    if args.standing_dir:
        settings = settings.model_copy(update={"standing_dir": args.standing_dir})
    return _open(settings)


def _open(settings: Settings) -> LiveService:
    return LiveService(settings.index_dir, settings.standing_dir, settings.live_config())


def _live(args) -> int:
    svc = _service(args)
    try:
        if args.live == "fold":
            rep = svc.fold()
            print(json.dumps({"folded_through": rep.folded_through, "upserts": rep.upserts, "deletes": rep.deletes,
                              "version": rep.version, "seconds": round(rep.seconds, 3)}))
        else:
            print(json.dumps({"pending": svc.log.pending_count(), "last_seq": svc.log.last_seq(),
                              "folded_through": svc.log.folded_through()}))
    finally:
        svc.close()
    return 0


def _searches(args) -> int:
    svc = _service(args)
    try:
        return _SEARCH_COMMANDS[args.searches](svc, args)
    finally:
        svc.close()


def _create(svc: LiveService, args) -> int:
    try:
        filters = json.loads(args.filters)
    except ValueError as exc:
        print(f"error: --filters: not JSON: {exc}", file=sys.stderr)
        return 2
    s = svc.create_search(args.tenant, {"name": args.name, "query": args.query, "filters": filters,
                                        "qualifications": args.qualification, "owner": args.owner,
                                        "callback_url": args.callback_url}, backfill=args.backfill)
    print(json.dumps(s.to_dict()))
    return 0


def _list(svc: LiveService, args) -> int:
    for s in svc.store.list(args.tenant):
        print(json.dumps(s.to_dict()))
    return 0


def _show(svc: LiveService, args) -> int:
    print(json.dumps(svc.store.get(args.search_id, args.tenant).to_dict(), indent=2))
    return 0


def _delete(svc: LiveService, args) -> int:
    svc.delete_search(svc.store.get(args.search_id, args.tenant))
    print(f"deleted {args.search_id}")
    return 0


def _refresh(svc: LiveService, args) -> int:
    ids = list(args.search_ids) or None
    if args.tenant:
        own = {s.search_id for s in svc.store.list(args.tenant)}
        ids = [i for i in ids if i in own] if ids else sorted(own)
    counts = svc.refresh(ids)
    print(json.dumps({"searches": len(counts), "feed_entries": sum(counts.values()), "per_search": counts}))
    return 0


def _matches(svc: LiveService, args) -> int:
    svc.store.get(args.search_id, args.tenant)
    for e in svc.store.feed(args.search_id, after=args.after, limit=args.limit):
        print(json.dumps({"seq": e.seq, "candidate_id": e.candidate_id, "event": e.event, "why": e.why, "at": e.at}))
    return 0


_SEARCH_COMMANDS = {"create": _create, "list": _list, "show": _show, "delete": _delete, "refresh": _refresh,
                    "matches": _matches}
