"""Boost-phase engagements: UAV-borne interceptors against ICBMs in powered flight (claim C4).

The question the public studies ask (APS Study Group on Boost-Phase Intercept Systems, Rev. Mod.
Phys. 76, S1, 2004; Wilkening, Science & Global Security 12, 2004): can an interceptor launched
from where the aircraft may fly be at the ICBM's position before its engines stop, given the
seconds lost to detection and decision? This module answers it kinematically, at that public,
policy level. There is no homing or guidance law and no kill-vehicle design: the kill vehicle is
a divert budget (carried for reporting) and a minimum closing speed (a criterion), nothing more.

Model (every choice stated):

* **Threat** - a missile's boost track, sampled every ``sample_s`` (1 s) by
  :func:`~boostphase.flight.flyout.cutoff_flights` (exact states of the flight core; rotating WGS84
  Earth), plus a ballistic continuation after burnout (vacuum coast, for late-intercept margins).
* **Timeline** - interceptor launch time = detection delay + track/decision time + launch delay.
* **Interceptor** - one or two constant-thrust stages, each given by burn time and *ideal*
  velocity gain (vacuum, gravity-free rocket-equation delta-v; or stage masses and Isp, from which
  it is computed). The Isp only shapes the acceleration profile. Flown in vacuum by default,
  which is optimistic: US76 gives 15.9 % of sea-level air density at 15 km and 7.3 % at 20 km,
  not little enough to neglect for a shallow climb. :meth:`Interceptor.with_drag` flies the
  climb with drag (US76, a stated Cd and diameter, masses from the rocket equation:
  :class:`Airframe`).
* **Reach table** - the interceptor's kinematic reach is computed **once** per (interceptor,
  launch altitude, along-track launch speed) by flying a fan of constant-attitude shots (thrust
  held at a fixed elevation above the local horizontal, then a ballistic coast) in a vertical plane
  on the batched engine, on a spherical, non-rotating Earth (R = 6371 km, point-mass gravity).
  For each altitude row of a (ground range, altitude) grid, the crossings of every shot with the
  row (first crossing climbing, first crossing descending after the apex) are found; between
  adjacent shots of the fan the crossing time is interpolated linearly in range; the table holds
  the earliest arrival time over the fan, and the interceptor's velocity there. Queries are
  bilinear interpolations - nothing is re-integrated per query. The fan's earliest arrival is an
  upper bound on the true minimum time (no optimal steering), i.e. slightly conservative.
  :func:`direct_engagement` re-flies the fan per engagement on the rotating WGS84 Earth from the
  platform's real position, as an accuracy check and a benchmark baseline.
* **Platform** - a UAV orbit (centre, altitude, radius, speed, endurance, transit, interceptors).
  Reference point (stated per result): ``worst-point`` (default) measures ranges from the point
  of the orbit farthest from the intercept (centre distance + orbit radius) and gives the
  interceptor no along-track launch speed (there the aircraft's velocity is perpendicular to
  the line of fire); ``centre`` measures from the orbit centre and adds the aircraft's speed
  along the line of fire (optimistic).
* **Engagement** - earliest intercept time t*: the first time t after interceptor launch t_L with
  T(range(t), altitude(t)) <= t - t_L, refined between samples by linear interpolation of the
  slack; closing speed |v_interceptor - v_threat| there must reach the kill vehicle's minimum
  (else the next sample where it does is taken). Boost-phase intercept is possible if
  t* <= the latest useful time (``burnout``, or ``payload-short-of:COUNTRY``: the last sample at
  which thrust termination still leaves the payload's vacuum impact outside that country).
  Margin = burnout time - t* (negative = too late for boost phase).

Ranges for engagement geometry are great-circle distances on the 6371 km sphere between
geodetic latitude/longitude points (as in :mod:`boostphase.models.geography`), consistent with the
table's spherical Earth.

The package, lowest first (each module states its units):

* :mod:`~boostphase.engage.geometry` - the 6371 km sphere of engagement geometry.
* :mod:`~boostphase.engage.flightcore` - the one seam to the flight core's batch internals.
* :mod:`~boostphase.engage.interceptor` - :class:`Timeline`, :class:`KillVehicle`, :class:`Interceptor`.
* :mod:`~boostphase.engage.reach` - :class:`ReachTable`, :func:`build_reach_table`.
* :mod:`~boostphase.engage.threat` - :class:`Threat`, :class:`ThreatTrack`, :func:`prepare_threats`.
* :mod:`~boostphase.engage.platform` - :class:`Platform`, :class:`KeepOut`.
* :mod:`~boostphase.engage.engagement` - :class:`Engagement`, :func:`direct_engagement`.
* :mod:`~boostphase.engage.maps` - :func:`engagement_map`, :func:`sensitivity_table`.
* :mod:`~boostphase.engage.standoff` - guaranteed and best standoff (:func:`standoff_grid`).
* :mod:`~boostphase.engage.divert` - the kill vehicle's divert budget (:func:`divert_check`).
* :mod:`~boostphase.engage.logistics` - interceptors per aircraft, aircraft per orbit.
* :mod:`~boostphase.engage.scenario` - scenario files (:func:`load_scenario`).

Every name is importable from ``boostphase.engage`` as before the split (issue 16).
"""

from __future__ import annotations

from .divert import DivertCheck, divert_check
from .engagement import (
    Engagement,
    EngagementResult,
    direct_engagement,
    earliest_intercepts,
    earliest_over_centres,
)
from .geometry import R_SPHERE_M, ground_range_m, unit_vector
from .interceptor import G0, Airframe, Interceptor, InterceptorStage, KillVehicle, Timeline
from .logistics import AircraftClass, orbit_logistics
from .maps import Coverage, EngagementMap, engagement_map, sensitivity_table
from .platform import REFERENCES, KeepOut, Platform
from .reach import N_SHOTS, ReachTable, build_reach_table, cached_table
from .scenario import (
    AirframeSpec,
    InterceptorSpec,
    Isp,
    KeepOutCountry,
    KeepOutSpec,
    KillVehicleSpec,
    MapSpec,
    Mass,
    Meters,
    Place,
    PlatformDefaults,
    PlatformSpec,
    Scenario,
    ScenarioObjects,
    Seconds,
    SensitivitySpec,
    SiteSpec,
    Speed,
    StageSpec,
    ThreatSetSpec,
    ThreatSpec,
    TimelineSpec,
    load_scenario,
    parse_scenario,
)
from .standoff import StandoffGrid, standoff_grid
from .threat import CRITERIA, FLIGHT_CACHE, TRACK_CACHE, Threat, ThreatTrack, prepare_threats

# the flight and track caches under their names before the split (tests clear them)
_FLIGHTS = FLIGHT_CACHE
_TRACKS = TRACK_CACHE

__all__ = [
    "Timeline", "KillVehicle", "InterceptorStage", "Interceptor", "ReachTable", "Threat", "ThreatTrack",
    "Platform", "KeepOut", "Engagement", "EngagementResult", "EngagementMap", "Coverage",
    "engagement_map", "sensitivity_table", "direct_engagement", "build_reach_table", "earliest_intercepts",
    "Scenario", "ScenarioObjects", "load_scenario", "parse_scenario",
    # also public (module-level names of engage.py before the split)
    "prepare_threats", "earliest_over_centres", "cached_table", "unit_vector", "ground_range_m",
    "G0", "R_SPHERE_M", "N_SHOTS", "CRITERIA", "REFERENCES", "FLIGHT_CACHE", "TRACK_CACHE",
    "TimelineSpec", "KillVehicleSpec", "StageSpec", "InterceptorSpec", "SiteSpec", "ThreatSpec",
    "ThreatSetSpec", "PlatformDefaults", "PlatformSpec", "KeepOutCountry", "KeepOutSpec", "MapSpec",
    "SensitivitySpec", "Seconds", "Meters", "Speed", "Isp", "Mass", "Place",
    # issue 17: C4 decision-grade
    "Airframe", "AirframeSpec", "StandoffGrid", "standoff_grid", "DivertCheck", "divert_check", "AircraftClass", "orbit_logistics",
]
