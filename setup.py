"""Builds the engine's C kernel (boostphase.engine.cengine); everything else is in pyproject.toml.

Flags: -O3 without fast-math, and -ffp-contract=off so that no a*b+c becomes a fused
multiply-add: the scalar, AVX2 and AVX-512 builds of the same source then give the same bits
(tests/test_engine.py). -fno-math-errno only lets sqrt compile to the (correctly rounded)
instruction instead of a libm call for negative inputs. The packet files choose their
instruction set with `#pragma GCC target`; the module picks one at run time.
"""

from setuptools import Extension, setup

ENGINE = "src/boostphase/engine/"
CFLAGS = ["-O3", "-std=gnu11", "-fno-fast-math", "-ffp-contract=off", "-fno-math-errno",
          "-fno-strict-aliasing", "-pthread", "-Wno-psabi", "-Wno-maybe-uninitialized",
          "-Wno-unused-function"]

setup(
    ext_modules=[
        Extension(
            "boostphase.engine.cengine",
            sources=[ENGINE + f for f in ("bp_module.c", "bp_scalar.c", "bp_avx2.c", "bp_avx512.c")],
            depends=[ENGINE + f for f in ("bp_math.h", "bp_kernel.h", "bp_body.h", "bp_packet.h", "bp_cpu.h")],
            extra_compile_args=CFLAGS,
            extra_link_args=["-pthread"],
        )
    ]
)
