"""The kill vehicle's divert budget against the threat's predicted-position uncertainty (APS level).

No guidance law and no end-game model: a kill vehicle that must remove a miss distance M (m)
within a time to go t_go (s) needs at least M / t_go of velocity change if it diverts at once
(an impulsive divert at the start of the end-game; spread evenly over t_go it needs twice that).
The miss to remove is ``n_sigma`` times the 1-sigma predicted-position uncertainty of the threat
at intercept, either stated (``sigma_m``) or from an unpredicted threat acceleration
(``accel_sigma_m_s2``) acting over the time to go: a t_go^2 / 2 (both: root sum of squares).
With the acceleration alone the required divert is n a t_go / 2, so a budget dv covers time to
go up to 2 dv / (n a): the last track update must come no earlier than that before intercept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError, check_range


@dataclass(frozen=True)
class DivertCheck:
    """The result of :func:`divert_check` (m, s, m/s)."""

    budget_m_s: float
    time_to_go_s: float
    sigma_m: float
    n_sigma: float
    required_m_s: float
    max_time_to_go_s: float | None

    @property
    def sufficient(self) -> bool:
        return self.required_m_s <= self.budget_m_s

    def row(self) -> dict:
        return {"divert_budget_km_s": self.budget_m_s / 1e3, "time_to_go_s": self.time_to_go_s,
                "predicted_position_sigma_m": self.sigma_m, "n_sigma": self.n_sigma,
                "required_divert_km_s": self.required_m_s / 1e3, "sufficient": self.sufficient,
                "capability_m": self.budget_m_s * self.time_to_go_s,
                "max_time_to_go_s": self.max_time_to_go_s}


def divert_check(budget_m_s: float, time_to_go_s: float, *, sigma_m: float | None = None,
                 accel_sigma_m_s2: float | None = None, n_sigma: float = 3.0) -> DivertCheck:
    """Required divert (m/s) against the budget for one time to go (s); see the module doc."""
    dv = check_range("divert budget", budget_m_s, 0.0, 1e4, "m/s")
    t = check_range("time to go", time_to_go_s, 0.1, 3600.0, "s")
    k = check_range("n_sigma", n_sigma, 0.5, 10.0, "")
    if sigma_m is None and accel_sigma_m_s2 is None:
        raise InputError("divert", None, "a predicted-position sigma (m) or an acceleration uncertainty (m/s^2)")
    s0 = 0.0 if sigma_m is None else check_range("prediction sigma", sigma_m, 0.0, 1e6, "m")
    a = 0.0 if accel_sigma_m_s2 is None else check_range("acceleration sigma", accel_sigma_m_s2, 0.0, 1e3, "m/s^2")
    sigma = math.hypot(s0, a * t * t / 2.0)
    required = k * sigma / t
    # the longest time to go the budget covers (acceleration alone: closed form)
    tmax = 2.0 * dv / (k * a) if a > 0 and s0 == 0.0 else None
    return DivertCheck(dv, t, sigma, k, required, tmax)
