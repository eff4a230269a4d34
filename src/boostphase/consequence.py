"""Consequences of a boost-phase intercept: where the payload and the debris fall (claim C5).

Two analyses, both on the batched engine:

* :func:`shortfall_trace` — the payload's impact point if thrust stops at each moment of boost
  (every ``dt_s`` seconds up to burnout): one batched engine call
  (:func:`boostphase.flight.cutoff_flights`) flies the threat with its thrust cut at every time
  and the payload coasts on alone, with its ballistic coefficient and re-entry drag. Each point
  gets a territory (country or named sea), the nearest city and its distance;
  :func:`territory_intervals` turns the trace into cut-off-time intervals per territory and
  :func:`share_of_window` into the share of an intercept window that lands in each.
* :func:`footprint` — a Monte Carlo of booster fragments from the intercept state (velocity
  kicks, isotropic or in a cone; log-normal or uniform magnitude; log-normal ballistic
  coefficients), each flown to the ground with drag by the batched engine
  (:func:`boostphase.flight.coast_states`), plus the intact payload and the spent stages
  dropped before the intercept. Shares by territory come with Wilson score intervals. Density
  contours are cut at the antimeridian for GeoJSON/KML (:func:`split_antimeridian`).
* :func:`beta_sensitivity` — the share of the window per territory for several payload
  ballistic coefficients (:data:`SWEEP_BETAS`), every (beta, cut-off) pair in one batched
  engine call (:func:`cutoff_impacts_by_beta`).

Reproducibility contract (footprint)
-----------------------------------
The same seed gives bit-identical results whatever the chunking, serial or parallel:

* Random draws depend only on (seed, fragment index): fragments are grouped in fixed blocks of
  :data:`RNG_BLOCK` consecutive indices; block ``b`` draws from
  ``PCG64(SeedSequence(seed, spawn_key=(b,)))`` in a fixed order. A chunk regenerates the blocks
  it overlaps and keeps its slice.
* The engine's result for a case depends on that case's inputs alone: bit-identical whatever
  batch it is in, its position, the thread count and the instruction set (tests/test_engine.py).
  So fragments may be grouped by intercept time and sorted by ballistic coefficient and grouped
  freely.

Assumptions stated by this module (and in every result's ``assumptions``):

* The intercept window: with ``[intercept] window = "engagement"`` (the C5 examples) it opens at
  the earliest intercept that the engagement analysis (:mod:`boostphase.engage`, the same code
  as ``boostphase engage``) finds for this threat from the UAV laydown of the ``[engagement]``
  table (default: the example laydown :data:`DEFAULT_ENGAGEMENT`) and closes at burnout. Where
  no orbit can intercept before burnout, or no engagement is asked for, it is ASSUMED to run
  from 60 s after launch to burnout; every result says which (``intercept.window_source`` and
  ``window_note``). The intercept time is spread evenly over the window.
* A spent stage's ballistic coefficient defaults to its dry mass over (Cd 1.0 x its reference
  area): a stage falling end-on; tumbling broadside it would show more area (lower beta).
* The intact payload is the payload alone (no upper stage attached) from the moment thrust
  stops, with the scenario's payload beta.
* "Territory" is the land of a country (Natural Earth 1:10m); named seas are not any country's
  territory, though a point within 12 nmi of a coast lies in that country's territorial sea:
  :func:`c5_answer` reports that reading separately.
* Fragments are integrated at rtol 1e-4 (impact points within ~20 m of a DOP853 rtol 1e-10
  integration; ``rtol`` in the scenario changes it), and a slow light fragment's last stretch
  (terminal speed <= 100 m/s) is the quasi-steady terminal fall (under ~1 m in the impact
  point, under 1 % in the fall time: see ``boostphase.engine.kernel._terminal_fall``).

Public, policy-level kinematics only (the level of the APS boost-phase study).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .earth import WGS84, Earth
from .errors import InputError, check_range
from .units import quantity

RNG_BLOCK = 256
"""Fragments per random-number block (part of the reproducibility contract: changing it
changes every result for a given seed)."""

DEFAULT_WINDOW_START_S = 60.0
"""Assumed earliest intercept (s after launch) where the engagement analysis gives none."""

ENGAGEMENT = "engagement"
DEFAULT_ENGAGEMENT = "c4_sea_of_japan.toml"
"""The example UAV laydown (in ``examples/``) used by ``window = "engagement"`` without an
``[engagement]`` table of its own."""

WILSON_Z = 1.959963984540054  # two-sided 95 %
EARTH_RADIUS_KM = 6371.0      # sphere for city distances (as boostphase.geography)
TERRITORIAL_SEA_KM = 22.224   # 12 nautical miles
NO_IMPACT = "no impact"

CLAIM_THRESHOLD = 0.9
"""Our reading of "almost certainly": at least 90 % of the cases."""

_ASSUMPTIONS = {
    "window": "intercept window from the engagement analysis' earliest intercept (window = "
              "\"engagement\") or given in the scenario; otherwise assumed from 60 s after launch to burnout",
    "payload": "after thrust stops the payload flies alone with the scenario's ballistic coefficient",
    "stages": "spent stage beta = dry mass / (Cd 1.0 x reference area) unless given (end-on; "
              "tumbling broadside gives a lower beta)",
    "territory": "countries' land only (Natural Earth 1:10m); seas are named seas, not territory",
    "integration": "fragments at the scenario's rtol (default 1e-4: impact points within ~20 m of a "
                   "DOP853 rtol 1e-10 integration); a fragment at its terminal speed (<= 100 m/s) ends "
                   "with the quasi-steady terminal fall (under ~1 m in the impact point, under 1 % in time)",
}


# ------------------------------------------------------------------------------------------
# shortfall trace
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShortfallTrace:
    """Where the payload lands if thrust stops at each ``cutoff_s`` (s after launch)."""

    missile: str
    launch: tuple[float, float]
    target: tuple[float, float] | None
    azimuth_deg: float
    kick_deg: float
    burnout_s: float
    beta_kg_m2: float | None
    nominal_impact: tuple[float, float] | None  # None: the full flight does not land
    cutoff_s: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    impacted: np.ndarray
    territory: np.ndarray
    nearest_city: np.ndarray
    nearest_city_km: np.ndarray
    intervals: list[dict] = field(default_factory=list)
    state: np.ndarray | None = None  # (n, 6) Earth-fixed state at each cut-off (m, m/s)

    def rows(self) -> list[dict]:
        """The trace as the CLI's JSON contract."""
        return [{"cutoff_s": float(t), "lat": float(a), "lon": float(b), "territory": str(te),
                 "nearest_city": str(c), "nearest_city_km": float(d)}
                for t, a, b, te, c, d in zip(self.cutoff_s, self.lat, self.lon, self.territory,
                                              self.nearest_city, self.nearest_city_km, strict=True)]

    def share_of_window(self, window_from_s: float, window_to_s: float) -> dict[str, float]:
        return share_of_window(self.intervals, window_from_s, window_to_s)

    def to_dict(self) -> dict:
        return {
            "missile": self.missile,
            "launch": {"lat": self.launch[0], "lon": self.launch[1]},
            "target": None if self.target is None else {"lat": self.target[0], "lon": self.target[1]},
            "azimuth_deg": self.azimuth_deg, "kick_deg": self.kick_deg,
            "burnout_s": self.burnout_s, "beta_kg_m2": self.beta_kg_m2,
            # None when the threat's full flight does not land (orbital): no impact point
            "nominal_impact": dict(zip(("lat", "lon"), self.nominal_impact or (None, None), strict=True)),
            "trace": self.rows(), "intervals": self.intervals,
        }


def resolve_missile(missile, payload_kg: float | None = None):
    """A Missile from a catalog name, a vehicle-file path or a Missile, with its payload
    replaced by ``payload_kg`` (kg) when given."""
    from .vehicles import load

    m = load(missile) if isinstance(missile, str) else missile
    if payload_kg is not None:
        m = m.with_payload(payload_kg)
    return m


def cutoff_grid(t_from_s: float, t_to_s: float, dt_s: float) -> np.ndarray:
    """Cut-off times from ``t_from_s`` every ``dt_s`` seconds, with ``t_to_s`` always the last."""
    check_range("dt_s", dt_s, 1e-3, 600.0, "s")
    if not 0.0 < t_from_s <= t_to_s:
        raise InputError("t_from_s", t_from_s, f"> 0 s and <= {t_to_s:g} s (the end of the trace)")
    t = np.arange(t_from_s, t_to_s, dt_s, dtype=float)
    if t.size == 0 or t[-1] < t_to_s - 1e-9:
        t = np.append(t, t_to_s)
    return t


def shortfall_trace(missile, launch: tuple[float, float], target: tuple[float, float] | None = None,
                    beta_kg_m2: float | None = None, dt_s: float = 1.0, t_from_s: float | None = None,
                    t_to_s: float | None = None, *, azimuth_deg: float | None = None,
                    profile: str | None = None, trajectory=None, steering=None,
                    earth: Earth = WGS84) -> ShortfallTrace:
    """Payload impact for thrust termination at each moment of boost.

    ``missile``: a catalog name or a :class:`~boostphase.vehicles.Missile`. The threat is flown
    with ``profile`` (default ``"target"`` when a target is given, else ``"min-energy"`` on
    ``azimuth_deg``) unless a ready :class:`~boostphase.flight.Trajectory` is passed. The
    payload then flies alone from each cut-off with ``beta_kg_m2`` (None: vacuum). Cut-offs run
    from ``t_from_s`` (default ``dt_s``) to ``t_to_s`` (default burnout) every ``dt_s`` seconds.
    """
    from .flight import cutoff_flights, fly
    from .geography import nearest_city, territory

    m = resolve_missile(missile)
    lat0, lon0 = float(launch[0]), float(launch[1])
    if beta_kg_m2 is not None:
        beta_kg_m2 = check_range("beta_kg_m2", beta_kg_m2, 1.0, 1e6, "kg/m^2")
    if trajectory is None:
        prof = profile or ("target" if target is not None else "min-energy")
        trajectory = fly(m, lat0, lon0, azimuth_deg=azimuth_deg, target=target, profile=prof,
                         earth=earth, steering=steering)
    t_bo = float(m.boost_time_s)
    t_to = t_bo if t_to_s is None else check_range("t_to_s", t_to_s, 0.0, t_bo, "s")
    times = cutoff_grid(dt_s if t_from_s is None else float(t_from_s), t_to, dt_s)
    res = cutoff_flights(m, lat0, lon0, trajectory.azimuth_deg, trajectory.kick_deg, times,
                         beta_kg_m2=beta_kg_m2, steering=steering, earth=earth)
    lat, lon = res.impact_lat_deg, _wrap(res.impact_lon_deg)
    terr = territory(lat, lon).astype(object)
    terr[~res.impacted] = NO_IMPACT
    names, km = nearest_city(lat, lon)
    return ShortfallTrace(
        missile=m.name, launch=(lat0, lon0), target=None if target is None else tuple(map(float, target)),
        azimuth_deg=float(trajectory.azimuth_deg), kick_deg=float(trajectory.kick_deg), burnout_s=t_bo,
        beta_kg_m2=beta_kg_m2, nominal_impact=trajectory.impact_lat_lon_deg, cutoff_s=times,
        lat=lat, lon=lon, impacted=res.impacted, territory=terr, nearest_city=names,
        nearest_city_km=km, intervals=territory_intervals(times, terr), state=res.state)


def territory_intervals(cutoff_s, territories) -> list[dict]:
    """Consecutive runs of the same territory along a trace: ``[{territory, from_s, to_s}]``.

    Each sample stands for the cut-offs nearer to it than to its neighbours, so a boundary lies
    half-way between two samples (exact to half the sampling step) and the intervals tile the
    trace from its first to its last cut-off time."""
    t = np.asarray(cutoff_s, float)
    terr = list(territories)
    if t.size == 0:
        return []
    out: list[dict] = []
    start = t[0]
    for i in range(1, t.size):
        if terr[i] != terr[i - 1]:
            mid = 0.5 * (t[i - 1] + t[i])
            out.append({"territory": str(terr[i - 1]), "from_s": float(start), "to_s": float(mid)})
            start = mid
    out.append({"territory": str(terr[-1]), "from_s": float(start), "to_s": float(t[-1])})
    return out


def share_of_window(intervals: Sequence[dict], window_from_s: float, window_to_s: float) -> dict[str, float]:
    """Share of the intercept window [from, to] (s after launch) whose cut-offs land in each
    territory; the shares sum to 1. The window must lie inside the intervals' span."""
    a, b = float(window_from_s), float(window_to_s)
    if not b > a:
        raise InputError("window", (a, b), "from < to (s after launch)")
    if not intervals:
        raise InputError("intervals", intervals, "a non-empty trace")
    lo, hi = intervals[0]["from_s"], intervals[-1]["to_s"]
    if a < lo - 1e-6 or b > hi + 1e-6:
        raise InputError("window", (a, b), f"inside the trace's cut-off times {lo:g} to {hi:g} s")
    out: dict[str, float] = {}
    for iv in intervals:
        ov = min(b, iv["to_s"]) - max(a, iv["from_s"])
        if ov > 0:
            out[iv["territory"]] = out.get(iv["territory"], 0.0) + ov / (b - a)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


SWEEP_BETAS: tuple[float | None, ...] = (1000.0, 5000.0, 20000.0, None)
"""Payload ballistic coefficients (kg/m^2; None: vacuum) of the sensitivity table: public RV
values run about 10^3-10^4 kg/m^2 (a blunt first-generation RV near the low end, a slender
modern one near the high end)."""


def beta_label(beta: float | None) -> str:
    return "vacuum" if beta is None else f"{beta:g} kg/m^2"


def parse_betas(text: str, field: str = "--beta-sweep") -> tuple[float | None, ...]:
    """``"1000,5000,20000,vacuum"`` -> (1000.0, 5000.0, 20000.0, None); InputError names the item."""
    allowed = "comma-separated ballistic coefficients 1 to 1e6 kg/m^2 or 'vacuum', e.g. 1000,5000,20000,vacuum"
    items = [x.strip() for x in str(text).split(",")]
    if "" in items:
        raise InputError(field, text, allowed)
    if len(items) > 16:
        raise InputError(field, text, allowed + " (1 to 16 values)")
    out: list[float | None] = []
    for x in items:
        if x.lower() in ("vacuum", "none"):
            out.append(None)
            continue
        try:
            v = float(x)
        except ValueError:
            raise InputError(field, x, allowed) from None
        if not 1.0 <= v <= 1e6:
            raise InputError(field, x, allowed)
        out.append(v)
    return tuple(out)


def cutoff_impacts_by_beta(missile, launch: tuple[float, float], azimuth_deg: float, kick_deg: float,
                           cutoff_s, betas: Sequence[float | None] = SWEEP_BETAS,
                           earth: Earth = WGS84) -> dict[str, np.ndarray]:
    """Payload impacts for every (ballistic coefficient, cut-off time) pair in ONE batched engine
    call: the cases of :func:`boostphase.flight.cutoff_flights` for each beta (None: vacuum) are
    stacked into one batch. Returns arrays of shape (len(betas), len(cutoff_s)): ``lat``,
    ``lon`` (wrapped to [-180, 180)), ``impacted``, ``impact_time_s``."""
    from .flight import Steering, engine_settings, flyout_cases, run_cases

    cut = np.atleast_1d(np.asarray(cutoff_s, float))
    if cut.ndim != 1 or cut.size == 0 or np.any(~(cut > 0)):
        raise InputError("cutoff_s", cutoff_s, "one or more times > 0 s after launch")
    betas = list(betas)
    if not betas:
        raise InputError("betas", betas, "at least one ballistic coefficient (or None: vacuum)")
    for b in betas:
        if b is not None:
            check_range("beta_kg_m2", b, 1.0, 1e6, "kg/m^2")
    m = resolve_missile(missile)
    cut_eff = np.minimum(cut, m.boost_time_s * (1 - 1e-12))  # as cutoff_flights: separate at burnout
    parts = [flyout_cases(m, float(launch[0]), float(launch[1]), 0.0, azimuth_deg, kick_deg, Steering(), 2.0e4,
                            earth, cut_eff, None if b is None else float(b))[0] for b in betas]
    arrays = {k: np.concatenate([pa[k] for pa in parts], axis=0) for k in parts[0]}
    out = run_cases(arrays, earth, engine_settings(earth, True))
    lat, lon, _ = earth.ecef_to_geodetic(out["y"][:, :3])
    shape = (len(betas), cut.size)
    return {"cutoff_s": cut, "lat": np.asarray(lat).reshape(shape), "lon": _wrap(lon).reshape(shape),
            "impacted": np.asarray(out["impacted"]).reshape(shape), "impact_time_s": np.asarray(out["t"]).reshape(shape)}


def beta_sensitivity(missile, launch: tuple[float, float], azimuth_deg: float, kick_deg: float,
                     cutoff_s, window_s: tuple[float, float], betas: Sequence[float | None] = SWEEP_BETAS,
                     earth: Earth = WGS84) -> list[dict]:
    """Share of the intercept window landing in each territory, for each payload ballistic
    coefficient (one batched engine call, :func:`cutoff_impacts_by_beta`):
    ``[{beta_kg_m2, label, share_of_window, intervals}]``. ``cutoff_s``: the window's grid."""
    from .geography import territory

    res = cutoff_impacts_by_beta(missile, launch, azimuth_deg, kick_deg, cutoff_s, betas, earth)
    terr = territory(res["lat"].ravel(), res["lon"].ravel()).astype(object).reshape(res["lat"].shape)
    terr[~res["impacted"]] = NO_IMPACT
    a, b = float(window_s[0]), float(window_s[1])
    rows = []
    for i, beta in enumerate(betas):
        if res["cutoff_s"].size > 1 and b > a:
            ivs = territory_intervals(res["cutoff_s"], terr[i])
            share = share_of_window(ivs, a, b)
        else:
            ivs = [{"territory": str(terr[i][0]), "from_s": a, "to_s": a}]
            share = {str(terr[i][0]): 1.0}
        rows.append({"beta_kg_m2": None if beta is None else float(beta), "label": beta_label(beta),
                     "share_of_window": share, "intervals": ivs})
    return rows


def _wrap(lon):
    return (np.asarray(lon, float) + 180.0) % 360.0 - 180.0


# ------------------------------------------------------------------------------------------
# scenario files (validated at this boundary; units allowed)
# ------------------------------------------------------------------------------------------

def _q(unit: str, lo: float | None = None, hi: float | None = None):
    return BeforeValidator(lambda v: quantity("value", v, unit, lo, hi))


def _latlon(v):
    if isinstance(v, str):
        parts = [p.strip() for p in v.split(",")]
    elif isinstance(v, (list, tuple)):
        parts = list(v)
    else:
        raise InputError("value", v, "LAT,LON in degrees (a string '39.0,125.7' or a list [39.0, 125.7])")
    if len(parts) != 2:
        raise InputError("value", v, "LAT,LON in degrees (a string '39.0,125.7' or a list [39.0, 125.7])")
    lat = quantity("value", parts[0], "deg", -90, 90)
    lon = quantity("value", parts[1], "deg", -180, 360)
    return (lat, lon)


def _place(v):
    if isinstance(v, str) and any(c.isalpha() for c in v):
        from .geography import find_city

        c = find_city(v)
        return (c.lat_deg, c.lon_deg)
    return _latlon(v)


def _beta_or_vacuum(v):
    if isinstance(v, str) and v.strip().lower() in ("vacuum", "none"):
        return None
    return quantity("value", v, "kg/m**2", 1.0, 1e6)


def _window_end(v):
    if isinstance(v, str) and v.strip().lower() == "burnout":
        return "burnout"
    return quantity("value", v, "s", 0.0, 2000.0)


def _window_start(v):
    if isinstance(v, str) and v.strip().lower() == ENGAGEMENT:
        return ENGAGEMENT
    return quantity("value", v, "s", 0.0, 2000.0)


def _window(v):
    if isinstance(v, str):
        if v.strip().lower() == ENGAGEMENT:
            return (ENGAGEMENT, "burnout")
        raise InputError("value", v, "'engagement' or [FROM, TO] in s after launch (FROM may be "
                         "'engagement', TO may be 'burnout')")
    return v


Seconds = Annotated[float, _q("s", 0.0, 2000.0)]
Speed = Annotated[float, _q("m/s", 0.0, 5000.0)]
Beta = Annotated[float, _q("kg/m**2", 0.01, 1e6)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def __init__(self, **data):
        # built directly from Python: bad values are InputErrors too (named "Kick.median", ...)
        try:
            super().__init__(**data)
        except ValidationError as e:
            raise _validation_to_input_error(e, type(self).__name__) from None


class Kick(_Model):
    """Velocity kick of each fragment relative to the intercept state."""

    direction: Literal["isotropic", "cone"] = "isotropic"
    cone_half_angle: Annotated[float, _q("deg", 0.0, 180.0)] = 45.0  # about the threat's velocity
    magnitude: Literal["lognormal", "uniform"] = "lognormal"
    median: Speed = 100.0   # lognormal
    sigma: float = Field(0.7, ge=0.0, le=5.0)  # lognormal: std of ln(magnitude)
    min: Speed = 0.0        # uniform
    max: Speed = 300.0      # uniform


class BetaDist(_Model):
    """Log-normal ballistic coefficient m / (Cd A) of the fragments."""

    median: Beta = 200.0
    sigma: float = Field(1.0, ge=0.0, le=5.0)


class Threat(_Model):
    missile: str
    payload_kg: Annotated[float, _q("kg", 1.0, 1e5)] | None = None
    launch: Annotated[tuple[float, float], BeforeValidator(_latlon)]
    target: Annotated[tuple[float, float], BeforeValidator(_place)] | None = None
    azimuth: Annotated[float, _q("deg", -360.0, 360.0)] | None = None
    profile: Literal["target", "min-energy"] | None = None
    payload_beta: Annotated[float | None, BeforeValidator(_beta_or_vacuum)] = None


class Intercept(_Model):
    """When the intercept happens: one ``time``, or a ``window`` [FROM, TO] (s after launch;
    FROM may be ``"engagement"``: the earliest intercept of the ``[engagement]`` laydown; TO may
    be ``"burnout"``; ``window = "engagement"`` is short for ["engagement", "burnout"])."""

    time: Annotated[float, _q("s", 0.0, 2000.0)] | None = None
    window: Annotated[tuple[Annotated[float | str, BeforeValidator(_window_start)],
                            Annotated[float | str, BeforeValidator(_window_end)]],
                      BeforeValidator(_window)] | None = None
    dt: Annotated[float, _q("s", 0.01, 60.0)] = 1.0


_ENGAGE_KEYS = ("timeline", "interceptor", "sites", "platform_defaults", "platforms", "keep_out")


class EngagementSpec(_Model):
    """The UAV laydown whose earliest intercept opens the intercept window (``[engagement]``).

    ``scenario``: a ``boostphase engage`` scenario file (relative to this scenario's folder, else
    to ``examples/``) whose timeline, interceptor, platforms and keep-out zones are used; its
    threats are not (the threat is this scenario's). Tables of the same names and formats given
    here (``[engagement.timeline]``, ``[engagement.interceptor]``, ``[[engagement.platforms]]``,
    ...) replace the file's. ``orbits``: names of the platforms to use (default: all). With
    neither a file nor platforms, the example laydown :data:`DEFAULT_ENGAGEMENT` is used."""

    scenario: str | None = None
    orbits: list[str] | None = None
    timeline: dict | None = None
    interceptor: dict | None = None
    sites: list[dict] | None = None
    platform_defaults: dict | None = None
    platforms: list[dict] | None = None
    keep_out: dict | None = None

    def engage_data(self) -> tuple[dict, str]:
        """The merged ``boostphase engage`` scenario data and where it came from."""
        base: dict = {}
        name = "inline [engagement] tables"
        path = self.scenario
        if path is None and self.platforms is None:
            path = str(examples_dir() / DEFAULT_ENGAGEMENT)
        if path is not None:
            p = _find_engage_file(path)
            from .scenario.files import load_toml

            base = load_toml("engagement.scenario", p)
            name = str(p)
        data = {k: base[k] for k in (*_ENGAGE_KEYS, "title") if k in base}
        for k in _ENGAGE_KEYS:
            v = getattr(self, k)
            if v is not None:
                data[k] = v
        return data, name

    def build(self):
        """(:class:`boostphase.engage.ScenarioObjects`, source) with the selected orbits.
        InputErrors name the field as ``engagement.<key>`` (a key of this table) or
        ``engagement.scenario`` (a key of the engage scenario file, named in the hint)."""
        from . import engage

        data, name = self.engage_data()
        try:
            objs = engage.parse_scenario(data, "engagement").build()
        except InputError as e:
            fld = e.field.split(": ", 1)[-1] if e.field.startswith("engagement: ") else e.field
            top = fld.split(".")[0]
            if top in _ENGAGE_KEYS and top in self.model_fields_set:
                raise InputError(f"engagement.{fld}", e.value, e.allowed, e.hint) from None
            if self.scenario is not None and top in _ENGAGE_KEYS:
                raise InputError("engagement.scenario", e.value, e.allowed,
                                 f"{fld} in {Path(name).name}" + (f"; {e.hint}" if e.hint else "")) from None
            # raised while building the domain objects (their own names: 'platform altitude', ...)
            raise InputError(f"engagement: {fld}", e.value, e.allowed, e.hint) from None
        if not objs.platforms:
            raise InputError("engagement.platforms", 0, "at least one UAV orbit ([[engagement.platforms]] "
                             "or an engage scenario with [[platforms]])")
        if self.orbits is not None:
            names = {p.name.strip().lower(): p for p in objs.platforms}
            chosen = []
            for o in self.orbits:
                if o.strip().lower() not in names:
                    raise InputError("engagement.orbits", o, "names of the laydown's orbits: "
                                     + "; ".join(p.name for p in objs.platforms))
                chosen.append(names[o.strip().lower()])
            if not chosen:
                raise InputError("engagement.orbits", [], "at least one orbit name")
            objs.platforms = chosen
        return objs, name

    @model_validator(mode="after")
    def _check(self):
        try:
            self.build()  # bad values surface when the scenario is read (cheap: nothing is flown)
        except InputError as e:
            # named for _validation_to_input_error, which turns it back into 'engagement.<field>'
            tail = e.field.removeprefix("engagement.").removeprefix("engagement: ")
            raise InputError(f"EngagementSpec.{tail}", e.value, e.allowed, e.hint) from None
        return self


def _find_engage_file(path: str) -> Path:
    p = Path(path)
    for cand in ((p,) if p.is_absolute() else (p, examples_dir() / p)):
        if cand.is_file():
            return cand
    raise InputError("engagement.scenario", str(path), "an engagement scenario TOML file (relative to the "
                     "C5 scenario's folder or examples/)")


class Fragments(_Model):
    n: int = Field(10_000, ge=1, le=100_000_000)
    pieces: int | None = Field(None, ge=1, le=10_000_000)  # real pieces, for expected counts
    kick: Kick = Kick()
    beta: BetaDist = BetaDist()
    include_payload: bool = True
    include_stages: bool = True
    stage_beta: Annotated[float | str, BeforeValidator(
        lambda v: "auto" if isinstance(v, str) and v.strip().lower() == "auto"
        else quantity("value", v, "kg/m**2", 0.01, 1e6))] = "auto"


class Report(_Model):
    city_radius: Annotated[float, _q("km", 0.0, 2000.0)] = 20.0


class Scenario(_Model):
    """A footprint (and shortfall) scenario, as read from a TOML file."""

    title: str = ""
    seed: int = Field(0, ge=0, le=2**63 - 1)
    # fragments' integration tolerance: impact points within ~20 m of DOP853 at rtol 1e-10
    # (measured on 120 fragments incl. the lightest and heaviest; 6 m at 1e-5 for 22 % more steps),
    # far inside the 100 m bar and the kick and beta uncertainties' spread of hundreds of km
    rtol: float = Field(1e-4, ge=1e-12, le=1e-3)
    threat: Threat
    intercept: Intercept = Intercept()
    engagement: EngagementSpec | None = None
    fragments: Fragments = Fragments()
    report: Report = Report()


def _validation_to_input_error(e: ValidationError, prefix: str = "") -> InputError:
    err = e.errors()[0]
    loc = [str(x) for x in err["loc"] if not str(x).startswith("function-")]
    # pydantic appends the branch tried for unions/tuples ('float', 'str', 'tuple[...]'): drop it
    loc = [x for x in loc if x not in ("float", "str", "int", "bool") and not x.startswith(("tuple[", "constrained"))]
    fld = ".".join([p for p in (prefix, *loc) if p]) or "scenario"
    inner = (err.get("ctx") or {}).get("error")
    if isinstance(inner, InputError):
        head, _, tail = inner.field.partition(".")
        if tail and head in _MODEL_NAMES:  # raised by a nested model's own __init__
            fld = ".".join([p for p in (prefix, *loc, tail) if p])
        return InputError(fld, inner.value, inner.allowed, inner.hint)
    if err["type"] == "extra_forbidden":
        return InputError(fld, err.get("input"), "no such key (check the spelling)")
    if err["type"] == "missing":
        return InputError(fld, None, "a value (required)")
    return InputError(fld, err.get("input"), err.get("msg", "a valid value"))


_MODEL_NAMES = {"Kick", "BetaDist", "Threat", "Intercept", "EngagementSpec", "Fragments", "Report", "Scenario"}


def parse_scenario(data: dict) -> Scenario:
    """A :class:`Scenario` from a dict (e.g. parsed TOML); InputError names the bad field."""
    if not isinstance(data, dict):
        raise InputError("scenario", type(data).__name__, "a table of settings")
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise _validation_to_input_error(e) from None


def load_scenario(path) -> Scenario:
    """Read a scenario TOML file (see ``examples/c5_*.toml``)."""
    from .scenario.files import load_toml

    p = Path(path)
    data = load_toml("scenario", p)
    eng = data.get("engagement")
    if isinstance(eng, dict) and isinstance(eng.get("scenario"), str):
        # an engagement scenario named relative to this file
        q = Path(eng["scenario"])
        if not q.is_absolute() and (p.parent / q).is_file():
            data = {**data, "engagement": {**eng, "scenario": str((p.parent / q).resolve())}}
    th = data.get("threat")
    if isinstance(th, dict) and "missile" in th:  # a vehicle file named relative to this file
        from .vehicles import resolve_vehicle_ref

        data = {**data, "threat": {**th, "missile": resolve_vehicle_ref(th["missile"], p.parent)}}
    return parse_scenario(data)


# ------------------------------------------------------------------------------------------
# fragment footprint
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Source:
    """Everything a chunk of fragments needs (plain arrays: cheap to ship to workers)."""

    times: np.ndarray      # (k,) intercept times on the grid (s after launch)
    states: np.ndarray     # (k, 6) Earth-fixed intercept states
    kick: Kick
    beta: BetaDist
    earth: Earth
    rtol: float
    t_max_s: float = 2.0e4


def _block_draws(seed: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
    return g.random((RNG_BLOCK, 4)), g.standard_normal((RNG_BLOCK, 2))


def fragment_draws(seed: int, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniforms (m, 4) and standard normals (m, 2) of fragments ``start..stop-1``: a pure
    function of (seed, index), whatever range is asked for."""
    if stop <= start:
        return np.zeros((0, 4)), np.zeros((0, 2))
    b0, b1 = start // RNG_BLOCK, (stop - 1) // RNG_BLOCK
    us, zs = zip(*(_block_draws(seed, b) for b in range(b0, b1 + 1)), strict=True)
    off = start - b0 * RNG_BLOCK
    return (np.concatenate(us)[off:off + stop - start], np.concatenate(zs)[off:off + stop - start])


def _initial_states(src: _Source, seed: int, start: int, stop: int):
    """(r0, v0, beta, kick magnitude, intercept-time index) of fragments start..stop-1."""
    u, z = fragment_draws(seed, start, stop)
    m = stop - start
    k = src.kick
    ti = np.minimum((u[:, 3] * len(src.times)).astype(np.int64), len(src.times) - 1)
    st = src.states[ti]
    v = st[:, 3:]
    if k.direction == "isotropic":
        cos_t = 2.0 * u[:, 0] - 1.0
    else:
        cos_t = 1.0 - u[:, 0] * (1.0 - math.cos(math.radians(k.cone_half_angle)))
    phi = 2.0 * math.pi * u[:, 1]
    sin_t = np.sqrt(np.maximum(0.0, 1.0 - cos_t ** 2))
    # basis: e1 along the threat's velocity (Earth-fixed), e2 and e3 across it
    e1 = v / np.linalg.norm(v, axis=1, keepdims=True)
    helper = np.where(np.abs(e1[:, 2:3]) < 0.9, np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]]))
    e2 = np.cross(e1, helper)
    e2 /= np.linalg.norm(e2, axis=1, keepdims=True)
    e3 = np.cross(e1, e2)
    d = cos_t[:, None] * e1 + (sin_t * np.cos(phi))[:, None] * e2 + (sin_t * np.sin(phi))[:, None] * e3
    if k.magnitude == "lognormal":
        mag = k.median * np.exp(k.sigma * z[:, 0])
    else:
        mag = k.min + (k.max - k.min) * u[:, 2]
    beta = src.beta.median * np.exp(src.beta.sigma * z[:, 1])
    assert d.shape == (m, 3)
    return st[:, :3].copy(), v + mag[:, None] * d, beta, mag, ti


def _coast_lanes(r0, v0, beta, earth: Earth, rtol: float, t_max_s: float) -> dict:
    """Coast bodies on the engine (:func:`boostphase.flight.coast_states`, on the engine
    threads). Slow
    light debris ends with the terminal-fall model (impact points within metres of a full
    integration, fall times within 2 %: see ``Settings.terminal_fall``)."""
    from .flight import coast_states

    out = coast_states(r0, v0, beta, earth=earth, t_max_s=t_max_s, rtol=rtol, terminal_fall=True)
    return {k: np.asarray(out[k]) for k in ("y", "t", "impacted")}


def fly_fragment_chunk(src: _Source, seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """Impacts of fragments ``start..stop-1``: a pure function of (source, seed, index).

    Fragments are sorted by ballistic coefficient before they are grouped into engine calls
    (similar step counts per call); the results are put back in index order."""
    r0, v0, beta, mag, ti = _initial_states(src, seed, start, stop)
    m = stop - start
    order = np.lexsort((beta, ti))  # similar fragments side by side: same intercept time, then beta
    out = _coast_lanes(r0[order], v0[order], beta[order], src.earth, src.rtol, src.t_max_s)
    y, t, hit = np.empty((m, 6)), np.empty(m), np.empty(m, dtype=bool)
    y[order], t[order], hit[order] = out["y"], out["t"], out["impacted"]
    lat, lon, _ = src.earth.ecef_to_geodetic(y[:, :3])
    return {"lat": lat, "lon": _wrap(lon), "flight_time_s": t, "impacted": hit, "beta_kg_m2": beta,
            "kick_m_s": mag, "intercept_s": src.times[ti]}


def wilson_interval(k, n: int, z: float = WILSON_Z) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion k/n (two-sided, 95 % for the default z)."""
    k = np.asarray(k, float)
    p = k / n
    den = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z / den * np.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n))
    return np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)


def territory_shares(labels, n: int | None = None) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Shares of each label and their 95 % Wilson intervals, largest first."""
    from collections import Counter

    lab = np.asarray(labels, dtype=object)
    n = lab.size if n is None else n
    # a Counter over the few distinct labels: np.unique on a million strings sorts them (0.8 s)
    tally = Counter(str(x) for x in lab.tolist())
    names = np.array(sorted(tally), dtype=object)
    counts = np.array([tally[k] for k in names], dtype=np.int64)
    order = np.lexsort((names, -counts))
    lo, hi = wilson_interval(counts[order], n)
    shares = {str(names[i]): float(counts[i] / n) for i in order}
    ci = {str(names[i]): [float(a), float(b)] for i, a, b in zip(order, lo, hi, strict=True)}
    return shares, ci


def _unit(lat, lon):
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _km_to_chord(km):
    return 2.0 * np.sin(np.asarray(km, float) / (2.0 * EARTH_RADIUS_KM))


def _chord_to_km(ch):
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.asarray(ch, float) / 2.0, 1.0))


def cities_at_risk(frag_lat, frag_lon, radius_km: float, pieces: int | None = None,
                   others: Sequence[dict] = ()) -> list[dict]:
    """Cities (GeoNames, population >= 15,000) within ``radius_km`` of any impact.

    ``frag_lat/lon``: fragment impacts (each one simulated fragment). ``pieces``: the number of
    real pieces the simulated fragments stand for (default: as many as simulated); each city's
    ``expected_impacts`` = fragments within the radius x pieces / fragments. ``others``:
    further impacts (``{kind, lat, lon, weight}``: the payload per window sample, the stages)
    reported by kind, with the summed weight of those within the radius."""
    from scipy.spatial import cKDTree

    from .geography import city_table

    cat = city_table()
    radius_km = float(radius_km)
    n = len(frag_lat)
    scale = (pieces if pieces else n) / max(n, 1)
    chord = float(_km_to_chord(radius_km))
    pts = _unit(frag_lat, frag_lon) if n else np.zeros((0, 3))
    o_pts = _unit([o["lat"] for o in others], [o["lon"] for o in others]) if others else np.zeros((0, 3))
    allp = np.concatenate([pts, o_pts])
    if allp.shape[0] == 0:
        return []
    # candidate cities: near the occupied 0.1-degree cells (cell half-diagonal < 8 km)
    la = np.concatenate([np.asarray(frag_lat, float), [o["lat"] for o in others]])
    lo = np.concatenate([np.asarray(frag_lon, float), [o["lon"] for o in others]])
    # unique cells as one integer code each (np.unique on rows of a million pairs is slow)
    ila, ilo = np.round(la * 10.0).astype(np.int64), np.round(_wrap(lo) * 10.0).astype(np.int64)
    code = np.unique((ila + 900) * 3602 + (ilo + 1800))
    cells = np.stack([(code // 3602 - 900) / 10.0, (code % 3602 - 1800) / 10.0], 1)
    near = cat.tree.query_ball_point(_unit(cells[:, 0], cells[:, 1]), float(_km_to_chord(radius_km + 8.0)))
    cand = np.unique(np.concatenate([np.asarray(x, dtype=np.int64) for x in near] or [np.zeros(0, np.int64)]))
    if cand.size == 0:
        return []
    cv = _unit(cat.lat[cand], cat.lon[cand])
    # one tree over the fragments (built once: it is most of the time for a million points)
    tree = cKDTree(pts, balanced_tree=False) if n else None
    counts = (tree.query_ball_point(cv, chord * (1 + 1e-12), return_length=True)
              if n else np.zeros(cand.size, int))
    dmin = tree.query(cv)[0] if n else np.full(cand.size, np.inf)
    if o_pts.shape[0]:
        dmin = np.minimum(dmin, np.linalg.norm(cv[:, None, :] - o_pts[None, :, :], axis=2).min(axis=1))
    dmin_km = _chord_to_km(dmin)
    rows = []
    for j, ci in enumerate(cand):
        if dmin_km[j] > radius_km:
            continue
        row = {"name": cat.name[ci], "country": cat.country[ci], "lat": float(cat.lat[ci]),
               "lon": float(cat.lon[ci]), "population": int(cat.population[ci]),
               "nearest_impact_km": float(dmin_km[j]), "fragments_within": int(counts[j]),
               "expected_impacts": float(counts[j] * scale)}
        if others:
            d_o = _chord_to_km(np.linalg.norm(o_pts - cv[j], axis=1))
            kinds: dict[str, float] = {}
            for o, d in zip(others, d_o, strict=True):
                if d <= radius_km:
                    kinds[o["kind"]] = kinds.get(o["kind"], 0.0) + float(o.get("weight", 1.0))
            row["other_impacts_within"] = kinds
        rows.append(row)
    rows.sort(key=lambda r: (-r["expected_impacts"], -sum(r.get("other_impacts_within", {}).values()),
                             r["nearest_impact_km"], -r["population"]))
    return rows


@dataclass
class Footprint:
    """Result of :func:`footprint`. Arrays are per fragment, in index order."""

    n: int
    seed: int
    lat: np.ndarray
    lon: np.ndarray
    territory: np.ndarray
    impacted: np.ndarray
    flight_time_s: np.ndarray
    beta_kg_m2: np.ndarray
    kick_m_s: np.ndarray
    intercept_s: np.ndarray
    shares: dict[str, float]
    shares_ci: dict[str, list[float]]
    cities_at_risk: list[dict]
    city_radius_km: float
    payload: dict | None = None
    stages: list[dict] = field(default_factory=list)
    intercept: dict = field(default_factory=dict)
    threat: dict = field(default_factory=dict)
    trace: ShortfallTrace | None = None
    assumptions: dict = field(default_factory=dict)
    timing_s: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The CLI's JSON contract (no per-fragment arrays)."""
        return {
            "n": self.n, "seed": self.seed, "shares": self.shares, "shares_ci": self.shares_ci,
            "ci_method": "Wilson score interval, 95 %, binomial per territory (Monte Carlo "
                         "sampling error only; not the uncertainty of the kick and beta models)",
            "cities_at_risk": self.cities_at_risk, "city_radius_km": self.city_radius_km,
            "payload": self.payload, "stages": self.stages, "intercept": self.intercept,
            "threat": self.threat, "assumptions": self.assumptions, "timing_s": self.timing_s,
        }

    # --- exports (impact points and density contours) ---------------------------------
    def density_contours(self, levels=(0.5, 0.9, 0.99), bins: int = 200) -> list[dict]:
        """Highest-density regions holding the given fractions of the impacted fragments:
        ``[{level, rings, polygons}]`` from a 2-D histogram smoothed by 1.5 bins.

        ``rings: [[(lon, lat), ...], ...]``: the contours with longitudes kept continuous around
        the cloud's centre (they may leave [-180, 180]; for plots). ``polygons: [[ring], ...]``:
        the same regions for maps and files, each ring a polygon of its own (a rare ring around a
        hole is filled), cut at the antimeridian into parts inside [-180, 180] (RFC 7946, 3.1.9),
        counter-clockwise."""
        import contourpy

        from .geography import unwrap_longitude

        ok = self.impacted
        if ok.sum() < 10:
            return []
        lat = self.lat[ok]
        lon = unwrap_longitude(self.lon[ok])
        x0, x1 = lon.min(), lon.max()
        y0, y1 = lat.min(), lat.max()
        px, py = max(1e-3, 0.02 * (x1 - x0)), max(1e-3, 0.02 * (y1 - y0))
        ex = np.linspace(x0 - px, x1 + px, bins + 1)
        ey = np.linspace(y0 - py, y1 + py, bins + 1)
        h, _, _ = np.histogram2d(lon, lat, bins=(ex, ey))
        # a light smoothing (Gaussian, 1.5 bins) so the regions are not outlines of single cells
        from scipy.ndimage import gaussian_filter

        h = np.pad(gaussian_filter(h, 1.5, mode="constant"), 1)  # zero border: every contour closes
        cx = np.concatenate([[ex[0] - (ex[1] - ex[0]) / 2], 0.5 * (ex[1:] + ex[:-1]), [ex[-1] + (ex[1] - ex[0]) / 2]])
        cy = np.concatenate([[ey[0] - (ey[1] - ey[0]) / 2], 0.5 * (ey[1:] + ey[:-1]), [ey[-1] + (ey[1] - ey[0]) / 2]])
        flat = np.sort(h.ravel())[::-1]
        cum = np.cumsum(flat) / flat.sum()
        gen = contourpy.contour_generator(cx, cy, h.T)
        out = []
        for lev in levels:
            i = int(np.searchsorted(cum, lev))
            thr = flat[min(i, flat.size - 1)]
            lines = gen.lines(max(float(thr), 1e-12) * (1 - 1e-9))
            rings = []
            for ln in lines:
                if len(ln) < 4:
                    continue
                ring = [(float(a), float(b)) for a, b in ln]
                if ring[0] != ring[-1]:
                    ring.append(ring[0])
                rings.append(ring)
            polys = [q for r in rings for q in split_antimeridian(r)]
            out.append({"level": float(lev), "rings": rings, "polygons": polys})
        return out

    def to_geojson(self, max_points: int = 10_000) -> dict:
        """FeatureCollection: fragment impacts (the first ``max_points`` indices: a random
        sample, since indices are exchangeable), payload and stage impacts, density contours."""
        feats = []
        idx = np.flatnonzero(self.impacted)[:max_points]
        for i in idx:
            feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [
                float(self.lon[i]), float(self.lat[i])]}, "properties": {
                "kind": "fragment", "index": int(i), "territory": str(self.territory[i]),
                "beta_kg_m2": float(self.beta_kg_m2[i]), "kick_m_s": float(self.kick_m_s[i]),
                "intercept_s": float(self.intercept_s[i])}})
        for o in self._objects():
            feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [o["lon"], o["lat"]]},
                          "properties": {k: v for k, v in o.items() if k not in ("lat", "lon")}})
        for c in self.density_contours():
            feats.append({"type": "Feature", "properties": {"kind": "density contour", "level": c["level"]},
                          "geometry": {"type": "MultiPolygon",
                                       "coordinates": [[[list(p) for p in r] for r in poly]
                                                       for poly in c["polygons"]]}})
        return {"type": "FeatureCollection", "features": feats,
                "properties": {"n": self.n, "seed": self.seed, "points_written": int(idx.size)}}

    def _objects(self) -> list[dict]:
        objs = []
        if self.payload:
            for p in self.payload["impacts"]:
                objs.append({"kind": "payload", "lat": p["lat"], "lon": p["lon"], "intercept_s": p["intercept_s"],
                             "territory": p["territory"]})
        for s in self.stages:
            objs.append({"kind": s["name"], "lat": s["lat"], "lon": s["lon"], "territory": s["territory"]})
        return objs

    def to_csv(self, path) -> Path:
        """Every fragment: index, lat, lon, territory, impacted, flight time, beta, kick, intercept time."""
        import csv

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["index", "lat", "lon", "territory", "impacted", "flight_time_s", "beta_kg_m2",
                        "kick_m_s", "intercept_s"])
            for i in range(self.n):
                w.writerow([i, f"{self.lat[i]:.6f}", f"{self.lon[i]:.6f}", self.territory[i],
                            int(self.impacted[i]), f"{self.flight_time_s[i]:.3f}", f"{self.beta_kg_m2[i]:.4g}",
                            f"{self.kick_m_s[i]:.4g}", f"{self.intercept_s[i]:.3f}"])
        return path

    def to_kml(self, max_points: int = 5_000) -> str:
        """KML: density contours as polygons, payload/stage impacts and a sample of fragments."""
        from xml.sax.saxutils import escape

        parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<kml xmlns="http://www.opengis.net/kml/2.2">',
                 "<Document>", f"<name>boostphase footprint (n={self.n}, seed={self.seed})</name>"]
        for c in self.density_contours():
            for poly in c["polygons"]:  # cut at the antimeridian: no polygon spans the map
                rings = [" ".join(f"{a:.5f},{b:.5f},0" for a, b in r) for r in poly]
                inner = "".join(f"<innerBoundaryIs><LinearRing><coordinates>{x}</coordinates></LinearRing>"
                                "</innerBoundaryIs>" for x in rings[1:])
                parts.append(f"<Placemark><name>{c['level']:.0%} of fragments</name><Polygon><outerBoundaryIs>"
                             f"<LinearRing><coordinates>{rings[0]}</coordinates></LinearRing></outerBoundaryIs>"
                             f"{inner}</Polygon></Placemark>")
        for o in self._objects():
            parts.append(f"<Placemark><name>{escape(str(o['kind']))} ({escape(str(o['territory']))})</name>"
                         f"<Point><coordinates>{o['lon']:.5f},{o['lat']:.5f},0</coordinates></Point></Placemark>")
        parts.append("<Folder><name>fragments (sample)</name>")
        for i in np.flatnonzero(self.impacted)[:max_points]:
            parts.append(f"<Placemark><Point><coordinates>{self.lon[i]:.5f},{self.lat[i]:.5f},0"
                         "</coordinates></Point></Placemark>")
        parts += ["</Folder>", "</Document>", "</kml>"]
        return "\n".join(parts)


def split_antimeridian(ring) -> list[list[list[tuple[float, float]]]]:
    """A closed ring of (lon, lat) with continuous longitudes (it may leave [-180, 180]) as
    polygons inside [-180, 180]: the ring is cut along every meridian +-180 + 360 k it crosses
    and each part shifted by a whole turn into the map (RFC 7946, 3.1.9: split, do not wrap).
    Each polygon is ``[exterior, *holes]``, exterior counter-clockwise (RFC 7946, 3.1.6);
    closed rings of (lon, lat)."""
    import shapely
    from shapely.geometry import Polygon, box
    from shapely.geometry.polygon import orient

    pts = [(float(a), float(b)) for a, b in ring]
    if len(pts) < 4:
        return []
    poly = Polygon(pts)
    if not poly.is_valid:
        poly = shapely.make_valid(poly)
    x0, _, x1, _ = poly.bounds
    out = []
    for k in range(math.floor((x0 + 180.0) / 360.0), math.floor((x1 + 180.0) / 360.0) + 1):
        part = poly.intersection(box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0))
        for g in getattr(part, "geoms", [part]):
            if g.geom_type != "Polygon" or g.is_empty or g.area < 1e-9:  # slivers of the cut
                continue
            g = orient(g, 1.0)

            def shift(coords, k=k):
                return [(min(180.0, max(-180.0, x - 360.0 * k)), y) for x, y in coords]

            out.append([shift(g.exterior.coords), *(shift(h.coords) for h in g.interiors)])
    return out


def _window_mode(sc: Scenario) -> str:
    """Where the intercept time(s) come from: ``time``, ``scenario`` (a window given in numbers),
    ``engagement`` (the earliest intercept of the laydown) or ``assumed`` (the default window)."""
    ic = sc.intercept
    if ic.time is not None:
        return "time"
    if ic.window is not None:
        return ENGAGEMENT if ic.window[0] == ENGAGEMENT else "scenario"
    return ENGAGEMENT if sc.engagement is not None else "assumed"


def _resolve_window(sc: Scenario, t_bo: float, start_s: float | None = None) -> tuple[float, float, bool]:
    """(from, to, is_window) in s after launch, checked against burnout. ``start_s``: the
    engagement analysis' earliest intercept (None: none, or not asked for: the assumed start)."""
    ic = sc.intercept
    if ic.time is not None and ic.window is not None:
        raise InputError("intercept", "time and window", "one of intercept.time or intercept.window")
    if ic.time is not None:
        if not 0.0 < ic.time <= t_bo:
            raise InputError("intercept.time", ic.time, f"> 0 s and <= burnout ({t_bo:g} s)")
        return ic.time, ic.time, False
    a, b = (ENGAGEMENT, "burnout") if ic.window is None else ic.window
    b = t_bo if b == "burnout" else float(b)
    if a == ENGAGEMENT:
        if start_s is not None and start_s >= min(b, t_bo) - 1e-9:
            # the earliest intercept comes at the very end of the window: one intercept time
            t = float(min(b, t_bo))
            return t, t, False
        a = DEFAULT_WINDOW_START_S if start_s is None else float(start_s)
    if not 0.0 < a < b <= t_bo + 1e-9:
        raise InputError("intercept.window", (a, b), f"0 < from < to <= burnout ({t_bo:g} s)")
    return float(a), float(min(b, t_bo)), True


def _window_stop(sc: Scenario, t_bo: float) -> float:
    w = sc.intercept.window
    return t_bo if w is None or w[1] == "burnout" else min(float(w[1]), t_bo)


def engagement_threat(sc: Scenario, missile=None, earth: Earth = WGS84):
    """The scenario's threat as a :class:`boostphase.engage.Threat` (same missile, payload,
    launch, target or azimuth and profile; criterion: burnout)."""
    from . import engage

    th = sc.threat
    m = missile if missile is not None else resolve_missile(th.missile, th.payload_kg)
    if th.target is None and th.azimuth is None:
        raise InputError("threat.target", None, "a target (LAT,LON or a city) or an azimuth")
    prof = th.profile or ("target" if th.target is not None else "min-energy")
    return engage.Threat(m, th.launch[0], th.launch[1], target=th.target,
                         azimuth_deg=th.azimuth if th.target is None else None, profile=prof,
                         criterion="burnout", earth=earth, name=sc.title or m.name)


def engagement_window(sc: Scenario, threat, t_end_s: float | None = None) -> dict:
    """The earliest intercept of ``threat`` (a :class:`boostphase.engage.Threat`) from the
    scenario's UAV laydown (``[engagement]``, default :data:`DEFAULT_ENGAGEMENT`): every orbit's
    engagement (``boostphase engage``'s rows) and the earliest intercept before ``t_end_s``
    (default burnout) over all orbits, or None where no orbit can intercept by then."""
    from .engage import Engagement

    spec = sc.engagement or EngagementSpec()
    objs, src = spec.build()
    t_end = threat.burnout_time_s if t_end_s is None else float(t_end_s)
    rows = [Engagement(threat, p, objs.interceptor, objs.timeline).solve() for p in objs.platforms]
    ok = [r for r in rows if r.intercept_possible and r.intercept_time_s is not None
          and r.intercept_time_s <= t_end + 1e-9]
    best = min(ok, key=lambda r: r.intercept_time_s) if ok else None
    try:
        src_txt = str(Path(src).resolve().relative_to(examples_dir().parent))
    except ValueError:
        src_txt = src
    ic = objs.interceptor
    return {
        "laydown": src_txt, "title": objs.title,
        "interceptor": {"name": ic.name, "ideal_burnout_speed_km_s": ic.ideal_burnout_speed_m_s / 1e3,
                        "burn_time_s": ic.burn_time_s},
        "interceptor_launch_s": objs.timeline.interceptor_launch_s,
        "latest_s": t_end,
        "orbits": [r.row() for r in rows],
        "earliest": None if best is None else {
            "orbit": best.platform, "intercept_time_s": float(best.intercept_time_s),
            "lat": best.intercept_lat_deg, "lon": best.intercept_lon_deg,
            "alt_km": best.intercept_alt_m / 1e3, "interceptor_flyout_s": best.interceptor_flyout_s},
        "threat": "this scenario's threat (missile, payload, launch, target, profile), not the "
                  "engagement scenario's threats",
    }


def window_note(mode: str, a: float, b: float, eng: dict | None) -> str:
    if mode == "time":
        return f"a fixed intercept time given in the scenario ({a:g} s after launch)"
    if mode == "scenario":
        return f"window given in the scenario ({a:g}-{b:g} s after launch)"
    if mode == "assumed":
        return (f"assumed window from {DEFAULT_WINDOW_START_S:g} s after launch to burnout (the scenario "
                "asks for no engagement analysis; set [intercept] window = \"engagement\")")
    e = eng["earliest"] if eng else None
    lay = f"the UAV laydown of {eng['laydown']}" if eng else "the UAV laydown"
    if e is None:
        return (f"assumed window from {DEFAULT_WINDOW_START_S:g} s after launch to {b:g} s: no orbit of "
                f"{lay} can intercept this threat by {eng['latest_s']:.0f} s, so the engagement "
                "analysis gives no window")
    ic = eng["interceptor"]
    return (f"from the engagement analysis: the earliest intercept from {lay} is {e['intercept_time_s']:.1f} s "
            f"after launch (orbit '{e['orbit']}', {ic['name']}, fired {eng['interceptor_launch_s']:g} s "
            f"after the threat's launch); the window runs from then to {b:g} s"
            + (" (burnout)" if abs(b - eng["latest_s"]) < 1e-9 else ""))


def _stage_beta(stage, given) -> float:
    if given != "auto":
        return float(given)
    return stage.dry_mass_kg / (1.0 * stage.reference_area_m2)


def footprint(source, n: int | None = None, seed: int | None = None, *, kick: Kick | None = None,
              beta: BetaDist | None = None, include_payload: bool | None = None,
              include_stages: bool | None = None, city_radius_km: float | None = None,
              chunk_size: int = 65_536, workers: int = 0, earth: Earth = WGS84,
              progress: Callable[[int], None] | None = None, missile=None) -> Footprint:
    """Monte Carlo footprint of the debris of a boost-phase intercept.

    ``source``: a :class:`Scenario` (or a path to its TOML file), or an Earth-fixed intercept
    state (6,) in m and m/s (then only fragments are flown). Keyword arguments override the
    scenario's values. ``chunk_size``: fragments per chunk (chunks are independent tasks; the
    result does not depend on it); ``workers`` > 0 runs the chunks on that many local worker
    processes (dask.distributed), 0 runs them here. ``missile``: a
    :class:`~boostphase.vehicles.Missile` (e.g. a pasted vehicle file) flown instead of the
    scenario's ``threat.missile`` (its payload override still applies).
    """
    import time

    from .geography import nearest_city, territory

    t_start = time.perf_counter()
    if isinstance(source, (str, Path)):
        source = load_scenario(source)
    if isinstance(source, Scenario):
        sc = source
    else:
        st = np.asarray(source, float)
        if st.shape != (6,) or not np.all(np.isfinite(st)):
            raise InputError("intercept state", st.shape, "6 finite numbers: Earth-fixed x, y, z (m), vx, vy, vz (m/s)")
        sc = None
    n = int(n if n is not None else (sc.fragments.n if sc else 10_000))
    if not 1 <= n <= 100_000_000:
        raise InputError("fragments", n, "1 to 100,000,000")
    seed = int(seed if seed is not None else (sc.seed if sc else 0))
    if not 0 <= seed < 2**63:
        raise InputError("seed", seed, "an integer 0 to 2^63-1")
    chunk_size = int(chunk_size)
    if chunk_size < 1:
        raise InputError("chunk_size", chunk_size, ">= 1")
    kick = kick or (sc.fragments.kick if sc else Kick())
    beta = beta or (sc.fragments.beta if sc else BetaDist())
    radius = float(city_radius_km if city_radius_km is not None else (sc.report.city_radius if sc else 20.0))
    rtol = sc.rtol if sc else Scenario.model_fields["rtol"].default
    payload = None
    stages: list[dict] = []
    intercept: dict = {}
    threat: dict = {}
    stage_cases = []
    trace = None
    if sc is None:
        times, states = np.zeros(1), st[None, :]
        intercept = {"state": st.tolist()}
    else:
        from .flight import cutoff_flights, fly

        th = sc.threat
        try:
            m = resolve_missile(th.missile if missile is None else missile, th.payload_kg)
        except InputError as e:  # a vehicle file's own errors already name the file and its field
            fld = "threat.missile" if e.field in ("missile", "path") or e.field.startswith("missile.") else e.field
            raise InputError(fld, e.value, e.allowed, e.hint) from None
        lat0, lon0 = th.launch
        if th.target is None and th.azimuth is None:
            raise InputError("threat.target", None, "a target (LAT,LON or a city) or an azimuth")
        prof = th.profile or ("target" if th.target is not None else "min-energy")
        mode = _window_mode(sc)
        t_bo = float(m.boost_time_s)
        eng = None
        if mode == ENGAGEMENT:
            # the threat as the engagement analysis flies it (the same trajectory search)
            eth = engagement_threat(sc, m, earth)
            traj = eth.trajectory
            eng = engagement_window(sc, eth, _window_stop(sc, t_bo))
        else:
            traj = fly(m, lat0, lon0, azimuth_deg=th.azimuth if th.target is None else None,
                       target=th.target, profile=prof, earth=earth)
        a, b, is_window = _resolve_window(sc, t_bo, eng["earliest"]["intercept_time_s"]
                                          if eng and eng["earliest"] else None)
        times = cutoff_grid(a, b, sc.intercept.dt) if is_window else np.array([a])
        inc_stages = sc.fragments.include_stages if include_stages is None else include_stages
        inc_payload = sc.fragments.include_payload if include_payload is None else include_payload
        bo = list(np.cumsum([s.coast_before_s + s.burn_time_s for s in m.stages]))
        spent = [j for j in range(len(m.stages) - 1) if bo[j] < b] if inc_stages else []
        # one engine call: the whole boost (the shortfall trace), the intercept times, the
        # stage separations
        dt = sc.intercept.dt
        all_t = np.unique(np.concatenate([cutoff_grid(dt, t_bo, dt), times]))
        res = cutoff_flights(m, lat0, lon0, traj.azimuth_deg, traj.kick_deg,
                             np.concatenate([all_t, [bo[j] for j in spent]]),
                             beta_kg_m2=th.payload_beta, earth=earth)
        n_all = len(all_t)
        sel = np.searchsorted(all_t, times)
        k = len(times)
        states = res.state[sel]
        tlat, tlon = res.impact_lat_deg[:n_all], _wrap(res.impact_lon_deg[:n_all])
        tterr = territory(tlat, tlon).astype(object)
        tterr[~res.impacted[:n_all]] = NO_IMPACT
        tc, tkm = nearest_city(tlat, tlon)
        trace = ShortfallTrace(
            missile=m.name, launch=(lat0, lon0), target=th.target, azimuth_deg=float(traj.azimuth_deg),
            kick_deg=float(traj.kick_deg), burnout_s=t_bo, beta_kg_m2=th.payload_beta,
            nominal_impact=traj.impact_lat_lon_deg, cutoff_s=all_t, lat=tlat, lon=tlon,
            impacted=res.impacted[:n_all], territory=tterr, nearest_city=tc, nearest_city_km=tkm,
            intervals=territory_intervals(all_t, tterr), state=res.state[:n_all])
        threat = {"missile": m.name, "payload_kg": m.payload_kg, "launch": {"lat": lat0, "lon": lon0},
                  "target": None if th.target is None else {"lat": th.target[0], "lon": th.target[1]},
                  "profile": prof, "azimuth_deg": traj.azimuth_deg, "kick_deg": traj.kick_deg,
                  "burnout_s": t_bo, "payload_beta_kg_m2": th.payload_beta,
                  "nominal_impact": dict(zip(("lat", "lon"), traj.impact_lat_lon_deg or (None, None), strict=True))}
        glat, glon, galt = earth.ecef_to_geodetic(states[:, :3])
        intercept = {"from_s": a, "to_s": b, "window": is_window, "grid_dt_s": sc.intercept.dt if is_window else None,
                     "samples": k, "intercept_time_distribution": "uniform over the window's grid" if is_window else "fixed",
                     "altitude_km": [float(galt.min() / 1e3), float(galt.max() / 1e3)],
                     "ground_point_first": {"lat": float(glat[0]), "lon": float(_wrap(glon[0]))},
                     "ground_point_last": {"lat": float(glat[-1]), "lon": float(_wrap(glon[-1]))},
                     "window_source": ("engagement" if eng and eng["earliest"] else
                                       "assumed" if mode in (ENGAGEMENT, "assumed") else mode),
                     "window_note": window_note(mode, a, b, eng)}
        if eng is not None:
            intercept["engagement"] = eng
        if inc_payload:
            plat, plon, pterr = tlat[sel], tlon[sel], tterr[sel]
            pc, pkm = tc[sel], tkm[sel]
            impacts = [{"intercept_s": float(t), "lat": float(x), "lon": float(y), "territory": str(te),
                        "nearest_city": str(c), "nearest_city_km": float(d)}
                       for t, x, y, te, c, d in zip(times, plat, plon, pterr, pc, pkm, strict=True)]
            if is_window:
                ivs = territory_intervals(times, pterr)
                pshare = share_of_window(ivs, a, b)
            else:
                ivs = [{"territory": str(pterr[0]), "from_s": a, "to_s": a}]
                pshare = {str(pterr[0]): 1.0}
            payload = {"beta_kg_m2": th.payload_beta, "impacts": impacts, "intervals": ivs,
                       "share_of_window": pshare}
        for j_i, j in enumerate(spent):
            s_state = res.state[n_all + j_i]
            stage_cases.append((m.stages[j].name, float(bo[j]), s_state, _stage_beta(m.stages[j], sc.fragments.stage_beta)))

    src = _Source(times=times, states=states, kick=kick, beta=beta, earth=earth, rtol=rtol)
    t_prep = time.perf_counter()
    chunks = [(s, min(n, s + chunk_size)) for s in range(0, n, chunk_size)]
    parts = _run_chunks(src, seed, chunks, workers, progress)
    frag = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    t_fly = time.perf_counter()

    if stage_cases:
        r0 = np.stack([c[2][:3] for c in stage_cases])
        v0 = np.stack([c[2][3:] for c in stage_cases])
        bb = np.array([c[3] for c in stage_cases])
        out = _coast_lanes(r0, v0, bb, earth, rtol, 2.0e4)
        slat, slon, _ = earth.ecef_to_geodetic(out["y"][:, :3])
        slon = _wrap(slon)
        sterr = territory(slat, slon)
        sc_names, sc_km = nearest_city(slat, slon)
        a_w, b_w = intercept["from_s"], intercept["to_s"]
        for i, (name, t_sep, _, bst) in enumerate(stage_cases):
            frac = 1.0 if b_w == a_w else (b_w - max(a_w, t_sep)) / (b_w - a_w)
            stages.append({"name": name, "separation_s": t_sep, "beta_kg_m2": float(bst),
                           "lat": float(slat[i]), "lon": float(slon[i]),
                           "territory": str(sterr[i]) if out["impacted"][i] else NO_IMPACT,
                           "nearest_city": str(sc_names[i]), "nearest_city_km": float(sc_km[i]),
                           "share_of_window_spent": float(min(1.0, max(0.0, frac)))})

    terr = territory(frag["lat"], frag["lon"]).astype(object)
    terr[~frag["impacted"]] = NO_IMPACT
    shares, ci = territory_shares(terr, n)
    others = []
    if payload:
        w = 1.0 / len(payload["impacts"])
        others += [{"kind": "payload", "lat": p["lat"], "lon": p["lon"], "weight": w} for p in payload["impacts"]]
    others += [{"kind": s["name"], "lat": s["lat"], "lon": s["lon"], "weight": 1.0} for s in stages]
    ok = frag["impacted"]
    cities = cities_at_risk(frag["lat"][ok], frag["lon"][ok], radius,
                            pieces=(sc.fragments.pieces if sc else None), others=others)
    t_end = time.perf_counter()
    assumptions = dict(_ASSUMPTIONS)
    if "window_note" in intercept:
        assumptions["window"] = intercept["window_note"]
    assumptions["kick"] = kick.model_dump()
    assumptions["beta"] = beta.model_dump()
    if sc is not None and sc.fragments.pieces:
        assumptions["pieces"] = sc.fragments.pieces
    return Footprint(n=n, seed=seed, lat=frag["lat"], lon=frag["lon"], territory=terr, impacted=ok,
                     flight_time_s=frag["flight_time_s"], beta_kg_m2=frag["beta_kg_m2"],
                     kick_m_s=frag["kick_m_s"], intercept_s=frag["intercept_s"], shares=shares,
                     shares_ci=ci, cities_at_risk=cities, city_radius_km=radius, payload=payload,
                     stages=stages, intercept=intercept, threat=threat, trace=trace,
                     assumptions=assumptions,
                     timing_s={"threat_and_intercept": t_prep - t_start, "fragments": t_fly - t_prep,
                               "labels_and_cities": t_end - t_fly, "total": t_end - t_start})


def _run_chunks(src: _Source, seed: int, chunks, workers: int, progress) -> list[dict]:
    if workers and workers > 0 and len(chunks) > 1:
        return _run_chunks_dask(src, seed, chunks, workers, progress)
    if len(chunks) == 1:
        part = fly_fragment_chunk(src, seed, *chunks[0])
        if progress is not None:
            progress(chunks[0][1] - chunks[0][0])
        return [part]
    from concurrent.futures import ThreadPoolExecutor

    # two chunks in flight: one's draws, sorting and conversions (NumPy, one core) overlap the
    # other's engine calls, which would otherwise leave both cores idle between chunks
    parts = []
    with ThreadPoolExecutor(2, thread_name_prefix="boostphase-chunk") as pool:
        futs = [pool.submit(fly_fragment_chunk, src, seed, a, b) for a, b in chunks]
        try:
            for (a, b), fut in zip(chunks, futs, strict=True):
                parts.append(fut.result())
                if progress is not None:
                    progress(b - a)  # may raise to cancel: the finally drops the chunks not started
        finally:
            for fut in futs:
                fut.cancel()
    return parts


def _chunk_task(src: _Source, seed: int, a: int, b: int) -> dict:
    return fly_fragment_chunk(src, seed, a, b)


def _run_chunks_dask(src: _Source, seed: int, chunks, workers: int, progress) -> list[dict]:
    import logging

    from dask.distributed import Client, LocalCluster, as_completed

    parts: dict[int, dict] = {}
    with LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        s_fut = client.scatter(src, broadcast=True)
        futs = [client.submit(_chunk_task, s_fut, seed, a, b, pure=False) for a, b in chunks]
        index = {f.key: i for i, f in enumerate(futs)}
        for fut in as_completed(futs):
            i = index[fut.key]
            parts[i] = fut.result()
            fut.release()
            if progress is not None:
                progress(chunks[i][1] - chunks[i][0])
    return [parts[i] for i in range(len(chunks))]


# ------------------------------------------------------------------------------------------
# answering C5
# ------------------------------------------------------------------------------------------

C5_CLAIM = ("If a UAV shoots down a nuclear-armed ICBM headed for the U.S. in its boost phase, "
            "the debris will almost certainly fall on Russian territory.")

RUSSIA = "Russia"
WINDOW_STARTS_S = (60, 90, 120, 150, 180, 210, 240)
"""Window starts (s after launch) for the sensitivity of the Russia share to the assumed window."""


def examples_dir() -> Path:
    """The repository's ``examples/`` folder (scenario files are not installed with the package)."""
    return Path(__file__).resolve().parents[2] / "examples"


def _fmt_t(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 1e-6 else f"{x:.1f}"


def _fmt_intervals(ivs: Sequence[dict], name: str) -> str:
    runs = [f"{_fmt_t(iv['from_s'])}-{_fmt_t(iv['to_s'])} s" for iv in ivs if iv["territory"] == name]
    return ", ".join(runs) if runs else "no cut-off time"


def _fmt_shares(shares: dict[str, float], k: int = 4, skip: str | None = None) -> str:
    items = [(t, s) for t, s in shares.items() if t != skip]
    txt = ", ".join(f"{t} {s:.0%}" for t, s in items[:k])
    rest = sum(s for _, s in items[k:])
    return txt + (f", other {rest:.0%}" if rest > 0.005 else "")


def c5_answer(paths: Sequence[str | Path] | None = None, fragments: int | None = 4_000,
              seed: int | None = None, betas: Sequence[float | None] | None = SWEEP_BETAS) -> list[dict]:
    """Claim C5 checked for each scenario (default: ``examples/c5_*.toml``).

    For each target: the intercept window (from the engagement analysis where the scenario asks
    for it and an orbit can intercept; else the assumed one, said so in ``window_assumption``),
    the territories under the payload's shortfall trace across the window, the share of the
    window landing in Russia (land), the same share counting Russian territorial sea (within 12
    nmi of Russia), a fragment footprint over the window (shares with Wilson intervals), the
    payload shares for each ballistic coefficient of ``betas`` (one batched engine call; None:
    vacuum; empty or None: no table) and verdict strings composed from these computed numbers.
    The claim "holds" for a target when both the payload and the debris land in Russia in at
    least :data:`CLAIM_THRESHOLD` of the cases (the fragment share by the lower end of its
    interval).
    """
    from .geography import distance_to_territory_km

    if paths is None:
        paths = sorted(examples_dir().glob("c5_*.toml"))
        if not paths:
            raise InputError("paths", str(examples_dir()), "a folder with c5_*.toml scenario files")
    answers = []
    for p in paths:
        sc = load_scenario(p)
        fp = footprint(sc, n=fragments, seed=seed, include_payload=True)
        pay = fp.payload
        a, b = fp.intercept["from_s"], fp.intercept["to_s"]
        ivs = pay["intervals"]
        share = pay["share_of_window"]
        ru_pay = share.get(RUSSIA, 0.0)
        # generous reading: sea points within 12 nmi of Russia count as Russian (territorial sea)
        imp = pay["impacts"]
        plat = np.array([x["lat"] for x in imp])
        plon = np.array([x["lon"] for x in imp])
        near_ru = distance_to_territory_km(plat, plon, RUSSIA) <= TERRITORIAL_SEA_KM
        ivs_ts = territory_intervals([x["intercept_s"] for x in imp],
                                     np.where(near_ru, RUSSIA, "elsewhere"))
        ru_pay_ts = share_of_window(ivs_ts, a, b).get(RUSSIA, 0.0) if len(imp) > 1 else float(near_ru[0])
        ru_frag = fp.shares.get(RUSSIA, 0.0)
        ru_ci = fp.shares_ci.get(RUSSIA, list(map(float, wilson_interval(0, fp.n))))
        holds = ru_pay >= CLAIM_THRESHOLD and ru_ci[0] >= CLAIM_THRESHOLD
        tgt_name = sc.title or Path(p).stem
        ru_runs = _fmt_intervals(ivs, RUSSIA)
        src = fp.intercept.get("window_source", "assumed")
        note = fp.intercept.get("window_note", _ASSUMPTIONS["window"])
        verdict = (
            f"{tgt_name}: the claim {'HOLDS' if holds else 'does NOT hold'}. "
            f"With thrust cut at a time spread evenly over {a:.0f}-{b:.0f} s after launch ("
            f"{'earliest intercept of the engagement analysis to burnout' if src == 'engagement' else 'an assumed window' if src == 'assumed' else 'the scenario window'}), the intact "
            f"payload lands in Russia for {ru_pay:.0%} of the window (cut-offs at {ru_runs}); "
            f"counting Russia's 12-nmi territorial sea, {ru_pay_ts:.0%}. Elsewhere it lands in: "
            f"{_fmt_shares(share, skip=RUSSIA) or 'nowhere else'}. Booster fragments "
            f"(n={fp.n}) land in Russia in {ru_frag:.0%} of cases (95 % CI {ru_ci[0]:.0%}-{ru_ci[1]:.0%})."
        )
        sequence = " -> ".join(f"{iv['territory']} ({_fmt_t(iv['from_s'])}-{_fmt_t(iv['to_s'])} s)" for iv in ivs)
        # how the answer moves with the start of the window
        by_start = {}
        for t0 in WINDOW_STARTS_S:
            if a <= t0 < b:
                by_start[f"{t0:g}"] = share_of_window(ivs, t0, b).get(RUSSIA, 0.0)
        plain = (f"For {tgt_name}, the intercept window is {a:.0f}-{b:.0f} s after launch ({note}). "
                 f"The payload lands on Russian land only if the boost is cut at {ru_runs}. "
                 f"Across the window the impact point runs: {sequence}.")
        if by_start:
            why = ("it depends on the laydown, the interceptor and the delays" if src == "engagement"
                   else "the window is an assumption")
            plain += (f" The start matters ({why}); Russia's share of the payload impacts if the window opened "
                      "at: " + ", ".join(f"{k} s {v:.0%}" for k, v in by_start.items()) + ".")
        sweep = []
        if betas and len(imp) >= 1:
            th = fp.threat
            sweep = beta_sensitivity(resolve_missile(sc.threat.missile, sc.threat.payload_kg),
                                     (th["launch"]["lat"], th["launch"]["lon"]), th["azimuth_deg"], th["kick_deg"],
                                     [x["intercept_s"] for x in imp], (a, b), betas)
            for row in sweep:
                row["russia_share"] = row["share_of_window"].get(RUSSIA, 0.0)
            plain += (" The payload's ballistic coefficient is an assumption; Russia's share of the window: "
                      + ", ".join(f"{r['russia_share']:.0%} at {r['label']}" for r in sweep) + ".")
        answers.append({
            "scenario": str(p), "title": sc.title, "threat": fp.threat, "window_s": [a, b],
            "window_assumption": note, "window_source": src, "engagement": fp.intercept.get("engagement"),
            "beta_sweep": sweep,
            "territories": ivs, "share_of_window": share, "payload_impacts": imp, "russia_share": ru_pay,
            "russia_share_with_territorial_sea": ru_pay_ts, "russia_share_by_window_start_s": by_start,
            "fragments": {"n": fp.n, "seed": fp.seed, "shares": fp.shares, "shares_ci": fp.shares_ci,
                          "russia_share": ru_frag, "russia_ci": ru_ci},
            "stages": fp.stages, "cities_at_risk": fp.cities_at_risk[:10],
            "claim_holds": bool(holds), "verdict": verdict, "plain": plain, "sequence": sequence,
            "threshold": CLAIM_THRESHOLD,
        })
    return answers


def c5_summary(answers: Sequence[dict]) -> str:
    """One paragraph over all targets, composed from :func:`c5_answer`'s numbers."""
    held = [a["title"] for a in answers if a["claim_holds"]]
    failed = [a["title"] for a in answers if not a["claim_holds"]]
    ru = ", ".join(f"{a['title']} {a['russia_share']:.0%}" for a in answers)
    txt = f'Claim C5 ("{C5_CLAIM}"): share of the intercept window putting the payload on Russian land: {ru}. '
    by_src: dict[str, list[str]] = {}
    for a in answers:
        by_src.setdefault(a.get("window_source", "assumed"), []).append(a["title"])
    words = {"engagement": "from the engagement analysis (earliest intercept of the UAV laydown to burnout)",
             "assumed": f"assumed ({DEFAULT_WINDOW_START_S:g} s after launch to burnout)",
             "scenario": "given in the scenario", "time": "a fixed intercept time"}
    txt += "Windows: " + "; ".join(f"{words.get(k, k)} for {', '.join(v)}" for k, v in by_src.items()) + ". "
    if failed and not held:
        txt += "The claim does not hold for any of these targets."
    elif held and not failed:
        txt += "The claim holds for all of these targets."
    else:
        txt += f"It holds for {', '.join(held)} and not for {', '.join(failed)}."
    return txt


def scenario_dict(sc: Scenario) -> dict[str, Any]:
    """The validated scenario as plain data (SI units)."""
    return sc.model_dump()
