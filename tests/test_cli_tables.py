"""Tables never cut a name (issue 18): on a narrow terminal a cell wraps instead of ending in
an ellipsis, so every missile, site and orbit name is still there to read."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "c4_sea_of_japan.toml"


def _letters(text: str) -> str:
    """The table's text with box drawing, spaces and line breaks removed (wrapped cells of one
    row read left to right, line by line, so a name's letters stay in order within its column)."""
    return re.sub(r"[\s\u2500-\u257f]", "", text)


def test_the_engage_table_on_a_60_column_terminal_cuts_no_name():
    env = {**os.environ, "COLUMNS": "60"}
    p = subprocess.run([sys.executable, "-m", "boostphase.cli", "engage", str(EXAMPLE)], capture_output=True,
                       text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-500:]
    assert "\u2026" not in p.stdout  # rich's ellipsis: the mark of a cut cell
    width = max(len(line) for line in p.stdout.splitlines() if line.strip())
    assert width <= 60, width
    # the first row's platform cell, read down its column, spells the whole orbit name
    rows = [line for line in p.stdout.splitlines() if line.startswith("\u2502")]
    cells = [line.split("\u2502")[2].strip() for line in rows[:12]]
    assert "EastKoreaBay,125kmoffthecoast" in "".join(cells).replace(" ", "")
    assert "generic-liquid-icbm" in _letters("".join(line.split("\u2502")[1] for line in rows[:16]))
