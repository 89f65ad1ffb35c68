"""Structured filters, validated once and applied identically by every retriever.

Filters are hard constraints: a hit that fails one is never returned, by the lexical, the dense
or the fused retriever. ``Filters.from_dict`` is the single entry point for user input (CLI, API,
judged query files); every error names the offending field.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from records.errors import FilterError
from records.geo import resolve_place
from records.schema import SENIORITY_LEVELS


@dataclass(frozen=True)
class GeoFilter:
    lat: float
    lon: float
    radius_km: float
    label: str = ""


@dataclass(frozen=True)
class Filters:
    near: GeoFilter | None = None
    min_years: float | None = None            # years of experience, inclusive
    max_years: float | None = None
    seniority: tuple[str, ...] = ()           # any of SENIORITY_LEVELS
    current_company: tuple[str, ...] = ()     # company ids or names (case-insensitive), any of
    not_current_company: tuple[str, ...] = ()
    past_company: tuple[str, ...] = ()        # worked there before (not the current role), any of
    open_to_work: bool | None = None
    active_within_days: int | None = None
    tenant_id: str | None = None              # visibility: network profiles + this tenant's own
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_empty(self) -> bool:
        """True when nothing but tenant visibility constrains the result."""
        return all(getattr(self, f.name) in (None, ()) for f in fields(self) if f.name not in ("tenant_id", "extra"))

    def to_dict(self) -> dict:
        out: dict = {}
        if self.near:
            out.update(lat=self.near.lat, lon=self.near.lon, radius_km=self.near.radius_km)
            if self.near.label:
                out["near"] = self.near.label
        for f in fields(self):
            if f.name in ("near", "extra", "tenant_id"):
                continue
            value = getattr(self, f.name)
            if value not in (None, ()):
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: dict | None, *, tenant_id: str | None = None) -> "Filters":
        """Build from user input. Keys: near (city name) or lat+lon, radius_km, min_years, max_years,
        seniority, current_company, not_current_company, past_company, open_to_work, active_within_days.
        """
        data = dict(data or {})
        unknown = set(data) - _KNOWN_KEYS
        if unknown:
            raise FilterError(f"unknown filter(s) {sorted(unknown)}; known: {sorted(_KNOWN_KEYS)}", field=sorted(unknown)[0])
        near = _geo(data)
        min_y = _number(data.get("min_years"), "min_years")
        max_y = _number(data.get("max_years"), "max_years")
        if min_y is not None and max_y is not None and min_y > max_y:
            raise FilterError(f"min_years ({min_y}) is greater than max_years ({max_y})", field="min_years")
        seniority = _strings(data.get("seniority"), "seniority")
        bad = [s for s in seniority if s not in SENIORITY_LEVELS]
        if bad:
            raise FilterError(f"unknown level(s) {bad}; one of {list(SENIORITY_LEVELS)}", field="seniority")
        days = data.get("active_within_days")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
            raise FilterError(f"must be a non-negative integer, got {days!r}", field="active_within_days")
        otw = data.get("open_to_work")
        if otw is not None and not isinstance(otw, bool):
            raise FilterError(f"must be true or false, got {otw!r}", field="open_to_work")
        return cls(
            near=near, min_years=min_y, max_years=max_y, seniority=tuple(seniority),
            current_company=tuple(_strings(data.get("current_company"), "current_company")),
            not_current_company=tuple(_strings(data.get("not_current_company"), "not_current_company")),
            past_company=tuple(_strings(data.get("past_company"), "past_company")),
            open_to_work=otw, active_within_days=days, tenant_id=tenant_id,
        )


_KNOWN_KEYS = {"near", "lat", "lon", "radius_km", "min_years", "max_years", "seniority", "current_company",
               "not_current_company", "past_company", "open_to_work", "active_within_days"}


def _number(value, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise FilterError(f"must be a non-negative number, got {value!r}", field=name)
    return float(value)


def _strings(value, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FilterError(f"must be a string or a list of non-empty strings, got {value!r}", field=name)
    return [v.strip() for v in value]


def _geo(data: dict) -> GeoFilter | None:
    has_point = "lat" in data or "lon" in data
    if data.get("near") is None and not has_point:
        if data.get("radius_km") is not None:
            raise FilterError("radius_km needs 'near' (a city) or 'lat' and 'lon'", field="radius_km")
        return None
    radius = _number(data.get("radius_km", 50.0), "radius_km")
    if radius is None or radius <= 0:
        raise FilterError("must be greater than 0", field="radius_km")
    if has_point:
        lat, lon = data.get("lat"), data.get("lon")
        if not isinstance(lat, (int, float)) or isinstance(lat, bool) or not -90 <= lat <= 90:
            raise FilterError(f"must be a latitude in [-90, 90], got {lat!r}", field="lat")
        if not isinstance(lon, (int, float)) or isinstance(lon, bool) or not -180 <= lon <= 180:
            raise FilterError(f"must be a longitude in [-180, 180], got {lon!r}", field="lon")
        return GeoFilter(float(lat), float(lon), radius, str(data.get("near") or ""))
    if not isinstance(data["near"], str) or not data["near"].strip():
        raise FilterError(f"must be a city name, got {data['near']!r}", field="near")
    place = resolve_place(data["near"], field="near")
    return GeoFilter(place.lat, place.lon, radius, f"{place.name}, {place.country}")
