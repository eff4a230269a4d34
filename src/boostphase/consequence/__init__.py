"""Consequences of a boost-phase intercept: where the payload and the debris fall (claim C5).

Two analyses, both on the batched engine:

* :func:`shortfall_trace` — the payload's impact point if thrust stops at each moment of boost
  (every ``dt_s`` seconds up to burnout): one batched engine call
  (:func:`boostphase.flight.flyout.cutoff_flights`) flies the threat with its thrust cut at every time
  and the payload coasts on alone, with its ballistic coefficient and re-entry drag. Each point
  gets a territory (country or named sea), the nearest city and its distance;
  :func:`territory_intervals` turns the trace into cut-off-time intervals per territory and
  :func:`share_of_window` into the share of an intercept window that lands in each.
* :func:`footprint` — a Monte Carlo of booster fragments from the intercept state (velocity
  kicks, isotropic or in a cone; log-normal or uniform magnitude; log-normal ballistic
  coefficients), each flown to the ground with drag by the batched engine
  (:func:`boostphase.flight.flyout.coast_states`), plus the intact payload and the spent stages
  dropped before the intercept. Shares by territory come with Wilson score intervals. Density
  contours are cut at the antimeridian for GeoJSON/KML (:func:`split_antimeridian`).
* :func:`beta_sensitivity` — the share of the window per territory for several payload
  ballistic coefficients (:data:`SWEEP_BETAS`), every (beta, cut-off) pair in one batched
  engine call (:func:`cutoff_impacts_by_beta`).

Reproducibility contract (footprint)
-----------------------------------
The same seed gives bit-identical results whatever the chunking, serial or parallel:

* Random draws depend only on (seed, fragment index): fragments are grouped in fixed blocks of
  :data:`RNG_BLOCK` consecutive indices; block ``b`` draws from
  ``PCG64(SeedSequence(seed, spawn_key=(b,)))`` in a fixed order. A chunk regenerates the blocks
  it overlaps and keeps its slice.
* The engine's result for a case depends on that case's inputs alone: bit-identical whatever
  batch it is in, its position, the thread count and the instruction set (tests/test_engine.py).
  So fragments may be grouped by intercept time and sorted by ballistic coefficient and grouped
  freely.

Assumptions stated by this module (and in every result's ``assumptions``):

* The intercept window: with ``[intercept] window = "engagement"`` (the C5 examples) it opens at
  the earliest intercept that the engagement analysis (:mod:`boostphase.engage`, the same code
  as ``boostphase engage``) finds for this threat from the UAV laydown of the ``[engagement]``
  table (default: the example laydown :data:`DEFAULT_ENGAGEMENT`) and closes at burnout. Where
  no orbit can intercept before burnout, or no engagement is asked for, it is ASSUMED to run
  from 60 s after launch to burnout; every result says which (``intercept.window_source`` and
  ``window_note``). The intercept time is spread evenly over the window.
* A spent stage's ballistic coefficient defaults to its dry mass over (Cd 1.0 x its reference
  area): a stage falling end-on; tumbling broadside it would show more area (lower beta).
* The intact payload is the payload alone (no upper stage attached) from the moment thrust
  stops, with the scenario's payload beta.
* "Territory" is the land of a country (Natural Earth 1:10m); named seas are not any country's
  territory, though a point within 12 nmi of a coast lies in that country's territorial sea:
  :func:`c5_answer` reports that reading separately.
* Fragments are integrated at rtol 1e-4 (impact points within ~20 m of a DOP853 rtol 1e-10
  integration; ``rtol`` in the scenario changes it), and a slow light fragment's last stretch
  (terminal speed <= 100 m/s) is the quasi-steady terminal fall (under ~1 m in the impact
  point, under 1 % in the fall time: see ``boostphase.engine.kernel._terminal_fall``).

Public, policy-level kinematics only (the level of the APS boost-phase study).
"""

from __future__ import annotations

from ..resources import examples_dir  # noqa: F401  (the shipped example scenario files)
from .answer import C5_CLAIM, RUSSIA, WINDOW_STARTS_S, c5_answer, c5_summary, scenario_dict  # noqa: F401
from .common import (  # noqa: F401
    ASSUMPTIONS,
    CLAIM_THRESHOLD,
    DEFAULT_ENGAGEMENT,
    DEFAULT_WINDOW_START_S,
    EARTH_RADIUS_KM,
    ENGAGEMENT,
    NO_IMPACT,
    RNG_BLOCK,
    TERRITORIAL_SEA_KM,
    WILSON_Z,
)
from .footprint import (  # noqa: F401
    Footprint,
    engagement_threat,
    engagement_window,
    footprint,
    resolve_window,
    split_antimeridian,
    window_note,
)
from .fragments import (  # noqa: F401
    FragmentSource,
    cities_at_risk,
    coast_lanes,
    fly_fragment_chunk,
    fragment_draws,
    initial_states,
    territory_shares,
    wilson_interval,
)
from .scenario import (  # noqa: F401
    Beta,
    BetaDist,
    EngagementSpec,
    Fragments,
    Intercept,
    Kick,
    Report,
    Scenario,
    Seconds,
    Speed,
    Threat,
    load_scenario,
    parse_scenario,
)
from .shortfall import (  # noqa: F401
    SWEEP_BETAS,
    ShortfallTrace,
    beta_label,
    beta_sensitivity,
    cutoff_grid,
    cutoff_impacts_by_beta,
    parse_betas,
    resolve_missile,
    share_of_window,
    shortfall_trace,
    territory_intervals,
    wrap_lon,
)
