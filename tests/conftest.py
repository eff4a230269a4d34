"""Fixtures shared by several test modules (computed once per test session)."""

from __future__ import annotations

import pytest

SITE = (39.0, 125.7)  # near Pyongyang
AZ = 45.0             # north-east: over Russia's Far East toward North America


@pytest.fixture(scope="session")
def missile():
    """The Hwasong-15 class model of the catalog."""
    from boostphase.models.vehicles import load

    return load("hwasong-15")


@pytest.fixture(scope="session")
def me_traj(missile):
    """The min-energy Hwasong-15 class flight from SITE on azimuth AZ (about 10,400 km)."""
    from boostphase.flight.flyout import fly

    return fly(missile, *SITE, azimuth_deg=AZ, profile="min-energy")
