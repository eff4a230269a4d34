"""Missile flyouts against published analyses and physics that does not come from this code."""

from __future__ import annotations

import numpy as np
import pytest

from boostphase.errors import InputError
from boostphase.flight.flyout import Steering, coast_states, fly
from boostphase.models.earth import SPHERE, WGS84
from boostphase.models.vehicles import load

SITE = (39.0, 125.7)  # near Pyongyang; Forden's Table 3 ranges are for a 40 deg azimuth


def test_forden_no_dong_max_range():
    """Forden (2007) Table 3: No-dong maximum range 973 km from his Table 1 inputs.
    The issue's bar: within 3 %."""
    m = load("no-dong")
    tr = fly(m, *SITE, azimuth_deg=40.0, profile="min-energy")
    assert tr.range_m / 1e3 == pytest.approx(m.references["reference_max_range_km"], rel=0.03)


def test_forden_scud_b_max_range():
    """Forden (2007) Table 3: Scud-B 288 km, flown with Forden's own steering (pitch over at his
    1.348 deg/s, then hold the elevation) and our default vertical rise (until ~50 m/s): the
    issue's bar is 3 %. How long the missile first rises vertically is not fixed by his table:
    4.5-12 s spans about 284-297 km, and 288 km must lie inside that span."""
    m = load("scud-b")
    rate = m.references["reference_loft_rate_deg_s"]
    default = fly(m, *SITE, azimuth_deg=40.0, steering=Steering(law="pitch-hold", pitch_rate_deg_s=rate))
    assert default.range_m / 1e3 == pytest.approx(288.0, rel=0.03)
    ranges = [fly(m, *SITE, azimuth_deg=40.0, steering=Steering(law="pitch-hold", pitch_rate_deg_s=rate,
                                                                vertical_rise_s=tv)).range_m / 1e3
              for tv in (4.5, 12.0)]
    assert min(ranges) < 288.0 < max(ranges)
    # the gravity-turn default (a different, slightly more efficient program) is within 4 %
    assert fly(m, *SITE, azimuth_deg=40.0).range_m / 1e3 == pytest.approx(288.0, rel=0.04)


def test_burnout_state_continues_as_a_coast():
    """The flight after burnout is a ballistic coast: re-flying from the recorded burnout state
    with the coast engine (same drag law is absent in vacuum: use a vacuum-flown missile) lands at
    the same point. Checks event bookkeeping between the powered and coast paths."""
    m = load("generic-liquid-icbm")
    tr = fly(m, *SITE, azimuth_deg=45.0, kick_deg=3.0, earth=SPHERE)
    b = tr.burnout_state
    out = coast_states(b[None, :3], b[None, 3:], None, earth=SPHERE)
    # after burnout the payload coasts with the last stage's drag, which above ~100 km is nil:
    # the impacts agree to 0.1 % of the range (re-entry drag of a heavy body shortens it slightly)
    lat, lon, _ = SPHERE.ecef_to_geodetic(out["y"][0, :3])
    d, _ = SPHERE.distance_azimuth(*tr.impact_lat_lon_deg, lat, lon)
    assert d < 1e-3 * tr.range_m


def test_staging_mass_bookkeeping():
    """Mass at each stage ignition equals launch mass minus burnt propellant and dropped stages."""
    from boostphase.flight.flyout import _schedule

    m = load("generic-solid-icbm")
    segs, t_bo, ign, bo = _schedule(m, 8.0, 10.0)
    assert t_bo == pytest.approx(m.boost_time_s)
    assert segs[0]["m0"] == pytest.approx(m.launch_mass_kg)
    for j in range(1, len(m.stages)):
        expected = m.payload_kg + m.shroud_mass_kg * (m.shroud_drop_time_s is None or ign[j] < m.shroud_drop_time_s)
        expected += sum(s.dry_mass_kg + s.propellant_mass_kg for s in m.stages[j:])
        seg = next(s for s, prev in zip(segs[1:], segs[:-1], strict=False) if prev["t_end"] == pytest.approx(ign[j]))
        assert seg["m0"] == pytest.approx(expected, rel=1e-12)
    # thrust of each stage = mdot * Isp * g0
    for s in m.stages:
        assert s.thrust_vac_n == pytest.approx(s.propellant_mass_kg / s.burn_time_s * s.isp_vac_s * 9.80665)


def test_rotation_gain_is_what_rotation_predicts():
    """Exact statement of 'the amount rotation predicts': a body given the same *inertial*
    state flies the same inertial path whether we integrate in the rotating frame or not (J2 is
    axisymmetric); its ground impact on the rotating Earth is the non-rotating impact turned
    west by omega * flight time. Checked to 1 m for eastward and westward ICBM-class coasts;
    an eastward one must then out-range the westward one from the same ground-relative state."""
    lat = np.array([39.0, 39.0])
    lon = np.array([125.7, 125.7])
    az = np.array([90.0, 270.0])
    r0, v_rel = WGS84.state_from_local(lat, lon, np.full(2, 200e3), np.full(2, 6500.0), np.full(2, 25.0), az)
    rot = coast_states(r0, v_rel, None, earth=WGS84)
    v_in = v_rel + np.cross([0.0, 0.0, WGS84.omega_rad_s], r0)
    still_earth = WGS84.without_rotation()
    still = coast_states(r0, v_in, None, earth=still_earth)
    np.testing.assert_allclose(rot["t"], still["t"], rtol=1e-9)
    la_r, lo_r, _ = WGS84.ecef_to_geodetic(rot["y"][:, :3])
    la_s, lo_s, _ = WGS84.ecef_to_geodetic(still["y"][:, :3])
    lo_pred = lo_s - np.degrees(WGS84.omega_rad_s * still["t"])
    d, _ = WGS84.distance_azimuth(la_r, lo_r, la_s, lo_pred)
    assert np.all(d < 1.0)
    rng, _ = WGS84.distance_azimuth(lat, lon, la_r, lo_r)
    assert rng[0] > rng[1]


def test_flyout_east_beats_west():
    """The same missile flown east from the equator out-ranges the non-rotating case, which
    out-ranges the westward flight (the launch site's 465 m/s eastward speed)."""
    m = load("generic-liquid-icbm")
    east = fly(m, 0.0, 0.0, azimuth_deg=90.0).range_m
    west = fly(m, 0.0, 0.0, azimuth_deg=270.0).range_m
    still = fly(m, 0.0, 0.0, azimuth_deg=90.0, earth=WGS84.without_rotation()).range_m
    assert east > still > west


def test_profiles_lofted_and_depressed_reach_the_apogee():
    m = load("hwasong-14")
    lofted = fly(m, *SITE, azimuth_deg=90.0, profile="lofted", apogee_m=2000e3)
    assert lofted.apogee_m == pytest.approx(2000e3, rel=2e-3)
    me = fly(m, *SITE, azimuth_deg=90.0, profile="min-energy")
    assert lofted.kick_deg < me.kick_deg
    assert me.range_m > lofted.range_m
    depressed = fly(m, *SITE, azimuth_deg=90.0, profile="depressed", apogee_m=0.6 * me.apogee_m)
    assert depressed.kick_deg > me.kick_deg
    assert depressed.apogee_m == pytest.approx(0.6 * me.apogee_m, rel=2e-3)


def test_target_profile_hits_the_target():
    m = load("no-dong")
    target = (36.0, 133.0)
    tr = fly(m, *SITE, target=target, profile="target")
    d, _ = WGS84.distance_azimuth(*tr.impact_lat_lon_deg, *target)
    assert d < 1000.0  # 1 km on a ~700 km flight: the solver's stated stopping accuracy is 100 m


def test_bad_inputs_are_clear_errors():
    m = load("scud-b")
    with pytest.raises(InputError, match="launch lat"):
        fly(m, 95.0, 0.0, azimuth_deg=0.0)
    with pytest.raises(InputError, match="profile"):
        fly(m, 0.0, 0.0, azimuth_deg=0.0, profile="sideways")
    with pytest.raises(InputError, match="target"):
        fly(m, *SITE, target=(40.7, -74.0), profile="target")  # New York is out of Scud range
    with pytest.raises(InputError, match="rtol"):
        fly(m, *SITE, azimuth_deg=40.0, rtol=0.1)


def test_a_looser_tolerance_lands_within_metres_of_the_independent_reference():
    """fly(rtol=1e-7), the fast setting, against the SciPy DOP853 reference flyout
    (tests/reference_flyout.py) of the same steering: within 20 m at impact (measured 3 m on
    a Hwasong-15 flight; the bar leaves room for a different path through the Cd kinks)."""
    from boostphase.flight.flyout import _flyout_arrays
    from reference_flyout import scipy_flyout

    m = load("hwasong-15")
    tr = fly(m, *SITE, azimuth_deg=45.0, kick_deg=5.0, rtol=1e-7)
    arrays, _, _ = _flyout_arrays(m, *SITE, 0.0, 45.0, 5.0, Steering(kick_deg=5.0), 2.0e4, WGS84)
    ref = scipy_flyout(arrays, 0, "DOP853", 1e-10)
    assert np.linalg.norm(tr.state[-1, :3] - ref["impact_r"]) < 20.0


@pytest.mark.parametrize("name, az, kick, steering, cutoff", [
    ("generic-liquid-icbm", 60.0, 5.0, Steering(), None),                        # gravity turn, 2 stages
    ("scud-b", 40.0, 40.0, Steering(law="pitch-hold", pitch_rate_deg_s=1.348), None),  # held elevation
    ("generic-solid-icbm", 90.0, 8.0, Steering(), (120.0, 3000.0)),              # cut-off, payload beta
])
def test_powered_flyout_matches_an_independent_scipy_dop853_flyout(name, az, kick, steering, cutoff):
    """The engine's flyout against tests/reference_flyout.py: a plain SciPy DOP853 (rtol 1e-10)
    integration of the same physics written without the engine (exact geodetic coordinates,
    the US76 model itself rather than the engine's table, np.interp for Cd). It checks thrust,
    pressure loss, mass flow, steering, staging, drag and both events in one go.

    Tolerances: the engine's atmosphere table differs from US76 by up to 4.6e-4 in density
    (tests/test_atmosphere.py) and its altitude uses Bowring's formula; measured differences
    are 5 cm at burnout and about 1 m at impact after 2,600 s. Bars: burnout position 0.5 m,
    velocity 5 mm/s, apogee 1 m, impact point 5 m and impact time 10 ms (a 1e-6 part of
    a 10,000 km flight)."""
    from boostphase.flight.flyout import _flyout_arrays, _run, _settings
    from reference_flyout import scipy_flyout

    m = load(name)
    cuts = None if cutoff is None else [cutoff[0]]
    arrays, _, bo = _flyout_arrays(m, *SITE, 0.0, az, kick, steering, 2.0e4, WGS84, cutoffs_s=cuts,
                                   cutoff_beta_kg_m2=None if cutoff is None else cutoff[1])
    ref = scipy_flyout(arrays, 0, "DOP853", 1e-10)
    out = _run(arrays, WGS84, _settings(WGS84, True))
    assert out["impacted"][0]
    i = int(bo[0])
    eng_bo, ref_bo = out["seg_state"][0, i], ref["seg_states"][i]
    assert eng_bo[0] == pytest.approx(ref_bo[0], abs=1e-9)
    assert np.linalg.norm(eng_bo[1:4] - ref_bo[1:4]) < 0.5
    assert np.linalg.norm(eng_bo[4:] - ref_bo[4:]) < 5e-3
    assert abs(out["apogee_alt"][0] - ref["apogee_m"]) < 1.0
    assert np.linalg.norm(out["y"][0, :3] - ref["impact_r"]) < 5.0
    assert abs(out["t"][0] - ref["impact_t"]) < 0.01


def test_recording_changes_nothing_but_the_record():
    """A batch flown with its path recorded (the record loop written out over the batch, see
    engine._integrate_jit) ends bit for bit where the same batch ends unrecorded, and each
    record is the accepted path: it starts at the launch state and ends at the impact."""
    from boostphase.flight.flyout import _flyout_arrays, _run, _settings

    arrays, _, _ = _flyout_arrays(load("hwasong-15"), *SITE, 0.0, np.linspace(0, 90, 16), np.linspace(1, 20, 16),
                                  Steering(), 2.0e4, WGS84)
    plain = _run(arrays, WGS84, _settings(WGS84, True))
    rec = _run(arrays, WGS84, _settings(WGS84, True, n_rec=600))
    for key in ("t", "y", "seg_state", "apogee_alt", "n_steps", "n_reject"):
        np.testing.assert_array_equal(plain[key], rec[key], err_msg=key)
    for i in range(16):
        n = int(rec["n_rec"][i])
        assert 50 < n < 600
        path = rec["rec"][i, :n]
        np.testing.assert_array_equal(path[0, 1:], arrays["y0"][i])
        np.testing.assert_array_equal(path[-1, 1:], rec["y"][i])
        assert np.all(np.diff(path[:, 0]) > 0)
        assert np.isnan(rec["rec"][i, n:]).all()


def test_an_event_inside_the_pitch_over_does_not_change_the_flight():
    """Issue 14, part 1: the pitch-over tilt depends on the time since the pitch-over began, not
    on the segment the integrator is in. A massless shroud (1e-9 kg) dropped half-way through
    the Hwasong-14 pitch-over splits a segment there and changes no force, so the flight must
    land where the same flight without it lands. Before the fix the split snapped the thrust
    back toward vertical and moved the impact by 42.6 km. Measured after it: 3 cm in the impact
    point and 4 cm in apogee over 5,940 km (rtol 1e-10; the same at 1e-12: the step sequence
    differs after the extra segment end); bar 0.1 m."""
    import dataclasses

    m = load("hwasong-14")
    tv, tp = Steering().resolved(m)
    plain = fly(m, *SITE, azimuth_deg=45.0, kick_deg=4.0)
    split = fly(dataclasses.replace(m, shroud_mass_kg=1e-9, shroud_drop_time_s=tv + 0.5 * tp), *SITE,
                azimuth_deg=45.0, kick_deg=4.0)
    assert np.linalg.norm(plain.state[-1, :3] - split.state[-1, :3]) < 0.1
    assert abs(plain.apogee_m - split.apogee_m) < 0.1


def test_staging_inside_a_slow_pitch_over_matches_an_independent_integration():
    """Issue 14, part 1 (b): a two-stage liquid ICBM pitched over slowly, 20 deg from 10 s to
    160 s, so its staging (130 s) falls inside the pitch-over. The reference
    (tests/reference_flyout.py, SciPy DOP853 at rtol 1e-10, no engine code) is given the
    pitch-over's start and end from the steering inputs themselves (10 s, 10 + 150 s), not
    from the engine's arrays. Before the fix the engine landed 43.6 km from such a reference
    (the issue's measurement); measured after it: 2.3 cm at impact after a 2,664 km flight,
    1.1 cm at burnout, 0.14 m in apogee. Bars as in the powered-flyout test above: burnout
    0.5 m and 5 mm/s, apogee 1 m, impact 5 m."""
    from boostphase.flight.flyout import _flyout_arrays, _run, _settings
    from reference_flyout import scipy_flyout

    m = load("generic-liquid-icbm")
    assert 10.0 < m.stages[0].burn_time_s < 160.0  # staging inside the pitch-over
    steering = Steering(kick_deg=20.0, vertical_rise_s=10.0, pitchover_s=150.0)
    arrays, _, bo = _flyout_arrays(m, *SITE, 0.0, 45.0, 20.0, steering, 2.0e4, WGS84)
    ref = scipy_flyout(arrays, 0, "DOP853", 1e-10, pitch=(10.0, 160.0))
    out = _run(arrays, WGS84, _settings(WGS84, True))
    assert out["impacted"][0]
    i = int(bo[0])
    assert np.linalg.norm(out["seg_state"][0, i, 1:4] - ref["seg_states"][i][1:4]) < 0.5
    assert np.linalg.norm(out["seg_state"][0, i, 4:] - ref["seg_states"][i][4:]) < 5e-3
    assert abs(out["apogee_alt"][0] - ref["apogee_m"]) < 1.0
    assert np.linalg.norm(out["y"][0, :3] - ref["impact_r"]) < 5.0
