"""Consequences of a boost-phase intercept (claim C5): shortfall trace and fragment footprint.

Kept fast by sharing engine batch shapes: every shortfall trace here has at most 32 cut-offs
(the shape the flyout searches already use), and every fragment run goes through the fixed
1024-lane fragment kernel.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from boostphase.consequence import (
    BetaDist,
    Kick,
    footprint,
    fragment_draws,
    load_scenario,
    parse_scenario,
    share_of_window,
    shortfall_trace,
    territory_intervals,
    territory_shares,
    wilson_interval,
)
from boostphase.errors import InputError
from boostphase.models.earth import WGS84
from boostphase.models.geography import territory
from conftest import SITE  # noqa: E402  (the shared flight's launch point and azimuth)

BETA_RV = 5000.0      # payload ballistic coefficient (kg/m^2) assumed in the C5 examples
REPO = Path(__file__).resolve().parents[1]


# fixtures `missile` and `me_traj` (the min-energy flight from SITE on AZ): tests/conftest.py


@pytest.fixture(scope="module")
def trace(missile, me_traj):
    # cut-offs 2, 12, ..., 292 s and burnout (296 s): 31 cases, one engine call
    return shortfall_trace(missile, SITE, trajectory=me_traj, beta_kg_m2=BETA_RV, dt_s=10.0, t_from_s=2.0)


def _km(lat1, lon1, lat2, lon2):
    d, _ = WGS84.distance_azimuth(lat1, lon1, lat2, lon2)
    return np.asarray(d) / 1e3


# ---------------------------------------------------------------------------------------------
# shortfall trace
# ---------------------------------------------------------------------------------------------

def test_cutoff_at_burnout_lands_at_the_nominal_impact(trace, me_traj):
    """A cut-off at burnout flies the full boost: the state then is the nominal burnout state
    (to 1 m, 1 mm/s) and the payload lands within 25 km (0.25 % of the 10,400 km range) of the
    nominal impact. Why not at the same point: the catalog model has no payload beta, so the
    nominal flight's payload stays on its spent last stage (payload + 1,000 kg dry mass, the
    stage's 3.8 m^2 and Cd 0.2-0.27: beta about 2,000-2,600 kg/m^2), while after a cut-off the
    payload flies alone with beta 5,000 kg/m^2, loses less speed in re-entry and lands farther
    (measured: ~15 km; ~30 km in vacuum)."""
    assert trace.cutoff_s[-1] == pytest.approx(me_traj.burnout_time_s)
    s = trace.state[-1]
    assert np.linalg.norm(s[:3] - me_traj.burnout_state[:3]) < 1.0
    assert np.linalg.norm(s[3:] - me_traj.burnout_state[3:]) < 1e-3
    miss = _km(*me_traj.impact_lat_lon_deg, trace.lat[-1], trace.lon[-1])
    assert miss < 25.0
    assert trace.territory[-1] == territory(*me_traj.impact_lat_lon_deg)


def test_cutoff_moments_after_launch_lands_near_the_launch_site(trace):
    """Thrust stopped 2 s after lift-off: the missile has risen a few tens of metres and falls
    back; it lands within 2 km of the pad (measured ~0.2 km, the Earth turning under it)."""
    assert trace.cutoff_s[0] == 2.0
    assert _km(*SITE, trace.lat[0], trace.lon[0]) < 2.0
    assert trace.territory[0] == "North Korea"


def test_impacts_move_downrange_monotonically(trace):
    """For a min-energy threat a later cut-off means more speed and height: the payload lands
    strictly farther from the launch point at every later cut-off."""
    d = _km(*SITE, trace.lat, trace.lon)
    assert np.all(np.diff(d) > 0.0)
    assert d[-1] > 10_000.0


def test_intervals_tile_the_trace_and_shares_sum_to_one(trace):
    iv = trace.intervals
    assert iv[0]["from_s"] == trace.cutoff_s[0] and iv[-1]["to_s"] == trace.cutoff_s[-1]
    for a, b in zip(iv, iv[1:], strict=False):
        assert a["to_s"] == b["from_s"] and a["territory"] != b["territory"]
    sh = share_of_window(iv, 60.0, trace.burnout_s)
    assert sum(sh.values()) == pytest.approx(1.0)
    # the trace crosses North Korea, Russia and the seas north-east of it
    names = {x["territory"] for x in iv}
    assert {"North Korea", "Russia", "Sea of Okhotsk"} <= names
    rows = trace.rows()
    assert set(rows[0]) == {"cutoff_s", "lat", "lon", "territory", "nearest_city", "nearest_city_km"}


def test_territory_intervals_and_window_shares_by_hand():
    t = [10, 11, 12, 13, 14, 15]
    lab = ["A", "A", "B", "B", "B", "A"]
    iv = territory_intervals(t, lab)
    assert iv == [{"territory": "A", "from_s": 10.0, "to_s": 11.5},
                  {"territory": "B", "from_s": 11.5, "to_s": 14.5},
                  {"territory": "A", "from_s": 14.5, "to_s": 15.0}]
    assert share_of_window(iv, 10, 15) == pytest.approx({"B": 0.6, "A": 0.4})
    assert share_of_window(iv, 12, 14) == {"B": 1.0}
    with pytest.raises(InputError):
        share_of_window(iv, 5, 15)  # outside the trace
    with pytest.raises(InputError):
        share_of_window(iv, 14, 12)


def test_territory_labels_for_known_points():
    """Known points get the Natural Earth names the shares are keyed by."""
    lat = np.array([39.03, 55.75, 43.12, 53.0, 34.05, 57.0])
    lon = np.array([125.75, 37.62, 131.9, 150.0, -118.24, -178.0])
    got = list(territory(lat, lon))
    assert got == ["North Korea", "Russia", "Russia", "Sea of Okhotsk", "United States of America",
                   "Bering Sea"]
    shares, ci = territory_shares(got + ["Russia"])
    assert list(shares)[0] == "Russia" and shares["Russia"] == pytest.approx(3 / 7)
    assert ci["Russia"][0] < 3 / 7 < ci["Russia"][1]


def test_wilson_interval_known_values():
    """Wilson (1927) score interval, z = 1.96: 0 of 10 -> [0, 0.278]; 5 of 10 -> [0.237, 0.763]."""
    lo, hi = wilson_interval(np.array([0, 5]), 10)
    assert lo == pytest.approx([0.0, 0.2366], abs=1e-4)
    assert hi == pytest.approx([0.2775, 0.7634], abs=1e-4)


# ---------------------------------------------------------------------------------------------
# fragment footprint
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def intercept_state(trace):
    """The threat's state 172 s after launch (about 150 km up, near 3.3 km/s)."""
    i = int(np.flatnonzero(trace.cutoff_s == 172.0)[0])
    return trace.state[i]


def test_random_draws_depend_only_on_seed_and_index():
    u, z = fragment_draws(11, 0, 1000)
    for a, b in ((0, 1), (255, 257), (300, 1000), (999, 1000)):
        ua, za = fragment_draws(11, a, b)
        assert np.array_equal(ua, u[a:b]) and np.array_equal(za, z[a:b])
    assert not np.array_equal(fragment_draws(12, 0, 10)[0], u[:10])


def test_same_seed_bit_identical_whatever_the_chunking(intercept_state):
    """One chunk of 1,500 fragments (sorted by beta into two engine calls) against chunks of
    333 (five calls, other neighbours, other lanes): every impact is bit-identical."""
    kick = Kick(direction="cone", cone_half_angle=60.0, magnitude="uniform", min=20.0, max=400.0)
    a = footprint(intercept_state, n=1500, seed=7, kick=kick, chunk_size=1500, city_radius_km=10.0)
    b = footprint(intercept_state, n=1500, seed=7, kick=kick, chunk_size=333, city_radius_km=10.0)
    for key in ("lat", "lon", "flight_time_s", "beta_kg_m2", "kick_m_s"):
        assert np.array_equal(getattr(a, key), getattr(b, key)), key
    assert a.shares == b.shares and a.cities_at_risk == b.cities_at_risk
    c = footprint(intercept_state, n=1500, seed=8, kick=kick, chunk_size=1500, city_radius_km=10.0)
    assert not np.array_equal(a.lat, c.lat)


def test_fragment_shares_converge_as_n_grows(intercept_state):
    """Shares from independent runs (different seeds) of 500 and 2,000 fragments agree with a
    run of 8,000 within a stated tolerance: 4 standard errors of the difference of two binomial
    proportions, sqrt(p (1 - p) (1/n + 1/8000)), plus 1/n for the discreteness. (For a 95 %
    interval the chance that any one territory fails is ~6e-5.) The Wilson intervals narrow as
    1/sqrt(n): 16x the fragments, about a quarter of the width."""
    runs = {n: footprint(intercept_state, n=n, seed=100 + n, city_radius_km=5.0) for n in (500, 2000, 8000)}
    ref = runs[8000].shares
    assert len(ref) >= 3  # the cloud spreads over several territories: a real test
    for n in (500, 2000):
        sh = runs[n].shares
        for name in set(ref) | set(sh):
            p = ref.get(name, 0.0)
            tol = 4.0 * np.sqrt(max(p * (1 - p), 1e-4) * (1 / n + 1 / 8000)) + 1.0 / n
            assert abs(sh.get(name, 0.0) - p) <= tol, (n, name)
    top = next(iter(ref))
    w = {n: np.diff(runs[n].shares_ci.get(top, [0, 0]))[0] for n in (500, 8000)}
    assert 0.18 < w[8000] / w[500] < 0.35
    # every fragment lands somewhere (the kicks are far below orbital speed)
    assert all(r.impacted.all() for r in runs.values())


def test_footprint_scenario_payload_stages_and_exports(tmp_path):
    """A whole scenario: min-energy threat on azimuth 45, intercept 200 s after launch. The
    intact payload lands where the shortfall trace says; stage 1 (burnt out at 121 s) falls on
    its own; the exports hold the points and the density contours."""
    sc = parse_scenario({
        "seed": 3, "threat": {"missile": "hwasong-15", "launch": "39.0, 125.7", "azimuth": "45 deg",
                              "payload_beta": "5000 kg/m^2"},
        "intercept": {"time": "200 s", "dt": "10 s"},
        "fragments": {"n": 1000, "kick": {"median": "80 m/s", "sigma": 0.5},
                      "beta": {"median": "300 kg/m^2", "sigma": 0.8}},
        "report": {"city_radius": "30 km"},
    })
    fp = footprint(sc)
    assert fp.n == 1000 and fp.seed == 3
    assert sum(fp.shares.values()) == pytest.approx(1.0)
    assert set(fp.shares) == set(fp.shares_ci)
    i = int(np.flatnonzero(fp.trace.cutoff_s == 200.0)[0])
    pay = fp.payload["impacts"]
    assert len(pay) == 1 and pay[0]["lat"] == fp.trace.lat[i] and pay[0]["lon"] == fp.trace.lon[i]
    assert [s["separation_s"] for s in fp.stages] == [121.0]
    assert fp.stages[0]["territory"] in ("Russia", "North Korea", "China", "Sea of Japan")
    d = json.loads(json.dumps(fp.to_dict()))
    assert {"shares", "shares_ci", "n", "seed", "cities_at_risk"} <= set(d)
    gj = fp.to_geojson(max_points=100)
    kinds = [f["properties"]["kind"] for f in gj["features"]]
    assert kinds.count("fragment") == 100 and "payload" in kinds and "density contour" in kinds
    fp.to_csv(tmp_path / "f.csv")
    assert len((tmp_path / "f.csv").read_text().splitlines()) == 1001
    assert fp.to_kml().count("<Placemark>") > 100


def test_example_scenarios_parse():
    for name in ("los_angeles", "chicago", "washington"):
        sc = load_scenario(REPO / "examples" / f"c5_{name}.toml")
        assert sc.threat.missile == "hwasong-15" and sc.intercept.window[1] == "burnout"


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------

_GOOD = {"threat": {"missile": "hwasong-15", "launch": [39.0, 125.7], "target": "Los Angeles"}}


@pytest.mark.parametrize("patch, field", [
    ({"fragments": {"kick": {"median": "5 kg"}}}, "fragments.kick.median"),
    ({"fragments": {"kick": {"direction": "sideways"}}}, "fragments.kick.direction"),
    ({"fragments": {"n": 0}}, "fragments.n"),
    ({"fragments": {"beta": {"median": "-3 kg/m^2"}}}, "fragments.beta.median"),
    ({"fragments": {"nn": 5}}, "fragments.nn"),
    ({"intercept": {"window": ["60 s", "later"]}}, "intercept.window.1"),
    ({"threat": {"missile": "hwasong-15", "launch": [99.0, 125.7]}}, "threat.launch"),
    ({"threat": {"missile": "hwasong-15", "launch": [39.0, 125.7], "target": "Los Angelez"}}, "threat.target"),
    ({"seed": -1}, "seed"),
])
def test_bad_scenario_values_name_the_field(patch, field):
    data = json.loads(json.dumps(_GOOD))
    for k, v in patch.items():
        data[k] = v
    with pytest.raises(InputError) as e:
        parse_scenario(data)
    assert e.value.field == field


def test_bad_window_and_missile_are_input_errors(intercept_state):
    sc = parse_scenario({**_GOOD, "intercept": {"window": ["200 s", "100 s"]}})
    from boostphase.consequence import resolve_window

    with pytest.raises(InputError) as e:
        resolve_window(sc, 296.0)
    assert e.value.field == "intercept.window"
    with pytest.raises(InputError) as e:
        footprint(parse_scenario({"threat": {"missile": "nosuch", "launch": [39, 125.7], "azimuth": 45}}))
    assert e.value.field == "threat.missile"
    with pytest.raises(InputError):
        footprint(intercept_state[:5], n=10)
    with pytest.raises(InputError) as e:
        BetaDist(median="-1 kg/m^2")
    assert e.value.field == "BetaDist.median"


def test_cli_bad_scenario_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[threat]\nmissile = "hwasong-15"\nlaunch = [39.0, 125.7]\ntarget = "Los Angeles"\n'
                   '[fragments.kick]\nmedian = "fast"\n')
    exe = Path(sys.executable).with_name("boostphase")
    p = subprocess.run([str(exe), "footprint", str(bad), "--json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: fragments.kick.median")
