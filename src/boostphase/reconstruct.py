"""Test-flight reconstruction: from a reported apogee, range (and flight time) to the reach of the
missile on a standard (minimum-energy) trajectory, by azimuth, with the Earth's rotation.

Method (after D. Wright's UCS analyses, 2017): the burnout speed of a lofted test does not carry
over to a standard trajectory (a steep boost loses more to gravity), so we fit a *vehicle*: start
from a catalog model, scale its payload until its lofted flight that reaches the reported apogee
lands at the reported range; then fly the same vehicle and payload on minimum-energy trajectories.
The fit has two free parameters (payload, pitch-over kick) for two data (apogee, range); the
flight time is a check, reported as a residual. Sensitivity: the whole fit is repeated with the
burn time scaled by +-20 % (a reader sees how much the answer depends on that assumption).

All searches are batched on the engine: one call flies every (payload, kick) pair at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .earth import WGS84, Earth
from .errors import InputError, check_range
from .flight import Steering, _Flyer, _flyout_arrays, _run, _settings, engine_threads, fly

DEFAULT_MISSILE = "hwasong-14"


def _multi_run(missiles, lat, lon, az_deg, kicks_deg, earth: Earth):
    """Fly several vehicles (each with its own kicks) in one batched engine call."""
    parts, sizes = [], []
    for m, k in zip(missiles, kicks_deg, strict=True):
        arrays, _, bo = _flyout_arrays(m, lat, lon, 0.0, az_deg, k, Steering(), 2.0e4, earth)
        arrays["_bo"] = bo
        parts.append(arrays)
        sizes.append(len(np.atleast_1d(k)))
    merged = {key: np.concatenate([p[key] for p in parts], axis=0) for key in parts[0] if key != "_bo"}
    bo = np.concatenate([p["_bo"] for p in parts])
    out = _run(merged, earth, _settings(earth, True))
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
                earth: Earth = WGS84) -> Fit:
    """Fit ``base`` to a lofted test: scale its payload so its lofted flight reaching ``apogee_m``
    lands at ``range_m``. If even a light payload cannot do it (a later, bigger missile flown with
    an older class model), the propellant of every stage is scaled up too (same burn times, so
    thrust grows with it), in steps of PROPELLANT_FACTORS, and the smallest factor that fits is
    used; ``Fit.missile`` records the scaling in its notes and sources."""
    last: InputError | None = None
    for f in PROPELLANT_FACTORS:
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
    lo, hi = 0.05 * base.payload_kg, 6.0 * base.payload_kg
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
        fl = _Flyer(base.with_payload(p), lat, lon, 0.0, Steering(), earth)
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


def _is_global(trajectory) -> bool:
    """True when the minimum-energy flight reaches orbit or (near) the antipode: the vehicle can
    reach any point, and a single range figure would mislead."""
    return (not trajectory.impacted) or trajectory.range_m >= GLOBAL_RANGE_M


def _propellant_factor(base, fitted) -> float:
    """Propellant of the fitted vehicle relative to the catalog model (1.0: unscaled)."""
    return sum(s.propellant_mass_kg for s in fitted.stages) / sum(s.propellant_mass_kg for s in base.stages)


def reach_by_azimuth(missile, lat: float, lon: float, azimuths_deg, earth: Earth = WGS84):
    """Minimum-energy reach for each launch azimuth: (range_m, impact_lat, impact_lon, impact bearing)."""
    az = np.asarray(azimuths_deg, float)
    kicks = np.geomspace(0.05, 60.0, 24)
    lo = np.full(len(az), kicks[0])
    hi = np.full(len(az), kicks[-1])
    grid = np.array([kicks] * len(az))
    for _ in range(4):
        arrays_list = []
        for i in range(len(az)):
            a, _, _ = _flyout_arrays(missile, lat, lon, 0.0, az[i], grid[i], Steering(), 2.0e4, earth)
            arrays_list.append(a)
        merged = {k: np.concatenate([a[k] for a in arrays_list]) for k in arrays_list[0]}
        out = _run(merged, earth, _settings(earth, True))
        ilat, ilon, _ = earth.ecef_to_geodetic(out["y"][:, :3])
        rng, _ = earth.distance_azimuth(lat, lon, ilat, ilon)
        _, brg = earth.distance_azimuth(lat, lon, ilat, ilon)
        turn = np.abs((np.asarray(brg) - np.repeat(az, grid.shape[1]) + 180.0) % 360.0 - 180.0)
        # a flight whose impact bearing is far from its launch azimuth has gone past the
        # antipode (its endpoint distance then under-states its range): not a reach candidate
        valid = out["impacted"] & (turn < 60.0)
        rng = np.where(valid, rng, -1.0).reshape(len(az), -1)
        best = np.argmax(rng, axis=1)
        n = grid.shape[1]
        for i in range(len(az)):
            lo[i] = grid[i, max(best[i] - 1, 0)]
            hi[i] = grid[i, min(best[i] + 1, n - 1)]
        res_rng = rng[np.arange(len(az)), best]
        res_lat = ilat.reshape(len(az), -1)[np.arange(len(az)), best]
        res_lon = ilon.reshape(len(az), -1)[np.arange(len(az)), best]
        grid = np.linspace(lo, hi, 12, axis=1)
    _, bearing = earth.distance_azimuth(lat, lon, res_lat, res_lon)
    return res_rng, res_lat, res_lon, np.asarray(bearing)


def reach_geojson(lat, lon, impact_lat, impact_lon, props: dict) -> dict:
    """A closed reach contour (GeoJSON Feature, Polygon of impact points of the max-range flights)."""
    ring = [[float(b), float(a)] for a, b in zip(impact_lat, impact_lon, strict=True)]
    ring.append(ring[0])
    return {"type": "Feature", "properties": {"kind": "reach", "launch": [lon, lat], **props},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def reconstruct(apogee_km: float, range_km: float, flight_time_s: float | None = None,
                launch: tuple[float, float] | None = None, test_azimuth_deg: float = 90.0,
                missile: str | None = None, cities: list[str] | None = None,
                sensitivity: bool = True, n_azimuths: int = 36, reach: bool = True) -> dict:
    """Reconstruct a lofted test; the JSON contract of ``boostphase reconstruct``."""
    from .vehicles import load

    check_range("apogee_km", apogee_km, 50.0, 20000.0, "km")
    check_range("range_km", range_km, 10.0, 20000.0, "km")
    if flight_time_s is not None:
        check_range("flight_time_s", flight_time_s, 60.0, 20000.0, "s")
    base = load(missile or DEFAULT_MISSILE)
    lat, lon = launch if launch is not None else (40.0, 127.0)
    apo, rng = apogee_km * 1e3, range_km * 1e3

    still = WGS84.without_rotation()

    def fit_and_fly(factor: float):
        """The fit of the catalog model (factor 1) or of a burn-time variant (burn time x factor
        at the same thrust: same engines, propellant scaled with the burn time), and its
        minimum-energy flight over the non-rotating Earth."""
        vehicle = base if factor == 1.0 else base.scaled(propellant_factor=factor, burn_time_factor=factor)
        f = fit_vehicle(vehicle, apo, rng, lat, lon, test_azimuth_deg)
        return f, fly(f.missile, lat, lon, azimuth_deg=test_azimuth_deg, profile="min-energy", earth=still)

    # the fit and its sensitivity variants are independent chains of small engine calls: run
    # side by side on the engine threads (same calls, same results)
    factors = (1.0, 0.8, 1.2) if sensitivity else (1.0,)
    with ThreadPoolExecutor(max(1, min(engine_threads(), len(factors)))) as pool:
        runs = [pool.submit(fit_and_fly, f) for f in factors]
    fit, std = runs[0].result()
    result = {
        "missile_model": base.name,
        "method": ("payload of the catalog model fitted so its lofted flight reaches the reported apogee "
                   "and range; then flown on a minimum-energy trajectory over a non-rotating Earth"),
        "max_range_km": None if _is_global(std) else std.range_m / 1e3,
        "orbital": _is_global(std),
        "burnout_speed_km_s": fit.burnout["speed_m_s"] / 1e3,
        "fit": {"apogee_km": fit.apogee_m / 1e3, "range_km": fit.range_m / 1e3,
                "flight_time_s": fit.flight_time_s, "payload_kg": fit.payload_kg, "kick_deg": fit.kick_deg,
                "propellant_factor": _propellant_factor(base, fit.missile)},
        "residuals": {"apogee_km": (fit.apogee_m - apo) / 1e3, "range_km": (fit.range_m - rng) / 1e3,
                      "flight_time_s": None if flight_time_s is None else fit.flight_time_s - flight_time_s},
        "test_burnout": {"time_s": fit.burnout["time_s"], "altitude_km": fit.burnout["altitude_m"] / 1e3,
                         "speed_km_s": fit.burnout["speed_m_s"] / 1e3,
                         "flight_path_deg": fit.burnout["flight_path_deg"]},
        "standard_burnout": {k: v for k, v in std.summary()["burnout"].items()},
        "standard_apogee_km": std.apogee_m / 1e3,
        "standard_flight_time_s": std.flight_time_s,
    }
    if sensitivity:
        sens = []
        # burn time +-20 % at the same thrust (same engines, propellant scaled with the burn time),
        # payload refitted to the test each time
        for f, run in zip(factors[1:], runs[1:], strict=True):
            try:
                fb, s = run.result()
                sens.append({"burn_time_factor": f, "payload_kg": fb.payload_kg,
                             "max_range_km": None if _is_global(s) else s.range_m / 1e3,
                             "orbital": _is_global(s)})
            except InputError as e:
                sens.append({"burn_time_factor": f, "error": str(e)})
        result["sensitivity"] = sens
        vals = [v for v in [s.get("max_range_km") for s in sens] + [result["max_range_km"]] if v is not None]
        # None when every variant reaches any point on Earth ("global"): no finite band to give
        result["max_range_band_km"] = [min(vals), max(vals)] if vals else None
    if launch is not None and reach:
        az = np.linspace(0.0, 360.0, n_azimuths, endpoint=False)
        r, ilat, ilon, bearing = reach_by_azimuth(fit.missile, lat, lon, az)
        result["reach_geojson"] = reach_geojson(lat, lon, ilat, ilon, {"missile": base.name,
                                                                       "payload_kg": fit.payload_kg})
        result["reach_by_azimuth"] = [{"azimuth_deg": float(a), "range_km": float(x / 1e3), "bearing_deg": float(b)}
                                      for a, x, b in zip(az, r, bearing, strict=True)]
        if cities:
            result["cities"] = _cities_in_reach(cities, lat, lon, r, bearing)
    return result


def _cities_in_reach(names, lat, lon, reach_m, bearing_deg, azimuths_deg=None):
    """Range toward each city on the rotating Earth. Rotation bends the flights, so a launch on
    azimuth A lands on bearing B(A) = A + d(A); we solve B(A) = the city's bearing on a fine,
    periodic interpolation of d(A) and the reach r(A) from the max-range flights."""
    from .geography import find_city

    n = len(reach_m)
    az = np.linspace(0.0, 360.0, n, endpoint=False) if azimuths_deg is None else np.asarray(azimuths_deg)
    d = (np.asarray(bearing_deg) - az + 180.0) % 360.0 - 180.0
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
            reach = float(r_f[k] + (r_f[k + 1] - r_f[k]) * err[k] / (err[k] - err[k + 1]))
        else:
            reach = float(r_f[int(np.argmin(np.abs(err)))])
        rows.append({"name": c.name, "lat": c.lat_deg, "lon": c.lon_deg, "distance_km": float(dist) / 1e3,
                     "azimuth_deg": caz, "range_km": reach / 1e3,
                     "in_reach": bool(reach >= float(dist)), "margin_km": (reach - float(dist)) / 1e3})
    return rows
