"""The ``boostphase`` command line. Command names, options and JSON keys are a contract.

Every command validates its input at this boundary; a bad value prints one line naming the
field, the value and what is allowed, and exits with code 2 (never a traceback).
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import typer

from .. import limits
from ..errors import InputError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Physics-based checks of public claims about ballistic missiles and boost-phase defence.")


_STATE = {"save": False, "started": None}


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"boostphase {__version__}")
        raise typer.Exit()


# Commands whose result ``--save`` stores (and ``runs rerun`` reproduces); ``sweep`` has its own.
SAVE_COMMANDS = ("coast", "flyout", "reconstruct")


@app.callback()
def _root(ctx: typer.Context,
          save: bool = typer.Option(False, "--save", help="save this run (command, result, timings) to the run "
                                    "store; for " + ", ".join(SAVE_COMMANDS) + " (sweep: its own --save)"),
          version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="print the version and exit")):
    """Physics-based checks of public claims about ballistic missiles and boost-phase defence."""
    import time

    if save and ctx.invoked_subcommand not in SAVE_COMMANDS:
        # refused up front: a flag that silently stored nothing would lose the user's run
        raise InputError("--save", ctx.invoked_subcommand, "used with " + ", ".join(SAVE_COMMANDS)
                         + " (sweep takes its own --save)")
    _STATE["save"] = save
    _STATE["started"] = time.perf_counter()


def _maybe_save(data: dict) -> None:
    """With ``boostphase --save CMD ...``: record the run (argv and the --json result) in the store."""
    if not _STATE["save"]:
        return
    from ..present.store import save_cli_run

    argv = [a for a in sys.argv[1:] if a != "--save"]
    result = json.loads(json_text(data))  # plain JSON types, null for NaN/inf
    run_id = save_cli_run(argv, {"argv": argv}, result, started=_STATE["started"])
    typer.echo(f"saved as run {run_id} (boostphase runs show {run_id})", err=True)


def _fail(msg: str, err: InputError | None = None) -> None:
    """One line on stderr and exit code 2; with ``--json`` also ``{"error": {...}}`` on stdout,
    so a script reading the JSON sees the failure and its field."""
    typer.echo(f"error: {msg}", err=True)
    if "--json" in sys.argv[1:]:
        body = {"message": msg}
        if err is not None:
            body.update(field=err.field, value=_jsonable_value(err.value), allowed=err.allowed)
            if err.hint:
                body["hint"] = err.hint
        typer.echo(json.dumps({"error": body}, allow_nan=False))
    sys.exit(2)


def usage_line(e) -> str:
    """A click usage error (an unknown option, a missing one, a value of the wrong type) as the
    one line every other input error gets, naming the option and the command's --help."""
    msg = " ".join(e.format_message().split()).rstrip(".")
    ctx = getattr(e, "ctx", None)
    where = f"; see `{ctx.command_path} --help`" if ctx is not None else ""
    return f"{msg}{where}"


def _jsonable_value(v):
    """A rejected value as JSON can carry it (NaN and infinities as their text)."""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def finite_json(o):
    """See :func:`boostphase.present.jsonout.finite_json` (kept here for the CLI's modules)."""
    from ..present import jsonout

    return jsonout.finite_json(o)


def json_text(data, indent: int | None = 2) -> str:
    """JSON for output: non-finite numbers become null and none can remain (present.jsonout)."""
    from ..present import jsonout

    return jsonout.json_text(data, indent, default=json_default)


def _emit(data: dict, as_json: bool, title: str = "") -> None:
    _maybe_save(data)
    if as_json:
        typer.echo(json_text(data))
        return
    from rich.console import Console

    from .tables import Table

    table = Table(title=title or None, show_header=True)
    table.add_column("quantity", overflow="fold")  # narrow terminals wrap, never cut
    table.add_column("value", justify="right", overflow="fold")
    for key, val in _flatten(data):
        if val is None or (isinstance(val, float) and not math.isfinite(val)):
            txt = "none"  # e.g. the range of a flight that does not land: no number
        else:
            txt = f"{val:,.3f}" if isinstance(val, float) else str(val)
        table.add_row(key, txt)
    Console().print(table)


def json_default(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o))


def _flatten(d: dict, prefix: str = ""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _flatten(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


def parse_latlon(field: str, text: str) -> tuple[float, float]:
    """'LAT,LON' in degrees -> floats, with range checks (scenario.fields)."""
    from ..scenario import fields

    return fields.parse_latlon(field, text)


def spec_from_options(model, options: dict, names: dict[str, str]):
    """The scenario spec ``model`` (scenario.specs) validated from a command's options, so the CLI
    checks every field as the web and scenario files do (one table of ranges); an error names the
    option the user typed (``names``: spec field -> option) rather than the spec's field."""
    from pydantic import ValidationError

    from ..scenario.registry import spec_error

    try:
        return model.model_validate({k: v for k, v in options.items() if v is not None})
    except ValidationError as e:
        err = spec_error(e)
        opt = names.get(err.field.split(" ")[0], None)
        if opt is None:
            raise err from None
        raise InputError(opt + err.field[len(err.field.split(" ")[0]):], err.value, err.allowed, err.hint) from None


def parse_place(field: str, text: str) -> tuple[float, float]:
    """'LAT,LON' or a city name; says on stderr which city a name was taken as."""
    from ..scenario.fields import resolve_place

    p = resolve_place(field, text)
    if p.taken_as:  # "Atlantis" is a town in South Africa: the user must see which place it was
        typer.echo(f"note: {field} {text!r} taken as {p.taken_as}", err=True)
    return p.lat_deg, p.lon_deg


# --------------------------------------------------------------------------------------------

@app.command()
def coast(
    lat: float = typer.Option(None, help="start latitude (deg)"),
    lon: float = typer.Option(None, help="start longitude (deg)"),
    alt_km: float = typer.Option(None, help="start altitude above the ellipsoid (km)"),
    speed_km_s: float = typer.Option(None, help="speed relative to the ground (km/s)"),
    flight_path_deg: float = typer.Option(None, help="angle above the local horizontal (deg)"),
    azimuth_deg: float = typer.Option(None, help="heading, clockwise from north (deg)"),
    beta_kg_m2: float = typer.Option(None, help="ballistic coefficient m/(Cd A) (kg/m^2); omit for vacuum"),
    earth: str = typer.Option("wgs84", help="wgs84 (J2, rotating) or sphere (textbook: R=6371 km, point mass, no rotation)"),
    no_rotation: bool = typer.Option(False, "--no-rotation", help="ignore the Earth's rotation"),
    batch: Path = typer.Option(None, help="CSV of cases: lat, lon, alt_km, speed_km_s, flight_path_deg, azimuth_deg, beta_kg_m2"),
    out: Path = typer.Option(None, help="output CSV for --batch"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
):
    """Coast a free ballistic body from a given state to impact (altitude 0)."""
    from ..models.earth import earth_model
    from ..scenario.files import check_output

    em = earth_model(earth, rotation=not no_rotation)
    if batch is not None:
        if out is None:
            raise InputError("--out", None, "an output CSV path with --batch")
        check_output("--out", out)
        _coast_batch(batch, out, em)
        return
    missing = [n for n, v in (("--lat", lat), ("--lon", lon), ("--alt-km", alt_km), ("--speed-km-s", speed_km_s),
                              ("--flight-path-deg", flight_path_deg), ("--azimuth-deg", azimuth_deg)) if v is None]
    if missing:
        raise InputError(missing[0], None, "a number (or use --batch IN.csv)")
    from ..scenario.registry import compute_coast
    from ..scenario.specs import CoastRequest

    names = {"lat": "--lat", "lon": "--lon", "alt_km": "--alt-km", "speed_km_s": "--speed-km-s",
             "flight_path_deg": "--flight-path-deg", "azimuth_deg": "--azimuth-deg", "beta_kg_m2": "--beta-kg-m2"}
    req = spec_from_options(CoastRequest, dict(
        lat=lat, lon=lon, alt_km=alt_km, speed_km_s=speed_km_s, flight_path_deg=flight_path_deg,
        azimuth_deg=azimuth_deg, beta_kg_m2=beta_kg_m2, earth=earth, no_rotation=no_rotation), names)
    row = compute_coast(req)
    if not row["impacted"]:
        typer.echo(f"warning: {row['reason']}; range, impact point and flight time are null", err=True)
    _emit(row, as_json, "coast")


# columns of the --batch output: a case that does not land (orbital, escaping, out of time) has
# empty impact, range, flight-time and speed cells, impacted=false and a reason
BATCH_OUT_COLS = ("impact_lat", "impact_lon", "range_km", "apogee_km", "flight_time_s", "impact_speed_km_s",
                  "impacted", "reason")
_BATCH_COLS = ("lat", "lon", "alt_km", "speed_km_s", "flight_path_deg", "azimuth_deg", "beta_kg_m2")
# the shared table of allowed ranges (boostphase.limits), in this CSV's units
_BATCH_LIMITS = {c: (lim.lo, lim.hi) for c, lim in (
    ("lat", limits.LAT_DEG), ("lon", limits.LON_DEG), ("alt_km", limits.START_ALT_M.scaled(1e-3, "km")),
    ("speed_km_s", limits.SPEED_M_S.scaled(1e-3, "km/s")), ("flight_path_deg", limits.FLIGHT_PATH_DEG),
    ("azimuth_deg", limits.AZIMUTH_DEG), ("beta_kg_m2", limits.BETA_KG_M2))}


def _coast_batch(inp: Path, out: Path, em) -> None:
    import io

    import numpy as np

    from ..scenario.files import read_text

    text = read_text("--batch", inp, "a UTF-8 CSV file")
    rows, bad = [], []
    with io.StringIO(text, newline="") as fh:
        reader = csv.DictReader(fh)
        cols = [c.strip() for c in (reader.fieldnames or [])]
        missing = [c for c in _BATCH_COLS[:-1] if c not in cols]
        if missing:
            raise InputError("--batch columns", ",".join(cols), "columns " + ", ".join(_BATCH_COLS))
        for i, raw in enumerate(reader, start=2):  # line numbers as a spreadsheet shows them
            rec = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            vals = []
            problem = None
            for c in _BATCH_COLS:
                txt = rec.get(c, "")
                if c == "beta_kg_m2" and txt == "":
                    vals.append(math.nan)
                    continue
                try:
                    x = float(txt)
                except ValueError:
                    problem = f"{c}={txt!r} is not a number"
                    break
                lo, hi = _BATCH_LIMITS[c]
                if not (lo <= x <= hi):
                    problem = f"{c}={x:g} outside {lo:g} to {hi:g}"
                    break
                vals.append(x)
            if problem:
                bad.append(f"row {i}: {problem}")
            else:
                rows.append(vals)
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise InputError("--batch", str(inp), "every row valid; bad rows: " + shown)
    if not rows:
        raise InputError("--batch", str(inp), "at least one data row")
    a = np.array(rows, float)
    from ..flight import flyout as flight

    progress, finish = _progress(len(a), "coasting")
    try:
        res = flight.coast(a[:, 0], a[:, 1], a[:, 2] * 1e3, a[:, 3] * 1e3, a[:, 4], a[:, 5], a[:, 6],
                     earth=em, progress=progress)
    finally:
        finish()
    # write to a temporary file in the same folder, then rename: never a half-written file
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".coast-", suffix=".csv", dir=out.parent)
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(list(BATCH_OUT_COLS))
            for i in range(len(a)):
                hit = bool(res.impacted[i])

                def cell(x, fmt, hit=hit):  # empty cell where the case did not land
                    return format(x, fmt) if hit and math.isfinite(x) else ""
                w.writerow([cell(res.impact_lat_deg[i], ".8f"), cell(res.impact_lon_deg[i], ".8f"),
                            cell(res.range_m[i] / 1e3, ".6f"), f"{res.apogee_m[i] / 1e3:.6f}",
                            cell(res.flight_time_s[i], ".4f"), cell(res.impact_speed_m_s[i] / 1e3, ".6f"),
                            "true" if hit else "false", res.reason[i] or ""])
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    n_miss = int(np.count_nonzero(~np.asarray(res.impacted, bool)))
    note = f" ({n_miss} without impact: empty range cells, impacted=false)" if n_miss else ""
    typer.echo(f"wrote {len(a)} rows to {out}{note}", err=True)


def _reach_band(res: dict, missile, apogee_km: float, range_km: float, site, azimuth: float, n: int,
                seed: int, as_json: bool) -> dict:
    """The reach band of a reconstruction (``reconstruct --band N``), at the point fit's
    propellant, with a progress bar on a terminal."""
    from ..models.vehicles import load
    from ..reconstruct import bands

    advance, stop = progress_bar(n, f"reach band ({n} refits)", on_terminal(as_json))
    try:
        return bands.reconstruction_band(res, load(missile or res["missile_model"]), apogee_km, range_km, site,
                                         azimuth, n, seed, progress=advance)
    finally:
        stop()


def band_words(b: dict) -> str:
    """A reach band in one sentence: median, 10-90 % interval, share global, ruled out, and the
    input that moves it most."""
    if b["median_km"] is None:
        head = "no finite member"
    else:
        head = (f"median {b['median_km']:,.0f} km, 10-90 % {b['p10_km']:,.0f} to {b['p90_km']:,.0f} km "
                f"(over {b['n_finite']} finite members)")
    pg = b["p_global"]
    glob = ("" if pg is None else
            f"; global in {pg:.0%} of the fitted members (95 % CI {b['p_global_ci95'][0]:.0%}-"
            f"{b['p_global_ci95'][1]:.0%})")
    sens = b["sensitivity"]
    top = (f"; most sensitive input: {sens[0]['input']} ({sens[0]['effect_km']:+,.0f} km from its low to "
           f"its high tercile)") if sens else ""
    return (f"reach band (n = {b['n']}, seed {b['seed']}; {b['n_ruled_out']} ruled out by the test): "
            f"{head}{glob}{top}")


def working(what: str, enabled: bool | None = None):
    """A spinner with elapsed time while ``what`` runs (see :func:`_working`)."""
    return _working(what, enabled)


def _working(what: str, enabled: bool | None = None):
    """A spinner with elapsed time on a terminal's stderr for work of unknown length (a
    reconstruction takes seconds to a minute); nothing when stderr is not a terminal, or when
    ``enabled`` is False (see :func:`on_terminal`)."""
    import contextlib

    if not (sys.stderr.isatty() if enabled is None else enabled):
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(what)


def progress_bar(total: int, what: str, enabled: bool):
    """A rich progress bar on stderr when ``enabled`` (callers pass: stdout and stderr are a
    terminal and no --json) for work over ~2 s; returns (advance(n=1), stop). Thread-safe."""
    if not enabled or total <= 0:
        return (lambda n=1: None), (lambda: None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                 console=Console(stderr=True), transient=True)
    p.start()
    task = p.add_task(what, total=total)
    return (lambda n=1: p.advance(task, n)), p.stop


def on_terminal(as_json: bool = False) -> bool:
    """True when a progress bar may be drawn: stdout and stderr are a terminal and no --json."""
    return not as_json and sys.stdout.isatty() and sys.stderr.isatty()


def _progress(total: int, what: str):
    """A rich progress bar on a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import Progress

    p = Progress(transient=True)
    p.start()
    task = p.add_task(what, total=total)
    return (lambda n: p.advance(task, n)), p.stop


@app.command()
def flyout(
    missile: str = typer.Option(..., help="catalog name (see `boostphase catalog`) or path to a vehicle TOML file (`boostphase catalog --template`)"),
    launch: str = typer.Option(..., help="LAT,LON of the launch point (deg)"),
    azimuth: float = typer.Option(None, help="launch azimuth, clockwise from north (deg)"),
    target: str = typer.Option(None, help="LAT,LON or a city name"),
    profile: str = typer.Option("min-energy", help="min-energy | lofted | depressed | target"),
    apogee_km: float = typer.Option(None, help="apogee for lofted/depressed (km)"),
    kick_deg: float = typer.Option(None, "--kick-deg", help="fly this fixed pitch-over kick (deg from vertical, "
                                   "0-89) with no search; instead of --profile"),
    pitch_hold_rate: float = typer.Option(None, "--pitch-hold-rate", help="with --kick-deg: Forden's steering, "
                                          "pitch over at this rate (deg/s) to the kick, then hold that angle"),
    earth: str = typer.Option("wgs84", help="wgs84 or sphere"),
    no_rotation: bool = typer.Option(False, "--no-rotation", help="ignore the Earth's rotation"),
    csv_out: Path = typer.Option(None, "--csv", help="write the time series as CSV"),
    geojson_out: Path = typer.Option(None, "--geojson", help="write the track as GeoJSON"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
):
    """Fly a missile (catalog name or vehicle file): range, apogee, flight time, burnout state and
    impact point. ``--kick-deg`` flies one fixed steering, as Forden's and Thrusty's users set it."""
    from ..models.vehicles import load
    from ..scenario.files import check_output
    from ..scenario.registry import compute_flyout
    from ..scenario.specs import FlyoutRequest

    check_output("--csv", csv_out)
    check_output("--geojson", geojson_out)
    if azimuth is None and target is None:
        raise InputError("--azimuth/--target", None, "one of them")
    names = {"launch": "--launch", "azimuth_deg": "--azimuth", "target": "--target", "profile": "--profile",
             "apogee_km": "--apogee-km", "kick_deg": "--kick-deg", "pitch_hold_rate_deg_s": "--pitch-hold-rate",
             "earth": "--earth"}
    req = spec_from_options(FlyoutRequest, dict(
        launch=launch, azimuth_deg=azimuth, target=target, profile=profile, apogee_km=apogee_km,
        kick_deg=kick_deg, pitch_hold_rate_deg_s=pitch_hold_rate, earth=earth, no_rotation=no_rotation), names)
    m = load(missile)  # a catalog name or a local vehicle file (the web takes only names or pasted text)
    try:
        traj = compute_flyout(req, missile=m, place=parse_place)
    except InputError as e:  # the spec's field names, said as the options the user typed
        if e.field in names:
            raise InputError(names[e.field], e.value, e.allowed, e.hint) from None
        raise
    if csv_out:
        traj.to_csv(csv_out)
    if geojson_out:
        geojson_out.write_text(json_text(traj.to_geojson(), indent=None))
    if not traj.impacted:
        typer.echo(f"warning: {traj.reason}; range, impact point and flight time are null", err=True)
    _emit(traj.summary(), as_json, f"{m.title} flyout")


@app.command()
def reconstruct(
    apogee_km: float = typer.Option(..., help="reported apogee (km)"),
    range_km: float = typer.Option(..., help="reported ground range (km)"),
    flight_time_s: float = typer.Option(None, help="reported flight time (s); a check on the fit"),
    launch: str = typer.Option(None, help="LAT,LON of the launch site: adds the reach contour and cities"),
    test_azimuth: float = typer.Option(90.0, help="azimuth the test was flown on (deg)"),
    cities: str = typer.Option(None, help='comma-separated city names, e.g. "Los Angeles,Chicago"'),
    missile: str = typer.Option(None, help="model to fit: catalog name or path to a vehicle TOML file (default: the "
                                "class model that matches the test; the output says which and why)"),
    no_sensitivity: bool = typer.Option(False, "--no-sensitivity", help="skip the burn-time x0.8 / x1.2 refits"),
    band: int = typer.Option(0, "--band", help="reach band: refit N sampled variants of the class model (burn "
                             "times, dry mass, Isp) and give the median and 10-90 %% reach (0: off; each "
                             "member is one fit, 0.5-2 s of a core)"),
    seed: int = typer.Option(0, "--seed", help="seed of the reach band's samples (reproducible)"),
    geojson_out: Path = typer.Option(None, "--geojson", help="write the reach contour as GeoJSON"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
):
    """Reconstruct a lofted test: fitted vehicle, standard-trajectory range, reach by azimuth."""
    from ..errors import check_range
    from ..reconstruct import reconstruction
    from ..scenario.files import check_output
    from ..scenario.specs import ReconstructRequest

    check_output("--geojson", geojson_out)
    # the web's spec checks every field; the band's size is the CLI's own (a web request is capped)
    fields = dict(apogee_km=apogee_km, range_km=range_km, flight_time_s=flight_time_s, launch=launch,
                  test_azimuth=test_azimuth, cities=cities, no_sensitivity=no_sensitivity)
    spec_from_options(ReconstructRequest, fields, {k: "--" + k.replace("_", "-") for k in fields})
    check_range("--band", band, 0, 10_000)
    check_range("--seed", seed, 0, 2**63 - 1)
    site = parse_latlon("--launch", launch) if launch else None
    names = [c for c in (cities or "").split(",") if c.strip()]
    if names:
        from ..models.geography import describe_city, find_city

        for n in names:  # fail fast on unknown or ambiguous names, before the long computation
            typer.echo(f"note: --cities {n.strip()!r} taken as {describe_city(find_city(n.strip()))}", err=True)
        if site is None:
            raise InputError("--cities", cities, "used together with --launch LAT,LON")
    with _working("reconstructing: fitting the class model, its burn-time variants and the reach",
                  on_terminal(as_json)):
        res = reconstruction.reconstruct(apogee_km, range_km, flight_time_s, launch=site,
                                         test_azimuth_deg=test_azimuth, missile=missile, cities=names,
                                         sensitivity=not no_sensitivity)
    if band:
        res["reach_band"] = _reach_band(res, missile, apogee_km, range_km, site, test_azimuth, int(band),
                                        int(seed), as_json)
    if geojson_out and "reach_geojson" in res:
        geojson_out.write_text(json.dumps(res["reach_geojson"]))
    if as_json:
        _maybe_save(res)
        typer.echo(json.dumps(res, indent=2, default=json_default))
        return
    brief = {k: res[k] for k in ("missile_model", "max_range_km", "burnout_speed_km_s", "fit", "residuals")}
    brief["fit"] = {k: v for k, v in res["fit"].items() if not isinstance(v, list)}
    if res.get("global_reach"):
        brief["max_range_km"] = "global (the fitted vehicle reaches orbit or the far side of the Earth)"
    if res.get("max_range_band_km"):
        key = "finite_band_members_km" if res.get("global_reach") else "max_range_band_km"
        brief[key] = " to ".join(f"{x:,.0f}" for x in res["max_range_band_km"])
    brief["max_range_lower_km"] = res["max_range_lower_km"]
    _emit(brief, False, "reconstruction")
    typer.echo(f"model: {res['missile_model']} ({res['model_choice']['how']}): {res['model_choice']['why']}")
    if res.get("global_note"):
        gn = res["global_note"]
        typer.echo(f"global: {gn['why']} Burnout {gn['standard_burnout_speed_km_s']:.2f} km/s = "
                   f"{gn['fraction_of_circular_speed']:.0%} of circular speed.")
    for v in [{"burn_time_factor": 1.0, "changed": "as fitted", **res["fit"],
               "max_range_km": res["max_range_km"], "global_reach": res["global_reach"]},
              *res.get("sensitivity", [])]:
        if "error" in v:
            typer.echo(f"burn time x{v['burn_time_factor']:g}: no fit ({v['error']})")
            continue
        reach = "global" if v["global_reach"] else f"{v['max_range_km']:,.0f} km"
        typer.echo(f"burn time x{v['burn_time_factor']:g}: burn {'/'.join(f'{x:.0f}' for x in v['burn_time_s'])} s, "
                   f"propellant {'/'.join(f'{x / 1e3:.1f}' for x in v['propellant_kg'])} t, thrust "
                   f"{'/'.join(f'{x:,.0f}' for x in v['thrust_vac_kn'])} kN -> payload {v['payload_kg']:,.0f} kg, "
                   f"reach {reach} ({v['changed']})")
    if res.get("reach_band"):
        typer.echo(band_words(res["reach_band"]))
    for c in res.get("cities", []):
        reach = "  global" if c["global_reach"] else f"{c['range_km']:8,.0f} km"
        margin = "" if c["global_reach"] else f" ({c['margin_km']:+,.0f} km)"
        typer.echo(f"{c['name']:>20}: {c['distance_km']:8,.0f} km away, reach {reach} -> "
                   f"{'IN' if c['in_reach'] else 'out of'} reach{margin}")


@app.command("run")
def run_file(
    scenario: Path = typer.Argument(None, help='scenario TOML whose kind = "flyout" | "reconstruct" | "check" | '
                                    '"engage" | "engage-map" | "shortfall" | "footprint"; the other keys are '
                                    "the web API's request fields"),
    schema: str = typer.Option(None, "--schema", help="print the JSON Schema of scenario files of this kind"),
    out: Path = typer.Option(None, "--out", help="output folder, for a sweep file"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
):
    """Run a scenario file of any kind: a registry kind (``kind = ...``) through the same specs as
    the web API and the run store; an engagement, consequence, C4, C5 or sweep file through its
    own command (recognised by its tables)."""
    from ..scenario.files import load_toml
    from ..scenario.registry import file_dialect, run_scenario, scenario_schema

    if schema is not None:
        typer.echo(json_text(scenario_schema(schema)))
        return
    if scenario is None:
        raise InputError("SCENARIO", None, "a scenario TOML file (or --schema KIND)")
    data = load_toml("scenario", scenario)
    dialect = file_dialect(data)
    if dialect is not None:  # engagement, consequence, C4, C5 and sweep files: their own command
        run_dialect(dialect, scenario, as_json, out)
        return
    kind, summary = run_scenario(data, str(scenario))
    if as_json:
        typer.echo(json_text(summary))
        return
    _emit(summary, False, f"{kind}: {scenario}")


def run_dialect(dialect: str, path: Path, as_json: bool, out: Path | None) -> None:
    """Run a scenario file with the command of its dialect (the same code and output as typing
    that command)."""
    from typer.main import get_command

    args = {"c4": ["c4", "--spec", str(path)], "c5": ["c5", "--spec", str(path)],
            "footprint": ["footprint", str(path)], "engage": ["engage", str(path)]}.get(dialect)
    if dialect == "sweep":
        if out is None:
            raise InputError("--out", None, "an output folder for the sweep file's results")
        args = ["sweep", str(path), "--out", str(out)]
    elif out is not None:
        raise InputError("--out", str(out), f"only with a sweep file ({path} is a {dialect} file)")
    if as_json and dialect != "sweep":
        args.append("--json")
    get_command(app).main(args=args, prog_name="boostphase", standalone_mode=False)


@app.command()
def check(
    range_km: float = typer.Option(..., help="claimed ground range (km)"),
    apogee_km: float = typer.Option(None, help="claimed apogee (km)"),
    flight_time_s: float = typer.Option(None, help="claimed flight time (s)"),
    peak_speed_km_s: float = typer.Option(None, help="claimed peak speed (km/s)"),
    peak_mach: float = typer.Option(None, help="claimed peak Mach number"),
    mach_convention: str = typer.Option("sea-level", help="sea-level (v/340.29 m/s) or local (US76 at that altitude)"),
    glide_ld: float = typer.Option(None, help="lift-to-drag ratio of a boost-glide vehicle to check"),
    tolerance: float = typer.Option(0.05, help="relative tolerance on each figure"),
    range_unc: str = typer.Option(None, help="uncertainty of the range: km or N% (default: the tolerance)"),
    apogee_unc: str = typer.Option(None, help="uncertainty of the apogee: km or N% (default: the tolerance)"),
    flight_time_unc: str = typer.Option(None, help="uncertainty of the flight time: s or N% (default: the tolerance)"),
    peak_unc: str = typer.Option(None, help="uncertainty of the peak speed (km/s) or Mach number, or N% "
                                            "(default: the tolerance; for Mach at least half a unit in the last digit)"),
    samples: int = typer.Option(2000, help="draws of the figures within their uncertainty (p_consistent)"),
    seed: int = typer.Option(0, help="seed of the draws"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
):
    """Check a claim (range, apogee, time, speed or Mach) against ballistic and glide physics, with
    the Mach range and the probability of consistency over the figures' uncertainty."""
    from ..scenario.registry import compute_check
    from ..scenario.specs import CheckRequest

    fields = dict(range_km=range_km, apogee_km=apogee_km, flight_time_s=flight_time_s,
                  peak_speed_km_s=peak_speed_km_s, peak_mach=peak_mach, mach_convention=mach_convention,
                  glide_ld=glide_ld, tolerance=tolerance, range_unc=range_unc, apogee_unc=apogee_unc,
                  flight_time_unc=flight_time_unc, peak_unc=peak_unc, samples=samples, seed=seed)
    req = spec_from_options(CheckRequest, fields, {k: "--" + k.replace("_", "-") for k in fields})
    try:
        res = compute_check(req)
    except InputError as e:  # the spec's field names, said as the options the user typed
        opt = "--" + e.field.replace("_", "-") if e.field in fields else None
        if opt is None:
            raise
        raise InputError(opt, e.value, e.allowed, e.hint) from None
    if as_json:
        typer.echo(json.dumps(res, indent=2, default=json_default))
        return
    typer.echo(f"verdict: {res['verdict']}  (ballistic_consistent: {res['ballistic_consistent']})")
    typer.echo(res["verdict_sentence"])
    for r in res["reasons"]:
        typer.echo(f"- {r}")
    _echo_bands(res)


def _echo_bands(res: dict) -> None:
    """The Mach range, the probability of consistency and the sensitivity, in words."""
    m, p = res["mach_range"], res["p_consistent"]
    if m["low"] is None:
        typer.echo("Mach range of a ballistic flight with these figures: none. " + m["altitude_note"])
    else:
        hi = "escape speed" if m["high_is_escape_speed"] else f"Mach {m['high']:.1f}"
        typer.echo(f"Mach range of a ballistic flight with these figures (within their uncertainty): "
                   f"Mach {m['low']:.1f} to {hi} ({m['speed_km_s'][0]:.2f}-{m['speed_km_s'][1]:.2f} km/s). "
                   + m["altitude_note"])
    typer.echo(f"P(consistent) = {p['p']:.3f} (95 % interval {p['ci95'][0]:.3f}-{p['ci95'][1]:.3f}, "
               f"{p['n']} draws, seed {p['seed']})")
    for row in res["sensitivity"]:
        typer.echo(f"  {row['input']:>16}: effect {row['effect']:+.3f} ({row['method']})")


@app.command()
def catalog(as_json: bool = typer.Option(False, "--json", help="print JSON"),
            template: bool = typer.Option(False, "--template", help="print a commented vehicle file to start "
                                          "from (format: docs/vehicle-file.md)")):
    """The vehicles in the catalog, with their key figures and sources; or a vehicle-file template."""
    from ..models import vehicles

    if template:
        from ..models.vehicles import template_text

        typer.echo(template_text(), nl=False)
        return

    items = []
    for m in vehicles.catalog():
        items.append({"name": m.name, "title": m.title, "stages": len(m.stages),
                      "launch_mass_kg": m.launch_mass_kg, "payload_kg": m.payload_kg,
                      "boost_time_s": m.boost_time_s, "sources": dict(m.sources), "notes": m.notes})
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    from rich.console import Console

    from .tables import Table

    t = Table(title="boostphase vehicle catalog")
    t.add_column("name", no_wrap=True, min_width=max(len(it["name"]) for it in items))  # names never cut
    for c in ("title", "stages", "launch mass (t)", "payload (kg)", "boost (s)", "sources"):
        t.add_column(c, overflow="fold")
    for it in items:
        srcs = sorted(set(it["sources"].values()))
        t.add_row(it["name"], it["title"], str(it["stages"]), f"{it['launch_mass_kg'] / 1e3:.1f}",
                  f"{it['payload_kg']:.0f}", f"{it['boost_time_s']:.0f}", f"{len(srcs)} cited")
    Console().print(t)


# Tables written to a pipe or a file are not cut to a terminal's 80 columns: a script or a
# reader of the saved output needs every name whole (rich reads COLUMNS when not on a terminal).
PIPED_COLUMNS = "200"


def main() -> None:
    """Entry point: run the app, turning input errors into one line and exit code 2."""
    if not sys.stdout.isatty():
        os.environ.setdefault("COLUMNS", PIPED_COLUMNS)
    try:
        rv = app(standalone_mode=False)  # returns the exit code of a raised typer.Exit
        if isinstance(rv, int) and rv != 0:
            sys.exit(rv)
    except InputError as e:
        _fail(str(e), e)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except Exception as e:
        # usage errors of the (vendored) click layer: bad option values, unknown options
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):
            if not e.format_message().strip():  # `boostphase` alone: the help is the answer
                e.show()
                sys.exit(e.exit_code)
            _fail(usage_line(e))
        # Last line of defence: a file the user named that could not be read or written (every
        # reader goes through scenario.files, which names the field; this catches the rest).
        if isinstance(e, (OSError, UnicodeDecodeError, RecursionError)):
            what = getattr(e, "filename", None) or type(e).__name__
            err = InputError("file", str(what), "a readable input file and a writable output path",
                             getattr(e, "strerror", None) or str(e)[:200])
            _fail(str(err), err)
        raise


if __name__ == "__main__":
    main()
