"""The web server under a crowd: latency of /api/check with 1, 10 and 200 requests in flight.

Starts `boostphase serve` as its own process on a free loopback port (a real uvicorn server,
requests over TCP), warms it, then sends each wave of concurrent requests (asyncio, one
connection per request, HTTP/1.1 written by hand: a light client) and prints
median and 95th percentile latency, errors and the server's CPU time per request. Two kinds of
crowd: everyone sends the same claim (identical requests share one computation), and everyone
sends a different range (each request computed). Traffic goes to 127.0.0.1 only; every wave
is bounded in count and time.

The wall times depend on what else the machine runs (the client itself shares the cores:
httpx spends a few ms of CPU per request); the server's CPU time per request is the stable
figure. Each wave's line gives both, with the bench client's own CPU per request and the
1-minute load average before the wave (over the core count: the machine is busy elsewhere).

Run:  .venv/bin/python benchmarks/bench_web_concurrency.py [--waves 1,10,200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import numpy as np

BODY = {"range_km": 1000.0, "apogee_km": 100.0, "peak_mach": 14.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the server process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def post_json(port: int, path: str, body: dict) -> int:
    """One POST over a fresh loopback connection, HTTP/1.1 written by hand (httpx spent ~7 ms
    of CPU per request in this process, more than the server: the client, not the server, set
    the pace on 2 cores). Returns the status code after reading the whole response."""
    data = json.dumps(body).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), None)
    await (reader.readexactly(length) if length is not None else reader.read())
    writer.close()
    return status


async def wave(port: int, bodies: list[dict]) -> tuple[np.ndarray, int]:
    async def one(body):
        t0 = time.perf_counter()
        code = await asyncio.wait_for(post_json(port, "/api/check", body), 120.0)
        return time.perf_counter() - t0, code

    out = await asyncio.gather(*(one(b) for b in bodies))
    times = np.array([t for t, _ in out]) * 1e3
    errors = sum(1 for _, code in out if code != 200)
    return times, errors


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--waves", default="1,10,200", help="concurrent requests per wave")
    a = ap.parse_args(argv)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "boostphase.cli", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):  # up to 30 s for the server to come up
            try:
                if httpx.get(url + "/api/meta", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        httpx.post(url + "/api/check", json=BODY, timeout=60.0)  # warm-up
        print(f"/api/check on {os.cpu_count()} cores, server pid {proc.pid}")
        rng = np.random.default_rng(1)
        for n in (int(x) for x in a.waves.split(",")):
            for kind, bodies in (("same claim", [dict(BODY) for _ in range(n)]),
                                 ("distinct claims", [{**BODY, "range_km": float(r)}
                                                      for r in rng.uniform(800.0, 1200.0, n)])):
                load = os.getloadavg()[0]
                c0, k0 = server_cpu_s(proc.pid), time.process_time()
                t0 = time.perf_counter()
                ms, errors = asyncio.run(wave(port, bodies))
                wall = time.perf_counter() - t0
                cpu, client = server_cpu_s(proc.pid) - c0, time.process_time() - k0
                print(f"{n:4d} concurrent, {kind:15s}: median {np.median(ms):7.0f} ms, p95 "
                      f"{np.percentile(ms, 95):7.0f} ms, {errors} errors, wave {wall:5.2f} s, "
                      f"server CPU {cpu / n * 1e3:6.1f} ms per request, client CPU "
                      f"{client / n * 1e3:5.1f} ms per request, load {load:4.1f} on {os.cpu_count()} cores")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
