"""Boost-phase engagements: UAV-borne interceptors against ICBMs in powered flight (claim C4).

The question the public studies ask (APS Study Group on Boost-Phase Intercept Systems, Rev. Mod.
Phys. 76, S1, 2004; Wilkening, Science & Global Security 12, 2004): can an interceptor launched
from where the aircraft may fly be at the ICBM's position before its engines stop, given the
seconds lost to detection and decision? This module answers it kinematically, at that public,
policy level. There is no homing or guidance law and no kill-vehicle design: the kill vehicle is
a divert budget (carried for reporting) and a minimum closing speed (a criterion), nothing more.

Model (every choice stated):

* **Threat** - a missile's boost track, sampled every ``sample_s`` (1 s) by
  :func:`~boostphase.flight.cutoff_flights` (exact states of the flight core; rotating WGS84
  Earth), plus a ballistic continuation after burnout (vacuum coast, for late-intercept margins).
* **Timeline** - interceptor launch time = detection delay + track/decision time + launch delay.
* **Interceptor** - one or two constant-thrust stages, each given by burn time and *ideal*
  velocity gain (vacuum, gravity-free rocket-equation delta-v; or stage masses and Isp, from which
  it is computed). The Isp only shapes the acceleration profile. Flown in vacuum: the platform
  is at 15-20 km, where the air density is 4-9 % of sea level; drag losses of the climb are
  neglected (optimistic for shallow shots).
* **Reach table** - the interceptor's kinematic reach is computed **once** per (interceptor,
  launch altitude, along-track launch speed) by flying a fan of constant-attitude shots (thrust
  held at a fixed elevation above the local horizontal, then a ballistic coast) in a vertical plane
  on the batched engine, on a spherical, non-rotating Earth (R = 6371 km, point-mass gravity).
  For each altitude row of a (ground range, altitude) grid, the crossings of every shot with the
  row (first crossing climbing, first crossing descending after the apex) are found; between
  adjacent shots of the fan the crossing time is interpolated linearly in range; the table holds
  the earliest arrival time over the fan, and the interceptor's velocity there. Queries are
  bilinear interpolations - nothing is re-integrated per query. The fan's earliest arrival is an
  upper bound on the true minimum time (no optimal steering), i.e. slightly conservative.
  :func:`direct_engagement` re-flies the fan per engagement on the rotating WGS84 Earth from the
  platform's real position, as an accuracy check and a benchmark baseline.
* **Platform** - a UAV orbit (centre, altitude, radius, speed, endurance, transit, interceptors).
  Reference point (stated per result): ``worst-point`` (default) measures ranges from the point
  of the orbit farthest from the intercept (centre distance + orbit radius) and gives the
  interceptor no along-track launch speed (there the aircraft's velocity is perpendicular to
  the line of fire); ``centre`` measures from the orbit centre and adds the aircraft's speed
  along the line of fire (optimistic).
* **Engagement** - earliest intercept time t*: the first time t after interceptor launch t_L with
  T(range(t), altitude(t)) <= t - t_L, refined between samples by linear interpolation of the
  slack; closing speed |v_interceptor - v_threat| there must reach the kill vehicle's minimum
  (else the next sample where it does is taken). Boost-phase intercept is possible if
  t* <= the latest useful time (``burnout``, or ``payload-short-of:COUNTRY``: the last sample at
  which thrust termination still leaves the payload's vacuum impact outside that country).
  Margin = burnout time - t* (negative = too late for boost phase).

Ranges for engagement geometry are great-circle distances on the 6371 km sphere between
geodetic latitude/longitude points (as in :mod:`boostphase.geography`), consistent with the
table's spherical Earth.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

from .earth import SPHERE, WGS84, Earth
from .errors import InputError, check_range
from .units import quantity

G0 = 9.80665
R_SPHERE_M = 6371.0e3
"""Sphere radius (m) for engagement geometry (as :data:`boostphase.geography.EARTH_RADIUS_KM`)."""

__all__ = [
    "Timeline", "KillVehicle", "InterceptorStage", "Interceptor", "ReachTable", "Threat", "ThreatTrack",
    "Platform", "KeepOut", "Engagement", "EngagementResult", "EngagementMap", "Coverage",
    "engagement_map", "sensitivity_table", "direct_engagement", "build_reach_table",
    "Scenario", "ScenarioObjects", "load_scenario", "parse_scenario",
]


# ------------------------------------------------------------------------------------------
# timeline, kill vehicle, interceptor
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Timeline:
    """Seconds after the ICBM's launch until the interceptor leaves the aircraft.

    Defaults (each an assumption inside the ranges the public studies discuss; change them):

    * ``detection_delay_s`` 45 s - an ICBM plume is seen by space-based infrared sensors once it
      climbs above the cloud tops, and a firing-quality track takes tens of seconds more; the
      APS study (2003; Rev. Mod. Phys. 76, S1, 2004) worked with detection-and-track delays of
      roughly 30-65 s after launch (range as summarised in this project's issue #4; the report's
      tables were not available to this work). 45 s is mid-range.
    * ``decision_time_s`` 15 s - commit/decision time; the APS study and Wilkening (Science &
      Global Security 12, 2004) treat it as a free parameter, zero being the optimistic limit.
      15 s is an assumption.
    * ``launch_delay_s`` 5 s - release from the aircraft and motor ignition (assumption).
    """

    detection_delay_s: float = 45.0
    decision_time_s: float = 15.0
    launch_delay_s: float = 5.0

    def __post_init__(self):
        for f in ("detection_delay_s", "decision_time_s", "launch_delay_s"):
            object.__setattr__(self, f, check_range(f, getattr(self, f), 0.0, 1000.0, "s"))

    @property
    def interceptor_launch_s(self) -> float:
        """Time after the threat's launch at which the interceptor is launched."""
        return self.detection_delay_s + self.decision_time_s + self.launch_delay_s

    @classmethod
    def total(cls, delay_s: float) -> Timeline:
        """A timeline given only by its total delay (all of it counted as detection)."""
        return cls(detection_delay_s=delay_s, decision_time_s=0.0, launch_delay_s=0.0)


@dataclass(frozen=True)
class KillVehicle:
    """The kill vehicle at policy level: a divert budget and a minimum closing speed, nothing more.

    ``divert_m_s`` is carried and reported (no end-game is modelled); ``min_closing_speed_m_s`` is a
    criterion on the relative speed at intercept; ``min_altitude_m`` optionally excludes intercepts
    below an altitude. Defaults are placeholders (assumptions): 1.0 km/s divert, 1.0 km/s minimum
    closing speed, no altitude floor.
    """

    divert_m_s: float = 1000.0
    min_closing_speed_m_s: float = 1000.0
    min_altitude_m: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "divert_m_s", check_range("divert_m_s", self.divert_m_s, 0.0, 1e4, "m/s"))
        object.__setattr__(self, "min_closing_speed_m_s",
                           check_range("min_closing_speed_m_s", self.min_closing_speed_m_s, 0.0, 3e4, "m/s"))
        object.__setattr__(self, "min_altitude_m", check_range("min_altitude_m", self.min_altitude_m, 0.0, 2e6, "m"))


@dataclass(frozen=True)
class InterceptorStage:
    """One constant-thrust stage: burn time and ideal (vacuum, gravity-free) velocity gain.

    The specific impulse only sets how the acceleration grows during the burn (mass ratio
    exp(dv / (Isp g0))); the velocity gained is ``delta_v_m_s`` whatever it is.
    """

    burn_time_s: float
    delta_v_m_s: float
    isp_s: float = 280.0

    def __post_init__(self):
        object.__setattr__(self, "burn_time_s", check_range("burn_time_s", self.burn_time_s, 1e-3, 600.0, "s"))
        object.__setattr__(self, "delta_v_m_s", check_range("delta_v_m_s", self.delta_v_m_s, 1.0, 15000.0, "m/s"))
        object.__setattr__(self, "isp_s", check_range("isp_s", self.isp_s, 50.0, 500.0, "s"))


@dataclass(frozen=True)
class Interceptor:
    """A one- or two-stage kinematic interceptor (launched from the aircraft's altitude and speed).

    Build it with :meth:`two_stage` (an ideal burnout speed split over stages), :meth:`from_masses`
    (propellant/dry masses and Isp per stage plus the kill vehicle's mass) or :meth:`constant_speed`
    (an idealised interceptor reaching a speed almost instantly, for textbook checks).
    """

    stages: tuple[InterceptorStage, ...]
    kill_vehicle: KillVehicle = KillVehicle()
    name: str = "interceptor"

    def __post_init__(self):
        st = tuple(self.stages)
        if not 1 <= len(st) <= 2 or not all(isinstance(s, InterceptorStage) for s in st):
            raise InputError("interceptor.stages", len(st), "one or two stages")
        object.__setattr__(self, "stages", st)

    @classmethod
    def two_stage(cls, burnout_speed_m_s: float, burn_times_s: Sequence[float] = (20.0, 20.0),
                  isp_s: float = 280.0, kill_vehicle: KillVehicle | None = None,
                  name: str | None = None) -> Interceptor:
        """Ideal burnout speed split equally over ``len(burn_times_s)`` (1 or 2) stages.

        Defaults (assumptions, in the class of the air-launched interceptors discussed by the
        public studies): two 20 s stages, Isp 280 s."""
        v = check_range("burnout_speed", burnout_speed_m_s, 100.0, 15000.0, "m/s")
        bts = tuple(burn_times_s)
        if not 1 <= len(bts) <= 2:
            raise InputError("burn_times", bts, "one or two stage burn times")
        stages = tuple(InterceptorStage(bt, v / len(bts), isp_s) for bt in bts)
        return cls(stages, kill_vehicle or KillVehicle(), name or f"{len(bts)}-stage, {v / 1e3:.1f} km/s")

    @classmethod
    def from_masses(cls, stages: Sequence[dict], kill_vehicle_mass_kg: float,
                    kill_vehicle: KillVehicle | None = None, name: str = "interceptor") -> Interceptor:
        """Stages (lowest first) as dicts with ``propellant_mass_kg``, ``dry_mass_kg``, ``isp_s`` and
        ``burn_time_s``; each stage's delta-v follows from the rocket equation with everything above
        it (upper stages and the kill vehicle) as payload."""
        kv = check_range("kill_vehicle_mass", kill_vehicle_mass_kg, 0.1, 1e5, "kg")
        wet = [check_range("propellant_mass", s["propellant_mass_kg"], 0.1, 1e6, "kg")
               + check_range("dry_mass", s["dry_mass_kg"], 0.1, 1e6, "kg") for s in stages]
        out = []
        for i, s in enumerate(stages):
            above = kv + sum(wet[i + 1:])
            m0, m1 = wet[i] + above, s["dry_mass_kg"] + above
            dv = s["isp_s"] * G0 * math.log(m0 / m1)
            out.append(InterceptorStage(s["burn_time_s"], dv, s["isp_s"]))
        return cls(tuple(out), kill_vehicle or KillVehicle(), name)

    @classmethod
    def constant_speed(cls, speed_m_s: float, burn_time_s: float = 0.02,
                       kill_vehicle: KillVehicle | None = None) -> Interceptor:
        """An interceptor that reaches ``speed_m_s`` within ``burn_time_s`` (textbook checks)."""
        return cls((InterceptorStage(burn_time_s, speed_m_s, 300.0),),
                   kill_vehicle or KillVehicle(0.0, 0.0), f"constant speed {speed_m_s / 1e3:.2f} km/s")

    @property
    def ideal_burnout_speed_m_s(self) -> float:
        return sum(s.delta_v_m_s for s in self.stages)

    @property
    def burn_time_s(self) -> float:
        return sum(s.burn_time_s for s in self.stages)

    def with_speed(self, burnout_speed_m_s: float) -> Interceptor:
        """The same stages scaled to another ideal burnout speed (same split and burn times)."""
        f = burnout_speed_m_s / self.ideal_burnout_speed_m_s
        st = tuple(InterceptorStage(s.burn_time_s, s.delta_v_m_s * f, s.isp_s) for s in self.stages)
        return Interceptor(st, self.kill_vehicle, f"{self.name} @ {burnout_speed_m_s / 1e3:.1f} km/s")

    def reach_table(self, altitude_m: float, along_speed_m_s: float = 0.0, earth: Earth = SPHERE,
                    horizon_s: float = 500.0) -> ReachTable:
        """The (cached) time-to-reach table for launches at ``altitude_m`` with ``along_speed_m_s``
        of horizontal speed along the line of fire, on a non-rotating spherical ``earth``."""
        if earth.rotating or not earth.spherical:
            raise InputError("earth", earth.name, "a spherical, non-rotating Earth for shared tables "
                             "(use build_reach_table for others)")
        return _cached_table(self, float(altitude_m), float(along_speed_m_s), earth, float(horizon_s))


# ------------------------------------------------------------------------------------------
# the reach table
# ------------------------------------------------------------------------------------------

_S = 4            # engine segments of an interceptor shot: up to two burns, a coast, padding
_N_REC = 256      # recorded points per shot (accepted steps, <= _H_MAX_S apart)
_H_MAX_S = 5.0    # largest integration step of a shot (s); records are densified by Hermite
_DT_S = 0.5       # ... to this uniform time step before the row crossings are located
N_SHOTS = 512     # elevations of the fan
_ELEV_DEG = (-85.0, 95.0)   # fan limits: above 90 deg the shot leans back (covers range ~ 0)
_BIG = 1.0e9


@dataclass
class ReachTable:
    """Earliest arrival time (s after interceptor launch) over a (ground range, altitude) grid,
    and the interceptor's velocity there (along the line of fire, and up).

    ``time_s[j, i]`` is for altitude ``alt_m[j]`` and range ``range_m[i]``; unreachable cells hold
    a large number. Look-ups (:meth:`lookup`) are bilinear; a cell next to an unreachable one is
    unreachable (conservative edge).
    """

    range_m: np.ndarray
    alt_m: np.ndarray
    time_s: np.ndarray
    v_range_m_s: np.ndarray
    v_up_m_s: np.ndarray
    launch_alt_m: float
    along_speed_m_s: float
    horizon_s: float
    earth_name: str
    burnout_speed_m_s: tuple[float, float]   # actual speed at burnout over the fan (min, max)
    top_speed_m_s: float = np.inf            # highest speed anywhere in the fan (a bound for pruning)
    build_s: float = 0.0

    @property
    def d_range(self) -> float:
        return float(self.range_m[1] - self.range_m[0])

    @property
    def d_alt(self) -> float:
        return float(self.alt_m[1] - self.alt_m[0])

    def lookup(self, range_m, alt_m, velocity: bool = False):
        """Time to reach (s; inf if unreachable) at each (range, altitude); with ``velocity=True``
        also the interceptor's (along-range, up) velocity components there (m/s)."""
        r = np.asarray(range_m, float)
        h = np.asarray(alt_m, float)
        nr, nh = len(self.range_m), len(self.alt_m)
        x = (r - self.range_m[0]) / self.d_range
        y = (h - self.alt_m[0]) / self.d_alt
        inside = (x >= 0) & (x <= nr - 1) & (y >= 0) & (y <= nh - 1)
        ix = np.clip(np.floor(x), 0, nr - 2).astype(np.intp)
        iy = np.clip(np.floor(y), 0, nh - 2).astype(np.intp)
        fx = np.clip(x - ix, 0.0, 1.0)
        fy = np.clip(y - iy, 0.0, 1.0)
        k = iy * nr + ix

        def interp(a):
            f = a.ravel()
            return ((f[k] * (1 - fx) + f[k + 1] * fx) * (1 - fy)
                    + (f[k + nr] * (1 - fx) + f[k + nr + 1] * fx) * fy)

        t = interp(self.time_s)
        t = np.where(inside & (t <= self.horizon_s), t, np.inf)
        if not velocity:
            return t
        return t, interp(self.v_range_m_s), interp(self.v_up_m_s)

    def max_range_m(self, alt_m: float, within_s: float) -> float:
        """Farthest ground range reachable at an altitude within a flight time (0 if none)."""
        t = self.lookup(self.range_m, np.full(len(self.range_m), alt_m))
        ok = t <= within_s
        return float(self.range_m[ok].max()) if ok.any() else 0.0


def _unit(lat_deg, lon_deg) -> np.ndarray:
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    c = np.cos(la)
    return np.stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)], axis=-1)


def _cd_dummy():
    from .flight import _cd_table

    return _cd_table(((0.0, 1.0), (1.0, 1.0)))


def _fly_fan(interceptor: Interceptor, lat: float, lon: float, alt_m: float, az_deg: float,
             along_m_s: float, elev_deg: np.ndarray, earth: Earth, horizon_s: float):
    """Fly a fan of constant-attitude interceptor shots (one batched engine call)."""
    from .flight import _run, _settings

    n = len(elev_deg)
    r0, v0 = earth.state_from_local(np.full(n, lat), np.full(n, lon), np.full(n, alt_m),
                                    np.full(n, along_m_s), np.zeros(n), np.full(n, az_deg))
    segs = []
    t = 0.0
    for st in interceptor.stages:
        mr = math.exp(st.delta_v_m_s / (st.isp_s * G0))
        mdot = (1.0 - 1.0 / mr) / st.burn_time_s   # start mass normalised to 1
        t += st.burn_time_s
        segs.append((t, 1.0, mdot, mdot * st.isp_s * G0, 3))
    segs.append((1e30, 1.0, 0.0, 0.0, 2))
    segs += [segs[-1]] * (_S - len(segs))
    cols = np.array(segs, float)
    mach, cd = _cd_dummy()
    e, az = np.radians(elev_deg), math.radians(az_deg)
    u_fixed = np.stack([np.cos(e) * math.sin(az), np.cos(e) * math.cos(az), np.sin(e)], axis=1)
    arrays = dict(
        y0=np.concatenate([r0, v0], axis=1), t0=np.zeros(n),
        seg_t_end=np.tile(cols[:, 0], (n, 1)), seg_m0=np.tile(cols[:, 1], (n, 1)),
        seg_mdot=np.tile(cols[:, 2], (n, 1)), seg_thrust=np.tile(cols[:, 3], (n, 1)),
        seg_exit_area=np.zeros((n, _S)), seg_ref_area=np.zeros((n, _S)),
        seg_mode=np.tile(cols[:, 4], (n, 1)).astype(np.int32),
        cd_mach=np.broadcast_to(mach, (n, _S, len(mach))), cd_val=np.broadcast_to(cd, (n, _S, len(cd))),
        azimuth=np.full(n, az), kick=np.zeros(n), pitch_t0=np.zeros(n), pitch_t1=np.zeros(n), u_fixed=u_fixed, t_max=np.full(n, horizon_s))
    settings = _settings(earth, False, n_rec=_N_REC, rtol=1e-9, h_max_s=_H_MAX_S)
    out = _run(arrays, earth, settings)
    nb = len(interceptor.stages)
    bo = np.linalg.norm(out["seg_state"][:, nb - 1, 4:7], axis=1)
    if np.any(out["n_rec"] >= _N_REC):
        raise RuntimeError("interceptor fan: record buffer full; raise _N_REC")  # pragma: no cover
    return _densify(out["rec"], out["n_rec"], horizon_s), bo


def _densify(rec: np.ndarray, nrec: np.ndarray, horizon_s: float, dt: float = _DT_S):
    """Resample recorded (t, r, v) rows of every shot onto a uniform time grid by cubic Hermite
    interpolation (positions and velocities are both known at the records; records sit on every
    thrust change, so no interval spans one). Returns (n, m, 7) with NaN past each shot's end."""
    n, N, _ = rec.shape
    tg = np.arange(0.0, horizon_s + dt / 2, dt)
    m = len(tg)
    t = rec[..., 0]
    last = t[np.arange(n), nrec - 1]
    big = 2.0 * (horizon_s + 1.0)
    tf = np.where(np.arange(N)[None, :] < nrec[:, None], t, big - 1e-3) + big * np.arange(n)[:, None]
    q = (tg[None, :] + big * np.arange(n)[:, None]).ravel()
    i = np.searchsorted(tf.ravel(), q, side="right") - 1
    row = np.repeat(np.arange(n), m)
    i = np.clip(i - row * N, 0, np.maximum(nrec[row] - 2, 0))
    a, b = rec[row, i], rec[row, np.minimum(i + 1, nrec[row] - 1)]
    h = b[:, 0] - a[:, 0]
    tq = np.tile(tg, n)
    s = np.where(h > 0, (tq - a[:, 0]) / np.where(h > 0, h, 1.0), 0.0)[:, None]
    hh = h[:, None]
    p0, p1, v0, v1 = a[:, 1:4], b[:, 1:4], a[:, 4:7] * hh, b[:, 4:7] * hh
    pos = ((2 * s**3 - 3 * s**2 + 1) * p0 + (s**3 - 2 * s**2 + s) * v0 + (-2 * s**3 + 3 * s**2) * p1
           + (s**3 - s**2) * v1)
    vel = ((6 * s**2 - 6 * s) * p0 + (3 * s**2 - 4 * s + 1) * v0 + (-6 * s**2 + 6 * s) * p1
           + (3 * s**2 - 2 * s) * v1) / np.where(hh > 0, hh, 1.0)
    vel = np.where(hh > 0, vel, a[:, 4:7])
    out = np.concatenate([tq[:, None], pos, vel], axis=1).reshape(n, m, 7)
    out[tg[None, :] > last[:, None] + 1e-9] = np.nan
    return out


def _plane_coordinates(rec: np.ndarray, lat: float, lon: float, az_deg: float, earth: Earth):
    """Recorded states -> signed ground range along the plane of fire (m), altitude (m), velocity
    along the line of fire and up (m/s); ranges on the 6371 km sphere between geodetic points."""
    t = rec[..., 0]
    r, v = rec[..., 1:4], rec[..., 4:7]
    la, lo, h = earth.ecef_to_geodetic(r)
    u = _unit(la, lo)
    p0 = _unit(lat, lon)
    east, north, _ = earth.enu_basis(lat, lon)
    a0 = math.sin(math.radians(az_deg)) * east + math.cos(math.radians(az_deg)) * north
    normal = np.cross(p0, a0)
    ang = np.arctan2(np.einsum("...k,k->...", u, a0), np.einsum("...k,k->...", u, p0))
    fwd = np.cross(normal, u)
    fwd /= np.linalg.norm(fwd, axis=-1, keepdims=True)
    _, _, up = earth.enu_basis(la, lo)
    return t, R_SPHERE_M * ang, h, np.einsum("...k,...k->...", v, fwd), np.einsum("...k,...k->...", v, up)


def _candidates(level_var, levels, other_var, t, vr, vh, other0: float, d_other: float, n_other: int,
                max_jump_m: float = 150e3, max_jump_s: float = 30.0):
    """Arrival candidates on grid lines ``levels`` of one coordinate (altitude rows, or range
    columns): each shot's first crossing of each line (rising, and falling after its maximum),
    then for adjacent shots of the fan, every grid node of the other coordinate between their two
    crossings, with time and velocity interpolated linearly along the line. Adjacent crossings
    farther apart than ``max_jump_m`` / ``max_jump_s`` are not bridged (a fold of the fan).

    Returns (line index, time, v_range, v_up, node index of the other coordinate)."""
    nsh, nl = level_var.shape[0], len(levels)
    cross = np.full((2, 4, nsh, nl), np.nan)   # (branch, [t, other, vR, vH], shot, line)
    for k in range(nsh):
        n = int(np.isfinite(t[k]).sum())
        if n < 2:
            continue
        x = level_var[k, :n]
        data = np.stack([t[k, :n], other_var[k, :n], vr[k, :n], vh[k, :n]])
        ia = int(np.argmax(x))
        for b, (seq, off, target) in enumerate(((np.maximum.accumulate(x), 0, levels),
                                                (-np.minimum.accumulate(x[ia:]), ia, -levels))):
            p = np.searchsorted(seq, target, side="right")
            ok = (p >= 1) & (p < len(seq))
            idx = p[ok] + off
            x0, x1 = x[idx - 1], x[idx]
            f = (levels[ok] - x0) / (x1 - x0)
            cross[b][:, k, ok] = data[:, idx - 1] + (data[:, idx] - data[:, idx - 1]) * f
    out = [[], [], [], [], []]
    for b in range(2):
        t0_, o0, vr0, vh0 = (cross[b, q, :-1] for q in range(4))
        t1_, o1, vr1, vh1 = (cross[b, q, 1:] for q in range(4))
        ok = (np.isfinite(t0_) & np.isfinite(t1_) & (np.abs(o1 - o0) <= max_jump_m)
              & (np.abs(t1_ - t0_) <= max_jump_s))
        kk, jj = np.nonzero(ok)
        oa, ob = o0[kk, jj], o1[kk, jj]
        lo = np.maximum(np.ceil((np.minimum(oa, ob) - other0) / d_other), 0).astype(np.int64)
        hi = np.minimum(np.floor((np.maximum(oa, ob) - other0) / d_other), n_other - 1).astype(np.int64)
        cnt = np.maximum(hi - lo + 1, 0)
        rep = np.repeat(np.arange(len(kk)), cnt)
        node = lo[rep] + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        den = (ob - oa)[rep]
        big = np.abs(den) > 1e-9
        w = np.where(big, (other0 + node * d_other - oa[rep]) / np.where(big, den, 1.0), 0.0)
        kr, jr = kk[rep], jj[rep]
        for q, (a0, a1) in enumerate(((t0_, t1_), (vr0, vr1), (vh0, vh1))):
            out[1 + q].append(a0[kr, jr] + (a1[kr, jr] - a0[kr, jr]) * w)
        out[0].append(jr)
        out[4].append(node)
    return tuple(np.concatenate(a) for a in out)


def build_reach_table(interceptor: Interceptor, altitude_m: float, along_speed_m_s: float = 0.0, *,
                      lat_deg: float = 0.0, lon_deg: float = 0.0, azimuth_deg: float = 90.0,
                      earth: Earth = SPHERE, horizon_s: float = 500.0, n_shots: int = N_SHOTS,
                      d_range_m: float = 2500.0, d_alt_m: float = 2000.0, max_alt_m: float = 1.6e6,
                      max_range_m: float = 5.0e6) -> ReachTable:
    """Fly the fan once and tabulate the earliest arrival time over (ground range, altitude).

    The grid's altitude rows sit half a cell off the launch altitude (a row through the launch
    point would be degenerate); rows run from near the ground to the fan's highest point (at most
    ``max_alt_m``), columns from 0 to its farthest range (at most ``max_range_m``)."""
    import time

    t0 = time.perf_counter()
    check_range("platform altitude", altitude_m, 0.0, 1e5, "m")
    elev = np.linspace(*_ELEV_DEG, n_shots)
    rec, bo_speed = _fly_fan(interceptor, lat_deg, lon_deg, altitude_m, azimuth_deg, along_speed_m_s,
                             elev, earth, horizon_s)
    t, rr, hh, vr, vh = _plane_coordinates(rec, lat_deg, lon_deg, azimuth_deg, earth)
    # grid
    valid = np.isfinite(t)
    hmax = min(float(np.max(np.where(valid, hh, -np.inf))), max_alt_m)
    rmax = min(float(np.max(np.where(valid, rr, -np.inf))), max_range_m)
    j_lo = -int(math.floor(altitude_m / d_alt_m - 0.5))
    j_hi = int(math.ceil((hmax - altitude_m) / d_alt_m + 0.5))
    rows = altitude_m + (np.arange(j_lo, j_hi) + 0.5) * d_alt_m
    rows = rows[rows > 0]
    cols = np.arange(0.0, rmax + d_range_m, d_range_m)
    nh, nr = len(rows), len(cols)
    # crossings of the shots with every row (interpolated along the row between adjacent shots)
    # and with every column (interpolated along the column): rows are well conditioned where the
    # shots climb steeply, columns where they fly flat (near an apex); the table takes the earlier
    k_r, t_r, vr_r, vh_r, other_r = _candidates(hh, rows, rr, t, vr, vh, cols[0], d_range_m, nr)
    k_c, t_c, vr_c, vh_c, other_c = _candidates(rr, cols, hh, t, vr, vh, rows[0], d_alt_m, nh)
    key = np.concatenate([k_r * nr + other_r, other_c * nr + k_c])
    tt, vra, vha = (np.concatenate(a) for a in ((t_r, t_c), (vr_r, vr_c), (vh_r, vh_c)))
    order = np.lexsort((tt, key))
    key_s = key[order]
    first = np.concatenate([[True], key_s[1:] != key_s[:-1]]) if len(key_s) else np.zeros(0, bool)
    sel = order[first]
    T = np.full(nh * nr, _BIG)
    VR = np.zeros(nh * nr)
    VH = np.zeros(nh * nr)
    T[key[sel]], VR[key[sel]], VH[key[sel]] = tt[sel], vra[sel], vha[sel]
    return ReachTable(range_m=cols, alt_m=rows, time_s=T.reshape(nh, nr), v_range_m_s=VR.reshape(nh, nr),
                      v_up_m_s=VH.reshape(nh, nr), launch_alt_m=float(altitude_m),
                      along_speed_m_s=float(along_speed_m_s), horizon_s=float(horizon_s), earth_name=earth.name,
                      burnout_speed_m_s=(float(np.nanmin(bo_speed)), float(np.nanmax(bo_speed))),
                      top_speed_m_s=float(np.nanmax(np.linalg.norm(rec[..., 4:7], axis=-1))) * 1.001,
                      build_s=time.perf_counter() - t0)


@functools.lru_cache(maxsize=64)
def _cached_table(interceptor: Interceptor, altitude_m: float, along_m_s: float, earth: Earth,
                  horizon_s: float) -> ReachTable:
    return build_reach_table(interceptor, altitude_m, along_m_s, earth=earth, horizon_s=horizon_s)


# ------------------------------------------------------------------------------------------
# threats
# ------------------------------------------------------------------------------------------

@dataclass
class ThreatTrack:
    """Threat states sampled in time: the boost (t <= burnout) and a ballistic continuation."""

    t_s: np.ndarray             # (n,)
    state: np.ndarray           # (n, 6) Earth-fixed m, m/s
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    unit: np.ndarray            # (n, 3) unit vectors of the geodetic lat/lon (sphere geometry)
    burnout_time_s: float
    impact_lat_deg: np.ndarray  # payload impact for thrust termination at each boost sample (NaN after)
    impact_lon_deg: np.ndarray
    earth: Earth = WGS84

    @classmethod
    def from_states(cls, t_s, state, burnout_time_s: float, earth: Earth = WGS84, impact_lat=None,
                    impact_lon=None) -> ThreatTrack:
        t = np.asarray(t_s, float)
        s = np.asarray(state, float)
        if t.ndim != 1 or s.shape != (len(t), 6) or len(t) < 2 or np.any(np.diff(t) <= 0):
            raise InputError("track", f"{t.shape}/{s.shape}", "increasing times (n >= 2) and (n, 6) states")
        la, lo, h = earth.ecef_to_geodetic(s[:, :3])
        nan = np.full(len(t), np.nan)
        return cls(t, s, la, lo, h, _unit(la, lo), float(burnout_time_s),
                   nan if impact_lat is None else np.asarray(impact_lat, float),
                   nan if impact_lon is None else np.asarray(impact_lon, float), earth)

    def state_at(self, t: float) -> np.ndarray:
        """State at time t: cubic Hermite position, linear velocity between samples."""
        i = int(np.clip(np.searchsorted(self.t_s, t) - 1, 0, len(self.t_s) - 2))
        t0, t1 = self.t_s[i], self.t_s[i + 1]
        dt = t1 - t0
        s = (t - t0) / dt
        p0, p1 = self.state[i, :3], self.state[i + 1, :3]
        m0, m1 = self.state[i, 3:] * dt, self.state[i + 1, 3:] * dt
        h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
        pos = h00 * p0 + h10 * m0 + h01 * p1 + h11 * m1
        vel = self.state[i, 3:] + (self.state[i + 1, 3:] - self.state[i, 3:]) * s
        return np.concatenate([pos, vel])


CRITERIA = ("burnout", "payload-short-of:COUNTRY")


def _parse_criterion(text: str) -> tuple[str, str | None]:
    c = str(text).strip()
    if c.lower() == "burnout":
        return "burnout", None
    if c.lower().startswith("payload-short-of:"):
        country = c.split(":", 1)[1].strip()
        if country:
            from .geography import territory_table

            t = territory_table()
            return "payload-short-of", t.labels[t.country_index(country)]
    raise InputError("criterion", text, "'burnout' or 'payload-short-of: COUNTRY'")


class Threat:
    """A ballistic missile launch: missile (catalog name or :class:`~boostphase.vehicles.Missile`),
    launch point, and a target (``(lat, lon)``) or an azimuth.

    ``profile``: ``min-energy`` (default; the maximum-range trajectory on the azimuth toward the
    target: the boost a standard attack flies, whether or not the catalog model's payload can
    reach that far) or ``target`` (the trajectory that lands on the target; must be in range).
    ``criterion`` sets the latest useful intercept time (see module doc).
    """

    def __init__(self, missile, launch_lat_deg: float, launch_lon_deg: float, *,
                 target: tuple[float, float] | None = None, azimuth_deg: float | None = None,
                 profile: str = "min-energy", name: str | None = None, criterion: str = "burnout",
                 sample_s: float = 1.0, post_boost_s: float = 200.0, earth: Earth = WGS84):
        from .vehicles import Missile, load

        self.missile = load(missile) if isinstance(missile, str) else missile
        if not isinstance(self.missile, Missile):
            raise InputError("missile", missile, "a catalog name or a Missile")
        self.launch = (check_range("launch lat", launch_lat_deg, -90, 90, "deg"),
                       check_range("launch lon", launch_lon_deg, -360, 360, "deg"))
        if (target is None) == (azimuth_deg is None):
            raise InputError("target/azimuth", None, "exactly one of a target (lat, lon) or an azimuth")
        if profile not in ("min-energy", "target"):
            raise InputError("profile", profile, "min-energy or target")
        if profile == "target" and target is None:
            raise InputError("profile", profile, "a target for the 'target' profile")
        self.target = None if target is None else (check_range("target lat", target[0], -90, 90, "deg"),
                                                    check_range("target lon", target[1], -360, 360, "deg"))
        self.azimuth_in = azimuth_deg
        self.profile = profile
        self.criterion, self.criterion_country = _parse_criterion(criterion)
        self.criterion_text = criterion
        self.sample_s = check_range("sample_s", sample_s, 0.05, 10.0, "s")
        self.post_boost_s = check_range("post_boost_s", post_boost_s, 0.0, 2000.0, "s")
        self.earth = earth
        self.name = name or f"{self.missile.name} from {self.launch[0]:.2f},{self.launch[1]:.2f}"
        self._track: ThreatTrack | None = None
        self._traj = None

    @classmethod
    def from_track(cls, name: str, t_s, state, burnout_time_s: float, earth: Earth = WGS84) -> Threat:
        """A threat given directly by its sampled states (user vehicles, textbook checks);
        samples after ``burnout_time_s`` are the post-boost continuation."""
        self = cls.__new__(cls)
        self.missile, self.name, self.earth = None, name, earth
        self.profile, self.criterion, self.criterion_country, self.criterion_text = "track", "burnout", None, "burnout"
        self._track = ThreatTrack.from_states(t_s, state, burnout_time_s, earth)
        la, lo = self._track.lat_deg[0], self._track.lon_deg[0]
        self.launch, self.target, self.azimuth_in, self._traj = (float(la), float(lo)), None, None, None
        return self

    # --- the flight -------------------------------------------------------------------------
    @property
    def trajectory(self):
        """The full flight (:class:`~boostphase.flight.Trajectory`)."""
        if self._traj is None and self.missile is not None:
            self._traj = _fly_cached(self.missile, self.launch, self.target, self.azimuth_in, self.profile,
                                     self.earth)
        return self._traj

    @property
    def azimuth_deg(self) -> float:
        return float(self.trajectory.azimuth_deg) if self.trajectory is not None else float("nan")

    @property
    def burnout_time_s(self) -> float:
        return self.track.burnout_time_s

    @property
    def track(self) -> ThreatTrack:
        """Boost samples every ``sample_s`` (exact, by thrust cut-off flights) and the coast after."""
        if self._track is None:
            self._track = _track_cached(self.missile, self.launch, self.trajectory.azimuth_deg,
                                        self.trajectory.kick_deg, self.sample_s, self.post_boost_s, self.earth,
                                        self.criterion != "burnout")
        return self._track

    @property
    def latest_useful_time_s(self) -> float:
        """Latest intercept time that still meets the criterion (s after launch)."""
        tr = self.track
        if self.criterion == "burnout":
            return tr.burnout_time_s
        from .geography import distance_to_territory_km

        boost = np.flatnonzero(tr.t_s <= tr.burnout_time_s + 1e-9)
        lat, lon = tr.impact_lat_deg[boost], tr.impact_lon_deg[boost]
        ok = np.isfinite(lat)
        inside = np.zeros(len(boost), bool)
        inside[ok] = distance_to_territory_km(lat[ok], lon[ok], self.criterion_country) == 0.0
        if not inside.any():
            return tr.burnout_time_s
        i = int(np.argmax(inside))
        return float(tr.t_s[boost[i - 1]]) if i > 0 else 0.0

    def describe(self) -> dict:
        d = {"name": self.name, "missile": None if self.missile is None else self.missile.name,
             "launch": {"lat": self.launch[0], "lon": self.launch[1]}, "profile": self.profile,
             "burnout_time_s": self.burnout_time_s, "criterion": self.criterion_text,
             "latest_useful_time_s": self.latest_useful_time_s}
        if self.target is not None:
            d["target"] = {"lat": self.target[0], "lon": self.target[1]}
        if self.trajectory is not None:
            d["azimuth_deg"] = self.azimuth_deg
            b = self.trajectory.burnout()
            d["burnout"] = {"altitude_km": b["altitude_m"] / 1e3, "speed_km_s": b["speed_m_s"] / 1e3}
        return d


class _Cache:
    """A small thread-safe LRU map (threat flights are shared by web requests and map cells, and
    filled in batches by :func:`prepare_threats`)."""

    def __init__(self, size: int):
        import threading
        from collections import OrderedDict

        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            v = self.data.get(key)
            if v is not None:
                self.data.move_to_end(key)
            return v

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


_FLIGHTS = _Cache(256)   # (missile, launch, target, azimuth, profile, earth) -> Trajectory
_TRACKS = _Cache(256)    # (missile, launch, az, kick, sample_s, post_s, earth, impacts) -> ThreatTrack


def _fly_cached(missile, launch, target, azimuth, profile, earth):
    key = (missile, launch, target, azimuth, profile, earth)
    traj = _FLIGHTS.get(key)
    if traj is None:
        from .flight import fly

        if profile == "target":
            traj = fly(missile, *launch, target=target, profile="target", earth=earth)
        else:
            traj = fly(missile, *launch, azimuth_deg=_threat_azimuth(launch, target, azimuth, earth),
                       profile="min-energy", earth=earth)
        _FLIGHTS.put(key, traj)
    return traj


def _threat_azimuth(launch, target, azimuth, earth) -> float:
    if azimuth is not None:
        return float(azimuth)
    _, az = earth.distance_azimuth(launch[0], launch[1], target[0], target[1])
    return float(az)


def _track_cached(missile, launch, az, kick, sample_s, post_s, earth, impacts: bool = False) -> ThreatTrack:
    key = (missile, launch, az, kick, sample_s, post_s, earth, impacts)
    tr = _TRACKS.get(key)
    if tr is None:
        tr = _tracks([key])[0]
        _TRACKS.put(key, tr)
    return tr


def _tracks(keys) -> list[ThreatTrack]:
    """Boost tracks of several threats (keys as in _track_cached, one Earth), each phase one
    batched engine call across the threats: the cut-off flights, then the post-boost coasts."""
    from .flight import Steering, _cd_table, _flyout_arrays, _run, _settings, cutoff_flights

    earth = keys[0][6]
    # --- boost samples: thrust cut-off flights (exact states at each sample time)
    parts, rows = [], []
    for missile, launch, az, kick, sample_s, _, _, impacts in keys:
        t_bo = missile.boost_time_s
        cuts = np.arange(sample_s, t_bo, sample_s)
        cuts = np.append(cuts[cuts < t_bo - 1e-6], t_bo)
        if impacts:
            # thrust cut-off flights to impact: the state at each cut-off and where the payload lands
            res = cutoff_flights(missile, launch[0], launch[1], az, kick, cuts, earth=earth)
            rows.append((cuts, res.state, np.where(res.impacted, res.impact_lat_deg, np.nan),
                         np.where(res.impacted, res.impact_lon_deg, np.nan), None))
        else:
            # the same cut-off flights (same schedule, steering and integrator as cutoff_flights),
            # each stopped 1 s after its cut-off: only the state at the cut-off is needed
            cut_eff = np.minimum(cuts, t_bo * (1 - 1e-12))
            arrays, _, bo = _flyout_arrays(missile, launch[0], launch[1], 0.0, az, kick, Steering(), 2.0e4, earth,
                                           cut_eff, None)
            arrays["t_max"] = cut_eff + 1.0
            nan = np.full(len(cuts), np.nan)
            rows.append((cuts, None, nan, nan, bo))
            parts.append(arrays)
    if parts:
        out = _run({k: np.concatenate([p[k] for p in parts], axis=0) for k in parts[0]}, earth,
                   _settings(earth, True))
        start = 0
        for i, (cuts, states, ilat, ilon, bo) in enumerate(rows):
            if states is None:
                seg = out["seg_state"][start:start + len(cuts)]
                rows[i] = (cuts, seg[np.arange(len(cuts)), bo, 1:], ilat, ilon, bo)
                start += len(cuts)
    # --- after burnout: the vacuum coast, stopped at each later sample time
    mach, cd = _cd_table(((0.0, 1.0), (1.0, 1.0)))
    coasts, tps = [], []
    for (missile, _, _, _, sample_s, post_s, _, _), (_, states, _, _, _) in zip(keys, rows, strict=True):
        t_bo = missile.boost_time_s
        tp = t_bo + np.arange(sample_s, post_s + 1e-9, sample_s) if post_s > 0 else np.zeros(0)
        n = len(tp)
        tps.append(tp)
        coasts.append(dict(
            y0=np.repeat(states[-1:], n, axis=0), t0=np.full(n, t_bo), seg_t_end=np.full((n, 1), 1e30),
            seg_m0=np.ones((n, 1)), seg_mdot=np.zeros((n, 1)), seg_thrust=np.zeros((n, 1)),
            seg_exit_area=np.zeros((n, 1)), seg_ref_area=np.zeros((n, 1)), seg_mode=np.full((n, 1), 2, np.int32),
            cd_mach=np.broadcast_to(mach, (n, 1, len(mach))), cd_val=np.broadcast_to(cd, (n, 1, len(cd))),
            azimuth=np.zeros(n), kick=np.zeros(n), pitch_t0=np.zeros(n), pitch_t1=np.zeros(n),
            u_fixed=np.zeros((n, 3)), t_max=tp))
    total = sum(len(tp) for tp in tps)
    out = _run({k: np.concatenate([c[k] for c in coasts], axis=0) for k in coasts[0]}, earth,
               _settings(earth, False)) if total else None
    tracks, start = [], 0
    for (missile, *_), (cuts, states, ilat, ilon, _), tp in zip(keys, rows, tps, strict=True):
        t = cuts
        if len(tp):
            sl = slice(start, start + len(tp))
            start += len(tp)
            keep = ~out["impacted"][sl]
            t = np.concatenate([t, tp[keep]])
            states = np.concatenate([states, out["y"][sl][keep]])
            ilat = np.concatenate([ilat, np.full(keep.sum(), np.nan)])
            ilon = np.concatenate([ilon, np.full(keep.sum(), np.nan)])
        tracks.append(ThreatTrack.from_states(t, states, missile.boost_time_s, earth, ilat, ilon))
    return tracks


def prepare_threats(threats: Sequence[Threat]) -> None:
    """Fly every threat's trajectory and boost track that is not known yet, batched across the
    threats: the min-energy searches of all threats share each round's engine call, then their
    recorded flights, cut-off flights and post-boost coasts one call each (per Earth model). The
    results are those each threat computes alone (same grids, steering and integrator), cached
    for it and for any later threat with the same launch. Target-profile flights (an iterative
    two-parameter search) are flown one by one."""
    from .flight import Steering, _Flyer, _max_range_kicks, _trajectories

    pending: dict = {}
    for th in threats:
        if th.missile is None or th._traj is not None or th.profile != "min-energy":
            continue
        key = (th.missile, th.launch, th.target, th.azimuth_in, th.profile, th.earth)
        if key not in pending and _FLIGHTS.get(key) is None:
            pending[key] = th
    for earth in {k[5] for k in pending}:
        keys = [k for k in pending if k[5] == earth]
        jobs = [(_Flyer(k[0], k[1][0], k[1][1], 0.0, Steering(), earth), _threat_azimuth(k[1], k[2], k[3], earth))
                for k in keys]
        kicks = _max_range_kicks(jobs)
        trajs = _trajectories([(fl, az, kick, "min-energy", {}) for (fl, az), (kick, _) in zip(jobs, kicks, strict=True)])
        for k, traj in zip(keys, trajs, strict=True):
            _FLIGHTS.put(k, traj)
    todo: dict = {}
    for th in threats:
        if th.missile is None or th._track is not None:
            continue
        traj = th.trajectory
        key = (th.missile, th.launch, traj.azimuth_deg, traj.kick_deg, th.sample_s, th.post_boost_s, th.earth,
               th.criterion != "burnout")
        if key not in todo and _TRACKS.get(key) is None:
            todo[key] = th
    for earth in {k[6] for k in todo}:
        keys = [k for k in todo if k[6] == earth]
        for k, tr in zip(keys, _tracks(keys), strict=True):
            _TRACKS.put(k, tr)


# ------------------------------------------------------------------------------------------
# platforms and keep-out zones
# ------------------------------------------------------------------------------------------

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
        sa("lat_deg", check_range("platform lat", self.lat_deg, -90, 90, "deg"))
        sa("lon_deg", check_range("platform lon", self.lon_deg, -360, 360, "deg"))
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
        d = float(np.arccos(np.clip(_unit(*self.base) @ _unit(lat_deg, lon_deg), -1, 1))) * R_SPHERE_M
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
    (allies whose airspace the aircraft may use). Distances from :mod:`boostphase.geography`
    (Natural Earth 1:10m borders, 6371 km sphere).
    """

    countries: tuple[tuple[str, float], ...] = ()
    international_waters_m: float | None = None
    overfly: tuple[str, ...] = ()

    def __post_init__(self):
        from .geography import territory_table

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
        from .geography import distance_to_territory_km, territory, territory_table

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


# ------------------------------------------------------------------------------------------
# engagements (vectorised core)
# ------------------------------------------------------------------------------------------

def _closing_speed(track: ThreatTrack, pos_unit: np.ndarray, x_state: np.ndarray, x_unit: np.ndarray,
                   vr: np.ndarray, vh: np.ndarray) -> np.ndarray:
    """|v_interceptor - v_threat| for interceptors fired from ``pos_unit`` arriving at threat states."""
    lat, lon, _ = track.earth.ecef_to_geodetic(x_state[..., :3])
    _, _, up = track.earth.enu_basis(lat, lon)
    fwd = np.cross(np.cross(pos_unit, x_unit), x_unit)
    nrm = np.linalg.norm(fwd, axis=-1, keepdims=True)
    fwd = np.where(nrm > 1e-12, fwd / np.maximum(nrm, 1e-12), 0.0)
    vi = vr[..., None] * fwd + vh[..., None] * up
    return np.linalg.norm(vi - x_state[..., 3:], axis=-1)


def _earliest(track: ThreatTrack, centres: np.ndarray, table: ReachTable, t_launch: float, t_end: float,
              range_offset_m: float, kv: KillVehicle, chunk: int = 2_000_000, prune: bool = True) -> dict:
    """Earliest intercept from each of ``centres`` (G, 3 unit vectors) within [t_launch, t_end].

    Returns arrays (G,): ``t`` (NaN if none), ``s0``/``s1`` bracketing sample indices and
    ``best_slack`` (the largest t - t_launch - T over the window; exact only with ``prune=False``).
    The (G x samples) slack matrix is built in chunks of centres; no Python loop over centres.
    With ``prune``, (centre, sample) pairs that no interceptor could reach in time even flying
    straight at the fan's top speed are skipped before the table look-up (a lower bound on T)."""
    G = centres.shape[0]
    ts = track.t_s
    i0 = max(int(np.searchsorted(ts, t_launch, side="right")) - 1, 0)
    i1 = int(np.searchsorted(ts, t_end, side="right"))
    out = {"t": np.full(G, np.nan), "s0": np.zeros(G, int), "s1": np.zeros(G, int),
           "best_slack": np.full(G, -np.inf)}
    if i1 - i0 < 1:
        return out
    win = slice(i0, i1)
    tw, uw, hw = ts[win], track.unit[win], track.alt_m[win]
    dt = tw - t_launch
    altok = hw >= kv.min_altitude_m
    ra = R_SPHERE_M + table.launch_alt_m
    rb = R_SPHERE_M + np.maximum(hw, 0.0)
    reach2 = np.where(dt > 0, dt, 0.0) ** 2 * table.top_speed_m_s ** 2
    step = max(1, chunk // max(1, len(tw)))

    def slack_at(c, cosm_rows, cols):
        d = np.arccos(np.clip(cosm_rows, -1.0, 1.0)) * R_SPHERE_M + range_offset_m
        return dt[cols] - table.lookup(d, hw[cols]), d

    for g0 in range(0, G, step):
        c = centres[g0:g0 + step]
        cosm = c @ uw.T
        n = len(c)
        if prune:
            # straight-line distance platform -> threat point; T >= distance / top speed
            cand = (ra * ra + rb * rb - 2.0 * ra * rb * cosm <= reach2[None, :]) & (dt > 0)[None, :]
            ii, jj = np.nonzero(cand)
            slack = np.full(cosm.shape, -np.inf)
            dmat = np.full(cosm.shape, np.nan)
            slack[ii, jj], dmat[ii, jj] = slack_at(c, cosm[ii, jj], jj)
        else:
            jj = np.broadcast_to(np.arange(len(tw)), cosm.shape)
            slack, dmat = slack_at(c, cosm, jj)
        out["best_slack"][g0:g0 + step] = slack.max(axis=1)
        feas = (slack >= 0) & altok[None, :]
        has = feas.any(axis=1)
        first = np.argmax(feas, axis=1)
        rows = np.arange(n)
        # closing speed at the first feasible sample; where too slow, take the next fast-enough one
        if kv.min_closing_speed_m_s > 0 and has.any():
            cl = np.full(n, np.inf)
            hr = rows[has]
            cl[has] = _closing_at(track, c[hr], i0 + first[has], dmat[hr, first[has]], table)
            slow = has & (cl < kv.min_closing_speed_m_s)
            if slow.any():
                si, sj = np.nonzero(feas & slow[:, None])
                _, vr, vh = table.lookup(dmat[si, sj], hw[sj], velocity=True)
                clp = _closing_speed(track, c[si], track.state[i0 + sj], uw[sj], vr, vh)
                feas[si[clp < kv.min_closing_speed_m_s], sj[clp < kv.min_closing_speed_m_s]] = False
                has[slow] = feas[slow].any(axis=1)
                first[slow] = np.argmax(feas[slow], axis=1)
        f1 = first
        f0 = np.maximum(f1 - 1, 0)
        s1v = slack[rows, f1]
        s0v = slack[rows, f0]
        redo = has & (f1 > f0) & ~np.isfinite(s0v)   # pruned: look the sample before up exactly
        if redo.any():
            s0v[redo], _ = slack_at(None, cosm[rows[redo], f0[redo]], f0[redo])
        # between the last infeasible sample and the first feasible one the slack crosses zero
        # (if the earlier sample failed only the closing-speed test, take the feasible sample)
        interp = (f1 > f0) & np.isfinite(s0v) & (s0v < 0) & (s1v > s0v)
        with np.errstate(invalid="ignore"):
            frac = np.where(interp, -s0v / np.where(interp, s1v - s0v, 1.0), 1.0)
        tstar = tw[f0] + (tw[f1] - tw[f0]) * np.clip(frac, 0.0, 1.0)
        # an intercept cannot precede the interceptor's launch
        tstar = np.maximum(tstar, t_launch)
        out["t"][g0:g0 + step] = np.where(has, tstar, np.nan)
        out["s0"][g0:g0 + step] = i0 + f0
        out["s1"][g0:g0 + step] = i0 + f1
    return out


def _closing_at(track: ThreatTrack, c: np.ndarray, s_idx: np.ndarray, d: np.ndarray, table: ReachTable):
    _, vr, vh = table.lookup(d, track.alt_m[s_idx], velocity=True)
    return _closing_speed(track, c, track.state[s_idx], track.unit[s_idx], vr, vh)


@dataclass
class EngagementResult:
    """One (threat, platform) engagement; times in s after the threat's launch."""

    threat: str
    platform: str
    intercept_possible: bool
    intercept_time_s: float | None
    intercept_lat_deg: float | None
    intercept_lon_deg: float | None
    intercept_alt_m: float | None
    interceptor_launch_time_s: float
    interceptor_flyout_s: float | None
    closing_speed_m_s: float | None
    margin_before_burnout_s: float | None
    burnout_time_s: float
    latest_useful_time_s: float
    criterion: str
    ground_range_m: float | None
    phase: str
    reference: str
    method: str = "table"
    shortfall_s: float | None = None   # no intercept: the interceptor is at least this late


    def row(self) -> dict:
        """The CLI's JSON contract (s, km, km/s, deg)."""
        def r(x, k=1.0, nd=3):
            return None if x is None else round(float(x) / k, nd)

        return {
            "threat": self.threat, "platform": self.platform,
            "intercept_possible": self.intercept_possible,
            "intercept_time_s": r(self.intercept_time_s),
            "intercept": {"lat": r(self.intercept_lat_deg, nd=4), "lon": r(self.intercept_lon_deg, nd=4),
                          "alt_km": r(self.intercept_alt_m, 1e3)},
            "margin_before_burnout_s": r(self.margin_before_burnout_s),
            "margin_before_latest_useful_s": r(None if self.intercept_time_s is None
                                               else self.latest_useful_time_s - self.intercept_time_s),
            "interceptor_flyout_s": r(self.interceptor_flyout_s),
            "closing_speed_km_s": r(self.closing_speed_m_s, 1e3),
            "interceptor_launch_time_s": r(self.interceptor_launch_time_s),
            "burnout_time_s": r(self.burnout_time_s),
            "latest_useful_time_s": r(self.latest_useful_time_s),
            "criterion": self.criterion,
            "ground_range_km": r(self.ground_range_m, 1e3),
            "phase": self.phase,
            "platform_reference": self.reference,
            "method": self.method,
            "shortfall_s": r(self.shortfall_s),
        }


class Engagement:
    """One threat against interceptors fired from one platform, after a timeline."""

    def __init__(self, threat: Threat, platform: Platform, interceptor: Interceptor,
                 timeline: Timeline | None = None):
        self.threat, self.platform, self.interceptor = threat, platform, interceptor
        self.timeline = timeline or Timeline()

    def table(self) -> ReachTable:
        return self.interceptor.reach_table(self.platform.altitude_m, self.platform.along_speed_m_s)

    def solve(self, table: ReachTable | None = None, method: str = "table") -> EngagementResult:
        """Earliest intercept, its point, fly-out time, closing speed and margin before burnout.

        The search runs over the boost and the post-boost continuation, so a late intercept shows
        as a negative margin; ``intercept_possible`` requires t* <= the latest useful time."""
        tab = table or self.table()
        tr = self.threat.track
        tl = self.timeline.interceptor_launch_s
        c = _unit(self.platform.lat_deg, self.platform.lon_deg)[None, :]
        kv = self.interceptor.kill_vehicle
        res = _earliest(tr, c, tab, tl, float(tr.t_s[-1]), self.platform.range_offset_m, kv, prune=False)
        t_useful = self.threat.latest_useful_time_s
        t_bo = tr.burnout_time_s
        base = dict(threat=self.threat.name, platform=self.platform.name, interceptor_launch_time_s=tl,
                    burnout_time_s=t_bo, latest_useful_time_s=t_useful, criterion=self.threat.criterion_text,
                    reference=self.platform.reference, method=method)
        ts = float(res["t"][0])
        if not np.isfinite(ts):
            bs = float(res["best_slack"][0])
            base["shortfall_s"] = -bs if np.isfinite(bs) else None
            return EngagementResult(intercept_possible=False, intercept_time_s=None, intercept_lat_deg=None,
                                    intercept_lon_deg=None, intercept_alt_m=None, interceptor_flyout_s=None,
                                    closing_speed_m_s=None, margin_before_burnout_s=None, ground_range_m=None,
                                    phase="none within the window", **base)
        x = tr.state_at(ts)
        la, lo, h = tr.earth.ecef_to_geodetic(x[:3])
        xu = _unit(la, lo)
        d = float(np.arccos(np.clip(c[0] @ xu, -1, 1))) * R_SPHERE_M + self.platform.range_offset_m
        _, vr, vh = tab.lookup(np.array([d]), np.array([float(h)]), velocity=True)
        cl = float(_closing_speed(tr, c[0], x, xu, vr, vh)[0])
        return EngagementResult(
            intercept_possible=bool(ts <= t_useful + 1e-9), intercept_time_s=ts,
            intercept_lat_deg=float(la), intercept_lon_deg=float(lo), intercept_alt_m=float(h),
            interceptor_flyout_s=ts - tl, closing_speed_m_s=cl, margin_before_burnout_s=t_bo - ts,
            ground_range_m=d, phase="boost" if ts <= t_bo + 1e-9 else "post-boost", **base)


def direct_engagement(threat: Threat, platform: Platform, interceptor: Interceptor,
                      timeline: Timeline | None = None, n_shots: int = N_SHOTS) -> EngagementResult:
    """The same engagement with the interceptor flown for *this* platform: a fresh fan of shots
    from the orbit centre on the rotating WGS84 Earth (J2, Coriolis), in the vertical plane toward
    the shared-table solution's intercept point (or the threat's burnout point). An accuracy check
    on the shared table and the baseline of the benchmark's speed ratio."""
    eng = Engagement(threat, platform, interceptor, timeline)
    first = eng.solve()
    if first.intercept_time_s is not None:
        la, lo = first.intercept_lat_deg, first.intercept_lon_deg
    else:
        b = threat.track
        i = int(np.searchsorted(b.t_s, b.burnout_time_s))
        la, lo = float(b.lat_deg[i]), float(b.lon_deg[i])
    _, az = WGS84.distance_azimuth(platform.lat_deg, platform.lon_deg, la, lo)
    tab = build_reach_table(interceptor, platform.altitude_m, platform.along_speed_m_s, lat_deg=platform.lat_deg,
                            lon_deg=platform.lon_deg, azimuth_deg=float(az), earth=WGS84, n_shots=n_shots)
    return eng.solve(table=tab, method="direct (WGS84 fan for this platform)")


# ------------------------------------------------------------------------------------------
# engagement maps, coverage, sensitivity
# ------------------------------------------------------------------------------------------

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
    cu = _unit(glat.ravel(), glon.ravel())
    K = len(threats)
    feas = np.zeros((K, cu.shape[0]), bool)
    marg = np.full((K, cu.shape[0]), np.nan)
    for k, th in enumerate(threats):
        tu = th.latest_useful_time_s
        r = _earliest(th.track, cu, table, timeline.interceptor_launch_s, tu, platform.range_offset_m,
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
    icpt = interceptor or Interceptor.two_stage(5e3)
    plat = platform or Platform(0.0, 0.0, orbit_radius_m=0.0)
    bearings = np.arange(0.0, 360.0, bearing_step_deg)
    dists = np.arange(0.0, max_distance_m + 1.0, distance_step_m)
    rows = []
    prepare_threats(list(threats.values()))
    for name, th in threats.items():
        la0, lo0 = th.launch
        B, D = np.meshgrid(bearings, dists, indexing="ij")
        plat_lat, plat_lon = SPHERE.destination(la0, lo0, B.ravel(), D.ravel())
        cu = _unit(plat_lat, plat_lon)
        tu = th.latest_useful_time_s
        for v in speeds_m_s:
            tab = icpt.with_speed(v).reach_table(plat.altitude_m, plat.along_speed_m_s)
            for dl in delays_s:
                r = _earliest(th.track, cu, tab, float(dl), tu, plat.range_offset_m, icpt.kill_vehicle)
                ok = (np.isfinite(r["t"]) & (r["t"] <= tu + 1e-9)).reshape(B.shape)
                far = np.where(ok, D, -1.0).max(axis=1)          # per bearing
                best = int(np.argmax(far))
                # ring: largest d such that every bearing has a feasible point at distance d
                ring = 0.0
                if ok[:, 0].all():
                    allb = ok.all(axis=0)
                    ring = float(dists[np.argmin(allb) - 1]) if not allb.all() else float(dists[-1])
                rel = (bearings[best] - th.azimuth_deg + 180.0) % 360.0 - 180.0 if np.isfinite(th.azimuth_deg) else None
                rows.append({"threat": name, "burnout_time_s": th.burnout_time_s,
                             "interceptor_burnout_speed_km_s": v / 1e3, "total_delay_s": float(dl),
                             "standoff_best_km": None if far[best] < 0 else float(far[best] / 1e3),
                             "best_bearing_from_threat_azimuth_deg": None if far[best] < 0 or rel is None else float(rel),
                             "standoff_any_bearing_km": ring / 1e3,
                             "actual_burnout_speed_km_s": [tab.burnout_speed_m_s[0] / 1e3, tab.burnout_speed_m_s[1] / 1e3]})
    return rows


# ------------------------------------------------------------------------------------------
# scenario files (pydantic models; units parsed at this boundary)
# ------------------------------------------------------------------------------------------

def _q(unit: str, lo: float | None = None, hi: float | None = None):
    def conv(v, info):
        return quantity(info.field_name or "value", v, unit, lo, hi)
    return BeforeValidator(conv)


Seconds = Annotated[float, _q("s", 0.0, 1e7)]
Meters = Annotated[float, _q("m", 0.0, 5e7)]
Speed = Annotated[float, _q("m/s", 0.0, 3e4)]
Isp = Annotated[float, _q("s", 50.0, 500.0)]
Mass = Annotated[float, _q("kg", 0.0, 1e7)]
Place = str | tuple[float, float]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimelineSpec(_M):
    detection_delay: Seconds = Timeline.detection_delay_s
    decision_time: Seconds = Timeline.decision_time_s
    launch_delay: Seconds = Timeline.launch_delay_s

    def build(self) -> Timeline:
        return Timeline(self.detection_delay, self.decision_time, self.launch_delay)


class KillVehicleSpec(_M):
    divert: Speed = KillVehicle.divert_m_s
    min_closing_speed: Speed = KillVehicle.min_closing_speed_m_s
    min_altitude: Meters = 0.0

    def build(self) -> KillVehicle:
        return KillVehicle(self.divert, self.min_closing_speed, self.min_altitude)


class StageSpec(_M):
    burn_time: Seconds
    delta_v: Speed | None = None
    propellant_mass: Mass | None = None
    dry_mass: Mass | None = None
    isp: Isp = 280.0

    @model_validator(mode="after")
    def _one(self):
        if (self.delta_v is None) == (self.propellant_mass is None or self.dry_mass is None):
            raise InputError("stage", self.model_dump(), "delta_v, or propellant_mass and dry_mass (with isp)")
        return self


class InterceptorSpec(_M):
    name: str = "interceptor"
    burnout_speed: Speed | None = None
    burn_times: list[Seconds] = [20.0, 20.0]
    isp: Isp = 280.0
    stages: list[StageSpec] | None = None
    kill_vehicle_mass: Mass | None = None
    kill_vehicle: KillVehicleSpec = KillVehicleSpec()

    @model_validator(mode="after")
    def _one(self):
        if (self.burnout_speed is None) == (self.stages is None):
            raise InputError("interceptor", "burnout_speed/stages", "exactly one of burnout_speed or [[interceptor.stages]]")
        return self

    def build(self) -> Interceptor:
        kv = self.kill_vehicle.build()
        if self.burnout_speed is not None:
            return Interceptor.two_stage(self.burnout_speed, self.burn_times, self.isp, kv, self.name)
        if all(s.delta_v is not None for s in self.stages):
            return Interceptor(tuple(InterceptorStage(s.burn_time, s.delta_v, s.isp) for s in self.stages), kv, self.name)
        if self.kill_vehicle_mass is None:
            raise InputError("interceptor.kill_vehicle_mass", None, "a mass when stages are given by masses")
        return Interceptor.from_masses([{"propellant_mass_kg": s.propellant_mass, "dry_mass_kg": s.dry_mass,
                                         "isp_s": s.isp, "burn_time_s": s.burn_time} for s in self.stages],
                                       self.kill_vehicle_mass, kv, self.name)


class SiteSpec(_M):
    name: str
    lat: float
    lon: float


class ThreatSpec(_M):
    name: str | None = None
    missile: str
    launch: Place
    target: Place | None = None
    azimuth: float | None = None
    profile: Literal["min-energy", "target"] = "min-energy"
    criterion: str = "burnout"


class ThreatSetSpec(_M):
    missiles: list[str]
    sites: list[Place]
    targets: list[Place]
    profile: Literal["min-energy", "target"] = "min-energy"
    criterion: str = "burnout"


class PlatformDefaults(_M):
    altitude: Meters = Platform.altitude_m
    orbit_radius: Meters = Platform.orbit_radius_m
    speed: Speed = Platform.speed_m_s
    endurance: Seconds = Platform.endurance_s
    transit: Seconds = Platform.transit_s
    turnaround: Seconds = Platform.turnaround_s
    interceptors: int = Platform.interceptors
    salvo: int = Platform.salvo
    reference: Literal["worst-point", "centre"] = "worst-point"
    base: Place | None = None


class PlatformSpec(_M):
    name: str | None = None
    centre: tuple[float, float]
    altitude: Meters | None = None
    orbit_radius: Meters | None = None
    speed: Speed | None = None
    endurance: Seconds | None = None
    transit: Seconds | None = None
    reference: Literal["worst-point", "centre"] | None = None


class KeepOutCountry(_M):
    country: str
    distance: Meters


class KeepOutSpec(_M):
    international_waters: Meters | None = None
    countries: list[KeepOutCountry] = []
    overfly: list[str] = []

    def build(self) -> KeepOut:
        return KeepOut(tuple((c.country, c.distance) for c in self.countries), self.international_waters,
                       tuple(self.overfly))


class MapSpec(_M):
    lat: tuple[float, float]
    lon: tuple[float, float]
    n_lat: int = 100
    n_lon: int = 100


class SensitivitySpec(_M):
    speeds: list[Speed] = [3e3, 4e3, 5e3, 6e3, 7e3, 8e3]
    delays: list[Seconds] = [30.0, 60.0, 90.0, 120.0]
    missiles: list[str] = ["generic-liquid-icbm", "generic-solid-icbm"]
    site: Place = (39.0, 125.7)
    target: Place = "Chicago"
    bearing_step_deg: float = 10.0
    max_distance: Meters = 3.0e6
    distance_step: Meters = 10e3


class Scenario(_M):
    """A shareable engagement scenario (TOML): see ``examples/c4_*.toml``."""

    title: str = ""
    timeline: TimelineSpec = TimelineSpec()
    interceptor: InterceptorSpec = InterceptorSpec(burnout_speed=5e3)
    sites: list[SiteSpec] = []
    threats: list[ThreatSpec] = []
    threat_sets: list[ThreatSetSpec] = []
    platform_defaults: PlatformDefaults = PlatformDefaults()
    platforms: list[PlatformSpec] = []
    keep_out: KeepOutSpec | None = None
    map: MapSpec | None = None
    sensitivity: SensitivitySpec | None = None

    def build(self) -> ScenarioObjects:
        """Domain objects (threats fly lazily; platforms are checked against the keep-out zones)."""
        sites = {s.name.strip().lower(): (check_range(f"site {s.name} lat", s.lat, -90, 90, "deg"),
                                          check_range(f"site {s.name} lon", s.lon, -360, 360, "deg"))
                 for s in self.sites}
        site_names = {s.name.strip().lower(): s.name for s in self.sites}

        def place(field_: str, p, allow_city: bool) -> tuple[tuple[float, float], str]:
            if isinstance(p, tuple):
                return (check_range(f"{field_} lat", p[0], -90, 90, "deg"),
                        check_range(f"{field_} lon", p[1], -360, 360, "deg")), f"{p[0]:.2f},{p[1]:.2f}"
            key = p.strip().lower()
            if key in sites:
                return sites[key], site_names[key]
            if allow_city:
                from .geography import find_city

                c = find_city(p)
                return (c.lat_deg, c.lon_deg), c.name
            raise InputError(field_, p, "a [[sites]] name or [lat, lon]" + (" or a city" if allow_city else ""))

        threats = []
        for i, t in enumerate(self.threats):
            la, ln = place(f"threats[{i}].launch", t.launch, False)
            tg, tn = place(f"threats[{i}].target", t.target, True) if t.target is not None else (None, "")
            threats.append(Threat(t.missile, *la, target=tg, azimuth_deg=t.azimuth, profile=t.profile,
                                  criterion=t.criterion, name=t.name or f"{t.missile} {ln} -> {tn or t.azimuth}"))
        for i, s in enumerate(self.threat_sets):
            for m in s.missiles:
                for site in s.sites:
                    la, ln = place(f"threat_sets[{i}].sites", site, False)
                    for tgt in s.targets:
                        tg, tn = place(f"threat_sets[{i}].targets", tgt, True)
                        threats.append(Threat(m, *la, target=tg, profile=s.profile, criterion=s.criterion,
                                              name=f"{m} {ln} -> {tn}"))
        d = self.platform_defaults
        base = None if d.base is None else place("platform_defaults.base", d.base, True)[0]
        template = Platform(0.0, 0.0, d.altitude, d.orbit_radius, d.speed, d.endurance, d.transit, d.turnaround,
                            d.interceptors, d.salvo, d.reference, "template", base)
        ko = self.keep_out.build() if self.keep_out is not None else KeepOut()
        platforms = []
        from dataclasses import replace

        for i, p in enumerate(self.platforms):
            kw = {k: v for k, v in dict(altitude_m=p.altitude, orbit_radius_m=p.orbit_radius, speed_m_s=p.speed,
                                         endurance_s=p.endurance, transit_s=p.transit, reference=p.reference).items()
                  if v is not None}
            pl = replace(template, lat_deg=p.centre[0], lon_deg=p.centre[1], name=p.name or f"platforms[{i}]", **kw)
            ko.check(pl)
            platforms.append(pl)
        return ScenarioObjects(self.title, self.timeline.build(), self.interceptor.build(), threats, platforms,
                               template, ko, self.map, self.sensitivity, place)


@dataclass
class ScenarioObjects:
    """A built scenario: the domain objects every surface (Python, CLI, web) works on."""

    title: str
    timeline: Timeline
    interceptor: Interceptor
    threats: list[Threat]
    platforms: list[Platform]
    platform_template: Platform
    keep_out: KeepOut
    map_spec: MapSpec | None
    sensitivity_spec: SensitivitySpec | None
    _place: object = field(repr=False, default=None)

    def engagements(self) -> list[EngagementResult]:
        """Every (threat, platform) pair, threats outer."""
        prepare_threats(self.threats)
        return [Engagement(t, p, self.interceptor, self.timeline).solve() for t in self.threats for p in self.platforms]

    def engagement_map(self) -> EngagementMap:
        if self.map_spec is None:
            raise InputError("map", None, "a [map] table with lat = [lo, hi] and lon = [lo, hi]")
        if not self.threats:
            raise InputError("threats", 0, "at least one threat ([[threats]] or [[threat_sets]])")
        m = self.map_spec
        return engagement_map(self.threats, self.interceptor, self.timeline, self.platform_template, m.lat, m.lon,
                              m.n_lat, m.n_lon, self.keep_out)

    def sensitivity(self) -> list[dict]:
        s = self.sensitivity_spec or SensitivitySpec()
        (la, lo), _ = self._place("sensitivity.site", s.site, False)
        tg, tn = self._place("sensitivity.target", s.target, True)
        ths = {m: Threat(m, la, lo, target=tg, name=f"{m} -> {tn}") for m in s.missiles}
        from dataclasses import replace

        plat = replace(self.platform_template, orbit_radius_m=0.0)
        return sensitivity_table(ths, s.speeds, s.delays, self.interceptor, plat, s.bearing_step_deg,
                                 s.max_distance, s.distance_step)


def _validation_to_input_error(e: ValidationError, where: str) -> InputError:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err["loc"]) or where
    orig = (err.get("ctx") or {}).get("error")
    if isinstance(orig, InputError):
        return InputError(f"{where}: {loc}", orig.value, orig.allowed, orig.hint)
    if err["type"] == "extra_forbidden":
        return InputError(f"{where}: {loc}", err.get("input"), "a known key (unknown key; check its spelling)")
    if err["type"] == "missing":
        return InputError(f"{where}: {loc}", None, "a value (required)")
    return InputError(f"{where}: {loc}", err.get("input"), err["msg"])


def parse_scenario(data: dict, where: str = "scenario") -> Scenario:
    """Validate a scenario mapping (e.g. parsed TOML); InputError names the first bad field."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise _validation_to_input_error(e, where) from None


def load_scenario(path) -> Scenario:
    """Read and validate a scenario TOML file."""
    from pathlib import Path

    from .scenario.files import load_toml

    data = load_toml("scenario", path)
    _resolve_vehicle_files(data, Path(path).parent)
    return parse_scenario(data, Path(path).name)


def _resolve_vehicle_files(data: dict, base_dir) -> None:
    """Vehicle files named relative to the scenario file become absolute paths (in place)."""
    from .vehicles import resolve_vehicle_ref

    for t in data.get("threats") or []:
        if isinstance(t, dict) and "missile" in t:
            t["missile"] = resolve_vehicle_ref(t["missile"], base_dir)
    tables = [*(data.get("threat_sets") or []), data.get("sensitivity")]
    for t in tables:
        if isinstance(t, dict) and isinstance(t.get("missiles"), list):
            t["missiles"] = [resolve_vehicle_ref(m, base_dir) for m in t["missiles"]]
