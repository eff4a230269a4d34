"""The Earth: WGS84 ellipsoid with J2 gravity and rotation, or a spherical textbook Earth.

Everything here is SI (metres, seconds, radians inside; degrees only in names that say so).
Closed-form conversions that the batched engine also uses live here in NumPy form; the
engine keeps its own jnp copies so it depends on nothing but arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

# WGS84 defining constants (NIMA TR8350.2), the EGM96/WGS84 J2 and the textbook sphere's radius,
# defined once in boostphase.constants and offered here as this module's names too
from .constants import EARTH_J2, EARTH_MU_M3_S2, EARTH_OMEGA_RAD_S, SPHERE_R_M, WGS84_A_M, WGS84_F

__all__ = ["EARTH_J2", "EARTH_MU_M3_S2", "EARTH_OMEGA_RAD_S", "SPHERE_R_M", "WGS84_A_M", "WGS84_F",
           "Earth", "WGS84", "SPHERE", "earth_model"]


@dataclass(frozen=True)
class Earth:
    """An Earth model: ellipsoid (a, f), gravity (mu, J2) and rotation rate omega (rad/s).

    ``spherical`` models have f = 0 and use radial altitude |r| - a.
    """

    name: str
    a_m: float
    f: float
    mu_m3_s2: float
    j2: float
    omega_rad_s: float

    @property
    def spherical(self) -> bool:
        return self.f == 0.0

    @property
    def rotating(self) -> bool:
        return self.omega_rad_s != 0.0

    @property
    def b_m(self) -> float:
        return self.a_m * (1.0 - self.f)

    @property
    def e2(self) -> float:
        return self.f * (2.0 - self.f)

    def without_rotation(self) -> Earth:
        """The same Earth with omega = 0 (the 'non-rotating' ranges analysts quote)."""
        return replace(self, name=self.name + "-nonrotating", omega_rad_s=0.0)

    def kernel_constants(self) -> tuple[float, float, float, float, float]:
        """(a, e2, mu, J2, omega) as plain floats for the engine."""
        return (self.a_m, self.e2, self.mu_m3_s2, self.j2, self.omega_rad_s)

    # --- conversions -------------------------------------------------------------------
    def geodetic_to_ecef(self, lat_deg, lon_deg, alt_m) -> np.ndarray:
        """Earth-fixed Cartesian position (…, 3) in metres from geodetic lat/lon (deg) and height (m)."""
        lat = np.radians(lat_deg)
        lon = np.radians(lon_deg)
        alt = np.asarray(alt_m, dtype=float)
        n = self.a_m / np.sqrt(1.0 - self.e2 * np.sin(lat) ** 2)
        x = (n + alt) * np.cos(lat) * np.cos(lon)
        y = (n + alt) * np.cos(lat) * np.sin(lon)
        z = (n * (1.0 - self.e2) + alt) * np.sin(lat)
        return np.stack(np.broadcast_arrays(x, y, z), axis=-1)

    def ecef_to_geodetic(self, r_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lat_deg, lon_deg, alt_m) from Earth-fixed positions (…, 3) in metres.

        Ellipsoid: Heikkinen's closed form (1982), exact to well under a millimetre for
        points outside the Earth's core region; no iteration, so the engine can use it too.
        """
        r = np.asarray(r_m, dtype=float)
        x, y, z = r[..., 0], r[..., 1], r[..., 2]
        lon = np.arctan2(y, x)
        if self.spherical:
            rn = np.sqrt(x * x + y * y + z * z)
            return np.degrees(np.arcsin(z / rn)), np.degrees(lon), rn - self.a_m
        lat, alt = _heikkinen_np(np.hypot(x, y), z, self.a_m, self.e2)
        return np.degrees(lat), np.degrees(lon), alt

    def enu_basis(self, lat_deg, lon_deg) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """East, north, up unit vectors (…, 3) in the Earth-fixed frame at geodetic lat/lon."""
        lat = np.radians(lat_deg)
        lon = np.radians(lon_deg)
        sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
        east = np.stack(np.broadcast_arrays(-so, co, 0.0 * so), axis=-1)
        north = np.stack(np.broadcast_arrays(-sl * co, -sl * so, cl), axis=-1)
        up = np.stack(np.broadcast_arrays(cl * co, cl * so, sl), axis=-1)
        return east, north, up

    def ecef_to_eci(self, r_m, v_m_s, t_s) -> tuple[np.ndarray, np.ndarray]:
        """Inertial position/velocity at time t (s) from Earth-fixed ones; the frames coincide at t = 0."""
        r = np.asarray(r_m, dtype=float)
        v = np.asarray(v_m_s, dtype=float)
        th = self.omega_rad_s * np.asarray(t_s, dtype=float)
        c, s = np.cos(th), np.sin(th)
        ri = np.stack([c * r[..., 0] - s * r[..., 1], s * r[..., 0] + c * r[..., 1], r[..., 2]], -1)
        w = np.array([0.0, 0.0, self.omega_rad_s])
        vi_rot = v + np.cross(w, r)
        vi = np.stack([c * vi_rot[..., 0] - s * vi_rot[..., 1],
                       s * vi_rot[..., 0] + c * vi_rot[..., 1], vi_rot[..., 2]], -1)
        return ri, vi

    def eci_to_ecef(self, r_m, v_m_s, t_s) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of :meth:`ecef_to_eci`."""
        r = np.asarray(r_m, dtype=float)
        v = np.asarray(v_m_s, dtype=float)
        th = self.omega_rad_s * np.asarray(t_s, dtype=float)
        c, s = np.cos(th), np.sin(th)
        re = np.stack([c * r[..., 0] + s * r[..., 1], -s * r[..., 0] + c * r[..., 1], r[..., 2]], -1)
        ve_in = np.stack([c * v[..., 0] + s * v[..., 1], -s * v[..., 0] + c * v[..., 1], v[..., 2]], -1)
        w = np.array([0.0, 0.0, self.omega_rad_s])
        return re, ve_in - np.cross(w, re)

    def state_from_local(self, lat_deg, lon_deg, alt_m, speed_m_s, flight_path_deg, azimuth_deg):
        """Earth-fixed (r, v) from a local description: speed relative to the ground, flight-path
        angle above the local horizontal (normal to the ellipsoid normal), azimuth clockwise from north."""
        r = self.geodetic_to_ecef(lat_deg, lon_deg, alt_m)
        east, north, up = self.enu_basis(lat_deg, lon_deg)
        g = np.radians(flight_path_deg)[..., None]
        a = np.radians(azimuth_deg)[..., None]
        v = np.asarray(speed_m_s, dtype=float)[..., None] * (
            np.cos(g) * (np.sin(a) * east + np.cos(a) * north) + np.sin(g) * up)
        return r, v

    # --- geodesics ------------------------------------------------------------------------
    def distance_azimuth(self, lat1_deg, lon1_deg, lat2_deg, lon2_deg):
        """Surface distance (m) and forward azimuth (deg, clockwise from north) from 1 to 2.

        WGS84: Karney geodesics (pyproj.Geod); sphere: great circle of radius a.
        """
        if self.spherical:
            p1, l1, p2, l2 = map(np.radians, (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
            dl = l2 - l1
            num = np.hypot(np.cos(p2) * np.sin(dl),
                           np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl))
            den = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
            dist = self.a_m * np.arctan2(num, den)
            az = np.degrees(np.arctan2(np.sin(dl) * np.cos(p2),
                                       np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)))
            return dist, az
        g = _geod(self.a_m, self.f)
        az, _, dist = g.inv(*np.broadcast_arrays(np.asarray(lon1_deg, float), np.asarray(lat1_deg, float),
                                                 np.asarray(lon2_deg, float), np.asarray(lat2_deg, float)))
        return np.asarray(dist), np.asarray(az)

    def destination(self, lat_deg, lon_deg, azimuth_deg, distance_m):
        """(lat_deg, lon_deg) reached by travelling distance_m along the geodesic at azimuth_deg."""
        if self.spherical:
            p1, l1, az = map(np.radians, (lat_deg, lon_deg, azimuth_deg))
            d = np.asarray(distance_m, float) / self.a_m
            p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(az))
            l2 = l1 + np.arctan2(np.sin(az) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
            return np.degrees(p2), (np.degrees(l2) + 180.0) % 360.0 - 180.0
        g = _geod(self.a_m, self.f)
        lon2, lat2, _ = g.fwd(*np.broadcast_arrays(np.asarray(lon_deg, float), np.asarray(lat_deg, float),
                                                   np.asarray(azimuth_deg, float), np.asarray(distance_m, float)))
        return np.asarray(lat2), np.asarray(lon2)


_GEODS: dict = {}


def _geod(a: float, f: float):
    from pyproj import Geod

    key = (a, f)
    if key not in _GEODS:
        _GEODS[key] = Geod(a=a, f=f)
    return _GEODS[key]


def _heikkinen_np(p, z, a, e2):
    b = a * np.sqrt(1.0 - e2)
    ep2 = (a * a - b * b) / (b * b)
    F = 54.0 * b * b * z * z
    G = p * p + (1.0 - e2) * z * z - e2 * (a * a - b * b)
    c = e2 * e2 * F * p * p / (G ** 3)
    s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    P = F / (3.0 * k * k * G * G)
    Q = np.sqrt(1.0 + 2.0 * e2 * e2 * P)
    r0 = -(P * e2 * p) / (1.0 + Q) + np.sqrt(
        np.maximum(0.5 * a * a * (1.0 + 1.0 / Q) - P * (1.0 - e2) * z * z / (Q * (1.0 + Q)) - 0.5 * P * p * p, 0.0))
    U = np.sqrt((p - e2 * r0) ** 2 + z * z)
    V = np.sqrt((p - e2 * r0) ** 2 + (1.0 - e2) * z * z)
    z0 = b * b * z / (a * V)
    alt = U * (1.0 - b * b / (a * V))
    lat = np.arctan2(z + ep2 * z0, p)
    return lat, alt


WGS84 = Earth("wgs84", WGS84_A_M, WGS84_F, EARTH_MU_M3_S2, EARTH_J2, EARTH_OMEGA_RAD_S)
SPHERE = Earth("sphere", SPHERE_R_M, 0.0, EARTH_MU_M3_S2, 0.0, 0.0)


def earth_model(name: str, rotation: bool = True) -> Earth:
    """'wgs84' (rotating unless rotation=False) or 'sphere' (always non-rotating point-mass)."""
    from ..errors import InputError

    key = name.strip().lower()
    if key == "wgs84":
        return WGS84 if rotation else WGS84.without_rotation()
    if key == "sphere":
        return SPHERE
    raise InputError("earth", name, "'wgs84' or 'sphere'")
