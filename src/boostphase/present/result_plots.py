"""The plotting backend of result objects (issue 18): one function per result kind, drawn with
the figure machinery of :mod:`boostphase.present.figures` (Agg canvas, no pyplot state).

``result.plot(ax=None, path=None, formats=None, **kw)`` (boostphase.results.ResultMixin) loads
this module by name and calls the function named by the result's ``plot_kind``, so no physics
module imports matplotlib. Every function here:

* draws into a new figure (``ax`` None: constrained layout, the source line at its foot) or
  onto the caller's ``ax`` (no source line unless it writes a file);
* draws places (ground tracks, impact points, fragment and payload clouds) on the
  azimuthal-equidistant base map of :mod:`boostphase.present.maps` (km east and north of the
  scene's centre, Natural Earth outlines) when it makes the figure or when ``ax`` is already
  such a map; on a plain caller's Axes it draws them in longitude/latitude (deg, longitudes
  kept continuous across 180);
* keeps the legend outside the data (:func:`~boostphase.present.figures.outside_legend`);
* returns the Axes, or with ``path`` writes the figure through
  :func:`~boostphase.present.figures.save_figure` (300-dpi PNG, SVG/PDF by suffix or every one
  of ``formats``) and returns the path written.

Presentation only: every number drawn is one of the result's own (its ``display_columns()`` or
table rows), in the units its axis label names. Keyword arguments go to the main artist
(``ax.plot`` / ``ax.scatter`` / ``ax.bar``).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..models.geography import unwrap_longitude
from ..results import UNIT_SUFFIXES
from . import maps
from .figures import finish, new_figure, outside_legend, save_figure, source_line
from .plots import flyout_source

WORDS = {"alt": "altitude", "t": "time", "lat": "latitude", "lon": "longitude", "mach": "Mach number"}
LON_LABEL = "longitude (deg east, continuous across 180)"
LAT_LABEL = "latitude (deg)"


def column_label(name: str) -> str:
    """An axis label from a column name: ``ground_range_km`` -> ``ground range (km)``."""
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return f"{WORDS.get(stem, stem.replace('_', ' '))} ({unit})"
    return WORDS.get(name, name.replace("_", " "))


def result_source(res, what: str, **credits) -> str:
    """Source line of a result's figure: what was computed and the result's one-line summary."""
    return source_line(f"{what}: {repr(res).strip('<>')}", **credits)


# --------------------------------------------------------------------------- shared steps

def _labels(ax, xlabel: str, ylabel: str, title: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)


def _done(fig, ax, owned: bool, path, formats, source: str):
    """Source line on a figure made here; the figure written when ``path`` is given. Returns
    the path written, else the Axes."""
    if path is not None:
        return save_figure(fig, path, source=source, formats=formats)
    if owned:
        finish(fig, None, source=source)
    return ax


def _map_start(ax, size, lon, lat, *, rings_from=None):
    """``(fig, ax, owned, view)``: a new map figure whose view holds the points (deg), or the
    caller's map Axes and its view, or the caller's plain Axes and None (draw in lon/lat)."""
    owned = ax is None
    fig, ax = new_figure(size, ax)
    if owned:
        view = maps.view_for(lon, lat)
        return fig, ax, owned, maps.prepare_map(ax, view, rings_from=rings_from)
    return fig, ax, owned, maps.view_of(ax)


def _xy(view, lon, lat, centre: float | None = None):
    """Points (deg) as the axes draws them: map km on a map, else (continuous lon, lat)."""
    if view is not None:
        return view.project(lon, lat)
    return unwrap_longitude(lon, centre), np.asarray(lat, float)


def _map_done(fig, ax, owned: bool, view, path, formats, source: str, title: str):
    """Finish a map figure made here (base map drawn for the final extent, labels placed,
    source line); on a caller's plain Axes, label the lon/lat axes."""
    ax.set_title(title, fontsize=10)
    outside_legend(ax, where="below", ncol=2)
    if owned:
        out = maps.finish_map(fig, ax, [], path, source=source, formats=formats, owned=True)
        return ax if path is None else out
    if view is None:
        _labels(ax, LON_LABEL, LAT_LABEL, title)
    return _done(fig, ax, owned, path, formats, source)


def _centre_lon(lon) -> float:
    """Circular mean of longitudes (deg): the centre that keeps a cloud in one piece."""
    lon = np.asarray(lon, float)
    return float(maps.centre_of(lon, np.zeros_like(lon))[1]) if lon.size else 0.0


# --------------------------------------------------------------------------- Trajectory

def trajectory(tr, ax=None, x: str = "ground_range_km", y: str = "alt_km", what: str = "profile",
               path=None, formats=None, **kw):
    """``what="profile"``: ``y`` against ``x`` (any two of its ``display_columns()``; default
    altitude against ground range, km), burnout marked with a dot; several flights can share
    an Axes. ``what="track"`` (or ``x="lon_deg", y="lat_deg"``): the ground track on a map
    (see :func:`ground_track`)."""
    if what == "track" or (x, y) == ("lon_deg", "lat_deg"):
        return ground_track(tr, ax, path=path, formats=formats, **kw)
    if what != "profile":
        raise InputError("what", what, "profile or track")
    cols = tr.display_columns()
    for name in (x, y):
        if name not in cols:
            raise InputError("plot column", name, ", ".join(cols))
    owned = ax is None
    fig, ax = new_figure((8.0, 4.8), ax)
    kw.setdefault("label", ", ".join([f"{tr.missile.title} ({tr.profile})",
                                      *(f"{a} {b}" for a, b in tr.key_figures()[:2])]))
    line, = ax.plot(cols[x], cols[y], **kw)
    i = int(np.argmin(np.abs(cols["t_s"] - tr.burnout_time_s)))
    ax.plot([cols[x][i]], [cols[y][i]], "o", color=line.get_color(), label="_nolegend_")
    _labels(ax, column_label(x), column_label(y), "dots: burnout")
    outside_legend(ax)  # on the right: below it would sit on the tick labels
    return _done(fig, ax, owned, path, formats, flyout_source([tr]))


def ground_track(tr, ax=None, path=None, formats=None, **kw):
    """The ground track, launch (star) and impact (x). On a map made here (azimuthal
    equidistant around the track, range rings from the launch) or on the caller's map Axes;
    on a caller's plain Axes in longitude/latitude (deg, continuous across 180)."""
    lat, lon, _ = tr.geodetic()
    launch = (tr.launch_lat_deg, tr.launch_lon_deg)
    fig, ax, owned, view = _map_start(ax, (9.0, 6.5), lon, lat, rings_from=launch)
    centre = _centre_lon(lon)
    x, y = _xy(view, lon, lat, centre)
    if view is not None:
        x, y = maps.broken_track(x, y)
    kw.setdefault("label", f"{tr.missile.title} ({tr.profile})" + ("" if tr.impacted else ": no impact"))
    kw.setdefault("lw", 1.2)
    line, = ax.plot(x, y, zorder=3, gid="ground-track", **kw)
    ax.plot(*_xy(view, launch[1], launch[0], centre), "r*", ms=10, zorder=5, label="launch")
    if tr.impacted:
        ax.plot(*_xy(view, lon[-1], lat[-1], centre), "x", ms=7, color=line.get_color(), zorder=5, label="impact")
    src = flyout_source([tr], "3-DOF ground track", borders=view is not None)
    return _map_done(fig, ax, owned, view, path, formats, src, f"{tr.missile.title}: ground track")


# --------------------------------------------------------------------------- CoastResult

def coast(res, ax=None, path=None, formats=None, **kw):
    """Impact points of the cases that landed: on a map made here or the caller's map Axes, or
    in longitude/latitude (deg, continuous across 180) on a caller's plain Axes."""
    c = res.display_columns()
    hit = np.asarray(c["impacted"], bool)
    lon, lat = c["impact_lon_deg"][hit], c["impact_lat_deg"][hit]
    fig, ax, owned, view = _map_start(ax, (9.0, 6.5), lon, lat)
    kw.setdefault("s", 12)
    kw.setdefault("label", f"impact points ({int(hit.sum()):,} of {hit.size:,} cases)")
    ax.scatter(*_xy(view, lon, lat), zorder=4, gid="impacts", **kw)
    src = result_source(res, "ballistic coasts, rotating Earth", borders=view is not None)
    return _map_done(fig, ax, owned, view, path, formats, src, repr(res).strip("<>"))


# --------------------------------------------------------------------------- Reconstruction

def reconstruction(rec, ax=None, what: str = "auto", path=None, formats=None, **kw):
    """``reach``: maximum range (km) by launch azimuth (global bearings as triangles at the top);
    ``variants``: the maximum range of the fit and of each burn-time variant. ``auto``: reach
    where it was computed."""
    if what == "auto":
        what = "reach" if "reach_by_azimuth" in rec else "variants"
    if what not in ("reach", "variants"):
        raise InputError("what", what, "auto, reach or variants")
    owned = ax is None
    fig, ax = new_figure((8.0, 4.5), ax)
    df = rec.to_dataframe(what)
    title = repr(rec).strip("<>")
    src = result_source(rec, "reconstruction from an observed apogee and range (3-DOF fits)")
    if what == "reach":
        kw.setdefault("marker", "o")
        kw.setdefault("label", "maximum range on the bearing")
        ax.plot(df["azimuth_deg"].to_numpy(), df["range_km"].to_numpy(), **kw)
        glob = df["global_reach"].to_numpy(bool)
        if glob.any():
            top = np.nanmax(df["range_km"].to_numpy()) if (~glob).any() else 20_000.0
            ax.plot(df["azimuth_deg"].to_numpy()[glob], np.full(glob.sum(), top), "^", color="C3",
                    label="global: reaches any point on the bearing")
        ax.set_ylim(bottom=0.0)
        _labels(ax, "launch azimuth (deg)", "maximum range (km)", title)
        outside_legend(ax)
        return _done(fig, ax, owned, path, formats, src)
    ax.bar(df["variant"].to_numpy(), np.nan_to_num(df["max_range_km"].to_numpy()), **kw)
    _labels(ax, "model variant", "maximum range (km)", title)
    return _done(fig, ax, owned, path, formats, src)


# --------------------------------------------------------------------------- EngagementResult

def engagement(res, ax=None, path=None, formats=None, **kw):
    """The timeline in s after the threat's launch: waiting for the interceptor's launch, its
    fly-out to the intercept (when there is one), the threat's burnout and latest useful time."""
    owned = ax is None
    fig, ax = new_figure((8.0, 3.2), ax)
    kw.setdefault("lw", 8)
    tl = res.interceptor_launch_time_s
    ax.plot([0.0, tl], [1.0, 1.0], color="0.6", label="detection, decision, launch", **kw)
    if res.intercept_time_s is not None:
        ax.plot([tl, res.intercept_time_s], [1.0, 1.0], color="C0", label="interceptor fly-out", **kw)
    ax.axvline(res.burnout_time_s, color="C3", ls="--", label="threat burnout")
    if abs(res.latest_useful_time_s - res.burnout_time_s) > 1e-9:
        ax.axvline(res.latest_useful_time_s, color="C1", ls=":", label=f"latest useful ({res.criterion})")
    ax.set_yticks([])
    ax.set_ylim(0.5, 1.5)
    _labels(ax, "time after the threat's launch (s)", "", res.verdict_line())
    outside_legend(ax)
    return _done(fig, ax, owned, path, formats, result_source(res, "boost-phase engagement timeline"))


# --------------------------------------------------------------------------- Footprint

def footprint(fp, ax=None, path=None, formats=None, **kw):
    """Fragment impacts and the payload's impact points (x), the launch (star) where the
    footprint has a shortfall trace: on a map made here (the view holds 99.5 % of the
    fragments, every payload point and the launch) or the caller's map Axes, or in
    longitude/latitude (deg, continuous across 180) on a caller's plain Axes."""
    ok = np.asarray(fp.impacted, bool)
    lon, lat = np.asarray(fp.lon, float)[ok], np.asarray(fp.lat, float)[ok]
    pay = fp.payload["impacts"] if fp.payload else []
    plon, plat = np.array([q["lon"] for q in pay], float), np.array([q["lat"] for q in pay], float)
    launch = fp.trace.launch if fp.trace is not None else None
    vlon, vlat = _core(lon, lat)
    if launch is not None:
        vlon, vlat = np.append(vlon, launch[1]), np.append(vlat, launch[0])
    fig, ax, owned, view = _map_start(ax, (9.0, 6.5), np.append(vlon, plon), np.append(vlat, plat),
                                      rings_from=launch)
    centre = _centre_lon(lon)
    kw.setdefault("s", 4)
    kw.setdefault("alpha", 0.5)
    kw.setdefault("label", f"fragment impacts ({int(ok.sum()):,})")
    ax.scatter(*_xy(view, lon, lat, centre), zorder=4, gid="fragments", **kw)
    if pay:
        ax.plot(*_xy(view, plon, plat, centre), "x", color="C3", ms=4, mew=0.8, ls="none", zorder=5,
                gid="payload", label="payload impacts")
    if launch is not None:
        ax.plot(*_xy(view, launch[1], launch[0], centre), "r*", ms=10, zorder=5, label="launch")
    src = source_line(f"Monte Carlo debris footprint, {fp.n:,} fragments, seed {fp.seed}: "
                      f"{fp.result_title()}", borders=view is not None)
    return _map_done(fig, ax, owned, view, path, formats, src, repr(fp).strip("<>"))


def _core(lon, lat, keep: float = 0.995):
    """The points (deg) inside the central ``keep`` share of the cloud on either map axis (so
    a few far fragments do not shrink the picture); all points when there are few."""
    if lon.size < 50:
        return lon, lat
    x, y = maps.MapView(*maps.centre_of(lon, lat), -1, 1, -1, 1).project(lon, lat)
    q = (1.0 - keep) / 2.0
    xl, xh = np.quantile(x, [q, 1.0 - q])
    yl, yh = np.quantile(y, [q, 1.0 - q])
    inside = (x >= xl) & (x <= xh) & (y >= yl) & (y <= yh)
    return lon[inside], lat[inside]


# --------------------------------------------------------------------------- C5Answer

def c5(answer, ax=None, what: str = "by_time", target: str | None = None, path=None, formats=None, **kw):
    """``by_time``: P(payload on Russian land | intercept at t) against t for each target, with
    the 90 % reading of "almost certainly"; ``policies``: each policy's overall probability with
    its 95 % interval; ``cloud``: the payload impact points of one ``target`` (default: the
    first) per firing policy, on a map (needs an answer with its samples:
    ``answer_c5(..., keep_samples=True)``)."""
    if what == "cloud":
        return c5_cloud(answer, ax, target, path=path, formats=formats, **kw)
    if what not in ("by_time", "policies"):
        raise InputError("what", what, "by_time, policies or cloud")
    owned = ax is None
    fig, ax = new_figure((8.0, 4.8), ax)
    src = source_line(_c5_conditions(answer))
    if what == "policies":
        df = answer.to_dataframe("policies")
        df = df[df["target"] == "overall"]
        p = df["p_russia_land"].to_numpy()
        err = np.vstack([p - df["ci95_low"].to_numpy(), df["ci95_high"].to_numpy() - p])
        ax.bar(df["policy"].to_numpy(), p, yerr=err, capsize=4, **kw)
        ax.set_ylim(0.0, 1.0)
        _labels(ax, "firing policy", "P(payload on Russian land | intercept)", answer.result_title())
        return _done(fig, ax, owned, path, formats, src)
    df = answer.to_dataframe("by_time")
    for tgt, part in df.groupby("target", sort=False):
        ax.plot(part["t_s"].to_numpy(), part["p_russia_land"].to_numpy(), label=str(tgt), **kw)
    ax.axhline(0.9, color="0.4", ls="--", lw=0.8, label="'almost certainly' (90 %)")
    ax.set_ylim(-0.02, 1.02)
    _labels(ax, "intercept time after launch (s)", "P(payload on Russian land | t)", answer.result_title())
    outside_legend(ax)
    return _done(fig, ax, owned, path, formats, src)


def _c5_conditions(answer) -> str:
    """The C5 ensemble's conditions (consequence_maps' wording), or the answer's title when a
    hand-made answer lacks them."""
    from .consequence_maps import c5_conditions

    try:
        return c5_conditions(answer)
    except (KeyError, TypeError):
        return f"C5 ensemble: {answer.result_title()}"


def c5_cloud(answer, ax=None, target: str | None = None, path=None, formats=None, **kw):
    """The payload impact point of every intercepted sample of ``target`` (default: the first),
    one colour per firing policy, the orbits as triangles: on a map made here or the caller's
    map Axes, or in longitude/latitude (deg, continuous across 180) on a caller's plain Axes."""
    from ..claims.c5 import impact_points
    from .consequence_maps import POLICY_COLOURS

    if "samples" not in answer or "context" not in answer:
        raise InputError("what", "cloud", "an answer with its samples (answer_c5(..., keep_samples=True))")
    targets = list(answer["targets"])
    target = targets[0] if target is None else target
    if target not in targets:
        raise InputError("target", target, ", ".join(targets))
    ctx, sim = answer["context"], answer["samples"][target]
    pts = {p: impact_points(ctx, target, sim, p) for p in ctx.spec.policies}
    lon = np.concatenate([v[1] for v in pts.values()] + [[o["lon"] for o in answer["orbits"]]])
    lat = np.concatenate([v[0] for v in pts.values()] + [[o["lat"] for o in answer["orbits"]]])
    fig, ax, owned, view = _map_start(ax, (9.0, 6.5), lon, lat)
    centre = _centre_lon(lon)
    kw.setdefault("s", 4)
    kw.setdefault("alpha", 0.4)
    for p, (la, lo, _) in reversed(list(pts.items())):   # the earliest-fire cloud on top
        r = answer["targets"][target]["policies"][p]
        pc = "n/a" if r["p_russia_land"] is None else f"{100 * r['p_russia_land']:.0f} %"
        ax.scatter(*_xy(view, lo, la, centre), color=POLICY_COLOURS.get(p, "k"), zorder=4, gid=f"cloud-{p}",
                   label=f"{p}: {len(la):,} impacts, Russian land {pc}", **kw)
    ox, oy = _xy(view, [o["lon"] for o in answer["orbits"]], [o["lat"] for o in answer["orbits"]], centre)
    ax.plot(ox, oy, "k^", ms=6, ls="none", zorder=5, label="interceptor orbits")
    src = source_line(_c5_conditions(answer), borders=view is not None)
    return _map_done(fig, ax, owned, view, path, formats, src, f"C5, {target}: payload impact points")
