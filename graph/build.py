"""Build the economic graph from career histories (vectorised: pyarrow + numpy + scipy.sparse).

Nodes: companies, O*NET occupations (position titles matched through ``records.taxonomy``, memoised
per distinct title), skills (normalised per distinct spelling), schools, locations, current titles.
Edges: company -> company moves per month (consecutive positions at different companies),
occupation -> occupation transitions, skill co-occurrence (top ``skill_neighbours`` per skill with
cosine weight), company <-> skill and company <-> location weights (share of current employees).
networkx ranks companies by PageRank over the last 24 months of moves (``talent_pagerank``).

The aggregation is ``graph.flows`` (a vocabulary pass and a counting pass over row partitions);
this module runs it in-process (``runner="local"``) or hands it to ``graph.build_ray`` and then
finishes the graph from the merged counts. Both runners build the same graph for any partition size.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graph import flows
from graph import metrics as gm
from graph.flows import COLUMNS, GlobalVocab, Partial
from graph.store import KIND, SCHEMA_VERSION, Graph, graph_dir, month_of_days
from indexer.build import current_version
from records.errors import BackendUnavailableError, ValidationError
from records.taxonomy import Taxonomy

MIN_COOCCURRENCE = 2   # skill pairs seen on a single profile are noise, and most of the pairs
RUNNERS = ("local", "ray")


@dataclass(frozen=True)
class GraphConfig:
    as_of: dt.date | None = None          # None: the index version's as_of (or today for a bare table)
    skill_neighbours: int = 50            # adjacency kept per skill
    company_skills: int = 50              # skills kept per company
    company_locations: int = 20           # locations kept per company
    max_skills_per_profile: int = 40      # co-occurrence cap per profile (listing spam)
    partition_rows: int = 250_000         # profiles per partition of the aggregation (any size: same graph)
    progress: bool = True

    def __post_init__(self) -> None:
        if self.partition_rows < 1:
            raise ValidationError(f"graph build: partition_rows must be >= 1, not {self.partition_rows}")


def build_for_index(index_dir: str | Path, config: GraphConfig = GraphConfig(), *, runner: str = "local",
                    ray_options=None) -> tuple[Graph, Path]:
    """Build from the live index version's profiles and save under ``<index_dir>/graph/``.

    ``runner="ray"``: the partitions are aggregated by Ray actors (``graph.build_ray``; ``ray_options``
    a ``records.raypool.RayOptions``), each reading its rows of ``profiles.parquet`` itself."""
    if runner not in RUNNERS:
        raise ValidationError(f"graph build: runner must be one of {RUNNERS}, not {runner!r}")
    version = current_version(index_dir)
    if version is None:
        raise BackendUnavailableError(f"no index at {index_dir}: run `talentsearch index PATH --index-dir {index_dir}`")
    vman = json.loads((version / "manifest.json").read_text())
    config = replace(config, as_of=config.as_of or dt.date.fromisoformat(vman["as_of"]))
    source = {"index_version": version.name, "corpus_fingerprint": vman.get("corpus_fingerprint")}
    if runner == "ray":
        from graph.build_ray import build_graph_ray

        graph = build_graph_ray(version / "profiles.parquet", config, ray_options, source=source)
    else:
        table = pq.read_table(version / "profiles.parquet", columns=list(COLUMNS))
        graph = build_graph(table, config, source=source)
    return graph, graph.save(graph_dir(index_dir))


def build_graph(table: pa.Table, config: GraphConfig = GraphConfig(), *, source: dict | None = None,
                taxonomy: Taxonomy | None = None) -> Graph:
    """Aggregate ``table`` (PROFILE_SCHEMA columns ``COLUMNS``) into a ``Graph`` (not yet saved), in this
    process, ``config.partition_rows`` profiles at a time."""
    from tqdm.auto import tqdm

    missing = [c for c in COLUMNS if c not in table.schema.names]
    if missing:
        raise ValidationError(f"graph build: input lacks column(s) {missing}")
    taxonomy = taxonomy or Taxonomy.load()
    as_of = config.as_of or dt.date.today()
    size = config.partition_rows
    slices = [table.slice(i, size) for i in range(0, table.num_rows, size)] or [table]
    timings = {}
    with tqdm(total=2 * len(slices), desc="graph build", unit="partition", disable=not config.progress) as bar:
        t0 = time.perf_counter()
        vocab = flows.merge_vocab([_tick(bar, flows.vocab_of(s, taxonomy)) for s in slices])
        timings["vocabulary"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        parts = [_tick(bar, flows.partial_of(s, vocab, as_of, config.max_skills_per_profile)) for s in slices]
        timings["counts"] = round(time.perf_counter() - t0, 3)
    return finish(parts, vocab, replace(config, as_of=as_of), taxonomy, source=source, timings=timings,
                  runner={"runner": "local", "partitions": len(slices)})


def _tick(bar, value):
    bar.update(1)
    return value


def finish(parts: list[Partial], vocab: GlobalVocab, config: GraphConfig, taxonomy: Taxonomy, *,
           source: dict | None, timings: dict, runner: dict) -> Graph:
    """Merge the partitions' counts and derive every table and array of the graph (both runners)."""
    t0 = time.perf_counter()
    merged = flows.merge_partials(parts)
    timings["merge"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    tables, arrays = _Finisher(merged, vocab, config, taxonomy).run()
    timings["finish"] = round(time.perf_counter() - t0, 3)
    today = (config.as_of - dt.date(1970, 1, 1)).days
    manifest = {
        "kind": KIND, "schema_version": SCHEMA_VERSION,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "as_of": config.as_of.isoformat(), "as_of_month": int(month_of_days(np.array([today]))[0]),
        "months": gm.MONTHS, "profiles": merged.n, "source": source or {},
        "params": {**{k: v for k, v in asdict(config).items() if k not in ("progress", "as_of", "partition_rows")},
                   "windows": list(gm.WINDOWS), "layoff_lookback": gm.LAYOFF_LOOKBACK},
        "counts": {name: t.num_rows for name, t in tables.items()},
        "seconds": {**timings, "total": round(sum(timings.values()), 3)},
        "build": runner,
        "attribution": taxonomy.attribution,
    }
    return Graph(manifest, tables, arrays)


class _Finisher:
    """Node tables, metrics, PageRank and top-k edges from the merged counts."""

    def __init__(self, p: Partial, g: GlobalVocab, config: GraphConfig, taxonomy: Taxonomy):
        self.p, self.g, self.cfg, self.tax = p, g, config, taxonomy
        v = g.vocab
        self.company_ids = v.company_ids.to_pylist()
        self.company_names = [n if n else i for n, i in zip(v.company_names.to_pylist(), self.company_ids)]
        self.n_c = len(self.company_ids)
        today = (config.as_of - dt.date(1970, 1, 1)).days
        self.as_of_month = int(month_of_days(np.array([today]))[0])
        self.tables: dict[str, pa.Table] = {}
        self.arrays: dict[str, dict[str, np.ndarray]] = {}

    def run(self):
        for step in (self.skills, self.moves, self.monthly, self.companies, self.signals):
            step()
        return self.tables, self.arrays

    def skills(self) -> None:
        names, freq = self.g.skill_names, self.p.skill_freq
        co = self.p.cooccurrence.tocoo()
        off_diag = (co.row != co.col) & (co.data >= MIN_COOCCURRENCE)
        r, c, v = co.row[off_diag], co.col[off_diag], co.data[off_diag]
        w = v / np.sqrt(np.maximum(freq[r] * freq[c], 1))
        r, c, v, w = _top_k(r, c, v, w, self.cfg.skill_neighbours)
        self.tables["skills"] = pa.table({"name": pa.array(names, pa.string()), "count": freq.astype(np.int32)})
        self.tables["skill_adjacency"] = pa.table({"src": r.astype(np.int32), "dst": c.astype(np.int32),
                                                   "count": v.astype(np.int32), "weight": w.astype(np.float32)})

    def moves(self) -> None:
        mv = self.p.moves
        row, src, dst, month = mv["row"], mv["src"], mv["dst"], mv["month"]
        self.tables["moves"] = pa.table({"row": row.astype(np.int32), "src": src.astype(np.int32),
                                         "dst": dst.astype(np.int32), "month": month.astype(np.int32)})
        n_c = self.n_c
        key = (src.astype(np.int64) * n_c + dst) * 4096 + (month - month.min() if len(month) else month)
        uk, cnt = np.unique(key, return_counts=True)
        base = int(month.min()) if len(month) else 0
        self.tables["company_moves"] = pa.table({
            "src": (uk // 4096 // n_c).astype(np.int32), "dst": (uk // 4096 % n_c).astype(np.int32),
            "month": (uk % 4096 + base).astype(np.int32), "count": cnt.astype(np.int32)})
        n_o = max(len(self.g.occupations), 1)
        uk, cnt = self.p.transitions
        self.tables["transitions"] = pa.table({"src": (uk // n_o).astype(np.int32), "dst": (uk % n_o).astype(np.int32),
                                               "count": cnt.astype(np.int32)})

    def monthly(self) -> None:
        mon = self.p.monthly
        head = mon["start"][:, None] + np.cumsum(mon["hires"] - mon["departures"], axis=1)
        self.arrays["monthly"] = {"hires": mon["hires"].astype(np.int32), "departures": mon["departures"].astype(np.int32),
                                  "headcount": head.astype(np.int32)}

    def companies(self) -> None:
        mon = self.arrays["monthly"]
        cols = gm.company_metrics(mon["hires"], mon["departures"], mon["headcount"])
        cols["talent_pagerank"] = self._pagerank()
        self.company_metrics = cols
        self.tables["companies"] = pa.table({"company_id": pa.array(self.company_ids, pa.string()),
                                             "name": pa.array(self.company_names, pa.string()), **cols})
        company = self.p.people["company"]
        head = np.maximum(np.bincount(company[company >= 0], minlength=self.n_c), 1).astype(np.float32)
        cs = self.p.company_skills.tocoo()
        v = cs.data.astype(np.float32)
        r, c, v, w = _top_k(cs.row, cs.col, v, v / head[cs.row], self.cfg.company_skills)
        self.tables["company_skills"] = pa.table({"company": r.astype(np.int32), "skill": c.astype(np.int32),
                                                  "count": v.astype(np.int32), "weight": w.astype(np.float32)})
        n_loc = max(len(self.g.vocab.locations), 1)
        uk, cnt = self.p.company_locations
        r, c = uk // n_loc, uk % n_loc
        r, c, v, w = _top_k(r, c, cnt, cnt / head[r], self.cfg.company_locations)
        self.tables["company_locations"] = pa.table({"company": r.astype(np.int32), "location": c.astype(np.int32),
                                                     "count": v.astype(np.int32), "weight": w.astype(np.float32)})

    def _pagerank(self) -> np.ndarray:
        import networkx as nx

        cm = self.tables["company_moves"]
        recent = pc.greater(cm.column("month"), self.as_of_month - 24)
        agg = cm.filter(recent).group_by(["src", "dst"]).aggregate([("count", "sum")])
        g = nx.DiGraph()
        g.add_nodes_from(range(self.n_c))
        g.add_weighted_edges_from(zip(*(agg.column(c).to_pylist() for c in ("src", "dst", "count_sum"))))
        rank = nx.pagerank(g, weight="weight") if g.number_of_edges() else {}
        out = np.zeros(self.n_c, dtype=np.float32)
        for node, value in rank.items():
            out[node] = value
        return out

    def signals(self) -> None:
        ppl, v, n = self.p.people, self.g.vocab, self.p.n
        cm = self.company_metrics
        company = ppl["company"]
        c, has = np.maximum(company, 0), company >= 0
        layoff, attrition = np.zeros(n), np.zeros(n)
        if self.n_c:   # a corpus without employers (e.g. bare job titles) has no company signals
            layoff = np.where(has, cm["layoff_signal"][c], 0.0)
            attrition = np.where(has, np.nan_to_num(cm["attrition_12"][c]), 0.0)
        otw = ppl["open_to_work"]
        prop = gm.propensity(otw, has, ppl["tenure"], layoff, attrition, ppl["moves_per_year"])
        self.tables["people"] = pa.table({
            "candidate_id": pa.array(ppl["candidate_id"], pa.string()), "company": company,
            "prev_company": ppl["prev_company"], "occupation": ppl["occupation"], "title": ppl["title"],
            "location": ppl["location"], "tenure_months": ppl["tenure"].astype(np.float32),
            "open_to_work": otw.astype(bool), "moves_per_year": ppl["moves_per_year"], "propensity": prop})
        occ = ppl["occupation"]
        self.tables["occupations"] = pa.table({
            "code": pa.array(self.g.occupations, pa.string()),
            "title": pa.array([self.tax.occupations[c].title for c in self.g.occupations], pa.string()),
            "count": np.bincount(occ[occ >= 0], minlength=len(self.g.occupations)).astype(np.int32)})
        title = ppl["title"]
        self.tables["titles"] = pa.table({"title": v.titles, "count": np.bincount(
            title[title >= 0], minlength=len(v.titles)).astype(np.int32)})
        loc = ppl["location"]
        parts = [k.split("\x1f") for k in v.locations.to_pylist()]
        self.tables["locations"] = pa.table({
            **{name: pa.array([p[i] or None for p in parts], pa.string())
               for i, name in enumerate(("city", "region", "country"))},
            "count": np.bincount(loc[loc >= 0], minlength=len(parts)).astype(np.int32)})
        s_off, s_codes = self.p.schools
        self.tables["schools"] = pa.table({"name": pa.array([" ".join(s.split()) for s in v.schools.to_pylist()], pa.string()),
                                           "count": np.bincount(s_codes, minlength=len(v.schools)).astype(np.int32)})
        self.arrays["people_skills"] = {"offsets": self.p.skills[0], "codes": self.p.skills[1]}
        self.arrays["people_schools"] = {"offsets": s_off, "codes": s_codes}


# ---------------------------------------------------------------------------------------------
def _top_k(rows, cols, counts, weights, k: int):
    """Keep the ``k`` largest weights per row, sorted by row then weight desc (ties keep input order)."""
    rows, cols, counts, weights = (np.asarray(x) for x in (rows, cols, counts, weights))
    order = np.lexsort((-weights, rows))
    rows, cols, counts, weights = rows[order], cols[order], counts[order], weights[order]
    if not len(rows):
        return rows, cols, counts, weights
    starts = np.r_[0, np.flatnonzero(rows[1:] != rows[:-1]) + 1]
    rank = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    keep = rank < k
    return rows[keep], cols[keep], counts[keep], weights[keep]


def ensure_graph(index_dir: str | Path, *, progress: bool = True) -> Path:
    """Build ``<index_dir>/graph`` unless one built from the live index version is already there."""
    live = current_version(index_dir)
    manifest = graph_dir(index_dir) / "manifest.json"
    if live is not None and manifest.exists():
        try:
            if json.loads(manifest.read_text()).get("source", {}).get("index_version") == live.name:
                return manifest.parent
        except ValueError:
            pass
    return build_for_index(index_dir, GraphConfig(progress=progress))[1]
