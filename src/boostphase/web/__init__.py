"""boostphase's web app: a JSON API mirroring the CLI and one page with an offline 3D globe.

``boostphase serve`` runs it (see :mod:`boostphase.cli.web`); :func:`boostphase.web.app.create_app`
builds the ASGI app. The physics knows nothing of this package: every request is validated here
(pydantic models, units via :func:`boostphase.units.quantity`) and handed to the same functions
the CLI and the Python API call.
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(*args, **kwargs):
    """Build the FastAPI app (imported lazily so ``import boostphase.web`` stays cheap)."""
    from .app import create_app as _create

    return _create(*args, **kwargs)
