"""MkDocs hooks: make the docs helpers importable by executed code blocks, run examples from the
repository root with a non-interactive plot backend, and add pages written elsewhere to the nav
only once they exist (so the strict build never links to a missing page)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# pages other branches write: (nav section, title, path under docs/)
OPTIONAL_PAGES = [("How-to guides", "Vehicle files (reference)", "vehicle-file.md")]


def on_config(config, **kwargs):
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.chdir(ROOT)  # examples name files as "examples/...", from the repository root
    docs = Path(config["docs_dir"])
    for section, title, path in OPTIONAL_PAGES:
        if not (docs / path).is_file():
            continue
        for item in config["nav"] or []:
            if isinstance(item, dict) and section in item:
                entries = item[section]
                if not any(isinstance(e, dict) and path in e.values() for e in entries):
                    entries.append({title: path})
    return config
