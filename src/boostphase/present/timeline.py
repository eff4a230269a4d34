"""The test timeline (claim C2): implied reach per North Korean test, with the user's dated
events; moved from :mod:`boostphase.reconstruct.testflights` and the CLI (presentation only).

Every test is drawn: a reconstructed one as its point with its low-high bar, or, when the row
carries a ``reach_band`` (``{"median_km", "p10_km", "p90_km", "p_global", "n"}``, from an
ensemble over the uncertain inputs), its 10-90 % interval as a bar with the median as the
point and the share of samples with global reach written beside it; a global test as an arrow
at the top edge; a test not reconstructed as an x at the bottom edge, its reason in a note
beside the plot. The legend and the note sit outside the axes, so they hide no data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from boostphase.errors import InputError
from boostphase.present.figures import finish, new_figure, outside_legend, source_line
from boostphase.reconstruct.testflights import ReachRow, as_date

DEFAULT_CAPTION = ("test figures from boostphase data/nk_tests.toml (KCNA, Japan MOD, ROK JCS and others as "
                   "cited there); implied reach from the reconstruction used")

Y_TOP_KM = 20_000.0
"""Top of the timeline's range axis: about half the Earth's circumference.  A global reach
(no impact, or 18,000 km or more) is drawn as an arrow at this edge, never as a number."""

MARKERS = "osD^vP*Xh<>"


def _finite(x) -> bool:
    return x is not None and isinstance(x, int | float) and math.isfinite(x)


def plot_timeline(rows: Sequence[ReachRow | tuple], path=None, events=None, *,
                  title: str = "Implied maximum range per test", source: str = DEFAULT_CAPTION,
                  bands: Mapping | None = None, ax=None, formats=None):
    """Implied reach (km) per test against its date, with dated ``events`` (``(date, label)``)
    as labelled vertical lines. ``bands``: optional ``{date: reach_band}`` (see the module
    docstring). Writes ``path`` (300-dpi PNG, SVG/PDF by suffix or ``formats``) and returns the
    path, or returns the figure when ``path`` is None."""
    rs = [ReachRow(*r) for r in rows]
    if not rs:
        raise InputError("rows", rows, "at least one timeline row")
    evs = [(as_date(f"events[{i}]", d), str(lbl)) for i, (d, lbl) in enumerate(events or [])]
    bands = {as_date("bands", k): v for k, v in (bands or {}).items() if v}
    fig, ax = new_figure((10, 5.5), ax)
    colors = _draw_vehicles(ax, rs, bands)
    _draw_global(ax, [r for r in rs if r.status == "global" and r.date not in bands], colors)
    _draw_other(ax, [r for r in rs if r.status not in ("reconstructed", "global")])
    for day, label in evs:
        ax.axvline(day, color="0.4", lw=0.8, ls="--", zorder=0)
        ax.annotate(label, (day, 1.0), xycoords=("data", "axes fraction"), rotation=90,
                    va="top", ha="right", fontsize=7, color="0.3")
    ax.set_xlabel("Test date (local, KST)")
    ax.set_ylabel("Implied maximum range (km)")
    ax.set_title(title)
    ax.set_ylim(0.0, Y_TOP_KM)
    ax.grid(True, alpha=0.3)
    outside_legend(ax)
    src = source_line(f"implied reach per test; {source}")
    return finish(fig, path, source=src, formats=formats)


def _draw_vehicles(ax, rs: list[ReachRow], bands: dict) -> dict:
    """Reconstructed tests (and any test with a reach band), one marker per vehicle; returns
    each vehicle's colour."""
    colors = {}
    for i, vehicle in enumerate(dict.fromkeys(r.vehicle for r in rs)):
        mk = MARKERS[i % len(MARKERS)]
        plain = [r for r in rs if r.vehicle == vehicle and r.status == "reconstructed" and r.date not in bands]
        banded = [r for r in rs if r.vehicle == vehicle and r.date in bands]
        colour = f"C{i % 10}"
        if plain:
            yerr = np.array([[r.range_km - r.low_km for r in plain], [r.high_km - r.range_km for r in plain]])
            ax.errorbar([r.date for r in plain], [r.range_km for r in plain], yerr=yerr, fmt=mk, capsize=3,
                        color=colour, label=vehicle)
        for r in banded:
            _draw_band(ax, r.date, bands[r.date], colour, mk)
        if banded and not plain:
            ax.plot([], [], mk, color=colour, label=vehicle)
        if plain or banded:
            colors[vehicle] = colour
    if bands:
        ax.plot([], [], "|", color="0.3", ms=10, label="bar: 10-90 % of the reach band; point: median")
    return colors


def _draw_band(ax, day, band: Mapping, colour: str, marker: str) -> None:
    """One test's reach band: the 10-90 % bar (to the top edge, with an arrow, where the 90th
    percentile is global), the median as the point, and the share global written above."""
    p10, med, p90 = band.get("p10_km"), band.get("median_km"), band.get("p90_km")
    p_global = band.get("p_global") or 0.0
    lo = p10 if _finite(p10) else (med if _finite(med) else Y_TOP_KM)
    hi = p90 if _finite(p90) else Y_TOP_KM
    ax.vlines(day, min(lo, Y_TOP_KM), min(hi, Y_TOP_KM), colors=colour, lw=2.2, alpha=0.6)
    if not _finite(p90):
        ax.plot([day], [Y_TOP_KM], marker="^", ms=8, color=colour, clip_on=False, zorder=5)
    if _finite(med):
        ax.plot([day], [med], marker=marker, color=colour, mec="k", mew=0.5, zorder=5)
    if p_global > 0:
        top = min(hi, Y_TOP_KM)
        ax.annotate(f"{p_global:.0%} global", (day, top), xytext=(3, -2 if top >= Y_TOP_KM else 3),
                    textcoords="offset points", fontsize=6, color=colour, rotation=90,
                    va="top" if top >= Y_TOP_KM else "bottom")


def _draw_global(ax, glob: list[ReachRow], colors: dict) -> None:
    """Global tests: an arrow at the top edge, the bar from the lowest supported range."""
    for r in glob:
        c = colors.get(r.vehicle, "C3")
        ax.vlines(r.date, min(r.low_km, Y_TOP_KM), Y_TOP_KM, colors=c, lw=1.2)
        ax.plot([r.date], [Y_TOP_KM], marker="^", ms=9, color=c, clip_on=False, zorder=5)
        ax.annotate(f"{r.vehicle}: global", (r.date, Y_TOP_KM), xytext=(3, -12),
                    textcoords="offset points", fontsize=6, rotation=90, va="top", color=c)
    if glob:
        ax.plot([], [], "^", color="C3", label="global: reaches any point (arrow at the edge; "
                                              "bar from the lowest supported range)")


def _draw_other(ax, other: list[ReachRow]) -> None:
    """Tests not reconstructed: an x at the bottom edge; their reasons beside the plot."""
    for r in other:
        ax.plot([r.date], [0.0], marker="x", ms=8, color="0.35", clip_on=False, zorder=5)
    if not other:
        return
    ax.plot([], [], "x", color="0.35", label="not reconstructed (see note)")
    lines = [f"{r.date.isoformat()} {r.vehicle}: {r.status}"
             + (f" - {r.note[:40]}" + ("..." if len(r.note) > 40 else "") if r.note else "")
             for r in other]
    ax.text(1.02, 0.0, "Not reconstructed (x at the bottom edge):\n" + "\n".join(lines),
            transform=ax.transAxes, fontsize=6, va="bottom", ha="left",
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"})


def plot_test_timeline(tests, rows: Sequence[dict], path, evs=None, *, formats=None):
    """The timeline of every test from the rows of ``boostphase tests --json``: reconstructed
    ones with their band (or their ``reach_band``), global ones as arrows at the top edge, the
    others as marked points with their reason (none silently dropped). Returns the path (or
    the figure, ``path`` None) and the timeline rows drawn."""
    from boostphase.reconstruct.testflights import implied_reach_timeline

    by_date = {r["date"]: r for r in rows}
    nan = float("nan")

    def reach(t):
        r = by_date[t.date.isoformat()]
        if r["status"] == "reconstructed":
            return r["implied_max_range_km"], r["band_km"][0], r["band_km"][1]
        if r["status"] == "global":
            return ReachRow(t.date, t.vehicle, nan, r["implied_lower_km"], nan, "global", r["reason"])
        return ReachRow(t.date, t.vehicle, nan, nan, nan, r["status"], r.get("reason", ""))

    timeline = implied_reach_timeline(tests, reach)
    bands = {r["date"]: r["reach_band"] for r in rows if r.get("reach_band")}
    caption = ("test figures from boostphase data/nk_tests.toml (KCNA, Japan MOD, ROK JCS and others as cited "
               "there); reach: each vehicle's class model fitted to the test's apogee and range, minimum-energy "
               "range over a non-rotating Earth; bars: burn time x0.8 / x1.2 at the same propellant"
               + ("; reach bands: 10-90 % of the ensemble" if bands else "")
               + "; arrows: global reach (no impact or >= 18,000 km)")
    return plot_timeline(timeline, path, events=evs, source=caption, bands=bands, formats=formats), timeline
