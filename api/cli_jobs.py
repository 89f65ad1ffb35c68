"""``talentsearch rerank IN OUT`` (a bulk re-ranking job, ranking/search/bulk.py) and ``talentsearch mcp``
(the agent tools over MCP, api/mcp_server.py)."""
from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from api.cli_args import index_dir_arg, ltr_dir_arg, ray_options, runner_args, settings_from_args


def add_parsers(sub) -> None:
    r = sub.add_parser("rerank", help="re-rank candidate lists: Parquet (query_id, query, candidate_id) in, "
                                      "Parquet (ranks, scores, explanations) out; resumable")
    r.add_argument("input", type=Path, help="Parquet with query_id, query, candidate_id (rows of a query contiguous)")
    r.add_argument("output", type=Path, help="Parquet to write (work state in OUTPUT.work/ until done)")
    index_dir_arg(r)
    ltr_dir_arg(r)
    r.add_argument("--tenant", help="re-rank as this tenant (its private profiles and its model)")
    r.add_argument("--batch-rows", type=int, default=20_000, help="rows per durable unit of work")
    r.add_argument("--syntax", choices=["auto", "boolean", "keywords"], default="auto")
    r.add_argument("--mode", choices=["hybrid", "lexical", "dense"], default="hybrid")
    r.add_argument("--no-progress", action="store_true")
    runner_args(r, "re-ranking")
    r.set_defaults(func=_rerank)

    m = sub.add_parser("mcp", help="serve search, re-rank, insights and query generation as MCP tools for agents")
    index_dir_arg(m)
    ltr_dir_arg(m)
    m.add_argument("--tenant", help="the tenant this server acts for (fixed for its lifetime)")
    m.add_argument("--transport", choices=["stdio", "streamable-http"], default="stdio")
    m.add_argument("--host", default="127.0.0.1")
    m.add_argument("--port", type=int, default=8001)
    m.set_defaults(func=_mcp)

    k = sub.add_parser("keys", help="API keys (stored hashed) that map callers to tenants").add_subparsers(dest="keys", required=True)
    kc = k.add_parser("create", help="create a key for a tenant; the key is printed once")
    kc.add_argument("--tenant", required=True)
    kl = k.add_parser("list", help="key ids and their tenants")
    kr = k.add_parser("revoke", help="revoke a key by id")
    kr.add_argument("key_id")
    for p in (kc, kl, kr):
        p.add_argument("--keys-file", type=Path, help="default $TALENTSEARCH_API_KEYS_FILE")
        p.set_defaults(func=_keys)


def _keys(args) -> int:
    import datetime as dt

    from api.middleware import ApiKeys
    from api.settings import Settings

    path = args.keys_file or Settings().api_keys_file
    if path is None:
        print("error: no keys file: give --keys-file PATH or set TALENTSEARCH_API_KEYS_FILE (the server reads the "
              "same file; without one it trusts X-Tenant-Id)", file=sys.stderr)
        return 2
    keys = ApiKeys(path)
    if args.keys == "create":
        rec, secret = keys.create(args.tenant)
        print(f"key {rec.key_id} for tenant {rec.tenant_id} (stored hashed in {path}; shown once):\n{secret}")
    elif args.keys == "list":
        for r in keys.records():
            print(f"{r.key_id}  {r.tenant_id:<24} created {dt.datetime.fromtimestamp(r.created_at, dt.timezone.utc):%Y-%m-%d %H:%M}")
    else:
        rec = keys.revoke(args.key_id)
        print(f"revoked key {rec.key_id} of tenant {rec.tenant_id}")
    return 0


def _mcp(args) -> int:
    from api.mcp_server import run_mcp

    run_mcp(settings_from_args(args), tenant_id=args.tenant, transport=args.transport, host=args.host, port=args.port)
    return 0


def _rerank(args) -> int:
    from api.wiring import build_engine, engine_factory
    from ranking.search.bulk import BulkOptions, read_progress, run_bulk

    if args.batch_rows < 1:
        print("error: --batch-rows must be >= 1")
        return 2
    settings = settings_from_args(args)
    ray = ray_options(args, settings) if args.runner == "ray" else None     # a missing extra: exit 2 here
    before = read_progress(args.output)
    if before is not None:
        print(f"resuming: {before.rows_done:,} of {before.total_rows:,} rows already done ({before.parts} parts)")
    options = BulkOptions(tenant_id=args.tenant, batch_rows=args.batch_rows, syntax=args.syntax, mode=args.mode)
    cancel = threading.Event()
    if ray is None:
        _stop_on_signals(cancel)
        prog = run_bulk(build_engine(settings), args.input, args.output, options, cancel=cancel,
                        progress_bar=not args.no_progress)
    else:
        from ranking.search.bulk_ray import run_bulk_ray
        from records.raypool import connected

        with connected(ray):
            _stop_on_signals(cancel)          # after ray.init, which installs its own SIGTERM handler
            prog = run_bulk_ray(engine_factory(settings, threads=ray.threads), args.input, args.output, options, ray,
                                cancel=cancel, progress_bar=not args.no_progress)
    if prog.state == "cancelled":
        print(f"stopped after {prog.rows_done:,} of {prog.total_rows:,} rows; run the same command again to resume")
        return 130
    print(f"wrote {args.output}: {prog.total_rows:,} rows, {prog.queries:,} query runs, {prog.invalid_rows:,} invalid rows, "
          f"{prog.not_found:,} candidates not found, {prog.split_queries:,} query ids split across runs"
          + (f"; resumed {prog.resumed}x" if prog.resumed else ""))
    return 0


def _stop_on_signals(cancel: threading.Event) -> None:
    """Ctrl-C / SIGTERM: finish the unit(s) in hand, record them, stop (re-run the same command to resume)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: cancel.set())
