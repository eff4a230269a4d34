"""Reconstruction of North Korean tests against published analyses.

References (independent of the code):
- D. Wright (UCS, All Things Nuclear, 28 Jul 2017): the Hwasong-14 test of 28 July 2017 implies
  about 10,400 km on a standard trajectory over a non-rotating Earth; with rotation Los Angeles,
  Denver and Chicago within reach (tolerance 10 %, the issue's calibration tolerance);
- D. Wright / ROK MND (Nov 2017): the Hwasong-15 "more than 13,000 km" - a lower bound the
  reconstruction of the 29 Nov 2017 test must not contradict (10 % allowance);
- physics: a longer burn at the same propellant loses more to gravity, so the payload that flies
  the same test must fall as the burn time grows; a vehicle whose minimum-energy flight does not
  come down has a burnout speed close to the circular orbital speed;
- the class of the test: an IRBM-class lofted test (about 2,100 km apogee, 800 km) is fitted
  with the IRBM class model.
Reconstructions are slow (tens of seconds each): the module shares two fits.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from boostphase.reconstruct.reconstruction import (
    GLOBAL_RANGE_M,
    choose_model,
    cities_in_reach,
    reach_geojson,
    reconstruct,
)

SITE = (40.61556, 126.46306)  # near Mupyong-ni (see data/nk_tests.toml)
HS15_SITE = (39.0, 125.7)


@pytest.fixture(scope="module")
def hs14():
    """28 Jul 2017 Hwasong-14, with its burn-time variants, reach by azimuth and cities."""
    return reconstruct(3724.9, 998.0, 2832.0, launch=SITE, test_azimuth_deg=90.0,
                       cities=["Los Angeles", "Denver", "Chicago", "Washington"], sensitivity=True,
                       n_azimuths=24)


@pytest.fixture(scope="module")
def hs15():
    """29 Nov 2017 Hwasong-15: its fitted vehicle is global on a standard trajectory."""
    return reconstruct(4475.0, 950.0, 3180.0, launch=HS15_SITE, test_azimuth_deg=90.0,
                       sensitivity=True, reach=False)


def test_fit_reproduces_the_test(hs14):
    # the fit's stopping rule is 0.1 % of the range; apogee is solved to ~1 m
    assert hs14["fit"]["apogee_km"] == pytest.approx(3724.9, rel=1e-3)
    assert hs14["fit"]["range_km"] == pytest.approx(998.0, rel=1.5e-2)
    # the flight time is not fitted: a free check of the model (within 2 % of 47 min 12 s)
    assert hs14["fit"]["flight_time_s"] == pytest.approx(2832.0, rel=0.02)


def test_max_range_matches_wright_within_10_percent(hs14):
    assert hs14["missile_model"] == "hwasong-14"
    assert hs14["global_reach"] is False
    assert hs14["max_range_km"] == pytest.approx(10400.0, rel=0.10)
    assert hs14["max_range_lower_km"] <= hs14["max_range_km"]


def test_burn_time_variants_say_what_changed(hs14):
    """Each variant: burn times x0.8 / x1.2, the same propellant, thrust / factor, its own
    payload; the payload falls as the burn time grows (gravity losses), so it is monotonic."""
    fit = hs14["fit"]
    by = {v["burn_time_factor"]: v for v in hs14["sensitivity"]}
    assert set(by) == {0.8, 1.2}
    for f, v in by.items():
        assert "error" not in v, v
        assert v["burn_time_s"] == pytest.approx([f * b for b in fit["burn_time_s"]])
        assert v["propellant_kg"] == pytest.approx(fit["propellant_kg"])
        assert v["thrust_vac_kn"] == pytest.approx([t / f for t in fit["thrust_vac_kn"]])
        assert v["propellant_factor"] == 1.0 and "same propellant" in v["changed"]
    assert by[0.8]["payload_kg"] > fit["payload_kg"] > by[1.2]["payload_kg"] > 0
    band = hs14["max_range_band_km"]
    assert band[0] == min(v["max_range_km"] for v in [*by.values(), {"max_range_km": hs14["max_range_km"]}])
    assert hs14["max_range_lower_km"] == pytest.approx(band[0])


def test_rotation_puts_west_coast_and_midwest_in_reach(hs14):
    by = {c["name"]: c for c in hs14["cities"]}
    for name in ("Los Angeles", "Denver", "Chicago"):
        assert by[name]["in_reach"], by[name]
    for c in by.values():  # a global city has no number; a finite one has its margin
        assert (c["range_km"] is None) == c["global_reach"] == (c["margin_km"] is None)
    # rotation gains grow toward the east: the margin shrinks from Los Angeles to Washington,
    # the same ordering as Wright's (Washington "just outside" in his model)
    margins = [by[n]["margin_km"] for n in ("Los Angeles", "Chicago", "Washington")]
    if None not in margins:
        assert margins[0] > margins[1] > margins[2]


def test_reach_by_azimuth_has_no_spikes(hs14):
    """Global bearings carry no number; the finite ones are the max-range flights (a few
    thousand km either side of the non-rotating reach, never a stray point near the launch);
    the contour holds only finite bearings and closes."""
    rows = hs14["reach_by_azimuth"]
    assert len(rows) == 24
    finite = [r["range_km"] for r in rows if not r["global_reach"]]
    assert all(r["range_km"] is None and r["bearing_deg"] is None for r in rows if r["global_reach"])
    assert finite and all(0.7 * hs14["max_range_km"] < x < GLOBAL_RANGE_M / 1e3 for x in finite)
    geo = hs14["reach_geojson"]
    ring = geo["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == len(finite) + 1
    assert geo["properties"]["global_reach"] is False


def test_global_fit_reports_its_finite_part(hs15):
    """Hwasong-15, 29 Nov 2017: global on a standard trajectory; the finite part is given."""
    assert hs15["missile_model"] == "hwasong-15"
    assert hs15["global_reach"] is True and hs15["max_range_km"] is None and hs15["orbital"] is True
    lower = hs15["max_range_lower_km"]
    assert isinstance(lower, float) and 0 < lower <= GLOBAL_RANGE_M / 1e3
    # consistent with Wright / ROK MND "more than 13,000 km"
    assert lower >= 0.9 * 13_000.0
    gn = hs15["global_note"]
    assert "any point" in gn["why"]
    assert gn["finite_band_members_km"] == sorted(
        v["max_range_km"] for v in hs15["sensitivity"] if not v.get("global_reach", True))
    if gn["finite_band_members_km"]:
        assert lower == pytest.approx(min(gn["finite_band_members_km"]))
    assert 0.9 < gn["fraction_of_circular_speed"] < 1.1  # near-orbital speed


def test_model_choice_catalogue_and_physics():
    """The 14 May 2017 Hwasong-12 test picks the Hwasong-12 model (it matches the catalogue).
    The physics rule (the least massive class model that flies the test with a quarter of its
    stated payload), blind to the catalogue, agrees with the vehicle North Korea named for the
    2017 IRBM and ICBM tests (KCNA: Hwasong-12 on 14 May, Hwasong-14 on 28 Jul); an uncatalogued
    IRBM-class lofted flight is fitted with the IRBM model."""
    c = choose_model(2111.5, 787.0, (39.92747, 125.20789))
    assert c["model"] == "hwasong-12" and c["how"] == "catalogue" and "2017-05-14" in c["why"]
    assert choose_model(2111.5, 787.0, (39.92747, 125.20789), use_catalogue=False)["model"] == "hwasong-12"
    assert choose_model(3724.9, 998.0, SITE, use_catalogue=False)["model"] == "hwasong-14"
    p = choose_model(2100.0, 800.0, (39.9, 125.2))  # no catalogued test has these figures
    assert p["how"] == "physics" and p["model"] == "hwasong-12", p
    assert {x["model"] for x in p["candidates"]} == {"hwasong-12", "hwasong-14", "hwasong-15",
                                                     "hwasong-17", "hwasong-18", "hwasong-19"}


def test_reach_geojson_and_cities_with_global_bearings():
    """Pure geometry, no flights: NaN (global) bearings are left out of the ring; a city between
    two global samples is global and in reach; between a global and a finite one its range is
    the finite one, flagged a lower bound; when all are global there is no ring."""
    az = np.linspace(0.0, 360.0, 8, endpoint=False)
    glob = np.array([False, True, True, False, False, False, False, False])
    reach = np.where(glob, np.nan, 9.0e6)
    lat = np.where(glob, np.nan, 40.0 + 10 * np.cos(np.radians(az)))
    lon = np.where(glob, np.nan, 127.0 + 10 * np.sin(np.radians(az)))
    f = reach_geojson(40.0, 127.0, lat, lon, {})
    assert len(f["geometry"]["coordinates"][0]) == 7 and f["properties"]["global_reach"] is False
    none = reach_geojson(40.0, 127.0, np.full(8, np.nan), np.full(8, np.nan), {})
    assert none["geometry"] is None and none["properties"]["global_reach"] is True
    bearing = np.where(glob, np.nan, az)
    # Los Angeles lies at about 48 deg from Korea's east coast: between samples 45 and 90 (global)
    (la,) = cities_in_reach(["Los Angeles"], 40.0, 127.0, reach, bearing, global_mask=glob)
    assert la["global_reach"] and la["range_km"] is None and la["in_reach"]
    # Sydney, about 170 deg: between 135 (finite) and 180 (finite)
    (syd,) = cities_in_reach(["Sydney"], 40.0, 127.0, reach, bearing, global_mask=glob)
    assert not syd["global_reach"] and syd["range_km"] == pytest.approx(9000.0)
    # a bearing between 90 (global) and 135 (finite): a lower bound
    (mid,) = cities_in_reach(["Honolulu"], 40.0, 127.0, reach, bearing, global_mask=glob)
    if 90.0 < mid["azimuth_deg"] < 135.0:
        assert mid["range_is_lower_bound"] and mid["range_km"] == pytest.approx(9000.0)


def test_cli_unknown_city_is_a_clear_error():
    p = subprocess.run([sys.executable, "-m", "boostphase.cli", "reconstruct", "--apogee-km", "3724.9",
                        "--range-km", "998", "--launch", "40.6,126.5", "--cities", "Atlantiz", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert "city" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize("args, field", [
    (["--apogee-km", "nan", "--range-km", "998"], "--apogee-km"),
    (["--apogee-km", "3724.9", "--range-km", "inf"], "--range-km"),
    (["--apogee-km", "3724.9", "--range-km", "998", "--missile", "hwasong-99"], "missile"),
])
def test_cli_bad_input_one_line_exit_2(args, field):
    p = subprocess.run([sys.executable, "-m", "boostphase.cli", "reconstruct", *args, "--json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and field in p.stderr


def test_cli_contract_keys():
    """The --json contract, on the 14 May 2017 Hwasong-12 test without --missile: the IRBM
    model is chosen and the output says which and why."""
    p = subprocess.run([sys.executable, "-m", "boostphase.cli", "reconstruct", "--apogee-km", "2111.5",
                        "--range-km", "787", "--flight-time-s", "1800", "--no-sensitivity", "--band", "2",
                        "--json"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    for k in ("max_range_km", "burnout_speed_km_s", "missile_model", "global_reach", "max_range_lower_km",
              "model_choice"):
        assert k in d
    assert d["missile_model"] == "hwasong-12" and "2017-05-14" in d["model_choice"]["why"]
    assert set(d["fit"]) >= {"apogee_km", "range_km", "flight_time_s", "burn_time_s", "propellant_kg",
                             "thrust_vac_kn"}
    assert d["global_reach"] is False and d["max_range_lower_km"] == pytest.approx(d["max_range_km"])
    # --band N: the reach band (2 members here; burn times, dry mass, Isp sampled, payload refitted)
    b = d["reach_band"]
    assert b["n"] == 2 and b["n_ruled_out"] + b["n_fitted"] == 2 and len(b["members"]) == 2
    assert set(b["inputs"]) == {"burn_time_factor_stage1", "dry_mass_factor", "isp_factor"}  # one stage
