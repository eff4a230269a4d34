"""Speed of the engagement map (shared reach table) against flying the interceptor per cell.

Prints, in one run on this machine:
  * one-time costs: the threats' flights (boost tracks) and the interceptor's reach table;
  * the engagement map of N x N orbit centres (default 100 x 100) against 20 and 50 threats:
    time, and cell-threat pairs per second;
  * the baseline: a sample of (cell, threat) engagements evaluated by direct integration (a fresh
    fan of interceptor fly-outs from that cell on the rotating WGS84 Earth,
    :func:`boostphase.engage.direct_engagement`), its time per pair extrapolated to the whole map,
    the ratio, and how far the direct earliest-intercept times fall from the map's.

Run:  .venv/bin/python benchmarks/bench_engage.py [--n 100] [--sample 6]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from boostphase.engage import (
    Engagement,
    Interceptor,
    KeepOut,
    Platform,
    Threat,
    Timeline,
    direct_engagement,
    engagement_map,
    prepare_threats,
)

SITES = [(39.0, 125.7), (39.66, 124.7), (40.6, 126.4), (40.0, 127.5), (41.0, 129.0)]
AZIMUTHS = [25.0, 35.0, 45.0, 55.0, 65.0]
MISSILES = ["generic-liquid-icbm", "generic-solid-icbm"]


def threats(n: int) -> list[Threat]:
    out = []
    for m in MISSILES:
        for s in SITES:
            for az in AZIMUTHS:
                out.append(Threat(m, *s, azimuth_deg=az, name=f"{m} {s} az {az:.0f}"))
    # interleave so that 20 threats hold both missile types
    k = len(out) // 2
    mixed = [x for pair in zip(out[:k], out[k:], strict=True) for x in pair]
    return mixed[:n]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100, help="grid is n x n orbit centres")
    ap.add_argument("--sample", type=int, default=6, help="(cell, threat) pairs flown directly")
    a = ap.parse_args(argv)
    print(f"machine: {os.cpu_count()} CPU threads; load average {os.getloadavg()[0]:.1f}")
    icpt = Interceptor.two_stage(5e3)
    tl = Timeline()
    plat = Platform(0.0, 0.0)
    region = ((34.0, 46.0), (119.0, 142.0))
    ko = KeepOut((("North Korea", 100e3),), 12 * 1852.0)

    t0 = time.perf_counter()
    ths = threats(50)
    prepare_threats(ths)  # as engagement_map does: every search round of all threats in one call
    t_fl = time.perf_counter() - t0
    print(f"one-time: 50 threat flights and boost tracks (1 s samples), batched: {t_fl:.1f} s")
    t0 = time.perf_counter()
    tab = icpt.reach_table(plat.altitude_m, plat.along_speed_m_s)
    print(f"one-time: reach table {tab.time_s.shape[1]} ranges x {tab.time_s.shape[0]} altitudes from a "
          f"512-shot fan: {time.perf_counter() - t0:.1f} s (incl. any JIT load)")
    engagement_map(ths[:2], icpt, tl, plat, *region, n_lat=10, n_lon=10, keep_out=ko)  # warm-up

    maps = {}
    for k in (20, 50):
        t0 = time.perf_counter()
        m = engagement_map(ths[:k], icpt, tl, plat, *region, n_lat=a.n, n_lon=a.n, keep_out=ko)
        wall = time.perf_counter() - t0
        pairs = a.n * a.n * k
        maps[k] = m
        print(f"map {a.n}x{a.n} centres x {k} threats: {m.compute_s:.2f} s evaluation "
              f"({pairs / m.compute_s:,.0f} cell-threat pairs/s), {wall:.2f} s with keep-out zones")

    # baseline: direct integration per (cell, threat)
    m = maps[20]
    rng = np.random.default_rng(1)
    cells = np.argwhere(m.feasible.any(axis=0))
    pick = cells[rng.choice(len(cells), size=min(a.sample, len(cells)), replace=False)]
    direct_engagement(ths[0], plat.at(float(m.lat_deg[pick[0][0]]), float(m.lon_deg[pick[0][1]])), icpt, tl)  # warm-up
    times, diffs, agree = [], [], 0
    for n, (i, j) in enumerate(pick):
        k = int(np.flatnonzero(m.feasible[:, i, j])[n % int(m.feasible[:, i, j].sum())])
        p = plat.at(float(m.lat_deg[i]), float(m.lon_deg[j]))
        t0 = time.perf_counter()
        d = direct_engagement(ths[k], p, icpt, tl)
        times.append(time.perf_counter() - t0)
        s = Engagement(ths[k], p, icpt, tl).solve()
        agree += d.intercept_possible == s.intercept_possible
        if d.intercept_time_s is not None and s.intercept_time_s is not None:
            diffs.append(d.intercept_time_s - s.intercept_time_s)
    per_pair = float(np.median(times))
    for k in (20, 50):
        est = per_pair * a.n * a.n * k
        print(f"direct integration: {per_pair:.2f} s per (cell, threat) (median of {len(times)}) -> "
              f"{est / 3600:,.1f} h for the {k}-threat map; ratio {est / maps[k].compute_s:,.0f}x")
    if diffs:
        dd = np.abs(diffs)
        print(f"direct (rotating WGS84, per-cell fan) vs shared table (sphere): intercept possible agrees in "
              f"{agree}/{len(times)}; earliest-intercept time differs by median {np.median(dd):.2f} s, "
              f"max {dd.max():.2f} s")


if __name__ == "__main__":
    main()
