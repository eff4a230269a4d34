"""Bad input at the root (issue 16): files that are binary, folders or absurdly nested, output
paths that cannot be written, and NaN / infinite / huge numbers. Each must give one line naming
the field, exit code 2, no traceback, and write nothing; with ``--json`` the error is also JSON
on stdout. Run as real processes (the installed entry point's code path, ``boostphase.cli.commands``)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from boostphase.errors import InputError, check_range


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "boostphase.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def assert_refused(p, field: str):
    assert p.returncode == 2, (p.returncode, p.stderr[-500:])
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and field in lines[0], p.stderr


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "binary.toml").write_bytes(bytes(range(256)) * 8)
    (d / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    (d / "folder.toml").mkdir()
    return d


@pytest.mark.parametrize("cmd, name, field", [
    (("coast", "--batch"), "binary.toml", "--batch"),
    (("coast", "--batch"), "folder.toml", "--batch"),
    (("engage",), "binary.toml", "scenario"),
    (("engage-sensitivity",), "folder.toml", "scenario"),
    (("engage",), "deep.toml", "scenario"),
    (("footprint",), "deep.toml", "scenario"),
    (("sweep",), "binary.toml", "SWEEP.toml"),
])
def test_unreadable_input_files_are_refused_with_the_field(bad_files, tmp_path, cmd, name, field):
    extra = ("--out", tmp_path / "o.csv") if cmd[-1] == "--batch" else ()
    p = run(*cmd, bad_files / name, *extra)
    assert_refused(p, field)
    assert not (tmp_path / "o.csv").exists()


def test_an_output_path_that_is_a_folder_is_refused_before_any_work(tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text("lat,lon,alt_km,speed_km_s,flight_path_deg,azimuth_deg\n39,125.7,100,6,20,45\n")
    p = run("coast", "--batch", cases, "--out", tmp_path)
    assert_refused(p, "--out")
    p = run("flyout", "--missile", "no-dong", "--launch", "39,125.7", "--azimuth", "40", "--csv", tmp_path)
    assert_refused(p, "--csv")


@pytest.mark.parametrize("args, field", [
    (("flyout", "--missile", "no-dong", "--launch", "39,125.7", "--azimuth", "nan"), "--azimuth"),
    (("flyout", "--missile", "no-dong", "--launch", "39,125.7", "--azimuth", "inf"), "--azimuth"),
    (("flyout", "--missile", "no-dong", "--launch", "39,125.7", "--azimuth", "1e300"), "--azimuth"),
    (("coast", "--lat", "39", "--lon", "inf", "--alt-km", "100", "--speed-km-s", "6", "--flight-path-deg", "20",
      "--azimuth-deg", "45"), "--lon"),
    (("coast", "--lat", "39", "--lon", "1e300", "--alt-km", "100", "--speed-km-s", "6", "--flight-path-deg", "20",
      "--azimuth-deg", "45"), "--lon"),
    (("coast", "--lat", "39", "--lon", "400", "--alt-km", "100", "--speed-km-s", "6", "--flight-path-deg", "20",
      "--azimuth-deg", "45"), "--lon"),
])
def test_non_finite_and_huge_numbers_are_refused_with_json_errors(args, field):
    """The CLI checks through the same scenario spec as the web; the error names the option typed."""
    p = run(*args, "--json")
    assert_refused(p, field)
    err = json.loads(p.stdout)["error"]  # the JSON on stdout carries the same error
    assert err["field"] == field and err["allowed"] and err["message"] in p.stderr


def test_check_range_refuses_every_non_finite_value():
    """NaN and infinities are never inputs, with two bounds, one bound or none."""
    for bounds in ((0, 1), (0, None), (None, 1), (None, None)):
        for v in (math.nan, math.inf, -math.inf, "nan", "inf"):
            with pytest.raises(InputError, match="finite"):
                check_range("x", v, *bounds)


def test_python_fly_refuses_what_the_cli_refuses():
    """The Python API and the CLI agree: the same NaN / infinite azimuth is an InputError."""
    from boostphase.api import coast, fly, load

    m = load("no-dong")
    for az in (math.nan, math.inf, 1e300):
        with pytest.raises(InputError, match="azimuth"):
            fly(m, 39.0, 125.7, azimuth_deg=az)
    with pytest.raises(InputError, match="lon"):
        coast(39.0, math.inf, 100e3, 6000.0, 20.0, 45.0)


def test_version_flag_prints_the_package_version():
    from boostphase import __version__

    p = run("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"boostphase {__version__}"


def test_save_with_a_command_that_cannot_store_is_refused_up_front(tmp_path):
    """``--save`` used to be ignored silently by check, catalog and engage (exit 0, nothing
    stored): now refused before any work, naming the commands that store their runs."""
    import os

    env = dict(os.environ, BOOSTPHASE_STORE=str(tmp_path / "runs.sqlite"))
    for args in (("check", "--range-km", "1000", "--apogee-km", "100"), ("catalog",),
                 ("engage", "examples/c4_single_orbit.toml")):
        p = subprocess.run([sys.executable, "-m", "boostphase.cli", "--save", *args], capture_output=True,
                           text=True, timeout=120, env=env)
        assert_refused(p, "--save")
        assert "coast, flyout, reconstruct" in p.stderr
    assert not (tmp_path / "runs.sqlite").exists()


def test_piped_tables_never_cut_a_name_and_an_empty_store_says_how_to_fill_it(tmp_path):
    """Issue 18's CLI manners: `boostphase catalog | cat` used to print 'generic-…'; `runs list`
    on an empty store printed an empty table with no hint."""
    import os

    from boostphase.models.vehicles import catalog

    p = run("catalog")
    assert p.returncode == 0
    for m in catalog():
        assert m.name in p.stdout
    env = dict(os.environ, BOOSTPHASE_STORE=str(tmp_path / "runs.sqlite"))
    q = subprocess.run([sys.executable, "-m", "boostphase.cli", "runs", "list"], capture_output=True, text=True,
                       timeout=120, env=env)
    assert q.returncode == 0 and "--save" in q.stderr


@pytest.mark.parametrize("args, field", [
    (("footprint", "examples/c5_chicago.toml", "--fragments", "nan"), "--fragments"),
    (("c5", "--n", "1e9"), "--n"),
    (("engage-map", "examples/c4_sea_of_japan.toml"), "--out"),
    (("flyout", "--bogus"), "--bogus"),
    (("serve", "--port", "99999"), "--port"),
])
def test_usage_errors_are_one_line_like_every_other_input_error(args, field):
    """Option values of the wrong type, missing and unknown options come from the CLI library,
    not the scenario specs; they too are one `error:` line naming the option, exit 2."""
    p = run(*args, cwd=Path(__file__).resolve().parents[1])
    assert_refused(p, field)
    assert "--help" in p.stderr
