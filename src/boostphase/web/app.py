"""The FastAPI app: a JSON API that mirrors the CLI, and the single page with the Cesium globe.

Design (see ``shared/DESIGN.md``):

* **Same validation as the CLI.** Request bodies are pydantic models whose fields carry the CLI's
  option names (``apogee_km``, ``launch`` as ``"LAT,LON"``, ``target`` as ``"LAT,LON"`` or a city).
  Numbers may also be given as quantities with units (``"3724.9 km"``, ``"47 min"``) and are
  converted by :func:`boostphase.units.quantity`. The physics functions raise
  :class:`~boostphase.errors.InputError`; it becomes HTTP 422 whose ``error`` is the same text the
  CLI prints and whose ``field`` names the field.
* **Security.** Binds to 127.0.0.1 by default (``boostphase serve``); without a token only
  requests whose ``Host`` is a loopback name are served (a guard against DNS rebinding). With a
  token every request must carry it (``Authorization: Bearer T``, ``?token=T`` or the HttpOnly
  cookie set after a valid ``?token=``), compared with :func:`hmac.compare_digest`. Request
  bodies are limited to :data:`MAX_BODY_BYTES`. Clients never name files: ``/cesium/`` serves
  only ``node_modules/cesium/Build/Cesium`` and ``/static/`` only this package's ``static/``.
  A strict Content-Security-Policy forbids inline script and ``eval``.
* **Speed.** Computations run in worker threads, at most :data:`MAX_CONCURRENT_JOBS` at once,
  and results are kept in a small LRU cache so that the downloads (CSV, GeoJSON, CZML) of a result
  just shown do not recompute it. Every response carries ``Server-Timing: compute;dur=MS``.

Engage (``/api/engage``): one threat against one UAV orbit, the single-engagement slice of
``boostphase engage``. Consequence (``/api/shortfall``, ``/api/footprint``): the shortfall trace
and a *small* fragment Monte Carlo (at most :data:`MAX_FOOTPRINT_FRAGMENTS`; bigger runs belong to
the CLI); the page gets at most :data:`MAX_FOOTPRINT_SAMPLE` impact points, never the full cloud.
TODO(engage): several orbits, reach envelopes and the engagement map overlay (``engagement_map``).
TODO(scenario): the request models here should move to ``boostphase/scenario.py`` when it exists,
so that CLI, web API and scenario files share one set of models.
"""

from __future__ import annotations

import hmac
import importlib.util
import json
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from .. import __version__
from ..errors import InputError

STATIC_DIR = Path(__file__).with_name("static")
EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"  # the repository's examples/
MAX_FOOTPRINT_FRAGMENTS = 20_000   # per web request; the CLI runs millions
MAX_FOOTPRINT_SAMPLE = 5_000       # impact points sent to the page for drawing
FOOTPRINT_EXAMPLES = {"chicago": "c5_chicago.toml", "los_angeles": "c5_los_angeles.toml",
                      "washington": "c5_washington.toml"}
MAX_BODY_BYTES = 64 * 1024
MAX_CONCURRENT_JOBS = 2
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TOKEN_COOKIE = "boostphase_token"
TOKEN_ENV = "BOOSTPHASE_TOKEN"
CESIUM_ENV = "BOOSTPHASE_CESIUM_DIR"
CZML_EPOCH = "2000-01-01T12:00:00Z"  # scenarios carry no date; CZML needs one (stated in the file)

# No inline script and no eval: Cesium 1.140's bundle reaches for eval twice at start-up (knockout
# finds the global object with `(0, eval)("this")`; protobufjs probes `eval("require")`), and
# static/preload.js answers both without eval (see there). 'wasm-unsafe-eval' lets WebAssembly
# compile (meshoptimizer's decoder, instantiated at load); it does not allow JavaScript eval.
# Workers come from /cesium/Workers (self) and Cesium makes some from blob: URLs; imagery decodes
# via blob:/data: URLs. Cesium sets inline style attributes, hence style-src 'unsafe-inline'
# (styles only). The browser test fails on any CSP violation the page reports.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' data: blob:",
    "worker-src 'self' blob:",
    "child-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


# ------------------------------------------------------------------------------------------------
# Input types

# A number, or a short quantity string: a plain decimal number and a unit name. Exponent operators
# are refused before pint sees them: pint evaluates "9**9**9 km" exactly (a huge integer power).
_QUANTITY_RE = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,3})?\s*[A-Za-z_ /.\u00b0]{0,24}\s*$")


def _q(unit: str, lo: float | None = None, hi: float | None = None, what: str = ""):
    """A float field given as a number (in ``unit``) or a quantity string ("20 km")."""

    def conv(v, info):
        name = info.field_name or "value"
        if isinstance(v, str):
            if len(v) > 40 or not _QUANTITY_RE.match(v):
                raise InputError(name, v, f"a number in {unit} or a quantity like '10 {unit}'")
        elif v is not None and not isinstance(v, (int, float)) or isinstance(v, bool):
            raise InputError(name, v, f"a number in {unit} or a quantity like '10 {unit}'")
        from ..units import quantity

        x = quantity(name, v, unit, lo, hi)
        if not math.isfinite(x):
            raise InputError(name, v, f"a finite number in {unit}")
        return x

    lim = ""
    if lo is not None and hi is not None:
        lim = f" ({lo:g} to {hi:g} {unit})"
    schema = {"anyOf": [{"type": "number"}, {"type": "string", "maxLength": 40}],
              "description": f"{what}{lim}; a number in {unit} or a quantity string such as '10 {unit}'"}
    return BeforeValidator(conv), WithJsonSchema(schema)


def Q(unit: str, lo: float | None = None, hi: float | None = None, what: str = ""):  # noqa: N802
    return Annotated[float, *_q(unit, lo, hi, what)]


ShortText = Annotated[str, Field(min_length=1, max_length=100)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FlyoutRequest(_Model):
    """The ``boostphase flyout`` command as JSON."""

    missile: ShortText = Field(description="catalog name (see /api/catalog)")
    launch: ShortText = Field(description="LAT,LON of the launch point (deg)")
    azimuth_deg: Q("deg", -360, 360, "launch azimuth, clockwise from north") | None = None
    target: ShortText | None = Field(None, description="LAT,LON or a city name")
    profile: Literal["min-energy", "lofted", "depressed", "target"] = "min-energy"
    apogee_km: Q("km", None, None, "apogee for lofted/depressed") | None = None
    earth: Literal["wgs84", "sphere"] = "wgs84"
    no_rotation: bool = Field(False, description="ignore the Earth's rotation")


class ReconstructRequest(_Model):
    """The ``boostphase reconstruct`` command as JSON."""

    apogee_km: Q("km", None, None, "reported apogee")
    range_km: Q("km", None, None, "reported ground range")
    flight_time_s: Q("s", None, None, "reported flight time; a check on the fit") | None = None
    launch: ShortText | None = Field(None, description="LAT,LON of the launch site: adds the reach contour and cities")
    test_azimuth: Q("deg", -360, 360, "azimuth the test was flown on") = 90.0
    cities: Annotated[str, Field(max_length=1000)] | None = Field(
        None, description='comma-separated city names, e.g. "Los Angeles,Chicago" (at most 30)')
    missile: ShortText | None = Field(None, description="catalog model to fit (default hwasong-14)")
    no_sensitivity: bool = Field(False, description="skip the burn-time +-20 % refits (3x faster)")


class CheckRequest(_Model):
    """The ``boostphase check`` command as JSON."""

    range_km: Q("km", None, None, "claimed ground range")
    apogee_km: Q("km", None, None, "claimed apogee") | None = None
    flight_time_s: Q("s", None, None, "claimed flight time") | None = None
    peak_speed_km_s: Q("km/s", None, None, "claimed peak speed") | None = None
    peak_mach: Annotated[float, Field(allow_inf_nan=False)] | None = Field(None, description="claimed peak Mach number")
    mach_convention: Literal["sea-level", "local"] = Field(
        "sea-level", description="sea-level (v/340.29 m/s) or local (US76 at that altitude)")
    glide_ld: Annotated[float, Field(allow_inf_nan=False)] | None = Field(
        None, description="lift-to-drag ratio of a boost-glide vehicle to check")
    tolerance: Annotated[float, Field(allow_inf_nan=False)] = Field(0.05, description="relative tolerance on each figure")


class EngageRequest(_Model):
    """One threat against one UAV orbit (the single-engagement slice of ``boostphase engage``)."""

    missile: ShortText = Field("generic-liquid-icbm", description="catalog name (see /api/catalog)")
    launch: ShortText = Field(description="LAT,LON of the threat's launch point (deg)")
    target: ShortText | None = Field(None, description="LAT,LON or a city name")
    azimuth_deg: Q("deg", -360, 360, "launch azimuth, instead of a target") | None = None
    profile: Literal["min-energy", "target"] = Field(
        "min-energy", description="min-energy (the standard boost toward the target) or target")
    orbit_centre: ShortText = Field(description="LAT,LON of the UAV orbit's centre (deg)")
    altitude_km: Q("km", 0, 40, "UAV altitude") = 15.0
    orbit_radius_km: Q("km", 0, 500, "UAV orbit radius") = 20.0
    burnout_speed_km_s: Q("km/s", 0.1, 15, "interceptor ideal burnout speed (two 20 s stages)") = 5.0
    delay_s: Q("s", 0, 1000, "total delay from the threat's launch to the interceptor's launch") = 65.0


class ShortfallRequest(_Model):
    """``boostphase shortfall`` as JSON: where the payload falls if thrust stops at each moment."""

    missile: ShortText = Field(description="catalog name (see /api/catalog)")
    launch: ShortText = Field(description="LAT,LON of the launch point (deg)")
    target: ShortText | None = Field(None, description="LAT,LON or a city name")
    azimuth_deg: Q("deg", -360, 360, "launch azimuth, instead of a target") | None = None
    payload_kg: Q("kg", 1, 1e5, "payload mass (default: the catalog's)") | None = None
    beta_kg_m2: Q("kg/m^2", 1, 1e6, "payload ballistic coefficient in kg/m^2 (empty: vacuum)") | None = None
    dt_s: Q("s", 0.5, 60, "step between cut-off times") = 2.0


class FootprintRequest(_Model):
    """A small debris Monte Carlo (``boostphase footprint``): an example scenario, or a threat and
    an intercept time."""

    example: Literal["chicago", "los_angeles", "washington"] | None = Field(
        None, description="a C5 example scenario (examples/c5_*.toml); the threat fields are then ignored")
    missile: ShortText | None = Field(None, description="catalog name (see /api/catalog)")
    launch: ShortText | None = Field(None, description="LAT,LON of the launch point (deg)")
    target: ShortText | None = Field(None, description="LAT,LON or a city name")
    payload_kg: Q("kg", 1, 1e5, "payload mass (default: the catalog's)") | None = None
    beta_kg_m2: Q("kg/m^2", 1, 1e6, "payload ballistic coefficient in kg/m^2 (empty: vacuum)") | None = None
    intercept_time_s: Q("s", 1, 2000, "intercept time after launch (empty: the scenario's window)") | None = None
    n_fragments: int = Field(2000, ge=1, le=MAX_FOOTPRINT_FRAGMENTS,
                             description=f"fragments to fly (at most {MAX_FOOTPRINT_FRAGMENTS} on the web)")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="random seed (empty: the scenario's)")


# The example scenario of each panel: shown by the page's "Example" buttons, used by the tests.
EXAMPLES: dict[str, dict[str, Any]] = {
    "flight": {"missile": "hwasong-14", "launch": "40.61556,126.46306", "azimuth_deg": 45.0,
               "profile": "min-energy"},
    # Claim C1: the Hwasong-14 test of 28 July 2017 (KCNA figures, see /api/tests)
    "reconstruct": {"apogee_km": 3724.9, "range_km": 998.0, "flight_time_s": 2832.0,
                    "launch": "40.61556,126.46306", "test_azimuth": 90.0,
                    "cities": "Los Angeles,Chicago,New York,Washington", "no_sensitivity": True},
    # Claim C3: the IRBM of 14 Jan 2024, "1,000 km, 100 km altitude, Mach 14"
    "check": {"range_km": 1000.0, "apogee_km": 100.0, "peak_mach": 14.0, "mach_convention": "sea-level"},
    # Claim C4: examples/c4_single_orbit.toml, first threat, its one orbit (total delay 45+15+5 s)
    "engage": {"missile": "generic-liquid-icbm", "launch": "39.0,125.7", "target": "Chicago",
               "profile": "min-energy", "orbit_centre": "41.0,131.3", "altitude_km": 15.0,
               "orbit_radius_km": 20.0, "burnout_speed_km_s": 5.0, "delay_s": 65.0},
    # Claim C5: examples/c5_chicago.toml (Hwasong-15 class with 800 kg toward Chicago)
    "shortfall": {"missile": "hwasong-15", "launch": "39.0,125.7", "target": "Chicago", "payload_kg": 800.0,
                  "beta_kg_m2": 5000.0, "dt_s": 2.0},
    "footprint": {"example": "chicago", "n_fragments": 2000},
}


def _optional_module(name: str) -> bool:
    return importlib.util.find_spec(f"boostphase.{name}") is not None


def panels() -> dict[str, bool]:
    """Which panels the page shows (engage and consequence: when their modules are installed)."""
    return {"flight": True, "reconstruct": True, "check": True,
            "engage": _optional_module("engage"), "consequence": _optional_module("consequence")}


# ------------------------------------------------------------------------------------------------
# Helpers


def jsonable(o):
    """numpy scalars/arrays and non-finite floats -> plain JSON (NaN/inf -> null)."""
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return jsonable(o.tolist())
    if isinstance(o, np.generic):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o


def _parse_latlon(field: str, text: str) -> tuple[float, float]:
    from ..cli import parse_latlon  # the CLI's parser: same checks, same error texts

    return parse_latlon(field, text)


def _parse_place(field: str, text: str) -> tuple[float, float]:
    from ..cli import parse_place

    return parse_place(field, text)


class _LRU:
    """A small thread-safe LRU cache of computed results, keyed by the validated request."""

    def __init__(self, size: int = 24):
        self.size = size
        self._d: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: str, fn: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key]
        val = fn()
        with self._lock:
            self._d[key] = val
            while len(self._d) > self.size:
                self._d.popitem(last=False)
        return val


def find_cesium_dir() -> Path | None:
    """``node_modules/cesium/Build/Cesium``: from $BOOSTPHASE_CESIUM_DIR, else searched upward
    from the working directory and from this file (an editable install in the repository)."""
    env = os.environ.get(CESIUM_ENV)
    if env:
        p = Path(env)
        return p if (p / "Cesium.js").is_file() else None
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for d in (start, *start.parents):
            p = d / "node_modules" / "cesium" / "Build" / "Cesium"
            if (p / "Cesium.js").is_file():
                return p
    return None


# ------------------------------------------------------------------------------------------------
# Computations (no HTTP here: each returns plain data)


def compute_flyout(req: FlyoutRequest):
    """Validate like ``boostphase flyout`` and fly; returns the Trajectory."""
    from ..earth import earth_model
    from ..flight import fly
    from ..vehicles import load

    m = load(req.missile)
    lat, lon = _parse_latlon("launch", req.launch)
    tgt = _parse_place("target", req.target) if req.target else None
    if req.azimuth_deg is None and tgt is None:
        raise InputError("azimuth_deg", None, "an azimuth in degrees or a target (LAT,LON or a city)")
    return fly(m, lat, lon, azimuth_deg=req.azimuth_deg, target=tgt, profile=req.profile,
               apogee_m=None if req.apogee_km is None else req.apogee_km * 1e3,
               earth=earth_model(req.earth, rotation=not req.no_rotation))


def flyout_payload(traj) -> dict:
    """The JSON of ``/api/flyout``: the CLI summary plus the track and event markers to draw."""
    lat, lon, alt = traj.geodetic()
    rng = traj.ground_range_m()
    spd = traj.speed_m_s
    i_apo = int(np.argmax(alt))
    b = traj.burnout()
    ilat, ilon = traj.impact_lat_lon_deg
    m = traj.missile
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
            "impact": {"t_s": traj.flight_time_s, "lat": ilat, "lon": ilon, "alt_km": 0.0},
        },
    })


def compute_reconstruct(req: ReconstructRequest) -> dict:
    """Validate like ``boostphase reconstruct`` and run it; the CLI's JSON (+ launch)."""
    from ..reconstruct import reconstruct

    site = _parse_latlon("launch", req.launch) if req.launch else None
    names = [c.strip() for c in (req.cities or "").split(",") if c.strip()]
    if len(names) > 30:
        raise InputError("cities", f"{len(names)} names", "at most 30 city names")
    if names:
        from ..geography import find_city

        for n in names:  # fail fast on unknown names, before the long computation
            find_city(n)
        if site is None:
            raise InputError("cities", req.cities, "used together with launch LAT,LON")
    res = reconstruct(req.apogee_km, req.range_km, req.flight_time_s, launch=site,
                      test_azimuth_deg=req.test_azimuth, missile=req.missile, cities=names,
                      sensitivity=not req.no_sensitivity)
    res = dict(res)
    if site is not None:
        res["launch"] = {"lat": site[0], "lon": site[1]}
    return jsonable(res)


def compute_check(req: CheckRequest) -> dict:
    from ..claims import check_claim

    return jsonable(check_claim(req.range_km, apogee_km=req.apogee_km, flight_time_s=req.flight_time_s,
                                peak_speed_km_s=req.peak_speed_km_s, peak_mach=req.peak_mach,
                                mach_convention=req.mach_convention, glide_ld=req.glide_ld,
                                tolerance=req.tolerance))


def _target(field: str, text: str | None, azimuth) -> tuple[float, float] | None:
    tgt = _parse_place(field, text) if text else None
    if (tgt is None) == (azimuth is None):
        raise InputError("target", text, "exactly one of a target (LAT,LON or a city) or azimuth_deg")
    return tgt


def compute_engage(req: EngageRequest) -> dict:
    """One threat, one orbit, one interceptor, a total delay: the CLI's engagement row, plus the
    threat's boost track, the orbit and the timeline for drawing."""
    from ..engage import Engagement, Interceptor, Platform, Threat, Timeline

    lat, lon = _parse_latlon("launch", req.launch)
    tgt = _target("target", req.target, req.azimuth_deg)
    clat, clon = _parse_latlon("orbit_centre", req.orbit_centre)
    if req.profile == "target" and tgt is None:
        raise InputError("profile", req.profile, "a target for the 'target' profile")
    threat = Threat(req.missile, lat, lon, target=tgt, azimuth_deg=req.azimuth_deg, profile=req.profile)
    platform = Platform(clat, clon, altitude_m=req.altitude_km * 1e3, orbit_radius_m=req.orbit_radius_km * 1e3,
                        name=f"orbit {clat:.2f},{clon:.2f}")
    interceptor = Interceptor.two_stage(req.burnout_speed_km_s * 1e3)
    timeline = Timeline.total(req.delay_s)
    row = Engagement(threat, platform, interceptor, timeline).solve().row()
    tr = threat.track
    boost = tr.t_s <= tr.burnout_time_s + 1e-9
    events = [("threat launch", 0.0), ("interceptor launch", row["interceptor_launch_time_s"])]
    if row["intercept_time_s"] is not None:
        events.append(("intercept", row["intercept_time_s"]))
    events.append(("threat burnout", row["burnout_time_s"]))
    if row["latest_useful_time_s"] != row["burnout_time_s"]:
        events.append(("latest useful intercept", row["latest_useful_time_s"]))
    return jsonable({
        "row": row,
        "threat": {"name": threat.name, "missile": threat.missile.name,
                   "launch": {"lat": lat, "lon": lon},
                   "target": None if tgt is None else {"lat": tgt[0], "lon": tgt[1]},
                   "burnout_time_s": tr.burnout_time_s},
        "track": {"t_s": tr.t_s[boost], "lat": tr.lat_deg[boost], "lon": tr.lon_deg[boost],
                  "alt_km": tr.alt_m[boost] / 1e3},
        "orbit": {"lat": clat, "lon": clon, "alt_km": req.altitude_km, "radius_km": req.orbit_radius_km},
        "interceptor": interceptor.name,
        "timeline": [{"event": e, "t_s": t} for e, t in sorted(events, key=lambda x: x[1])],
    })


def compute_shortfall(req: ShortfallRequest) -> dict:
    """``boostphase shortfall --json``: the trace and its territory intervals."""
    from ..consequence import _missile, shortfall_trace
    from ..vehicles import load

    launch = _parse_latlon("launch", req.launch)
    tgt = _target("target", req.target, req.azimuth_deg)
    m = load(req.missile)
    if req.payload_kg is not None:
        m = _missile(m, req.payload_kg)
    return jsonable(shortfall_trace(m, launch, tgt, req.beta_kg_m2, dt_s=req.dt_s,
                                    azimuth_deg=req.azimuth_deg).to_dict())


def footprint_scenario(req: FootprintRequest):
    """The :class:`boostphase.consequence.Scenario` of a footprint request."""
    import tomllib

    from ..consequence import parse_scenario

    if req.example is not None:
        path = EXAMPLES_DIR / FOOTPRINT_EXAMPLES[req.example]
        if not path.is_file():
            raise InputError("example", req.example, "an example scenario of a source checkout (examples/)")
        data = tomllib.loads(path.read_text())
    else:
        if req.missile is None or req.launch is None or req.target is None:
            raise InputError("missile" if req.missile is None else "launch" if req.launch is None else "target",
                             None, "missile, launch and target, or an example scenario")
        threat: dict[str, Any] = {"missile": req.missile, "launch": list(_parse_latlon("launch", req.launch)),
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


def compute_footprint(req: FootprintRequest) -> dict:
    """A small footprint: the CLI's JSON (shares with Wilson intervals, cities, payload, stages)
    and a sample of at most :data:`MAX_FOOTPRINT_SAMPLE` impact points."""
    from ..consequence import footprint

    sc = footprint_scenario(req)
    fp = footprint(sc)
    out = fp.to_dict()
    out["sample"] = footprint_sample(fp, MAX_FOOTPRINT_SAMPLE, fp.seed)
    out["title"] = sc.title
    return jsonable(out)


def catalog_payload() -> list[dict]:
    """Same items as ``boostphase catalog --json``."""
    from ..vehicles import catalog

    return [{"name": m.name, "title": m.title, "stages": len(m.stages), "launch_mass_kg": m.launch_mass_kg,
             "payload_kg": m.payload_kg, "boost_time_s": m.boost_time_s, "sources": dict(m.sources),
             "notes": m.notes, "references": dict(m.references)} for m in catalog()]


def tests_payload() -> dict:
    """The test-flight catalogue (for the Reconstruct panel) and the launch sites it cites."""
    from ..testflights import load_tests

    tests, sites = [], {}
    for t in load_tests():
        tests.append({"date": t.date.isoformat(), "vehicle": t.vehicle, "site_name": t.site_name,
                      "site_lat_deg": t.site_lat_deg, "site_lon_deg": t.site_lon_deg,
                      "apogee_km": t.apogee_km, "range_km": t.range_km, "flight_time_s": t.flight_time_s,
                      "sources": dict(t.sources), "notes": t.notes})
        key = (round(t.site_lat_deg, 5), round(t.site_lon_deg, 5))
        sites.setdefault(key, {"name": t.site_name, "lat": t.site_lat_deg, "lon": t.site_lon_deg,
                               "source": t.sources.get("site_lat_deg") or t.sources.get("site", "")})
    return {"tests": tests, "sites": list(sites.values())}


# ------------------------------------------------------------------------------------------------
# ASGI middleware (pure ASGI: covers the API, the static files and Cesium alike)


async def _send_json(send, status: int, body: dict, headers: list | None = None) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *SECURITY_HEADERS, *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


class GuardMiddleware:
    """Token or loopback-host check, body size limit and security headers, for every request."""

    def __init__(self, app, token: str | None, max_body: int = MAX_BODY_BYTES):
        self.app = app
        self.token = token.encode() if token else None
        self.max_body = max_body

    def _provided(self, scope) -> tuple[list[bytes], bool]:
        """Tokens offered by the request; and whether one came in the query string."""
        out: list[bytes] = []
        from_query = False
        for k, v in scope.get("headers", []):
            if k == b"authorization" and v[:7].lower() == b"bearer ":
                out.append(v[7:].strip())
            elif k == b"cookie":
                for part in v.split(b";"):
                    name, _, val = part.strip().partition(b"=")
                    if name == TOKEN_COOKIE.encode():
                        out.append(val)
        from urllib.parse import parse_qsl

        for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
            if k == "token":
                out.append(v.encode("latin-1"))
                from_query = True
        return out, from_query

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra_headers: list = []
        if self.token is not None:
            offered, from_query = self._provided(scope)
            ok = False
            for t in offered:  # compare every offered token: no early exit on the secret's content
                ok |= hmac.compare_digest(t, self.token)
            if not ok:
                return await _send_json(send, 401, {"error": "a valid token is required "
                                                    "(Authorization: Bearer TOKEN or ?token=TOKEN)"},
                                        [(b"www-authenticate", b"Bearer")])
            if from_query:
                extra_headers.append((b"set-cookie", f"{TOKEN_COOKIE}={self.token.decode('latin-1')}; "
                                      "HttpOnly; SameSite=Strict; Path=/".encode("latin-1")))
        else:
            host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
            name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
            if name not in LOOPBACK_HOSTS:
                return await _send_json(send, 421, {"error": f"host {host!r} is not served without a token; "
                                                    "start with --token to serve other hosts"})
        headers = dict(scope.get("headers", []))
        cl = headers.get(b"content-length")
        if cl is not None and (not cl.isdigit() or int(cl) > self.max_body):
            return await _send_json(send, 413, {"error": f"request body larger than {self.max_body} bytes"})
        received = 0
        refused = False  # body over the limit: 413 sent, the app's own answer is dropped

        async def limited_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > self.max_body:
                    refused = True
                    await _send_json(send, 413, {"error": f"request body larger than {self.max_body} bytes"})
                    return {"type": "http.disconnect"}
            return msg

        async def send_with_headers(msg):
            if refused:
                return
            if msg["type"] == "http.response.start":
                msg = dict(msg)
                msg["headers"] = [*msg.get("headers", []), *SECURITY_HEADERS, *extra_headers]
            await send(msg)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception:
            if not refused:  # the app gave up on the cut-off body: its error is not the answer
                raise


# ------------------------------------------------------------------------------------------------
# The app


def _error_body(field: str, message: str, detail=None) -> dict:
    return {"error": message, "field": field, "detail": detail or [{"loc": ["body", field], "msg": message}]}


def create_app(token: str | None = None, *, warm: bool = False) -> FastAPI:
    """The ASGI app. ``token``: require it on every request (also read from $BOOSTPHASE_TOKEN by
    ``boostphase serve``, not here). ``warm``: compile the flight kernels in a background thread
    at start-up, so that the first flyout answers at warm speed."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        if warm:
            threading.Thread(target=_warm_up, name="boostphase-warm-up", daemon=True).start()
        yield

    app = FastAPI(title="boostphase", version=__version__, lifespan=lifespan,
                  description="Physics-based checks of public claims about ballistic missiles and boost-phase "
                              "defence. Mirrors the `boostphase` CLI: same inputs, same validation, same JSON.",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    jobs = threading.BoundedSemaphore(MAX_CONCURRENT_JOBS)
    cache = _LRU()
    cesium = find_cesium_dir()

    def run(kind: str, req: BaseModel | None, fn: Callable[[], Any]):
        key = f"{kind}:{req.model_dump_json() if req is not None else ''}"
        with jobs:
            return cache.get_or_compute(key, fn)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        return JSONResponse(_error_body(exc.field, str(exc)), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        first = errs[0] if errs else {"loc": ["body"], "msg": "invalid request"}
        loc = [str(x) for x in first.get("loc", ())]
        field = ".".join(x for x in loc[1:]) if len(loc) > 1 else (loc[0] if loc else "body")
        orig = (first.get("ctx") or {}).get("error")
        if isinstance(orig, InputError):
            msg = str(orig)
        elif first.get("type") == "extra_forbidden":
            msg = f"{field}: unknown field; allowed: the fields in /api/openapi.json"
        elif first.get("type") == "missing":
            msg = f"{field}: missing; allowed: a value (required)"
        else:
            msg = f"{field}: got {first.get('input')!r}; allowed: {first.get('msg', 'a valid value')}"
        detail = [{"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")} for e in errs]
        return JSONResponse(_error_body(field, msg, jsonable(detail)), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # never a traceback to the client
        return JSONResponse({"error": f"internal error ({type(exc).__name__}); please report the request"},
                            status_code=500)

    @app.middleware("http")
    async def _timing(request: Request, call_next):
        t0 = time.perf_counter()
        response = await call_next(request)
        response.headers["server-timing"] = f"compute;dur={(time.perf_counter() - t0) * 1e3:.1f}"
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("cache-control", "no-store")
        return response

    # --- API ----------------------------------------------------------------------------------
    @app.get("/api/meta", tags=["meta"])
    def meta() -> dict:
        """Version, panels available, the example scenario of each panel, whether Cesium is installed."""
        return {"version": __version__, "panels": panels(), "examples": EXAMPLES,
                "modules": {"engage": _optional_module("engage"), "consequence": _optional_module("consequence")},
                "cesium": cesium is not None, "czml_epoch": CZML_EPOCH}

    @app.get("/api/catalog", tags=["data"])
    def api_catalog() -> list[dict]:
        """The vehicles in the catalog, with their key figures and sources (``boostphase catalog --json``)."""
        return run("catalog", None, catalog_payload)

    @app.get("/api/tests", tags=["data"])
    def api_tests() -> dict:
        """The test-flight catalogue with citations, and the launch sites it names."""
        return run("tests", None, tests_payload)

    @app.get("/api/city", tags=["data"])
    def api_city(name: Annotated[str, Query(min_length=1, max_length=100)]) -> dict:
        """Look a city up in the offline GeoNames gazetteer (CC BY 4.0)."""
        from ..geography import find_city

        c = find_city(name)
        return {"name": c.name, "country_code": c.country_code, "lat": c.lat_deg, "lon": c.lon_deg,
                "population": c.population}

    @app.post("/api/flyout", tags=["flight"])
    def api_flyout(req: FlyoutRequest) -> dict:
        """Fly a catalog missile (``boostphase flyout --json``): ``summary`` is the CLI's JSON;
        ``track`` and ``events`` are for drawing."""
        return run("flyout", req, lambda: flyout_payload(compute_flyout(req)))

    @app.post("/api/flyout/{fmt}", tags=["flight"], response_class=Response)
    def api_flyout_file(fmt: Literal["geojson", "csv", "czml"], req: FlyoutRequest):
        """The flyout as a file: GeoJSON (track and events), CSV (time series), CZML (animated)."""
        from . import exports

        traj = run("flyout-traj", req, lambda: compute_flyout(req))
        name = f"flyout-{traj.missile.name}"
        if fmt == "geojson":
            return _download(json.dumps(jsonable(traj.to_geojson())), "application/geo+json", f"{name}.geojson")
        if fmt == "csv":
            return _download(exports.trajectory_csv(traj), "text/csv", f"{name}.csv")
        return _download(exports.trajectory_czml(traj, CZML_EPOCH), "application/json", f"{name}.czml")

    @app.post("/api/reconstruct", tags=["reconstruct"])
    def api_reconstruct(req: ReconstructRequest) -> dict:
        """Reconstruct a lofted test (``boostphase reconstruct --json``); with ``launch``, the reach
        contour (GeoJSON) and the cities in and out of reach."""
        return run("reconstruct", req, lambda: compute_reconstruct(req))

    @app.post("/api/reconstruct/{fmt}", tags=["reconstruct"], response_class=Response)
    def api_reconstruct_file(fmt: Literal["geojson", "csv", "czml"], req: ReconstructRequest):
        """The reconstruction as a file: GeoJSON (reach contour, cities), CSV (reach by azimuth), CZML."""
        from . import exports

        res = run("reconstruct", req, lambda: compute_reconstruct(req))
        if fmt == "geojson":
            return _download(json.dumps(exports.reconstruct_geojson(res)), "application/geo+json",
                             "reconstruct.geojson")
        if fmt == "csv":
            return _download(exports.reconstruct_csv(res), "text/csv", "reconstruct.csv")
        return _download(exports.reconstruct_czml(res, CZML_EPOCH), "application/json", "reconstruct.czml")

    @app.post("/api/check", tags=["check"])
    def api_check(req: CheckRequest) -> dict:
        """Check a claim (``boostphase check --json``): verdict and reasons in plain words."""
        return run("check", req, lambda: compute_check(req))

    @app.post("/api/engage", tags=["engage"])
    def api_engage(req: EngageRequest) -> dict:
        """One threat against one UAV orbit: the engagement row of ``boostphase engage --json``
        (``row``), the threat's boost track, the orbit and the timeline."""
        return run("engage", req, lambda: compute_engage(req))

    @app.post("/api/shortfall", tags=["consequence"])
    def api_shortfall(req: ShortfallRequest) -> dict:
        """Payload impact for thrust termination at each moment of boost (``boostphase shortfall
        --json``): ``trace`` and ``intervals`` by territory."""
        return run("shortfall", req, lambda: compute_shortfall(req))

    @app.post("/api/footprint", tags=["consequence"])
    def api_footprint(req: FootprintRequest) -> dict:
        """Debris footprint Monte Carlo (at most 20,000 fragments here): shares by territory with
        95 % Wilson intervals, and ``sample``, at most 5,000 impact points for drawing."""
        return run("footprint", req, lambda: compute_footprint(req))

    # --- page, static files, Cesium -------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC_DIR / "index.html", headers={"cache-control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if cesium is not None:
        app.mount("/cesium", StaticFiles(directory=cesium), name="cesium")
    else:
        @app.get("/cesium/{rest:path}", include_in_schema=False)
        def no_cesium(rest: str):
            return JSONResponse({"error": "CesiumJS is not installed: run tools/web_setup.sh (npm ci) "
                                          f"or set ${CESIUM_ENV}"}, status_code=404)

    # Guard is added last so it wraps everything, error handling included.
    app.add_middleware(GuardMiddleware, token=token)
    return app


def _download(text: str, media_type: str, filename: str) -> Response:
    return Response(text, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def _warm_up() -> None:
    """Fly the Flight panel's example once so the JAX kernels are compiled (or loaded from the
    persistent compilation cache) before the first request."""
    try:
        compute_flyout(FlyoutRequest(**EXAMPLES["flight"]))
    except Exception:  # warm-up is best effort; a real request will report any problem
        pass
