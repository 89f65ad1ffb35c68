"""The common standing-search filters (tenant, distance, years of experience) checked without re-reading the profile.

``evaluate.passes`` reads the profile dict and converts its values on every call; the write path calls it
for each (profile, candidate search) pair, ~45 times per upsert at 10,000 standing searches. Here a profile's
values are converted once (``Facts``: radians, the cosine of its latitude, float32 years) and each search's
filter once (``QuickFilter``), with the same arithmetic in the same order as ``evaluate.passes`` and
``evaluate._km``, so the answers are the same bit for bit (``tests/unit/test_standing_quickfilter.py``).
A filter using anything else (seniority, companies, open to work, recency) has no QuickFilter: ``passes``
decides it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from query.lang.filters import Filters
from records.geo import EARTH_RADIUS_KM

_QUICK = frozenset({"near", "min_years", "max_years"})     # besides tenant visibility


@dataclass(frozen=True)
class Facts:
    """What a QuickFilter reads of one derived profile."""
    owner: str | None
    lat: float | None             # radians; None: no location (fails any distance filter)
    lon: float
    cos_lat: float
    years: np.float32             # as ProfileStore.mask compares them


def facts(p: dict) -> Facts:
    loc = p.get("location") or {}
    years = np.float32(p.get("years_experience") or 0.0)
    if loc.get("lat") is None or loc.get("lon") is None:
        return Facts(p.get("owner_tenant"), None, 0.0, 0.0, years)
    lat, lon = math.radians(float(loc["lat"])), math.radians(float(loc["lon"]))
    return Facts(p.get("owner_tenant"), lat, lon, math.cos(lat), years)


@dataclass(frozen=True)
class QuickFilter:
    tenant_id: str | None
    near: tuple[float, float, float, float] | None     # lat, lon (radians), cos(lat), radius_km
    min_years: float | None
    max_years: float | None

    @classmethod
    def of(cls, f: Filters) -> QuickFilter | None:
        """The quick form of ``f``; None when it uses a filter ``passes`` alone decides."""
        used = {name for name, value in vars(f).items() if value not in (None, ()) and name not in ("tenant_id", "extra")}
        if used - _QUICK:
            return None
        near = None
        if f.near is not None:
            lat = math.radians(f.near.lat)
            near = (lat, math.radians(f.near.lon), math.cos(lat), f.near.radius_km)
        return cls(f.tenant_id, near, f.min_years, f.max_years)

    def __call__(self, x: Facts) -> bool:
        if x.owner is not None and x.owner != self.tenant_id:
            return False
        if self.near is not None:
            if x.lat is None:
                return False
            lat1, lon1, cos1, radius = self.near
            a = math.sin((x.lat - lat1) / 2) ** 2 + cos1 * x.cos_lat * math.sin((x.lon - lon1) / 2) ** 2
            if 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(a, 0.0), 1.0))) > radius:
                return False
        if self.min_years is not None and not x.years >= self.min_years:
            return False
        if self.max_years is not None and not x.years <= self.max_years:
            return False
        return True


__all__ = ["Facts", "QuickFilter", "facts"]
