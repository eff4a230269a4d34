"""Speed of the fragment footprint (claim C5) against a SciPy ``solve_ivp`` loop, same physics.

Prints, in one run on this machine:
  * N fragments (default 1,000,000) from one intercept state of a Hwasong-15 class threat
    (min-energy, azimuth 45 deg from near Pyongyang, thrust cut 202 s after launch): wall time of
    the fragments (engine), of the territory labels and city counts, fragments per second;
  * the ratio per trajectory against SciPy's RK45 looping over a sample of the same fragments
    with the same physics (J2, rotating Earth, US76 drag; ``scipy_impact`` of bench_flight.py)
    at the same rtol, and the impact-point accuracy of both against DOP853 at rtol 1e-10. The
    footprint ends slow light fragments with the terminal-fall model (Settings.terminal_fall);
    the ratio is also given for the engine integrating every fall to the ground (``--full``
    fragments, default 100,000), which is the strict same-physics comparison;
  * with ``--workers K``: the same run on K local worker processes (dask), and a check that its
    first fragments are bit-identical to a serial run.

Run:  .venv/bin/python benchmarks/bench_footprint.py [--n 1000000] [--sample 40] [--workers 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from pathlib import Path

import numpy as np

from boostphase.consequence import (
    BetaDist,
    FragmentSource,
    Kick,
    footprint,
    initial_states,
    shortfall_trace,
)
from boostphase.flight.flyout import fly
from boostphase.models.earth import WGS84
from boostphase.models.vehicles import load


def _scipy_impact():
    spec = importlib.util.spec_from_file_location("bench_flight", Path(__file__).with_name("bench_flight.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.scipy_impact


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=40, help="fragments flown by the SciPy loop")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=0, help="also time K dask worker processes")
    ap.add_argument("--skip-serial", action="store_true", help="only the --workers run")
    ap.add_argument("--full", type=int, default=100_000, help="fragments flown without the terminal-fall ending")
    args = ap.parse_args()
    from boostphase.consequence import Scenario

    rtol = Scenario.model_fields["rtol"].default  # the footprint's tolerance; SciPy runs at the same

    t0 = time.perf_counter()
    m = load("hwasong-15")
    traj = fly(m, 39.0, 125.7, azimuth_deg=45.0, profile="min-energy")
    tr = shortfall_trace(m, (39.0, 125.7), trajectory=traj, beta_kg_m2=5000.0, dt_s=10.0, t_from_s=2.0)
    i = int(np.flatnonzero(tr.cutoff_s == 202.0)[0])
    state = tr.state[i]
    lat, lon, alt = WGS84.ecef_to_geodetic(state[:3])
    print(f"intercept state: 202 s after launch, {float(alt) / 1e3:.0f} km up at {float(lat):.2f}N "
          f"{float(lon):.2f}E, {np.linalg.norm(state[3:]) / 1e3:.2f} km/s  (threat set-up "
          f"{time.perf_counter() - t0:.1f} s)")
    kick, beta = Kick(), BetaDist()
    print(f"kicks: isotropic, log-normal median {kick.median:g} m/s sigma {kick.sigma:g}; "
          f"beta log-normal median {beta.median:g} kg/m^2 sigma {beta.sigma:g}; rtol {rtol:g}; "
          f"{os.cpu_count()} CPU cores")
    footprint(state, n=2000, seed=args.seed)  # warm-up: load/compile the 512-lane kernel
    fp = None
    if not args.skip_serial:
        t0 = time.perf_counter()
        fp = footprint(state, n=args.n, seed=args.seed)  # the footprint's default rtol
        wall = time.perf_counter() - t0
        tf = fp.timing_s["fragments"]
        print(f"serial: {args.n:,} fragments in {wall:.1f} s: engine {tf:.1f} s "
              f"({args.n / tf:,.0f} fragments/s, {tf / args.n * 1e6:.1f} us each), labels + cities "
              f"{fp.timing_s['labels_and_cities']:.1f} s")
        print("shares: " + ", ".join(f"{k} {v:.3f}" for k, v in list(fp.shares.items())[:6]))
        per_engine = tf / args.n
    if args.workers:
        t0 = time.perf_counter()
        fpw = footprint(state, n=args.n, seed=args.seed, workers=args.workers, chunk_size=50_000)
        wall = time.perf_counter() - t0
        print(f"{args.workers} workers: {args.n:,} fragments in {wall:.1f} s (engine incl. cluster start "
              f"{fpw.timing_s['fragments']:.1f} s: {args.n / fpw.timing_s['fragments']:,.0f} fragments/s)")
        k = min(args.n, 20_000)
        ref = fp if fp is not None else footprint(state, n=k, seed=args.seed)
        same = all(np.array_equal(getattr(ref, a)[:k], getattr(fpw, a)[:k]) for a in ("lat", "lon", "flight_time_s"))
        print(f"parallel vs serial, first {k:,} fragments bit-identical: {same}")
        if fp is None:
            per_engine = fpw.timing_s["fragments"] / args.n

    # SciPy loop over a sample of the same fragments (same draws, same physics)
    scipy_impact = _scipy_impact()
    src = FragmentSource(times=np.zeros(1), states=state[None, :], kick=kick, beta=beta, earth=WGS84, rtol=rtol)
    r0, v0, b, _, _ = initial_states(src, args.seed, 0, args.sample)
    t0 = time.perf_counter()
    sp = np.array([scipy_impact(r0[j], v0[j], b[j], rtol=rtol) for j in range(args.sample)])
    t_sp = (time.perf_counter() - t0) / args.sample
    print(f"scipy solve_ivp RK45 loop (rtol {rtol:g}): {t_sp * 1e3:.1f} ms per fragment (sample of {args.sample})")
    print(f"ratio per trajectory: {t_sp / per_engine:,.0f}x")
    if args.full:
        from boostphase.flight.flyout import coast_states, engine_threads

        rf, vf, bf, _, _ = initial_states(src, args.seed, 0, args.full)
        o = np.argsort(bf, kind="stable")
        coast_states(rf[o[:1000]], vf[o[:1000]], bf[o[:1000]], rtol=rtol, t_max_s=2e4)  # warm-up
        t0 = time.perf_counter()
        coast_states(rf[o], vf[o], bf[o], rtol=rtol, t_max_s=2e4)
        per_full = (time.perf_counter() - t0) / args.full
        print(f"engine integrating every fall to the ground ({args.full:,} fragments, {engine_threads()} threads): "
              f"{1 / per_full:,.0f} fragments/s, ratio per trajectory {t_sp / per_full:,.0f}x")
    nref = min(args.sample, 15)
    ref = np.array([scipy_impact(r0[j], v0[j], b[j], method="DOP853", rtol=1e-10) for j in range(nref)])
    eng = footprint(state, n=nref, seed=args.seed)
    e_eng = np.linalg.norm(WGS84.geodetic_to_ecef(eng.lat, eng.lon, 0.0) - ref, axis=1)
    e_sp = np.linalg.norm(sp[:nref] - ref, axis=1)
    print(f"impact error vs DOP853 rtol 1e-10 ({nref} fragments): engine max {e_eng.max():.2f} m, "
          f"scipy RK45 max {e_sp.max():.2f} m")


if __name__ == "__main__":
    main()
