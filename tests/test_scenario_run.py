"""``boostphase run FILE.toml``: a scenario file of any kind goes through the same specs and
computations as the web API and the run store (scenario.registry), and gives the same answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from boostphase.errors import InputError
from boostphase.scenario.registry import run_scenario, scenario_kinds, scenario_schema


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "boostphase.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def test_a_check_scenario_file_gives_the_check_commands_answer(tmp_path):
    f = tmp_path / "c3.toml"
    f.write_text('kind = "check"\nrange_km = 1000\napogee_km = "100 km"\npeak_mach = 14\n')
    ran = _cli("run", f, "--json")
    direct = _cli("check", "--range-km", "1000", "--apogee-km", "100", "--peak-mach", "14", "--json")
    assert ran.returncode == 0 and direct.returncode == 0, ran.stderr + direct.stderr
    a, b = json.loads(ran.stdout), json.loads(direct.stdout)
    assert a["verdict"] == b["verdict"] == "too_fast_for_ballistic"
    assert a["ballistic_consistent"] == b["ballistic_consistent"]


def test_a_flyout_scenario_equals_the_python_flyout():
    """Same spec, same numbers: the scenario's range is fly()'s range (both rtol 1e-10)."""
    from boostphase.api import fly, load

    kind, summary = run_scenario({"kind": "flyout", "missile": "no-dong", "launch": "39.0,125.7", "azimuth_deg": 40})
    direct = fly(load("no-dong"), 39.0, 125.7, azimuth_deg=40.0).summary()
    assert kind == "flyout" and summary["range_km"] == pytest.approx(direct["range_km"], rel=1e-12)


@pytest.mark.parametrize("data, field", [
    ({"kind": "orbit"}, "kind"),
    ({"range_km": 1000}, "kind"),
    ({"kind": "check", "range_km": "nan"}, "range_km"),
    ({"kind": "check", "range_km": 1000, "bogus": 1}, "bogus"),
])
def test_bad_scenarios_name_the_field(data, field):
    with pytest.raises(InputError) as e:
        run_scenario(data)
    assert e.value.field == field


def test_every_kind_has_a_json_schema_with_its_kind():
    for kind in scenario_kinds():
        schema = scenario_schema(kind)
        assert schema["properties"]["kind"]["const"] == kind and schema["required"][0] == "kind"


@pytest.mark.parametrize("name, command", [
    ("c4_single_orbit.toml", ["engage"]),
    ("c5prob_nk_threats.toml", ["c5", "--spec"]),
])
def test_every_scenario_file_runs_with_boostphase_run(tmp_path, name, command):
    """Engagement, consequence, C4, C5 and sweep files are not registry kinds: `boostphase run`
    recognises them by their tables and runs their own command, so its JSON is that command's."""
    path = Path(__file__).resolve().parents[1] / "examples" / name
    if name.startswith("c5prob"):  # a small C5: one target, 20 engagements
        path = tmp_path / name
        path.write_text('[c5]\nmissiles = ["hwasong-15"]\ntargets = ["Chicago"]\nn = 20\nfragment_intercepts = 0\n'
                        'policies = ["earliest"]\n')
    via_run = _cli("run", path, "--json")
    direct = _cli(*command, path, "--json")
    assert via_run.returncode == 0 == direct.returncode, via_run.stderr[-400:]
    a, b = json.loads(via_run.stdout), json.loads(direct.stdout)
    for d in (a, b):
        d.pop("timing_s", None)
    assert a == b


def test_a_sweep_file_through_run_needs_an_output_folder(tmp_path):
    p = _cli("run", Path(__file__).resolve().parents[1] / "examples" / "sweep_coast_speed_angle.toml")
    assert p.returncode == 2 and "--out" in p.stderr and "Traceback" not in p.stderr
