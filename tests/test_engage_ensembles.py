"""Distributions in engagement scenario files (issue 17): ``boostphase engage FILE.toml`` with
distribution tables runs a seeded ensemble; consequence files refuse distributions.

The reference for the ensemble is independent of its code: the TOML text is written again
for each sample with the sampled numbers in it, parsed and solved as one deterministic
scenario (``parse_scenario(...).build().engagements()``), and P, its Wilson interval and the
quantiles are recomputed from those rows with numpy. Equality is exact: the same numbers go
through the same deterministic engine and reach tables (no tolerance is needed or allowed).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from boostphase.engage import parse_scenario
from boostphase.ensembles import sample, wilson_interval
from boostphase.errors import InputError
from boostphase.scenario.engage_ensemble import MAX_REACH_TABLES, engage_ensemble
from boostphase.scenario.uncertain import field_value

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# one orbit, a liquid ICBM (payload uncertain) and a solid one; delays and orbit altitude uncertain
DISTS = {  # path -> (TOML table, unit, lo, hi as the field declares them)
    "timeline.detection_delay": ('{dist = "uniform", low = "30 s", high = "1.5 min"}', "s", 0.0, 1e7),
    "platform_defaults.altitude": ('{values = ["12 km", "18 km"]}', "m", 0.0, 5e7),
    "threats[0].payload_kg": ("{values = [500, 900]}", "kg", 1.0, 1e5),
}


def _toml(values: dict[str, str], ensemble: str = "") -> str:
    """The test scenario with each field's TOML value text (a number, a quantity or a table)."""
    v = {"timeline.detection_delay": '"45 s"', "platform_defaults.altitude": '"15 km"',
         "threats[0].payload_kg": "1000", **values}
    return f"""title = "ensemble test"
[timeline]
detection_delay = {v["timeline.detection_delay"]}
decision_time = "15 s"
launch_delay = "5 s"
[interceptor]
burnout_speed = "5 km/s"
[[threats]]
name = "liquid"
missile = "generic-liquid-icbm"
launch = [39.0, 125.7]
target = "Chicago"
payload_kg = {v["threats[0].payload_kg"]}
[[threats]]
name = "solid"
missile = "generic-solid-icbm"
launch = [39.0, 125.7]
target = "Chicago"
[platform_defaults]
altitude = {v["platform_defaults.altitude"]}
orbit_radius = "20 km"
[[platforms]]
name = "Chongjin"
centre = [41.0, 131.3]
{ensemble}"""


def _ensemble(n: int, seed: int, chunk: int = 256) -> dict:
    text = _toml({k: t for k, (t, *_) in DISTS.items()}, f"[ensemble]\nn = {n}\nseed = {seed}\nchunk = {chunk}\n")
    return engage_ensemble(parse_scenario(tomllib.loads(text)))["ensemble"]


def _direct_rows(n: int, seed: int) -> list[list[dict]]:
    """Each sample's rows from a plain loop over one-case scenarios written out as TOML."""
    parsed = {k: field_value(k, tomllib.loads(f"x = {t}")["x"], unit, lo, hi) for k, (t, unit, lo, hi) in DISTS.items()}
    s = sample(parsed, seed, 0, n)
    rows = []
    for i in range(n):
        text = _toml({k: repr(float(v[i])) for k, v in s.items()})
        rows.append([r.row() for r in parse_scenario(tomllib.loads(text)).build().engagements()])
    return rows


def test_p_and_quantiles_equal_a_direct_loop_of_single_engagements():
    n, seed = 40, 4
    ens = _ensemble(n, seed)
    direct = _direct_rows(n, seed)
    assert ens["n"] == n and set(ens["inputs"]) == set(DISTS)
    assert ens["cost"]["reach_tables_built"] == 2  # two orbit altitudes: one table each, shared
    assert [p["threat"] for p in ens["pairs"]] == ["liquid", "solid"]
    for j, pair in enumerate(ens["pairs"]):
        ok = np.array([r[j]["intercept_possible"] for r in direct])
        p = pair["intercept_possible"]
        lo, hi = wilson_interval(ok.sum(), ok.size)
        assert (p["n"], p["k"], p["ci95"]) == (n, int(ok.sum()), [float(lo), float(hi)])
        for key in ("intercept_time_s", "margin_before_burnout_s"):
            x = np.array([np.nan if r[j][key] is None else r[j][key] for r in direct])
            fin = x[np.isfinite(x)]
            assert pair[key]["n"] == fin.size
            assert list(pair[key]["quantiles"].values()) == [float(np.quantile(fin, q))
                                                             for q in (0.05, 0.25, 0.5, 0.75, 0.95)]
        # the generic outputs (the scenario layer's names) hold the same numbers
        t = np.array([np.nan if r[j]["intercept_time_s"] is None else r[j]["intercept_time_s"] for r in direct])
        assert ens["outputs"][f"engagements[{j}].intercept_time_s"]["quantiles"]["q50"] == \
            float(np.quantile(t[np.isfinite(t)], 0.5))
    share = [np.mean([x["intercept_possible"] for x in r]) for r in direct]
    assert ens["headline"] == "intercepted_share" and ens["outputs"]["intercepted_share"]["mean"] == float(np.mean(share))
    # the solid ICBM's short boost makes it the uncertain one, and a later detection can only
    # leave less of its boost: the delay's effect on its P is <= 0 (nothing else is asserted)
    solid = ens["pairs"][1]
    assert 0 < solid["intercept_possible"]["p"] < 1
    delay = next(s for s in solid["sensitivity"] if s["input"] == "timeline.detection_delay")
    assert delay["effect"] <= 0


def test_same_seed_same_json_at_any_chunk_other_seed_differs():
    a, b, c = _ensemble(24, 9, chunk=24), _ensemble(24, 9, chunk=5), _ensemble(24, 10, chunk=24)
    for e in (a, b, c):
        e.pop("cost")  # tables built: a property of the run, not of the result
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert json.dumps(a, sort_keys=True) != json.dumps(c, sort_keys=True)


HOSTILE = [
    ("timeline.detection_delay.low", "timeline.detection_delay", '{dist = "uniform", low = nan, high = 60}'),
    ("timeline.detection_delay.sd", "timeline.detection_delay", '{dist = "normal", mean = 45, sd = 15}'),
    ("platform_defaults.altitude.high", "platform_defaults.altitude", '{dist = "uniform", low = "20 km", high = "1 km"}'),
    ("platform_defaults.altitude.dist", "platform_defaults.altitude", '{dist = "cauchy", low = 1, high = 2}'),
    ("threats[0].payload_kg.mode", "threats[0].payload_kg", '{dist = "uniform", low = 500, high = 900, mode = 600}'),
    ("threats[0].payload_kg.low", "threats[0].payload_kg", '{dist = "uniform", low = "9**9**9 kg", high = 900}'),
]


@pytest.mark.parametrize("named,path,table", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_tables_exit_2_with_one_line_naming_the_field(tmp_path, named, path, table):
    f = tmp_path / "s.toml"
    f.write_text(_toml({path: table}, "[ensemble]\nn = 10\n"))
    before = sorted(p.name for p in tmp_path.iterdir())
    r = subprocess.run([sys.executable, "-m", "boostphase.cli", "engage", str(f), "--json"], capture_output=True,
                       text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 2, (r.stdout, r.stderr)
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    # the loader names the file, then the field (with the table's key) as in the TOML
    field = named.replace("threats[0]", "threats.0")
    assert len(err) == 1 and err[0].startswith(f"error: s.toml: {field}: got"), r.stderr
    assert "Traceback" not in r.stderr
    assert json.loads(r.stdout)["error"]["field"] == f"s.toml: {field}"  # --json: the error as JSON too
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_caps_refuse_before_any_work():
    text = _toml({"timeline.detection_delay": '"45 s"'}, "")
    data = tomllib.loads(text)
    data["interceptor"]["burnout_speed"] = {"dist": "uniform", "low": "4 km/s", "high": "6 km/s"}
    data["ensemble"] = {"n": MAX_REACH_TABLES + 1}
    with pytest.raises(InputError) as e:  # one reach table per sample: over the cap, refused at once
        engage_ensemble(parse_scenario(data))
    assert e.value.field == "ensemble.n" and "reach tables" in e.value.allowed and "choice" in e.value.hint
    data["ensemble"] = {"n": 10, "workers": 2}
    with pytest.raises(InputError) as e:
        engage_ensemble(parse_scenario(data))
    assert e.value.field == "ensemble.workers"
    data["ensemble"] = {"n": 2001}
    with pytest.raises(InputError) as e:  # the scenario layer's cap on loops of one computation each
        engage_ensemble(parse_scenario(data))
    assert e.value.field == "ensemble.n" and "2,000" in e.value.allowed


def test_one_case_commands_refuse_a_distribution_naming_it(tmp_path):
    data = tomllib.loads(_toml({"platform_defaults.altitude": '{values = ["12 km", "18 km"]}'}))
    with pytest.raises(InputError) as e:  # engage-map, engage-sensitivity, c4 build one case
        parse_scenario(data).build()
    assert e.value.field == "platform_defaults.altitude" and "boostphase engage" in e.value.allowed
    f = tmp_path / "s.toml"
    f.write_text(_toml({"platform_defaults.altitude": '{values = ["12 km", "18 km"]}'}) + "[map]\nlat = [38, 44]\n"
                 "lon = [128, 134]\nn_lat = 4\nn_lon = 4\n")
    r = subprocess.run([sys.executable, "-m", "boostphase.cli", "engage-map", str(f), "--out", str(tmp_path / "m.png")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("error: platform_defaults.altitude: got 'a distribution"), r.stderr
    assert not (tmp_path / "m.png").exists()


@pytest.mark.parametrize("where,key,table", [
    ("threat", "payload_kg", {"dist": "uniform", "low": 600, "high": 900}),
    ("threat", "payload_beta", {"dist": "uniform", "low": "3000 kg/m^2", "high": "6000 kg/m^2"}),
    ("intercept", "time", {"values": ["100 s", "120 s"]}),
])
def test_consequence_files_parse_and_refuse_distributions(where, key, table):
    from boostphase.consequence import parse_scenario as parse_c5

    data = tomllib.loads((EXAMPLES / "c5_chicago.toml").read_text())
    data[where] = {**data[where], key: table}
    if key == "time":
        data["intercept"].pop("window", None)
    with pytest.raises(InputError) as e:
        parse_c5(data)
    assert e.value.field == f"{where}.{key}"
    assert "boostphase run" in e.value.allowed and "footprint" in e.value.allowed
    data[where][key] = {"dist": "normal", "mean": 700, "sd": -1}  # a malformed table: its own error
    with pytest.raises(InputError) as e:
        parse_c5(data)
    assert e.value.field == f"{where}.{key}.sd"


def test_a_distribution_in_a_footprints_engagement_laydown_is_refused():
    from boostphase.consequence import parse_scenario as parse_c5

    data = tomllib.loads((EXAMPLES / "c5_chicago.toml").read_text())
    data["engagement"] = {"timeline": {"detection_delay": {"dist": "uniform", "low": 30, "high": 60}}}
    with pytest.raises(InputError) as e:
        parse_c5(data)
    assert "timeline.detection_delay" in e.value.field and "boostphase engage" in e.value.allowed


def test_the_uncertain_delays_example_runs(tmp_path):
    """The shipped example, with n lowered to keep the test short: three pairs, the three
    delays as inputs (the detection delay inside the APS study's 30-65 s)."""
    text = (EXAMPLES / "c4_uncertain_delays.toml").read_text().replace("n = 400", "n = 30")
    f = tmp_path / "c4_uncertain_delays.toml"
    f.write_text(text)
    r = subprocess.run([sys.executable, "-m", "boostphase.cli", "engage", str(f), "--json"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    ens = json.loads(r.stdout)["ensemble"]
    assert ens["n"] == 30 and len(ens["pairs"]) == 3
    assert set(ens["inputs"]) == {"timeline.detection_delay", "timeline.decision_time", "timeline.launch_delay"}
    assert ens["inputs"]["timeline.detection_delay"]["params"] == [30.0, 65.0]


def test_a_file_without_distributions_runs_as_before():
    """No distribution, no [ensemble]: the deterministic output, with no ensemble key."""
    from typer.testing import CliRunner

    from boostphase.cli import app

    r = CliRunner().invoke(app, ["engage", str(EXAMPLES / "c4_single_orbit.toml"), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out) == {"title", "interceptor", "timeline", "keep_out", "engagements"}
    assert len(out["engagements"]) == 4
