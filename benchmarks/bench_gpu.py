"""The engine on a CUDA GPU (boostphase.engine.gpu: the same C source compiled by NVRTC, one case
per thread, a finished thread refilled from the queue), timed and checked against the CPU.

    pip install -e ".[gpu]"      # cupy-cuda13x, nvidia-cuda-nvrtc
    .venv/bin/python benchmarks/bench_gpu.py --n 10000000 --check 20000

Prints the NVRTC compile time, the GPU time and coasts/s for N debris fragments (drag coasts,
rtol 1e-10 by default, terminal-fall ending unless --full), then the CPU engine on the first
``--check`` of them and the largest difference in impact position (metres) and the number of
cases whose bits differ: the builds share their arithmetic (no FMA, IEEE division and square
root, the engine's own exp/log/sin/cos), so the difference is expected to be 0. Without a GPU
(or cupy) it compiles the CUDA build to PTX, says so and stops.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from boostphase.engine import Case, Settings, gpu, integrate
from boostphase.flight.flyout import cd_table
from boostphase.models import atmosphere
from boostphase.models.earth import WGS84


def fragments(n: int, seed: int = 7) -> Case:
    """An intercept-like cloud: one state at 150 km, 5 km/s, with kicks and log-normal betas."""
    rng = np.random.default_rng(seed)
    r0, v0 = WGS84.state_from_local(np.array([42.0]), np.array([135.0]), np.array([150e3]), np.array([5000.0]),
                                    np.array([20.0]), np.array([60.0]))
    v = v0 + rng.normal(0.0, 150.0, (n, 3))
    beta = np.exp(rng.normal(np.log(1500.0), 0.9, n))
    mach, cd = cd_table(((0.0, 1.0), (1.0, 1.0)))
    return Case(y0=np.concatenate([np.repeat(r0, n, 0), v], 1), t0=np.zeros(n), seg_t_end=np.full((n, 1), 1e30),
                seg_m0=beta[:, None], seg_mdot=np.zeros((n, 1)), seg_thrust=np.zeros((n, 1)),
                seg_exit_area=np.zeros((n, 1)), seg_ref_area=np.ones((n, 1)),
                seg_mode=np.full((n, 1), 2, np.int32), cd_mach=np.broadcast_to(mach, (n, 1, 16)),
                cd_val=np.broadcast_to(cd, (n, 1, 16)), azimuth=np.zeros(n), kick=np.zeros(n),
                pitch_t0=np.zeros(n), pitch_t1=np.zeros(n), u_fixed=np.zeros((n, 3)), t_max=np.full(n, 2e5))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--check", type=int, default=20_000)
    ap.add_argument("--rtol", type=float, default=1e-10)
    ap.add_argument("--block", type=int, default=128, help="threads per CUDA block")
    ap.add_argument("--full", action="store_true", help="integrate every fall to the ground (no terminal-fall ending)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    text = gpu.ptx("compute_80")
    print(f"NVRTC: the CUDA build compiled to PTX in {time.perf_counter() - t0:.2f} s ({len(text):,} characters)")
    try:
        import cupy

        name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    except Exception as e:  # no cupy, no driver or no device
        print(f"no GPU available ({type(e).__name__}: {e}); nothing more to run")
        return
    s = Settings(rtol=args.rtol, powered=False, constant_cd=True, terminal_fall=not args.full)
    atm, fall, consts = atmosphere.kernel_table(), atmosphere.fall_table(), WGS84.kernel_constants()
    case = fragments(args.n)
    small = Case(*(np.asarray(x)[:1024] for x in case))
    t0 = time.perf_counter()
    gpu.integrate(small, consts, atm, s, fall, block=args.block)  # module load
    print(f"device: {name}; first call (module load) {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    out = gpu.integrate(case, consts, atm, s, fall, block=args.block)
    dt = time.perf_counter() - t0
    print(f"{args.n:,} drag coasts on the GPU: {dt:.2f} s = {args.n / dt:,.0f} coasts/s (transfers included; "
          f"mean {out.n_steps.mean():.0f} steps, terminal-fall endings {out.fell.mean():.1%}, rtol {args.rtol:g})")
    m = min(args.check, args.n)
    sub = Case(*(np.asarray(x)[:m] for x in case))
    t0 = time.perf_counter()
    ref = integrate(sub, consts, atm, s, fall)
    dt_cpu = time.perf_counter() - t0
    d = np.linalg.norm(out.y[:m, :3] - ref.y[:, :3], axis=1)
    differ = int(np.sum(np.any(out.y[:m] != ref.y, axis=1) | (out.t[:m] != ref.t)))
    print(f"CPU engine on the first {m:,}: {dt_cpu:.2f} s = {m / dt_cpu:,.0f} coasts/s; largest difference in "
          f"impact position {d.max():.3g} m; cases whose bits differ: {differ} of {m:,}")


if __name__ == "__main__":
    main()
