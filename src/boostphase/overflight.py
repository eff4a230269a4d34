"""Overflight report: which countries and seas lie under a trajectory, when, and how high
(MISSION claim C6, e.g. "recent tests pass over Japan").

Method.  The integrator records the Earth-fixed state (position and velocity) at its accepted
steps, which are far apart in mid-course (minutes).  The track is resampled on a uniform grid
of ``dt_s`` seconds from launch to impact by cubic Hermite interpolation of the Earth-fixed
position, using the recorded Earth-fixed velocity as its derivative (both are in the rotating
frame, so the velocity is exactly the derivative the interpolant needs).  Each sample's
sub-point (the geodetic latitude and longitude under the vehicle) is labelled with
:func:`boostphase.geography.territory` (a country, a named sea, or "Open ocean"), and runs of
equal labels are merged into segments.

Resolution.  A change of territory between two samples is placed at their midpoint, so every
entry and exit time is within ``dt_s / 2`` of the time the sub-point crossed the border of the
Natural Earth 1:10m polygons.  A territory crossed in less than ``dt_s`` can be missed (at the
~3-7 km/s ground speed of a mid-course missile and the default 1 s, a strip narrower than a few
km).  Altitudes are geodetic (above the WGS84 ellipsoid, or the sphere of a spherical model),
taken over the samples within a segment and the interpolated states at its two boundaries.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError, check_range

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
    from .geography import territory

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
    """Territories under a :class:`boostphase.flight.Trajectory`, in time order.

    Returns ``{"segments": [{territory, enter_s, exit_s, min_altitude_km, max_altitude_km,
    enter: {lat, lon}, exit: {lat, lon}}], "flight_time_s", "dt_s", "time_resolution_s",
    "method", "note"}``.  Segments are ordered, contiguous (each ``exit_s`` is the next
    ``enter_s``) and cover the recorded flight from its first to its last state (launch to
    impact); times are seconds since launch, rounded to 1 ms, altitudes to 1 m.  ``enter`` and
    ``exit`` are the sub-points (deg) at the boundary times.  A territory can appear in several
    segments (a track that leaves a country and comes back).
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
              "boostphase.geography.territory and merged into runs")
    return _result(segs, dt, t0, t1, method)


def overflight_track(t_s, lat_deg, lon_deg, alt_m, dt_s: float = 1.0, earth=None) -> dict:
    """Territories under a track given as time, latitude, longitude and altitude only (e.g. a
    CSV written by ``boostphase flyout --csv``), without velocities.

    The points are converted to Earth-fixed positions and resampled every ``dt_s`` by a
    shape-preserving cubic (PCHIP) in each coordinate, since no velocity is known; otherwise as
    :func:`overflight`, with the same result keys.
    """
    from scipy.interpolate import PchipInterpolator

    from .earth import WGS84

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
              "boostphase.geography.territory and merged into runs")
    return _result(segs, dt, t0, t1, method)
