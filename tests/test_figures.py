"""Publication figures (issue 18): every figure function writes a 300-dpi PNG (and SVG when
asked) with a source line; maps are azimuthal-equidistant (pyproj) with Natural Earth
outlines; no two drawn texts overlap; SVG output is reproducible byte for byte.

Inputs are tiny stand-ins (SimpleNamespace objects with the attributes each figure reads), so
the tests check the drawing, not the physics, and stay fast. Independent references: pyproj's
own Transformer and Geod (built here, not taken from the code under test) for the projection;
PIL for the PNG's pixel size and dpi; the Agg renderer's own text extents for overlaps.
"""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace as NS

import matplotlib
import numpy as np
import pyproj
import pytest
from matplotlib.collections import LineCollection
from matplotlib.text import Text
from PIL import Image

matplotlib.use("Agg")

from boostphase import __version__  # noqa: E402
from boostphase.present import (  # noqa: E402
    c4_plots,
    consequence_maps,
    engage_maps,
    figures,
    maps,
    plots,
    reach,
    timeline,
)
from boostphase.present.labels import Label, place_labels  # noqa: E402
from boostphase.reconstruct.testflights import ReachRow  # noqa: E402

D = dt.date
SITE = (40.0, 125.0)  # lat, lon (deg): a launch point in North Korea
# PIL reads the PNG pHYs chunk (dots per metre, an integer): 300 dpi comes back as 299.9994
DPI_TOL = 0.01


# --------------------------------------------------------------------------- stand-ins

def _great_circle(lat0, lon0, az_deg, dist_km, n=40):
    """Points along a geodesic (pyproj.Geod), as a ground track would be."""
    g = pyproj.Geod(ellps="WGS84")
    d = np.linspace(0.0, dist_km * 1e3, n)
    lon, lat, _ = g.fwd(np.full(n, lon0), np.full(n, lat0), np.full(n, az_deg), d)
    return lat, lon, d


def _trajectory(az=60.0, dist_km=3000.0, impacted=True):
    lat, lon, d = _great_circle(*SITE, az, dist_km)
    t = np.linspace(0.0, 1200.0, lat.size)
    alt = 1000e3 * np.sin(np.pi * d / d[-1])
    return NS(missile=NS(title=f"Test missile {az:g}"), profile="min-energy", launch_lat_deg=SITE[0],
              launch_lon_deg=SITE[1], azimuth_deg=az, t_s=t, altitude_m=alt, impacted=impacted,
              range_m=d[-1] if impacted else None, ground_range_m=lambda: d,
              burnout=lambda: {"time_s": 200.0}, geodetic=lambda: (lat, lon, alt))


def _trace(n=30):
    lat, lon, _ = _great_circle(*SITE, 60.0, 2500.0, n)
    return NS(missile="Test missile", launch=SITE, nominal_impact=(float(lat[-1]), float(lon[-1])),
              azimuth_deg=60.0, burnout_s=240.0, cutoff_s=np.linspace(60.0, 240.0, n), lat=lat, lon=lon)


CITIES = [("Vladivostok", 43.1, 131.9), ("Sapporo", 43.06, 141.35), ("Niigata", 37.9, 139.0),
          ("Sendai", 38.27, 140.87), ("Aomori", 40.82, 140.74), ("Akita", 39.72, 140.1),
          ("Hakodate", 41.77, 140.73), ("Khabarovsk", 48.48, 135.08), ("Seoul", 37.57, 126.98),
          ("Tokyo", 35.68, 139.69)]


def _footprint(n=400, seed=1):
    rng = np.random.default_rng(seed)
    tr = _trace()
    lat = 41.0 + rng.normal(0, 1.5, n)
    lon = 136.0 + rng.normal(0, 2.0, n)
    cities = [{"name": nm, "lat": la, "lon": lo, "expected_impacts": 10.0 - i} for i, (nm, la, lo) in enumerate(CITIES)]
    return NS(n=n, seed=seed, lat=lat, lon=lon, impacted=np.ones(n, bool), trace=tr, city_radius_km=50.0,
              stages=[{"name": "stage 1 (spent)", "lat": 40.5, "lon": 127.0}], cities_at_risk=cities,
              shares={"Sea of Japan": 0.8, "Japan": 0.2})


def _c5_res():
    pts = NS(lat=np.array([41.0, 42.0, 43.0]), lon=np.array([133.0, 134.0, 135.0]), group=np.zeros(3, int))
    ctx = NS(spec=NS(missiles=NS(values=["m"]), sites=NS(values=["s"]), policies=["earliest", "window_uniform"]),
             cases={("m", "s", "Seattle"): pts})
    sim = {"missile": np.zeros(3, int), "site": np.zeros(3, int), "cut_earliest": np.array([0, 1, 2]),
           "cut_window_uniform": np.array([0, -1, 2]), "t_earliest": np.array([100.0, 120.0, np.nan]),
           "t_window_uniform": np.array([110.0, 130.0, 150.0])}
    pol = {"earliest": {"p_russia_land": 0.4, "ci95": [0.3, 0.5]},
           "window_uniform": {"p_russia_land": 0.2, "ci95": [0.1, 0.3]}}
    cur = {"t_s": [60.0, 120.0, 180.0, 240.0], "p_russia_land": [0.0, 0.3, 0.5, 0.2],
           "by_threat_model": {"liquid": [0.0, 0.2, 0.4, 0.1]}}
    cond = {"n_per_target": 3, "seed": 7, "threat_models": "liquid", "detection_delay": "30 s",
            "decision_time": "10 s", "interceptor_speed": "4 km/s", "laydown": "test", "payload_beta_kg_m2": 5e3}
    return {"targets": {"Seattle": {"policies": pol, "russia_by_intercept_time": cur}}, "samples": {"Seattle": sim},
            "context": ctx, "orbits": [{"lat": 41.0, "lon": 131.0}], "conditions": cond}


def _emap():
    lat, lon = np.linspace(36.0, 44.0, 9), np.linspace(128.0, 138.0, 11)
    share = np.clip(1.0 - np.hypot(*np.meshgrid(lon - 131.0, lat - 40.0)) / 8.0, 0.0, 1.0)
    tlat, tlon, _ = _great_circle(*SITE, 45.0, 800.0, 20)
    track = NS(t_s=np.linspace(0.0, 300.0, 20), burnout_time_s=240.0, lat_deg=tlat, lon_deg=tlon)
    return NS(lat_deg=lat, lon_deg=lon, share=share, allowed=share < 0.95, threats=[NS(track=track, launch=SITE)],
              coverage=lambda: NS(orbits=[{"lat": 40.0, "lon": 132.0}]), interceptor=NS(name="test interceptor"),
              timeline=NS(interceptor_launch_s=60.0), keep_out=NS(describe=lambda: "none"),
              platform=NS(altitude_m=15e3, reference="centre", orbit_radius_m=20e3))


def _reach_res(n_az=36, global_from=40.0, global_to=140.0):
    rows = []
    for a in np.linspace(0.0, 360.0, n_az, endpoint=False):
        g = global_from <= a <= global_to
        rows.append({"azimuth_deg": a, "range_km": None if g else 9000.0 + 1500.0 * np.cos(np.radians(a)),
                     "bearing_deg": None if g else a, "global_reach": g})
    geod = pyproj.Geod(ellps="WGS84")
    names = ["Los Angeles", "Denver", "Chicago", "Washington", "New York", "Seattle", "San Francisco", "Boston",
             "Philadelphia", "Houston", "Anchorage", "Honolulu", "Vancouver", "Toronto", "Montreal", "Ottawa",
             "Portland", "Phoenix", "Dallas", "Atlanta", "Miami", "Minneapolis", "Beijing", "Tokyo", "Moscow",
             "London", "Paris", "Berlin", "Sydney", "Delhi"]
    coords = [(34.05, -118.24), (39.74, -104.99), (41.88, -87.63), (38.9, -77.04), (40.71, -74.0),
              (47.6, -122.33), (37.77, -122.42), (42.36, -71.06), (39.95, -75.17), (29.76, -95.37),
              (61.22, -149.9), (21.31, -157.86), (49.28, -123.12), (43.65, -79.38), (45.5, -73.57),
              (45.42, -75.7), (45.52, -122.68), (33.45, -112.07), (32.78, -96.8), (33.75, -84.39),
              (25.76, -80.19), (44.98, -93.27), (39.9, 116.4), (35.68, 139.69), (55.75, 37.62),
              (51.5, -0.13), (48.86, 2.35), (52.52, 13.4), (-33.87, 151.21), (28.61, 77.21)]
    cities = []
    for nm, (la, lo) in zip(names, coords, strict=True):
        az, _, d = geod.inv(SITE[1], SITE[0], lo, la)
        cities.append({"name": nm, "azimuth_deg": az % 360.0, "distance_km": d / 1e3, "in_reach": d < 9e6})
    return {"missile_model": "test model", "fit": {"payload_kg": 500.0, "apogee_km": 3700.0, "range_km": 1000.0},
            "global_reach": False, "max_range_km": 9500.0, "reach_by_azimuth": rows, "cities": cities,
            "reach_geojson": {"properties": {"launch": [SITE[1], SITE[0]]}}}


def _timeline_rows():
    return [ReachRow(D(2017, 5, 14), "Hwasong-12", 4500.0, 4000.0, 5000.0),
            ReachRow(D(2017, 7, 28), "Hwasong-14", 10400.0, 9000.0, 11500.0),
            ReachRow(D(2017, 11, 29), "Hwasong-15", 13000.0, 12000.0, 14000.0),
            ReachRow(D(2022, 3, 24), "Hwasong-17", float("nan"), 15000.0, float("nan"), "global", "orbital"),
            ReachRow(D(2023, 4, 13), "Hwasong-18", float("nan"), float("nan"), float("nan"), "skipped", "solid")]


BANDS = {"2017-07-28": {"median_km": 10_200.0, "p10_km": 9_100.0, "p90_km": 11_900.0, "p_global": 0.0, "n": 200},
         "2017-11-29": {"median_km": 13_100.0, "p10_km": 11_000.0, "p90_km": None, "p_global": 0.15, "n": 200}}

# every figure function: name -> call(path) returning what the function returns
FIGURES = {
    "altitude_vs_range": lambda p: plots.altitude_vs_range([_trajectory(), _trajectory(100.0, 5000.0)], p),
    "ground_tracks": lambda p: plots.ground_tracks([_trajectory(), _trajectory(100.0, 5000.0, impacted=False)], p),
    "shortfall_map": lambda p: consequence_maps.shortfall_map(_trace(), p, "test trace"),
    "footprint_map": lambda p: consequence_maps.footprint_map(_footprint(), p, "test footprint"),
    "c5_map": lambda p: consequence_maps.c5_map(
        {"title": "test", "russia_share": 0.3, "threat": {"launch": {"lat": SITE[0], "lon": SITE[1]},
                                                          "nominal_impact": {"lat": 47.6, "lon": -122.3}},
         "payload_impacts": [{"lat": 42.0, "lon": 135.0, "intercept_s": 120.0}]}, p),
    "c5_time_plot": lambda p: consequence_maps.c5_time_plot(_c5_res(), "Seattle",
                                                            _c5_res()["targets"]["Seattle"], p),
    "c5_cloud_map": lambda p: consequence_maps.c5_cloud_map(_c5_res(), "Seattle", p),
    "engagement_map": lambda p: engage_maps.plot_engagement_map(_emap(), p, "test map",
                                                                [NS(name="orbit A", lat_deg=40.0, lon_deg=133.0)]),
    "reach_by_azimuth": lambda p: reach.reach_by_azimuth(_reach_res(), p),
    "timeline": lambda p: timeline.plot_timeline(_timeline_rows(), p, [("2017-09-03", "event")], bands=BANDS),
}
MAPS = {"ground_tracks", "shortfall_map", "footprint_map", "c5_map", "c5_cloud_map", "engagement_map"}


def _drawn_texts(fig, monkeypatch) -> list[Text]:
    """The text artists the Agg renderer actually draws (visible, non-empty), recorded by
    wrapping Text.draw during one render."""
    drawn = []
    orig = Text.draw

    def record(self, renderer):
        if self.get_visible() and self.get_text().strip() and all(self is not t for t in drawn):
            drawn.append(self)
        return orig(self, renderer)

    monkeypatch.setattr(Text, "draw", record)
    fig.savefig(io.BytesIO(), format="png", dpi=fig.dpi)
    monkeypatch.setattr(Text, "draw", orig)
    return drawn


def _overlapping_pairs(fig, texts):
    r = fig.canvas.get_renderer()
    boxes = [(t.get_text()[:30], t.get_window_extent(r)) for t in texts]
    return [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:]
            if ba.x0 < bb.x1 - 0.5 and bb.x0 < ba.x1 - 0.5 and ba.y0 < bb.y1 - 0.5 and bb.y0 < ba.y1 - 0.5]


def _source_text(fig) -> str:
    t = [t for t in fig.texts if t.get_gid() == figures.SOURCE_GID]
    assert len(t) == 1, "exactly one source line"
    return t[0].get_text().replace("\n", " ")


# --------------------------------------------------------------------------- the tests

@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_figure_writes_300_dpi_png_and_svg_with_a_source_line(name, tmp_path):
    """PNG at 300 dpi (pixel size = inches x 300, pHYs says 300), SVG beside it on request,
    the source line drawn (version, what, and the borders credit on maps) and in the PNG's
    metadata; without a path the Figure comes back (notebooks)."""
    fig = FIGURES[name](None)
    assert isinstance(fig, matplotlib.figure.Figure)
    src = _source_text(fig)
    assert src.startswith(f"boostphase {__version__} \u00b7 ") and len(src) > 40
    assert ("Natural Earth (public domain)" in src) == (name in MAPS or name == "reach_by_azimuth")
    w_in, h_in = fig.get_size_inches()
    out = figures.save_figure(fig, tmp_path / f"{name}.png", source=src, formats=("png", "svg"))
    img = Image.open(out)
    assert img.size == (round(w_in * 300), round(h_in * 300))
    assert img.info["dpi"] == pytest.approx((300, 300), abs=DPI_TOL)
    assert img.info["Source"] == src
    svg = (tmp_path / f"{name}.svg").read_text()
    assert svg.startswith("<?xml") and "boostphase" in svg


@pytest.mark.parametrize("name", ["altitude_vs_range", "timeline", "shortfall_map"])
def test_the_function_writes_the_path_it_is_given(name, tmp_path):
    """With a path the function itself writes it (PNG by default, SVG or PDF by suffix)."""
    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
        out = FIGURES[name](tmp_path / f"f{suffix}")
        assert out == tmp_path / f"f{suffix}" and out.read_bytes()[:5].startswith(magic)


def test_maps_are_azimuthal_equidistant_with_natural_earth_outlines():
    """The launch star's map coordinates are pyproj's aeqd projection (built here, centred on
    the view's centre) of the launch point: not plate carree (x is not the longitude); the
    distance from the centre is the WGS84 geodesic distance (aeqd's defining property, checked
    with pyproj.Geod to 1 m); border lines are drawn."""
    fig = FIGURES["shortfall_map"](None)
    ax = fig.axes[0]
    view = maps.view_of(ax)
    ref = pyproj.Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={view.lat0_deg} +lon_0={view.lon0_deg} +datum=WGS84 +units=m", always_xy=True)
    x, y = ref.transform(SITE[1], SITE[0])
    star = [ln for ln in ax.get_lines() if ln.get_marker() == "*"][0]
    assert star.get_xdata()[0] == pytest.approx(x / 1e3, abs=1e-6)  # km
    assert star.get_ydata()[0] == pytest.approx(y / 1e3, abs=1e-6)
    assert abs(star.get_xdata()[0] - SITE[1]) > 100.0  # plate carree would put x at the longitude
    _, _, d_m = pyproj.Geod(ellps="WGS84").inv(view.lon0_deg, view.lat0_deg, SITE[1], SITE[0])
    assert np.hypot(x, y) == pytest.approx(d_m, abs=1.0)
    borders = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() == "boostphase-borders"]
    assert borders and sum(len(s) for s in borders[0].get_segments()) > 100


@pytest.mark.parametrize("name", ["reach_by_azimuth", "footprint_map", "ground_tracks", "timeline"])
def test_no_two_drawn_texts_overlap(name, monkeypatch):
    """30 cities on the reach plot, 10 cities plus country, graticule and ring labels on the
    maps: no two texts the renderer draws overlap (half-pixel tolerance for antialiasing)."""
    fig = FIGURES[name](None)
    texts = _drawn_texts(fig, monkeypatch)
    assert len(texts) > 10
    assert _overlapping_pairs(fig, texts) == []
    if name == "reach_by_azimuth":
        shown = {t.get_text() for t in texts}
        assert sum(c["name"] in shown for c in _reach_res()["cities"]) >= 10  # crowded, yet most kept
        assert any("global (no finite range)" in s for s in shown)


def test_global_azimuths_are_arrows_not_spikes():
    """The reach line never runs to a global bearing: each drawn segment joins two finite
    azimuths; the global ones are arrows at the edge."""
    res = _reach_res()
    fig = reach.reach_by_azimuth(res, None)
    ax = fig.axes[0]
    finite_r = {round(r["range_km"], 6) for r in res["reach_by_azimuth"] if not r["global_reach"]}
    reach_lines = [ln for ln in ax.get_lines() if ln.get_color() == "C0" and len(ln.get_ydata()) == 2]
    assert reach_lines and all(round(v, 6) in finite_r for ln in reach_lines for v in ln.get_ydata())
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) == sum(r["global_reach"] for r in res["reach_by_azimuth"])


def test_label_placement_drops_the_lower_priority_label():
    """Two labels on one point with only one candidate offset: the higher priority is kept."""
    fig, ax = figures.new_figure((3, 3))
    ax.set(xlim=(0, 1), ylim=(0, 1))
    figures.freeze_layout(fig)
    kept = place_labels(ax, [Label(0.5, 0.5, "low", 0.0), Label(0.5, 0.5, "high", 1.0)], offsets=((4, 4),))
    assert [t.get_text() for t in kept] == ["high"]


def test_legends_sit_outside_the_axes():
    """More than a few entries: the legend box lies outside the axes box (hides no curve)."""
    fig = plots.altitude_vs_range([_trajectory(a, 1000.0 + 10 * a) for a in range(0, 180, 30)], None)
    fig.canvas.draw()
    ax = fig.axes[0]
    leg, box = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert leg.x0 >= box.x1 or leg.y1 <= box.y0


def test_svg_written_twice_is_byte_identical(tmp_path):
    """No timestamps, a fixed hash salt: the same figure built and written twice gives the
    same SVG bytes (and the same PDF bytes)."""
    for k in (1, 2):
        timeline.plot_timeline(_timeline_rows(), tmp_path / f"t{k}.svg", bands=BANDS, formats=("svg", "pdf"))
        FIGURES["shortfall_map"](tmp_path / f"m{k}.svg")
    assert (tmp_path / "t1.svg").read_bytes() == (tmp_path / "t2.svg").read_bytes()
    assert (tmp_path / "t1.pdf").read_bytes() == (tmp_path / "t2.pdf").read_bytes()
    assert (tmp_path / "m1.svg").read_bytes() == (tmp_path / "m2.svg").read_bytes()


def test_timeline_draws_the_reach_band():
    """With a reach_band: a 10-90 % bar (to the top edge, with an arrow, where p90 is global),
    the median as the point, and the share global written beside it."""
    fig = timeline.plot_timeline(_timeline_rows(), None, bands=BANDS)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "15% global" in texts
    segs = [s for c in ax.collections for s in c.get_segments() if len(s) == 2 and s[0][0] == s[1][0]]
    spans = {tuple(np.round(sorted(s[:, 1]))) for s in segs}
    assert (9100.0, 11900.0) in spans and (11000.0, timeline.Y_TOP_KM) in spans
    meds = {float(y) for ln in ax.get_lines() for y in ln.get_ydata() if len(ln.get_ydata()) == 1}
    assert {10_200.0, 13_100.0} <= meds


def test_bad_formats_are_refused_with_one_clear_line(tmp_path):
    from boostphase.errors import InputError

    fig = FIGURES["c5_time_plot"](None)
    with pytest.raises(InputError, match="formats"):
        figures.save_figure(fig, tmp_path / "x.png", source="s", formats=("png", "gif"))
    assert not any(tmp_path.iterdir())


def test_c4_figures_without_the_flyout_computation(tmp_path):
    """The two C4 figures drawn from a result alone carry the source line; legends outside."""
    res = {"conditions": {"interceptor_launch_time_s": 60.0, "ideal_burnout_speed_km_s": 5.0, "drag": True},
           "figures": {"time_to_intercept": {"liquid": {"distance_km": [0, 100, 200], "worst_bearing_s": [100, 150, None],
                                                         "best_bearing_s": [90, 120, 160], "burnout_time_s": 240.0,
                                                         "model": "generic"}},
                       "standoff_vs_delay": [{"class": c, "speed_km_s": 5.0, "delay_s": d, "guaranteed_standoff_km": 100 - d,
                                              "best_standoff_km": 300.0, "model": "generic"}
                                             for c in ("liquid", "solid") for d in (30.0, 60.0)]}}
    src = c4_plots.c4_source(res)
    for fig in (c4_plots.time_to_intercept(res), c4_plots.standoff_vs_delay(res)):
        p = figures.save_figure(fig, tmp_path / "c4.png", source=src)
        assert _source_text(fig).startswith(f"boostphase {__version__}")
        assert Image.open(p).info["dpi"] == pytest.approx((300, 300), abs=DPI_TOL)
