"""What one case of a sweep is: a ballistic coast or a catalog missile's flyout (the engine runs a chunk of them at once)."""


from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..limits import (
    AZIMUTH_DEG,
    BETA_KG_M2,
    FLIGHT_PATH_DEG,
    LAT_DEG,
    LON_DEG,
    SPEED_M_S,
    START_ALT_M,
)
from .common import REQUIRED

# ------------------------------------------------------------------------------------------
# kinds of case
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldSpec:
    """One input field of a kind of case."""

    unit: str                    # pint unit values are converted to ("" for text and flags)
    attr_unit: str               # unit written into the dataset attributes
    lo: float | None = None
    hi: float | None = None
    type: str = "float"          # "float", "str" or "bool"
    grid: bool = True            # may be a dimension of the grid
    default: object = REQUIRED
    choices: tuple[str, ...] | Callable[[], list[str]] = ()
    none_word: str | None = None  # a word meaning "none" (NaN), e.g. "vacuum"
    doc: str = ""
    other: Callable[[str, str], str] | None = None  # (field, value) -> value for text outside choices

    def allowed_choices(self) -> list[str]:
        c = self.choices
        return list(c() if callable(c) else c)


@dataclass(frozen=True)
class OutputSpec:
    unit: str
    doc: str
    dtype: str = "float64"


@dataclass(frozen=True)
class Kind:
    name: str
    doc: str
    fields: dict[str, FieldSpec]
    outputs: dict[str, OutputSpec]
    run: Callable[[dict, int], dict[str, np.ndarray]]


def _earth(cases: dict):
    from ..models.earth import earth_model

    return earth_model(str(cases["earth"]), rotation=bool(cases["rotation"]))


def _run_coast(cases: dict, n: int) -> dict[str, np.ndarray]:
    from ..flight.flyout import coast

    beta = np.asarray(cases["beta"], float)
    res = coast(cases["lat"], cases["lon"], cases["alt"], cases["speed"], cases["flight_path"],
                cases["azimuth"], beta_kg_m2=None if np.all(np.isnan(beta)) else beta,
                earth=_earth(cases), t_max_s=float(cases["t_max"]), rtol=float(cases["rtol"]))
    return {"range": res.range_m, "apogee": res.apogee_m, "flight_time": res.flight_time_s,
            "impact_lat": res.impact_lat_deg, "impact_lon": res.impact_lon_deg,
            "impact_speed": res.impact_speed_m_s, "impacted": res.impacted,
            "n_steps": res.n_steps}


_COMMON = {
    "lat": FieldSpec("deg", "deg", LAT_DEG.lo, LAT_DEG.hi, doc="latitude (geodetic)"),
    "lon": FieldSpec("deg", "deg", LON_DEG.lo, LON_DEG.hi, doc="longitude"),
}
_SETTINGS = {
    "earth": FieldSpec("", "", type="str", grid=False, default="wgs84", choices=("wgs84", "sphere"),
                       doc="wgs84 (J2, rotating) or sphere (point mass, no rotation)"),
    "rotation": FieldSpec("", "", type="bool", grid=False, default=True,
                          doc="include the Earth's rotation (wgs84 only)"),
}

COAST = Kind(
    name="coast",
    doc="a free ballistic body from a given state to impact (altitude 0)",
    fields={
        **_COMMON,
        "alt": FieldSpec("m", "m", START_ALT_M.lo, START_ALT_M.hi, default=0.0, doc="start altitude above the ellipsoid"),
        "speed": FieldSpec("m/s", "m/s", SPEED_M_S.lo, SPEED_M_S.hi, doc="speed relative to the ground"),
        "flight_path": FieldSpec("deg", "deg", FLIGHT_PATH_DEG.lo, FLIGHT_PATH_DEG.hi, doc="angle above the local horizontal"),
        "azimuth": FieldSpec("deg", "deg", AZIMUTH_DEG.lo, AZIMUTH_DEG.hi, doc="heading, clockwise from north"),
        "beta": FieldSpec("kg/m**2", "kg/m^2", BETA_KG_M2.lo, BETA_KG_M2.hi, default=math.nan, none_word="vacuum",
                          doc="ballistic coefficient m/(Cd A); 'vacuum' for none"),
        **_SETTINGS,
        "t_max": FieldSpec("s", "s", 1, 1e7, grid=False, default=2.0e5, doc="time limit per case"),
        "rtol": FieldSpec("", "1", 1e-14, 1e-3, grid=False, default=1e-10,
                          doc="integrator relative tolerance"),
    },
    outputs={
        "range": OutputSpec("m", "surface geodesic distance from start to impact (NaN if no impact)"),
        "apogee": OutputSpec("m", "highest geodetic altitude reached"),
        "flight_time": OutputSpec("s", "time from start to impact (NaN if no impact)"),
        "impact_lat": OutputSpec("deg", "impact latitude (geodetic; NaN if no impact)"),
        "impact_lon": OutputSpec("deg", "impact longitude (NaN if no impact)"),
        "impact_speed": OutputSpec("m/s", "speed relative to the ground at impact (NaN if no impact)"),
        "impacted": OutputSpec("1", "False where the time limit ran out first (e.g. orbital)", "bool"),
        "n_steps": OutputSpec("1", "accepted integration steps", "int64"),
    },
    run=_run_coast,
)


def _catalog_names() -> list[str]:
    from ..models.vehicles import catalog_names

    return catalog_names()


def _vehicle_file(fld: str, value: str) -> str:
    """A missile that is not a catalog name: a vehicle TOML file, checked by loading it; its
    absolute path is the case's value (the file's content enters the sweep's fingerprint)."""
    from ..models.vehicles import catalog_names, load, looks_like_vehicle_file

    if not looks_like_vehicle_file(value):
        raise InputError(fld, value, ", ".join(catalog_names()) + ", or a path to a vehicle TOML file")
    load(value)
    return str(Path(value.strip()).expanduser().resolve())


def vehicle_file_digests(spec) -> dict[str, str]:
    """SHA-256 of each vehicle file a sweep names (edited files must not reuse old chunks)."""
    from ..models.vehicles import looks_like_vehicle_file

    vals = [spec.fixed.get("missile"), *list(spec.grid.get("missile", []))]
    return {v: hashlib.sha256(Path(v).read_bytes()).hexdigest() for v in vals
            if isinstance(v, str) and looks_like_vehicle_file(v) and Path(v).is_file()}


def _run_flyout(cases: dict, n: int) -> dict[str, np.ndarray]:
    """Flyouts with a given kick angle: cases are grouped by (missile, payload, launch point)
    and each group is one batched engine call over its azimuths and kicks."""
    from ..flight.flyout import Flyer, Steering
    from ..models.vehicles import load

    earth = _earth(cases)
    names = np.asarray(cases["missile"], dtype=object)
    payload = np.asarray(cases["payload"], float)
    lat, lon, alt = (np.asarray(cases[k], float) for k in ("lat", "lon", "alt"))
    az, kick = np.asarray(cases["azimuth"], float), np.asarray(cases["kick"], float)
    out = {k: np.full(n, np.nan) for k in FLYOUT.outputs}
    out["impacted"] = np.zeros(n, bool)
    out["n_steps"] = np.zeros(n, np.int64)
    groups: dict[tuple, list[int]] = {}
    for i in range(n):
        groups.setdefault((names[i], payload[i], lat[i], lon[i], alt[i]), []).append(i)
    for (name, pay, la, lo, al), idx in groups.items():
        missile = load(str(name))
        if not math.isnan(pay):
            missile = missile.with_payload(float(pay))
        idx = np.asarray(idx)
        res = Flyer(missile, float(la), float(lo), float(al), Steering(), earth).run(az[idx], kick[idx])
        bo = res["burnout_state"]
        blat, blon, balt = earth.ecef_to_geodetic(bo[:, :3])
        _, _, up = earth.enu_basis(blat, blon)
        bspd = np.linalg.norm(bo[:, 3:], axis=1)
        out["range"][idx] = res["range_m"]
        out["apogee"][idx] = res["apogee_alt"]
        miss = np.where(res["impacted"], 0.0, np.nan)  # no impact: no time, no impact point
        out["flight_time"][idx] = res["t"] + miss
        out["impact_lat"][idx] = res["impact_lat"] + miss
        out["impact_lon"][idx] = res["impact_lon"] + miss
        out["impacted"][idx] = res["impacted"]
        out["burnout_time"][idx] = res["t_bo"]
        out["burnout_alt"][idx] = balt
        out["burnout_speed"][idx] = bspd
        out["burnout_flight_path"][idx] = np.degrees(np.arcsin(np.sum(bo[:, 3:] * up, axis=-1) / bspd))
        out["n_steps"][idx] = res["n_steps"]
    return out


FLYOUT = Kind(
    name="flyout",
    doc="a catalog missile flown with a given kick angle (gravity turn through every stage)",
    fields={
        "missile": FieldSpec("", "", type="str", choices=_catalog_names, other=_vehicle_file,
                             doc="catalog name, or path to a vehicle TOML file (relative to the sweep file)"),
        "payload": FieldSpec("kg", "kg", 1, 1e5, default=math.nan, none_word="catalog",
                             doc="payload mass; 'catalog' for the catalog's value"),
        **_COMMON,
        "alt": FieldSpec("m", "m", -500, 1e4, default=0.0, doc="launch altitude"),
        "azimuth": FieldSpec("deg", "deg", AZIMUTH_DEG.lo, AZIMUTH_DEG.hi, doc="launch azimuth, clockwise from north"),
        "kick": FieldSpec("deg", "deg", 0, 89, doc="pitch-over (kick) angle from the vertical"),
        **_SETTINGS,
    },
    outputs={
        "range": OutputSpec("m", "surface distance from launch to impact (NaN if no impact)"),
        "apogee": OutputSpec("m", "highest geodetic altitude reached"),
        "flight_time": OutputSpec("s", "time from launch to impact (NaN if no impact)"),
        "impact_lat": OutputSpec("deg", "impact latitude (geodetic; NaN if no impact)"),
        "impact_lon": OutputSpec("deg", "impact longitude (NaN if no impact)"),
        "impacted": OutputSpec("1", "False where the time limit ran out first (e.g. orbital)", "bool"),
        "burnout_time": OutputSpec("s", "last-stage burnout time after launch"),
        "burnout_alt": OutputSpec("m", "altitude at burnout"),
        "burnout_speed": OutputSpec("m/s", "speed relative to the ground at burnout"),
        "burnout_flight_path": OutputSpec("deg", "flight-path angle at burnout"),
        "n_steps": OutputSpec("1", "accepted integration steps", "int64"),
    },
    run=_run_flyout,
)

KINDS: dict[str, Kind] = {k.name: k for k in (COAST, FLYOUT)}
