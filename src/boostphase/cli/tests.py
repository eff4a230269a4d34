"""CLI commands for test flights and overflight: ``boostphase tests`` (MISSION claim C2) and
``boostphase overflight`` (claim C6).  Registered by :mod:`boostphase.cli` through
:func:`register`.  Bad input raises :class:`InputError`, which the CLI turns into one line on
stderr and exit code 2.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
import time
from pathlib import Path

import typer

from ..errors import InputError

# --------------------------------------------------------------------------- vehicle models


def model_for(vehicle: str) -> tuple[str | None, str]:
    """Catalog class model used to reconstruct a test of ``vehicle``, and a note (or why none);
    see :func:`boostphase.reconstruct.reconstruction.model_for` (imported lazily: the engine loads with it)."""
    from ..reconstruct import reconstruction as reconstruct

    return reconstruct.model_for(vehicle)


METHOD_NOTE = ("Each test's reported apogee and range are fitted by scaling the payload of its "
               "vehicle's class model (boostphase.reconstruct.reconstruction, flown from each test's site on "
               "azimuth 90 deg; propellant scaled up too only where a payload change alone cannot "
               "fit, as fit.propellant_factor says); implied reach is the minimum-energy range of "
               "the fitted vehicle over a non-rotating Earth, 'global' when that flight does not "
               "come down or flies 18,000 km or more; the bar spans the refits with every burn "
               "time x0.8 and x1.2 at the same propellant (each variant's burn times, propellant, "
               "thrust and payload are in its sensitivity entry).  Figures are the catalog's "
               "primary ones (data/nk_tests.toml).  reach_band: the class model's burn times (per "
               "stage, same propellant), dry masses and Isp sampled (boostphase.reconstruct.bands, "
               "ranges and reasons in its inputs), the payload refitted to the test for each member, "
               "median and 10-90 % of the finite members' reach, the share that is global, and the "
               "members the test rules out.")


# --------------------------------------------------------------------------- overflight


def overflight_cmd(
    missile: str = typer.Option(None, help="catalog name (see `boostphase catalog`) or path to a vehicle TOML file"),
    launch: str = typer.Option(None, help="LAT,LON of the launch point (deg)"),
    azimuth: float = typer.Option(None, help="launch azimuth, clockwise from north (deg)"),
    target: str = typer.Option(None, help="LAT,LON or a city name"),
    profile: str = typer.Option("min-energy", help="min-energy | lofted | depressed | target"),
    apogee_km: float = typer.Option(None, help="apogee for lofted/depressed (km)"),
    earth: str = typer.Option("wgs84", help="wgs84 or sphere"),
    no_rotation: bool = typer.Option(False, "--no-rotation", help="ignore the Earth's rotation"),
    track: Path = typer.Option(None, help="instead of a flyout: a track CSV with columns "
                                          "t_s, lat_deg, lon_deg, alt_m (as `flyout --csv` writes)"),
    dt_s: float = typer.Option(1.0, help="resampling step (s); entry/exit times are within dt/2"),
    test: str = typer.Option(None, "--test", help="a catalogued test (YYYY-MM-DD, see `boostphase tests "
                                                  "--no-reconstruct`), flown as reported: its vehicle "
                                                  "fitted to the reported apogee and range first"),
    band: int = typer.Option(16, "--band", help="with --test: the altitude over Japan's land over N samples "
                             "of the reported apogee and range within their stated uncertainty (0: off)"),
    seed: int = typer.Option(0, "--seed", help="seed of the altitude band's samples"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
):
    """Territories (countries and seas) under a trajectory, with times and altitudes over each."""
    from ..models.earth import earth_model
    from ..reconstruct.overflight import overflight, overflight_track
    from .commands import json_text, parse_latlon, parse_place

    em = earth_model(earth, rotation=not no_rotation)
    if test is not None:
        from ..reconstruct.overflight import fly_reported_test

        if track is not None or launch or target or apogee_km is not None or profile != "min-energy":
            raise InputError("--test", test, "alone (with optional --azimuth, --missile, --dt-s): the "
                                             "test's site, apogee and range come from the catalogue")
        if earth != "wgs84" or no_rotation:
            raise InputError("--earth", earth, "wgs84 with rotation for a reported test")
        from ..errors import check_range
        from ..reconstruct import bands

        check_range("--band", band, 0, 10_000)
        check_range("--seed", seed, 0, 2**63 - 1)
        from .commands import on_terminal, working

        with working(f"fitting the {test} test to its reported figures"
                     + (f" and {band} samples of them" if band else ""), on_terminal(as_json)):
            res = fly_reported_test(test, azimuth_deg=azimuth, missile=missile, dt_s=dt_s)
            if band and test in bands.PASSAGE_FIGURES and missile is None:
                res["altitude_band_over_japan_km"] = bands.altitude_band(test, n=int(band), seed=int(seed),
                                                                         dt_s=dt_s, nominal=res)
        head = f"{res['test']['fit']['model']} test of {test} as reported"
    elif track is not None:
        if missile or launch or azimuth is not None or target:
            raise InputError("--track", str(track), "either --track or a flyout spec "
                                                    "(--missile, --launch, ...), not both")
        res = overflight_track(*_read_track(track), dt_s=dt_s, earth=em)
        res["flight"] = {"track": str(track)}
        head = f"track {track.name}"
    else:
        if missile is None:
            raise InputError("--missile", None, "a catalog name (or --track FILE.csv)")
        if launch is None:
            raise InputError("--launch", None, "LAT,LON of the launch point")
        from ..flight.flyout import fly
        from ..models.vehicles import load

        m = load(missile)
        lat, lon = parse_latlon("--launch", launch)
        tgt = parse_place("--target", target) if target else None
        if azimuth is None and tgt is None:
            raise InputError("--azimuth/--target", None, "one of them")
        traj = fly(m, lat, lon, azimuth_deg=azimuth, target=tgt, profile=profile,
                   apogee_m=None if apogee_km is None else apogee_km * 1e3, earth=em)
        res = overflight(traj, dt_s=dt_s)
        res["flight"] = traj.summary()
        if not traj.impacted:
            typer.echo("warning: no impact within the time limit (orbital or escaping): the "
                       "segments end where the integration stopped", err=True)
        head = f"{m.name} {traj.profile} from {lat:.2f},{lon:.2f}"
    if res.get("flight") and res["flight"].get("impacted") is False:
        typer.echo(f"warning: {res['flight']['reason']}: no impact, so no range; the segments end "
                   "where the integration stopped", err=True)
    res["countries"] = _countries(res["segments"])
    res["summary"] = _summary(head, res)
    if as_json:
        typer.echo(json_text(res))
        return
    from rich.console import Console

    from .tables import Table

    t = Table(title="overflight", show_header=True)
    for c in ("territory", "enter (s)", "exit (s)", "altitude (km)"):
        t.add_column(c, justify="left" if c == "territory" else "right")
    for s in res["segments"]:
        t.add_row(s["territory"], f"{s['enter_s']:,.1f}", f"{s['exit_s']:,.1f}",
                  f"{s['min_altitude_km']:,.0f} to {s['max_altitude_km']:,.0f}")
    Console().print(t)
    typer.echo(res["summary"])
    if "test" in res:
        typer.echo(_test_lines(res["test"]))
    if res.get("altitude_band_over_japan_km"):
        typer.echo(altitude_band_words(res["altitude_band_over_japan_km"]))
    typer.echo(f"({res['note']})")


def altitude_band_words(b: dict) -> str:
    """The altitude band over Japan in one sentence."""
    ins = ", ".join(f"{k.removesuffix('_km')} {v['text']}" for k, v in b["inputs"].items())
    if b["median"] is None:
        return f"altitude over {b['territory']}'s land: no member of {b['n']} passes over it ({ins})"
    hi = b["max_altitude_km"]
    return (f"altitude over {b['territory']}'s land over the reported figures' uncertainty ({ins}; n = {b['n']}, "
            f"seed {b['seed']}, {b['n_over']} pass over it, {b['n_ruled_out']} ruled out): lowest "
            f"{b['median']:,.0f} km (10-90 % {b['p10']:,.0f} to {b['p90']:,.0f} km), highest {hi['median']:,.0f} km "
            f"(10-90 % {hi['p10']:,.0f} to {hi['p90']:,.0f} km)")


def _test_lines(t: dict) -> str:
    """The reported figures of a test against the fitted flight, one line each."""
    rep, fl, fit = t["reported"], t["flown"], t["fit"]

    def mm(s):
        return "n/a" if s is None else f"{s / 60:.1f} min"
    lines = [f"fit: {fit['model']} with a {fit['payload_kg']:,.0f} kg payload (catalog {fit['catalog_payload_kg']:,.0f} kg), "
             f"kick {fit['kick_deg']:.2f} deg, azimuth {t['azimuth_deg']:g} deg",
             f"apogee: flown {fl['apogee_km']:,.0f} km, reported {rep['apogee_km']:,.0f} km",
             "range: " + (f"flown {fl['range_km']:,.0f} km" if fl["range_km"] is not None else "no impact")
             + f", reported {rep['range_km']:,.0f} km",
             f"flight time: flown {mm(fl['flight_time_s'])}, reported {mm(rep['flight_time_s'])}"]
    p = t.get("passage")
    if p:
        w, f = p["reported_over_window_s"], p["reported_fall_window_s"]
        lines.append(f"over {p['over']}: flown {mm(p['flown_enter_s'])} to {mm(p['flown_exit_s'])} at >= "
                     f"{p['flown_min_altitude_km'] or 0:,.0f} km; reported clock times allow "
                     f"{w[0] / 60:.1f}-{w[1] / 60:.1f} min ({'inside' if p['over_in_window'] else 'OUTSIDE'})")
        lines.append(f"fall: reported clock times allow {f[0] / 60:.1f}-{f[1] / 60:.1f} min "
                     f"({'inside' if p['fall_in_window'] else 'OUTSIDE'})")
    return "\n".join(lines)


def _read_track(path: Path):
    import numpy as np

    if not path.is_file():
        raise InputError("--track", str(path), "an existing CSV file")
    try:
        with path.open(encoding="utf-8") as fh:
            header = [h.strip() for h in fh.readline().split(",")]
        need = ("t_s", "lat_deg", "lon_deg", "alt_m")
        if any(n not in header for n in need):
            raise InputError("--track columns", ",".join(header), "columns " + ", ".join(need))
        data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    except (ValueError, UnicodeDecodeError) as e:
        if isinstance(e, InputError):
            raise
        raise InputError("--track", str(path), f"a numeric CSV ({e})") from None
    if data.shape[1] != len(header):
        raise InputError("--track", str(path), f"{len(header)} values on every row")
    return tuple(data[:, header.index(n)] for n in ("t_s", "lat_deg", "lon_deg", "alt_m"))


def _countries(segments: list[dict]) -> list[dict]:
    """Countries (not seas) overflown, in order of first entry, with total time and altitudes."""
    from ..models.geography import country_names

    names = set(country_names())
    out: dict[str, dict] = {}
    for s in segments:
        if s["territory"] not in names:
            continue
        c = out.setdefault(s["territory"], {"name": s["territory"], "time_s": 0.0,
                                            "min_altitude_km": s["min_altitude_km"],
                                            "max_altitude_km": s["max_altitude_km"]})
        c["time_s"] = round(c["time_s"] + s["exit_s"] - s["enter_s"], 3)
        c["min_altitude_km"] = min(c["min_altitude_km"], s["min_altitude_km"])
        c["max_altitude_km"] = max(c["max_altitude_km"], s["max_altitude_km"])
    return list(out.values())


def _summary(head: str, res: dict) -> str:
    segs = res["segments"]
    parts = [f"{c['name']} for {c['time_s']:,.0f} s at {c['min_altitude_km']:,.0f}-"
             f"{c['max_altitude_km']:,.0f} km" for c in res["countries"]]
    over = "; ".join(parts) if parts else "no country"
    return (f"{head}: over {over}; ends over {segs[-1]['territory']} at "
            f"{segs[-1]['exit_s']:,.0f} s ({len(segs)} segments)")


# --------------------------------------------------------------------------- tests


def tests_cmd(
    plot: Path = typer.Option(None, help="write the implied-reach timeline plot (PNG)"),
    events: Path = typer.Option(None, help="CSV of dated events (columns date,label) to overlay "
                                           "and test for association with the tests"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    no_reconstruct: bool = typer.Option(False, "--no-reconstruct",
                                        help="list the catalog only (fast)"),
    date: list[str] = typer.Option(None, "--date", help="only the test of this date "
                                                         "(YYYY-MM-DD; repeatable)"),
    no_sensitivity: bool = typer.Option(False, "--no-sensitivity",
                                        help="skip the burn-time +-20 % refits (no error bars)"),
    window_days: int = typer.Option(30, help="association: a test counts if an event came "
                                             "0 to this many days before it"),
    permutations: int = typer.Option(10_000, help="association: number of random re-timings"),
    null: str = typer.Option("circular", help="association null: circular (keeps the spacing "
                                              "of tests) or uniform"),
    band: int = typer.Option(32, "--band", help="reach band: N sampled variants of each class model "
                             "(burn times, dry mass, Isp) refitted to each test; median and 10-90 %% "
                             "reach (each member is one fit, 0.5-2 s of a core)"),
    no_band: bool = typer.Option(False, "--no-band", help="skip the reach bands (fast)"),
    seed: int = typer.Option(0, help="random seed of the association's re-timings and of the reach "
                                     "bands' samples"),
    catalog: Path = typer.Option(None, help="a test catalog TOML (default: the packaged one)"),
):
    """North Korean long-range tests: implied reach per test, timeline plot, event association.

    Every test in the catalog is reconstructed (implied reach with an uncertainty band), shown
    in a table and optionally plotted; with --events, a permutation test of association.
    """
    from ..errors import check_range
    from ..reconstruct.testflights import association_test, load_tests, read_events_csv
    from .commands import json_default, on_terminal

    if not (no_band or no_reconstruct):
        check_range("--band", band, 1, 10_000)
    check_range("--seed", seed, 0, 2**63 - 1)
    tests = load_tests(catalog)
    if date:
        wanted = {}
        for d in date:
            try:
                wanted[_dt.date.fromisoformat(d.strip())] = d
            except ValueError:
                raise InputError("--date", d, "a date as YYYY-MM-DD") from None
        have = {t.date for t in tests}
        missing = [v for k, v in wanted.items() if k not in have]
        if missing:
            raise InputError("--date", missing[0], "a test date in the catalog: "
                             + ", ".join(sorted(t.date.isoformat() for t in tests)))
        tests = [t for t in tests if t.date in wanted]
    if plot is not None and no_reconstruct:
        raise InputError("--plot", str(plot), "used without --no-reconstruct (the plot shows "
                                              "reconstructed reach)")
    if null not in ("circular", "uniform"):
        raise InputError("--null", null, "circular or uniform")
    # events, association and the plot's folder first: bad input fails before the long part
    evs = assoc = None
    if events is not None:
        evs = read_events_csv(events)
        assoc = association_test([t.date for t in tests], [d for d, _ in evs],
                                 window_days=window_days, n_permutations=permutations,
                                 seed=seed, null=null)
    if plot is not None:
        plot.parent.mkdir(parents=True, exist_ok=True)

    rows = [catalog_row(t) for t in tests]
    if not no_reconstruct:
        bar = on_terminal(as_json)  # a bar on a terminal; otherwise one line per test on stderr
        reconstruct_all(tests, rows, sensitivity=not no_sensitivity, verbose=not bar, bar=bar)
        if not no_band:
            band_all(tests, rows, int(band), int(seed), bar=bar, verbose=not bar)

    out: dict = {"n_tests": len(rows), "tests": rows}
    if not no_reconstruct:
        out["n_reconstructed"] = sum(r["status"] == "reconstructed" for r in rows)
        out["method"] = METHOD_NOTE
    if evs is not None:
        out["events"] = [{"date": d.isoformat(), "label": lbl} for d, lbl in evs]
        out["association"] = assoc
    if plot is not None:
        path, drawn = plot_timeline(tests, rows, plot, evs)
        out["plot"] = str(path)
        # every test is drawn: reconstructed as points, global as arrows, the rest as x marks
        out["plot_rows"] = [{"date": r.date.isoformat(), "status": r.status} for r in drawn]

    if as_json:
        typer.echo(json.dumps(out, indent=2, default=json_default))
        return
    _print_tests(out, no_reconstruct)


def catalog_row(t) -> dict:
    model, note = model_for(t.vehicle)
    return {
        "date": t.date.isoformat(),
        "vehicle": t.vehicle,
        "site": {"name": t.site_name, "lat": t.site_lat_deg, "lon": t.site_lon_deg},
        "apogee_km": t.apogee_km,
        "range_km": t.range_km,
        "flight_time_s": t.flight_time_s,
        "qualifiers": dict(t.qualifiers),
        "sources": dict(t.sources),
        "published_estimates": [{"by": e.by, "max_range_km": e.max_range_km, "source": e.source}
                                for e in t.estimates],
        "model": model,
        "model_note": note,
        "status": "listed",
    }


def reconstruct_all(tests, rows, sensitivity: bool, verbose: bool, bar: bool = False) -> None:
    """Reconstruct every test that has a model and a reported apogee and range, filling ``rows``.
    Tests run side by side on the engine threads (each fit is a chain of small engine calls
    that leaves cores idle). Each test's
    result does not depend on the others: the same engine calls, in the same shapes."""
    from concurrent.futures import ThreadPoolExecutor

    from ..flight.flyout import engine_threads

    todo = []
    for t, row in zip(tests, rows, strict=True):
        if row["model"] is None:
            row.update(status="skipped", reason=row["model_note"])
            continue
        if t.apogee_km is None or t.range_km is None:
            missing = "apogee" if t.apogee_km is None else "range"
            row.update(status="skipped", reason=f"no reported {missing} to fit")
            continue
        q = t.qualifiers.get("apogee_km")
        if q in ("at least", "at most"):
            row.update(status="skipped", reason=f"the apogee is only bounded ({q} "
                                                f"{t.apogee_km:,.0f} km): nothing to fit")
            continue
        todo.append((t, row))
    from .commands import progress_bar

    advance, stop = progress_bar(len(todo), "reconstructing tests", bar)
    try:
        with ThreadPoolExecutor(max(1, min(engine_threads(), len(todo) or 1))) as pool:
            for _ in pool.map(lambda tr: _reconstruct_one(*tr, sensitivity, verbose), todo):
                advance()
    finally:
        stop()


BANDED = ("reconstructed", "global")
"""Statuses of the rows that get a reach band (a fit that reproduces the test)."""


def band_all(tests, rows, n: int, seed: int, bar: bool = False, verbose: bool = False) -> None:
    """Add ``reach_band`` (:mod:`boostphase.reconstruct.bands`) to every reconstructed row, None to
    the others. Every member of every test runs in one pool on the engine threads (members are
    independent: the thread count does not change them), with one progress bar."""
    from ..models.vehicles import load
    from ..reconstruct import bands
    from .commands import progress_bar

    work = []
    for t, row in zip(tests, rows, strict=True):
        row["reach_band"] = None
        if row["status"] not in BANDED:
            continue
        base = load(row["model"])
        pf = row["fit"].get("propellant_factor", 1.0)
        if abs(pf - 1.0) > 1e-9:
            base = base.scaled(propellant_factor=pf)  # members keep the point fit's propellant
        tol = max(APPROX_TOLERANCE if t.qualifiers.get(k) == "approx" else FIT_TOLERANCE
                  for k in ("apogee_km", "range_km"))
        test = bands.Test(t.apogee_km * 1e3, t.range_km * 1e3, t.site_lat_deg, t.site_lon_deg, 90.0, tol)
        work.append((row, base, test, bands.member_jobs(base, seed, 0, n)))
    if verbose:
        typer.echo(f"reach bands: {n} members for each of {len(work)} tests ...", err=True)
    advance, stop = progress_bar(sum(len(w[3]) for w in work), f"reach bands ({n} refits per test)", bar)
    flat = [(row, base, test, job) for row, base, test, jobs in work for job in jobs]
    try:
        from concurrent.futures import ThreadPoolExecutor

        from ..flight.flyout import engine_threads

        def one(item):
            row, base, test, job = item
            out = {**job, **bands.fly_member(base, job["inputs"], test)}
            advance()
            return out

        with ThreadPoolExecutor(max(1, min(engine_threads(), len(flat) or 1))) as pool:
            done = list(pool.map(one, flat))
    finally:
        stop()
    k = 0
    for row, base, _, jobs in work:
        row["reach_band"] = bands.summarise(done[k:k + len(jobs)], len(base.stages), seed)
        k += len(jobs)


def _reconstruct_one(t, row, sensitivity: bool, verbose: bool) -> None:
    """Reconstruct one test into its ``row`` (status, fit, implied reach or the reason not)."""
    from ..reconstruct.reconstruction import reconstruct

    if verbose:
        typer.echo(f"reconstructing {t.date} {t.vehicle} ({row['model']}) ...", err=True)
    t0 = time.perf_counter()
    try:
        # fitted from the test's own site, flown east (toward the Sea of Japan, as the
        # reported impact areas of these tests lie); the reach contour is not needed here
        res = reconstruct(t.apogee_km, t.range_km, t.flight_time_s, missile=row["model"],
                          launch=(t.site_lat_deg, t.site_lon_deg), test_azimuth_deg=90.0,
                          sensitivity=sensitivity, reach=False)
    except InputError as e:
        row.update(status="skipped", reason=f"the {row['model']} model cannot fit the "
                                            f"reported figures: {e}",
                   elapsed_s=round(time.perf_counter() - t0, 2))
        return
    row["elapsed_s"] = round(time.perf_counter() - t0, 2)
    row["fit"] = res["fit"]
    row["residuals"] = res["residuals"]
    row["burnout_speed_km_s"] = res["burnout_speed_km_s"]
    row["sensitivity"] = res.get("sensitivity", [])
    bad = _misfit(t, res)
    if bad:
        row.update(status="fit failed", implied_max_range_km=None, band_km=None, reason=bad)
        return
    rng = res["max_range_km"]
    row["global_reach"] = res["global_reach"]
    row["implied_lower_km"] = res["max_range_lower_km"]
    if res["global_reach"]:
        gn = res["global_note"]
        band = res.get("max_range_band_km")
        row.update(status="global", implied_max_range_km=None, band_km=band,
                   reason=(f"the fitted model reaches any point on Earth on a minimum-energy "
                           f"trajectory (burnout {gn['fraction_of_circular_speed']:.0%} of circular "
                           f"speed); the smallest range the fit and its burn-time band support is "
                           f"{res['max_range_lower_km']:,.0f} km"))
        return
    band = res.get("max_range_band_km") or [rng, rng]
    row.update(status="reconstructed", implied_max_range_km=rng,
               band_km=[min(band[0], rng), max(band[1], rng)])
    if rng < t.range_km:
        row["note"] = ("implied reach below the flown range: this test flew close to a "
                       "standard trajectory (not lofted), eastward, where the Earth's "
                       "rotation adds range; the implied reach is over a non-rotating Earth")


FIT_TOLERANCE = 0.02
"""Largest relative residual of the fitted apogee or range accepted as a reconstruction."""


APPROX_TOLERANCE = 0.05
"""Largest relative residual accepted for a figure reported only approximately ("~550 km")."""


def _misfit(t, res: dict) -> str:
    """Why a reconstruction's fit does not reproduce the test (empty if it does)."""
    out = []
    for key, reported in (("apogee_km", t.apogee_km), ("range_km", t.range_km)):
        r = res["residuals"].get(key)
        # a figure the sources give only as "about ..." is held to APPROX_TOLERANCE
        tol = APPROX_TOLERANCE if t.qualifiers.get(key) == "approx" else FIT_TOLERANCE
        if r is None or abs(r) > tol * reported:
            out.append(f"{key.removesuffix('_km')} {res['fit'][key]:,.0f} km vs reported "
                       f"{reported:,.0f} km")
    if not out:
        return ""
    return (f"the {res['missile_model']} model's fit did not converge to the reported figures "
            f"within {FIT_TOLERANCE:.0%} ({APPROX_TOLERANCE:.0%} for approximate figures) "
            f"({'; '.join(out)}); no implied reach is given")


def plot_timeline(tests, rows, path: Path, evs):
    """The timeline of every test (drawn by :func:`boostphase.present.timeline.plot_test_timeline`):
    reconstructed ones with their band (or their ``reach_band``), global ones as arrows at the
    top edge, the others as marked points with their reason. Returns the path and the rows drawn."""
    from ..present.timeline import plot_test_timeline

    return plot_test_timeline(tests, rows, path, evs)


def _print_tests(out: dict, no_reconstruct: bool) -> None:
    from rich.console import Console

    from .commands import band_words

    con = Console()
    cols, rows = _test_cells(out, no_reconstruct)
    title = "North Korean long-range tests (data/nk_tests.toml)"
    widths = _column_widths(cols, rows)
    if sum(widths) + 3 * len(cols) + 1 <= con.width:  # cells, padding and borders
        con.print(_tests_table(title, cols, rows, widths))
    else:
        # too narrow for the table without cutting a name: one block per test instead
        typer.echo(title)
        for cells in rows:
            typer.echo(f"{cells[0]}  {cells[1]}")
            for c, v in zip(cols[2:], cells[2:], strict=True):
                typer.echo(f"    {c}: {v}")
    if not no_reconstruct:
        for r in out["tests"]:
            if r["status"] != "reconstructed":
                typer.echo(f"{r['date']} {r['vehicle']}: {r['status']}: {r.get('reason', '')}")
            elif r.get("note"):
                typer.echo(f"{r['date']} {r['vehicle']}: note: {r['note']}")
            if r.get("reach_band"):
                typer.echo(f"{r['date']} {r['vehicle']}: {band_words(r['reach_band'])}")
        typer.echo(f"method: {out['method']}")
    if "association" in out:
        a = out["association"]
        typer.echo("")
        typer.echo(f"association of tests with your events (window {a['window_days']} days, "
                   f"{a['null']} null): p = {a['p_value']:.4f}")
        typer.echo(f"  {a['statistic']} of {a['n_tests']} tests had an event in the window "
                   f"(expected under the null: {a['expected_under_null']:.2f}); "
                   f"{a['n_events']} event{'s' if a['n_events'] != 1 else ''}, "
                   f"{a['n_events_in_period']} in the study period "
                   f"{a['period'][0]} to {a['period'][1]}; {a['n_permutations']:,} permutations, "
                   f"seed {a['seed']}")
        typer.echo(f"  method: {a['method']}")
        typer.echo("  what it cannot show:")
        for c in a["caveats"]:
            typer.echo(f"  - {c}")
    if "plot" in out:
        typer.echo(f"wrote {out['plot']}", err=True)
    sys.stdout.flush()


NAME_COLUMNS = ("date", "vehicle", "model", "status")
"""Columns that are never wrapped or cut (a narrow terminal gets one block per test instead)."""


def _test_cells(out: dict, no_reconstruct: bool) -> tuple[list[str], list[list[str]]]:
    """The column names and the text cells of the tests table."""
    cols = ["date", "vehicle", "apogee (km)", "range (km)", "time (s)"]
    if not no_reconstruct:
        cols += ["model", "implied reach (km)", "band (km)", "reach 10-90 % (km)", "status"]

    def num(v, q):
        return "-" if v is None else (f"{q} " if q else "") + f"{v:,.0f}"

    rows = []
    for r in out["tests"]:
        q = r["qualifiers"]
        cells = [r["date"], r["vehicle"], num(r["apogee_km"], _q(q.get("apogee_km"))),
                 num(r["range_km"], _q(q.get("range_km"))),
                 num(r["flight_time_s"], _q(q.get("flight_time_s")))]
        if not no_reconstruct:
            rng = r.get("implied_max_range_km")
            band = r.get("band_km")
            shown = "global" if r.get("status") == "global" else ("-" if rng is None else f"{rng:,.0f}")
            cells += [r["model"] or "-", shown,
                      "-" if not band else f"{band[0]:,.0f} to {band[1]:,.0f}",
                      _band_cell(r.get("reach_band")), r["status"]]
        rows.append(cells)
    return cols, rows


def _band_cell(b: dict | None) -> str:
    """The reach band in a table cell: 10-90 % of the finite members, the share global."""
    if not b:
        return "-"
    txt = "no finite member" if b["p10_km"] is None else f"{b['p10_km']:,.0f} to {b['p90_km']:,.0f}"
    if b["p_global"]:
        txt += f"; {b['p_global']:.0%} global"
    if b["n_ruled_out"]:
        txt += f"; {b['n_ruled_out']}/{b['n']} ruled out"
    return txt


FOLD_MIN_WIDTH = 10
"""Narrowest a folding column may get before the table gives way to one block per test."""


def _column_widths(cols: list[str], rows: list[list[str]]) -> list[int]:
    """Minimum width of each column: a name column its longest cell (never cut), another its
    longest cell up to FOLD_MIN_WIDTH (longer cells fold onto more lines)."""
    out = []
    for i, c in enumerate(cols):
        longest = max([len(w) for w in c.split()] + [len(r[i]) for r in rows])
        out.append(max(len(c), longest) if c in NAME_COLUMNS else min(longest, FOLD_MIN_WIDTH))
    return out


def _tests_table(title: str, cols: list[str], rows: list[list[str]], widths: list[int]):
    """A rich table whose name columns never wrap and whose other columns fold."""
    from .tables import Table

    t = Table(title=title, show_header=True)
    for c, w in zip(cols, widths, strict=True):
        if c in NAME_COLUMNS:
            t.add_column(c, no_wrap=True, min_width=w)
        else:
            t.add_column(c, justify="right", overflow="fold", min_width=w)
    for cells in rows:
        t.add_row(*cells)
    return t


def _q(q: str | None) -> str:
    return {"approx": "~", "at least": ">=", "at most": "<="}.get(q or "", "")


def register(app: typer.Typer) -> None:
    """Add ``overflight`` and ``tests`` to the boostphase CLI."""
    app.command("overflight")(overflight_cmd)
    app.command("tests")(tests_cmd)
