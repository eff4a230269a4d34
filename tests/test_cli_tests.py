"""``boostphase tests``: the test catalog, per-test reconstruction, the timeline plot and the
association test with user events (MISSION claim C2).

References: the catalog file itself (every date it holds must be listed); D. Wright's published
standard-trajectory estimate for the Hwasong-14 of 28 July 2017 (about 10,400 km, UCS All
Things Nuclear, 28 Jul 2017; the issue's calibration tolerance is 10 %), also cited as an
estimate in data/nk_tests.toml.  The commands run as subprocesses, as a user runs them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from boostphase.cli.tests import model_for
from boostphase.reconstruct.testflights import load_tests


def _cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "boostphase.cli", "tests", *args],
                          capture_output=True, text=True, timeout=timeout)


CATALOG_DATES = [t.date.isoformat() for t in load_tests()]


def test_model_choice_by_vehicle():
    """Each vehicle is fitted with its own class model; the claimed Hwasong-17 of 24 Mar 2022
    with the Hwasong-15's (ROK MND's assessment, as the catalogue records); a failed flight and
    the glide-vehicle IRBM with none, each with its reason."""
    for n in (12, 14, 15, 17, 18, 19):
        assert model_for(f"Hwasong-{n}") == (f"hwasong-{n}", "")
    model, note = model_for("Hwasong-17 (claimed)")
    assert model == "hwasong-15" and "Hwasong-15" in note
    for v in ("Hwasong-16B", "Pukguksong-2", "Hwasong-17 (presumed; failed)"):
        model, note = model_for(v)
        assert model is None and note
    assert "failed" in model_for("Hwasong-17 (presumed; failed)")[1]


def test_no_reconstruct_lists_every_catalog_date():
    p = _cli("--no-reconstruct", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert [r["date"] for r in out["tests"]] == CATALOG_DATES
    assert out["n_tests"] == len(CATALOG_DATES) >= 13
    assert all(r["status"] == "listed" and r["sources"] for r in out["tests"])
    text = _cli("--no-reconstruct")
    assert text.returncode == 0, text.stderr
    for d in CATALOG_DATES:
        assert d in text.stdout


def test_events_association_reports_p_value_sizes_method_and_caveats(tmp_path):
    ev = tmp_path / "events.csv"
    ev.write_text("date,label\n2017-04-20,port call A\n2017-07-01,port call B\n"
                  "2017-11-01,port call C\n2023-06-30,port call D\n", encoding="utf-8")
    p = _cli("--no-reconstruct", "--events", str(ev), "--json", "--permutations", "2000")
    assert p.returncode == 0, p.stderr
    a = json.loads(p.stdout)["association"]
    assert 0.0 < a["p_value"] <= 1.0
    assert a["n_tests"] == len(CATALOG_DATES) and a["n_events"] == 4
    assert a["n_permutations"] == 2000 and a["method"] and len(a["caveats"]) >= 3
    text = _cli("--no-reconstruct", "--events", str(ev), "--permutations", "2000")
    assert text.returncode == 0, text.stderr
    assert "p = " in text.stdout and "cannot show" in text.stdout
    assert f"of {len(CATALOG_DATES)} tests" in text.stdout


@pytest.mark.parametrize("content", [
    "when,what\n2017-01-01,x\n",            # wrong header
    "date,label\n2017-13-45,bad date\n",    # impossible date
    "",                                     # empty
])
def test_bad_events_csv_exits_2_without_traceback_before_any_reconstruction(tmp_path, content):
    ev = tmp_path / "bad.csv"
    ev.write_text(content, encoding="utf-8")
    t0 = time.perf_counter()
    p = _cli("--events", str(ev))          # reconstruction requested: must fail first
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and p.stderr.startswith("error: ")
    assert len(p.stderr.strip().splitlines()) == 1
    assert time.perf_counter() - t0 < 30.0  # failed before the long computation


def test_missing_events_file_and_unknown_date_exit_2(tmp_path):
    p = _cli("--events", str(tmp_path / "nope.csv"), "--no-reconstruct")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    p = _cli("--date", "2017-07-29", "--no-reconstruct")
    assert p.returncode == 2 and "2017-07-28" in p.stderr  # lists the valid dates


def test_reconstructs_the_2017_07_28_calibration_test_with_plot(tmp_path):
    # in-process, so that the engine's compiled kernels are shared with other tests in the run
    from typer.testing import CliRunner

    from boostphase.cli.commands import app

    png = tmp_path / "timeline.png"
    p = CliRunner().invoke(app, ["tests", "--date", "2017-07-28", "--date", "2024-01-14",
                                 "--plot", str(png), "--band", "3", "--json"])
    assert p.exit_code == 0, p.output
    assert "reconstructing 2017-07-28" in p.stderr  # progress goes to stderr, JSON to stdout
    out = json.loads(p.stdout)
    row, skipped = out["tests"]
    # the plot shows every test asked for, the unreconstructed glide-vehicle IRBM included
    assert out["plot_rows"] == [{"date": "2017-07-28", "status": "reconstructed"},
                                {"date": "2024-01-14", "status": "skipped"}]
    assert skipped["status"] == "skipped" and skipped["reason"]
    assert row["status"] == "reconstructed" and row["model"] == "hwasong-14"
    lo, hi = row["band_km"]
    assert 0 < lo <= row["implied_max_range_km"] <= hi
    assert hi > lo  # the burn-time +-20 % refits give a real band
    assert row["implied_max_range_km"] == pytest.approx(10400.0, rel=0.10)  # Wright (UCS, 2017)
    assert abs(row["residuals"]["range_km"]) < 0.02 * 998.0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out["plot"] == str(png)
    # the reach band (a contract the timeline figure reads): keys, its size, and none for a skip
    b = row["reach_band"]
    assert {"median_km", "p10_km", "p90_km", "p_global", "p_global_ci95", "n", "n_ruled_out", "inputs",
            "sensitivity"} <= set(b)
    assert b["n"] == 3 and b["n_ruled_out"] + b["n_fitted"] == 3
    assert b["p10_km"] <= b["median_km"] <= b["p90_km"]
    assert skipped["reach_band"] is None
    assert "reach bands:" in p.stderr  # not a terminal: one line of progress per stage, on stderr


def test_narrow_terminal_never_cuts_a_vehicle_name_or_date():
    """COLUMNS=60 (a narrow terminal, or a pipe that says so): every test's date and vehicle name
    appear whole, with and without the reconstruction columns (one block per test when the table
    cannot fit)."""
    import os

    env = {**os.environ, "COLUMNS": "60"}
    for args in (["--no-reconstruct"], ["--date", "2017-07-28", "--date", "2022-11-03", "--no-band",
                                        "--no-sensitivity"]):
        p = subprocess.run([sys.executable, "-m", "boostphase.cli", "tests", *args], capture_output=True,
                           text=True, timeout=600, env=env)
        assert p.returncode == 0, p.stderr
        want = load_tests() if args[0] == "--no-reconstruct" else [
            t for t in load_tests() if t.date.isoformat() in ("2017-07-28", "2022-11-03")]
        for t in want:
            assert t.date.isoformat() in p.stdout and t.vehicle in p.stdout, (t.vehicle, p.stdout)
        assert all(len(line) <= 60 for line in p.stdout.splitlines()[:3])


@pytest.mark.slow
def test_full_catalog_reconstruction(tmp_path):
    png = tmp_path / "timeline.png"
    p = _cli("--json", "--plot", str(png), "--band", "8", timeout=3600)  # ~19 tests x (3 + 8) fits: minutes
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    rows = {r["date"]: r for r in out["tests"]}
    assert list(rows) == CATALOG_DATES
    assert [r["date"] for r in out["plot_rows"]] == CATALOG_DATES  # none dropped from the plot
    for r in rows.values():
        assert r["status"] in ("reconstructed", "skipped", "global", "fit failed")
        if r["status"] != "reconstructed":
            assert r["reason"]                      # every gap says why
        if r["status"] == "reconstructed":
            lo, hi = r["band_km"]
            assert lo <= r["implied_max_range_km"] <= hi
        if r["status"] == "global":                 # no number, but its finite part
            assert r["implied_max_range_km"] is None and 0 < r["implied_lower_km"] <= 18_000.0
    # the 2017 Hwasong-12 and -14 tests reconstruct; published estimates are within 15 %
    # (2022-01-30: ROK JCS's own 4,500-5,000 km estimate for that Hwasong-12 flight)
    for day in ("2017-05-14", "2017-07-04", "2017-07-28", "2017-08-29", "2017-09-15", "2022-01-30",
                "2022-10-04"):
        r = rows[day]
        assert r["status"] == "reconstructed", r.get("reason")
        for e in r["published_estimates"]:
            assert r["implied_max_range_km"] == pytest.approx(e["max_range_km"], rel=0.15)
    # the three Hwasong-12 flights over Japan flew near standard trajectories: the implied reach
    # is close to the flown range
    for day in ("2017-08-29", "2017-09-15", "2022-10-04"):
        assert rows[day]["implied_max_range_km"] == pytest.approx(rows[day]["range_km"], rel=0.1)
    # the 2022-2024 ICBMs, fitted with their own class models, reach beyond the published
    # lower bounds ("over 14,000 / 15,000 km", Japan MOD): global, or at least that far
    own = {"2022-11-18": "hwasong-17", "2023-03-16": "hwasong-17", "2023-07-12": "hwasong-18",
           "2023-12-18": "hwasong-18", "2024-10-31": "hwasong-19"}
    for day, model in own.items():
        r = rows[day]
        assert r["model"] == model
        assert r["status"] == "global" or (r["status"] == "reconstructed"
                                            and r["implied_max_range_km"] >= 0.9 * 15_000.0), r
    for day in ("2022-11-03", "2023-04-13", "2024-01-14"):  # failed, bounded apogee, glide vehicle
        assert rows[day]["status"] == "skipped"
    assert png.stat().st_size > 10_000
