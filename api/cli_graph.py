"""``talentsearch graph build`` and ``talentsearch insights`` (the economic graph, issue 5)."""
from __future__ import annotations

import json
from pathlib import Path

from api.cli_args import filter_args, index_dir_arg, ray_options, runner_args, settings_from_args


def add_parsers(sub) -> None:

    g = sub.add_parser("graph", help="the economic graph").add_subparsers(dest="graph", required=True)
    b = g.add_parser("build", help="build <index-dir>/graph from the live index version's career histories")
    index_dir_arg(b)
    b.add_argument("--no-progress", action="store_true")
    b.add_argument("--partition-rows", type=int, default=250_000, metavar="N",
                   help="profiles per partition of the aggregation (default 250,000; any size gives the same graph)")
    runner_args(b, "the aggregation of career histories")
    b.set_defaults(func=_graph_build)

    i = sub.add_parser("insights", help="talent-pool insights for a query + filters (needs `graph build`)")
    i.add_argument("query", help="Boolean query or keywords ('' = every profile passing the filters)")
    index_dir_arg(i)
    filter_args(i)
    i.add_argument("--vs-company", help="also show the companies this one wins talent from and loses it to")
    i.add_argument("--top", type=int, default=10)
    i.add_argument("--window-months", type=int, default=24)
    i.add_argument("--pool-limit", type=int, default=100_000, help="most matches in the pool (best BM25 first)")
    i.add_argument("--syntax", choices=["auto", "boolean", "keywords"], default="auto")
    i.add_argument("--chart", type=Path, help="write a PNG of the pool's flows here")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_insights)


def _graph_build(args) -> int:
    from graph.build import GraphConfig, build_for_index

    settings = settings_from_args(args)
    ray = ray_options(args, settings) if args.runner == "ray" else None   # a missing extra: exit 2 first
    config = GraphConfig(progress=not args.no_progress, partition_rows=args.partition_rows)
    graph, path = build_for_index(settings.index_dir, config, runner=args.runner, ray_options=ray)
    m = graph.manifest
    print(f"graph {path}: {m['profiles']:,} profiles, {m['counts']['companies']:,} companies, "
          f"{m['counts']['moves']:,} moves, {m['counts']['transitions']:,} occupation transitions, "
          f"{m['counts']['skills']:,} skills; {m['seconds']['total']:.1f} s")
    companies = graph.table("companies")
    print(f"  growing: {sum(companies.column('growing').to_pylist())}, "
          f"with layoffs: {sum(companies.column('layoffs').to_pylist())}")
    return 0


def _insights(args) -> int:
    from api.wiring import build_engine
    from query.lang.filters import Filters
    from ranking.search.insights import pool_insights
    from ranking.search.pipeline import SearchRequest

    raw = {k: getattr(args, k) for k in ("near", "lat", "lon", "radius_km", "min_years", "max_years", "seniority",
                                          "current_company", "not_current_company", "past_company", "open_to_work",
                                          "active_within_days") if getattr(args, k) is not None}
    request = SearchRequest(query=args.query, filters=Filters.from_dict(raw, tenant_id=args.tenant), syntax=args.syntax)
    engine = build_engine(settings_from_args(args))
    out = pool_insights(engine, request, vs_company=args.vs_company, top=args.top, window_months=args.window_months,
                        pool_limit=args.pool_limit)
    if args.chart:
        from graph.chart import flows_png

        flows_png(out, args.chart, title=args.query)
    if args.json:
        print(json.dumps(out, indent=2, default=str))
        return 0
    print(_text(out))
    if args.chart:
        print(f"chart: {args.chart}")
    return 0


def _text(out: dict) -> str:
    s, p = out["supply"], out["pool"]
    lines = [f"pool: {s['candidates']:,} candidates ({p['matched']:,} matched{', truncated' if p['truncated'] else ''}); "
             f"open to work {s['open_to_work']:,}, recently hired {s['recently_hired']:,}, likely to move "
             f"{s['likely_to_move']:,}, median tenure {s['median_tenure_months']} months  [{out['timings_ms']['total']:.0f} ms]"]

    def block(name, items, fmt):
        lines.append(f"{name}: " + ("; ".join(fmt(d) for d in items) or "-"))

    block("locations", out["top_locations"], lambda d: f"{d['city']}, {d['country']} {d['count']}")
    block("titles", out["top_titles"], lambda d: f"{d['title']} {d['count']}")
    block("skills", out["top_skills"], lambda d: f"{d['skill']} {d['count']}")
    block("companies", out["top_companies"], lambda d: f"{d['company']} {d['count']}")
    block("schools", out["top_schools"], lambda d: f"{d['school']} {d['count']}")
    block("came from", out["came_from"], lambda d: f"{d['company']} {d['count']}")
    block("goes to", out["goes_to"], lambda d: f"{d['company']} {d['share']:.0%}")
    block("fast growing (24-month growth vs market)", out["fast_growing"],
          lambda d: f"{d['company']} {d['rel_growth_24']:+.0%} ({d['pool_count']} in pool)")
    block("layoffs (signal 0-1)", out["layoffs"],
          lambda d: f"{d['company']} {d.get('layoff_month', '')} {d['layoff_signal']:.2f} ({d['pool_count']} in pool)")
    vs = out.get("vs_company")
    if vs:
        me, months = vs["company"], vs["window_months"]
        block(f"{me} hires from ({months} mo)", vs["wins_from"],
              lambda d: f"{d['company']}: {d['moves']} joined {me}, {d['moves_other_way']} went the other way "
                        f"(net {d['net']:+d} for {me})")
        block(f"{me} loses people to ({months} mo)", vs["loses_to"],
              lambda d: f"{d['company']}: {d['moves']} left {me} for them, {d['moves_other_way']} came the other way "
                        f"(net {d['net']:+d} for {me})")
    return "\n".join(lines)
