"""The SQLite run store: records, WAL mode, crash safety under kill -9, export and rerun."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from boostphase import __version__
from boostphase.errors import InputError
from boostphase.present.store import (
    compare,
    connect,
    export_run,
    get_run,
    list_runs,
    rerun,
    save_cli_run,
    save_run,
    store_path,
)


@pytest.fixture()
def db(tmp_path, monkeypatch) -> Path:
    p = tmp_path / "store" / "runs.sqlite"
    monkeypatch.setenv("BOOSTPHASE_STORE", str(p))
    return p


def test_save_list_get_roundtrip(db):
    assert store_path() == db
    a = save_run(command=["coast", "--lat", "40"], scenario={"lat": 40.0, "beta": float("nan")},
                 summary={"range_km": 123.4, "impacted": True}, seed=3, timings={"wall_s": 0.5},
                 artifacts=[db.parent / "x.csv"])
    b = save_cli_run(["flyout", "--missile", "scud-b", "--save"], {"missile": "scud-b"},
                     {"range_km": 288.0}, started=time.perf_counter())
    assert b == a + 1
    runs = list_runs()
    assert [r["id"] for r in runs] == [b, a]
    r = get_run(a)
    assert r["command"] == ["coast", "--lat", "40"] and r["kind"] == "coast"
    assert r["scenario"] == {"lat": 40.0, "beta": "nan"}  # stays standard JSON
    assert r["summary"] == {"range_km": 123.4, "impacted": True}
    assert r["seed"] == 3 and r["version"] == __version__ and r["code"]
    assert r["artifacts"] == [str((db.parent / "x.csv").resolve())]
    rb = get_run(b)
    assert "--save" not in rb["command"] and "wall_s" in rb["timings"]
    assert [x["id"] for x in list_runs(kind="flyout")] == [b]
    assert json.loads(export_run(a))["id"] == a
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_folder_override(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOSTPHASE_STORE", str(tmp_path) + os.sep)
    assert store_path() == tmp_path / "runs.sqlite"


def test_unknown_id_is_an_input_error(db):
    save_run(command=["x"], scenario={}, summary={})
    for bad in (99, "abc"):
        with pytest.raises(InputError) as e:
            get_run(bad)
        assert e.value.field == "ID"


_WRITER = r"""
import os, sys
os.environ["BOOSTPHASE_STORE"] = sys.argv[1]
tag = sys.argv[2]
from boostphase.present.store import save_run
i = 0
while True:
    rid = save_run(command=["writer", tag, str(i)], scenario={"tag": tag, "i": i, "pad": "x" * 20000},
                   summary={"i": i, "values": list(range(500))}, seed=i, timings={"wall_s": 0.0})
    print(rid, i, flush=True)
    i += 1
"""


def test_kill_9_mid_write_loses_no_committed_run(db, tmp_path):
    """Writers killed with SIGKILL at random points: the database stays readable, intact, and
    every run a writer saw committed is there, whole."""
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    committed: dict[int, tuple[str, int]] = {}
    for rnd in range(3):
        procs = [subprocess.Popen([sys.executable, str(script), str(db), f"w{rnd}{j}"],
                                  stdout=subprocess.PIPE, text=True) for j in range(2)]
        seen = {p.pid: 0 for p in procs}
        deadline = time.time() + 60
        # let both writers commit a few runs, then kill them mid-loop
        for p in procs:
            while seen[p.pid] < 15 and time.time() < deadline:
                line = p.stdout.readline()
                if not line:
                    break
                rid, i = map(int, line.split())
                committed[rid] = (p.args[-1], i)
                seen[p.pid] += 1
        for p in procs:
            os.kill(p.pid, signal.SIGKILL)
        for p in procs:
            # lines already printed before the kill are committed runs too
            for line in p.stdout:
                rid, i = map(int, line.split())
                committed[rid] = (p.args[-1], i)
            p.wait()
            assert p.returncode == -signal.SIGKILL
        assert all(v >= 15 for v in seen.values()), seen

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert len(committed) >= 90
    runs = {r["id"]: r for r in list_runs()}
    for rid, (tag, i) in committed.items():
        r = runs[rid]
        assert r["command"] == ["writer", tag, str(i)]
        assert r["scenario"] == {"tag": tag, "i": i, "pad": "x" * 20000}
        assert r["summary"] == {"i": i, "values": list(range(500))}
    # and the store still takes new runs
    new = save_run(command=["after"], scenario={}, summary={"ok": True})
    assert get_run(new)["summary"] == {"ok": True}
    con = connect()
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_compare():
    assert compare({"a": 1.0, "b": [1, "x"], "c": True}, {"a": 1.0 + 1e-13, "b": [1, "x"], "c": True}) == []
    d = compare({"a": 1.0, "b": {"c": 2}}, {"a": 1.1, "b": {"c": 2, "d": 0}})
    assert d == ["a: 1.0 -> 1.1", "b.d: only in the new result"]
    assert compare({"x": True}, {"x": 1}) != []


def _cli(*args, env=None, timeout=180):
    return subprocess.run([sys.executable, "-m", "boostphase.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def test_cli_runs_rerun_and_export(db, tmp_path):
    env = {**os.environ, "BOOSTPHASE_STORE": str(db)}
    out = _cli("catalog", "--json", env=env)
    assert out.returncode == 0, out.stderr
    good = save_cli_run(["catalog", "--json", "--save"], {}, json.loads(out.stdout))
    tampered = json.loads(out.stdout)
    tampered[0]["launch_mass_kg"] *= 1.01
    bad = save_cli_run(["catalog"], {}, tampered)

    rep = rerun(good)
    assert rep.reproduced and rep.differences == []
    p = _cli("runs", "rerun", str(bad), "--json", env=env)
    assert p.returncode == 1, p.stderr
    rep = json.loads(p.stdout)
    assert not rep["reproduced"] and rep["differences"][0].startswith("[0].launch_mass_kg")
    p = _cli("runs", "list", "--json", env=env)
    assert [r["id"] for r in json.loads(p.stdout)] == [bad, good]
    p = _cli("runs", "export", str(good), "--out", str(tmp_path / "run.json"), env=env)
    assert p.returncode == 0 and json.loads((tmp_path / "run.json").read_text())["id"] == good
    p = _cli("runs", "show", str(good), env=env)
    assert p.returncode == 0 and "catalog" in p.stdout
    p = _cli("runs", "show", "12345", env=env)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip().splitlines() == [p.stderr.strip()] and p.stderr.startswith("error: ID")


SWEEP = """
kind = "coast"
chunk = 1000
[fixed]
lat = 40.0
lon = 125.0
azimuth = 90
[grid]
speed = {from = "1 km/s", to = "3 km/s", n = 40}
flight_path = {from = 20, to = 70, n = 25}
"""


def test_sweep_saved_and_rerun_reproduces_it_exactly(db, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SWEEP)
    env = {**os.environ, "BOOSTPHASE_STORE": str(db)}
    p = _cli("sweep", str(spec), "--workers", "0", "--out", str(tmp_path / "out"), "--save", "--json",
             env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    run = get_run(summary["run_id"])
    assert run["kind"] == "sweep" and run["artifacts"] == [str((tmp_path / "out" / "result.zarr").resolve())]
    assert run["summary"]["sha256"] == summary["sha256"]
    assert list(run["scenario"]["sweep"]["grid"]) == ["speed", "flight_path"]  # order kept
    rep = rerun(summary["run_id"], workers=0, save=True)
    assert rep.reproduced, rep.differences
    assert get_run(rep.new_id)["rerun_of"] == summary["run_id"]
