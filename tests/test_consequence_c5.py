"""Consequence analysis, issue 5 follow-ups: the intercept window from the engagement analysis,
the payload ballistic-coefficient sensitivity (one batched engine call) and antimeridian-safe
density contours / GeoJSON / KML.

Kept small: one min-energy threat (azimuth 45 deg), windows on a 5 s grid, a few dozen
fragments; the engagement reach table is built once per process and shared.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

import boostphase.flight.flyout as flight
from boostphase import engage
from boostphase.consequence import (
    DEFAULT_WINDOW_START_S,
    Footprint,
    beta_sensitivity,
    c5_answer,
    cutoff_impacts_by_beta,
    footprint,
    load_scenario,
    parse_betas,
    parse_scenario,
    shortfall_trace,
    split_antimeridian,
    wrap_lon,
)
from boostphase.errors import InputError
from boostphase.models.earth import WGS84
from conftest import AZ, SITE  # noqa: E402  (the shared flight's launch point and azimuth)

REPO = Path(__file__).resolve().parents[1]
R_KM = 6371.0

# one UAV orbit that can reach the boost (130 km off Chongjin, as examples/c4_single_orbit.toml)
# and one that cannot (far out in the Pacific)
NEAR = {"name": "near: off Chongjin", "centre": [41.0, 131.3]}
FAR = {"name": "far: mid-Pacific", "centre": [20.0, 160.0]}
LAYDOWN_TOML = """
[timeline]
detection_delay = "45 s"
decision_time = "15 s"
launch_delay = "5 s"

[interceptor]
name = "5 km/s test interceptor"
burnout_speed = "5 km/s"
burn_times = ["20 s", "20 s"]

[platform_defaults]
altitude = "15 km"
orbit_radius = "20 km"
speed = "100 m/s"

[[platforms]]
name = "near: off Chongjin"
centre = [41.0, 131.3]

[[platforms]]
name = "far: mid-Pacific"
centre = [20.0, 160.0]
"""
T_LAUNCH_S = 45.0 + 15.0 + 5.0     # interceptor leaves the aircraft (the laydown's timeline)


def _scenario_toml(window: str, dt_s: float, orbits: list[str] | None = None) -> str:
    orb = "" if orbits is None else "orbits = [" + ", ".join(f'"{o}"' for o in orbits) + "]\n"
    return f"""title = "test"
seed = 5
[threat]
missile = "hwasong-15"
launch = [{SITE[0]}, {SITE[1]}]
azimuth = {AZ}
profile = "min-energy"
payload_beta = "5000 kg/m^2"
[intercept]
window = {window}
dt = "{dt_s:g} s"
[engagement]
scenario = "laydown.toml"
{orb}[fragments]
n = 40
include_stages = false
"""


# fixtures `missile` and `me_traj` (the min-energy flight from SITE on AZ): tests/conftest.py


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("c5")
    (d / "laydown.toml").write_text(LAYDOWN_TOML)
    # grids chosen so every engine call has 17-32 cases: the batch shape the flyout searches and
    # test_consequence.py already compiled (each new shape costs seconds of tracing)
    (d / "eng.toml").write_text(_scenario_toml('"engagement"', 20.0))
    (d / "far.toml").write_text(_scenario_toml('["engagement", "burnout"]', 10.0, [FAR["name"]]))
    return d


@pytest.fixture(scope="module")
def answer(folder):
    """c5_answer on a scenario whose window comes from the two-orbit laydown (a file named
    relative to the scenario), with the default beta sweep."""
    return c5_answer([folder / "eng.toml"], fragments=40)[0]


# ---------------------------------------------------------------------------------------------
# 1. the intercept window from the engagement analysis
# ---------------------------------------------------------------------------------------------

def test_window_opens_at_the_engagement_analysis_earliest_intercept(answer, missile):
    """The window starts at the earliest intercept ``boostphase engage`` computes for this threat
    from the laydown (the near orbit; the far one cannot intercept before burnout) and ends at
    burnout. Checked against engage's own API directly (same threat and orbit: equal to 1e-9 s)."""
    th = engage.Threat(missile, *SITE, azimuth_deg=AZ, profile="min-energy")
    ic = engage.Interceptor.two_stage(5e3, (20.0, 20.0))
    near = engage.Platform(*NEAR["centre"], altitude_m=15e3, orbit_radius_m=20e3, speed_m_s=100.0)
    want = engage.Engagement(th, near, ic, engage.Timeline()).solve()
    assert want.intercept_possible
    a, b = answer["window_s"]
    assert a == pytest.approx(want.intercept_time_s, abs=1e-9)
    assert b == pytest.approx(missile.boost_time_s)
    assert answer["window_source"] == "engagement"
    rows = {r["platform"]: r for r in answer["engagement"]["orbits"]}
    assert rows[NEAR["name"]]["intercept_possible"] and not rows[FAR["name"]]["intercept_possible"]
    assert answer["engagement"]["earliest"]["orbit"] == NEAR["name"]
    # said in plain words, with the figure
    assert "from the engagement analysis" in answer["window_assumption"]
    assert f"{a:.1f} s after launch" in answer["plain"]
    assert "engagement analysis" in answer["verdict"]


def test_engagement_window_start_obeys_interceptor_kinematics(folder):
    """Independent kinematic bound: the interceptor (ideal burnout speed 5 km/s; from the orbit's
    worst point the aircraft adds no speed) cannot cover the straight line from the orbit to the
    threat faster than 5 km/s, so t* - 65 s >= (chord - orbit radius) / 5 km/s (sphere of 6371 km;
    the bound ignores gravity and burn time, so it is loose but can fail). And the threat point at
    t* that the engagement reports (engage's 1 s track, Hermite-interpolated) is where this
    module's own cut-off flight puts the threat at t*, to 1 km (measured: metres)."""
    sc = load_scenario(folder / "eng.toml")
    fp = footprint(sc, include_payload=True)
    a = fp.intercept["from_s"]
    i = int(np.flatnonzero(np.isclose(fp.trace.cutoff_s, a, atol=1e-9))[0])
    lat, lon, alt = WGS84.ecef_to_geodetic(fp.trace.state[i, :3])

    def xyz(la, lo, h_km):
        la, lo = math.radians(la), math.radians(lo)
        return (R_KM + h_km) * np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])

    chord = np.linalg.norm(xyz(float(lat), float(lon), float(alt) / 1e3) - xyz(*NEAR["centre"], 15.0))
    assert a - T_LAUNCH_S >= (chord - 20.0) / 5.0
    assert T_LAUNCH_S < a < fp.intercept["to_s"]
    e = fp.intercept["engagement"]["earliest"]
    d, _ = WGS84.distance_azimuth(e["lat"], e["lon"], float(lat), float(lon))
    assert float(d) < 1e3
    assert abs(e["alt_km"] - float(alt) / 1e3) < 1.0
    # the payload's impacts start at t* too
    assert fp.payload["impacts"][0]["intercept_s"] == pytest.approx(a)


def test_no_orbit_can_intercept_falls_back_to_the_assumed_window_and_says_so(folder):
    fp = footprint(load_scenario(folder / "far.toml"), include_payload=True)
    assert fp.intercept["window_source"] == "assumed"
    assert fp.intercept["from_s"] == DEFAULT_WINDOW_START_S
    note = fp.intercept["window_note"]
    assert "no orbit" in note and f"{DEFAULT_WINDOW_START_S:g} s" in note
    assert fp.assumptions["window"] == note
    assert fp.intercept["engagement"]["earliest"] is None


def test_example_c5_scenarios_take_the_window_from_the_example_laydown():
    for name in ("los_angeles", "chicago", "washington"):
        sc = load_scenario(REPO / "examples" / f"c5_{name}.toml")
        assert sc.intercept.window == ("engagement", "burnout")
        objs, src = sc.engagement.build()
        assert Path(src).name == "c4_sea_of_japan.toml" and len(objs.platforms) == 4
        assert objs.timeline.interceptor_launch_s == pytest.approx(65.0)


_GOOD = {"threat": {"missile": "hwasong-15", "launch": [39.0, 125.7], "azimuth": 45}}


@pytest.mark.parametrize("patch, field", [
    ({"intercept": {"window": "soon"}}, "intercept.window"),
    ({"intercept": {"window": ["engagment", "burnout"]}}, "intercept.window.0"),
    ({"engagement": {"scenario": "no_such_laydown.toml"}}, "engagement.scenario"),
    ({"engagement": {"orbits": ["nowhere"]}}, "engagement.orbits"),
    ({"engagement": {"timeline": {"detection_delay": "-5 s"}}}, "engagement.timeline.detection_delay"),
    ({"engagement": {"platforms": [{"centre": [41.0, 131.3], "altitude": "2 km/s"}]}},
     "engagement.platforms.0.altitude"),
    ({"engagement": {"orbit": ["x"]}}, "engagement.orbit"),
])
def test_bad_engagement_input_names_the_field(patch, field):
    with pytest.raises(InputError) as e:
        parse_scenario({**_GOOD, **patch})
    assert e.value.field == field
    assert e.value.allowed


# ---------------------------------------------------------------------------------------------
# 2. payload ballistic-coefficient sensitivity
# ---------------------------------------------------------------------------------------------

TIMES = np.array([60.0, 100.0, 140.0, 180.0, 220.0, 260.0, 290.0, 296.0])


def test_beta_sweep_is_one_engine_call_and_equals_single_beta_traces(missile, me_traj, monkeypatch):
    """Four betas x eight cut-offs fly in ONE engine call (counted), and each row is what a
    single-beta shortfall trace gives for those cut-offs. Tolerance 1e-4 deg (~11 m): the two
    runs use different batch shapes, and XLA's CPU code differs in the last bits between shapes
    (measured: <= 1 m after a 10,000 km flight); territory borders matter at km scale."""
    calls = []
    real = flight._run
    monkeypatch.setattr(flight, "_run", lambda *a, **k: calls.append(a[0]["y0"].shape[0]) or real(*a, **k))
    res = cutoff_impacts_by_beta(missile, SITE, me_traj.azimuth_deg, me_traj.kick_deg, TIMES)
    assert calls == [32]
    monkeypatch.setattr(flight, "_run", real)
    assert res["lat"].shape == (4, 8)
    for i, beta in enumerate((1000.0, 5000.0, 20000.0, None)):
        tr = shortfall_trace(missile, SITE, trajectory=me_traj, beta_kg_m2=beta, dt_s=10.0, t_from_s=60.0)
        idx = np.searchsorted(tr.cutoff_s, TIMES)
        assert np.array_equal(tr.cutoff_s[idx], TIMES)
        assert np.abs(tr.lat[idx] - res["lat"][i]).max() < 1e-4
        assert np.abs(wrap_lon(tr.lon[idx] - res["lon"][i])).max() < 1e-4


def test_beta_sweep_orders_by_drag(missile, me_traj):
    """Physics, not code: from the same cut-off state, more drag (lower beta) loses more speed in
    re-entry, so the impact is nearer the launch point: 1000 < 5000 < 20000 kg/m^2 < vacuum at
    every cut-off after 100 s (fast, high states); and every payload still lands (sub-orbital)."""
    res = cutoff_impacts_by_beta(missile, SITE, me_traj.azimuth_deg, me_traj.kick_deg, TIMES)
    assert res["impacted"].all()
    d, _ = WGS84.distance_azimuth(SITE[0], SITE[1], res["lat"], res["lon"])
    d = np.asarray(d)[:, 1:]
    assert np.all(np.diff(d, axis=0) > 0.0)


def test_c5_answer_beta_table_matches_its_own_payload_shares(answer):
    """The sweep's row for the scenario's own beta (5000 kg/m^2) over the same window grid gives
    the answer's payload shares (exactly: same cut-offs; only a border within ~1 m of a sample
    could flip a label); every row's shares sum to 1; vacuum is labelled."""
    rows = answer["beta_sweep"]
    assert [r["label"] for r in rows] == ["1000 kg/m^2", "5000 kg/m^2", "20000 kg/m^2", "vacuum"]
    assert rows[1]["share_of_window"] == pytest.approx(answer["share_of_window"], abs=1e-9)
    for r in rows:
        assert sum(r["share_of_window"].values()) == pytest.approx(1.0)
        assert r["russia_share"] == r["share_of_window"].get("Russia", 0.0)
    assert "ballistic coefficient" in answer["plain"]


def test_beta_sensitivity_single_time_window(missile, me_traj):
    """A window of one intercept time: each beta's single impact takes the whole window. 17
    betas (16 from 1,000 to 20,000 kg/m^2, then vacuum) keep the batch at the shared 32-lane
    shape."""
    betas = (*np.geomspace(1000.0, 20000.0, 16), None)
    rows = beta_sensitivity(missile, SITE, me_traj.azimuth_deg, me_traj.kick_deg, [150.0], (150.0, 150.0),
                            betas=betas)
    assert [list(r["share_of_window"].values()) for r in rows] == [[1.0]] * 17
    assert rows[-1]["label"] == "vacuum" and rows[0]["beta_kg_m2"] == pytest.approx(1000.0)


@pytest.mark.parametrize("text", ["1000,fast", "0.5", "", "1000,,", "2e6"])
def test_bad_beta_sweep_names_the_option(text):
    with pytest.raises(InputError) as e:
        parse_betas(text)
    assert e.value.field == "--beta-sweep" and "kg/m^2" in e.value.allowed
    assert parse_betas("1000, 5000 ,vacuum") == (1000.0, 5000.0, None)


def test_cli_bad_beta_sweep_exits_2_with_one_line():
    exe = Path(sys.executable).with_name("boostphase")
    p = subprocess.run([str(exe), "shortfall", "--missile", "hwasong-15", "--launch", "39,125.7",
                        "--azimuth", "45", "--beta-sweep", "1000,fast", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --beta-sweep") and "'fast'" in lines[0]


# ---------------------------------------------------------------------------------------------
# 3. antimeridian
# ---------------------------------------------------------------------------------------------

def _cloud(lon_c: float, n: int = 4000, seed: int = 1) -> Footprint:
    """Synthetic impacts: a round Gaussian cloud, sigma 1 deg in lat and lon, at (50 N, lon_c)."""
    g = np.random.default_rng(seed)
    lat = 50.0 + g.standard_normal(n)
    lon = wrap_lon(lon_c + g.standard_normal(n))
    z = np.zeros(n)
    return Footprint(n=n, seed=seed, lat=lat, lon=lon, territory=np.full(n, "x", dtype=object),
                     impacted=np.ones(n, bool), flight_time_s=z, beta_kg_m2=z, kick_m_s=z, intercept_s=z,
                     shares={}, shares_ci={}, cities_at_risk=[], city_radius_km=1.0)


def _shoelace(ring) -> float:
    x, y = np.asarray(ring).T
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def test_contours_of_a_cloud_on_the_antimeridian_are_split_not_wrapped():
    """A cloud centred on lon 179.9: every output polygon stays inside [-180, 180] and spans far
    less than the map (a polygon wrapped coordinate by coordinate would span ~360 deg), parts lie
    on both sides of the antimeridian, and splitting loses no area. Independent check of the
    regions: for a round Gaussian the highest-density region holding a fraction p is the disc of
    radius sigma sqrt(-2 ln(1 - p)): area 4.355 deg^2 for p = 0.5 (tolerance 15 %: histogram
    bins and smoothing), and it holds half the points (tolerance 0.05: binomial sd 0.008 plus
    the bins)."""
    fp = _cloud(179.9)
    cs = fp.density_contours(bins=60)
    for c in cs:
        polys = c["polygons"]
        assert polys
        xs = [x for poly in polys for x, _ in poly[0]]
        assert min(xs) >= -180.0 and max(xs) <= 180.0
        assert min(xs) < -179.0 and max(xs) > 179.0          # both sides
        for poly in polys:
            px = [x for x, _ in poly[0]]
            assert max(px) - min(px) < 20.0
            assert poly[0][0] == poly[0][-1] and _shoelace(poly[0]) > 0   # closed, counter-clockwise
        area_split = sum(Polygon(p[0], p[1:]).area for p in polys)
        area_rings = sum(Polygon(r).area for r in c["rings"])
        assert area_split == pytest.approx(area_rings, rel=1e-9)
    half = cs[0]
    assert half["level"] == 0.5
    area = sum(Polygon(p[0], p[1:]).area for p in half["polygons"])
    assert area == pytest.approx(math.pi * -2.0 * math.log(0.5), rel=0.15)
    inside = np.zeros(fp.n, bool)
    for p in half["polygons"]:
        inside |= shapely.contains_xy(Polygon(p[0], p[1:]), fp.lon, fp.lat)
    assert abs(inside.mean() - 0.5) < 0.05


def test_geojson_and_kml_polygons_do_not_cross_the_map():
    fp = _cloud(179.9, n=3000)
    gj = fp.to_geojson(max_points=50)
    mps = [f["geometry"]["coordinates"] for f in gj["features"] if f["properties"]["kind"] == "density contour"]
    assert len(mps) == 3
    for mp in mps:
        assert len(mp) >= 2
        for poly in mp:
            xs = [pt[0] for pt in poly[0]]
            assert -180.0 <= min(xs) and max(xs) <= 180.0 and max(xs) - min(xs) < 20.0
    pts = [f["geometry"]["coordinates"][0] for f in gj["features"] if f["properties"]["kind"] == "fragment"]
    assert all(-180.0 <= x < 180.0 for x in pts)
    kml = fp.to_kml(max_points=10)
    polys = re.findall(r"<Polygon><outerBoundaryIs><LinearRing><coordinates>([^<]*)</coordinates>", kml)
    assert len(polys) >= 6
    for coords in polys:
        xs = [float(t.split(",")[0]) for t in coords.split()]
        assert max(xs) - min(xs) < 20.0 and -180.0 <= min(xs) and max(xs) <= 180.0


def test_split_leaves_a_cloud_away_from_the_antimeridian_whole():
    fp = _cloud(10.0, n=3000)
    for c in fp.density_contours(bins=60):
        assert len(c["polygons"]) == len(c["rings"])
        assert sum(Polygon(p[0]).area for p in c["polygons"]) == pytest.approx(
            sum(Polygon(r).area for r in c["rings"]), rel=1e-12)
    # a ring crossing 180 twice (a band from 170 E to 190 E = 170 W) -> two parts, areas 10 + 10
    parts = split_antimeridian([(170, 0), (190, 0), (190, 1), (170, 1), (170, 0)])
    assert sorted((min(x for x, _ in p[0]), max(x for x, _ in p[0])) for p in parts) == [(-180, -170), (170, 180)]
    assert [Polygon(p[0]).area for p in parts] == pytest.approx([10.0, 10.0])
