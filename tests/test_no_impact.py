"""A flight that does not land has no range (issue 14, part 2).

References: the two-body energy and perigee of the start state decide, independently of the
integrator, whether a vacuum coast on the textbook sphere is orbital (perigee above the ground,
energy < 0) or escaping (energy >= 0); a sub-orbital coast in the same batch must still match the
closed-form Kepler arc (:func:`boostphase.flight.flyout.vacuum_kepler`) to 1e-6, as in test_coast.py.
"""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from boostphase.flight.flyout import coast, fly, vacuum_kepler
from boostphase.flight.trajectory import NO_IMPACT_ESCAPE, NO_IMPACT_ORBIT
from boostphase.models.earth import SPHERE

MU = SPHERE.mu_m3_s2
R = SPHERE.a_m
ALT = 300e3
V_CIRC = math.sqrt(MU / (R + ALT))      # 7.73 km/s at 300 km
V_ESC = math.sqrt(2 * MU / (R + ALT))   # 10.93 km/s


def _strict(text: str):
    """json.loads that fails on NaN/Infinity (which Python's parser accepts by default)."""
    def bad(c):
        raise AssertionError(f"non-JSON constant {c} in output")
    return json.loads(text, parse_constant=bad)


@pytest.fixture(scope="module")
def batch():
    # sub-orbital (6 km/s, 20 deg), orbital (horizontal, 1.05 x circular: perigee at 300 km),
    # escaping (1.05 x escape speed)
    speeds = [6000.0, 1.05 * V_CIRC, 1.05 * V_ESC]
    fpas = [20.0, 0.0, 0.0]
    alts = [100e3, ALT, ALT]
    return coast(39.0, 125.7, alts, speeds, fpas, 45.0, earth=SPHERE, t_max_s=2.0e4)


def test_coast_above_orbital_speed_has_no_range(batch):
    assert batch.impacted.tolist() == [True, False, False]
    for i in (1, 2):
        for arr in (batch.range_m, batch.flight_time_s, batch.impact_lat_deg, batch.impact_lon_deg,
                    batch.impact_speed_m_s):
            assert np.isnan(arr[i])
        row = batch.row(i)
        assert row["range_km"] is None and row["flight_time_s"] is None
        assert row["impact"] == {"lat": None, "lon": None} and row["impact_speed_km_s"] is None
        assert row["impacted"] is False
    assert batch.row(1)["reason"] == NO_IMPACT_ORBIT
    assert batch.row(2)["reason"] == NO_IMPACT_ESCAPE
    # an orbit never climbs above its closed-form apogee (here 1.05^2 x circular: e = 0.1025)
    e = 1.05 ** 2 - 1.0
    r_apo = (R + ALT) * (1 + e) / (1 - e)
    assert batch.apogee_m[1] <= r_apo - R + 1.0


def test_landing_case_in_the_same_batch_still_matches_kepler(batch):
    ref = vacuum_kepler(6000.0, 20.0, R + 100e3, R)
    assert batch.row(0)["reason"] is None
    assert batch.range_m[0] == pytest.approx(ref["range_angle_rad"] * R, rel=1e-6)
    assert batch.flight_time_s[0] == pytest.approx(ref["flight_time_s"], rel=1e-6)
    assert batch.apogee_m[0] == pytest.approx(ref["apogee_radius_m"] - R, rel=1e-6)


def test_out_of_time_is_not_called_orbital():
    # a sub-orbital arc cut short by t_max: no impact, and the reason is the time limit
    res = coast(39.0, 125.7, 100e3, 6000.0, 20.0, 45.0, earth=SPHERE, t_max_s=60.0)
    assert not res.impacted[0] and res.row(0)["range_km"] is None
    assert res.row(0)["reason"].startswith("no impact within the time limit")


@pytest.fixture(scope="module")
def orbital_traj():
    from boostphase.models.vehicles import load

    return fly(load("hwasong-15").with_payload(100.0), 39.0, 125.7, azimuth_deg=90.0, kick_deg=24.0)


def test_web_payload_and_exports_of_a_flight_that_does_not_land(orbital_traj):
    from boostphase.present.exports import trajectory_czml, trajectory_kml
    from boostphase.scenario.registry import flyout_payload

    out = _strict(json.dumps(flyout_payload(orbital_traj), allow_nan=False))
    assert out["summary"]["range_km"] is None and "impact" not in out["events"]
    assert out["events"]["end"]["reason"] == NO_IMPACT_ORBIT
    kml = trajectory_kml(orbital_traj)
    assert "no impact" in kml and "range nan" not in kml.lower() and "impact," not in kml
    czml = trajectory_czml(orbital_traj, "2000-01-01T00:00:00Z")
    assert "no impact" in czml and "NaN" not in czml


def test_flyout_that_reaches_orbit_has_no_range():
    """A Hwasong-15 class model with a 100 kg payload kicked 24 deg burns out at 8.85 km/s near
    horizontal: orbital (checked by the two-body perigee of its last state)."""
    from boostphase.cli.commands import json_text
    from boostphase.models.vehicles import load

    tr = fly(load("hwasong-15").with_payload(100.0), 39.0, 125.7, azimuth_deg=90.0, kick_deg=24.0)
    assert not tr.impacted
    assert tr.range_m is None and tr.flight_time_s is None and tr.impact_lat_lon_deg is None
    s = tr.summary()
    assert s["range_km"] is None and s["impacted"] is False and s["reason"] == NO_IMPACT_ORBIT
    assert s["impact"] == {"lat": None, "lon": None}
    out = _strict(json_text(s))
    assert out["range_km"] is None
    gj = _strict(json_text(tr.to_geojson()))
    kinds = [f["properties"]["kind"] for f in gj["features"]]
    assert "impact" not in kinds and kinds[-1] == "end"
    assert gj["features"][-1]["properties"]["range_km"] is None


def test_json_emitter_writes_null_never_nan():
    from boostphase.cli.commands import json_text

    out = _strict(json_text({"a": float("nan"), "b": [np.inf, np.float64(1.5)], "c": np.array([np.nan])}))
    assert out == {"a": None, "b": [None, 1.5], "c": [None]}


def test_cli_coast_json_contract_for_orbit():
    from typer.testing import CliRunner

    from boostphase.cli.commands import app

    p = CliRunner().invoke(app, ["coast", "--lat", "39", "--lon", "125.7", "--alt-km", "300",
                                 "--speed-km-s", f"{1.05 * V_CIRC / 1e3:.4f}", "--flight-path-deg", "0",
                                 "--azimuth-deg", "45", "--earth", "sphere", "--no-rotation", "--json"])
    assert p.exit_code == 0, p.output
    out = _strict(p.stdout)
    assert {"range_km", "apogee_km", "flight_time_s", "impact_speed_km_s", "impact", "impacted",
            "reason"} <= set(out)
    assert out["impacted"] is False and out["range_km"] is None and out["flight_time_s"] is None
    assert out["impact"] == {"lat": None, "lon": None} and out["reason"] == NO_IMPACT_ORBIT
    assert out["apogee_km"] > 300.0


def test_cli_coast_batch_leaves_cells_empty_without_impact(tmp_path):
    from typer.testing import CliRunner

    from boostphase.cli.commands import BATCH_OUT_COLS, app

    inp, out = tmp_path / "cases.csv", tmp_path / "impacts.csv"
    inp.write_text("lat,lon,alt_km,speed_km_s,flight_path_deg,azimuth_deg,beta_kg_m2\n"
                   "39,125.7,100,6,20,45,\n"
                   f"39,125.7,300,{1.05 * V_CIRC / 1e3:.4f},0,45,\n")
    p = CliRunner().invoke(app, ["coast", "--batch", str(inp), "--out", str(out), "--earth", "sphere",
                                 "--no-rotation"])
    assert p.exit_code == 0, p.output
    rows = list(csv.DictReader(out.open()))
    assert tuple(rows[0]) == BATCH_OUT_COLS
    assert rows[0]["impacted"] == "true" and float(rows[0]["range_km"]) > 0 and rows[0]["reason"] == ""
    r = rows[1]
    assert r["impacted"] == "false" and r["reason"] == NO_IMPACT_ORBIT
    assert r["range_km"] == r["impact_lat"] == r["impact_lon"] == r["flight_time_s"] == ""
    assert float(r["apogee_km"]) > 300.0


def test_cli_flyout_json_contract_for_orbit(tmp_path):
    """`flyout --json` of a flight that does not land: impacted false, range_km null (the
    catalog Hwasong-15 file with a 100 kg payload, given as a vehicle file, kicked 24 deg)."""
    from pathlib import Path

    from typer.testing import CliRunner

    import boostphase
    from boostphase.cli.commands import app

    lines = (Path(boostphase.__file__).parent / "catalog" / "hwasong-15.toml").read_text().splitlines()
    i = next(k for k, s in enumerate(lines) if s.startswith("payload_kg ="))  # the mass, not its source
    j = next(k for k, s in enumerate(lines) if s.startswith("name ="))
    lines[i], lines[j] = "payload_kg = 100.0", 'name = "light-test"'
    path = tmp_path / "light.toml"
    path.write_text("\n".join(lines) + "\n")
    p = CliRunner().invoke(app, ["flyout", "--missile", str(path), "--launch", "39.0,125.7",
                                 "--azimuth", "90", "--kick-deg", "24", "--json"])
    assert p.exit_code == 0, p.output
    out = _strict(p.stdout)
    assert out["impacted"] is False and out["range_km"] is None and out["flight_time_s"] is None
    assert out["impact"] == {"lat": None, "lon": None} and out["reason"] == NO_IMPACT_ORBIT


def test_overflight_of_a_flight_that_does_not_land(orbital_traj):
    from boostphase.reconstruct.overflight import overflight

    rep = overflight(orbital_traj, dt_s=10.0)
    assert rep["impacted"] is False and rep["flight_time_s"] is None and rep["reason"] == NO_IMPACT_ORBIT
    assert rep["end_s"] == pytest.approx(orbital_traj.end_time_s - orbital_traj.t_s[0], abs=1e-3)
    assert rep["segments"][0]["territory"] == "North Korea"
