"""Throughput of boostphase.models.geography: territory() and nearest_city() on random points.

Run: ``.venv/bin/python benchmarks/bench_geography.py [--n 1000000] [--seed 0]``

Points are uniform in longitude and in sin(latitude) (uniform on the sphere) over the North
Pacific box 0..60 N, 120 E..120 W (across the antimeridian). Load times are measured first
(cold, in this process), then each call is timed on the whole batch (best of --repeat).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from boostphase.models import geography as geo


def north_pacific_points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lat = np.degrees(np.arcsin(rng.uniform(0.0, np.sin(np.radians(60.0)), n)))
    lon = rng.uniform(120.0, 240.0, n)  # wrapped to [-180, 180) by the module
    return lat, lon


def best_time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    t0 = time.perf_counter()
    terr = geo.territory_table()
    t1 = time.perf_counter()
    geo.city_table()
    t2 = time.perf_counter()
    print(f"load: territories {1e3 * (t1 - t0):.0f} ms, cities {1e3 * (t2 - t1):.0f} ms")

    lat, lon = north_pacific_points(a.n, a.seed)
    lon_w = (lon + 180.0) % 360.0 - 180.0
    ny, nx = terr.grid.shape
    iy = np.minimum(((lat + 90.0) / terr.grid_res).astype(int), ny - 1)
    ix = np.minimum(((lon_w + 180.0) / terr.grid_res).astype(int), nx - 1)
    mixed = float((terr.grid[iy, ix] < 0).mean())

    names = geo.territory(lat, lon)
    t = best_time(lambda: geo.territory(lat, lon), a.repeat)
    print(f"territory(): {a.n:,} points in {t:.3f} s = {a.n / t / 1e6:.2f} M points/s "
          f"({mixed:.1%} of points in grid cells that need a polygon test)")
    m = min(a.n, 100_000)
    t = best_time(lambda: terr.exact(lat[:m], lon_w[:m]), a.repeat)
    print(f"  polygon test alone (no grid): {m:,} points in {t:.3f} s = "
          f"{m / t / 1e6:.2f} M points/s")
    labels, counts = np.unique(names, return_counts=True)
    top = sorted(zip(counts, labels, strict=True), reverse=True)[:6]
    print("  most frequent: " + ", ".join(f"{lab} {c / a.n:.1%}" for c, lab in top))

    t = best_time(lambda: geo.nearest_city(lat, lon), a.repeat)
    print(f"nearest_city(): {a.n:,} points in {t:.3f} s = {a.n / t / 1e6:.2f} M points/s")

    t = best_time(lambda: geo.distance_to_territory_km(lat, lon, "North Korea"), a.repeat)
    print(f"distance_to_territory_km(..., 'North Korea'): {a.n:,} points in {t:.3f} s = "
          f"{a.n / t / 1e6:.2f} M points/s")


if __name__ == "__main__":
    main()
