"""The compiled engine, side by side in one process on the same inputs, against a SciPy
``solve_ivp`` loop of the same physics.

For each workload it prints wall time, core-µs per case (process CPU time over cases: every
thread's time counts), cases per second, accepted steps per case and ns per step-lane (process
CPU time over every lane's loop passes: trial steps, rejected and event-search trials included):

  * 100,000 drag coasts (bench_flight.py's cases) at rtol 1e-8 and at 1e-4, on the automatic
    path (AVX-512 packets where the CPU has them) and, on a 20,000-case slice, every path
    (scalar, AVX2, AVX-512) with 1 thread;
  * 1,000,000 debris fragments (an intercept-like cloud: 150 km, 5 km/s, kicks of 150 m/s,
    log-normal betas around 1,500 kg/m^2) at rtol 1e-4 with the terminal-fall ending, as the
    footprint flies them;
  * one Hwasong-15 flyout at rtol 1e-10 (median of repeats, one case: the scalar path);
  * SciPy ``solve_ivp`` RK45 looping over a sample of the same coasts at the same rtol, with
    the ratio per coast by CPU time and by wall time;
  * the first flyout of a fresh process, imports included (a subprocess, three times).

OpenBLAS is kept to one thread (its idle worker threads spin and would count as process CPU
time). Run:  .venv/bin/python benchmarks/bench_engine.py [--n 100000] [--fragments 1000000]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_flight import cases, scipy_impact  # noqa: E402

from boostphase.engine import Case, Settings, available_paths, default_threads, integrate  # noqa: E402
from boostphase.flight.flyout import Steering, _flyout_arrays, cd_table  # noqa: E402
from boostphase.models import atmosphere  # noqa: E402
from boostphase.models.earth import WGS84  # noqa: E402
from boostphase.models.vehicles import load  # noqa: E402


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def coast_case(r0, v0, beta) -> Case:
    n = len(r0)
    mach, cd = cd_table(((0.0, 1.0), (1.0, 1.0)))
    return Case(y0=np.concatenate([r0, v0], 1), t0=np.zeros(n), seg_t_end=np.full((n, 1), 1e30),
                seg_m0=np.asarray(beta, float)[:, None], seg_mdot=np.zeros((n, 1)), seg_thrust=np.zeros((n, 1)),
                seg_exit_area=np.zeros((n, 1)), seg_ref_area=np.ones((n, 1)),
                seg_mode=np.full((n, 1), 2, np.int32), cd_mach=np.broadcast_to(mach, (n, 1, 16)),
                cd_val=np.broadcast_to(cd, (n, 1, 16)), azimuth=np.zeros(n), kick=np.zeros(n),
                pitch_t0=np.zeros(n), pitch_t1=np.zeros(n), u_fixed=np.zeros((n, 3)), t_max=np.full(n, 2e5))


def timed(case, settings, fall=None, **kw):
    atm = atmosphere.kernel_table() if settings.drag else None
    c0, t0 = time.process_time(), time.perf_counter()
    res = integrate(case, WGS84.kernel_constants(), atm, settings, fall, **kw)
    return res, time.perf_counter() - t0, time.process_time() - c0


def report(label, res, wall, cpu, fsal=True):
    n = len(res.t)
    passes = ((res.n_rhs.astype(np.int64) - 1) // 6 if fsal else res.n_rhs.astype(np.int64) // 7).sum()
    print(f"  {label:<44} {wall:8.3f} s wall {cpu / n * 1e6:9.2f} core-us/case {n / wall:11,.0f} /s "
          f"{res.n_steps.mean():7.1f} steps/case {cpu / passes * 1e9:7.1f} ns/step-lane")
    return cpu / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--fragments", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=20, help="coasts in the SciPy loop")
    ap.add_argument("--reps", type=int, default=50)
    args = ap.parse_args()
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores visible, engine threads {default_threads()}, "
          f"paths {available_paths()}")
    c = cases(args.n)
    r0, v0 = WGS84.state_from_local(c["lat_deg"], c["lon_deg"], c["alt_m"], c["speed_m_s"],
                                    c["flight_path_deg"], c["azimuth_deg"])
    case = coast_case(r0, v0, c["beta_kg_m2"])
    per = {}
    for rtol in (1e-8, 1e-4):
        s = Settings(rtol=rtol, powered=False, constant_cd=True)
        print(f"{args.n:,} drag coasts, rtol {rtol:g}:")
        res, wall, cpu = timed(case, s)
        per[rtol] = report("automatic path, all threads", res, wall, cpu)
        m = min(20_000, args.n)
        sub = Case(*(np.asarray(x)[:m] for x in case))
        ref = None
        for path in available_paths():
            r, w, cp = timed(sub, s, threads=1, path=path)
            report(f"{path} path, 1 thread ({m:,} of them)", r, w, cp)
            ref = r if ref is None else ref
            for a, b in zip(ref, r, strict=True):
                np.testing.assert_array_equal(a, b, err_msg="paths differ")  # NaN == NaN here
    # SciPy loop at rtol 1e-8 on a sample of the same coasts
    k = args.sample
    c0, t0 = time.process_time(), time.perf_counter()
    for i in range(k):
        scipy_impact(r0[i], v0[i], c["beta_kg_m2"][i], rtol=1e-8)
    sp_wall, sp_cpu = (time.perf_counter() - t0) / k, (time.process_time() - c0) / k
    print(f"SciPy solve_ivp RK45 loop, rtol 1e-8 ({k} coasts): {sp_cpu * 1e6:,.0f} core-us/coast, "
          f"{sp_wall * 1e3:.1f} ms wall each; engine ratio by CPU time {sp_cpu / per[1e-8]:,.0f}x")

    # debris fragments
    n = args.fragments
    rng = np.random.default_rng(7)
    f0, g0 = WGS84.state_from_local(np.array([42.0]), np.array([135.0]), np.array([150e3]), np.array([5000.0]),
                                    np.array([20.0]), np.array([60.0]))
    frag = coast_case(np.repeat(f0, n, 0), g0 + rng.normal(0.0, 150.0, (n, 3)),
                      np.exp(rng.normal(np.log(1500.0), 0.9, n)))
    s = Settings(rtol=1e-4, powered=False, constant_cd=True, terminal_fall=True)
    print(f"{n:,} debris fragments, rtol 1e-4, terminal-fall ending:")
    res, wall, cpu = timed(frag, s, atmosphere.fall_table())
    report("automatic path, all threads", res, wall, cpu)
    print(f"  terminal-fall endings {res.fell.mean():.1%}, impacted {res.impacted.mean():.4f}")

    # one ICBM flyout
    arrays, _, _ = _flyout_arrays(load("hwasong-15"), 39.0, 125.7, 0.0, 45.0, 5.0, Steering(), 2.0e4, WGS84)
    one = Case(**arrays)
    s = Settings(rtol=1e-10)
    timed(one, s)
    walls, cpus = [], []
    for _ in range(args.reps):
        res, w, cp = timed(one, s)
        walls.append(w)
        cpus.append(cp)
    it = int(res.n_rhs[0]) // 7
    print(f"one Hwasong-15 flyout, rtol 1e-10 ({res.t[0]:.0f} s of flight, {int(res.n_steps[0])} steps, {it} "
          f"loop passes): {np.median(walls) * 1e3:.3f} ms wall median of {args.reps} "
          f"(best {min(walls) * 1e3:.3f}), {np.median(cpus) * 1e3:.3f} ms CPU, "
          f"{np.median(cpus) / it * 1e9:.0f} ns per step")
    first_flyout()


FIRST = (
    "import time; t0 = time.perf_counter()\n"
    "from boostphase.flight.flyout import fly\nfrom boostphase.models.vehicles import load\n"
    "t1 = time.perf_counter()\n"
    "fly(load('hwasong-15'), 39.0, 125.7, azimuth_deg=60.0, kick_deg=20.0)\n"
    "print(f'{time.perf_counter() - t0:.3f} {t1 - t0:.3f}')\n")


def first_flyout():
    import subprocess

    runs = [subprocess.run([sys.executable, "-c", FIRST], capture_output=True, text=True, check=True).stdout.split()
            for _ in range(3)]
    print("first flyout of a fresh process, imports included: "
          + ", ".join(f"{float(a):.2f} s (imports {float(b):.2f} s)" for a, b in runs))


if __name__ == "__main__":
    main()
