"""Arguments every ``talentsearch`` sub-command shares, and the ``Settings`` they resolve to."""
from __future__ import annotations

from pathlib import Path

from api.settings import Settings


def index_dir_arg(p) -> None:
    p.add_argument("--index-dir", type=Path, default=None, help="index directory (default $TALENTSEARCH_INDEX_DIR or var/index)")


def ltr_dir_arg(p) -> None:
    p.add_argument("--ltr-dir", type=Path, default=None,
                   help="events, feature logs, tenant models (default $TALENTSEARCH_LTR_DIR or var/ltr)")


def fairness_dir_arg(p) -> None:
    p.add_argument("--fairness-dir", type=Path, default=None,
                   help="tenants' audit attributes and re-ranking settings (default $TALENTSEARCH_FAIRNESS_DIR or var/fairness)")


def filter_args(p) -> None:
    f = p.add_argument_group("filters")
    f.add_argument("--near", help="city, e.g. Berlin or 'Berlin, DE'")
    f.add_argument("--lat", type=float)
    f.add_argument("--lon", type=float)
    f.add_argument("--radius-km", type=float)
    f.add_argument("--min-years", type=float)
    f.add_argument("--max-years", type=float)
    f.add_argument("--seniority", action="append")
    f.add_argument("--company", action="append", dest="current_company", help="current company (id or name)")
    f.add_argument("--not-company", action="append", dest="not_current_company")
    f.add_argument("--past-company", action="append")
    f.add_argument("--open-to-work", action="store_true", default=None)
    f.add_argument("--active-within-days", type=int)
    f.add_argument("--tenant", help="caller's tenant: also shows this tenant's private candidates and ranks with its model")


def settings_from_args(args) -> Settings:
    """``Settings`` from the environment, with the directories and date given on the command line."""
    overrides = {name: getattr(args, name) for name in ("index_dir", "ltr_dir", "fairness_dir", "as_of") if getattr(args, name, None)}
    return Settings(**overrides)


def runner_args(p, what: str) -> None:
    """``--runner local|ray`` and the Ray options of a batch command."""
    g = p.add_argument_group("runner", f"where {what} runs: this process, or a Ray cluster (pip install 'talentsearch[ray]')")
    g.add_argument("--runner", choices=["local", "ray"], default="local",
                   help=f"local (default): {what} in this process; ray: on a pool of Ray actors")
    g.add_argument("--ray-address", default=None, metavar="HOST:PORT",
                   help="join this Ray cluster (default $TALENTSEARCH_RAY_ADDRESS, then $RAY_ADDRESS; "
                        "neither: start a local Ray on this machine)")
    g.add_argument("--ray-actors", type=int, default=None, metavar="N",
                   help="actors in the pool (default: the cluster's CPUs / --ray-cpus-per-actor)")
    g.add_argument("--ray-cpus-per-actor", type=float, default=1.0, metavar="CPUS",
                   help="CPUs each actor reserves and its model's threads (default 1)")
    g.add_argument("--ray-gpus-per-actor", type=float, default=0.0, metavar="GPUS",
                   help="GPUs each actor reserves (default 0; the encoder uses CUDA where it sees a GPU)")


def ray_options(args, settings: Settings):
    """The ``RayOptions`` of ``runner_args``; imports Ray first, so a missing extra is reported before
    anything is loaded (MissingDependencyError names the extra)."""
    from records.raypool import RayOptions, import_ray

    import_ray()
    return RayOptions(address=args.ray_address or settings.ray_address, actors=args.ray_actors,
                      cpus_per_actor=args.ray_cpus_per_actor, gpus_per_actor=args.ray_gpus_per_actor)
