"""``boostphase examples``: the example scenario files shipped with the package, listed, or
copied into a folder of your own (``--copy DIR``) to run and edit.

Registered by :mod:`boostphase.cli` through :func:`register`.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..errors import InputError
from ..resources import ExampleFile, example_files, examples_dir


def copy_examples(files: list[ExampleFile], dest: Path) -> list[Path]:
    """Copy ``files`` into the folder ``dest`` (made if absent). Refuses, before writing anything,
    when any of them is already there: nothing of the user's is overwritten."""
    from ..scenario.files import check_output_dir

    check_output_dir("--copy", dest)
    clash = [f.name for f in files if (dest / f.name).exists() or (dest / f.name).is_symlink()]
    if clash:
        shown = ", ".join(clash[:3]) + (f" and {len(clash) - 3} more" if len(clash) > 3 else "")
        raise InputError("--copy", str(dest), "a folder without boostphase's example files (nothing is "
                         "overwritten; nothing was copied)", f"already there: {shown}")
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files:
        target = dest / f.name
        with open(target, "xb") as fh:  # "x": never replaces a file that appeared meanwhile
            fh.write(f.path.read_bytes())
        out.append(target)
    return out


def examples(
    copy: Path = typer.Option(None, "--copy", metavar="DIR",
                              help="copy the example files into DIR (made if absent; refuses to overwrite)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
):
    """The example scenario files shipped with boostphase: name, kind, the command that runs it
    and what it shows; with --copy DIR, copies them into DIR to run and edit."""
    files = example_files()
    if copy is not None:
        done = copy_examples(files, copy)
        if as_json:
            typer.echo(json.dumps({"folder": str(copy), "copied": [p.name for p in done]}, indent=2))
            return
        typer.echo(f"copied {len(done)} example files into {copy}/ (e.g. boostphase engage "
                   f"{copy / 'c4_single_orbit.toml'})")
        return
    if as_json:
        typer.echo(json.dumps({"folder": str(examples_dir()), "examples": [f.to_dict() for f in files]}, indent=2))
        return
    from rich.console import Console

    from .tables import Table

    t = Table(title="boostphase examples", caption=f"shipped in {examples_dir()}; `boostphase examples "
              "--copy examples` puts them where these commands look")
    t.add_column("name", no_wrap=True, min_width=max(len(f.name) for f in files))  # names never cut
    for c in ("kind", "run with", "what it is"):
        t.add_column(c)
    for f in files:
        t.add_row(f.name, f.kind, f.command, f.description)
    Console().print(t)


def register(app: typer.Typer) -> None:
    app.command("examples")(examples)
