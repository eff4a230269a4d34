"""Results of flights: :class:`CoastResult` (a batch of ballistic coasts) and
:class:`Trajectory` (one recorded missile flight), with their JSON, CSV and GeoJSON views.

A flight that does not land (orbital, escaping, or no impact within the integration's time
limit) has no range: its range, impact point and flight time are NaN in the arrays of a
:class:`CoastResult` and None on a :class:`Trajectory` and in every JSON view, never a number,
with ``impacted`` False and a ``reason`` (:func:`no_impact_reasons`).

SI units inside (m, s, m/s); degrees only where a name says ``_deg``; JSON views in km, km/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..models.earth import Earth
from ..results import ResultMixin, dataset, frame, number, quantity

NO_IMPACT_ORBIT = "no impact within t_max: the payload reached orbital speed"
NO_IMPACT_ESCAPE = "no impact within t_max: the payload reached escape speed"
NO_IMPACT_TIME = "no impact within the time limit"


def no_impact_reasons(r_m, v_m_s, impacted, earth: Earth, t_max_s=None) -> list:
    """Why each flight did not land (None where it did), from its last Earth-fixed state
    r (n, 3) m, v (n, 3) m/s.

    The state is turned inertial (v + omega x r) and its two-body orbit judged: specific energy
    >= 0 is escape speed; a perigee above the ellipsoid's equatorial radius plus 100 km (the
    Karman line: no re-entry from drag in days) is orbital speed; anything else ran out of time
    (``t_max_s`` s, quoted when given). Two-body, not J2: a verdict, not an orbit prediction."""
    r = np.atleast_2d(np.asarray(r_m, float))
    v = np.atleast_2d(np.asarray(v_m_s, float))
    hit = np.atleast_1d(np.asarray(impacted, bool))
    w = np.array([0.0, 0.0, earth.omega_rad_s])
    vi = v + np.cross(w, r)
    rn = np.linalg.norm(r, axis=1)
    v2 = np.sum(vi * vi, axis=1)
    mu = earth.mu_m3_s2
    energy = 0.5 * v2 - mu / rn
    h = np.linalg.norm(np.cross(r, vi), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = -mu / (2.0 * energy)
        ecc = np.sqrt(np.maximum(0.0, 1.0 - h * h / (mu * a)))
        perigee = a * (1.0 - ecc)
    limit = NO_IMPACT_TIME + (f" ({float(t_max_s):g} s)" if t_max_s is not None else "")
    out = []
    for i in range(len(hit)):
        if hit[i]:
            out.append(None)
        elif energy[i] >= 0.0:
            out.append(NO_IMPACT_ESCAPE)
        elif perigee[i] > earth.a_m + 100e3:
            out.append(NO_IMPACT_ORBIT)
        else:
            out.append(limit)
    return out


def _num(x, scale: float = 1.0):
    """A finite number / scale as float; None for NaN/inf (JSON null, never a noise number)."""
    x = float(x)
    return x / scale if math.isfinite(x) else None


@dataclass(frozen=True, repr=False)
class CoastResult(ResultMixin):
    """Impacts of a batch of ballistic coasts (arrays, one entry per case).

    Where a case did not impact (``impacted`` False: orbital, escaping, or out of time) its
    ``range_m``, impact point, ``flight_time_s`` and ``impact_speed_m_s`` are NaN, never a
    number, and ``reason`` says why (None where it impacted); ``apogee_m`` is then the highest
    altitude reached within the time limit."""

    impact_lat_deg: np.ndarray
    impact_lon_deg: np.ndarray
    range_m: np.ndarray          # surface geodesic from start to impact (NaN: no impact)
    apogee_m: np.ndarray         # highest geodetic altitude reached
    flight_time_s: np.ndarray    # time to impact (NaN: no impact)
    impact_speed_m_s: np.ndarray  # relative to the ground (NaN: no impact)
    impacted: np.ndarray         # False where t_max ran out first (e.g. orbital)
    n_steps: np.ndarray
    reason: tuple = ()           # per case: why it did not impact, or None

    def row(self, i: int = 0) -> dict:
        """One case as the CLI's JSON contract (km, km/s, s, deg); range, impact, flight time
        and impact speed are None where the case did not impact, with ``reason``."""
        hit = bool(self.impacted[i])
        why = self.reason[i] if i < len(self.reason) else (None if hit else NO_IMPACT_TIME)
        return {
            "range_km": _num(self.range_m[i], 1e3) if hit else None,
            "apogee_km": _num(self.apogee_m[i], 1e3),
            "flight_time_s": _num(self.flight_time_s[i]) if hit else None,
            "impact_speed_km_s": _num(self.impact_speed_m_s[i], 1e3) if hit else None,
            "impact": {"lat": _num(self.impact_lat_deg[i]) if hit else None,
                       "lon": _num(self.impact_lon_deg[i]) if hit else None},
            "impacted": hit,
            "reason": why,
        }

    # --- as data and pictures (boostphase.results) ------------------------------------------
    plot_kind = "coast"

    def result_title(self) -> str:
        n = len(self.impacted)
        return f"{n:,} case{'s' if n != 1 else ''}"

    def key_figures(self) -> list[tuple[str, str]]:
        """One case: range, apogee, flight time; a batch: how many landed, their ranges."""
        hit = np.asarray(self.impacted, bool)
        if hit.size == 1:
            r = self.row(0)
            if not r["impacted"]:
                return [("no impact:", str(r["reason"])), ("apogee", quantity(r["apogee_km"], "km"))]
            return [("range", quantity(r["range_km"], "km")), ("apogee", quantity(r["apogee_km"], "km")),
                    ("flight", quantity(r["flight_time_s"] / 60.0, "min", 1))]
        figs = [("impacted", f"{int(hit.sum()):,} of {hit.size:,}")]
        if hit.any():
            rng = np.asarray(self.range_m, float)[hit] / 1e3
            figs.append(("range", f"{number(rng.min())}-{number(rng.max())} km"))
        return [*figs, ("highest apogee", quantity(np.nanmax(self.apogee_m) / 1e3, "km"))]

    def display_columns(self) -> dict[str, np.ndarray]:
        """One entry per case, in display units named in the keys (km, km/s, s, deg); NaN and
        ``reason`` where a case did not land."""
        hit = np.asarray(self.impacted, bool)
        why = [self.reason[i] if i < len(self.reason) else (None if hit[i] else NO_IMPACT_TIME)
               for i in range(hit.size)]
        return {"range_km": np.asarray(self.range_m, float) / 1e3,
                "apogee_km": np.asarray(self.apogee_m, float) / 1e3,
                "flight_time_s": np.asarray(self.flight_time_s, float),
                "impact_speed_km_s": np.asarray(self.impact_speed_m_s, float) / 1e3,
                "impact_lat_deg": np.asarray(self.impact_lat_deg, float),
                "impact_lon_deg": np.asarray(self.impact_lon_deg, float),
                "impacted": hit, "n_steps": np.asarray(self.n_steps), "reason": np.array(why, dtype=object)}

    def to_dataframe(self):
        """The cases as a pandas DataFrame (index ``case``; units in the column names)."""
        return frame(self.display_columns(), {"result": repr(self)}, index="case")

    def to_xarray(self):
        """The cases as an xarray Dataset on the dimension ``case`` (``units`` attributes)."""
        cols = self.display_columns()
        cols["reason"] = np.array(["" if r is None else r for r in cols["reason"]])
        n = len(cols["impacted"])
        return dataset({k: ("case", v) for k, v in cols.items()}, {"case": ("case", np.arange(n))},
                       {"result": repr(self)})




@dataclass(repr=False)
class Trajectory(ResultMixin):
    """One missile flight: recorded states and its events.

    ``t_s`` (n,) and ``state`` (n, 6) hold Earth-fixed position (m) and velocity (m/s) at every
    accepted integration step; views (geodetic track, speed, Mach, dynamic pressure, flight-path
    angle) are computed from them.
    """

    missile: object
    earth: Earth
    launch_lat_deg: float
    launch_lon_deg: float
    azimuth_deg: float
    kick_deg: float
    profile: str
    t_s: np.ndarray
    state: np.ndarray
    burnout_time_s: float
    burnout_state: np.ndarray
    stage_burnout_times_s: list
    apogee_m: float
    apogee_time_s: float
    impacted: bool
    extra: dict = field(default_factory=dict)
    t_max_s: float | None = None  # the integration's time limit (s), quoted in ``reason``

    # --- as data and pictures (boostphase.results) ------------------------------------------
    plot_kind = "trajectory"

    @property
    def range_km(self) -> float | None:
        """Display field: :attr:`range_m` in km (None when the flight did not land)."""
        rng = self.range_m
        return None if rng is None else rng / 1e3

    @property
    def apogee_km(self) -> float:
        """Display field: :attr:`apogee_m` in km."""
        return self.apogee_m / 1e3

    def result_title(self) -> str:
        return f"{self.missile.name} ({self.profile})"

    def key_figures(self) -> list[tuple[str, str]]:
        """Range, apogee and flight time; for a flight that did not land, when it stopped."""
        apogee = ("apogee", quantity(self.apogee_km, "km"))
        if not self.impacted:
            return [("no impact, stopped at", quantity(self.end_time_s / 60.0, "min", 1)), apogee]
        return [("range", quantity(self.range_km, "km")), apogee,
                ("flight", quantity(self.flight_time_s / 60.0, "min", 1))]

    def verdict_line(self) -> str | None:
        return self.reason

    def display_columns(self) -> dict[str, np.ndarray]:
        """The time series of :meth:`table` in display units named in the keys (s, deg, km,
        km/s, kPa)."""
        c = self.table()
        return {"t_s": c["t_s"], "lat_deg": c["lat_deg"], "lon_deg": c["lon_deg"], "alt_km": c["alt_m"] / 1e3,
                "ground_range_km": c["ground_range_m"] / 1e3, "speed_km_s": c["speed_m_s"] / 1e3,
                "mach": c["mach"], "dynamic_pressure_kpa": c["dynamic_pressure_pa"] / 1e3,
                "flight_path_deg": c["flight_path_deg"]}

    def figures(self) -> dict:
        """The flight's scalar figures, flat, in display units named in the keys (for ``attrs``)."""
        s = self.summary()
        b = s["burnout"]
        return {"missile": s["missile"], "profile": s["profile"], "earth": s["earth"],
                "launch_lat_deg": self.launch_lat_deg, "launch_lon_deg": self.launch_lon_deg,
                "azimuth_deg": self.azimuth_deg, "kick_deg": self.kick_deg, "range_km": s["range_km"],
                "apogee_km": s["apogee_km"], "flight_time_s": s["flight_time_s"], "impacted": self.impacted,
                "reason": s["reason"], "impact_lat_deg": s["impact"]["lat"], "impact_lon_deg": s["impact"]["lon"],
                "burnout_time_s": b["time_s"], "burnout_altitude_km": b["altitude_km"],
                "burnout_speed_km_s": b["speed_km_s"], "burnout_flight_path_deg": b["flight_path_deg"]}

    def to_dataframe(self):
        """The time series as a pandas DataFrame (one row per integration point; units in the
        column names; the flight's figures in ``attrs``)."""
        return frame(self.display_columns(), self.figures())

    def to_xarray(self):
        """The time series as an xarray Dataset on the coordinate ``t_s`` (``units`` attributes;
        the flight's figures in ``attrs``)."""
        cols = self.display_columns()
        t = cols.pop("t_s")
        return dataset({k: ("t_s", v) for k, v in cols.items()}, {"t_s": ("t_s", t)}, self.figures())

    # --- views -----------------------------------------------------------------------------
    def geodetic(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lat_deg, lon_deg, alt_m) along the track."""
        return self.earth.ecef_to_geodetic(self.state[:, :3])

    @property
    def altitude_m(self) -> np.ndarray:
        return self.geodetic()[2]

    @property
    def speed_m_s(self) -> np.ndarray:
        """Speed relative to the ground (and to the co-rotating air)."""
        return np.linalg.norm(self.state[:, 3:], axis=1)

    def flight_path_deg(self) -> np.ndarray:
        lat, lon, _ = self.geodetic()
        _, _, up = self.earth.enu_basis(lat, lon)
        v = self.state[:, 3:]
        return np.degrees(np.arcsin(np.clip(np.sum(v * up, 1) / np.maximum(self.speed_m_s, 1e-9), -1, 1)))

    def mach(self) -> np.ndarray:
        from ..models.atmosphere import mach_sound_speed_m_s

        return self.speed_m_s / mach_sound_speed_m_s(self.altitude_m)

    def dynamic_pressure_pa(self) -> np.ndarray:
        from ..models.atmosphere import us76

        return 0.5 * us76(self.altitude_m).density_kg_m3 * self.speed_m_s ** 2

    def ground_range_m(self) -> np.ndarray:
        lat, lon, _ = self.geodetic()
        d, _ = self.earth.distance_azimuth(self.launch_lat_deg, self.launch_lon_deg, lat, lon)
        return np.asarray(d)

    @property
    def end_lat_lon_deg(self) -> tuple[float, float]:
        """Sub-point (deg) of the last recorded state: the impact point, or where the
        integration stopped when the flight did not land."""
        lat, lon, _ = self.earth.ecef_to_geodetic(self.state[-1, :3])
        return float(lat), float(lon)

    @property
    def end_time_s(self) -> float:
        """Time (s since launch) of the last recorded state, impact or not."""
        return float(self.t_s[-1])

    @property
    def impact_lat_lon_deg(self) -> tuple[float, float] | None:
        """Impact point (lat_deg, lon_deg); None when the flight did not land."""
        return self.end_lat_lon_deg if self.impacted else None

    @property
    def range_m(self) -> float | None:
        """Surface distance (m) from launch to impact; None when the flight did not land
        (orbital, escaping, or no impact within the time limit): never a number then."""
        return float(self.ground_range_m()[-1]) if self.impacted else None

    @property
    def flight_time_s(self) -> float | None:
        """Time of flight (s) to impact; None when the flight did not land."""
        return self.end_time_s if self.impacted else None

    @property
    def reason(self) -> str | None:
        """Why the flight did not land (see :func:`no_impact_reasons`); None when it did."""
        if self.impacted:
            return None
        return no_impact_reasons(self.state[-1:, :3], self.state[-1:, 3:], [False], self.earth,
                                 self.t_max_s)[0]

    def burnout(self) -> dict:
        """Burnout of the last stage: time (s), altitude (m), speed (m/s), flight-path angle (deg)."""
        r, v = self.burnout_state[:3], self.burnout_state[3:]
        lat, lon, alt = self.earth.ecef_to_geodetic(r)
        _, _, up = self.earth.enu_basis(lat, lon)
        spd = float(np.linalg.norm(v))
        return {"time_s": self.burnout_time_s, "altitude_m": float(alt), "speed_m_s": spd,
                "flight_path_deg": float(np.degrees(np.arcsin(np.dot(v, up) / spd))),
                "lat_deg": float(lat), "lon_deg": float(lon)}

    def summary(self) -> dict:
        """The CLI's JSON contract (km, km/s, s, deg). A flight that did not land has
        ``range_km``, ``flight_time_s`` and the impact point None, ``impacted`` False and a
        ``reason``; ``apogee_km`` is then the highest altitude within the time limit."""
        b = self.burnout()
        lat, lon = self.impact_lat_lon_deg or (None, None)
        rng = self.range_m
        return {
            "missile": self.missile.name,
            "profile": self.profile,
            "earth": self.earth.name,
            "launch": {"lat": self.launch_lat_deg, "lon": self.launch_lon_deg},
            "azimuth_deg": self.azimuth_deg,
            "kick_deg": self.kick_deg,
            "range_km": None if rng is None else rng / 1e3,
            "apogee_km": self.apogee_m / 1e3,
            "flight_time_s": self.flight_time_s,
            "impacted": self.impacted,
            "reason": self.reason,
            "burnout": {"time_s": b["time_s"], "altitude_km": b["altitude_m"] / 1e3,
                        "speed_km_s": b["speed_m_s"] / 1e3, "flight_path_deg": b["flight_path_deg"]},
            "impact": {"lat": lat, "lon": lon},
        }

    def table(self, dt_s: float | None = None) -> dict[str, np.ndarray]:
        """Columns of the time series (SI, degrees), at the integration points."""
        lat, lon, alt = self.geodetic()
        return {"t_s": self.t_s, "lat_deg": lat, "lon_deg": lon, "alt_m": alt,
                "ground_range_m": self.ground_range_m(), "speed_m_s": self.speed_m_s,
                "mach": self.mach(), "dynamic_pressure_pa": self.dynamic_pressure_pa(),
                "flight_path_deg": self.flight_path_deg()}

    def to_csv(self, path) -> None:
        cols = self.table()
        names = list(cols)
        data = np.column_stack([cols[n] for n in names])
        np.savetxt(path, data, delimiter=",", header=",".join(names), comments="", fmt="%.10g")

    def to_geojson(self) -> dict:
        """A GeoJSON FeatureCollection: the track (LineString with altitude) and event points."""
        lat, lon, alt = self.geodetic()
        feats = [{"type": "Feature", "properties": {"kind": "track", "missile": self.missile.name},
                  "geometry": {"type": "LineString",
                               "coordinates": [[float(a), float(b), float(c)] for a, b, c in zip(lon, lat, alt, strict=True)]}}]
        b = self.burnout()
        points = [("launch", self.launch_lat_deg, self.launch_lon_deg, 0.0, {}),
                  ("burnout", b["lat_deg"], b["lon_deg"], b["altitude_m"], {})]
        if self.impacted:
            ilat, ilon = self.impact_lat_lon_deg
            points.append(("impact", ilat, ilon, 0.0, {"range_km": self.range_m / 1e3}))
        else:  # no impact: the last state, labelled as such (no impact point, no range)
            points.append(("end", float(lat[-1]), float(lon[-1]), float(alt[-1]),
                           {"impacted": False, "range_km": None, "reason": self.reason}))
        for kind, la, lo, al, props in points:
            feats.append({"type": "Feature", "properties": {"kind": kind, **props},
                          "geometry": {"type": "Point", "coordinates": [lo, la, al]}})
        return {"type": "FeatureCollection", "features": feats}
