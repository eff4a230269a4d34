"""U.S. Standard Atmosphere, 1976 (US76), 0-1000 km geometric altitude, SI units.

Source: *U.S. Standard Atmosphere, 1976*, NOAA-S/T 76-1562 / NASA-TM-X-74335 (COESA, 1976),
Part 1 ("the document" below; equation and table numbers refer to it).

Two regions, as in the document:

* 0-86 km: seven layers linear in *geopotential* altitude H = r0 Z / (r0 + Z) for the
  molecular-scale temperature T_M; hydrostatic pressure in closed form; density
  rho = P M0 / (R* T_M); speed of sound sqrt(gamma R* T_M / M0). Between 80 and 86 km the
  kinetic temperature is T = T_M (M / M0) with the M/M0 ratios of Table 8.
* 86-1000 km: kinetic temperature in four segments of *geometric* altitude Z (isothermal
  86-91 km, elliptical 91-110 km, linear 110-120 km, exponential 120-1000 km) and number
  densities of N2, O, O2, Ar, He (from 86 km) and H (from 150 km) from the
  diffusion/hydrostatic equations (f_i of eq. 36, flux terms of eq. 37, hydrogen with
  tau of eq. 40; Tables 3, 6, 7 and 9). Pressure is
  P = n k T and density rho = sum(n_i M_i) / N_A.

The upper region is solved once, at import (~25 ms), on a uniform 10 m grid: 86-150 km by
the trapezoid rule (eddy mixing, flux terms), the one jump of an integrand (the
mean-molecular-weight switch at 100 km) integrated from each side separately; above
150 km the equations reduce to diffusive equilibrium, closed form given the cumulative
integral of g/(R* T). Quartering the step changes ln(rho) and ln(P) at the nodes by
< 1e-7. Between nodes :func:`us76` interpolates ln(rho) and ln(P) linearly, adding < 1e-6
relative error (pressure: 4e-6 in the 10 m below 150 km, where the model's H starts).

Checked in ``tests/test_atmosphere.py`` against the document's printed tables: every
Table I density and temperature compared rounds to the printed digits; the 5-digit
pressures above 86 km and the 4-digit Table VIII number densities agree to within rounding
plus at most 8.1e-5, the size of differences between numerical integration schemes.

Public API:

* :func:`us76` - density, pressure, kinetic temperature and speed of sound (NumPy).
* :func:`mach_sound_speed_m_s` - the speed of sound the flight kernel uses for Mach numbers.
* ``TABLE_DALT_M``, ``TABLE_MAX_ALT_M``, ``TABLE_LN_DENSITY``, ``TABLE_LN_PRESSURE``,
  ``TABLE_SOUND_SPEED`` - the uniform kernel table (NumPy), and :func:`kernel_table` /
  :func:`kernel_lookup` - the table as the flight engine takes it, and the engine's own
  lookup in it (:func:`boostphase.engine.table_lookup`, the compiled kernel's code).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

__all__ = [
    "TABLE_DALT_M",
    "TABLE_LN_DENSITY",
    "TABLE_LN_PRESSURE",
    "TABLE_MAX_ALT_M",
    "TABLE_SOUND_SPEED",
    "KernelTable",
    "US76State",
    "kernel_lookup",
    "kernel_table",
    "mach_sound_speed_m_s",
    "us76",
]

# --- defining constants (document, Part 1, Table 2) ---------------------------------------
from .constants import G0  # m/s^2 (and m^2 s^-2 per geopotential metre)

R0 = 6_356_766.0  # m, effective Earth radius used for geopotential and gravity
R_STAR = 8_314.32  # J / (kmol K)
M0 = 28.9644  # kg/kmol, sea-level mean molecular weight
N_A = 6.022169e26  # 1/kmol
K_BOLTZMANN = R_STAR / N_A  # J/K (= 1.380622e-23, Table 2); derived so rho, P and T agree
P0 = 101_325.0  # Pa
T0 = 288.15  # K
GAMMA = 1.40

# --- 0-86 km: geopotential layers (Table 4) -----------------------------------------------
_HB = np.array([0.0, 11_000.0, 20_000.0, 32_000.0, 47_000.0, 51_000.0, 71_000.0])  # m'
_LB = np.array([-6.5e-3, 0.0, 1.0e-3, 2.8e-3, 0.0, -2.8e-3, -2.0e-3])  # K per m'
Z_LOWER_TOP_M = 86_000.0  # geometric top of the lower region (H = 84 852 m')


def _layer_bases() -> tuple[np.ndarray, np.ndarray]:
    """Molecular-scale temperature (K) and pressure (Pa) at each layer base (hydrostatic)."""
    tb = [T0]
    pb = [P0]
    for i in range(len(_HB) - 1):
        dh = _HB[i + 1] - _HB[i]
        t_next = tb[i] + _LB[i] * dh
        if _LB[i] == 0.0:
            p_next = pb[i] * np.exp(-G0 * M0 * dh / (R_STAR * tb[i]))
        else:
            p_next = pb[i] * (tb[i] / t_next) ** (G0 * M0 / (R_STAR * _LB[i]))
        tb.append(t_next)
        pb.append(p_next)
    return np.array(tb), np.array(pb)


_TB, _PB = _layer_bases()

# Table 8: M/M0 at 80.0, 80.5, ..., 86.0 km geometric; T = T_M * M/M0 there (eq. 22).
_MRATIO_Z_M = np.linspace(80_000.0, 86_000.0, 13)
_MRATIO = np.array([
    1.000000, 0.999996, 0.999989, 0.999971, 0.999941, 0.999909, 0.999870,
    0.999829, 0.999786, 0.999741, 0.999694, 0.999641, 0.999579,
])


def _lower(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rho kg/m^3, P Pa, kinetic T K, T_M K) for geometric z in [0, 86 km] (metres)."""
    h = R0 * z / (R0 + z)  # geopotential altitude, m'
    i = np.clip(np.searchsorted(_HB, h, side="right") - 1, 0, len(_HB) - 1)
    lb, hb, tb, pb = _LB[i], _HB[i], _TB[i], _PB[i]
    tm = tb + lb * (h - hb)
    grad = lb != 0.0
    safe_lb = np.where(grad, lb, 1.0)
    p = np.where(
        grad,
        pb * (tb / tm) ** (G0 * M0 / (R_STAR * safe_lb)),
        pb * np.exp(-G0 * M0 * (h - hb) / (R_STAR * tb)),
    )
    rho = p * M0 / (R_STAR * tm)  # perfect gas with T_M (M0/T_M = M/T)
    t_kin = tm * np.interp(z, _MRATIO_Z_M, _MRATIO)  # ratio is 1 below 80 km
    return rho, p, t_kin, tm


# --- 86-1000 km: temperature (eqs. 25-32, Table 5) ----------------------------------------
Z7, Z8, Z9, Z10, Z11, Z12 = 86e3, 91e3, 110e3, 120e3, 500e3, 1000e3  # m
T7 = 186.8673  # K
_TC, _A_ELL, _a_ELL = 263.1905, -76.3232, -19_942.9  # K, K, m (ellipse, eq. 27)
T9 = 240.0
LK9 = 12.0e-3  # K/m
T10 = 360.0
T_INF = 1000.0
LAMBDA = LK9 / (T_INF - T10)  # 1/m (= 0.01875 per km)


def _upper_temperature(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kinetic temperature (K) and dT/dZ (K/m) for geometric z in [86, 1000 km] (metres)."""
    x = np.clip((z - Z8) / _a_ELL, -1.0, 0.0)  # a < 0, so x <= 0 above 91 km
    root = np.sqrt(np.maximum(1.0 - x * x, 1e-300))
    xi = (z - Z10) * (R0 + Z10) / (R0 + z)
    ex = np.exp(-LAMBDA * xi)
    t = np.select(
        [z <= Z8, z <= Z9, z <= Z10],
        [np.full_like(z, T7), _TC + _A_ELL * root, T9 + LK9 * (z - Z9)],
        T_INF - (T_INF - T10) * ex,
    )
    dt = np.select(
        [z <= Z8, z <= Z9, z <= Z10],
        [np.zeros_like(z), -(_A_ELL / _a_ELL) * x / root, np.full_like(z, LK9)],
        LAMBDA * (T_INF - T10) * ((R0 + Z10) / (R0 + z)) ** 2 * ex,
    )
    return t, dt


# --- 86-1000 km: composition (Tables 3, 6, 7, 9) -------------------------------------------
SPECIES = ("N2", "O", "O2", "Ar", "He", "H")
M_I = np.array([28.0134, 15.9994, 31.9988, 39.948, 4.0026, 1.00797])  # kg/kmol
# Number densities at 86 km (m^-3, Table 9). He is 7.5817e14; a 1e10 misprint in some
# copies of p. 13 would contradict Table VIII (7.582e14 at 86 km).
_N7 = {"N2": 1.129794e20, "O": 8.6e16, "O2": 3.030898e19, "Ar": 1.351400e18, "He": 7.5817e14}
_ALPHA = {"O": 0.0, "O2": 0.0, "Ar": 0.0, "He": -0.40, "H": -0.25}  # thermal diffusion
_DIFF_A = {"O": 6.986e20, "O2": 4.863e20, "Ar": 4.487e20, "He": 1.700e21, "H": 3.305e21}
_DIFF_B = {"O": 0.750, "O2": 0.750, "Ar": 0.870, "He": 0.691, "H": 0.500}
# Flux terms v_i/(D_i+K) = Q (Z-U)^2 exp(-W (Z-U)^3) + q (u-Z)^2 exp(-w (u-Z)^3) [Z<u],
# Z in km, result in 1/km (Table 7); taken as zero above 150 km, where they are < 1e-9/km.
_FLUX = {  # Q km^-3, U km, W km^-3, q km^-3, u km, w km^-3
    "O": (-5.809644e-4, 56.90311, 2.706240e-5, -3.416248e-3, 97.0, 5.008765e-4),
    "O2": (1.366212e-4, 86.0, 8.333333e-5, 0.0, 0.0, 0.0),
    "Ar": (9.434079e-5, 86.0, 8.333333e-5, 0.0, 0.0, 0.0),
    "He": (-2.457369e-4, 86.0, 6.666667e-4, 0.0, 0.0, 0.0),
}
K7 = 120.0  # m^2/s, eddy diffusion coefficient 86-95 km; decays to 0 at 115 km
N_H_500 = 8.0e10  # m^-3, hydrogen at 500 km
PHI_H = 7.2e11  # m^-2 s^-1, hydrogen vertical flux
Z_M_SWITCH = 100e3  # mean molecular weight in eq. 36 is M0 below, species mean above
Z_EDDY_END = 115e3
Z_H_START = 150e3

_GRID_DZ_M = 10.0  # integration grid of the upper region


def _gravity(z: np.ndarray) -> np.ndarray:
    return G0 * (R0 / (R0 + z)) ** 2  # eq. 17


def _eddy(z: np.ndarray) -> np.ndarray:
    zk = z / 1e3
    d = 400.0 - (zk - 95.0) ** 2
    mid = K7 * np.exp(1.0 - 400.0 / np.where(d > 0.0, d, 1.0))
    return np.where(z < 95e3, K7, np.where(z < Z_EDDY_END, mid, 0.0))


def _flux(z: np.ndarray, sp: str) -> np.ndarray:
    """v_i / (D_i + K) in 1/m, for z in [86, 150 km] (metres)."""
    q1, u1, w1, q2, u2, w2 = _FLUX[sp]
    zk = z / 1e3
    f = q1 * (zk - u1) ** 2 * np.exp(-w1 * (zk - u1) ** 3)  # zk >= 86 >= u1: no overflow
    if q2 != 0.0:
        x = np.maximum(u2 - zk, 0.0)  # the q term exists only below u = 97 km
        f = f + q2 * x**2 * np.exp(-w2 * x**3)
    return f / 1e3


def _cumtrapz(f_plus: np.ndarray, f_minus: np.ndarray, dz: float) -> np.ndarray:
    """Cumulative trapezoid with one-sided node values: cell k uses f_plus[k], f_minus[k+1]."""
    out = np.empty_like(f_plus)
    out[0] = 0.0
    np.cumsum(0.5 * dz * (f_plus[:-1] + f_minus[1:]), out=out[1:])
    return out


class _Upper(NamedTuple):
    z: np.ndarray  # m, uniform 10 m grid 86..1000 km
    n: np.ndarray  # (6, nz) number densities of SPECIES, m^-3
    t: np.ndarray  # K
    ln_rho: np.ndarray
    ln_p: np.ndarray
    dln_rho_dz_top: float  # 1/m, at 1000 km
    dln_p_dz_top: float


def _solve_upper() -> _Upper:
    """Integrate the number-density equations: N2, O, O2, Ar, He from 86 km, H from 150 km."""
    nz = int(round((Z12 - Z7) / _GRID_DZ_M)) + 1
    z = Z7 + _GRID_DZ_M * np.arange(nz)
    t, dt = _upper_temperature(z)
    g = _gravity(z)
    gr = g / (R_STAR * t)  # g / (R* T), kmol/(kg m)
    big_g = _cumtrapz(gr, gr, _GRID_DZ_M)  # G(Z) = integral of g/(R* T) from 86 km
    i_sw = int(round((Z_M_SWITCH - Z7) / _GRID_DZ_M))  # node at 100 km: needs both limits
    i_h = int(round((Z_H_START - Z7) / _GRID_DZ_M))  # 150 km: flux terms end, H starts
    i500 = int(round((Z11 - Z7) / _GRID_DZ_M))

    # 86-150 km: eddy mixing, flux terms and the 100 km switch of M, integrated numerically.
    lo = slice(0, i_h + 1)
    z_l, t_l, dt_l, g_l, gr_l = z[lo], t[lo], dt[lo], g[lo], gr[lo]
    k_eddy = _eddy(z_l)
    below = z_l < Z_M_SWITCH  # regime of each node seen as a cell's left end

    def integrate(f_base, f_m, m_above):
        """Cumulative integral of f_base + f_m * M, M = M0 below 100 km, m_above from it."""
        f_plus = f_base + f_m * np.where(below, M0, m_above)
        f_minus = f_plus.copy()
        f_minus[i_sw] = f_base[i_sw] + f_m[i_sw] * M0  # limit from below at 100 km
        return _cumtrapz(f_plus, f_minus, _GRID_DZ_M)

    n = {}
    # N2: hydrostatic with M = M0 below 100 km (mixed) and M = M(N2) above (diffusive).
    n["N2"] = _N7["N2"] * (T7 / t_l) * np.exp(-integrate(np.zeros_like(z_l), gr_l, M_I[0]))

    def diffusing(sp, background, m_mean_above):
        # eqs. 36-37: f_i = g/(R*T) D/(D+K) [M_i + M K/D + alpha R* T'/g] + v/(D+K),
        # split as f_base + f_m * M with f_m = g/(R*T) K/(D+K) (zero above 115 km).
        mi = M_I[SPECIES.index(sp)]
        d = _DIFF_A[sp] / background * (t_l / 273.15) ** _DIFF_B[sp]
        share = d / (d + k_eddy)
        f_base = gr_l * share * (mi + _ALPHA[sp] * R_STAR * dt_l / g_l) + _flux(z_l, sp)
        f_m = gr_l * (1.0 - share)
        return _N7[sp] * (T7 / t_l) * np.exp(-integrate(f_base, f_m, m_mean_above))

    # D for O and O2 uses n(N2); for Ar and He, n(N2)+n(O)+n(O2); M above 100 km is the
    # number-weighted mean of those same species. (Checked against Table VIII in the
    # tests: with M(N2) instead of M0 below 100 km, n(O) would be 2-7 % high.)
    n["O"] = diffusing("O", n["N2"], M_I[0])
    n["O2"] = diffusing("O2", n["N2"], M_I[0])
    bg = n["N2"] + n["O"] + n["O2"]
    m_bg = (n["N2"] * M_I[0] + n["O"] * M_I[1] + n["O2"] * M_I[2]) / bg
    n["Ar"] = diffusing("Ar", bg, m_bg)
    n["He"] = diffusing("He", bg, m_bg)

    # Above 150 km (no eddy mixing, no flux terms) the same equations reduce to diffusive
    # equilibrium, f_i = M_i g/(R* T) + alpha_i T'/T, whose integral is closed form given G:
    # ln n_i = ln n_i(150) - M_i (G - G(150)) - (1 + alpha_i) ln(T / T(150)).
    hi = slice(i_h, None)
    dg_hi = big_g[hi] - big_g[i_h]
    ln_t_hi = np.log(t[hi] / t[i_h])
    for sp in ("N2", "O", "O2", "Ar", "He"):
        mi = M_I[SPECIES.index(sp)]
        a_i = _ALPHA.get(sp, 0.0)
        n_hi = n[sp][-1] * np.exp(-mi * dg_hi - (1.0 + a_i) * ln_t_hi)
        n[sp] = np.concatenate([n[sp], n_hi[1:]])

    # H: flux-limited 150-500 km (tau of eq. 40), diffusive equilibrium above 500 km.
    zh, th = z[hi], t[hi]
    a_h = _ALPHA["H"]
    tau = M_I[5] * (big_g[hi] - big_g[i500])  # integral of M_H g/(R* T) from 500 km to Z
    t11 = t[i500]
    bg_h = (n["N2"] + n["O"] + n["O2"] + n["Ar"] + n["He"])[hi]
    d_h = _DIFF_A["H"] / bg_h * (th / 273.15) ** _DIFF_B["H"]
    y = PHI_H / d_h * (th / t11) ** (1.0 + a_h) * np.exp(tau)
    c = _cumtrapz(y, y, _GRID_DZ_M)
    flux_part = np.where(zh <= Z11, c[i500 - i_h] - c, 0.0)
    n_h = np.zeros_like(z)
    n_h[hi] = (N_H_500 + flux_part) * (t11 / th) ** (1.0 + a_h) * np.exp(-tau)
    n["H"] = n_h

    nn = np.stack([n[s] for s in SPECIES])
    n_tot = nn.sum(axis=0)
    mass = (nn * M_I[:, None]).sum(axis=0)
    ln_rho = np.log(mass / N_A)
    ln_p = np.log(n_tot * K_BOLTZMANN * t)

    # Local log-slopes at 1000 km for the extrapolation above it. Above 150 km every species
    # is in diffusive equilibrium (H above 500 km too): d ln n_i/dZ = -(M_i g/(R* T)
    # + (1 + alpha_i) T'/T).
    alphas = np.array([0.0, 0.0, 0.0, 0.0, _ALPHA["He"], a_h])
    slope_i = -(M_I * gr[-1] + (1.0 + alphas) * dt[-1] / t[-1])
    w_mass = nn[:, -1] * M_I / mass[-1]
    w_num = nn[:, -1] / n_tot[-1]
    dln_rho = float(np.sum(w_mass * slope_i))
    dln_p = float(np.sum(w_num * slope_i) + dt[-1] / t[-1])
    return _Upper(z, nn, t, ln_rho, ln_p, dln_rho, dln_p)


_UPPER = _solve_upper()


def _number_densities(alt_m) -> dict[str, np.ndarray]:
    """Number densities (m^-3) of SPECIES at geometric altitudes in [86, 1000 km] (metres).

    Diagnostic (used by the tests against the document's Table VIII); H is 0 below 150 km.
    """
    z = np.clip(np.asarray(alt_m, dtype=np.float64), Z7, Z12)
    out = {}
    for i, sp in enumerate(SPECIES):
        ni = _UPPER.n[i]
        pos = ni > 0.0
        ln_n = np.interp(z, _UPPER.z[pos], np.log(ni[pos]))
        out[sp] = np.where(z >= _UPPER.z[pos][0], np.exp(ln_n), 0.0)
    return out


# --- public API -------------------------------------------------------------------------
class US76State(NamedTuple):
    """US76 state; each field is a float64 array with the shape of the altitude input."""

    density_kg_m3: np.ndarray
    pressure_pa: np.ndarray
    temperature_k: np.ndarray
    """Kinetic temperature (K)."""
    sound_speed_m_s: np.ndarray
    """sqrt(gamma R* T_M / M0) (m/s) at or below 86 km; NaN above (see :func:`us76`)."""


def us76(alt_m) -> US76State:
    """U.S. Standard Atmosphere 1976 at geometric altitude(s) ``alt_m`` (metres).

    Accepts a scalar or any array; returns :class:`US76State` of float64 arrays of the same
    shape (0-d for a scalar): density (kg/m^3), pressure (Pa), kinetic temperature (K) and
    speed of sound (m/s).

    * Below 0 m the values at 0 m are returned (clamped, not extrapolated): the flight
      kernel meets small negative altitudes only while it lands on an impact event.
    * 0-86 km: closed-form geopotential layers.
    * 86-1000 km: the diffusion model, integrated once at import (see module docstring).
    * Above 1000 km (outside US76): temperature stays at its 1000 km value (1000.0 K) and
      density and pressure continue exponentially with their own local scale heights at
      1000 km: -1/(d ln rho/dZ) = 237.1 km and -1/(d ln P/dZ) = 288.2 km (the air there is
      mostly He by mass and number; the ~7 % of mass in faster-thinning O shortens the
      density scale height).
    * ``sound_speed_m_s`` is NaN above 86 km: US76 defines the speed of sound only where
      the air is well mixed (its Table III stops at 86 km); the free paths above make
      "sound" meaningless. Use :func:`mach_sound_speed_m_s` for Mach numbers.
    * NaN altitudes give NaN outputs.
    """
    z_in = np.asarray(alt_m, dtype=np.float64)
    z = np.maximum(z_in, 0.0)
    z_lo = np.minimum(z, Z_LOWER_TOP_M)
    rho_lo, p_lo, t_lo, tm_lo = _lower(z_lo)

    up = _UPPER
    z_up = np.clip(z, Z7, Z12)
    ln_rho_up = np.interp(z_up, up.z, up.ln_rho)
    ln_p_up = np.interp(z_up, up.z, up.ln_p)
    t_up, _ = _upper_temperature(z_up)
    beyond = np.maximum(z - Z12, 0.0)
    rho_up = np.exp(ln_rho_up + up.dln_rho_dz_top * beyond)
    p_up = np.exp(ln_p_up + up.dln_p_dz_top * beyond)

    is_lo = z <= Z_LOWER_TOP_M
    rho = np.where(is_lo, rho_lo, rho_up)
    p = np.where(is_lo, p_lo, p_up)
    t = np.where(is_lo, t_lo, t_up)
    a = np.where(is_lo, np.sqrt(GAMMA * R_STAR * tm_lo / M0), np.nan)
    nan = np.isnan(z_in)
    if np.any(nan):
        rho, p, t, a = (np.where(nan, np.nan, v) for v in (rho, p, t, a))
    return US76State(np.asarray(rho), np.asarray(p), np.asarray(t), np.asarray(a))


def mach_sound_speed_m_s(alt_m) -> np.ndarray:
    """Speed of sound (m/s) used by the flight kernel for Mach numbers, at altitude(s) in m.

    Equal to the US76 value (:func:`us76`) from 0 to 86 km, clamped to the 0 m value below
    0 m, and held at the 86 km value (274.10 m/s) above 86 km. US76 leaves the speed of
    sound undefined there, but a kernel needs a finite Mach number for its Cd(Mach) table.
    The choice hardly matters: the dynamic pressure there is small (at 86 km even 7 km/s
    gives 0.5 * 7e-6 * 7000^2 ~ 170 Pa, falling by a factor e every ~6 km), and anything
    ballistic at those heights moves at >~ 1.5 km/s, Mach >~ 5 on this scale, where Cd is
    nearly independent of Mach (hypersonic Mach independence), so a different sound speed
    would change drag by little of little.
    """
    z = np.clip(np.asarray(alt_m, dtype=np.float64), 0.0, Z_LOWER_TOP_M)
    *_, tm = _lower(z)
    return np.asarray(np.sqrt(GAMMA * R_STAR * tm / M0))


# --- kernel table ---------------------------------------------------------------------------
TABLE_DALT_M = 100.0
"""Grid spacing (m) of the kernel table, which starts at 0 m. See :func:`kernel_lookup`."""
TABLE_MAX_ALT_M = 1_000_000.0
"""Top of the kernel table (m); above it :func:`kernel_lookup` extrapolates exponentially."""

_TABLE_ALT_M = TABLE_DALT_M * np.arange(int(round(TABLE_MAX_ALT_M / TABLE_DALT_M)) + 1)
_TABLE_STATE = us76(_TABLE_ALT_M)
TABLE_LN_DENSITY = np.log(_TABLE_STATE.density_kg_m3)
"""ln(density / (kg/m^3)) on the grid ``TABLE_DALT_M * arange(len)``."""
TABLE_LN_PRESSURE = np.log(_TABLE_STATE.pressure_pa)
"""ln(pressure / Pa) on the same grid."""
TABLE_SOUND_SPEED = mach_sound_speed_m_s(_TABLE_ALT_M)
"""Kernel speed of sound (m/s, :func:`mach_sound_speed_m_s`) on the same grid."""
for _arr in (TABLE_LN_DENSITY, TABLE_LN_PRESSURE, TABLE_SOUND_SPEED):
    _arr.flags.writeable = False
del _arr


class KernelTable(NamedTuple):
    """The kernel table as the flight engine takes it (float64 NumPy arrays, read-only)."""

    ln_density: np.ndarray  # (N,) ln(kg/m^3)
    ln_pressure: np.ndarray  # (N,) ln(Pa)
    sound_speed: np.ndarray  # (N,) m/s
    dln_density_dz_top: float  # 1/m, density log-slope at TABLE_MAX_ALT_M
    dln_pressure_dz_top: float  # 1/m, pressure log-slope at TABLE_MAX_ALT_M
    dln_density: np.ndarray  # (N,) node slopes of ln(density) times TABLE_DALT_M (per cell)
    dln_pressure: np.ndarray  # (N,) node slopes of ln(pressure) times TABLE_DALT_M


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    a.flags.writeable = False
    return a


@lru_cache(maxsize=1)
def kernel_table() -> KernelTable:
    """The kernel table as a :class:`KernelTable` (cached), the ``atm`` argument of
    :func:`boostphase.engine.integrate`."""
    return KernelTable(
        TABLE_LN_DENSITY,
        TABLE_LN_PRESSURE,
        TABLE_SOUND_SPEED,
        float(_UPPER.dln_rho_dz_top),
        float(_UPPER.dln_p_dz_top),
        # finite-difference node slopes (per cell) for the C1 cubic Hermite interpolant
        _readonly(np.gradient(TABLE_LN_DENSITY)),
        _readonly(np.gradient(TABLE_LN_PRESSURE)),
    )


def kernel_lookup(alt_m, table: KernelTable | None = None):
    """Density (kg/m^3), pressure (Pa) and Mach sound speed (m/s) at geometric ``alt_m`` (m),
    as the flight engine computes them (:func:`boostphase.engine.table_lookup`: the compiled
    kernel's own code, its exp included). ``table``: :func:`kernel_table`'s result (default).

    Index i = clip(floor(alt/dalt), 0, N-2); ln(density) and ln(pressure) are interpolated by a
    C1 cubic Hermite in the cell (node slopes by finite differences: a piecewise-linear table
    has a slope jump at every node, which an adaptive integrator sees as a kink every 100 m
    and answers with small steps), the sound speed linearly. Below 0 m the 0 m values are
    returned; above ``TABLE_MAX_ALT_M`` density and pressure continue exponentially with their
    log-slopes at 1000 km (as :func:`us76` does) and the sound speed stays at its (86 km) value.

    Accuracy against :func:`us76`, measured on a 1 m sample of 0-1000 km (and asserted in
    ``tests/test_atmosphere.py``): density 3.0e-4 at 11 019 m (the tropopause slope kink inside a
    100 m cell, which no smooth interpolant can follow), 7.3e-5 above 86 km; pressure 3.9e-5;
    sound speed 2.3e-4 (linear). 86, 100, 110, 115, 120 and 150 km are grid nodes.
    """
    from ..engine import table_lookup

    rho, pres, snd, _, _ = table_lookup(alt_m, kernel_table() if table is None else table)
    return rho, pres, snd


# --- terminal-fall integrals ------------------------------------------------------------------
FALL_TABLE_TOP_M = 100_000.0
"""Top of the terminal-fall tables (m): a body at terminal speed is far below it."""


def _fall_integrals() -> tuple[np.ndarray, np.ndarray]:
    # trapezoid rule on a 1 m grid of the exact model, kept at the 100 m kernel nodes: the
    # integrands are smooth (exponential-like) so the rule's relative error is ~1e-9
    z = np.arange(0.0, FALL_TABLE_TOP_M + 0.5, 1.0)
    rho = us76(z).density_kg_m3
    out = []
    for f in (np.sqrt(rho), 1.0 / np.sqrt(rho)):
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]))])
        out.append(cum[:: int(TABLE_DALT_M)])
    return out[0], out[1]


@lru_cache(maxsize=1)
def fall_table() -> tuple[np.ndarray, np.ndarray]:
    """Cumulative integrals from 0 m, on the kernel grid up to :data:`FALL_TABLE_TOP_M`, of
    sqrt(density) (kg^0.5 m^-0.5) and 1/sqrt(density) (m^2.5 kg^-0.5).

    A body falling at its terminal speed v_t(z) = sqrt(g / (c rho(z))) (c = Cd A / (2 m))
    takes sqrt(c / g) * S(h) to fall from h to the ground, and its eastward Coriolis drift
    on the way is 2 Omega cos(lat) / sqrt(g c) * Q(h): the two integrals S and Q are these
    tables. Used by the engine's optional terminal-fall ending (see ``Settings``)."""
    s, q = _fall_integrals()
    return _readonly(s), _readonly(q)


def fall_lookup(alt_m, table=None):
    """(S, Q) of :func:`fall_table` at ``alt_m`` (m), linear in each 100 m cell, clamped to
    0..FALL_TABLE_TOP_M, as the flight engine computes them (the kernel's own code). Interpolation
    error: (100 m)^2 / 8 times the integrand's slope, i.e. ~1e-4 of the integral just above a node
    near the ground, less higher up: far below the terminal-fall model's own ~0.5 %
    (tests/test_atmosphere.py checks 3e-4 against quadrature)."""
    from ..engine import table_lookup

    _, _, _, s, q = table_lookup(alt_m, kernel_table(), fall_table() if table is None else table)
    return s, q
