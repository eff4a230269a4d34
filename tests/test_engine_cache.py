"""The engine's on-disk cache of compiled kernels (boostphase.engine.kernel): a fresh process
loads the executable instead of tracing and compiling it, gets bit-identical results, and
recovers from a damaged cache file by compiling afresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = r"""
import json, time
t0 = time.perf_counter()
from boostphase.flight import coast
r = coast([39.0, 40.0], [125.7, 126.0], 80e3, [3000.0, 5000.0], [30.0, 40.0], [45.0, 60.0], beta_kg_m2=[500.0, 2000.0])
print(json.dumps({"lat": r.impact_lat_deg.tolist(), "lon": r.impact_lon_deg.tolist(),
                  "t": r.flight_time_s.tolist(), "s": time.perf_counter() - t0}))
"""


def _run(cache_dir) -> dict:
    env = dict(os.environ, BOOSTPHASE_JAX_CACHE=str(cache_dir))
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_compiled_kernel_is_saved_loaded_and_repaired(tmp_path):
    first = _run(tmp_path)
    files = sorted((tmp_path / "aot").glob("*.bin"))
    assert files, "the compiled kernel was not saved"
    second = _run(tmp_path)
    # loaded, not re-traced and compiled: no new file, and bit-identical results
    assert sorted((tmp_path / "aot").glob("*.bin")) == files
    for k in ("lat", "lon", "t"):
        assert first[k] == second[k], k
    # a damaged file (half of it) is discarded, compiled afresh and rewritten
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) // 2])
    third = _run(tmp_path)
    for k in ("lat", "lon", "t"):
        assert first[k] == third[k], k
    assert files[0].stat().st_size > 0.9 * len(data)
