"""``GET /v1/insights``: talent-pool insights (graph.insights) for a query + filters, tenant-scoped."""
from __future__ import annotations

from typing import Literal

from fastapi import FastAPI, Header, Query
from fastapi.responses import Response

from query.filters import Filters


def install(app: FastAPI, errors: dict) -> None:
    @app.get("/v1/insights", responses=errors, tags=["insights"])
    def insights(
        query: str = Query("", description="Boolean query or keywords; empty = every profile passing the filters"),
        near: str | None = None, lat: float | None = None, lon: float | None = None,
        radius_km: float | None = None, min_years: float | None = None, max_years: float | None = None,
        seniority: list[str] | None = Query(None), company: list[str] | None = Query(None),
        not_company: list[str] | None = Query(None), past_company: list[str] | None = Query(None),
        open_to_work: bool | None = None, active_within_days: int | None = None,
        vs_company: str | None = Query(None, description="company to compare: who it wins talent from and loses it to"),
        top: int = Query(10, ge=1, le=100), window_months: int = Query(24, ge=1, le=60),
        pool_limit: int = Query(100_000, ge=1, le=1_000_000, description="most matches in the pool (best BM25 first)"),
        syntax: Literal["auto", "boolean", "keywords"] = "auto",
        format: Literal["json", "png"] = Query("json", description="png: a chart of the pool's flows"),
        x_tenant_id: str | None = Header(None, description="caller's tenant"),
    ):
        from ranking.insights import pool_insights
        from ranking.pipeline import SearchRequest

        raw = {"near": near, "lat": lat, "lon": lon, "radius_km": radius_km, "min_years": min_years,
               "max_years": max_years, "seniority": seniority, "current_company": company,
               "not_current_company": not_company, "past_company": past_company, "open_to_work": open_to_work,
               "active_within_days": active_within_days}
        filters = Filters.from_dict({k: v for k, v in raw.items() if v is not None}, tenant_id=x_tenant_id)
        req = SearchRequest(query=query, filters=filters, syntax=syntax)
        out = pool_insights(app.state.engine, req, vs_company=vs_company, top=top, window_months=window_months,
                            pool_limit=pool_limit)
        if format == "png":
            from graph.chart import flows_png

            return Response(flows_png(out, title=query), media_type="image/png")
        return out
