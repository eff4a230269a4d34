"""Engagement geometry on the 6371 km sphere: the radius and unit vectors of geodetic points.

Ranges between the aircraft and the threat are great-circle distances on this sphere between
geodetic latitude/longitude points (as in :mod:`boostphase.models.geography`), consistent with the
reach tables' spherical Earth.
"""

from __future__ import annotations

import numpy as np

from ..models.constants import SPHERE_R_M

R_SPHERE_M = SPHERE_R_M
"""Sphere radius (m) for engagement geometry (as :data:`boostphase.models.geography.EARTH_RADIUS_KM`)."""


def unit_vector(lat_deg, lon_deg) -> np.ndarray:
    """Unit vectors (..., 3) of points given by latitude and longitude (deg; arrays broadcast)."""
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    c = np.cos(la)
    return np.stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)], axis=-1)


def ground_range_m(lat0_deg, lon0_deg, lat1_deg, lon1_deg) -> np.ndarray:
    """Great-circle distance (m) on the 6371 km sphere between geodetic points (arrays broadcast)."""
    c = np.einsum("...k,...k->...", unit_vector(lat0_deg, lon0_deg), unit_vector(lat1_deg, lon1_deg))
    return np.arccos(np.clip(c, -1.0, 1.0)) * R_SPHERE_M
