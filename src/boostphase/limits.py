"""Allowed ranges of the inputs that several surfaces share, in one table.

The CLI, the web request specs, scenario and sweep files and the Python functions check a
field against the same ``Limit``, so one quantity cannot be accepted by one surface and refused
by another (before this table the ballistic coefficient was range-checked five different ways).
Values are SI or degrees, as the names say; ``Limit.check`` gives the one-line error (field,
value, allowed range) of :class:`boostphase.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import check_range


@dataclass(frozen=True)
class Limit:
    """An allowed closed interval [lo, hi] in ``unit``, and why these bounds."""

    lo: float
    hi: float
    unit: str
    why: str = ""

    def check(self, field: str, value) -> float:
        """``value`` as a float, or InputError naming ``field``, the value and the range."""
        return check_range(field, value, self.lo, self.hi, self.unit)

    def check_array(self, field: str, arr) -> None:
        """InputError naming the first out-of-range (or NaN) element of ``arr``."""
        a = np.asarray(arr, float)
        bad = ~((a >= self.lo) & (a <= self.hi))
        if np.any(bad):
            check_range(field, float(a[bad].flat[0]), self.lo, self.hi, self.unit)

    def scaled(self, factor: float, unit: str) -> Limit:
        """The same interval in another unit (``factor`` converts this unit to ``unit``)."""
        return Limit(self.lo * factor, self.hi * factor, unit, self.why)


LAT_DEG = Limit(-90.0, 90.0, "deg", "geodetic latitude")
# -360..360: a track that crosses the antimeridian may be written either way (170 or -190)
LON_DEG = Limit(-360.0, 360.0, "deg", "longitude, east positive")
AZIMUTH_DEG = Limit(-360.0, 360.0, "deg", "clockwise from north")
FLIGHT_PATH_DEG = Limit(-90.0, 90.0, "deg", "angle above the local horizontal")
# from 10 km below the ellipsoid (the Dead Sea shore is -0.4 km; margin for geoid tests) to
# 50,000 km (beyond any ballistic apogee; past that a coast is a lunar trajectory)
START_ALT_M = Limit(-1.0e4, 5.0e7, "m", "start altitude above the ellipsoid")
# up to 20 km/s: above Earth escape speed at the surface (11.2 km/s) with margin
SPEED_M_S = Limit(0.0, 2.0e4, "m/s", "speed relative to the ground")
# a tumbling sheet of tank skin is ~10 kg/m^2, re-entry vehicles 1e3-1e5 kg/m^2 (Regan &
# Anandakrishnan); 1 to 1e6 brackets every body a scenario needs, and vacuum is written as empty
BETA_KG_M2 = Limit(1.0, 1.0e6, "kg/m^2", "ballistic coefficient m/(Cd A)")
KICK_DEG = Limit(0.0, 89.0, "deg", "pitch-over kick from the vertical")
