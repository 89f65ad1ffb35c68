"""Build the economic graph from career histories (vectorised: pyarrow + numpy + scipy.sparse).

Nodes: companies, O*NET occupations (position titles matched through ``records.taxonomy``, memoised
per distinct title), skills (normalised per distinct spelling), schools, locations, current titles.
Edges: company -> company moves per month (consecutive positions at different companies),
occupation -> occupation transitions, skill co-occurrence (top ``skill_neighbours`` per skill with
cosine weight), company <-> skill and company <-> location weights (share of current employees).
networkx ranks companies by PageRank over the last 24 months of moves (``talent_pagerank``).
"""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import scipy.sparse as sp

from graph import metrics as gm
from graph.store import KIND, SCHEMA_VERSION, Graph, graph_dir, month_of_days
from indexer.build import current_version
from records.errors import BackendUnavailableError, ValidationError
from records.taxonomy import Taxonomy

COLUMNS = ("candidate_id", "location", "positions", "skills", "education", "open_to_work")
DAYS_PER_MONTH = 365.25 / 12
MIN_COOCCURRENCE = 2   # skill pairs seen on a single profile are noise, and most of the pairs


@dataclass(frozen=True)
class GraphConfig:
    as_of: dt.date | None = None          # None: the index version's as_of (or today for a bare table)
    skill_neighbours: int = 50            # adjacency kept per skill
    company_skills: int = 50              # skills kept per company
    company_locations: int = 20           # locations kept per company
    max_skills_per_profile: int = 40      # co-occurrence cap per profile (listing spam)
    progress: bool = True


def build_for_index(index_dir: str | Path, config: GraphConfig = GraphConfig()) -> tuple[Graph, Path]:
    """Build from the live index version's profiles and save under ``<index_dir>/graph/``."""
    version = current_version(index_dir)
    if version is None:
        raise BackendUnavailableError(f"no index at {index_dir}: run `talentsearch index PATH --index-dir {index_dir}`")
    vman = json.loads((version / "manifest.json").read_text())
    table = pq.read_table(version / "profiles.parquet", columns=list(COLUMNS))
    as_of = config.as_of or dt.date.fromisoformat(vman["as_of"])
    source = {"index_version": version.name, "corpus_fingerprint": vman.get("corpus_fingerprint")}
    graph = build_graph(table, GraphConfig(**{**asdict(config), "as_of": as_of}), source=source)
    return graph, graph.save(graph_dir(index_dir))


def build_graph(table: pa.Table, config: GraphConfig = GraphConfig(), *, source: dict | None = None,
                taxonomy: Taxonomy | None = None) -> Graph:
    """Aggregate ``table`` (PROFILE_SCHEMA columns ``COLUMNS``) into a ``Graph`` (not yet saved)."""
    from tqdm.auto import tqdm

    missing = [c for c in COLUMNS if c not in table.schema.names]
    if missing:
        raise ValidationError(f"graph build: input lacks column(s) {missing}")
    taxonomy = taxonomy or Taxonomy.load()
    as_of = config.as_of or dt.date.today()
    b = _Builder(table, as_of, taxonomy, config)
    steps = [("positions", b.positions), ("people", b.people), ("skills", b.skills), ("moves", b.moves),
             ("monthly", b.monthly), ("companies", b.companies), ("signals", b.signals)]
    timings = {}
    with tqdm(total=len(steps), desc="graph build", unit="step", disable=not config.progress) as bar:
        for name, step in steps:
            t0 = time.perf_counter()
            bar.set_postfix_str(name)
            step()
            timings[name] = round(time.perf_counter() - t0, 3)
            bar.update(1)
    manifest = {
        "kind": KIND, "schema_version": SCHEMA_VERSION,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(), "as_of_month": int(b.as_of_month), "months": gm.MONTHS,
        "profiles": table.num_rows, "source": source or {},
        "params": {**{k: v for k, v in asdict(config).items() if k not in ("progress", "as_of")},
                   "windows": list(gm.WINDOWS), "layoff_lookback": gm.LAYOFF_LOOKBACK},
        "counts": {name: t.num_rows for name, t in b.tables.items()},
        "seconds": {**timings, "total": round(sum(timings.values()), 3)},
        "attribution": taxonomy.attribution,
    }
    return Graph(manifest, b.tables, b.arrays)


class _Builder:
    """Holds the intermediate columns; each step adds tables/arrays. Position arrays are flat."""

    def __init__(self, table: pa.Table, as_of: dt.date, taxonomy: Taxonomy, config: GraphConfig):
        self.t, self.n, self.tax, self.cfg = table, table.num_rows, taxonomy, config
        self.today = (as_of - dt.date(1970, 1, 1)).days
        self.as_of_month = int(month_of_days(np.array([self.today]))[0])
        self.tables: dict[str, pa.Table] = {}
        self.arrays: dict[str, dict[str, np.ndarray]] = {}

    # -- positions ---------------------------------------------------------------------------
    def positions(self) -> None:
        pos = self.t.column("positions").combine_chunks()
        off = np.asarray(pos.offsets, dtype=np.int64)
        flat = pos.flatten()
        self.parent = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(off - off[0]))
        name = flat.field("company_name")
        cid = pc.coalesce(flat.field("company_id"), pc.utf8_lower(name))
        self.comp, ids = _encode(cid)
        first = _first_index(self.comp, len(ids))
        names = name.take(pa.array(first)).to_pylist()
        self.company_ids = ids.to_pylist()
        self.company_names = [n if n else i for n, i in zip(names, self.company_ids)]
        self.title_code, titles = _encode(flat.field("title"))
        self.titles = titles.to_pylist()
        occ_codes: dict[str, int] = {}
        occ_of_title = np.full(len(self.titles), -1, dtype=np.int32)
        for i, title in enumerate(self.titles):
            m = self.tax.match_title(title)
            if m is not None:
                occ_of_title[i] = occ_codes.setdefault(m.code, len(occ_codes))
        self.occ_list = list(occ_codes)
        self.occ = np.where(self.title_code >= 0, occ_of_title[np.maximum(self.title_code, 0)], -1)
        start = pc.fill_null(flat.field("start").cast(pa.int32()), self.today).to_numpy(zero_copy_only=False)
        end = pc.fill_null(flat.field("end").cast(pa.int32()), -1).to_numpy(zero_copy_only=False)
        self.ended = (end >= 0) & (end <= self.today)
        self.start = np.minimum(start.astype(np.int64), self.today)
        self.end = np.where(self.ended, end, self.today).astype(np.int64)
        self.order = np.lexsort((self.end, self.start, self.parent))

    # -- people ------------------------------------------------------------------------------
    def people(self) -> None:
        n, p = self.n, self.parent
        cur = _last_per_parent(p, n, np.flatnonzero(~self.ended), self.start)
        latest = _last_per_parent(p, n, np.arange(len(p)), self.end * 100_000 + self.start)
        has = cur >= 0
        pick = np.where(has, cur, latest)
        self.company = np.where(has, self.comp[np.maximum(cur, 0)], -1).astype(np.int32)
        self.occupation = np.where(pick >= 0, self.occ[np.maximum(pick, 0)], -1).astype(np.int32)
        self.title = np.where(pick >= 0, self.title_code[np.maximum(pick, 0)], -1).astype(np.int32)
        self.tenure = np.where(has, (self.today - self.start[np.maximum(cur, 0)]) / DAYS_PER_MONTH, np.nan)
        first = np.full(n, self.today, dtype=np.int64)
        if len(p):
            np.minimum.at(first, p, self.start)
        self.career_years = np.maximum((self.today - first) / 365.25, 1.0)
        loc = self.t.column("location").combine_chunks()
        parts = [pc.fill_null(loc.field(f), "") for f in ("city", "region", "country")]
        key = pc.binary_join_element_wise(*parts, "\x1f")
        key = pc.if_else(pc.equal(key, "\x1f\x1f"), pa.scalar(None, pa.string()), key)
        key = pc.if_else(loc.is_valid(), key, pa.scalar(None, pa.string()))
        self.location, loc_keys = _encode(key)
        self.loc_parts = [k.split("\x1f") for k in loc_keys.to_pylist()]
        self.schools_csr, self.school_names = self._schools()

    def _schools(self):
        col = self.t.column("education").combine_chunks()
        off = np.asarray(col.offsets, dtype=np.int64)
        parent = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(off - off[0]))
        codes, uniq = _encode(pc.utf8_trim_whitespace(col.flatten().field("school")))
        return _csr(parent, codes, self.n, len(uniq)), [" ".join(s.split()) for s in uniq.to_pylist()]

    # -- skills ------------------------------------------------------------------------------
    def skills(self) -> None:
        col = self.t.column("skills").combine_chunks()
        off = np.asarray(col.offsets, dtype=np.int64)
        parent = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(off - off[0]))
        raw_codes, raw = _encode(col.flatten())
        canon: dict[str, int] = {}
        names: list[str] = []
        raw_to = np.full(len(raw), -1, dtype=np.int32)
        for i, s in enumerate(raw.to_pylist()):
            if not s or not s.strip():
                continue
            name = self.tax.normalize_skill(s) or " ".join(s.split())
            code = canon.setdefault(name.casefold(), len(names))
            if code == len(names):
                names.append(name)
            raw_to[i] = code
        codes = np.where(raw_codes >= 0, raw_to[np.maximum(raw_codes, 0)], -1)
        self.skill_names = names
        offsets, codes = _csr(parent, codes, self.n, len(names))
        self.skills_csr = (offsets, codes)
        counts = np.diff(offsets)
        keep = _rank_in_row(offsets) < self.cfg.max_skills_per_profile
        rows = np.repeat(np.arange(self.n), counts)
        x = sp.csr_matrix((np.ones(keep.sum(), np.float32), (rows[keep], codes[keep])), shape=(self.n, len(names)))
        self.x_skills = x
        co = (x.T @ x).tocoo()
        freq = np.bincount(codes, minlength=len(names)).astype(np.int64)
        off_diag = (co.row != co.col) & (co.data >= MIN_COOCCURRENCE)
        r, c, v = co.row[off_diag], co.col[off_diag], co.data[off_diag]
        w = v / np.sqrt(np.maximum(freq[r] * freq[c], 1))
        r, c, v, w = _top_k(r, c, v, w, self.cfg.skill_neighbours)
        self.tables["skills"] = pa.table({"name": pa.array(names, pa.string()), "count": freq.astype(np.int32)})
        self.tables["skill_adjacency"] = pa.table({"src": r.astype(np.int32), "dst": c.astype(np.int32),
                                                   "count": v.astype(np.int32), "weight": w.astype(np.float32)})

    # -- moves and transitions ---------------------------------------------------------------
    def moves(self) -> None:
        o = self.order
        a, b = o[:-1], o[1:]
        same = self.parent[a] == self.parent[b]
        mv = same & (self.comp[a] >= 0) & (self.comp[b] >= 0) & (self.comp[a] != self.comp[b])
        row, src, dst = self.parent[b][mv], self.comp[a][mv], self.comp[b][mv]
        month = month_of_days(self.start[b][mv])
        self.moves_arrays = (row, src, dst, month)
        self.tables["moves"] = pa.table({"row": row.astype(np.int32), "src": src.astype(np.int32),
                                         "dst": dst.astype(np.int32), "month": month})
        n_c = len(self.company_ids)
        key = (src.astype(np.int64) * n_c + dst) * 4096 + (month - month.min() if len(month) else month)
        uk, cnt = np.unique(key, return_counts=True)
        base = int(month.min()) if len(month) else 0
        self.tables["company_moves"] = pa.table({
            "src": (uk // 4096 // n_c).astype(np.int32), "dst": (uk // 4096 % n_c).astype(np.int32),
            "month": (uk % 4096 + base).astype(np.int32), "count": cnt.astype(np.int32)})
        tr = same & (self.occ[a] >= 0) & (self.occ[b] >= 0) & (self.occ[a] != self.occ[b])
        n_o = max(len(self.occ_list), 1)
        uk, cnt = np.unique(self.occ[a][tr].astype(np.int64) * n_o + self.occ[b][tr], return_counts=True)
        self.tables["transitions"] = pa.table({"src": (uk // n_o).astype(np.int32), "dst": (uk % n_o).astype(np.int32),
                                               "count": cnt.astype(np.int32)})
        self.moves_per_year = (np.bincount(row, minlength=self.n) / self.career_years).astype(np.float32)

    # -- monthly series ----------------------------------------------------------------------
    def monthly(self) -> None:
        m, n_c = gm.MONTHS, len(self.company_ids)
        g0 = self.as_of_month - (m - 1)
        ok = self.comp >= 0
        sm, em = month_of_days(self.start), month_of_days(self.end)
        c = self.comp.astype(np.int64)
        h = ok & (sm >= g0)
        d = ok & self.ended & (em >= g0)
        base = ok & (sm < g0) & (~self.ended | (em >= g0))
        hires = np.bincount(c[h] * m + (sm[h] - g0), minlength=n_c * m).reshape(n_c, m)
        deps = np.bincount(c[d] * m + (em[d] - g0), minlength=n_c * m).reshape(n_c, m)
        start = np.bincount(c[base], minlength=n_c)
        head = start[:, None] + np.cumsum(hires - deps, axis=1)
        self.arrays["monthly"] = {"hires": hires.astype(np.int32), "departures": deps.astype(np.int32),
                                  "headcount": head.astype(np.int32)}

    # -- company nodes -----------------------------------------------------------------------
    def companies(self) -> None:
        mon = self.arrays["monthly"]
        cols = gm.company_metrics(mon["hires"], mon["departures"], mon["headcount"])
        cols["talent_pagerank"] = self._pagerank()
        self.company_metrics = cols
        self.tables["companies"] = pa.table({"company_id": pa.array(self.company_ids, pa.string()),
                                             "name": pa.array(self.company_names, pa.string()), **cols})
        n_c = len(self.company_ids)
        has = self.company >= 0
        one_hot = sp.csr_matrix((np.ones(has.sum(), np.float32), (self.company[has], np.flatnonzero(has))),
                                shape=(n_c, self.n))
        head = np.maximum(np.asarray(one_hot.sum(axis=1)).ravel(), 1)
        cs = (one_hot @ self.x_skills).tocoo()
        r, c, v, w = _top_k(cs.row, cs.col, cs.data, cs.data / head[cs.row], self.cfg.company_skills)
        self.tables["company_skills"] = pa.table({"company": r.astype(np.int32), "skill": c.astype(np.int32),
                                                  "count": v.astype(np.int32), "weight": w.astype(np.float32)})
        okl = has & (self.location >= 0)
        key = self.company[okl].astype(np.int64) * max(len(self.loc_parts), 1) + self.location[okl]
        uk, cnt = np.unique(key, return_counts=True)
        r, c = uk // max(len(self.loc_parts), 1), uk % max(len(self.loc_parts), 1)
        r, c, v, w = _top_k(r, c, cnt, cnt / head[r], self.cfg.company_locations)
        self.tables["company_locations"] = pa.table({"company": r.astype(np.int32), "location": c.astype(np.int32),
                                                     "count": v.astype(np.int32), "weight": w.astype(np.float32)})

    def _pagerank(self) -> np.ndarray:
        import networkx as nx

        cm = self.tables["company_moves"]
        recent = pc.greater(cm.column("month"), self.as_of_month - 24)
        agg = cm.filter(recent).group_by(["src", "dst"]).aggregate([("count", "sum")])
        g = nx.DiGraph()
        g.add_nodes_from(range(len(self.company_ids)))
        g.add_weighted_edges_from(zip(*(agg.column(c).to_pylist() for c in ("src", "dst", "count_sum"))))
        rank = nx.pagerank(g, weight="weight") if g.number_of_edges() else {}
        out = np.zeros(len(self.company_ids), dtype=np.float32)
        for node, value in rank.items():
            out[node] = value
        return out

    # -- candidate signals + remaining node tables ------------------------------------------
    def signals(self) -> None:
        cm = self.company_metrics
        c = np.maximum(self.company, 0)
        has = self.company >= 0
        layoff, attrition = np.zeros(self.n), np.zeros(self.n)
        if len(self.company_ids):   # a corpus without employers (e.g. bare job titles) has no company signals
            layoff = np.where(has, cm["layoff_signal"][c], 0.0)
            attrition = np.where(has, np.nan_to_num(cm["attrition_12"][c]), 0.0)
        otw = pc.fill_null(self.t.column("open_to_work"), False).to_numpy(zero_copy_only=False)
        prop = gm.propensity(otw, has, self.tenure, layoff, attrition, self.moves_per_year)
        row, src, dst, month = self.moves_arrays
        prev = np.full(self.n, -1, dtype=np.int32)
        into = dst == self.company[row]
        last = _last_per_parent(row, self.n, np.flatnonzero(into), month.astype(np.int64))
        prev[last >= 0] = src[last[last >= 0]]
        self.tables["people"] = pa.table({
            "candidate_id": self.t.column("candidate_id").cast(pa.string()), "company": self.company,
            "prev_company": prev, "occupation": self.occupation, "title": self.title, "location": self.location,
            "tenure_months": self.tenure.astype(np.float32), "open_to_work": otw.astype(bool),
            "moves_per_year": self.moves_per_year, "propensity": prop})
        occ_count = np.bincount(self.occupation[self.occupation >= 0], minlength=len(self.occ_list))
        self.tables["occupations"] = pa.table({
            "code": pa.array(self.occ_list, pa.string()),
            "title": pa.array([self.tax.occupations[c].title for c in self.occ_list], pa.string()),
            "count": occ_count.astype(np.int32)})
        t_count = np.bincount(self.title[self.title >= 0], minlength=len(self.titles))
        self.tables["titles"] = pa.table({"title": pa.array(self.titles, pa.string()), "count": t_count.astype(np.int32)})
        l_count = np.bincount(self.location[self.location >= 0], minlength=len(self.loc_parts))
        self.tables["locations"] = pa.table({
            **{name: pa.array([p[i] or None for p in self.loc_parts], pa.string())
               for i, name in enumerate(("city", "region", "country"))}, "count": l_count.astype(np.int32)})
        s_off, s_codes = self.schools_csr
        self.tables["schools"] = pa.table({"name": pa.array(self.school_names, pa.string()),
                                           "count": np.bincount(s_codes, minlength=len(self.school_names)).astype(np.int32)})
        self.arrays["people_skills"] = {"offsets": self.skills_csr[0], "codes": self.skills_csr[1]}
        self.arrays["people_schools"] = {"offsets": s_off, "codes": s_codes}


# ---------------------------------------------------------------------------------------------
def _encode(arr) -> tuple[np.ndarray, pa.Array]:
    """Dictionary-encode: (int32 codes with -1 for null/empty, unique values)."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr) if len(arr) else arr
    enc = pc.dictionary_encode(arr)
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, enc.dictionary


def _first_index(codes: np.ndarray, n: int) -> np.ndarray:
    ok = np.flatnonzero(codes >= 0)
    uniq, idx = np.unique(codes[ok], return_index=True)
    out = np.zeros(n, dtype=np.int64)
    out[uniq] = ok[idx]
    return out


def _last_per_parent(parent: np.ndarray, n: int, candidates: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Per parent, the candidate index with the largest key, or -1."""
    out = np.full(n, -1, dtype=np.int64)
    if not len(candidates):
        return out
    order = candidates[np.lexsort((key[candidates], parent[candidates]))]
    last = np.r_[parent[order][1:] != parent[order][:-1], True]
    out[parent[order][last]] = order[last]
    return out


def _csr(parent: np.ndarray, codes: np.ndarray, n: int, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """Deduplicated (offsets int64 (n+1,), codes int32) per parent, codes sorted; -1 codes dropped."""
    ok = codes >= 0
    key = np.unique(parent[ok].astype(np.int64) * max(n_codes, 1) + codes[ok])
    rows = key // max(n_codes, 1)
    offsets = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n)))).astype(np.int64)
    return offsets, (key % max(n_codes, 1)).astype(np.int32)


def _rank_in_row(offsets: np.ndarray) -> np.ndarray:
    counts = np.diff(offsets)
    return np.arange(offsets[-1]) - np.repeat(offsets[:-1], counts)


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
