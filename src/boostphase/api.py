"""The front door: the names an analyst uses, from one place.

>>> from boostphase.api import load, fly, coast, SPHERE
>>> nodong = load("no-dong")
>>> round(nodong.launch_mass_kg)
20900
>>> hit = coast(39.0, 125.7, 100e3, 6000.0, 20.0, 45.0, earth=SPHERE)
>>> round(float(hit.range_m[0]) / 1e3)
4979

Physics lives in the modules below; this file only re-exports them (Skyfield's lesson: one
obvious way in, small domain-named objects behind it).
"""

from .claims.check import check_claim
from .consequence import footprint, shortfall_trace
from .engage import Engagement, Interceptor, KeepOut, Platform, Threat, Timeline, engagement_map
from .errors import InputError
from .flight.flyout import (
    CoastResult,
    CutoffResult,
    Steering,
    Trajectory,
    coast,
    cutoff_flights,
    fly,
)
from .models.earth import SPHERE, WGS84, Earth, earth_model
from .models.geography import find_city, nearest_city, territory
from .models.vehicles import Missile, Stage, catalog, from_text, load
from .reconstruct.overflight import overflight
from .reconstruct.reconstruction import reconstruct
from .reconstruct.testflights import load_tests
from .scenario.registry import run_scenario, scenario_kinds, scenario_schema

__all__ = [
    "SPHERE", "WGS84", "CoastResult", "CutoffResult", "Earth", "Engagement", "InputError", "Interceptor",
    "KeepOut", "Missile", "Platform", "Stage", "Steering", "Threat", "Timeline", "Trajectory", "catalog",
    "check_claim", "coast", "cutoff_flights", "earth_model", "engagement_map", "find_city", "fly", "footprint",
    "from_text", "load", "load_tests", "nearest_city", "overflight", "reconstruct", "run_scenario",
    "scenario_kinds", "scenario_schema", "shortfall_trace", "territory",
]
