"""MCP server: search, candidate lookup, re-rank, talent-pool insights and query generation as agent tools.

    talentsearch mcp --index-dir var/index --tenant acme-talent          # stdio (what agent hosts launch)
    talentsearch mcp --transport streamable-http --port 8001             # or over HTTP

The server calls the engine in-process (no HTTP hop) and is bound to ONE tenant, set when it is
started: the agent host launches one server per customer, so an agent cannot widen its own scope by
naming another tenant in a tool call. Tool errors are returned as MCP tool errors whose text says
what was wrong and where (the same messages the HTTP API puts in problem+json).
"""
from __future__ import annotations

from typing import Any

from query.filters import Filters
from records.errors import TalentSearchError

INSTRUCTIONS = """\
talentsearch finds candidates among professional profiles. Typical flow: turn a job description into
queries with generate_queries, run the best one with search_candidates (Boolean syntax: AND OR NOT,
"phrases", parentheses, title: company: skill: scopes; or plain words), look at the talent pool with
talent_pool_insights, and re-order a shortlist with rerank_candidates. Filters: near (city) +
radius_km, min_years/max_years, seniority, current_company, not_current_company, past_company,
open_to_work, active_within_days."""


def build_mcp(settings, *, tenant_id: str | None = None, engine=None):
    """The MCP server over ``settings.index_dir`` for ``tenant_id`` (None: network profiles only)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    state: dict[str, Any] = {"engine": engine}

    def get_engine():
        if state["engine"] is None:
            from api.wiring import build_engine

            state["engine"] = build_engine(settings)
        return state["engine"]

    def guarded(fn):
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except TalentSearchError as exc:
                raise ToolError(f"{type(exc).__name__}: {exc}") from None
        return call

    server = MCPServer("talentsearch", instructions=INSTRUCTIONS)

    @server.tool(description="Search candidates with a Boolean query or plain words, plus filters. Returns ranked "
                             "candidates with why they matched (per-retriever ranks, matched fields).")
    def search_candidates(query: str, k: int = 10, near: str | None = None, radius_km: float | None = None,
                          min_years: float | None = None, max_years: float | None = None,
                          seniority: list[str] | None = None, current_company: list[str] | None = None,
                          not_current_company: list[str] | None = None, past_company: list[str] | None = None,
                          open_to_work: bool | None = None, active_within_days: int | None = None,
                          mode: str = "hybrid") -> dict:
        from api.app import summarize
        from ranking.pipeline import SearchRequest

        raw = _filters(dict(near=near, radius_km=radius_km, min_years=min_years, max_years=max_years,
                            seniority=seniority, current_company=current_company,
                            not_current_company=not_current_company, past_company=past_company,
                            open_to_work=open_to_work, active_within_days=active_within_days))

        @guarded
        def run():
            filters = Filters.from_dict(raw, tenant_id=tenant_id)
            res = get_engine().search(SearchRequest(query=query, filters=filters, k=k, mode=mode))
            return {"query": res.query, "syntax": res.syntax, "total_lexical": res.total_lexical,
                    "index_version": res.version,
                    "hits": [{"candidate_id": h.candidate_id, "rank": h.rank, "score": round(h.score, 6),
                              "retrievers": {n: h.ranks[n] for n in h.ranks}, "matched_fields": list(h.matched_fields),
                              "candidate": summarize(h.profile).model_dump()} for h in res.hits]}
        return run()

    @server.tool(description="One candidate's full indexed profile by candidate_id.")
    def get_candidate(candidate_id: str) -> dict:
        @guarded
        def run():
            rec = get_engine().get(candidate_id, tenant_id=tenant_id)
            return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items()
                    if k not in ("ord", "content_hash")}
        return run()

    @server.tool(description="Re-rank a given list of candidate ids (at most 1,000) for a query; every id comes back "
                             "once with a status (ok, no_match, not_found), rank and score.")
    def rerank_candidates(query: str, candidate_ids: list[str]) -> dict:
        from ranking.rerank import RerankRequest, rerank

        @guarded
        def run():
            res = rerank(get_engine(), RerankRequest(query, tuple(candidate_ids), tenant_id=tenant_id))
            return {"index_version": res.index_version,
                    "items": [{"candidate_id": r.candidate_id, "status": r.status, "rank": r.rank, "score": r.score,
                               "explanation": r.explanation} for r in res.items]}
        return run()

    @server.tool(description="Talent-pool insights for a query + filters: supply, top locations/titles/skills/"
                             "companies, where the pool comes from and goes to, growing companies and layoffs. "
                             "Needs `talentsearch graph build`.")
    def talent_pool_insights(query: str = "", near: str | None = None, radius_km: float | None = None,
                             min_years: float | None = None, max_years: float | None = None,
                             seniority: list[str] | None = None, vs_company: str | None = None, top: int = 10) -> dict:
        from ranking.insights import pool_insights
        from ranking.pipeline import SearchRequest

        @guarded
        def run():
            filters = Filters.from_dict(_filters(dict(near=near, radius_km=radius_km, min_years=min_years,
                                                      max_years=max_years, seniority=seniority)), tenant_id=tenant_id)
            return pool_insights(get_engine(), SearchRequest(query=query, filters=filters), vs_company=vs_company, top=top)
        return run()

    @server.tool(description="Turn a job description (or intake notes) into several runnable queries (strict Boolean, "
                             "broadened, semantic) with filters and a rationale each. Requests that target protected "
                             "attributes (age, gender, ethnicity, religion, nationality, disability, family status, "
                             "pregnancy) are refused or stripped, with an explanation.")
    def generate_queries(job_description: str) -> dict:
        from api.queries import build_generator

        @guarded
        def run():
            if state.get("generator") is None:
                state["generator"] = build_generator(settings)
            return state["generator"].generate(text=job_description, fields=None, tenant_id=tenant_id).to_dict()
        return run()

    return server


def _filters(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def run_mcp(settings, *, tenant_id: str | None, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8001) -> None:
    server = build_mcp(settings, tenant_id=tenant_id)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)


__all__ = ["build_mcp", "run_mcp"]
