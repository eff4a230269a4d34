"""The flight core's batch functions that the engagement analysis drives, behind one seam.

The engagement analysis flies interceptor fans, threat boost tracks and batched min-energy
searches through the flight core's engine-level functions (arrays in, arrays out), all public
API of :mod:`boostphase.flight.flyout`; each is imported when first called (so ``import
boostphase.engage`` stays light).
"""

from __future__ import annotations


def run_engine(arrays: dict, earth, settings, **kw) -> dict:
    """Integrate a batch of cases given as arrays (:func:`boostphase.flight.flyout.run_cases`)."""
    from ..flight.flyout import run_cases

    return run_cases(arrays, earth, settings, **kw)


def engine_settings(earth, drag: bool, **kw):
    """Engine settings for an Earth model, with or without drag (:func:`boostphase.flight.flyout.engine_settings`)."""
    from ..flight import flyout as flight

    return flight.engine_settings(earth, drag, **kw)


def cd_table(cd_mach):
    """(Mach, Cd) table padded to the engine's length (:func:`boostphase.flight.flyout.cd_table`)."""
    from ..flight import flyout as flight

    return flight.cd_table(cd_mach)


def flyout_arrays(*args, **kw):
    """Engine arrays of a missile's powered flights (:func:`boostphase.flight.flyout.flyout_cases`)."""
    from ..flight.flyout import flyout_cases

    return flyout_cases(*args, **kw)


def flyer(*args, **kw):
    """A missile flight job for the batched searches (:class:`boostphase.flight.flyout.Flyer`)."""
    from ..flight.flyout import Flyer

    return Flyer(*args, **kw)


def max_range_kicks(jobs) -> list[tuple[float, float]]:
    """Max-range pitch-over kicks of several flight jobs, searched together."""
    from ..flight import flyout as flight

    return flight.max_range_kicks(jobs)


def trajectories(jobs) -> list:
    """Recorded trajectories of several flight jobs in one engine call."""
    from ..flight.flyout import fly_trajectories

    return fly_trajectories(jobs)
