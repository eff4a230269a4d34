"""Speed of the batched engine against a straightforward SciPy ``solve_ivp`` loop, same physics.

Prints, in one run on this machine:
  * a batch of N coasts with drag (default 100,000): time, trajectories/s, and the ratio per
    trajectory against SciPy RK45 looping over a sample of the same cases (same rtol), with the
    impact-point accuracy of both against DOP853 at rtol 1e-10;
  * one full ICBM flyout after warm-up at rtol 1e-10, 1e-8 and 1e-7: milliseconds per flyout
    (median), the same flyout with SciPy RK45 at the same rtol, the impact error of both against
    an independent SciPy DOP853 flyout at rtol 1e-10, and the per-flyout cost in a batch.

Run:  .venv/bin/python benchmarks/bench_flight.py [--n 100000] [--sample 100] [--flyout-only]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp

from boostphase.flight.flyout import Steering, _flyout_arrays, _run, _settings, coast
from boostphase.models.atmosphere import kernel_table, us76
from boostphase.models.earth import WGS84
from boostphase.models.vehicles import load

OM = WGS84.omega_rad_s
MU, J2, A = WGS84.mu_m3_s2, WGS84.j2, WGS84.a_m


def scipy_rhs(t, s, beta):
    """Earth-fixed point mass: J2 gravity, Coriolis + centrifugal, US76 drag (same physics)."""
    r, v = s[:3], s[3:]
    x, y, z = r
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    g = -MU / (r2 * rn) * r
    k = -1.5 * J2 * MU * A * A / (r2 * r2 * rn)
    zr = 5 * z * z / r2
    g = g + k * np.array([x * (1 - zr), y * (1 - zr), z * (3 - zr)])
    acc = g + np.array([2 * OM * v[1] + OM * OM * x, -2 * OM * v[0] + OM * OM * y, 0.0])
    _, _, alt = WGS84.ecef_to_geodetic(r)
    rho = float(us76(alt).density_kg_m3)
    sp = np.linalg.norm(v)
    acc = acc - 0.5 * rho * sp / beta * v
    return np.concatenate([v, acc])


def scipy_impact(r0, v0, beta, method="RK45", rtol=1e-8):
    def hit(t, s, beta):
        return WGS84.ecef_to_geodetic(s[:3])[2]

    hit.terminal, hit.direction = True, -1
    sol = solve_ivp(scipy_rhs, (0, 1e5), np.concatenate([r0, v0]), method=method, rtol=rtol,
                    atol=1e-6, events=hit, args=(beta,))
    return sol.y_events[0][0][:3]


def cases(n, seed=1):
    rng = np.random.default_rng(seed)
    return dict(lat_deg=rng.uniform(30, 50, n), lon_deg=rng.uniform(120, 150, n), alt_m=rng.uniform(50e3, 300e3, n),
                speed_m_s=rng.uniform(1500, 6500, n), flight_path_deg=rng.uniform(-20, 40, n),
                azimuth_deg=rng.uniform(0, 360, n), beta_kg_m2=np.exp(rng.normal(np.log(2000), 0.8, n)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--reps", type=int, default=50, help="timed repeats of the single flyout")
    ap.add_argument("--flyout-only", action="store_true", help="skip the coast batch")
    args = ap.parse_args()
    kernel_table()
    if args.flyout_only:
        flyout_section(args.reps)
        return
    c = cases(args.n)
    # warm-up (compilation) on a small batch with the same chunk shape
    small = {k: v[:16384] for k, v in c.items()}
    coast(**small, rtol=args.rtol)
    t0 = time.perf_counter()
    res = coast(**c, rtol=args.rtol)
    t_batch = time.perf_counter() - t0
    per_engine = t_batch / args.n
    print(f"engine: {args.n:,} drag coasts in {t_batch:.2f} s = {args.n / t_batch:,.0f} /s "
          f"({per_engine * 1e6:.1f} us each, rtol {args.rtol:g}, mean {res.n_steps.mean():.0f} steps)")

    idx = np.arange(args.sample)
    r0, v0 = WGS84.state_from_local(c["lat_deg"][idx], c["lon_deg"][idx], c["alt_m"][idx], c["speed_m_s"][idx],
                                    c["flight_path_deg"][idx], c["azimuth_deg"][idx])
    t0 = time.perf_counter()
    sp_pts = np.array([scipy_impact(r0[i], v0[i], c["beta_kg_m2"][i], rtol=args.rtol) for i in idx])
    t_scipy = (time.perf_counter() - t0) / args.sample
    ref = np.array([scipy_impact(r0[i], v0[i], c["beta_kg_m2"][i], method="DOP853", rtol=1e-10) for i in idx[:30]])
    eng = WGS84.geodetic_to_ecef(res.impact_lat_deg[idx[:30]], res.impact_lon_deg[idx[:30]], 0.0)
    err_eng = np.linalg.norm(eng - ref, axis=1)
    err_sp = np.linalg.norm(sp_pts[:30] - ref, axis=1)
    print(f"scipy solve_ivp RK45 loop: {t_scipy * 1e3:.1f} ms per trajectory (sample of {args.sample})")
    print(f"ratio per trajectory: {t_scipy / per_engine:,.0f}x")
    print(f"impact error vs DOP853 rtol 1e-10 (30 cases): engine max {err_eng.max():.3f} m, "
          f"scipy RK45 max {err_sp.max():.3f} m")

    flyout_section(args.reps)


def flyout_section(reps: int):
    """One full ICBM flyout (Hwasong-15 model, gravity turn, 5 deg kick, launched north-east
    from near Pyongyang): engine latency at three tolerances, the same flyout with SciPy RK45
    at the same tolerance, and both against an independent SciPy DOP853 flyout at rtol 1e-10
    (tests/reference_flyout.py)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from reference_flyout import scipy_flyout

    m = load("hwasong-15")
    arrays, _, _ = _flyout_arrays(m, 39.0, 125.7, 0.0, 45.0, 5.0, Steering(), 2.0e4, WGS84)
    t0 = time.perf_counter()
    ref = scipy_flyout(arrays, 0, "DOP853", 1e-10)
    t_ref = time.perf_counter() - t0
    print(f"one ICBM flyout (hwasong-15, gravity turn, {ref['impact_t']:.0f} s of flight); reference SciPy "
          f"DOP853 rtol 1e-10: {t_ref * 1e3:.0f} ms, {ref['nfev']} rhs")
    for rtol in (1e-10, 1e-8, 1e-7):
        settings = _settings(WGS84, True, rtol=rtol)
        out = _run(arrays, WGS84, settings)  # warm-up (compilation or cache load)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            out = _run(arrays, WGS84, settings)
            times.append(time.perf_counter() - t0)
        t_eng = float(np.median(times))
        t0 = time.perf_counter()
        rk = scipy_flyout(arrays, 0, "RK45", rtol)
        t_rk = time.perf_counter() - t0
        e_eng = np.linalg.norm(out["y"][0, :3] - ref["impact_r"])
        e_rk = np.linalg.norm(rk["impact_r"] - ref["impact_r"])
        iters = int(out["n_steps"][0] + out["n_reject"][0])
        print(f"  rtol {rtol:g}: engine {t_eng * 1e3:.2f} ms median of {reps} (best {min(times) * 1e3:.2f}; "
              f"{iters} iterations, {t_eng / iters * 1e6:.1f} us each), SciPy RK45 {t_rk * 1e3:.0f} ms "
              f"= {t_rk / t_eng:,.0f}x; impact vs DOP853: engine {e_eng:.2f} m, RK45 {e_rk:.2f} m")
    # throughput: many flyouts of the same missile in one call (kicks 1-20 deg, all azimuths)
    n = 4096
    rng = np.random.default_rng(2)
    batch, _, _ = _flyout_arrays(m, 39.0, 125.7, 0.0, rng.uniform(0, 360, n), rng.uniform(1, 20, n),
                                 Steering(), 2.0e4, WGS84)
    settings = _settings(WGS84, True)
    _run({k: v[:64] for k, v in batch.items()}, WGS84, settings)
    t0 = time.perf_counter()
    _run(batch, WGS84, settings)
    dt = time.perf_counter() - t0
    print(f"  {n} flyouts in one batch at rtol 1e-10: {dt:.2f} s = {dt / n * 1e3:.2f} ms per flyout")

if __name__ == "__main__":
    main()
