"""The boost-phase engagement map as a figure (claim C4), moved from the CLI: the share of
threats interceptable before burnout per orbit centre, on the azimuthal-equidistant base map
of :mod:`boostphase.present.maps` (presentation only, no physics here)."""

from __future__ import annotations

import numpy as np

from boostphase.present import maps
from boostphase.present.figures import new_figure, source_line
from boostphase.present.labels import Label


def plot_engagement_map(emap, path=None, title: str = "", platforms=(), *, ax=None, formats=None):
    """Share of threats interceptable in boost phase per orbit centre; keep-out cells greyed,
    coastlines and borders (Natural Earth), launch sites and boost ground tracks, the
    greedy-coverage orbits and the scenario's named orbits. Writes ``path`` (returns it) or
    returns the figure."""
    owned = ax is None
    fig, ax = new_figure((11, 8), ax)
    lat, lon = emap.lat_deg, emap.lon_deg
    dlat, dlon = lat[1] - lat[0], lon[1] - lon[0]
    lat_e = np.append(lat - dlat / 2, lat[-1] + dlat / 2)
    lon_e = np.append(lon - dlon / 2, lon[-1] + dlon / 2)
    glon, glat = np.meshgrid(lon_e, lat_e)
    view = maps.view_for(glon.ravel(), glat.ravel(), pad_frac=0.0, aspect=None)
    maps.prepare_map(ax, view)
    ex, ey = view.project(glon, glat)
    im = ax.pcolormesh(ex, ey, emap.share, cmap="viridis", vmin=0, vmax=1, zorder=1.1, alpha=0.85)
    grey = np.where(emap.allowed, np.nan, 1.0)
    ax.pcolormesh(ex, ey, grey, cmap="Greys", vmin=0, vmax=1.6, alpha=0.65, zorder=1.15)
    if np.nanmax(emap.share) > 0:
        cx, cy = view.project(*np.meshgrid(lon, lat))
        cs = ax.contour(cx, cy, np.where(emap.allowed, emap.share, np.nan), levels=[0.5, 0.999], colors=["w", "r"],
                        linewidths=[0.8, 1.2], zorder=2)
        ax.clabel(cs, fmt={0.5: "50 %", 0.999: "all"}, fontsize=7)
    _draw_threats(ax, view, emap)
    for o in emap.coverage().orbits:
        ax.plot(*view.project(o["lon"], o["lat"]), "*", color="gold", ms=15, mec="k", zorder=5)
    labels = []
    for p in platforms:
        x, y = view.project(p.lon_deg, p.lat_deg)
        ax.plot(x, y, "o", color="w", ms=7, mec="k", zorder=5)
        labels.append(Label(float(x), float(y), p.name, 1.0, {"color": "k"}))
    fig.colorbar(im, ax=ax, label="share of threats interceptable before burnout", shrink=0.8)
    ttl = title or "Boost-phase engagement map"
    ax.set_title(f"{ttl}\n{emap.interceptor.name}, launched {emap.timeline.interceptor_launch_s:.0f} s after the "
                 f"ICBM from {emap.platform.altitude_m / 1e3:.0f} km ({emap.platform.reference} of a "
                 f"{emap.platform.orbit_radius_m / 1e3:.0f} km orbit)\ngrey: keep-out {emap.keep_out.describe()}; "
                 f"red: launch sites and boost tracks; stars: greedy coverage; white: named orbits", fontsize=8)
    src = source_line(f"boost-phase engagement map: {len(emap.threats)} threats, {emap.interceptor.name}, "
                      f"interceptor launch {emap.timeline.interceptor_launch_s:.0f} s after the ICBM, platform "
                      f"altitude {emap.platform.altitude_m / 1e3:.0f} km; {lat.size} x {lon.size} orbit centres",
                      borders=True)
    return maps.finish_map(fig, ax, labels, path, source=src, formats=formats, owned=owned)


def _draw_threats(ax, view, emap) -> None:
    """Boost ground tracks (to burnout) and launch sites of the threats, red."""
    seen = set()
    for th in emap.threats:
        tr = th.track
        b = tr.t_s <= tr.burnout_time_s + 1e-9
        ax.plot(*view.project(tr.lon_deg[b], tr.lat_deg[b]), color="tab:red", lw=0.6, alpha=0.7, zorder=3)
        if th.launch not in seen:
            seen.add(th.launch)
            ax.plot(*view.project(th.launch[1], th.launch[0]), "^", color="tab:red", ms=8, mec="k", zorder=4)
