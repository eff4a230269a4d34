"""Constants and stated assumptions shared by the consequence analysis."""


from __future__ import annotations

from ..models.constants import SPHERE_R_KM

RNG_BLOCK = 256
"""Fragments per random-number block (part of the reproducibility contract: changing it
changes every result for a given seed)."""

DEFAULT_WINDOW_START_S = 60.0
"""Assumed earliest intercept (s after launch) where the engagement analysis gives none."""

ENGAGEMENT = "engagement"
DEFAULT_ENGAGEMENT = "c4_sea_of_japan.toml"
"""The example UAV laydown (in ``examples/``) used by ``window = "engagement"`` without an
``[engagement]`` table of its own."""

WILSON_Z = 1.959963984540054  # two-sided 95 %
EARTH_RADIUS_KM = SPHERE_R_KM  # sphere for city distances (as boostphase.models.geography)
TERRITORIAL_SEA_KM = 22.224   # 12 nautical miles
NO_IMPACT = "no impact"

CLAIM_THRESHOLD = 0.9
"""Our reading of "almost certainly": at least 90 % of the cases."""

ASSUMPTIONS = {
    "window": "intercept window from the engagement analysis' earliest intercept (window = "
              "\"engagement\") or given in the scenario; otherwise assumed from 60 s after launch to burnout",
    "payload": "after thrust stops the payload flies alone with the scenario's ballistic coefficient",
    "stages": "spent stage beta = dry mass / (Cd 1.0 x reference area) unless given (end-on; "
              "tumbling broadside gives a lower beta)",
    "territory": "countries' land only (Natural Earth 1:10m); seas are named seas, not territory",
    "integration": "fragments at the scenario's rtol (default 1e-4: impact points within ~20 m of a "
                   "DOP853 rtol 1e-10 integration); a fragment at its terminal speed (<= 100 m/s) ends "
                   "with the quasi-steady terminal fall (under ~1 m in the impact point, under 1 % in time)",
}


