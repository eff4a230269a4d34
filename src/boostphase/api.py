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

Units: one convention
---------------------
* **Inside, SI floats, the unit in the name.** Arguments and attributes are metres, seconds,
  kilograms, m/s (``range_m``, ``apogee_m``, ``burn_time_s``, ``payload_kg``,
  ``speed_m_s``); angles are degrees and say so (``lat_deg``, ``azimuth_deg``). A name without
  a unit is dimensionless (``mach``) or a count or a label. Scenario files and the CLI take
  quantities with units (``"1,000 km"``); they are parsed once, at that boundary.
* **Display fields are derived, and named too.** Where people read kilometres, a result offers
  a derived field whose name carries the display unit: ``Trajectory.range_km`` next to
  ``range_m``, the JSON views' ``apogee_km`` and ``speed_km_s``, the tables' ``alt_km``.
  A probability is a fraction 0-1 named ``p_...``.
* **Results are objects as the user thinks of them**, and data on request:
  :class:`Trajectory`, :class:`CoastResult`, :class:`Reconstruction`,
  :class:`EngagementResult`, :class:`Footprint` and :class:`C5Answer` have a one-line ``repr``
  of their key figures with units, ``to_dataframe()`` (pandas) and ``to_xarray()`` with the
  units in the column names and in ``attrs["units"]``, a table in notebooks, and
  ``plot(ax=None)`` (matplotlib). Where an analysis answers with a dict (:func:`reconstruct`,
  :func:`answer_c5`), the result *is* that dict (every key as before, JSON as before) with those
  methods added; ``to_dict()`` gives a plain dict.

>>> t = fly(nodong, 39.0, 125.7, azimuth_deg=40.0)
>>> t.range_km == t.range_m / 1e3
True
>>> list(t.to_dataframe().columns[:4])
['t_s', 'lat_deg', 'lon_deg', 'alt_km']
"""

from __future__ import annotations

import functools
import inspect

from .claims.c5_answer import C5Answer
from .claims.check import check_claim
from .consequence import footprint, shortfall_trace
from .consequence.footprint import Footprint
from .engage import (
    Engagement,
    EngagementResult,
    Interceptor,
    KeepOut,
    Platform,
    Threat,
    Timeline,
    engagement_map,
)
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
from .reconstruct import reconstruction
from .reconstruct.overflight import overflight
from .reconstruct.reconstruction import Reconstruction
from .reconstruct.testflights import load_tests
from .scenario.registry import run_scenario, scenario_kinds, scenario_schema


@functools.wraps(reconstruction.reconstruct, assigned=(), updated=())  # its signature, for help()
def reconstruct(*args, **kwargs) -> Reconstruction:
    """Reconstruct a lofted test from its reported apogee and range (km; flight time in s): the
    fitted vehicle, its maximum range on a minimum-energy trajectory with a burn-time band, and
    (with ``launch=``) its reach by azimuth and the ``cities`` in reach. Arguments as
    :func:`boostphase.reconstruct.reconstruction.reconstruct` (``apogee_km``, ``range_km``,
    ``flight_time_s``, ``launch``, ``test_azimuth_deg``, ``missile``, ``cities``,
    ``sensitivity``, ``n_azimuths``, ``reach``).

    Returns a :class:`Reconstruction`: the dict of ``boostphase reconstruct --json`` with a
    one-line repr, ``to_dataframe()`` (``"variants"``, ``"reach"``, ``"cities"``),
    ``to_xarray()`` and ``plot()``."""
    return Reconstruction(reconstruction.reconstruct(*args, **kwargs))


reconstruct.__signature__ = inspect.signature(reconstruction.reconstruct).replace(return_annotation="Reconstruction")

def answer_c5(settings: dict | None = None, *, chunk: int = 1000, workers: int = 1,
              progress=None, keep_samples: bool = False) -> C5Answer:
    """Claim C5 as a probability: P(payload on Russian land | boost-phase intercept) per target
    and firing policy, with 95 % intervals (:mod:`boostphase.claims.c5`).

    ``settings``: the keys of a scenario file's ``[c5]`` table (``targets``, ``missiles``,
    ``sites``, ``n``, ``seed``, delays and speeds as quantities such as ``"45 s"``...); None
    takes the defaults. ``chunk``: samples per engine batch; ``workers``: threads. Returns a
    :class:`C5Answer` (the dict of ``boostphase c5-probability --json``, with a repr, tables
    and a plot). ``keep_samples``: also keep every sample (``"samples"``, ``"context"``: not
    JSON), which ``plot(what="cloud")`` needs to map the payload impact points."""
    from .claims import c5

    return C5Answer(c5.analyse(c5.c5_spec(settings), chunk=chunk, progress=progress, workers=workers,
                               keep_samples=keep_samples))


__all__ = [
    "SPHERE", "WGS84", "C5Answer", "CoastResult", "CutoffResult", "Earth", "Engagement", "EngagementResult",
    "Footprint", "InputError", "Interceptor", "KeepOut", "Missile", "Platform", "Reconstruction", "Stage",
    "Steering", "Threat", "Timeline", "Trajectory", "answer_c5", "catalog", "check_claim", "coast",
    "cutoff_flights", "earth_model", "engagement_map", "find_city", "fly", "footprint", "from_text", "load",
    "load_tests", "nearest_city", "overflight", "reconstruct", "run_scenario", "scenario_kinds",
    "scenario_schema", "shortfall_trace", "territory",
]
