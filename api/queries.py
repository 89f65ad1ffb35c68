"""Wiring of the LLM query layer for the API and the CLI: planner from settings, expander, priors, pool size."""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.cli_args import settings_from_args
from query.filters import Filters
from query.llm.base import QueryStrategy
from query.llm.generate import QueryGenerator
from query.llm.history import HistoryStore

log = logging.getLogger("talentsearch.queries")
POOL_CAP = 5000        # profiles counted per refinement step at most


def load_expander(index_dir: Path | None):
    """The economic graph's Expander when ``graph/`` is installed, else the taxonomy-only one."""
    try:
        from graph.expansion import Expander
    except ImportError:
        from query.llm.expand import TaxonomyExpander

        return TaxonomyExpander()
    return Expander.load(index_dir)


def build_planner(settings):
    """The OpenAI-compatible planner when ``llm_base_url`` and ``llm_model`` are set, else None (offline)."""
    if not (settings.llm_base_url and settings.llm_model):
        return None
    from query.llm.openai import LLMConfig, OpenAIChatPlanner

    return OpenAIChatPlanner(LLMConfig(base_url=settings.llm_base_url, model=settings.llm_model,
                                       api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
                                       timeout_s=settings.llm_timeout_s, retries=settings.llm_retries,
                                       response_format=settings.llm_response_format,
                                       prompt_version=settings.llm_prompt_version))


def build_generator(settings) -> QueryGenerator:
    history = None
    try:
        history = HistoryStore.for_index(settings.index_dir)
    except OSError as exc:      # a read-only index directory: generation still works, without priors
        log.warning("query history unavailable: %s", exc)
    return QueryGenerator(planner=build_planner(settings), expander=load_expander(settings.index_dir), history=history)


def pool_counter(engine, *, tenant_id: str | None = None, cap: int = POOL_CAP):
    """``pool_size(strategy) -> int``: profiles the strategy's Boolean query and filters match (up to ``cap``)."""
    from ranking.pipeline import SearchRequest

    def pool_size(strategy: QueryStrategy) -> int:
        req = SearchRequest(query=strategy.query, filters=Filters.from_dict(strategy.filters, tenant_id=tenant_id), k=1,
                            mode="lexical", syntax="boolean", lexical_k=cap, boolean_pool=cap, debug=True)
        res = engine.search(req)
        if res.total_lexical >= 0:
            return res.total_lexical
        return len(res.debug["runs"].get("lexical", []))
    return pool_size


def record_engagement(generator: QueryGenerator, tenant_id: str | None, req, strategy: QueryStrategy,
                      engagement: float | None) -> bool:
    """Store a query that led to engagement as a tenant prior; False when nothing was stored."""
    if generator.history is None or not tenant_id or engagement is None or engagement <= 0 or not req.occupation_code:
        return False
    generator.history.record(tenant_id, req.occupation_code, dataclasses.replace(strategy, name="history"), engagement,
                             tuple(req.must_have))
    return True


# ------------------------------------------------------------------------------------- HTTP
class Requirements(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(None, max_length=200_000,
                             description="a job posting as pasted (title line, location line, description; HTML is "
                                         "read as text) or one request sentence; the first 60,000 characters are read")
    title: str | None = Field(None, max_length=300, description="the posting's own title field, when known (with text)")
    location: str | None = Field(None, max_length=300, description="the posting's own location field (with text)")
    requirements: dict | None = Field(None, description="structured fields: titles, seniority, locations, "
                                      "must_have, nice_to_have, min_years, max_years, exclude_companies, ...")

    @model_validator(mode="after")
    def _one(self):
        if (self.text is None) == (self.requirements is None):
            raise ValueError("give exactly one of 'text' or 'requirements'")
        if self.requirements is not None and (self.title or self.location):
            raise ValueError("'title' and 'location' go with 'text'")
        return self

    def inputs(self) -> dict:
        if self.text is not None:
            return {"text": self.text, "title": self.title, "location": self.location}
        return {"fields": self.requirements}


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engagement_rate: float | None = Field(None, ge=0, le=1)
    relevant_share: float | None = Field(None, ge=0, le=1)


class RefineBody(Requirements):
    target_min: int = Field(50, ge=0)
    target_max: int = Field(500, ge=1)
    max_steps: int = Field(6, ge=1, le=20)
    feedback: FeedbackBody | None = None


def install_query_routes(app, settings, problem) -> None:
    """``POST /v1/queries/generate`` and ``POST /v1/queries/refine`` (tenant via ``X-Tenant-Id``)."""
    from fastapi import Header, Request

    from query.guard import PolicyViolationError
    from query.intake import IntakeError
    from query.refine import Feedback, RefineConfig, Refiner

    def generator():
        if getattr(app.state, "query_generator", None) is None:
            app.state.query_generator = build_generator(settings)
        return app.state.query_generator

    responses = {422: {"description": "unreadable or refused requirements (problem+json)"}}

    @app.post("/v1/queries/generate", tags=["queries"], responses=responses)
    def generate(body: Requirements, x_tenant_id: str | None = Header(None)) -> dict:
        res = generator().generate(tenant_id=x_tenant_id, **body.inputs())
        return res.to_dict()

    @app.post("/v1/queries/refine", tags=["queries"], responses={**responses, 503: {"description": "index unavailable"}})
    def refine(body: RefineBody, x_tenant_id: str | None = Header(None)) -> dict:
        gen = generator()
        res = gen.generate(tenant_id=x_tenant_id, **body.inputs())
        refiner = Refiner(gen.taxonomy, gen.expander, RefineConfig(body.target_min, body.target_max, body.max_steps))
        feedback = Feedback(**body.feedback.model_dump()) if body.feedback else None
        out = refiner.refine(res.requirements, pool_counter(app.state.engine, tenant_id=x_tenant_id), feedback=feedback)
        recorded = False
        if feedback is not None and feedback.engagement_rate:
            recorded = record_engagement(gen, x_tenant_id, res.requirements,
                                         dataclasses.replace(out.strategy, query=out.trace[0].query,
                                                             filters=out.trace[0].filters), feedback.engagement_rate)
        return {**out.to_dict(), "provider": res.provider, "guard": [g.to_dict() for g in res.guard],
                "prior_recorded": recorded}

    @app.exception_handler(PolicyViolationError)
    async def _refused(_: Request, exc: PolicyViolationError):
        return problem(422, "Request refused", str(exc), field="text",
                       findings=[f.to_dict() for f in exc.findings])

    @app.exception_handler(IntakeError)
    async def _intake(_: Request, exc: IntakeError):
        found = getattr(exc, "findings", None)
        return problem(422, "Invalid requirements", str(exc), field=exc.field,
                       findings=[f.to_dict() for f in found] if found else None)


# -------------------------------------------------------------------------------------- CLI
def add_cli(sub, index_dir_arg) -> None:
    """``talentsearch queries generate|refine``: the same as the HTTP endpoints, JSON on stdout."""
    q = sub.add_parser("queries", help="LLM query layer: job description -> queries; refine toward a pool size")
    qs = q.add_subparsers(dest="queries", required=True)
    for name, helptext in (("generate", "requirements -> strategies (strict, broad, semantic, tenant priors)"),
                           ("refine", "run the strict query and broaden/narrow toward --target; print the trace")):
        p = qs.add_parser(name, help=helptext)
        src = p.add_mutually_exclusive_group(required=True)
        src.add_argument("--text", help="job description text ('-' reads stdin)")
        src.add_argument("--file", type=Path, help="job description file")
        src.add_argument("--requirements", type=Path, help="JSON file with structured requirements")
        p.add_argument("--tenant", help="tenant (scopes the historical priors)")
        p.add_argument("--title", help="the posting's own title field (with --text/--file)")
        p.add_argument("--location", help="the posting's own location field (with --text/--file)")
        index_dir_arg(p)
        if name == "refine":
            p.add_argument("--target", default="50:500", help="pool size range MIN:MAX (default 50:500)")
            p.add_argument("--max-steps", type=int, default=6)
            p.add_argument("--engagement", type=float, default=None, help="engagement rate of the first query, 0..1")
        p.set_defaults(func=_cli_generate if name == "generate" else _cli_refine)


def _cli_inputs(args) -> dict:
    import json
    import sys

    if args.requirements:
        return {"fields": json.loads(args.requirements.read_text(encoding="utf-8"))}
    extra = {"title": args.title, "location": args.location}
    if args.file:
        return {"text": args.file.read_text(encoding="utf-8", errors="replace"), **extra}
    return {"text": sys.stdin.read() if args.text == "-" else args.text, **extra}


def _cli_generate(args) -> int:
    import json

    from query.guard import PolicyViolationError

    gen = build_generator(settings_from_args(args))
    try:
        res = gen.generate(tenant_id=args.tenant, **_cli_inputs(args))
    except PolicyViolationError as exc:
        print(json.dumps({"error": str(exc), "findings": [f.to_dict() for f in exc.findings]}, indent=2))
        return 3
    print(json.dumps(res.to_dict(), indent=2, default=str))
    return 0


def _cli_refine(args) -> int:
    import json

    from api.wiring import build_engine
    from query.guard import PolicyViolationError
    from query.refine import Feedback, RefineConfig, Refiner
    from records.errors import QueryError

    try:
        lo, hi = (int(x) for x in args.target.split(":"))
    except ValueError:
        raise QueryError(f"--target: expected MIN:MAX, got {args.target!r}") from None
    settings = settings_from_args(args)
    gen = build_generator(settings)
    try:
        res = gen.generate(tenant_id=args.tenant, **_cli_inputs(args))
    except PolicyViolationError as exc:
        print(json.dumps({"error": str(exc), "findings": [f.to_dict() for f in exc.findings]}, indent=2))
        return 3
    refiner = Refiner(gen.taxonomy, gen.expander, RefineConfig(lo, hi, args.max_steps))
    feedback = Feedback(engagement_rate=args.engagement) if args.engagement is not None else None
    out = refiner.refine(res.requirements, pool_counter(build_engine(settings), tenant_id=args.tenant), feedback=feedback)
    if feedback is not None:
        record_engagement(gen, args.tenant, res.requirements,
                          dataclasses.replace(out.strategy, query=out.trace[0].query, filters=out.trace[0].filters),
                          args.engagement)
    print(json.dumps({**out.to_dict(), "provider": res.provider, "guard": [g.to_dict() for g in res.guard]},
                     indent=2, default=str))
    return 0
