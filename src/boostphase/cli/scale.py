"""CLI commands for work at scale: ``boostphase sweep`` and ``boostphase runs ...``.

Registered by :mod:`boostphase.cli` through :func:`register`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer

from ..errors import InputError

runs_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="The run store: list, show, export and rerun saved runs.")


def sweep(
    sweep_toml: Path = typer.Argument(..., metavar="SWEEP.toml", help="the sweep description (TOML)"),
    scheduler: str = typer.Option(None, help="address of a running dask scheduler, e.g. tcp://host:8786"),
    workers: int = typer.Option(None, help="worker processes of the local cluster (default: CPU count; 0: serial, in this process)"),
    out: Path = typer.Option(None, help="output folder (default: sweep-NAME next to the current folder)"),
    fresh: bool = typer.Option(False, "--fresh", help="discard finished chunks in --out and start over"),
    save: bool = typer.Option(False, "--save", help="record the run in the run store"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
):
    """Run a parameter sweep on dask (resumable: a re-run computes only missing chunks)."""
    from ..scenario.files import check_output_dir
    from ..sweep import load_spec, run_sweep

    t0 = time.perf_counter()
    check_output_dir("--out", out)
    spec = load_spec(sweep_toml)
    if scheduler is not None and not scheduler.strip():
        raise InputError("--scheduler", scheduler, "an address like tcp://host:8786")
    if scheduler is not None and workers is not None:
        raise InputError("--workers", workers, "not used together with --scheduler")
    out = out or Path(f"sweep-{spec.name}")
    try:
        res = run_sweep(spec, out, workers=workers, scheduler=scheduler, fresh=fresh)
    except KeyboardInterrupt:
        typer.echo(f"interrupted: finished chunks are kept in {out}/chunks; run the same command "
                   "again to finish", err=True)
        sys.exit(130)
    except OSError as e:  # e.g. a scheduler that cannot be reached
        raise InputError("--scheduler" if scheduler else "--out", scheduler or str(out),
                         f"something reachable ({e})") from None
    summary = res.summary()
    if save:
        from ..present.store import save_run

        command = ["sweep", str(sweep_toml), "--out", str(out)]
        command += ["--scheduler", scheduler] if scheduler else []
        command += ["--workers", str(workers)] if workers is not None else []
        rid = save_run(command=command,
                       kind="sweep", scenario={"sweep": spec.source, "workers": workers},
                       summary=summary, seed=spec.seed, artifacts=[res.path],
                       timings={**res.timings, "wall_s": round(time.perf_counter() - t0, 4)})
        summary["run_id"] = rid
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    from rich.console import Console

    from .tables import Table

    con = Console()
    dims = " x ".join(f"{d}={n}" for d, n in summary["dims"].items())
    con.print(f"[bold]{summary['kind']} sweep '{summary['name']}'[/bold]: {summary['n_cases']:,} cases "
              f"({dims}); {summary['computed_chunks']} chunks computed, {summary['reused_chunks']} reused; "
              f"{res.timings['total_s']:.2f} s")
    table = Table(show_header=True)
    for col in ("output", "unit", "min", "max", "mean"):
        table.add_column(col, justify="left" if col in ("output", "unit") else "right")
    def f(v) -> str:
        return "-" if v is None else f"{v:,.6g}"

    for name, s in summary["outputs"].items():
        if "min" in s:
            table.add_row(name, s.get("unit", ""), f(s["min"]), f(s["max"]), f(s["mean"]))
        else:
            table.add_row(name, "", f"true {s['true']:,}", f"false {s['false']:,}", "")
    con.print(table)
    con.print(f"dataset: {res.path}" + (f"   run id: {summary['run_id']}" if save else ""))


@runs_app.command("list")
def runs_list(
    limit: int = typer.Option(50, help="at most this many, newest first"),
    kind: str = typer.Option(None, help="only runs of this command (e.g. sweep, coast)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
):
    """Saved runs, newest first."""
    from ..present.store import list_runs, store_path

    if limit < 1:
        raise InputError("--limit", limit, ">= 1")
    runs = list_runs(limit=limit, kind=kind)
    if as_json:
        typer.echo(json.dumps([{k: r[k] for k in ("id", "created_utc", "kind", "command", "version",
                                                  "seed", "timings")} for r in runs], indent=2))
        return
    from rich.console import Console

    from .tables import Table

    if not runs:  # an empty store: say how runs get there
        typer.echo(f"no saved runs in {store_path()}" + (f" of kind {kind}" if kind else "")
                   + ": add --save before a command (boostphase --save flyout ...; commands that store: "
                   "coast, flyout, reconstruct), use 'Save run' on the web page, or sweep --save", err=True)
        return
    table = Table(title=f"runs in {store_path()}", show_header=True)
    for col in ("id", "created (UTC)", "kind", "command", "version", "wall s"):
        table.add_column(col)
    for r in runs:
        wall = r["timings"].get("wall_s", r["timings"].get("total_s", ""))
        table.add_row(str(r["id"]), r["created_utc"][:19], r["kind"], " ".join(r["command"])[:60],
                      r["version"], f"{wall:.2f}" if isinstance(wall, float | int) else str(wall))
    Console().print(table)


@runs_app.command("show")
def runs_show(run_id: str = typer.Argument(..., metavar="ID"),
              as_json: bool = typer.Option(False, "--json", help="print JSON")):
    """One saved run: command, scenario, version, seed, timings, result summary, artifacts."""
    from ..present.store import export_run, get_run

    if as_json:
        typer.echo(export_run(run_id))
        return
    from rich.console import Console
    from rich.pretty import Pretty

    r = get_run(run_id)
    con = Console()
    con.print(f"[bold]run {r['id']}[/bold]  {r['created_utc']}  boostphase {r['version']}  "
              f"({r['host']}, Python {r['python']})")
    con.print("command: boostphase " + " ".join(r["command"]))
    if r["seed"] is not None:
        con.print(f"seed: {r['seed']}")
    if r["rerun_of"] is not None:
        con.print(f"rerun of: {r['rerun_of']}")
    for key in ("timings", "scenario", "summary", "artifacts"):
        con.print(f"[bold]{key}[/bold]")
        con.print(Pretty(r[key]))


@runs_app.command("export")
def runs_export(run_id: str = typer.Argument(..., metavar="ID"),
                out: Path = typer.Option(None, help="write the JSON here instead of stdout")):
    """A saved run as JSON (stdout, or --out FILE)."""
    from ..present.store import export_run
    from ..scenario.files import check_output

    check_output("--out", out)
    text = export_run(run_id)
    if out is None:
        typer.echo(text)
        return
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise InputError("--out", str(out), f"a writable file ({e.strerror})") from None
    typer.echo(str(out), err=True)


@runs_app.command("rerun")
def runs_rerun(run_id: str = typer.Argument(..., metavar="ID"),
               workers: int = typer.Option(None, help="for sweeps: worker processes (0: serial)"),
               save: bool = typer.Option(False, "--save", help="record the rerun as a new run"),
               as_json: bool = typer.Option(False, "--json", help="print JSON")):
    """Execute a saved run again and compare the result with the stored one (exit 1 if it differs)."""
    from ..present.store import rerun

    rep = rerun(run_id, workers=workers, save=save)
    if as_json:
        typer.echo(json.dumps(rep.as_dict(), indent=2))
    else:
        for n in rep.notes:
            typer.echo(f"note: {n}")
        if rep.reproduced:
            typer.echo(f"run {rep.run_id}: reproduced ({rep.wall_s:.2f} s)"
                       + (f"; saved as run {rep.new_id}" if rep.new_id else ""))
        else:
            typer.echo(f"run {rep.run_id}: NOT reproduced; {len(rep.differences)} difference(s):")
            for d in rep.differences[:50]:
                typer.echo(f"  {d}")
    if not rep.reproduced:
        sys.exit(1)  # (typer.Exit codes are not passed on by cli.commands.main in standalone_mode=False)


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
    app.add_typer(runs_app, name="runs")
