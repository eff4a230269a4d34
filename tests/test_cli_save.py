"""`boostphase --save CMD ...` records the run in the store, and `runs rerun` reproduces it."""

import json
import os
import subprocess
import sys


def _bp(args, env):
    return subprocess.run([sys.executable, "-m", "boostphase.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_save_then_rerun_reproduces(tmp_path):
    env = dict(os.environ, BOOSTPHASE_STORE=str(tmp_path / "runs.sqlite"))
    p = _bp(["--save", "coast", "--lat", "39", "--lon", "125.7", "--alt-km", "100", "--speed-km-s", "6",
             "--flight-path-deg", "20", "--azimuth-deg", "45", "--earth", "sphere", "--json"], env)
    assert p.returncode == 0, p.stderr
    printed = json.loads(p.stdout)
    shown = _bp(["runs", "show", "1", "--json"], env)
    assert shown.returncode == 0, shown.stderr
    stored = json.loads(shown.stdout)
    assert stored["summary"] == printed  # exactly what the command printed
    assert "--save" not in stored["command"] and stored["command"][0] == "coast"
    again = _bp(["runs", "rerun", "1"], env)
    assert again.returncode == 0 and "reproduced" in again.stdout, again.stdout + again.stderr
