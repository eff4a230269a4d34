"""The built wheel is the whole tool (issue 18): built offline, installed into a fresh virtual
environment, it runs the README's commands from a folder outside the repository, finds its
example files, and serves the web page with the globe.

Once per module: ``pip wheel --no-deps --no-build-isolation --no-index`` (no network; the build
folder is a temporary one, named through DIST_EXTRA_CONFIG, so nothing stale of an earlier build
in the checkout's ``build/`` can slip into the wheel; the engine that ``pip install -e .``
compiled is reused when up to date, see setup.py), then ``python -m venv --without-pip`` and
``pip --python FRESH install --no-deps --no-index WHEEL``. Every command then runs as a separate
process with the working directory in a temporary folder, never the checkout.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from test_readme import python_block, readme_commands

ROOT = Path(__file__).resolve().parents[1]
HAS_CESIUM = (ROOT / "node_modules" / "cesium" / "Build" / "Cesium" / "Cesium.js").is_file()
N_EXAMPLES = len([p for p in (ROOT / "src" / "boostphase" / "examples").iterdir() if p.is_file()])

# The README's commands run from the wheel (each must be in the README as written). Lighter:
# c5 with 20 engagements toward one target under one policy (the README's 3,000 per target take
# minutes on 2 cores; this runs the same code, and reads the packaged C4 laydown, which is what
# failed from a wheel before).
README_CMDS = [
    ["coast", "--lat", "39", "--lon", "125.7", "--alt-km", "100", "--speed-km-s", "6",
     "--flight-path-deg", "20", "--azimuth-deg", "45", "--earth", "sphere", "--no-rotation", "--json"],
    ["flyout", "--missile", "no-dong", "--launch", "39.0,125.7", "--azimuth", "40", "--json"],
    ["catalog"],
    ["examples"],
    ["run", "examples/run_c3_check.toml", "--json"],
    ["c5", "--json"],
]
LIGHTER = {"c5": ["--targets", "Chicago", "--n", "20", "--policies", "earliest"]}


def _run(cmd: list[str], timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    assert p.returncode == 0, f"{shlex.join(cmd)} -> {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}"
    return p


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from this checkout, offline, in a temporary build folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    cfg = tmp / "build.cfg"
    cfg.write_text(f"[build]\nbuild_base = {tmp / 'build'}\n", encoding="utf-8")
    # the engine compiled in place by `pip install -e .` (make test's setup) is reused when it is
    # newer than its sources and setup.py (setup.py checks; else it compiles, ~10 s of CPU)
    env = {**os.environ, "DIST_EXTRA_CONFIG": str(cfg), "BOOSTPHASE_REUSE_ENGINE": "1"}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "-q", "-w", str(tmp / "dist"), str(ROOT)], env=env, cwd=tmp)
    (whl,) = (tmp / "dist").glob("boostphase-*.whl")
    return whl


@pytest.fixture(scope="module")
def fresh(wheel, tmp_path_factory):
    """A fresh venv with only the wheel installed; (python, environment, working folder)."""
    tmp = tmp_path_factory.mktemp("fresh")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    py = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index",
          str(wheel)])
    # The dependencies (numpy, scipy, fastapi, ...) cannot be downloaded here, so the fresh venv
    # sees the project venv's installed packages through a .pth file naming that site-packages:
    # the offline way to lend it the dependencies. A path added by a .pth line is only appended
    # to sys.path (its own .pth files are not run), so the project's editable-install .pth (which
    # points at src/) does not leak in, and the fresh site-packages comes first; asserted below.
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "zz_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "BOOSTPHASE_CESIUM_DIR", "PYTHONHOME")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
               BOOSTPHASE_STORE=str(tmp / "runs.sqlite"), MPLCONFIGDIR=str(tmp / "mpl"), HOME=str(tmp))
    work = tmp / "work"
    work.mkdir()
    return py, env, work


def _bp(fresh, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    py, env, work = fresh
    cmd = [str(py.parent / "boostphase"), *args]
    if check:
        return _run(cmd, timeout=timeout, env=env, cwd=work)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=work)


def test_wheel_holds_the_examples_the_engine_and_the_globe(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert len([n for n in names if n.startswith("boostphase/examples/")]) == N_EXAMPLES
    assert any(n.startswith("boostphase/engine/cengine") and n.endswith(".so") for n in names)
    assert "boostphase/data/NOTICE.md" in names and not any(n.startswith(("tests/", "node_modules/")) for n in names)
    cesium = [n for n in names if n.startswith("boostphase/web/cesium/")]
    if HAS_CESIUM:  # the pinned build, its licence and the version it was copied from
        n_build = sum(1 for p in (ROOT / "node_modules/cesium/Build/Cesium").rglob("*") if p.is_file())
        assert len(cesium) == n_build + 2
        z = zipfile.ZipFile(wheel)
        assert z.read("boostphase/web/cesium/VERSION").decode().strip() == _locked_cesium()
        assert b"Apache License" in z.read("boostphase/web/cesium/LICENSE.md")
    else:
        assert cesium == []


def _locked_cesium() -> str:
    return json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/cesium"]["version"]


def test_cesium_version_is_the_locked_one():
    """The version named in the 'not found' message is the one package-lock.json pins."""
    from boostphase.web.payloads import CESIUM_MISSING, CESIUM_VERSION

    assert CESIUM_VERSION == _locked_cesium() and CESIUM_VERSION in CESIUM_MISSING


def test_the_package_comes_from_the_wheel(fresh):
    py, env, work = fresh
    code = ("import json, boostphase; from boostphase.resources import examples_dir; "
            "from boostphase.web.payloads import find_cesium_dir, sweep_examples; "
            "from boostphase.claims import c4; from boostphase.cli import engage; "
            "print(json.dumps({'file': boostphase.__file__, 'examples': str(examples_dir()), "
            "'cesium': str(find_cesium_dir()), 'c4': c4.EXAMPLE.is_file(), 'engage': engage.EXAMPLE.is_file(), "
            "'sweeps': sorted(sweep_examples())}))")
    got = json.loads(_run([str(py), "-c", code], env=env, cwd=work).stdout)
    venv = py.parent.parent
    assert Path(got["file"]).is_relative_to(venv), got  # not the checkout's src/ (editable .pth)
    assert Path(got["examples"]).is_relative_to(venv) and got["c4"] and got["engage"]
    assert got["sweeps"]  # the web's sweep examples are found in the package
    if HAS_CESIUM:
        assert Path(got["cesium"]).is_relative_to(venv), got
    else:
        assert got["cesium"] == "None"


def test_version(fresh):
    from boostphase import __version__

    assert _bp(fresh, "--version").stdout.strip() == f"boostphase {__version__}"


def test_examples_copy_then_refuse(fresh):
    """--copy puts every example into ./examples (where the README's commands look); a second
    --copy refuses with one line and exit 2, and writes nothing."""
    work = fresh[2]
    _bp(fresh, "examples", "--copy", "examples")
    assert len(list((work / "examples").iterdir())) == N_EXAMPLES
    before = {p: p.stat().st_mtime_ns for p in (work / "examples").iterdir()}
    p = _bp(fresh, "examples", "--copy", "examples", check=False)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--copy" in p.stderr, p.stderr
    assert {q: q.stat().st_mtime_ns for q in (work / "examples").iterdir()} == before


@pytest.mark.parametrize("args", README_CMDS, ids=[a[0] for a in README_CMDS])
def test_readme_command_from_the_wheel(args, fresh):
    assert args in readme_commands(), f"not a README command: {args}"
    if args[0] == "run" and not (fresh[2] / "examples").is_dir():
        _bp(fresh, "examples", "--copy", "examples")
    p = _bp(fresh, *args, *LIGHTER.get(args[0], []))
    if "--json" in args:
        out = json.loads(p.stdout)
        assert out and "error" not in out
    else:
        assert p.stdout.strip()


def test_readme_python_block_from_the_wheel(fresh):
    py, env, work = fresh
    (work / "readme_block.py").write_text(python_block(), encoding="utf-8")
    _run([str(py), "readme_block.py"], env=env, cwd=work)
    assert (work / "nodong.csv").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_serve_from_the_wheel(fresh):
    """`boostphase serve` from the wheel: the page, the globe (CesiumJS from the package) and the
    example sweeps, on loopback only."""
    py, env, work = fresh
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([str(py.parent / "boostphase"), "serve", "--port", str(port), "--no-warm"],
                            cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                status, _, body = _get(base + "/api/meta")
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not answer within 120 s"
                time.sleep(0.3)
        meta = json.loads(body)
        assert status == 200 and meta["examples"]["sweep"] and meta["cesium"] is HAS_CESIUM
        status, headers, page = _get(base + "/")
        assert status == 200 and b"<title>" in page and "default-src 'self'" in headers["content-security-policy"]
        status, headers, js = _get(base + "/cesium/Cesium.js")
        if HAS_CESIUM:
            assert status == 200 and js == (ROOT / "node_modules/cesium/Build/Cesium/Cesium.js").read_bytes()
            assert "content-security-policy" in {k.lower() for k in headers}
        else:
            assert status == 404 and b"npm ci" in js
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert ("CesiumJS" in err) is not HAS_CESIUM, err  # the warning only when the globe is missing
