"""Insights for a talent pool: the match set of a query + filters (``SearchEngine.pool``) described by
the economic graph (``graph.insights``). Shared by the CLI and ``GET /v1/insights``."""
from __future__ import annotations

import time

from graph.insights import load_insights


def pool_insights(engine, request, *, vs_company: str | None = None, top: int = 10, window_months: int = 24,
                  pool_limit: int = 100_000) -> dict:
    """Insights dict (see graph.insights) plus ``pool`` (matched, used, in graph, truncated) and ``timings_ms``."""
    t0 = time.perf_counter()
    insights = load_insights(engine.reader.index_dir)     # 503 before any search work when there is no graph
    ords, total, snap = engine.pool(request, limit=pool_limit)
    t1 = time.perf_counter()
    rows = insights.rows_for(snap.version, snap.store, ords)
    out = insights.insights(rows, top=top, window_months=window_months, vs_company=vs_company)
    t2 = time.perf_counter()
    out["pool"] = {"matched": int(total), "used": int(len(ords)), "in_graph": int(len(rows)),
                   "truncated": bool(total > len(ords)), "index_version": snap.version,
                   "graph_index_version": insights.g.manifest.get("source", {}).get("index_version")}
    out["timings_ms"] = {"pool": round((t1 - t0) * 1000, 3), "insights": round((t2 - t1) * 1000, 3),
                         "total": round((t2 - t0) * 1000, 3)}
    return out
