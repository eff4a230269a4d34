"""``python -m boostphase.cli``: the same as the ``boostphase`` command."""

from . import main

main()
