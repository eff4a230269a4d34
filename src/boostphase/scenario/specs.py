"""Scenario specs: one validated model per analysis kind, the same for the web API, saved
runs and (step by step) the CLI and scenario files. Field names are the CLI's option names;
numbers may carry units ("20 km"), converted once here. Limits of the web surface live here
too, in one table (the MAX_* constants)."""


from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..limits import (
    AZIMUTH_DEG,
    BETA_KG_M2,
    FLIGHT_PATH_DEG,
    KICK_DEG,
    LAT_DEG,
    LON_DEG,
    SPEED_M_S,
    START_ALT_M,
)
from ..sweep import MIN_CHUNK as MIN_SWEEP_CHUNK
from .uncertain import EnsembleSpec, Uncertain

MAX_FOOTPRINT_FRAGMENTS = 20_000   # per web request; the CLI runs millions
MAX_JOB_FRAGMENTS = 1_000_000      # a background footprint job (about 30 s per million on one core)
MAX_SWEEP_JOB_CASES = 200_000      # cases of a background sweep job; bigger: `boostphase sweep`
MAX_SWEEP_JOB_CHUNK = 10_000       # cases per chunk of a sweep job (cancel comes between chunks)
MAX_RECONSTRUCT_BAND = 64         # reach-band members per request (each one fit, 0.5-2 s); the CLI runs more
MAX_ORBITS = 10                    # UAV orbits per engage request
MAX_MAP_CELLS = 80                 # engagement map cells per side


# ------------------------------------------------------------------------------------------------
# Input types

def Q(unit: str, lo: float | None = None, hi: float | None = None, what: str = ""):  # noqa: N802
    """A float field given as a number (in ``unit``), a quantity string ("20 km") or a
    distribution table (an uncertain input; see :mod:`boostphase.scenario.uncertain`)."""
    return Uncertain(unit, lo, hi, what)


ShortText = Annotated[str, Field(min_length=1, max_length=100)]
VehicleText = Annotated[str, Field(min_length=1, max_length=65_536, description=(
    "the text of a vehicle TOML file of the catalog's format (docs/vehicle-file.md; `boostphase catalog "
    "--template`), pasted or uploaded; used instead of missile, checked by the same loader"))]
# the uncertainty of a reported figure: a number in the figure's unit, 'N%', or a quantity ('50 km')
UncText = Annotated[float, Field(allow_inf_nan=False)] | Annotated[str, Field(min_length=1, max_length=24)]
OrbitsText = Annotated[str, Field(min_length=1, max_length=400)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Scenario(_Model):
    """A spec of one analysis: its numeric fields may be distributions, run as an ensemble."""

    ensemble: EnsembleSpec | None = Field(
        None, description="sampling of the fields given as distributions (n, seed, quantiles, events); "
                          "without any distribution the scenario runs once, as without this table")


class FlyoutRequest(_Scenario):
    """The ``boostphase flyout`` command as JSON."""

    missile: ShortText | None = Field(None, description="catalog name (see /api/catalog); or give vehicle_toml")
    vehicle_toml: VehicleText | None = None
    launch: ShortText = Field(description="LAT,LON of the launch point (deg)")
    azimuth_deg: Q("deg", AZIMUTH_DEG.lo, AZIMUTH_DEG.hi, "launch azimuth, clockwise from north") | None = None
    target: ShortText | None = Field(None, description="LAT,LON or a city name")
    profile: Literal["min-energy", "lofted", "depressed", "target"] = "min-energy"
    apogee_km: Q("km", None, None, "apogee for lofted/depressed") | None = None
    payload_kg: Q("kg", 1, 1e5, "payload mass (default: the catalog's)") | None = None
    kick_deg: Q("deg", KICK_DEG.lo, KICK_DEG.hi, "fly this fixed pitch-over kick from the vertical with no "
                "search, instead of a profile") | None = None
    pitch_hold_rate_deg_s: Q("deg/s", 0.01, 20.0, "with kick_deg: Forden's steering, pitch over at this "
                             "rate to the kick, then hold that angle") | None = None
    earth: Literal["wgs84", "sphere"] = "wgs84"
    no_rotation: bool = Field(False, description="ignore the Earth's rotation")


class CoastRequest(_Scenario):
    """The ``boostphase coast`` command as JSON: a free ballistic body from a given state to impact."""

    lat: Q("deg", LAT_DEG.lo, LAT_DEG.hi, "start latitude (geodetic)")
    lon: Q("deg", LON_DEG.lo, LON_DEG.hi, "start longitude")
    alt_km: Q("km", START_ALT_M.lo / 1e3, START_ALT_M.hi / 1e3, "start altitude above the ellipsoid")
    speed_km_s: Q("km/s", SPEED_M_S.lo / 1e3, SPEED_M_S.hi / 1e3, "speed relative to the ground")
    flight_path_deg: Q("deg", FLIGHT_PATH_DEG.lo, FLIGHT_PATH_DEG.hi, "angle above the local horizontal")
    azimuth_deg: Q("deg", AZIMUTH_DEG.lo, AZIMUTH_DEG.hi, "heading, clockwise from north")
    beta_kg_m2: Q("kg/m^2", BETA_KG_M2.lo, BETA_KG_M2.hi, "ballistic coefficient m/(Cd A); empty: vacuum") | None = None
    earth: Literal["wgs84", "sphere"] = "wgs84"
    no_rotation: bool = Field(False, description="ignore the Earth's rotation")


class ReconstructRequest(_Scenario):
    """The ``boostphase reconstruct`` command as JSON."""

    apogee_km: Q("km", None, None, "reported apogee")
    range_km: Q("km", None, None, "reported ground range")
    flight_time_s: Q("s", None, None, "reported flight time; a check on the fit") | None = None
    launch: ShortText | None = Field(None, description="LAT,LON of the launch site: adds the reach contour and cities")
    test_azimuth: Q("deg", AZIMUTH_DEG.lo, AZIMUTH_DEG.hi, "azimuth the test was flown on") = 90.0
    cities: Annotated[str, Field(max_length=1000)] | None = Field(
        None, description='comma-separated city names, e.g. "Los Angeles,Chicago" (at most 30)')
    missile: ShortText | None = Field(None, description="catalog model to fit (default: the class model that matches the test)")
    vehicle_toml: VehicleText | None = None
    no_sensitivity: bool = Field(False, description="skip the burn-time x0.8 / x1.2 refits (3x faster)")
    band: Annotated[int, Field(ge=0, le=MAX_RECONSTRUCT_BAND)] = Field(
        0, description="reach band: refit this many sampled variants of the class model (0: none; each "
                       "member is one fit, 0.5-2 s of a core)")
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = Field(0, description="seed of the reach band's samples")


class CheckRequest(_Scenario):
    """The ``boostphase check`` command as JSON."""

    range_km: Q("km", None, None, "claimed ground range")
    apogee_km: Q("km", None, None, "claimed apogee") | None = None
    flight_time_s: Q("s", None, None, "claimed flight time") | None = None
    peak_speed_km_s: Q("km/s", None, None, "claimed peak speed") | None = None
    peak_mach: Q("", 0.5, 40, "claimed peak Mach number") | None = None
    mach_convention: Literal["sea-level", "local"] = Field(
        "sea-level", description="sea-level (v/340.29 m/s) or local (US76 at that altitude)")
    glide_ld: Q("", 0.5, 10, "lift-to-drag ratio of a boost-glide vehicle to check") | None = None
    tolerance: Q("", 0, 0.5, "relative tolerance on each figure") = 0.05
    range_unc: UncText | None = Field(None, description="uncertainty of the range: km or 'N%' (default: the tolerance)")
    apogee_unc: UncText | None = Field(None, description="uncertainty of the apogee: km or 'N%'")
    flight_time_unc: UncText | None = Field(None, description="uncertainty of the flight time: s or 'N%'")
    peak_unc: UncText | None = Field(None, description="uncertainty of the peak speed (km/s) or Mach number, "
                                     "or 'N%' (default: the tolerance; for Mach at least half a unit in the last digit)")
    samples: Annotated[int, Field(ge=10, le=20_000)] = Field(
        2000, description="draws of the figures within their uncertainty (p_consistent)")
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = Field(0, description="seed of the draws")


class EngageRequest(_Scenario):
    """One threat against one UAV orbit (the single-engagement slice of ``boostphase engage``)."""

    missile: ShortText = Field("generic-liquid-icbm", description="catalog name (see /api/catalog)")
    vehicle_toml: VehicleText | None = None
    launch: ShortText = Field(description="LAT,LON of the threat's launch point (deg)")
    target: ShortText | None = Field(None, description="LAT,LON or a city name")
    azimuth_deg: Q("deg", AZIMUTH_DEG.lo, AZIMUTH_DEG.hi, "launch azimuth, instead of a target") | None = None
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


class ShortfallRequest(_Scenario):
    """``boostphase shortfall`` as JSON: where the payload falls if thrust stops at each moment."""

    missile: ShortText | None = Field(None, description="catalog name (see /api/catalog); or give vehicle_toml")
    vehicle_toml: VehicleText | None = None
    launch: ShortText = Field(description="LAT,LON of the launch point (deg)")
    target: ShortText | None = Field(None, description="LAT,LON or a city name")
    azimuth_deg: Q("deg", AZIMUTH_DEG.lo, AZIMUTH_DEG.hi, "launch azimuth, instead of a target") | None = None
    payload_kg: Q("kg", 1, 1e5, "payload mass (default: the catalog's)") | None = None
    beta_kg_m2: Q("kg/m^2", BETA_KG_M2.lo, BETA_KG_M2.hi, "payload ballistic coefficient in kg/m^2 (empty: vacuum)") | None = None
    dt_s: Q("s", 0.5, 60, "step between cut-off times") = 2.0


class FootprintRequest(_Scenario):
    """A small debris Monte Carlo (``boostphase footprint``): an example scenario, or a threat and
    an intercept time."""

    example: Literal["chicago", "los_angeles", "washington"] | None = Field(
        None, description="a C5 example scenario (examples/c5_*.toml); the threat fields are then ignored")
    missile: ShortText | None = Field(None, description="catalog name (see /api/catalog)")
    vehicle_toml: VehicleText | None = None
    launch: ShortText | None = Field(None, description="LAT,LON of the launch point (deg)")
    target: ShortText | None = Field(None, description="LAT,LON or a city name")
    payload_kg: Q("kg", 1, 1e5, "payload mass (default: the catalog's)") | None = None
    beta_kg_m2: Q("kg/m^2", BETA_KG_M2.lo, BETA_KG_M2.hi, "payload ballistic coefficient in kg/m^2 (empty: vacuum)") | None = None
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


class EnsembleJobRequest(_Model):
    """An ensemble job: a scenario (``kind`` and the fields of that kind's request) whose numeric
    fields hold distributions, with more samples than a panel's endpoint answers at once."""

    kind: Literal["ensemble"] = Field(description="ensemble: a scenario with uncertain inputs, many samples")
    params: dict[str, Any] = Field(description='the scenario: {"kind": "flyout", "missile": ..., "payload_kg": '
                                               '{"dist": "normal", "mean": 500, "sd": 50}, "ensemble": {"n": 2000}}')


JOB_KINDS = ("footprint", "sweep", "ensemble")
# A background job: ``kind`` and its parameters (422s name the field inside ``params`` as
# ``params.FIELD``; the tag of the union is left out of the field's name).
JobRequest = Annotated[FootprintJobRequest | SweepJobRequest | EnsembleJobRequest, Field(discriminator="kind")]


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
