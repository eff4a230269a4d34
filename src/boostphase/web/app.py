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

Engage (``/api/engage``): one threat against one or several UAV orbits (``orbit_centre`` holds
``LAT,LON`` pairs separated by ``;``), the engagement rows of ``boostphase engage``;
``/api/engage/map``: a coarse engagement map (``boostphase.engage.engagement_map``) around the
threat's boost, the intercept margin per orbit-centre cell. Consequence (``/api/shortfall``,
``/api/footprint``): the shortfall trace and a *small* fragment Monte Carlo (at most
:data:`MAX_FOOTPRINT_FRAGMENTS`); bigger ones (up to :data:`MAX_JOB_FRAGMENTS`) run as background
jobs. The page gets at most :data:`MAX_FOOTPRINT_SAMPLE` impact points, never the full cloud.

Background jobs (``/api/jobs``): long work runs in a small thread pool inside the server
(:data:`MAX_RUNNING_JOBS` at once, at most :data:`MAX_PENDING_JOBS` queued or running, the last
:data:`MAX_KEPT_JOBS` finished ones kept). ``GET /api/jobs/{id}`` reports state and progress;
``DELETE`` cancels: the footprint's progress callback raises at the next chunk of
:data:`JOB_CHUNK_SIZE` fragments, so the work stops within about a second. Kinds: ``footprint``
(the body of ``/api/footprint`` with up to :data:`MAX_JOB_FRAGMENTS` fragments) and ``sweep`` (a
SWEEP.toml as JSON, validated by :func:`boostphase.sweep.parse_spec`, at most
:data:`MAX_SWEEP_JOB_CASES` cases): ``run_sweep`` runs serially in the job's thread into a
server-owned temporary folder (removed when the job is dropped or the server stops), reports
progress after each chunk and stops between chunks when cancelled; the result is a JSON summary,
``GET /api/jobs/{id}/csv`` and ``/netcdf`` the table and the dataset. The page's Sweep panel runs
them; ``/api/meta`` lists the example sweeps (``examples.sweep``) that fit the web's limits.

Run store (``/api/runs``): "Save run" records the panel's request (re-validated here, never a file
path) and the summary of its result with :func:`boostphase.store.save_run`, in the store that
``$BOOSTPHASE_STORE`` names (else the user's data folder).

Borders (``/api/borders``): the Natural Earth country outlines of ``boostphase.geography``,
simplified to :data:`BORDER_TOLERANCE_DEG`, as GeoJSON (built once, gzip-compressed when asked).
TODO(scenario): the request models here should move to ``boostphase/scenario.py`` when it exists,
so that CLI, web API and scenario files share one set of models.
"""

from __future__ import annotations

import functools
import gzip
import hmac
import importlib.util
import json
import math
import os
import re
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import InputError
from ..sweep import MIN_CHUNK as MIN_SWEEP_CHUNK

STATIC_DIR = Path(__file__).with_name("static")
EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"  # the repository's examples/
MAX_FOOTPRINT_FRAGMENTS = 20_000   # per web request; the CLI runs millions
MAX_FOOTPRINT_SAMPLE = 5_000       # impact points sent to the page for drawing
MAX_JOB_FRAGMENTS = 1_000_000      # a background footprint job (about 30 s per million on one core)
JOB_CHUNK_SIZE = 20_000            # fragments between progress reports (and cancellation points)
MAX_RUNNING_JOBS = 1               # background jobs computing at once
MAX_PENDING_JOBS = 4               # queued or running; more is refused with 429
MAX_KEPT_JOBS = 16                 # finished jobs remembered (oldest dropped first)
MAX_SWEEP_JOB_CASES = 200_000      # cases of a background sweep job; bigger: `boostphase sweep`
MAX_SWEEP_JOB_CHUNK = 10_000       # cases per chunk of a sweep job (cancel comes between chunks)
MAX_ORBITS = 10                    # UAV orbits per engage request
MAX_MAP_CELLS = 80                 # engagement map cells per side
BORDER_TOLERANCE_DEG = 0.05        # simplification of the country outlines (about 5 km)
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
VehicleText = Annotated[str, Field(min_length=1, max_length=65_536, description=(
    "the text of a vehicle TOML file of the catalog's format (docs/vehicle-file.md; `boostphase catalog "
    "--template`), pasted or uploaded; used instead of missile, checked by the same loader"))]
OrbitsText = Annotated[str, Field(min_length=1, max_length=400)]
JobId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{8,40}$", description="a job id from POST /api/jobs")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FlyoutRequest(_Model):
    """The ``boostphase flyout`` command as JSON."""

    missile: ShortText | None = Field(None, description="catalog name (see /api/catalog); or give vehicle_toml")
    vehicle_toml: VehicleText | None = None
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
    missile: ShortText | None = Field(None, description="catalog model to fit (default: the class model that matches the test)")
    vehicle_toml: VehicleText | None = None
    no_sensitivity: bool = Field(False, description="skip the burn-time x0.8 / x1.2 refits (3x faster)")


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
    vehicle_toml: VehicleText | None = None
    launch: ShortText = Field(description="LAT,LON of the threat's launch point (deg)")
    target: ShortText | None = Field(None, description="LAT,LON or a city name")
    azimuth_deg: Q("deg", -360, 360, "launch azimuth, instead of a target") | None = None
    profile: Literal["min-energy", "target"] = Field(
        "min-energy", description="min-energy (the standard boost toward the target) or target")
    orbit_centre: OrbitsText = Field(description=f"LAT,LON of the UAV orbit's centre (deg); several orbits "
                                                 f"separated by ';' (at most {MAX_ORBITS})")
    altitude_km: Q("km", 0, 40, "UAV altitude") = 15.0
    orbit_radius_km: Q("km", 0, 500, "UAV orbit radius") = 20.0
    burnout_speed_km_s: Q("km/s", 0.1, 15, "interceptor ideal burnout speed (two 20 s stages)") = 5.0
    delay_s: Q("s", 0, 1000, "total delay from the threat's launch to the interceptor's launch") = 65.0


class EngageMapRequest(EngageRequest):
    """The engagement map of ``boostphase engage-map`` for the threat of an engage request: a grid
    of orbit centres around the threat's boost, and the intercept margin from each."""

    orbit_centre: OrbitsText | None = Field(None, description="the orbits to mark on the map (optional)")
    half_width_deg: Q("deg", 1, 30, "half the map's height (its width follows the latitude)") = 10.0
    cells: int = Field(40, ge=4, le=MAX_MAP_CELLS, description=f"cells per side (4 to {MAX_MAP_CELLS})")


class ShortfallRequest(_Model):
    """``boostphase shortfall`` as JSON: where the payload falls if thrust stops at each moment."""

    missile: ShortText | None = Field(None, description="catalog name (see /api/catalog); or give vehicle_toml")
    vehicle_toml: VehicleText | None = None
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
    vehicle_toml: VehicleText | None = None
    launch: ShortText | None = Field(None, description="LAT,LON of the launch point (deg)")
    target: ShortText | None = Field(None, description="LAT,LON or a city name")
    payload_kg: Q("kg", 1, 1e5, "payload mass (default: the catalog's)") | None = None
    beta_kg_m2: Q("kg/m^2", 1, 1e6, "payload ballistic coefficient in kg/m^2 (empty: vacuum)") | None = None
    intercept_time_s: Q("s", 1, 2000, "intercept time after launch (empty: the scenario's window)") | None = None
    n_fragments: int = Field(2000, ge=1, le=MAX_FOOTPRINT_FRAGMENTS,
                             description=f"fragments to fly (at most {MAX_FOOTPRINT_FRAGMENTS} on the web)")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="random seed (empty: the scenario's)")


class FootprintJobParams(FootprintRequest):
    """A footprint for a background job: the body of ``/api/footprint`` with more fragments."""

    n_fragments: int = Field(2000, ge=1, le=MAX_JOB_FRAGMENTS,
                             description=f"fragments to fly (at most {MAX_JOB_FRAGMENTS:,} in a job)")


class SweepJobParams(_Model):
    """A parameter sweep (``boostphase sweep``): the keys of a SWEEP.toml as JSON, validated by
    :func:`boostphase.sweep.parse_spec` (see ``examples/sweep_*.toml``). On the web: at most
    :data:`MAX_SWEEP_JOB_CASES` cases and :data:`MAX_SWEEP_JOB_CHUNK` cases per chunk."""

    kind: Literal["coast", "flyout"] = Field(
        description="what one case is: coast (a free ballistic body) or flyout (a catalog missile)")
    name: ShortText | None = Field(None, description="a name written into the dataset (default: the kind)")
    chunk: int | None = Field(None, description=f"cases per chunk ({MIN_SWEEP_CHUNK:,} to "
                                                f"{MAX_SWEEP_JOB_CHUNK:,} here; default 4096): progress "
                                                "and cancel come between chunks")
    seed: int | None = Field(None, description="random seed of [dispersion] (default 0)")
    fixed: dict[str, Any] | None = Field(
        None, description='one value for every case, e.g. {"lat": 39.0, "lon": "125.7 deg", "azimuth": 90}')
    grid: dict[str, Any] | None = Field(
        None, description='the dimensions, in order: a list of values, {"from", "to", "n"} (with '
                          '"spacing": "log"), or {"from", "to", "step"}; e.g. {"speed": {"from": "2 km/s", '
                          '"to": "7 km/s", "n": 51}, "beta": ["vacuum", "5000 kg/m^2"]}')
    dispersion: dict[str, Any] | None = Field(
        None, description='optional Monte Carlo: {"samples": N, FIELD: one-sigma, ...} adds a "sample" dimension')


class FootprintJobRequest(_Model):
    """A footprint job: the body of ``/api/footprint`` as ``params``, more fragments allowed."""

    kind: Literal["footprint"] = Field(description="footprint: the body of /api/footprint, more fragments allowed")
    params: FootprintJobParams


class SweepJobRequest(_Model):
    """A sweep job: a SWEEP.toml as JSON in ``params`` (a few hundred thousand cases at most)."""

    kind: Literal["sweep"] = Field(description="sweep: a parameter sweep (the keys of a SWEEP.toml)")
    params: SweepJobParams


JOB_KINDS = ("footprint", "sweep")
# A background job: ``kind`` and its parameters (422s name the field inside ``params`` as
# ``params.FIELD``; the tag of the union is left out of the field's name).
JobRequest = Annotated[FootprintJobRequest | SweepJobRequest, Field(discriminator="kind")]


SAVE_PANELS = ("flight", "reconstruct", "check", "engage", "engagemap", "shortfall", "footprint")


class RunSaveRequest(_Model):
    """Save a result in the run store: a panel and its request (the result is recomputed or
    taken from the cache), or a finished footprint job."""

    panel: Literal[SAVE_PANELS] = Field(description="the panel whose request this is")
    request: dict[str, Any] | None = Field(None, description="the panel's request body (as sent to its endpoint)")
    job_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,40}$")] | None = Field(
        None, description="a finished footprint job, instead of a request")
    note: Annotated[str, Field(max_length=300)] | None = Field(None, description="a note stored with the run")


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
    # the engagement map around the C4 threat: where can one orbit stand?
    "engagemap": {"half_width_deg": 10.0, "cells": 40},
}


def _optional_module(name: str) -> bool:
    return importlib.util.find_spec(f"boostphase.{name}") is not None


def _sweep_available() -> bool:
    """Whether sweep jobs can run here: the ``sweep`` module and xarray are importable."""
    return _optional_module("sweep") and importlib.util.find_spec("xarray") is not None


def panels() -> dict[str, bool]:
    """Which panels the page shows (engage, consequence and sweep: when their modules are installed)."""
    out = {"flight": True, "reconstruct": True, "check": True,
           "engage": _optional_module("engage"), "consequence": _optional_module("consequence")}
    if _sweep_available():
        out["sweep"] = True
    return out


@functools.lru_cache(maxsize=1)
def sweep_examples() -> dict[str, dict[str, Any]]:
    """The example sweeps for the page's Sweep panel, by name: ``examples/sweep_NAME.toml`` of
    :data:`EXAMPLES_DIR`, parsed (the JSON ``params`` of a sweep job). Only those a web job
    accepts (:class:`SweepJobParams` and :func:`sweep_spec`, i.e. within the web's limits) are
    listed; none without the examples folder (an installed package) or without the sweep
    module. Read once per process."""
    import tomllib

    if not _sweep_available() or not EXAMPLES_DIR.is_dir():
        return {}
    out = {}
    for path in sorted(EXAMPLES_DIR.glob("sweep_*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            sweep_spec(SweepJobParams.model_validate(data).model_dump(exclude_none=True))
        except (OSError, tomllib.TOMLDecodeError, ValidationError, InputError):
            continue  # over the web's limits (or broken): the CLI runs it, the page does not list it
        out[path.stem.removeprefix("sweep_")] = data
    return out


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
    from ..scenario.fields import parse_latlon  # the CLI's parser: same checks, same error texts

    return parse_latlon(field, text)


def _parse_place(field: str, text: str) -> tuple[float, float]:
    from ..scenario.fields import parse_place

    return parse_place(field, text)


class ResultCache:
    """A small thread-safe LRU cache of computed results, keyed by the validated request.

    Single flight: while a result is being computed, identical requests wait for it instead of
    computing it again (a crowd sending the same claim check costs one computation; measured
    with benchmarks/bench_web_concurrency.py). A failed computation is not cached: each waiter
    gets the same error, and a later request tries again."""

    def __init__(self, size: int = 64):
        self.size = size
        self._d: OrderedDict[str, Any] = OrderedDict()
        self._inflight: dict[str, Future] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, key: str, fn: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key]
            fut = self._inflight.get(key)
            owner = fut is None
            if owner:
                fut = self._inflight[key] = Future()
        if not owner:
            return fut.result()
        try:
            val = fn()
        except BaseException as e:
            with self._lock:
                self._inflight.pop(key, None)
            fut.set_exception(e)
            raise
        with self._lock:
            self._d[key] = val
            while len(self._d) > self.size:
                self._d.popitem(last=False)
            self._inflight.pop(key, None)
        fut.set_result(val)
        return val


class JobCancelled(Exception):
    """Raised from a job's progress callback once the job is cancelled: it stops the work."""


class JobsBusy(Exception):
    """Too many jobs queued or running."""


@dataclass
class Job:
    id: str
    kind: str
    params: dict
    total: int = 0
    state: str = "queued"
    progress: float = 0.0
    message: str = "queued"
    result: Any = None
    error: dict | None = None
    files: dict = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    workdir: Path | None = None   # a server-owned temporary folder (sweeps); removed with the job

    def dispose(self) -> None:
        """Remove the job's temporary folder (its files are gone with it)."""
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def status(self) -> dict:
        out: dict[str, Any] = {"job_id": self.id, "kind": self.kind, "state": self.state,
                               "progress": round(self.progress, 4), "message": self.message,
                               "params": self.params, "files": sorted(self.files)}
        t_end = self.finished or time.time()
        out["elapsed_s"] = None if self.started is None else round(t_end - self.started, 3)
        if self.state == "done":
            out["result"] = self.result
        if self.state == "failed":
            out["error"] = self.error["error"]
            out["field"] = self.error.get("field")
        return out


class JobManager:
    """Background jobs in a thread pool of :data:`MAX_RUNNING_JOBS` threads; at most
    :data:`MAX_PENDING_JOBS` queued or running, the last :data:`MAX_KEPT_JOBS` finished kept."""

    def __init__(self, workers: int = MAX_RUNNING_JOBS, max_pending: int = MAX_PENDING_JOBS,
                 keep: int = MAX_KEPT_JOBS):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="boostphase-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self.max_pending = max_pending
        self.keep = keep
        self._closed = False

    def submit(self, kind: str, params: dict, total: int, work: Callable[[Job], Any]) -> Job:
        with self._lock:
            pending = sum(j.state in ("queued", "running") for j in self._jobs.values())
            if pending >= self.max_pending:
                raise JobsBusy(f"{pending} jobs are queued or running (at most {self.max_pending}); "
                               "wait for one to finish or cancel one")
            job = Job(id=secrets.token_urlsafe(12), kind=kind, params=params, total=total)
            self._jobs[job.id] = job
            dropped = self._prune()
        for j in dropped:
            j.dispose()
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            job.cancel.set()
            if job.state == "queued":
                job.state, job.message, job.finished = "cancelled", "cancelled before it started", time.time()
            elif job.state == "running":
                job.message = "cancelling"
            return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        with self._lock:
            if job.cancel.is_set() or job.state != "queued":
                return
            job.state, job.started, job.message = "running", time.time(), "starting"
        try:
            result = work(job)
        except JobCancelled:
            state, upd = "cancelled", {"message": "cancelled"}
        except InputError as e:
            state, upd = "failed", {"error": {"error": str(e), "field": e.field}, "message": "failed"}
        except Exception as e:  # never a traceback to the client
            state, upd = "failed", {"error": {"error": f"internal error ({type(e).__name__}); please report "
                                                       "the request", "field": None}, "message": "failed"}
        else:
            state, upd = "done", {"result": result, "progress": 1.0, "message": "done"}
        with self._lock:
            if job.cancel.is_set() and state == "done":
                state, upd = "cancelled", {"message": "cancelled"}
            for k, v in upd.items():
                setattr(job, k, v)
            job.state, job.finished = state, time.time()
            if state != "done":
                job.files = {}
            dropped = self._prune()
            if state != "done" or self._closed:  # nothing to download: its folder goes now
                dropped.append(job)
        for j in dropped:
            j.dispose()

    def _prune(self) -> list[Job]:
        """Forget the oldest finished jobs beyond :attr:`keep`; returns them (to dispose of
        outside the lock)."""
        finished = [k for k, j in self._jobs.items() if j.state in ("done", "cancelled", "failed")]
        return [self._jobs.pop(k) for k in finished[: max(0, len(finished) - self.keep)]]

    def shutdown(self) -> None:
        """Cancel every job and remove the folders of those not running; a running job stops
        at its next progress report and removes its own folder when it ends."""
        with self._lock:
            self._closed = True
            idle = []
            for j in self._jobs.values():
                j.cancel.set()
                if j.state != "running":
                    idle.append(j)
        for j in idle:
            j.dispose()
        self._pool.shutdown(wait=False, cancel_futures=True)


def footprint_job(req: FootprintRequest, chunk_size: int | None = None) -> Callable[[Job], dict]:
    """The work of a footprint job: progress after every chunk of fragments; a cancelled job
    stops at the next chunk (the callback raises :class:`JobCancelled`)."""

    def work(job: Job) -> dict:
        done = 0

        def progress(k: int) -> None:
            nonlocal done
            done += int(k)
            job.progress = min(0.99, 0.05 + 0.9 * done / max(job.total, 1))
            job.message = f"{done:,} of {job.total:,} fragments flown"
            if job.cancel.is_set():
                raise JobCancelled()

        job.message, job.progress = "flying the threat and the intercept states", 0.02
        if job.cancel.is_set():
            raise JobCancelled()
        fp, title = run_footprint(req, progress=progress, chunk_size=chunk_size or JOB_CHUNK_SIZE)
        if job.cancel.is_set():
            raise JobCancelled()
        job.message = "writing the result"
        out = footprint_payload(fp, title)
        job.files = footprint_files(fp, f"footprint-{job.id[:8]}")
        return out

    return work


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
    from ..vehicles import looks_like_vehicle_file

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


SWEEP_DIR_PREFIX = "boostphase-sweep-"


def remove_stale_sweep_dirs(tmp: str | os.PathLike | None = None) -> list[Path]:
    """Remove the sweep jobs' temporary folders left by servers that are no longer running (a
    server killed outright cannot clean up; a finished or cancelled job removes its own folder).
    A folder is ``boostphase-sweep-<pid>-<job>-<random>`` in the temporary directory; it is
    removed when no process has that pid. Returns the folders removed."""
    import tempfile

    root = Path(tmp or tempfile.gettempdir())
    removed = []
    for d in root.glob(f"{SWEEP_DIR_PREFIX}*-*-*"):
        pid_text = d.name[len(SWEEP_DIR_PREFIX):].split("-", 1)[0]
        if not d.is_dir() or not pid_text.isdigit():
            continue
        try:
            os.kill(int(pid_text), 0)
            continue  # that server is alive (or the pid belongs to another user's process)
        except ProcessLookupError:
            pass
        except OSError:
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


def sweep_job(spec) -> Callable[[Job], dict]:
    """The work of a sweep job: ``run_sweep`` serially in the job's thread (``workers=0``) into a
    server-owned temporary folder; progress after every chunk; a cancelled job stops after the
    chunk it is computing (``on_chunk`` raises :class:`JobCancelled`; chunks are persisted one
    by one, so stopping between them is safe). Downloads are built from the written dataset."""

    def work(job: Job) -> dict:
        import tempfile

        from ..sweep import open_result, run_sweep
        from . import exports

        if job.cancel.is_set():
            raise JobCancelled()
        # the server's pid in the name: a later server removes folders of dead servers
        job.workdir = Path(tempfile.mkdtemp(prefix=f"{SWEEP_DIR_PREFIX}{os.getpid()}-{job.id[:8]}-"))
        out = job.workdir / "out"
        n, n_chunks = spec.n_cases, spec.n_chunks
        job.message, job.progress = f"{n:,} cases in {n_chunks:,} chunks of {spec.chunk:,}", 0.02

        def on_chunk(k: int, done: int, total: int) -> None:
            job.progress = min(0.99, 0.02 + 0.93 * done / max(total, 1))
            job.message = f"{done:,} of {total:,} chunks done ({min(done * spec.chunk, n):,} of {n:,} cases)"
            if job.cancel.is_set():
                raise JobCancelled()

        res = run_sweep(spec, out, workers=0, progress=False, on_chunk=on_chunk)
        if job.cancel.is_set():
            raise JobCancelled()
        job.message = "summarising the result"
        summary = sweep_summary(res)
        name = f"sweep-{job.id[:8]}"
        job.files = {
            "csv": lambda: (exports.sweep_csv(open_result(out)), "text/csv", f"{name}.csv"),
            "netcdf": lambda: (exports.sweep_netcdf(open_result(out)), "application/x-netcdf", f"{name}.nc"),
        }
        return summary

    return work


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


def request_vehicle(missile: str | None, vehicle_toml: str | None):
    """The Missile of a request: the pasted/uploaded ``vehicle_toml`` (validated by the loader of
    vehicle files; nothing is written to disk), else the catalog name ``missile`` (never a path:
    the server's files are not for remote users to read)."""
    from ..vehicles import from_text, load_catalog

    if vehicle_toml is not None:
        return from_text(vehicle_toml, "vehicle_toml")
    if missile is None:
        raise InputError("missile", None, "a catalog name (see /api/catalog) or a vehicle file as vehicle_toml")
    return load_catalog(missile)


def compute_flyout(req: FlyoutRequest):
    """Validate like ``boostphase flyout`` and fly; returns the Trajectory."""
    from ..earth import earth_model
    from ..flight import fly

    m = request_vehicle(req.missile, req.vehicle_toml)
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
                      test_azimuth_deg=req.test_azimuth, cities=names,
                      missile=None if req.missile is None and req.vehicle_toml is None
                      else request_vehicle(req.missile, req.vehicle_toml),
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
    from ..consequence import _missile, shortfall_trace

    launch = _parse_latlon("launch", req.launch)
    tgt = _target("target", req.target, req.azimuth_deg)
    m = request_vehicle(req.missile, req.vehicle_toml)
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
    """What the run store keeps of a panel's result: its figures, not the arrays drawn."""
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
        err = e.errors()[0]
        raise InputError(".".join(str(x) for x in err["loc"]), err.get("input"), err.get("msg", "a valid value")) from None
    return result_summary(panel, compute(body))


@dataclass
class _Borders:
    geojson: bytes
    gzipped: bytes


_BORDERS: list[_Borders] = []
_BORDERS_LOCK = threading.Lock()


def borders_bytes() -> _Borders:
    """The country outlines (Natural Earth 1:10m admin-0, from ``boostphase.geography``)
    simplified to :data:`BORDER_TOLERANCE_DEG` as a GeoJSON FeatureCollection of MultiLineStrings,
    one feature per country; edges along the date line (where Natural Earth cuts polygons) are
    left out. Built once per process (about 0.5 s), about 0.7 MB (0.2 MB gzip-compressed)."""
    with _BORDERS_LOCK:
        if _BORDERS:
            return _BORDERS[0]
        import shapely

        from ..geography import territory_table

        t = territory_table()
        feats = []
        for c in range(t.n_countries):
            idx = np.flatnonzero(t.poly_label == c)
            lines = []
            simple = shapely.simplify(t.polys[idx], BORDER_TOLERANCE_DEG, preserve_topology=False)
            # long straight edges (e.g. the 49th parallel) get vertices every 1 deg: the globe
            # draws straight chords between vertices, which would dip under the surface
            for g in shapely.segmentize(simple, 1.0):
                if g.is_empty:
                    continue
                for ring in shapely.get_rings(g):
                    xy = np.round(np.asarray(ring.coords), 3)
                    if len(xy) < 3:
                        continue
                    # split where two successive points both lie on the date line
                    on = np.abs(xy[:, 0]) >= 179.999
                    cut = np.flatnonzero(on[:-1] & on[1:]) + 1
                    for piece in np.split(xy, cut):
                        if len(piece) >= 2 and not np.all(np.abs(piece[:, 0]) >= 179.999):
                            lines.append(piece.tolist())
            if lines:
                feats.append({"type": "Feature", "properties": {"name": t.labels[c]},
                              "geometry": {"type": "MultiLineString", "coordinates": lines}})
        doc = {"type": "FeatureCollection", "features": feats,
               "properties": {"source": "Natural Earth 1:10m admin-0 countries (public domain), "
                                        f"simplified to {BORDER_TOLERANCE_DEG} deg"}}
        data = json.dumps(doc, separators=(",", ":")).encode()
        _BORDERS.append(_Borders(data, gzip.compress(data, 6)))
        return _BORDERS[0]


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
        remove_stale_sweep_dirs()
        if warm:
            threading.Thread(target=_warm_up, name="boostphase-warm-up", daemon=True).start()
        try:
            yield
        finally:
            job_manager.shutdown()

    app = FastAPI(title="boostphase", version=__version__, lifespan=lifespan,
                  description="Physics-based checks of public claims about ballistic missiles and boost-phase "
                              "defence. Mirrors the `boostphase` CLI: same inputs, same validation, same JSON.",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    jobs = threading.BoundedSemaphore(MAX_CONCURRENT_JOBS)
    cache = ResultCache()
    job_manager = JobManager()
    app.state.jobs = job_manager
    cesium = find_cesium_dir()

    def run(kind: str, req: BaseModel | None, fn: Callable[[], Any]):
        key = f"{kind}:{req.model_dump_json() if req is not None else ''}"

        def compute():  # only the request that computes takes a worker slot; its twins wait
            with jobs:
                return fn()

        return cache.get_or_compute(key, compute)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        return JSONResponse(_error_body(exc.field, str(exc)), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        first = errs[0] if errs else {"loc": ["body"], "msg": "invalid request"}
        loc = [str(x) for x in first.get("loc", ())]
        if request.url.path == "/api/jobs":  # the job request union: "kind", "params.x", no tag
            errs = [{**e, "loc": _untag(e.get("loc", ()))} for e in errs]
            first = errs[0] if errs else first
            loc = [str(x) for x in first.get("loc", ())]
            if first.get("type") in ("union_tag_invalid", "union_tag_not_found"):
                loc = ["body", "kind"]
        field = ".".join(x for x in loc[1:]) if len(loc) > 1 else (loc[0] if loc else "body")
        orig = (first.get("ctx") or {}).get("error")
        if isinstance(orig, InputError):
            msg = str(orig)
        elif first.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            tag = (first.get("ctx") or {}).get("tag")
            msg = f"kind: got {tag!r}; allowed: " + " or ".join(repr(k) for k in JOB_KINDS)
        elif first.get("type") == "extra_forbidden":
            msg = f"{field}: unknown field; allowed: the fields in /api/openapi.json"
        elif first.get("type") == "missing":
            msg = f"{field}: missing; allowed: a value (required)"
        else:
            msg = f"{field}: got {first.get('input')!r}; allowed: {first.get('msg', 'a valid value')}"
        detail = [{"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")} for e in errs]
        return JSONResponse(_error_body(field, msg, jsonable(detail)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):  # 404, 405: same shape as the rest
        return JSONResponse({"error": f"path: {request.url.path!r}: {exc.detail}", "field": "path"},
                            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(_NotFound)
    async def _not_found(request: Request, exc: _NotFound):
        return JSONResponse({"error": f"job_id: no job {exc.args[0]!r} (finished jobs are kept for a while, "
                                      f"the last {MAX_KEPT_JOBS})", "field": "job_id"}, status_code=404)

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
        """Version, panels available, the example scenario of each panel (``examples.sweep``: the
        example sweeps by name, each a sweep job's ``params``), whether Cesium is installed."""
        return {"version": __version__, "panels": panels(), "examples": {**EXAMPLES, "sweep": sweep_examples()},
                "modules": {"engage": _optional_module("engage"), "consequence": _optional_module("consequence")},
                "cesium": cesium is not None, "czml_epoch": CZML_EPOCH,
                "footprint_job_above": MAX_FOOTPRINT_FRAGMENTS, "max_job_fragments": MAX_JOB_FRAGMENTS,
                "max_sweep_cases": MAX_SWEEP_JOB_CASES, "job_kinds": list(JOB_KINDS)}

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
    def api_flyout_file(fmt: Literal["geojson", "csv", "czml", "kml"], req: FlyoutRequest):
        """The flyout as a file: GeoJSON (track and events), CSV (time series), CZML (animated),
        KML (track in 3D and events)."""
        from . import exports

        traj = run("flyout-traj", req, lambda: compute_flyout(req))
        name = f"flyout-{traj.missile.name}"
        if fmt == "geojson":
            return _download(json.dumps(jsonable(traj.to_geojson())), "application/geo+json", f"{name}.geojson")
        if fmt == "csv":
            return _download(exports.trajectory_csv(traj), "text/csv", f"{name}.csv")
        if fmt == "kml":
            return _download(exports.trajectory_kml(traj), KML_TYPE, f"{name}.kml")
        return _download(exports.trajectory_czml(traj, CZML_EPOCH), "application/json", f"{name}.czml")

    @app.post("/api/reconstruct", tags=["reconstruct"])
    def api_reconstruct(req: ReconstructRequest) -> dict:
        """Reconstruct a lofted test (``boostphase reconstruct --json``); with ``launch``, the reach
        contour (GeoJSON) and the cities in and out of reach."""
        return run("reconstruct", req, lambda: compute_reconstruct(req))

    @app.post("/api/reconstruct/{fmt}", tags=["reconstruct"], response_class=Response)
    def api_reconstruct_file(fmt: Literal["geojson", "csv", "czml", "kml"], req: ReconstructRequest):
        """The reconstruction as a file: GeoJSON (reach contour, cities), CSV (reach by azimuth),
        CZML, KML."""
        from . import exports

        res = run("reconstruct", req, lambda: compute_reconstruct(req))
        if fmt == "geojson":
            return _download(json.dumps(exports.reconstruct_geojson(res)), "application/geo+json",
                             "reconstruct.geojson")
        if fmt == "csv":
            return _download(exports.reconstruct_csv(res), "text/csv", "reconstruct.csv")
        if fmt == "kml":
            return _download(exports.reconstruct_kml(res), KML_TYPE, "reconstruct.kml")
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

    @app.post("/api/engage/map", tags=["engage"])
    def api_engage_map(req: EngageMapRequest) -> dict:
        """The engagement map (``boostphase engage-map``) for the threat of an engage request: a
        ``cells`` x ``cells`` grid of orbit centres around the boost, and per cell the margin (s)
        by which the intercept beats burnout (``null``: no intercept in time)."""
        return run("engagemap", req, lambda: compute_engage_map(req))

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

    def footprint_obj(req: FootprintRequest):
        return run("footprint-obj", req, lambda: run_footprint(req))

    @app.post("/api/footprint/{fmt}", tags=["consequence"], response_class=Response)
    def api_footprint_file(fmt: Literal["geojson", "kml"], req: FootprintRequest):
        """The footprint as a file: GeoJSON or KML (impact sample, payload and stage impacts,
        density contours holding 50/90/99 % of the fragments)."""
        fp, _ = footprint_obj(req)
        text, media, name = footprint_files(fp, f"footprint-n{fp.n}-seed{fp.seed}")[fmt]
        return _download(text, media, name)

    # --- background jobs ------------------------------------------------------------------------
    @app.post("/api/jobs", tags=["jobs"], status_code=202)
    def api_job_submit(req: JobRequest):
        """Start a background job: ``footprint`` (the body of /api/footprint, up to 1,000,000
        fragments) or ``sweep`` (a SWEEP.toml as JSON, up to 200,000 cases; results as JSON, CSV
        and NetCDF). Returns its ``job_id`` at once; poll ``GET /api/jobs/{job_id}``, cancel with
        ``DELETE``. Bad input is a 422 naming the field, before the job is queued."""
        params = req.params
        if isinstance(req, SweepJobRequest):
            body = params.model_dump(exclude_none=True)
            spec = sweep_spec(body)
            kind, total, work = "sweep", spec.n_cases, sweep_job(spec)
        else:
            footprint_scenario(params)  # bad input is a 422 now, not a failed job later
            body, kind, total, work = (params.model_dump(exclude_none=True), "footprint", params.n_fragments,
                                       footprint_job(params))
        try:
            job = job_manager.submit(kind, body, total, work)
        except JobsBusy as e:
            return JSONResponse({"error": str(e), "field": "kind"}, status_code=429,
                                headers={"retry-after": "5"})
        return {"job_id": job.id, "state": job.state}

    def _job(job_id: str) -> Job:
        job = job_manager.get(job_id)
        if job is None:
            raise _NotFound(job_id)
        return job

    @app.get("/api/jobs/{job_id}", tags=["jobs"])
    def api_job(job_id: JobId) -> dict:
        """A job's state (queued, running, done, cancelled, failed), progress (0 to 1) and, when
        done, its ``result`` (the body of the matching endpoint's answer)."""
        return _job(job_id).status()

    @app.delete("/api/jobs/{job_id}", tags=["jobs"])
    def api_job_cancel(job_id: JobId) -> dict:
        """Cancel a job: a queued job never starts; a running footprint stops at its next chunk
        of fragments (within about a second); the state becomes ``cancelled``."""
        job = job_manager.cancel(job_id)
        if job is None:
            raise _NotFound(job_id)
        return job.status()

    @app.get("/api/jobs/{job_id}/{fmt}", tags=["jobs"], response_class=Response)
    def api_job_file(job_id: JobId, fmt: Literal["geojson", "kml", "csv", "netcdf"]):
        """A finished job's result as a file: a footprint as GeoJSON or KML; a sweep as CSV (one
        row per case: case index, coordinates, variables) or NetCDF (the dataset, NetCDF-3)."""
        job = _job(job_id)
        if job.state != "done":
            return JSONResponse({"error": f"job_id: job {job_id} is {job.state}; files come when it is done",
                                 "field": "job_id"}, status_code=409)
        if fmt not in job.files:
            raise InputError("fmt", fmt, f"{' or '.join(sorted(job.files))} (the files of a {job.kind} job)")
        entry = job.files[fmt]
        if callable(entry):  # built on demand from the job's folder
            if job.workdir is not None and not job.workdir.exists():
                raise _NotFound(job_id)
            try:
                with jobs:
                    entry = entry()
            except FileNotFoundError:  # the job was dropped meanwhile
                raise _NotFound(job_id) from None
        text, media, name = entry
        return _download(text, media, name)

    # --- run store ------------------------------------------------------------------------------
    # the same computations as the panels' endpoints, through the result cache
    def _cached(panel: str, fn: Callable[[Any], dict]) -> Callable[[Any], dict]:
        name = {"flight": "flyout"}.get(panel, panel)
        return lambda r: run(name, r, lambda: fn(r))

    computations: dict[str, tuple[type[BaseModel], Callable[[Any], dict]]] = {
        panel: (model, _cached(panel, fn)) for panel, (model, fn) in panel_computations().items()
    }

    @app.post("/api/runs", tags=["runs"], status_code=201)
    def api_save_run(req: RunSaveRequest) -> dict:
        """Save a panel's request (as the scenario) and the summary of its result in the run store
        (``boostphase runs list`` shows it). Give ``request`` (the panel's body; the result comes
        from the cache or is computed) or ``job_id`` (a finished footprint job)."""
        from ..store import save_run

        if (req.request is None) == (req.job_id is None):
            raise InputError("request", None, "exactly one of request (the panel's body) or job_id")
        t0 = time.perf_counter()
        if req.job_id is not None:
            job = job_manager.get(req.job_id)
            if req.panel != "footprint":
                raise InputError("panel", req.panel, "footprint (jobs are footprints)")
            if job is not None and job.kind != "footprint":
                raise InputError("job_id", req.job_id, "a finished footprint job (sweeps are not saved as runs)")
            if job is None or job.state != "done":
                raise InputError("job_id", req.job_id, "a finished job of this server (see GET /api/jobs/{id})")
            scenario, res = job.params, job.result
        else:
            model, compute = computations[req.panel]
            try:
                body = model.model_validate(req.request)
            except ValidationError as e:
                raise RequestValidationError([{**err, "loc": ("body", "request", *err["loc"])}
                                              for err in e.errors()]) from None
            scenario, res = body.model_dump(exclude_none=True), compute(body)
        summary = result_summary(req.panel, res)
        api = {"flight": "flyout", "engagemap": "engage/map"}.get(req.panel, req.panel)
        if req.note:
            scenario = {**scenario, "note": req.note}
        seed = res.get("seed") if isinstance(res.get("seed"), int) else None
        run_id = save_run(command=["web", f"/api/{api}"], kind=f"web-{req.panel}", scenario=scenario,
                          summary=summary, seed=seed, timings={"save_s": round(time.perf_counter() - t0, 4)})
        return {"id": run_id, "kind": f"web-{req.panel}", "panel": req.panel}

    @app.get("/api/runs", tags=["runs"])
    def api_runs(limit: Annotated[int, Query(ge=1, le=100)] = 20,
                 web_only: Annotated[bool, Query(description="only runs saved from this page")] = True) -> list[dict]:
        """The most recent runs in the run store, newest first (id, time, kind, scenario, summary)."""
        from ..store import list_runs

        rows = list_runs(limit=None if web_only else limit)
        if web_only:
            rows = [r for r in rows if str(r["kind"]).startswith("web-")][:limit]
        keep = ("id", "created_utc", "kind", "command", "version", "seed", "scenario", "summary")
        return [{k: r[k] for k in keep} for r in rows]

    # --- borders ----------------------------------------------------------------------------------
    @app.get("/api/borders", tags=["data"], response_class=Response)
    def api_borders(request: Request):
        """Country outlines (Natural Earth 1:10m admin-0, simplified to 0.05 deg) as GeoJSON
        MultiLineStrings, for the globe's border overlay."""
        b = borders_bytes()
        headers = {"cache-control": "max-age=86400", "vary": "accept-encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(b.gzipped, media_type="application/geo+json",
                            headers={**headers, "content-encoding": "gzip"})
        return Response(b.geojson, media_type="application/geo+json", headers=headers)

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


KML_TYPE = "application/vnd.google-earth.kml+xml"


class _NotFound(Exception):
    """An unknown job id (404)."""


def _untag(loc) -> tuple:
    """A job request's error location without the union's tag: ("body", "sweep", "params", "x")
    becomes ("body", "params", "x")."""
    loc = tuple(loc)
    if len(loc) > 1 and loc[0] == "body" and loc[1] in JOB_KINDS:
        return (loc[0], *loc[2:])
    return loc


def _download(text: str, media_type: str, filename: str) -> Response:
    return Response(text, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def _warm_up() -> None:
    """Fly the Flight panel's example once before the first request (the engine is compiled C,
    so this only loads the catalog, the tables and the code paths into memory)."""
    try:
        compute_flyout(FlyoutRequest(**EXAMPLES["flight"]))
    except Exception:  # warm-up is best effort; a real request will report any problem
        pass
