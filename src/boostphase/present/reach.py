"""The reach-by-azimuth figure of a reconstruction (claim C1), moved from the demo.

A polar plot centred on the launch site: angle = bearing from north (clockwise), radius =
ground distance (km). That is an azimuthal-equidistant map, so the coastlines and borders
(Natural Earth) are drawn under it in the same coordinates, and a reach over the pole reads as
plainly as one over the sea. Bearings where the fitted vehicle reaches any point (``global_reach``
or no finite range) are arrows at the edge labelled "global (no finite range)", never spikes;
city labels never overlap (:mod:`boostphase.present.labels`); the legend sits below the plot.
"""

from __future__ import annotations

import numpy as np

from boostphase.present import maps
from boostphase.present.figures import (
    add_source_line,
    finish,
    freeze_layout,
    new_figure,
    outside_legend,
    source_line,
)
from boostphase.present.labels import Label, place_labels

R_GLOBAL_KM = 20_000.0
"""Radius of the plot when some bearing is global: about half the Earth's circumference."""

GLOBAL_LABEL = "global (no finite range) on that launch azimuth"


def is_global(row: dict) -> bool:
    """Whether a reach row has no finite range (flagged global, or its range missing/NaN)."""
    r = row.get("range_km")
    return bool(row.get("global_reach")) or r is None or not np.isfinite(r)


def reach_source(res: dict, launch) -> str:
    """Source line: the fitted model and payload, the launch point, what was flown."""
    fit = res.get("fit") or {}
    return source_line(
        f"reach by azimuth of the {res.get('missile_model', '?')} model (payload {fit.get('payload_kg', 0):,.0f} kg "
        f"fitted to apogee {fit.get('apogee_km', 0):,.0f} km, range {fit.get('range_km', 0):,.0f} km) from "
        f"{launch[0]:.2f}N {launch[1]:.2f}E; maximum-range flights with Earth rotation", borders=True)


def reach_by_azimuth(res: dict, path=None, *, launch: tuple[float, float] | None = None, title: str | None = None,
                     ax=None, formats=None):
    """Reach per bearing of a :func:`boostphase.reconstruct.reconstruction.reconstruct` result
    (with ``reach_by_azimuth`` and optionally ``cities``) from ``launch`` (lat, lon; default:
    the result's reach GeoJSON), over the coastlines. Writes ``path`` or returns the figure."""
    launch = launch or _launch_of(res)
    owned = ax is None
    fig, ax = new_figure((8, 8.6), ax, projection="polar")
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)
    rows = res["reach_by_azimuth"]
    finite = [r["range_km"] for r in rows if not is_global(r)]
    glob = [r["azimuth_deg"] for r in rows if is_global(r)]
    rmax = R_GLOBAL_KM if glob or not finite else min(R_GLOBAL_KM, 1.15 * max(finite))
    _draw_outlines(ax, launch, rmax)
    _draw_reach(ax, rows)
    for a in glob:
        th = np.radians(a % 360.0)
        ax.annotate("", (th, rmax), xytext=(th, 0.86 * rmax), zorder=4, annotation_clip=False,
                    arrowprops={"arrowstyle": "-|>", "color": "C3", "lw": 1.4, "mutation_scale": 12})
    if glob:
        ax.plot([], [], marker=r"$\uparrow$", ls="none", color="C3", ms=9, label=GLOBAL_LABEL)
    circ = np.linspace(0, 2 * np.pi, 181)
    if not res.get("global_reach") and res.get("max_range_km"):
        ax.plot(circ, np.full_like(circ, res["max_range_km"]), "--", color="gray",
                label=f"non-rotating reach {res['max_range_km']:,.0f} km")
    labels = _draw_cities(ax, res.get("cities") or [])
    ax.set_rmax(rmax)
    ax.set_rlabel_position(202.5)
    ax.tick_params(axis="y", labelsize=7, colors="0.35")
    ax.set_title(title or f"{res.get('missile_model', 'Reconstructed vehicle')}: reach by bearing from "
                 f"{launch[0]:.2f}N {launch[1]:.2f}E\nradius: ground distance (km); angle: bearing from north",
                 fontsize=10)
    outside_legend(ax, where="below", ncol=1, bbox_to_anchor=(0.5, -0.06))
    src = reach_source(res, launch)
    add_source_line(fig, src)
    if owned:
        freeze_layout(fig)
    else:
        fig.canvas.draw()
    place_labels(ax, labels)
    return finish(fig, path, source=src, formats=formats)


def _launch_of(res: dict) -> tuple[float, float]:
    lon, lat = res["reach_geojson"]["properties"]["launch"]
    return float(lat), float(lon)


def _draw_reach(ax, rows) -> None:
    """The reach line joins neighbouring launch azimuths with a finite reach only (at the
    impact bearing); a global neighbour breaks it."""
    n = len(rows)
    labelled = False
    for i in range(n):
        a, b = rows[i], rows[(i + 1) % n]
        if is_global(a) or is_global(b):
            continue
        ax.plot(np.radians([a["bearing_deg"] % 360.0, b["bearing_deg"] % 360.0]), [a["range_km"], b["range_km"]],
                "-", color="C0", lw=1.6, zorder=3, label=None if labelled else "reach with Earth rotation (impact bearing)")
        labelled = True


def _draw_cities(ax, cities) -> list[Label]:
    """City markers (o: in reach, x: out of reach); their labels, to place without overlap."""
    labels = []
    for i, c in enumerate(cities):
        th = np.radians(c["azimuth_deg"])
        ax.plot(th, c["distance_km"], "ko" if c["in_reach"] else "kx", ms=4, zorder=5)
        labels.append(Label(float(th), float(c["distance_km"]), c["name"], -i, {"fontsize": 7}))
    if cities:
        ax.plot([], [], "ko", ms=4, label="city in reach")
        ax.plot([], [], "kx", ms=4, label="city out of reach")
    return labels


def _draw_outlines(ax, launch, rmax_km: float) -> None:
    """Coastlines and borders under the polar plot: the azimuthal-equidistant projection about
    the launch site, turned into (bearing, distance)."""
    half = min(rmax_km, maps.FAR_KM)
    view = maps.MapView(launch[0], launch[1], -half, half, -half, half)
    th_all, r_all = [], []
    for run in maps.outline_runs(view):
        th = np.arctan2(run[:, 0], run[:, 1]) % (2 * np.pi)
        r = np.hypot(run[:, 0], run[:, 1])
        # break where the bearing wraps through north (a jump of nearly a full turn)
        cut = np.flatnonzero(np.abs(np.diff(th)) > np.pi) + 1
        th_all += [np.insert(th, cut, np.nan), [np.nan]]
        r_all += [np.insert(r, cut, np.nan), [np.nan]]
    # one line with NaN breaks: the polar transform then runs once, not once per piece
    ax.plot(np.concatenate(th_all or [[]]), np.concatenate(r_all or [[]]), color=maps.OUTLINE, lw=0.4, zorder=1,
            gid="boostphase-borders")
