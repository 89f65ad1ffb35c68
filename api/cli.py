"""The ``talentsearch`` command-line program."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import shutil
import sys
from pathlib import Path

from api.cli_args import filter_args, index_dir_arg, ltr_dir_arg, ray_options, runner_args, settings_from_args
from records.errors import QuerySyntaxError, TalentSearchError

log = logging.getLogger("talentsearch")
ENCODE_CHECKPOINT = ".encode-checkpoint"   # under the index directory: --runner ray's vectors until published


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if not args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args) or 0
    except QuerySyntaxError as exc:
        print(f"error: query syntax: {exc}\n{exc.caret()}", file=sys.stderr)
        return 2
    except TalentSearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="talentsearch", description="Hybrid candidate search engine")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    i = sub.add_parser("index", help="validate and upsert profiles (Parquet or JSONL) into an index",
                       description="Validate profiles and upsert them into an index. A bad row is rejected with its "
                                   "reason and a file that cannot be read is reported as a whole; the rest is indexed.",
                       epilog=INDEX_EXIT_STATUS, formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("paths", nargs="+", type=Path,
                   help="Parquet or JSONL files, or directories: a directory is read as the profile files directly "
                        "inside it (other files, such as the generator's queries and qrels, are listed as skipped)")
    index_dir_arg(i)
    i.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="date for experience/tenure (default today)")
    i.add_argument("--rebuild", action="store_true", help="build from scratch instead of upserting")
    i.add_argument("--vectors", type=Path, default=None, metavar="FILE",
                   help="Parquet file of (candidate_id, vector) computed elsewhere: these profiles are not encoded "
                        "here; the index records the model, and a query encoder of another model is refused")
    i.add_argument("--vectors-model", default=None, metavar="NAME",
                   help="the model that made --vectors (default: the file's schema metadata key 'model')")
    i.add_argument("--no-progress", action="store_true")
    i.add_argument("--json", action="store_true")
    runner_args(i, "dense encoding")
    i.set_defaults(func=_index)

    d = sub.add_parser("delete", help="delete candidates by id")
    d.add_argument("ids", nargs="*")
    d.add_argument("--ids-file", type=Path, help="file with one candidate_id per line")
    index_dir_arg(d)
    d.set_defaults(func=_delete)

    s = sub.add_parser("search", help="search an index")
    s.add_argument("query", help="Boolean query or natural language ('' = filters only)")
    index_dir_arg(s)
    ltr_dir_arg(s)
    filter_args(s)
    s.add_argument("--k", type=int, default=10)
    s.add_argument("--mode", choices=["hybrid", "lexical", "dense"], default="hybrid")
    s.add_argument("--syntax", choices=["auto", "boolean", "keywords"], default="auto")
    s.add_argument("--fusion", choices=["rrf", "weighted"], default="rrf")
    s.add_argument("--rrf-k", type=int, default=60)
    s.add_argument("--json", action="store_true")
    s.add_argument("--debug", action="store_true")
    s.set_defaults(func=_search)

    v = sub.add_parser("serve", help="serve the HTTP API (FastAPI)")
    index_dir_arg(v)
    ltr_dir_arg(v)
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=8000)
    v.set_defaults(func=_serve)

    from api.cli_ltr import add_parsers as ltr_parsers   # events import, train, models

    ltr_parsers(sub)
    from api.cli_graph import add_parsers as graph_parsers   # graph build, insights

    graph_parsers(sub)
    from api.queries import add_cli as _queries_cli   # issue 7: talentsearch queries generate|refine

    _queries_cli(sub, index_dir_arg)
    from api.cli_jobs import add_parsers as job_parsers   # rerank (bulk jobs)

    job_parsers(sub)
    from api.cli_fairness import add_parsers as fairness_parsers   # issue 21: audit import|report|rerank

    fairness_parsers(sub)
    from api.cli_evaluate import add_parsers as evaluate_parsers   # issue 19: evaluate candidates

    evaluate_parsers(sub)
    from api.cli_standing import add_parsers as standing_parsers   # live fold|status, searches ...

    standing_parsers(sub)
    for command in _plugins():
        command(sub)
    return p


def _plugins() -> list:
    """Sub-commands other packages register under the ``talentsearch.commands`` entry-point group.

    The synthetic-corpus generator, the demo and the benchmark harness (``generate``, ``demo``,
    ``bench``) live in ``benchmarks/`` and plug in here, so the product never imports ``benchmarks``:
    the commands stay where the README puts them, and an installation without the benchmarks package
    simply lacks them."""
    from importlib.metadata import entry_points

    return [ep.load() for ep in sorted(entry_points(group="talentsearch.commands"), key=lambda ep: ep.name)]


INDEX_EXIT_STATUS = """\
exit status:
  0  every input was read; rejected rows and duplicate candidate_ids, if any, are
     warned about on stderr and listed in the rejects file under the index directory
  1  some input could not be read (missing, empty, truncated or corrupt, or a
     directory without profile files): each is named with its reason on stderr and
     none of its rows was indexed; the profiles of the other inputs were indexed
  2  nothing was indexed (no input could be read, or every row was rejected), or the
     command line was wrong: the index is unchanged
"""


def _index(args) -> int:
    from indexer.build import ingest

    settings = settings_from_args(args)
    ingest_args = dict(rebuild=args.rebuild, progress=not args.no_progress, vectors=args.vectors,
                       vectors_model=args.vectors_model)
    if args.runner == "ray":
        from indexer.encoder_ray import RayEncoder
        from records.raypool import connected

        ray = ray_options(args, settings)       # a missing extra: exit 2 before anything is read
        # encoded vectors are kept here until the version is published: a killed run, run again, resumes
        checkpoint = settings.index_dir / ENCODE_CHECKPOINT
        with connected(ray), RayEncoder(settings.encoder_config(), ray, checkpoint_dir=checkpoint) as encoder:
            report = ingest(args.paths, settings.index_dir, settings.index_config(), encoder=encoder, **ingest_args)
        shutil.rmtree(checkpoint, ignore_errors=True)
        if encoder.reused:
            print(f"resumed: {encoder.reused} profile vectors from an earlier run's checkpoint", file=sys.stderr)
    else:
        report = ingest(args.paths, settings.index_dir, settings.index_config(), **ingest_args)
    if args.json:
        print(json.dumps(_jsonable(report), indent=2, default=str))
    else:
        for path in report.files:
            print(f"read {path}")
        for note in report.skipped:
            print(f"skipped {note.path}: {note.reason}")
        print(f"index {settings.index_dir} -> {report.version}: {report.total} profiles "
              f"(+{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
              f"{report.deleted} deleted, {report.rejected} rejected, {report.duplicates} duplicates)")
        if args.vectors is not None:
            dm = report.dense_model or {}
            print(f"vectors: {report.vectors_imported} imported from {args.vectors} ({dm.get('model')}, dim {dm.get('dim')})"
                  + (f", {report.vectors_rejected} of its rows not used" if report.vectors_rejected else ""))
        if report.rejects_path:
            print(f"rejects: {report.rejects_path}")
    _warn_index_problems(report)
    return 1 if report.unreadable else 0


def _warn_index_problems(report) -> None:
    if report.vectors_rejected:
        print(f"warning: {report.vectors_rejected} row{'s' if report.vectors_rejected != 1 else ''} of the vectors file "
              f"not used, each with its reason in {report.rejects_path}", file=sys.stderr)
    for note in report.unreadable:
        print(f"warning: {note.path}: {note.reason} (not read: its rows were not indexed)", file=sys.stderr)
    if report.rejected:
        print(f"warning: {report.rejected} row{'s' if report.rejected != 1 else ''} rejected, each with its reason "
              f"in {report.rejects_path}", file=sys.stderr)
    if report.duplicates:
        print(f"warning: {report.duplicates} duplicate candidate_id row{'s' if report.duplicates != 1 else ''}: the last "
              f"copy of each (inputs in the order given, rows in file order) was indexed; the earlier copies are "
              f"listed in {report.rejects_path}", file=sys.stderr)


def _delete(args) -> int:
    from indexer.build import ingest

    ids = list(args.ids)
    if args.ids_file:
        ids += [line.strip() for line in args.ids_file.read_text().splitlines() if line.strip()]
    settings = settings_from_args(args)
    report = ingest([], settings.index_dir, settings.index_config(), delete_ids=ids, progress=False)
    print(f"deleted {report.deleted} of {len(ids)} ids; index {report.version} has {report.total} profiles")
    return 0


def build_engine(settings):
    """The engine the CLI searches with: the same assembly as HTTP and MCP (the tenant's LTR model included)."""
    from api.wiring import build_engine as build

    return build(settings)


def _search(args) -> int:
    from query.lang.filters import Filters
    from query.lang.syntax import parse_query

    parse_query(args.query, args.syntax)      # a syntax error is reported before the index and models load
    from ranking.search.pipeline import SearchRequest

    raw = {k: getattr(args, k) for k in ("near", "lat", "lon", "radius_km", "min_years", "max_years", "seniority",
                                          "current_company", "not_current_company", "past_company", "open_to_work",
                                          "active_within_days") if getattr(args, k) is not None}
    filters = Filters.from_dict(raw, tenant_id=args.tenant)
    request = SearchRequest(query=args.query, filters=filters, k=args.k, mode=args.mode, syntax=args.syntax,
                            fusion=args.fusion, rrf_k=args.rrf_k, debug=args.debug)
    engine = build_engine(settings_from_args(args))
    res = engine.search(request)
    if args.json:
        from api.app import summarize

        out = {"query": res.query, "mode": res.mode, "syntax": res.syntax, "index_version": res.version,
               "model_version": res.model_version, "request_id": res.request_id,
               "total_lexical": res.total_lexical, "timings_ms": res.timings_ms,
               "hits": [{"candidate_id": h.candidate_id, "rank": h.rank, "score": h.score,
                         "retrievers": {n: {"rank": h.ranks[n], "score": h.scores[n]} for n in h.ranks},
                         "matched_fields": list(h.matched_fields),
                         "candidate": summarize(h.profile).model_dump()} for h in res.hits]}
        if res.debug:
            out["debug"] = res.debug
        print(json.dumps(out, indent=2, default=str))
        return 0
    order = f"model {res.model_version}" if res.model_version else "fused order"
    print(f"{len(res.hits)} hits ({res.mode}, {res.syntax}, {order}; {res.timings_ms['total']:.1f} ms)  query: {res.query}")
    for h in res.hits:
        p = h.profile or {}
        loc = (p.get("location") or {}).get("city") or ""
        via = " ".join(f"{n}#{r}" for n, r in h.ranks.items())
        print(f"{h.rank:>3}. {h.candidate_id:<14} {p.get('current_title') or '':<38.38} {p.get('current_company_name') or '':<20.20} "
              f"{loc:<16.16} {float(p.get('years_experience') or 0):4.1f}y  [{via}] {','.join(h.matched_fields)}")
    return 0


def _serve(args) -> int:
    import uvicorn

    from api.app import create_app

    settings = settings_from_args(args)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def _jsonable(obj):
    from dataclasses import asdict, is_dataclass

    return asdict(obj) if is_dataclass(obj) else obj


if __name__ == "__main__":
    sys.exit(main())
