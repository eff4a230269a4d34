"""The batched flight engine: a point mass under gravity, thrust and drag, on plain float64 arrays.

It knows nothing of missiles or countries. A case is an initial Earth-fixed state plus a
*schedule* of segments; within a segment mass falls linearly, thrust (vacuum thrust minus
ambient pressure times nozzle exit area) points along one steering law, and drag uses a
Cd(Mach) table and a reference area. Segment ends (staging, burnout, shroud drop, end of
pitch-over) are landed on exactly, so the right-hand side is smooth inside every step.

Frame: Earth-fixed (ECEF), with Coriolis and centrifugal terms when omega != 0, so the
air (which co-rotates with the Earth) is at rest in it and air speed is |v|.

Integrator: Dormand–Prince 5(4) with per-case adaptive steps (error norm: RMS over the six
components of err / (atol + rtol max(|y0|, |y1|)); step factor 0.9 en^-1/5 clipped to
[0.2, 5], and no growth right after a rejection (Hairer, Nørsett & Wanner II.4: it breaks the
accept-grow-reject cycle where the error changes quickly along the path; a PI controller,
beta 0.04 or 0.08, was measured: fewer rejections, more steps). Unpowered one-segment cases
(coasts) reuse the last stage of an accepted step (FSAL: 6 evaluations per step, not 7) and
choose their first step from the size of the state over its rate. Events are located by
re-stepping from the last accepted point with a bracketed Newton search on the step length
(the derivative of the event function at each trial comes with the step: the vertical speed for
the impact, d(vz)/dt from the FSAL stage for the apogee), so the impact (geodetic altitude 0,
to 1e-4 m) and the apogee (vertical speed 0, to 1e-8 m/s) are exact to the integrator's
accuracy, not to a step; about 3 trials per event, at most 60. Above the atmosphere a step
ends near 100 km of altitude (the time to fall there at constant gravity): a step grown in
vacuum that dives deep into the air is rejected, often several times over (measured: 4 of a
debris fragment's 12 rejections were such dives).

Steering modes per segment: 0 vertical (local geodetic up), 1 pitch-over (thrust tilted
from vertical towards the case's azimuth by an angle growing linearly from 0 at ``pitch_t0``
to ``kick`` at ``pitch_t1``: the pitch-over's own start and end, not the segment's, so an
event inside the pitch-over, a staging or a shroud drop, does not reset the tilt), 2 gravity
turn (thrust along the air-relative velocity), 3 fixed (thrust along the case's given unit
vector ``u_fixed`` in the local east/north/up frame).

Terminal fall (``Settings.terminal_fall``): see :func:`integrate`.

The kernel is C (``bp_*.h``, ``bp_*.c`` here), written once for a lane type and built three
ways by the package build, plus once for CUDA at run time (:mod:`boostphase.engine.gpu`):

* a scalar path (one case at a time: flyouts, searches, batches under 8 cases);
* a packet path, 8 cases per packet of float64 lanes (GCC vector extensions), compiled for
  AVX-512 and for AVX2 and chosen at run time; a lane whose case has finished is written out
  and refilled from the queue at once, so no lane waits for another (the JAX engine's
  ``vmap(while_loop)`` ran every lane of a 512-lane block until its slowest finished: 2.06x
  wasted work);
* threads (``threads``, default ``BOOSTPHASE_THREADS`` or the usable cores) share one queue
  of cases, with the GIL released.

A case's result is bit-identical whatever batch it is in, its position, the thread count and
the path: no fast-math, no FMA contraction, only + - * / and sqrt on lane values, and the
engine's own exp/log/sin/cos/cbrt polynomials (``bp_math.h``) in every path (tested in
``tests/test_engine.py``). Geodetic altitude inside the right-hand side and for the events uses
Bowring's one-step formula (1976; sub-millimetre near the surface, centimetres at thousands of
km); a case's start uses the exact closed form.
"""

from __future__ import annotations

import math
import os
from typing import NamedTuple

import numpy as np

T_INF = 1.0e30
K_MAX = 16  # longest Cd(Mach) table the kernel takes


class Case(NamedTuple):
    """A batch of cases: every field has a leading batch axis n (shapes below are per case).
    SI units throughout. NumPy arrays (anything ``np.asarray`` takes)."""

    y0: np.ndarray           # (6,) Earth-fixed position (m) and velocity (m/s)
    t0: np.ndarray           # () start time (s)
    seg_t_end: np.ndarray    # (S,) end time of each segment (s), ascending; last = T_INF
    seg_m0: np.ndarray       # (S,) mass at segment start (kg)
    seg_mdot: np.ndarray     # (S,) mass flow (kg/s, >= 0)
    seg_thrust: np.ndarray   # (S,) vacuum thrust (N)
    seg_exit_area: np.ndarray  # (S,) nozzle exit area (m^2) for the pressure loss
    seg_ref_area: np.ndarray   # (S,) drag reference area (m^2); 0 = no drag
    seg_mode: np.ndarray     # (S,) int steering mode (see module doc)
    cd_mach: np.ndarray      # (S, K) Mach points of the Cd table of each segment (ascending), K <= 16
    cd_val: np.ndarray       # (S, K) Cd values
    azimuth: np.ndarray      # () launch azimuth (rad) for the pitch-over
    kick: np.ndarray         # () pitch-over angle (rad) reached at pitch_t1
    pitch_t0: np.ndarray     # () start time of the pitch-over (s); the tilt is 0 before it
    pitch_t1: np.ndarray     # () end time of the pitch-over (s); the tilt is ``kick`` from then
    u_fixed: np.ndarray      # (3,) east/north/up thrust direction for mode 3
    t_max: np.ndarray        # () give up (no impact) after this time (s)


class Result(NamedTuple):
    """Per case (leading batch axis n on every field)."""

    t: np.ndarray            # (n,) final time (s): impact time if ``impacted``
    y: np.ndarray            # (n, 6) final state (m, m/s)
    impacted: np.ndarray     # (n,) bool
    apogee_alt: np.ndarray   # (n,) highest geodetic altitude reached (m) (exact at a located apogee)
    apogee_t: np.ndarray     # (n,) time of it (s)
    seg_state: np.ndarray    # (n, S, 7) (t, r, v) at the end of each segment (NaN if not reached)
    n_steps: np.ndarray      # (n,) int32 accepted steps
    n_rhs: np.ndarray        # (n,) int32 right-hand-side evaluations (7 per trial step; 6 + 1 with FSAL)
    n_reject: np.ndarray     # (n,) int32 trial steps rejected by the error control
    rec: np.ndarray          # (n, NREC, 7) accepted (t, r, v) points, NaN padded (NREC = n_rec setting)
    n_rec: np.ndarray        # (n,) int32 number of recorded points
    fell: np.ndarray         # (n,) bool: the fall ended with the terminal-fall model (Settings)


class Settings(NamedTuple):
    """Settings of one engine call (the same for every case of the batch)."""

    spherical: bool = False
    drag: bool = True
    rtol: float = 1e-10
    atol_pos_m: float = 1e-4
    atol_vel_m_s: float = 1e-7
    h0_s: float = 0.5
    h_max_s: float = 600.0
    max_iter: int = 200_000    # loop passes (trial steps, search trials included) per case
    n_rec: int = 1             # rows of Result.rec (1: the start only)
    stop_at_impact: bool = True
    powered: bool = True       # False: no thrust, steering or mass flow (pure coasts: cheaper)
    constant_cd: bool = False  # True: Cd is the first table value (coasts given a beta)
    # Terminal-fall ending (coasts with constant Cd only): once a descending body moves at its
    # local terminal speed (within terminal_fall_tol, horizontal speed below terminal_fall_tol
    # of it) and that speed is at most terminal_fall_max_speed_m_s, the rest of the fall is
    # the quasi-steady fall along the local vertical (see integrate). Where it applies,
    # explicit steps are limited by stability to ~1.6 v_t / g however smooth the fall: it
    # was 79 % of a debris cloud's steps.
    terminal_fall: bool = False
    terminal_fall_max_speed_m_s: float = 100.0
    terminal_fall_tol: float = 0.03


# Case and result arrays (in the order the C module reads them, bp_module.c) and their dtypes
_CASE_DTYPES = {name: (np.int32 if name == "seg_mode" else np.float64) for name in Case._fields}
RESULT_DTYPES = {"t": np.float64, "y": np.float64, "impacted": np.bool_, "apogee_alt": np.float64,
                  "apogee_t": np.float64, "seg_state": np.float64, "n_steps": np.int32,
                  "n_rhs": np.int32, "n_reject": np.int32, "rec": np.float64, "n_rec": np.int32,
                  "fell": np.bool_}
PATHS = {"auto": 0, "scalar": 1, "avx2": 2, "avx512": 3}


def _module():
    from . import cengine

    return cengine


def available_paths() -> list[str]:
    """The kernel paths this CPU can run ("scalar", "avx2", "avx512")."""
    ok = _module().available()
    return [name for name, has in zip(("scalar", "avx2", "avx512"), ok, strict=True) if has]


def default_threads() -> int:
    """BOOSTPHASE_THREADS, else the CPU cores this process may use."""
    env = os.environ.get("BOOSTPHASE_THREADS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(f"BOOSTPHASE_THREADS={env!r}: expected a whole number >= 1") from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def as_f64(x) -> np.ndarray:
    """``x`` as a C-contiguous float64 array (no copy when it already is one)."""
    return np.ascontiguousarray(x, dtype=np.float64)


def pack_case(case: Case) -> dict[str, np.ndarray]:
    """The case arrays as the kernel reads them: C-contiguous, float64 (int32 modes), with
    their shapes checked; arrays that already are so are passed on, not copied."""
    y0 = as_f64(case.y0)
    if y0.ndim != 2 or y0.shape[1] != 6:
        raise ValueError(f"Case.y0: expected shape (n, 6), got {y0.shape}")
    n = y0.shape[0]
    seg = np.asarray(case.seg_t_end)
    if seg.ndim != 2 or seg.shape[0] != n:
        raise ValueError(f"Case.seg_t_end: expected shape (n, S), got {seg.shape}")
    S = seg.shape[1]
    K = np.shape(case.cd_mach)[-1]
    if not 2 <= K <= K_MAX:
        raise ValueError(f"Case.cd_mach: 2 to {K_MAX} Mach points, got {K}")
    shapes = {"y0": (n, 6), "u_fixed": (n, 3), "cd_mach": (n, S, K), "cd_val": (n, S, K)}
    out = {}
    for name in Case._fields:
        want = shapes.get(name, (n, S) if name.startswith("seg_") else (n,))
        arr = np.ascontiguousarray(getattr(case, name), dtype=_CASE_DTYPES[name])
        if arr.shape != want:
            raise ValueError(f"Case.{name}: expected shape {want}, got {arr.shape}")
        out[name] = arr
    return out


def integrate(case: Case, consts, atm, settings: Settings, fall_tab=None, *, threads: int | None = None,
              path: str | None = None) -> Result:
    """Integrate a batch of cases; NumPy arrays in, NumPy arrays out (shapes in :class:`Case`
    and :class:`Result`).

    ``consts``: (a (m), e^2, GM (m^3/s^2), J2, omega (rad/s)) of the Earth model. ``atm``: the
    atmosphere table when ``settings.drag``, a 7-tuple (ln density (N,), ln pressure (N,),
    sound speed (N,) on a 100 m grid from 0 m; ln density and ln pressure slopes (1/m) above
    its top; node slopes of ln density and ln pressure per cell (N,)), as
    :func:`boostphase.models.atmosphere.kernel_table` gives it: cubic Hermite in the ln values, linear
    sound speed, exponential above the top. ``fall_tab``: when ``settings.terminal_fall``, the
    (S, Q) integrals of :func:`boostphase.models.atmosphere.fall_table` on the same grid.

    Terminal fall: below the speed limit a body's speed relaxes to the local terminal speed
    v_t(z) = sqrt(g / (c rho(z))), c = Cd A / (2 m), on a time scale v_t / (2 g) that is short
    against the fall, so the fall is slaved to v_t(z) (singular perturbation; the lag behind
    v_t(z) is about v_t^2 / (4 g H) of it, H the density scale height (>= 6.3 km): at most 4 %
    at the 100 m/s default limit, an equally small error in the fall time and none to first
    order in the impact point; measured on a 20,000-fragment cloud: <= 0.43 % in time and
    <= 0.63 m in the impact point). The fall time is sqrt(c / g) S(h); the ground point is the
    point below along the ellipsoid normal, shifted by the remaining horizontal speed's travel
    before drag damps it (u v_t / g) and by the eastward Coriolis drift (2 Omega cos(lat) /
    sqrt(g c) Q(h)); g is taken at the body's altitude. Checked against full DOP853
    integrations in tests/test_coast.py.

    ``threads``: default :func:`default_threads`. ``path``: "auto" (default; or the
    BOOSTPHASE_ENGINE_PATH environment variable), "scalar", "avx2" or "avx512": the same bits
    whichever, only the speed differs."""
    arrs = pack_case(case)
    n, S = arrs["seg_t_end"].shape
    K = arrs["cd_mach"].shape[-1]
    nrec = max(1, int(settings.n_rec))
    res = {
        "t": np.empty(n), "y": np.empty((n, 6)), "impacted": np.empty(n, np.bool_),
        "apogee_alt": np.empty(n), "apogee_t": np.empty(n), "seg_state": np.empty((n, S, 7)),
        "n_steps": np.empty(n, np.int32), "n_rhs": np.empty(n, np.int32),
        "n_reject": np.empty(n, np.int32), "rec": np.empty((n, nrec, 7)),
        "n_rec": np.empty(n, np.int32), "fell": np.empty(n, np.bool_),
    }
    if n == 0:
        return Result(**res)
    empty = np.empty(0)
    if settings.drag:
        ln_rho, ln_p, snd, slope_rho, slope_p, d_rho, d_p = atm
        tables = [as_f64(ln_rho), as_f64(ln_p), as_f64(snd), as_f64(d_rho), as_f64(d_p)]
        slope_rho, slope_p = float(slope_rho), float(slope_p)
        rho0 = math.exp(float(tables[0][0]))
    else:
        tables, slope_rho, slope_p, rho0 = [empty] * 5, 0.0, 0.0, 0.0
    tf = bool(settings.terminal_fall and settings.drag)
    if tf:
        if fall_tab is None or len(fall_tab) != 2:
            raise ValueError("settings.terminal_fall needs fall_tab (atmosphere.fall_table())")
        tables += [as_f64(fall_tab[0]), as_f64(fall_tab[1])]
    else:
        tables += [empty, empty]
    a, e2, mu, j2, om = (float(x) for x in consts)
    fsal = (not settings.powered) and S == 1
    ints = (n, S, K, nrec, len(tables[0]), len(tables[5]), int(settings.spherical), int(settings.drag),
            int(settings.powered), int(settings.constant_cd), int(tf), int(settings.stop_at_impact),
            int(settings.max_iter), int(fsal))
    dbls = (float(settings.rtol), float(settings.atol_pos_m), float(settings.atol_vel_m_s),
            float(settings.h0_s), float(settings.h_max_s), float(settings.terminal_fall_max_speed_m_s),
            float(settings.terminal_fall_tol), a, e2, mu, j2, om, slope_rho, slope_p, rho0, 0.0)
    bufs = (*tables, *(arrs[k] for k in Case._fields), *(res[k] for k in RESULT_DTYPES))
    name = path or os.environ.get("BOOSTPHASE_ENGINE_PATH", "auto") or "auto"
    if name not in PATHS:
        raise ValueError(f"engine path {name!r}: one of {', '.join(PATHS)}")
    _module().run(bufs, ints, dbls, int(threads or default_threads()), PATHS[name])
    return Result(**res)


def altitude_and_vspeed(y, consts, spherical: bool = False):
    """Geodetic altitude (m) and its rate (m/s, along the ellipsoid normal) of Earth-fixed
    states ``y`` (..., 6), by the exact closed form (NumPy; the kernel's own start uses the
    same formula in C)."""
    y = np.asarray(y, float)
    a, e2 = float(consts[0]), float(consts[1])
    x, yy, z = y[..., 0], y[..., 1], y[..., 2]
    p = np.hypot(x, yy)
    with np.errstate(invalid="ignore", divide="ignore"):
        so = np.where(p > 1e-9, yy / np.maximum(p, 1e-9), 0.0)
        co = np.where(p > 1e-9, x / np.maximum(p, 1e-9), 1.0)
        if spherical:
            rn = np.sqrt(p * p + z * z)
            sl, cl, alt = z / rn, p / rn, rn - a
        else:
            b = a * math.sqrt(1.0 - e2)
            ep2 = (a * a - b * b) / (b * b)
            F = 54.0 * b * b * z * z
            G = p * p + (1.0 - e2) * z * z - e2 * (a * a - b * b)
            c = e2 * e2 * F * p * p / (G * G * G)
            s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
            k = s + 1.0 + 1.0 / s
            P = F / (3.0 * k * k * G * G)
            Q = np.sqrt(1.0 + 2.0 * e2 * e2 * P)
            r0 = -(P * e2 * p) / (1.0 + Q) + np.sqrt(np.maximum(
                0.5 * a * a * (1.0 + 1.0 / Q) - P * (1.0 - e2) * z * z / (Q * (1.0 + Q)) - 0.5 * P * p * p, 0.0))
            U = np.sqrt((p - e2 * r0) ** 2 + z * z)
            V = np.sqrt((p - e2 * r0) ** 2 + (1.0 - e2) * z * z)
            alt = U * (1.0 - b * b / (a * V))
            num = z + ep2 * (b * b * z / (a * V))
            hyp = np.sqrt(num * num + p * p)
            sl, cl = num / hyp, p / hyp
    vz = y[..., 3] * cl * co + y[..., 4] * cl * so + y[..., 5] * sl
    return alt, vz


def table_lookup(alt_m, atm, fall_tab=None) -> tuple[np.ndarray, ...]:
    """The kernel's own table lookups at altitudes ``alt_m`` (m, any shape): density
    (kg/m^3), pressure (Pa) and sound speed (m/s) from ``atm`` (see :func:`integrate`), and,
    with ``fall_tab``, the two terminal-fall integrals S and Q (else zeros). The very code the
    kernel runs (its scalar build), so tests of these values test the kernel's."""
    alt = np.asarray(alt_m, dtype=np.float64)
    flat = np.ascontiguousarray(alt.reshape(-1))
    ln_rho, ln_p, snd, slope_rho, slope_p, d_rho, d_p = atm
    fs, fq = (np.empty(0), np.empty(0)) if fall_tab is None else (as_f64(fall_tab[0]), as_f64(fall_tab[1]))
    out = np.empty((flat.size, 5))
    _module().lookup(flat, as_f64(ln_rho), as_f64(ln_p), as_f64(snd), as_f64(d_rho), as_f64(d_p), fs, fq,
                     float(slope_rho), float(slope_p), out)
    return tuple(out[:, j].reshape(alt.shape) for j in range(5))
