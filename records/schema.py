"""The profile model as a declared Arrow schema.

``PROFILE_SCHEMA`` is what callers provide (Parquet or JSONL); ``INDEXED_SCHEMA`` adds the
fields derived at ingest (see ``indexer.derive``). Dates are ``date32`` (days since epoch).
"""
from __future__ import annotations

import pyarrow as pa

LOCATION = pa.struct([
    ("city", pa.string()),
    ("region", pa.string()),
    ("country", pa.string()),     # ISO 3166-1 alpha-2, e.g. "DE"
    ("lat", pa.float64()),        # WGS84 degrees
    ("lon", pa.float64()),
])

POSITION = pa.struct([
    ("company_id", pa.string()),
    ("company_name", pa.string()),
    ("title", pa.string()),       # raw title as the person wrote it
    ("start", pa.date32()),
    ("end", pa.date32()),         # null = current position
    ("description", pa.string()),
])

EDUCATION = pa.struct([
    ("school", pa.string()),
    ("degree", pa.string()),
    ("field", pa.string()),
    ("start_year", pa.int16()),
    ("end_year", pa.int16()),
])

PROFILE_FIELDS = [
    pa.field("candidate_id", pa.string(), nullable=False),
    pa.field("headline", pa.string()),
    pa.field("summary", pa.string()),
    pa.field("location", LOCATION),
    pa.field("positions", pa.list_(POSITION)),
    pa.field("skills", pa.list_(pa.string())),
    pa.field("education", pa.list_(EDUCATION)),
    pa.field("open_to_work", pa.bool_()),
    pa.field("last_active", pa.date32()),
    pa.field("owner_tenant", pa.string()),   # null = network profile, visible to every tenant
]
PROFILE_SCHEMA = pa.schema(PROFILE_FIELDS, metadata={"talentsearch.schema": "profile/1"})

SENIORITY_LEVELS = ("intern", "junior", "mid", "senior", "lead", "manager", "director", "executive")
"""Ordered seniority scale; ``seniority_level`` is the index into this tuple."""

DERIVED_FIELDS = [
    pa.field("current_title", pa.string()),
    pa.field("current_company_id", pa.string()),
    pa.field("current_company_name", pa.string()),
    pa.field("past_company_ids", pa.list_(pa.string())),
    pa.field("years_experience", pa.float32()),      # merged position spans, years
    pa.field("seniority", pa.string()),              # one of SENIORITY_LEVELS
    pa.field("seniority_level", pa.int8()),
    pa.field("tenure_months", pa.float32()),         # in the current role, months
    pa.field("occupation_code", pa.string()),        # O*NET-SOC, e.g. "15-1243.00"
    pa.field("occupation_title", pa.string()),
    pa.field("occupation_score", pa.float32()),      # 0..1 confidence of the title match
    pa.field("skills_normalized", pa.list_(pa.string())),
]
INDEXED_SCHEMA = pa.schema(
    [pa.field("ord", pa.int64(), nullable=False), pa.field("content_hash", pa.string())]
    + PROFILE_FIELDS + DERIVED_FIELDS,
    metadata={"talentsearch.schema": "indexed-profile/1"},
)
