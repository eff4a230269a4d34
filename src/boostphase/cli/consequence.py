"""CLI commands of the consequence analysis (claim C5): ``shortfall``, ``footprint``, ``c5``.

Registered by :mod:`boostphase.cli` through :func:`register`. Presentation only (tables, maps,
files): the physics is in :mod:`boostphase.consequence`. Names, options and JSON keys are a
contract:

* ``boostphase shortfall --missile NAME --launch LAT,LON --target LAT,LON|CITY [--beta-kg-m2 B]
  [--window FROM,TO|engagement] [--beta-sweep B1,B2,...|vacuum] [--json]`` ->
  ``trace: [{cutoff_s, lat, lon, territory, nearest_city, nearest_city_km}]``,
  ``intervals: [{territory, from_s, to_s}]`` (and ``window_s``, ``share_of_window``,
  ``beta_sweep: [{beta_kg_m2, label, share_of_window, intervals}]``, ``engagement``);
* ``boostphase footprint SCENARIO.toml [--fragments N] [--seed S] [--json] [--geojson F]
  [--csv F] [--kml F] [--png F]`` -> ``shares``, ``shares_ci``, ``n``, ``seed``,
  ``cities_at_risk`` (and more);
* ``boostphase c5 [--spec C5.toml] [--targets CITY[=W],...] [--n N] [--seed S] [--policies ...]
  [--chunk K] [--workers W] [--json] [--png-dir D] [--window-answer]`` (same seed: bit-identical at
  any --chunk and --workers) -> ``targets.<city>.policies.<policy>.p_russia_land``
  (0..1, given an intercept), ``.ci95`` ([low, high], Wilson), ``.n`` (intercepts), ``.shares``,
  ``.p_no_intercept``, ``.sensitivity``, ``.flip``; ``targets.<city>.verdict``; ``overall``;
  ``conditions``; ``summary`` (see :mod:`boostphase.claims.c5`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer

from ..errors import InputError


def _cli():
    from . import commands as cli

    return cli


def _progress(total: int, what: str):
    return _cli()._progress(total, what)


def _check_out(field: str, path: Path | None) -> None:
    """Refuse an output path that cannot be written, before any work (scenario.files)."""
    from ..scenario.files import check_output

    check_output(field, path)


def register(app: typer.Typer) -> None:
    app.command("shortfall")(shortfall)
    app.command("footprint")(footprint)
    app.command("c5")(c5)


# --------------------------------------------------------------------------------------------

def shortfall(
    missile: str = typer.Option(..., help="catalog name (see `boostphase catalog`) or path to a vehicle TOML file"),
    launch: str = typer.Option(..., help="LAT,LON of the launch point (deg)"),
    target: str = typer.Option(None, help="LAT,LON or a city name (the threat flies the 'target' profile)"),
    azimuth: float = typer.Option(None, help="launch azimuth (deg) for a min-energy threat, instead of --target"),
    beta_kg_m2: float = typer.Option(None, help="payload ballistic coefficient m/(Cd A) (kg/m^2); omit for vacuum"),
    payload_kg: float = typer.Option(None, help="override the catalog payload mass (kg)"),
    dt_s: float = typer.Option(1.0, help="spacing of the cut-off times (s)"),
    from_s: float = typer.Option(None, help="first cut-off time (s after launch; default: dt)"),
    window: str = typer.Option(None, help="FROM,TO (s) intercept window for the shares, or 'engagement': from the "
                                          "earliest intercept of the example UAV laydown to burnout "
                                          "(default: an assumed 60 s to burnout)"),
    beta_sweep: str = typer.Option(None, "--beta-sweep",
                                   help="payload betas for a sensitivity table of the window shares, e.g. "
                                        "1000,5000,20000,vacuum (kg/m^2; one batched engine call)"),
    png: Path = typer.Option(None, "--png", help="write a map of the trace (PNG)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
):
    """Where the payload lands if thrust stops at each second of boost (territory, nearest city)."""
    from ..consequence import (
        DEFAULT_WINDOW_START_S,
        ENGAGEMENT,
        beta_sensitivity,
        parse_betas,
        resolve_missile,
        share_of_window,
        shortfall_trace,
    )

    cli = _cli()
    site = cli.parse_latlon("--launch", launch)
    tgt = cli.parse_place("--target", target) if target else None
    if tgt is None and azimuth is None:
        raise InputError("--target/--azimuth", None, "one of them")
    if beta_kg_m2 is not None and not beta_kg_m2 > 0:
        raise InputError("--beta-kg-m2", beta_kg_m2, "> 0 kg/m^2 (omit for vacuum)")
    _check_out("--png", png)
    betas = parse_betas(beta_sweep) if beta_sweep else None
    m = resolve_missile(missile, payload_kg)
    eng = None
    traj = None
    if window and window.strip().lower() == ENGAGEMENT:
        w, note, eng, traj = _engagement_window(m, site, tgt, azimuth)
    elif window:
        parts = window.split(",")
        try:
            w = (float(parts[0]), float(parts[1])) if len(parts) == 2 else None
        except ValueError:
            w = None
        if w is None:
            raise InputError("--window", window, "FROM,TO in seconds after launch, e.g. 60,240, or 'engagement'")
        note = "window given on the command line"
    else:
        w = (DEFAULT_WINDOW_START_S, m.boost_time_s)
        note = ("assumed window (60 s after launch to burnout); --window engagement takes it from the "
                "engagement analysis")
    tr = shortfall_trace(m, site, tgt, beta_kg_m2=beta_kg_m2, dt_s=dt_s, t_from_s=from_s,
                         azimuth_deg=azimuth if tgt is None else None, trajectory=traj)
    data = tr.to_dict()
    data["window_s"] = list(w)
    data["window_note"] = note
    if eng is not None:
        data["engagement"] = eng
    data["share_of_window"] = share_of_window(tr.intervals, *w)
    if betas:
        # the trace's cut-off times inside the window, and its ends
        inner = tr.cutoff_s[(tr.cutoff_s > w[0] + 1e-9) & (tr.cutoff_s < w[1] - 1e-9)]
        grid = np.unique(np.concatenate([[w[0]], inner, [w[1]]])) if w[1] > w[0] else [w[0]]
        data["beta_sweep"] = beta_sensitivity(m, site, tr.azimuth_deg, tr.kick_deg, grid, w, betas)
    if png:
        from ..present.consequence_maps import shortfall_map

        shortfall_map(tr, png, title=f"{m.title}: payload impact vs thrust cut-off time")
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=cli.json_default))
        return
    from rich.console import Console

    from .tables import Table

    con = Console()
    t = Table(title=f"{m.title} from {site[0]:.2f},{site[1]:.2f}: payload impact by cut-off time "
                    f"(beta {'vacuum' if beta_kg_m2 is None else f'{beta_kg_m2:g} kg/m^2'})")
    for c in ("cut-off (s)", "territory", "first impact (lat, lon)", "nearest city"):
        t.add_column(c)
    for iv in tr.intervals:
        i = int(np.searchsorted(tr.cutoff_s, iv["from_s"]))
        i = min(i, len(tr.cutoff_s) - 1)
        t.add_row(f"{iv['from_s']:.1f} - {iv['to_s']:.1f}", iv["territory"], f"{tr.lat[i]:.2f}, {tr.lon[i]:.2f}",
                  f"{tr.nearest_city[i]} ({tr.nearest_city_km[i]:.0f} km)")
    con.print(t)
    con.print(f"share of the window {w[0]:.1f}-{w[1]:.1f} s ({note}): " +
              ", ".join(f"{k} {v:.1%}" for k, v in data["share_of_window"].items()))
    if betas:
        con.print(beta_table(data["beta_sweep"], f"share of the window by payload ballistic coefficient "
                                                 f"({w[0]:.1f}-{w[1]:.1f} s)"))


def _engagement_window(m, site, tgt, azimuth):
    """(window, note, engagement rows, threat trajectory) from the example UAV laydown
    (:data:`boostphase.consequence.DEFAULT_ENGAGEMENT`); the assumed 60 s start where no orbit
    can intercept before burnout."""
    from ..consequence import (
        DEFAULT_WINDOW_START_S,
        engagement_threat,
        engagement_window,
        parse_scenario,
        window_note,
    )

    th: dict = {"missile": m.name, "launch": list(site)}
    if tgt is not None:
        th["target"] = list(tgt)
    else:
        th["azimuth"] = azimuth
    sc = parse_scenario({"threat": th, "intercept": {"window": "engagement"}})
    eth = engagement_threat(sc, m)
    eng = engagement_window(sc, eth)
    t_bo = float(m.boost_time_s)
    a = DEFAULT_WINDOW_START_S if eng["earliest"] is None else min(eng["earliest"]["intercept_time_s"], t_bo)
    return (a, t_bo), window_note("engagement", a, t_bo, eng), eng, eth.trajectory


def beta_table(rows: list[dict], title: str, k: int = 5):
    """A rich table: share of the window per territory (columns: the k largest) per beta."""
    from .tables import Table

    tot: dict[str, float] = {}
    for r in rows:
        for name, v in r["share_of_window"].items():
            tot[name] = tot.get(name, 0.0) + v
    cols = [n for n, _ in sorted(tot.items(), key=lambda kv: -kv[1])][:k]
    t = Table(title=title)
    t.add_column("payload beta")
    for c in cols:
        t.add_column(c)
    t.add_column("other")
    for r in rows:
        sh = r["share_of_window"]
        t.add_row(r["label"], *[f"{sh.get(c, 0.0):.0%}" for c in cols],
                  f"{max(0.0, 1.0 - sum(sh.get(c, 0.0) for c in cols)):.0%}")
    return t


def footprint(
    scenario: Path = typer.Argument(..., help="scenario TOML (see examples/c5_*.toml)"),
    fragments: int = typer.Option(None, "--fragments", help="number of fragments (overrides the scenario)"),
    seed: int = typer.Option(None, help="random seed (overrides the scenario)"),
    workers: int = typer.Option(0, help="worker processes (0: run here); results are identical"),
    geojson_out: Path = typer.Option(None, "--geojson", help="write impacts and density contours as GeoJSON"),
    csv_out: Path = typer.Option(None, "--csv", help="write every fragment as CSV"),
    kml_out: Path = typer.Option(None, "--kml", help="write contours and impacts as KML"),
    png: Path = typer.Option(None, "--png", help="write a map (PNG)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
):
    """Monte Carlo footprint of the debris of a boost-phase intercept, with shares by territory."""
    from .. import consequence
    from ..consequence import load_scenario

    cli = _cli()
    sc = load_scenario(scenario)
    if fragments is not None and not 1 <= fragments <= 100_000_000:
        raise InputError("--fragments", fragments, "1 to 100,000,000")
    if seed is not None and not 0 <= seed < 2**63:
        raise InputError("--seed", seed, "an integer 0 to 2^63-1")
    if workers < 0 or workers > 256:
        raise InputError("--workers", workers, "0 to 256")
    for f, p in (("--geojson", geojson_out), ("--csv", csv_out), ("--kml", kml_out), ("--png", png)):
        _check_out(f, p)
    n = fragments if fragments is not None else sc.fragments.n
    progress, finish = _progress(n, "fragments")
    try:
        fp = consequence.footprint(sc, n=fragments, seed=seed, workers=workers, progress=progress)
    finally:
        finish()
    if geojson_out:
        _write(geojson_out, json.dumps(fp.to_geojson()))
    if kml_out:
        _write(kml_out, fp.to_kml())
    if csv_out:
        fp.to_csv(csv_out)
    if png:
        from ..present.consequence_maps import footprint_map

        footprint_map(fp, png, title=sc.title or scenario.stem)
    data = fp.to_dict()
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=cli.json_default))
        return
    from rich.console import Console

    from .tables import Table

    con = Console()
    t = Table(title=f"{sc.title or scenario.stem}: {fp.n:,} fragments, seed {fp.seed}")
    for c in ("territory", "share", "95 % CI (Wilson)"):
        t.add_column(c)
    for k, v in list(fp.shares.items())[:15]:
        lo, hi = fp.shares_ci[k]
        t.add_row(k, f"{v:.2%}", f"{lo:.2%} - {hi:.2%}")
    con.print(t)
    if fp.payload:
        con.print("intact payload, share of the intercept window: " +
                  ", ".join(f"{k} {v:.1%}" for k, v in fp.payload["share_of_window"].items()))
    for s in fp.stages:
        con.print(f"{s['name']}: lands in {s['territory']} near {s['nearest_city']} "
                  f"({s['nearest_city_km']:.0f} km)")
    c = Table(title=f"cities within {fp.city_radius_km:g} km of an impact (top 10)")
    for col in ("city", "country", "fragments within", "expected impacts", "nearest impact (km)"):
        c.add_column(col)
    for r in fp.cities_at_risk[:10]:
        c.add_row(r["name"], r["country"], str(r["fragments_within"]), f"{r['expected_impacts']:.1f}",
                  f"{r['nearest_impact_km']:.1f}")
    con.print(c)
    con.print(f"fragments flown in {fp.timing_s['fragments']:.1f} s; total {fp.timing_s['total']:.1f} s")


def c5(
    spec_file: Path = typer.Option(None, "--spec", help="TOML with C5 settings (a table named c5, or top-level keys; "
                                                        "see boostphase.claims.c5): distributions of the delays, "
                                                        "interceptor speed, threat models, sites, targets"),
    targets: str = typer.Option(None, help="cities, optionally weighted: 'Chicago,Los Angeles' or "
                                           "'Chicago=2,Los Angeles=1' (default: Chicago, Los Angeles, Washington)"),
    n: int = typer.Option(None, "--n", help="sampled engagements per target (default 3000)"),
    seed: int = typer.Option(None, "--seed", help="random seed (default 20171129)"),
    policies: str = typer.Option(None, help="firing policies: earliest,window_uniform,shoot_look_shoot"),
    chunk: int = typer.Option(1000, "--chunk", help="samples per chunk (results do not depend on it)"),
    workers: int = typer.Option(1, "--workers", help="threads for the chunks (results do not depend on it)"),
    png_dir: Path = typer.Option(None, help="write P(Russia) against the intercept time and a map of the "
                                            "impact cloud per target into this folder"),
    window_answer: bool = typer.Option(False, "--window-answer",
                                       help="also the old answer of examples/c5_*.toml (shares of the intercept "
                                            "window, fragments): the window_uniform policy of one laydown"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
):
    """Claim C5 as a probability: P(payload on Russian land | boost-phase intercept) per target and
    firing policy, with 95 % intervals, the conditions, the most influential input and what flips it."""
    from ..claims import c5 as c5mod

    data = _c5_settings(spec_file, targets, n, seed, policies)
    if not 1 <= chunk <= 10_000_000:
        raise InputError("--chunk", chunk, "1 to 10,000,000")
    if not 1 <= workers <= 256:
        raise InputError("--workers", workers, "1 to 256")
    spec = c5mod.c5_spec(data)
    if png_dir is not None:
        _check_out("--png-dir", Path(png_dir) / "c5_probability.png")
    advance, stop = _progress(spec.n * len(spec.targets), "C5 ensemble")
    try:
        res = c5mod.analyse(spec, chunk=chunk, progress=advance, keep_samples=png_dir is not None, workers=workers)
    finally:
        stop()
    if png_dir is not None:
        from ..present.consequence_maps import c5_plots

        res["plots"] = [str(p) for p in c5_plots(res, Path(png_dir))]
        res.pop("samples"), res.pop("context")
    if window_answer:
        from ..consequence import c5_answer, c5_summary

        old = c5_answer(fragments=4000)
        res["window_answer"] = {"answers": old, "summary": c5_summary(old)}
    if as_json:
        typer.echo(json.dumps(res, indent=2, default=_cli().json_default))
        return
    _print_c5(res)


def _c5_settings(spec_file, targets, n, seed, policies) -> dict:
    """C5 settings from a TOML file and the CLI options (options win)."""
    data: dict = {}
    if spec_file is not None:
        from ..scenario.files import load_toml

        raw = load_toml("--spec", spec_file)
        data = dict(raw.get("c5", raw)) if isinstance(raw.get("c5", raw), dict) else {}
    if targets is not None:
        tw = {}
        for part in [x.strip() for x in targets.split(",") if x.strip()]:
            name, _, w = part.partition("=")
            try:
                tw[name.strip()] = float(w) if w.strip() else 1.0
            except ValueError:
                raise InputError("--targets", part, "CITY or CITY=WEIGHT (a number)") from None
        data["targets"] = tw
    if n is not None:
        data["n"] = n
    if seed is not None:
        data["seed"] = seed
    if policies is not None:
        data["policies"] = [x.strip() for x in policies.split(",") if x.strip()]
    return data


def _print_c5(res: dict, con=None) -> None:
    from rich.console import Console

    from ..claims.c5 import GROUPS
    from .tables import Table

    con = con or Console()
    for tgt, a in res["targets"].items():
        t = Table(title=f"C5, {tgt}: where the intact payload lands, given a boost-phase intercept")
        for col in ("policy", "P(Russian land)", "95 % CI", "n", "+ terr. sea", "no intercept", "largest other shares",
                    "moves it most"):
            t.add_column(col)
        for p, r in a["policies"].items():
            other = sorted(((g, v["p"] or 0.0) for g, v in r["shares"].items() if g != "russia_land"), key=lambda x: -x[1])
            sens = r["sensitivity"][0] if r["sensitivity"] else None
            t.add_row(p, _pc(r["p_russia_land"]), f"{_pc(r['ci95'][0])}-{_pc(r['ci95'][1])}", f"{r['n']:,}",
                      _pc(r["p_russia_land_or_territorial_sea"]["p"]), _pc(r["p_no_intercept"]["p"]),
                      ", ".join(f"{g} {_pc(v)}" for g, v in other[:3] if v > 0) or "-",
                      f"{sens['input']} ({sens['effect']:+.0%})" if sens else "-")
        con.print(t)
        con.print(a["verdict"], markup=False)
        con.print("")
    con.print(res["summary"], markup=False)
    con.print(f"groups: {', '.join(GROUPS)}; conditions: " + "; ".join(
        f"{k} = {v}" for k, v in res["conditions"].items() if k not in ("site_coordinates", "targets")))
    con.print(f"[{res['timing_s']['total']:.1f} s]" + (f"  plots: {', '.join(res['plots'])}" if res.get("plots") else ""))
    if res.get("window_answer"):
        con.print(res["window_answer"]["summary"])


def _pc(x) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# demo hook: boostphase.cli.demo can call run(console, out)
# --------------------------------------------------------------------------------------------

def run(con, out: Path, n: int = 2000) -> dict:
    """The C5 section of ``make demo``: the claim as a probability per target and firing policy
    (``boostphase c5`` with ``n`` samples per target), its verdicts, and the plots under ``out``."""
    from ..claims import c5 as c5mod

    con.rule("[bold]C5: does the payload of a boost-phase intercept 'almost certainly' fall on Russia?")
    res = c5mod.analyse(c5mod.c5_spec({"n": n}), keep_samples=True)
    from ..present.consequence_maps import c5_plots

    res["plots"] = [str(p) for p in c5_plots(res, Path(out))]
    res.pop("samples"), res.pop("context")
    _print_c5(res, con)
    con.print("The old answer (shares of one intercept window per example scenario, with fragments) is the "
              "window_uniform policy; `boostphase c5 --window-answer` still prints it.")
    return res
