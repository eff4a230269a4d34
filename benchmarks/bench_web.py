"""Latency of the web API's interactive requests, warm, in one process (FastAPI TestClient: the
whole request path of the app, validation and JSON included, without a network).

Prints the median and the 90th percentile of:
  * a flyout request (min-energy Hwasong-14 from Sohae toward a new azimuth each time: the
    profile search, the recorded flight and the response with its sampled path);
  * an engagement request (the C4 example threat against a new orbit centre each time; the
    threat's flight is cached after the first request, as in a session on the page);
  * a claim check (C3).
The bar for interactive panels is 300 ms.

Run:  .venv/bin/python benchmarks/bench_web.py [--n 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from fastapi.testclient import TestClient

from boostphase.web.app import EXAMPLES, create_app


def timed(client, path, bodies):
    times = []
    for body in bodies:
        t0 = time.perf_counter()
        r = client.post(path, json=body)
        times.append(time.perf_counter() - t0)
        if r.status_code != 200:
            raise SystemExit(f"{path}: HTTP {r.status_code}: {r.text[:300]}")
    return np.array(times) * 1e3


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30, help="requests of each kind")
    a = ap.parse_args(argv)
    with TestClient(create_app(), base_url="http://127.0.0.1:8765") as client:
        # warm-up: compiled kernels loaded, the C4 threat flown once
        client.post("/api/flyout", json=EXAMPLES["flight"])
        client.post("/api/engage", json=EXAMPLES["engage"])
        rng = np.random.default_rng(3)
        flights = [{**EXAMPLES["flight"], "azimuth_deg": float(az)} for az in rng.uniform(20, 80, a.n)]
        engages = [{**EXAMPLES["engage"], "orbit_centre": f"{la:.3f},{lo:.3f}"}
                   for la, lo in zip(rng.uniform(39, 43, a.n), rng.uniform(129, 134, a.n), strict=True)]
        checks = [{**EXAMPLES["check"], "range_km": float(r)} for r in rng.uniform(800, 1200, a.n)]
        for name, path, bodies in (("flyout", "/api/flyout", flights), ("engage", "/api/engage", engages),
                                   ("check", "/api/check", checks)):
            ms = timed(client, path, bodies)
            print(f"{name:7s} request: {np.median(ms):6.1f} ms median, {np.percentile(ms, 90):6.1f} ms 90th "
                  f"percentile ({a.n} requests, a new input each)")


if __name__ == "__main__":
    main()
