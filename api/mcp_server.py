"""MCP server: search, candidate lookup, re-rank, talent-pool insights and query generation as agent tools.

    talentsearch mcp --index-dir var/index --tenant acme-talent          # stdio (what agent hosts launch)
    talentsearch mcp --transport streamable-http --port 8001             # or over HTTP (bearer keys)

The server calls the engine in-process (no HTTP hop). It builds and warms the engine when it starts,
so an agent host's first tool call does not wait for the index and models. Every tool declares an
output schema and answers with structured content.

Tenancy. Over stdio the server is bound to ONE tenant, set when it is started: the agent host launches
one server per customer, so an agent cannot widen its own scope by naming another tenant in a tool
call. Over HTTP with an API keys file (``TALENTSEARCH_API_KEYS_FILE``, the same keys as the HTTP API)
every request needs ``Authorization: Bearer <key>`` and the key decides the tenant; without a keys file
the HTTP transport serves loopback only and says so (development mode). Tool errors are MCP tool errors
whose text says what was wrong and where (the same messages the HTTP API puts in problem+json).
"""
from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.app import summarize
from api.middleware import ApiKeys
from api.queries import build_generator
from api.routes.writes import open_live
from api.schemas import CandidateSummary
from api.wiring import build_engine
from query.lang.filters import Filters
from ranking.search.insights import pool_insights
from ranking.search.pipeline import SearchRequest
from ranking.evaluate.service import EvaluateRequest, evaluate
from ranking.evaluate.store import EvaluationStore
from ranking.search.rerank import RerankRequest, rerank
from records.errors import TalentSearchError, ValidationError

log = logging.getLogger("talentsearch.mcp")
LOOPBACK = ("127.0.0.1", "localhost", "::1")

INSTRUCTIONS = """\
talentsearch finds candidates among professional profiles. Typical flow: turn a job description into
queries with generate_queries, run the best one with search_candidates (Boolean syntax: AND OR NOT,
"phrases", parentheses, title: company: skill: scopes; or plain words), look at the talent pool with
talent_pool_insights, re-order a shortlist with rerank_candidates, and judge it against approved
qualifications with evaluate_candidates (verdicts with evidence quoted from each profile). Filters: near (city) +
radius_km, min_years/max_years, seniority, current_company, not_current_company, past_company,
open_to_work, active_within_days. To keep sourcing a role, save_search keeps a query standing and
new_matches returns who newly matched (or left) since the cursor you last saw."""


# ------------------------------------------------------------------------------ output schemas
class McpHit(BaseModel):
    candidate_id: str
    rank: int
    score: float
    retrievers: dict[str, int] = Field(description="rank of the hit in each retriever that found it")
    matched_fields: list[str]
    candidate: CandidateSummary


class SavedSearchOutput(BaseModel):
    search_id: str
    name: str
    query: str
    filters: dict[str, Any]


class NewMatchesOutput(BaseModel):
    search_id: str
    next_cursor: int = Field(description="pass as `after` next time")
    entries: list[dict[str, Any]] = Field(description="seq, candidate_id, event (entered/left), why")


class SearchOutput(BaseModel):
    query: str | None = Field(description="the query as the engine read it (normalised Boolean)")
    syntax: str
    total_lexical: int = Field(description="profiles the lexical query matched (-1: not counted)")
    index_version: str
    model_version: str | None = Field(description="the tenant's LTR model that ordered the hits (None: fused order)")
    hits: list[McpHit]


class CandidateOutput(BaseModel):
    candidate_id: str
    profile: dict[str, Any] = Field(description="the indexed profile: positions, education, skills, location, ...")


class RerankItemOutput(BaseModel):
    candidate_id: str
    status: Literal["ok", "no_match", "not_found"]
    rank: int | None
    score: float | None
    explanation: str = ""


class RerankOutput(BaseModel):
    index_version: str
    model_version: str | None = None
    items: list[RerankItemOutput]


class EvaluationOutput(BaseModel):
    model_config = ConfigDict(extra="allow")
    evaluation_id: str
    evaluator: str
    qualifications: list[dict[str, Any]]
    candidates: list[dict[str, Any]] = Field(description="ordered, must-haves first: per qualification a verdict "
                                                         "(meets, partly, no_evidence, contradicts), confidence, evidence")
    guard: list[dict[str, Any]] = Field(description="qualifications the responsible-AI guard stripped, with the reason")


class InsightsOutput(BaseModel):
    model_config = ConfigDict(extra="allow")
    pool: dict[str, Any] = Field(description="profiles matched, used, in the graph, truncated")
    timings_ms: dict[str, float] = {}


class QueriesOutput(BaseModel):
    requirements: dict[str, Any] = Field(description="the hiring requirements read from the text")
    strategies: list[dict[str, Any]] = Field(description="runnable queries with filters and a rationale each")
    provider: str
    is_llm: bool
    model: str | None = None
    prompt_version: str | None = None
    fallback_reason: str | None = None
    guard: list[dict[str, Any]] = Field(description="protected criteria found, and what was done with each")
    notes: list[str] = []


# ------------------------------------------------------------------------------ bearer keys
class ApiKeyVerifier:
    """MCP ``TokenVerifier`` over the API keys file: a valid key is an access token for its tenant."""

    def __init__(self, keys):
        self.keys = keys

    async def verify_token(self, token: str):
        from mcp.server.auth.provider import AccessToken

        tenant = self.keys.tenant_for(token)
        return None if tenant is None else AccessToken(token=token, client_id=tenant, scopes=["talentsearch"])


def _package_version() -> str:
    try:
        return version("talentsearch")
    except PackageNotFoundError:    # running from a source tree that was never installed
        return "0+unknown"


def build_mcp(settings, *, tenant_id: str | None = None, engine=None, keys=None, url: str | None = None):
    """The MCP server over ``settings.index_dir``.

    ``tenant_id``: the tenant a stdio server acts for (None: network profiles only). ``keys`` (an
    ``api.middleware.ApiKeys``) with ``url`` (where the HTTP transport listens): bearer-key auth, the
    key's tenant for each call. ``engine``: reuse one already built, else it is built and warmed now."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    if keys is not None and tenant_id is not None:
        raise ValidationError("tenant: with an API keys file each key decides its tenant; start without --tenant")
    if engine is None:
        engine = build_engine(settings)
        try:
            engine.warm()               # the first tool call should not pay for loading the index and models
        except (TalentSearchError, OSError) as exc:
            log.warning("not warmed up at start: %s", exc)
        if engine.ltr is not None and settings.ltr_watch_s > 0:
            engine.ltr.watch(settings.ltr_watch_s)     # models promoted while the server runs load in the background
    state: dict[str, Any] = {"generator": None}

    def caller() -> str | None:
        """The tenant of this call: the bearer key's over HTTP with keys, else the server's own."""
        if keys is None:
            return tenant_id
        from mcp.server.auth.middleware.auth_context import get_access_token

        token = get_access_token()
        if token is None:               # unreachable behind RequireAuthMiddleware; never fall back to a tenant
            raise ToolError("unauthenticated: send 'Authorization: Bearer <key>'")
        return token.client_id

    def guarded(fn):
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except TalentSearchError as exc:
                raise ToolError(f"{type(exc).__name__}: {exc}") from None
        return call

    auth = {}
    if keys is not None:
        from mcp.server.auth.settings import AuthSettings

        auth = {"token_verifier": ApiKeyVerifier(keys),
                "auth": AuthSettings(issuer_url=url, resource_server_url=f"{url}/mcp", validate_token_resource=False)}
    server = MCPServer("talentsearch", instructions=INSTRUCTIONS, version=_package_version(), **auth)

    @server.tool(description="Search candidates with a Boolean query or plain words, plus filters. Returns ranked "
                             "candidates with why they matched (per-retriever ranks, matched fields).")
    def search_candidates(query: str, k: int = 10, near: str | None = None, radius_km: float | None = None,
                          min_years: float | None = None, max_years: float | None = None,
                          seniority: list[str] | None = None, current_company: list[str] | None = None,
                          not_current_company: list[str] | None = None, past_company: list[str] | None = None,
                          open_to_work: bool | None = None, active_within_days: int | None = None,
                          mode: str = "hybrid") -> SearchOutput:
        raw = _filters(dict(near=near, radius_km=radius_km, min_years=min_years, max_years=max_years,
                            seniority=seniority, current_company=current_company,
                            not_current_company=not_current_company, past_company=past_company,
                            open_to_work=open_to_work, active_within_days=active_within_days))

        @guarded
        def run():
            filters = Filters.from_dict(raw, tenant_id=caller())
            res = engine.search(SearchRequest(query=query, filters=filters, k=k, mode=mode))
            return SearchOutput(query=res.query, syntax=res.syntax, total_lexical=res.total_lexical,
                                index_version=res.version, model_version=res.model_version,
                                hits=[McpHit(candidate_id=h.candidate_id, rank=h.rank, score=round(h.score, 6),
                                             retrievers=dict(h.ranks), matched_fields=list(h.matched_fields),
                                             candidate=summarize(h.profile)) for h in res.hits])
        return run()

    @server.tool(description="One candidate's full indexed profile by candidate_id.")
    def get_candidate(candidate_id: str) -> CandidateOutput:
        @guarded
        def run():
            rec = engine.get(candidate_id, tenant_id=caller())
            profile = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items()
                       if k not in ("ord", "content_hash")}
            return CandidateOutput(candidate_id=candidate_id, profile=profile)
        return run()

    @server.tool(description="Re-rank a given list of candidate ids (at most 1,000) for a query; every id comes back "
                             "once with a status (ok, no_match, not_found), rank and score.")
    def rerank_candidates(query: str, candidate_ids: list[str]) -> RerankOutput:
        @guarded
        def run():
            res = rerank(engine, RerankRequest(query, tuple(candidate_ids), tenant_id=caller()))
            return RerankOutput(index_version=res.index_version, model_version=res.model_version,
                                items=[RerankItemOutput(candidate_id=r.candidate_id, status=r.status, rank=r.rank,
                                                        score=r.score, explanation=r.explanation) for r in res.items])
        return run()

    @server.tool(description="Talent-pool insights for a query + filters: supply, top locations/titles/skills/"
                             "companies, where the pool comes from and goes to, growing companies and layoffs. "
                             "Needs `talentsearch graph build`.")
    def talent_pool_insights(query: str = "", near: str | None = None, radius_km: float | None = None,
                             min_years: float | None = None, max_years: float | None = None,
                             seniority: list[str] | None = None, vs_company: str | None = None,
                             top: int = 10) -> InsightsOutput:
        @guarded
        def run():
            filters = Filters.from_dict(_filters(dict(near=near, radius_km=radius_km, min_years=min_years,
                                                      max_years=max_years, seniority=seniority)), tenant_id=caller())
            return InsightsOutput(**pool_insights(engine, SearchRequest(query=query, filters=filters),
                                                  vs_company=vs_company, top=top))
        return run()

    @server.tool(description="Turn a job description (or intake notes) into several runnable queries (strict Boolean, "
                             "broadened, semantic) with filters and a rationale each. Requests that target protected "
                             "attributes (age, gender, ethnicity, religion, nationality, disability, family status, "
                             "pregnancy) are refused or stripped, with an explanation.")
    def generate_queries(job_description: str) -> QueriesOutput:
        @guarded
        def run():
            if state["generator"] is None:
                state["generator"] = build_generator(settings)
            out = state["generator"].generate(text=job_description, fields=None, tenant_id=caller()).to_dict()
            return QueriesOutput(**out)
        return run()

    @server.tool(description="Evaluate candidates (at most 1,000 ids) against qualifications a recruiter approved. Each "
                             "qualification: {kind: skill|occupation|years|seniority|location|education|company|industry|"
                             "language|free_text, text, must (default true), weight, min_years, skill, level, radius_km, "
                             "degree, field}. Returns per candidate and qualification a verdict (meets, partly, "
                             "no_evidence, contradicts), a confidence and evidence quoting the profile; candidates with "
                             "every must-have met first. Protected attributes are stripped with an explanation.")
    def evaluate_candidates(qualifications: list[dict[str, Any]], candidate_ids: list[str]) -> EvaluationOutput:
        @guarded
        def run():
            res = evaluate(engine, engine.evaluator, EvaluateRequest(tuple(qualifications), tuple(candidate_ids),
                                                                       tenant_id=caller()),
                           store=EvaluationStore(settings.evaluations_dir))
            return EvaluationOutput(**res.to_dict())
        return run()

    def live():
        """The standing-search service over the server's index and standing directory, made on first use."""
        if caller() is None:
            raise ValidationError("tenant: standing searches belong to a tenant; start the server with --tenant or use a key")
        if state.get("live") is None:
            state["live"] = open_live(settings, engine)
        return state["live"]

    @server.tool(description="Save a standing search for this tenant: a Boolean query (bare words are ANDed) with "
                             "filters. Its feed then reports each candidate that newly matches or stops matching "
                             "(written profiles are matched as they arrive). Returns the search_id; read the feed "
                             "with new_matches.")
    def save_search(name: str, query: str, near: str | None = None, radius_km: float | None = None,
                    min_years: float | None = None, max_years: float | None = None, seniority: list[str] | None = None,
                    open_to_work: bool | None = None, backfill: bool = False) -> SavedSearchOutput:
        @guarded
        def run():
            filters = _filters(dict(near=near, radius_km=radius_km, min_years=min_years, max_years=max_years,
                                    seniority=seniority, open_to_work=open_to_work))
            s = live().create_search(caller(), {"name": name, "query": query, "filters": filters}, backfill=backfill)
            return SavedSearchOutput(search_id=s.search_id, name=s.name, query=s.query, filters=s.filters)
        return run()

    @server.tool(description="New feed entries of a standing search after a cursor: each candidate that entered "
                             "or left it, once and in order, with why (matched fields, rank, score). Pass the "
                             "returned next_cursor next time to get only what is new.")
    def new_matches(search_id: str, after: int = 0, limit: int = 100) -> NewMatchesOutput:
        @guarded
        def run():
            svc = live()
            svc.store.get(search_id, caller())
            entries = svc.store.feed(search_id, after=max(after, 0), limit=min(max(limit, 1), 1000))
            return NewMatchesOutput(search_id=search_id, next_cursor=entries[-1].seq if entries else after,
                                    entries=[{"seq": e.seq, "candidate_id": e.candidate_id, "event": e.event,
                                              "why": e.why} for e in entries])
        return run()

    return server


def _filters(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def run_mcp(settings, *, tenant_id: str | None, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8001) -> None:
    if transport == "stdio":
        build_mcp(settings, tenant_id=tenant_id).run("stdio")
        return
    keys = None
    if settings.api_keys_file is not None:
        keys = ApiKeys(settings.api_keys_file)
    elif host not in LOOPBACK:
        raise ValidationError(f"host: serving MCP on {host} needs API keys (TALENTSEARCH_API_KEYS_FILE); "
                              "without them only loopback is served")
    else:
        log.warning("no API keys file configured: the MCP HTTP transport is open to this machine (development mode)")
    server = build_mcp(settings, tenant_id=tenant_id, keys=keys, url=f"http://{host}:{port}")
    server.run("streamable-http", host=host, port=port)


__all__ = ["build_mcp", "run_mcp", "ApiKeyVerifier"]
