"""Parameter sweeps: a grid over scenario fields, run in chunks on dask.distributed, resumable.

A sweep is described by a TOML file::

    kind = "coast"              # what one case is: "coast" (a free ballistic body) or "flyout"
    name = "speed-by-angle"     # optional, written into the dataset's attributes
    chunk = 4096                # cases per task (>= 1000; each task is one batched engine call)
    seed = 1                    # optional; only used by [dispersion]

    [fixed]                     # one value for every case (numbers are taken in SI / degrees)
    lat = 39.0
    lon = "125.7 deg"
    alt = "0 km"
    azimuth = 90
    beta = "vacuum"             # or e.g. "5000 kg/m^2"

    [grid]                      # the dimensions of the result, in this order
    speed = {from = "2 km/s", to = "7 km/s", n = 51}       # linspace, both ends included
    flight_path = [20, 30, "45 deg"]                        # an explicit list
    # also {from=..., to=..., step=...} (both ends included when they fall on the step)
    # and {from=..., to=..., n=..., spacing="log"}

    [dispersion]                # optional Monte Carlo: a "sample" dimension is added last
    samples = 100
    speed = "20 m/s"            # one-sigma normal perturbation of each case's value

How it runs
-----------
* The grid (C order over the dimensions as written, then ``sample``) is cut into chunks of
  ``chunk`` consecutive cases. A chunk is one task; it calls the batched engine once.
* Tasks run on a ``LocalCluster`` of worker *processes* (``threads_per_worker=1``), or on an
  existing scheduler given by address; ``workers=0`` runs the same chunks serially in this
  process (the reference the distributed run must equal exactly).
* Finished chunks come back to the client, which writes each one to ``OUT/chunks/`` through a
  temporary file and an atomic rename. Workers need no shared file system. A re-run after a
  crash or Ctrl-C loads what is there and computes only the missing chunks; since every chunk
  is a pure function of (spec, chunk index), the final dataset equals an uninterrupted run.
  ``OUT/sweep.json`` holds the fingerprint of the spec (and package version): a different
  sweep refuses to mix its chunks with these.
* Randomness (dispersion only) is derived from (seed, case index) alone, so it does not
  depend on chunking, on the worker or on the order of completion.
* A worker that dies mid-task (killed, out of memory) loses no chunk: the scheduler reruns its
  tasks elsewhere (``retries`` also covers exceptions), and the client writes each chunk once.
* The result is an :class:`xarray.Dataset` with the grid fields as named dimensions, units in
  ``attrs``, written to ``OUT/result.zarr`` (through a temporary folder and a rename).

Workers need no warm-up: the engine is compiled C, built with the package.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import __version__
from .errors import InputError

MIN_CHUNK = 1000
DEFAULT_CHUNK = 4096
MAX_CHUNK = 1_000_000
MAX_CASES = 2**31
RESULT_NAME = "result.zarr"

_REQUIRED = object()


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
    default: object = _REQUIRED
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
    from .earth import earth_model

    return earth_model(str(cases["earth"]), rotation=bool(cases["rotation"]))


def _run_coast(cases: dict, n: int) -> dict[str, np.ndarray]:
    from .flight import coast

    beta = np.asarray(cases["beta"], float)
    res = coast(cases["lat"], cases["lon"], cases["alt"], cases["speed"], cases["flight_path"],
                cases["azimuth"], beta_kg_m2=None if np.all(np.isnan(beta)) else beta,
                earth=_earth(cases), t_max_s=float(cases["t_max"]), rtol=float(cases["rtol"]))
    return {"range": res.range_m, "apogee": res.apogee_m, "flight_time": res.flight_time_s,
            "impact_lat": res.impact_lat_deg, "impact_lon": res.impact_lon_deg,
            "impact_speed": res.impact_speed_m_s, "impacted": res.impacted,
            "n_steps": res.n_steps}


_COMMON = {
    "lat": FieldSpec("deg", "deg", -90, 90, doc="latitude (geodetic)"),
    "lon": FieldSpec("deg", "deg", -360, 360, doc="longitude"),
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
        "alt": FieldSpec("m", "m", -1e4, 5e7, default=0.0, doc="start altitude above the ellipsoid"),
        "speed": FieldSpec("m/s", "m/s", 0, 2e4, doc="speed relative to the ground"),
        "flight_path": FieldSpec("deg", "deg", -90, 90, doc="angle above the local horizontal"),
        "azimuth": FieldSpec("deg", "deg", -360, 360, doc="heading, clockwise from north"),
        "beta": FieldSpec("kg/m**2", "kg/m^2", 1e-3, 1e7, default=math.nan, none_word="vacuum",
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
    from .vehicles import catalog_names

    return catalog_names()


def _vehicle_file(fld: str, value: str) -> str:
    """A missile that is not a catalog name: a vehicle TOML file, checked by loading it; its
    absolute path is the case's value (the file's content enters the sweep's fingerprint)."""
    from .vehicles import catalog_names, load, looks_like_vehicle_file

    if not looks_like_vehicle_file(value):
        raise InputError(fld, value, ", ".join(catalog_names()) + ", or a path to a vehicle TOML file")
    load(value)
    return str(Path(value.strip()).expanduser().resolve())


def _vehicle_file_digests(spec) -> dict[str, str]:
    """SHA-256 of each vehicle file a sweep names (edited files must not reuse old chunks)."""
    from .vehicles import looks_like_vehicle_file

    vals = [spec.fixed.get("missile"), *list(spec.grid.get("missile", []))]
    return {v: hashlib.sha256(Path(v).read_bytes()).hexdigest() for v in vals
            if isinstance(v, str) and looks_like_vehicle_file(v) and Path(v).is_file()}


def _run_flyout(cases: dict, n: int) -> dict[str, np.ndarray]:
    """Flyouts with a given kick angle: cases are grouped by (missile, payload, launch point)
    and each group is one batched engine call over its azimuths and kicks."""
    from .flight import Flyer, Steering
    from .vehicles import load

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
        "azimuth": FieldSpec("deg", "deg", -360, 360, doc="launch azimuth, clockwise from north"),
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


# ------------------------------------------------------------------------------------------
# the spec
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class SweepSpec:
    """A validated sweep: SI values, ordered dimensions. Build with :func:`load_spec`/:func:`parse_spec`."""

    kind: str
    name: str
    fixed: dict[str, object]
    grid: dict[str, np.ndarray]            # dimension name -> coordinate values (SI or text)
    dispersion: dict[str, float] = field(default_factory=dict)  # field -> one-sigma (SI)
    samples: int = 0
    seed: int = 0
    chunk: int = DEFAULT_CHUNK
    source: dict = field(default_factory=dict)  # the TOML as read (JSON-able), for records

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(self.grid) + (("sample",) if self.samples else ())

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.grid.values()) + ((self.samples,) if self.samples else ())

    @property
    def n_cases(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def n_chunks(self) -> int:
        return -(-self.n_cases // self.chunk)

    def chunk_range(self, k: int) -> tuple[int, int]:
        return k * self.chunk, min(self.n_cases, (k + 1) * self.chunk)

    def fingerprint(self, code: bool = True) -> str:
        """SHA-256 of everything that determines the results (with the package version and a
        digest of its code)."""
        h = hashlib.sha256()
        head = {"kind": self.kind, "fixed": {k: _jsonable(v) for k, v in self.fixed.items()},
                "dims": list(self.dims), "dispersion": self.dispersion, "samples": self.samples,
                "seed": self.seed, "chunk": self.chunk, "version": __version__,
                "code": code_digest() if code else None}
        if self.kind == "flyout" and _vehicle_file_digests(self):
            head["vehicle_files"] = _vehicle_file_digests(self)
        h.update(json.dumps(head, sort_keys=True).encode())
        for k, v in self.grid.items():
            h.update(k.encode())
            h.update(np.asarray(v).astype(str if v.dtype == object else v.dtype).tobytes())
        return h.hexdigest()

    def cases(self, start: int, stop: int) -> dict[str, object]:
        """Input values of cases [start, stop): arrays for every grid-able field, scalars for
        settings. Dispersed fields get their per-case draws (from (seed, case index) only)."""
        kind = KINDS[self.kind]
        idx = np.arange(start, stop, dtype=np.int64)
        m = len(idx)
        sub = np.unravel_index(idx, self.shape) if self.shape else ()
        out: dict[str, object] = {}
        for name, fs in kind.fields.items():
            if name in self.grid:
                out[name] = self.grid[name][sub[self.dims.index(name)]]
            elif fs.grid:
                v = self.fixed[name]
                out[name] = np.full(m, v, dtype=object if fs.type == "str" else float)
            else:
                out[name] = self.fixed[name]
        if self.dispersion:
            names = sorted(self.dispersion)
            draws = case_normals(self.seed, idx, len(names))
            for j, name in enumerate(names):
                out[name] = np.asarray(out[name], float) + self.dispersion[name] * draws[:, j]
        return out


# modules that only present results; editing them does not invalidate computed chunks
_PRESENTATION = ("web", "plots.py", "store.py", "export.py", "__main__.py")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 (first 16 hex digits) of the package's computing sources and catalog (not the
    CLI, web or plotting modules): results of different code are never mixed in one folder."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted([*root.rglob("*.py"), *root.glob("catalog/*.toml")]):
        rel = p.relative_to(root)
        if rel.parts[0] in _PRESENTATION or rel.name.startswith(("cli", "demo")):
            continue
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def case_normals(seed: int, case_index: np.ndarray, k: int) -> np.ndarray:
    """(len(case_index), k) standard normals; row i depends only on (seed, case_index[i])."""
    out = np.empty((len(case_index), k))
    for r, i in enumerate(case_index):
        out[r] = np.random.default_rng([int(seed), int(i)]).standard_normal(k)
    return out


def _jsonable(v):
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, np.generic):
        return v.item()
    return v


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """Read and validate a SWEEP.toml; bad values raise InputError naming the field."""
    from .scenario.files import load_toml
    from .vehicles import resolve_vehicle_ref

    data = load_toml("SWEEP.toml", path)
    for section in ("fixed", "grid"):  # vehicle files named relative to the sweep file
        tab = data.get(section)
        if isinstance(tab, dict) and "missile" in tab:
            m = tab["missile"]
            tab["missile"] = ([resolve_vehicle_ref(x, Path(path).parent) for x in m] if isinstance(m, list)
                              else resolve_vehicle_ref(m, Path(path).parent))
    return parse_spec(data)


_TOP_KEYS = ("kind", "name", "chunk", "seed", "fixed", "grid", "dispersion")


def parse_spec(data: dict) -> SweepSpec:
    """Validate a sweep given as a mapping (the TOML's content)."""
    if not isinstance(data, dict):
        raise InputError("sweep", type(data).__name__, "a table of " + ", ".join(_TOP_KEYS))
    for key in data:
        if key not in _TOP_KEYS:
            raise InputError(key, data[key], "a known key: " + ", ".join(_TOP_KEYS))
    kname = data.get("kind")
    if kname not in KINDS:
        raise InputError("kind", kname, " or ".join(repr(k) for k in KINDS))
    kind = KINDS[kname]
    name = data.get("name", kname)
    if not isinstance(name, str):
        raise InputError("name", name, "a text")
    chunk = _int_field("chunk", data.get("chunk", DEFAULT_CHUNK), MIN_CHUNK, MAX_CHUNK)
    seed = _int_field("seed", data.get("seed", 0), 0, 2**63 - 1)
    fixed_in = _table(data, "fixed")
    grid_in = _table(data, "grid")
    disp_in = dict(_table(data, "dispersion"))

    for section, table in (("fixed", fixed_in), ("grid", grid_in)):
        for key in table:
            if key not in kind.fields:
                raise InputError(f"{section}.{key}", table[key],
                                 f"a field of a {kname} case: " + ", ".join(kind.fields))
    fixed: dict[str, object] = {}
    grid: dict[str, np.ndarray] = {}
    for fname, fs in kind.fields.items():
        if fname in fixed_in and fname in grid_in:
            raise InputError(f"grid.{fname}", grid_in[fname], f"a field not also in [fixed] (fixed.{fname})")
        if fname in grid_in:
            if not fs.grid:
                raise InputError(f"grid.{fname}", grid_in[fname], "a fixed value (put it in [fixed])")
            grid[fname] = _grid_values(f"grid.{fname}", grid_in[fname], fs)
        elif fname in fixed_in:
            fixed[fname] = _value(f"fixed.{fname}", fixed_in[fname], fs)
        elif fs.default is _REQUIRED:
            raise InputError(f"fixed.{fname}", None, f"a value in [fixed] or [grid] ({fs.doc})")
        else:
            fixed[fname] = fs.default
    # keep the order the grid was written in
    grid = {k: grid[k] for k in grid_in}

    samples = 0
    dispersion: dict[str, float] = {}
    if disp_in:
        samples = _int_field("dispersion.samples", disp_in.pop("samples", None), 1, 10**7)
        if not disp_in:
            raise InputError("dispersion", None, "at least one field with a one-sigma value")
        for key, val in disp_in.items():
            fs = kind.fields.get(key)
            if fs is None or fs.type != "float" or not fs.grid:
                ok = [k for k, f in kind.fields.items() if f.type == "float" and f.grid]
                raise InputError(f"dispersion.{key}", val, "a numeric field: " + ", ".join(ok))
            dispersion[key] = _quantity(f"dispersion.{key}", val, fs.unit, 0, None)
    spec = SweepSpec(kind=kname, name=name, fixed=fixed, grid=grid, dispersion=dispersion,
                     samples=samples, seed=seed, chunk=chunk, source=_json_safe(data))
    if spec.n_cases > MAX_CASES:
        raise InputError("grid", spec.n_cases, f"at most {MAX_CASES:,} cases in one sweep")
    return spec


def _json_safe(obj):
    return json.loads(json.dumps(obj, default=str))


def _table(data: dict, key: str) -> dict:
    val = data.get(key, {})
    if not isinstance(val, dict):
        raise InputError(key, val, f"a table [{key}]")
    return val


def _int_field(fld: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InputError(fld, value, f"a whole number from {lo:,} to {hi:,}")
    return int(value)


def _quantity(fld: str, value, unit: str, lo, hi) -> float:
    from .units import quantity

    return quantity(fld, value, unit or "", lo, hi)


def _value(fld: str, value, fs: FieldSpec):
    """One value of a field, validated and converted (SI floats, text or flags)."""
    if fs.type == "bool":
        if not isinstance(value, bool):
            raise InputError(fld, value, "true or false")
        return value
    if fs.type == "str":
        if not isinstance(value, str):
            raise InputError(fld, value, "a text")
        choices = fs.allowed_choices()
        key = value.strip().lower()
        if choices and key not in choices:
            if fs.other is not None:
                return fs.other(fld, value)
            raise InputError(fld, value, ", ".join(choices))
        return key
    if fs.none_word is not None and isinstance(value, str) and value.strip().lower() == fs.none_word:
        return math.nan
    return _quantity(fld, value, fs.unit, fs.lo, fs.hi)


def _grid_values(fld: str, value, fs: FieldSpec) -> np.ndarray:
    if isinstance(value, list):
        if not value:
            raise InputError(fld, value, "a non-empty list")
        vals = [_value(f"{fld}[{i}]", v, fs) for i, v in enumerate(value)]
        return np.array(vals, dtype=object) if fs.type == "str" else np.array(vals, float)
    if isinstance(value, dict):
        if fs.type != "float":
            raise InputError(fld, value, "a list of values")
        keys = set(value)
        allowed = ({"from", "to", "n"}, {"from", "to", "n", "spacing"}, {"from", "to", "step"})
        if keys not in allowed:
            raise InputError(fld, value, "{from=..., to=..., n=...} or {from=..., to=..., step=...}")
        a = _quantity(f"{fld}.from", value["from"], fs.unit, fs.lo, fs.hi)
        b = _quantity(f"{fld}.to", value["to"], fs.unit, fs.lo, fs.hi)
        if "step" in keys:
            step = _quantity(f"{fld}.step", value["step"], fs.unit, None, None)
            if step == 0 or (b - a) * step < 0:
                raise InputError(f"{fld}.step", value["step"], "a non-zero step that leads from 'from' to 'to'")
            m = int(math.floor((b - a) / step * (1 + 1e-12) + 1e-9)) + 1
            if m > MAX_CASES:
                raise InputError(f"{fld}.step", value["step"], "a step giving fewer values")
            return a + step * np.arange(m)
        n = _int_field(f"{fld}.n", value["n"], 1, 10**8)
        spacing = value.get("spacing", "linear")
        if spacing == "log":
            if a <= 0 or b <= 0:
                raise InputError(f"{fld}.from", value["from"], "> 0 with spacing = 'log'")
            return np.geomspace(a, b, n)
        if spacing != "linear":
            raise InputError(f"{fld}.spacing", spacing, "'linear' or 'log'")
        return np.linspace(a, b, n)
    raise InputError(fld, value, "a list or a range {from=..., to=..., n=...} (single values go in [fixed])")


# ------------------------------------------------------------------------------------------
# one chunk (runs on a worker)
# ------------------------------------------------------------------------------------------

class ChunkInputError(Exception):
    """An input error raised inside a task, in a form that pickles (InputError's args don't)."""

    def __init__(self, field: str, value: object, allowed: str):
        super().__init__(field, value, allowed)
        self.field, self.value, self.allowed = field, value, allowed


def compute_chunk(spec: SweepSpec, k: int) -> dict[str, np.ndarray]:
    """Results of chunk ``k`` (one batched engine call). Pure: same inputs, same bits (the
    engine's result for a case depends on that case alone, whatever the chunk)."""
    start, stop = spec.chunk_range(k)
    m = stop - start
    cases = spec.cases(start, stop)
    kind = KINDS[spec.kind]
    try:
        res = kind.run(cases, m)
    except InputError as e:
        value = e.value if isinstance(e.value, str | int | float | None) else repr(e.value)
        raise ChunkInputError(e.field, value, e.allowed) from None
    out = {name: np.asarray(res[name])[:m].astype(o.dtype) for name, o in kind.outputs.items()}
    for name in spec.dispersion:
        out[f"{name}_value"] = np.asarray(cases[name], float)
    return out


def _task(spec: SweepSpec, k: int):
    """What a dask task runs: a bad input comes back as a value (no retries, no worker log)."""
    try:
        return "ok", compute_chunk(spec, k)
    except ChunkInputError as e:
        return "input-error", (e.field, e.value, e.allowed)


# ------------------------------------------------------------------------------------------
# persistence of chunks
# ------------------------------------------------------------------------------------------

def _chunk_path(out: Path, k: int) -> Path:
    return out / "chunks" / f"c{k:07d}.npz"


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_chunk(out: Path, k: int, fingerprint: str, arrays: dict[str, np.ndarray]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, _fingerprint=np.array(fingerprint), _chunk=np.array(k), **arrays)

    _write_atomic(_chunk_path(out, k), write)


def load_chunk(out: Path, k: int, fingerprint: str, n: int, names) -> dict[str, np.ndarray] | None:
    """A persisted chunk, or None if it is missing, from another sweep, or unreadable."""
    p = _chunk_path(out, k)
    if not p.is_file():
        return None
    try:
        with np.load(p, allow_pickle=False) as z:
            if str(z["_fingerprint"]) != fingerprint or int(z["_chunk"]) != k:
                return None
            arrays = {name: z[name] for name in names}
    except Exception:  # a damaged file is simply recomputed
        return None
    if any(a.shape != (n,) for a in arrays.values()):
        return None
    return arrays


def _output_names(spec: SweepSpec) -> list[str]:
    return list(KINDS[spec.kind].outputs) + [f"{n}_value" for n in spec.dispersion]


# ------------------------------------------------------------------------------------------
# the sweep
# ------------------------------------------------------------------------------------------

@dataclass
class SweepResult:
    dataset: object               # xarray.Dataset
    path: Path                    # the written dataset (OUT/result.zarr)
    n_chunks: int
    computed: list[int]           # chunk indices computed in this run (each once)
    reused: int                   # chunks loaded from OUT/chunks
    timings: dict[str, float]

    def summary(self) -> dict:
        ds = self.dataset
        return {
            "path": str(self.path), "kind": ds.attrs["kind"], "name": ds.attrs["name"],
            "dims": {d: int(s) for d, s in ds.sizes.items()}, "n_cases": int(ds.attrs["n_cases"]),
            "n_chunks": self.n_chunks, "computed_chunks": len(self.computed),
            "reused_chunks": self.reused, "sha256": dataset_digest(ds),
            "timings_s": self.timings,
            "outputs": {name: _var_summary(ds[name]) for name in ds.data_vars},
        }


def _var_summary(da) -> dict:
    a = np.asarray(da.values)
    if a.dtype == bool:
        return {"true": int(a.sum()), "false": int(a.size - a.sum())}
    a = a.astype(float)
    ok = np.isfinite(a)
    if not ok.any():
        return {"min": None, "max": None, "mean": None, "nan": int(a.size)}
    return {"min": float(a[ok].min()), "max": float(a[ok].max()), "mean": float(a[ok].mean()),
            "nan": int(a.size - ok.sum()), "unit": da.attrs.get("units", "")}


def dataset_digest(ds) -> str:
    """SHA-256 over the coordinates and data (names, dtypes, shapes, bytes) of a dataset."""
    h = hashlib.sha256()
    for name in sorted(ds.variables):
        a = np.asarray(ds[name].values)
        if a.dtype == object or a.dtype.kind == "U":
            a = a.astype(str).astype(object)
            b = "\x1f".join(a.ravel().tolist()).encode()
        else:
            b = np.ascontiguousarray(a).tobytes()
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(b)
    return h.hexdigest()


def _prepare_out(spec: SweepSpec, out: Path, fresh: bool) -> dict:
    fp = spec.fingerprint()
    manifest_path = out / "sweep.json"
    if fresh and out.exists():
        shutil.rmtree(out / "chunks", ignore_errors=True)
        shutil.rmtree(out / RESULT_NAME, ignore_errors=True)
        manifest_path.unlink(missing_ok=True)
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "a folder")
    if manifest_path.is_file():
        try:
            old = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            old = {}
        if old.get("fingerprint") != fp:
            if old.get("spec_fingerprint") == spec.fingerprint(code=False):
                raise InputError("--out", str(out), "a folder whose chunks were computed by this "
                                 f"code (they come from code {old.get('code')}, this is {code_digest()})",
                                 "--fresh recomputes them")
            raise InputError("--out", str(out),
                             "an empty folder or the folder of this same sweep (--fresh starts over)")
    elif out.is_dir() and any(out.iterdir()):
        raise InputError("--out", str(out), "an empty folder or the folder of this same sweep")
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    manifest = {"fingerprint": fp, "spec_fingerprint": spec.fingerprint(code=False),
                "code": code_digest(), "kind": spec.kind, "name": spec.name, "version": __version__,
                "dims": list(spec.dims), "shape": list(spec.shape), "n_cases": spec.n_cases,
                "chunk": spec.chunk, "n_chunks": spec.n_chunks, "seed": spec.seed,
                "spec": spec.source, "status": "running"}
    _write_json(manifest_path, manifest)
    return manifest


def _write_json(path: Path, data: dict) -> None:
    _write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, sort_keys=True)))


def run_sweep(spec: SweepSpec | str | os.PathLike, out: str | os.PathLike, *,
              workers: int | None = None, scheduler: str | None = None, client=None,
              retries: int = 3, fresh: bool = False, progress: bool | None = None,
              on_chunk: Callable[[int, int, int], None] | None = None) -> SweepResult:
    """Run (or finish) a sweep into the folder ``out`` and return its dataset.

    ``workers``: worker processes of a LocalCluster (default: the CPU count); 0 runs serially
    in this process. ``scheduler``: address of an existing dask scheduler (``tcp://host:port``);
    ``client``: an existing ``dask.distributed.Client``. ``retries``: reruns of a failed task.
    ``progress``: a rich progress bar (default: when stderr is a terminal). ``on_chunk(k, done,
    total)`` is called in this process after chunk ``k`` is persisted.

    With the default ``workers=None`` a sweep with a single chunk left runs in this process.
    Worker processes are spawned: a script that calls this must guard its top level with
    ``if __name__ == "__main__":``.
    """
    t0 = time.perf_counter()
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    if workers is not None and (isinstance(workers, bool) or not 0 <= workers <= 4096):
        raise InputError("--workers", workers, "0 (serial) to 4096")
    out = Path(out)
    created = not out.exists()
    try:
        return _run_sweep_in(spec, out, t0, workers, scheduler, client, retries, fresh, progress, on_chunk)
    except BaseException:
        # a sweep that failed before it saved any chunk (an unreachable scheduler, a bad value
        # found by a worker, Ctrl-C) leaves no folder behind that it made itself
        if created and not any((out / "chunks").glob("*.npz")):
            shutil.rmtree(out, ignore_errors=True)
        raise


def _run_sweep_in(spec: SweepSpec, out: Path, t0: float, workers, scheduler, client, retries: int, fresh: bool,
                  progress, on_chunk) -> SweepResult:
    """The body of :func:`run_sweep`, once the spec and the worker count are checked."""
    _prepare_out(spec, out, fresh)
    fp = spec.fingerprint()
    names = _output_names(spec)

    results: dict[int, dict[str, np.ndarray]] = {}
    todo: list[int] = []
    for k in range(spec.n_chunks):
        s, e = spec.chunk_range(k)
        got = load_chunk(out, k, fp, e - s, names)
        if got is None:
            todo.append(k)
        else:
            results[k] = got
    reused = len(results)
    t_load = time.perf_counter()

    computed: list[int] = []
    bar = _Progress(spec, sum(len(next(iter(r.values()))) for r in results.values()), progress)

    def accept(k: int, arrays: dict[str, np.ndarray]) -> None:
        if k in results:  # never twice (a retried task that raced its first copy)
            return
        save_chunk(out, k, fp, arrays)
        results[k] = arrays
        computed.append(k)
        s, e = spec.chunk_range(k)
        bar.advance(e - s)
        if on_chunk is not None:
            on_chunk(k, len(results), spec.n_chunks)

    with bar:
        if todo:
            local = scheduler is None and client is None
            # one chunk left and no cluster asked for: starting one would only add seconds
            if local and (workers == 0 or (workers is None and len(todo) == 1)):
                for k in todo:
                    accept(k, _checked(lambda k=k: compute_chunk(spec, k)))
            else:
                _run_distributed(spec, todo, accept, workers=workers, scheduler=scheduler,
                                 client=client, retries=retries)
    t_compute = time.perf_counter()

    ds = assemble(spec, [results[k] for k in range(spec.n_chunks)])
    path = out / RESULT_NAME
    write_dataset(ds, path)
    t_end = time.perf_counter()
    timings = {"load_s": round(t_load - t0, 4), "compute_s": round(t_compute - t_load, 4),
               "write_s": round(t_end - t_compute, 4), "total_s": round(t_end - t0, 4)}
    manifest = json.loads((out / "sweep.json").read_text())
    manifest.update(status="complete", timings_s=timings, computed_chunks=len(computed),
                    reused_chunks=reused)
    _write_json(out / "sweep.json", manifest)
    return SweepResult(dataset=ds, path=path, n_chunks=spec.n_chunks, computed=computed,
                       reused=reused, timings=timings)


def _checked(fn):
    try:
        return fn()
    except ChunkInputError as e:
        raise InputError(e.field, e.value, e.allowed) from None


def _run_distributed(spec: SweepSpec, todo: list[int], accept, *, workers, scheduler, client,
                     retries: int) -> None:
    import logging

    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    own_client = client is None
    try:
        if client is None:
            if scheduler is not None:
                client = Client(scheduler, timeout="10s")
            else:
                n = workers if workers else (os.cpu_count() or 1)
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.CRITICAL,
                                       preload=[__name__])  # runs dask_setup in each worker
                client = Client(cluster)
        fp = spec.fingerprint()[:16]
        futures = [client.submit(_task, spec, k, key=f"boostphase-sweep-{fp}-{k}",
                                 retries=retries, pure=False) for k in todo]
        index = {f.key: k for f, k in zip(futures, todo, strict=True)}
        try:
            for fut in as_completed(futures):
                k = index[fut.key]
                status, value = fut.result()
                fut.release()
                if status != "ok":
                    raise InputError(*value)
                accept(k, value)
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        if own_client and client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def dask_setup(worker) -> None:
    """Preload hook of the workers of our own LocalCluster: Ctrl-C in the terminal reaches the
    whole process group; the client handles it and closes the cluster, workers ignore it."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def assemble(spec: SweepSpec, chunks: list[dict[str, np.ndarray]]):
    """The xarray Dataset of a sweep from its chunks (in order)."""
    import xarray as xr

    kind = KINDS[spec.kind]
    shape = spec.shape
    coords = {}
    for name, vals in spec.grid.items():
        fs = kind.fields[name]
        v = vals.astype(str) if vals.dtype == object else vals
        coords[name] = xr.Variable(name, v, attrs={"units": fs.attr_unit, "long_name": fs.doc})
    if spec.samples:
        coords["sample"] = xr.Variable("sample", np.arange(spec.samples),
                                       attrs={"long_name": "Monte Carlo sample"})
    data = {}
    for name in _output_names(spec):
        arr = np.concatenate([c[name] for c in chunks]).reshape(shape)
        if name in kind.outputs:
            o = kind.outputs[name]
            attrs = {"units": o.unit, "long_name": o.doc}
        else:
            base = name[: -len("_value")]
            attrs = {"units": kind.fields[base].attr_unit,
                     "long_name": f"{kind.fields[base].doc} (dispersed, per case)"}
        data[name] = xr.Variable(spec.dims, arr, attrs=attrs)
    attrs = {
        "title": f"boostphase sweep: {spec.name}", "kind": spec.kind, "name": spec.name,
        "kind_doc": kind.doc, "boostphase_version": __version__, "boostphase_code": code_digest(),
        "seed": spec.seed,
        "chunk": spec.chunk, "n_cases": spec.n_cases, "fingerprint": spec.fingerprint(),
        "case_order": "C order over the dimensions; case index = flat index",
        "sweep_spec": json.dumps(spec.source),
        "fixed": json.dumps({k: _jsonable(v) for k, v in spec.fixed.items()}, sort_keys=True),
    }
    for k, sigma in spec.dispersion.items():
        attrs[f"dispersion_{k}"] = f"{sigma!r} {kind.fields[k].attr_unit} (one sigma, normal)"
    return xr.Dataset(data, coords=coords, attrs=attrs)


def write_dataset(ds, path: Path) -> None:
    """Write the dataset as Zarr through a temporary folder and a rename."""
    import warnings

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr format notes about fixed-length strings
        ds.to_zarr(tmp, mode="w", consolidated=True)
    old = path.with_name(f".{path.name}.{os.getpid()}.old")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def open_result(out: str | os.PathLike):
    """Open a written sweep (the folder given as ``out``, or the .zarr itself) as a Dataset."""
    import xarray as xr

    p = Path(out)
    if p.name != RESULT_NAME:
        p = p / RESULT_NAME
    return xr.open_zarr(p, consolidated=True).load()


class _Progress:
    """A rich progress bar over cases, shown only on a terminal (or when asked)."""

    def __init__(self, spec: SweepSpec, done_cases: int, enabled: bool | None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total = spec.n_cases
        self.start = done_cases
        self.label = f"{spec.kind} sweep '{spec.name}'"
        self._p = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                               TimeElapsedColumn(), TimeRemainingColumn(),
                               console=Console(stderr=True), transient=False)
            self._p.__enter__()
            self._task = self._p.add_task(self.label, total=self.total, completed=self.start)
        return self

    def advance(self, n: int) -> None:
        if self._p is not None:
            self._p.advance(self._task, n)

    def __exit__(self, *exc):
        if self._p is not None:
            self._p.__exit__(*exc)
        return False
