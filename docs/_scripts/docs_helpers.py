"""Helpers for the executed examples of the documentation (imported by the pages' code blocks).

``FAST`` is true when ``BOOSTPHASE_DOCS_FAST=1`` (``make test`` builds the docs that way): pages
then use small sizes (fewer fragments, azimuths, grid points) so the build stays short, and say so
on the page. :func:`cli` runs a ``boostphase`` command in this process (the same entry point as
the installed script) and prints the command and its real output as a console block; a non-zero
exit status raises, which fails ``mkdocs build --strict``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import sys


def _out(*args, **kw) -> None:
    """Print into the calling page: markdown-exec gives each executed block its own ``print``
    (a buffer that becomes the page's output); use the caller's, else the built-in one."""
    f = sys._getframe(1)
    while f is not None and f.f_globals.get("__name__") == __name__:
        f = f.f_back
    (f.f_globals.get("print", print) if f is not None else print)(*args, **kw)


FAST = os.environ.get("BOOSTPHASE_DOCS_FAST", "") not in ("", "0")


def fast_note() -> None:
    """One line on a page built in fast mode."""
    if FAST:
        _out('!!! note "Fast build"\n    This page was built with `BOOSTPHASE_DOCS_FAST=1` '
              "(as `make test` does): sizes are small. `make docs` builds it at full size.\n")


def run_cli(args: str) -> tuple[int, str, str]:
    """Run ``boostphase ARGS`` in-process; return (exit status, stdout, stderr)."""
    from boostphase.cli.commands import main

    out, err = io.StringIO(), io.StringIO()
    argv, cols = sys.argv, os.environ.get("COLUMNS")
    sys.argv = ["boostphase", *shlex.split(args)]
    os.environ["COLUMNS"] = "150"   # wide tables scroll in the page rather than wrap
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.argv = argv
        if cols is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = cols
    return code, out.getvalue(), err.getvalue()


def cli(args: str, fast: str | None = None, keys: list[str] | None = None, expect: int = 0,
        show: str | None = None, slow: bool = False) -> dict | str | None:
    """Print ``$ boostphase ARGS`` and its output as a console block; return the parsed JSON
    (when ``--json``) or the text. ``fast``: the arguments to run instead in fast mode (the page
    shows the command actually run). ``keys``: show only these keys of a JSON answer (the page
    says it is an excerpt). ``show``: print this text as the command instead (for a long one).
    ``slow``: a command the fast build shows without running (the full build runs it)."""
    if FAST and fast is not None:
        args = fast
    if FAST and slow:
        _out(f"```console\n$ {show or 'boostphase ' + args}\n# (not run in the fast build; "
             "`make docs` runs it and shows its output here)\n```\n")
        return None
    code, out, err = run_cli(args)
    if code != expect:
        raise RuntimeError(f"boostphase {args} exited with {code} (expected {expect}):\n"
                           f"{out[-2000:]}\n{err[-2000:]}")
    as_json = "--json" in shlex.split(args) and code == 0
    parsed: dict | str = out
    text = out.rstrip() if as_json else (out + err).rstrip()
    if as_json:
        parsed = json.loads(out)
        if keys:
            missing = [k for k in keys if k not in parsed]
            if missing:
                raise KeyError(f"boostphase {args}: no key(s) {missing} in its JSON")
            text = json.dumps(_rounded({k: parsed[k] for k in keys}), indent=2, ensure_ascii=False)
            text += f"\n# (excerpt: {', '.join(keys)}; numbers rounded for reading)"
    if as_json and err.strip():   # notes on stderr (e.g. which place a city name was taken as)
        text = err.strip() + "\n" + text
    cmd = show or f"boostphase {args}"
    _out(f"```console\n$ {cmd}\n{text}\n```\n")
    return parsed


def image(path, alt: str, width: int = 720) -> None:
    """Embed a PNG written by an example into the page (nothing if it was not written, as in the
    fast build for slow commands)."""
    import base64
    from pathlib import Path

    p = Path(path)
    if p.is_file():
        data = base64.b64encode(p.read_bytes()).decode()
        _out(f'<img alt="{alt}" width="{width}" src="data:image/png;base64,{data}">\n')


def _rounded(obj, nd: int = 3):
    if isinstance(obj, float):
        return round(obj, nd)
    if isinstance(obj, dict):
        return {k: _rounded(v, nd) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rounded(v, nd) for v in obj]
    return obj


def table(rows: list[dict], cols: list[str] | None = None, fmt: dict | None = None) -> None:
    """Print rows (dicts) as a Markdown table."""
    if not rows:
        _out("*(no rows)*\n")
        return
    cols = cols or list(rows[0])
    fmt = fmt or {}

    def cell(c, v):
        if v is None:
            return "—"
        if c in fmt:
            return fmt[c].format(v)
        if isinstance(v, float):
            return f"{v:,.1f}"
        return str(v).replace("|", "\\|")

    _out("| " + " | ".join(cols) + " |")
    _out("|" + "---|" * len(cols))
    for r in rows:
        _out("| " + " | ".join(cell(c, r.get(c)) for c in cols) + " |")
    _out()
