"""A straightforward SciPy ``solve_ivp`` flyout of one missile: the reference the engine's
powered flight is checked (tests/test_flyout.py) and timed (benchmarks/bench_flight.py) against.

Same physics as the engine, written independently of it and in the plainest form: Earth-fixed
frame with J2 gravity, centrifugal and Coriolis terms; exact geodetic coordinates
(:meth:`Earth.ecef_to_geodetic`); the U.S. Standard Atmosphere 1976 itself (:func:`us76`, not
the engine's interpolation table); thrust = vacuum thrust - ambient pressure x nozzle exit
area; mass falling linearly in each segment; drag with the segment's Cd(Mach) table
(``np.interp``, flat outside); steering laws as documented in :mod:`boostphase.engine.kernel`.
It reads only the segment schedule (times, masses, thrusts, areas, Cd tables, steering modes)
from the engine's input arrays, one case at a time, and integrates segment by segment so each
staging is a step boundary, then to the ground (geodetic altitude 0, descending).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from boostphase.models.atmosphere import mach_sound_speed_m_s, us76
from boostphase.models.earth import WGS84


def _local_axes(lat, lon):
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    up = np.array([cl * co, cl * so, sl])
    east = np.array([-so, co, 0.0])
    north = np.array([-sl * co, -sl * so, cl])
    return up, east, north


def _rhs(t, s, seg, case, earth):
    r, v = s[:3], s[3:]
    mu, j2, a, om = earth.mu_m3_s2, earth.j2, earth.a_m, earth.omega_rad_s
    x, y, z = r
    rn = np.linalg.norm(r)
    # point mass + J2 (e.g. Vallado, Fundamentals of Astrodynamics, eq. 8-30)
    q = 5.0 * z * z / rn**2
    g = -mu / rn**3 * r - 1.5 * j2 * mu * a * a / rn**5 * np.array([x * (1 - q), y * (1 - q), z * (3 - q)])
    # rotating frame: centrifugal and Coriolis (omega along +z)
    acc = g + np.array([om * om * x + 2 * om * v[1], om * om * y - 2 * om * v[0], 0.0])
    lat_deg, lon_deg, alt = earth.ecef_to_geodetic(r)
    up, east, north = _local_axes(np.radians(lat_deg), np.radians(lon_deg))
    atm = us76(max(float(alt), 0.0))
    rho, pres = float(atm.density_kg_m3), float(atm.pressure_pa)
    speed = np.linalg.norm(v)
    mass = seg["m0"] - seg["mdot"] * (t - seg["t0"])
    if seg["thrust"] > 0.0:
        thrust = max(seg["thrust"] - pres * seg["exit_area"], 0.0)
        mode = seg["mode"]
        if mode == 0:
            u = up
        elif mode == 1:
            # the tilt grows over the pitch-over itself (its start and end are given), whatever
            # segment boundaries (staging, shroud drop) fall inside it
            p0, p1 = case["pitch"]
            frac = min(max((t - p0) / (p1 - p0), 0.0), 1.0)
            th = case["kick"] * frac
            horiz = np.sin(case["azimuth"]) * east + np.cos(case["azimuth"]) * north
            u = np.cos(th) * up + np.sin(th) * horiz
        elif mode == 2:
            u = v / speed if speed > 1e-6 else up
        else:
            uf = case["u_fixed"]
            u = uf[0] * east + uf[1] * north + uf[2] * up
        acc = acc + thrust / mass * u
    if seg["ref_area"] > 0.0 and speed > 0.0:
        mach = speed / float(mach_sound_speed_m_s(max(float(alt), 0.0)))
        cd = np.interp(mach, seg["cd_mach"], seg["cd_val"])
        acc = acc - 0.5 * rho * speed * cd * seg["ref_area"] / mass * v
    return np.concatenate([v, acc])


def scipy_flyout(arrays: dict, i: int = 0, method: str = "DOP853", rtol: float = 1e-10,
                 atol: float = 1e-6, earth=WGS84, pitch: tuple[float, float] | None = None) -> dict:
    """Fly case ``i`` of the engine input ``arrays`` (as built by flight._flyout_arrays) with
    ``solve_ivp``. ``pitch``: (start, end) of the pitch-over in s, given independently of the
    arrays (default: the arrays' own ``pitch_t0``/``pitch_t1``). Returns impact position (m,
    Earth-fixed), time (s), apogee altitude (m),
    the state at the end of each finite segment, and the number of right-hand-side calls."""
    case = {k: np.asarray(v[i]) for k, v in arrays.items()}
    case["kick"], case["azimuth"] = float(case["kick"]), float(case["azimuth"])
    case["pitch"] = pitch if pitch is not None else (float(case["pitch_t0"]), float(case["pitch_t1"]))
    t, s = float(case["t0"]), case["y0"].astype(float)
    ends = case["seg_t_end"]
    seg_states, nfev, apogee = [], 0, -np.inf

    def hit(tt, ss, *args):
        return earth.ecef_to_geodetic(ss[:3])[2]

    hit.terminal, hit.direction = True, -1
    for k in range(len(ends)):
        t1 = min(float(ends[k]), float(case["t_max"]))
        seg = dict(t0=t, t1=t1, m0=float(case["seg_m0"][k]), mdot=float(case["seg_mdot"][k]),
                   thrust=float(case["seg_thrust"][k]), exit_area=float(case["seg_exit_area"][k]),
                   ref_area=float(case["seg_ref_area"][k]), mode=int(case["seg_mode"][k]),
                   cd_mach=case["cd_mach"][k], cd_val=case["cd_val"][k])
        last = t1 >= float(case["t_max"]) or float(ends[k]) > 1e29
        sol = solve_ivp(_rhs, (t, t1), s, method=method, rtol=rtol, atol=atol, args=(seg, case, earth),
                        events=hit if last else None, dense_output=last)
        nfev += sol.nfev
        alts = earth.ecef_to_geodetic(sol.y[:3].T)[2]
        apogee = max(apogee, float(np.max(alts)))
        if last:
            # the apogee between output points: refine on the dense output
            j = int(np.argmax(alts))
            lo, hi = sol.t[max(j - 1, 0)], sol.t[min(j + 1, len(sol.t) - 1)]
            tt = np.linspace(lo, hi, 2001)
            apogee = max(apogee, float(np.max(earth.ecef_to_geodetic(sol.sol(tt)[:3].T)[2])))
            return dict(impact_r=sol.y_events[0][0][:3], impact_t=float(sol.t_events[0][0]),
                        apogee_m=apogee, seg_states=seg_states, nfev=nfev)
        t, s = t1, sol.y[:, -1]
        seg_states.append(np.concatenate([[t], s]))
    raise RuntimeError("no final segment")
