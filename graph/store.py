"""A built graph on disk: Parquet tables + .npy arrays + ``manifest.json`` (never pickle).

Layout of ``<index_dir>/graph/``::

    manifest.json            kind, schema version, as_of, source version, counts, params, timings
    companies.parquet        one row per company node (code = row) with its metrics (graph.metrics)
    occupations.parquet      O*NET occupations seen in positions (code = row)
    skills.parquet  schools.parquet  locations.parquet  titles.parquet     other node kinds
    people.parquet           one row per profile: current company/occupation/title/location codes, signals
    moves.parquet            one row per company change in a career: profile row, src, dst, month
    company_moves.parquet    moves aggregated per (src, dst, month)
    transitions.parquet      occupation -> occupation counts (consecutive positions)
    skill_adjacency.parquet  top co-occurring skills per skill with counts and cosine weight
    company_skills.parquet  company_locations.parquet   company <-> skill / location weights
    people_skills.npz  people_schools.npz                CSR (offsets, codes) per profile
    monthly.npz              hires, departures, headcount: int32 (companies, MONTHS) ending at as_of

Months are integers ``year * 12 + month - 1``. Every node code is its row in the node table.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from records import durable
from records.errors import BackendUnavailableError, ValidationError

GRAPH_DIR = "graph"
KIND = "talentsearch-graph"
SCHEMA_VERSION = 1

_I32, _F32, _S = pa.int32(), pa.float32(), pa.string()
T = TypeVar("T")
TABLES: dict[str, pa.Schema] = {
    "companies": pa.schema([("company_id", _S), ("name", _S)]),   # + metric columns (checked by prefix below)
    "occupations": pa.schema([("code", _S), ("title", _S), ("count", _I32)]),
    "skills": pa.schema([("name", _S), ("count", _I32)]),
    "schools": pa.schema([("name", _S), ("count", _I32)]),
    "locations": pa.schema([("city", _S), ("region", _S), ("country", _S), ("count", _I32)]),
    "titles": pa.schema([("title", _S), ("count", _I32)]),
    "people": pa.schema([("candidate_id", _S), ("company", _I32), ("prev_company", _I32), ("occupation", _I32),
                         ("title", _I32), ("location", _I32), ("tenure_months", _F32), ("open_to_work", pa.bool_()),
                         ("moves_per_year", _F32), ("propensity", _F32)]),
    "moves": pa.schema([("row", _I32), ("src", _I32), ("dst", _I32), ("month", _I32)]),
    "company_moves": pa.schema([("src", _I32), ("dst", _I32), ("month", _I32), ("count", _I32)]),
    "transitions": pa.schema([("src", _I32), ("dst", _I32), ("count", _I32)]),
    "skill_adjacency": pa.schema([("src", _I32), ("dst", _I32), ("count", _I32), ("weight", _F32)]),
    "company_skills": pa.schema([("company", _I32), ("skill", _I32), ("count", _I32), ("weight", _F32)]),
    "company_locations": pa.schema([("company", _I32), ("location", _I32), ("count", _I32), ("weight", _F32)]),
}
ARRAYS = {"people_skills": ("offsets", "codes"), "people_schools": ("offsets", "codes"),
          "monthly": ("hires", "departures", "headcount")}


def month_of_days(days: np.ndarray) -> np.ndarray:
    """Arrow date32 days since epoch -> month integers (``year * 12 + month - 1``)."""
    m = np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return (m + 1970 * 12).astype(np.int32)


@dataclass(frozen=True, eq=False)
class Graph:
    manifest: dict
    tables: dict[str, pa.Table]
    arrays: dict[str, dict[str, np.ndarray]]

    @property
    def as_of_month(self) -> int:
        return int(self.manifest["as_of_month"])

    def table(self, name: str) -> pa.Table:
        return self.tables[name]

    def col(self, table: str, column: str) -> np.ndarray:
        return self.tables[table].column(column).to_numpy(zero_copy_only=False)

    def save(self, directory: str | Path) -> Path:
        """Write into ``directory`` atomically (a sibling temp dir renamed over it)."""
        out = Path(directory)
        tmp = out.with_name(out.name + ".tmp")
        if tmp.exists():
            _rmtree(tmp)
        tmp.mkdir(parents=True)
        for name, t in self.tables.items():
            pq.write_table(t, tmp / f"{name}.parquet", compression="zstd")
        for name, arrs in self.arrays.items():
            np.savez(tmp / f"{name}.npz", **arrs)
        (tmp / "manifest.json").write_text(json.dumps(self.manifest, indent=2, default=str))
        durable.fsync_tree(tmp)
        if out.exists():
            old = out.with_name(out.name + ".old")
            if old.exists():
                _rmtree(old)
            out.rename(old)
            tmp.rename(out)
            _rmtree(old)
        else:
            tmp.rename(out)
        durable.fsync_dir(out.parent)
        return out

    @classmethod
    def load(cls, directory: str | Path) -> "Graph":
        """Read and check a saved graph; BackendUnavailableError when missing or unreadable."""
        d = Path(directory)
        try:
            manifest = json.loads((d / "manifest.json").read_text())
        except FileNotFoundError:
            raise BackendUnavailableError(f"no graph at {d}: run `talentsearch graph build --index-dir {d.parent}`") from None
        except (OSError, ValueError) as exc:
            raise BackendUnavailableError(f"graph manifest {d / 'manifest.json'} is unreadable: {exc}") from exc
        if manifest.get("kind") != KIND or manifest.get("schema_version") != SCHEMA_VERSION:
            raise BackendUnavailableError(f"graph at {d} is {manifest.get('kind')!r} v{manifest.get('schema_version')}, "
                                          f"expected {KIND!r} v{SCHEMA_VERSION}; rebuild it with `talentsearch graph build`")
        try:
            tables = {name: _read_checked(d / f"{name}.parquet", schema) for name, schema in TABLES.items()}
            arrays = {}
            for name, keys in ARRAYS.items():
                with np.load(d / f"{name}.npz", allow_pickle=False) as z:
                    arrays[name] = {k: z[k] for k in keys}
        except (OSError, ValueError, KeyError) as exc:
            raise BackendUnavailableError(f"graph at {d} cannot be read: {exc}") from exc
        return cls(manifest, tables, arrays)


def _read_checked(path: Path, schema: pa.Schema) -> pa.Table:
    t = pq.read_table(path)
    for f in schema:
        if f.name not in t.schema.names:
            raise ValidationError(f"{path.name}: missing column {f.name!r}")
        if t.schema.field(f.name).type != f.type:
            raise ValidationError(f"{path.name}: column {f.name!r} is {t.schema.field(f.name).type}, expected {f.type}")
    return t


def graph_dir(index_dir: str | Path) -> Path:
    return Path(index_dir) / GRAPH_DIR


_VIEWS: dict[tuple[str, int], dict] = {}      # (graph dir, manifest mtime) -> {"graph": Graph, view name: view}
_VIEWS_LOCK = threading.Lock()


def cached_view(index_dir: str | Path, name: str, build: Callable[[Graph], T]) -> T | None:
    """``build(graph)`` for the graph of ``index_dir``, made once per built graph and shared: the graph
    is read from disk once however many views (features, insights, expansion) a process uses, and
    everything is dropped when the graph is rebuilt. None when no graph was built."""
    manifest = graph_dir(index_dir) / "manifest.json"
    try:
        key = (str(manifest.resolve()), manifest.stat().st_mtime_ns)
    except FileNotFoundError:
        return None
    with _VIEWS_LOCK:
        views = _VIEWS.get(key)
        if views is None:
            _VIEWS.clear()
            views = _VIEWS[key] = {"graph": Graph.load(manifest.parent)}
        if name not in views:
            views[name] = build(views["graph"])
        return views[name]


def _rmtree(path: Path) -> None:
    import shutil
    shutil.rmtree(path)
