"""Floating-point work of the engine and the fraction of this machine's float64 peak it achieves.

Prints, in one run:
  * XLA's own operation count (``cost_analysis``) of one right-hand-side evaluation, one
    Dormand–Prince trial step (6 new evaluations with FSAL, error norm, events, step control:
    one iteration of the engine's loop) per lane, for the fragment coasts of the footprint;
  * the iterations a typical fragment takes (mean, and per 512-lane call the slowest lane,
    which the whole call waits for), hence flops per trajectory;
  * the achieved rate on N fragments (default 200,000) with the engine's threads: useful flops
    (each fragment's own iterations) and executed flops (every lane of every call runs until
    the call's slowest lane is done), as a fraction of the float64 peak;
  * with ``--profile``: where a footprint's wall time goes (cProfile, top entries), to show
    that no per-case Python loop remains on the hot path (the engine calls are a few hundred
    per million fragments).

Peak: cores x clock x float64 flops per cycle per core. Default 16 flops/cycle (AMD Zen 4 or
Intel with two 256-bit FMA pipes: 2 x 4 lanes x 2; Zen 4 runs AVX-512 as two 256-bit halves);
the clock is /proc/cpuinfo's "cpu MHz". Override with --flops-per-cycle / --ghz. On a CUDA
device, its peak is taken from --gpu-peak-tflops (default 34, H100 SXM float64 without tensor
cores).

Run:  .venv/bin/python benchmarks/bench_flops.py [--n 200000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time

import numpy as np


def _clock_ghz() -> float:
    try:
        with open("/proc/cpuinfo") as f:
            mhz = [float(line.split(":")[1]) for line in f if line.startswith("cpu MHz")]
        return max(mhz) / 1e3
    except (OSError, ValueError):
        return float("nan")


def _fragment_states(n: int, seed: int = 1):
    from boostphase.consequence import BetaDist, Kick, _initial_states, _Source, shortfall_trace
    from boostphase.earth import WGS84
    from boostphase.flight import fly
    from boostphase.vehicles import load

    m = load("hwasong-15")
    traj = fly(m, 39.0, 125.7, azimuth_deg=45.0, profile="min-energy")
    tr = shortfall_trace(m, (39.0, 125.7), trajectory=traj, beta_kg_m2=5000.0, dt_s=10.0, t_from_s=2.0)
    state = tr.state[int(np.flatnonzero(tr.cutoff_s == 202.0)[0])]
    src = _Source(times=np.zeros(1), states=state[None, :], kick=Kick(), beta=BetaDist(), earth=WGS84, rtol=1e-5)
    r0, v0, beta, _, _ = _initial_states(src, seed, 0, n)
    return state, r0, v0, beta


def _flops(fn, *args) -> tuple[float, float]:
    import jax

    ca = jax.jit(fn).lower(*args).compile().cost_analysis()
    ca = ca[0] if isinstance(ca, list) else ca
    return float(ca.get("flops", 0.0)), float(ca.get("transcendentals", 0.0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--flops-per-cycle", type=float, default=16.0)
    ap.add_argument("--ghz", type=float, default=None)
    ap.add_argument("--gpu-peak-tflops", type=float, default=34.0)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    import jax
    import jax.numpy as jnp

    from boostphase.earth import WGS84
    from boostphase.engine import kernel as K
    from boostphase.flight import (
        _K_CD,
        COAST_BLOCK,
        GUARD_LANES,
        _atm_table,
        _cd_table,
        _fall_table,
        _settings,
        coast_states,
        engine_threads,
    )

    state, r0, v0, beta = _fragment_states(args.n)
    lanes = COAST_BLOCK
    settings = _settings(WGS84, True, rtol=1e-5, powered=False, constant_cd=True, terminal_fall=True)
    consts, atm, fall = WGS84.kernel_constants(), _atm_table(), _fall_table()
    mach, cd = _cd_table(((0.0, 1.0), (1.0, 1.0)))
    n = lanes
    case = K.Case(
        y0=jnp.asarray(np.concatenate([r0[:n], v0[:n]], axis=1)), t0=jnp.zeros(n),
        seg_t_end=jnp.full((n, 1), 1e30), seg_m0=jnp.asarray(beta[:n, None]), seg_mdot=jnp.zeros((n, 1)),
        seg_thrust=jnp.zeros((n, 1)), seg_exit_area=jnp.zeros((n, 1)), seg_ref_area=jnp.ones((n, 1)),
        seg_mode=jnp.full((n, 1), 2, dtype=jnp.int32), cd_mach=jnp.broadcast_to(jnp.asarray(mach), (n, 1, _K_CD)),
        cd_val=jnp.broadcast_to(jnp.asarray(cd), (n, 1, _K_CD)), azimuth=jnp.zeros(n), kick=jnp.zeros(n), pitch_t0=jnp.zeros(n), pitch_t1=jnp.zeros(n),
        u_fixed=jnp.zeros((n, 3)), t_max=jnp.full(n, 2e4))

    def rhs_batch(c):
        return jax.vmap(lambda ci: K._rhs(0.0, ci.y0, K._segment(ci, 0), ci, consts, atm, settings))(c)

    def step_batch(c):
        def one(ci):
            f0 = K._rhs(0.0, ci.y0, K._segment(ci, 0), ci, consts, atm, settings)
            y1, err, _ = K._dp5_step(0.0, ci.y0, 1.0, 0, ci, consts, atm, settings, f0)
            return K._err_norm(ci.y0, y1, err, settings)
        return jax.vmap(one)(c)

    def loop_batch(c):  # the whole engine: XLA counts a while loop's body once = one iteration
        return K.integrate(c, consts, atm, settings, fall).t

    f_rhs, t_rhs = (x / n for x in _flops(rhs_batch, case))
    f_step, _ = (x / n for x in _flops(step_batch, case))
    f_iter, t_iter = (x / n for x in _flops(loop_batch, case))
    print(f"XLA cost analysis per lane: one right-hand side {f_rhs:,.0f} flops + {t_rhs:.0f} transcendentals; "
          f"one DP5 trial step (6 new evaluations + error norm) {f_step:,.0f} flops; one engine iteration "
          f"(step, events, step control, terminal-fall test) {f_iter:,.0f} flops + {t_iter:.0f} transcendentals")

    coast_states(r0[:1000], v0[:1000], beta[:1000], rtol=1e-5, t_max_s=2e4, terminal_fall=True)  # warm-up
    order = np.argsort(beta, kind="stable")  # as the footprint does: similar fragments per call
    t0 = time.perf_counter()
    out = coast_states(r0[order], v0[order], beta[order], rtol=1e-5, t_max_s=2e4, terminal_fall=True)
    wall = time.perf_counter() - t0
    iters = (out["n_rhs"] - 1) // 6
    per_call = lanes - GUARD_LANES
    call_max = np.array([iters[s:s + per_call].max() for s in range(0, args.n, per_call)])
    useful = float(iters.sum()) * f_iter
    executed = float(call_max.sum()) * lanes * f_iter
    cores = engine_threads()
    ghz = args.ghz or _clock_ghz()
    peak = cores * ghz * 1e9 * args.flops_per_cycle
    dev = jax.devices()[0]
    if dev.platform == "gpu":
        peak = args.gpu_peak_tflops * 1e12
    print(f"{args.n:,} fragments in {wall:.2f} s ({args.n / wall:,.0f}/s) on {dev.platform} "
          f"({cores} engine threads); iterations per fragment: mean {iters.mean():.1f}, p99 "
          f"{np.percentile(iters, 99):.0f}; calls wait for their slowest lane: lane use {iters.sum() / (call_max.sum() * per_call):.0%}")
    print(f"flops per fragment: {iters.mean() * f_iter:,.0f}; fraction of terminal-fall endings {out['fell'].mean():.0%}")
    print(f"achieved: useful {useful / wall / 1e9:.2f} GFLOP/s, executed {executed / wall / 1e9:.2f} GFLOP/s; "
          f"peak {peak / 1e9:,.0f} GFLOP/s ({cores} cores x {ghz:.2f} GHz x {args.flops_per_cycle:g} flops/cycle"
          f"{'' if dev.platform != 'gpu' else '; GPU peak given'}): useful {useful / wall / peak:.1%}, executed "
          f"{executed / wall / peak:.1%} of peak")

    if args.profile:
        from boostphase.consequence import footprint

        footprint(state, n=2000, seed=1)
        prof = cProfile.Profile()
        prof.enable()
        fp = footprint(state, n=min(args.n, 100_000), seed=1)
        prof.disable()
        s = io.StringIO()
        st = pstats.Stats(prof, stream=s).sort_stats("tottime")
        st.print_stats(12)
        wait = sum(v[2] for k, v in st.stats.items() if k[2] == "<method 'acquire' of '_thread.lock' objects>")
        total = st.total_tt
        calls = -(-fp.n // per_call)
        print(f"profile of footprint({fp.n:,} fragments): {calls} engine calls of {lanes} lanes run on "
              f"{cores} threads; the main thread waits on them {wait:.2f} s of {total:.2f} s; the rest is "
              f"array code (draws, territory, cities). Top 12 by own time:")
        print("\n".join(s.getvalue().splitlines()[:40]))
    print(f"(XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r})")


if __name__ == "__main__":
    main()
