"""Results as data and pictures (issue 18): reprs, tables, notebook HTML and plots of the result
objects, checked against the objects' own fields and against independent references.

References and tolerances (each stated where used):

* a table's column must equal the array it comes from, divided by the unit's factor: equality
  to 1e-12 relative (one division by 1e3; nothing else may happen to the numbers);
* the trajectory's ground-range column against an independent haversine on a 6371 km sphere
  from its own lat/lon columns: 0.5 % (WGS84 geodesic vs sphere differ by up to ~0.5 %);
* the footprint's territory shares against a recount of the table's territory column: exact
  (a count of the same labels);
* a C5 probability lies inside its own 95 % interval (Wilson's interval contains p);
* a place drawn on a map (ground track, impact points, fragment and payload clouds) against an
  azimuthal-equidistant transform built here with pyproj from the map's centre, not through
  boostphase.present.maps: 1 m (the same PROJ formulas on both sides; what is left is
  round-off), and its distance from the centre against pyproj.Geod's geodesic: 1 m (on an
  azimuthal-equidistant map the distance from the centre is the geodesic one);
* a written PNG: pixel size = figure inches x 300 and the pHYs chunk says 300 dpi (PIL reads
  it back as 299.9994: dots per metre are an integer), within 0.01 dpi.

Small, fast cases: one flyout (~0.1 s), a 200-fragment footprint, a reconstruction without
its burn-time variants and with 4 azimuths, one engagement table, a C5 ensemble of 24 samples
of one threat model, site and target (~5 s, shared by the C5 tests)."""

from __future__ import annotations

import html
import json
import math
from html.parser import HTMLParser

import matplotlib
import numpy as np
import pyproj
import pytest
from PIL import Image

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from boostphase import __version__, api, results  # noqa: E402
from boostphase.errors import InputError  # noqa: E402
from boostphase.present import figures, maps  # noqa: E402

REL = 1e-12  # one unit conversion (a division by 1e3), nothing else


def _km(x):
    return f"{x:,.0f} km"


class _Tags(HTMLParser):
    """Checks that every opened tag is closed in order (well-formed enough for a notebook)."""

    VOID = {"br", "hr", "img", "meta", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.ok, self.tags = [], True, []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        self.ok &= bool(self.stack) and self.stack.pop() == tag


def _check_html(text: str, *figures: str):
    p = _Tags()
    p.feed(text)
    p.close()
    assert p.ok and not p.stack, text
    assert "table" in p.tags and "caption" in p.tags
    for f in figures:
        assert html.escape(f) in text, (f, text)


def _check_repr(obj, *figures: str):
    r = repr(obj)
    assert "\n" not in r and len(r) <= results.REPR_MAX, r
    assert r.startswith(f"<{type(obj).__name__} ") and r.endswith(">")
    for f in figures:
        assert f in r, (f, r)


MAP_TOL_KM = 1e-3   # 1 m: the same PROJ formulas on both sides, round-off only
DPI_TOL = 0.01      # PIL reads 300 dpi back as 299.9994 (pHYs holds integer dots per metre)


@pytest.fixture(autouse=True)
def _no_pyplot():
    """plot() makes its figures without pyplot: no pyplot figure may be open afterwards."""
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "plot() left a pyplot figure open"


def _plain_axes():
    """A caller's own Axes (not a boostphase map), made without pyplot."""
    return Figure().subplots()


def _source_text(fig) -> str:
    t = [t for t in fig.texts if t.get_gid() == figures.SOURCE_GID]
    assert len(t) == 1, "exactly one source line"
    return t[0].get_text().replace("\n", " ")


def _check_source(ax, *words: str, borders: bool = False):
    src = _source_text(ax.figure)
    assert src.startswith(f"boostphase {__version__} \u00b7 "), src
    assert ("Natural Earth" in src) == borders, src
    for w in words:
        assert w in src, (w, src)


def _check_legend_outside(ax):
    """The legend's drawn box and the axes' box do not overlap (it hides no data)."""
    legend = ax.get_legend()
    assert legend is not None
    ax.figure.canvas.draw()
    lb, ab = legend.get_window_extent(), ax.get_window_extent()
    assert lb.x0 >= ab.x1 - 0.5 or lb.x1 <= ab.x0 + 0.5 or lb.y1 <= ab.y0 + 0.5 or lb.y0 >= ab.y1 - 0.5, (lb, ab)


def _artist(ax, gid: str):
    found = [a for a in [*ax.lines, *ax.collections] if a.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def _check_on_map(ax, lon, lat, x_km, y_km):
    """Drawn map points against an independent azimuthal-equidistant transform (pyproj, built
    here from the map's centre) and against pyproj.Geod's distance from that centre."""
    view = maps.view_of(ax)
    assert view is not None, "not drawn on a boostphase map"
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    aeqd = pyproj.Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={view.lat0_deg!r} +lon_0={view.lon0_deg!r} +datum=WGS84 +units=m",
        always_xy=True)
    ex, ey = aeqd.transform(lon, lat)
    np.testing.assert_allclose(x_km, np.asarray(ex) / 1e3, rtol=0, atol=MAP_TOL_KM)
    np.testing.assert_allclose(y_km, np.asarray(ey) / 1e3, rtol=0, atol=MAP_TOL_KM)
    _, _, dist_m = pyproj.Geod(ellps="WGS84").inv(np.full(lon.size, view.lon0_deg), np.full(lat.size, view.lat0_deg),
                                                  lon, lat)
    np.testing.assert_allclose(np.hypot(x_km, y_km), dist_m / 1e3, rtol=0, atol=MAP_TOL_KM)


def _check_lonlat(xy_lon, xy_lat, lon, lat):
    """Points drawn in lon/lat on a plain Axes: latitudes as they are, longitudes up to whole
    turns (kept continuous across 180)."""
    np.testing.assert_array_equal(xy_lat, lat)
    np.testing.assert_allclose((np.asarray(xy_lon) - lon + 180) % 360 - 180, 0.0, atol=1e-9)


# --- the shared pieces -------------------------------------------------------------------------

def test_unit_of_reads_the_unit_from_the_name():
    assert [results.unit_of(n) for n in ("alt_km", "t_s", "speed_km_s", "kick_m_s", "beta_kg_m2", "lat_deg",
                                         "dynamic_pressure_kpa", "mach", "p_russia_land", "territory")] == \
        ["km", "s", "km/s", "m/s", "kg/m^2", "deg", "kPa", "1", "1", ""]


def test_a_long_repr_drops_figures_rather_than_growing():
    line = results.one_line("X", "t", [("a", "1" * 60), ("b", "2" * 60)])
    assert line == "<X t: a " + "1" * 60 + ">"
    assert len(results.one_line("X", "t" * 300, [])) == results.REPR_MAX


def test_plot_without_matplotlib_says_what_is_missing(me_traj, monkeypatch):
    real = results.importlib.util.find_spec
    monkeypatch.setattr(results.importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real(name, *a))
    with pytest.raises(ImportError, match="plot\\(\\) needs matplotlib"):
        me_traj.plot()


def test_missile_repr_is_one_short_line():
    m = api.load("hwasong-15")
    _check_repr(m, "hwasong-15", f"{m.launch_mass_kg:,.0f} kg", f"{m.payload_kg:,.0f} kg",
                f"{m.boost_time_s:,.0f} s", f"{len(m.stages)} stages")
    assert all(len(repr(s)) <= results.REPR_MAX for s in m.stages)


# --- Trajectory ---------------------------------------------------------------------------------

def test_trajectory_repr_and_html(me_traj):
    figs = (_km(me_traj.range_m / 1e3), _km(me_traj.apogee_m / 1e3), f"{me_traj.flight_time_s / 60:.1f} min")
    _check_repr(me_traj, "hwasong-15", *figs)
    _check_html(me_traj._repr_html_(), *figs)
    assert me_traj.range_km == me_traj.range_m / 1e3 and me_traj.apogee_km == me_traj.apogee_m / 1e3


def test_trajectory_dataframe_equals_its_arrays(me_traj):
    df = me_traj.to_dataframe()
    assert list(df.columns) == ["t_s", "lat_deg", "lon_deg", "alt_km", "ground_range_km", "speed_km_s", "mach",
                                "dynamic_pressure_kpa", "flight_path_deg"]
    assert len(df) == len(me_traj.t_s) and np.all(np.diff(df["t_s"]) > 0)
    np.testing.assert_allclose(df["alt_km"], me_traj.altitude_m / 1e3, rtol=REL)
    np.testing.assert_allclose(df["speed_km_s"], me_traj.speed_m_s / 1e3, rtol=REL)
    # it lands: the last altitude is the ground (1 m: the impact event's tolerance is far finer)
    assert abs(df["alt_km"].iloc[-1]) < 1e-3
    assert df["ground_range_km"].iloc[-1] == pytest.approx(me_traj.range_m / 1e3, rel=REL)
    assert df.attrs["units"]["alt_km"] == "km" and df.attrs["range_km"] == me_traj.range_m / 1e3
    # independent: haversine on a 6371 km sphere from the table's own lat/lon (0.5 %: sphere vs WGS84)
    la0, lo0, la1, lo1 = map(np.radians, (me_traj.launch_lat_deg, me_traj.launch_lon_deg,
                                          df["lat_deg"].iloc[-1], df["lon_deg"].iloc[-1]))
    hav = 2 * 6371.0 * math.asin(math.sqrt(math.sin((la1 - la0) / 2) ** 2
                                           + math.cos(la0) * math.cos(la1) * math.sin((lo1 - lo0) / 2) ** 2))
    assert df["ground_range_km"].iloc[-1] == pytest.approx(hav, rel=5e-3)


def test_trajectory_xarray_has_time_coordinate_and_units(me_traj):
    ds = me_traj.to_xarray()
    assert ds["alt_km"].dims == ("t_s",) and ds["t_s"].attrs["units"] == "s"
    assert ds["alt_km"].attrs["units"] == "km" and ds["speed_km_s"].attrs["units"] == "km/s"
    np.testing.assert_array_equal(ds["t_s"].values, me_traj.t_s)
    np.testing.assert_allclose(ds["alt_km"].values, me_traj.altitude_m / 1e3, rtol=REL)
    assert ds.attrs["apogee_km"] == me_traj.apogee_m / 1e3 and ds.attrs["missile"] == "hwasong-15"


def test_trajectory_plot_draws_its_arrays(me_traj):
    given = _plain_axes()
    ax = me_traj.plot(ax=given)
    assert ax is given and isinstance(ax, Axes)
    assert not [t for t in ax.figure.texts if t.get_gid() == figures.SOURCE_GID]  # the caller's figure
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), me_traj.ground_range_m() / 1e3, rtol=REL)
    np.testing.assert_allclose(line.get_ydata(), me_traj.altitude_m / 1e3, rtol=REL)
    b = me_traj.burnout()
    dot = ax.get_lines()[1]  # burnout, at the recorded point nearest its time (points every few s)
    assert dot.get_ydata()[0] == pytest.approx(b["altitude_m"] / 1e3, abs=20.0)
    ax2 = me_traj.plot(x="t_s", y="speed_km_s")  # any two columns; a new figure when no ax
    np.testing.assert_array_equal(ax2.get_lines()[0].get_xdata(), me_traj.t_s)
    _check_source(ax2, me_traj.missile.title, "min-energy", f"azimuth {me_traj.azimuth_deg:g} deg")
    _check_legend_outside(ax2)
    with pytest.raises(InputError, match="plot column"):
        me_traj.plot(y="altitude")
    with pytest.raises(InputError, match="what"):
        me_traj.plot(what="map")


def test_trajectory_ground_track_is_on_a_projected_map(me_traj):
    lat, lon, _ = me_traj.geodetic()
    ax = me_traj.plot(what="track")
    x, y = _artist(ax, "ground-track").get_data()
    keep = np.isfinite(x)   # a break (NaN) only where the track wraps near the antipode
    far = np.hypot(*maps.view_of(ax).project(lon, lat)) >= maps.FAR_KM
    _check_on_map(ax, lon[~far], lat[~far], np.asarray(x)[keep], np.asarray(y)[keep])
    assert maps.view_of(ax).contains(x[keep][-1], y[keep][-1])  # the impact is on the map
    _check_source(ax, me_traj.missile.title, "ground track", borders=True)
    assert any(c.get_gid() == "boostphase-borders" for c in ax.collections)  # the base map is drawn
    plain = me_traj.plot(ax=_plain_axes(), x="lon_deg", y="lat_deg")  # same as what="track"
    _check_lonlat(*_artist(plain, "ground-track").get_data(), lon, lat)
    assert "longitude" in plain.get_xlabel() and "latitude" in plain.get_ylabel()


def test_saving_writes_a_300_dpi_png_and_an_svg_with_the_source(me_traj, tmp_path):
    out = me_traj.save(tmp_path / "flight.png", formats=("png", "svg"), what="track")
    assert out == tmp_path / "flight.png"
    img = Image.open(out)
    assert img.size == (round(9.0 * 300), round(6.5 * 300))  # the map figure is 9 x 6.5 in
    assert img.info["dpi"] == pytest.approx((300, 300), abs=DPI_TOL)
    assert img.info["Source"].startswith(f"boostphase {__version__}") and me_traj.missile.title in img.info["Source"]
    svg = (tmp_path / "flight.svg").read_text()
    assert svg.startswith("<?xml") and "Natural Earth (public domain)" in svg
    pdf = me_traj.plot(path=tmp_path / "profile.pdf")
    assert pdf == tmp_path / "profile.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    # a caller's figure gets the source line when it is written
    ax = _plain_axes()
    me_traj.plot(ax=ax, path=tmp_path / "mine.png")
    _check_source(ax, me_traj.missile.title)
    with pytest.raises(InputError, match="formats"):
        me_traj.plot(formats=("png",))
    with pytest.raises(InputError, match="formats"):
        me_traj.save(tmp_path / "x.png", formats=("gif",))
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "x.gif").exists()


def test_a_flight_that_does_not_land_says_so():
    tr = api.fly(api.load("hwasong-15").with_payload(100.0), 39.0, 125.7, azimuth_deg=90.0, kick_deg=24.0)
    assert not tr.impacted
    _check_repr(tr, "no impact", _km(tr.apogee_m / 1e3))
    _check_html(tr._repr_html_(), "Verdict", tr.reason)
    assert tr.to_dataframe().attrs["range_km"] is None and "range_km" not in tr.to_xarray().attrs


# --- CoastResult ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def batch():
    return api.coast(39.0, 125.7, 100e3, [6000.0, 7000.0, 12000.0], 20.0, 45.0, earth=api.SPHERE, t_max_s=2.0e4)


def test_coast_tables_equal_its_arrays(batch):
    hit = batch.impacted
    assert hit.tolist() == [True, True, False]  # 12 km/s at 100 km: escape speed
    _check_repr(batch, "3 cases", "2 of 3")
    df = batch.to_dataframe()
    assert df.index.name == "case" and len(df) == 3
    np.testing.assert_allclose(df["range_km"][hit], batch.range_m[hit] / 1e3, rtol=REL)
    assert np.isnan(df["range_km"][2]) and df["reason"][2] == batch.reason[2] and df["reason"].isna()[0]
    ds = batch.to_xarray()
    assert ds["apogee_km"].dims == ("case",) and ds["apogee_km"].attrs["units"] == "km"
    np.testing.assert_allclose(ds["apogee_km"].values, batch.apogee_m / 1e3, rtol=REL)
    ax = batch.plot()
    xy = _artist(ax, "impacts").get_offsets()
    _check_on_map(ax, batch.impact_lon_deg[hit], batch.impact_lat_deg[hit], xy[:, 0], xy[:, 1])
    _check_source(ax, "3 cases", borders=True)
    plain = _artist(batch.plot(ax=_plain_axes()), "impacts").get_offsets()
    _check_lonlat(plain[:, 0], plain[:, 1], batch.impact_lon_deg[hit], batch.impact_lat_deg[hit])
    one = api.coast(39.0, 125.7, 100e3, 6000.0, 20.0, 45.0, earth=api.SPHERE)
    _check_repr(one, _km(one.range_m[0] / 1e3), _km(one.apogee_m[0] / 1e3))


# --- Reconstruction -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rec():
    # the UCS-style reconstruction of a lofted test (3,725 km apogee, 998 km range), fast: no
    # burn-time variants, 4 azimuths
    return api.reconstruct(3724.9, 998.0, launch=(40.0, 127.0), missile="hwasong-14", cities=["Chicago"],
                           n_azimuths=4, sensitivity=False)


def test_reconstruction_is_still_the_dict(rec):
    assert isinstance(rec, api.Reconstruction) and isinstance(rec, dict)
    assert rec["missile_model"] == "hwasong-14" and "max_range_km" in rec.keys()
    assert json.loads(json.dumps(rec)) == json.loads(json.dumps(rec.to_dict()))
    assert type(rec.to_dict()) is dict


def test_reconstruction_repr_tables_and_plot(rec):
    rng = _km(rec["max_range_km"])
    _check_repr(rec, "hwasong-14", rng, f"{rec['burnout_speed_km_s']:.2f} km/s")
    city = rec["cities"][0]
    _check_html(rec._repr_html_(), rng, "Verdict", ("in reach: " if city["in_reach"] else "out of reach: ")
                + "Chicago")
    v = rec.to_dataframe()
    assert v["max_range_km"][0] == rec["max_range_km"] and v["payload_kg"][0] == rec["fit"]["payload_kg"]
    reach = rec.to_dataframe("reach")
    want = [np.nan if r["range_km"] is None else r["range_km"] for r in rec["reach_by_azimuth"]]
    np.testing.assert_array_equal(reach["range_km"], want)
    cities = rec.to_dataframe("cities")
    assert cities["lat_deg"][0] == city["lat"] and bool(cities["in_reach"][0]) == city["in_reach"]
    ds = rec.to_xarray()
    assert ds["reach_range_km"].dims == ("azimuth_deg",) and ds["reach_range_km"].attrs["units"] == "km"
    assert ds["city_distance_km"].sel(city="Chicago").item() == city["distance_km"]
    ax = rec.plot()
    _check_source(ax, "hwasong-14", rng)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [r["azimuth_deg"] for r in rec["reach_by_azimuth"]])
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), want)
    bars = rec.plot(what="variants").patches
    assert bars[0].get_height() == pytest.approx(rec["max_range_km"], rel=REL)
    with pytest.raises(InputError, match="table"):
        rec.to_dataframe("azimuths")


def test_reconstruction_variants_from_the_sensitivity_rows():
    """The burn-time variants' rows come from ``sensitivity`` as they are (an unfitted variant
    gives NaN and fitted False); a hand-made answer stands in for the 3 fits (~5 s)."""
    base = {"missile_model": "m", "max_range_km": 10000.0, "global_reach": False, "burnout_speed_km_s": 6.0,
            "max_range_band_km": [9000.0, 11000.0], "residuals": {"apogee_km": 0.0, "range_km": 0.0},
            "fit": {"payload_kg": 500.0, "propellant_factor": 1.0},
            "sensitivity": [{"burn_time_factor": 0.8, "payload_kg": 450.0, "propellant_factor": 1.0,
                             "burnout_speed_km_s": 6.2, "max_range_km": 11000.0, "global_reach": False},
                            {"burn_time_factor": 1.2, "error": "no fit"}]}
    df = api.Reconstruction(base).to_dataframe()
    assert df["burn_time_factor"].tolist() == [1.0, 0.8, 1.2] and df["fitted"].tolist() == [True, True, False]
    assert df["max_range_km"][1] == 11000.0 and np.isnan(df["max_range_km"][2])
    _check_repr(api.Reconstruction(base), "10,000 km", "9,000-11,000 km")


# --- EngagementResult -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def engagements():
    threat = api.Threat(api.load("hwasong-15"), 39.0, 125.7, azimuth_deg=45.0, profile="min-energy")
    icpt = api.Interceptor.two_stage(5e3)
    table = icpt.reach_table(15e3, 0.0)
    near = api.Engagement(threat, api.Platform(41.0, 129.0, orbit_radius_m=0.0), icpt).solve(table)
    far = api.Engagement(threat, api.Platform(36.0, 140.0, orbit_radius_m=0.0), icpt).solve(table)
    return near, far


def test_engagement_repr_html_and_tables(engagements):
    near, far = engagements
    assert near.intercept_possible and not far.intercept_possible
    _check_repr(near, f"{near.intercept_time_s:.1f} s", f"{near.margin_before_burnout_s:.1f} s")
    _check_repr(far, "no intercept", f"{far.shortfall_s:.1f} s")
    _check_html(near._repr_html_(), "Verdict", "intercept possible", f"{near.intercept_alt_m / 1e3:,.0f} km")
    import pandas as pd

    df = pd.concat([near.to_dataframe(), far.to_dataframe()], ignore_index=True)
    assert df["intercept_time_s"][0] == near.intercept_time_s and np.isnan(df["intercept_time_s"][1])
    assert df["intercept_alt_km"][0] == pytest.approx(near.intercept_alt_m / 1e3, rel=REL)
    assert df["margin_before_burnout_s"][0] == pytest.approx(near.burnout_time_s - near.intercept_time_s, rel=1e-12)
    assert df["shortfall_s"][1] == far.shortfall_s
    assert near.to_dataframe().attrs["units"]["closing_speed_km_s"] == "km/s"
    ds = near.to_xarray()
    assert ds["closing_speed_km_s"].item() == pytest.approx(near.closing_speed_m_s / 1e3, rel=REL)
    assert ds["intercept_time_s"].attrs["units"] == "s"


def test_engagement_plot_is_its_timeline(engagements):
    near, far = engagements
    ax = near.plot()
    _check_source(ax, "intercept at")
    _check_legend_outside(ax)
    lines = ax.get_lines()
    np.testing.assert_array_equal(lines[0].get_xdata(), [0.0, near.interceptor_launch_time_s])
    np.testing.assert_array_equal(lines[1].get_xdata(), [near.interceptor_launch_time_s, near.intercept_time_s])
    assert lines[2].get_xdata()[0] == near.burnout_time_s
    assert len(far.plot().get_lines()) == 2  # no fly-out drawn: waiting, burnout


# --- Footprint ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fp(tmp_path_factory):
    path = tmp_path_factory.mktemp("fp") / "tiny.toml"
    path.write_text("""
title = "tiny"
seed = 3
[threat]
missile = "hwasong-15"
payload_kg = 800
launch = [39.0, 125.7]
target = "Chicago"
payload_beta = "5000 kg/m^2"
[intercept]
window = ["150 s", "burnout"]
dt = "10 s"
[fragments]
n = 200
include_payload = true
include_stages = false
""")
    return api.footprint(path)


def test_footprint_tables_recount_its_shares(fp):
    top, p = next(iter(fp.shares.items()))
    _check_repr(fp, "200", f"{top} {100 * p:.0f} %")
    _check_html(fp._repr_html_(), "Verdict", top)
    df = fp.to_dataframe()
    assert df.index.name == "fragment" and len(df) == fp.n == 200
    np.testing.assert_array_equal(df["lat_deg"], fp.lat)
    recount = df["territory"].value_counts() / fp.n   # independent count of the same labels
    assert {k: float(v) for k, v in recount.items()} == pytest.approx(fp.shares, abs=0)
    ds = fp.to_xarray()
    assert ds["share"].sel(territory=top).item() == p
    assert ds["ci95_low"].sel(territory=top).item() <= p <= ds["ci95_high"].sel(territory=top).item()
    assert ds["lat_deg"].attrs["units"] == "deg" and ds["kick_m_s"].attrs["units"] == "m/s"


def test_footprint_plot_draws_the_impacts(fp):
    ax = fp.plot()
    ok = fp.impacted
    xy = _artist(ax, "fragments").get_offsets()
    _check_on_map(ax, fp.lon[ok], fp.lat[ok], xy[:, 0], xy[:, 1])
    pay = fp.payload["impacts"]
    _check_on_map(ax, [q["lon"] for q in pay], [q["lat"] for q in pay], *_artist(ax, "payload").get_data())
    _check_source(ax, "200 fragments", "seed 3", borders=True)
    _check_legend_outside(ax)
    plain = fp.plot(ax=_plain_axes())
    xy = _artist(plain, "fragments").get_offsets()
    _check_lonlat(xy[:, 0], xy[:, 1], fp.lon[ok], fp.lat[ok])
    px, py = _artist(plain, "payload").get_data()
    _check_lonlat(px, py, [q["lon"] for q in pay], [q["lat"] for q in pay])


def test_footprint_save_writes_svg_by_suffix(fp, tmp_path):
    out = fp.plot(path=tmp_path / "fp.svg", s=2)
    assert out == tmp_path / "fp.svg"
    text = out.read_text()
    assert text.startswith("<?xml") and "Monte Carlo debris footprint" in text


# --- C5Answer -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def c5():
    return api.answer_c5({"targets": ["Chicago"], "missiles": ["hwasong-15"], "sites": ["Pyongyang (Sunan)"],
                          "interceptor_speed": "5 km/s", "n": 24, "seed": 11, "fragment_intercepts": 0,
                          "policies": ["earliest", "window_uniform"]}, keep_samples=True)


def test_c5_answer_is_still_the_dict(c5):
    assert isinstance(c5, api.C5Answer) and isinstance(c5, dict) and c5["claim"] == "C5"
    assert "samples" in c5 and "context" in c5  # kept on request (keep_samples=True), for the cloud map
    plain = api.C5Answer({k: v for k, v in c5.items() if k not in ("samples", "context")})
    assert json.loads(json.dumps(plain)) == json.loads(json.dumps(plain.to_dict()))


def test_c5_answer_repr_and_tables(c5):
    ov = c5["overall"]["earliest"]
    _check_repr(c5, "Chicago", f"earliest {100 * ov['p_russia_land']:.0f} %")
    _check_html(c5._repr_html_(), "Verdict", "window_uniform", c5["targets"]["Chicago"]["verdict"].split(". ")[0])
    df = c5.to_dataframe()
    assert df[["target", "policy"]].values.tolist() == [["Chicago", "earliest"], ["Chicago", "window_uniform"],
                                                       ["overall", "earliest"], ["overall", "window_uniform"]]
    for _, row in df.iterrows():
        src = (c5["overall"] if row["target"] == "overall" else c5["targets"][row["target"]]["policies"])[row["policy"]]
        assert row["p_russia_land"] == src["p_russia_land"] and row["n"] == src["n"]
        assert row["ci95_low"] <= row["p_russia_land"] <= row["ci95_high"]  # Wilson contains p
    curve = c5["targets"]["Chicago"]["russia_by_intercept_time"]
    t = c5.to_dataframe("by_time")
    np.testing.assert_array_equal(t["t_s"], curve["t_s"])
    ds = c5.to_xarray()
    assert ds["p_russia_land"].dims == ("target", "policy")
    assert ds["p_russia_land"].sel(target="Chicago", policy="window_uniform").item() == \
        c5["targets"]["Chicago"]["policies"]["window_uniform"]["p_russia_land"]
    np.testing.assert_array_equal(ds["p_russia_land_by_time"].sel(target="Chicago").values[:len(curve["t_s"])],
                                  curve["p_russia_land"])
    with pytest.raises(InputError, match="table"):
        c5.to_dataframe("targets")


def test_c5_answer_plots(c5):
    curve = c5["targets"]["Chicago"]["russia_by_intercept_time"]
    ax = c5.plot()
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), curve["t_s"])
    np.testing.assert_array_equal(line.get_ydata(), curve["p_russia_land"])
    _check_source(ax, "C5 ensemble", "n = 24 per target", "seed 11")
    _check_legend_outside(ax)
    bars = c5.plot(what="policies").patches
    assert [b.get_height() for b in bars] == [c5["overall"][p]["p_russia_land"] for p in c5["overall"]]


def test_c5_cloud_is_on_a_projected_map(c5):
    from boostphase.claims.c5 import impact_points

    ax = c5.plot(what="cloud")
    for policy in ("earliest", "window_uniform"):
        lat, lon, _ = impact_points(c5["context"], "Chicago", c5["samples"]["Chicago"], policy)
        xy = _artist(ax, f"cloud-{policy}").get_offsets()
        assert len(xy) == len(lat)
        if len(lat):
            _check_on_map(ax, lon, lat, xy[:, 0], xy[:, 1])
    _check_source(ax, "C5 ensemble", borders=True)
    _check_legend_outside(ax)
    with pytest.raises(InputError, match="target"):
        c5.plot(what="cloud", target="Denver")
    bare = api.C5Answer({k: v for k, v in c5.items() if k not in ("samples", "context")})
    with pytest.raises(InputError, match="keep_samples"):
        bare.plot(what="cloud")
