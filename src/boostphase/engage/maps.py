"""Engagement maps over a grid of orbit centres, greedy coverage, and the standoff sensitivity table.

Latitudes and longitudes in deg, margins and delays in s, distances in m (km in summaries),
speeds in m/s (km/s in summaries).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .engagement import earliest_over_centres
from .geometry import unit_vector
from .interceptor import Interceptor, Timeline
from .platform import KeepOut, Platform
from .threat import Threat, prepare_threats


@dataclass
class Coverage:
    """Fewest orbits found by greedy set cover (each step takes the orbit that covers the most
    still-uncovered threats, ties to the larger summed margin; within ln(n)+1 of the optimum)."""

    orbits: list[dict]
    uncovered: list[str]
    aircraft_total: int | None
    method: str = "greedy set cover"

    def row(self) -> dict:
        return {"method": self.method, "orbits": self.orbits, "uncovered_threats": self.uncovered,
                "n_orbits": len(self.orbits), "aircraft_for_24_7": self.aircraft_total}


@dataclass
class EngagementMap:
    """Per cell of a grid of orbit centres and per threat: boost-phase intercept possible?, margin."""

    lat_deg: np.ndarray          # (n_lat,)
    lon_deg: np.ndarray          # (n_lon,)
    allowed: np.ndarray          # (n_lat, n_lon) orbit clear of keep-out zones
    feasible: np.ndarray         # (K, n_lat, n_lon)
    margin_s: np.ndarray         # (K, n_lat, n_lon) burnout - earliest intercept (NaN if infeasible)
    threats: list
    platform: Platform
    interceptor: Interceptor
    timeline: Timeline
    keep_out: KeepOut
    compute_s: float = 0.0

    @property
    def share(self) -> np.ndarray:
        """Share of the threats interceptable in boost phase from each cell."""
        return self.feasible.mean(axis=0)

    @property
    def mean_margin_s(self) -> np.ndarray:
        """Mean margin over the threats interceptable from each cell (NaN if none)."""
        m = np.where(self.feasible, self.margin_s, 0.0).sum(axis=0)
        n = self.feasible.sum(axis=0)
        return np.where(n > 0, m / np.maximum(n, 1), np.nan)

    def best_cells(self, mask: np.ndarray | None = None, n: int = 5) -> list[dict]:
        m = self.allowed if mask is None else mask
        share = np.where(m, self.share, -1.0)
        mm = np.nan_to_num(self.mean_margin_s, nan=-1e9)
        order = np.lexsort((-mm.ravel(), -share.ravel()))[:n]
        out = []
        for k in order:
            i, j = np.unravel_index(k, share.shape)
            if share[i, j] < 0:
                break
            out.append({"lat": float(self.lat_deg[i]), "lon": float(self.lon_deg[j]), "share": float(self.share[i, j]),
                        "mean_margin_s": None if mm[i, j] < -1e8 else float(mm[i, j])})
        return out

    def coverage(self, threat_mask: np.ndarray | None = None) -> Coverage:
        """Fewest allowed orbits covering every coverable threat (greedy set cover) and the aircraft
        to man them around the clock."""
        K = len(self.threats)
        sel = np.ones(K, bool) if threat_mask is None else np.asarray(threat_mask, bool)
        cells = np.flatnonzero(self.allowed.ravel())
        F = self.feasible.reshape(K, -1)[:, cells] & sel[:, None]
        M = np.where(F, np.nan_to_num(self.reshape_margin()[:, cells], nan=0.0), 0.0)
        uncovered = sel & F.any(axis=1)
        never = [self.threats[k].name for k in np.flatnonzero(sel & ~F.any(axis=1))]
        orbits = []
        total = 0
        while uncovered.any():
            gain = (F & uncovered[:, None]).sum(axis=0)
            score = (M * uncovered[:, None]).sum(axis=0)
            best = np.lexsort((-score, -gain))[0]
            if gain[best] == 0:
                break
            covered = F[:, best] & uncovered
            i, j = np.unravel_index(cells[best], self.allowed.shape)
            la, lo = float(self.lat_deg[i]), float(self.lon_deg[j])
            ac = self.platform.aircraft_for_continuous_presence(la, lo)
            total = None if (ac["aircraft"] is None or total is None) else total + ac["aircraft"]
            orbits.append({"lat": la, "lon": lo, "threats": [self.threats[k].name for k in np.flatnonzero(covered)],
                           "n_threats": int(covered.sum()),
                           "min_margin_s": float(np.nanmin(np.where(covered, self.reshape_margin()[:, cells[best]], np.nan))),
                           **ac})
            uncovered &= ~covered
        return Coverage(orbits, never, total if orbits else 0)

    def reshape_margin(self) -> np.ndarray:
        return self.margin_s.reshape(len(self.threats), -1)

    def summary(self) -> dict:
        share = self.share
        allowed_share = np.where(self.allowed, share, np.nan)
        return {
            "grid": {"n_lat": len(self.lat_deg), "n_lon": len(self.lon_deg),
                     "lat": [float(self.lat_deg[0]), float(self.lat_deg[-1])],
                     "lon": [float(self.lon_deg[0]), float(self.lon_deg[-1])]},
            "threats": [t.name for t in self.threats],
            "interceptor": self.interceptor.name,
            "interceptor_launch_time_s": self.timeline.interceptor_launch_s,
            "platform": {"altitude_km": self.platform.altitude_m / 1e3, "orbit_radius_km": self.platform.orbit_radius_m / 1e3,
                         "reference": self.platform.reference},
            "keep_out": self.keep_out.describe(),
            "allowed_cells": int(self.allowed.sum()),
            "max_share_allowed": None if not self.allowed.any() else float(np.nanmax(allowed_share)),
            "cells_covering_all_allowed": int(np.sum(self.allowed & (share >= 1.0))),
            "best_cells": self.best_cells(),
            "per_threat_cells_allowed": {t.name: int(np.sum(self.feasible[k] & self.allowed))
                                         for k, t in enumerate(self.threats)},
            "coverage": self.coverage().row(),
            "compute_s": self.compute_s,
        }

    def to_geojson(self, levels: Sequence[float] = (0.25, 0.5, 0.75, 1.0)) -> dict:
        """Filled contours of the share of interceptable threats (allowed cells only), launch sites,
        and the greedy-coverage orbits, as a GeoJSON FeatureCollection (lon, lat)."""
        import contourpy
        import shapely
        from shapely.geometry import mapping

        z = np.where(self.allowed, self.share, np.nan)
        gen = contourpy.contour_generator(self.lon_deg, self.lat_deg, np.ma.masked_invalid(z),
                                          fill_type=contourpy.FillType.OuterOffset)
        feats = []
        for lev in levels:
            polys = []
            pts, offs = gen.filled(lev - 1e-9, 1.0 + 1e-9)
            for p, o in zip(pts, offs, strict=True):
                rings = [p[o[i]:o[i + 1]] for i in range(len(o) - 1)]
                if rings and len(rings[0]) >= 4:
                    polys.append(shapely.Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4]))
            if polys:
                geom = shapely.make_valid(shapely.MultiPolygon(polys))
                feats.append({"type": "Feature", "properties": {"kind": "share_at_least", "level": float(lev)},
                              "geometry": mapping(geom)})
        sites: dict = {}
        for t in self.threats:
            sites.setdefault(t.launch, []).append(t.name)
        for (la, lo), names in sites.items():
            feats.append({"type": "Feature", "properties": {"kind": "launch_site", "threats": names},
                          "geometry": {"type": "Point", "coordinates": [lo, la]}})
        for o in self.coverage().orbits:
            feats.append({"type": "Feature", "properties": {"kind": "coverage_orbit", "n_threats": o["n_threats"],
                                                            "aircraft": o["aircraft"]},
                          "geometry": {"type": "Point", "coordinates": [o["lon"], o["lat"]]}})
        return {"type": "FeatureCollection", "features": feats}


def engagement_map(threats: Sequence[Threat], interceptor: Interceptor, timeline: Timeline, platform: Platform,
                   lat_range: tuple[float, float], lon_range: tuple[float, float], n_lat: int = 100,
                   n_lon: int = 100, keep_out: KeepOut | None = None) -> EngagementMap:
    """Evaluate every (orbit centre, threat) pair of a grid: one vectorised pass per threat over
    all centres with the shared reach table (no per-cell Python loop, no re-integration)."""
    import time

    for nm, n in (("n_lat", n_lat), ("n_lon", n_lon)):
        if not 2 <= int(n) <= 2000:
            raise InputError(nm, n, "2 to 2000")
    lat = np.linspace(*lat_range, int(n_lat))
    lon = np.linspace(*lon_range, int(n_lon))
    ko = keep_out or KeepOut()
    glat, glon = np.meshgrid(lat, lon, indexing="ij")
    allowed = ko.allowed(glat, glon, platform.orbit_radius_m) if not ko.empty else np.ones(glat.shape, bool)
    prepare_threats(threats)   # flights first, batched (their time is not the map's)
    for t in threats:
        _ = t.track, t.latest_useful_time_s
    table = interceptor.reach_table(platform.altitude_m, platform.along_speed_m_s)
    t0 = time.perf_counter()
    cu = unit_vector(glat.ravel(), glon.ravel())
    K = len(threats)
    feas = np.zeros((K, cu.shape[0]), bool)
    marg = np.full((K, cu.shape[0]), np.nan)
    for k, th in enumerate(threats):
        tu = th.latest_useful_time_s
        r = earliest_over_centres(th.track, cu, table, timeline.interceptor_launch_s, tu, platform.range_offset_m,
                      interceptor.kill_vehicle)
        ok = np.isfinite(r["t"]) & (r["t"] <= tu + 1e-9)
        feas[k] = ok
        marg[k] = np.where(ok, th.track.burnout_time_s - r["t"], np.nan)
    shape = (K, len(lat), len(lon))
    return EngagementMap(lat, lon, allowed, feas.reshape(shape), marg.reshape(shape), list(threats), platform,
                         interceptor, timeline, ko, compute_s=time.perf_counter() - t0)


def sensitivity_table(threats: dict[str, Threat], speeds_m_s: Sequence[float], delays_s: Sequence[float],
                      interceptor: Interceptor | None = None, platform: Platform | None = None,
                      bearing_step_deg: float = 10.0, max_distance_m: float = 3.0e6,
                      distance_step_m: float = 10e3) -> list[dict]:
    """Maximum standoff distance (platform orbit centre to launch site) for a boost-phase intercept,
    by interceptor ideal burnout speed x total delay x threat, in the spirit of the APS study.

    Platforms are placed on a polar grid around the launch site (bearings every
    ``bearing_step_deg``, distances every ``distance_step_m``). ``standoff_best_km``: the farthest
    distance on the most favourable bearing; ``standoff_any_bearing_km``: the largest distance up to
    which every bearing still has a feasible position at that distance (the ring of guaranteed
    reach). The interceptor's burn times and split are ``interceptor``'s, scaled in speed."""
    from .standoff import standoff_grid

    icpt = interceptor or Interceptor.two_stage(5e3)
    plat = platform or Platform(0.0, 0.0, orbit_radius_m=0.0)
    rows = []
    prepare_threats(list(threats.values()))
    for name, th in threats.items():
        for v in speeds_m_s:
            ic = icpt.with_speed(v)
            tab = ic.reach_table(plat.altitude_m, plat.along_speed_m_s)
            for dl in delays_s:
                g = standoff_grid(th, ic, float(dl), plat, bearing_step_deg, max_distance_m, distance_step_m)
                best = g.best()
                rows.append({"threat": name, "burnout_time_s": th.burnout_time_s,
                             "interceptor_burnout_speed_km_s": v / 1e3, "total_delay_s": float(dl),
                             "standoff_best_km": None if best is None else best["distance_m"] / 1e3,
                             "best_bearing_from_threat_azimuth_deg": None if best is None
                             else best["bearing_from_threat_azimuth_deg"],
                             "standoff_any_bearing_km": g.guaranteed_m / 1e3,
                             "actual_burnout_speed_km_s": [tab.burnout_speed_m_s[0] / 1e3, tab.burnout_speed_m_s[1] / 1e3]})
    return rows

