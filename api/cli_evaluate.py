"""``talentsearch evaluate``: judge candidates against qualifications, with evidence (ranking/evaluate/)."""
from __future__ import annotations

import json
from pathlib import Path

from api.cli_args import index_dir_arg, settings_from_args
from api.wiring import build_engine
from query.intake.requirements import Intake
from query.lang.filters import Filters
from query.qualifications import from_requirements
from ranking.evaluate.service import EvaluateRequest, evaluate
from ranking.evaluate.store import EvaluationStore
from ranking.search.pipeline import SearchRequest
from records.errors import QueryError


def add_parsers(sub) -> None:
    e = sub.add_parser("evaluate", help="judge candidates against qualifications: verdict, confidence and evidence "
                                        "quoting the profile, must-haves first")
    index_dir_arg(e)
    what = e.add_mutually_exclusive_group(required=True)
    what.add_argument("--qualifications", type=Path, metavar="JSON",
                      help='a JSON list: [{"kind": "skill", "text": "Spark"}, {"kind": "years", "min_years": 5}, ...]')
    what.add_argument("--requirements", metavar="TEXT", help="a job description or request; intake derives the qualifications")
    who = e.add_mutually_exclusive_group(required=True)
    who.add_argument("--candidates", metavar="ID,ID", help="comma-separated candidate ids")
    who.add_argument("--query", help="evaluate the top -k hits of this search instead")
    e.add_argument("-k", type=int, default=20, help="with --query: how many hits (default 20)")
    e.add_argument("--tenant", help="act as this tenant (its private candidates; the evaluation is stored for it)")
    e.add_argument("--evaluations-dir", type=Path, default=None, help="where evaluations are kept (default var/evaluations)")
    e.add_argument("--no-store", action="store_true", help="do not keep the evaluation")
    e.add_argument("--json", action="store_true", help="print the whole evaluation as JSON")
    e.set_defaults(func=_evaluate)


def _evaluate(args) -> int:
    settings = settings_from_args(args)
    if args.evaluations_dir:
        settings = settings.model_copy(update={"evaluations_dir": args.evaluations_dir})
    if args.qualifications is not None:
        try:
            quals = json.loads(args.qualifications.read_text())
        except (OSError, ValueError) as exc:
            raise QueryError(f"--qualifications {args.qualifications}: not a readable JSON list ({exc})") from None
    else:
        quals = list(from_requirements(Intake().from_text(args.requirements)))
    engine = build_engine(settings, ltr=False)
    if args.candidates is not None:
        ids = tuple(c.strip() for c in args.candidates.split(",") if c.strip())
    else:
        res = engine.search(SearchRequest(query=args.query, filters=Filters(tenant_id=args.tenant), k=args.k))
        ids = tuple(h.candidate_id for h in res.hits)
    store = None if args.no_store else EvaluationStore(settings.evaluations_dir)
    result = evaluate(engine, engine.evaluator, EvaluateRequest(tuple(quals), ids, tenant_id=args.tenant),
                      store=store)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
        return 0
    for f in result.findings:
        print(f"guard: {f.explanation} ({f.where})")
    labels = {q.id: q.label for q in result.qualifications}
    print(f"evaluation {result.evaluation_id} ({result.evaluator}): {len(result.candidates)} candidates x "
          f"{len(result.qualifications)} qualifications" + ("" if store is None else f", stored in {settings.evaluations_dir}"))
    for c in result.candidates:
        if c.status != "ok":
            print(f"  -  {c.candidate_id}: {c.status}")
            continue
        print(f"{c.rank:3d}  {c.candidate_id}  score {c.score:.2f}  musts {c.must_met}/{c.must_total}")
        for j in c.judgements:
            quote = f'  "{j.evidence[0].text}" ({j.evidence[0].field})' if j.evidence else ""
            print(f"       {j.verdict:<11} {labels[j.qualification_id]}{quote}")
    return 0
