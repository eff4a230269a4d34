"""``boostphase serve``: the web app (JSON API + the page with the offline globe) on uvicorn.

Registered by :mod:`boostphase.cli` through :func:`register`.
"""

from __future__ import annotations

import os

import typer

from ..errors import InputError

LOOPBACK = ("127.0.0.1", "localhost", "::1")
# the page's tabs that hold several forms (the share link prefixes each form's fields)
TAB_FORMS = {"engage": ("engage", "engagemap"), "consequence": ("shortfall", "footprint")}
FORM_TAB = {f: tab for tab, forms in TAB_FORMS.items() for f in forms}


def resolve_token(host: str, token: str | None) -> str | None:
    """The token in force: ``--token``, else $BOOSTPHASE_TOKEN; required for a non-loopback host."""
    from ..web.security import TOKEN_ENV

    tok = token if token else os.environ.get(TOKEN_ENV) or None
    if tok is not None and len(tok) < 16:
        raise InputError("--token", "(hidden)", "at least 16 characters (e.g. from `python -c "
                         "'import secrets; print(secrets.token_urlsafe())'`)")
    if host not in LOOPBACK and tok is None:
        raise InputError("--host", host, f"a loopback address ({', '.join(LOOPBACK)}) unless a token is set "
                                         f"with --token or ${TOKEN_ENV}")
    return tok


def example_hash(panel: str) -> str:
    """The page's URL fragment that fills in and runs a panel's example (as a shared link does)."""
    from urllib.parse import urlencode

    from ..scenario.specs import EXAMPLES

    if panel not in EXAMPLES:
        raise InputError("--example", panel, ", ".join(EXAMPLES))
    params = {k: ("true" if v is True else v) for k, v in EXAMPLES[panel].items()}
    tab = FORM_TAB.get(panel)
    if tab is None:
        return f"#{panel}?{urlencode(params)}"
    # a form inside a tab of several forms: fields prefixed with the form's name, and the forms to run
    # (the engagement map needs the engagement's inputs too)
    forms = [f for f in TAB_FORMS[tab] if f == panel or (panel == "engagemap" and f == "engage")]
    prefixed = {f"{f}.{k}": ("true" if v is True else v) for f in forms for k, v in EXAMPLES[f].items()}
    return f"#{tab}?{urlencode({**prefixed, 'run': ','.join(forms)})}"


def serve(
    host: str = typer.Option("127.0.0.1", help="address to bind; anything but loopback needs a token"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
    open_browser: bool = typer.Option(False, "--open", help="open the page in the default browser"),
    token: str = typer.Option(None, help="require this token on every request (or set $BOOSTPHASE_TOKEN)"),
    warm: bool = typer.Option(True, help="compile the flight kernels at start-up"),
    example: str = typer.Option(None, help="print (and --open) the link that runs this panel's example: "
                                           "flight, reconstruct, check, engage, engagemap, shortfall or footprint"),
):
    """Serve the web app: forms, tables and a 3D globe for flyouts, reconstructions, claim checks,
    engagements and debris footprints (big footprints run as background jobs)."""
    tok = resolve_token(host, token)
    import uvicorn

    from ..web.app import create_app
    from ..web.payloads import CESIUM_MISSING, find_cesium_dir

    if find_cesium_dir() is None:
        typer.echo(f"warning: {CESIUM_MISSING}", err=True)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}/"
    hash_ = example_hash(example) if example else ""
    typer.echo(f"boostphase web app: {url}" + ("?token=<your token>" if tok else "") + hash_, err=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url + (f"?token={tok}" if tok else "") + hash_)
    uvicorn.run(create_app(token=tok, warm=warm), host=host, port=port, log_level="warning",
                server_header=False, proxy_headers=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
