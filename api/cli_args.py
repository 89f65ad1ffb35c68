"""Arguments every ``talentsearch`` sub-command shares, and the ``Settings`` they resolve to."""
from __future__ import annotations

from pathlib import Path

from api.settings import Settings


def index_dir_arg(p) -> None:
    p.add_argument("--index-dir", type=Path, default=None, help="index directory (default $TALENTSEARCH_INDEX_DIR or var/index)")


def ltr_dir_arg(p) -> None:
    p.add_argument("--ltr-dir", type=Path, default=None,
                   help="events, feature logs, tenant models (default $TALENTSEARCH_LTR_DIR or var/ltr)")


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
    overrides = {name: getattr(args, name) for name in ("index_dir", "ltr_dir", "as_of") if getattr(args, name, None)}
    return Settings(**overrides)
