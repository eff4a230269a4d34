"""The house rules as tests (issue 16): layers, no circles, no private names across modules,
modules under ~800 lines.

Layers, lowest first (DESIGN.md): the engine knows nothing of missiles or countries; models
(earth, atmosphere, vehicles, geography) know nothing of analyses; analyses know nothing of
the CLI, the web or the run store; only the CLI and the web sit on top. Imports are read from
the source with ``ast`` (function-level imports included: a lazy import is still an arrow).

The restructure lands in steps, so each rule has a list of the violations that exist today.
The test fails on any *new* violation, and on a listed one that has gone (so the list only
shrinks: delete the entry when you fix it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "boostphase"
MAX_LINES = 800

# layer of each top-level module or package (higher numbers may import lower ones)
LAYERS = {
    "errors": 0, "units": 0, "limits": 0, "engine": 0, "__init__": 0, "resources": 0,
    # the result objects' shared behaviour (repr, tables, plot() through a backend loaded by name)
    "results": 0,
    "models": 1, "scenario.files": 1, "scenario.fields": 2,
    # the numeric-field vocabulary (numbers, quantities, distributions, [ensemble]): shared with
    # the analyses' own scenario files (engage, consequence); imports only ensembles, errors, units
    "scenario.uncertain": 2,
    "flight": 2, "claims": 2, "reconstruct": 2, "engage": 2, "consequence": 2, "sweep": 2,
    "ensembles": 2, "present": 2,
    # the run store recomputes a saved run through the scenario registry
    "scenario": 3, "present.store": 3, "api": 3,
    "cli": 4, "web": 4,
}

# --- today's violations (to be removed, never added to) --------------------------------------
KNOWN_UPWARD: set[tuple[str, str]] = set()
KNOWN_OVERSIZE: set[str] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for p in SRC.rglob("*.py"):
        rel = p.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = _modules()


def _resolve(mod: str, node: ast.ImportFrom | ast.Import, is_pkg: bool) -> list[tuple[str, list[str]]]:
    """(imported boostphase module, names) for one import statement."""
    if isinstance(node, ast.Import):
        return [(a.name.removeprefix("boostphase.") if a.name != "boostphase" else "__init__", [])
                for a in node.names if a.name == "boostphase" or a.name.startswith("boostphase.")]
    if node.level == 0:
        if not (node.module or "").startswith("boostphase"):
            return []
        base = (node.module or "").removeprefix("boostphase").lstrip(".")
    else:
        pkg = mod.split(".") if is_pkg else mod.split(".")[:-1]
        pkg = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
        base = ".".join([*pkg, node.module] if node.module else pkg)
    names = [a.name for a in node.names]
    out = []
    for n in names:  # "from . import cli" imports the module boostphase.cli
        sub = f"{base}.{n}" if base else n
        if sub in MODULES:
            out.append((sub, []))
        else:
            out.append((base or "__init__", [n]))
    return out


def _imports() -> list[tuple[str, str, list[str]]]:
    edges = []
    for mod, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target, names in _resolve(mod, node, is_pkg):
                    edges.append((mod, target, names))
    return edges


EDGES = _imports()


def _layer(mod: str) -> int:
    parts = mod.split(".")
    for k in range(len(parts), 0, -1):
        key = ".".join(parts[:k])
        if key in LAYERS:
            return LAYERS[key]
    raise KeyError(mod)


def test_every_module_has_a_layer():
    missing = sorted(m for m in MODULES if not any(".".join(m.split(".")[:k]) in LAYERS
                                                 for k in range(1, len(m.split(".")) + 1)))
    assert not missing, f"add these modules to LAYERS: {missing}"


def _top(mod: str) -> str:
    return mod.split(".")[0]


def _unit(mod: str) -> str:
    """The most specific LAYERS entry a module belongs to (``scenario.files`` stands alone,
    below the analyses; the rest of ``scenario`` sits above them)."""
    parts = mod.split(".")
    return next(".".join(parts[:k]) for k in range(len(parts), 0, -1) if ".".join(parts[:k]) in LAYERS)


def test_no_arrow_goes_up_a_layer():
    found = set()
    for src, dst, _ in EDGES:
        if _top(src) == _top(dst):
            continue  # inside one package
        if _layer(dst) > _layer(src):
            found.add((src, dst))
    new = sorted(found - KNOWN_UPWARD)
    gone = sorted(KNOWN_UPWARD - found)
    assert not new, f"imports that go up a layer: {new}"
    assert not gone, f"fixed, remove from KNOWN_UPWARD: {gone}"


def test_the_engine_knows_nothing_of_missiles_or_countries():
    bad = sorted({(s, d) for s, d, _ in EDGES if _top(s) == "engine" and _top(d) not in ("engine", "errors")}
                 - KNOWN_UPWARD)
    assert not bad, bad


def test_nothing_below_the_cli_and_web_imports_them():
    top = {"cli", "web"}
    bad = sorted({(s, d) for s, d, _ in EDGES if _top(d) in top and _top(s) not in top} - KNOWN_UPWARD)
    assert not bad, bad


def test_no_import_cycle_between_layers():
    """A cycle through modules of different layers is an arrow up; inside one layer, cycles
    between top-level modules are listed here so they do not grow."""
    graph: dict[str, set[str]] = {}
    for s, d, _ in EDGES:
        if _unit(s) != _unit(d):
            graph.setdefault(_unit(s), set()).add(_unit(d))
    # Tarjan's strongly connected components
    index, low, on, stack, sccs, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    cross = [c for c in sccs if len({_layer(m) for m in c}) > 1]  # cycles across layers
    assert cross == [], cross


def _private_imports() -> set[tuple[str, str, str]]:
    out = set()
    for s, d, names in EDGES:
        if s == d:
            continue
        for n in names:
            if n.startswith("_") and not n.startswith("__"):
                out.add((s, d, n))
    return out


# Private names imported across modules today (each should become public API of the lower module
# or move). The count may only fall.
KNOWN_PRIVATE_IMPORTS = 0


def test_no_new_private_names_imported_across_modules():
    found = _private_imports()
    assert len(found) <= KNOWN_PRIVATE_IMPORTS, (
        f"{len(found)} private imports (was {KNOWN_PRIVATE_IMPORTS}); new ones are not allowed: "
        + ", ".join(f"{s} <- {d}.{n}" for s, d, n in sorted(found)))
    if len(found) < KNOWN_PRIVATE_IMPORTS:
        pytest.fail(f"only {len(found)} private imports left: lower KNOWN_PRIVATE_IMPORTS to {len(found)}")


def test_modules_stay_under_800_lines():
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    over = {m for m, n in sizes.items() if n > MAX_LINES}
    new = sorted(f"{m} ({sizes[m]})" for m in over - KNOWN_OVERSIZE)
    gone = sorted(KNOWN_OVERSIZE - over)
    assert not new, f"modules over {MAX_LINES} lines: {new}"
    assert not gone, f"now under {MAX_LINES} lines, remove from KNOWN_OVERSIZE: {gone}"


# --- physics knows nothing of plots (issue 18) -----------------------------------------------
PLOTTING = ("present.plots", "present.c4_plots", "present.result_plots", "present.maps", "present.figures",
            "present.labels", "present.reach", "present.timeline", "present.consequence_maps", "present.engage_maps")
DRAWING_LAYERS = ("present", "cli", "web")
# modules outside present/cli/web that import matplotlib today (to be moved, never added to)
KNOWN_MATPLOTLIB: set[str] = set()


def _third_party_imports() -> list[tuple[str, str]]:
    """(boostphase module, imported top-level package) for every import of another package."""
    out = []
    for mod, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out += [(mod, a.name.split(".")[0]) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                out.append((mod, node.module.split(".")[0]))
    return out


def test_only_the_presentation_layer_draws():
    """No module outside present/, cli/ and web/ imports matplotlib or a plotting module of
    present/ (lazy imports count): results draw through boostphase.results.plot_backend, which
    loads the backend by name."""
    found = {m for m, pkg in _third_party_imports()
             if pkg == "matplotlib" and _top(m) not in DRAWING_LAYERS}
    new, gone = sorted(found - KNOWN_MATPLOTLIB), sorted(KNOWN_MATPLOTLIB - found)
    assert not new, f"matplotlib imported outside present/cli/web: {new}"
    assert not gone, f"fixed, remove from KNOWN_MATPLOTLIB: {gone}"
    bad = sorted({(s, d) for s, d, _ in EDGES if _top(s) not in DRAWING_LAYERS
                  and any(d == p or d.startswith(p + ".") for p in PLOTTING)})
    assert not bad, f"plotting modules imported outside present/cli/web: {bad}"
