"""Logistics of UAV orbits: interceptor mass, interceptors per aircraft, aircraft per 24/7 orbit.

* Interceptor mass at launch (kg) from its ideal burnout speed by the rocket equation
  (:class:`~boostphase.engage.interceptor.Airframe`: stated Isp, structure fraction and kill
  vehicle mass).
* Interceptors per aircraft: floor(payload / (interceptor mass x (1 + launcher fraction))), the
  launcher fraction standing for rails, pylons and ejectors (stated).
* Transit (h) from a base at the aircraft's cruise speed (great circle on the 6371 km sphere),
  time on station per sortie = endurance - 2 x transit, aircraft per 24/7 orbit =
  ceil((endurance + turnaround) / time on station) (no attrition or maintenance reserve beyond
  the turnaround), as :meth:`Platform.aircraft_for_continuous_presence`.
* Simultaneous launches one orbit can engage = floor(interceptors aloft / salvo), with one
  aircraft on station.

Defaults of :class:`AircraftClass`: an MQ-9 (Predator B / Reaper) class aircraft, as in Garwin &
Postol's 2017 proposal: external payload 1,361 kg (3,000 lb) and cruise speed ~100 m/s
(~200 knots) from the US Air Force MQ-9 fact sheet; endurance 20 h with heavy external stores
(assumption: ~27 h is quoted for the aircraft clean); turnaround 4 h (assumption); launcher
fraction 0.10 (assumption).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import check_range
from .geometry import ground_range_m
from .platform import Platform


@dataclass(frozen=True)
class AircraftClass:
    """An aircraft class that carries interceptors (kg, h, m/s)."""

    name: str = "MQ-9 class"
    payload_kg: float = 1361.0
    endurance_h: float = 20.0
    cruise_speed_m_s: float = 100.0
    turnaround_h: float = 4.0
    launcher_fraction: float = 0.10
    altitude_m: float = 15e3

    def __post_init__(self):
        sa = object.__setattr__
        sa(self, "payload_kg", check_range("aircraft payload", self.payload_kg, 1.0, 1e6, "kg"))
        sa(self, "endurance_h", check_range("endurance", self.endurance_h, 0.1, 1000.0, "h"))
        sa(self, "cruise_speed_m_s", check_range("cruise speed", self.cruise_speed_m_s, 10.0, 1000.0, "m/s"))
        sa(self, "turnaround_h", check_range("turnaround", self.turnaround_h, 0.0, 1000.0, "h"))
        sa(self, "launcher_fraction", check_range("launcher fraction", self.launcher_fraction, 0.0, 2.0, ""))
        sa(self, "altitude_m", check_range("aircraft altitude", self.altitude_m, 0.0, 40e3, "m"))

    def interceptors_per_aircraft(self, interceptor_mass_kg: float) -> int:
        """How many interceptors of this launch mass (kg) the payload carries."""
        m = check_range("interceptor mass", interceptor_mass_kg, 0.1, 1e7, "kg")
        return int(math.floor(self.payload_kg / (m * (1.0 + self.launcher_fraction)) + 1e-9))


def orbit_logistics(aircraft: AircraftClass, interceptor_mass_kg: float, base: tuple[float, float],
                    orbit: tuple[float, float], salvo: int = 1) -> dict:
    """Interceptors per aircraft, transit, time on station, aircraft per 24/7 orbit and the
    launches one orbit can engage at once, for an orbit at ``orbit`` (lat, lon deg) flown from
    ``base`` (lat, lon deg)."""
    n = aircraft.interceptors_per_aircraft(interceptor_mass_kg)
    dist = float(ground_range_m(base[0], base[1], orbit[0], orbit[1]))
    transit_s = dist / aircraft.cruise_speed_m_s
    p = Platform(orbit[0], orbit[1], altitude_m=aircraft.altitude_m, speed_m_s=aircraft.cruise_speed_m_s,
                 endurance_s=aircraft.endurance_h * 3600.0, transit_s=transit_s,
                 turnaround_s=aircraft.turnaround_h * 3600.0, interceptors=max(n, 1), salvo=1)
    ac = p.aircraft_for_continuous_presence()
    salvo = max(1, int(salvo))
    return {"aircraft_class": aircraft.name, "payload_kg": aircraft.payload_kg,
            "interceptor_mass_kg": interceptor_mass_kg, "interceptors_per_aircraft": n,
            "base_to_orbit_km": dist / 1e3, "transit_h": ac["transit_h"], "endurance_h": aircraft.endurance_h,
            "time_on_station_h": ac["time_on_station_h"], "aircraft_per_24_7_orbit": ac["aircraft"],
            "salvo": salvo, "interceptors_aloft_per_orbit": n,
            "simultaneous_launches_per_orbit": n // salvo}
