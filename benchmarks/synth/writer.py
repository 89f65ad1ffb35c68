"""``generate()``: run the whole generator and write the corpus, the planted truth and the judgments.

Files written in ``out_dir``: profiles.parquet (``records.schema.PROFILE_SCHEMA``, row groups of
``CHUNK`` profiles), companies.parquet, truth.parquet, audit.parquet (synthetic self-reported attributes,
``benchmarks.synth.audit``; never indexed), queries.jsonl, qrels.txt (TREC) and manifest.json. The same seed and profile count give identical tables.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.synth import audit as audit_attrs
from benchmarks.synth.careers import simulate
from benchmarks.synth.companies import Hiring, company_count, companies_table, make_companies
from benchmarks.synth.judge import Corpus, years_experience
from benchmarks.synth.profiles import Renderer
from benchmarks.synth.queries import QueryMaker
from benchmarks.synth.world import build_world
from records.schema import PROFILE_SCHEMA, SENIORITY_LEVELS
from records.taxonomy import ATTRIBUTION, Taxonomy

GENERATOR_VERSION = "synth/1"
CHUNK = 100_000
TRUTH_SCHEMA = pa.schema([
    pa.field("candidate_id", pa.string(), nullable=False),
    pa.field("occupation_code", pa.string()),
    pa.field("occupation_title", pa.string()),
    pa.field("seniority", pa.string()),                 # one of SENIORITY_LEVELS (latent)
    pa.field("skills", pa.list_(pa.string())),          # latent skill set, canonical names
    pa.field("city", pa.string()),
    pa.field("country", pa.string()),
    pa.field("lat", pa.float64()),
    pa.field("lon", pa.float64()),
    pa.field("years_experience", pa.float64()),         # union of position spans up to as_of, years
    pa.field("current_company_id", pa.string()),        # null = no current position
    pa.field("open_to_work", pa.bool_()),
    pa.field("laid_off", pa.bool_()),                   # a position ended in a layoff month of its company
    pa.field("moved_after_layoff", pa.bool_()),
    pa.field("owner_tenant", pa.string()),
    pa.field("position_occupation_codes", pa.list_(pa.string())),   # latent occupation of each position, in order
], metadata={"talentsearch.schema": "synth-truth/1"})


@dataclass(frozen=True)
class GenerateReport:
    out_dir: Path
    profiles: int
    companies: int
    queries: int
    qrels: int                   # judged (query, candidate) pairs, grade >= 1
    grade_counts: tuple[int, int, int]   # pairs with grade 1, 2, 3
    seconds: float
    profiles_path: Path
    companies_path: Path
    truth_path: Path
    queries_path: Path
    qrels_path: Path
    manifest_path: Path
    audit_path: Path | None = None
    planted_rows: int = 0        # profiles under-documented by the planted bias (plant_bias)


def generate(out_dir, *, profiles: int, seed: int, as_of: dt.date = dt.date(2026, 11, 1), queries: int = 240,
             progress: bool = True, tenants: tuple = ("acme-talent", "globex-hr"), plant_bias: bool = False,
             plant_proxy: bool = False) -> GenerateReport:
    """Generate ``profiles`` synthetic profiles with planted truth and ``queries`` judged queries.
    ``plant_bias``: under-document part of one group's profiles in half the occupations
    (``benchmarks.synth.audit``); ``plant_proxy``: career breaks drawn far more often for women, visible to the
    engine as no current position (``audit.plant_career_breaks``). The judged grades do not change."""
    if not isinstance(profiles, int) or profiles < 1:
        raise ValueError(f"profiles must be a positive integer, got {profiles!r}")
    if not isinstance(queries, int) or queries < 0:
        raise ValueError(f"queries must be a non-negative integer, got {queries!r}")
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("profiles.parquet", "companies.parquet", "truth.parquet",
                                           "queries.jsonl", "qrels.txt", "manifest.json", "audit.parquet")}
    tenants = tuple(tenants)
    world = build_world(Taxonomy.load())
    companies = make_companies(world, company_count(profiles), np.random.default_rng([seed, 0]), as_of)
    hiring = Hiring(world, companies)
    renderer = Renderer(world, companies)
    today = (as_of - dt.date(1970, 1, 1)).days
    width = max(7, len(str(profiles)))
    parts = []
    planted_rows = proxy_rows = 0
    codes = np.asarray(world.codes, dtype=object)
    bar = _progress(profiles, progress)
    with pq.ParquetWriter(paths["profiles.parquet"], PROFILE_SCHEMA, compression="zstd") as pw, \
            pq.ParquetWriter(paths["truth.parquet"], TRUTH_SCHEMA, compression="zstd") as tw, \
            pq.ParquetWriter(paths["audit.parquet"], audit_attrs.AUDIT_SCHEMA, compression="zstd") as aw:
        for k, lo in enumerate(range(0, profiles, CHUNK)):
            n = min(CHUNK, profiles - lo)
            rng = np.random.default_rng([seed, 1, k])
            careers = simulate(world, companies, hiring, n, rng, as_of, len(tenants))
            years = years_experience(careers.pos_offsets, careers.pos_start, careers.pos_end, today)
            ids = np.array([f"c{i:0{width}d}" for i in range(lo + 1, lo + n + 1)], dtype=object)
            rendered = renderer.render(careers, list(ids), years, tenants, rng)
            arng = np.random.default_rng([seed, 7, k])      # its own stream: profiles are the same either way
            attrs = audit_attrs.attributes(ids, years, arng)
            table = rendered.table
            if plant_bias:
                table, changed = audit_attrs.plant(table, attrs, codes[careers.occ], arng)
                planted_rows += changed
            if plant_proxy:
                table, changed = audit_attrs.plant_career_breaks(table, attrs, as_of, np.random.default_rng([seed, 8, k]))
                proxy_rows += changed
            pw.write_table(table, row_group_size=CHUNK)
            aw.write_table(attrs, row_group_size=CHUNK)
            tw.write_table(_truth(world, companies, careers, rendered, ids, years, tenants), row_group_size=CHUNK)
            parts.append((ids, careers, rendered, years))
            bar.update(n)
    bar.close()
    corpus = _corpus(parts, today)
    del parts
    pq.write_table(companies_table(companies, world), paths["companies.parquet"], compression="zstd")
    maker = QueryMaker(world, companies, corpus, renderer.skill_forms.to_pylist(), tenants,
                       np.random.default_rng([seed, 2]))
    judged = _queries(maker, queries)
    grade_counts = _write_judgments(judged, corpus, paths["queries.jsonl"], paths["qrels.txt"])
    seconds = time.perf_counter() - t0
    n_qrels = sum(grade_counts)
    manifest = {
        "generator": "talentsearch benchmarks.synth", "version": GENERATOR_VERSION, "seed": seed,
        "profiles": profiles, "companies": len(companies), "queries": len(judged), "qrels": n_qrels,
        "grade_counts": {"1": grade_counts[0], "2": grade_counts[1], "3": grade_counts[2]},
        "as_of": as_of.isoformat(), "tenants": list(tenants),
        "plant_bias": {"planted_group": list(audit_attrs.PLANTED_GROUP), "p_under_documented": audit_attrs.P_UNDER_DOCUMENTED,
                       "planted_occupations": sorted(c for c in world.codes if audit_attrs.planted(c)),
                       "rows": planted_rows} if plant_bias else None,
        "plant_proxy": {"career_break_by_sex": audit_attrs.P_CAREER_BREAK, "break_months": list(audit_attrs.BREAK_MONTHS),
                        "rows": proxy_rows} if plant_proxy else None, "seconds": round(seconds, 2),
        "attribution": ATTRIBUTION, "files": sorted(paths),
    }
    paths["manifest.json"].write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return GenerateReport(
        out_dir=out, profiles=profiles, companies=len(companies), queries=len(judged), qrels=n_qrels,
        grade_counts=grade_counts, seconds=seconds, profiles_path=paths["profiles.parquet"],
        companies_path=paths["companies.parquet"], truth_path=paths["truth.parquet"],
        queries_path=paths["queries.jsonl"], qrels_path=paths["qrels.txt"], manifest_path=paths["manifest.json"],
        audit_path=paths["audit.parquet"], planted_rows=planted_rows)


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, disable=not enabled, unit="profiles", desc="generate", leave=False)


def _truth(world, companies, careers, rendered, ids, years, tenants) -> pa.Table:
    places = world.geo.places
    last = careers.pos_offsets[1:] - 1
    current = np.where(careers.pos_end[last] == -1, careers.pos_company[last], -1)
    names = pa.array(world.skill_names)
    code = pa.array(list(world.codes))
    titles = pa.array([world.taxonomy.occupations[c].title for c in world.codes])
    cid = pa.array(companies.ids)
    return pa.Table.from_arrays([
        pa.array(ids, type=pa.string()),
        code.take(pa.array(careers.occ)),
        titles.take(pa.array(careers.occ)),
        pa.array(SENIORITY_LEVELS).take(pa.array(careers.level.astype(np.int64))),
        pa.ListArray.from_arrays(pa.array(rendered.skill_offsets.astype(np.int32)), names.take(pa.array(rendered.skill_ids))),
        pa.array([p.name for p in places]).take(pa.array(careers.place)),
        pa.array([p.country for p in places]).take(pa.array(careers.place)),
        pa.array(world.geo.lat[careers.place]),
        pa.array(world.geo.lon[careers.place]),
        pa.array(years),
        cid.take(pa.array(current, mask=current < 0)),
        pa.array(careers.open_to_work),
        pa.array(careers.laid_off),
        pa.array(careers.moved),
        pa.array([tenants[t] if t >= 0 else None for t in careers.tenant], type=pa.string()),
        pa.ListArray.from_arrays(pa.array(careers.pos_offsets.astype(np.int32)), code.take(pa.array(careers.pos_occ))),
    ], schema=TRUTH_SCHEMA)


def _corpus(parts, today: int) -> Corpus:
    def cat(get):
        return np.concatenate([get(p) for p in parts])

    def csr(get_off, get_val):
        offs, base = [np.zeros(1, np.int64)], 0
        for p in parts:
            o = get_off(p)
            offs.append(o[1:] + base)
            base += o[-1]
        return np.concatenate(offs), cat(get_val)

    pos_off, pos_company = csr(lambda p: p[1].pos_offsets, lambda p: p[1].pos_company)
    sk_off, sk_ids = csr(lambda p: p[2].skill_offsets, lambda p: p[2].skill_ids)
    place = cat(lambda p: p[1].place)
    loc = pa.concat_arrays([p[2].table.column("location").combine_chunks() for p in parts])
    return Corpus(
        ids=cat(lambda p: p[0]), occ=cat(lambda p: p[1].occ).astype(np.int32), level=cat(lambda p: p[1].level),
        place=place, lat=loc.field("lat").to_numpy(), lon=loc.field("lon").to_numpy(), years=cat(lambda p: p[3]),
        skill_offsets=sk_off, skill_ids=sk_ids, pos_offsets=pos_off, pos_company=pos_company,
        pos_start=cat(lambda p: p[1].pos_start), pos_end=cat(lambda p: p[1].pos_end),
        open_to_work=cat(lambda p: p[1].open_to_work), last_active=cat(lambda p: p[1].last_active),
        tenant=cat(lambda p: p[1].tenant), today=today)


def _queries(maker: QueryMaker, n: int) -> list:
    seen: set[str] = set()
    judged = []
    first = maker.pinned(seen) if n else None
    if first is not None:
        judged.append(first)
    i = len(judged)
    attempts = 0
    while len(judged) < n and attempts < n * 3:
        attempts += 1
        q = maker.make(i, seen)
        if q is not None:
            judged.append(q)
            i += 1
    return judged


def _write_judgments(judged, corpus: Corpus, queries_path: Path, qrels_path: Path) -> tuple[int, int, int]:
    counts = np.zeros(4, dtype=np.int64)
    with queries_path.open("w", encoding="utf-8") as qf, qrels_path.open("w", encoding="utf-8") as rf:
        for j in judged:
            qf.write(json.dumps(j.query, ensure_ascii=False) + "\n")
            qid = j.query["query_id"]
            order = np.lexsort((corpus.ids[j.ids].astype(str), -j.grades))
            rf.writelines(f"{qid} 0 {corpus.ids[r]} {g}\n" for r, g in zip(j.ids[order], j.grades[order]))
            counts += np.bincount(j.grades, minlength=4)
    return int(counts[1]), int(counts[2]), int(counts[3])
