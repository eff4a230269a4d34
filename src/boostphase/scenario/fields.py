"""Fields of the scenario vocabulary that every surface parses the same way.

One parser per kind of field, one error text: the CLI, the web API and scenario files call
these, so ``--launch 39,400`` on the command line and ``"launch": "39,400"`` on the web give
the same message.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..limits import LAT_DEG, LON_DEG

LATLON_EXAMPLE = "LAT,LON in degrees, e.g. 39.0,125.7"


def parse_latlon(field: str, text: str) -> tuple[float, float]:
    """'LAT,LON' in degrees -> (lat, lon) floats; latitude -90..90, longitude -360..360 (the
    range fly() and coast() accept), both finite."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2:
        raise InputError(field, text, LATLON_EXAMPLE)
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(field, text, LATLON_EXAMPLE) from None
    LAT_DEG.check(f"{field} latitude", lat)
    LON_DEG.check(f"{field} longitude", lon)
    return lat, lon


@dataclass(frozen=True)
class Place:
    """A resolved place: position (deg) and, for a city name, which city it was taken as."""

    lat_deg: float
    lon_deg: float
    taken_as: str | None = None  # e.g. "Atlantis (ZA, population 82,736, -33.57, 18.48)"


def resolve_place(field: str, text: str) -> Place:
    """'LAT,LON' or a city name from the offline gazetteer (ambiguous names refused)."""
    try:
        lat, lon = parse_latlon(field, text)
        return Place(lat, lon)
    except InputError:
        if any(c.isalpha() for c in str(text)):
            from ..models.geography import describe_city, find_city

            c = find_city(text)
            return Place(c.lat_deg, c.lon_deg, describe_city(c))
        raise


def parse_place(field: str, text: str) -> tuple[float, float]:
    """(lat, lon) of 'LAT,LON' or a city name; see :func:`resolve_place`."""
    p = resolve_place(field, text)
    return p.lat_deg, p.lon_deg
