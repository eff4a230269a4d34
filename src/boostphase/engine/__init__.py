"""The batched float64 flight engine: arrays in, arrays out, over a compiled C kernel.

Public interface (shapes and units in :mod:`boostphase.engine.kernel`): :class:`Case`,
:class:`Settings`, :class:`Result`, :func:`integrate`; :func:`available_paths`,
:func:`default_threads`, :func:`altitude_and_vspeed`, :func:`table_lookup`. The GPU build of the same kernel is
:mod:`boostphase.engine.gpu` (optional ``[gpu]`` extra).
"""

from .kernel import (
    T_INF,
    Case,
    Result,
    Settings,
    altitude_and_vspeed,
    available_paths,
    default_threads,
    integrate,
    pack_case,
    table_lookup,
)

__all__ = ["T_INF", "Case", "Result", "Settings", "altitude_and_vspeed", "available_paths",
           "default_threads", "integrate", "pack_case", "table_lookup"]
