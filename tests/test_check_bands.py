"""C3 with the reported figures' uncertainty (claims.check_bands) against independent references.

References written here: the closed-form vacuum speeds on the sphere (minimum energy
v^2 = mu/R 2 s/(1 + s), s = sin(psi/2), Bate, Mueller & White 1971 sec. 6.2; the symmetric arc
through apogee radius r_a: e = (r_a - R)/(r_a - R cos(psi/2)), v^2 = mu (2/R - (1 + e)/r_a)),
flight times from ``vacuum_kepler`` (conic + Kepler's equation) with SciPy's root finder, a
direct count over the seeded draws, the Wilson interval formula, and full ``check_claim`` runs
(drag searches) at the corners of the uncertainty box.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from functools import cache

import numpy as np
import pytest
from scipy.optimize import brentq

from boostphase.claims.check import check_claim as _check_claim
from boostphase.claims.check_bands import arc_time_vec, speed_for_time_vec
from boostphase.ensembles import Distribution, sample
from boostphase.errors import InputError
from boostphase.flight.flyout import vacuum_kepler
from boostphase.models.atmosphere import us76

MU = 3.986004418e14
R = 6371000.0
A0 = 340.294  # US76 sea-level speed of sound (m/s)
NEW_KEYS = {"uncertainty", "mach_range", "p_consistent", "sensitivity"}


@cache
def check_claim(*args, **kwargs):
    return _check_claim(*args, **kwargs)


def v_min_energy(range_m):
    s = math.sin(range_m / R / 2)
    return math.sqrt(MU / R * 2 * s / (1 + s))


def v_through_apogee(range_m, apogee_m):
    ra = R + apogee_m
    e = (ra - R) / (ra - R * math.cos(range_m / R / 2))
    return math.sqrt(MU * (2 / R - (1 + e) / ra))


def drag_ratios(res):
    """The nominal check's band edges over its vacuum speed (the drag model's widening)."""
    v = res["peak_speed_km_s_needed"]
    return res["peak_speed_band_km_s"][0] / v, res["peak_speed_band_km_s"][1] / v


def test_mach_range_ends_are_the_closed_forms_at_the_interval_ends():
    """1,000 km +-5 %, 100 km +-5 %, Mach 14: every arc through 95-105 km is depressed (the
    minimum-energy apogee of 950 km is ~230 km), so the least speed is at 950 km / 105 km and
    the greatest at 1,050 km / 95 km (closed forms, 1e-12 relative: the same formula in other
    words)."""
    res = check_claim(1000, apogee_km=100, peak_mach=14)
    m = res["mach_range"]
    v_lo, v_hi = v_through_apogee(950e3, 105e3), v_through_apogee(1050e3, 95e3)
    assert m["vacuum_speed_km_s"] == pytest.approx([v_lo / 1e3, v_hi / 1e3], rel=1e-12)
    r_lo, r_hi = drag_ratios(res)
    assert m["low"] == pytest.approx(v_lo * r_lo / A0, rel=1e-5)  # A0 is US76's figure to 1e-6
    assert m["high"] == pytest.approx(v_hi * r_hi / A0, rel=1e-5)
    assert m["peak_at"] == "burnout" and m["altitude_km"] == 0.0 and "sea-level" in m["altitude_note"]
    # the claim's own interval (Mach 14 +- 0.7: the 5 % tolerance beats half a unit) lies above
    assert res["uncertainty"]["peak_mach"]["unc"] == pytest.approx(0.7)
    assert m["claimed_mach"][0] > m["high"] and m["claimed_overlaps"] is False


def test_mach_range_is_the_extreme_over_the_whole_box():
    """A grid over the box (41 x 41 ranges and apogees) finds no vacuum speed outside the
    reported ends; with an apogee interval that holds the minimum-energy apogee the least speed
    is the minimum-energy speed at the shortest range (closed form, 1e-12)."""
    for apo, unc in ((100.0, "5%"), (250.0, "40%")):
        res = check_claim(1000, apogee_km=apo, apogee_unc=unc, range_unc="10%")
        lo, hi = res["mach_range"]["vacuum_speed_km_s"]
        a = res["uncertainty"]["apogee_km"]
        grid = [v_through_apogee(r * 1e3, h * 1e3) / 1e3 for r in np.linspace(900, 1100, 41)
                for h in np.linspace(a["low"], a["high"], 41)]
        assert min(grid) >= lo * (1 - 1e-12) and max(grid) <= hi * (1 + 1e-12)
        assert min(grid) == pytest.approx(lo, rel=1e-3)  # the grid comes near the true ends
        assert max(grid) == pytest.approx(hi, rel=1e-12)
    assert lo == pytest.approx(v_min_energy(900e3) / 1e3, rel=1e-12)


def test_mach_range_range_alone_and_local_convention():
    res = check_claim(1000, peak_mach=14, mach_convention="local", range_unc=50)
    m = res["mach_range"]
    a50 = float(us76(50e3).sound_speed_m_s)
    assert m["sound_speed_m_s"] == pytest.approx(a50, rel=1e-12) and m["altitude_km"] == 50.0
    assert m["vacuum_speed_km_s"][0] == pytest.approx(v_min_energy(950e3) / 1e3, rel=1e-12)
    assert m["high_is_escape_speed"] is True
    assert m["speed_km_s"][1] == pytest.approx(math.sqrt(2 * MU / R) / 1e3, rel=1e-12)
    assert m["low"] == pytest.approx(v_min_energy(950e3) * drag_ratios(res)[0] / a50, rel=1e-12)


def test_no_arc_in_the_time_box_gives_no_mach_range():
    """1,000 km in 100 s +-5 % beats the grazing circular-speed arc (126.6 s = psi sqrt(R^3/mu)):
    no Mach range (None, not NaN, in the JSON), and no draw is consistent."""
    assert 1000e3 / R * math.sqrt(R**3 / MU) > 105
    res = _check_claim(1000, flight_time_s=100, peak_mach=10)
    assert res["mach_range"]["low"] is None and res["mach_range"]["claimed_overlaps"] is False
    assert res["p_consistent"]["k"] == 0
    json.dumps(res, allow_nan=False)


def kepler_speed_for_time(range_m, t_s):
    """The vacuum arc of a range taking t_s, found with brentq on vacuum_kepler (the angle
    whose arc, at the speed the range needs, takes t_s): speed m/s."""
    psi = range_m / R

    def speed(g):
        return brentq(lambda v: vacuum_kepler(v, math.degrees(g), R)["range_angle_rad"] - psi, 10.0,
                      0.9999 * math.sqrt(2 * MU / R), xtol=1e-9, rtol=1e-14)

    g = brentq(lambda g: vacuum_kepler(speed(g), math.degrees(g), R)["flight_time_s"] - t_s,
               1e-4, math.pi / 2 - psi / 4 - 1e-4, xtol=1e-13)
    return speed(g)


def test_flight_time_arcs_and_mach_range_match_kepler():
    """Arc times (Kepler's equation, vectorised here) agree with vacuum_kepler to 1e-9; the
    speed for a range and a time agrees with a root search on vacuum_kepler to 1e-7 (its root
    finder's tolerance); the Mach range of 1,000 km +-5 % in 600 s +-5 % is the extreme of
    those speeds at the interval ends (600 s is below the minimum-energy time)."""
    for v, g in ((3000.0, 0.3), (6500.0, 1.2), (7500.0, 0.05)):
        assert float(arc_time_vec(v, g)) == pytest.approx(vacuum_kepler(v, math.degrees(g), R)["flight_time_s"],
                                                          rel=1e-9)
    v, _ = speed_for_time_vec(np.array([1000e3 / R]), np.array([600.0]))
    assert float(v[0]) == pytest.approx(kepler_speed_for_time(1000e3, 600.0), rel=1e-7)
    res = check_claim(1000, flight_time_s=600)
    lo, hi = res["mach_range"]["vacuum_speed_km_s"]
    ends = [kepler_speed_for_time(r, t) / 1e3 for r in (950e3, 1050e3) for t in (570.0, 630.0)]
    assert lo == pytest.approx(min(ends), rel=1e-7) and hi == pytest.approx(max(ends), rel=1e-7)


def test_p_consistent_is_the_count_over_the_draws():
    """n = 60 draws, redrawn here with the same names and seed; each tested with the closed
    forms written above and the nominal drag ratios: the count is exact, the interval is
    Wilson's (formula here)."""
    kw = dict(range_km=1000, apogee_km=100, peak_mach=10.5, range_unc="10%", samples=60, seed=7)
    res = _check_claim(**kw)
    u = res["uncertainty"]
    draws = sample({k: Distribution("uniform", (u[k]["low"], u[k]["high"])) for k in u}, 7, 0, 60)
    r_lo, r_hi = drag_ratios(res)
    ok = [r_lo <= (m * A0) / v_through_apogee(rg * 1e3, h * 1e3) * (1 + 1e-6) and
          (m * A0) / v_through_apogee(rg * 1e3, h * 1e3) <= r_hi * (1 + 1e-6)
          for rg, h, m in zip(draws["range_km"], draws["apogee_km"], draws["peak_mach"], strict=True)]
    p = res["p_consistent"]
    assert p["n"] == 60 and p["k"] == sum(ok) and 0 < p["k"] < 60
    z, n, ph = 1.959963984540054, 60, sum(ok) / 60
    c = (ph + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert p["ci95"] == pytest.approx([c - h, c + h], abs=1e-12)
    effects = [abs(r["effect"]) for r in res["sensitivity"]]
    assert effects == sorted(effects, reverse=True)


def test_determinism_by_seed():
    kw = dict(range_km=1000, apogee_km=100, peak_mach=10.5, range_unc="10%", samples=400)
    a, b = _check_claim(**kw, seed=3), _check_claim(**kw, seed=3)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert _check_claim(**kw, seed=4)["p_consistent"]["k"] != a["p_consistent"]["k"]


def test_nominal_keys_do_not_depend_on_the_uncertainty():
    """The verdict keys are computed on the nominal figures: equal with the default and with
    a wide given uncertainty (the claim is the same)."""
    base = check_claim(1000, apogee_km=100, peak_mach=14)
    wide = check_claim(1000, apogee_km=100, peak_mach=14, range_unc="30%", apogee_unc="20 km", peak_unc=2)
    for k in set(base) - NEW_KEYS:
        assert base[k] == wide[k], k
    assert wide["uncertainty"]["apogee_km"]["unc"] == 20.0 and wide["uncertainty"]["peak_mach"]["unc"] == 2.0
    assert wide["p_consistent"]["p"] > 0.0 == base["p_consistent"]["p"]  # Mach 12-16 meets the band


def test_c3_claims_mach14_and_mach5():
    """Mach 14 (+-0.7) is above the whole band of 1,000 km / 100 km (+-5 %), Mach 5 (+-0.5, half
    a unit) below it: probability 0 (Wilson upper bound under 0.2 % with 2,000 draws)."""
    for mach, unc in ((14, 0.7), (5, 0.5)):
        res = check_claim(1000, apogee_km=100, peak_mach=mach)
        assert res["uncertainty"]["peak_mach"]["unc"] == pytest.approx(unc)
        assert res["p_consistent"]["k"] == 0 and res["p_consistent"]["ci95"][1] < 0.002
        assert {r["input"] for r in res["sensitivity"]} == {"range_km", "apogee_km", "peak_mach"}


def test_drag_ratio_is_nearly_constant_over_the_box():
    """The band's drag edges scale with the vacuum speed: at the corners of the +-5 % box around
    1,000 km / 100 km the full drag search's band edges lie within 1.5 % of the scaled nominal."""
    r_lo, r_hi = drag_ratios(check_claim(1000, apogee_km=100))
    for rg in (950, 1050):
        for h in (95, 105):
            res = check_claim(rg, apogee_km=h)
            v = v_through_apogee(rg * 1e3, h * 1e3) / 1e3
            assert res["peak_speed_band_km_s"] == pytest.approx([v * r_lo, v * r_hi], rel=0.015)


@pytest.mark.parametrize("kwargs,field", [
    ({"range_unc": "60%"}, "range_unc"),
    ({"range_unc": "ten"}, "range_unc"),
    ({"range_unc": -1}, "range_unc"),
    ({"range_unc": float("nan")}, "range_unc"),
    ({"range_unc": 600}, "range_unc"),
    ({"apogee_unc": "10%"}, "apogee_unc"),  # no apogee claimed
    ({"peak_unc": 0.5}, "peak_unc"),        # no speed claimed
    ({"samples": 3}, "samples"),
])
def test_uncertainty_input_errors_name_the_field(kwargs, field):
    with pytest.raises(InputError) as exc:
        _check_claim(1000, **kwargs)
    assert exc.value.field == field


def test_cli_check_with_uncertainty():
    run = [sys.executable, "-m", "boostphase.cli", "check", "--range-km", "1000", "--apogee-km", "100",
           "--peak-mach", "14"]
    out = subprocess.run([*run, "--range-unc", "10%", "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert NEW_KEYS <= set(res) and res["verdict"] == "too_fast_for_ballistic"
    assert res["uncertainty"]["range_km"]["unc"] == pytest.approx(100.0)
    bad = subprocess.run([*run, "--range-unc", "70%"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--range-unc" in bad.stderr and "Traceback" not in bad.stderr
