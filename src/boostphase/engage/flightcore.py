"""The flight core's batch internals that the engagement analysis drives, behind one seam.

The engagement analysis flies interceptor fans, threat boost tracks and batched min-energy
searches through the flight core's engine-level functions (arrays in, arrays out). Those are
private to :mod:`boostphase.flight`; this module is the only place in the package that reaches
them, each imported when first called (so ``import boostphase.engage`` stays light). When the
flight core makes them public, only this file changes.
"""

from __future__ import annotations


def run_engine(arrays: dict, earth, settings, **kw) -> dict:
    """Integrate a batch of cases given as arrays (``flight._run``; shapes and units there)."""
    from ..flight import _run

    return _run(arrays, earth, settings, **kw)


def engine_settings(earth, drag: bool, **kw):
    """Engine settings for an Earth model, with or without drag (``flight._settings``)."""
    from ..flight import _settings

    return _settings(earth, drag, **kw)


def cd_table(cd_mach):
    """(Mach, Cd) table padded to the engine's length (``flight._cd_table``)."""
    from ..flight import _cd_table

    return _cd_table(cd_mach)


def flyout_arrays(*args, **kw):
    """Engine arrays of a missile's powered flights (``flight._flyout_arrays``)."""
    from ..flight import _flyout_arrays

    return _flyout_arrays(*args, **kw)


def flyer(*args, **kw):
    """A missile flight job for the batched searches (``flight._Flyer``)."""
    from ..flight import _Flyer

    return _Flyer(*args, **kw)


def max_range_kicks(jobs) -> list[tuple[float, float]]:
    """Max-range pitch-over kicks of several flight jobs, searched together (``flight._max_range_kicks``)."""
    from ..flight import _max_range_kicks

    return _max_range_kicks(jobs)


def trajectories(jobs) -> list:
    """Recorded trajectories of several flight jobs in one engine call (``flight._trajectories``)."""
    from ..flight import _trajectories

    return _trajectories(jobs)
