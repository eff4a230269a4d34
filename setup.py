"""Builds the engine's C kernel (boostphase.engine.cengine) and puts the web page's globe
(CesiumJS) into a built wheel; everything else is in pyproject.toml.

Flags: -O3 without fast-math, and -ffp-contract=off so that no a*b+c becomes a fused
multiply-add: the scalar, AVX2 and AVX-512 builds of the same source then give the same bits
(tests/test_engine.py). -fno-math-errno only lets sqrt compile to the (correctly rounded)
instruction instead of a libm call for negative inputs. The packet files choose their
instruction set with `#pragma GCC target`; the module picks one at run time.

The globe: the CesiumJS build pinned in package-lock.json (node_modules/cesium/Build/Cesium,
23 MB, 392 files, installed by `bash tools/web_setup.sh` = `npm ci`) is copied into the wheel as
boostphase/web/cesium/ with its Apache-2.0 LICENSE.md. It goes into the main wheel rather than a
companion `boostphase-globe` wheel because the wheel is meant to be the whole tool: one file to
carry to an offline machine, no second install to forget, and no way to pair the page (its CSP
and static/preload.js are written against Cesium 1.140.0) with another Cesium version; it costs
about 9 MB of the wheel's 12.5 MB. Without node_modules (an sdist, a checkout without npm) the wheel
is built without the globe and `boostphase serve` says what to install. An editable install
copies nothing: the web app finds the checkout's node_modules at run time.
"""

import json
import os
import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
ENGINE = "src/boostphase/engine/"
CFLAGS = ["-O3", "-std=gnu11", "-fno-fast-math", "-ffp-contract=off", "-fno-math-errno",
          "-fno-strict-aliasing", "-pthread", "-Wno-psabi", "-Wno-maybe-uninitialized",
          "-Wno-unused-function"]
CESIUM_PKG = ROOT / "node_modules" / "cesium"
REUSE_ENV = "BOOSTPHASE_REUSE_ENGINE"


def pinned_cesium_version() -> str | None:
    """The CesiumJS version the lockfile pins (None without a readable lockfile)."""
    try:
        lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
        return lock["packages"]["node_modules/cesium"]["version"]
    except (OSError, ValueError, KeyError):
        return None


def cesium_problem() -> str | None:
    """Why node_modules/cesium cannot go into the wheel, or None when it can."""
    if not (CESIUM_PKG / "Build" / "Cesium" / "Cesium.js").is_file():
        return "node_modules/cesium is not installed (run `bash tools/web_setup.sh` first)"
    pinned = pinned_cesium_version()
    try:
        found = json.loads((CESIUM_PKG / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        found = None
    if pinned is None or found != pinned:
        return f"node_modules/cesium is {found}, package-lock.json pins {pinned} (run `npm ci`)"
    return None


class BuildPyWithGlobe(build_py):
    """build_py, then the pinned CesiumJS build into build_lib/boostphase/web/cesium."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        problem = cesium_problem()
        if problem:
            print(f"boostphase: building WITHOUT the web globe: {problem}")
            return
        dest = Path(self.build_lib) / "boostphase" / "web" / "cesium"
        shutil.rmtree(dest, ignore_errors=True)  # a stale copy of another version never mixes in
        shutil.copytree(CESIUM_PKG / "Build" / "Cesium", dest)
        shutil.copy2(CESIUM_PKG / "LICENSE.md", dest / "LICENSE.md")
        (dest / "VERSION").write_text(pinned_cesium_version() + "\n", encoding="utf-8")
        print(f"boostphase: CesiumJS {pinned_cesium_version()} copied into the wheel ({dest})")


class BuildExtReusing(build_ext):
    """build_ext; with $BOOSTPHASE_REUSE_ENGINE=1 (tests/test_wheel.py sets it) a kernel that
    `pip install -e .` already compiled in place is copied instead of compiled again, provided it
    is newer than every source, header and this file (which holds the compiler flags). Without
    the variable a wheel's kernel is always compiled."""

    def build_extension(self, ext):
        built = ROOT / "src" / self.get_ext_filename(ext.name)
        inputs = [ROOT / f for f in (*ext.sources, *ext.depends)] + [Path(__file__).resolve()]
        if (os.environ.get(REUSE_ENV) == "1" and built.is_file()
                and built.stat().st_mtime >= max(p.stat().st_mtime for p in inputs)):
            dest = Path(self.get_ext_fullpath(ext.name))
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(built, dest)
            print(f"boostphase: {REUSE_ENV}=1: reusing the kernel compiled in place ({built})")
            return
        super().build_extension(ext)


setup(
    cmdclass={"build_py": BuildPyWithGlobe, "build_ext": BuildExtReusing},
    ext_modules=[
        Extension(
            "boostphase.engine.cengine",
            sources=[ENGINE + f for f in ("bp_module.c", "bp_scalar.c", "bp_avx2.c", "bp_avx512.c")],
            depends=[ENGINE + f for f in ("bp_math.h", "bp_kernel.h", "bp_body.h", "bp_packet.h", "bp_cpu.h")],
            extra_compile_args=CFLAGS,
            extra_link_args=["-pthread"],
        )
    ],
)
