"""Talent-pool insights: who the pool is, where it lives, where it came from and goes, who wins it.

A pool is a set of profiles (the match set of a query with filters, computed by the ranking layer)
given as rows of the graph's ``people`` table (``TalentInsights.rows_for`` maps an index
snapshot's ords). Everything is a numpy gather/bincount over precomputed arrays, so a 10k pool
costs milliseconds.

- ``supply``: pool size, open to work, recently hired (< ``RECENT_HIRE_MONTHS`` in role), median
  tenure, mean propensity to move and how many score >= 0.5;
- ``top_*``: locations, titles (current, as written), occupations, skills, companies, schools;
- ``came_from``: the company each member left to join their current one;
- ``goes_to``: where people who left the pool's current employers in the window went, each employer
  weighted by its share of the pool (expected destinations of a move out of the pool);
- ``vs_company``: the companies a target wins talent from and loses it to over the window (whole
  market: moves in, moves out, net) and within the pool's own career histories;
- ``fast_growing`` / ``layoffs``: the pool's employers flagged by ``graph.metrics``, strongest signal first
  (24-month relative growth; layoff signal), then most pool members.
"""
from __future__ import annotations

import threading

import numpy as np
import pyarrow.compute as pc
import scipy.sparse as sp

from graph import metrics as gm
from graph.store import Graph, cached_view, graph_dir
from records.errors import BackendUnavailableError, QueryError


class TalentInsights:
    def __init__(self, graph: Graph):
        self.g = graph
        people = graph.table("people")
        self.candidate_ids = people.column("candidate_id")
        self.company = graph.col("people", "company")
        self.prev = graph.col("people", "prev_company")
        self.occupation = graph.col("people", "occupation")
        self.title = graph.col("people", "title")
        self.location = graph.col("people", "location")
        self.tenure = graph.col("people", "tenure_months")
        self.open = graph.col("people", "open_to_work").astype(bool)
        self.propensity = graph.col("people", "propensity")
        self.names = graph.table("companies").column("name").to_pylist()
        self.company_ids = graph.table("companies").column("company_id").to_pylist()
        self.m = {c: graph.col("companies", c) for c in graph.table("companies").column_names[2:]}
        self.titles = graph.table("titles").column("title").to_pylist()
        self.occ = list(zip(graph.table("occupations").column("code").to_pylist(),
                            graph.table("occupations").column("title").to_pylist()))
        self.skills = graph.table("skills").column("name").to_pylist()
        self.schools = graph.table("schools").column("name").to_pylist()
        loc = graph.table("locations")
        self.locs = list(zip(*(loc.column(c).to_pylist() for c in ("city", "region", "country"))))
        self.mv = {c: graph.col("moves", c) for c in ("row", "src", "dst", "month")}
        self.csr = {k: (v["offsets"], v["codes"]) for k, v in graph.arrays.items() if k.startswith("people_")}
        self._lock = threading.Lock()
        self._align: dict[str, np.ndarray] = {}
        self._windows: dict[int, sp.csr_matrix] = {}
        self._by_name = {}
        for i, (n, cid) in enumerate(zip(self.names, self.company_ids)):
            self._by_name.setdefault((n or "").casefold(), i)
            self._by_name.setdefault(cid.casefold(), i)

    # -- pool mapping --------------------------------------------------------------------------
    def rows_for(self, version: str, store, ords: np.ndarray) -> np.ndarray:
        """Graph people rows of an index snapshot's ``ords`` (profiles the graph has not seen are dropped)."""
        with self._lock:
            align = self._align.get(version)
        if align is None:
            align = pc.index_in(store.table.column("candidate_id"), value_set=self.candidate_ids)
            align = pc.fill_null(align, -1).to_numpy(zero_copy_only=False).astype(np.int64)
            with self._lock:
                self._align = {version: align}
        rows = align[store.columns.row[np.asarray(ords, dtype=np.int64)]]
        return rows[rows >= 0]

    def company_code(self, value: str) -> int:
        code = self._by_name.get((value or "").casefold())
        if code is None:
            raise QueryError(f"vs_company: no company {value!r} in the graph (give a company name or id)")
        return code

    # -- insights ------------------------------------------------------------------------------
    def insights(self, rows: np.ndarray, *, top: int = 10, window_months: int = 24, vs_company: str | None = None) -> dict:
        if not 1 <= top <= 100:
            raise QueryError(f"top: must be between 1 and 100, got {top}")
        if not 1 <= window_months <= gm.MONTHS:
            raise QueryError(f"window_months: must be between 1 and {gm.MONTHS}, got {window_months}")
        rows = np.asarray(rows, dtype=np.int64)
        target = self.company_code(vs_company) if vs_company else None
        comp = self.company[rows]
        pool_companies = np.bincount(comp[comp >= 0], minlength=len(self.names))
        out = {
            "as_of": self.g.manifest["as_of"], "window_months": window_months,
            "supply": self._supply(rows),
            "top_locations": [{"city": c, "region": r, "country": k, "count": n}
                              for (c, r, k), n in self._top(self.location[rows], self.locs, top)],
            "top_titles": [{"title": t, "count": n} for t, n in self._top(self.title[rows], self.titles, top)],
            "top_occupations": [{"code": c, "title": t, "count": n}
                                for (c, t), n in self._top(self.occupation[rows], self.occ, top)],
            "top_skills": [{"skill": s, "count": n} for s, n in self._top(self._gather("people_skills", rows), self.skills, top)],
            "top_companies": [self._company(c, n) for c, n in self._top_codes(pool_companies, top)],
            "top_schools": [{"school": s, "count": n} for s, n in self._top(self._gather("people_schools", rows), self.schools, top)],
            "came_from": [self._company(c, n) for c, n in self._top_codes(
                np.bincount(self.prev[rows][self.prev[rows] >= 0], minlength=len(self.names)), top)],
            "goes_to": self._goes_to(pool_companies, window_months, top),
            "fast_growing": self._flagged(pool_companies, "growing", "rel_growth_24", top),
            "layoffs": self._flagged(pool_companies, "layoffs", "layoff_signal", top),
        }
        if target is not None:
            out["vs_company"] = self._versus(target, rows, window_months, top)
        return out

    def _supply(self, rows: np.ndarray) -> dict:
        tenure = self.tenure[rows]
        known = tenure[~np.isnan(tenure)]
        prop = self.propensity[rows]
        return {"candidates": int(len(rows)), "open_to_work": int(self.open[rows].sum()),
                "recently_hired": int((known < gm.RECENT_HIRE_MONTHS).sum()),
                "without_current_employer": int((self.company[rows] < 0).sum()),
                "median_tenure_months": round(float(np.median(known)), 1) if len(known) else None,
                "mean_propensity_to_move": round(float(prop.mean()), 4) if len(prop) else None,
                "likely_to_move": int((prop >= 0.5).sum())}

    def _gather(self, name: str, rows: np.ndarray) -> np.ndarray:
        offsets, codes = self.csr[name]
        start, stop = offsets[rows], offsets[rows + 1]
        counts = stop - start
        idx = np.repeat(start - np.r_[0, np.cumsum(counts)[:-1]], counts) + np.arange(counts.sum())
        return codes[idx]

    @staticmethod
    def _top_codes(counts: np.ndarray, top: int) -> list[tuple[int, int]]:
        nz = np.flatnonzero(counts)
        order = nz[np.lexsort((nz, -counts[nz]))][:top]
        return [(int(c), int(counts[c])) for c in order]

    def _top(self, codes: np.ndarray, labels: list, top: int) -> list[tuple]:
        codes = codes[codes >= 0]
        return [(labels[c], n) for c, n in self._top_codes(np.bincount(codes, minlength=len(labels)), top)]

    def _company(self, code: int, count: int | float, key: str = "count") -> dict:
        return {"company_id": self.company_ids[code], "company": self.names[code],
                key: round(float(count), 4) if isinstance(count, float) else int(count)}

    def _window(self, months: int) -> sp.csr_matrix:
        with self._lock:
            hit = self._windows.get(months)
        if hit is None:
            sel = self.mv["month"] > self.g.as_of_month - months
            n = len(self.names)
            hit = sp.csr_matrix((np.ones(sel.sum(), np.float64), (self.mv["src"][sel], self.mv["dst"][sel])), shape=(n, n))
            with self._lock:
                self._windows[months] = hit
        return hit

    def _goes_to(self, pool_companies: np.ndarray, months: int, top: int) -> list[dict]:
        w = self._window(months)
        out_moves = np.asarray(w.sum(axis=1)).ravel()
        share = pool_companies / max(pool_companies.sum(), 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.where(out_moves > 0, share / out_moves, 0.0)
        expected = np.asarray(w.T @ weight).ravel()
        nz = np.flatnonzero(expected > 0)
        order = nz[np.lexsort((nz, -expected[nz]))][:top]
        return [{**self._company(int(c), float(expected[c]), "share"), "moves": int(w[:, c].sum())} for c in order]

    def _flagged(self, pool_companies: np.ndarray, flag: str, key: str, top: int) -> list[dict]:
        codes = np.flatnonzero((pool_companies > 0) & self.m[flag])
        # the strongest signal first (the figure a reader compares), then most pool members
        codes = codes[np.lexsort((-pool_companies[codes], -np.nan_to_num(self.m[key][codes])))][:top]
        out = []
        for c in codes.tolist():
            d = self._company(c, int(pool_companies[c]), "pool_count")
            d.update(headcount=int(self.m["headcount"][c]), growth_12=_r(self.m["growth_12"][c]),
                     rel_growth_12=_r(self.m["rel_growth_12"][c]), rel_growth_24=_r(self.m["rel_growth_24"][c]),
                     hires_12=int(self.m["hires_12"][c]),
                     departures_12=int(self.m["departures_12"][c]), layoff_signal=_r(self.m["layoff_signal"][c]))
            if self.m["layoff_month"][c] >= 0:
                d["layoff_month"] = _month_name(self.g.as_of_month - (gm.MONTHS - 1) + int(self.m["layoff_month"][c]))
            out.append(d)
        return out

    def _versus(self, target: int, rows: np.ndarray, months: int, top: int) -> dict:
        w = self._window(months)
        inflow = np.asarray(w[:, target].todense()).ravel()
        outflow = np.asarray(w[target, :].todense()).ravel()
        in_pool = np.zeros(len(self.company), dtype=bool)
        in_pool[rows] = True
        pm = in_pool[self.mv["row"]]
        pool_in = np.bincount(self.mv["src"][pm & (self.mv["dst"] == target)], minlength=len(self.names))
        pool_out = np.bincount(self.mv["dst"][pm & (self.mv["src"] == target)], minlength=len(self.names))

        def rows_of(primary, other):
            return [{**self._company(c, n, "moves"), "net": int(inflow[c] - outflow[c]),
                     "moves_other_way": int(other[c])} for c, n in self._top_codes(primary.astype(np.int64), top)]

        return {"company_id": self.company_ids[target], "company": self.names[target], "window_months": months,
                "moves_in": int(inflow.sum()), "moves_out": int(outflow.sum()),
                "wins_from": rows_of(inflow, outflow), "loses_to": rows_of(outflow, inflow),
                "pool_wins_from": [self._company(c, n) for c, n in self._top_codes(pool_in, top)],
                "pool_loses_to": [self._company(c, n) for c, n in self._top_codes(pool_out, top)]}


def _r(x) -> float | None:
    return None if np.isnan(x) else round(float(x), 4)


def _month_name(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def load_insights(index_dir) -> TalentInsights:
    """``TalentInsights`` for ``<index_dir>/graph``, cached until rebuilt; BackendUnavailableError when none."""
    hit = cached_view(index_dir, "insights", TalentInsights)
    if hit is None:
        raise BackendUnavailableError(f"no graph at {graph_dir(index_dir)}: run "
                                      f"`talentsearch graph build --index-dir {index_dir}`")
    return hit


__all__ = ["TalentInsights", "load_insights"]
