"""Drag arcs for the claim checks: coasts with re-entry drag from a burnout state above the
launch point, searched for the speed and angle that match a claimed range and apogee or
flight time (mission claim C3; the model is described in :mod:`boostphase.claims.check`).

Each search is a handful of batched engine coasts on the spherical, non-rotating Earth. A
case's result does not depend on the batch it flies in (:mod:`boostphase.engine.kernel`), so
batches are as small as the search needs.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine import T_INF, Case, integrate
from ..flight.flyout import cd_table, engine_settings
from ..models.atmosphere import kernel_table
from ..models.earth import SPHERE
from .arcs import MU, R_E, ascent_state, min_energy_arc

_N_DRAG = 32  # angles of the grids of the min-energy search and of the apogee family


def _coast_arrays(n: int, beta: float) -> dict:
    """The constant part of ``n`` engine coast cases with drag (ballistic coefficient ``beta``
    kg/m^2 as the mass over a unit reference area, C_D = 1), as in
    :func:`boostphase.flight.flyout.coast_states`."""
    mach, cd = cd_table(((0.0, 1.0), (1.0, 1.0)))
    return dict(t0=np.zeros(n), seg_t_end=np.full((n, 1), T_INF), seg_m0=np.full((n, 1), float(beta)),
                seg_mdot=np.zeros((n, 1)), seg_thrust=np.zeros((n, 1)), seg_exit_area=np.zeros((n, 1)),
                seg_ref_area=np.ones((n, 1)), seg_mode=np.full((n, 1), 2, dtype=np.int32),
                cd_mach=np.broadcast_to(mach, (n, 1, len(mach))), cd_val=np.broadcast_to(cd, (n, 1, len(cd))),
                azimuth=np.zeros(n), kick=np.zeros(n), pitch_t0=np.zeros(n), pitch_t1=np.zeros(n),
                u_fixed=np.zeros((n, 3)), t_max=np.full(n, 2.0e4))


_SETTINGS = engine_settings(SPHERE, True, powered=False, constant_cd=True)


def drag_eval(speed_m_s, gamma_rad, h_bo_m: float, beta: float) -> dict:
    """Coast with drag from burnout states at altitude ``h_bo_m`` above (lat 0, lon 0), flying
    east (speed m/s, flight-path angle rad; arrays of any length).

    Returns arrays: range angle (rad), apogee altitude (m), flight time (s), impact speed (m/s);
    NaN where a case did not come down (orbit) or was not a valid state. One engine call on
    one thread: the searches send 3-32 cases, for which a second thread costs more than it
    saves (measured: 4.4 against 3.5 ms of CPU per check), and a server runs several checks at
    once anyway. The cases are those of :func:`boostphase.flight.flyout.coast_states` (the
    Earth-fixed start written directly: on the equator of the non-rotating sphere east is +y
    and up is +x).
    """
    v = np.atleast_1d(np.asarray(speed_m_s, float))
    g = np.broadcast_to(np.asarray(gamma_rad, float), v.shape)
    ok = np.isfinite(v) & np.isfinite(g) & (v > 0) & (v < 2.0e4) & (np.abs(g) < math.pi / 2)
    spd, fpa = np.where(ok, v, 1000.0), np.where(ok, g, 0.2)
    n = v.shape[0]
    y0 = np.zeros((n, 6))
    y0[:, 0] = R_E + h_bo_m
    y0[:, 3], y0[:, 4] = spd * np.sin(fpa), spd * np.cos(fpa)
    res = integrate(Case(y0=y0, **_coast_arrays(n, beta)), SPHERE.kernel_constants(), kernel_table(),
                    _SETTINGS, threads=1)
    nan = np.where(ok & np.asarray(res.impacted, bool), 1.0, np.nan)
    y = res.y
    # the downrange angle is the impact longitude (0-2 pi), which unlike the geodesic distance
    # does not fold back past pi
    psi = np.mod(np.arctan2(y[:, 1], y[:, 0]), 2.0 * math.pi)
    return {"psi": psi * nan, "apogee_m": res.apogee_alt * nan, "time_s": res.t * nan,
            "impact_speed_m_s": np.linalg.norm(y[:, 3:], axis=1) * nan}


def solve_speed(gamma_rad, key: str, target, h_bo_m: float, beta: float, v_start):
    """For each burnout angle, the burnout speed at which output ``key`` ('psi' or 'apogee_m')
    of :func:`drag_eval` equals ``target`` (both rise with speed): a batched secant iteration
    kept inside a bracket (bisection when a step leaves it; a case that goes into orbit counts
    as too fast). Returns (speeds, last outputs); NaN where no speed below escape works."""
    g = np.asarray(gamma_rad, float)
    v_max = 0.999 * math.sqrt(2.0 * MU / (R_E + h_bo_m))
    lo, hi = np.zeros_like(g), np.full_like(g, v_max)
    v = np.clip(np.asarray(v_start, float) * np.ones_like(g), 1.0, v_max * 0.99)
    v_prev = f_prev = None
    out = None
    for _ in range(40):
        out = drag_eval(v, g, h_bo_m, beta)
        f = out[key] - target
        f = np.where(np.isfinite(f), f, np.inf)  # no impact: too fast
        if np.all(np.abs(f) <= 1e-10 * abs(target)):
            break
        lo = np.where(f < 0, v, lo)
        hi = np.where(f > 0, v, hi)
        v_new = 0.5 * (lo + hi)
        if v_prev is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                sec = v - f * (v - v_prev) / (f - f_prev)
            v_new = np.where(np.isfinite(sec) & (sec > lo) & (sec < hi), sec, v_new)
        elif np.all(np.isfinite(f)):
            with np.errstate(invalid="ignore"):
                first = v * np.sqrt(np.maximum(target / np.maximum(out[key], 1e-12), 0.25))
            v_new = np.where((first > lo) & (first < hi), first, v_new)
        v_prev, f_prev = v, f
        v = np.where(np.abs(f) <= 1e-10 * abs(target), v, v_new)
    good = np.abs(out[key] - target) <= 1e-6 * abs(target)
    return np.where(good, v, np.nan), out


def drag_min_energy_grid(psi_t: float, h_bo_m: float, beta: float) -> dict | None:
    """The least burnout speed (and its angle) that reaches range angle ``psi_t`` with drag.

    A grid of ``_N_DRAG`` burnout angles around the vacuum optimum, the speed for the range
    solved at each (:func:`solve_speed`), the least kept; then the grid refined around it once.
    """
    v_me, g_me = min_energy_arc(psi_t)
    half = math.radians(15.0)
    lo, hi = max(math.radians(0.5), g_me - half), min(math.radians(85.0), g_me + half)
    best = None
    for _ in range(2):
        gam = np.linspace(lo, hi, _N_DRAG)
        v, out = solve_speed(gam, "psi", psi_t, h_bo_m, beta, v_me)
        if not np.any(np.isfinite(v)):
            return None
        i = int(np.nanargmin(v))
        best = {"speed_m_s": float(v[i]), "gamma_rad": float(gam[i]),
                **{k: float(val[i]) for k, val in out.items()}}
        step = gam[1] - gam[0]
        lo, hi = max(gam[0], gam[i] - step), min(gam[-1], gam[i] + step)
    return best


def drag_apogee_family(apogee_m: float, h_bo_m: float, beta: float):
    """Burnout angles, speeds and drag ranges (range angle) of the arcs from ``h_bo_m`` whose
    apogee is ``apogee_m``: one batched speed solve over ``_N_DRAG`` angles."""
    gam = np.radians(np.linspace(1.0, 89.0, _N_DRAG))
    v_guess = np.sqrt(2.0 * MU * (1.0 / (R_E + h_bo_m) - 1.0 / (R_E + apogee_m))) / np.sin(gam)
    v, out = solve_speed(gam, "apogee_m", apogee_m, h_bo_m, beta, v_guess)
    return gam, v, out["psi"]


def drag_newton(psi_t: float, second_t: float, mode: str, h_bo_m: float, beta: float,
                 x0) -> dict | None:
    """The drag arc from ``h_bo_m`` through range angle ``psi_t`` and either apogee altitude
    (mode 'apogee') or flight time (mode 'time') ``second_t``: Newton's method on the burnout
    (speed, angle), starting from ``x0``, with a finite-difference Jacobian from three cases
    per engine call. None if it does not converge. ``jacobian``: d(range angle, second
    output)/d(speed, angle) at the solution."""
    key = "apogee_m" if mode == "apogee" else "time_s"
    target = np.array([psi_t, second_t])
    x = np.asarray(x0, float)
    d = np.array([1e-5 * x[0], 1e-6])
    f = jac = None
    for _ in range(15):
        xs = np.stack([x, x + [d[0], 0.0], x + [0.0, d[1]]])
        out = drag_eval(xs[:, 0], xs[:, 1], h_bo_m, beta)
        y = np.stack([out["psi"], out[key]], axis=1)
        if not np.all(np.isfinite(y)):
            return None
        f = y[0] - target
        jac = np.stack([(y[1] - y[0]) / d[0], (y[2] - y[0]) / d[1]], axis=1)
        if np.all(np.abs(f) < 1e-9 * np.abs(target)):
            break
        try:
            step = np.linalg.solve(jac, -f)
        except np.linalg.LinAlgError:
            return None
        x = x + np.clip(step, [-0.2 * x[0], -0.2], [0.2 * x[0], 0.2])
        if not (0.0 < x[0] < math.sqrt(2.0 * MU / R_E) and -0.1 < x[1] < math.pi / 2):
            return None
    if f is None or not np.all(np.abs(f) < 1e-7 * np.abs(target)):
        return None
    return {"speed_m_s": float(x[0]), "gamma_rad": float(x[1]), **{k: float(v[0]) for k, v in out.items()},
            "jacobian": jac}


def drag_through_apogee_family(psi_t: float, apogee_m: float, h_bo_m: float, beta: float):
    """(solution dict or None, longest range m of any drag arc through that apogee)."""
    gam, v, psis = drag_apogee_family(apogee_m, h_bo_m, beta)
    ok = np.isfinite(psis)
    if not np.any(ok):
        return None, 0.0
    reach = float(np.nanmax(psis) * R_E)
    # the family's range falls as the angle rises past its longest shot: take the crossing there
    i_max = int(np.nanargmax(psis))
    idx = [j for j in range(i_max, _N_DRAG - 1) if ok[j] and ok[j + 1] and psis[j] >= psi_t > psis[j + 1]]
    if not idx:
        return None, reach
    j = idx[0]
    w = (psis[j] - psi_t) / (psis[j] - psis[j + 1])
    x0 = (v[j] + w * (v[j + 1] - v[j]), gam[j] + w * (gam[j + 1] - gam[j]))
    return drag_newton(psi_t, apogee_m, "apogee", h_bo_m, beta, x0), reach


# ------------------------------------------------------------------------------------------
# the searches check_claim uses: a closed-form start and Newton; the grids only as fallbacks
# ------------------------------------------------------------------------------------------
#
# Profiled (cProfile, 300 distinct claims of 800-1,200 km, 100 km apogee, Mach 14): the
# apogee family (a 32-angle speed solve, ~17 engine calls) took 80 % of a check and the
# min-energy grid (two 32-angle solves) nearly all of a range-only check. The vacuum arc from
# the burnout altitude lands within a few per cent of the drag arc (above 50 km lies 0.08 % of
# the air), so Newton from it converges in 3-6 calls of a few cases to the same root (the
# family and the grid are kept for the cases where it does not: then the answer is as before).


def vacuum_arc_from_altitude(psi_t: float, apogee_m: float, h0_m: float):
    """(speed m/s, angle rad) at altitude ``h0_m`` of the vacuum arc through apogee altitude
    ``apogee_m`` that comes down to the surface radius ``psi_t`` (rad) downrange; None if none.

    Conic with apogee radius r_a: p = r_a (1 - e). Leaving r0 = R + h0 climbing (true anomaly
    nu0 = acos((p/r0 - 1)/e)) and landing at R descending (nu1 = 2 pi - acos((p/R - 1)/e)), the
    range angle nu1 - nu0 falls from ~2 pi (perigee at R) to 0 (e -> 1): bisection on e.
    """
    ra, r0 = R_E + apogee_m, R_E + h0_m
    if not (ra > r0 > 0 and 0.0 < psi_t < 2.0 * math.pi):
        return None

    def rng(e):
        p = ra * (1.0 - e)
        return (2.0 * math.pi - math.acos(max(-1.0, min(1.0, (p / R_E - 1.0) / e)))
                - math.acos(max(-1.0, min(1.0, (p / r0 - 1.0) / e))))

    lo, hi = (ra - R_E) / (ra + R_E) + 1e-12, 1.0 - 1e-12
    if not rng(hi) < psi_t < rng(lo):
        return None
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rng(mid) > psi_t else (lo, mid)
    e = 0.5 * (lo + hi)
    a, p = ra / (1.0 + e), ra * (1.0 - e)
    v = math.sqrt(MU * (2.0 / r0 - 1.0 / a))
    return v, math.acos(min(1.0, math.sqrt(MU * p) / (r0 * v)))


def drag_through_apogee(psi_t: float, apogee_m: float, h_bo_m: float, beta: float):
    """The drag arc from ``h_bo_m`` through apogee altitude ``apogee_m`` landing ``psi_t`` (rad)
    downrange: (solution dict or None, longest range m of any drag arc through that apogee, or
    None when not computed).

    Newton from :func:`vacuum_arc_from_altitude`, accepted when it lands on the branch the
    family search takes (the range falls as the angle rises at constant apogee); otherwise the
    32-angle family (:func:`drag_through_apogee_family`), which also gives the longest range."""
    x0 = vacuum_arc_from_altitude(psi_t, apogee_m, h_bo_m)
    sol = None if x0 is None else drag_newton(psi_t, apogee_m, "apogee", h_bo_m, beta, x0)
    if sol is not None:
        (dpsi_dv, dpsi_dg), (dapo_dv, dapo_dg) = sol.pop("jacobian")
        if dpsi_dg - dpsi_dv * dapo_dg / dapo_dv < 0.0:  # d(range)/d(angle) at constant apogee
            return sol, None
    dr, reach = drag_through_apogee_family(psi_t, apogee_m, h_bo_m, beta)
    if dr is not None:
        dr.pop("jacobian", None)
    return dr, reach


def drag_min_energy(psi_t: float, h_bo_m: float, beta: float) -> dict | None:
    """The least burnout speed (and its angle) from ``h_bo_m`` that reaches range angle ``psi_t``
    with drag. At the optimum the range is stationary in the angle at that speed (the least
    speed for a range is the speed whose longest range it is), so Newton solves
    psi(v, g) = psi_t and d psi/d g = 0 with finite differences (six cases per engine call:
    d g = 1e-3 rad, central differences, whose O(d g^2) error moves the angle by ~1e-6 rad);
    start: the vacuum minimum-energy arc where it climbs through ``h_bo_m``. The 32-angle grid
    (:func:`drag_min_energy_grid`, angle to ~0.03 deg) if Newton fails."""
    v_me, g_me = (float(x) for x in min_energy_arc(psi_t))
    v0, g0 = (float(x) for x in ascent_state(v_me, g_me, h_bo_m))
    x = np.array([v0, g0])
    dg = 1e-3
    for _ in range(20):
        dv = 1e-5 * x[0]
        v = x[0] + np.array([0.0, 0.0, 0.0, dv, dv, dv])
        g = x[1] + np.array([0.0, dg, -dg, 0.0, dg, -dg])
        out = drag_eval(v, g, h_bo_m, beta)
        p = out["psi"]
        if not np.all(np.isfinite(p)):
            break
        f = np.array([p[0] - psi_t, (p[1] - p[2]) / (2 * dg)])
        jac = np.array([[(p[3] - p[0]) / dv, f[1]],
                        [((p[4] - p[5]) - (p[1] - p[2])) / (2 * dg * dv), (p[1] - 2 * p[0] + p[2]) / dg**2]])
        try:
            step = np.linalg.solve(jac, -f)
        except np.linalg.LinAlgError:
            break
        # converged: on the range to 1e-10, and the angle's next step under 1e-6 rad (the
        # slope's own noise, ~1e-10 rad of range over 2 d g, allows no finer test)
        if abs(f[0]) < 1e-10 * psi_t and abs(step[1]) < 1e-6:
            return {"speed_m_s": float(x[0]), "gamma_rad": float(x[1]), **{k: float(a[0]) for k, a in out.items()}}
        x = x + np.clip(step, [-0.2 * x[0], -0.1], [0.2 * x[0], 0.1])
        if not (0.0 < x[0] < math.sqrt(2.0 * MU / R_E) and 0.0 < x[1] < math.pi / 2):
            break
    return drag_min_energy_grid(psi_t, h_bo_m, beta)
