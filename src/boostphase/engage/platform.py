"""The aircraft's side: a UAV orbit (:class:`Platform`) and where it may not fly (:class:`KeepOut`).

Positions in deg, altitudes, radii and distances in m, speeds in m/s, times in s.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, check_range
from ..limits import LAT_DEG, LON_DEG
from .geometry import R_SPHERE_M, unit_vector

REFERENCES = ("worst-point", "centre")


@dataclass(frozen=True)
class Platform:
    """A UAV orbit and the aircraft that keep it manned.

    Defaults: altitude 15 km and two interceptors per aircraft as in Garwin & Postol's 2017
    proposal of Predator B (MQ-9 class, ~15 km ceiling) drones loitering outside North Korean
    airspace with two boost-phase interceptors each (FAS summary of "Airborne Patrol to Destroy
    DPRK ICBMs in Powered Flight", 26 Nov 2017); 20 km orbit radius, 100 m/s, 24 h endurance,
    2 h transit each way and 4 h on the ground between sorties are assumptions.
    """

    lat_deg: float
    lon_deg: float
    altitude_m: float = 15e3
    orbit_radius_m: float = 20e3
    speed_m_s: float = 100.0
    endurance_s: float = 24 * 3600.0
    transit_s: float = 2 * 3600.0
    turnaround_s: float = 4 * 3600.0
    interceptors: int = 2
    salvo: int = 1
    reference: str = "worst-point"
    name: str = ""
    base: tuple[float, float] | None = None

    def __post_init__(self):
        sa = functools.partial(object.__setattr__, self)
        sa("lat_deg", LAT_DEG.check("platform lat", self.lat_deg))
        sa("lon_deg", LON_DEG.check("platform lon", self.lon_deg))
        sa("altitude_m", check_range("platform altitude", self.altitude_m, 0.0, 40e3, "m"))
        sa("orbit_radius_m", check_range("orbit radius", self.orbit_radius_m, 0.0, 500e3, "m"))
        sa("speed_m_s", check_range("platform speed", self.speed_m_s, 0.0, 1000.0, "m/s"))
        sa("endurance_s", check_range("endurance", self.endurance_s, 60.0, 1e7, "s"))
        sa("transit_s", check_range("transit", self.transit_s, 0.0, 1e7, "s"))
        sa("turnaround_s", check_range("turnaround", self.turnaround_s, 0.0, 1e7, "s"))
        if self.reference not in REFERENCES:
            raise InputError("reference", self.reference, " or ".join(REFERENCES))
        if int(self.interceptors) < 1 or int(self.salvo) < 1 or int(self.salvo) > int(self.interceptors):
            raise InputError("interceptors/salvo", (self.interceptors, self.salvo),
                             "interceptors >= 1 and 1 <= salvo <= interceptors")
        if not self.name:
            sa("name", f"orbit {self.lat_deg:.2f}N {self.lon_deg:.2f}E")

    def at(self, lat_deg: float, lon_deg: float, name: str = "") -> Platform:
        """The same aircraft and orbit, centred elsewhere."""
        from dataclasses import replace

        return replace(self, lat_deg=lat_deg, lon_deg=lon_deg, name=name)

    @property
    def along_speed_m_s(self) -> float:
        """Launch speed along the line of fire (0 at the worst point; the aircraft's speed at the centre)."""
        return 0.0 if self.reference == "worst-point" else self.speed_m_s

    @property
    def range_offset_m(self) -> float:
        return self.orbit_radius_m if self.reference == "worst-point" else 0.0

    def transit_to(self, lat_deg: float, lon_deg: float) -> float:
        """One-way transit time (s): from ``base`` at the aircraft's speed if a base is given."""
        if self.base is None:
            return self.transit_s
        d = float(np.arccos(np.clip(unit_vector(*self.base) @ unit_vector(lat_deg, lon_deg), -1, 1))) * R_SPHERE_M
        return d / max(self.speed_m_s, 1.0)

    def aircraft_for_continuous_presence(self, lat_deg: float | None = None, lon_deg: float | None = None) -> dict:
        """Aircraft needed to keep one aircraft on this orbit around the clock:
        ceil((endurance + turnaround) / (endurance - 2 x transit)); no attrition or maintenance
        reserve beyond the turnaround (state your own)."""
        tr = self.transit_to(self.lat_deg if lat_deg is None else lat_deg, self.lon_deg if lon_deg is None else lon_deg)
        on_station = self.endurance_s - 2 * tr
        if on_station <= 0:
            return {"transit_h": tr / 3600, "time_on_station_h": 0.0, "aircraft": None}
        n = math.ceil((self.endurance_s + self.turnaround_s) / on_station - 1e-9)
        return {"transit_h": tr / 3600, "time_on_station_h": on_station / 3600, "aircraft": n}


@dataclass(frozen=True)
class KeepOut:
    """Where the aircraft may not fly (the whole orbit circle must stay clear).

    ``countries``: (country name, minimum distance in m) - e.g. ("North Korea", 100e3).
    ``international_waters_m``: the orbit must be over the sea and at least this far from every
    coast (e.g. 12 nmi = 22,224 m) - except the coasts and land of the ``overfly`` countries
    (allies whose airspace the aircraft may use). Distances from :mod:`boostphase.models.geography`
    (Natural Earth 1:10m borders, 6371 km sphere).
    """

    countries: tuple[tuple[str, float], ...] = ()
    international_waters_m: float | None = None
    overfly: tuple[str, ...] = ()

    def __post_init__(self):
        from ..models.geography import territory_table

        t = territory_table()
        canon = tuple((t.labels[t.country_index(c)], check_range(f"keep-out distance from {c}", d, 0, 5e6, "m"))
                      for c, d in self.countries)
        object.__setattr__(self, "countries", canon)
        object.__setattr__(self, "overfly", tuple(t.labels[t.country_index(c)] for c in self.overfly))
        if self.international_waters_m is not None:
            object.__setattr__(self, "international_waters_m",
                               check_range("international waters", self.international_waters_m, 0, 1e6, "m"))

    @property
    def empty(self) -> bool:
        return not self.countries and self.international_waters_m is None

    def allowed(self, lat_deg, lon_deg, radius_m: float = 0.0) -> np.ndarray:
        """True where an orbit of ``radius_m`` centred at each point respects every rule."""
        from ..models.geography import distance_to_territory_km, territory, territory_table

        lat = np.asarray(lat_deg, float)
        lon = np.asarray(lon_deg, float)
        ok = np.ones(np.broadcast(lat, lon).shape, bool)
        for c, d in self.countries:
            ok &= distance_to_territory_km(lat, lon, c) * 1e3 >= d + radius_m
        if self.international_waters_m is not None:
            import shapely

            t = territory_table()
            names = territory(lat, lon)
            land = np.isin(names, t.labels[: t.n_countries]) & ~np.isin(names, list(self.overfly))
            ok &= ~land
            pad = (self.international_waters_m + radius_m) / 111e3 + 0.5
            box = shapely.box(float(np.min(lon)) - pad, float(np.min(lat)) - pad,
                              float(np.max(lon)) + pad, float(np.max(lat)) + pad)
            hits = t.tree.query(box)
            near = sorted({t.labels[int(i)] for i in t.poly_label[hits] if i < t.n_countries} - set(self.overfly))
            for c in near:
                ok &= distance_to_territory_km(lat, lon, c) * 1e3 >= self.international_waters_m + radius_m
        return ok

    def check(self, platform: Platform) -> None:
        """InputError if the platform's orbit violates a rule."""
        if not self.empty and not bool(self.allowed(platform.lat_deg, platform.lon_deg, platform.orbit_radius_m)):
            raise InputError(f"platform {platform.name!r}", f"{platform.lat_deg:.3f},{platform.lon_deg:.3f}",
                             "an orbit clear of the keep-out zones " + self.describe())

    def describe(self) -> str:
        parts = [f">= {d / 1e3:.0f} km from {c}" for c, d in self.countries]
        if self.international_waters_m is not None:
            s = f"over international waters >= {self.international_waters_m / 1852:.0f} nmi offshore"
            if self.overfly:
                s += f" (overflight of {', '.join(self.overfly)} allowed)"
            parts.append(s)
        return "(" + "; ".join(parts) + ")" if parts else "(none)"

