"""Uncertain inputs in scenarios (issue 17): any numeric field of a spec may be a distribution
table; the scenario then runs as a seeded ensemble.

References are independent of the ensemble code: each reported quantile and probability is
recomputed here from a plain loop over the samples calling the single-case computation
(``run_scenario`` with numbers) and numpy; the Wilson interval's coverage is measured against a
known p; bad distribution tables must give exit 2 / HTTP 422 with one line naming the field."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from boostphase.ensembles import proportion, sample, uniforms, wilson_interval
from boostphase.scenario.registry import run_scenario, scenario_schema
from boostphase.scenario.specs import EXAMPLES
from boostphase.scenario.uncertain import field_value

ENGAGE = {"kind": "engage", **EXAMPLES["engage"]}
FLYOUT = {"kind": "flyout", "missile": "hwasong-14", "launch": "40.61556,126.46306", "azimuth_deg": 45.0}


def _direct(data: dict, dists: dict, seed: int, n: int) -> list[dict]:
    """The single-case summaries of every sample, by a plain loop (the reference)."""
    from boostphase.scenario.ensemble import flatten
    from boostphase.scenario.uncertain import distributions_of

    parsed = {k: field_value(k, v, *_unit(data["kind"], k)) for k, v in dists.items()}
    s = sample({k: v for k, v in parsed.items()}, seed, 0, n)
    out = []
    for i in range(n):
        case = {**data, **{k: float(v[i]) for k, v in s.items()}}
        out.append(flatten(json.loads(json.dumps(run_scenario(case)[1]))))
    assert distributions_of  # imported for the reader: the ensemble finds the same fields
    return out


def _unit(kind: str, field: str):
    """(unit, lo, hi) of a spec field, as the spec declares it."""
    import typing

    from boostphase.scenario.registry import KIND_ALIASES, panel_computations

    fi = panel_computations()[KIND_ALIASES.get(kind, kind)][0].model_fields[field]
    metas = list(fi.metadata) + [m for a in typing.get_args(fi.annotation) for m in getattr(a, "__metadata__", ())]
    for meta in metas:
        f = getattr(meta, "func", None)
        if f is not None and f.__closure__ and "unit" in f.__code__.co_freevars:
            cells = dict(zip(f.__code__.co_freevars, (c.cell_contents for c in f.__closure__), strict=True))
            return cells["unit"], cells["lo"], cells["hi"]
    raise AssertionError(field)


def _check_against_direct(ens: dict, direct: list[dict], qs=(0.05, 0.25, 0.5, 0.75, 0.95)) -> None:
    n = len(direct)
    assert ens["n"] == n
    for name, o in ens["outputs"].items():
        x = np.array([np.nan if d.get(name) is None else float(d[name]) for d in direct])
        fin = x[np.isfinite(x)]
        assert o["n"] == fin.size, name
        # exact: same numbers, same numpy quantile (bit for bit: the engine is deterministic)
        assert list(o["quantiles"].values()) == [float(np.quantile(fin, q)) for q in qs], name
        assert o["mean"] == float(fin.mean()), name
    for name, p in ens["probabilities"].items():
        if "=" in name or " " in name:
            continue
        e = np.array([bool(d[name]) for d in direct if d.get(name) is not None])
        assert p["n"] == e.size and p["k"] == int(e.sum()), name
        lo, hi = wilson_interval(e.sum(), e.size)
        assert p["ci95"] == [float(lo), float(hi)], name


def test_engage_ensemble_equals_a_loop_of_single_engagements():
    dists = {"delay_s": {"dist": "uniform", "low": "30 s", "high": "2.5 min"},
             "orbit_radius_km": {"dist": "triangular", "low": 10, "mode": 20, "high": 60}}
    n, seed = 120, 7
    _, res = run_scenario({**ENGAGE, **dists, "ensemble": {"n": n, "seed": seed, "chunk": 50,
                                                           "events": [{"output": "rows[0].intercept_time_s",
                                                                       "above": 200}]}})
    ens = res["ensemble"]
    direct = _direct(ENGAGE, dists, seed, n)
    _check_against_direct(ens, direct)
    # the headline is the intercept's probability; the delay moves it most (a later launch
    # leaves less of the boost), more than where on a 10-60 km orbit the UAV is
    p = ens["probabilities"]["rows[0].intercept_possible"]
    assert 0 < p["p"] < 1
    assert ens["sensitivity"][0]["input"] == "delay_s" and ens["sensitivity"][0]["effect"] < 0
    ev = ens["probabilities"]["rows[0].intercept_time_s > 200"]
    t = np.array([d["rows[0].intercept_time_s"] for d in direct if d.get("rows[0].intercept_time_s") is not None])
    assert ev["n"] == t.size and ev["k"] == int((t > 200).sum())
    assert set(ens["inputs"]) == set(dists)


def _counting_calls(module, name: str, scenario: dict) -> tuple[list[int], dict]:
    """Run ``scenario`` and return the batch size of every call of ``module.name`` (the engine
    entry point a batched ensemble must call once for all its samples) and the result."""
    calls = []
    orig = getattr(module, name)

    def spy(jobs):
        calls.append(len(jobs))
        return orig(jobs)

    mp = pytest.MonkeyPatch()
    mp.setattr(module, name, spy)
    try:
        _, res = run_scenario(scenario)
    finally:
        mp.undo()
    return calls, res


def test_flyout_ensemble_is_batched_and_equals_single_flyouts():
    """The min-energy flyout flies all samples in batched engine calls; each sample's summary
    must equal fly()'s for the same payload (the engine is bit-identical across batches)."""
    dists = {"payload_kg": {"dist": "normal", "mean": "500 kg", "sd": "40 kg"}}
    n, seed = 16, 3
    from boostphase.flight import flyout

    calls, res = _counting_calls(flyout, "max_range_kicks", {**FLYOUT, **dists, "ensemble": {"n": n, "seed": seed}})
    assert calls == [n]  # one search over all samples, not n searches
    direct = _direct(FLYOUT, dists, seed, n)
    _check_against_direct(res["ensemble"], direct)
    r = res["ensemble"]["outputs"]["range_km"]["quantiles"]
    assert r["q05"] < r["q50"] < r["q95"]  # a heavier payload flies shorter: the spread is real


@pytest.mark.parametrize("steering", [{"kick_deg": 20.0}, {"kick_deg": 12.0, "pitch_hold_rate_deg_s": 1.0}])
def test_fixed_kick_flyout_ensemble_is_batched_and_equals_single_flyouts(steering):
    """A fixed kick needs no search: every sample flies in one recorded engine call, and each
    summary equals the single fixed-kick flyout's (compute_flyout, profile fixed-kick)."""
    from boostphase.flight import flyout
    from boostphase.scenario.ensemble import is_batched
    from boostphase.scenario.specs import FlyoutRequest

    data = {**FLYOUT, **steering}
    assert is_batched("flight", FlyoutRequest(**{k: v for k, v in data.items() if k != "kind"}))
    dists = {"azimuth_deg": {"dist": "uniform", "low": 40, "high": 60},
             "payload_kg": {"dist": "uniform", "low": "400 kg", "high": "600 kg"}}
    calls, res = _counting_calls(flyout, "fly_trajectories", {**data, **dists, "ensemble": {"n": 12, "seed": 4}})
    assert calls == [12]
    _check_against_direct(res["ensemble"], _direct(data, dists, 4, 12))


def test_check_ensemble_verdict_probabilities():
    dists = {"peak_mach": {"values": [5, 14], "weights": [1, 3]}}
    n = 24
    data = {"kind": "check", **EXAMPLES["check"]}
    _, res = run_scenario({**data, **dists, "ensemble": {"n": n, "seed": 11}})
    ens = res["ensemble"]
    direct = _direct(data, dists, 11, n)
    _check_against_direct(ens, direct)
    verdicts = [d["verdict"] for d in direct]
    for v in set(verdicts):
        assert ens["probabilities"][f"verdict={v}"]["k"] == verdicts.count(v)


def test_wilson_interval_covers_a_known_p():
    """Coverage of the 95 % Wilson interval over 2,000 seeds of a Bernoulli event on the
    samples themselves (u < 0.3 for the counter-based uniforms, so p = 0.3 exactly): the
    binomial sampling error of a coverage of 0.95 over 2,000 trials is 0.005, and Wilson's
    coverage at n = 60, p = 0.3 is known to lie within about 0.93-0.96: accept 0.925-0.975."""
    n, p = 60, 0.3
    hits = 0
    for seed in range(2000):
        e = uniforms(seed, 1234, np.arange(n)) < p
        r = proportion(e)
        hits += r["ci95"][0] <= p <= r["ci95"][1]
    assert 0.925 <= hits / 2000 <= 0.975


def test_same_seed_same_json_at_any_chunk_other_seed_differs():
    dists = {"delay_s": {"dist": "lognormal", "median": 60, "sigma": 0.2}}
    base = {**ENGAGE, **dists}
    a = run_scenario({**base, "ensemble": {"n": 60, "seed": 5, "chunk": 60}})[1]
    b = run_scenario({**base, "ensemble": {"n": 60, "seed": 5, "chunk": 7}})[1]
    c = run_scenario({**base, "ensemble": {"n": 60, "seed": 6, "chunk": 60}})[1]
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert json.dumps(a, sort_keys=True) != json.dumps(c, sort_keys=True)


@pytest.mark.slow
def test_dask_workers_give_the_same_json():
    dists = {"delay_s": {"dist": "uniform", "low": 40, "high": 120}}
    base = {**ENGAGE, **dists}
    a = run_scenario({**base, "ensemble": {"n": 40, "seed": 2, "chunk": 40}})[1]
    b = run_scenario({**base, "ensemble": {"n": 40, "seed": 2, "chunk": 9, "workers": 2}})[1]
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize("table,unit,mean", [
    ('{dist = "uniform", low = 200, high = 260}', "", 230.0),
    ('{dist = "uniform", low = "200 km", high = "260 km"}', "", 230.0),
    ('{dist = "normal", mean = 230, sd = 5}', "", 230.0),
    ('{dist = "normal", mean = "230000 m", sd = "5 km"}', "", 230.0),
    ('{dist = "lognormal", median = 230, sigma = 0.01}', "", 230.0 * math.exp(0.01**2 / 2)),
    ('{dist = "lognormal", median = "230 km", sigma = 0.01}', "", 230.0 * math.exp(0.01**2 / 2)),
    ('{dist = "triangular", low = 200, mode = 230, high = 260}', "", 230.0),
    ('{dist = "triangular", low = "200 km", mode = "230 km", high = "260 km"}', "", 230.0),
    ('{values = [200, 260], weights = [1, 1]}', "", 230.0),
    ('{values = ["200 km", "260000 m"]}', "", 230.0),
])
def test_every_distribution_parses_from_toml(tmp_path, table, unit, mean):
    """Each distribution, with and without units, read from a TOML file: its samples' mean
    (n = 4,000) is the distribution's mean within 4 standard errors (sd at most 30 km here)."""
    import tomllib

    data = tomllib.loads(f'kind = "flyout"\napogee_km = {table}\n')
    d = field_value("apogee_km", data["apogee_km"], "km", None, None)
    x = sample({"apogee_km": d}, 1, 0, 4000)["apogee_km"]
    assert abs(x.mean() - mean) < 4 * 30 / math.sqrt(4000)
    assert x.min() >= 200 - 1e-9 or "normal" in table


BAD = [
    ("nan", '{dist = "uniform", low = nan, high = 260}', "delay_s.low"),
    ("inf", '{dist = "normal", mean = inf, sd = 1}', "delay_s.mean"),
    ("negative sd", '{dist = "normal", mean = 60, sd = -1}', "delay_s.sd"),
    ("low > high", '{dist = "uniform", low = 90, high = 60}', "delay_s.high"),
    ("zero weights", '{values = [60, 70], weights = [0, 0]}', "delay_s.weights"),
    ("unknown dist", '{dist = "cauchy", low = 1, high = 2}', "delay_s.dist"),
    ("outside range", '{dist = "uniform", low = 60, high = 5000}', "delay_s.high"),
    ("6 sd outside", '{dist = "normal", mean = 10, sd = 5}', "delay_s.sd"),
    ("unknown key", '{dist = "uniform", low = 1, high = 2, mode = 1}', "delay_s.mode"),
    ("text values", '{values = ["soon", "later"]}', "delay_s"),
]


@pytest.mark.parametrize("why,table,field", BAD, ids=[b[0] for b in BAD])
def test_hostile_distributions_exit_2_naming_the_field(tmp_path, why, table, field):
    lines = [f"{k} = {json.dumps(v)}" for k, v in ENGAGE.items()]
    lines = [ln for ln in lines if not ln.startswith("delay_s")] + [f"delay_s = {table}"]
    f = tmp_path / "s.toml"
    f.write_text("\n".join(lines) + "\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    r = subprocess.run([sys.executable, "-m", "boostphase.cli", "run", str(f), "--json"], capture_output=True,
                       text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 2, (r.stdout, r.stderr)
    err = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith("note:")]
    assert len(err) == 1 and err[0].startswith(f"error: {field}"), r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_n_over_the_cap_is_refused(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("\n".join(f"{k} = {json.dumps(v)}" for k, v in ENGAGE.items() if k != "delay_s")
                 + '\ndelay_s = {dist = "uniform", low = 40, high = 90}\n[ensemble]\nn = 5000\n')
    r = subprocess.run([sys.executable, "-m", "boostphase.cli", "run", str(f), "--json"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("error: ensemble.n: got 5000"), r.stderr


@pytest.fixture(scope="module")
def client():
    from boostphase.web.app import create_app

    with TestClient(create_app(), base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("why,table,field", BAD, ids=[b[0] for b in BAD])
def test_hostile_distributions_are_422_on_the_web(client, why, table, field):
    import tomllib

    val = tomllib.loads(f"x = {table}")["x"]
    body = {**EXAMPLES["engage"], "delay_s": val}
    r = client.post("/api/engage", content=json.dumps(body, allow_nan=True),
                    headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["field"].startswith(field.split(".")[0]) and r.json()["error"].startswith(field)


def test_web_flyout_with_a_distribution_returns_the_ensemble(client):
    body = {**EXAMPLES["flight"], "payload_kg": {"dist": "uniform", "low": "450 kg", "high": "550 kg"},
            "ensemble": {"n": 8, "seed": 1}}
    r = client.post("/api/flyout", json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    want = run_scenario({"kind": "flyout", **body})[1]
    assert got == json.loads(json.dumps(want))
    assert client.post("/api/flyout", json={**body, "ensemble": {"n": 500}}).status_code == 422
    assert client.post("/api/flyout/csv", json=body).status_code == 422
    assert client.post("/api/flyout", json={**body, "ensemble": {"n": 4, "workers": 2}}).json()["field"] \
        == "ensemble.workers"
    # a saved run keeps the distribution as a table that validates again
    r = client.post("/api/runs", json={"panel": "flight", "request": body})
    assert r.status_code == 201, r.text


def test_web_ensemble_job_reports_progress_and_result(client):
    params = {"kind": "engage", **EXAMPLES["engage"], "delay_s": {"dist": "uniform", "low": 40, "high": 120},
              "ensemble": {"n": 30, "seed": 4, "chunk": 10}}
    r = client.post("/api/jobs", json={"kind": "ensemble", "params": params})
    assert r.status_code == 202, r.text
    jid = r.json()["job_id"]
    for _ in range(600):
        st = client.get(f"/api/jobs/{jid}").json()
        if st["state"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.05)
    assert st["state"] == "done", st
    assert st["result"] == json.loads(json.dumps(run_scenario(params)[1]))
    bad = client.post("/api/jobs", json={"kind": "ensemble", "params": {**params, "delay_s": 60}})
    assert bad.status_code == 422 and bad.json()["field"] == "params"


def test_schema_shows_number_quantity_or_distribution(client):
    s = scenario_schema("flyout")
    prop = s["properties"]["payload_kg"]
    kinds = [a.get("type") for a in prop["anyOf"][0]["anyOf"]] if "anyOf" in prop["anyOf"][0] else \
        [a.get("type") for a in prop["anyOf"]]
    assert {"number", "string", "object"} <= set(kinds)
    assert "ensemble" in s["properties"]
    api = client.get("/api/openapi.json").json()
    assert "distribution" in json.dumps(api["components"]["schemas"]["FlyoutRequest"])


def test_coast_ensemble_is_one_engine_call_and_equals_single_coasts():
    data = {"kind": "coast", "lat": 40.0, "lon": 125.0, "alt_km": 0.0, "azimuth_deg": 90.0, "beta_kg_m2": 5000.0}
    dists = {"speed_km_s": {"dist": "normal", "mean": "3 km/s", "sd": "100 m/s"},
             "flight_path_deg": {"dist": "uniform", "low": 30, "high": 50}}
    n, seed = 60, 9
    from boostphase.flight import flyout

    calls = []
    orig = flyout.coast

    def spy(*a, **k):
        calls.append(np.size(a[0]))
        return orig(*a, **k)

    mp = pytest.MonkeyPatch()
    mp.setattr(flyout, "coast", spy)
    try:
        _, res = run_scenario({**data, **dists, "ensemble": {"n": n, "seed": seed}})
    finally:
        mp.undo()
    assert calls == [n]  # all samples in one engine call
    _check_against_direct(res["ensemble"], _direct(data, dists, seed, n))
    assert res["ensemble"]["sensitivity"][0]["input"] in dists
