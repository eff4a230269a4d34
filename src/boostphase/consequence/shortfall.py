"""Where the payload lands if thrust stops at each moment of boost (the shortfall trace), and its sensitivity to the payload's ballistic coefficient."""


from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, check_range
from ..limits import BETA_KG_M2
from ..models.earth import WGS84, Earth
from .common import NO_IMPACT

# ------------------------------------------------------------------------------------------
# shortfall trace
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShortfallTrace:
    """Where the payload lands if thrust stops at each ``cutoff_s`` (s after launch)."""

    missile: str
    launch: tuple[float, float]
    target: tuple[float, float] | None
    azimuth_deg: float
    kick_deg: float
    burnout_s: float
    beta_kg_m2: float | None
    nominal_impact: tuple[float, float] | None  # None: the full flight does not land
    cutoff_s: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    impacted: np.ndarray
    territory: np.ndarray
    nearest_city: np.ndarray
    nearest_city_km: np.ndarray
    intervals: list[dict] = field(default_factory=list)
    state: np.ndarray | None = None  # (n, 6) Earth-fixed state at each cut-off (m, m/s)

    def rows(self) -> list[dict]:
        """The trace as the CLI's JSON contract."""
        return [{"cutoff_s": float(t), "lat": float(a), "lon": float(b), "territory": str(te),
                 "nearest_city": str(c), "nearest_city_km": float(d)}
                for t, a, b, te, c, d in zip(self.cutoff_s, self.lat, self.lon, self.territory,
                                              self.nearest_city, self.nearest_city_km, strict=True)]

    def share_of_window(self, window_from_s: float, window_to_s: float) -> dict[str, float]:
        return share_of_window(self.intervals, window_from_s, window_to_s)

    def to_dict(self) -> dict:
        return {
            "missile": self.missile,
            "launch": {"lat": self.launch[0], "lon": self.launch[1]},
            "target": None if self.target is None else {"lat": self.target[0], "lon": self.target[1]},
            "azimuth_deg": self.azimuth_deg, "kick_deg": self.kick_deg,
            "burnout_s": self.burnout_s, "beta_kg_m2": self.beta_kg_m2,
            # None when the threat's full flight does not land (orbital): no impact point
            "nominal_impact": dict(zip(("lat", "lon"), self.nominal_impact or (None, None), strict=True)),
            "trace": self.rows(), "intervals": self.intervals,
        }


def resolve_missile(missile, payload_kg: float | None = None):
    """A Missile from a catalog name, a vehicle-file path or a Missile, with its payload
    replaced by ``payload_kg`` (kg) when given."""
    from ..models.vehicles import load

    m = load(missile) if isinstance(missile, str) else missile
    if payload_kg is not None:
        m = m.with_payload(payload_kg)
    return m


def cutoff_grid(t_from_s: float, t_to_s: float, dt_s: float) -> np.ndarray:
    """Cut-off times from ``t_from_s`` every ``dt_s`` seconds, with ``t_to_s`` always the last."""
    check_range("dt_s", dt_s, 1e-3, 600.0, "s")
    if not 0.0 < t_from_s <= t_to_s:
        raise InputError("t_from_s", t_from_s, f"> 0 s and <= {t_to_s:g} s (the end of the trace)")
    t = np.arange(t_from_s, t_to_s, dt_s, dtype=float)
    if t.size == 0 or t[-1] < t_to_s - 1e-9:
        t = np.append(t, t_to_s)
    return t


def shortfall_trace(missile, launch: tuple[float, float], target: tuple[float, float] | None = None,
                    beta_kg_m2: float | None = None, dt_s: float = 1.0, t_from_s: float | None = None,
                    t_to_s: float | None = None, *, azimuth_deg: float | None = None,
                    profile: str | None = None, trajectory=None, steering=None,
                    earth: Earth = WGS84) -> ShortfallTrace:
    """Payload impact for thrust termination at each moment of boost.

    ``missile``: a catalog name or a :class:`~boostphase.models.vehicles.Missile`. The threat is flown
    with ``profile`` (default ``"target"`` when a target is given, else ``"min-energy"`` on
    ``azimuth_deg``) unless a ready :class:`~boostphase.flight.flyout.Trajectory` is passed. The
    payload then flies alone from each cut-off with ``beta_kg_m2`` (None: vacuum). Cut-offs run
    from ``t_from_s`` (default ``dt_s``) to ``t_to_s`` (default burnout) every ``dt_s`` seconds.
    """
    from ..flight.flyout import cutoff_flights, fly
    from ..models.geography import nearest_city, territory

    m = resolve_missile(missile)
    lat0, lon0 = float(launch[0]), float(launch[1])
    if beta_kg_m2 is not None:
        beta_kg_m2 = BETA_KG_M2.check("beta_kg_m2", beta_kg_m2)
    if trajectory is None:
        prof = profile or ("target" if target is not None else "min-energy")
        trajectory = fly(m, lat0, lon0, azimuth_deg=azimuth_deg, target=target, profile=prof,
                         earth=earth, steering=steering)
    t_bo = float(m.boost_time_s)
    t_to = t_bo if t_to_s is None else check_range("t_to_s", t_to_s, 0.0, t_bo, "s")
    times = cutoff_grid(dt_s if t_from_s is None else float(t_from_s), t_to, dt_s)
    res = cutoff_flights(m, lat0, lon0, trajectory.azimuth_deg, trajectory.kick_deg, times,
                         beta_kg_m2=beta_kg_m2, steering=steering, earth=earth)
    lat, lon = res.impact_lat_deg, wrap_lon(res.impact_lon_deg)
    terr = territory(lat, lon).astype(object)
    terr[~res.impacted] = NO_IMPACT
    names, km = nearest_city(lat, lon)
    return ShortfallTrace(
        missile=m.name, launch=(lat0, lon0), target=None if target is None else tuple(map(float, target)),
        azimuth_deg=float(trajectory.azimuth_deg), kick_deg=float(trajectory.kick_deg), burnout_s=t_bo,
        beta_kg_m2=beta_kg_m2, nominal_impact=trajectory.impact_lat_lon_deg, cutoff_s=times,
        lat=lat, lon=lon, impacted=res.impacted, territory=terr, nearest_city=names,
        nearest_city_km=km, intervals=territory_intervals(times, terr), state=res.state)


def territory_intervals(cutoff_s, territories) -> list[dict]:
    """Consecutive runs of the same territory along a trace: ``[{territory, from_s, to_s}]``.

    Each sample stands for the cut-offs nearer to it than to its neighbours, so a boundary lies
    half-way between two samples (exact to half the sampling step) and the intervals tile the
    trace from its first to its last cut-off time."""
    t = np.asarray(cutoff_s, float)
    terr = list(territories)
    if t.size == 0:
        return []
    out: list[dict] = []
    start = t[0]
    for i in range(1, t.size):
        if terr[i] != terr[i - 1]:
            mid = 0.5 * (t[i - 1] + t[i])
            out.append({"territory": str(terr[i - 1]), "from_s": float(start), "to_s": float(mid)})
            start = mid
    out.append({"territory": str(terr[-1]), "from_s": float(start), "to_s": float(t[-1])})
    return out


def share_of_window(intervals: Sequence[dict], window_from_s: float, window_to_s: float) -> dict[str, float]:
    """Share of the intercept window [from, to] (s after launch) whose cut-offs land in each
    territory; the shares sum to 1. The window must lie inside the intervals' span."""
    a, b = float(window_from_s), float(window_to_s)
    if not b > a:
        raise InputError("window", (a, b), "from < to (s after launch)")
    if not intervals:
        raise InputError("intervals", intervals, "a non-empty trace")
    lo, hi = intervals[0]["from_s"], intervals[-1]["to_s"]
    if a < lo - 1e-6 or b > hi + 1e-6:
        raise InputError("window", (a, b), f"inside the trace's cut-off times {lo:g} to {hi:g} s")
    out: dict[str, float] = {}
    for iv in intervals:
        ov = min(b, iv["to_s"]) - max(a, iv["from_s"])
        if ov > 0:
            out[iv["territory"]] = out.get(iv["territory"], 0.0) + ov / (b - a)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


SWEEP_BETAS: tuple[float | None, ...] = (1000.0, 5000.0, 20000.0, None)
"""Payload ballistic coefficients (kg/m^2; None: vacuum) of the sensitivity table: public RV
values run about 10^3-10^4 kg/m^2 (a blunt first-generation RV near the low end, a slender
modern one near the high end)."""


def beta_label(beta: float | None) -> str:
    return "vacuum" if beta is None else f"{beta:g} kg/m^2"


def parse_betas(text: str, field: str = "--beta-sweep") -> tuple[float | None, ...]:
    """``"1000,5000,20000,vacuum"`` -> (1000.0, 5000.0, 20000.0, None); InputError names the item."""
    allowed = "comma-separated ballistic coefficients 1 to 1e6 kg/m^2 or 'vacuum', e.g. 1000,5000,20000,vacuum"
    items = [x.strip() for x in str(text).split(",")]
    if "" in items:
        raise InputError(field, text, allowed)
    if len(items) > 16:
        raise InputError(field, text, allowed + " (1 to 16 values)")
    out: list[float | None] = []
    for x in items:
        if x.lower() in ("vacuum", "none"):
            out.append(None)
            continue
        try:
            v = float(x)
        except ValueError:
            raise InputError(field, x, allowed) from None
        if not 1.0 <= v <= 1e6:
            raise InputError(field, x, allowed)
        out.append(v)
    return tuple(out)


def cutoff_impacts_by_beta(missile, launch: tuple[float, float], azimuth_deg: float, kick_deg: float,
                           cutoff_s, betas: Sequence[float | None] = SWEEP_BETAS,
                           earth: Earth = WGS84) -> dict[str, np.ndarray]:
    """Payload impacts for every (ballistic coefficient, cut-off time) pair in ONE batched engine
    call: the cases of :func:`boostphase.flight.flyout.cutoff_flights` for each beta (None: vacuum) are
    stacked into one batch. Returns arrays of shape (len(betas), len(cutoff_s)): ``lat``,
    ``lon`` (wrapped to [-180, 180)), ``impacted``, ``impact_time_s``."""
    from ..flight.flyout import Steering, engine_settings, flyout_cases, run_cases

    cut = np.atleast_1d(np.asarray(cutoff_s, float))
    if cut.ndim != 1 or cut.size == 0 or np.any(~(cut > 0)):
        raise InputError("cutoff_s", cutoff_s, "one or more times > 0 s after launch")
    betas = list(betas)
    if not betas:
        raise InputError("betas", betas, "at least one ballistic coefficient (or None: vacuum)")
    for b in betas:
        if b is not None:
            check_range("beta_kg_m2", b, 1.0, 1e6, "kg/m^2")
    m = resolve_missile(missile)
    cut_eff = np.minimum(cut, m.boost_time_s * (1 - 1e-12))  # as cutoff_flights: separate at burnout
    parts = [flyout_cases(m, float(launch[0]), float(launch[1]), 0.0, azimuth_deg, kick_deg, Steering(), 2.0e4,
                            earth, cut_eff, None if b is None else float(b))[0] for b in betas]
    arrays = {k: np.concatenate([pa[k] for pa in parts], axis=0) for k in parts[0]}
    out = run_cases(arrays, earth, engine_settings(earth, True))
    lat, lon, _ = earth.ecef_to_geodetic(out["y"][:, :3])
    shape = (len(betas), cut.size)
    return {"cutoff_s": cut, "lat": np.asarray(lat).reshape(shape), "lon": wrap_lon(lon).reshape(shape),
            "impacted": np.asarray(out["impacted"]).reshape(shape), "impact_time_s": np.asarray(out["t"]).reshape(shape)}


def beta_sensitivity(missile, launch: tuple[float, float], azimuth_deg: float, kick_deg: float,
                     cutoff_s, window_s: tuple[float, float], betas: Sequence[float | None] = SWEEP_BETAS,
                     earth: Earth = WGS84) -> list[dict]:
    """Share of the intercept window landing in each territory, for each payload ballistic
    coefficient (one batched engine call, :func:`cutoff_impacts_by_beta`):
    ``[{beta_kg_m2, label, share_of_window, intervals}]``. ``cutoff_s``: the window's grid."""
    from ..models.geography import territory

    res = cutoff_impacts_by_beta(missile, launch, azimuth_deg, kick_deg, cutoff_s, betas, earth)
    terr = territory(res["lat"].ravel(), res["lon"].ravel()).astype(object).reshape(res["lat"].shape)
    terr[~res["impacted"]] = NO_IMPACT
    a, b = float(window_s[0]), float(window_s[1])
    rows = []
    for i, beta in enumerate(betas):
        if res["cutoff_s"].size > 1 and b > a:
            ivs = territory_intervals(res["cutoff_s"], terr[i])
            share = share_of_window(ivs, a, b)
        else:
            ivs = [{"territory": str(terr[i][0]), "from_s": a, "to_s": a}]
            share = {str(terr[i][0]): 1.0}
        rows.append({"beta_kg_m2": None if beta is None else float(beta), "label": beta_label(beta),
                     "share_of_window": share, "intervals": ivs})
    return rows


def wrap_lon(lon):
    return (np.asarray(lon, float) + 180.0) % 360.0 - 180.0
