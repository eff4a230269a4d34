"""Would float32 pay? The same batch of drag coasts through the engine in float64 and in float32
(every input, table and constant cast; JAX then traces the kernel in float32), one thread,
512-lane blocks as in production.

Prints per precision and tolerance: time, mean engine iterations per case, nanoseconds per
lane-iteration, and the impact-point error against float64 at rtol 1e-6. Issue 6 asks for
"float64 only where it matters - measured, not assumed": this is the measurement.

Run:  .venv/bin/python benchmarks/bench_precision.py [--n 4096]
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from bench_flight import cases

from boostphase.earth import WGS84
from boostphase.engine.kernel import Case, _integrate_jit
from boostphase.flight import _K_CD, _atm_table, _cd_table, _settings

BLOCK = 512


def coast_arrays(n: int) -> dict:
    c = cases(n, seed=5)
    r0, v0 = WGS84.state_from_local(c["lat_deg"], c["lon_deg"], c["alt_m"], c["speed_m_s"], c["flight_path_deg"],
                                    c["azimuth_deg"])
    mach, cd = _cd_table(((0.0, 1.0), (1.0, 1.0)))
    return dict(y0=np.concatenate([r0, v0], axis=1), t0=np.zeros(n), seg_t_end=np.full((n, 1), 1e30),
                seg_m0=c["beta_kg_m2"][:, None], seg_mdot=np.zeros((n, 1)), seg_thrust=np.zeros((n, 1)),
                seg_exit_area=np.zeros((n, 1)), seg_ref_area=np.ones((n, 1)), seg_mode=np.full((n, 1), 2, np.int32),
                cd_mach=np.broadcast_to(mach, (n, 1, _K_CD)).copy(), cd_val=np.broadcast_to(cd, (n, 1, _K_CD)).copy(),
                azimuth=np.zeros(n), kick=np.zeros(n), pitch_t0=np.zeros(n), pitch_t1=np.zeros(n),
                u_fixed=np.zeros((n, 3)), t_max=np.full(n, 2.0e4))


def cast(x, dtype):
    x = np.asarray(x)
    return x.astype(dtype) if x.dtype.kind == "f" else x


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4096)
    a = ap.parse_args(argv)
    n = (a.n // BLOCK) * BLOCK or BLOCK
    arrays = coast_arrays(n)
    atm, consts = _atm_table(), WGS84.kernel_constants()
    impacts = {}
    for dtype in (np.float64, np.float32):
        for rtol in (1e-4, 1e-6):
            s = _settings(WGS84, True, rtol=rtol, powered=False, constant_cd=True)
            blocks = [Case(**{k: cast(v[i:i + BLOCK], dtype) for k, v in arrays.items()}) for i in range(0, n, BLOCK)]
            tab = type(atm)(*[jnp.asarray(cast(x, dtype)) for x in atm])
            cs = tuple(dtype(x) for x in consts)
            fn = _integrate_jit.lower(blocks[0], cs, tab, (), settings=s).compile()
            fn(blocks[0], cs, tab, ())
            t0 = time.perf_counter()
            outs = [jax.device_get(fn(b, cs, tab, ())) for b in blocks]
            dt = time.perf_counter() - t0
            iters = np.concatenate([o.n_rhs for o in outs]) // 6
            impacts[(dtype.__name__, rtol)] = np.concatenate([o.y for o in outs])[:, :3].astype(float)
            print(f"{dtype.__name__} rtol {rtol:g}: {dt:.2f} s for {n:,} coasts, {iters.mean():.0f} iterations each, "
                  f"{dt / iters.sum() * 1e9:.0f} ns per lane-iteration (kernel computes in {outs[0].y.dtype})")
    ref = impacts[("float64", 1e-6)]
    for (name, rtol), y in impacts.items():
        e = np.linalg.norm(y - ref, axis=1)
        print(f"{name} rtol {rtol:g}: impact vs float64 rtol 1e-6: median {np.median(e):.2f} m, "
              f"99th percentile {np.percentile(e, 99):.1f} m, max {e.max():.1f} m")


if __name__ == "__main__":
    main()
