"""Sweeps on a real dask LocalCluster (2 worker processes): equal to a serial run, resumable,
and robust to a worker killed mid-sweep; and clear errors for bad SWEEP.toml values."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from boostphase.errors import InputError
from boostphase.sweep import (
    compute_chunk,
    dataset_digest,
    load_spec,
    open_result,
    parse_spec,
    run_sweep,
)

# 6,000 vacuum coasts with a dispersed speed (seeded per case): 6 chunks of 1,000
SPEC = """
kind = "coast"
name = "test"
chunk = 1000
seed = 7

[fixed]
lat = 40.0
lon = "125 deg"
azimuth = 90

[grid]
speed = {from = "1 km/s", to = "3 km/s", n = 30}
flight_path = {from = 20, to = 70, n = 20}

[dispersion]
samples = 10
speed = "5 m/s"
"""
N_CHUNKS = 6


def _spec_dict() -> dict:
    import tomllib

    return tomllib.loads(SPEC)


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("spec") / "sweep.toml"
    p.write_text(SPEC)
    return p


@pytest.fixture(scope="module")
def serial(spec_path, tmp_path_factory):
    return run_sweep(spec_path, tmp_path_factory.mktemp("serial") / "out", workers=0, progress=False)


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import Client, LocalCluster

    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                     silence_logs=logging.ERROR)
    client = Client(c)
    yield c, client
    client.close()
    c.close()


@pytest.fixture(scope="module")
def cluster_run(spec_path, cluster, tmp_path_factory):
    c, _ = cluster
    out = tmp_path_factory.mktemp("cluster") / "out"
    return out, run_sweep(spec_path, out, scheduler=c.scheduler_address, progress=False)


def _assert_same(a, b):
    assert list(a.dims) == list(b.dims)
    for name in list(a.variables):
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert a.identical(b)
    assert dataset_digest(a) == dataset_digest(b)


def test_dataset_shape_units_and_seeds(serial):
    ds = serial.dataset
    assert ds.sizes == {"speed": 30, "flight_path": 20, "sample": 10}
    assert list(ds["range"].dims) == ["speed", "flight_path", "sample"]
    assert ds["speed"].attrs["units"] == "m/s" and ds["range"].attrs["units"] == "m"
    assert ds["flight_time"].attrs["units"] == "s" and ds["impact_lat"].attrs["units"] == "deg"
    assert ds.attrs["kind"] == "coast" and ds.attrs["n_cases"] == 6000 and ds.attrs["seed"] == 7
    assert bool(ds["impacted"].all())
    # dispersed speeds: grid value + 5 m/s one-sigma noise, drawn from (seed, case index) only
    dv = ds["speed_value"] - ds["speed"]
    assert 4.0 < float(dv.std()) < 6.0 and abs(float(dv.mean())) < 0.5
    assert ds["speed_value"].attrs["units"] == "m/s"
    # physics sanity: more speed, more range (per sample, at 45 deg-ish angles)
    assert float(ds["range"].isel(flight_path=10).diff("speed").min()) > 0
    # reopened from disk: the same dataset
    _assert_same(open_result(serial.path.parent), ds)


def test_case_draws_do_not_depend_on_chunking():
    spec = parse_spec(_spec_dict())
    whole = spec.cases(0, 3000)["speed"]
    parts = np.concatenate([spec.cases(s, s + 700)["speed"] for s in range(0, 2800, 700)]
                           + [spec.cases(2800, 3000)["speed"]])
    np.testing.assert_array_equal(whole, parts)
    other_seed = parse_spec({**_spec_dict(), "seed": 8}).cases(0, 3000)["speed"]
    assert not np.array_equal(whole, other_seed)


def test_cluster_equals_serial(serial, cluster_run):
    out, res = cluster_run
    assert sorted(res.computed) == list(range(N_CHUNKS)) and res.reused == 0
    _assert_same(res.dataset, serial.dataset)
    _assert_same(open_result(out), serial.dataset)
    assert sorted(p.name for p in (out / "chunks").iterdir()) == [f"c{k:07d}.npz" for k in range(N_CHUNKS)]
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["status"] == "complete" and manifest["n_chunks"] == N_CHUNKS


def test_resume_recomputes_only_missing_chunks(serial, spec_path, cluster, cluster_run, tmp_path):
    c, _ = cluster
    src, _ = cluster_run
    out = tmp_path / "out"
    shutil.copytree(src, out)
    shutil.rmtree(out / "result.zarr")
    for k in (1, 4):
        (out / "chunks" / f"c{k:07d}.npz").unlink()
    (out / "chunks" / "c0000002.npz").write_bytes(b"garbage")  # a damaged file is recomputed
    res = run_sweep(spec_path, out, scheduler=c.scheduler_address, progress=False)
    assert sorted(res.computed) == [1, 2, 4] and res.reused == 3
    _assert_same(res.dataset, serial.dataset)
    _assert_same(open_result(out), serial.dataset)
    # a complete folder: nothing to compute
    again = run_sweep(spec_path, out, workers=0, progress=False)
    assert again.computed == [] and again.reused == N_CHUNKS
    _assert_same(again.dataset, serial.dataset)


def test_interrupted_run_resumes_to_the_same_dataset(serial, spec_path, tmp_path):
    out = tmp_path / "out"

    def stop_after_two(k, done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec_path, out, workers=0, progress=False, on_chunk=stop_after_two)
    assert len(list((out / "chunks").glob("*.npz"))) == 2
    assert not (out / "result.zarr").exists()
    assert not list((out / "chunks").glob(".*tmp"))  # no temporary files left behind
    res = run_sweep(spec_path, out, workers=0, progress=False)
    assert sorted(res.computed) == [2, 3, 4, 5] and res.reused == 2
    _assert_same(res.dataset, serial.dataset)


def test_other_sweep_in_out_folder_is_refused(spec_path, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.json").write_text(json.dumps({"fingerprint": "something else"}))
    with pytest.raises(InputError) as e:
        run_sweep(spec_path, out, workers=0, progress=False)
    assert e.value.field == "--out"
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(InputError):
        run_sweep(spec_path, tmp_path / "busy", workers=0, progress=False)


def test_worker_killed_mid_sweep_loses_and_duplicates_nothing(serial, spec_path, cluster, tmp_path):
    c, client = cluster
    killed: list[int] = []

    def kill_a_busy_worker(k, done, total):
        if killed:
            return
        pids = client.run(os.getpid)
        busy = [addr for addr, keys in client.processing().items() if keys]
        assert busy, "no task in flight to interrupt"
        pid = pids[busy[0]]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    out = tmp_path / "out"
    res = run_sweep(spec_path, out, scheduler=c.scheduler_address, retries=2, progress=False,
                    on_chunk=kill_a_busy_worker)
    assert len(killed) == 1
    assert sorted(res.computed) == list(range(N_CHUNKS))  # each chunk once: none lost, none twice
    assert len(list((out / "chunks").glob("*.npz"))) == N_CHUNKS
    _assert_same(res.dataset, serial.dataset)
    # the nanny brought a fresh worker process back
    deadline = time.time() + 60
    while len(client.scheduler_info()["workers"]) < 2 and time.time() < deadline:
        time.sleep(0.2)
    assert killed[0] not in client.run(os.getpid).values()


# --- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("patch, field", [
    ({"kind": "orbit"}, "kind"),
    ({"chunk": 10}, "chunk"),
    ({"colour": "red"}, "colour"),
    ({"grid": {"speed": {"from": "2 parsec", "to": "3 km/s", "n": 5}}}, "grid.speed.from"),
    ({"grid": {"speed": {"from": "2 km/s", "to": "3 km/s", "n": 0}}}, "grid.speed.n"),
    ({"grid": {"speed": {"from": "2 km/s", "to": "3 km/s", "step": "-1 m/s"}}}, "grid.speed.step"),
    ({"grid": {"speed": ["2 km/s", "30 km/s"]}}, "grid.speed[1]"),
    ({"grid": {"speed": "2 km/s"}}, "grid.speed"),
    ({"grid": {"sped": [1.0, 2.0]}}, "grid.sped"),
    ({"grid": {"speed": [1000.0], "flight_path": [10.0], "earth": ["wgs84"]}}, "grid.earth"),
    ({"grid": {"flight_path": [10.0, 95.0]}}, "fixed.speed"),
    ({"grid": {"speed": [1000.0], "flight_path": [10.0, 95.0]}}, "grid.flight_path[1]"),
    ({"fixed": {"lat": 40.0, "lon": 125.0, "azimuth": 90, "earth": "flat"}}, "fixed.earth"),
    ({"fixed": {"lat": 40.0, "lon": 125.0, "azimuth": 90, "speed": 1000.0}}, "grid.speed"),
    ({"dispersion": {"samples": 0, "speed": "1 m/s"}}, "dispersion.samples"),
    ({"dispersion": {"samples": 3, "earth": "1"}}, "dispersion.earth"),
    ({"dispersion": {"samples": 3, "speed": "-1 m/s"}}, "dispersion.speed"),
])
def test_bad_values_name_their_field(patch, field):
    data = _spec_dict()
    data.update(patch)
    with pytest.raises(InputError) as e:
        parse_spec(data)
    assert e.value.field == field, str(e.value)


def test_grid_forms():
    d = _spec_dict()
    d.pop("dispersion")
    d["grid"] = {"speed": {"from": "1 km/s", "to": "2 km/s", "step": "250 m/s"},
                 "flight_path": ["30 deg", 45, 0.5], "beta": ["vacuum", "5000 kg/m^2"],
                 "alt": {"from": "1 km", "to": "100 km", "n": 3, "spacing": "log"}}
    spec = parse_spec(d)
    np.testing.assert_allclose(spec.grid["speed"], [1000, 1250, 1500, 1750, 2000])
    np.testing.assert_allclose(spec.grid["flight_path"], [30, 45, 0.5])
    assert np.isnan(spec.grid["beta"][0]) and spec.grid["beta"][1] == 5000.0
    np.testing.assert_allclose(spec.grid["alt"], [1e3, 1e4, 1e5])
    assert spec.dims == ("speed", "flight_path", "beta", "alt") and spec.n_cases == 90
    assert spec.n_chunks == 1


def test_engine_input_error_in_a_task_reaches_the_user(tmp_path):
    d = _spec_dict()
    d["dispersion"] = {"samples": 2, "flight_path": "30 deg"}  # pushes angles past 90 deg
    d["grid"] = {"speed": ["1 km/s"], "flight_path": [85.0, 89.0]}
    spec = parse_spec(d)
    from boostphase.sweep import ChunkInputError

    with pytest.raises(ChunkInputError):
        compute_chunk(spec, 0)
    with pytest.raises(InputError) as e:
        run_sweep(spec, tmp_path / "out", workers=0, progress=False)
    assert "flight_path" in e.value.field


def test_cli_bad_sweep_file_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.replace('"1 km/s"', '"1 parsec"'))
    broken = tmp_path / "broken.toml"
    broken.write_text("kind = coast\n")
    for path, field in ((bad, "grid.speed.from"), (broken, "SWEEP.toml"),
                        (tmp_path / "missing.toml", "SWEEP.toml")):
        p = subprocess.run([sys.executable, "-m", "boostphase.cli", "sweep", str(path), "--out",
                            str(tmp_path / "o")], capture_output=True, text=True, timeout=120)
        assert p.returncode == 2, p.stderr
        assert "Traceback" not in p.stderr
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {field}"), p.stderr


def test_example_sweeps_parse():
    examples = sorted((Path(__file__).parents[1] / "examples").glob("sweep_*.toml"))
    assert examples
    for p in examples:
        spec = load_spec(p)
        assert spec.n_cases >= 1000 and spec.chunk >= 1000


@pytest.mark.slow  # compiles the flyout kernel with recording (fly) as well: ~10-25 s
def test_flyout_sweep_matches_fly(tmp_path):
    from boostphase.flight.flyout import fly
    from boostphase.models.vehicles import load

    spec = parse_spec({"kind": "flyout", "fixed": {"lat": 39.0, "lon": 125.7, "azimuth": 90},
                       "grid": {"missile": ["scud-b", "no-dong"], "kick": {"from": 5, "to": 40, "n": 16}}})
    res = run_sweep(spec, tmp_path / "out", workers=0, progress=False)
    ds = res.dataset
    assert ds.sizes == {"missile": 2, "kick": 16} and list(ds["missile"].values) == ["scud-b", "no-dong"]
    assert ds["kick"].attrs["units"] == "deg" and ds["burnout_speed"].attrs["units"] == "m/s"
    _assert_same(open_result(tmp_path / "out"), ds)
    case = ds.sel(missile="no-dong").isel(kick=5)
    s = fly(load("no-dong"), 39.0, 125.7, azimuth_deg=90, kick_deg=float(case["kick"])).summary()
    assert float(case["range"]) / 1e3 == pytest.approx(s["range_km"], rel=1e-9)
    assert float(case["apogee"]) / 1e3 == pytest.approx(s["apogee_km"], rel=1e-9)
    assert float(case["burnout_speed"]) / 1e3 == pytest.approx(s["burnout"]["speed_km_s"], rel=1e-9)
    # Forden (2007) Table 3: Scud-B 288 km, No-dong 973 km at the best kick; a 16-point kick
    # grid gets within a few per cent
    best = ds["range"].max("kick") / 1e3
    assert float(best.sel(missile="scud-b")) == pytest.approx(288, rel=0.06)
    assert float(best.sel(missile="no-dong")) == pytest.approx(973, rel=0.06)


def test_flyout_bad_missile_names_the_field():
    with pytest.raises(InputError) as e:
        parse_spec({"kind": "flyout", "fixed": {"lat": 39.0, "lon": 125.7, "azimuth": 90, "kick": 20},
                    "grid": {"missile": ["scud-b", "taepodong-9"]}})
    assert e.value.field == "grid.missile[1]"


def test_a_sweep_that_cannot_reach_its_scheduler_leaves_no_folder(tmp_path):
    """Issue 16: an unreachable scheduler used to leave the output folder behind."""
    import socket

    from boostphase.errors import InputError
    from boostphase.sweep import run_sweep

    with socket.socket() as s:  # a port on this machine with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "never"
    with pytest.raises((InputError, OSError)):
        run_sweep(Path(__file__).parents[1] / "examples" / "sweep_coast_speed_angle.toml", out, scheduler=f"tcp://127.0.0.1:{port}")
    assert not out.exists()
