"""The registry of analyses: each kind's spec, its computation and its summary (no HTTP here:
each computation returns plain data). The web API, the run store (``boostphase runs rerun``)
and ``boostphase run`` go through it."""


from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from ..errors import InputError
from ..resources import examples_dir
from ..sweep import MIN_CHUNK as MIN_SWEEP_CHUNK
from .ensemble import cap_for, has_distributions, run_ensemble
from .specs import (
    MAX_JOB_FRAGMENTS,
    MAX_ORBITS,
    MAX_SWEEP_JOB_CASES,
    MAX_SWEEP_JOB_CHUNK,
    CheckRequest,
    CoastRequest,
    EngageMapRequest,
    EngageRequest,
    FlyoutRequest,
    FootprintRequest,
    ReconstructRequest,
    ShortfallRequest,
)
from .uncertain import MAX_JOB_ENSEMBLE, MAX_WEB_ENSEMBLE, EnsembleSpec, distributions_of

EXAMPLES_DIR = examples_dir()  # the example scenario files shipped with the package
MAX_FOOTPRINT_SAMPLE = 5_000       # impact points sent to the page for drawing
FOOTPRINT_EXAMPLES = {"chicago": "c5_chicago.toml", "los_angeles": "c5_los_angeles.toml",
                      "washington": "c5_washington.toml"}


# ------------------------------------------------------------------------------------------------
# Helpers


def jsonable(o):
    """numpy scalars/arrays and non-finite floats -> plain JSON (NaN/inf -> null)."""
    from ..present.jsonout import finite_json

    return finite_json(o)


def _parse_latlon(field: str, text: str) -> tuple[float, float]:
    from .fields import parse_latlon  # the CLI's parser: same checks, same error texts

    return parse_latlon(field, text)


def _parse_place(field: str, text: str) -> tuple[float, float]:
    from .fields import parse_place

    return parse_place(field, text)


_SWEEP_CLI_HINT = "run bigger sweeps with the CLI: boostphase sweep SWEEP.toml --out DIR"


def _finite_numbers(prefix: str, obj) -> None:
    """Refuse NaN and infinities anywhere in a JSON value (Python's JSON parser accepts them)."""
    stack = [(prefix, obj)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            raise InputError(path, v, "a finite number")
        if isinstance(v, dict):
            stack.extend((f"{path}.{k}" if path else str(k), x) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((f"{path}[{i}]", x) for i, x in enumerate(v))


def sweep_spec(params: dict):
    """The validated :class:`boostphase.sweep.SweepSpec` of a sweep job's ``params`` (a SWEEP.toml
    as JSON), with the web's limits: at most :data:`MAX_SWEEP_JOB_CASES` cases (checked on each
    range before any grid is built, then on the whole product) and :data:`MAX_SWEEP_JOB_CHUNK`
    cases per chunk. Errors are :class:`InputError` naming the field as ``parse_spec`` does
    (``grid.speed.n``, ``fixed.lat``, ``chunk``...)."""
    from ..sweep import KINDS, parse_spec
    from ..units import quantity

    cap = MAX_SWEEP_JOB_CASES
    _finite_numbers("", params)
    kind = KINDS.get(params.get("kind")) if isinstance(params.get("kind"), str) else None
    grid = params.get("grid")
    if kind is not None and isinstance(grid, dict):
        # a range of 10**8 values (or a tiny step) would be built by parse_spec before any
        # limit on the product applies: refuse it first
        for key, val in grid.items():
            if not isinstance(val, dict):
                continue
            n = val.get("n")
            if isinstance(n, int) and not isinstance(n, bool) and n > cap:
                raise InputError(f"grid.{key}.n", n, f"at most {cap:,} values in a web sweep", _SWEEP_CLI_HINT)
            fs = kind.fields.get(key)
            if "step" in val and fs is not None and fs.type == "float":
                try:
                    a, b, step = (quantity(f"grid.{key}.{w}", val.get(w), fs.unit) for w in ("from", "to", "step"))
                except InputError:
                    continue  # parse_spec names the bad value
                for w, x in (("from", a), ("to", b), ("step", step)):
                    if not math.isfinite(x):  # "inf km" passes a check without bounds
                        raise InputError(f"grid.{key}.{w}", val[w], "a finite quantity")
                if step != 0 and not abs(b - a) / abs(step) < cap:
                    raise InputError(f"grid.{key}.step", val["step"],
                                     f"a step giving at most {cap:,} values in a web sweep", _SWEEP_CLI_HINT)
    from ..models.vehicles import looks_like_vehicle_file

    for sec in ("fixed", "grid"):  # the server's files are not for remote users to read
        tab = params.get(sec)
        vals = tab.get("missile") if isinstance(tab, dict) else None
        for i, m in enumerate(vals if isinstance(vals, list) else [vals]):
            if looks_like_vehicle_file(m):
                raise InputError(f"{sec}.missile" + (f"[{i}]" if isinstance(vals, list) else ""), m,
                                 "a catalog name in a web sweep", "sweep a vehicle file with `boostphase sweep`")
    spec = parse_spec(params)
    for key, sigma in spec.dispersion.items():
        if not math.isfinite(sigma):
            raise InputError(f"dispersion.{key}", params["dispersion"][key], "a finite one-sigma value")
    grid_cases = math.prod(len(v) for v in spec.grid.values())  # Python ints: no overflow
    n_cases = grid_cases * max(spec.samples, 1)
    if n_cases > cap:
        where = "dispersion.samples" if spec.samples and grid_cases <= cap else "grid"
        raise InputError(where, f"{n_cases:,} cases", f"at most {cap:,} cases in a web sweep", _SWEEP_CLI_HINT)
    if spec.chunk > MAX_SWEEP_JOB_CHUNK:
        raise InputError("chunk", spec.chunk, f"{MIN_SWEEP_CHUNK:,} to {MAX_SWEEP_JOB_CHUNK:,} cases per chunk in a "
                         "web sweep (cancel and progress come between chunks)", _SWEEP_CLI_HINT)
    return spec


def sweep_summary(res) -> dict:
    """The JSON result of a sweep job: the dimensions with their coordinate values, the variables
    with units and simple statistics, the number of cases, the digest of the data and timings."""
    ds = res.dataset
    summ = res.summary()
    dims = [{"name": d, "size": int(ds.sizes[d]), "units": ds[d].attrs.get("units", ""),
             "long_name": ds[d].attrs.get("long_name", ""), "values": ds[d].values}
            for d in ds[next(iter(ds.data_vars))].dims]
    variables = {name: {"units": da.attrs.get("units", ""), "long_name": da.attrs.get("long_name", ""),
                        "dtype": str(da.dtype), **{k: v for k, v in summ["outputs"][name].items() if k != "unit"}}
                 for name, da in ds.data_vars.items()}
    return jsonable({
        "kind": summ["kind"], "name": summ["name"], "n_cases": summ["n_cases"], "n_chunks": summ["n_chunks"],
        "chunk": int(ds.attrs["chunk"]), "seed": int(ds.attrs["seed"]), "dims": dims,
        "shape": [d["size"] for d in dims], "variables": variables,
        "fixed": json.loads(ds.attrs["fixed"]), "case_order": ds.attrs["case_order"],
        "sha256": summ["sha256"], "fingerprint": ds.attrs["fingerprint"],
        "boostphase_version": ds.attrs["boostphase_version"], "timings_s": summ["timings_s"],
    })


# ------------------------------------------------------------------------------------------------
# Computations (no HTTP here: each returns plain data)


def request_vehicle(missile: str | None, vehicle_toml: str | None):
    """The Missile of a request: the pasted/uploaded ``vehicle_toml`` (validated by the loader of
    vehicle files; nothing is written to disk), else the catalog name ``missile`` (never a path:
    the server's files are not for remote users to read)."""
    from ..models.vehicles import from_text, load_catalog

    if vehicle_toml is not None:
        return from_text(vehicle_toml, "vehicle_toml")
    if missile is None:
        raise InputError("missile", None, "a catalog name (see /api/catalog) or a vehicle file as vehicle_toml")
    return load_catalog(missile)


def compute_flyout(req: FlyoutRequest, missile=None, place=_parse_place):
    """Validate like ``boostphase flyout`` and fly; returns the Trajectory. ``missile``: an
    already-loaded vehicle (the CLI's ``--missile`` may be a local file, which the web never
    reads); ``place``: the target parser (the CLI's also says which city a name was taken as)."""
    from ..flight.flyout import fly
    from ..models.earth import earth_model

    m = missile if missile is not None else request_vehicle(req.missile, req.vehicle_toml)
    if req.payload_kg is not None:
        m = m.with_payload(req.payload_kg)
    lat, lon = _parse_latlon("launch", req.launch)
    tgt = place("target", req.target) if req.target else None
    if req.azimuth_deg is None and tgt is None:
        raise InputError("azimuth_deg", None, "an azimuth in degrees or a target (LAT,LON or a city)")
    earth = earth_model(req.earth, rotation=not req.no_rotation)
    steering = fixed_steering(req)
    if steering is None:
        return fly(m, lat, lon, azimuth_deg=req.azimuth_deg, target=tgt, profile=req.profile,
                   apogee_m=None if req.apogee_km is None else req.apogee_km * 1e3, earth=earth)
    az = req.azimuth_deg if req.azimuth_deg is not None else float(earth.distance_azimuth(lat, lon, *tgt)[1])
    traj = fly(m, lat, lon, azimuth_deg=az, kick_deg=req.kick_deg, steering=steering, earth=earth)
    traj.profile = "fixed-kick"
    return traj


def fixed_steering(req: FlyoutRequest):
    """The Steering of a fixed kick (``kick_deg``, optionally pitch-hold), or None for a profile."""
    from ..flight.flyout import Steering

    if req.kick_deg is None:
        if req.pitch_hold_rate_deg_s is not None:
            raise InputError("pitch_hold_rate_deg_s", req.pitch_hold_rate_deg_s, "used together with kick_deg")
        return None
    if req.profile != "min-energy" or req.apogee_km is not None:
        raise InputError("kick_deg", req.kick_deg, "a fixed kick without a profile or apogee (they search the kick)")
    if req.pitch_hold_rate_deg_s is None:
        return Steering(kick_deg=req.kick_deg)
    return Steering(kick_deg=req.kick_deg, law="pitch-hold", pitch_rate_deg_s=req.pitch_hold_rate_deg_s)


def compute_coast(req: CoastRequest) -> dict:
    """``boostphase coast``: the one case's row (impact point, range, apogee, flight time; null
    where the body does not land, with the reason)."""
    from ..flight.flyout import coast
    from ..models.earth import earth_model

    em = earth_model(req.earth, rotation=not req.no_rotation)
    res = coast(req.lat, req.lon, req.alt_km * 1e3, req.speed_km_s * 1e3, req.flight_path_deg,
                req.azimuth_deg, req.beta_kg_m2, earth=em)
    row = res.row(0)
    row["earth"] = em.name
    return jsonable(row)


def flyout_payload(traj) -> dict:
    """The JSON of ``/api/flyout``: the CLI summary plus the track and event markers to draw."""
    lat, lon, alt = traj.geodetic()
    rng = traj.ground_range_m()
    spd = traj.speed_m_s
    i_apo = int(np.argmax(alt))
    b = traj.burnout()
    m = traj.missile
    # a flight that does not land has no impact event: its last state is an "end" marker
    if traj.impacted:
        ilat, ilon = traj.impact_lat_lon_deg
        last = {"impact": {"t_s": traj.flight_time_s, "lat": ilat, "lon": ilon, "alt_km": 0.0}}
    else:
        last = {"end": {"t_s": traj.end_time_s, "lat": float(lat[-1]), "lon": float(lon[-1]),
                        "alt_km": float(alt[-1]) / 1e3, "reason": traj.reason}}
    return jsonable({
        "summary": traj.summary(),
        "missile": {"name": m.name, "title": m.title},
        "track": {"t_s": traj.t_s, "lat": lat, "lon": lon, "alt_km": alt / 1e3, "range_km": rng / 1e3,
                  "speed_km_s": spd / 1e3},
        "events": {
            "launch": {"t_s": 0.0, "lat": traj.launch_lat_deg, "lon": traj.launch_lon_deg, "alt_km": 0.0},
            "burnout": {"t_s": b["time_s"], "lat": b["lat_deg"], "lon": b["lon_deg"], "alt_km": b["altitude_m"] / 1e3},
            "apogee": {"t_s": float(traj.t_s[i_apo]), "lat": float(lat[i_apo]), "lon": float(lon[i_apo]),
                       "alt_km": float(alt[i_apo]) / 1e3},
            **last,
        },
    })


def compute_reconstruct(req: ReconstructRequest) -> dict:
    """Validate like ``boostphase reconstruct`` and run it; the CLI's JSON (+ launch)."""
    from ..reconstruct.reconstruction import reconstruct

    site = _parse_latlon("launch", req.launch) if req.launch else None
    names = [c.strip() for c in (req.cities or "").split(",") if c.strip()]
    if len(names) > 30:
        raise InputError("cities", f"{len(names)} names", "at most 30 city names")
    if names:
        from ..models.geography import find_city

        for n in names:  # fail fast on unknown names, before the long computation
            find_city(n)
        if site is None:
            raise InputError("cities", req.cities, "used together with launch LAT,LON")
    res = reconstruct(req.apogee_km, req.range_km, req.flight_time_s, launch=site,
                      test_azimuth_deg=req.test_azimuth, cities=names,
                      missile=None if req.missile is None and req.vehicle_toml is None
                      else request_vehicle(req.missile, req.vehicle_toml),
                      sensitivity=not req.no_sensitivity)
    res = dict(res)
    if req.band:
        from ..models.vehicles import load
        from ..reconstruct.bands import reconstruction_band

        base = (request_vehicle(req.missile, req.vehicle_toml) if req.vehicle_toml is not None
                else load(req.missile or res["missile_model"]))
        res["reach_band"] = reconstruction_band(res, base, req.apogee_km, req.range_km, site, req.test_azimuth,
                                                req.band, req.seed)
    if site is not None:
        res["launch"] = {"lat": site[0], "lon": site[1]}
    return jsonable(res)


def compute_check(req: CheckRequest) -> dict:
    from ..claims.check import check_claim

    return jsonable(check_claim(req.range_km, apogee_km=req.apogee_km, flight_time_s=req.flight_time_s,
                                peak_speed_km_s=req.peak_speed_km_s, peak_mach=req.peak_mach,
                                mach_convention=req.mach_convention, glide_ld=req.glide_ld,
                                tolerance=req.tolerance, range_unc=req.range_unc, apogee_unc=req.apogee_unc,
                                flight_time_unc=req.flight_time_unc, peak_unc=req.peak_unc,
                                samples=req.samples, seed=req.seed))


def _target(field: str, text: str | None, azimuth) -> tuple[float, float] | None:
    tgt = _parse_place(field, text) if text else None
    if (tgt is None) == (azimuth is None):
        raise InputError("target", text, "exactly one of a target (LAT,LON or a city) or azimuth_deg")
    return tgt


def parse_orbits(text: str) -> list[tuple[float, float]]:
    """``orbit_centre``: one ``LAT,LON`` or several separated by ``;`` (errors name the orbit)."""
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts:
        raise InputError("orbit_centre", text, "LAT,LON of the orbit's centre; several separated by ';'")
    if len(parts) > MAX_ORBITS:
        raise InputError("orbit_centre", f"{len(parts)} orbits", f"at most {MAX_ORBITS} orbits")
    return [_parse_latlon("orbit_centre" if k == 0 else f"orbit_centre {k + 1}", p) for k, p in enumerate(parts)]


def _engage_threat(req: EngageRequest):
    from ..engage import Interceptor, Threat, Timeline

    lat, lon = _parse_latlon("launch", req.launch)
    tgt = _target("target", req.target, req.azimuth_deg)
    if req.profile == "target" and tgt is None:
        raise InputError("profile", req.profile, "a target for the 'target' profile")
    threat = Threat(request_vehicle(req.missile, req.vehicle_toml), lat, lon, target=tgt, azimuth_deg=req.azimuth_deg,
                    profile=req.profile)
    return threat, (lat, lon), tgt, Interceptor.two_stage(req.burnout_speed_km_s * 1e3), Timeline.total(req.delay_s)


def _platform(req: EngageRequest, clat: float, clon: float):
    from ..engage import Platform

    return Platform(clat, clon, altitude_m=req.altitude_km * 1e3, orbit_radius_m=req.orbit_radius_km * 1e3,
                    name=f"orbit {clat:.2f},{clon:.2f}")


def compute_engage(req: EngageRequest) -> dict:
    """One threat, one or more orbits, one interceptor, a total delay: the CLI's engagement rows
    (``row`` is the first orbit's, ``rows`` all of them), plus the threat's boost track, the
    orbits and the first orbit's timeline for drawing."""
    from ..engage import Engagement

    centres = parse_orbits(req.orbit_centre)
    threat, (lat, lon), tgt, interceptor, timeline = _engage_threat(req)
    rows = [Engagement(threat, _platform(req, clat, clon), interceptor, timeline).solve().row()
            for clat, clon in centres]
    row = rows[0]
    tr = threat.track
    boost = tr.t_s <= tr.burnout_time_s + 1e-9
    events = [("threat launch", 0.0), ("interceptor launch", row["interceptor_launch_time_s"])]
    if row["intercept_time_s"] is not None:
        events.append(("intercept", row["intercept_time_s"]))
    events.append(("threat burnout", row["burnout_time_s"]))
    if row["latest_useful_time_s"] != row["burnout_time_s"]:
        events.append(("latest useful intercept", row["latest_useful_time_s"]))
    orbits = [{"lat": clat, "lon": clon, "alt_km": req.altitude_km, "radius_km": req.orbit_radius_km}
              for clat, clon in centres]
    return jsonable({
        "row": row,
        "rows": rows,
        "threat": {"name": threat.name, "missile": threat.missile.name,
                   "launch": {"lat": lat, "lon": lon},
                   "target": None if tgt is None else {"lat": tgt[0], "lon": tgt[1]},
                   "burnout_time_s": tr.burnout_time_s},
        "track": {"t_s": tr.t_s[boost], "lat": tr.lat_deg[boost], "lon": tr.lon_deg[boost],
                  "alt_km": tr.alt_m[boost] / 1e3},
        "orbit": orbits[0],
        "orbits": orbits,
        "interceptor": interceptor.name,
        "timeline": [{"event": e, "t_s": t} for e, t in sorted(events, key=lambda x: x[1])],
    })


def compute_engage_map(req: EngageMapRequest) -> dict:
    """``engagement_map`` for the request's threat on a ``cells`` x ``cells`` grid of orbit
    centres, centred between the launch point and the burnout ground point: per cell the margin
    (s) by which the intercept beats burnout, ``None`` where no intercept is possible in time."""
    from ..engage import engagement_map

    centres = parse_orbits(req.orbit_centre) if req.orbit_centre else []
    threat, (lat, lon), tgt, interceptor, timeline = _engage_threat(req)
    tr = threat.track
    boost = tr.t_s <= tr.burnout_time_s + 1e-9
    blat, blon = float(tr.lat_deg[boost][-1]), float(tr.lon_deg[boost][-1])
    # the middle of launch and burnout ground points (unit vectors: safe across the date line)
    v = sum(np.array([math.cos(math.radians(a)) * math.cos(math.radians(o)),
                      math.cos(math.radians(a)) * math.sin(math.radians(o)), math.sin(math.radians(a))])
            for a, o in ((lat, lon), (blat, blon)))
    clat = math.degrees(math.atan2(v[2], math.hypot(v[0], v[1])))
    clon = math.degrees(math.atan2(v[1], v[0]))
    hw = req.half_width_deg
    lat_range = (max(-89.0, clat - hw), min(89.0, clat + hw))
    hw_lon = min(170.0, hw / max(math.cos(math.radians(clat)), 0.2))
    lon_range = (clon - hw_lon, clon + hw_lon)
    emap = engagement_map([threat], interceptor, timeline, _platform(req, clat, clon), lat_range, lon_range,
                          req.cells, req.cells)
    margin = emap.margin_s[0]
    feasible = emap.feasible[0]
    summ = emap.summary()
    return jsonable({
        "lat": emap.lat_deg, "lon": ((emap.lon_deg + 180.0) % 360.0) - 180.0,
        "lon_unwrapped": emap.lon_deg,
        "margin_s": np.where(feasible, np.round(margin, 2), np.nan),
        "feasible_cells": int(feasible.sum()), "cells": int(feasible.size),
        "max_margin_s": None if not feasible.any() else float(np.nanmax(np.where(feasible, margin, np.nan))),
        "best_cells": summ["best_cells"], "interceptor": interceptor.name,
        "interceptor_launch_time_s": timeline.interceptor_launch_s,
        "burnout_time_s": tr.burnout_time_s,
        "platform": summ["platform"], "compute_s": emap.compute_s,
        "threat": {"name": threat.name, "launch": {"lat": lat, "lon": lon},
                   "burnout_ground": {"lat": blat, "lon": blon}},
        "orbits": [{"lat": a, "lon": o} for a, o in centres],
    })


def compute_shortfall(req: ShortfallRequest) -> dict:
    """``boostphase shortfall --json``: the trace and its territory intervals."""
    from ..consequence import resolve_missile, shortfall_trace

    launch = _parse_latlon("launch", req.launch)
    tgt = _target("target", req.target, req.azimuth_deg)
    m = request_vehicle(req.missile, req.vehicle_toml)
    if req.payload_kg is not None:
        m = resolve_missile(m, req.payload_kg)
    return jsonable(shortfall_trace(m, launch, tgt, req.beta_kg_m2, dt_s=req.dt_s,
                                    azimuth_deg=req.azimuth_deg).to_dict())


def footprint_scenario(req: FootprintRequest):
    """The :class:`boostphase.consequence.Scenario` of a footprint request."""
    import tomllib

    from ..consequence import parse_scenario

    if req.example is not None:
        path = EXAMPLES_DIR / FOOTPRINT_EXAMPLES[req.example]
        if not path.is_file():
            raise InputError("example", req.example, f"an example scenario shipped in {EXAMPLES_DIR}")
        data = tomllib.loads(path.read_text())
    else:
        if (req.missile is None and req.vehicle_toml is None) or req.launch is None or req.target is None:
            raise InputError("missile" if req.missile is None else "launch" if req.launch is None else "target",
                             None, "missile, launch and target, or an example scenario")
        m = request_vehicle(req.missile, req.vehicle_toml)  # a catalog name: no server file is read
        threat: dict[str, Any] = {"missile": m.name, "launch": list(_parse_latlon("launch", req.launch)),
                                  "target": list(_parse_place("target", req.target)), "profile": "target",
                                  "payload_beta": "vacuum" if req.beta_kg_m2 is None else req.beta_kg_m2}
        if req.payload_kg is not None:
            threat["payload_kg"] = req.payload_kg
        data = {"title": "web request", "threat": threat}
    data.setdefault("fragments", {})["n"] = req.n_fragments
    if req.intercept_time_s is not None:
        data["intercept"] = {"time": req.intercept_time_s}
    if req.seed is not None:
        data["seed"] = req.seed
    return parse_scenario(data)


def footprint_sample(fp, cap: int, seed: int) -> dict:
    """At most ``cap`` impact points of a footprint (a seeded random subset), for drawing."""
    idx = np.flatnonzero(fp.impacted)
    total = int(idx.size)
    if total > cap:
        idx = np.sort(np.random.default_rng(seed).choice(idx, size=cap, replace=False))
    return {"lat": np.round(fp.lat[idx], 4), "lon": np.round(fp.lon[idx], 4),
            "territory": [str(x) for x in fp.territory[idx]], "of": total}


def run_footprint(req: FootprintRequest, *, progress: Callable[[int], None] | None = None,
                  chunk_size: int | None = None):
    """The :class:`boostphase.consequence.Footprint` of a request and its scenario's title."""
    from ..consequence import footprint

    sc = footprint_scenario(req)
    kw: dict[str, Any] = {}
    if chunk_size is not None:
        kw["chunk_size"] = chunk_size
    if req.vehicle_toml is not None and req.example is None:  # the pasted vehicle, not a catalog name
        kw["missile"] = request_vehicle(None, req.vehicle_toml)
    return footprint(sc, progress=progress, **kw), sc.title


def footprint_payload(fp, title: str) -> dict:
    """The CLI's JSON (shares with Wilson intervals, cities, payload, stages) and a sample of at
    most :data:`MAX_FOOTPRINT_SAMPLE` impact points."""
    out = fp.to_dict()
    out["sample"] = footprint_sample(fp, MAX_FOOTPRINT_SAMPLE, fp.seed)
    out["title"] = title
    return jsonable(out)


def compute_footprint(req: FootprintRequest) -> dict:
    """A small footprint (see :func:`footprint_payload`)."""
    return footprint_payload(*run_footprint(req))


def footprint_files(fp, name: str) -> dict[str, tuple[str, str, str]]:
    """The downloads of a footprint: GeoJSON and KML (samples of the cloud, density contours)."""
    return {"geojson": (json.dumps(jsonable(fp.to_geojson(max_points=MAX_FOOTPRINT_SAMPLE))),
                        "application/geo+json", f"{name}.geojson"),
            "kml": (fp.to_kml(max_points=MAX_FOOTPRINT_SAMPLE), "application/vnd.google-earth.kml+xml", f"{name}.kml")}


def result_summary(panel: str, res: dict) -> dict:
    """What the run store keeps of a panel's result: its figures, not the arrays drawn (an
    ensemble's report is all figures: kept whole)."""
    if set(res) == {"ensemble"}:
        return res
    if panel == "flight":
        return res["summary"]
    if panel == "reconstruct":
        return {k: v for k, v in res.items() if k not in ("reach_geojson", "reach_by_azimuth")}
    if panel == "engage":
        return {"rows": res["rows"], "threat": res["threat"], "interceptor": res["interceptor"],
                "timeline": res["timeline"]}
    if panel == "engagemap":
        return {k: v for k, v in res.items() if k not in ("margin_s", "lat", "lon", "lon_unwrapped")}
    if panel == "shortfall":
        return {k: v for k, v in res.items() if k != "trace"}
    if panel == "footprint":
        return {k: v for k, v in res.items() if k != "sample"}
    return res


def panel_computations() -> dict[str, tuple[type[BaseModel], Callable[[Any], dict]]]:
    """Each savable panel's request model and its computation (the JSON the page receives)."""
    return {
        "flight": (FlyoutRequest, lambda r: flyout_payload(compute_flyout(r))),
        "coast": (CoastRequest, compute_coast),
        "reconstruct": (ReconstructRequest, compute_reconstruct),
        "check": (CheckRequest, compute_check),
        "engage": (EngageRequest, compute_engage),
        "engagemap": (EngageMapRequest, compute_engage_map),
        "shortfall": (ShortfallRequest, compute_shortfall),
        "footprint": (FootprintRequest, compute_footprint),
    }


def recompute_summary(panel: str, scenario: dict) -> dict:
    """The stored summary of a saved web run computed again from its scenario (for
    ``boostphase runs rerun``): same validation, same computation, same summary."""
    comps = panel_computations()
    if panel not in comps:
        raise InputError("panel", panel, " | ".join(comps))
    model, compute = comps[panel]
    try:
        body = model.model_validate({k: v for k, v in scenario.items() if k != "note"})
    except ValidationError as e:
        raise spec_error(e) from None
    if has_distributions(body):
        return run_ensemble(panel, panel_kind(panel), body)
    return result_summary(panel, compute(body))


def panel_kind(panel: str) -> str:
    """The scenario-file kind of a web panel (``flight`` -> ``flyout``)."""
    return {v: k for k, v in KIND_ALIASES.items()}.get(panel, panel)


# samples answered at once by a panel's endpoint (about 20-60 s of work at most; an engage sample
# whose burnout speed varies builds its interceptor table anew, ~1.3 s); more: a background job
WEB_ENSEMBLE_CAPS = {"flight": MAX_WEB_ENSEMBLE, "coast": MAX_WEB_ENSEMBLE, "check": MAX_WEB_ENSEMBLE, "engage": 50,
                     "engagemap": 50, "shortfall": 50, "reconstruct": 20, "footprint": 10}
_WEB_PANELS = {"flyout": "flight", "coast": "coast", "reconstruct": "reconstruct", "check": "check", "engage": "engage",
               "engagemap": "engagemap", "shortfall": "shortfall", "footprint": "footprint"}


def check_web_ensemble(panel: str, req, cap: int) -> None:
    """The web's limits on an ensemble: at most ``cap`` samples (footprints: samples x fragments
    within the fragment limit), no Dask settings (the server does not start clusters or connect
    to addresses a client names)."""
    ens = req.ensemble
    n = ens.n if ens is not None else EnsembleSpec().n
    if ens is not None and (ens.workers or ens.scheduler is not None):
        raise InputError("ensemble.workers" if ens.workers else "ensemble.scheduler", ens.workers or ens.scheduler,
                         "empty on the web (Dask ensembles run with `boostphase run FILE.toml`)")
    if n > cap:
        raise InputError("ensemble.n", n, f"at most {cap:,} samples here",
                         "more as a background job: POST /api/jobs with kind = ensemble, or `boostphase run`")
    if panel == "footprint" and n * req.n_fragments > MAX_JOB_FRAGMENTS:
        raise InputError("ensemble.n", n, f"samples x n_fragments at most {MAX_JOB_FRAGMENTS:,}")


def web_ensemble(kind: str, req) -> Callable[[], dict]:
    """The work of a panel endpoint (``kind``: the web's name, e.g. ``flyout``) whose request
    holds distributions: the ensemble report, within :data:`WEB_ENSEMBLE_CAPS`."""
    panel = _WEB_PANELS.get(kind)
    if panel is None:
        raise InputError("ensemble", "distribution fields", "the JSON endpoint of this panel (files are of one case)")
    check_web_ensemble(panel, req, WEB_ENSEMBLE_CAPS[panel])
    return lambda: run_ensemble(panel, panel_kind(panel), req)


def ensemble_job_spec(params: dict):
    """(panel, validated spec) of an ensemble job's ``params`` (a scenario: ``kind`` and its
    fields with distributions), within :data:`MAX_JOB_ENSEMBLE` samples."""
    if not isinstance(params, dict):
        raise InputError("params", type(params).__name__, "a scenario table with a kind")
    kind = params.get("kind")
    panel = KIND_ALIASES.get(kind, kind) if isinstance(kind, str) else None
    comps = panel_computations()
    if panel not in comps:
        raise InputError("params.kind", kind, " | ".join(scenario_kinds()))
    _finite_numbers("params", params)
    try:
        body = comps[panel][0].model_validate({k: v for k, v in params.items() if k != "kind"})
    except ValidationError as e:
        raise spec_error(e) from None
    if not distributions_of(body):
        raise InputError("params", "no distribution", "a scenario with at least one field as a distribution table")
    check_web_ensemble(panel, body, min(MAX_JOB_ENSEMBLE, cap_for(panel, body)))
    return panel, body


def spec_error(e: ValidationError) -> InputError:
    """The one-line InputError of a spec's validation error: the field's own InputError where a
    field converter raised one (units, ranges), else pydantic's message under the field's name."""
    err = e.errors()[0]
    inner = (err.get("ctx") or {}).get("error")
    if isinstance(inner, InputError):
        return inner
    return InputError(".".join(str(x) for x in err["loc"]), err.get("input"), err.get("msg", "a valid value"))


# Scenario-file kinds: the CLI command names where they differ from the web panels' names.
KIND_ALIASES = {"flyout": "flight", "engage-map": "engagemap"}


# Scenario files without a kind of the registry: each dialect runs with its own command, and
# `boostphase run` recognises it by its tables (first match wins).
FILE_DIALECTS = (
    ("c4", ("c4",), "the C4 decision analysis (boostphase c4 --spec FILE)"),
    ("c5", ("c5",), "the C5 probability analysis (boostphase c5 --spec FILE)"),
    ("sweep", ("grid", "fixed", "random"), "a parameter sweep (boostphase sweep FILE --out DIR)"),
    ("footprint", ("fragments", "intercept"), "a debris footprint (boostphase footprint FILE)"),
    ("engage", ("platforms", "threats", "interceptor", "timeline"), "boost-phase engagements (boostphase engage FILE)"),
)


def file_dialect(data: dict) -> str | None:
    """Which command a scenario file belongs to when it is not a registry kind: ``c4``, ``c5``,
    ``sweep``, ``footprint`` or ``engage`` (by its tables), else None (a registry kind, or unknown)."""
    if not isinstance(data, dict):
        return None
    for name, keys, _ in FILE_DIALECTS:
        if any(k in data for k in keys):
            return name
    return None


def scenario_kinds() -> list[str]:
    """The kinds a scenario file may name (``kind = "..."``), CLI spellings first."""
    panels = list(panel_computations())
    inverse = {v: k for k, v in KIND_ALIASES.items()}
    return [inverse.get(p, p) for p in panels]


def run_scenario(data: dict, where: str = "scenario") -> tuple[str, dict]:
    """Run a scenario given as data (a parsed TOML file): ``kind`` names the analysis, the other
    keys are its spec's fields (the web API's request body, the CLI's option names). Returns the
    kind and the summary the run store keeps; bad input is an InputError naming the field."""
    if not isinstance(data, dict):
        raise InputError(where, type(data).__name__, "a table of fields with a kind")
    kind = data.get("kind")
    if not isinstance(kind, str) or KIND_ALIASES.get(kind, kind) not in panel_computations():
        raise InputError("kind", kind, " | ".join(scenario_kinds()), f"in {where}")
    body = {k: v for k, v in data.items() if k != "kind"}
    return kind, recompute_summary(KIND_ALIASES.get(kind, kind), body)


def scenario_schema(kind: str) -> dict:
    """JSON Schema of a scenario file of ``kind`` (its spec's fields plus ``kind``)."""
    panel = KIND_ALIASES.get(kind, kind)
    comps = panel_computations()
    if panel not in comps:
        raise InputError("--schema", kind, " | ".join(scenario_kinds()))
    schema = comps[panel][0].model_json_schema()
    schema.setdefault("properties", {})["kind"] = {"const": kind, "description": "the analysis to run"}
    schema.setdefault("required", []).insert(0, "kind")
    return schema
