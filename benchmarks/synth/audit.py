"""Synthetic self-reported audit attributes (``audit.parquet``) and a planted historical bias.

Every profile gets a sex, an age band (from its years of experience: age ~ 22 + years + noise) and an
ethnicity, each with a ``not_disclosed`` share, from its own random stream (``[seed, 7, chunk]``): the
profiles are the same with or without the file. The attributes never reach the profiles.

``plant_bias`` plants a historical bias in the DATA of the planted occupations (half of all occupations,
chosen by a hash of the O*NET code): a share ``P_UNDER_DOCUMENTED`` of the women there have
under-documented profiles (no summary, the headline without its skills, two listed skills, no position
descriptions), as when a group was historically less encouraged to advertise itself. Their latent
qualifications, hence the judged grades, are unchanged: an equally qualified woman there is harder to find,
which is what the audit must detect (impact ratio < 0.8 where planted, ~1 elsewhere).
"""
from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ranking.fairness.attributes import AUDIT_SCHEMA, NOT_DISCLOSED

SEX = (("female", 0.46), ("male", 0.46), ("other", 0.01), (NOT_DISCLOSED, 0.07))
ETHNICITY = (("white", 0.44), ("hispanic_or_latino", 0.16), ("black", 0.12), ("asian", 0.13),
             ("two_or_more", 0.04), ("native_hawaiian_or_pacific_islander", 0.01),
             ("american_indian_or_alaska_native", 0.01), (NOT_DISCLOSED, 0.09))
AGE_EDGES = ((25, "under_25"), (35, "25_34"), (45, "35_44"), (55, "45_54"), (200, "55_plus"))
P_AGE_NOT_DISCLOSED = 0.10
P_UNDER_DOCUMENTED = 0.7
PLANTED_GROUP = ("sex", "female")
KEPT_SKILLS = 2


def planted(code: str) -> bool:
    """Whether an occupation carries the planted bias (half of them, fixed by the code)."""
    return int(hashlib.sha1(code.encode()).hexdigest()[:8], 16) % 2 == 0


def _draw(choices, n, rng) -> np.ndarray:
    names, p = zip(*choices)
    return np.asarray(names, dtype=object)[rng.choice(len(names), size=n, p=np.asarray(p) / sum(p))]


def attributes(ids, years: np.ndarray, rng: np.random.Generator) -> pa.Table:
    """One row per profile (``ranking.fairness.attributes.AUDIT_SCHEMA``)."""
    n = len(ids)
    sex = _draw(SEX, n, rng)
    age = 22 + np.asarray(years, dtype=np.float64) + rng.normal(0, 2.5, n)
    band = np.empty(n, dtype=object)
    lo = -np.inf
    for edge, name in AGE_EDGES:
        band[(age >= lo) & (age < edge)] = name
        lo = edge
    band[rng.random(n) < P_AGE_NOT_DISCLOSED] = NOT_DISCLOSED
    eth = _draw(ETHNICITY, n, rng)
    return pa.Table.from_arrays([pa.array(list(ids), pa.string()), pa.array(sex, pa.string()),
                                 pa.array(band, pa.string()), pa.array(eth, pa.string())], schema=AUDIT_SCHEMA)


def plant(table: pa.Table, attrs: pa.Table, codes: np.ndarray, rng: np.random.Generator) -> tuple[pa.Table, int]:
    """(profiles with the planted group's profiles under-documented in planted occupations, rows changed).
    ``codes``: each profile's latent occupation code."""
    attribute, value = PLANTED_GROUP
    in_occ = np.array([planted(c) for c in codes], dtype=bool)
    hit = in_occ & (attrs.column(attribute).to_numpy(zero_copy_only=False) == value) & (rng.random(len(codes)) < P_UNDER_DOCUMENTED)
    if not hit.any():
        return table, 0
    mask = pa.array(hit)
    heads = table.column("headline").combine_chunks()
    cut = pc.replace_substring_regex(heads, pattern=r" \| .*$", replacement="")
    summary = table.column("summary").combine_chunks()
    skills = table.column("skills").combine_chunks()
    short = pa.array([v[:KEPT_SKILLS] if h and v is not None else v for v, h in zip(skills.to_pylist(), hit)], skills.type)
    positions = table.column("positions").combine_chunks().to_pylist()
    for i in np.flatnonzero(hit):
        positions[i] = [dict(p, description=None) for p in positions[i] or []]
    out = table.set_column(table.schema.get_field_index("headline"), "headline", pc.if_else(mask, cut, heads))
    out = out.set_column(out.schema.get_field_index("summary"), "summary",
                         pc.if_else(mask, pa.nulls(len(hit), pa.string()), summary))
    out = out.set_column(out.schema.get_field_index("skills"), "skills", short)
    out = out.set_column(out.schema.get_field_index("positions"), "positions",
                         pa.array(positions, table.schema.field("positions").type))
    return out.cast(table.schema), int(hit.sum())


# --- an engine-visible proxy of sex (``plant_proxy``) ------------------------------------------------------
# Career breaks for caregiving are far more often taken by women. With ``plant_proxy`` a share of each sex's
# profiles (all occupations) is on a break today: the whole career moved earlier by the break's length, so the
# latest position ended that long ago, and the years of experience (the union of the spans), titles, employers
# and judged grades stay the same. The engine sees it: no current position, so no current employer and
# ``tenure_months`` unknown (the ``pair_tenure_months`` feature is 0). Simulated recruiters biased against
# people without a current job (``benchmarks.simulator``, ``--bias profile:no_current_job``) then disadvantage
# women through a trait the ranker can learn.
P_CAREER_BREAK = {"female": 0.45, "male": 0.03, "other": 0.15, NOT_DISCLOSED: 0.15}
BREAK_MONTHS = (6.0, 30.0)


def plant_career_breaks(table: pa.Table, attrs: pa.Table, as_of, rng: np.random.Generator) -> tuple[pa.Table, int]:
    """(profiles with career breaks drawn by sex ``P_CAREER_BREAK``, rows changed). People already between
    jobs are left as they are."""
    import datetime as dt

    sex = attrs.column("sex").to_numpy(zero_copy_only=False)
    p = np.array([P_CAREER_BREAK.get(s, 0.0) for s in sex])
    draw = rng.random(len(sex)) < p
    months = rng.uniform(*BREAK_MONTHS, len(sex))
    positions = table.column("positions").combine_chunks().to_pylist()
    changed = 0
    for i in np.flatnonzero(draw):
        pos = positions[i] or []
        if not any(q["end"] is None for q in pos):
            continue
        shift = dt.timedelta(days=int(round(months[i] * 30.44)))
        positions[i] = [dict(q, start=q["start"] - shift if q["start"] is not None else None,
                             end=(q["end"] if q["end"] is not None else as_of) - shift) for q in pos]
        changed += 1
    if not changed:
        return table, 0
    out = table.set_column(table.schema.get_field_index("positions"), "positions",
                           pa.array(positions, table.schema.field("positions").type))
    return out.cast(table.schema), changed
