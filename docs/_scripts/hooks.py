"""MkDocs hooks: make the docs helpers importable by executed code blocks, run examples from the
repository root with a non-interactive plot backend, and add pages written elsewhere to the nav
only once they exist (so the strict build never links to a missing page)."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.boostphase")
_t0: dict[str, float] = {}
_took: dict[str, float] = {}

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


# Time each page's conversion (where its examples run), and name the slowest after the build.
def on_page_markdown(markdown, page, **kwargs):
    _t0[page.file.src_uri] = time.perf_counter()
    return markdown


def on_page_content(html, page, **kwargs):
    _took[page.file.src_uri] = time.perf_counter() - _t0.pop(page.file.src_uri, time.perf_counter())
    return html


def on_post_build(config, **kwargs):
    slow = sorted(_took.items(), key=lambda kv: -kv[1])[:6]
    log.info("examples run per page (s): " + ", ".join(f"{k} {v:.1f}" for k, v in slow))
