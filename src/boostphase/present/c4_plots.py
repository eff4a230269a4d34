"""Figures of the C4 analysis in the APS study's style (300-dpi PNG, or SVG/PDF too).

* ``c4_flyout_contours.png`` - the interceptor's arrival time (s after its launch) over ground
  range (km) and altitude (km): with drag (solid) and in vacuum (dashed).
* ``c4_time_to_intercept.png`` - interceptor fly-out time (s) to the intercept against the orbit's
  distance from the launch site (km), worst and best bearing, liquid and solid.
* ``c4_standoff_vs_delay.png`` - guaranteed (solid) and best-case (dashed) standoff (km) against the
  interceptor's launch time after the ICBM's launch (s), one line per interceptor speed, liquid
  and solid side by side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from boostphase.present.figures import (
    new_figure,
    new_figure_grid,
    outside_legend,
    save_figure,
    source_line,
)


def c4_source(res: dict) -> str:
    """Source line of the C4 figures: the interceptor, its launch time and the drag model."""
    c = res.get("conditions") or {}
    parts = ["C4 boost-phase intercept figures (APS 2003 style)"]
    if "ideal_burnout_speed_km_s" in c:
        parts.append(f"interceptor {c['ideal_burnout_speed_km_s']:.1f} km/s ideal burnout speed")
    if "interceptor_launch_time_s" in c:
        parts.append(f"launched {c['interceptor_launch_time_s']:.0f} s after the ICBM")
    if "drag" in c:
        parts.append("flown with drag" if c["drag"] else "flown in vacuum")
    return source_line(", ".join(parts))


def plot_all(res: dict, spec, out_dir, *, formats=None) -> list[Path]:
    """Write the three figures of a :func:`boostphase.claims.c4.analyse` result into ``out_dir``
    (300-dpi PNG; also SVG/PDF with ``formats``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    src = c4_source(res)
    paths = [save_figure(flyout_contours(spec), out / "c4_flyout_contours.png", source=src, formats=formats)]
    figs = res.get("figures") or {}
    if figs.get("time_to_intercept"):
        fig = time_to_intercept(res)
        paths.append(save_figure(fig, out / "c4_time_to_intercept.png", source=src, formats=formats))
    if figs.get("standoff_vs_delay"):
        fig = standoff_vs_delay(res)
        paths.append(save_figure(fig, out / "c4_standoff_vs_delay.png", source=src, formats=formats))
    return paths


def flyout_contours(spec, ax=None):
    """The interceptor's arrival time (s) over ground range and altitude (km): with drag
    (solid) and in vacuum (dashed). Returns the figure."""
    from boostphase.claims.c4 import interceptors

    ic, ic_vac = interceptors(spec)
    fig, ax = new_figure((8, 5), ax)
    levels = np.arange(30.0, 241.0, 30.0)
    for tab, style in ((ic, "solid"), (ic_vac, "dashed")):
        t = tab.reach_table(spec.platform_altitude)
        z = np.where(t.time_s < t.horizon_s, t.time_s, np.nan)
        cs = ax.contour(t.range_m / 1e3, t.alt_m / 1e3, z, levels=levels, linestyles=style, colors="C0" if
                        style == "solid" else "C7")
        if style == "solid":
            ax.clabel(cs, fmt="%.0f s", fontsize=8)
    ax.set(xlabel="ground range (km)", ylabel="altitude (km)", xlim=(0, 1200), ylim=(0, 600))
    ax.set_title(f"Interceptor fly-out ({ic_vac.ideal_burnout_speed_m_s / 1e3:.1f} km/s): with drag (solid), "
                 "vacuum (dashed)", fontsize=10)
    return fig


def time_to_intercept(res: dict, ax=None):
    """Interceptor fly-out time (s) to the intercept against the orbit's distance from the
    launch site (km), worst and best bearing, per propellant class. Returns the figure."""
    tti = res["figures"]["time_to_intercept"]
    fig, ax = new_figure((9, 5), ax)
    delay = res["conditions"]["interceptor_launch_time_s"]
    for i, (cls, d) in enumerate(tti.items()):
        x = np.array(d["distance_km"])
        for key, style in (("worst_bearing_s", "-"), ("best_bearing_s", "--")):
            y = np.array([np.nan if v is None else v - delay for v in d[key]])
            ax.plot(x, y, style, color=f"C{i}", label=f"{cls} ({d['model']}), {key.split('_')[0]} bearing")
        ax.axhline(d["burnout_time_s"] - delay, color=f"C{i}", lw=0.6, ls=":")
    ax.set(xlabel="orbit distance from the launch site (km)", ylabel="interceptor fly-out to intercept (s)")
    ax.set_title(f"Time to intercept against standoff (interceptor launched {delay:.0f} s after the ICBM)",
                 fontsize=10)
    outside_legend(ax, where="below")
    return fig


def standoff_vs_delay(res: dict):
    """Guaranteed (solid) and best-case (dashed) standoff (km) against the interceptor's
    launch time (s), one line per interceptor speed, liquid and solid side by side."""
    sweep = res["figures"]["standoff_vs_delay"]
    fig, axes = new_figure_grid((11, 5), 1, 2, sharey=True)
    for ax, cls in zip(axes, ("liquid", "solid"), strict=True):
        rows = [r for r in sweep if r["class"] == cls]
        for i, v in enumerate(sorted({r["speed_km_s"] for r in rows})):
            rr = sorted((r for r in rows if r["speed_km_s"] == v), key=lambda r: r["delay_s"])
            x = [r["delay_s"] for r in rr]
            ax.plot(x, [r["guaranteed_standoff_km"] for r in rr], "-o", color=f"C{i}", ms=3,
                    label=f"{v:g} km/s guaranteed")
            ax.plot(x, [np.nan if r["best_standoff_km"] is None else r["best_standoff_km"] for r in rr], "--",
                    color=f"C{i}", label=f"{v:g} km/s best case")
        ax.set(xlabel="interceptor launch after the ICBM's launch (s)",
               title=f"{cls} ({rows[0]['model'] if rows else ''})")
    axes[0].set_ylabel("standoff from the launch site (km)")
    outside_legend(axes[1])
    return fig
