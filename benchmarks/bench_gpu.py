"""The same engine on a CUDA GPU: N fragment coasts with drag, timed, and checked against the CPU.

One call does it all (on a machine with an NVIDIA GPU and ``pip install "jax[cuda12]"``):

    .venv/bin/python benchmarks/bench_gpu.py --n 10000000 --check 20000

It prints the GPU time and rate for N coasts (chunks of ``--chunk`` cases per engine call),
then re-runs the first ``--check`` cases on the CPU backend and prints the largest relative
difference in impact position (float64 on both; the adaptive step sequence may differ in the
last bits, so the figure is the honest agreement of the whole integration, not of one step).
Without a GPU it says so and runs everything on the CPU.
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np

import boostphase.flight as flight
from boostphase.earth import WGS84


def fragments(n: int, seed: int = 7):
    """An intercept-like cloud: one state at 150 km, 5 km/s, with kicks and log-normal betas."""
    rng = np.random.default_rng(seed)
    r0, v0 = WGS84.state_from_local(np.array([42.0]), np.array([135.0]), np.array([150e3]), np.array([5000.0]),
                                    np.array([20.0]), np.array([60.0]))
    kick = rng.normal(0.0, 150.0, (n, 3))
    beta = np.exp(rng.normal(np.log(1500.0), 0.9, n))
    return np.repeat(r0, n, 0), v0 + kick, beta


def run(r0, v0, beta, device, chunk, rtol, terminal_fall):
    # coasts run in fixed blocks of COAST_BLOCK lanes (512 suits a CPU core; a GPU wants
    # hundreds of thousands of lanes per call), one call per engine thread at a time
    flight.COAST_BLOCK = chunk
    with jax.default_device(device):
        m = min(len(r0), chunk)
        flight.coast_states(r0[:m], v0[:m], beta[:m], rtol=rtol, terminal_fall=terminal_fall)  # compile
        t0 = time.perf_counter()
        out = flight.coast_states(r0, v0, beta, rtol=rtol, terminal_fall=terminal_fall)
        return out, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--check", type=int, default=20_000)
    ap.add_argument("--chunk", type=int, default=262_144)
    ap.add_argument("--rtol", type=float, default=1e-10)
    ap.add_argument("--full", action="store_true", help="integrate every fall to the ground (no terminal-fall ending)")
    args = ap.parse_args()
    tf = not args.full
    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    cpu = jax.devices("cpu")[0]
    dev = gpus[0] if gpus else cpu
    print(f"device: {dev} ({'GPU' if gpus else 'no GPU found: CPU only'})")
    r0, v0, beta = fragments(args.n)
    if gpus:
        import os

        os.environ.setdefault("BOOSTPHASE_THREADS", "2")  # two calls in flight keep the GPU busy
    out, dt = run(r0, v0, beta, dev, args.chunk, args.rtol, tf)
    print(f"{args.n:,} drag coasts on {dev.platform}: {dt:.2f} s = {args.n / dt:,.0f} /s "
          f"(mean {out['n_steps'].mean():.0f} steps, impacted {out['impacted'].mean():.4f}, "
          f"terminal-fall endings {out['fell'].mean():.1%}, blocks of {args.chunk:,} lanes)")
    m = min(args.check, args.n)
    ref, dt_cpu = run(r0[:m], v0[:m], beta[:m], cpu, 512, args.rtol, tf)
    d = np.linalg.norm(out["y"][:m, :3] - ref["y"][:, :3], axis=1) / np.linalg.norm(ref["y"][:, :3], axis=1)
    print(f"CPU re-run of {m:,} cases: {dt_cpu:.2f} s = {m / dt_cpu:,.0f} /s; "
          f"max relative difference in impact position {d.max():.2e} (99.9th percentile "
          f"{np.percentile(d, 99.9):.2e}, median {np.median(d):.2e}); a discrete choice (event bracket, "
          f"terminal-fall switch one step earlier or later) flipped by last-bit differences shows as an outlier")


if __name__ == "__main__":
    main()
