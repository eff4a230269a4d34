"""Closed-form arcs for the claim checks (mission claim C3): vacuum Keplerian arcs from the
surface radius back to it, and the equilibrium glide of a boost-glide vehicle.

All on the spherical, non-rotating Earth :data:`boostphase.models.earth.SPHERE` (R = 6371 km,
point-mass gravity mu = 3.986004418e14 m^3/s^2). SI units: metres, seconds, radians. Every
function takes NumPy arrays where it says so (the uncertainty ensembles of
:mod:`boostphase.claims.check_bands` call them on thousands of samples at once). The models,
and their simplifications, are described in :mod:`boostphase.claims.check`.
"""

from __future__ import annotations

import math

import numpy as np

from ..flight.flyout import vacuum_kepler
from ..models.atmosphere import Z_LOWER_TOP_M, us76
from ..models.earth import SPHERE

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


def time_of(speed_m_s, gamma_rad) -> float:
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
    if not (time_of(speed_for_angle(psi, lo), lo) < flight_time_s < time_of(speed_for_angle(psi, hi), hi)):
        return None
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if time_of(speed_for_angle(psi, mid), mid) < flight_time_s:
            lo = mid
        else:
            hi = mid
    g = 0.5 * (lo + hi)
    return float(speed_for_angle(psi, g)), g


def ascent_state(v0, g0, h_m):
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


def sound_speed(alt_m: float) -> float | None:
    """US76 speed of sound (m/s), None above 86 km where US76 does not define it."""
    if alt_m > Z_LOWER_TOP_M:
        return None
    return float(us76(alt_m).sound_speed_m_s)
