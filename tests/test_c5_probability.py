"""Claim C5 as a probability (boostphase.claims.c5): every probability of a small ensemble recomputed
sample by sample along an independent path (Engagement.solve for each orbit, one thrust
cut-off flight per sample), determinism across chunkings, the window-uniform policy against
the old window share, the JSON contract and bad input.

One shared context (two threat models, liquid and solid, one site, one target, one interceptor
speed): ~15-30 s to fly, every test after it well under a few seconds."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from boostphase import engage
from boostphase import ensembles as ens
from boostphase.claims import c5
from boostphase.errors import InputError

TARGET = "Chicago"
N = 24


@pytest.fixture(scope="module")
def ctx():
    spec = c5.c5_spec({"targets": [TARGET], "missiles": ["hwasong-15", "generic-solid-icbm"],
                       "sites": ["Pyongyang (Sunan)"], "interceptor_speed": "5 km/s", "n": N, "seed": 11,
                       "kill_probability": 0.5, "fragment_intercepts": 4, "fragments_per_intercept": 20})
    return c5.prepare(spec)


@pytest.fixture(scope="module")
def sim(ctx):
    return c5.simulate(ctx, TARGET)


def _direct_time(ctx, threat, s, i, launch_s):
    """Earliest boost-phase intercept of sample i over its manned orbits, each orbit solved on
    its own by Engagement.solve (the aircraft at its sampled point, radius 0)."""
    ic = ctx.interceptor.with_speed(float(s["interceptor_speed"][i]))
    best = None
    for o, plat in enumerate(ctx.orbits):
        if not s[f"orbit_manned_{o}"][i] < ctx.spec.orbit_availability:
            continue
        la, lo = c5.orbit_point(plat, np.array([s[f"orbit_phase_{o}"][i]]))
        p = engage.Platform(float(la[0]), float(lo[0]), altitude_m=plat.altitude_m, orbit_radius_m=0.0)
        r = engage.Engagement(threat, p, ic, engage.Timeline.total(float(launch_s))).solve()
        if r.intercept_possible and (best is None or r.intercept_time_s < best):
            best = r.intercept_time_s
    return best


def _direct_group(ctx, threat, t):
    """Territory group of the payload for thrust cut-off at t rounded to the trace grid, by a
    cut-off flight of its own (one engine call per sample)."""
    from boostphase.consequence import cutoff_grid
    from boostphase.flight.flyout import cutoff_flights
    from boostphase.models.geography import territory

    grid = cutoff_grid(ctx.spec.trace_dt_s, threat.burnout_time_s, ctx.spec.trace_dt_s)
    tc = grid[np.argmin(np.abs(grid - t))]
    tr = threat.trajectory
    res = cutoff_flights(threat.missile, *threat.launch, tr.azimuth_deg, tr.kick_deg, np.array([tc]),
                         beta_kg_m2=ctx.spec.payload_beta)
    lon = (res.impact_lon_deg + 180.0) % 360.0 - 180.0
    return int(c5.group_codes(territory(res.impact_lat_deg, lon), res.impact_lat_deg, lon)[0])


def test_each_probability_equals_a_direct_count(ctx, sim):
    """For N samples: the intercept time of every policy recomputed by Engagement.solve per orbit
    (agrees to 1e-9 s: the same rule, computed row by row elsewhere), the payload's territory by
    a separate cut-off flight; P(Russian land | intercept), n and P(no intercept) then equal the
    direct counts exactly."""
    spec = ctx.spec
    groups = {p: [] for p in c5.POLICIES}
    for i in range(N):
        m = spec.missiles.values[sim["missile"][i]]
        th = ctx.cases[(m, spec.sites.values[sim["site"][i]], TARGET)].threat
        t_bo = th.burnout_time_s
        t1 = _direct_time(ctx, th, sim, i, sim["detection_delay"][i] + sim["decision_time"][i]
                          + sim["launch_delay"][i])
        times = {"earliest": t1, "window_uniform": None if t1 is None else t1 + sim["window"][i] * (t_bo - t1),
                 "shoot_look_shoot": None}
        if t1 is not None:
            if sim["kill_1"][i] < spec.kill_probability:
                times["shoot_look_shoot"] = t1
            else:
                t2 = _direct_time(ctx, th, sim, i, t1 + spec.look_time_s)
                if t2 is not None and sim["kill_2"][i] < spec.kill_probability:
                    times["shoot_look_shoot"] = t2
        for p, t in times.items():
            if t is None:
                assert np.isnan(sim[f"t_{p}"][i]), (p, i)
                groups[p].append(-1)
            else:
                assert sim[f"t_{p}"][i] == pytest.approx(t, abs=1e-9), (p, i)
                groups[p].append(_direct_group(ctx, th, t))
    for p in c5.POLICIES:
        g = np.array(groups[p])
        assert np.array_equal(g, sim[f"group_{p}"]), p
        row = c5.policy_summary(ctx, sim, p)
        hit = g >= 0
        assert row["n"] == hit.sum() and row["samples"] == N
        if hit.any():
            assert row["p_russia_land"] == (g[hit] == 0).sum() / hit.sum()
        assert row["p_no_intercept"]["p"] == (~hit).sum() / N
    # the ensemble is not degenerate: some intercepts, and more than one territory group
    assert (sim["group_earliest"] >= 0).sum() >= N // 3


def test_rounding_the_cutoff_to_the_grid_rarely_changes_the_territory(ctx, sim):
    """The stated resolution: the cut-off is the intercept time rounded to the 0.5 s grid. A
    flight cut at the exact intercept time lands in the same territory group for nearly every
    sample (a border lies within a quarter second of boost for few of them)."""
    from boostphase.flight.flyout import cutoff_flights
    from boostphase.models.geography import territory

    same = total = 0
    for i in np.flatnonzero(sim["group_earliest"] >= 0):
        m = ctx.spec.missiles.values[sim["missile"][i]]
        th = ctx.cases[(m, ctx.spec.sites.values[sim["site"][i]], TARGET)].threat
        tr = th.trajectory
        res = cutoff_flights(th.missile, *th.launch, tr.azimuth_deg, tr.kick_deg, np.array([sim["t_earliest"][i]]),
                             beta_kg_m2=ctx.spec.payload_beta)
        lon = (res.impact_lon_deg + 180.0) % 360.0 - 180.0
        g = c5.group_codes(territory(res.impact_lat_deg, lon), res.impact_lat_deg, lon)[0]
        same += g == sim["group_earliest"][i]
        total += 1
    assert total > 0 and same / total >= 0.8


def test_results_are_bit_identical_at_any_chunking(ctx, sim):
    """Chunks of 5/8/11 samples, chunks of 7 on 3 threads: every per-sample array bit-identical."""
    parts = [c5.simulate(ctx, TARGET, a, b) for a, b in ((0, 5), (5, 13), (13, N))]
    threaded = c5.simulate_chunked(ctx, TARGET, chunk=7, workers=3)
    for k, v in sim.items():
        if k == "target":
            continue
        joined = np.concatenate([p[k] for p in parts])
        assert np.array_equal(v, joined, equal_nan=v.dtype.kind == "f"), k
        assert np.array_equal(v, threaded[k], equal_nan=v.dtype.kind == "f"), k
    other = c5.simulate(replace(ctx, spec=replace(ctx.spec, seed=12)), TARGET)
    assert not np.array_equal(other["detection_delay"], sim["detection_delay"])


def test_window_uniform_reproduces_the_old_window_share(ctx):
    """With every input fixed (one threat, delays fixed, aircraft at phase 0), window_uniform
    spreads the intercept uniformly from the earliest intercept to burnout: its P(Russian land)
    must match the share of that window whose cut-offs land in Russia (consequence's
    share_of_window over the same trace), within 4 binomial standard errors."""
    from boostphase.consequence import share_of_window, territory_intervals

    fixed = {k: ens.parse_distribution(k, v, d.unit) for k, v, d in
             (("detection_delay", 45.0, ctx.spec.inputs["detection_delay"]),
              ("decision_time", 15.0, ctx.spec.inputs["decision_time"]),
              ("launch_delay", 5.0, ctx.spec.inputs["launch_delay"]),
              ("interceptor_speed", 5000.0, ctx.spec.inputs["interceptor_speed"]),
              ("orbit_phase", 0.0, ctx.spec.inputs["orbit_phase"]))}
    spec = replace(ctx.spec, inputs=fixed, n=2000, fragment_intercepts=0, missiles=ens.parse_distribution("m", ["hwasong-15"]))
    one = replace(ctx, spec=spec)
    s = c5.simulate(one, TARGET)
    t1 = s["t_earliest"][np.isfinite(s["t_earliest"])]
    assert t1.size == spec.n and np.ptp(t1) == 0.0
    case = ctx.cases[("hwasong-15", "Pyongyang (Sunan)", TARGET)]
    ivs = territory_intervals(case.cutoff_s, np.where(case.group == 0, "Russia", "elsewhere"))
    share = share_of_window(ivs, float(t1[0]), case.burnout_s).get("Russia", 0.0)
    p = c5.policy_summary(one, s, "window_uniform")["p_russia_land"]
    assert abs(p - share) <= 4 * np.sqrt(max(share * (1 - share), 1e-4) / spec.n) + 1 / spec.n
    # the finding: with the laydown's own values, firing as soon as possible puts the
    # payload on Russian land (nearly) always, while the window weighting says far less often
    early = c5.policy_summary(one, s, "earliest")["p_russia_land"]
    assert early >= 0.95 and p <= 0.75


def test_contract_and_verdict(ctx, sim):
    ans = c5.target_answer(ctx, TARGET, sim)
    for p in ("earliest", "window_uniform"):
        row = ans["policies"][p]
        assert 0.0 <= row["p_russia_land"] <= 1.0
        lo, hi = row["ci95"]
        assert lo <= row["p_russia_land"] <= hi and isinstance(row["n"], int)
        assert set(row["shares"]) == set(c5.GROUPS)
        assert sum(v["p"] for v in row["shares"].values()) == pytest.approx(1.0)
    v = ans["verdict"]
    assert "earliest-fire policy" in v and "95 % CI" in v and "What would flip it" in v
    cur = ans["russia_by_intercept_time"]
    assert len(cur["t_s"]) == len(cur["p_russia_land"]) and np.nanmax(cur["p_russia_land"]) <= 1.0


def test_fragment_shares_are_the_mean_of_direct_footprints(ctx, sim):
    """The fragment summary equals the mean over its intercepts of a footprint flown directly
    from the threat's state at each cut-off (same seeds), and its shares sum to 1."""
    from boostphase.consequence import footprint

    fr = c5.policy_summary(ctx, sim, "earliest")["fragments"]
    rows = np.flatnonzero(sim["group_earliest"] >= 0)[:4]
    assert fr["intercepts"] == len(rows) == 4
    ru = []
    for i in rows:
        case = ctx.cases[(ctx.spec.missiles.values[sim["missile"][i]], "Pyongyang (Sunan)", TARGET)]
        st = case.threat.track.state_at(float(case.cutoff_s[sim["cut_earliest"][i]]))
        seed = int(ens.uniforms(ctx.spec.seed, ens.stream_id(f"{TARGET}/fragments/earliest"), [i])[0] * 2**53)
        fp = footprint(st, n=20, seed=seed)
        ok = np.asarray(fp.impacted, bool)
        ru.append(np.mean(np.asarray(fp.territory)[ok] == "Russia") if ok.any() else 0.0)
    # Russian land only (territorial sea is its own group): the labels' own count
    assert fr["p_russia_land"] == pytest.approx(np.mean(ru), abs=1e-12)
    assert sum(v["p"] for v in fr["shares"].values()) == pytest.approx(1.0)


@pytest.mark.parametrize("data,field", [
    ({"n": 0}, "n"),
    ({"targets": ["Xyzzyqville"]}, "targets"),
    ({"interceptor_speed": {"dist": "uniform", "low": "nan", "high": 5000}}, "interceptor_speed.low"),
    ({"detection_delay": float("inf")}, "detection_delay"),
    ({"policies": ["never"]}, "policies"),
    ({"kill_probability": 1.5}, "kill_probability"),
    ({"missiles": ["no-such-missile"]}, "missiles"),
    ({"sites": ["Nowhere"]}, "sites"),
    ({"speed": 3}, "speed"),
])
def test_bad_settings_name_the_field(data, field):
    with pytest.raises(InputError) as e:
        c5.c5_spec(data)
    if field is not None:
        assert e.value.field.startswith(field)


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "c5.toml"
    bad.write_text('[c5]\ndecision_time = {dist = "uniform", low = "0 s", high = "nan s"}\n')
    for args in (["--n", "0"], ["--spec", str(bad)], ["--targets", "Chicago=x"]):
        p = subprocess.run([sys.executable, "-m", "boostphase.cli", "c5", *args], capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 2, (args, p.stderr)
        assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_cli_json_contract(tmp_path):
    """``boostphase c5 --json``: targets.<city>.policies.<policy>.p_russia_land (0..1), .ci95, .n
    for earliest and window_uniform (a small ensemble: one threat, one site, fixed speed)."""
    import json

    spec = tmp_path / "c5.toml"
    spec.write_text('[c5]\nmissiles = ["generic-solid-icbm"]\nsites = ["Pyongyang (Sunan)"]\n'
                    'interceptor_speed = "5 km/s"\nfragment_intercepts = 0\npolicies = ["earliest", "window_uniform"]\n')
    p = subprocess.run([sys.executable, "-m", "boostphase.cli", "c5", "--spec", str(spec), "--targets", "Los Angeles",
                        "--n", "40", "--json"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    for pol in ("earliest", "window_uniform"):
        row = res["targets"]["Los Angeles"]["policies"][pol]
        assert 0.0 <= row["p_russia_land"] <= 1.0 and row["ci95"][0] <= row["p_russia_land"] <= row["ci95"][1]
        assert row["n"] == 40 - round(40 * row["p_no_intercept"]["p"])
    assert "earliest-fire policy" in res["targets"]["Los Angeles"]["verdict"] and res["summary"]


def test_example_specs_parse_and_the_default_file_is_the_default():
    from pathlib import Path

    from boostphase.scenario.files import load_toml

    ex = Path(__file__).resolve().parents[1] / "examples"
    d = c5.c5_spec(load_toml("spec", ex / "c5prob_default.toml")["c5"])
    assert d.conditions() == c5.c5_spec().conditions()
    nk = c5.c5_spec(load_toml("spec", ex / "c5prob_nk_threats.toml")["c5"])
    assert nk.missiles.values == ("hwasong-15", "hwasong-17", "hwasong-18", "hwasong-19")


def test_fragments_of_all_intercepts_fly_together_exactly_as_one_footprint_each(ctx, sim):
    """The C5 fragments of every intercept fly in one engine call. The oracle is the footprint
    of each intercept state alone (`consequence.footprint(state, n, seed)`): the impact points
    must be bit-identical, since the engine's result does not depend on the batch."""
    from boostphase.consequence import footprint

    rows = np.flatnonzero(sim["group_earliest"] >= 0)[:3]
    assert rows.size >= 2
    sources = c5.fragment_states(ctx, sim, "earliest", rows)
    lat, lon, hit = c5.fragment_impacts(sources, 20)
    for k, (st, seed) in enumerate(sources):
        fp = footprint(st, n=20, seed=seed)
        sl = slice(k * 20, (k + 1) * 20)
        assert np.array_equal(np.asarray(fp.impacted, bool), hit[sl])
        assert np.array_equal(np.asarray(fp.lat)[hit[sl]], lat[sl][hit[sl]])
        assert np.array_equal(np.asarray(fp.lon)[hit[sl]], lon[sl][hit[sl]])
