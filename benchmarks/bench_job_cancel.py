"""How fast a background job stops when cancelled, and what its chunking costs.

Starts the web app in process (FastAPI TestClient: the whole request path, no network), submits
footprint jobs of 1,000,000 fragments, cancels each 0.3 s after its first progress report and
prints the time from ``DELETE /api/jobs/{id}`` until the job reports ``cancelled`` (target: under
0.5 s); then runs one 200,000-fragment job to the end and prints its wall time.

Run:  .venv/bin/python benchmarks/bench_job_cancel.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

from fastapi.testclient import TestClient

from boostphase.scenario.specs import EXAMPLES
from boostphase.web.app import create_app
from boostphase.web.jobs import JOB_CHUNK_SIZE


def wait(c, jid: str, states=("cancelled", "done", "failed")) -> dict:
    while True:
        s = c.get(f"/api/jobs/{jid}").json()
        if s["state"] in states:
            return s
        time.sleep(0.01)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    with TestClient(create_app(), base_url="http://127.0.0.1:8765") as c:
        c.post("/api/footprint", json=EXAMPLES["footprint"])  # warm-up
        lat = []
        for _ in range(a.repeats):
            jid = c.post("/api/jobs", json={"kind": "footprint", "params": {
                **EXAMPLES["footprint"], "n_fragments": 1_000_000}}).json()["job_id"]
            while not c.get(f"/api/jobs/{jid}").json().get("progress"):
                time.sleep(0.02)
            time.sleep(0.3)
            t0 = time.perf_counter()
            c.delete(f"/api/jobs/{jid}")
            state = wait(c, jid)["state"]
            lat.append(time.perf_counter() - t0)
            print(f"cancel: {state} after {lat[-1] * 1e3:.0f} ms")
        print(f"chunk {JOB_CHUNK_SIZE:,} fragments: cancel latency max {max(lat) * 1e3:.0f} ms over {len(lat)} jobs")
        t0 = time.perf_counter()
        jid = c.post("/api/jobs", json={"kind": "footprint", "params": {
            **EXAMPLES["footprint"], "n_fragments": 200_000}}).json()["job_id"]
        state = wait(c, jid)["state"]
        print(f"a 200,000-fragment job to the end: {state} in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
