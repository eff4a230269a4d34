"""Standoff: how far from a launch site an orbit may be and still reach the threat in boost phase.

A polar grid of orbit centres around the launch site (bearings every ``bearing_step_deg``,
distances every ``distance_step_m``, on the 6371 km sphere) is evaluated against one threat,
one interceptor and one total delay with the shared reach table
(:func:`~boostphase.engage.engagement.earliest_over_centres`). From it:

* **guaranteed standoff** (m) - the largest distance d such that at *every* distance up to d
  *every* bearing has a feasible orbit: an orbit that close reaches the threat whatever the
  direction the missile flies (the threat's azimuth relative to the orbit is what the bearing
  sweeps; Earth rotation makes absolute azimuths differ by a few km, neglected). 0 when even an
  orbit over the launch site cannot reach it in time.
* **best standoff** (m) - the farthest feasible distance on the most favourable bearing (in
  practice under the missile's own track, downrange), with that bearing (deg, relative to the
  threat's azimuth) and the point's position (deg).
* **time to intercept** against distance (s after the threat's launch) on the worst and the
  best bearing, and the time available (s): burnout minus the interceptor's launch time.

Ranges are measured from the orbit's reference point (``Platform.range_offset_m`` added), the
interceptor launched with the platform's along-track speed, exactly as :class:`Engagement`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models.earth import SPHERE
from .engagement import earliest_over_centres
from .geometry import unit_vector
from .interceptor import Interceptor
from .platform import Platform
from .threat import Threat


@dataclass
class StandoffGrid:
    """Earliest boost-phase intercept over a polar grid of orbit centres around a launch site.

    ``t_intercept_s[b, k]``: intercept time (s after the threat's launch) from the orbit at
    bearing ``bearings_deg[b]`` (deg from north) and distance ``distances_m[k]`` (m) from the
    launch site; NaN where no intercept comes before the threat's latest useful time."""

    threat: Threat
    interceptor: Interceptor
    launch_time_s: float
    bearings_deg: np.ndarray
    distances_m: np.ndarray
    t_intercept_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray

    @property
    def feasible(self) -> np.ndarray:
        return np.isfinite(self.t_intercept_s)

    @property
    def time_available_s(self) -> float:
        """Seconds between the interceptor's launch and the threat's latest useful time."""
        return float(self.threat.latest_useful_time_s - self.launch_time_s)

    @property
    def guaranteed_m(self) -> float:
        """Largest distance up to which every bearing at every distance has a feasible orbit (m)."""
        ok = self.feasible
        if not ok[:, 0].all():
            return 0.0
        allb = ok.all(axis=0)
        return float(self.distances_m[np.argmin(allb) - 1]) if not allb.all() else float(self.distances_m[-1])

    @property
    def capped(self) -> bool:
        """True when a feasible orbit reaches the grid's edge (the best standoff is a lower bound)."""
        return bool(self.feasible[:, -1].any())

    def best(self, allowed: np.ndarray | None = None) -> dict | None:
        """The farthest feasible orbit (optionally only among ``allowed`` grid points): distance (m),
        bearing (deg from north, and relative to the threat's azimuth), position (deg), intercept
        time (s). None if no orbit is feasible."""
        ok = self.feasible if allowed is None else self.feasible & allowed
        if not ok.any():
            return None
        far = np.where(ok, self.distances_m[None, :], -1.0)
        b, k = np.unravel_index(int(np.argmax(far)), far.shape)
        az = self.threat.azimuth_deg
        rel = float((self.bearings_deg[b] - az + 180.0) % 360.0 - 180.0) if np.isfinite(az) else None
        return {"distance_m": float(self.distances_m[k]), "bearing_deg": float(self.bearings_deg[b]),
                "bearing_from_threat_azimuth_deg": rel, "lat_deg": float(self.lat_deg[b, k]),
                "lon_deg": float(self.lon_deg[b, k]), "intercept_time_s": float(self.t_intercept_s[b, k])}

    def time_to_intercept(self) -> dict:
        """Intercept time (s after the threat's launch) against distance (m): on the worst bearing
        (latest; NaN once any bearing fails) and on the best (earliest; NaN where none)."""
        t = self.t_intercept_s
        with np.errstate(all="ignore"):
            worst = np.where(self.feasible.all(axis=0), np.nanmax(np.where(self.feasible, t, -np.inf), axis=0), np.nan)
            best = np.where(self.feasible.any(axis=0), np.nanmin(np.where(self.feasible, t, np.inf), axis=0), np.nan)
        return {"distance_m": self.distances_m, "worst_bearing_s": worst, "best_bearing_s": best}


def standoff_grid(threat: Threat, interceptor: Interceptor, launch_time_s: float, platform: Platform | None = None,
                  bearing_step_deg: float = 10.0, max_distance_m: float = 3.0e6,
                  distance_step_m: float = 10e3) -> StandoffGrid:
    """Evaluate the polar grid of orbits around ``threat``'s launch site (see the module doc).

    ``launch_time_s``: the interceptor's launch time (s after the threat's launch; the total
    delay). ``platform`` gives altitude, reference point and along-track speed (default: 15 km,
    orbit radius 0)."""
    plat = platform or Platform(0.0, 0.0, orbit_radius_m=0.0)
    bearings = np.arange(0.0, 360.0, bearing_step_deg)
    dists = np.arange(0.0, max_distance_m + 1.0, distance_step_m)
    la0, lo0 = threat.launch
    B, D = np.meshgrid(bearings, dists, indexing="ij")
    plat_lat, plat_lon = SPHERE.destination(la0, lo0, B.ravel(), D.ravel())
    cu = unit_vector(plat_lat, plat_lon)
    tu = threat.latest_useful_time_s
    tab = interceptor.reach_table(plat.altitude_m, plat.along_speed_m_s)
    r = earliest_over_centres(threat.track, cu, tab, float(launch_time_s), tu, plat.range_offset_m,
                              interceptor.kill_vehicle)
    ok = np.isfinite(r["t"]) & (r["t"] <= tu + 1e-9)
    t = np.where(ok, r["t"], np.nan).reshape(B.shape)
    return StandoffGrid(threat, interceptor, float(launch_time_s), bearings, dists, t,
                        np.asarray(plat_lat).reshape(B.shape), np.asarray(plat_lon).reshape(B.shape))
