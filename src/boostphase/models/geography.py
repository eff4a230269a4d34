"""Where is a point? Country or named sea, nearest cities, distance to a country's border.

Everything runs offline on data vendored in ``boostphase/data`` (built once by
``tools/build_geography.py``; nothing is downloaded at run time):

* ``geo_territories.npz``: Natural Earth 1:10m admin-0 countries (the default, de facto
  edition: borders as controlled on the ground, e.g. Crimea with Russia, Somaliland on its
  own; 258 entries) and Natural Earth 1:10m named marine polygons (seas, oceans, gulfs,
  straits; 294 names), with full 10m detail (coordinates rounded to 1e-5 degree, 1.1 m or
  less; no simplification), plus a 0.1-degree lookup grid that answers about 95 % of points
  without a polygon test.
* ``cities_15000.npz``: the GeoNames ``cities15000`` gazetteer, cities with a population of
  at least 15,000 (name, ASCII name, country code, latitude, longitude, population).

Country names are Natural Earth's ``ADMIN`` field (English: "North Korea", "Russia",
"Japan", "United States of America", "South Korea", "China"; Natural Earth's short and long
names and ISO alpha-3 codes are accepted as input). Sea names are Natural Earth's marine
``name`` field ("Sea of Japan", "North Pacific Ocean", "Sea of Okhotsk"). Lakes inside a
country (Great Lakes, Baikal) count as that country; the Caspian Sea is a named sea. Where
sea polygons overlap, the smaller (more specific) one wins ("Tsugaru Strait" over "Sea of
Japan"). Natural Earth's sea polygons stop short of many coasts; a point on no country and
in no sea polygon takes the nearest sea polygon within :data:`SEA_SNAP_KM`, else it is
:data:`OPEN_OCEAN`.

Distances are great-circle distances on a sphere of radius :data:`EARTH_RADIUS_KM`
(6371.0 km, the mean Earth radius); versus geodesics on the WGS84 ellipsoid they differ by
at most about 0.5 %. Polygon edges are straight lines in longitude/latitude, as Natural
Earth draws them.

Credits: Natural Earth (public domain, naturalearthdata.com); GeoNames (CC BY 4.0,
geonames.org).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import shapely
from scipy.spatial import cKDTree

from boostphase.errors import InputError

from .constants import SPHERE_R_KM

__all__ = [
    "EARTH_RADIUS_KM",
    "OPEN_OCEAN",
    "City",
    "territory",
    "nearest_city",
    "cities_within",
    "describe_city",
    "find_city",
    "distance_to_territory_km",
    "country_names",
    "territory_table",
    "unwrap_longitude",
    "city_table",
]

EARTH_RADIUS_KM = SPHERE_R_KM
"""Sphere radius (km) for every great-circle distance in this module (mean Earth radius)."""

OPEN_OCEAN = "Open ocean"
"""Label of points on no country and not in (or within SEA_SNAP_KM of) a named sea."""

SEA_SNAP_KM = 200.0
"""Natural Earth's sea polygons stop short of many coasts and channels. A point on no
country and in no sea polygon takes the sea polygon whose boundary is nearest (great
circle, to within 2.5 km) if it is within this distance, and is :data:`OPEN_OCEAN` only
beyond."""

BORDER_STEP_KM = 1.0
"""Vertex spacing (km) of the densified borders used by :func:`distance_to_territory_km`."""

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
TERRITORY_FILE = DATA_DIR / "geo_territories.npz"
CITIES_FILE = DATA_DIR / "cities_15000.npz"
FORMAT_VERSION = 1
_EDGE_NUDGE_DEG = 1e-9

_CITY_ALLOWED = "a city with population >= 15,000 in the GeoNames gazetteer"

# Common English names that are not GeoNames' primary name (or are ambiguous there),
# mapped to GeoNames ids.
_CITY_ALIASES: dict[str, int] = {
    "washington": 4140963,        # Washington, D.C.
    "washington dc": 4140963,
    "washington d c": 4140963,
    "new york": 5128581,          # New York City
    "nyc": 5128581,
    "peking": 1816670,            # Beijing
    "bombay": 1275339,            # Mumbai
    "calcutta": 1275004,          # Kolkata
    "madras": 1264527,            # Chennai
    "saigon": 1566083,            # Ho Chi Minh City
    "rangoon": 1298824,           # Yangon
    "kiev": 703448,               # Kyiv
    "st petersburg": 498817,      # Saint Petersburg
}

# Common names of countries whose Natural Earth ADMIN name differs (matching keys).
_COUNTRY_ALIASES: dict[str, str] = {
    "usa": "United States of America",
    "us": "United States of America",
    "united states": "United States of America",
    "uk": "United Kingdom",
    "great britain": "United Kingdom",
    "dprk": "North Korea",
    "democratic people s republic of korea": "North Korea",
    "rok": "South Korea",
    "republic of korea": "South Korea",
    "prc": "China",
    "people s republic of china": "China",
    "russian federation": "Russia",
    "roc": "Taiwan",
}

# Letters that Unicode decomposition does not reduce to ASCII.
_TRANSLIT = str.maketrans({
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ł": "l", "Ł": "L",
    "ı": "i", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T", "ŋ": "ng", "Ŋ": "Ng", "ĸ": "k",
    "ʻ": "'", "ʼ": "'", "ʿ": "'", "ʾ": "'", "‘": "'", "’": "'", "`": "'", "´": "'",
    "‐": "-", "‑": "-", "–": "-", "—": "-",
})


def to_ascii(text: str) -> str:
    """Strip accents and transliterate the few Latin letters without a decomposition."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).encode(
        "ascii", "ignore").decode("ascii")


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _ascii_key(text: str) -> str:
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def _key(text: str) -> str:
    """Matching key: ASCII, lower case, runs of other characters to one space."""
    return _ascii_key(to_ascii(text))


@dataclass(frozen=True, slots=True)
class City:
    """One GeoNames city (population >= 15,000)."""

    name: str
    country_code: str
    lat_deg: float
    lon_deg: float
    population: int


# --------------------------------------------------------------------------------------
# input handling


def _points(lat_deg, lon_deg) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Broadcast, check and flatten; longitudes normalised to [-180, 180)."""
    try:
        lat, lon = np.broadcast_arrays(np.asarray(lat_deg, dtype=np.float64),
                                       np.asarray(lon_deg, dtype=np.float64))
    except (TypeError, ValueError):
        raise InputError("lat_deg/lon_deg", (lat_deg, lon_deg),
                         "numbers or arrays of numbers of broadcastable shapes") from None
    shape = lat.shape
    lat = lat.ravel()
    lon = lon.ravel()
    if not np.isfinite(lat).all() or not np.isfinite(lon).all():
        raise InputError("lat_deg/lon_deg", "non-finite value", "finite numbers")
    if lat.size and (lat.min() < -90.0 or lat.max() > 90.0):
        bad = lat[(lat < -90.0) | (lat > 90.0)][0]
        raise InputError("lat_deg", float(bad), "-90 to 90 degrees")
    if lon.size and (lon.min() < -180.0 or lon.max() >= 180.0):
        lon = (lon + 180.0) % 360.0 - 180.0
        lon[lon >= 180.0] = -180.0  # float rounding of tiny negative inputs
    return lat, lon, shape


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    c = np.cos(la)
    return np.column_stack((c * np.cos(lo), c * np.sin(lo), np.sin(la)))


def _kdtree(unit: np.ndarray) -> cKDTree:
    # Sliding-midpoint splits without shrunk node boxes: several times faster than scipy's
    # default (median split, compact nodes) for query points far from clustered data
    # (ocean points vs. cities or a country's border), and never slower here.
    return cKDTree(unit, balanced_tree=False, compact_nodes=False)


def _chord_to_km(chord: np.ndarray) -> np.ndarray:
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.asarray(chord) * 0.5, 1.0))


def _km_to_chord(km: float) -> float:
    return 2.0 * np.sin(min(km / EARTH_RADIUS_KM, np.pi) * 0.5)


def _split_blob(blob: np.ndarray) -> list[str]:
    return blob.tobytes().decode("utf-8").split("\n")


# --------------------------------------------------------------------------------------
# territories


class TerritoryTable:
    """Country and marine polygons in priority order, a coarse grid and an STRtree.

    Label codes: 0..n_countries-1 countries, then marine names, last :data:`OPEN_OCEAN`.
    A point's label is that of the first polygon (in priority order: countries, then marine
    polygons from the smallest to the largest feature) that contains it. Grid cells that no
    polygon edge crosses hold that label; the others hold -1 and their points are tested
    against the polygons.
    """

    def __init__(self, *, labels: list[str], n_countries: int, country_iso3: list[str],
                 country_alt: list[list[str]], xy: np.ndarray, ring_off: np.ndarray,
                 poly_off: np.ndarray, poly_label: np.ndarray, grid: np.ndarray | None,
                 grid_res: float):
        self.labels = labels
        self.labels_obj = np.array(labels, dtype=object)
        self.open_ocean = len(labels) - 1
        self.n_countries = n_countries
        self.country_iso3 = country_iso3
        self.country_alt = country_alt
        self.xy = xy
        self.ring_off = ring_off
        self.poly_off = poly_off
        self.poly_label = poly_label.astype(np.int16)
        self.polys = shapely.from_ragged_array(shapely.GeometryType.POLYGON, xy,
                                               (ring_off, poly_off))
        shapely.prepare(self.polys)
        self.tree = shapely.STRtree(self.polys)
        self.marine_ids = np.flatnonzero(self.poly_label >= n_countries)
        self._sea_tree: tuple[cKDTree, np.ndarray] | None = None
        self.label_of_hit = np.append(self.poly_label, np.int16(self.open_ocean))
        self._country_keys: dict[str, int] | None = None
        self.grid = grid
        self.grid_flat = None if grid is None else grid.ravel()
        self.grid_res = grid_res

    def exact(self, lat: np.ndarray, lon: np.ndarray, return_snapped: bool = False):
        """Label codes by polygon tests (STRtree bounding boxes, then prepared contains).

        Points in no polygon get the nearest marine polygon within SEA_SNAP_KM (flagged
        in the optional second result), else OPEN_OCEAN.
        """
        n = lat.size
        none = len(self.polys)
        best = np.full(n, none, dtype=np.int64)
        snapped = np.zeros(n, dtype=bool)
        if n:
            # Natural Earth cuts polygons along lon = -180/180 and closes Antarctica along
            # lat = -90; points exactly there would sit on a polygon edge (never "inside").
            lat = np.clip(lat, -90.0 + _EDGE_NUDGE_DEG, 90.0 - _EDGE_NUDGE_DEG)
            lon = np.maximum(lon, -180.0 + _EDGE_NUDGE_DEG)
            pts = shapely.points(lon, lat)
            pi, gi = self.tree.query(pts)
            hit = shapely.contains_xy(self.polys[gi], lon[pi], lat[pi])
            np.minimum.at(best, pi[hit], gi[hit])
            gap = np.flatnonzero(best == none)
            if gap.size:
                found, poly = self.sea_snap(lat[gap], lon[gap])
                best[gap[found]] = poly
                snapped[gap[found]] = True
        codes = self.label_of_hit[best]
        return (codes, snapped) if return_snapped else codes

    def codes(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Label codes (int16) of flat, checked arrays (lon in [-180, 180))."""
        if self.grid is None:
            return self.exact(lat, lon)
        ny, nx = self.grid.shape
        inv = 1.0 / self.grid_res
        iy = np.minimum(((lat + 90.0) * inv).astype(np.intp), ny - 1)
        ix = np.minimum(((lon + 180.0) * inv).astype(np.intp), nx - 1)
        iy *= nx
        iy += ix
        out = self.grid_flat[iy]
        mixed = np.flatnonzero(out < 0)
        if mixed.size:
            out[mixed] = self.exact(lat[mixed], lon[mixed])
        return out

    def boundary_points(self, polys: np.ndarray, step_km: float):
        """Vertices of the rings of ``polys``, densified so that consecutive points are at
        most ``step_km`` apart (linear in lon/lat), and the polygon of each point."""
        rings = [np.arange(self.poly_off[p], self.poly_off[p + 1]) for p in polys]
        ring_ids = np.concatenate(rings) if rings else np.zeros(0, np.int64)
        ring_poly = np.repeat(np.asarray(polys, np.int64), [len(r) for r in rings])
        starts, ends = self.ring_off[ring_ids], self.ring_off[ring_ids + 1] - 1  # segments
        nseg = ends - starts
        seg = np.repeat(starts - np.cumsum(nseg) + nseg, nseg) + np.arange(nseg.sum())
        seg_poly = np.repeat(ring_poly, nseg)
        a, b = self.xy[seg], self.xy[seg + 1]
        la1, la2 = np.radians(a[:, 1]), np.radians(b[:, 1])
        h = (np.sin((la2 - la1) / 2) ** 2
             + np.cos(la1) * np.cos(la2) * np.sin(np.radians(b[:, 0] - a[:, 0]) / 2) ** 2)
        seg_km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
        n = np.maximum(np.ceil(seg_km / step_km).astype(np.int64), 1)
        k = np.repeat(np.arange(len(a)), n)
        frac = (np.arange(k.size) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n, n)
        return a[k] + (b[k] - a[k]) * frac[:, None], seg_poly[k]

    def sea_snap(self, lat: np.ndarray, lon: np.ndarray):
        """Nearest marine polygon (by its boundary, densified to 5 km) within SEA_SNAP_KM:
        (found mask, polygon index)."""
        if self._sea_tree is None:
            pts, owner = self.boundary_points(self.marine_ids, 5.0)
            self._sea_tree = (_kdtree(_unit_vectors(pts[:, 1], pts[:, 0])), owner)
        tree, owner = self._sea_tree
        chord, i = tree.query(_unit_vectors(lat, lon),
                              distance_upper_bound=_km_to_chord(SEA_SNAP_KM))
        found = np.isfinite(chord)
        return found, owner[i[found]]

    def country_index(self, name: str) -> int:
        """Index of a country given by name, alternative name, alias or ISO alpha-3 code."""
        if self._country_keys is None:
            keys = {_key(self.labels[i]): i for i in range(self.n_countries)}
            # Alternative names and ISO codes; on a clash (e.g. KAZ: Kazakhstan and the
            # Baykonur lease) the larger country wins.
            area = np.bincount(self.poly_label, weights=shapely.area(self.polys),
                               minlength=self.n_countries)[: self.n_countries]
            for i in np.argsort(-area, kind="stable"):
                for k in (*self.country_alt[i], self.country_iso3[i]):
                    if k:
                        keys.setdefault(_key(k), int(i))
            for alias, target in _COUNTRY_ALIASES.items():
                if _key(target) in keys:
                    keys.setdefault(alias, keys[_key(target)])
            self._country_keys = keys
        i = self._country_keys.get(_key(name)) if isinstance(name, str) else None
        if i is not None:
            return i
        keys = self._country_keys
        close = difflib.get_close_matches(_key(str(name)), list(keys), n=8, cutoff=0.5)
        close = list(dict.fromkeys(self.labels[keys[k]] for k in close))[:3]
        hint = f"did you mean: {', '.join(close)}?" if close else None
        raise InputError("territory", name,
                         "a Natural Earth country name or ISO 3166 alpha-3 code", hint)


def _decode_xy(delta16: np.ndarray, esc_pos: np.ndarray, esc_val: np.ndarray,
               per_degree: float) -> np.ndarray:
    d = delta16.astype(np.int64)
    d.ravel()[esc_pos] = esc_val
    return np.cumsum(d, axis=0) / per_degree


def _decode_grid(val: np.ndarray, length: np.ndarray, shape) -> np.ndarray:
    return np.repeat(val, length.astype(np.int64)).reshape(tuple(int(s) for s in shape))


def _load_territories(path: Path = TERRITORY_FILE) -> TerritoryTable:
    with np.load(path, allow_pickle=False) as z:
        if int(z["version"]) != FORMAT_VERSION:
            raise RuntimeError(f"{path.name}: format {int(z['version'])}, "
                               f"expected {FORMAT_VERSION}; rerun tools/build_geography.py")
        return TerritoryTable(
            labels=_split_blob(z["labels"]),
            n_countries=int(z["n_countries"]),
            country_iso3=_split_blob(z["country_iso3"]),
            country_alt=[s.split("|") if s else [] for s in _split_blob(z["country_alt"])],
            xy=_decode_xy(z["xy_delta16"], z["esc_pos"], z["esc_val"], float(z["per_degree"])),
            ring_off=z["ring_off"].astype(np.int64),
            poly_off=z["poly_off"].astype(np.int64),
            poly_label=z["poly_label"],
            grid=_decode_grid(z["grid_val"], z["grid_len"], z["grid_shape"]),
            grid_res=float(z["grid_res"]),
        )


@cache
def territory_table() -> TerritoryTable:
    """The vendored territory polygons (countries and seas) and their index, loaded once."""
    return _load_territories()


def territory(lat_deg, lon_deg) -> np.ndarray:
    """Country (Natural Earth ADMIN name) or named sea at each point, else ``"Open ocean"``.

    Vectorised: ``lat_deg`` and ``lon_deg`` broadcast; the result (an object array of
    ``str``) has their broadcast shape. Longitudes may be in any range (they are wrapped to
    [-180, 180)); latitudes must be within [-90, 90].

    The answer is that of an exact point-in-polygon test on the 1:10m polygons: a country
    if one contains the point, else the smallest named sea polygon containing it, else the
    sea polygon nearest within :data:`SEA_SNAP_KM` (Natural Earth's seas stop short of many
    coasts), else :data:`OPEN_OCEAN`. A precomputed 0.1-degree grid answers points in
    cells that no polygon edge crosses; only the others (about 5 %) are tested.
    """
    lat, lon, shape = _points(lat_deg, lon_deg)
    t = territory_table()
    return t.labels_obj[t.codes(lat, lon)].reshape(shape)


def country_names() -> list[str]:
    """All country names :func:`territory` can return (Natural Earth ADMIN names)."""
    t = territory_table()
    return list(t.labels[: t.n_countries])


@cache
def _border_tree(country: int) -> cKDTree:
    """KD-tree of unit vectors on a country's boundary rings, densified to BORDER_STEP_KM."""
    t = territory_table()
    pts, _ = t.boundary_points(np.flatnonzero(t.poly_label == country), BORDER_STEP_KM)
    return _kdtree(_unit_vectors(pts[:, 1], pts[:, 0]))


def distance_to_territory_km(lat_deg, lon_deg, name: str) -> np.ndarray:
    """Great-circle distance (km) from each point to the nearest border of country ``name``.

    0 for points inside the country. ``name`` is a Natural Earth country name ("North
    Korea", case-insensitive; Natural Earth's short and long names work too) or an ISO
    3166 alpha-3 code ("PRK").

    Method: nearest vertex of the country's boundary rings (all islands and enclaves),
    densified to :data:`BORDER_STEP_KM` (1 km) spacing, found with a KD-tree on unit
    vectors; sphere of radius 6371.0 km. The result is never below the true distance to the
    (densified, straight-in-lon/lat) border and exceeds it by at most 0.5 km next to the
    border, by less than 0.01 km beyond 15 km (sqrt(d^2 + 0.5^2) - d). Natural Earth 1:10m
    lines themselves are good to roughly 1 km.
    """
    lat, lon, shape = _points(lat_deg, lon_deg)
    t = territory_table()
    ci = t.country_index(name)
    tree = _border_tree(ci)
    chord, _ = tree.query(_unit_vectors(lat, lon))
    d = _chord_to_km(chord)
    d[t.codes(lat, lon) == ci] = 0.0
    return d.reshape(shape)


# --------------------------------------------------------------------------------------
# cities


class CityTable:
    def __init__(self, path: Path = CITIES_FILE):
        with np.load(path, allow_pickle=False) as z:
            if int(z["version"]) != FORMAT_VERSION:
                raise RuntimeError(f"{path.name}: format {int(z['version'])}, "
                                   f"expected {FORMAT_VERSION}; rerun tools/build_geography.py")
            self.name = _split_blob(z["name"])
            self.ascii = _split_blob(z["ascii"])
            self.country = _split_blob(z["country"])
            q = float(z["per_degree"])
            self.lat = z["lat"] / q
            self.lon = z["lon"] / q
            self.population = z["population"].astype(np.int64)
            self.geonameid = z["geonameid"].astype(np.int64)
        self.name_obj = np.array(self.name, dtype=object)
        self.tree = _kdtree(_unit_vectors(self.lat, self.lon))
        self._index: dict[str, list[int]] | None = None

    def index(self) -> dict[str, list[int]]:
        """Matching key -> city rows, most populous first (built on first use)."""
        if self._index is None:
            # _key(name) == _ascii_key(ascii name): the ASCII name is to_ascii(name).
            idx: dict[str, list[int]] = {}
            for i in np.argsort(-self.population, kind="stable").tolist():
                idx.setdefault(_ascii_key(self.ascii[i]), []).append(i)
            self._index = idx
        return self._index

    def city(self, i: int) -> City:
        return City(self.name[i], self.country[i], float(self.lat[i]), float(self.lon[i]),
                    int(self.population[i]))


@cache
def city_table() -> CityTable:
    """The vendored GeoNames cities (population >= 15,000) and their name index, loaded once."""
    return CityTable()


def nearest_city(lat_deg, lon_deg) -> tuple[np.ndarray, np.ndarray]:
    """Nearest GeoNames city (population >= 15,000) to each point.

    Returns ``(names, distance_km)``: an object array of ``str`` and a float array, both of
    the inputs' broadcast shape. Great-circle distance on a 6371.0 km sphere.
    """
    lat, lon, shape = _points(lat_deg, lon_deg)
    c = city_table()
    chord, i = c.tree.query(_unit_vectors(lat, lon))
    return c.name_obj[i].reshape(shape), _chord_to_km(chord).reshape(shape)


def cities_within(lat_deg: float, lon_deg: float,
                  radius_km: float) -> list[tuple[str, str, float, float, int]]:
    """Cities within ``radius_km`` (great circle) of one point, nearest first.

    Each item is ``(name, country_code, lat_deg, lon_deg, population)``.
    """
    lat, lon, _ = _points(lat_deg, lon_deg)
    if lat.size != 1:
        raise InputError("lat_deg/lon_deg", (lat_deg, lon_deg), "one point")
    try:
        r = float(radius_km)
    except (TypeError, ValueError):
        raise InputError("radius_km", radius_km, "a number >= 0") from None
    if not r >= 0.0:
        raise InputError("radius_km", radius_km, "a number >= 0")
    c = city_table()
    u = _unit_vectors(lat, lon)
    rows = np.asarray(c.tree.query_ball_point(u[0], _km_to_chord(r) * (1 + 1e-12)),
                      dtype=np.intp)
    if rows.size == 0:
        return []
    d = _chord_to_km(np.linalg.norm(_unit_vectors(c.lat[rows], c.lon[rows]) - u, axis=1))
    keep = d <= r
    rows, d = rows[keep], d[keep]
    order = np.lexsort((-c.population[rows], d))
    return [(c.name[i], c.country[i], float(c.lat[i]), float(c.lon[i]), int(c.population[i]))
            for i in rows[order]]


# Two places of one name are ambiguous when the second has at least this share of the first's
# population: "San Jose" (US 1.0 M, Costa Rica 0.34 M) is refused, "Vancouver" (Canada 0.66 M,
# Washington 0.20 M) and "Paris" resolve. A country code in brackets picks: "San Jose (CR)".
AMBIGUOUS_POPULATION_SHARE = 1.0 / 3.0
_QUALIFIED = re.compile(r"^(?P<name>.*?)\s*\((?P<cc>[A-Za-z]{2})\)\s*$")


def unwrap_longitude(lon_deg, centre_deg: float | None = None) -> np.ndarray:
    """Longitudes (deg) shifted by whole turns to lie within 180 deg of ``centre_deg`` (default:
    their circular mean), so a set of points across the date line plots as one cluster."""
    lon = np.asarray(lon_deg, float)
    if centre_deg is None:
        ang = np.radians(lon)
        centre_deg = float(np.degrees(np.arctan2(np.mean(np.sin(ang)), np.mean(np.cos(ang))))) if lon.size else 0.0
    return centre_deg + (lon - centre_deg + 180.0) % 360.0 - 180.0


def describe_city(c: City) -> str:
    """'Atlantis (ZA, population 82,736, -33.57, 18.49)': which place a name was taken as."""
    return f"{c.name} ({c.country_code}, population {c.population:,}, {c.lat_deg:.2f}, {c.lon_deg:.2f})"


def find_city(name: str) -> City:
    """Look a city up by name (case-, accent- and punctuation-insensitive).

    Matches GeoNames' name or ASCII name. Of several places of that name the most populous is
    taken only when the next has less than a third of its population; otherwise the name is
    ambiguous and refused, listing the places; ``"Name (CC)"`` with a two-letter country code
    picks the most populous of that country. A few common English names are aliases
    ("Washington", "Washington DC" -> Washington, D.C.; "New York" -> New York City). Unknown
    names raise :class:`~boostphase.errors.InputError` with close matches as a hint. Callers
    should tell the user which place was taken (:func:`describe_city`).
    """
    if not isinstance(name, str) or not name.strip():
        raise InputError("city", name, _CITY_ALLOWED)
    c = city_table()
    m = _QUALIFIED.match(name)
    country = m.group("cc").upper() if m else None
    key = _key(m.group("name") if m else name)
    gid = _CITY_ALIASES.get(key)
    if gid is not None and country is None:
        rows = np.flatnonzero(c.geonameid == gid)
        if rows.size:
            return c.city(int(rows[0]))
    idx = c.index()
    rows = idx.get(key)
    if rows and country is not None:
        rows = [i for i in rows if c.country[i] == country]
        if not rows:
            raise InputError("city", name, _CITY_ALLOWED, f"no place of that name in country {country}")
    if rows:
        if country is None and len(rows) > 1 and (
                c.population[rows[1]] >= AMBIGUOUS_POPULATION_SHARE * c.population[rows[0]]):
            options = ", ".join(f"{c.name[i]} ({c.country[i]}) population {int(c.population[i]):,}"
                                for i in rows[:4])
            raise InputError("city", name, "an unambiguous city name",
                             f"several places of that name: {options}; add a country code, e.g. "
                             f"'{c.name[rows[0]]} ({c.country[rows[0]]})'")
        return c.city(rows[0])
    close = difflib.get_close_matches(key, list(idx), n=3, cutoff=0.6)
    hint = None
    if close:
        hint = "did you mean: " + ", ".join(
            f"{c.name[idx[k][0]]} ({c.country[idx[k][0]]})" for k in close) + "?"
    raise InputError("city", name, _CITY_ALLOWED, hint)
