"""Static plots of flyouts (matplotlib, Agg canvas): presentation only, no physics here.

Each function draws into a new figure, or into the caller's ``ax``; with a ``path`` it writes
the figure (300-dpi PNG, or SVG/PDF by suffix, or all of ``formats``) and returns the path,
without one it returns the :class:`~matplotlib.figure.Figure` (for notebooks).
"""

from __future__ import annotations

import numpy as np

from boostphase.present import maps
from boostphase.present.figures import finish, new_figure, outside_legend, save_figure, source_line

__all__ = ["altitude_vs_range", "ground_tracks", "save_figure", "flyout_source"]

def flyout_source(trajectories, what: str = "3-DOF flyouts", **credits) -> str:
    """Source line of a flyout figure: the vehicles, profiles, launch point and azimuths."""
    trs = list(trajectories)
    names = ", ".join(dict.fromkeys(tr.missile.title for tr in trs))
    profiles = ", ".join(dict.fromkeys(str(tr.profile) for tr in trs))
    sites = "; ".join(dict.fromkeys(f"{tr.launch_lat_deg:.2f}N {tr.launch_lon_deg:.2f}E, azimuth "
                                    f"{tr.azimuth_deg:g} deg" for tr in trs))
    return source_line(f"{what} ({profiles}) of {names} from {sites}; rotating WGS84 Earth, "
                       "US76 atmosphere", **credits)


def altitude_vs_range(trajectories, path=None, title: str = "Flyouts", *, ax=None, formats=None):
    """Altitude (km) against ground range (km) for one or more Trajectory objects, burnout
    marked; the legend sits outside the axes so it hides no curve."""
    trs = list(trajectories)
    fig, ax = new_figure((10, 5), ax)
    for tr in trs:
        rng = tr.ground_range_m() / 1e3
        alt = tr.altitude_m / 1e3
        line, = ax.plot(rng, alt, lw=1.2, label=f"{tr.missile.title} ({tr.profile})")
        b = tr.burnout()
        i = int(np.argmin(np.abs(np.asarray(tr.t_s) - b["time_s"])))
        ax.plot(rng[i], alt[i], "o", ms=4, color=line.get_color())
    ax.set_xlabel("ground range (km)")
    ax.set_ylabel("altitude (km)")
    ax.set_title(title + " (dots: burnout)")
    ax.grid(alpha=0.3)
    outside_legend(ax)
    return finish(fig, path, source=flyout_source(trs), formats=formats)


def ground_tracks(trajectories, path=None, title: str = "Ground tracks", *, ax=None, formats=None):
    """Ground tracks on an azimuthal-equidistant map centred on the scene, with range rings
    from the (first) launch site; launch (star) and impact (x) marked. A flight that does not
    come down (global reach) leaves the map with an arrow, labelled so."""
    trs = list(trajectories)
    owned = ax is None
    fig, ax = new_figure((10, 7.4), ax)
    tracks = [tr.geodetic()[:2] for tr in trs]
    view = _track_view(trs, tracks)
    maps.prepare_map(ax, view, rings_from=(trs[0].launch_lat_deg, trs[0].launch_lon_deg))
    for tr, (lat, lon) in zip(trs, tracks, strict=True):
        x, y = maps.broken_track(*view.project(lon, lat))
        label = tr.missile.title if tr.impacted else f"{tr.missile.title}: global (no impact)"
        line, = ax.plot(x, y, lw=1.2, zorder=3, label=label)
        if tr.impacted:
            ax.plot(x[-1], y[-1], "x", ms=6, color=line.get_color(), zorder=4)
        else:
            _exit_arrow(ax, view, x, y, line.get_color())
    for la, lo in dict.fromkeys((tr.launch_lat_deg, tr.launch_lon_deg) for tr in trs):
        ax.plot(*view.project(lo, la), "r*", ms=10, zorder=5)
    ax.set_title(f"{title}\n(star: launch; x: impact; arrow: no impact, global; dashed: range from launch)",
                 fontsize=10)
    outside_legend(ax, where="below")
    return maps.finish_map(fig, ax, [], path, source=flyout_source(trs, borders=True),
                           formats=formats, owned=owned)


VIEW_NO_IMPACT_KM = 10_000.0
"""A flight that does not come down is shown out to the longest impacting track (or this far
from launch when none comes down); beyond, the map would have to show the whole globe."""


def _track_view(trs, tracks) -> maps.MapView:
    """A view of every impacting track, and of the others out to the longest impacting range."""
    reach = max([tr.range_m / 1e3 for tr in trs if tr.impacted and tr.range_m] or [VIEW_NO_IMPACT_KM])
    lat, lon = [], []
    for tr, (la, lo) in zip(trs, tracks, strict=True):
        keep = slice(None) if tr.impacted else tr.ground_range_m() / 1e3 <= 1.05 * reach
        lat.append(np.asarray(la)[keep])
        lon.append(np.asarray(lo)[keep])
    return maps.view_for(np.concatenate(lon), np.concatenate(lat))


def _exit_arrow(ax, view, x, y, colour) -> None:
    """An arrowhead where a global track leaves the view."""
    inside = np.flatnonzero(view.contains(x, y) & np.isfinite(x))
    if inside.size < 2:
        return
    k = inside[-1]
    j = max(inside[0], k - 3)
    ax.annotate("", (x[k], y[k]), xytext=(x[j], y[j]), zorder=4,
                arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.2, "mutation_scale": 14})
