"""Data the page loads: panels, example sweeps, catalog, tests, country borders, CesiumJS."""


from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import os
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..errors import InputError
from ..scenario.registry import EXAMPLES_DIR, sweep_spec
from ..scenario.specs import SweepJobParams

BORDER_TOLERANCE_DEG = 0.05        # simplification of the country outlines (about 5 km)
CESIUM_ENV = "BOOSTPHASE_CESIUM_DIR"
CESIUM_VERSION = "1.140.0"  # the version package-lock.json pins (tests/test_wheel.py checks)
CESIUM_MISSING = (f"CesiumJS {CESIUM_VERSION} not found, so the page has no globe: install a boostphase "
                  "wheel built with it (README, \"Install from a wheel\"), or in a boostphase checkout run "
                  f"`bash tools/web_setup.sh` (npm ci), or set ${CESIUM_ENV} to a CesiumJS Build/Cesium folder")


def optional_module(name: str) -> bool:
    return importlib.util.find_spec(f"boostphase.{name}") is not None


def sweep_available() -> bool:
    """Whether sweep jobs can run here: the ``sweep`` module and xarray are importable."""
    return optional_module("sweep") and importlib.util.find_spec("xarray") is not None


def panels() -> dict[str, bool]:
    """Which panels the page shows (engage, consequence and sweep: when their modules are installed)."""
    out = {"flight": True, "reconstruct": True, "check": True,
           "engage": optional_module("engage"), "consequence": optional_module("consequence")}
    if sweep_available():
        out["sweep"] = True
    return out


@functools.lru_cache(maxsize=1)
def sweep_examples() -> dict[str, dict[str, Any]]:
    """The example sweeps for the page's Sweep panel, by name: ``examples/sweep_NAME.toml`` of
    :data:`EXAMPLES_DIR` (the example files shipped in the package), parsed (the JSON ``params``
    of a sweep job). Only those a web job accepts (:class:`SweepJobParams` and
    :func:`sweep_spec`, i.e. within the web's limits) are listed; none without the examples
    folder or without the sweep module. Read once per process."""
    import tomllib

    if not sweep_available() or not EXAMPLES_DIR.is_dir():
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


def find_cesium_dir() -> Path | None:
    """The CesiumJS build the page loads (the folder holding ``Cesium.js``), or None:
    $BOOSTPHASE_CESIUM_DIR if set; else (a) the copy inside the installed package
    (``boostphase/web/cesium``, put into a wheel by setup.py); else (b) a checkout's
    ``node_modules/cesium/Build/Cesium`` (``npm ci``), searched upward from the working directory
    and from this file (an editable install). :data:`CESIUM_MISSING` says what to install."""
    env = os.environ.get(CESIUM_ENV)
    if env:
        p = Path(env)
        return p if (p / "Cesium.js").is_file() else None
    packaged = Path(str(resources.files(__package__) / "cesium"))
    if (packaged / "Cesium.js").is_file():
        return packaged
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for d in (start, *start.parents):
            p = d / "node_modules" / "cesium" / "Build" / "Cesium"
            if (p / "Cesium.js").is_file():
                return p
    return None


@dataclass
class _Borders:
    geojson: bytes
    gzipped: bytes


_BORDERS: list[_Borders] = []
_BORDERS_LOCK = threading.Lock()


def borders_bytes() -> _Borders:
    """The country outlines (Natural Earth 1:10m admin-0, from ``boostphase.models.geography``)
    simplified to :data:`BORDER_TOLERANCE_DEG` as a GeoJSON FeatureCollection of MultiLineStrings,
    one feature per country; edges along the date line (where Natural Earth cuts polygons) are
    left out. Built once per process (about 0.5 s), about 0.7 MB (0.2 MB gzip-compressed)."""
    with _BORDERS_LOCK:
        if _BORDERS:
            return _BORDERS[0]
        import shapely

        from ..models.geography import territory_table

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
    from ..models.vehicles import catalog

    return [{"name": m.name, "title": m.title, "stages": len(m.stages), "launch_mass_kg": m.launch_mass_kg,
             "payload_kg": m.payload_kg, "boost_time_s": m.boost_time_s, "sources": dict(m.sources),
             "notes": m.notes, "references": dict(m.references)} for m in catalog()]


def tests_payload() -> dict:
    """The test-flight catalogue (for the Reconstruct panel) and the launch sites it cites."""
    from ..reconstruct.testflights import load_tests

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
