"""The documentation's machinery (the site itself is built by `make test`: `mkdocs build --strict`
in fast mode, which runs every example). Here, cheaply: every page named in the nav exists, and
the generated scenario-file reference lists every field of the specs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _nav_pages(nav) -> list[str]:
    out = []
    for item in nav:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for v in item.values():
                out += _nav_pages(v) if isinstance(v, list) else [v]
    return out


def test_nav_pages_exist():
    yaml = pytest.importorskip("yaml")
    cfg = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    pages = _nav_pages(cfg["nav"])
    assert len(pages) >= 14
    missing = [p for p in pages if not (DOCS / p).is_file()]
    assert not missing


def test_scenario_reference_lists_every_field():
    sys.path.insert(0, str(DOCS / "_scripts"))
    try:
        import scenario_reference as ref
    finally:
        sys.path.pop(0)
    from boostphase import consequence, engage
    from boostphase.sweep import KINDS

    for model, text in ((engage.Scenario, ref.engage_table()), (consequence.Scenario, ref.consequence_table())):
        for name in model.model_fields:
            assert f"| `{name}` |" in text, name
    # a number, a quantity string or a distribution table (scenario.uncertain), in seconds
    assert "| `timeline.detection_delay` | number or text or table | s; 0 to 1e+07 | 45 s |" in ref.engage_table()
    from boostphase.scenario.registry import scenario_kinds

    runs = ref.run_tables()
    for kind in scenario_kinds():
        assert f'### `kind = "{kind}"`' in runs, kind
    sweep = ref.sweep_tables()
    for kind in KINDS.values():
        for name in (*kind.fields, *kind.outputs):
            assert f"| `{name}` |" in sweep, (kind.name, name)


def test_the_docs_build_counts_warnings():
    """`mkdocs build --strict -q` passes a page whose executed example raises: --quiet drops
    the warning (markdown-exec reports a failing block as a warning) before --strict counts it.
    `make test` and `make docs` must build without -q."""
    make = (ROOT / "Makefile").read_text()
    builds = [line for line in make.splitlines() if "mkdocs build" in line]
    assert builds and all("--strict" in b for b in builds)
    assert not any(" -q" in b or "--quiet" in b for b in builds), builds
