"""Flight: ballistic coasts and multi-stage missile flyouts over a rotating WGS84 (or spherical) Earth.

Two entry points, both batched on the engine in :mod:`boostphase.engine`:

* :func:`coast` — free ballistic bodies from given states, in vacuum or with drag
  (ballistic coefficient beta = m / (Cd A), kg/m^2). Debris, payloads after thrust
  termination and test reconstructions use it.
* :func:`fly` — a :class:`~boostphase.models.vehicles.Missile` launched from a point: vertical rise,
  a pitch-over to a kick angle, then a gravity turn through every stage; staging, shroud
  drop, burnout, apogee and impact are events. Profiles: ``min-energy`` (the kick that
  maximises range on the azimuth), ``lofted`` / ``depressed`` (the kick that reaches a given
  apogee, above / below the min-energy one), ``target`` (azimuth and kick solved so the
  impact lands on a point; lofted-side solution).

SI units inside; degrees only where a name says ``_deg``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, check_range
from ..limits import AZIMUTH_DEG, FLIGHT_PATH_DEG, LAT_DEG, LON_DEG, SPEED_M_S, START_ALT_M
from ..models.constants import EARTH_MU_M3_S2, G0
from ..models.earth import WGS84, Earth
from .trajectory import CoastResult, Trajectory, no_impact_reasons

_K_CD = 16  # Cd(Mach) table length in the engine (tables are padded to this)


# ------------------------------------------------------------------------------------------
# engine plumbing
# ------------------------------------------------------------------------------------------

def _settings(earth: Earth, drag: bool, n_rec: int = 1, rtol: float = 1e-10, **kw):
    from ..engine import Settings

    return Settings(spherical=earth.spherical, drag=drag, n_rec=n_rec, rtol=rtol, **kw)


def _atm_table():
    from ..models import atmosphere

    global _ATM
    try:
        return _ATM
    except NameError:
        _ATM = atmosphere.kernel_table()
        return _ATM


# The C engine's result for a case depends only on that case's inputs (bit-identical whatever
# batch, position, thread count or instruction set: tests/test_engine.py), so batches need no
# padding or guard lanes. COAST_BLOCK is kept as the batch size the split tests use.
COAST_BLOCK = 512
PROGRESS_CHUNK = 8192  # cases per engine call when a progress callback is given


def engine_threads() -> int:
    """Engine calls run on this many threads (the C engine releases the GIL and shares one
    queue of cases between them). BOOSTPHASE_THREADS overrides; default: the CPU cores this
    process may use."""
    env = os.environ.get("BOOSTPHASE_THREADS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise InputError("BOOSTPHASE_THREADS", env, "a whole number >= 1") from None
    from ..engine import default_threads

    return default_threads()


def _run(arrays: dict, earth: Earth, settings, progress: Callable[[int], None] | None = None,
         block: int | None = None):
    """Integrate cases given as NumPy arrays with a leading batch axis (the fields of
    :class:`boostphase.engine.Case`); returns the fields of :class:`boostphase.engine.Result`
    as a dict of NumPy arrays. One :func:`boostphase.engine.integrate` call on
    :func:`engine_threads` threads, or calls of PROGRESS_CHUNK cases with ``progress`` (called
    with the number of cases done after each). ``block`` is accepted for compatibility and
    changes nothing: no case's result depends on how the batch is split."""
    from ..engine import Case, integrate

    n = arrays["y0"].shape[0]
    consts = earth.kernel_constants()
    atm = _atm_table() if settings.drag else None
    fall_tab = _fall_table() if settings.terminal_fall else None
    step = PROGRESS_CHUNK if progress is not None else max(n, 1)
    outs = []
    for s in range(0, max(n, 1), step):
        e = min(n, s + step)
        res = integrate(Case(**{k: v[s:e] for k, v in arrays.items()}), consts, atm, settings, fall_tab,
                        threads=engine_threads())
        outs.append(res._asdict())
        if progress is not None:
            progress(e - s)
    if len(outs) == 1:
        return outs[0]
    return {k: np.concatenate([o[k] for o in outs], axis=0) for k in outs[0]}


def engine_settings(earth: Earth, drag: bool, n_rec: int = 1, rtol: float = 1e-10, **kw):
    """The :class:`boostphase.engine.Settings` for flights over ``earth`` (public name for the
    domain modules; ``kw``: any other Settings field)."""
    return _settings(earth, drag, n_rec=n_rec, rtol=rtol, **kw)


def run_cases(arrays: dict, earth: Earth, settings, progress: Callable[[int], None] | None = None) -> dict:
    """Fly engine cases (the fields of :class:`boostphase.engine.Case` as NumPy arrays with a
    leading batch axis) over ``earth``; the fields of :class:`boostphase.engine.Result` as a
    dict of NumPy arrays. The public way for the domain modules to reach the engine."""
    return _run(arrays, earth, settings, progress)


def flyout_cases(missile, lat, lon, alt, az_deg, kicks_deg, steering, t_max_s: float, earth: Earth,
                 cutoffs_s=None, cutoff_beta_kg_m2: float | None = None):
    """Engine cases for a batch of flyouts of one missile (see ``_flyout_arrays``): (arrays,
    burnout time (s), index of the segment that ends with the last thrust, per case)."""
    return _flyout_arrays(missile, lat, lon, alt, az_deg, kicks_deg, steering, t_max_s, earth, cutoffs_s,
                          cutoff_beta_kg_m2)


def _fall_table():
    from ..models import atmosphere

    global _FALL
    try:
        return _FALL
    except NameError:
        _FALL = atmosphere.fall_table()
        return _FALL


def cd_table(cd_mach) -> tuple[np.ndarray, np.ndarray]:
    mach, cd = (np.asarray(cd_mach[0], float), np.asarray(cd_mach[1], float))
    if len(mach) > _K_CD:
        raise InputError("cd_mach", len(mach), f"at most {_K_CD} Mach points")
    pad = _K_CD - len(mach)
    # pad with strictly increasing Mach points far beyond the table (flat extrapolation)
    mach = np.concatenate([mach, mach[-1] + 1e3 * np.arange(1, pad + 1)])
    cd = np.concatenate([cd, np.full(pad, cd[-1])])
    return mach, cd


# ------------------------------------------------------------------------------------------
# coast
# ------------------------------------------------------------------------------------------

def coast_states(r0_m, v0_m_s, beta_kg_m2=None, earth: Earth = WGS84, t_max_s: float = 2.0e5,
                 rtol: float = 1e-10, progress=None, terminal_fall: bool = False):
    """Coast from Earth-fixed states r0 (N,3) m, v0 (N,3) m/s; returns the raw engine arrays.

    ``terminal_fall``: end slow falls (terminal speed <= 100 m/s) with the quasi-steady fall
    model of :func:`boostphase.engine.kernel._terminal_fall` instead of stepping them down
    (under a metre in the impact point and ~0.5 % in the fall time, measured; several times
    fewer steps for light debris).
    """
    r0 = np.atleast_2d(np.asarray(r0_m, float))
    v0 = np.atleast_2d(np.asarray(v0_m_s, float))
    n = r0.shape[0]
    beta = np.full(n, np.nan) if beta_kg_m2 is None else np.broadcast_to(
        np.asarray(beta_kg_m2, float), (n,)).copy()
    has_drag = bool(np.any(np.isfinite(beta)))
    vac = ~np.isfinite(beta)
    mass = np.where(vac, 1.0, beta)
    mach, cd = cd_table(((0.0, 1.0), (1.0, 1.0)))
    arrays = dict(
        y0=np.concatenate([r0, v0], axis=1), t0=np.zeros(n),
        seg_t_end=np.full((n, 1), 1e30), seg_m0=mass[:, None], seg_mdot=np.zeros((n, 1)),
        seg_thrust=np.zeros((n, 1)), seg_exit_area=np.zeros((n, 1)),
        seg_ref_area=np.where(vac, 0.0, 1.0)[:, None], seg_mode=np.full((n, 1), 2, dtype=np.int32),
        cd_mach=np.broadcast_to(mach, (n, 1, _K_CD)), cd_val=np.broadcast_to(cd, (n, 1, _K_CD)),
        azimuth=np.zeros(n), kick=np.zeros(n), pitch_t0=np.zeros(n), pitch_t1=np.zeros(n),
        u_fixed=np.zeros((n, 3)), t_max=np.full(n, t_max_s),
    )
    settings = _settings(earth, has_drag, rtol=rtol, powered=False, constant_cd=True,
                         terminal_fall=bool(terminal_fall and has_drag))
    return _run(arrays, earth, settings, progress, block=COAST_BLOCK)


def coast(lat_deg, lon_deg, alt_m, speed_m_s, flight_path_deg, azimuth_deg, beta_kg_m2=None,
          earth: Earth = WGS84, t_max_s: float = 2.0e5, rtol: float = 1e-10,
          progress=None) -> CoastResult:
    """Fly free ballistic bodies to the ground (geodetic altitude 0).

    Inputs broadcast against each other: geodetic start point (deg, m), speed relative to the
    ground (m/s), flight-path angle above the local horizontal (deg), azimuth clockwise from
    north (deg), and ballistic coefficient beta (kg/m^2; None or NaN = vacuum).
    """
    lat, lon, alt, spd, fpa, az = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, float)) for x in (
        lat_deg, lon_deg, alt_m, speed_m_s, flight_path_deg, azimuth_deg)))
    LAT_DEG.check_array("lat", lat)
    LON_DEG.check_array("lon", lon)
    START_ALT_M.check_array("alt_m", alt)
    SPEED_M_S.check_array("speed_m_s", spd)
    FLIGHT_PATH_DEG.check_array("flight_path_deg", fpa)
    AZIMUTH_DEG.check_array("azimuth_deg", az)
    if beta_kg_m2 is not None:
        b = np.asarray(beta_kg_m2, float)
        bad = (np.isfinite(b) & (b <= 0)) | np.isinf(b)
        if np.any(bad):
            raise InputError("beta_kg_m2", float(b[bad].flat[0]), "> 0 kg/m^2 (or empty for vacuum)")
    r0, v0 = earth.state_from_local(lat, lon, alt, spd, fpa, az)
    out = coast_states(r0, v0, beta_kg_m2, earth, t_max_s, rtol, progress)
    ilat, ilon, _ = earth.ecef_to_geodetic(out["y"][:, :3])
    rng, _ = earth.distance_azimuth(lat, lon, ilat, ilon)
    hit = np.asarray(out["impacted"], bool)
    nan = np.where(hit, 0.0, np.nan)  # + nan: NaN where the case did not impact
    return CoastResult(
        impact_lat_deg=np.asarray(ilat) + nan, impact_lon_deg=np.asarray(ilon) + nan,
        range_m=np.asarray(rng) + nan, apogee_m=out["apogee_alt"], flight_time_s=out["t"] + nan,
        impact_speed_m_s=np.linalg.norm(out["y"][:, 3:], axis=1) + nan,
        impacted=hit, n_steps=out["n_steps"],
        reason=tuple(no_impact_reasons(out["y"][:, :3], out["y"][:, 3:], hit, earth, t_max_s)))


def check_array(field: str, arr, lo, hi, unit: str):
    """InputError naming the first out-of-range value of an array field."""
    a = np.asarray(arr, float)
    bad = ~((a >= lo) & (a <= hi))
    if np.any(bad):
        check_range(field, float(a[bad].flat[0]), lo, hi, unit)


# ------------------------------------------------------------------------------------------
# missile flyout
# ------------------------------------------------------------------------------------------

PITCHOVER_SPEED_M_S = 50.0  # speed at the end of the default vertical rise


@dataclass(frozen=True)
class Steering:
    """Open-loop steering of a flyout: vertical rise, pitch-over to ``kick_deg`` from vertical, then
    either a gravity turn (``law="gravity-turn"``: thrust along the air-relative velocity) or a held
    elevation (``law="pitch-hold"``, Forden 2007's program: pitch over at ``pitch_rate_deg_s`` and
    hold the angle to the local horizontal until burnout).

    Defaults: the vertical rise lasts until the missile would reach ``PITCHOVER_SPEED_M_S`` under
    its sea-level thrust-to-weight ratio (bounded to 4-30 s), so a heavy, low-thrust vehicle is not
    tipped over while still slow (a gravity turn from a low speed collapses); the gravity-turn
    pitch-over lasts 8 % of the first stage's burn (bounded 5-15 s). Pitch-hold: kick / rate.
    """

    kick_deg: float = 0.0
    vertical_rise_s: float | None = None
    pitchover_s: float | None = None
    law: str = "gravity-turn"
    pitch_rate_deg_s: float = 1.0

    def resolved(self, missile, kick_deg: float | None = None) -> tuple[float, float]:
        """(vertical rise, pitch-over duration) in seconds."""
        b1 = missile.stages[0].burn_time_s
        if self.vertical_rise_s is not None:
            tv = self.vertical_rise_s
        else:
            accel = G0 * (missile.stages[0].thrust_sl_n / (missile.launch_mass_kg * G0) - 1.0)
            tv = min(30.0, max(4.0, PITCHOVER_SPEED_M_S / accel)) if accel > 0 else 30.0
        if self.law == "pitch-hold":
            k = self.kick_deg if kick_deg is None else kick_deg
            return tv, max(abs(k), 1e-3) / self.pitch_rate_deg_s
        tp = self.pitchover_s if self.pitchover_s is not None else min(15.0, max(5.0, 0.08 * b1))
        return tv, tp


def _schedule(missile, vertical_s: float, pitch_s: float, hold: bool = False,
              cutoff_s: float | None = None, cutoff_beta_kg_m2: float | None = None):
    """Segments for the engine: list of dicts (t_end, m0, mdot, thrust, exit_area, ref_area, mode, cd).

    ``cutoff_s``: thrust stops at that time (e.g. an intercept or thrust termination) and the
    payload flies on alone with ballistic coefficient ``cutoff_beta_kg_m2`` (None: vacuum).
    """
    stages = missile.stages
    ign, bo = [], []
    t = 0.0
    for st in stages:
        t += st.coast_before_s
        ign.append(t)
        t += st.burn_time_s
        bo.append(t)
    t_bo = bo[-1]
    sep = missile.payload_beta_kg_m2 is not None
    ts = missile.shroud_drop_time_s if missile.shroud_mass_kg > 0 else None

    def mass_after(tt: float) -> float:
        m = missile.payload_kg
        if ts is not None and tt < ts:
            m += missile.shroud_mass_kg
        for j, st in enumerate(stages):
            last = j == len(stages) - 1
            if tt < bo[j]:
                m += st.dry_mass_kg + st.propellant_mass_kg - st.mass_flow_kg_s * max(0.0, tt - ign[j])
            elif last and not sep:
                m += st.dry_mass_kg
        return m

    cuts = {vertical_s, vertical_s + pitch_s, *ign[1:], *bo}
    if ts is not None:
        cuts.add(ts)
    if cutoff_s is not None and cutoff_s < t_bo:
        cuts = {c for c in cuts if c < cutoff_s} | {cutoff_s}
    else:
        cutoff_s = None
    cuts = sorted(c for c in cuts if 0.0 < c)
    segs = []
    t_a = 0.0
    for t_b in [*cuts, 1e30]:
        if t_b <= t_a:
            continue
        mid = 0.5 * (t_a + min(t_b, t_a + 1.0))
        burning = [j for j in range(len(stages)) if ign[j] <= mid < bo[j]]
        attached = [j for j in range(len(stages)) if mid < bo[j]]
        if burning:
            st = stages[burning[0]]
            mdot, thrust, exit_area = st.mass_flow_kg_s, st.thrust_vac_n, st.exit_area_m2()
        else:
            mdot = thrust = exit_area = 0.0
        if attached:
            low = stages[attached[0]]
            ref, cd = low.reference_area_m2, low.cd_mach
        elif sep:
            ref, cd = missile.payload_kg / missile.payload_beta_kg_m2, ((0.0, 1.0), (1.0, 1.0))
        else:
            ref, cd = stages[-1].reference_area_m2, stages[-1].cd_mach
        mode = 0 if mid < vertical_s else (1 if mid < vertical_s + pitch_s else (3 if hold and burning else 2))
        m0 = mass_after(t_a)
        if cutoff_s is not None and t_a >= cutoff_s:  # the payload alone after thrust termination
            mdot = thrust = exit_area = 0.0
            m0, mode = missile.payload_kg, 2
            if cutoff_beta_kg_m2 is None:
                ref, cd = 0.0, ((0.0, 1.0), (1.0, 1.0))
            else:
                ref, cd = missile.payload_kg / cutoff_beta_kg_m2, ((0.0, 1.0), (1.0, 1.0))
        segs.append(dict(t_end=t_b, m0=m0, mdot=mdot, thrust=thrust, exit_area=exit_area,
                         ref_area=ref, mode=mode, cd=cd))
        t_a = t_b
    return segs, t_bo, ign, bo


S_MAX = 16  # segments are padded to this count so every missile shares one compiled kernel


def _flyout_arrays(missile, lat, lon, alt, az_deg, kicks_deg, steering: Steering, t_max_s: float,
                   earth: Earth, cutoffs_s=None, cutoff_beta_kg_m2: float | None = None):
    """Engine arrays for a batch of flyouts of one missile differing in azimuth, kick and
    (optionally) thrust cut-off time. ``bo_index`` is the segment that ends with the last thrust."""
    if cutoffs_s is None:
        az_deg, kicks_deg = np.broadcast_arrays(np.atleast_1d(np.asarray(az_deg, float)),
                                                np.atleast_1d(np.asarray(kicks_deg, float)))
    else:
        az_deg, kicks_deg, cutoffs_s = np.broadcast_arrays(np.atleast_1d(np.asarray(az_deg, float)),
                                                           np.atleast_1d(np.asarray(kicks_deg, float)),
                                                           np.atleast_1d(np.asarray(cutoffs_s, float)))
    n = az_deg.shape[0]
    r0, v0 = earth.state_from_local(np.full(n, lat), np.full(n, lon), np.full(n, alt),
                                    np.zeros(n), np.full(n, 90.0), az_deg)
    hold = steering.law == "pitch-hold"
    keys = ("t_end", "m0", "mdot", "thrust", "exit_area", "ref_area", "mode")
    cols = {k: np.zeros((n, S_MAX)) for k in keys}
    cdm = np.zeros((n, S_MAX, _K_CD))
    cdv = np.zeros((n, S_MAX, _K_CD))
    bo_index = np.zeros(n, dtype=int)
    pitch_t0, pitch_t1 = np.zeros(n), np.zeros(n)
    # one schedule per distinct (kick, cut-off): the kick only shapes it under pitch-hold
    kick_key = kicks_deg if hold else np.zeros(n)
    cut_key = np.full(n, -1.0) if cutoffs_s is None else cutoffs_s  # -1: no cut-off
    uniq, inverse = np.unique(np.stack([kick_key, cut_key], axis=1), axis=0, return_inverse=True)
    order = np.argsort(inverse.reshape(-1), kind="stable")
    groups = np.split(order, np.cumsum(np.bincount(inverse.reshape(-1), minlength=len(uniq)))[:-1])
    t_bo = None
    cd_cache: dict = {}  # id -> (table, padded table); the table is kept so its id stays unique
    for (kick, cut), rows in zip(uniq, groups, strict=True):
        tv, tp = steering.resolved(missile, float(kick))
        segs, t_bo, _, _ = _schedule(missile, tv, tp, hold, None if cut == -1.0 else float(cut),
                                     cutoff_beta_kg_m2)
        if len(segs) > S_MAX:
            raise InputError("stages", len(missile.stages), f"a schedule of at most {S_MAX} segments")
        segs = segs + [segs[-1]] * (S_MAX - len(segs))  # padding: never reached (t_end = 1e30)
        tabs = []
        for sg in segs:  # padded tables by identity: schedules share their stages' tables
            if id(sg["cd"]) not in cd_cache:
                cd_cache[id(sg["cd"])] = (sg["cd"], cd_table(sg["cd"]))
            tabs.append(cd_cache[id(sg["cd"])][1])
        for k in keys:
            cols[k][rows] = [sg[k] for sg in segs]
        cdm[rows] = [t[0] for t in tabs]
        cdv[rows] = [t[1] for t in tabs]
        bo_index[rows] = max(j for j, sg in enumerate(segs) if sg["thrust"] > 0)
        pitch_t0[rows], pitch_t1[rows] = tv, tv + tp
    kr = np.radians(kicks_deg)
    azr = np.radians(az_deg)
    u_fixed = np.stack([np.sin(kr) * np.sin(azr), np.sin(kr) * np.cos(azr), np.cos(kr)], axis=1)
    arrays = dict(
        y0=np.concatenate([r0, v0], axis=1), t0=np.zeros(n), seg_t_end=cols["t_end"],
        seg_m0=cols["m0"], seg_mdot=cols["mdot"], seg_thrust=cols["thrust"], seg_exit_area=cols["exit_area"],
        seg_ref_area=cols["ref_area"], seg_mode=cols["mode"].astype(np.int32),
        cd_mach=cdm, cd_val=cdv, azimuth=azr, kick=kr, pitch_t0=pitch_t0, pitch_t1=pitch_t1,
        u_fixed=u_fixed, t_max=np.full(n, t_max_s))
    return arrays, t_bo, bo_index


def _run_flyers(jobs, n_rec: int = 1) -> list[dict]:
    """Fly several (flyer, azimuths, kicks) jobs in one batched engine call (the flyers share
    their Earth and tolerance); one output dict per job, with ranges and impact points."""
    f0 = jobs[0][0]
    parts = []
    for fl, az, kicks in jobs:
        arrays, t_bo, bo = _flyout_arrays(fl.missile, fl.lat, fl.lon, fl.alt, az, kicks, fl.steering, fl.t_max,
                                          fl.earth)
        parts.append((arrays, t_bo, bo))
    merged = {k: np.concatenate([p[0][k] for p in parts], axis=0) for k in parts[0][0]}
    out = _run(merged, f0.earth, _settings(f0.earth, True, n_rec=n_rec, rtol=f0.rtol))
    res, start = [], 0
    for (fl, az, _), (_arrays, t_bo, bo_index) in zip(jobs, parts, strict=True):
        stop = start + len(bo_index)
        o = {k: v[start:stop] for k, v in out.items()}
        start = stop
        ilat, ilon, _ = fl.earth.ecef_to_geodetic(o["y"][:, :3])
        rng, az_imp = fl.earth.distance_azimuth(fl.lat, fl.lon, ilat, ilon)
        o["range_m"] = np.where(o["impacted"], rng, np.nan)
        # signed distance along the launch azimuth: a steep flight that Coriolis drifts back
        # behind the launch point counts negative (monotonic in the kick, unlike the distance)
        o["downrange_m"] = o["range_m"] * np.cos(np.radians(az_imp - np.asarray(az, float)))
        o["impact_az_deg"] = az_imp
        o["impact_lat"], o["impact_lon"] = ilat, ilon
        o["t_bo"], o["bo_index"] = t_bo, bo_index
        o["burnout_state"] = o["seg_state"][np.arange(len(bo_index)), bo_index, 1:]
        res.append(o)
    return res


def max_range_kicks(jobs) -> list[tuple[float, float]]:
    """(kick_deg, range_m) of the minimum-energy (maximum-range) trajectory of each (flyer,
    azimuth) job: four rounds of 32 kicks each, every round of every job in one engine call."""
    kicks = [np.geomspace(0.05, 70.0, 32) for _ in jobs]
    best: list = [None] * len(jobs)
    active = list(range(len(jobs)))
    for it in range(4):
        outs = _run_flyers([(jobs[j][0], jobs[j][1], kicks[j]) for j in active])
        still = []
        for j, out in zip(active, outs, strict=True):
            k = kicks[j]
            if it == 0 and not out["impacted"].all():
                # some steering puts the payload in orbit: the reach is global
                i = int(np.argmin(out["impacted"]))
                best[j] = (float(k[i]), float("inf"))
                continue
            r = np.nan_to_num(out["range_m"], nan=-1.0)
            i = int(np.argmax(r))
            best[j] = (float(k[i]), float(r[i]))
            kicks[j] = np.linspace(k[max(i - 1, 0)], k[min(i + 1, len(k) - 1)], 32)
            still.append(j)
        active = still
        if not active:
            break
    return best


def fly_trajectories(jobs) -> list[Trajectory]:
    """Recorded flights of (flyer, azimuth, kick, profile, extra) jobs, in one engine call."""
    outs = _run_flyers([(fl, az, kick) for fl, az, kick, _, _ in jobs], n_rec=8192)
    trajs = []
    for (fl, az, kick, profile, extra), out in zip(jobs, outs, strict=True):
        n = int(out["n_rec"][0])
        rec = out["rec"][0, :n]
        tv, tp = fl.steering.resolved(fl.missile, kick)
        _, t_bo, ign, bo = _schedule(fl.missile, tv, tp)
        trajs.append(Trajectory(
            missile=fl.missile, earth=fl.earth, launch_lat_deg=fl.lat, launch_lon_deg=fl.lon,
            azimuth_deg=float(az), kick_deg=float(kick), profile=profile,
            t_s=rec[:, 0], state=rec[:, 1:], burnout_time_s=t_bo,
            burnout_state=out["burnout_state"][0], stage_burnout_times_s=bo,
            apogee_m=float(out["apogee_alt"][0]), apogee_time_s=float(out["apogee_t"][0]),
            impacted=bool(out["impacted"][0]), extra=extra or {}, t_max_s=fl.t_max))
    return trajs


class Flyer:
    """Batched flyouts of one missile from one site (the unit the profile searches work on)."""

    def __init__(self, missile, lat, lon, alt_m, steering: Steering, earth: Earth, t_max_s=2.0e4,
                 rtol: float = 1e-10):
        self.missile, self.lat, self.lon, self.alt = missile, lat, lon, alt_m
        self.steering, self.earth, self.t_max, self.rtol = steering, earth, t_max_s, rtol

    def run(self, az_deg, kicks_deg, n_rec: int = 1):
        return _run_flyers([(self, az_deg, kicks_deg)], n_rec)[0]

    def trajectory(self, az_deg: float, kick_deg: float, profile: str, extra=None) -> Trajectory:
        return fly_trajectories([(self, az_deg, kick_deg, profile, extra)])[0]

    # --- profile searches (each a few batched engine calls) -------------------------------
    def max_range_kick(self, az_deg: float) -> tuple[float, float]:
        """(kick_deg, range_m) of the minimum-energy (maximum-range) trajectory on this azimuth."""
        return max_range_kicks([(self, az_deg)])[0]

    def _solve_kick(self, az_deg: float, lo: float, hi: float, key: str, value: float, pick: str,
                    n_first: int = 32):
        """Kick (deg) in [lo, hi] where ``out[key]`` crosses ``value`` (the first or last
        crossing), by three rounds of batched brackets (``n_first`` cases, then 32) and a final
        secant; None if none."""
        kicks = np.geomspace(lo, hi, n_first)
        for _ in range(3):
            out = self.run(az_deg, kicks)
            f = np.nan_to_num(out[key], nan=-1e30) - value
            idx = np.nonzero(np.sign(f[:-1]) != np.sign(f[1:]))[0]
            if len(idx) == 0:
                return None, out
            if pick == "lofted-branch":
                # first downward crossing after the first apogee peak (see lofted_branch_crossing)
                idx = idx[idx >= first_peak(out[key])]
                if len(idx) == 0:
                    return None, out
                j = idx[0]
                pick = "first"  # later rounds refine inside one monotone bracket
            else:
                j = idx[0] if pick == "first" else idx[-1]
            k0, k1, f0, f1 = kicks[j], kicks[j + 1], f[j], f[j + 1]
            kicks = np.linspace(k0, k1, 32)
        return (float(k0 - f0 * (k1 - k0) / (f1 - f0)) if f1 != f0 else float(k0)), out

    def apogee_kick(self, az_deg: float, apogee_m: float, side: str) -> float:
        """Kick (deg) whose apogee equals ``apogee_m``, on the lofted (smaller kick) or depressed side."""
        k_me, _ = self.max_range_kick(az_deg)
        lo, hi = (0.01, k_me) if side == "lofted" else (k_me, 89.0)
        k, out = self._solve_kick(az_deg, lo, hi, "apogee_alt", apogee_m,
                                  "lofted-branch" if side == "lofted" else "first")
        if k is None:
            reach = (np.nanmin(out["apogee_alt"]) / 1e3, np.nanmax(out["apogee_alt"]) / 1e3)
            raise InputError("apogee_km", apogee_m / 1e3,
                             f"{reach[0]:.0f} to {reach[1]:.0f} km for a {side} flight of {self.missile.name}")
        return k

    def target_solution(self, tlat: float, tlon: float) -> tuple[float, float]:
        """(azimuth_deg, kick_deg) that puts the impact within 100 m of the target (lofted side)."""
        dist, az = self.earth.distance_azimuth(self.lat, self.lon, tlat, tlon)
        dist, az = float(dist), float(az)
        az_target = az
        kick = 0.0
        for _ in range(8):
            k_me, r_me = self.max_range_kick(az)
            if dist > r_me:
                raise InputError("target", f"{tlat:.3f},{tlon:.3f}",
                                 f"within the maximum range of {self.missile.name} on this azimuth "
                                 f"({r_me / 1e3:.0f} km; the target is {dist / 1e3:.0f} km away)")
            kick, _ = self._solve_kick(az, 0.01, k_me, "range_m", dist, "last")
            out = self.run(az, kick)
            ilat, ilon = float(out["impact_lat"][0]), float(out["impact_lon"][0])
            miss, _ = self.earth.distance_azimuth(ilat, ilon, tlat, tlon)
            if float(miss) < 100.0:
                break
            # correct the azimuth by the bearing error seen from the launch point, and aim the
            # range at the target distance again
            _, az_imp = self.earth.distance_azimuth(self.lat, self.lon, ilat, ilon)
            az = az + ((az_target - float(az_imp) + 180.0) % 360.0 - 180.0)
        return az, kick


@dataclass(frozen=True)
class CutoffResult:
    """Thrust terminated at each of ``cutoff_s``: the state then, and where the payload lands."""

    cutoff_s: np.ndarray
    state: np.ndarray            # (n, 6) Earth-fixed state at the cut-off
    impact_lat_deg: np.ndarray
    impact_lon_deg: np.ndarray
    impact_time_s: np.ndarray    # time since launch
    impacted: np.ndarray


def cutoff_flights(missile, launch_lat_deg: float, launch_lon_deg: float, azimuth_deg: float, kick_deg: float,
                   cutoff_s, beta_kg_m2: float | None = None, steering: Steering | None = None,
                   earth: Earth = WGS84) -> CutoffResult:
    """Fly a missile with a given steering but stop its thrust at each time in ``cutoff_s`` (s after
    launch; one batched engine call); the payload then coasts alone with ``beta_kg_m2`` (None: vacuum).

    Cut-offs at or after burnout fly the full boost (the payload then separates at burnout)."""
    cut = np.atleast_1d(np.asarray(cutoff_s, float))
    if np.any(~(cut > 0)):
        raise InputError("cutoff_s", float(cut[~(cut > 0)][0]), "> 0 s after launch")
    st = steering or Steering()
    t_bo = missile.boost_time_s
    cut_eff = np.minimum(cut, t_bo * (1 - 1e-12))  # a cut at burnout separates the payload then
    arrays, _, bo = _flyout_arrays(missile, launch_lat_deg, launch_lon_deg, 0.0, azimuth_deg, kick_deg, st, 2.0e4,
                                   earth, cut_eff, beta_kg_m2)
    out = _run(arrays, earth, _settings(earth, True))
    ilat, ilon, _ = earth.ecef_to_geodetic(out["y"][:, :3])
    return CutoffResult(cutoff_s=cut, state=out["seg_state"][np.arange(len(cut)), bo, 1:],
                        impact_lat_deg=ilat, impact_lon_deg=ilon, impact_time_s=out["t"],
                        impacted=out["impacted"])


def first_peak(values) -> int:
    """Index of the first local maximum of a sequence (NaNs count as -inf).

    Apogee against pitch-over kick on a rotating Earth first rises (a small tilt along the
    azimuth cancels the Coriolis drift of a near-vertical flight), then falls along the lofted
    branch; light vehicles may climb again toward near-orbital arcs at large kicks. The lofted
    solutions lie on the falling side of the first peak."""
    v = np.nan_to_num(np.asarray(values, float), nan=-np.inf)
    down = np.nonzero(v[1:] < v[:-1])[0]
    return int(down[0]) if len(down) else len(v) - 1


PROFILES = ("min-energy", "lofted", "depressed", "target")


def fly(missile, launch_lat_deg: float, launch_lon_deg: float, *, azimuth_deg: float | None = None,
        target: tuple[float, float] | None = None, profile: str = "min-energy",
        apogee_m: float | None = None, kick_deg: float | None = None, earth: Earth = WGS84,
        launch_alt_m: float = 0.0, steering: Steering | None = None, rtol: float = 1e-10) -> Trajectory:
    """Fly a missile from a launch point and return its :class:`Trajectory`.

    Give an azimuth (deg) or a target (lat_deg, lon_deg). ``profile``: ``min-energy``,
    ``lofted`` / ``depressed`` (need ``apogee_m``), ``target`` (needs ``target``), or pass an
    explicit ``kick_deg`` to fly one steering without any search.

    ``rtol``: the integrator's relative tolerance (1e-12 to 1e-5). Measured on a Hwasong-15
    flight of 2,500 s against an independent SciPy DOP853 flyout at 1e-10
    (``benchmarks/bench_flight.py --flyout-only``): the impact point is within 0.6 m at the
    default 1e-10, 0.4 m at 1e-8 and 3.3 m at 1e-7, and one flyout takes about 7, 3.7 and
    2.4 ms. Searches (min-energy, lofted, target) refine steering to well above these errors.
    """
    check_range("rtol", rtol, 1e-12, 1e-5, "")
    LAT_DEG.check("launch lat", launch_lat_deg)
    LON_DEG.check("launch lon", launch_lon_deg)
    if profile not in PROFILES:
        raise InputError("profile", profile, ", ".join(PROFILES))
    if azimuth_deg is None and target is None:
        raise InputError("azimuth", None, "an azimuth in degrees or a target LAT,LON")
    if azimuth_deg is not None:
        AZIMUTH_DEG.check("azimuth", azimuth_deg)
    if kick_deg is not None:
        check_range("kick_deg", kick_deg, 0, 90, "deg")
    check_range("launch_alt_m", launch_alt_m, -1e4, 1e5, "m")
    if target is not None:
        LAT_DEG.check("target lat", target[0])
        LON_DEG.check("target lon", target[1])
    flyer = Flyer(missile, float(launch_lat_deg), float(launch_lon_deg), launch_alt_m,
                   steering or Steering(kick_deg=kick_deg or 0.0), earth, rtol=float(rtol))
    az = azimuth_deg
    if az is None:
        _, az = earth.distance_azimuth(launch_lat_deg, launch_lon_deg, target[0], target[1])
        az = float(az)
    extra: dict = {}
    if kick_deg is not None:
        k = float(kick_deg)
    elif profile == "min-energy":
        k, r = flyer.max_range_kick(az)
    elif profile in ("lofted", "depressed"):
        if apogee_m is None:
            raise InputError("apogee_km", None, f"a target apogee for the {profile} profile")
        check_range("apogee_km", apogee_m / 1e3, 1.0, 1e5, "km")
        k = flyer.apogee_kick(az, apogee_m, profile)
    else:  # target
        if target is None:
            raise InputError("target", None, "LAT,LON for the target profile")
        az, k = flyer.target_solution(*target)
        extra["target"] = {"lat": target[0], "lon": target[1]}
    return flyer.trajectory(az, k, profile, extra)


def vacuum_kepler(speed_m_s: float, flight_path_deg: float, r0_m: float, r_end_m: float | None = None,
                  mu: float = EARTH_MU_M3_S2) -> dict:
    """Closed-form Keplerian arc from radius r0 to r_end (default r0): range angle (rad), apogee
    radius (m), time of flight (s). The textbook reference for vacuum, non-rotating flights."""
    r_end = r0_m if r_end_m is None else r_end_m
    v, g = speed_m_s, math.radians(flight_path_deg)
    h = r0_m * v * math.cos(g)
    energy = 0.5 * v * v - mu / r0_m
    a = -mu / (2.0 * energy)
    p = h * h / mu
    e = math.sqrt(max(0.0, 1.0 - p / a))
    nu0 = math.acos(max(-1.0, min(1.0, (p / r0_m - 1.0) / e)))
    if g < 0:
        nu0 = 2.0 * math.pi - nu0
    nu1 = 2.0 * math.pi - math.acos(max(-1.0, min(1.0, (p / r_end - 1.0) / e)))

    def mean_anom(nu):
        ea = 2.0 * math.atan2(math.sqrt(1.0 - e) * math.sin(nu / 2), math.sqrt(1.0 + e) * math.cos(nu / 2))
        return ea - e * math.sin(ea)

    n = math.sqrt(mu / a ** 3)
    tof = (mean_anom(nu1) - mean_anom(nu0)) / n
    if tof < 0:
        tof += 2.0 * math.pi / n
    return {"range_angle_rad": nu1 - nu0, "apogee_radius_m": a * (1.0 + e), "flight_time_s": tof}
