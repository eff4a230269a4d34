"""Figures of the consequence analysis (claim C5): where the payload and the debris land.

Moved from the CLI (what each figure shows is unchanged); the maps now sit on the
azimuthal-equidistant base map of :mod:`boostphase.present.maps`. Every function draws into a
new figure or the caller's ``ax``, and writes ``path`` (300-dpi PNG, SVG/PDF by suffix or
``formats``) or returns the figure when ``path`` is None.

* :func:`shortfall_map` - payload impact for each thrust cut-off time, launch and target;
* :func:`footprint_map` - fragment impacts (points, or a density for many), payload trace,
  stages, launch site and the cities at risk;
* :func:`c5_map` - one stored C5 answer's shortfall trace;
* :func:`c5_plots` - per target, :func:`c5_time_plot` (P(Russian land) against the intercept
  time) and :func:`c5_cloud_map` (the payload impact cloud per firing policy).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from boostphase.present import maps
from boostphase.present.figures import finish, new_figure, outside_legend, source_line
from boostphase.present.labels import Label

POLICY_COLOURS = {"earliest": "tab:red", "window_uniform": "tab:blue", "shoot_look_shoot": "tab:green"}


def _pc(x) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


def _midpoint_centre(launch, nominal) -> tuple[float, float]:
    """(lat, lon) midway along the great circle from launch to the nominal impact."""
    return maps.centre_of([launch[1], nominal[1]], [launch[0], nominal[0]])


def shortfall_map(tr, path=None, title: str = "", *, ax=None, formats=None):
    """The payload impact for each cut-off time (coloured by time), launch and target."""
    owned = ax is None
    fig, ax = new_figure((11, 6.5), ax)
    nom = tr.nominal_impact or tr.launch  # no nominal impact (orbital threat): centre on launch
    view = maps.view_for(np.append(tr.lon, [tr.launch[1], nom[1]]), np.append(tr.lat, [tr.launch[0], nom[0]]),
                         centre=_midpoint_centre(tr.launch, nom))
    maps.prepare_map(ax, view, rings_from=tr.launch)
    sc = _trace_points(ax, view, tr.lon, tr.lat, tr.cutoff_s)
    fig.colorbar(sc, ax=ax, label="thrust cut-off time (s after launch)", shrink=0.8)
    ax.plot(*view.project(tr.launch[1], tr.launch[0]), "r*", ms=12, label="launch", zorder=5)
    if tr.nominal_impact is not None:
        ax.plot(*view.project(tr.nominal_impact[1], tr.nominal_impact[0]), "kx", ms=9, label="nominal impact",
                zorder=5)
    ax.set_title(title or "payload shortfall trace", fontsize=10)
    outside_legend(ax, where="below", ncol=2)
    src = source_line(f"payload impact for thrust cut-off at each time of boost: {tr.missile} from "
                      f"{tr.launch[0]:.2f}N {tr.launch[1]:.2f}E, azimuth {tr.azimuth_deg:.1f} deg, burnout "
                      f"{tr.burnout_s:.0f} s", borders=True)
    return maps.finish_map(fig, ax, [], path, source=src, formats=formats, owned=owned)


def _trace_points(ax, view, lon, lat, colour_by):
    """The payload trace: points coloured by cut-off time on a thin grey line."""
    x, y = view.project(lon, lat)
    sc = ax.scatter(x, y, c=colour_by, cmap="viridis", s=8, zorder=4)
    ax.plot(*maps.broken_track(x, y), "-", color="0.3", lw=0.6, zorder=3)
    return sc


def footprint_map(fp, path=None, title: str = "", *, ax=None, formats=None):
    """Fragment impacts (points, or a density for many), payload trace, stages, launch site
    and the cities at risk (labelled with their expected impacts)."""
    from matplotlib.colors import LogNorm

    owned = ax is None
    fig, ax = new_figure((11, 7), ax)
    ok = fp.impacted
    tr = fp.trace
    view = _footprint_view(fp)
    maps.prepare_map(ax, view, rings_from=tr.launch if tr is not None else None)
    fx, fy = view.project(fp.lon[ok], fp.lat[ok])
    if fx.size > 5000:
        h = ax.hist2d(fx, fy, bins=(np.linspace(view.x0_km, view.x1_km, 300), np.linspace(view.y0_km, view.y1_km, 160)),
                      norm=LogNorm(), cmap="inferno_r", alpha=0.85, zorder=2, cmin=1)
        fig.colorbar(h[3], ax=ax, label="fragments per cell", shrink=0.8)
    else:
        ax.scatter(fx, fy, s=2, c="tab:red", alpha=0.4, zorder=2, label="fragment impacts")
    if tr is not None:
        sc = _trace_points(ax, view, tr.lon, tr.lat, tr.cutoff_s)
        fig.colorbar(sc, ax=ax, label="payload impact: thrust cut-off time (s)", shrink=0.8)
        ax.plot(*view.project(tr.launch[1], tr.launch[0]), "r*", ms=13, label="launch", zorder=6)
    labels = []
    for s in fp.stages:
        p = view.project(s["lon"], s["lat"])
        ax.plot(*p, "bs", ms=7, zorder=6)
        labels.append(Label(float(p[0]), float(p[1]), s["name"].split(" (")[0], 2.0, {"color": "b"}))
    for i, c in enumerate(fp.cities_at_risk[:8]):
        p = view.project(c["lon"], c["lat"])
        ax.plot(*p, "k.", ms=4, zorder=6)
        labels.append(Label(float(p[0]), float(p[1]), f"{c['name']} ({c['expected_impacts']:.0f})", 1.0 - 0.01 * i,
                            {"fontsize": 6}))
    share = ", ".join(f"{k} {v:.0%}" for k, v in list(fp.shares.items())[:4])
    ax.set_title(f"{title}: {fp.n:,} fragments (seed {fp.seed}); {share}", fontsize=10)
    outside_legend(ax, where="below", ncol=3)
    src = source_line(f"Monte Carlo debris footprint, {fp.n:,} fragments, seed {fp.seed}; cities within "
                      f"{fp.city_radius_km:g} km, labelled with expected impacts", borders=True, cities=True)
    return maps.finish_map(fig, ax, labels, path, source=src, formats=formats, owned=owned)


def _footprint_view(fp) -> maps.MapView:
    """The view: 99.5 % of the fragments, the trace and the launch site."""
    ok = fp.impacted
    lon, lat = [fp.lon[ok]], [fp.lat[ok]]
    tr = fp.trace
    if tr is not None:
        lon += [tr.lon, [tr.launch[1]]]
        lat += [tr.lat, [tr.launch[0]]]
    centre = maps.centre_of(np.concatenate(lon), np.concatenate(lat))
    probe = maps.MapView(*centre, -1, 1, -1, 1)
    xs, ys = [], []
    if ok.any():
        fx, fy = probe.project(fp.lon[ok], fp.lat[ok])
        xs.append(np.quantile(fx, [0.0025, 0.9975]))
        ys.append(np.quantile(fy, [0.0025, 0.9975]))
    if tr is not None:
        tx, ty = probe.project(np.append(tr.lon, tr.launch[1]), np.append(tr.lat, tr.launch[0]))
        xs.append(tx)
        ys.append(ty)
    x, y = np.concatenate(xs), np.concatenate(ys)
    return maps.view_for(*probe.unproject(x[np.isfinite(x)], y[np.isfinite(y)]), centre=centre)


def c5_map(answer: dict, path=None, *, ax=None, formats=None):
    """One C5 answer: the shortfall trace over the window (from its stored impacts)."""
    owned = ax is None
    fig, ax = new_figure((11, 6.5), ax)
    th = answer["threat"]
    launch = (th["launch"]["lat"], th["launch"]["lon"])
    nom = (th["nominal_impact"]["lat"], th["nominal_impact"]["lon"])
    if nom[0] is None:  # the threat's full flight does not land: centre on the launch
        nom = launch
    imp = answer.get("payload_impacts") or []
    lon = np.array([launch[1], nom[1], *[p["lon"] for p in imp]])
    lat = np.array([launch[0], nom[0], *[p["lat"] for p in imp]])
    view = maps.view_for(lon, lat, centre=_midpoint_centre(launch, nom))
    maps.prepare_map(ax, view, rings_from=launch)
    x, y = view.project(lon, lat)
    if imp:
        sc = ax.scatter(x[2:], y[2:], c=[p["intercept_s"] for p in imp], cmap="viridis", s=8, zorder=4)
        fig.colorbar(sc, ax=ax, label="thrust cut-off time (s after launch)", shrink=0.8)
    ax.plot(x[0], y[0], "r*", ms=12, label="launch", zorder=5)
    ax.plot(x[1], y[1], "kx", ms=9, label="target", zorder=5)
    ax.set_title(f"C5, {answer['title']}: payload in Russia for {answer['russia_share']:.0%} of the window",
                 fontsize=10)
    outside_legend(ax, where="below", ncol=2)
    src = source_line(f"C5 answer '{answer['title']}': payload impact for thrust cut-off over the intercept "
                      "window", borders=True)
    return maps.finish_map(fig, ax, [], path, source=src, formats=formats, owned=owned)


def c5_plots(res: dict, out: Path, *, formats=None) -> list[Path]:
    """Per target: P(payload on Russian land) against the intercept time (with each policy's
    intercept times) and a map of the payload impact cloud per policy. ``res`` from
    ``boostphase.claims.c5.analyse(..., keep_samples=True)``."""
    paths = []
    for tgt, a in res["targets"].items():
        stem = tgt.lower().replace(" ", "_")
        paths.append(c5_time_plot(res, tgt, a, Path(out) / f"c5_{stem}_p_russia_vs_time.png", formats=formats))
        paths.append(c5_cloud_map(res, tgt, Path(out) / f"c5_{stem}_impact_cloud.png", formats=formats))
    return paths


def c5_conditions(res: dict) -> str:
    """The C5 ensemble's conditions, for the source line."""
    c = res["conditions"]
    return (f"C5 ensemble: n = {c['n_per_target']:,} per target, seed {c['seed']}; threats {c['threat_models']}; "
            f"detection {c['detection_delay']}; decision {c['decision_time']}; interceptor {c['interceptor_speed']}; "
            f"laydown {c['laydown']}; payload beta {c['payload_beta_kg_m2']:g} kg/m^2")


def c5_time_plot(res: dict, target: str, answer: dict, path=None, *, ax=None, formats=None):
    """P(Russian land | intercept at t) against t, over the intercept times of each policy."""
    cur = answer["russia_by_intercept_time"]
    sim = res["samples"][target]
    fig, ax = new_figure((11, 5.5), ax)
    ax.plot(cur["t_s"], cur["p_russia_land"], "k-", lw=2, label="P(payload on Russian land | intercept at t), "
                                                                "all threat models and sites")
    for m, y in cur.get("by_threat_model", {}).items():
        ax.plot(cur["t_s"], y, lw=0.9, ls="--", label=f"  {m} (over the sites)")
    ax.axhline(0.9, color="0.5", ls=":", lw=1, label="90 % ('almost certainly')")
    ax2 = ax.twinx()
    bins = np.arange(0.0, max(cur["t_s"]) + 2.0, 2.0)
    for p, r in answer["policies"].items():
        t = sim[f"t_{p}"]
        ax2.hist(t[np.isfinite(t)], bins=bins, histtype="step", color=POLICY_COLOURS.get(p, "k"),
                 label=f"{p}: intercept times; P(Russia) {_pc(r['p_russia_land'])} "
                       f"({_pc(r['ci95'][0])}-{_pc(r['ci95'][1])})")
    ax.set_xlabel("intercept (thrust cut-off) time, s after launch")
    ax.set_ylabel("P(payload on Russian land)")
    ax.set_ylim(0, 1.02)
    ax2.set_ylabel("samples per 2 s")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    # outside, below: the curves and histograms fill the whole axes
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    ax.set_title(f"C5, {target}: where the payload lands depends on when the boost is cut", fontsize=10)
    return finish(fig, path, source=source_line(c5_conditions(res)), formats=formats)


def c5_cloud_map(res: dict, target: str, path=None, *, ax=None, formats=None):
    """Map of the payload impact points of every intercepted sample, one colour per policy;
    the orbits as triangles."""
    from boostphase.claims.c5 import impact_points

    owned = ax is None
    fig, ax = new_figure((11, 7), ax)
    ctx, sim = res["context"], res["samples"][target]
    pts = {p: impact_points(ctx, target, sim, p) for p in ctx.spec.policies}
    all_lon = np.concatenate([v[1] for v in pts.values()] + [np.array([125.0])])
    all_lat = np.concatenate([v[0] for v in pts.values()] + [np.array([39.0])])
    view = maps.view_for(all_lon, all_lat)
    maps.prepare_map(ax, view)
    for p, (la, lo, _) in reversed(list(pts.items())):   # the earliest-fire cloud on top
        r = res["targets"][target]["policies"][p]
        ax.scatter(*view.project(lo, la), s=3, alpha=0.35, color=POLICY_COLOURS.get(p, "k"), zorder=4,
                   label=f"{p}: {len(la):,} impacts, Russian land {_pc(r['p_russia_land'])}")
    for o in res["orbits"]:
        ax.plot(*view.project(o["lon"], o["lat"]), "k^", ms=6, zorder=5)
    ax.set_title(f"C5, {target}: payload impact points (orbits: triangles)", fontsize=10)
    outside_legend(ax, where="below", ncol=1, markerscale=4)
    src = source_line(c5_conditions(res), borders=True)
    return maps.finish_map(fig, ax, [], path, source=src, formats=formats, owned=owned)
