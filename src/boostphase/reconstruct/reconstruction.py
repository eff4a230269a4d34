"""Test-flight reconstruction: from a reported apogee, range (and flight time) to the reach of the
missile on a standard (minimum-energy) trajectory, by azimuth, with the Earth's rotation.

Method (after D. Wright's UCS analyses, 2017): the burnout speed of a lofted test does not carry
over to a standard trajectory (a steep boost loses more to gravity), so we fit a *vehicle*: start
from a catalog model, scale its payload until its lofted flight that reaches the reported apogee
lands at the reported range; then fly the same vehicle and payload on minimum-energy trajectories.
The fit has two free parameters (payload, pitch-over kick) for two data (apogee, range); the
flight time is a check, reported as a residual. Sensitivity: the whole fit is repeated with every
stage's burn time scaled by 0.8 and 1.2 at the same propellant (so thrust x1.25 and x0.83); each
variant reports its burn times, propellant, thrust and fitted payload, so a reader sees exactly what
changed and how much the answer depends on that assumption.

Model choice (:func:`choose_model`): a test whose reported apogee and range match a test in the
catalogue (data/nk_tests.toml) is fitted with that vehicle's class model; otherwise the North
Korean class model that flies the test with a payload closest to its own stated payload. The
result says which model was used and why; ``missile=`` overrides.

Global reach: a minimum-energy flight that does not come down, or flies 18,000 km or more, can
reach any point on its bearing; such an answer is "global" (``global_reach``), never a number,
and the result then gives its finite part (``max_range_lower_km``, the finite band members, the
burnout speed as a fraction of the circular orbital speed).

All searches are batched on the engine: one call flies every (payload, kick) pair at once.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, check_range
from ..flight.flyout import (
    Flyer,
    Steering,
    engine_settings,
    engine_threads,
    fly,
    flyout_cases,
    run_cases,
)
from ..models.constants import EARTH_MU_M3_S2, G0, SPHERE_R_M
from ..models.earth import WGS84, Earth
from ..results import ResultMixin, dataset, frame, nan_if_none, number, quantity

DEFAULT_MISSILE = "hwasong-14"
"""Kept for callers; :func:`reconstruct` now picks the model (:func:`choose_model`)."""

CANDIDATE_MODELS = ("hwasong-12", "hwasong-14", "hwasong-15", "hwasong-17", "hwasong-18", "hwasong-19")
"""North Korean class models, in order of size, among which :func:`choose_model` picks."""

MU_EARTH = EARTH_MU_M3_S2  # m^3/s^2 (WGS84 GM)
R_MEAN_M = SPHERE_R_M  # m, mean Earth radius for the circular-speed comparison


def _multi_run(missiles, lat, lon, az_deg, kicks_deg, earth: Earth):
    """Fly several vehicles (each with its own kicks) in one batched engine call."""
    parts, sizes = [], []
    for m, k in zip(missiles, kicks_deg, strict=True):
        arrays, _, bo = flyout_cases(m, lat, lon, 0.0, az_deg, k, Steering(), 2.0e4, earth)
        arrays["_bo"] = bo
        parts.append(arrays)
        sizes.append(len(np.atleast_1d(k)))
    merged = {key: np.concatenate([p[key] for p in parts], axis=0) for key in parts[0] if key != "_bo"}
    bo = np.concatenate([p["_bo"] for p in parts])
    out = run_cases(merged, earth, engine_settings(earth, True))
    ilat, ilon, _ = earth.ecef_to_geodetic(out["y"][:, :3])
    rng, brg = earth.distance_azimuth(lat, lon, ilat, ilon)
    out["range_m"] = np.where(out["impacted"], rng, np.nan)
    out["downrange_m"] = out["range_m"] * np.cos(np.radians(np.asarray(brg) - az_deg))
    out["burnout_state"] = out["seg_state"][np.arange(len(bo)), bo, 1:]
    splits = np.cumsum(sizes)[:-1]
    return [{k: v[s] for k, v in out.items()} for s in np.split(np.arange(len(bo)), splits)]


def _apogee_at_downrange(out, kicks, range_m, branch: str = "lofted"):
    """Apogee (m) and kick (deg) of the flight that lands ``range_m`` down the azimuth (NaN if none).

    Downrange grows with the kick along the lofted branch (from behind the launch point, where
    Coriolis drift puts a near-vertical shot, up to the minimum-energy kick) and falls beyond it
    (depressed branch). ``branch="lofted"`` takes the first upward crossing of ``range_m``,
    ``"depressed"`` the last downward one. The apogee there is a smooth function of payload,
    unlike the range at a fixed apogee, which folds where the lofted branch tops out."""
    d = np.nan_to_num(out["downrange_m"], nan=-np.inf) - range_m
    if branch == "lofted":
        idx = np.nonzero((d[:-1] < 0) & (d[1:] >= 0))[0]
        j = idx[0] if len(idx) else None
    else:
        idx = np.nonzero((d[:-1] >= 0) & (d[1:] < 0))[0]
        j = idx[-1] if len(idx) else None
    if j is None:
        return np.nan, np.nan
    w = -d[j] / (d[j + 1] - d[j])
    a = out["apogee_alt"]
    return a[j] + w * (a[j + 1] - a[j]), kicks[j] + w * (kicks[j + 1] - kicks[j])


@dataclass
class Fit:
    missile: object
    payload_kg: float
    kick_deg: float
    apogee_m: float
    range_m: float
    flight_time_s: float
    burnout: dict
    downrange_m: float = float("nan")


PROPELLANT_FACTORS = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0)


class _TooWeak(InputError):
    """The vehicle cannot fly the test even with the lightest payload tried."""


def fit_vehicle(base, apogee_m: float, range_m: float, lat: float, lon: float, az_deg: float,
                earth: Earth = WGS84, scale_propellant: bool = True) -> Fit:
    """Fit ``base`` to a lofted test: scale its payload so its lofted flight reaching ``apogee_m``
    lands at ``range_m``. If even a light payload cannot do it (a later, bigger missile flown with
    an older class model), the propellant of every stage is scaled up too (same burn times, so
    thrust grows with it), in steps of PROPELLANT_FACTORS, and the smallest factor that fits is
    used; ``Fit.missile`` records the scaling in its notes and sources.
    ``scale_propellant=False``: the catalog propellant only (the too-weak error is raised)."""
    last: InputError | None = None
    for f in PROPELLANT_FACTORS if scale_propellant else PROPELLANT_FACTORS[:1]:
        vehicle = base if f == 1.0 else base.scaled(propellant_factor=f)
        try:
            fit = _fit_payload(vehicle, apogee_m, range_m, lat, lon, az_deg, earth)
        except _TooWeak as e:
            last = e
            continue
        # the fit aims the downrange along the test azimuth; Coriolis adds a cross-track part,
        # so aim once more at the downrange that makes the distance equal the reported range
        cross2 = max(fit.range_m ** 2 - fit.downrange_m ** 2, 0.0)
        if cross2 > (1e-3 * range_m) ** 2 and cross2 < range_m ** 2:
            fit = _fit_payload(vehicle, apogee_m, float(np.sqrt(range_m ** 2 - cross2)), lat, lon, az_deg, earth)
        return fit
    raise last


def _fit_payload(base, apogee_m: float, range_m: float, lat: float, lon: float, az_deg: float,
                 earth: Earth = WGS84) -> Fit:
    """Try the lofted branch (what North Korea's tests fly), then the depressed one (a test
    flown flatter than minimum energy, e.g. the 2017 overflights of Japan)."""
    try:
        return _fit_branch(base, apogee_m, range_m, lat, lon, az_deg, earth, "lofted")
    except _TooWeak:
        raise
    except InputError as lofted_error:
        try:
            return _fit_branch(base, apogee_m, range_m, lat, lon, az_deg, earth, "depressed")
        except InputError:
            raise lofted_error from None


def _fit_branch(base, apogee_m: float, range_m: float, lat: float, lon: float, az_deg: float,
                earth: Earth, branch: str) -> Fit:
    """Scale the payload of ``base`` so that its lofted flight landing ``range_m`` down the test
    azimuth peaks at ``apogee_m`` (batched grid over payload x kick, then a secant on exact fits)."""
    kicks = np.geomspace(0.02, 60.0, 56)
    # no heavier payload than the first stage can lift off the pad (a slow-burning variant with
    # 6x the payload would not be a missile at all, and building it would fail the whole fit)
    liftable = base.stages[0].thrust_sl_n / G0 - (base.launch_mass_kg - base.payload_kg)
    lo, hi = 0.05 * base.payload_kg, min(6.0 * base.payload_kg, 0.99 * liftable)
    if hi <= lo:
        raise _TooWeak("apogee_km/range_km", f"{apogee_m / 1e3:g}/{range_m / 1e3:g}",
                       f"a flight the {base.name} model can lift off for (its first stage lifts at most "
                       f"{liftable:.0f} kg of payload)")
    payloads = np.geomspace(lo, hi, 10)
    for _ in range(3):
        outs = _multi_run([base.with_payload(p) for p in payloads], lat, lon, az_deg, [kicks] * len(payloads), earth)
        apos = np.array([_apogee_at_downrange(o, kicks, range_m, branch)[0] for o in outs])
        sign = 1.0 if branch == "lofted" else -1.0
        # lofted: the apogee at the test range falls as the payload grows; depressed: it rises
        f = np.where(np.isfinite(apos), sign * (apos - apogee_m), -np.inf)
        idx = np.nonzero((f[:-1] >= 0) & (f[1:] < 0))[0]
        if len(idx) == 0:
            if branch == "lofted" and (not np.isfinite(apos).any() or np.nanmax(apos) < apogee_m):
                raise _TooWeak("apogee_km/range_km", f"{apogee_m / 1e3:g}/{range_m / 1e3:g}",
                               f"a flight the {base.name} model can fly even with a "
                               f"{lo:.0f} kg payload (try another --missile)")
            raise InputError("apogee_km/range_km", f"{apogee_m / 1e3:g}/{range_m / 1e3:g}",
                             f"a flight the {base.name} model can match with payloads of {lo:.0f}-{hi:.0f} kg")
        j = idx[0]
        p0, p1 = payloads[j], payloads[j + 1]
        payloads = np.linspace(p0, p1, 10)

    def exact(p):
        """(flyer, kick, signed apogee miss) of the exact solution on the chosen branch at payload p."""
        fl = Flyer(base.with_payload(p), lat, lon, 0.0, Steering(), earth)
        # near the fold of a test flown close to minimum energy the window of kicks that reach
        # the range is narrow: a denser first grid finds it
        k, _ = fl._solve_kick(az_deg, 0.01, 60.0, "downrange_m", range_m,
                              "first" if branch == "lofted" else "last",
                              n_first=32 if branch == "lofted" else 128)
        if k is None:
            return fl, None, -np.inf
        return fl, k, sign * (float(fl.run(az_deg, k)["apogee_alt"][0]) - apogee_m)

    pa, pb = p0, p1
    _, _, fa = exact(pa)
    _, _, fb = exact(pb)

    def guess():
        if np.isfinite(fa) and np.isfinite(fb) and fa != fb:
            return float(pa + fa * (pb - pa) / (fa - fb))
        return 0.5 * (pa + pb)

    payload = guess()
    best = None
    for _ in range(25):  # secant, falling back to bisection near the fold (a test near min-energy)
        flyer, k, fp = exact(payload)
        if k is not None and (best is None or abs(fp) < abs(best[2])):
            best = (flyer, k, fp, payload)
        if k is not None and abs(fp) < 1e-4 * apogee_m:
            break
        if fp >= 0:
            pa, fa = payload, fp
        else:
            pb, fb = payload, fp
        payload = guess()
    if best is not None:
        flyer, k, fp, payload = best
    payload = float(payload)
    fp = sign * fp  # back to apogee units for the message
    # never report a fit that did not converge; on the depressed branch a test flown close to
    # minimum energy sits at the fold, where the apogee barely depends on the payload: the best
    # fit is returned with its residual (reported) if within 10 %
    tol = 0.005 if branch == "lofted" else 0.10
    if k is None or abs(fp) > tol * apogee_m:
        raise InputError("apogee_km/range_km", f"{apogee_m / 1e3:g}/{range_m / 1e3:g}",
                         f"a test the {base.name} model can be fitted to (best fit misses the apogee "
                         f"by {fp / 1e3:+,.0f} km)")
    tr = flyer.trajectory(az_deg, k, branch)
    lat_i, lon_i = tr.impact_lat_lon_deg
    _, brg = earth.distance_azimuth(lat, lon, lat_i, lon_i)
    return Fit(missile=flyer.missile, payload_kg=payload, kick_deg=k, apogee_m=tr.apogee_m, range_m=tr.range_m,
               flight_time_s=tr.flight_time_s, burnout=tr.burnout(),
               downrange_m=tr.range_m * float(np.cos(np.radians(float(brg) - az_deg))))


GLOBAL_RANGE_M = 18_000e3  # beyond ~90 % of half the circumference a "range" is any point on Earth


def is_global(trajectory) -> bool:
    """True when the minimum-energy flight reaches orbit or (near) the antipode: the vehicle can
    reach any point, and a single range figure would mislead."""
    return (not trajectory.impacted) or trajectory.range_m >= GLOBAL_RANGE_M


def model_for(vehicle: str) -> tuple[str | None, str]:
    """Catalog class model for a test of ``vehicle`` (a name as the test catalogue gives it), and
    a note saying why that model (or why none)."""
    m = re.search(r"hwasong[-\s]?(\d+)([a-z]?)", vehicle.lower())
    if m is None:
        return None, f"no catalog model for the vehicle {vehicle!r}"
    num, suffix = int(m.group(1)), m.group(2)
    if "failed" in vehicle.lower():
        return None, ("a failed flight (data/nk_tests.toml): its apogee and range are not those "
                      "of a powered flight to burnout, so no reach is implied")
    if suffix:
        return None, (f"no catalog model for {vehicle} (a variant; the Hwasong-16B is reported "
                      "as an IRBM with a hypersonic glide vehicle, which a ballistic fit does "
                      "not describe)")
    if num == 17 and "claimed" in vehicle.lower():
        return "hwasong-15", ("claimed by North Korea as a Hwasong-17; South Korea's defence "
                              "ministry assessed it as more similar to the Hwasong-15 "
                              "(data/nk_tests.toml), so the Hwasong-15 class model is used")
    if f"hwasong-{num}" in CANDIDATE_MODELS:
        return f"hwasong-{num}", ""
    return None, f"no catalog model for {vehicle}"


PAYLOAD_FLOOR = 0.25
"""A class model "can fly" a test if it does so with at least this fraction of its stated
payload; a lighter payload would make it a different, stronger missile than the class model."""


def choose_model(apogee_km: float, range_km: float, launch: tuple[float, float] | None = None,
                 test_azimuth_deg: float = 90.0, earth: Earth = WGS84,
                 use_catalogue: bool = True) -> dict:
    """Pick the class model to fit a test (apogee and range in km); returns ``{"model", "how",
    "why", "candidates"}``.

    1. ``how="catalogue"``: the apogee (within 0.5 %) and range (within 1 %) match a test in
       data/nk_tests.toml: that test's vehicle's class model (:func:`model_for`).
    2. ``how="physics"``: otherwise the least massive of :data:`CANDIDATE_MODELS` that can fly
       the test: flown with :data:`PAYLOAD_FLOOR` of its stated payload on the lofted flight that
       lands at the reported range, it peaks at or above the reported apogee (the fit then adds
       payload down to the apogee). If none can, the most massive, and the fit says how it fails.
    """
    from ..models.vehicles import load
    from .testflights import load_tests

    for t in load_tests() if use_catalogue else []:
        if t.apogee_km is None or t.range_km is None:
            continue
        if abs(t.apogee_km - apogee_km) <= 0.005 * t.apogee_km and abs(t.range_km - range_km) <= 0.01 * t.range_km:
            name, note = model_for(t.vehicle)
            if name is not None:
                return {"model": name, "how": "catalogue", "candidates": [],
                        "why": (f"the reported apogee and range match the catalogued test of "
                                f"{t.date.isoformat()} ({t.vehicle}, data/nk_tests.toml): its class "
                                f"model is used" + (f"; {note}" if note else ""))}
    lat, lon = launch if launch is not None else (40.0, 127.0)
    kicks = np.geomspace(0.02, 60.0, 56)
    models = sorted((load(n) for n in CANDIDATE_MODELS), key=lambda m: m.launch_mass_kg)
    light = [m.with_payload(PAYLOAD_FLOOR * m.payload_kg) for m in models]
    outs = _multi_run(light, lat, lon, test_azimuth_deg, [kicks] * len(light), earth)
    cands = []
    for m, out in zip(models, outs, strict=True):
        apo, _ = _apogee_at_downrange(out, kicks, range_km * 1e3, "lofted")
        ok = bool(np.isfinite(apo) and apo > 0)
        cands.append({"model": m.name, "launch_mass_kg": m.launch_mass_kg,
                      "floor_payload_kg": PAYLOAD_FLOOR * m.payload_kg,
                      "apogee_at_range_km": float(apo) / 1e3 if ok else None,
                      "can_fly": bool(ok and apo >= apogee_km * 1e3)})
    able = [c for c in cands if c["can_fly"]]
    if able:
        best = able[0]
        why = (f"no catalogued test has these figures; the {best['model']} class model is the least "
               f"massive that can fly the test: with {best['floor_payload_kg']:.0f} kg "
               f"({PAYLOAD_FLOOR:.0%} of its stated payload) its lofted flight to the reported range "
               f"peaks at {best['apogee_at_range_km']:,.0f} km, above the reported {apogee_km:,.0f} km")
    else:
        best = cands[-1]
        why = (f"no catalogued test has these figures and no class model can fly it with "
               f"{PAYLOAD_FLOOR:.0%} of its stated payload; the most massive ({best['model']}) is tried")
    return {"model": best["model"], "how": "physics", "candidates": cands, "why": why}


def vehicle_figures(missile) -> dict:
    """Per-stage burn times (s), propellant (kg) and vacuum thrust (kN) of ``missile``."""
    return {"burn_time_s": [s.burn_time_s for s in missile.stages],
            "propellant_kg": [s.propellant_mass_kg for s in missile.stages],
            "thrust_vac_kn": [s.thrust_vac_n / 1e3 for s in missile.stages]}


def circular_speed_m_s(altitude_m: float) -> float:
    """Circular orbital speed (m/s) at ``altitude_m`` over a spherical Earth (R = 6,371 km)."""
    return float(np.sqrt(MU_EARTH / (R_MEAN_M + altitude_m)))


def _propellant_factor(base, fitted) -> float:
    """Propellant of the fitted vehicle relative to the catalog model (1.0: unscaled)."""
    return sum(s.propellant_mass_kg for s in fitted.stages) / sum(s.propellant_mass_kg for s in base.stages)


def reach_by_azimuth(missile, lat: float, lon: float, azimuths_deg, earth: Earth = WGS84):
    """Minimum-energy reach for each launch azimuth (deg): ``(range_m, impact_lat, impact_lon,
    impact bearing, global)``. ``global[i]`` is True when some flight on azimuth i does not come
    down (orbital), goes past the antipode, or flies 18,000 km or more: the missile can reach
    any point on that bearing. For those entries range, impact point and bearing are NaN."""
    az = np.asarray(azimuths_deg, float)
    kicks = np.geomspace(0.05, 60.0, 24)
    lo = np.full(len(az), kicks[0])
    hi = np.full(len(az), kicks[-1])
    grid = np.array([kicks] * len(az))
    glob = np.zeros(len(az), bool)
    for it in range(4):
        arrays_list = []
        for i in range(len(az)):
            a, _, _ = flyout_cases(missile, lat, lon, 0.0, az[i], grid[i], Steering(), 2.0e4, earth)
            arrays_list.append(a)
        merged = {k: np.concatenate([a[k] for a in arrays_list]) for k in arrays_list[0]}
        out = run_cases(merged, earth, engine_settings(earth, True))
        ilat, ilon, _ = earth.ecef_to_geodetic(out["y"][:, :3])
        rng, brg = earth.distance_azimuth(lat, lon, ilat, ilon)
        turn = np.abs((np.asarray(brg) - np.repeat(az, grid.shape[1]) + 180.0) % 360.0 - 180.0)
        # a flight whose impact bearing is far from its launch azimuth has gone past the
        # antipode (its endpoint distance then under-states its range): not a reach candidate
        impacted = np.asarray(out["impacted"], bool)
        # global: a flight that does not come down, or one that lands far away on a bearing
        # turned by 60 deg or more (gone past the antipode; a near-vertical shot also lands on a
        # turned bearing, but close to the launch point)
        far = np.asarray(rng, float).reshape(-1) >= 5.0e6
        beyond = (~impacted | (impacted & (turn >= 60.0) & far)).reshape(len(az), -1).any(axis=1)
        valid = impacted & (turn < 60.0)
        rng = np.where(valid, rng, -1.0).reshape(len(az), -1)
        glob |= beyond | (rng.max(axis=1) >= GLOBAL_RANGE_M)
        best = np.argmax(rng, axis=1)
        n = grid.shape[1]
        for i in range(len(az)):
            lo[i] = grid[i, max(best[i] - 1, 0)]
            hi[i] = grid[i, min(best[i] + 1, n - 1)]
        res_rng = rng[np.arange(len(az)), best]
        res_lat = ilat.reshape(len(az), -1)[np.arange(len(az)), best]
        res_lon = ilon.reshape(len(az), -1)[np.arange(len(az)), best]
        if it == 0 and glob.all():
            break  # every bearing is global: nothing to refine
        grid = np.linspace(lo, hi, 12, axis=1)
    _, bearing = earth.distance_azimuth(lat, lon, res_lat, res_lon)
    nan = np.full(len(az), np.nan)
    return (np.where(glob, nan, res_rng), np.where(glob, nan, res_lat), np.where(glob, nan, res_lon),
            np.where(glob, nan, np.asarray(bearing, float)), glob)


def reach_geojson(lat, lon, impact_lat, impact_lon, props: dict) -> dict:
    """A reach contour (GeoJSON Feature): a Polygon through the impact points of the max-range
    flights. Global bearings (NaN impact points) are left out of the ring, so it has no spikes;
    when every bearing is global the geometry is null (the whole Earth is in reach) and
    ``properties.global_reach`` is true."""
    keep = np.isfinite(np.asarray(impact_lat, float)) & np.isfinite(np.asarray(impact_lon, float))
    ring = [[float(b), float(a)] for a, b, k in zip(impact_lat, impact_lon, keep, strict=True) if k]
    props = {**props, "global_reach": bool(not keep.any())}
    if len(ring) < 3:
        return {"type": "Feature", "properties": {"kind": "reach", "launch": [lon, lat], **props},
                "geometry": None}
    ring.append(ring[0])
    return {"type": "Feature", "properties": {"kind": "reach", "launch": [lon, lat], **props},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _variant(base, factor: float, fit: Fit, std) -> dict:
    """One burn-time variant: what changed, its burn times, propellant, thrust, fitted payload
    and standard-trajectory reach."""
    pf = _propellant_factor(base, fit.missile)
    changed = f"burn time x{factor:g} at the same propellant (thrust x{1.0 / factor:.2f})"
    if abs(pf - 1.0) > 1e-9:
        changed += (f"; the variant could not fly the test even with a light payload, so every "
                    f"stage's propellant was also scaled x{pf:g} (same burn times, thrust "
                    f"scaled with it)")
    g = is_global(std)
    return {"burn_time_factor": factor, "changed": changed, **vehicle_figures(fit.missile),
            "propellant_factor": pf, "payload_kg": fit.payload_kg,
            "max_range_km": None if g else std.range_m / 1e3, "global_reach": g, "orbital": g,
            "burnout_speed_km_s": fit.burnout["speed_m_s"] / 1e3}


def reconstruct(apogee_km: float, range_km: float, flight_time_s: float | None = None,
                launch: tuple[float, float] | None = None, test_azimuth_deg: float = 90.0,
                missile: str | None = None, cities: list[str] | None = None,
                sensitivity: bool = True, n_azimuths: int = 36, reach: bool = True) -> dict:
    """Reconstruct a lofted test (apogee, range in km; flight time in s); the JSON contract of
    ``boostphase reconstruct`` (km, km/s, s, kg, kN). ``missile=None`` picks the class model
    (:func:`choose_model`)."""
    from ..models.vehicles import load

    check_range("apogee_km", apogee_km, 50.0, 20000.0, "km")
    check_range("range_km", range_km, 10.0, 20000.0, "km")
    if flight_time_s is not None:
        check_range("flight_time_s", flight_time_s, 60.0, 20000.0, "s")
    check_range("test_azimuth_deg", test_azimuth_deg, -360.0, 360.0, "deg")
    lat, lon = launch if launch is not None else (40.0, 127.0)
    if missile:
        base = load(missile)
        choice = {"model": base.name, "how": "user", "candidates": [],
                  "why": "chosen by the user (--missile)"}
    else:
        choice = choose_model(apogee_km, range_km, (lat, lon), test_azimuth_deg)
        base = load(choice["model"])
    apo, rng = apogee_km * 1e3, range_km * 1e3

    still = WGS84.without_rotation()

    def fit_and_fly(factor: float):
        """The fit of the catalog model (factor 1) or of a burn-time variant (every burn time x
        factor at the same propellant, so thrust / factor), and its minimum-energy flight over
        the non-rotating Earth."""
        vehicle = base if factor == 1.0 else base.scaled(burn_time_factor=factor)
        # a variant keeps its propellant: if it cannot fly the test, the test rules it out
        f = fit_vehicle(vehicle, apo, rng, lat, lon, test_azimuth_deg, scale_propellant=factor == 1.0)
        return f, fly(f.missile, lat, lon, azimuth_deg=test_azimuth_deg, profile="min-energy", earth=still)

    # the fit and its sensitivity variants are independent chains of small engine calls: run
    # side by side on the engine threads (same calls, same results)
    factors = (1.0, 0.8, 1.2) if sensitivity else (1.0,)
    with ThreadPoolExecutor(max(1, min(engine_threads(), len(factors)))) as pool:
        runs = [pool.submit(fit_and_fly, f) for f in factors]
    fit, std = runs[0].result()
    glob = is_global(std)
    result = {
        "missile_model": base.name,
        "model_choice": choice,
        "method": ("payload of the catalog model fitted so its lofted flight reaches the reported apogee "
                   "and range; then flown on a minimum-energy trajectory over a non-rotating Earth"),
        "max_range_km": None if glob else std.range_m / 1e3,
        "global_reach": glob,
        "orbital": glob,
        "burnout_speed_km_s": fit.burnout["speed_m_s"] / 1e3,
        "fit": {"apogee_km": fit.apogee_m / 1e3, "range_km": fit.range_m / 1e3,
                "flight_time_s": fit.flight_time_s, "payload_kg": fit.payload_kg, "kick_deg": fit.kick_deg,
                "propellant_factor": _propellant_factor(base, fit.missile), **vehicle_figures(fit.missile)},
        "residuals": {"apogee_km": (fit.apogee_m - apo) / 1e3, "range_km": (fit.range_m - rng) / 1e3,
                      "flight_time_s": None if flight_time_s is None else fit.flight_time_s - flight_time_s},
        "test_burnout": {"time_s": fit.burnout["time_s"], "altitude_km": fit.burnout["altitude_m"] / 1e3,
                         "speed_km_s": fit.burnout["speed_m_s"] / 1e3,
                         "flight_path_deg": fit.burnout["flight_path_deg"]},
        "standard_burnout": {k: v for k, v in std.summary()["burnout"].items()},
        "standard_apogee_km": std.apogee_m / 1e3,
        "standard_flight_time_s": std.flight_time_s,
    }
    supported = [GLOBAL_RANGE_M / 1e3 if glob else std.range_m / 1e3]
    finite = [] if glob else [std.range_m / 1e3]
    if sensitivity:
        sens = []
        for f, run in zip(factors[1:], runs[1:], strict=True):
            try:
                fb, s = run.result()
            except InputError as e:
                sens.append({"burn_time_factor": f,
                             "changed": f"burn time x{f:g} at the same propellant (thrust x{1.0 / f:.2f})",
                             "error": f"no fit, so the test rules this variant out: {e}"})
                continue
            row = _variant(base, f, fb, s)
            sens.append(row)
            supported.append(GLOBAL_RANGE_M / 1e3 if row["global_reach"] else row["max_range_km"])
            if not row["global_reach"]:
                finite.append(row["max_range_km"])
        result["sensitivity"] = sens
        # None when every variant reaches any point on Earth ("global"): no finite band to give
        result["max_range_band_km"] = [min(finite), max(finite)] if finite else None
    # the smallest range the fit and its band support: a global member counts as 18,000 km
    result["max_range_lower_km"] = min(supported)
    if glob:
        bo = result["standard_burnout"]
        vc = circular_speed_m_s(bo["altitude_km"] * 1e3) / 1e3
        result["global_note"] = {
            "why": (("the fitted vehicle's minimum-energy flight does not come down (orbital)"
                     if not std.impacted else
                     f"the fitted vehicle's minimum-energy flight lands {GLOBAL_RANGE_M / 1e3:,.0f} km "
                     f"or more away (near the antipode)") +
                    ": it can reach any point on that bearing, and a single range would be noise on a "
                    "near-orbital speed. The finite part of the answer: max_range_lower_km (the "
                    "smallest range the fit and its burn-time band support; a global member counts "
                    f"as {GLOBAL_RANGE_M / 1e3:,.0f} km), the band's finite members, and the burnout "
                    "speed as a fraction of the circular orbital speed at that altitude."),
            "finite_band_members_km": sorted(finite),
            "standard_burnout_speed_km_s": bo["speed_km_s"],
            "circular_speed_km_s": vc,
            "fraction_of_circular_speed": bo["speed_km_s"] / vc,
        }
    if launch is not None and reach:
        az = np.linspace(0.0, 360.0, n_azimuths, endpoint=False)
        r, ilat, ilon, bearing, g = reach_by_azimuth(fit.missile, lat, lon, az)
        result["reach_geojson"] = reach_geojson(lat, lon, ilat, ilon, {"missile": base.name,
                                                                       "payload_kg": fit.payload_kg})
        result["reach_by_azimuth"] = [
            {"azimuth_deg": float(a), "range_km": None if gi else float(x / 1e3),
             "bearing_deg": None if gi else float(b), "global_reach": bool(gi)}
            for a, x, b, gi in zip(az, r, bearing, g, strict=True)]
        if cities:
            result["cities"] = cities_in_reach(cities, lat, lon, r, bearing, global_mask=g)
    return result


def cities_in_reach(names, lat, lon, reach_m, bearing_deg, azimuths_deg=None, global_mask=None):
    """Range toward each city on the rotating Earth. Rotation bends the flights, so a launch on
    azimuth A lands on bearing B(A) = A + d(A); we solve B(A) = the city's bearing on a fine,
    periodic interpolation of d(A) and the reach r(A) from the max-range flights.

    Global bearings (``global_mask``; NaN reach): d(A) is interpolated from the finite ones; a
    city whose launch azimuth lies between two global samples is ``global_reach`` (range None, in
    reach); between a global and a finite sample its range is the finite one, a lower bound
    (``range_is_lower_bound``)."""
    from ..models.geography import find_city

    n = len(reach_m)
    az = np.linspace(0.0, 360.0, n, endpoint=False) if azimuths_deg is None else np.asarray(azimuths_deg)
    g = np.zeros(n, bool) if global_mask is None else np.asarray(global_mask, bool)
    reach_m = np.asarray(reach_m, float)
    d = (np.asarray(bearing_deg, float) - az + 180.0) % 360.0 - 180.0
    if g.all():
        d = np.zeros(n)
    elif g.any():
        d[g] = np.interp(az[g], az[~g], d[~g], period=360.0)
    step = 360.0 / n
    fine = np.linspace(0.0, 360.0, 3601)
    ext_az = np.concatenate([az - 360.0, az, az + 360.0])
    d_f = np.interp(fine, ext_az, np.concatenate([d, d, d]))
    r_f = np.interp(fine, ext_az, np.concatenate([reach_m] * 3))
    b_f = fine + d_f
    rows = []
    for name in names:
        c = find_city(name.strip())
        dist, caz = WGS84.distance_azimuth(lat, lon, c.lat_deg, c.lon_deg)
        caz = float(caz) % 360.0
        err = (b_f - caz + 180.0) % 360.0 - 180.0
        cross = np.nonzero(np.sign(err[:-1]) != np.sign(err[1:]))[0]
        cross = [k for k in cross if abs(err[k] - err[k + 1]) < 180.0]
        if cross:
            # several launch azimuths may land on the city's bearing (flights near the antipode
            # bend a lot): take the one launched closest to the city's own bearing
            k = min(cross, key=lambda kk: abs((fine[kk] - caz + 180.0) % 360.0 - 180.0))
            w = err[k] / (err[k] - err[k + 1])
        else:
            k, w = int(np.argmin(np.abs(err))), 0.0
        a_launch = (fine[k] + w * (fine[min(k + 1, len(fine) - 1)] - fine[k])) % 360.0
        i0 = int(np.floor((a_launch - az[0]) / step + 1e-9)) % n
        i1 = (i0 + 1) % n
        lower = False
        if g[i0] and g[i1]:
            reach = None
        elif g[i0] or g[i1]:
            reach, lower = float(reach_m[i1] if g[i0] else reach_m[i0]), True
        elif cross:
            reach = float(r_f[k] + (r_f[k + 1] - r_f[k]) * w)
        else:
            reach = float(r_f[k])
        row = {"name": c.name, "lat": c.lat_deg, "lon": c.lon_deg, "distance_km": float(dist) / 1e3,
               "azimuth_deg": caz, "range_km": None if reach is None else reach / 1e3,
               "global_reach": reach is None,
               "in_reach": True if reach is None else bool(reach >= float(dist)),
               "margin_km": None if reach is None else (reach - float(dist)) / 1e3}
        if lower:
            row["range_is_lower_bound"] = True
        rows.append(row)
    return rows



class Reconstruction(ResultMixin, dict):
    """:func:`reconstruct`'s answer as a result: the same dict (every key as before, JSON as
    before, ``r["max_range_km"]``), with a one-line repr, tables (``to_dataframe``,
    ``to_xarray``) and ``plot()``. ``to_dict()``: a plain dict."""

    plot_kind = "reconstruction"

    def to_dict(self) -> dict:
        return dict(self)

    def result_title(self) -> str:
        return str(self.get("missile_model", ""))

    def key_figures(self) -> list[tuple[str, str]]:
        """Maximum range (or global), its burn-time band, burnout speed, fitted payload, residuals."""
        if self.get("global_reach"):
            figs = [("max range", f"global (at least {number(self.get('max_range_lower_km'))} km)")]
        else:
            figs = [("max range", quantity(self.get("max_range_km"), "km"))]
        band = self.get("max_range_band_km")
        if band:
            figs.append(("band", f"{number(band[0])}-{number(band[1])} km"))
        figs += [("burnout", quantity(self["burnout_speed_km_s"], "km/s", 2)),
                 ("payload", quantity(self["fit"]["payload_kg"], "kg"))]
        res = self.get("residuals", {})
        return [*figs, ("fit residuals", f"apogee {res.get('apogee_km', 0.0):+.1f} km, "
                                          f"range {res.get('range_km', 0.0):+.1f} km")]

    def verdict_line(self) -> str | None:
        cities = self.get("cities")
        if cities:
            ins = [c["name"] for c in cities if c["in_reach"]]
            outs = [c["name"] for c in cities if not c["in_reach"]]
            return f"in reach: {', '.join(ins) or 'none'}; out of reach: {', '.join(outs) or 'none'}"
        if self.get("global_reach"):
            return "global reach: the fitted vehicle can reach any point on its bearing"
        return None

    def variant_rows(self) -> list[dict]:
        """The fit and its burn-time variants, one row each (NaN where global or not fitted)."""
        fit = self["fit"]
        rows = [{"variant": "fit", "burn_time_factor": 1.0, "propellant_factor": fit["propellant_factor"],
                 "payload_kg": fit["payload_kg"], "burnout_speed_km_s": self["burnout_speed_km_s"],
                 "max_range_km": nan_if_none(self["max_range_km"]), "global_reach": bool(self["global_reach"]),
                 "fitted": True}]
        for v in self.get("sensitivity", []):
            ok = "error" not in v
            rows.append({"variant": f"burn time x{v['burn_time_factor']:g}", "burn_time_factor": v["burn_time_factor"],
                         "propellant_factor": nan_if_none(v.get("propellant_factor")), "payload_kg": nan_if_none(v.get("payload_kg")),
                         "burnout_speed_km_s": nan_if_none(v.get("burnout_speed_km_s")),
                         "max_range_km": nan_if_none(v.get("max_range_km")), "global_reach": bool(v.get("global_reach")),
                         "fitted": ok})
        return rows

    def _table(self, table: str) -> list[dict]:
        if table == "variants":
            return self.variant_rows()
        key = {"reach": "reach_by_azimuth", "cities": "cities"}.get(table)
        if key is None or key not in self:
            have = ["variants", *[t for t, k in (("reach", "reach_by_azimuth"), ("cities", "cities")) if k in self]]
            raise InputError("table", table, " or ".join(have) + " (reach: give launch=; cities: give cities=)")
        names = {"lat": "lat_deg", "lon": "lon_deg"}  # the JSON's city keys, units named
        return [{names.get(k, k): (nan_if_none(v) if v is None else v) for k, v in r.items()} for r in self[key]]

    def to_dataframe(self, table: str = "variants"):
        """A pandas DataFrame: ``variants`` (the fit and its burn-time variants), ``reach`` (max
        range by launch azimuth) or ``cities``; units in the column names."""
        rows = self._table(table)
        return frame({k: [r.get(k) for r in rows] for k in rows[0]}, {"result": repr(self)})

    def to_xarray(self):
        """An xarray Dataset: the variants on ``burn_time_factor``; where computed, the reach on
        ``azimuth_deg`` (``reach_range_km``...) and the cities on ``city`` (``city_in_reach``...)."""
        rows = self.variant_rows()
        data = {k: ("burn_time_factor", np.array([r[k] for r in rows])) for k in rows[0] if k != "burn_time_factor"}
        coords = {"burn_time_factor": ("burn_time_factor", np.array([r["burn_time_factor"] for r in rows]))}
        for table, dim, key in (("reach", "azimuth_deg", "reach_by_azimuth"), ("city", "city", "cities")):
            if key in self:
                rr = self._table("reach" if table == "reach" else "cities")
                first = "azimuth_deg" if table == "reach" else "name"
                coords[dim] = (dim, np.array([r[first] for r in rr]))
                keys = dict.fromkeys(k for r in rr for k in r if k != first)  # some rows have more
                data.update({f"{table}_{k}": (dim, np.array([r.get(k, False) for r in rr])) for k in keys})
        return dataset(data, coords, {"result": repr(self), "missile_model": self.get("missile_model")})
