"""Claim checks (mission claim C3): is there a ballistic flight that matches the reported figures?

A report gives some of: ground range, apogee, flight time and a peak speed (in km/s or as a
Mach number). :func:`check_claim` answers, with numbers a journalist can quote, whether one
ballistic flight matches all of them (each within ``±tolerance``), which kind of trajectory
that would be (minimum-energy, depressed, lofted), and what a boost-glide vehicle of a given
lift-to-drag ratio would need instead.

Models (all on the spherical, non-rotating Earth :data:`boostphase.models.earth.SPHERE`:
R = 6371 km, point-mass gravity mu = 3.986004418e14 m^3/s^2):

* **Vacuum** (``min_energy``, ``through_apogee``): a Keplerian arc from a burnout *at the
  surface radius* back to the surface radius. This is the textbook simplification: the boost
  is not modelled, the launch point and the burnout point coincide, so the burnout speed is
  the speed the arc has at the surface (the largest speed anywhere on it) and flight times
  run from burnout (the boost, one to a few minutes for a real missile, comes on top).
* **Re-entry drag** (``with_drag``): the body starts at burnout at altitude ``h_bo`` directly
  above the launch point (the ground covered during the boost is not counted, as in the
  vacuum model) and coasts to impact with drag (ballistic coefficient beta = m / (C_D A),
  C_D = 1 as in :func:`boostphase.flight.flyout.coast`) through the US76 atmosphere. ``h_bo`` is
  50 km, or half the apogee if that is lower (the claimed apogee; the apogee of the
  range-and-time arc; with the range alone, the flat-Earth minimum-energy apogee range/4).
  Above 50 km lies less than 0.1 % of the atmosphere's mass (US76: p(50 km)/p(0) = 0.08 %),
  so drag there hardly matters; below, a real missile is still under power, which we do not
  model. The burnout speed is the speed at ``h_bo``; drag only removes energy, so no later
  speed exceeds the *surface-equivalent* speed (the burnout state's speed extrapolated down
  to the surface in vacuum). Searches: a few batched :func:`boostphase.flight.flyout.coast` calls of
  one fixed batch shape (the kernel compiles once).
* **Glide** (``glide``): equilibrium glide of a vehicle with a constant L/D (see
  :func:`glide_range_m`).

Verdict (``ballistic_consistent``). The range fixes nothing by itself (any range up to 20,000
km has ballistic arcs). A claimed peak speed must lie, within ``±tolerance``, in the band
spanned by the vacuum arc's burnout speed and the drag arc's peak (between the larger of its
burnout and impact speeds and its surface-equivalent speed); with the range alone, it must be
at least the band's lower end and below escape speed (faster flights fly lofted or depressed
arcs, which are reported). A flight time must match the arc's (with or without drag) within
``±tolerance``, plus up to :data:`BOOST_ALLOWANCE_S` for the boost. An apogee that no drag arc
can reach at the range makes the claim inconsistent too. ``verdict`` and ``verdict_sentence``
say which way a claim fails: see :mod:`boostphase.claims.verdict`.

Mach numbers. ``mach_convention="sea-level"`` divides by the US76 sea-level speed of sound
(340.29 m/s), which is how South Korea's Joint Chiefs of Staff *appear* to quote Mach
numbers. ``"local"`` divides by the US76 speed of sound at the altitude where that speed
occurs (the burnout altitude of the model, or the glide altitude); US76 defines no speed of
sound above 86 km, so a local Mach number there is undefined (``None``). A claimed Mach
number given with the ``local`` convention is turned into km/s at the drag model's burnout
altitude (ballistic) or at the equilibrium-glide altitude (glide).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError, check_range
from ..flight.flyout import coast, vacuum_kepler
from ..models.atmosphere import Z_LOWER_TOP_M, us76
from ..models.earth import SPHERE
from .verdict import glide_clause, pick_verdict, verdict_sentence

__all__ = [
    "MACH_CONVENTIONS",
    "arc_for_time",
    "arc_through_apogee",
    "arcs_at_speed",
    "check_claim",
    "glide_altitude_m",
    "glide_range_m",
    "glide_speed_needed_m_s",
    "min_energy_arc",
    "speed_for_angle",
]

MU = SPHERE.mu_m3_s2
R_E = SPHERE.a_m
V_CIRC = math.sqrt(MU / R_E)        # circular speed at the surface radius (7.91 km/s)
V_ESC = math.sqrt(2.0 * MU / R_E)   # escape speed from the surface radius (11.19 km/s)
G_SURF = MU / R_E**2                # point-mass gravity at the surface radius
A_SEA_LEVEL = float(us76(0.0).sound_speed_m_s)  # 340.29 m/s
MACH_CONVENTIONS = ("sea-level", "local")

H_BO_CAP_M = 50_000.0
"""Burnout altitude of the drag model (see the module doc): 50 km, or half a lower apogee."""
BOOST_ALLOWANCE_S = 250.0
"""A claimed flight time counts from launch; our arcs from burnout. A claim may exceed the arc's
time by up to the boost duration: ~240-250 s for a generic liquid ICBM, the longest of the
generic boosts in the APS Study Group on Boost-Phase Intercept (2003) and NRC (2012)."""

_N_DRAG = 32  # every drag coast runs as one batch of this many cases: one compiled shape


# ------------------------------------------------------------------------------------------
# vacuum arcs from the surface radius back to it (closed forms)
# ------------------------------------------------------------------------------------------
#
# Notation: psi = range angle (rad) = range / R, gamma = flight-path angle at burnout,
# Q = v^2 R / mu. Free-flight range equation for a symmetric arc (Bate, Mueller & White,
# *Fundamentals of Astrodynamics*, Dover 1971, section 6.2; also Regan & Anandakrishnan,
# *Dynamics of Atmospheric Re-Entry*, AIAA 1993, ch. 3):
#
#     Q sin(2 gamma + psi/2) = (2 - Q) sin(psi/2)
#
# (we derived it again from the conic r = p / (1 + e cos nu) with p = R Q cos^2 gamma,
# e cos nu0 = Q cos^2 gamma - 1, e sin nu0 = Q sin gamma cos gamma and nu0 = pi - psi/2;
# tests/test_claims.py checks it against vacuum_kepler and numerical integration).
# Minimising Q over gamma gives the minimum-energy (maximum-range) conditions quoted in the
# same texts:  gamma* = (pi - psi) / 4,  Q* = 2 sin(psi/2) / (1 + sin(psi/2)).


def speed_for_angle(psi, gamma_rad):
    """Burnout speed (m/s) of the vacuum arc of range angle ``psi`` flown at ``gamma_rad``.

    NaN where no elliptic arc exists (Q >= 2, i.e. gamma >= pi/2 - psi/4)."""
    psi, g = np.asarray(psi, float), np.asarray(gamma_rad, float)
    t = np.tan(psi / 2.0)
    q = t / (np.sin(g) * np.cos(g) + t * np.cos(g) ** 2)
    q = np.where((q > 0) & (q < 2.0), q, np.nan)
    return np.sqrt(q * MU / R_E)


def min_energy_arc(psi):
    """(speed m/s, flight-path angle rad) of the minimum-energy arc for range angle ``psi``."""
    s = np.sin(np.asarray(psi, float) / 2.0)
    return np.sqrt(MU / R_E * 2.0 * s / (1.0 + s)), (math.pi - np.asarray(psi, float)) / 4.0


def apogee_radius_m(speed_m_s, gamma_rad):
    """Apogee radius (m) of the vacuum arc leaving the surface radius at (speed, gamma)."""
    q = np.asarray(speed_m_s, float) ** 2 * R_E / MU
    a = R_E / (2.0 - q)
    e = np.sqrt(np.maximum(0.0, 1.0 - q * (2.0 - q) * np.cos(gamma_rad) ** 2))
    return a * (1.0 + e)


def arc_through_apogee(psi, apogee_radius):
    """(speed m/s, flight-path angle rad) of the symmetric vacuum arc of range angle ``psi``
    whose apogee radius is ``apogee_radius`` (m).

    At apogee r_a = p / (1 - e); at burnout R = p / (1 - e cos(psi/2)) (true anomaly
    pi - psi/2). Hence e = (r_a - R) / (r_a - R cos(psi/2)), a = r_a / (1 + e), the speed
    from the vis-viva equation and gamma from the angular momentum sqrt(mu p) = R v cos(gamma).
    Any r_a > R gives exactly one arc.
    """
    ra = np.asarray(apogee_radius, float)
    e = (ra - R_E) / (ra - R_E * np.cos(np.asarray(psi, float) / 2.0))
    a = ra / (1.0 + e)
    v = np.sqrt(MU * (2.0 / R_E - 1.0 / a))
    p = a * (1.0 - e * e)
    return v, np.arccos(np.clip(np.sqrt(MU * p) / (R_E * v), -1.0, 1.0))


def arcs_at_speed(psi, speed_m_s):
    """Flight-path angles (rad) of the depressed and lofted vacuum arcs of range angle ``psi``
    at burnout speed ``speed_m_s``: (depressed or None, lofted or None).

    Roots of the range equation: 2 gamma + psi/2 = asin(x) or pi - asin(x), with
    x = (2 - Q) sin(psi/2) / Q. No arc if x > 1 (too slow); no depressed arc if Q >= 1 (at or
    above circular speed even a horizontal start rises); no arc at all if Q >= 2 (escape).
    """
    q = speed_m_s**2 * R_E / MU
    if q >= 2.0:
        return None, None
    x = (2.0 - q) * math.sin(psi / 2.0) / q
    if x > 1.0:
        return None, None
    s = math.asin(x)
    low = (s - psi / 2.0) / 2.0
    high = (math.pi - s - psi / 2.0) / 2.0
    return (low if low > 0.0 else None), high


def range_angle_through_apogee_at_speed(speed_m_s, apogee_radius):
    """Range angle (rad) of the vacuum arc leaving the surface at ``speed_m_s`` whose apogee
    radius is ``apogee_radius``; None if no such arc exists (the apogee is out of reach, or the
    speed is too high for so low an apogee even on a horizontal start)."""
    q = speed_m_s**2 * R_E / MU
    if q >= 2.0:
        return None
    a = R_E / (2.0 - q)
    e = apogee_radius / a - 1.0
    if not (0.0 < e < 1.0) or a * (1.0 - e) > R_E:
        return None
    p = a * (1.0 - e * e)
    cos_nu0 = max(-1.0, min(1.0, (p / R_E - 1.0) / e))
    return 2.0 * (math.pi - math.acos(cos_nu0))


def _time_of(speed_m_s, gamma_rad) -> float:
    """Time of flight (s) of the vacuum arc from the surface radius back to it (vacuum_kepler)."""
    return float(vacuum_kepler(float(speed_m_s), math.degrees(float(gamma_rad)), R_E, None, MU)["flight_time_s"])


def arc_for_time(psi: float, flight_time_s: float):
    """(speed m/s, gamma rad) of the vacuum arc of range angle ``psi`` taking ``flight_time_s``,
    or None if no elliptic arc does.

    For a fixed range the time of flight rises monotonically with gamma, from the grazing
    circular-speed arc (gamma -> 0, time psi sqrt(R^3/mu)) to the parabolic limit
    (gamma -> pi/2 - psi/4, time -> infinity); bisection on gamma.
    """
    lo, hi = 1e-9, math.pi / 2.0 - psi / 4.0 - 1e-9
    if not (_time_of(speed_for_angle(psi, lo), lo) < flight_time_s < _time_of(speed_for_angle(psi, hi), hi)):
        return None
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if _time_of(speed_for_angle(psi, mid), mid) < flight_time_s:
            lo = mid
        else:
            hi = mid
    g = 0.5 * (lo + hi)
    return float(speed_for_angle(psi, g)), g


def _ascent_state(v0, g0, h_m):
    """Speed (m/s) and flight-path angle (rad) where the vacuum arc (v0, g0 from the surface
    radius) climbs through altitude ``h_m`` (energy and angular momentum); NaN above its apogee.
    Only a starting guess for the drag searches."""
    r = R_E + np.asarray(h_m, float)
    vh = np.sqrt(np.asarray(v0, float) ** 2 - 2.0 * MU * (1.0 / R_E - 1.0 / r))
    gh = np.arccos(np.clip(R_E * v0 * np.cos(g0) / (r * vh), -1.0, 1.0))
    return vh, gh


def burnout_altitude_m(apogee_m: float) -> float:
    """Burnout altitude of the drag model: ``H_BO_CAP_M`` (50 km), or half the apogee if lower."""
    return min(H_BO_CAP_M, 0.5 * apogee_m)


def surface_equivalent_speed(speed_m_s, alt_m):
    """Speed (m/s) a body at ``alt_m`` with ``speed_m_s`` would have at the surface radius in
    vacuum. Drag only removes energy, so no speed after burnout can exceed it."""
    return np.sqrt(np.asarray(speed_m_s, float) ** 2 + 2.0 * MU * (1.0 / R_E - 1.0 / (R_E + alt_m)))


# ------------------------------------------------------------------------------------------
# re-entry drag: batched coasts from a burnout state above the launch point
# ------------------------------------------------------------------------------------------

def _drag_eval(speed_m_s, gamma_rad, h_bo_m: float, beta: float) -> dict:
    """Coast with drag from burnout states at altitude ``h_bo_m`` (speed m/s, angle rad).

    Returns arrays: range angle, apogee altitude (m), flight time (s), impact speed (m/s);
    NaN where a case did not come down (orbit) or was not a valid state. One engine call of
    ``_N_DRAG`` cases (padded), so the kernel compiles once for every search here.
    """
    v = np.atleast_1d(np.asarray(speed_m_s, float))
    g = np.broadcast_to(np.asarray(gamma_rad, float), v.shape)
    n = v.shape[0]
    if n > _N_DRAG:
        raise ValueError("internal: drag batch too large")
    ok = np.isfinite(v) & np.isfinite(g) & (v > 0) & (np.abs(g) < math.pi / 2)
    pad = _N_DRAG - n
    spd = np.concatenate([np.where(ok, v, 1000.0), np.full(pad, 1000.0)])
    fpa = np.concatenate([np.where(ok, np.degrees(g), 10.0), np.full(pad, 10.0)])
    res = coast(0.0, 0.0, h_bo_m, spd, fpa, 90.0, beta_kg_m2=beta, earth=SPHERE, t_max_s=2.0e4)
    nan = np.where(ok & res.impacted[:n], 1.0, np.nan)
    # eastward along the equator of a non-rotating sphere, the downrange angle is the impact
    # longitude (0-360 deg), which unlike the geodesic distance does not fold back past pi
    psi = np.radians(np.mod(res.impact_lon_deg[:n], 360.0))
    return {"psi": psi * nan, "apogee_m": res.apogee_m[:n] * nan,
            "time_s": res.flight_time_s[:n] * nan, "impact_speed_m_s": res.impact_speed_m_s[:n] * nan}


def _solve_speed(gamma_rad, key: str, target, h_bo_m: float, beta: float, v_start):
    """For each burnout angle, the burnout speed at which output ``key`` ('psi' or 'apogee_m')
    of :func:`_drag_eval` equals ``target`` (both rise with speed): a batched secant iteration
    kept inside a bracket (bisection when a step leaves it; a case that goes into orbit counts
    as too fast). Returns (speeds, last outputs); NaN where no speed below escape works."""
    g = np.asarray(gamma_rad, float)
    v_max = 0.999 * math.sqrt(2.0 * MU / (R_E + h_bo_m))
    lo, hi = np.zeros_like(g), np.full_like(g, v_max)
    v = np.clip(np.asarray(v_start, float) * np.ones_like(g), 1.0, v_max * 0.99)
    v_prev = f_prev = None
    out = None
    for _ in range(40):
        out = _drag_eval(v, g, h_bo_m, beta)
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


def _drag_min_energy(psi_t: float, h_bo_m: float, beta: float) -> dict | None:
    """The least burnout speed (and its angle) that reaches range angle ``psi_t`` with drag.

    A grid of ``_N_DRAG`` burnout angles around the vacuum optimum, the speed for the range
    solved at each (:func:`_solve_speed`), the least kept; then the grid refined around it once.
    """
    v_me, g_me = min_energy_arc(psi_t)
    half = math.radians(15.0)
    lo, hi = max(math.radians(0.5), g_me - half), min(math.radians(85.0), g_me + half)
    best = None
    for _ in range(2):
        gam = np.linspace(lo, hi, _N_DRAG)
        v, out = _solve_speed(gam, "psi", psi_t, h_bo_m, beta, v_me)
        if not np.any(np.isfinite(v)):
            return None
        i = int(np.nanargmin(v))
        best = {"speed_m_s": float(v[i]), "gamma_rad": float(gam[i]),
                **{k: float(val[i]) for k, val in out.items()}}
        step = gam[1] - gam[0]
        lo, hi = max(gam[0], gam[i] - step), min(gam[-1], gam[i] + step)
    return best


def _drag_apogee_family(apogee_m: float, h_bo_m: float, beta: float):
    """Burnout angles, speeds and drag ranges (range angle) of the arcs from ``h_bo_m`` whose
    apogee is ``apogee_m``: one batched speed solve over ``_N_DRAG`` angles."""
    gam = np.radians(np.linspace(1.0, 89.0, _N_DRAG))
    v_guess = np.sqrt(2.0 * MU * (1.0 / (R_E + h_bo_m) - 1.0 / (R_E + apogee_m))) / np.sin(gam)
    v, out = _solve_speed(gam, "apogee_m", apogee_m, h_bo_m, beta, v_guess)
    return gam, v, out["psi"]


def _drag_newton(psi_t: float, second_t: float, mode: str, h_bo_m: float, beta: float,
                 x0) -> dict | None:
    """The drag arc from ``h_bo_m`` through range angle ``psi_t`` and either apogee altitude
    (mode 'apogee') or flight time (mode 'time') ``second_t``: Newton's method on the burnout
    (speed, angle), starting from ``x0``, with a finite-difference Jacobian from three cases
    per engine call. None if it does not converge."""
    key = "apogee_m" if mode == "apogee" else "time_s"
    target = np.array([psi_t, second_t])
    x = np.asarray(x0, float)
    d = np.array([1e-5 * x[0], 1e-6])
    f = None
    for _ in range(15):
        xs = np.stack([x, x + [d[0], 0.0], x + [0.0, d[1]]])
        out = _drag_eval(xs[:, 0], xs[:, 1], h_bo_m, beta)
        y = np.stack([out["psi"], out[key]], axis=1)
        if not np.all(np.isfinite(y)):
            return None
        f = y[0] - target
        if np.all(np.abs(f) < 1e-9 * np.abs(target)):
            break
        jac = np.stack([(y[1] - y[0]) / d[0], (y[2] - y[0]) / d[1]], axis=1)
        try:
            step = np.linalg.solve(jac, -f)
        except np.linalg.LinAlgError:
            return None
        x = x + np.clip(step, [-0.2 * x[0], -0.2], [0.2 * x[0], 0.2])
        if not (0.0 < x[0] < math.sqrt(2.0 * MU / R_E) and -0.1 < x[1] < math.pi / 2):
            return None
    if f is None or not np.all(np.abs(f) < 1e-7 * np.abs(target)):
        return None
    return {"speed_m_s": float(x[0]), "gamma_rad": float(x[1]), **{k: float(v[0]) for k, v in out.items()}}


def _drag_through_apogee(psi_t: float, apogee_m: float, h_bo_m: float, beta: float):
    """(solution dict or None, longest range m of any drag arc through that apogee)."""
    gam, v, psis = _drag_apogee_family(apogee_m, h_bo_m, beta)
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
    return _drag_newton(psi_t, apogee_m, "apogee", h_bo_m, beta, x0), reach


# ------------------------------------------------------------------------------------------
# boost-glide
# ------------------------------------------------------------------------------------------
#
# Equilibrium glide (lift balances weight less the centrifugal relief, flight path nearly
# level, constant L/D): m dv/dt = -D = -(m/(L/D)) (g - v^2/R) and ds/dt = v, so
#     ds = -(L/D) v dv / (g (1 - v^2/v_c^2)),   v_c^2 = g R,
# which integrates, from v down to 0, to the Breguet-type glide range
#     s = (L/D) (R/2) ln(1 / (1 - v^2/v_c^2)).
# Source: A. J. Eggers, H. J. Allen and S. E. Neice, "A comparative analysis of the
# performance of long-range hypervelocity vehicles", NACA Report 1382 (1958), the classic
# origin of this result; J. M. Acton, "Hypersonic Boost-Glide Weapons", Science & Global
# Security 23 (2015) 191-219, discusses this class of model for boost-glide weapons.
# tests/test_claims.py checks it against a numerical integration of the glide equation.
# Taking the glide down to v = 0 overstates the range a little, and we count the glide only
# (not the ground the boost covers): both make the speed needed a lower bound.


def glide_range_m(speed_m_s, ld):
    """Equilibrium-glide range (m) from ``speed_m_s`` at constant lift-to-drag ratio ``ld``."""
    x = np.asarray(speed_m_s, float) ** 2 / V_CIRC**2
    return np.where(x < 1.0, np.asarray(ld, float) * R_E / 2.0 * np.log(1.0 / (1.0 - np.minimum(x, 1 - 1e-16))),
                    np.inf)


def glide_speed_needed_m_s(range_m, ld):
    """Speed (m/s) at the start of an equilibrium glide of range ``range_m`` (inverse of
    :func:`glide_range_m`)."""
    return V_CIRC * np.sqrt(1.0 - np.exp(-2.0 * np.asarray(range_m, float) / (np.asarray(ld, float) * R_E)))


_ALT_GRID_M = np.arange(0.0, 300_001.0, 100.0)
_LN_RHO_GRID = np.log(us76(_ALT_GRID_M).density_kg_m3)


def glide_altitude_m(speed_m_s, lift_loading_kg_m2):
    """Equilibrium-glide altitude (m): where lift balances weight less the centrifugal relief,
    1/2 rho v^2 C_L S = m g (1 - v^2/v_c^2), i.e. rho = 2 (m/(C_L S)) g (1 - v^2/v_c^2) / v^2,
    with the US76 density (inverted on a 100 m grid, linear in ln rho; held at 0 and 300 km
    outside it). NaN at or above circular speed, where no lift is needed."""
    v = np.asarray(speed_m_s, float)
    rho = 2.0 * lift_loading_kg_m2 * G_SURF * (1.0 - v**2 / V_CIRC**2) / v**2
    with np.errstate(invalid="ignore", divide="ignore"):
        ln_rho = np.where(rho > 0, np.log(np.where(rho > 0, rho, 1.0)), np.nan)
    return np.interp(-ln_rho, -_LN_RHO_GRID, _ALT_GRID_M)


def _sound_speed(alt_m: float) -> float | None:
    """US76 speed of sound (m/s), None above 86 km where US76 does not define it."""
    if alt_m > Z_LOWER_TOP_M:
        return None
    return float(us76(alt_m).sound_speed_m_s)


# ------------------------------------------------------------------------------------------
# the claim check
# ------------------------------------------------------------------------------------------

def _km(x_m: float) -> str:
    x = x_m / 1e3
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}"


def _kms(v_m_s: float) -> str:
    return f"{v_m_s / 1e3:.2f}"


def _profile(apogee_m: float, apogee_min_energy_m: float, tol: float) -> str:
    """'depressed' / 'lofted' if the apogee is below / above the minimum-energy one by more than
    the tolerance, else 'minimum-energy'."""
    if apogee_m < apogee_min_energy_m * (1 - tol):
        return "depressed"
    if apogee_m > apogee_min_energy_m * (1 + tol):
        return "lofted"
    return "minimum-energy"


def _validate(range_km, apogee_km, flight_time_s, peak_speed_km_s, peak_mach, mach_convention,
              glide_ld, tolerance, reentry_beta_kg_m2):
    out = {"range_km": check_range("range_km", range_km, 1.0, 20_000.0, "km")}
    out["apogee_km"] = None if apogee_km is None else check_range("apogee_km", apogee_km, 1.0, 10_000.0, "km")
    out["flight_time_s"] = (None if flight_time_s is None
                            else check_range("flight_time_s", flight_time_s, 1.0, 100_000.0, "s"))
    if peak_speed_km_s is not None and peak_mach is not None:
        raise InputError("peak_mach", peak_mach, "no Mach number when peak_speed_km_s is given",
                         "give the peak speed either in km/s or as a Mach number, not both")
    out["peak_speed_km_s"] = (None if peak_speed_km_s is None
                              else check_range("peak_speed_km_s", peak_speed_km_s, 0.1, 12.0, "km/s"))
    out["peak_mach"] = None if peak_mach is None else check_range("peak_mach", peak_mach, 0.5, 40.0)
    if mach_convention not in MACH_CONVENTIONS:
        raise InputError("mach_convention", mach_convention, "'sea-level' or 'local'")
    out["glide_ld"] = None if glide_ld is None else check_range("glide_ld", glide_ld, 0.5, 10.0)
    out["tolerance"] = check_range("tolerance", tolerance, 0.0, 0.5)
    out["reentry_beta_kg_m2"] = check_range("reentry_beta_kg_m2", reentry_beta_kg_m2, 100.0, 1e6, "kg/m^2")
    return out


def check_claim(range_km, apogee_km=None, flight_time_s=None, peak_speed_km_s=None, peak_mach=None,
                mach_convention="sea-level", glide_ld=None, tolerance=0.05,
                reentry_beta_kg_m2=5000.0) -> dict:
    """Is there a ballistic flight that matches all the given figures (each within ±tolerance)?

    ``range_km`` is required; ``apogee_km``, ``flight_time_s`` and a peak speed (``peak_speed_km_s``
    or ``peak_mach`` with ``mach_convention`` 'sea-level' or 'local') are optional;
    ``glide_ld`` adds the boost-glide check. Returns a JSON-ready dict (the contract of
    ``boostphase check ... --json``): ``min_energy``, ``through_apogee``, ``with_drag``,
    ``reentry_beta_kg_m2``, ``peak_speed_km_s_needed``, ``claimed_peak_speed_km_s``,
    ``mach_convention``, ``ballistic_consistent``, ``verdict`` (:data:`boostphase.claims.verdict.VERDICTS`),
    ``verdict_sentence``, ``reasons``, ``glide`` and supporting figures.
    See the module doc for the models and their simplifications.
    """
    c = _validate(range_km, apogee_km, flight_time_s, peak_speed_km_s, peak_mach, mach_convention,
                  glide_ld, tolerance, reentry_beta_kg_m2)
    tol, beta, conv = c["tolerance"], c["reentry_beta_kg_m2"], mach_convention
    rng = c["range_km"] * 1e3
    psi = rng / R_E
    apo = None if c["apogee_km"] is None else c["apogee_km"] * 1e3
    t_claim = c["flight_time_s"]
    reasons: list[str] = []
    fails: list[tuple[str, str]] = []  # (verdict kind, its sentence): see claim_verdict

    def mach_of(v_m_s: float, alt_m: float) -> float | None:
        a = A_SEA_LEVEL if conv == "sea-level" else _sound_speed(alt_m)
        return None if a is None else v_m_s / a

    # --- vacuum, minimum energy ------------------------------------------------------------
    v_me, g_me = (float(x) for x in min_energy_arc(psi))
    apo_me = float(apogee_radius_m(v_me, g_me)) - R_E
    t_me = _time_of(v_me, g_me)
    min_energy = {"burnout_speed_km_s": v_me / 1e3, "flight_path_deg": math.degrees(g_me),
                  "apogee_km": apo_me / 1e3, "flight_time_s": t_me, "burnout_altitude_km": 0.0,
                  "burnout_mach": mach_of(v_me, 0.0), "mach_convention": conv}
    reasons.append(
        f"A {_km(rng)} km ballistic flight needs at least {_kms(v_me)} km/s at burnout "
        f"(Mach {v_me / A_SEA_LEVEL:.1f} at sea-level sound speed), on the minimum-energy arc: "
        f"{math.degrees(g_me):.1f} deg above the horizon, apogee {_km(apo_me)} km, "
        f"{t_me / 60:.1f} min from burnout (vacuum, spherical Earth, burnout at the surface).")

    # --- vacuum, the arc fixed by the apogee or the flight time ---------------------------
    through = None
    arc_kind = None
    if apo is not None:
        v_a, g_a = (float(x) for x in arc_through_apogee(psi, R_E + apo))
        t_a = _time_of(v_a, g_a)
        arc_kind = _profile(apo, apo_me, tol)
        through = {"burnout_speed_km_s": v_a / 1e3, "flight_path_deg": math.degrees(g_a),
                   "flight_time_s": t_a, "apogee_km": apo / 1e3, "profile": arc_kind,
                   "solved_from": "apogee", "burnout_mach": mach_of(v_a, 0.0), "mach_convention": conv}
        kind_words = {"depressed": "a depressed trajectory", "lofted": "a lofted trajectory",
                      "minimum-energy": "close to the minimum-energy trajectory"}[arc_kind]
        reasons.append(
            f"Reaching {_km(apo)} km apogee on a {_km(rng)} km range is {kind_words} "
            f"(the minimum-energy arc peaks at {_km(apo_me)} km): it needs {_kms(v_a)} km/s at "
            f"{math.degrees(g_a):.1f} deg, and takes {t_a / 60:.1f} min from burnout.")
    elif t_claim is not None:
        t_min = psi * math.sqrt(R_E**3 / MU)
        arc = arc_for_time(psi, max(t_claim, t_min * (1 + 1e-6)))
        if t_claim * (1 + tol) <= t_min:
            reasons.append(
                f"No ballistic arc covers {_km(rng)} km in {t_claim:,.0f} s: even a grazing arc at "
                f"circular speed takes {t_min:,.0f} s.")
            fails.append(("inconsistent_times:time", reasons[-1]))
        elif arc is None:
            reasons.append(f"No ballistic arc below escape speed takes {t_claim:,.0f} s to cover "
                           f"{_km(rng)} km.")
            fails.append(("inconsistent_times:time", reasons[-1]))
        else:
            v_a, g_a = arc
            apo_a = float(apogee_radius_m(v_a, g_a)) - R_E
            arc_kind = _profile(apo_a, apo_me, tol)
            through = {"burnout_speed_km_s": v_a / 1e3, "flight_path_deg": math.degrees(g_a),
                       "flight_time_s": _time_of(v_a, g_a), "apogee_km": apo_a / 1e3, "profile": arc_kind,
                       "solved_from": "flight_time", "burnout_mach": mach_of(v_a, 0.0),
                       "mach_convention": conv}
            reasons.append(
                f"Covering {_km(rng)} km in {t_claim:,.0f} s (counted from burnout) takes a {arc_kind} "
                f"arc: {_kms(v_a)} km/s at {math.degrees(g_a):.1f} deg, apogee {_km(apo_a)} km.")

    # --- with re-entry drag -----------------------------------------------------------------
    # burnout below the claimed apogee, or that of the range-and-time arc; with the range alone,
    # below the flat-Earth minimum-energy apogee, range/4 (the spherical one vanishes near
    # antipodal ranges, where the vacuum arc grazes the surface)
    h_bo = burnout_altitude_m(apo if apo is not None else
                              through["apogee_km"] * 1e3 if through is not None else rng / 4.0)
    reach = None
    if through is None:
        dr = _drag_min_energy(psi, h_bo, beta)
        drag_profile = "minimum-energy"
    elif through["solved_from"] == "apogee":
        dr, reach = _drag_through_apogee(psi, apo, h_bo, beta)
        drag_profile = "through-apogee"
    else:
        x0 = _ascent_state(through["burnout_speed_km_s"] * 1e3, math.radians(through["flight_path_deg"]), h_bo)
        dr = _drag_newton(psi, t_claim, "time", h_bo, beta, [float(x0[0]), float(x0[1])])
        drag_profile = "range-and-time"
    with_drag = None
    if dr is not None:
        v_se = float(surface_equivalent_speed(dr["speed_m_s"], h_bo))
        with_drag = {
            "profile": drag_profile, "reentry_beta_kg_m2": beta, "burnout_altitude_km": h_bo / 1e3,
            "burnout_speed_km_s": dr["speed_m_s"] / 1e3, "flight_path_deg": math.degrees(dr["gamma_rad"]),
            "apogee_km": dr["apogee_m"] / 1e3, "flight_time_s": dr["time_s"],
            "impact_speed_km_s": dr["impact_speed_m_s"] / 1e3, "surface_equivalent_speed_km_s": v_se / 1e3,
            "burnout_mach": mach_of(dr["speed_m_s"], h_bo), "mach_convention": conv}
        reasons.append(
            f"With re-entry drag (beta {beta:,.0f} kg/m^2, burnout {_km(h_bo)} km above the launch "
            f"point) the {drag_profile} arc needs {_kms(dr['speed_m_s'])} km/s at burnout, "
            f"{math.degrees(dr['gamma_rad']):.1f} deg, and lands at {_kms(dr['impact_speed_m_s'])} km/s; "
            f"no speed after burnout can exceed {_kms(v_se)} km/s.")
    elif reach is not None and reach < rng:
        reasons.append(
            f"With re-entry drag (beta {beta:,.0f} kg/m^2, burnout {_km(h_bo)} km up) no ballistic arc "
            f"through {_km(apo)} km apogee reaches {_km(rng)} km: the longest flies {_km(reach)} km.")
        fails.append(("too_fast_for_ballistic:apogee", reasons[-1]))
    else:
        reasons.append(f"With re-entry drag (beta {beta:,.0f} kg/m^2) the search for the {drag_profile} "
                       f"arc did not converge; the verdict rests on the vacuum arc.")

    # --- the speed the flight needs, and the claimed speed ---------------------------------
    v_need = (through["burnout_speed_km_s"] * 1e3) if through else v_me
    # The peak speed of the drag arc lies between the larger of its burnout and impact speeds
    # and its surface-equivalent speed; the band spans that and the vacuum figure.
    band = [v_need, v_need]
    if with_drag is not None:
        band = [min(v_need, max(dr["speed_m_s"], dr["impact_speed_m_s"])),
                max(v_need, with_drag["surface_equivalent_speed_km_s"] * 1e3)]
    if c["peak_speed_km_s"] is not None:
        v_claim = c["peak_speed_km_s"] * 1e3
        claim_alt = 0.0 if conv == "sea-level" else h_bo
        mach_claim = None
        claim_words = f"{v_claim / 1e3:.2f} km/s"
    elif c["peak_mach"] is not None:
        claim_alt = 0.0 if conv == "sea-level" else h_bo
        a = A_SEA_LEVEL if conv == "sea-level" else _sound_speed(claim_alt)
        v_claim = c["peak_mach"] * a
        mach_claim = c["peak_mach"]
        claim_words = (f"Mach {c['peak_mach']:g} is {_kms(v_claim)} km/s at "
                       + ("sea-level sound speed (the convention South Korea's JCS appears to use)"
                          if conv == "sea-level" else
                          f"the sound speed at the {_km(h_bo)} km burnout altitude ({a:.1f} m/s)"))
    else:
        v_claim = None

    ballistic_arcs = None
    if v_claim is not None:
        if mach_claim is None:
            mach_claim = mach_of(v_claim, claim_alt)
        if through is None:  # range only: any speed from the minimum up (below escape) will do
            ok = v_claim >= band[0] * (1 - tol) and v_claim < V_ESC
            d, lft = arcs_at_speed(psi, v_claim)
            ballistic_arcs = {"depressed": None, "lofted": None}
            for name, g in (("depressed", d), ("lofted", lft)):
                if g is not None:
                    ballistic_arcs[name] = {
                        "flight_path_deg": math.degrees(g),
                        "apogee_km": (float(apogee_radius_m(v_claim, g)) - R_E) / 1e3,
                        "flight_time_s": _time_of(v_claim, g)}
            if not ok and v_claim < band[0] * (1 - tol):
                reasons.append(
                    f"{claim_words}: too slow. Even the minimum-energy arc needs {_kms(band[0])} km/s "
                    f"or more, and {_kms(v_claim)} km/s carries a ballistic flight at most "
                    f"{_km(_max_range_m(v_claim))} km.")
                fails.append(("too_slow_for_any_ballistic:speed", reasons[-1]))
            elif not ok:
                reasons.append(f"{claim_words}: at or above escape speed ({_kms(V_ESC)} km/s): not a "
                               f"ballistic flight.")
                fails.append(("too_fast_for_ballistic:speed", reasons[-1]))
            elif v_claim <= v_me * (1 + tol):
                reasons.append(f"{claim_words}: consistent with a near minimum-energy ballistic flight.")
            else:
                parts = [f"a {k} arc ({a['flight_path_deg']:.1f} deg, apogee {_km(a['apogee_km'] * 1e3)} km)"
                         for k, a in ballistic_arcs.items() if a is not None]
                reasons.append(
                    f"{claim_words}: more than the {_kms(v_me)} km/s minimum, so a ballistic flight at "
                    f"that speed reaches {_km(rng)} km only on a non-minimum-energy path: "
                    + " or ".join(parts) + " (vacuum).")
        else:
            ok = band[0] * (1 - tol) <= v_claim <= band[1] * (1 + tol)
            if ok:
                reasons.append(f"{claim_words}: consistent with that arc (within ±{tol:.0%}).")
            else:
                rel = v_claim / v_need - 1
                need = (f"{_kms(v_need)} km/s in vacuum" if with_drag is None
                        else f"{_kms(band[0])}-{_kms(band[1])} km/s with and without drag")
                msg = (f"{claim_words}: {abs(rel):.0%} {'more' if rel > 0 else 'less'} than that arc "
                       f"needs ({need})")
                if apo is not None:
                    other = range_angle_through_apogee_at_speed(v_claim, R_E + apo)
                    if other is not None:
                        msg += (f"; a ballistic arc at {_kms(v_claim)} km/s through {_km(apo)} km apogee "
                                f"would land {_km(other * R_E)} km away")
                    else:
                        msg += f"; no ballistic arc at {_kms(v_claim)} km/s has a {_km(apo)} km apogee"
                if rel < 0 and v_claim < v_me * (1 - tol):
                    msg += f"; it is below even the {_kms(v_me)} km/s of the minimum-energy arc for this range"
                reasons.append(msg + ".")
                fails.append((f"{'too_fast_for_ballistic' if rel > 0 else 'too_slow_for_any_ballistic'}:speed", reasons[-1]))

    # --- flight time against the arc fixed by the apogee ------------------------------------
    if t_claim is not None and apo is not None:
        times = [through["flight_time_s"]] + ([dr["time_s"]] if with_drag is not None else [])
        lo_t, hi_t = min(times) * (1 - tol), max(times) * (1 + tol) + BOOST_ALLOWANCE_S
        ok = lo_t <= t_claim <= hi_t
        reasons.append(
            f"A flight time of {t_claim:,.0f} s is {'consistent' if ok else 'inconsistent'} with that "
            f"arc: it takes {min(times):,.0f}-{max(times):,.0f} s from burnout, plus up to "
            f"{BOOST_ALLOWANCE_S:.0f} s of boost.")
        if not ok:
            fails.append(("inconsistent_times:time", reasons[-1]))

    ballistic = not fails
    reasons.append(("The figures fit a ballistic flight" if ballistic else "No ballistic flight matches all the figures")
                   + f" (each within ±{tol:.0%}).")

    # --- boost-glide ------------------------------------------------------------------------
    glide = None
    min_ld = None
    if v_claim is not None:
        min_ld = 2.0 * rng / (R_E * math.log(1.0 / (1.0 - v_claim**2 / V_CIRC**2))) if v_claim < V_CIRC else None
        if c["glide_ld"] is None and not ballistic and min_ld is not None:
            reasons.append(
                f"A boost-glide vehicle starting an equilibrium glide at {_kms(v_claim)} km/s covers "
                f"{_km(rng)} km if its lift-to-drag ratio is at least {min_ld:.2f} (Eggers-Allen-Neice "
                f"glide range; pass glide_ld to check a given vehicle).")
    if c["glide_ld"] is not None:
        glide = _glide_block(c["glide_ld"], rng, beta, conv, v_claim if c["peak_mach"] is None else None,
                             c["peak_mach"], tol, reasons)
    verdict, failing = pick_verdict(fails)
    glide_words, beyond = (None, None) if v_claim is None else glide_clause(v_claim, min_ld)
    fit = f"The figures fit a ballistic flight (each within ±{tol:.0%})."
    sentence = verdict_sentence(verdict, failing, glide=glide_words, fit_sentence=fit)

    return {
        "claim": {"range_km": c["range_km"], "apogee_km": c["apogee_km"], "flight_time_s": t_claim,
                  "peak_speed_km_s": c["peak_speed_km_s"], "peak_mach": c["peak_mach"],
                  "mach_convention": conv, "glide_ld": c["glide_ld"], "tolerance": tol},
        "earth": "sphere (R = 6371 km, point-mass gravity, non-rotating)",
        "min_energy": min_energy,
        "through_apogee": through,
        "with_drag": with_drag,
        "reentry_beta_kg_m2": beta,
        "peak_speed_km_s_needed": v_need / 1e3,
        "peak_speed_band_km_s": [band[0] / 1e3, band[1] / 1e3],
        "peak_mach_needed": mach_of(v_need, 0.0),
        "claimed_peak_speed_km_s": None if v_claim is None else v_claim / 1e3,
        "claimed_peak_mach": mach_claim if v_claim is not None else None,
        "mach_convention": conv,
        "ballistic_arcs_at_claimed_speed": ballistic_arcs,
        "min_glide_ld_for_claimed_speed": min_ld,
        "min_glide_ld_beyond_known_gliders": beyond,
        "ballistic_consistent": ballistic,
        "verdict": verdict,
        "verdict_sentence": sentence,
        "glide": glide,
        "reasons": reasons,
    }


def _max_range_m(speed_m_s: float) -> float:
    """Longest vacuum range (m) for a burnout speed at the surface: sin(psi/2) = Q / (2 - Q)."""
    q = speed_m_s**2 * R_E / MU
    if q >= 1.0:
        return math.pi * R_E
    return 2.0 * math.asin(q / (2.0 - q)) * R_E


def _glide_block(ld: float, rng: float, beta: float, conv: str, v_claim_fixed: float | None,
                 mach: float | None, tol: float, reasons: list[str]) -> dict:
    """The ``glide`` part of :func:`check_claim` (appends its sentences to ``reasons``)."""
    loading = beta / ld  # m/(C_L S) = m/(C_D S) / (L/D): the glider's beta is the stated one
    v_need = float(glide_speed_needed_m_s(rng, ld))
    h_need = float(glide_altitude_m(v_need, loading))
    a_need = A_SEA_LEVEL if conv == "sea-level" else _sound_speed(h_need)
    out = {"ld": ld, "speed_km_s_needed": v_need / 1e3, "altitude_km": h_need / 1e3,
           "mach_needed": None if a_need is None else v_need / a_need, "mach_convention": conv,
           "lift_loading_kg_m2": loading, "checks": "speed and range (not apogee or flight time)",
           "method": "equilibrium glide at constant L/D (Eggers, Allen & Neice 1958); altitude where "
                     "lift at m/(C_L S) = reentry_beta_kg_m2 / L/D balances weight less centrifugal relief"}
    reasons.append(
        f"A glider with L/D {ld:g} needs at least {_kms(v_need)} km/s at the start of its glide to cover "
        f"{_km(rng)} km (equilibrium glide, at about {_km(h_need)} km altitude for m/(C_L S) = "
        f"{loading:,.0f} kg/m^2).")
    v_claim = v_claim_fixed
    if mach is not None:
        if conv == "sea-level":
            v_claim = mach * A_SEA_LEVEL
        else:  # the speed of sound at the glide altitude, which itself depends on the speed
            v_claim = mach * A_SEA_LEVEL
            for _ in range(30):
                a = _sound_speed(float(glide_altitude_m(min(v_claim, V_CIRC * (1 - 1e-9)), loading)))
                if a is None:
                    v_claim = None
                    reasons.append(
                        f"Mach {mach:g} at the local sound speed is undefined for this glider: it would "
                        f"fly above 86 km, where US76 defines no speed of sound.")
                    break
                v_claim = mach * a
    out["claimed_speed_km_s"] = None if v_claim is None else v_claim / 1e3
    if v_claim is None:
        out["fits"] = None
        return out
    h_claim = float(glide_altitude_m(min(v_claim, V_CIRC * (1 - 1e-9)), loading))
    reach = float(glide_range_m(v_claim, ld))
    out["range_km_at_claimed_speed"] = reach / 1e3 if np.isfinite(reach) else None
    out["altitude_km_at_claimed_speed"] = h_claim / 1e3
    fits = v_need * (1 - tol) <= v_claim < V_CIRC
    out["fits"] = bool(fits)
    if v_claim >= V_CIRC:
        reasons.append(f"{_kms(v_claim)} km/s is orbital speed: no equilibrium glide starts there.")
    elif fits:
        reasons.append(
            f"The claimed {_kms(v_claim)} km/s fits a glide: it would carry this glider about "
            f"{_km(reach)} km, gliding near {_km(h_claim)} km altitude.")
    else:
        reasons.append(
            f"The claimed {_kms(v_claim)} km/s is too slow for this glider: it glides about {_km(reach)} km.")
    return out
