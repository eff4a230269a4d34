"""ORACLE ONLY during the port to C (deleted when the port is done). The batched flight engine: a point mass under gravity, thrust and drag, on plain float64 arrays.

It knows nothing of missiles or countries. A case is an initial Earth-fixed state plus a
*schedule* of segments; within a segment mass falls linearly, thrust (vacuum thrust minus
ambient pressure times nozzle exit area) points along one steering law, and drag uses a
Cd(Mach) table and a reference area. Segment ends (staging, burnout, shroud drop, end of
pitch-over) are landed on exactly, so the right-hand side is smooth inside every step.

Frame: Earth-fixed (ECEF), with Coriolis and centrifugal terms when omega != 0, so the
air (which co-rotates with the Earth) is at rest in it and air speed is |v|.

Integrator: Dormand–Prince 5(4) with per-case adaptive steps (vmap over a
``lax.while_loop``). Events are located by re-stepping from the last accepted point with a
bracketed Newton search on the step length (the derivative of the event function at each trial
comes with the step: the vertical speed for the impact, d(vz)/dt from the FSAL stage for the
apogee), so the impact (geodetic altitude 0) and the apogee (vertical speed 0) are exact to the
integrator's accuracy, not to a step; about 3 trials per event.

Steering modes per segment: 0 vertical (local geodetic up), 1 pitch-over (thrust tilted
from vertical towards the case's azimuth by an angle growing linearly from 0 at ``pitch_t0``
to ``kick`` at ``pitch_t1``: the pitch-over's own start and end, not the segment's, so an
event inside the pitch-over, a staging or a shroud drop, does not reset the tilt), 2 gravity turn (thrust along the air-relative velocity), 3 fixed
(thrust along the case's given unit vector ``u_fixed`` in the local east/north/up frame).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from functools import partial
from typing import NamedTuple

import jax

jax.config.update("jax_enable_x64", True)


# Compiled kernels persist on disk through this module's own executable cache (see
# "compiled-kernel cache" below), not JAX's persistent compilation cache: an executable that JAX
# loaded from its cache serialises incompletely on the CPU ("Function ... not found" when the
# copy is run in another process, measured with jax 0.10.2), so the two must not be stacked.

import jax.numpy as jnp  # noqa: E402

T_INF = 1.0e30
from boostphase.atmosphere import TABLE_DALT_M, FALL_TABLE_TOP_M  # noqa

def kernel_lookup(alt_m, table: KernelTable):
    """Density (kg/m^3), pressure (Pa) and Mach sound speed (m/s) at geometric ``alt_m`` (m).

    Pure jnp, no Python branching on values: works under ``jax.jit``, ``jax.vmap`` and
    ``jax.grad`` (piecewise linear in the ln values, so d/dalt is the local segment slope;
    exactly at 0 m and at the table top it is the mean of the two one-sided slopes).
    ``table`` is :func:`kernel_table`'s result. Index i = clip(floor(alt/dalt), 0, N-2);
    ln(density), ln(pressure) and the sound speed are interpolated linearly in the cell.
    Below 0 m the 0 m values are returned; above ``TABLE_MAX_ALT_M`` density and pressure
    continue exponentially with their log-slopes at 1000 km (as :func:`us76` does) and the
    sound speed stays at its (86 km) value.

    Accuracy against :func:`us76`, measured on a 1 m sample of 0-1000 km (and asserted in
    ``tests/test_atmosphere.py``): density max relative error 4.60e-4, at the tropopause
    (Z = 11 019 m); 2.6e-4 at the 47 km layer base; 2.2e-5 above 86 km. Pressure 8.9e-6,
    sound speed 2.3e-4. Why: ln(rho) is smooth inside each 100 m cell (curvature error
    h^2/8 |ln rho''| < 2.2e-5) except where dT_M/dH jumps at a layer base below 86 km. A
    slope jump s at fraction f of a cell of width h gives s h f (1 - f); at 11 km' (Z =
    11 019.05 m) s = 0.0065/216.65 = 3.0e-5 per m and f = 0.19, so 4.6e-4. ln(P) has no
    such kinks. 86, 100, 110, 115, 120 and 150 km are grid nodes.
    """
    ln_rho_t, ln_p_t, snd_t, slope_rho, slope_p, d_rho_t, d_p_t = table
    n = ln_rho_t.shape[0]
    top = TABLE_DALT_M * (n - 1)
    alt = jnp.asarray(alt_m)
    x = jnp.clip(alt, 0.0, top) / TABLE_DALT_M
    i = jnp.clip(jnp.floor(x).astype(jnp.int32), 0, n - 2)
    w = x - i
    # cubic Hermite (C1) in the ln values: a piecewise-linear table has a slope jump at every
    # node, which an adaptive integrator sees as a kink every 100 m and answers with small steps
    w2 = w * w
    w3 = w2 * w
    h00, h10, h01, h11 = 2 * w3 - 3 * w2 + 1, w3 - 2 * w2 + w, -2 * w3 + 3 * w2, w3 - w2
    ln_rho = h00 * ln_rho_t[i] + h10 * d_rho_t[i] + h01 * ln_rho_t[i + 1] + h11 * d_rho_t[i + 1]
    ln_p = h00 * ln_p_t[i] + h10 * d_p_t[i] + h01 * ln_p_t[i + 1] + h11 * d_p_t[i + 1]
    snd = snd_t[i] + w * (snd_t[i + 1] - snd_t[i])
    above = jnp.maximum(alt - top, 0.0)
    return jnp.exp(ln_rho + slope_rho * above), jnp.exp(ln_p + slope_p * above), snd




def fall_lookup(alt_m, table):
    """(S, Q) of :func:`fall_table` at ``alt_m`` (m), linear in each 100 m cell, clamped to
    0..FALL_TABLE_TOP_M. Interpolation error: (100 m)^2 / 8 times the integrand's slope, i.e.
    ~1e-4 of the integral just above a node near the ground, less higher up: far below the
    terminal-fall model's own ~0.5 % (tests/test_atmosphere.py checks 3e-4 against quadrature)."""
    s_t, q_t = table
    n = s_t.shape[0]
    x = jnp.clip(jnp.asarray(alt_m), 0.0, TABLE_DALT_M * (n - 1)) / TABLE_DALT_M
    i = jnp.clip(jnp.floor(x).astype(jnp.int32), 0, n - 2)
    w = x - i
    return s_t[i] + w * (s_t[i + 1] - s_t[i]), q_t[i] + w * (q_t[i + 1] - q_t[i])



# Dormand–Prince 5(4) tableau (Dormand & Prince 1980; Hairer, Nørsett & Wanner, Table 5.2).
_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
_B5 = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_B4 = (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40)
_E = tuple(b5 - b4 for b5, b4 in zip(_B5, _B4, strict=True))


class Case(NamedTuple):
    """One case (or a batch, with a leading axis on every field). SI units throughout."""

    y0: jnp.ndarray          # (6,) Earth-fixed position (m) and velocity (m/s)
    t0: jnp.ndarray          # () start time (s)
    seg_t_end: jnp.ndarray   # (S,) end time of each segment (s), ascending; last = T_INF
    seg_m0: jnp.ndarray      # (S,) mass at segment start (kg)
    seg_mdot: jnp.ndarray    # (S,) mass flow (kg/s, >= 0)
    seg_thrust: jnp.ndarray  # (S,) vacuum thrust (N)
    seg_exit_area: jnp.ndarray  # (S,) nozzle exit area (m^2) for the pressure loss
    seg_ref_area: jnp.ndarray   # (S,) drag reference area (m^2); 0 = no drag
    seg_mode: jnp.ndarray    # (S,) int steering mode (see module doc)
    cd_mach: jnp.ndarray     # (S, K) Mach points of the Cd table of each segment (ascending)
    cd_val: jnp.ndarray      # (S, K) Cd values
    azimuth: jnp.ndarray     # () launch azimuth (rad) for the pitch-over
    kick: jnp.ndarray        # () pitch-over angle (rad) reached at pitch_t1
    pitch_t0: jnp.ndarray    # () start time of the pitch-over (s); the tilt is 0 before it
    pitch_t1: jnp.ndarray    # () end time of the pitch-over (s); the tilt is ``kick`` from then
    u_fixed: jnp.ndarray     # (3,) east/north/up thrust direction for mode 3
    t_max: jnp.ndarray       # () give up (no impact) after this time (s)


class Result(NamedTuple):
    t: jnp.ndarray            # final time (s): impact time if ``impacted``
    y: jnp.ndarray            # (6,) final state
    impacted: jnp.ndarray     # bool
    apogee_alt: jnp.ndarray   # highest altitude reached (m) (exact at a located apogee)
    apogee_t: jnp.ndarray     # time of it (s)
    seg_state: jnp.ndarray    # (S, 7) (t, r, v) at the end of each segment (NaN if not reached)
    n_steps: jnp.ndarray      # accepted steps
    n_rhs: jnp.ndarray        # right-hand-side evaluations (7 per trial step; 6 + 1 with FSAL)
    n_reject: jnp.ndarray     # trial steps rejected by the error control
    rec: jnp.ndarray          # (NREC, 7) accepted (t, r, v) points, NaN padded (NREC=1 when off)
    n_rec: jnp.ndarray        # number of recorded points
    fell: jnp.ndarray         # bool: the fall ended with the terminal-fall model (Settings)


class Settings(NamedTuple):
    """Static settings: changing one recompiles."""

    spherical: bool = False
    drag: bool = True
    rtol: float = 1e-10
    atol_pos_m: float = 1e-4
    atol_vel_m_s: float = 1e-7
    h0_s: float = 0.5
    h_max_s: float = 600.0
    max_iter: int = 200_000
    n_rec: int = 1
    stop_at_impact: bool = True
    powered: bool = True       # False: no thrust, steering or mass flow (pure coasts: cheaper)
    constant_cd: bool = False  # True: Cd is the first table value (coasts given a beta)
    # Terminal-fall ending (coasts with constant Cd only): once a descending body moves at its
    # local terminal speed (within terminal_fall_tol, horizontal speed below terminal_fall_tol
    # of it) and that speed is at most terminal_fall_max_speed_m_s, the rest of the fall is
    # the quasi-steady fall along the local vertical (see _terminal_fall). Where it applies,
    # explicit steps are limited by stability to ~1.6 v_t / g however smooth the fall: it
    # was 79 % of a debris cloud's steps.
    terminal_fall: bool = False
    terminal_fall_max_speed_m_s: float = 100.0
    terminal_fall_tol: float = 0.03


# --- geometry ----------------------------------------------------------------------------

def _geodetic(r, a, e2, spherical):
    """(sin lat, cos lat, sin lon, cos lon, alt) of Earth-fixed position r (closed form)."""
    x, y, z = r[0], r[1], r[2]
    p = jnp.sqrt(x * x + y * y)
    p_safe = jnp.maximum(p, 1e-9)
    so, co = jnp.where(p > 1e-9, y / p_safe, 0.0), jnp.where(p > 1e-9, x / p_safe, 1.0)
    if spherical:
        rn = jnp.sqrt(p * p + z * z)
        return z / rn, p / rn, so, co, rn - a
    b = a * jnp.sqrt(1.0 - e2)
    ep2 = (a * a - b * b) / (b * b)
    F = 54.0 * b * b * z * z
    G = p * p + (1.0 - e2) * z * z - e2 * (a * a - b * b)
    c = e2 * e2 * F * p * p / (G * G * G)
    s = jnp.cbrt(1.0 + c + jnp.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    P = F / (3.0 * k * k * G * G)
    Q = jnp.sqrt(1.0 + 2.0 * e2 * e2 * P)
    r0 = -(P * e2 * p) / (1.0 + Q) + jnp.sqrt(jnp.maximum(
        0.5 * a * a * (1.0 + 1.0 / Q) - P * (1.0 - e2) * z * z / (Q * (1.0 + Q)) - 0.5 * P * p * p, 0.0))
    U = jnp.sqrt((p - e2 * r0) ** 2 + z * z)
    V = jnp.sqrt((p - e2 * r0) ** 2 + (1.0 - e2) * z * z)
    z0 = b * b * z / (a * V)
    alt = U * (1.0 - b * b / (a * V))
    num = z + ep2 * z0
    hyp = jnp.sqrt(num * num + p * p)
    return num / hyp, p / hyp, so, co, alt


def _geodetic_fast(r, a, e2, spherical):
    """As :func:`_geodetic` but with Bowring's one-step formula (1976): sub-millimetre near the
    surface, centimetres at thousands of km, and half the operations of the exact closed form.
    Used inside the right-hand side (air density, steering frame) and for the event functions
    (impact at altitude 0, where it is sub-millimetre; apogee); a case's start uses the exact
    form. (Measured: rewriting it with reciprocal square roots and no divides cut the XLA loops
    per engine iteration from 155 to 112 but ran 25 % slower: XLA then fuses the cheap producers
    into each of their users and computes them several times.)"""
    if spherical:
        return _geodetic(r, a, e2, spherical)
    x, y, z = r[0], r[1], r[2]
    p = jnp.sqrt(x * x + y * y)
    p_safe = jnp.maximum(p, 1e-9)
    so, co = jnp.where(p > 1e-9, y / p_safe, 0.0), jnp.where(p > 1e-9, x / p_safe, 1.0)
    b = a * jnp.sqrt(1.0 - e2)
    ep2 = e2 / (1.0 - e2)
    tb = a * z / (b * p_safe)  # tan of the parametric latitude's first guess
    cb = 1.0 / jnp.sqrt(1.0 + tb * tb)
    sb = tb * cb
    num = z + ep2 * b * sb * sb * sb
    den = p - e2 * a * cb * cb * cb
    hyp = jnp.sqrt(num * num + den * den)
    sl, cl = num / hyp, den / hyp
    n = a / jnp.sqrt(1.0 - e2 * sl * sl)
    alt = p * cl + z * sl - a * a / n
    return sl, cl, so, co, alt


def _interp_table(x, xp, fp):
    """Linear interpolation in a short ascending table, flat outside it. Loop-free (a compare and
    a sum find the cell): jnp.interp's binary search is a nested while loop, which in the hot
    loop cost more than the rest of the right-hand side."""
    i = jnp.clip(jnp.sum(x >= xp[1:-1]), 0, xp.shape[0] - 2)
    x0, x1 = xp[i], xp[i + 1]
    w = jnp.clip((x - x0) / (x1 - x0), 0.0, 1.0)
    return fp[i] + w * (fp[i + 1] - fp[i])


def _up(sl, cl, so, co):
    return jnp.stack([cl * co, cl * so, sl])


def altitude_and_vspeed(y, consts, spherical):
    """Geodetic altitude (m) and its rate (m/s, along the ellipsoid normal)."""
    alt, vz, _ = _alt_vz_up(y, consts, spherical, exact=True)
    return alt, vz


def _alt_vz_up(y, consts, spherical, exact=False):
    a, e2 = consts[0], consts[1]
    sl, cl, so, co, alt = (_geodetic if exact else _geodetic_fast)(y[:3], a, e2, spherical)
    up = _up(sl, cl, so, co)
    return alt, y[3] * up[0] + y[4] * up[1] + y[5] * up[2], up


# --- right-hand side -----------------------------------------------------------------------

class _Seg(NamedTuple):
    """The current segment's parameters, gathered once per step (not in every stage)."""

    t_start: jnp.ndarray
    t_end: jnp.ndarray
    m0: jnp.ndarray
    mdot: jnp.ndarray
    thrust: jnp.ndarray
    exit_area: jnp.ndarray
    ref_area: jnp.ndarray
    mode: jnp.ndarray
    cd_mach: jnp.ndarray
    cd_val: jnp.ndarray
    sin_az: jnp.ndarray
    cos_az: jnp.ndarray


def _segment(case: Case, k) -> _Seg:
    t_start = jnp.where(k > 0, case.seg_t_end[jnp.maximum(k - 1, 0)], case.t0)
    return _Seg(t_start, case.seg_t_end[k], case.seg_m0[k], case.seg_mdot[k], case.seg_thrust[k],
                case.seg_exit_area[k], case.seg_ref_area[k], case.seg_mode[k], case.cd_mach[k], case.cd_val[k],
                jnp.sin(case.azimuth), jnp.cos(case.azimuth))


def _gravity(r, consts, spherical):
    """Gravitation (point mass, plus J2 unless spherical) and the centrifugal term (m/s^2)."""
    a, e2, mu, j2, om = consts
    x, yy, z = r[0], r[1], r[2]
    r2 = x * x + yy * yy + z * z
    inv_r2 = 1.0 / r2
    inv_r = 1.0 / jnp.sqrt(r2)
    k = -mu * inv_r2 * inv_r
    if spherical:
        gx, gy, gz = k * x, k * yy, k * z
    else:
        # J2 zonal term (axisymmetric, so identical in the rotating frame)
        fac = 1.5 * j2 * a * a * inv_r2
        zr = 5.0 * z * z * inv_r2
        gx, gy, gz = k * x * (1.0 + fac * (1.0 - zr)), k * yy * (1.0 + fac * (1.0 - zr)), k * z * (1.0 + fac * (3.0 - zr))
    return jnp.stack([gx + om * om * x, gy + om * om * yy, gz])


def _rhs(t, y, seg: _Seg, case: Case, consts, atm, settings: Settings):
    a, e2, mu, j2, om = consts
    r, v = y[:3], y[3:]
    # Coriolis term of the Earth-fixed frame (omega along +z); centrifugal is in _gravity
    acc = _gravity(r, consts, settings.spherical) + jnp.stack([2.0 * om * v[1], -2.0 * om * v[0], 0.0 * v[2]])

    if not (settings.powered or settings.drag):
        return jnp.concatenate([v, acc])  # vacuum coast: gravity and frame terms only
    sl, cl, so, co, alt = _geodetic_fast(r, a, e2, settings.spherical)
    speed = jnp.sqrt(jnp.dot(v, v))
    if settings.drag:
        rho, pres, snd = kernel_lookup(alt, atm)
    else:
        rho, pres, snd = 0.0, 0.0, 340.0

    if settings.powered:
        mass = seg.m0 - seg.mdot * (t - seg.t_start)
        thrust = jnp.maximum(seg.thrust - pres * seg.exit_area, 0.0)
        thrust = jnp.where(seg.thrust > 0.0, thrust, 0.0)
        up = _up(sl, cl, so, co)
        east = jnp.stack([-so, co, 0.0 * so])
        north = jnp.stack([-sl * co, -sl * so, cl])
        # the tilt depends on the time since the pitch-over began, never on the segment: a
        # segment boundary inside the pitch-over (staging, shroud drop) must not reset it
        pitch_len = jnp.maximum(case.pitch_t1 - case.pitch_t0, 1e-9)
        theta = case.kick * jnp.clip((t - case.pitch_t0) / pitch_len, 0.0, 1.0)
        horiz = seg.sin_az * east + seg.cos_az * north
        u_kick = jnp.cos(theta) * up + jnp.sin(theta) * horiz
        u_vel = jnp.where(speed > 1e-6, v / jnp.maximum(speed, 1e-6), up)
        uf = case.u_fixed
        u_fix = uf[0] * east + uf[1] * north + uf[2] * up
        mode = seg.mode
        u = jnp.where(mode == 0, up, jnp.where(mode == 1, u_kick, jnp.where(mode == 2, u_vel, u_fix)))
        acc = acc + (thrust / mass) * u
    else:
        mass = seg.m0

    if settings.drag:
        if settings.constant_cd:
            cd = seg.cd_val[0]
        else:
            cd = _interp_table(speed / snd, seg.cd_mach, seg.cd_val)
        acc = acc - (0.5 * rho * speed * cd * seg.ref_area / mass) * v
    return jnp.concatenate([v, acc])


def _dp5_step(t, y, h, k, case, consts, atm, settings, f0=None):
    """One Dormand–Prince trial step; ``f0`` = the derivative at (t, y) when known (FSAL)."""
    seg = _segment(case, k)
    ks = [] if f0 is None else [f0]
    for i in range(len(ks), 7):
        yi = y
        for j, aij in enumerate(_A[i]):
            if aij != 0.0:
                yi = yi + h * aij * ks[j]
        if i == 6:
            y5 = yi  # the 7th stage point is the 5th-order solution (b5 = a7)
        ks.append(_rhs(t + _C[i] * h, yi, seg, case, consts, atm, settings))
    err = h * sum(e * kk for e, kk in zip(_E, ks, strict=True) if e != 0.0)
    return y5, err, ks[6]  # ks[6] is the derivative at y5 (the FSAL stage)


def _err_norm(y0, y1, err, settings):
    sc_pos = settings.atol_pos_m + settings.rtol * jnp.maximum(jnp.abs(y0[:3]), jnp.abs(y1[:3]))
    sc_vel = settings.atol_vel_m_s + settings.rtol * jnp.maximum(jnp.abs(y0[3:]), jnp.abs(y1[3:]))
    e = jnp.concatenate([err[:3] / sc_pos, err[3:] / sc_vel])
    return jnp.sqrt(jnp.mean(e * e))


# --- terminal fall ---------------------------------------------------------------------------

def _terminal_fall(y1, alt1, vz1, up1, k, case: Case, consts, atm, fall_tab, settings: Settings):
    """Whether a descending body at y1 is in quasi-steady terminal fall, and if so the time
    (s) it takes to reach the ground and its state there.

    Below the speed limit the body's speed relaxes to the local terminal speed
    v_t(z) = sqrt(g / (c rho(z))), c = Cd A / (2 m), on a time scale tau = v_t / (2 g) that
    is short against the fall, so the fall is slaved to v_t(z) (singular perturbation; the lag
    behind v_t(z) is about v_t^2 / (4 g H) of it, H the density scale height (>= 6.3 km):
    at most 4 % at the 100 m/s default limit, an equally small error in the fall time and none
    to first order in the impact point; measured on a 20,000-fragment cloud: <= 0.43 % in
    time and <= 0.63 m in the impact point; raising the limit from 70 to 100 m/s cut the
    cloud's engine iterations by 13 %). The fall time is sqrt(c / g) * integral of
    sqrt(rho) dz; the ground point is the point below along the ellipsoid normal (the plumb
    line of the J2 + centrifugal field to arc-seconds), shifted by the remaining horizontal
    speed's travel before drag damps it (u v_t / g) and by the eastward Coriolis drift of a
    falling body (2 Omega cos(lat) / g times the integral of v_t dz). g is taken at the body's
    altitude (it is 0.5 % larger at the ground from 30 km: 0.25 % in the fall time).
    Measured against full DOP853 integrations of the same physics in tests/test_coast.py.
    """

    om = consts[4]
    cd = case.cd_val[k, 0]
    c = 0.5 * cd * case.seg_ref_area[k] / case.seg_m0[k]
    rho1 = kernel_lookup(alt1, atm)[0]
    rho0 = kernel_lookup(0.0, atm)[0]
    g1 = -jnp.dot(_gravity(y1[:3], consts, settings.spherical), up1)
    c_safe = jnp.maximum(c, 1e-300)
    vt1 = jnp.sqrt(g1 / jnp.maximum(c_safe * rho1, 1e-300))
    v = y1[3:]
    speed = jnp.sqrt(jnp.dot(v, v))
    vh_vec = v - vz1 * up1
    vh = jnp.sqrt(jnp.dot(vh_vec, vh_vec))
    tol = settings.terminal_fall_tol
    ok = ((vz1 < 0.0) & (c > 0.0) & (alt1 > 0.0) & (alt1 < FALL_TABLE_TOP_M)
          & (vt1 <= settings.terminal_fall_max_speed_m_s)
          & (jnp.abs(speed - vt1) < tol * vt1) & (vh < tol * vt1))
    s_int, q_int = fall_lookup(alt1, fall_tab)
    dt = jnp.sqrt(c_safe / g1) * s_int
    cl = jnp.sqrt(up1[0] * up1[0] + up1[1] * up1[1])
    cl_safe = jnp.maximum(cl, 1e-12)
    east = jnp.stack([-up1[1] / cl_safe, up1[0] / cl_safe, 0.0 * cl])
    drift = vh_vec * (vt1 / g1) + east * (2.0 * om * cl / jnp.sqrt(g1 * c_safe) * q_int)
    r_g = y1[:3] - alt1 * up1 + drift
    vt0 = jnp.sqrt(g1 / jnp.maximum(c_safe * rho0, 1e-300))
    return ok, dt, jnp.concatenate([r_g, -vt0 * up1])


# --- one case ------------------------------------------------------------------------------

_NORMAL, _IMPACT, _APOGEE = 0, 1, 2
ENTRY_ALT_M = 100_000.0  # steps from above end near here (see the body of _integrate_one)


def _integrate_one(case: Case, consts, atm, settings: Settings, fall_tab=(), parts: bool = False):
    """Integrate one case (vmapped by the caller); the Result. With ``parts``, the loop's pieces
    instead: (initial state, cond(state), body(state, active), finish(state) -> Result)."""
    S = case.seg_t_end.shape[0]
    nrec = settings.n_rec
    alt_start, vz_start = altitude_and_vspeed(case.y0, consts, settings.spherical)
    # First Same As Last: the last stage of an accepted step is the derivative at its end, so
    # the next step needs 6 new evaluations, not 7. Only where the right-hand side cannot change
    # at a step's end, i.e. unpowered one-segment cases (coasts): a segment switch changes it.
    fsal = (not settings.powered) and S == 1

    state = dict(
        t=case.t0, y=case.y0, h=jnp.asarray(settings.h0_s), k=jnp.asarray(0),
        done=jnp.asarray(False), impacted=jnp.asarray(False), it=jnp.asarray(0),
        n_steps=jnp.asarray(0), n_reject=jnp.asarray(0), alt=alt_start, vz=vz_start,
        ap_alt=alt_start, ap_t=case.t0,
        mode=jnp.asarray(_NORMAL), lo=jnp.asarray(0.0), hi=jnp.asarray(0.0),
        f_lo=jnp.asarray(0.0), f_hi=jnp.asarray(0.0), n_search=jnp.asarray(0), h_guess=jnp.asarray(0.0),
        seg_state=jnp.full((S, 7), jnp.nan),
        # recorded points, plus (when recording) a spare last row that takes the writes of
        # iterations that record nothing: every iteration then writes one row in place, where a
        # select between old and new arrays rewrote the whole record (measured: 50 flyouts with
        # 8192 rows took 930 ms instead of 34)
        rec=jnp.full((nrec + (nrec > 1), 7), jnp.nan).at[0].set(jnp.concatenate([case.t0[None], case.y0])),
        n_rec=jnp.asarray(1), fell=jnp.asarray(False), rejected=jnp.asarray(False),
    )
    if fsal:
        f0 = _rhs(case.t0, case.y0, _segment(case, 0), case, consts, atm, settings)
        state["f"] = f0
        # first step from the size of the state over its rate, in units of the tolerance
        # (Hairer, Nørsett & Wanner, II.4, first part): coasts start anywhere from the launch
        # pad to orbit, and a fixed h0 costs several growing steps at the start
        sc = jnp.concatenate([settings.atol_pos_m + settings.rtol * jnp.abs(case.y0[:3]),
                              settings.atol_vel_m_s + settings.rtol * jnp.abs(case.y0[3:])])
        d0 = jnp.sqrt(jnp.mean((case.y0 / sc) ** 2))
        d1 = jnp.sqrt(jnp.mean((f0 / sc) ** 2))
        h_first = jnp.where((d0 > 1e-5) & (d1 > 1e-5), 0.01 * d0 / jnp.maximum(d1, 1e-5), 1e-6)
        state["h"] = jnp.clip(h_first, 1e-6, settings.h_max_s)

    def cond(s):
        return (~s["done"]) & (s["it"] < settings.max_iter)

    def body(s, active=True):
        t, y, k, mode = s["t"], s["y"], s["k"], s["mode"]
        t_end = jnp.minimum(case.seg_t_end[k], case.t_max)
        h_normal = jnp.minimum(jnp.minimum(s["h"], settings.h_max_s), t_end - t)
        clipped = s["h"] >= t_end - t
        if settings.drag:
            # Above the atmosphere, end the step near ENTRY_ALT_M (the time to fall there at
            # constant gravity): a step grown in vacuum that dives deep into the air is
            # rejected, often several times over (measured: 4 of a debris fragment's 12
            # rejections were such dives).
            dz = s["alt"] - ENTRY_ALT_M
            t_fall = 2.0 * dz / (-s["vz"] + jnp.sqrt(s["vz"] * s["vz"] + 2.0 * 9.5 * jnp.maximum(dz, 0.0)) + 1e-9)
            h_normal = jnp.where(dz > 0.0, jnp.minimum(h_normal, t_fall + 1.0), h_normal)
        searching = mode != _NORMAL
        h_try = jnp.where(searching, s["h_guess"], h_normal)

        y1, err, dy1 = _dp5_step(t, y, h_try, k, case, consts, atm, settings, s["f"] if fsal else None)
        en = _err_norm(y, y1, err, settings)
        alt1, vz1, up1 = _alt_vz_up(y1, consts, settings.spherical)
        ok = jnp.isfinite(en) & (en <= 1.0)
        # rate of the vertical speed (for Newton on the apogee): a.up plus the turning of 'up'
        # along the path (horizontal speed squared over the radius)
        v2 = jnp.dot(y1[3:], y1[3:])
        dvz1 = jnp.dot(dy1[3:], up1) + (v2 - vz1 * vz1) / jnp.sqrt(jnp.dot(y1[:3], y1[:3]))

        # --- normal mode decisions
        apogee_cross = ok & (s["vz"] > 0.0) & (vz1 <= 0.0)
        impact_cross = ok & (alt1 < 0.0) & (s["alt"] >= 0.0) & settings.stop_at_impact
        start_apogee = (~searching) & apogee_cross
        start_impact = (~searching) & impact_cross & ~apogee_cross
        advance_normal = (~searching) & ok & ~apogee_cross & ~impact_cross

        # --- search mode decisions
        f1 = jnp.where(mode == _IMPACT, alt1, vz1)
        fd1 = jnp.where(mode == _IMPACT, vz1, dvz1)
        tol = jnp.where(mode == _IMPACT, 1e-4, 1e-8)
        converged = searching & ((jnp.abs(f1) < tol) | (s["n_search"] >= 60)
                                 | (s["hi"] - s["lo"] < 1e-12 * jnp.maximum(1.0, jnp.abs(t))))
        same_as_lo = jnp.sign(f1) == jnp.sign(s["f_lo"])
        upd_lo = searching & ~converged & same_as_lo
        upd_hi = searching & ~converged & ~same_as_lo

        advance = advance_normal | converged
        t_new = jnp.where(advance_normal & clipped & (h_try == t_end - t), t_end, t + h_try)
        hit_seg_end = advance_normal & (t_new >= case.seg_t_end[k])

        ns = dict(s)
        ns["it"] = s["it"] + 1
        ns["t"] = jnp.where(advance, t_new, t)
        ns["y"] = jnp.where(advance, y1, y)
        if fsal:
            ns["f"] = jnp.where(advance, dy1, s["f"])
        ns["alt"] = jnp.where(advance, alt1, s["alt"])
        ns["vz"] = jnp.where(advance, jnp.where(converged & (mode == _APOGEE), 0.0, vz1), s["vz"])
        ns["n_steps"] = s["n_steps"] + advance.astype(jnp.int32)
        ns["n_reject"] = s["n_reject"] + ((~searching) & ~ok).astype(jnp.int32)
        ns["rejected"] = jnp.where(searching, s["rejected"], ~ok)
        # step size control (only on normal trials)
        # no growth right after a rejection (Hairer, Nørsett & Wanner II.4): it breaks the
        # accept-grow-reject cycle where the error changes quickly along the path
        fac_max = jnp.where(s["rejected"], 1.0, 5.0)
        # (a PI controller, beta 0.04 or 0.08, was measured: fewer rejections, more steps)
        fac = jnp.clip(0.9 * jnp.where(en > 0.0, en, 1e-10) ** -0.2, 0.2, fac_max)
        fac = jnp.where(jnp.isfinite(en), fac, 0.2)
        h_next = jnp.where(ok & clipped, jnp.maximum(s["h"], h_try * fac), h_try * fac)
        ns["h"] = jnp.where(searching, s["h"], jnp.where(ok, h_next, h_try * fac))
        # segment bookkeeping
        ns["seg_state"] = jnp.where(hit_seg_end, s["seg_state"].at[k].set(
            jnp.concatenate([t_new[None], y1])), s["seg_state"])
        ns["k"] = jnp.where(hit_seg_end, jnp.minimum(k + 1, S - 1), k)
        # apogee bookkeeping
        new_max = advance & (alt1 > s["ap_alt"])
        ns["ap_alt"] = jnp.where(new_max, alt1, s["ap_alt"])
        ns["ap_t"] = jnp.where(new_max, t_new, s["ap_t"])
        # event search state
        start = start_apogee | start_impact
        ns["mode"] = jnp.where(start_apogee, _APOGEE, jnp.where(start_impact, _IMPACT,
                               jnp.where(converged, _NORMAL, mode)))
        ns["lo"] = jnp.where(start, 0.0, jnp.where(upd_lo, h_try, s["lo"]))
        ns["hi"] = jnp.where(start, h_try, jnp.where(upd_hi, h_try, s["hi"]))
        f_lo0 = jnp.where(start_apogee, s["vz"], s["alt"])
        f_hi0 = jnp.where(start_apogee, vz1, alt1)
        ns["f_lo"] = jnp.where(start, f_lo0, jnp.where(upd_lo, f1, s["f_lo"]))
        ns["f_hi"] = jnp.where(start, f_hi0, jnp.where(upd_hi, f1, s["f_hi"]))
        # next trial: Newton from the point just computed (its derivative is known: the vertical
        # speed for the impact, d(vz)/dt for the apogee), kept inside the bracket, else bisection
        fd_new = jnp.where(start_apogee, dvz1, jnp.where(start_impact, vz1, fd1))
        f_new = jnp.where(start, f_hi0, f1)
        newton = h_try - f_new / jnp.where(fd_new == 0.0, 1.0, fd_new)
        lo_n, hi_n = ns["lo"], ns["hi"]
        inside = (fd_new != 0.0) & (newton > lo_n) & (newton < hi_n)
        ns["h_guess"] = jnp.where(inside, newton, 0.5 * (lo_n + hi_n))
        ns["n_search"] = jnp.where(searching & ~converged, s["n_search"] + 1, 0)
        # termination
        impact_done = converged & (mode == _IMPACT)
        timeout = advance_normal & (t_new >= case.t_max)
        if settings.terminal_fall:
            fall, dt_fall, y_ground = _terminal_fall(y1, alt1, vz1, up1, k, case, consts, atm, fall_tab, settings)
            fall = fall & advance_normal & ~timeout
            ns["t"] = jnp.where(fall, t_new + dt_fall, ns["t"])
            ns["y"] = jnp.where(fall, y_ground, ns["y"])
            ns["alt"] = jnp.where(fall, 0.0, ns["alt"])
            ns["fell"] = s["fell"] | fall
            impact_done = impact_done | fall
        ns["impacted"] = s["impacted"] | impact_done
        ns["done"] = s["done"] | impact_done | timeout
        # recording
        if nrec > 1:
            idx = jnp.minimum(s["n_rec"], nrec - 1)
            do_rec = advance & (s["n_rec"] < nrec) & active
            ns["rec"] = s["rec"].at[jnp.where(do_rec, idx, nrec)].set(jnp.concatenate([ns["t"][None], y1]))
            ns["n_rec"] = s["n_rec"] + do_rec.astype(jnp.int32)
        return ns

    def finish(out) -> Result:
        return Result(t=out["t"], y=out["y"], impacted=out["impacted"], apogee_alt=out["ap_alt"],
                      apogee_t=out["ap_t"], seg_state=out["seg_state"], n_steps=out["n_steps"],
                      n_rhs=out["it"] * (6 if fsal else 7) + (1 if fsal else 0), n_reject=out["n_reject"],
                      rec=out["rec"][:nrec], n_rec=out["n_rec"], fell=out["fell"])

    if parts:
        return state, cond, body, finish
    return finish(jax.lax.while_loop(cond, body, state))


@partial(jax.jit, static_argnames=("settings",))
def _integrate_jit(case: Case, consts, atm, fall_tab, *, settings: Settings) -> Result:
    if settings.n_rec <= 1:
        return jax.vmap(lambda c: _integrate_one(c, consts, atm, settings, fall_tab))(case)
    # Recording runs: the loop over the batch is written out. A vmapped while loop freezes each
    # finished lane with a select over every state array at every iteration, which for the
    # record (batch x n_rec x 7) cost far more than the integration (measured: 50 flyouts with
    # 8192 rows, 930 ms instead of 34). Here each lane writes one row in place (a finished or
    # silent lane writes its spare row) and only the small arrays are selected.

    def parts(c):
        return _integrate_one(c, consts, atm, settings, fall_tab, parts=True)

    def cond(st):
        return jnp.any(jax.vmap(lambda c, s: parts(c)[1](s))(case, st))

    def body(st):
        def lane(c, s):
            _, cond_l, body_l, _ = parts(c)
            act = cond_l(s)
            ns = body_l(s, act)
            return {k: v if k == "rec" else jnp.where(act, v, s[k]) for k, v in ns.items()}

        return jax.vmap(lane)(case, st)

    state = jax.vmap(lambda c: parts(c)[0])(case)
    out = jax.lax.while_loop(cond, body, state)
    return jax.vmap(lambda c, o: parts(c)[3](o))(case, out)


# --- compiled-kernel cache ----------------------------------------------------------------------
# JAX's persistent cache skips XLA's compilation in a fresh process but not the tracing of the
# kernel into a jaxpr, which for this loop takes 1-2 s per distinct (settings, batch shape): a
# `boostphase footprint` run traced 7 of them (measured: 13 of its 22 s under the profiler).
# So the compiled executables themselves are kept on disk, keyed by everything that shapes
# them (settings, argument shapes and dtypes, the source of this module and of the atmosphere
# tables it reads, JAX version, backend, device and CPU flags), and loaded without tracing.
_AOT: dict[str, object] = {}
_FAST: dict[tuple, object] = {}  # (settings, tree, device, leaf signature) -> executable
_AOT_LOCK = threading.Lock()
_AOT_DISABLED = False
_CHECKED: set[int] = set()   # ids of executables that have run once in this process


def _aot_dir() -> str | None:
    path = os.environ.get("BOOSTPHASE_JAX_CACHE")
    if path is None:
        from platformdirs import user_cache_dir

        path = os.path.join(user_cache_dir("boostphase"), "jax")
    return os.path.join(path, "aot") if path else None


def _source_digest() -> str:
    global _SOURCE_DIGEST
    try:
        return _SOURCE_DIGEST
    except NameError:
        from .. import atmosphere

        h = hashlib.sha256()
        for mod_file in (__file__, atmosphere.__file__):
            with open(mod_file, "rb") as f:
                h.update(f.read())
        _SOURCE_DIGEST = h.hexdigest()
        return _SOURCE_DIGEST


def _machine() -> str:
    """The CPU's instruction-set flags: an executable compiled for one CPU may not run on another
    (a cache folder shared between machines), and an illegal instruction cannot be caught."""
    global _MACHINE
    try:
        return _MACHINE
    except NameError:
        import platform

        flags = ""
        try:
            with open("/proc/cpuinfo") as f:
                flags = next((line for line in f if line.startswith(("flags", "Features"))), "")
        except OSError:
            flags = platform.processor()
        _MACHINE = f"{platform.machine()} {flags.strip()}"
        return _MACHINE


def _device_of(args):
    """The device the call will run on: that of the case arrays when they are JAX arrays
    (jnp.asarray under a ``jax.default_device`` context puts them there), else the default
    device (NumPy case arrays go there)."""
    devs = getattr(args[0].y0, "devices", None)
    if callable(devs):
        return next(iter(devs()))
    dev = jax.config.jax_default_device
    if isinstance(dev, str):
        dev = jax.devices(dev)[0]
    return dev if dev is not None else jax.devices()[0]


def _aot_key(args, settings: Settings, dev) -> str:
    leaves, tree = jax.tree_util.tree_flatten(args)
    sig = [(tuple(getattr(x, "shape", ())), str(getattr(x, "dtype", type(x).__name__)),
            bool(getattr(x, "weak_type", False))) for x in leaves]
    text = repr((settings, str(tree), sig, jax.__version__, dev.platform, getattr(dev, "device_kind", ""),
                 os.environ.get("XLA_FLAGS", ""), _source_digest(), _machine()))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _compiled(args, settings: Settings):
    """The compiled kernel for these arguments: from memory, from disk, or compiled (and saved)."""
    from jax.experimental.serialize_executable import deserialize_and_load, serialize

    dev = _device_of(args)
    leaves, tree = jax.tree_util.tree_flatten(args)
    # in-memory lookup first, without hashing the full key (it costs 0.3 ms a call)
    fast = (settings, tree, dev, tuple((getattr(x, "shape", ()), getattr(x, "dtype", type(x)),
                                        getattr(x, "weak_type", False)) for x in leaves))
    fn = _FAST.get(fast)
    if fn is not None:
        return fn
    key = _aot_key(args, settings, dev)
    fn = _AOT.get(key)
    if fn is not None:
        _FAST[fast] = fn
        return fn
    with _AOT_LOCK:
        fn = _AOT.get(key)
        if fn is not None:
            return fn
        folder = _aot_dir()
        path = os.path.join(folder, key + ".bin") if folder else None
        if path and os.path.exists(path):
            try:
                with open(path, "rb") as f:
                    blob, in_tree, out_tree = pickle.load(f)
                fn = deserialize_and_load(blob, in_tree, out_tree, backend=dev.client)
            except Exception:  # a stale or damaged entry: compile afresh and overwrite it
                fn = None
        if fn is None:
            fn = _integrate_jit.lower(*args, settings=settings).compile()
            if path:
                try:
                    os.makedirs(folder, exist_ok=True)
                    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
                    with open(tmp, "wb") as f:
                        pickle.dump(serialize(fn), f)
                    os.replace(tmp, path)  # atomic: readers see the old file or the whole new one
                except Exception:  # noqa: S110 - a read-only or full cache folder only costs time
                    pass
        _AOT[key] = fn
        _FAST[fast] = fn
        return fn


def _discard(args, settings: Settings) -> None:
    """Forget a loaded executable that failed to run (and its file): the next call compiles."""
    dev = _device_of(args)
    key = _aot_key(args, settings, dev)
    with _AOT_LOCK:
        bad = _AOT.pop(key, None)
        for k in [k for k, v in _FAST.items() if v is bad]:
            del _FAST[k]
        folder = _aot_dir()
        if folder:
            try:
                os.remove(os.path.join(folder, key + ".bin"))
            except OSError:
                pass


def integrate(case: Case, consts, atm, settings: Settings, fall_tab=()) -> Result:
    """Integrate a batch of cases (every field of ``case`` has a leading batch axis).
    ``fall_tab``: :func:`boostphase.atmosphere.fall_table` when ``settings.terminal_fall``.

    Runs the compiled kernel for the arguments' shapes and ``settings`` (see the cache notes
    above); ``BOOSTPHASE_JAX_CACHE=""`` keeps everything in memory."""
    global _AOT_DISABLED
    args = (case, consts, atm, fall_tab)
    if not _AOT_DISABLED:
        try:
            fn = _compiled(args, settings)
        except Exception:  # e.g. a backend that cannot serialise executables: plain jit from now on
            _AOT_DISABLED = True
        else:
            if id(fn) not in _CHECKED:
                # an executable loaded from disk runs once under watch: a damaged or
                # incompatible one is discarded and compiled afresh
                try:
                    out = fn(*args)
                    jax.block_until_ready(out)
                except Exception:
                    _discard(args, settings)
                    fn = _compiled(args, settings)
                    out = fn(*args)
                _CHECKED.add(id(fn))
                return out
            return fn(*args)
    return _integrate_jit(*args, settings=settings)
