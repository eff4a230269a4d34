"""The sweep description (SWEEP.toml): fields, grid, dispersion, chunks; parsing and validation."""


from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import InputError
from .common import DEFAULT_CHUNK, MAX_CASES, MAX_CHUNK, MIN_CHUNK, REQUIRED
from .kinds import KINDS, FieldSpec, vehicle_file_digests

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
        head = {"kind": self.kind, "fixed": {k: jsonable_value(v) for k, v in self.fixed.items()},
                "dims": list(self.dims), "dispersion": self.dispersion, "samples": self.samples,
                "seed": self.seed, "chunk": self.chunk, "version": __version__,
                "code": code_digest() if code else None}
        if self.kind == "flyout" and vehicle_file_digests(self):
            head["vehicle_files"] = vehicle_file_digests(self)
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
    root = Path(__file__).resolve().parents[1]  # the boostphase package
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


def jsonable_value(v):
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, np.generic):
        return v.item()
    return v


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """Read and validate a SWEEP.toml; bad values raise InputError naming the field."""
    from ..models.vehicles import resolve_vehicle_ref
    from ..scenario.files import load_toml

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
        elif fs.default is REQUIRED:
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
    from ..units import quantity

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
