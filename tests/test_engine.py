"""The compiled engine (boostphase.engine): its build, its paths and its reproducibility promise.

A case's result is bit-identical whatever batch it is in, its position in it, the thread count
and the path (scalar, AVX2 packets, AVX-512 packets): tested here on drag coasts (with and
without the terminal-fall ending), vacuum coasts and powered multi-stage flyouts with recording.
The CUDA build of the same source is compiled to PTX by NVRTC (no GPU needed) so it cannot rot.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from boostphase.engine import Case, Settings, available_paths, integrate
from boostphase.flight import flyout as flight
from boostphase.models import atmosphere
from boostphase.models.earth import WGS84
from boostphase.models.vehicles import load

PATHS = available_paths()


def _coasts(n: int, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    r0, v0 = WGS84.state_from_local(rng.uniform(-60, 60, n), rng.uniform(0, 360, n), rng.uniform(0, 300e3, n),
                                    rng.uniform(300, 7000, n), rng.uniform(-30, 70, n), rng.uniform(0, 360, n))
    beta = np.exp(rng.normal(np.log(800), 1.2, n))
    mach, cd = flight.cd_table(((0.0, 1.0), (1.0, 1.0)))
    return dict(y0=np.concatenate([r0, v0], 1), t0=np.zeros(n), seg_t_end=np.full((n, 1), 1e30),
                seg_m0=beta[:, None], seg_mdot=np.zeros((n, 1)), seg_thrust=np.zeros((n, 1)),
                seg_exit_area=np.zeros((n, 1)), seg_ref_area=np.ones((n, 1)),
                seg_mode=np.full((n, 1), 2, dtype=np.int32), cd_mach=np.broadcast_to(mach, (n, 1, 16)),
                cd_val=np.broadcast_to(cd, (n, 1, 16)), azimuth=np.zeros(n), kick=np.zeros(n),
                pitch_t0=np.zeros(n), pitch_t1=np.zeros(n), u_fixed=np.zeros((n, 3)), t_max=np.full(n, 2e4))


def _flyouts(n: int) -> dict:
    kicks = np.linspace(2.0, 40.0, n)
    arrays, _, _ = flight._flyout_arrays(load("hwasong-15"), 39.0, 125.7, 0.0, 60.0, kicks,
                                         flight.Steering(), 2.0e4, WGS84)
    return arrays


def _take(arrays: dict, idx) -> dict:
    return {k: np.asarray(v)[idx] for k, v in arrays.items()}


def _run(arrays: dict, settings: Settings, **kw):
    atm = atmosphere.kernel_table() if settings.drag else None
    fall = atmosphere.fall_table() if settings.terminal_fall else None
    return integrate(Case(**arrays), WGS84.kernel_constants(), atm, settings, fall, **kw)


def _assert_same(a, b, idx=slice(None), msg=""):
    for name, x, y in zip(a._fields, a, b, strict=True):
        np.testing.assert_array_equal(np.asarray(x)[idx], y, err_msg=f"{msg}: {name}")


CASES = {
    "drag coast": (lambda: _coasts(203), Settings(rtol=1e-8, powered=False, constant_cd=True)),
    "drag coast, terminal fall": (lambda: _coasts(203, 8), Settings(rtol=1e-8, powered=False, constant_cd=True,
                                                                   terminal_fall=True)),
    "vacuum coast": (lambda: _coasts(61, 9), Settings(drag=False, powered=False)),
    "flyout, recorded": (lambda: _flyouts(21), Settings(rtol=1e-10, n_rec=600)),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_bit_identical_across_paths_threads_splits_and_orders(kind):
    make, settings = CASES[kind]
    arrays = make()
    n = arrays["y0"].shape[0]
    ref = _run(arrays, settings, threads=1, path="scalar")
    assert ref.impacted.any()
    for path in PATHS:
        for threads in (1, 2):
            _assert_same(ref, _run(arrays, settings, threads=threads, path=path), msg=f"{path} x{threads}")
    best = PATHS[-1]
    # split at an odd point, reversed, and a shuffled subset: each case keeps its bits
    cut = n // 3 + 1
    parts = [_run(_take(arrays, slice(0, cut)), settings, path=best),
             _run(_take(arrays, slice(cut, n)), settings, path=best)]
    joined = type(ref)(*(np.concatenate([p, q]) for p, q in zip(*parts, strict=True)))
    _assert_same(ref, joined, msg="split")
    rev = np.arange(n)[::-1]
    _assert_same(ref, _run(_take(arrays, rev), settings, threads=2, path=best), idx=rev, msg="reversed")
    sub = np.random.default_rng(1).permutation(n)[: max(3, n // 4)]
    _assert_same(ref, _run(_take(arrays, sub), settings, path=best), idx=sub, msg="subset")


def test_paths_and_input_checks():
    assert "scalar" in PATHS
    arrays = _coasts(4)
    with pytest.raises(ValueError, match="engine path"):
        _run(arrays, Settings(powered=False, constant_cd=True), path="sse9")
    bad = dict(arrays, y0=arrays["y0"][:, :5])
    with pytest.raises(ValueError, match=r"Case.y0"):
        _run(bad, Settings(powered=False, constant_cd=True))
    empty = _run(_take(arrays, slice(0, 0)), Settings(powered=False, constant_cd=True))
    assert empty.t.shape == (0,) and empty.rec.shape == (0, 1, 7)


def test_kernel_has_no_fused_multiply_add():
    """Built with -ffp-contract=off: an FMA rounds once where a*b+c rounds twice, so one in
    one build and not in another would break the bit identity across instruction sets."""
    from boostphase.engine import cengine

    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.skip("objdump not installed")
    text = subprocess.run([objdump, "-d", cengine.__file__], capture_output=True, text=True, check=True).stdout
    assert "vsqrtpd" in text or "sqrtsd" in text  # the disassembly is the kernel's
    fused = [line for line in text.splitlines() if "vfmadd" in line or "vfmsub" in line or "vfnmadd" in line]
    assert not fused, fused[:5]


def test_cuda_build_compiles_to_ptx_without_fma():
    """The GPU build (same C source, NVRTC) compiles on a machine without a GPU, with IEEE
    division and square root and no fused multiply-add; its context record matches the C one."""
    from boostphase.engine import cengine, gpu

    assert gpu.CTX_DTYPE.itemsize == cengine.ctx_size()
    layout = cengine.ctx_layout()
    assert {f: gpu.CTX_DTYPE.fields[f][1] for f in gpu.CTX_DTYPE.names} == layout
    try:
        text = gpu.ptx("compute_80")
    except ImportError as e:
        pytest.skip(f"NVRTC not installed ({e}); pip install 'boostphase[gpu]'")
    assert ".entry bp_cuda_run" in text
    assert "fma." not in text
    assert "div.rn.f64" in text and "sqrt.rn.f64" in text
    assert "div.approx" not in text and "sqrt.approx" not in text


FIRST_FLYOUT = r"""
import json, time
t0 = time.perf_counter()
from boostphase.flight.flyout import fly
from boostphase.models.vehicles import load
tr = fly(load("hwasong-15"), 39.0, 125.7, azimuth_deg=60.0, kick_deg=20.0)
print(json.dumps({"s": time.perf_counter() - t0, "range": tr.range_m}))
"""


def test_fresh_process_flies_at_once():
    """Nothing to compile or trace at run time: a fresh process imports boostphase and flies a
    Hwasong-15 at once (measured ~0.3 s on the 2-core CI machine, imports included; the bound
    leaves room for a loaded machine)."""
    out = subprocess.run([sys.executable, "-c", FIRST_FLYOUT], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["range"] > 5e6
    assert res["s"] < 2.0
