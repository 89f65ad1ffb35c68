"""Self-reported audit attributes: read, validate and store them per tenant, apart from the index.

An audit file holds one row per candidate: ``candidate_id`` and the self-reported ``sex``, ``age_band`` and
``ethnicity`` (each may be ``not_disclosed``; a blank cell counts as not disclosed). Parquet, CSV or JSON
Lines. Rows that break a rule are reported naming the row (1-based, as a spreadsheet counts data rows) and
the column; the good rows are kept.

These attributes are never indexed, never a ranking feature and never returned by search: the index is
built from profile files only (``indexer.inputs`` skips an ``audit-attributes/1`` table), the feature set
(``ranking.ltr.features``) reads profiles only, and a tenant's file lives under
``<fairness_dir>/tenants/<tenant>/`` where only the audit, the fairness re-ranking stage and the LTR
promotion gate read it.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from records import durable
from records.errors import NotFoundError, ValidationError
from records.ids import TENANT_ID

NOT_DISCLOSED = "not_disclosed"
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "sex": ("female", "male", "other", NOT_DISCLOSED),
    "age_band": ("under_25", "25_34", "35_44", "45_54", "55_plus", NOT_DISCLOSED),
    # the race/ethnicity categories of NYC Local Law 144 bias audits (EEO-1 component 1)
    "ethnicity": ("hispanic_or_latino", "white", "black", "asian", "native_hawaiian_or_pacific_islander",
                  "american_indian_or_alaska_native", "two_or_more", NOT_DISCLOSED),
}
COLUMNS = ("candidate_id", *ATTRIBUTES)
AUDIT_SCHEMA = pa.schema([pa.field(c, pa.string(), nullable=c != "candidate_id") for c in COLUMNS],
                         metadata={"talentsearch.schema": "audit-attributes/1"})
MAX_ID = 256


@dataclass(frozen=True)
class RowError:
    row: int          # 1-based data row (a CSV's header is not counted)
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class AuditFile:
    """The valid rows of an audit file (``AUDIT_SCHEMA``) and every rejected row's reason."""
    table: pa.Table
    errors: tuple[RowError, ...]
    source: str

    def column(self, attribute: str) -> dict[str, str]:
        """{candidate_id: group} for one attribute."""
        check_attribute(attribute)
        return dict(zip(self.table.column("candidate_id").to_pylist(), self.table.column(attribute).to_pylist()))


def check_attribute(attribute: str) -> str:
    if attribute not in ATTRIBUTES:
        raise ValidationError(f"attribute: one of {list(ATTRIBUTES)}, got {attribute!r}")
    return attribute


def read_audit_file(path: str | Path) -> AuditFile:
    """Read and validate an audit file (.parquet, .csv or .jsonl). A missing ``candidate_id`` column, an
    unreadable file or a file with no valid row raises ``ValidationError``; bad rows are in ``errors``."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path}: no such audit file")
    rows, header = _rows(path)
    if "candidate_id" not in header:
        raise ValidationError(f"{path}: column candidate_id is missing (columns: {', '.join(COLUMNS)})")
    missing = [c for c in ATTRIBUTES if c not in header]
    if len(missing) == len(ATTRIBUTES):
        raise ValidationError(f"{path}: no attribute column; expected any of {', '.join(ATTRIBUTES)}")
    good: dict[str, list] = {c: [] for c in COLUMNS}
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=1):
        row_errors = _check_row(n, row, seen)
        if row_errors:
            errors += row_errors
            continue
        seen[row["candidate_id"].strip()] = n
        good["candidate_id"].append(row["candidate_id"].strip())
        for c in ATTRIBUTES:
            good[c].append(_value(row.get(c)))
    table = pa.Table.from_pydict(good, schema=AUDIT_SCHEMA)
    if table.num_rows == 0:
        shown = "; ".join(map(str, errors[:5])) or "the file has no data rows"
        raise ValidationError(f"{path}: no valid row ({shown})")
    return AuditFile(table, tuple(errors), str(path))


def _value(raw) -> str:
    text = "" if raw is None else str(raw).strip().lower()
    return text or NOT_DISCLOSED


def _check_row(n: int, row: dict, seen: dict[str, int]) -> list[RowError]:
    out = []
    cid = row.get("candidate_id")
    if not isinstance(cid, str) or not cid.strip():
        out.append(RowError(n, "candidate_id", "empty"))
    elif len(cid.strip()) > MAX_ID:
        out.append(RowError(n, "candidate_id", f"longer than {MAX_ID} characters"))
    elif cid.strip() in seen:
        out.append(RowError(n, "candidate_id", f"{cid.strip()!r} already given in row {seen[cid.strip()]}"))
    for c, allowed in ATTRIBUTES.items():
        raw = row.get(c)
        if raw is not None and not isinstance(raw, str):
            out.append(RowError(n, c, f"expected text, got {type(raw).__name__} {raw!r}"))
        elif _value(raw) not in allowed:
            out.append(RowError(n, c, f"{raw!r} is not one of {', '.join(allowed)}"))
    return out


def _rows(path: Path) -> tuple[list[dict], set[str]]:
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            t = pq.read_table(path)
            return t.to_pylist(), set(t.column_names)
        if suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                return list(reader), set(reader.fieldnames or ())
        if suffix in (".jsonl", ".ndjson"):
            rows, header = [], set()
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValidationError(f"{path}: line {n} is not a JSON object")
                rows.append(obj)
                header |= set(obj)
            return rows, header
    except (pa.ArrowException, OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise ValidationError(f"{path}: unreadable audit file ({exc})") from exc
    raise ValidationError(f"{path}: audit files are .parquet, .csv or .jsonl, got {suffix or 'no suffix'!r}")


class AttributeStore:
    """Per-tenant audit attributes under ``<root>/tenants/<tenant>/``: ``audit.parquet`` and ``manifest.json``
    (source digest, rows kept and rejected). One tenant never reads another's file."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def dir(self, tenant_id: str) -> Path:
        if not isinstance(tenant_id, str) or not TENANT_ID.fullmatch(tenant_id):
            raise ValidationError(f"tenant_id: {tenant_id!r} is not a valid tenant id")
        return self.root / "tenants" / tenant_id

    def put(self, tenant_id: str, audit: AuditFile) -> dict:
        """Store a validated file for a tenant (replacing the previous one); returns its manifest."""
        folder = self.dir(tenant_id)
        folder.mkdir(parents=True, exist_ok=True)
        durable.write_parquet(folder / "audit.parquet", audit.table)
        digest = hashlib.sha256(Path(audit.source).read_bytes()).hexdigest() if Path(audit.source).is_file() else None
        manifest = {"kind": "audit-attributes", "schema": "audit-attributes/1", "tenant_id": tenant_id,
                    "source": Path(audit.source).name, "source_sha256": digest, "rows": audit.table.num_rows,
                    "rejected_rows": len(audit.errors), "imported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                    "disclosed": {c: int(sum(v != NOT_DISCLOSED for v in audit.table.column(c).to_pylist())) for c in ATTRIBUTES}}
        durable.write_json(folder / "manifest.json", manifest, indent=2)
        return manifest

    def has(self, tenant_id: str) -> bool:
        return (self.dir(tenant_id) / "audit.parquet").is_file()

    def get(self, tenant_id: str) -> AuditFile:
        path = self.dir(tenant_id) / "audit.parquet"
        if not path.is_file():
            raise NotFoundError(f"tenant {tenant_id!r} has no audit attributes (talentsearch audit import FILE --tenant {tenant_id})")
        return AuditFile(pq.read_table(path, schema=AUDIT_SCHEMA), (), str(path))

    def groups(self, tenant_id: str, attribute: str) -> dict[str, str]:
        """{candidate_id: group} of one attribute for a tenant ({} when it supplied no file)."""
        return self.get(tenant_id).column(attribute) if self.has(tenant_id) else {}

    def settings(self, tenant_id: str) -> "FairnessSettings":
        path = self.dir(tenant_id) / "rerank.json"
        if not path.is_file():
            return FairnessSettings()
        return FairnessSettings.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def set_settings(self, tenant_id: str, settings: "FairnessSettings") -> None:
        folder = self.dir(tenant_id)
        folder.mkdir(parents=True, exist_ok=True)
        durable.write_json(folder / "rerank.json", settings.to_dict(), indent=2)


ALGORITHMS = ("detgreedy", "detconstsort", "fair")     # fair: FA*IR (ranking.fairness.fair)
TARGETS = ("pool", "population")


@dataclass(frozen=True)
class FairnessSettings:
    """A tenant's fairness-aware re-ranking: off by default."""
    enabled: bool = False
    attribute: str = "sex"
    algorithm: str = "detgreedy"
    top_n: int = 100                 # fused (or model-ranked) candidates re-ranked
    target: str = "pool"             # pool: the top N's own distribution; population: the tenant's whole file
    protected: str | None = None     # FA*IR: the protected group (required with algorithm "fair")
    alpha: float = 0.1               # FA*IR: significance of the ranked group fairness test (adjusted for k tests)
    min_proportion: float | None = None   # FA*IR: p (default: the protected group's share of the target)

    def __post_init__(self) -> None:
        check_attribute(self.attribute)
        if self.algorithm not in ALGORITHMS:
            raise ValidationError(f"algorithm: one of {list(ALGORITHMS)}, got {self.algorithm!r}")
        if self.target not in TARGETS:
            raise ValidationError(f"target: one of {list(TARGETS)}, got {self.target!r}")
        if not isinstance(self.top_n, int) or not 1 <= self.top_n <= 2000:
            raise ValidationError(f"top_n: between 1 and 2000, got {self.top_n!r}")
        groups = [g for g in ATTRIBUTES[self.attribute] if g != NOT_DISCLOSED]
        if self.algorithm == "fair" and self.protected is None:
            raise ValidationError(f"protected: algorithm 'fair' (FA*IR) needs the protected group, one of {groups}")
        if self.protected is not None and self.protected not in groups:
            raise ValidationError(f"protected: one of {groups} for {self.attribute}, got {self.protected!r}")
        if not isinstance(self.alpha, (int, float)) or not 0 < self.alpha < 1:
            raise ValidationError(f"alpha: between 0 and 1 (exclusive), got {self.alpha!r}")
        if self.min_proportion is not None and (not isinstance(self.min_proportion, (int, float))
                                                or not 0 <= self.min_proportion <= 1):
            raise ValidationError(f"min_proportion: between 0 and 1, got {self.min_proportion!r}")

    def to_dict(self) -> dict:
        return {"enabled": self.enabled, "attribute": self.attribute, "algorithm": self.algorithm, "top_n": self.top_n,
                "target": self.target, "protected": self.protected, "alpha": self.alpha, "min_proportion": self.min_proportion}

    @classmethod
    def from_dict(cls, d: dict) -> "FairnessSettings":
        unknown = sorted(set(d) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValidationError(f"fairness settings: unknown key(s) {unknown}")
        return cls(**d)
