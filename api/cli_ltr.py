"""``talentsearch events import`` / ``train`` / ``models``: the learning-to-rank commands."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from tqdm import tqdm

from api.cli_args import fairness_dir_arg, ltr_dir_arg, settings_from_args


def add_parsers(sub) -> None:
    e = sub.add_parser("events", help="engagement events").add_subparsers(dest="events", required=True)
    i = e.add_parser("import", help="import events from a JSON Lines file (idempotent by event_id)")
    i.add_argument("file", type=Path)
    i.add_argument("--tenant", default=None, help="store events for this tenant (default: each event's tenant_id)")
    ltr_dir_arg(i)
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_import)

    t = sub.add_parser("train", help="train a LightGBM lambdarank model from a tenant's events, gate and promote")
    who = t.add_mutually_exclusive_group(required=True)
    who.add_argument("--tenant", help="train this tenant's model from its own events only")
    who.add_argument("--global", dest="global_", action="store_true",
                     help="train the cold-start model from the tenants named in --from-tenants")
    who.add_argument("--all-tenants", action="store_true", help="retraining job: every tenant with enough new events")
    t.add_argument("--from-tenants", default="", help="comma-separated tenants that share events with the global model")
    t.add_argument("--min-new-events", type=int, default=100, help="--all-tenants: retrain only with this many new events")
    t.add_argument("--debias", choices=["position", "none"], default="position",
                   help="position: position-debiased lambdarank and a propensity-weighted gate; none: the ablation")
    t.add_argument("--gate", choices=["auto", "ips", "raw"], default="auto",
                   help="holdout metric of the promotion gate: ips (inverse propensity weighted), raw labels, "
                        "or auto (ips with --debias position)")
    t.add_argument("--rounds", type=int, default=150, help="boosting rounds (with --select: at most)")
    t.add_argument("--select", action="store_true",
                   help="choose tree shape and rounds on an inner split of the tenant's requests (one-standard-error rule)")
    t.add_argument("--threads", type=int, default=1, help="LightGBM threads (1 suits engagement-sized data)")
    t.add_argument("--rollback", action="store_true", help="instead of training: roll --tenant back to its previous model")
    t.add_argument("--fairness-min-impact-ratio", type=float, default=None, metavar="R",
                   help="refuse a model that lowers a supplied attribute's minimum impact ratio below R "
                        "(default $TALENTSEARCH_FAIRNESS_MIN_IMPACT_RATIO; unset: impact ratios reported only)")
    t.add_argument("--fairness-max-relative-drop", type=float, default=None, metavar="D",
                   help="also refuse a model whose minimum impact ratio falls by more than D (a share of the incumbent's), "
                        "significantly (default $TALENTSEARCH_FAIRNESS_MAX_RELATIVE_DROP)")
    t.add_argument("--fairness-pages", choices=("holdout", "all"), default=None,
                   help="served pages the fairness gate compares the models on (default $TALENTSEARCH_FAIRNESS_GATE_PAGES "
                        "or holdout)")
    ltr_dir_arg(t)
    fairness_dir_arg(t)
    t.set_defaults(func=_train)

    m = sub.add_parser("models", help="list a tenant's model versions ('__global__' for the global model)")
    m.add_argument("--tenant", required=True)
    ltr_dir_arg(m)
    m.set_defaults(func=_models)


def _dir(args) -> Path:
    return settings_from_args(args).ltr_dir


def _import(args) -> int:
    from ranking.ltr.events import EventStore, read_event_file

    stores: dict[str, EventStore] = {}
    accepted = duplicates = 0
    rejected: list[dict] = []
    batch: dict[str, list[tuple[int, dict]]] = {}

    def flush(tenant: str) -> None:
        nonlocal accepted, duplicates
        items = batch.pop(tenant, [])
        if not items:
            return
        store = stores.get(tenant) or stores.setdefault(tenant, EventStore(_dir(args), tenant))
        report = store.add([raw for _, raw in items], tenant_id=args.tenant)
        accepted += report.accepted
        duplicates += report.duplicates
        rejected.extend({"line": items[r.index][0] + 1, "event_id": r.event_id, "reason": r.reason} for r in report.rejected)

    from ranking.ltr.events import check_tenant
    from records.errors import ValidationError

    for line, raw, error in tqdm(read_event_file(args.file), desc="events", unit="ev", disable=args.json):
        if error:
            rejected.append({"line": line + 1, "event_id": None, "reason": error})
            continue
        tenant = args.tenant or (raw.get("tenant_id") if isinstance(raw, dict) else None)
        try:
            check_tenant(tenant)
        except ValidationError as exc:
            rejected.append({"line": line + 1, "event_id": raw.get("event_id") if isinstance(raw, dict) else None,
                             "reason": str(exc)})
            continue
        batch.setdefault(tenant, []).append((line, raw))
        if len(batch[tenant]) >= 5000:
            flush(tenant)
    for tenant in list(batch):
        flush(tenant)
    for store in stores.values():
        store.close()
    summary = {"accepted": accepted, "duplicates": duplicates, "rejected": len(rejected), "errors": rejected[:50]}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"accepted {accepted}, duplicates {duplicates}, rejected {len(rejected)}")
        for r in rejected[:50]:
            print(f"  line {r['line']}: {r['reason']}", file=sys.stderr)
    return 0


def _train(args) -> int:
    from ranking.fairness.gate import FairnessGate
    from ranking.ltr.train import LtrConfig, TrainReport, retrain_job, train_scope
    from ranking.ltr.registry import GLOBAL, ModelRegistry

    if args.rollback:
        if not args.tenant:
            print("error: --rollback needs --tenant", file=sys.stderr)
            return 2
        registry = ModelRegistry(_dir(args))
        registry.rollback(args.tenant)
        print(f"{args.tenant}: now serving {serving(registry, args.tenant)}")
        return 0
    from ranking.fairness.attributes import AttributeStore

    config = LtrConfig(debias=args.debias, num_boost_round=args.rounds, threads=args.threads, select=args.select,
                       gate=args.gate)
    settings = settings_from_args(args)
    store = AttributeStore(settings.fairness_dir)
    threshold = args.fairness_min_impact_ratio if args.fairness_min_impact_ratio is not None else settings.fairness_min_impact_ratio
    options = {"max_relative_drop": args.fairness_max_relative_drop if args.fairness_max_relative_drop is not None
               else settings.fairness_max_relative_drop, "pages": args.fairness_pages or settings.fairness_gate_pages}
    if args.all_tenants:
        reports = retrain_job(_dir(args), min_new_events=args.min_new_events, config=config, fairness_store=store,
                              min_impact_ratio=threshold, **options)
    else:
        scope = GLOBAL if args.global_ else args.tenant
        tenants = tuple(t for t in args.from_tenants.split(",") if t)
        gate = FairnessGate.from_store(store, tenants if scope == GLOBAL else (scope,), min_impact_ratio=threshold,
                                       **options)
        reports = [train_scope(_dir(args), scope, config, from_tenants=tenants, fairness=gate)]
    for r in reports:
        if isinstance(r, TrainReport):
            state = "promoted" if r.promoted else "NOT promoted"
            print(f"{r.scope} {r.version}: {state} ({r.reason}); {r.requests} requests, {r.rows} rows; "
                  f"metrics {json.dumps(r.metrics)}")
        else:
            print(r)
    return 0


def serving(registry, tenant: str) -> str:
    """What orders ``tenant``'s searches now, as the registry resolves it (own model, else global, else fused)."""
    from ranking.ltr.registry import GLOBAL

    mv = registry.resolve(tenant)
    if mv is None:
        return "the hybrid order (no tenant or global model)"
    return f"its model {mv.version}" if mv.scope != GLOBAL else f"the global model {mv.version} (no model of its own)"


def _models(args) -> int:
    from ranking.ltr.registry import ModelRegistry

    reg = ModelRegistry(_dir(args))
    current = reg.current(args.tenant)
    for mv in reg.versions(args.tenant):
        mark = "*" if current and mv.version == current.version else " "
        m = mv.manifest
        print(f"{mark} {mv.version}  {m['created_at']}  window {m['training_window']['from']} .. {m['training_window']['to']}"
              f"  holdout nDCG@10 {m['metrics'].get('holdout_ndcg@10')}  {m['gate']}")
    return 0
