"""Overflight report: which countries and seas lie under a trajectory, when, and how high
(MISSION claim C6, e.g. "recent tests pass over Japan").

Method.  The integrator records the Earth-fixed state (position and velocity) at its accepted
steps, which are far apart in mid-course (minutes).  The track is resampled on a uniform grid
of ``dt_s`` seconds from launch to impact by cubic Hermite interpolation of the Earth-fixed
position, using the recorded Earth-fixed velocity as its derivative (both are in the rotating
frame, so the velocity is exactly the derivative the interpolant needs).  Each sample's
sub-point (the geodetic latitude and longitude under the vehicle) is labelled with
:func:`boostphase.models.geography.territory` (a country, a named sea, or "Open ocean"), and runs of
equal labels are merged into segments.

Resolution.  A change of territory between two samples is placed at their midpoint, so every
entry and exit time is within ``dt_s / 2`` of the time the sub-point crossed the border of the
Natural Earth 1:10m polygons.  A territory crossed in less than ``dt_s`` can be missed (at the
~3-7 km/s ground speed of a mid-course missile and the default 1 s, a strip narrower than a few
km).  Altitudes are geodetic (above the WGS84 ellipsoid, or the sphere of a spherical model),
taken over the samples within a segment and the interpolated states at its two boundaries.
"""

from __future__ import annotations

import functools

import numpy as np

from ..errors import InputError, check_range

__all__ = ["overflight", "overflight_track", "OPEN_OCEAN_NOTE"]

OPEN_OCEAN_NOTE = ("territories are Natural Earth 1:10m countries and named marine areas; "
                   "'Open ocean' is water outside every named sea polygon")


def _check_dt(dt_s: float, span_s: float) -> float:
    dt = check_range("dt_s", dt_s, 1e-3, 600.0, "s")
    if dt <= 0.0:
        raise InputError("dt_s", dt_s, "a step > 0 s")
    if span_s <= 0.0:
        raise InputError("trajectory", f"{span_s:g} s", "a flight lasting more than 0 s")
    return dt


def _grid(t0: float, t1: float, dt: float) -> np.ndarray:
    n = int(np.floor((t1 - t0) / dt + 1e-9))
    t = t0 + dt * np.arange(n + 1)
    if t1 - t[-1] > 1e-9 * max(1.0, abs(t1)):
        t = np.append(t, t1)
    else:
        t[-1] = t1
    return t


def _segments(t: np.ndarray, geod) -> list[dict]:
    """Merge runs of equal territory labels of the samples at times ``t``.

    ``geod(times) -> (lat_deg, lon_deg, alt_m)`` evaluates the interpolated track; it is called
    on the grid and on the boundary midpoints.
    """
    from ..models.geography import territory

    lat, lon, alt_m = (np.atleast_1d(np.asarray(a, float)) for a in geod(t))
    labels = np.asarray(territory(lat, lon), dtype=object)
    change = np.nonzero(labels[1:] != labels[:-1])[0]          # boundary after sample i
    b_t = 0.5 * (t[change] + t[change + 1])
    if len(change):
        b_lat, b_lon, b_alt = (np.atleast_1d(np.asarray(a, float)) for a in geod(b_t))
    else:
        b_lat = b_lon = b_alt = np.empty(0)
    # every segment is bounded by launch / a boundary midpoint / impact
    e_t = np.concatenate([[t[0]], b_t, [t[-1]]])
    e_lat = np.concatenate([[lat[0]], b_lat, [lat[-1]]])
    e_lon = np.concatenate([[lon[0]], b_lon, [lon[-1]]])
    e_alt = np.concatenate([[alt_m[0]], b_alt, [alt_m[-1]]])
    starts = np.concatenate([[0], change + 1])
    ends = np.concatenate([change, [len(t) - 1]])               # last sample in each run
    segs = []
    for k, (i0, i1) in enumerate(zip(starts, ends, strict=True)):
        a = np.concatenate([alt_m[i0:i1 + 1], e_alt[k:k + 2]]) / 1e3
        segs.append({
            "territory": str(labels[i0]),
            "enter_s": round(float(e_t[k]), 3),
            "exit_s": round(float(e_t[k + 1]), 3),
            "min_altitude_km": round(max(0.0, float(a.min())), 3),
            "max_altitude_km": round(max(0.0, float(a.max())), 3),
            "enter": {"lat": round(float(e_lat[k]), 4), "lon": _wrap(e_lon[k])},
            "exit": {"lat": round(float(e_lat[k + 1]), 4), "lon": _wrap(e_lon[k + 1])},
        })
    return segs


def _wrap(lon: float) -> float:
    return round((float(lon) + 180.0) % 360.0 - 180.0, 4)


def _result(segs: list[dict], dt: float, t0: float, t1: float, method: str) -> dict:
    return {
        "segments": segs,
        "flight_time_s": round(float(t1 - t0), 3),
        "dt_s": dt,
        "time_resolution_s": dt / 2.0,
        "method": method,
        "note": OPEN_OCEAN_NOTE + f"; entry/exit times are midpoints between {dt:g} s samples "
                                  f"(within +-{dt / 2:g} s); a territory crossed in under {dt:g} s "
                                  "may be missed",
    }


def overflight(trajectory, dt_s: float = 1.0) -> dict:
    """Territories under a :class:`boostphase.flight.flyout.Trajectory`, in time order.

    Returns ``{"segments": [{territory, enter_s, exit_s, min_altitude_km, max_altitude_km,
    enter: {lat, lon}, exit: {lat, lon}}], "flight_time_s", "dt_s", "time_resolution_s",
    "method", "note"}``.  Segments are ordered, contiguous (each ``exit_s`` is the next
    ``enter_s``) and cover the recorded flight from its first to its last state (launch to
    impact); times are seconds since launch, rounded to 1 ms, altitudes to 1 m.  ``enter`` and
    ``exit`` are the sub-points (deg) at the boundary times.  A territory can appear in several
    segments (a track that leaves a country and comes back).  A trajectory that did not land
    (``impacted`` False) has ``flight_time_s`` None, ``end_s`` (the time of its last state, where
    the integration stopped), ``impacted`` False and its ``reason``.
    """
    from scipy.interpolate import CubicHermiteSpline

    t_rec = np.asarray(trajectory.t_s, float)
    state = np.asarray(trajectory.state, float)
    if t_rec.ndim != 1 or state.shape != (len(t_rec), 6) or len(t_rec) < 2:
        raise InputError("trajectory", f"{len(t_rec)} states",
                         "a trajectory with two or more recorded states (n, 6)")
    if not (np.all(np.isfinite(t_rec)) and np.all(np.isfinite(state))):
        raise InputError("trajectory", "non-finite state", "finite times and states")
    if np.any(np.diff(t_rec) < 0):
        raise InputError("trajectory.t_s", "decreasing", "non-decreasing times")
    # the recorder may repeat a time at an event (staging): keep the later record of each time
    keep = np.append(np.diff(t_rec) > 0, True)
    t_u, s_u = t_rec[keep], state[keep]
    if len(t_u) < 2:
        raise InputError("trajectory", f"{len(t_u)} distinct times", "two or more")
    t0, t1 = float(t_u[0]), float(t_u[-1])
    dt = _check_dt(dt_s, t1 - t0)
    spline = CubicHermiteSpline(t_u, s_u[:, :3], s_u[:, 3:], axis=0)
    earth = trajectory.earth

    def geod(times):
        return earth.ecef_to_geodetic(spline(np.asarray(times, float)))

    t = _grid(t0, t1, dt)
    segs = _segments(t, geod)
    method = (f"recorded Earth-fixed states resampled every {dt:g} s by cubic Hermite "
              "interpolation of position with the recorded velocity; sub-points labelled with "
              "boostphase.models.geography.territory and merged into runs")
    res = _result(segs, dt, t0, t1, method)
    if not getattr(trajectory, "impacted", True):
        # no impact: the segments end where the integration stopped, and that is no flight time
        res.update(flight_time_s=None, end_s=round(t1 - t0, 3), impacted=False,
                   reason=getattr(trajectory, "reason", None))
    return res


def overflight_track(t_s, lat_deg, lon_deg, alt_m, dt_s: float = 1.0, earth=None) -> dict:
    """Territories under a track given as time, latitude, longitude and altitude only (e.g. a
    CSV written by ``boostphase flyout --csv``), without velocities.

    The points are converted to Earth-fixed positions and resampled every ``dt_s`` by a
    shape-preserving cubic (PCHIP) in each coordinate, since no velocity is known; otherwise as
    :func:`overflight`, with the same result keys.
    """
    from scipy.interpolate import PchipInterpolator

    from ..models.earth import WGS84

    earth = WGS84 if earth is None else earth
    t_rec = np.asarray(t_s, float).ravel()
    cols = [np.asarray(c, float).ravel() for c in (lat_deg, lon_deg, alt_m)]
    if len(t_rec) < 2 or any(len(c) != len(t_rec) for c in cols):
        raise InputError("track", f"{len(t_rec)} points", "two or more points with t, lat, lon, alt each")
    if not all(np.all(np.isfinite(c)) for c in (t_rec, *cols)):
        raise InputError("track", "non-finite value", "finite t_s, lat_deg, lon_deg, alt_m")
    if np.any(np.abs(cols[0]) > 90.0):
        raise InputError("track lat_deg", float(np.max(np.abs(cols[0]))), "-90 to 90 deg")
    if np.any(np.diff(t_rec) < 0):
        raise InputError("track t_s", "decreasing", "non-decreasing times")
    keep = np.append(np.diff(t_rec) > 0, True)
    t_u = t_rec[keep]
    if len(t_u) < 2:
        raise InputError("track", f"{len(t_u)} distinct times", "two or more")
    r = earth.geodetic_to_ecef(cols[0][keep], cols[1][keep], cols[2][keep])
    t0, t1 = float(t_u[0]), float(t_u[-1])
    dt = _check_dt(dt_s, t1 - t0)
    interp = PchipInterpolator(t_u, np.asarray(r, float), axis=0)

    def geod(times):
        return earth.ecef_to_geodetic(interp(np.asarray(times, float)))

    t = _grid(t0, t1, dt)
    segs = _segments(t, geod)
    for s in segs:  # report times since the track's first point
        s["enter_s"] = round(s["enter_s"] - t0, 3)
        s["exit_s"] = round(s["exit_s"] - t0, 3)
    method = (f"track points resampled every {dt:g} s by a monotone cubic (PCHIP) of the "
              "Earth-fixed position (no velocities given); sub-points labelled with "
              "boostphase.models.geography.territory and merged into runs")
    return _result(segs, dt, t0, t1, method)


# ------------------------------------------------------------------------------------------
# a catalogued test flown as reported (``boostphase overflight --test DATE``)
# ------------------------------------------------------------------------------------------

# What the catalogue (data/nk_tests.toml) does not hold for the overflights of Japan: the launch
# azimuth and the reported clock times (JST, each to the minute) of launch, passage over Japan
# and fall.  Azimuth 71 deg: the ground track (Earth rotation included) crosses the Oshima
# Peninsula and the coast near Cape Erimo, over which Japan reported both flights.
REPORTED_PASSAGES = {
    "2017-08-29": {
        "azimuth_deg": 71.0, "territory": "Japan", "over": "Hokkaido (Oshima Peninsula, Cape Erimo)",
        "launch_clock": ("05:57", "05:58"), "over_clock": ("06:06", "06:06"), "fall_clock": ("06:12", "06:12"),
        "source": ("ROK JCS: launched 05:57 (AP, 29 Aug 2017); Chief Cabinet Secretary Suga: launched "
                   "around 05:58, passed over Cape Erimo around 06:06, fell around 06:12 JST some "
                   "1,180 km east of Cape Erimo (Xinhua via Global Times 1063605, 29 Aug 2017); "
                   "'over Hokkaido ... beginning at 6:06' (The Diplomat, 29 Aug 2017)"),
    },
    "2017-09-15": {
        "azimuth_deg": 71.0, "territory": "Japan", "over": "Hokkaido",
        "launch_clock": ("06:57", "06:57"), "over_clock": ("07:04", "07:06"), "fall_clock": ("07:16", "07:16"),
        "source": ("Japanese government via The Daily Manila Shimbun, 15 Sep 2017: launched around "
                   "06:57, passed over Hokkaido between 07:04 and 07:06, fell around 07:16 JST"),
    },
}


def _clock_s(text: str) -> int:
    h, m = (int(x) for x in text.split(":"))
    return 3600 * h + 60 * m


def clock_window_s(start: tuple[str, str], end: tuple[str, str]) -> tuple[float, float]:
    """(shortest, longest) time in s from a start to an end reported as clock times "HH:MM"
    to the minute: each reported minute spans 59 s, and a start (or end) given differently by
    two sources spans both minutes."""
    s0, s1 = _clock_s(start[0]), _clock_s(start[1]) + 59
    e0, e1 = _clock_s(end[0]), _clock_s(end[1]) + 59
    return float(e0 - s1), float(e1 - s0)


def fit_flight(base, apogee_m: float, range_m: float, lat: float, lon: float, az_deg: float,
               earth=None, tol: float = 1e-3):
    """Vehicle and steering that fly ``base`` (a catalog Missile) from (lat, lon) deg on
    azimuth ``az_deg`` to the reported apogee and ground range (m).

    :func:`boostphase.reconstruct.reconstruction.fit_vehicle` scales the payload (heavier payload: the test
    flew short of the vehicle's full range); when its best fit misses apogee or range by more
    than ``tol`` (relative; near minimum energy it returns the depressed fold), a Newton
    iteration on (payload, kick) with finite differences of single flyouts finishes it
    (the 2x2 Jacobian stays regular at the fold, where d range / d kick = 0 but d range /
    d payload is not).  Returns (missile, kick_deg, trajectory)."""
    from ..models.earth import WGS84
    from .reconstruction import fit_vehicle

    earth = WGS84 if earth is None else earth
    fit = fit_vehicle(base, apogee_m, range_m, lat, lon, az_deg, earth)
    return refine_fit(fit.missile, fit.payload_kg, fit.kick_deg, apogee_m, range_m, lat, lon, az_deg, earth, tol)


def refine_fit(missile, payload_kg: float, kick_deg: float, apogee_m: float, range_m: float, lat: float,
               lon: float, az_deg: float, earth=None, tol: float = 1e-3):
    """Newton iteration on (payload kg, kick deg) from a starting fit of ``missile``, with finite
    differences of single flyouts, to fly to ``apogee_m`` and ``range_m`` (m) within ``tol``
    (relative); stops where a step makes no progress and keeps the best so far. Returns
    (missile with the payload, kick_deg, trajectory)."""
    from ..flight.flyout import fly
    from ..models.earth import WGS84

    earth = WGS84 if earth is None else earth
    target = np.array([apogee_m, range_m])

    def flown(p, k):
        tr = fly(missile.with_payload(p), lat, lon, azimuth_deg=az_deg, kick_deg=k, earth=earth)
        if not tr.impacted:
            return None, tr
        return np.array([tr.apogee_m, tr.range_m]), tr

    p, k = float(payload_kg), float(kick_deg)
    f, tr = flown(p, k)
    for _ in range(8):
        if f is None:
            break
        r = (f - target) / target
        if np.all(np.abs(r) < tol):
            break
        dk, dp = 0.01, 1e-3 * p
        fk, _ = flown(p, k + dk)
        fp, _ = flown(p + dp, k)
        if fk is None or fp is None:
            break
        jac = np.column_stack([(fk - f) / dk, (fp - f) / dp])
        try:
            step = np.linalg.solve(jac, target - f)
        except np.linalg.LinAlgError:
            break
        if p + step[1] <= 0.0:
            break  # a step to a negative payload: no such vehicle
        f_new, tr_new = flown(p + step[1], k + step[0])
        if f_new is None or np.max(np.abs(f_new - target) / target) >= np.max(np.abs(r)):
            break  # no progress: keep the best so far
        p, k, f, tr = p + step[1], k + step[0], f_new, tr_new
    return missile.with_payload(p), k, tr


def fly_reported_test(date: str, azimuth_deg: float | None = None, missile: str | None = None,
                      dt_s: float = 1.0, catalog=None) -> dict:
    """Fly a catalogued test as reported and report what it overflies (see
    :func:`_fly_reported`); results of the packaged catalogue are kept for the process (the
    fit takes seconds), and each call gets its own copy."""
    import copy

    if catalog is not None:
        return _fly_reported(date, azimuth_deg, missile, dt_s, catalog)
    return copy.deepcopy(_fly_reported_cached(str(date), azimuth_deg, missile, float(dt_s)))


@functools.lru_cache(maxsize=8)
def _fly_reported_cached(date, azimuth_deg, missile, dt_s) -> dict:
    return _fly_reported(date, azimuth_deg, missile, dt_s, None)


def _fly_reported(date: str, azimuth_deg: float | None, missile: str | None, dt_s: float,
                  catalog) -> dict:
    """Fly a catalogued test as reported and report what it overflies.

    The test's site, reported apogee and range come from ``data/nk_tests.toml``; the vehicle
    (its catalog class model, or ``missile``) is fitted to them by :func:`fit_flight`; the
    azimuth is ``azimuth_deg`` or the one in :data:`REPORTED_PASSAGES`; the model is ``missile``
    or the class model :func:`boostphase.reconstruct.reconstruction.model_for` picks for the tested vehicle.  Returns the
    :func:`overflight` report plus ``flight`` (the flyout summary) and ``test``: the reported
    figures with their sources, the fit, the flown figures and their residuals, and, where
    Japan's reported clock times are known, the window they allow for the passage and the
    fall (``clock_window_s``) against the flown ones."""
    from ..models.vehicles import load
    from .reconstruction import model_for
    from .testflights import load_tests

    tests = {t.date.isoformat(): t for t in load_tests(catalog)}
    if date not in tests:
        raise InputError("--test", date, "a test date of the catalogue: " + ", ".join(sorted(tests)))
    t = tests[date]
    if t.apogee_km is None or t.range_km is None:
        raise InputError("--test", date, "a test with a reported apogee and range")
    known = REPORTED_PASSAGES.get(date)
    if azimuth_deg is None:
        if known is None:
            raise InputError("--azimuth", None, f"the launch azimuth of the {date} test (deg; "
                                                "the catalogue records none for it)")
        azimuth_deg = known["azimuth_deg"]
    azimuth_deg = check_range("--azimuth", azimuth_deg, -360.0, 360.0, "deg")
    name = missile
    if name is None:  # the class model `boostphase tests` fits to this test
        name, why = model_for(t.vehicle)
        if name is None:
            raise InputError("--missile", None, f"a catalog model for this test ({why})")
    base = load(name)
    lat, lon = t.site_lat_deg, t.site_lon_deg
    fitted, kick, tr = fit_flight(base, t.apogee_km * 1e3, t.range_km * 1e3, lat, lon, azimuth_deg)
    rep = overflight(tr, dt_s=dt_s)
    s = tr.summary()
    rep["flight"] = s
    info = {
        "date": date, "vehicle": t.vehicle, "site": {"name": t.site_name, "lat": lat, "lon": lon},
        "azimuth_deg": azimuth_deg,
        "reported": {"apogee_km": t.apogee_km, "range_km": t.range_km, "flight_time_s": t.flight_time_s,
                     "qualifiers": dict(t.qualifiers), "sources": dict(t.sources)},
        "fit": {"model": base.name, "payload_kg": fitted.payload_kg, "catalog_payload_kg": base.payload_kg,
                "kick_deg": kick,
                "method": "payload and pitch-over kick fitted to the reported apogee and range "
                          "(boostphase.reconstruct.reconstruction.fit_vehicle, finished by a Newton step on both); "
                          "the flight time and the passage over territory are checks, not fitted"},
        "flown": {"apogee_km": s["apogee_km"], "range_km": s["range_km"], "flight_time_s": s["flight_time_s"]},
        "residuals": {
            "apogee_km": s["apogee_km"] - t.apogee_km,
            "range_km": None if s["range_km"] is None else s["range_km"] - t.range_km,
            "flight_time_s": (None if t.flight_time_s is None or s["flight_time_s"] is None
                              else s["flight_time_s"] - t.flight_time_s)},
    }
    if known is not None:
        segs = [g for g in rep["segments"] if g["territory"] == known["territory"]]
        over = clock_window_s(known["launch_clock"], known["over_clock"])
        fall = clock_window_s(known["launch_clock"], known["fall_clock"])
        info["passage"] = {
            "territory": known["territory"], "over": known["over"], "source": known["source"],
            "reported_clock_jst": {"launch": known["launch_clock"], "over": known["over_clock"],
                                   "fall": known["fall_clock"]},
            "reported_over_window_s": list(over), "reported_fall_window_s": list(fall),
            "flown_enter_s": segs[0]["enter_s"] if segs else None,
            "flown_exit_s": segs[-1]["exit_s"] if segs else None,
            "flown_min_altitude_km": min(g["min_altitude_km"] for g in segs) if segs else None,
            "over_in_window": bool(segs) and over[0] <= segs[0]["enter_s"] <= over[1],
            "fall_in_window": s["flight_time_s"] is not None and fall[0] <= s["flight_time_s"] <= fall[1],
        }
    rep["test"] = info
    return rep
