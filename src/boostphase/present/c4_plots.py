"""Figures of the C4 analysis in the APS study's style (PNG, matplotlib Agg).

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


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_all(res: dict, spec, out_dir) -> list[Path]:
    """Write the three figures of a :func:`boostphase.claims.c4.analyse` result into ``out_dir``."""
    from ..claims.c4 import interceptors

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plt = _plt()
    paths = []
    # fly-out contours
    ic, ic_vac = interceptors(spec)
    fig, ax = plt.subplots(figsize=(8, 5))
    levels = np.arange(30.0, 241.0, 30.0)
    for tab, style in ((ic, "solid"), (ic_vac, "dashed")):
        t = tab.reach_table(spec.platform_altitude)
        z = np.where(t.time_s < t.horizon_s, t.time_s, np.nan)
        cs = ax.contour(t.range_m / 1e3, t.alt_m / 1e3, z, levels=levels, linestyles=style, colors="C0" if
                        style == "solid" else "C7")
        if style == "solid":
            ax.clabel(cs, fmt="%.0f s", fontsize=8)
    ax.set(xlabel="ground range (km)", ylabel="altitude (km)", xlim=(0, 1200), ylim=(0, 600),
           title=f"Interceptor fly-out ({ic_vac.ideal_burnout_speed_m_s / 1e3:.1f} km/s): with drag (solid), "
                 "vacuum (dashed)")
    paths.append(out / "c4_flyout_contours.png")
    fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
    plt.close(fig)
    figs = res.get("figures") or {}
    # time to intercept against standoff
    tti = figs.get("time_to_intercept")
    if tti:
        fig, ax = plt.subplots(figsize=(8, 5))
        delay = res["conditions"]["interceptor_launch_time_s"]
        for i, (cls, d) in enumerate(tti.items()):
            x = np.array(d["distance_km"])
            for key, style in (("worst_bearing_s", "-"), ("best_bearing_s", "--")):
                y = np.array([np.nan if v is None else v - delay for v in d[key]])
                ax.plot(x, y, style, color=f"C{i}", label=f"{cls} ({d['model']}), {key.split('_')[0]} bearing")
            ax.axhline(d["burnout_time_s"] - delay, color=f"C{i}", lw=0.6, ls=":")
        ax.set(xlabel="orbit distance from the launch site (km)", ylabel="interceptor fly-out to intercept (s)",
               title=f"Time to intercept against standoff (interceptor launched {delay:.0f} s after the ICBM)")
        ax.legend(fontsize=8)
        paths.append(out / "c4_time_to_intercept.png")
        fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
        plt.close(fig)
    sweep = figs.get("standoff_vs_delay")
    if sweep:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
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
        axes[1].legend(fontsize=7)
        paths.append(out / "c4_standoff_vs_delay.png")
        fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
        plt.close(fig)
    return paths
