"""The flight core's batch functions that the engagement analysis drives, behind one seam.

The engagement analysis flies interceptor fans, threat boost tracks and batched min-energy
searches through the flight core's engine-level functions (arrays in, arrays out), all public
API of :mod:`boostphase.flight`; each is imported when first called (so ``import
boostphase.engage`` stays light).
"""

from __future__ import annotations


def run_engine(arrays: dict, earth, settings, **kw) -> dict:
    """Integrate a batch of cases given as arrays (:func:`boostphase.flight.run_cases`)."""
    from ..flight import run_cases

    return run_cases(arrays, earth, settings, **kw)


def engine_settings(earth, drag: bool, **kw):
    """Engine settings for an Earth model, with or without drag (:func:`boostphase.flight.engine_settings`)."""
    from .. import flight

    return flight.engine_settings(earth, drag, **kw)


def cd_table(cd_mach):
    """(Mach, Cd) table padded to the engine's length (:func:`boostphase.flight.cd_table`)."""
    from .. import flight

    return flight.cd_table(cd_mach)


def flyout_arrays(*args, **kw):
    """Engine arrays of a missile's powered flights (:func:`boostphase.flight.flyout_cases`)."""
    from ..flight import flyout_cases

    return flyout_cases(*args, **kw)


def flyer(*args, **kw):
    """A missile flight job for the batched searches (:class:`boostphase.flight.Flyer`)."""
    from ..flight import Flyer

    return Flyer(*args, **kw)


def max_range_kicks(jobs) -> list[tuple[float, float]]:
    """Max-range pitch-over kicks of several flight jobs, searched together."""
    from .. import flight

    return flight.max_range_kicks(jobs)


def trajectories(jobs) -> list:
    """Recorded trajectories of several flight jobs in one engine call."""
    from ..flight import fly_trajectories

    return fly_trajectories(jobs)
