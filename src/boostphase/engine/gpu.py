"""The engine's kernel on an NVIDIA GPU: the same C source (``bp_math.h``, ``bp_kernel.h``,
``bp_body.h``) compiled at run time by NVRTC, one case per thread; a thread whose case has
finished takes the next case from the queue at once (an atomic counter), so no thread waits
for a slow neighbour's case to end before starting new work.

Optional: ``pip install "boostphase[gpu]"`` (cupy-cuda13x and nvidia-cuda-nvrtc). NVRTC
compiles without a GPU, so :func:`ptx` (the CUDA build as PTX) is tested on every machine
(tests/test_engine.py) and the CUDA build cannot rot; :func:`integrate` needs a GPU and cupy.

Bits: the build uses ``--fmad=false`` (no fused multiply-add; CUDA's default would contract
a*b+c), IEEE division and square root (NVRTC's defaults), and none of CUDA's math library:
exp, log, sin/cos and cbrt are the engine's own polynomials, as on the CPU. So a case's
result on the GPU is meant to be the CPU's, bit for bit; ``benchmarks/bench_gpu.py`` prints the
largest difference it measures.
"""

from __future__ import annotations

import ctypes
import glob
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from .kernel import RESULT_DTYPES, Case, Result, Settings, as_f64, pack_case

_HERE = Path(__file__).parent
_HEADERS = ("bp_math.h", "bp_kernel.h", "bp_body.h")
# The CUDA entry point: the kernel's one-lane build, one case per thread, refilled from the queue.
_ENTRY = r"""
#define BP_W 1
#include "bp_kernel.h"
extern "C" __global__ void bp_cuda_run(bp_ctx *c) {
    for (;;) {
        long long i = (long long)atomicAdd((unsigned long long *)&c->next, 1ULL);
        if (i >= c->n) break;
        bp_run_case(c, i);
    }
}
"""
OPTIONS = ("--fmad=false", "--prec-div=true", "--prec-sqrt=true", "-default-device")


def cuda_source() -> dict[str, str]:
    """The CUDA build's sources: the entry and the kernel headers, by name."""
    return {"bp_cuda.cu": _ENTRY, **{h: (_HERE / h).read_text() for h in _HEADERS}}


def _libnvrtc() -> ctypes.CDLL:
    """libnvrtc from the nvidia-cuda-nvrtc wheel (or the system's)."""
    names = []
    try:
        import nvidia

        for root in nvidia.__path__:
            names += sorted(glob.glob(os.path.join(root, "*", "lib", "libnvrtc.so*")))
    except ImportError:
        pass
    names = [n for n in names if "alt" not in os.path.basename(n) and "builtins" not in n]
    names += ["libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12"]
    for name in names:
        try:
            # NVRTC opens its builtins library by name at compile time: load it first, from
            # the same folder, so no LD_LIBRARY_PATH is needed
            for b in sorted(glob.glob(os.path.join(os.path.dirname(name), "libnvrtc-builtins.so*"))):
                if "alt" not in os.path.basename(b):
                    ctypes.CDLL(b, mode=ctypes.RTLD_GLOBAL)
            return ctypes.CDLL(name)
        except OSError:
            continue
    raise ImportError("NVRTC not found: pip install 'boostphase[gpu]' (nvidia-cuda-nvrtc)")


@lru_cache(maxsize=8)
def ptx(arch: str = "compute_80") -> str:
    """The CUDA build of the kernel as PTX for ``arch``, compiled by NVRTC (no GPU needed).
    Raises RuntimeError with NVRTC's log if it does not compile."""
    lib = _libnvrtc()
    src = cuda_source()
    prog = ctypes.c_void_p()
    heads = [h for h in src if h != "bp_cuda.cu"]
    h_src = (ctypes.c_char_p * len(heads))(*[src[h].encode() for h in heads])
    h_names = (ctypes.c_char_p * len(heads))(*[h.encode() for h in heads])
    rc = lib.nvrtcCreateProgram(ctypes.byref(prog), src["bp_cuda.cu"].encode(), b"bp_cuda.cu",
                                len(heads), h_src, h_names)
    if rc != 0:
        raise RuntimeError(f"nvrtcCreateProgram failed ({rc})")
    try:
        opts = [*OPTIONS, f"--gpu-architecture={arch}"]
        c_opts = (ctypes.c_char_p * len(opts))(*[o.encode() for o in opts])
        rc = lib.nvrtcCompileProgram(prog, len(opts), c_opts)
        size = ctypes.c_size_t()
        lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        lib.nvrtcGetProgramLog(prog, log)
        if rc != 0:
            raise RuntimeError(f"NVRTC could not compile the kernel ({rc}):\n{log.value.decode(errors='replace')}")
        lib.nvrtcGetPTXSize(prog, ctypes.byref(size))
        out = ctypes.create_string_buffer(size.value)
        lib.nvrtcGetPTX(prog, out)
        return out.value.decode()
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))


# bp_ctx (bp_kernel.h) as a NumPy record with C alignment: the kernel gets a pointer to it
_CTX_FIELDS = (
    [("n", "i8"), ("next", "i8")]
    + [(f, "i4") for f in ("S", "K", "nrec", "natm", "nfall", "spherical", "drag", "powered",
                           "constant_cd", "terminal_fall", "stop_at_impact", "fsal")]
    + [("max_iter", "i8")]
    + [(f, "f8") for f in ("rtol", "atol_pos", "atol_vel", "h0", "h_max", "tf_max_speed", "tf_tol",
                           "a", "e2", "mu", "j2", "om", "slope_rho", "slope_p", "rho0")]
    + [(f, "u8") for f in ("ln_rho", "ln_p", "snd", "d_rho", "d_p", "fall_s", "fall_q",
                           "y0", "t0", "seg_t_end", "seg_m0", "seg_mdot", "seg_thrust", "seg_exit_area",
                           "seg_ref_area", "cd_mach", "cd_val", "azimuth", "kick", "pitch_t0", "pitch_t1",
                           "u_fixed", "t_max", "seg_mode",
                           "o_t", "o_y", "o_apogee_alt", "o_apogee_t", "o_seg_state", "o_rec",
                           "o_impacted", "o_fell", "o_n_steps", "o_n_rhs", "o_n_reject", "o_n_rec")]
)
CTX_DTYPE = np.dtype(_CTX_FIELDS, align=True)


@lru_cache(maxsize=1)
def _function():
    """The kernel entry on the current device: PTX from :func:`ptx`, loaded by the driver."""
    import tempfile

    import cupy

    arch = f"compute_{cupy.cuda.Device().compute_capability}"
    with tempfile.NamedTemporaryFile("w", suffix=".ptx", delete=False) as f:
        f.write(ptx(arch))
        path = f.name
    try:
        return cupy.RawModule(path=path).get_function("bp_cuda_run")
    finally:
        os.unlink(path)


def integrate(case: Case, consts, atm, settings: Settings, fall_tab=None, *, block: int = 128) -> Result:
    """As :func:`boostphase.engine.integrate`, on the current CUDA device (cupy). Inputs are
    copied to the device once and results back once."""
    import cupy

    arrs = pack_case(case)
    n, S = arrs["seg_t_end"].shape
    K = arrs["cd_mach"].shape[-1]
    nrec = max(1, int(settings.n_rec))
    tf = bool(settings.terminal_fall and settings.drag)
    dev = {k: cupy.asarray(v) for k, v in arrs.items()}
    if settings.drag:
        ln_rho, ln_p, snd, slope_rho, slope_p, d_rho, d_p = atm
        tabs = [cupy.asarray(as_f64(x)) for x in (ln_rho, ln_p, snd, d_rho, d_p)]
        rho0 = float(np.exp(as_f64(ln_rho)[0]))
    else:
        tabs, slope_rho, slope_p, rho0 = [cupy.zeros(1)] * 5, 0.0, 0.0, 0.0
    falls = [cupy.asarray(as_f64(x)) for x in fall_tab] if tf else [cupy.zeros(1)] * 2
    shapes = {"t": (n,), "y": (n, 6), "impacted": (n,), "apogee_alt": (n,), "apogee_t": (n,),
              "seg_state": (n, S, 7), "n_steps": (n,), "n_rhs": (n,), "n_reject": (n,),
              "rec": (n, nrec, 7), "n_rec": (n,), "fell": (n,)}
    out = {k: cupy.empty(shapes[k], dtype=dt) for k, dt in RESULT_DTYPES.items()}
    a, e2, mu, j2, om = (float(x) for x in consts)
    ctx = np.zeros(1, CTX_DTYPE)
    vals = dict(n=n, next=0, S=S, K=K, nrec=nrec, natm=int(tabs[0].size) if settings.drag else 0,
                nfall=int(falls[0].size) if tf else 0, spherical=int(settings.spherical),
                drag=int(settings.drag), powered=int(settings.powered), constant_cd=int(settings.constant_cd),
                terminal_fall=int(tf), stop_at_impact=int(settings.stop_at_impact),
                fsal=int((not settings.powered) and S == 1), max_iter=int(settings.max_iter),
                rtol=settings.rtol, atol_pos=settings.atol_pos_m, atol_vel=settings.atol_vel_m_s,
                h0=settings.h0_s, h_max=settings.h_max_s, tf_max_speed=settings.terminal_fall_max_speed_m_s,
                tf_tol=settings.terminal_fall_tol, a=a, e2=e2, mu=mu, j2=j2, om=om,
                slope_rho=float(slope_rho), slope_p=float(slope_p), rho0=rho0)
    ptrs = dict(zip(("ln_rho", "ln_p", "snd", "d_rho", "d_p"), tabs, strict=True))
    ptrs.update(fall_s=falls[0], fall_q=falls[1], **dev)
    ptrs.update({("o_" + k): v for k, v in out.items()})
    for k, v in vals.items():
        ctx[k] = v
    for k, v in ptrs.items():
        ctx[k] = v.data.ptr
    d_ctx = cupy.asarray(ctx.view(np.uint8))
    fn = _function()
    sms = cupy.cuda.Device().attributes["MultiProcessorCount"]
    grid = max(1, min((n + block - 1) // block, 32 * sms))
    fn((grid,), (block,), (d_ctx,))
    cupy.cuda.Device().synchronize()
    return Result(**{k: cupy.asnumpy(v) for k, v in out.items()})
