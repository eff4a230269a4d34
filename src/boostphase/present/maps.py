"""Maps under every ground track and footprint: an azimuthal-equidistant projection (pyproj,
WGS84) centred on the scene, the vendored Natural Earth country outlines (coastlines and
borders) as lines over a light land fill, a graticule, a scale bar or range rings, and country
names only where they do not collide (presentation only, no physics here).

Azimuthal equidistant: distances and bearings from the centre are true, so a scene of a few
thousand km (a launch, its track and its debris) reads without the stretch of a plate carrée
near the pole; the axes' units are km east and north of the centre. ``MapView.project``
takes longitude/latitude in degrees (any longitude range) and returns those km.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import pyproj
import shapely
from matplotlib.collections import LineCollection, PolyCollection

from boostphase.models.geography import country_names, territory_table
from boostphase.present.figures import add_source_line, finish, freeze_layout
from boostphase.present.labels import CENTRED, Label, place_labels

EARTH_HALF_CIRCUMFERENCE_KM = 20_003.9
"""Distance from a point to its antipode on WGS84 (pole to pole along a meridian), km."""

FAR_KM = 0.85 * EARTH_HALF_CIRCUMFERENCE_KM
"""Outlines further than this from the map centre are not drawn: near the antipode the
azimuthal-equidistant projection tears, and no scene here extends that far."""

JUMP_KM = 2000.0
"""A track step longer than this on the map is a wrap near the antipode: the line breaks."""

LAND = "0.92"
SEA = "#f3f7fa"
OUTLINE = "0.45"
GRATICULE = "0.75"
_GEOD = pyproj.Geod(ellps="WGS84")
_NICE = (1, 2, 5)


@dataclass(frozen=True)
class MapView:
    """An azimuthal-equidistant map centred on (``lat0_deg``, ``lon0_deg``) showing
    ``x0_km..x1_km`` east and ``y0_km..y1_km`` north of the centre."""

    lat0_deg: float
    lon0_deg: float
    x0_km: float
    x1_km: float
    y0_km: float
    y1_km: float

    @cached_property
    def crs(self) -> pyproj.CRS:
        """The projection (PROJ ``aeqd`` on WGS84, metres)."""
        return pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={self.lat0_deg:.8f} "
                                     f"+lon_0={self.lon0_deg:.8f} +datum=WGS84 +units=m +no_defs")

    @cached_property
    def _fwd(self) -> pyproj.Transformer:
        return pyproj.Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)

    def project(self, lon_deg, lat_deg) -> tuple[np.ndarray, np.ndarray]:
        """Map coordinates (km east, km north of the centre) of points given in degrees."""
        lon = ((np.asarray(lon_deg, float) + 180.0) % 360.0) - 180.0
        x, y = self._fwd.transform(lon, np.asarray(lat_deg, float))
        return np.asarray(x) / 1e3, np.asarray(y) / 1e3

    def unproject(self, x_km, y_km) -> tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude (deg) of map coordinates in km."""
        lon, lat = self._fwd.transform(np.asarray(x_km, float) * 1e3, np.asarray(y_km, float) * 1e3,
                                       direction="INVERSE")
        return np.asarray(lon), np.asarray(lat)

    @property
    def width_km(self) -> float:
        return self.x1_km - self.x0_km

    @property
    def height_km(self) -> float:
        return self.y1_km - self.y0_km

    def contains(self, x_km, y_km) -> np.ndarray:
        """Whether map points lie inside the view."""
        x, y = np.asarray(x_km), np.asarray(y_km)
        return (x >= self.x0_km) & (x <= self.x1_km) & (y >= self.y0_km) & (y <= self.y1_km)


def centre_of(lon_deg, lat_deg) -> tuple[float, float]:
    """(lat, lon) in degrees of the normalised mean of the points' unit vectors: the middle of
    a scene, wherever the date line falls."""
    lon, lat = np.radians(np.ravel(lon_deg)), np.radians(np.ravel(lat_deg))
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    v = np.array([np.sum(np.cos(lat) * np.cos(lon)), np.sum(np.cos(lat) * np.sin(lon)), np.sum(np.sin(lat))])
    n = np.linalg.norm(v)
    if n < 1e-9:
        return 0.0, 0.0
    v /= n
    return float(np.degrees(np.arcsin(v[2]))), float(np.degrees(np.arctan2(v[1], v[0])))


def view_for(lon_deg, lat_deg, *, centre: tuple[float, float] | None = None, pad_frac: float = 0.08,
             min_half_km: float = 300.0, aspect: float | None = 1.6) -> MapView:
    """The view showing every given point (deg) with a margin of ``pad_frac`` of its span (at
    least ``min_half_km`` either side of the middle), centred on ``centre`` (lat, lon) or on
    the points' middle; widened to ``aspect`` (width / height) when given."""
    lat0, lon0 = centre if centre is not None else centre_of(lon_deg, lat_deg)
    probe = MapView(lat0, lon0, -1.0, 1.0, -1.0, 1.0)
    x, y = probe.project(np.ravel(lon_deg), np.ravel(lat_deg))
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = (x[ok], y[ok]) if ok.any() else (np.zeros(1), np.zeros(1))
    x0, x1, y0, y1 = x.min(), x.max(), y.min(), y.max()
    px, py = (x1 - x0) * pad_frac, (y1 - y0) * pad_frac
    x0, x1, y0, y1 = _at_least(x0 - px, x1 + px, min_half_km) + _at_least(y0 - py, y1 + py, min_half_km)
    if aspect:
        w, h = x1 - x0, y1 - y0
        if w / h < aspect:
            x0, x1 = _at_least(x0, x1, 0.5 * h * aspect)
        else:
            y0, y1 = _at_least(y0, y1, 0.5 * w / aspect)
    return MapView(lat0, lon0, float(x0), float(x1), float(y0), float(y1))


def _at_least(lo: float, hi: float, half: float) -> tuple[float, float]:
    mid = 0.5 * (lo + hi)
    half = max(half, 0.5 * (hi - lo))
    return mid - half, mid + half


def map_axes(ax, view: MapView) -> None:
    """Set ``ax`` up for ``view``: km limits, equal scale, no tick labels, sea colour; the view
    is kept as ``ax.boostphase_map_view`` (see :func:`view_of`)."""
    ax.set_xlim(view.x0_km, view.x1_km)
    ax.set_ylim(view.y0_km, view.y1_km)
    # equal scale comes later (fit_view): the limits are widened to the laid-out box rather
    # than the box shrunk, which the constrained layout does not foresee (titles would leave
    # the figure)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor(SEA)
    ax.boostphase_map_view = view


def view_of(ax) -> MapView | None:
    """The :class:`MapView` an axes was drawn with (None for a plain axes)."""
    return getattr(ax, "boostphase_map_view", None)


# --------------------------------------------------------------------------- outlines

def _lonlat_boxes(view: MapView) -> list[tuple[float, float, float, float]]:
    """Longitude/latitude boxes covering the view (split at the date line; the whole world
    when a pole is in view)."""
    s = np.linspace(0.0, 1.0, 41)
    bx = np.concatenate([view.x0_km + s * view.width_km, np.full_like(s, view.x1_km),
                         view.x1_km - s * view.width_km, np.full_like(s, view.x0_km)])
    by = np.concatenate([np.full_like(s, view.y0_km), view.y0_km + s * view.height_km,
                         np.full_like(s, view.y1_km), view.y1_km - s * view.height_km])
    gx, gy = np.meshgrid(np.linspace(view.x0_km, view.x1_km, 21), np.linspace(view.y0_km, view.y1_km, 21))
    lon, lat = view.unproject(np.concatenate([bx, gx.ravel()]), np.concatenate([by, gy.ravel()]))
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    pole = [p for p in (90.0, -90.0) if view.contains(*view.project(0.0, p))]
    lat0, lat1 = lat.min() - 2.0, lat.max() + 2.0
    if pole:
        return [(-180.0, max(-90.0, -90.0 if -90.0 in pole else lat0), 180.0, min(90.0, 90.0 if 90.0 in pole else lat1))]
    # unwrap around the centre so a view across the date line is one interval
    u = view.lon0_deg + (lon - view.lon0_deg + 180.0) % 360.0 - 180.0
    l0, l1 = u.min() - 2.0, u.max() + 2.0
    lat0, lat1 = max(-90.0, lat0), min(90.0, lat1)
    if l1 - l0 >= 360.0:
        return [(-180.0, lat0, 180.0, lat1)]
    boxes = []
    for shift in (-360.0, 0.0, 360.0):
        a, b = max(l0 + shift, -180.0), min(l1 + shift, 180.0)
        if a < b:
            boxes.append((a, lat0, b, lat1))
    return boxes


TOLERANCES_DEG = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
"""Simplification levels of the outlines (deg); a view takes the level nearest to about a
third of a pixel of a 3,000-pixel-wide figure."""


SEGMENT_DEG = 0.5
"""Longest outline edge (deg) kept straight before projection."""


class _Simplified:
    """Country polygons simplified to one tolerance, each polygon done once, when first seen."""

    def __init__(self, tol_deg: float):
        t = territory_table()
        self.tol = tol_deg
        self.geoms = np.full(len(t.polys), None, dtype=object)
        self.done = np.zeros(len(t.polys), bool)
        b = shapely.bounds(t.polys)
        # countries only, and no island smaller than the tolerance (it would be a dot)
        self.wanted = (t.poly_label < t.n_countries) & (np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) > tol_deg)

    def get(self, ids: np.ndarray) -> np.ndarray:
        t = territory_table()
        ids = ids[self.wanted[ids]]
        todo = ids[~self.done[ids]]
        if todo.size:
            simple = shapely.simplify(t.polys[todo], self.tol, preserve_topology=True)
            # long straight edges in lon/lat (the 49th parallel) are curves on the map:
            # add vertices so they bend once projected
            self.geoms[todo] = shapely.segmentize(simple, SEGMENT_DEG)
            self.done[todo] = True
        return ids


@cache
def _simplified(tol_deg: float) -> _Simplified:
    return _Simplified(tol_deg)


def country_polygons(view: MapView) -> tuple[np.ndarray, np.ndarray]:
    """Natural Earth country polygons (lon/lat) near the view, simplified to the view's scale
    (see :data:`TOLERANCES_DEG`), and their country index."""
    want = max(view.width_km, view.height_km) / 9000.0 / 111.0
    tol = min(TOLERANCES_DEG, key=lambda v: abs(np.log(v / want)))
    t = territory_table()
    hits = np.unique(np.concatenate([t.tree.query(shapely.box(*b)) for b in _lonlat_boxes(view)]))
    simp = _simplified(tol)
    ids = simp.get(hits.astype(np.int64))
    polys, part_of = shapely.get_parts(simp.geoms[ids], return_index=True)  # simplify may split one
    keep = (shapely.get_type_id(polys) == shapely.GeometryType.POLYGON) & ~shapely.is_empty(polys)
    return polys[keep], t.poly_label[ids][part_of][keep]


def outline_runs(view: MapView, polys=None) -> list[np.ndarray]:
    """The country outlines (coastlines and borders) of the view as projected polylines, each
    an (n, 2) array of km; split where a ring ends, at Natural Earth's artificial edges (the
    cut along the date line, Antarctica's closure at the pole) and near the antipode."""
    if polys is None:
        polys = country_polygons(view)[0]
    coords, ring_id = shapely.get_coordinates(shapely.get_rings(polys), return_index=True)
    x, y = view.project(coords[:, 0], coords[:, 1])
    near = np.hypot(x, y) < FAR_KM
    lon, lat = coords[:, 0], coords[:, 1]
    cut = ((np.abs(lon[:-1]) > 179.99999) & (np.abs(lon[1:]) > 179.99999)) | ((lat[:-1] < -89.99999) & (lat[1:] < -89.99999))
    seg = (ring_id[:-1] == ring_id[1:]) & ~cut & near[:-1] & near[1:]
    # runs of consecutive good segments -> polylines
    edges = np.diff(np.concatenate([[0], seg.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    xy = np.column_stack([x, y])
    return [xy[a:b + 1] for a, b in zip(starts, ends, strict=True)]


def draw_outlines(ax, view: MapView, *, fill: bool = True, lw: float = 0.45) -> dict:
    """Country outlines (coastlines and borders, Natural Earth) as lines, over a light land
    fill. Returns ``{"outlines": LineCollection, "land": PolyCollection | None, "polygons":
    (projected shapely polygons, country index)}`` for labelling."""
    polys, label = country_polygons(view)
    lines = LineCollection(outline_runs(view, polys), colors=OUTLINE, linewidths=lw, zorder=1.5,
                           gid="boostphase-borders")
    ax.add_collection(lines, autolim=False)
    # projected exterior rings (valid away from the antipode) for the fill and the labels
    ec, eid = shapely.get_coordinates(shapely.get_exterior_ring(polys), return_index=True)
    ex, ey = view.project(ec[:, 0], ec[:, 1])
    far = np.zeros(len(polys), bool)
    np.logical_or.at(far, eid, np.hypot(ex, ey) >= FAR_KM)
    groups = np.split(np.column_stack([ex, ey]), np.flatnonzero(np.diff(eid)) + 1)
    pieces = [(v, i) for v, i in zip(groups, np.unique(eid), strict=True) if not far[i] and len(v) >= 4]
    verts = [v for v, _ in pieces]
    land = None
    if fill and verts:
        land = PolyCollection(verts, facecolors=LAND, edgecolors="none", zorder=0.5)
        ax.add_collection(land, autolim=False)
    proj = np.array([shapely.Polygon(v) for v in verts] + [None])[:-1]
    owners = np.array([label[i] for _, i in pieces], dtype=np.int64)
    return {"outlines": lines, "land": land, "polygons": (proj, owners)}


def country_labels(view: MapView, proj_polys, owners, *, min_share: float = 0.004) -> list[Label]:
    """One label per country covering at least ``min_share`` of the view, at a point inside
    its largest visible piece; priority by visible area."""
    if len(proj_polys) == 0:
        return []
    clipped = shapely.clip_by_rect(shapely.make_valid(proj_polys), view.x0_km, view.y0_km, view.x1_km, view.y1_km)
    area = shapely.area(clipped)
    names = country_names()
    out = []
    total = view.width_km * view.height_km
    for c in np.unique(owners):
        sel = np.flatnonzero(owners == c)
        a = area[sel]
        if a.sum() < min_share * total:
            continue
        best = clipped[sel[np.argmax(a)]]
        p = shapely.point_on_surface(best)
        out.append(Label(float(shapely.get_x(p)), float(shapely.get_y(p)), names[int(c)], float(a.sum()),
                         {"color": "0.35", "fontstyle": "italic"}))
    return out


# --------------------------------------------------------------------------- graticule, scale

def nice_step(span: float, target: int = 5, bases=_NICE) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about ``target`` steps over
    ``span``."""
    raw = max(span, 1e-9) / target
    mag = 10.0 ** np.floor(np.log10(raw))
    return float(min((b * mag for b in (*bases, 10)), key=lambda v: abs(v - raw)))


def draw_graticule(ax, view: MapView) -> list[Label]:
    """Meridians and parallels (thin grey lines) at a round step; returns their labels (low
    priority: dropped first when crowded), each near where its line leaves the view."""
    boxes = _lonlat_boxes(view)
    lat0, lat1 = min(b[1] for b in boxes), max(b[3] for b in boxes)
    lons = np.concatenate([np.linspace(b[0], b[2], 2) for b in boxes])
    span = max(lat1 - lat0, np.ptp(lons) if len(boxes) == 1 else 360.0)
    step = min((1.0, 2.0, 5.0, 10.0, 15.0, 30.0), key=lambda v: abs(span / v - 6))
    segs, labels = [], []
    t = np.linspace(-90.0, 90.0, 721)
    for lon in np.arange(-180.0, 180.0, step):
        labels += _grid_line(view, np.full_like(t, lon), t, segs, _lon_text(lon), "bottom")
    t = np.linspace(-180.0, 180.0, 1441)
    for lat in np.arange(-90.0 + step, 90.0, step):
        labels += _grid_line(view, t, np.full_like(t, lat), segs, _lat_text(lat), "left")
    ax.add_collection(LineCollection(segs, colors=GRATICULE, linewidths=0.35, linestyles="-", zorder=1.2),
                      autolim=False)
    return labels


def _grid_line(view, lon, lat, segs, text, edge) -> list[Label]:
    x, y = view.project(lon, lat)
    ok = np.hypot(x, y) < FAR_KM
    inside = ok & view.contains(x, y)
    if not inside.any():
        return []
    edges = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        if b - a >= 2:
            segs.append(np.column_stack([x[a:b], y[a:b]]))
    i = np.flatnonzero(inside)
    k = i[np.argmin(y[i])] if edge == "bottom" else i[np.argmin(x[i])]
    return [Label(float(x[k]), float(y[k]), text, -1.0, {"color": "0.45", "fontsize": 6})]


def _lon_text(lon: float) -> str:
    lon = (lon + 180.0) % 360.0 - 180.0
    return f"{abs(lon):g}\u00b0{'E' if 0 < lon < 180 else 'W' if -180 < lon < 0 else ''}"


def _lat_text(lat: float) -> str:
    return f"{abs(lat):g}\u00b0{'N' if lat > 0 else 'S' if lat < 0 else ''}"


def draw_scale_bar(ax, view: MapView):
    """A scale bar of a round length (about a fifth of the view's width) in the lower right
    corner; true along lines through the map centre (azimuthal equidistant)."""
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    length = nice_step(view.width_km, 5)
    bar = AnchoredSizeBar(ax.transData, length, f"{length:,.0f} km", "lower right", pad=0.4,
                          sep=3, frameon=True, size_vertical=view.height_km / 250.0,
                          fontproperties={"size": 7})
    bar.patch.set(alpha=0.8, edgecolor="none")
    ax.add_artist(bar)
    return bar


def draw_range_rings(ax, view: MapView, lat_deg: float, lon_deg: float, *, radii_km=None,
                     what: str = "from launch") -> list[Label]:
    """Geodesic circles (WGS84) of round radii around a point, dashed; returns their labels."""
    if radii_km is None:
        step = nice_step(0.5 * max(view.width_km, view.height_km), 4)
        radii_km = np.arange(step, 0.9 * EARTH_HALF_CIRCUMFERENCE_KM, step)
    az = np.linspace(0.0, 360.0, 361)
    labels, segs = [], []
    for r in radii_km:
        lon, lat, _ = _GEOD.fwd(np.full_like(az, lon_deg), np.full_like(az, lat_deg), az, np.full_like(az, r * 1e3))
        x, y = view.project(lon, lat)
        inside = view.contains(x, y)
        if not inside.any():
            continue
        segs.append(np.column_stack([x, y]))
        k = np.flatnonzero(inside)[0]
        labels.append(Label(float(x[k]), float(y[k]), f"{r:,.0f} km {what}", -0.5,
                            {"color": "0.4", "fontsize": 6}))
    ax.add_collection(LineCollection(segs, colors="0.55", linewidths=0.6, linestyles=(0, (4, 3)),
                                     zorder=1.3), autolim=False)
    return labels


# --------------------------------------------------------------------------- the whole base

def prepare_map(ax, view: MapView, *, rings_from: tuple[float, float] | None = None,
                scale_bar: bool = True) -> MapView:
    """Set ``ax`` up as a map of ``view`` (see :func:`map_axes`); the base map (outlines,
    graticule, range rings around ``rings_from`` (lat, lon), scale bar) is drawn by
    :func:`finish_map` once the layout has fixed the map's final extent. Returns ``view``."""
    map_axes(ax, view)
    ax.boostphase_map_base = {"rings_from": rings_from, "scale_bar": scale_bar}
    return view


def draw_base_map(ax, view: MapView, *, rings_from: tuple[float, float] | None = None,
                  scale_bar: bool = True) -> list[Label]:
    """Everything under the data: sea, land, outlines, graticule, range rings around
    ``rings_from`` (lat, lon) or a scale bar. Returns the labels to place once the layout is
    final (country names, graticule and ring labels), for :func:`place_map_labels`."""
    base = draw_outlines(ax, view)
    labels = country_labels(view, *base["polygons"])
    labels += draw_graticule(ax, view)
    if rings_from is not None:
        labels += draw_range_rings(ax, view, *rings_from)
    if scale_bar:
        draw_scale_bar(ax, view)
    return labels


def place_map_labels(ax, base_labels: list[Label], data_labels: list[Label] = ()) -> list:
    """Place the data's labels (cities, stages: first, at offsets around their points) and
    then the base map's (country names centred; graticule and ring labels last), dropping
    whatever would overlap. Call after the layout is final."""
    kept = place_labels(ax, list(data_labels))
    countries = [lb for lb in base_labels if lb.priority >= 0]
    rest = [lb for lb in base_labels if lb.priority < 0]
    kept += place_labels(ax, countries, offsets=CENTRED, markers=False)
    kept += place_labels(ax, rest, offsets=((3, 3), (3, -3), (-3, 3)), markers=False)
    return kept


def broken_track(x_km, y_km) -> tuple[np.ndarray, np.ndarray]:
    """A projected track with NaN where it passes near the antipode or jumps (a wrap), so no
    line crosses the map."""
    x, y = np.asarray(x_km, float), np.asarray(y_km, float)
    far = np.hypot(x, y) >= FAR_KM
    jump = np.append(np.hypot(np.diff(x), np.diff(y)) > JUMP_KM, False)
    x, y = np.where(far, np.nan, x), np.where(far, np.nan, y)
    cut = np.flatnonzero(jump) + 1
    return np.insert(x, cut, np.nan), np.insert(y, cut, np.nan)


def finish_map(fig, ax, data_labels, path, *, source: str, formats=None, owned=True):
    """Source line; final layout (frozen when the figure is ours); the base map drawn for the
    map's final extent (see :func:`prepare_map`); every label placed without overlap; then
    the figure written (returns the path) or returned (``path`` None)."""
    add_source_line(fig, source)
    if owned:
        freeze_layout(fig)
    else:
        fig.canvas.draw()
    final = fit_view(ax)
    base = draw_base_map(ax, final, **getattr(ax, "boostphase_map_base", {}))
    place_map_labels(ax, base, data_labels)
    return finish(fig, path, source=source, formats=formats)


def fit_view(ax) -> MapView:
    """Widen the map's limits to the shape of its laid-out box (equal km per pixel both ways,
    the view kept in the middle), fix that aspect, and return the final view."""
    v = view_of(ax)
    box = ax.get_window_extent()
    km_per_px = max(v.width_km / box.width, v.height_km / box.height)
    xm, ym = 0.5 * (v.x0_km + v.x1_km), 0.5 * (v.y0_km + v.y1_km)
    hw, hh = 0.5 * km_per_px * box.width, 0.5 * km_per_px * box.height
    final = MapView(v.lat0_deg, v.lon0_deg, xm - hw, xm + hw, ym - hh, ym + hh)
    ax.set_xlim(final.x0_km, final.x1_km)
    ax.set_ylim(final.y0_km, final.y1_km)
    ax.set_aspect("equal", adjustable="box")
    ax.boostphase_map_view = final
    return final
