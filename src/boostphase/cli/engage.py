"""Command line and presentation of the boost-phase engagement analysis (claim C4).

Commands (registered on the main ``boostphase`` app by :func:`register`):

* ``boostphase engage SCENARIO.toml [--json]`` - every (threat, platform) engagement.
* ``boostphase engage-map SCENARIO.toml --out map.png [--geojson map.geojson] [--json]`` - the
  engagement map over the scenario's ``[map]`` region, greedy coverage and aircraft numbers.
* ``boostphase engage-sensitivity SCENARIO.toml [--json]`` - maximum standoff by interceptor
  speed x delay x threat (the scenario's ``[sensitivity]`` table).
* ``boostphase c4 [--spec C4.toml] [--json] [--png-dir DIR] [--no-figures]`` - claim C4,
  decision-grade (:mod:`boostphase.claims.c4`): guaranteed and best standoff per threat class, divert,
  logistics, sensitivity, the answer in words.

:func:`c4_answer` answers claim C4 for the example scenario in plain words, every number computed
(``python -m boostphase.cli.engage``). Plots live here, apart from the physics in
:mod:`boostphase.engage`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..resources import examples_dir

EXAMPLE = examples_dir() / "c4_sea_of_japan.toml"


def _scenario(path: Path):
    from ..engage import load_scenario

    return load_scenario(path).build()


def _dump(obj) -> str:
    def default(o):
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        raise TypeError(type(o))

    return json.dumps(obj, indent=2, default=default)


def _header(sc) -> dict:
    i = sc.interceptor
    return {
        "title": sc.title,
        "interceptor": {"name": i.name, "ideal_burnout_speed_km_s": i.ideal_burnout_speed_m_s / 1e3,
                        "burn_time_s": i.burn_time_s,
                        "kill_vehicle": {"divert_km_s": i.kill_vehicle.divert_m_s / 1e3,
                                         "min_closing_speed_km_s": i.kill_vehicle.min_closing_speed_m_s / 1e3}},
        "timeline": {"detection_delay_s": sc.timeline.detection_delay_s, "decision_time_s": sc.timeline.decision_time_s,
                     "launch_delay_s": sc.timeline.launch_delay_s,
                     "interceptor_launch_time_s": sc.timeline.interceptor_launch_s},
        "keep_out": sc.keep_out.describe(),
    }


# ------------------------------------------------------------------------------------------
# the answer to C4
# ------------------------------------------------------------------------------------------

def _is_solid(threat) -> bool:
    """Propellant class of a threat's catalog model (by name: the catalog's solid ICBMs say so)."""
    return threat.missile is not None and "solid" in threat.missile.name


def c4_answer(scenario_path=None, out_dir=None, console=None) -> dict:
    """Answer claim C4 ("a high-altitude, long-endurance UAV armed with interceptor missiles" kills
    ICBMs in boost phase) for the example scenario: print it in plain words and return the numbers.

    Everything quoted is computed here from the scenario (engagements at its named orbits, the
    engagement map with keep-out zones, greedy coverage, the speed x delay sensitivity table)."""
    from ..engage import Engagement

    path = Path(scenario_path) if scenario_path else EXAMPLE
    sc = _scenario(path)
    emap = sc.engagement_map()
    liquid = np.array([not _is_solid(t) for t in sc.threats])
    solid = ~liquid
    allowed = emap.allowed
    n_allowed = int(allowed.sum())

    def cls_stats(mask):
        if not mask.any():
            return None
        f = emap.feasible[mask]
        share = f.mean(axis=0)
        best = float(np.max(np.where(allowed, share, -1)))
        cov = emap.coverage(mask)
        m = np.where(f & allowed[None], emap.margin_s[mask], np.nan)
        return {"n_threats": int(mask.sum()),
                "allowed_cells_covering_all": int(np.sum(allowed & (share >= 1.0))),
                "allowed_cells_covering_any": int(np.sum(allowed & (share > 0.0))),
                "best_allowed_share": best,
                "median_margin_s": None if np.all(np.isnan(m)) else float(np.nanmedian(m)),
                "max_margin_s": None if np.all(np.isnan(m)) else float(np.nanmax(m)),
                "coverage": cov.row()}

    res = {"scenario": str(path), "allowed_cells": n_allowed, "cells": int(allowed.size),
           "interceptor": sc.interceptor.name, "interceptor_launch_time_s": sc.timeline.interceptor_launch_s,
           "liquid": cls_stats(liquid), "solid": cls_stats(solid)}
    # the named orbits
    named = []
    for p in sc.platforms:
        rows = [Engagement(t, p, sc.interceptor, sc.timeline).solve() for t in sc.threats]
        ok = np.array([r.intercept_possible for r in rows])
        mg = np.array([r.margin_before_burnout_s if r.intercept_possible else np.nan for r in rows], float)
        named.append({"platform": p.name, "lat": p.lat_deg, "lon": p.lon_deg,
                      "liquid_interceptable": int((ok & liquid).sum()), "solid_interceptable": int((ok & solid).sum()),
                      "liquid_min_margin_s": None if not (ok & liquid).any() else float(np.nanmin(mg[liquid])),
                      "solid_min_margin_s": None if not (ok & solid).any() else float(np.nanmin(mg[solid]))})
    res["named_orbits"] = named
    sens = sc.sensitivity()
    res["sensitivity"] = sens
    if out_dir is not None:
        out = Path(out_dir)
        from ..present.engage_maps import plot_engagement_map

        plot_engagement_map(emap, out / "c4_engagement_map.png", sc.title, sc.platforms)
        (out / "c4_engagement_map.geojson").write_text(_dump(emap.to_geojson()))
        res["files"] = [str(out / "c4_engagement_map.png"), str(out / "c4_engagement_map.geojson")]
    text = _c4_words(res, sc)
    res["answer"] = text
    if console is None:
        print(text)
    else:
        console.print(text)
    return res


def _fmt_km(x):
    return "none" if x is None else f"{x:,.0f} km"


def _c4_words(res: dict, sc) -> str:
    L, S = res["liquid"], res["solid"]
    tl = res["interceptor_launch_time_s"]
    lines = [f"Claim C4 - a UAV armed with interceptors kills North Korean ICBMs in boost phase - checked "
             f"kinematically for {len(sc.threats)} launches ({sc.title}).",
             f"Assumptions: {sc.interceptor.name} (ideal burnout speed "
             f"{sc.interceptor.ideal_burnout_speed_m_s / 1e3:.1f} km/s), fired {tl:.0f} s after the ICBM's launch "
             f"from a {sc.platform_template.altitude_m / 1e3:.0f} km orbit of {sc.platform_template.orbit_radius_m / 1e3:.0f} km "
             f"radius (worst point of the orbit); orbits must stay {sc.keep_out.describe()[1:-1]}."]
    for label, st in (("liquid-fuel", L), ("solid-fuel", S)):
        if st is None:
            continue
        cov = st["coverage"]
        s = (f"{label.capitalize()} ICBMs ({st['n_threats']} launches): from the best allowed orbit "
             f"{st['best_allowed_share'] * 100:.0f} % can be hit before burnout; "
             f"{st['allowed_cells_covering_all']} of {res['allowed_cells']} allowed orbit cells cover all of them")
        if st["median_margin_s"] is not None:
            s += f" (median margin before burnout {st['median_margin_s']:.0f} s, best {st['max_margin_s']:.0f} s)"
        s += "."
        if cov["n_orbits"]:
            s += (f" Greedy set cover: {cov['n_orbits']} orbit(s) cover {sum(o['n_threats'] for o in cov['orbits'])} "
                  f"of them, needing {cov['aircraft_for_24_7']} aircraft for 24/7 presence")
            o = cov["orbits"][0]
            s += (f" (first orbit at {o['lat']:.1f}N {o['lon']:.1f}E: {o['transit_h']:.1f} h transit, "
                  f"{o['time_on_station_h']:.1f} h on station per sortie).")
        if cov["uncovered_threats"]:
            s += f" No allowed orbit reaches {len(cov['uncovered_threats'])} launch(es) in time."
        lines.append(s)
    for n in res["named_orbits"]:
        lines.append(f"  - {n['platform']}: {n['liquid_interceptable']} of {int(L['n_threats']) if L else 0} liquid, "
                     f"{n['solid_interceptable']} of {int(S['n_threats']) if S else 0} solid launches interceptable"
                     + (f" (worst liquid margin {n['liquid_min_margin_s']:.0f} s)" if n["liquid_min_margin_s"] is not None else "")
                     + (f" (worst solid margin {n['solid_min_margin_s']:.0f} s)" if n["solid_min_margin_s"] is not None else ""))
    # sensitivity in one sentence per threat: at the scenario's speed, over the delays
    v0 = sc.interceptor.ideal_burnout_speed_m_s / 1e3
    by = {}
    for r in res["sensitivity"]:
        by.setdefault(r["threat"], []).append(r)
    for name, rows in by.items():
        near = min(rows, key=lambda r: (abs(r["interceptor_burnout_speed_km_s"] - v0), 0))["interceptor_burnout_speed_km_s"]
        sel = [r for r in rows if r["interceptor_burnout_speed_km_s"] == near]
        part = ", ".join(f"{_fmt_km(r['standoff_any_bearing_km'])} at {r['total_delay_s']:.0f} s "
                         f"({r['burnout_time_s'] - r['total_delay_s']:.0f} s available)" for r in sel)
        best = ", ".join(f"{_fmt_km(r['standoff_best_km'])} at {r['total_delay_s']:.0f} s" for r in sel)
        fast = max(rows, key=lambda r: (r["interceptor_burnout_speed_km_s"], -r["total_delay_s"]))
        lines.append(f"Guaranteed standoff from the launch site (an orbit that close reaches the missile whatever its "
                     f"direction; {name}, boost {sel[0]['burnout_time_s']:.0f} s), {near:.0f} km/s interceptor: {part} "
                     f"of delay; with {fast['interceptor_burnout_speed_km_s']:.0f} km/s and "
                     f"{fast['total_delay_s']:.0f} s: {_fmt_km(fast['standoff_any_bearing_km'])}. Best case only "
                     f"under the missile's own track (bearing {sel[0]['best_bearing_from_threat_azimuth_deg'] or 0:+.0f} "
                     f"deg from its azimuth, keep-out rules ignored): {best}.")
    verdict = []
    if L is not None:
        verdict.append("possible for liquid-fuel ICBMs from orbits near North Korea's coasts"
                       if L["best_allowed_share"] >= 0.999 else
                       ("partly possible for liquid-fuel ICBMs" if L["best_allowed_share"] > 0 else
                        "not possible for liquid-fuel ICBMs"))
    if S is not None:
        harder = L is not None and (S["allowed_cells_covering_all"] < L["allowed_cells_covering_all"]
                                    or S["best_allowed_share"] < L["best_allowed_share"])
        verdict.append(("much harder for solid-fuel ICBMs" if harder else "as feasible for solid-fuel ICBMs")
                       + f" (cells covering all: {S['allowed_cells_covering_all']} vs "
                       f"{L['allowed_cells_covering_all'] if L else 0})")
    lines.append("Verdict (kinematics only - no sensor, discrimination, reliability or countermeasure effects): "
                 + "; ".join(verdict) + ".")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------
# CLI
# ------------------------------------------------------------------------------------------

def register(app) -> None:
    import typer

    @app.command("engage")
    def engage(scenario: Path = typer.Argument(..., help="scenario TOML (see examples/c4_*.toml)"),
               as_json: bool = typer.Option(False, "--json", help="print JSON")):
        """Boost-phase engagements: every (threat, platform) pair of a scenario (an ensemble when
        numeric fields are distribution tables)."""
        from ..engage import load_scenario
        from ..scenario.uncertain import nested_distributions

        spec = load_scenario(scenario)
        if spec.ensemble is not None or nested_distributions(spec):
            engage_ensemble_command(spec, scenario, as_json)
            return
        sc = spec.build()
        if not sc.threats or not sc.platforms:
            raise InputError("scenario", str(scenario), "at least one threat and one [[platforms]] orbit")
        rows = [r.row() for r in sc.engagements()]
        if as_json:
            typer.echo(_dump({**_header(sc), "engagements": rows}))
            return
        from rich.console import Console

        from .tables import Table

        t = Table(title=f"{sc.title}\ninterceptor launched {sc.timeline.interceptor_launch_s:.0f} s after the ICBM")
        for c in ("threat", "platform", "intercept", "time (s)", "margin (s)", "fly-out (s)", "alt (km)",
                  "closing (km/s)"):
            t.add_column(c)
        def f(x, fmt="{:.0f}"):
            return "" if x is None else fmt.format(x)

        for r in rows:
            t.add_row(r["threat"], r["platform"], "yes" if r["intercept_possible"] else "no",
                      f(r["intercept_time_s"]), f(r["margin_before_burnout_s"]), f(r["interceptor_flyout_s"]),
                      f(r["intercept"]["alt_km"]), f(r["closing_speed_km_s"], "{:.1f}"))
        Console().print(t)

    @app.command("engage-map")
    def engage_map(scenario: Path = typer.Argument(..., help="scenario TOML with a [map] table"),
                   out: Path = typer.Option(..., "--out", help="PNG to write"),
                   geojson: Path = typer.Option(None, "--geojson", help="GeoJSON contours to write"),
                   as_json: bool = typer.Option(False, "--json", help="print JSON")):
        """Engagement map: share of threats interceptable in boost phase per orbit centre."""
        from ..scenario.files import check_output

        if out.suffix.lower() != ".png":
            raise InputError("--out", str(out), "a .png path")
        check_output("--out", out)
        check_output("--geojson", geojson)
        sc = _scenario(scenario)
        emap = sc.engagement_map()
        from ..present.engage_maps import plot_engagement_map

        plot_engagement_map(emap, out, sc.title, sc.platforms)
        if geojson is not None:
            geojson.parent.mkdir(parents=True, exist_ok=True)
            geojson.write_text(_dump(emap.to_geojson()))
        summ = {**emap.summary(), **_header(sc), "png": str(out), "geojson": None if geojson is None else str(geojson)}
        if as_json:
            typer.echo(_dump(summ))
            return
        cov = summ["coverage"]
        typer.echo(f"{summ['allowed_cells']} of {emap.allowed.size} orbit cells allowed; best allowed share "
                   f"{(summ['max_share_allowed'] or 0) * 100:.0f} %; {summ['cells_covering_all_allowed']} allowed cells "
                   f"cover all {len(emap.threats)} threats; greedy cover: {cov['n_orbits']} orbits, "
                   f"{cov['aircraft_for_24_7']} aircraft for 24/7; map computed in {emap.compute_s:.2f} s -> {out}")

    @app.command("c4")
    def c4_cmd(spec_file: Path = typer.Option(None, "--spec", help="C4 settings TOML (default: "
                                                                 "examples/c4_decision.toml)"),
               as_json: bool = typer.Option(False, "--json", help="print JSON"),
               png_dir: Path = typer.Option(None, "--png-dir", help="write the APS-style figures here"),
               no_figures: bool = typer.Option(False, "--no-figures", help="skip the speed x delay sweep")):
        """Claim C4, decision-grade: guaranteed standoff first, divert, logistics, sensitivity."""
        c4_command(spec_file, as_json, png_dir, figures=not no_figures)

    @app.command("engage-sensitivity")
    def engage_sensitivity(scenario: Path = typer.Argument(..., help="scenario TOML ([sensitivity] optional)"),
                           as_json: bool = typer.Option(False, "--json", help="print JSON")):
        """Maximum standoff for boost-phase intercept: interceptor speed x delay x threat."""
        sc = _scenario(scenario)
        rows = sc.sensitivity()
        if as_json:
            typer.echo(_dump({**_header(sc), "rows": rows}))
            return
        from rich.console import Console

        from .tables import Table

        t = Table(title="Standoff (km) from the launch site for a boost-phase intercept: guaranteed "
                        "(every bearing) / best case (most favourable bearing)")
        delays = sorted({r["total_delay_s"] for r in rows})
        t.add_column("threat")
        t.add_column("speed (km/s)")
        for d in delays:
            t.add_column(f"{d:.0f} s")
        keys = sorted({(r["threat"], r["interceptor_burnout_speed_km_s"]) for r in rows})
        for th, v in keys:
            cells = []
            for d in delays:
                r = next(x for x in rows if x["threat"] == th and x["interceptor_burnout_speed_km_s"] == v
                         and x["total_delay_s"] == d)
                best = r["standoff_best_km"]
                cells.append("-" if best is None else f"{r['standoff_any_bearing_km']:.0f} / {best:.0f}")
            t.add_row(th, f"{v:.1f}", *cells)
        Console().print(t)


def engage_ensemble_command(spec, path: Path, as_json: bool) -> dict:
    """``boostphase engage FILE`` for a file with distributions: the seeded ensemble
    (:mod:`boostphase.scenario.engage_ensemble`), as JSON (``title``, ``ensemble``) or a table."""
    import typer

    from ..scenario.engage_ensemble import engage_ensemble

    if not spec.platforms or not (spec.threats or spec.threat_sets):
        raise InputError("scenario", str(path), "at least one threat and one [[platforms]] orbit")
    res = {"title": spec.title, **engage_ensemble(spec)}
    if as_json:
        typer.echo(_dump(res))
        return res
    from rich.console import Console

    from .tables import Table

    e = res["ensemble"]
    t = Table(title=f"{spec.title}\nensemble of {e['n']} samples (seed {e['seed']}): "
                    + "; ".join(f"{k} {v['text']}" for k, v in e["inputs"].items()))
    for c in ("threat", "platform", "P(intercept)", "95 % interval", "time q05/q50/q95 (s)", "margin q50 (s)",
              "moves P most"):
        t.add_column(c)

    def qs(o, keys=("q05", "q50", "q95")):
        q = o["quantiles"]
        return "/".join(f"{q[k]:.0f}" for k in keys if k in q) or "-"

    for p in e["pairs"]:
        pi = p["intercept_possible"]
        top = p["sensitivity"][0] if p["sensitivity"] else None
        t.add_row(p["threat"], p["platform"], f"{pi['p']:.2f} ({pi['k']}/{pi['n']})",
                  f"{pi['ci95'][0]:.2f}-{pi['ci95'][1]:.2f}", qs(p["intercept_time_s"]),
                  qs(p["margin_before_burnout_s"], ("q50",)),
                  "-" if top is None or top["effect"] == 0 else f"{top['input']} ({top['effect']:+.2f})")
    Console().print(t)
    conv = e["convergence"] or {}
    typer.echo(f"headline {e['headline']}: converged {conv.get('converged')}; reach tables built "
               f"{e['cost']['reach_tables_built']}")
    return res


def c4_command(spec_file: Path | None, as_json: bool, png_dir: Path | None, figures: bool = True) -> dict:
    """``boostphase c4``: the decision-grade C4 analysis (:mod:`boostphase.claims.c4`), printed."""
    import typer

    from ..claims import c4

    spec = c4.load_c4_spec(spec_file)
    if png_dir is not None:
        from ..scenario.files import check_output

        check_output("--png-dir", Path(png_dir) / "c4_standoff_vs_delay.png")
    res = c4.analyse(spec, figures=figures or png_dir is not None)
    if png_dir is not None:
        from ..present.c4_plots import plot_all

        res["plots"] = [str(p) for p in plot_all(res, spec, png_dir)]
    if as_json:
        typer.echo(json.dumps(c4.json_safe(res), indent=2, allow_nan=False))
    else:
        typer.echo(res["answer"])
        if res.get("plots"):
            typer.echo("plots: " + ", ".join(res["plots"]))
    return res


def run(console, out) -> dict:
    """Hook for ``make demo`` (boostphase.cli.demo calls ``run(console, out)`` of its extras): the
    decision-grade C4 answer (guaranteed standoff first, its conditions, its most sensitive
    input) with its figures written to ``out``; then the engagement map of the example scenario."""
    from ..claims import c4
    from ..present.c4_plots import plot_all

    console.rule("[bold]Claim C4: boost-phase intercept from UAV orbits")
    spec = c4.load_c4_spec()
    res = c4.analyse(spec)
    console.print(res["answer"])
    console.print("plots: " + ", ".join(str(p) for p in plot_all(res, spec, out)))
    sc = _scenario(EXAMPLE)
    emap = sc.engagement_map()
    from ..present.engage_maps import plot_engagement_map

    plot_engagement_map(emap, Path(out) / "c4_engagement_map.png", sc.title, sc.platforms)
    (Path(out) / "c4_engagement_map.geojson").write_text(_dump(emap.to_geojson()))
    return res


def main(argv=None) -> None:
    """``python -m boostphase.cli.engage [SCENARIO] [--out DIR]``: print the answer to C4."""
    import argparse

    ap = argparse.ArgumentParser(description="the answer to claim C4")
    ap.add_argument("scenario", nargs="?", default=None)
    ap.add_argument("--out", default=None, help="folder for the map PNG and GeoJSON")
    a = ap.parse_args(argv)
    try:
        c4_answer(a.scenario, a.out)
    except InputError as e:
        import sys

        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

