"""The command line: ``boostphase COMMAND ...`` (typer).

``main`` holds the app and the flight, claim and catalog commands; each other module adds the
commands of one analysis with ``register(app)``: ``engage`` (C4), ``consequence`` (C5 and
footprints), ``tests`` (the test catalogue and reconstructions), ``scale`` (sweeps and runs),
``web`` (``serve``), ``examples`` (the shipped example files). ``demo`` is ``make demo``.
"""

from . import consequence, engage, examples, scale, tests, web
from .commands import app, main

for _module in (engage, consequence, tests, scale, web, examples):
    _module.register(app)

__all__ = ["app", "main"]
