"""``talentsearch audit import|report|rerank``: a tenant's self-reported attributes, the bias audit of what
the engine serves it, and its fairness-aware re-ranking setting."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from api.cli_args import fairness_dir_arg, index_dir_arg, ltr_dir_arg, settings_from_args


def add_parsers(sub) -> None:
    a = sub.add_parser("audit", help="bias audit: self-reported attributes, impact ratios, fairness-aware re-ranking")
    s = a.add_subparsers(dest="audit", required=True)
    i = s.add_parser("import", help="store a tenant's self-reported attributes (Parquet, CSV or JSONL; never indexed)")
    i.add_argument("file", type=Path)
    i.add_argument("--tenant", required=True)
    fairness_dir_arg(i)
    i.set_defaults(func=_import)

    r = s.add_parser("report", help="impact ratios of the tenant's ranker over judged queries: markdown, JSON, PNG")
    r.add_argument("--tenant", required=True)
    r.add_argument("--queries", type=Path, required=True, help="JSON Lines: query_id, query, optional kind/filters")
    r.add_argument("--qrels", type=Path, required=True, help="TREC qrels: query_id 0 candidate_id grade")
    r.add_argument("--attribute", action="append", default=None, help="sex, age_band, ethnicity (default: all three)")
    r.add_argument("--k", type=int, default=10)
    r.add_argument("--no-model", action="store_true", help="audit the hybrid order, not the tenant's LTR model")
    r.add_argument("--out", type=Path, default=Path("var/audit/report"), help="writes OUT.json, OUT.md, OUT.png")
    index_dir_arg(r)
    ltr_dir_arg(r)
    fairness_dir_arg(r)
    r.set_defaults(func=_report)

    e = s.add_parser("rerank", help="turn the tenant's fairness-aware re-ranking on or off (off by default)")
    e.add_argument("--tenant", required=True)
    on = e.add_mutually_exclusive_group(required=True)
    on.add_argument("--enable", action="store_true")
    on.add_argument("--disable", action="store_true")
    e.add_argument("--attribute", default="sex")
    e.add_argument("--algorithm", choices=["detgreedy", "detconstsort", "fair"], default="detgreedy",
                   help="fair: FA*IR (needs --protected)")
    e.add_argument("--top-n", type=int, default=100, help="ranked candidates re-ranked")
    e.add_argument("--target", choices=["pool", "population"], default="pool",
                   help="toward the top N's own distribution (pool) or the tenant's whole file's (population)")
    e.add_argument("--protected", default=None, help="FA*IR: the protected group, e.g. female")
    e.add_argument("--alpha", type=float, default=0.1, help="FA*IR: significance of the ranked group fairness test")
    e.add_argument("--min-proportion", type=float, default=None,
                   help="FA*IR: minimum proportion p (default: the protected group's share of the target)")
    fairness_dir_arg(e)
    e.set_defaults(func=_rerank)


def _store(args):
    from ranking.fairness.attributes import AttributeStore

    return AttributeStore(settings_from_args(args).fairness_dir)


def _import(args) -> int:
    from ranking.fairness.attributes import read_audit_file

    audit = read_audit_file(args.file)
    manifest = _store(args).put(args.tenant, audit)
    for err in audit.errors[:50]:
        print(f"{args.file}: {err}", file=sys.stderr)
    if len(audit.errors) > 50:
        print(f"{args.file}: ... {len(audit.errors) - 50} more rejected rows", file=sys.stderr)
    print(json.dumps(manifest, indent=2))
    return 0


def read_queries(path: Path) -> list[dict]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        q = json.loads(line)
        if not isinstance(q, dict) or "query_id" not in q or "query" not in q:
            from records.errors import ValidationError

            raise ValidationError(f"{path}: line {n} needs query_id and query")
        out.append(q)
    return out


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 4:
            qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return qrels


def _report(args) -> int:
    from api.wiring import build_engine
    from query.lang.filters import Filters
    from ranking.fairness.attributes import ATTRIBUTES, check_attribute
    from ranking.fairness.audit import audit, write_report
    from ranking.search.pipeline import SearchRequest

    settings = settings_from_args(args)
    attributes = [check_attribute(a) for a in (args.attribute or list(ATTRIBUTES))]
    audit_file = _store(args).get(args.tenant)
    engine = build_engine(settings)
    qrels = read_qrels(args.qrels)
    run = {}
    for q in read_queries(args.queries):
        req = SearchRequest(query=q["query"], filters=Filters.from_dict(q.get("filters") or {}, tenant_id=args.tenant), k=args.k,
                            syntax="boolean" if q.get("kind") == "boolean" else "auto", rerank=not args.no_model)
        run[q["query_id"]] = [h.candidate_id for h in engine.search(req).hits]
    reports = {a: audit(run, qrels, audit_file.column(a), attribute=a, k=args.k) for a in attributes}
    paths = write_report(reports, args.out, title=f"Bias audit of {args.tenant}'s ranker")
    for r in reports.values():
        print(r.to_markdown(args.tenant))
    print("wrote " + ", ".join(map(str, paths)))
    return 0


def _rerank(args) -> int:
    from ranking.fairness.attributes import FairnessSettings

    store = _store(args)
    settings = FairnessSettings(enabled=bool(args.enable), attribute=args.attribute, algorithm=args.algorithm, top_n=args.top_n,
                                target=args.target, protected=args.protected, alpha=args.alpha,
                                min_proportion=args.min_proportion)
    if settings.enabled and not store.has(args.tenant):
        print(f"warning: {args.tenant} has no attribute file yet: nothing is re-ranked until "
              f"`talentsearch audit import FILE --tenant {args.tenant}`", file=sys.stderr)
    store.set_settings(args.tenant, settings)
    print(json.dumps({"tenant_id": args.tenant, **settings.to_dict()}))
    return 0
