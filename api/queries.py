"""Wiring of the LLM query layer for the API (api/routes/queries.py) and the CLI: planner from settings, expander,
priors, pool size."""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from api.cli_args import settings_from_args
from query.lang.filters import Filters
from query.llm.base import QueryStrategy
from query.llm.generate import QueryGenerator
from query.llm.history import HistoryStore

log = logging.getLogger("talentsearch.queries")
POOL_CAP = 5000        # profiles counted per refinement step at most


def load_expander(index_dir: Path | None):
    """The economic graph's Expander for ``index_dir`` (taxonomy-only where no graph was built)."""
    from graph.expansion import Expander  # here, not at the top: the CLI imports this module to parse

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
    from ranking.search.pipeline import SearchRequest

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
