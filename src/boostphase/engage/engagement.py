"""Engagements: the earliest intercept of a threat from a platform, vectorised over platforms.

:func:`earliest_over_centres` is the shared core (many orbit centres, one threat, one reach
table); :class:`Engagement` solves one (threat, platform) pair into an :class:`EngagementResult`;
:func:`direct_engagement` re-flies the interceptor for one platform as an accuracy check;
:func:`earliest_intercepts` answers many (platform point, launch time) rows at once (for ensembles).
Times in s after the threat's launch, ranges in m, speeds in m/s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models.earth import WGS84
from ..results import ResultMixin, dataset, frame, quantity
from .geometry import R_SPHERE_M, unit_vector
from .interceptor import Interceptor, KillVehicle, Timeline
from .platform import Platform
from .reach import N_SHOTS, ReachTable, build_reach_table
from .threat import Threat, ThreatTrack


def _closing_speed(track: ThreatTrack, pos_unit: np.ndarray, x_state: np.ndarray, x_unit: np.ndarray,
                   vr: np.ndarray, vh: np.ndarray) -> np.ndarray:
    """|v_interceptor - v_threat| for interceptors fired from ``pos_unit`` arriving at threat states."""
    lat, lon, _ = track.earth.ecef_to_geodetic(x_state[..., :3])
    _, _, up = track.earth.enu_basis(lat, lon)
    fwd = np.cross(np.cross(pos_unit, x_unit), x_unit)
    nrm = np.linalg.norm(fwd, axis=-1, keepdims=True)
    fwd = np.where(nrm > 1e-12, fwd / np.maximum(nrm, 1e-12), 0.0)
    vi = vr[..., None] * fwd + vh[..., None] * up
    return np.linalg.norm(vi - x_state[..., 3:], axis=-1)


def earliest_over_centres(track: ThreatTrack, centres: np.ndarray, table: ReachTable, t_launch: float, t_end: float,
              range_offset_m: float, kv: KillVehicle, chunk: int = 2_000_000, prune: bool = True) -> dict:
    """Earliest intercept from each of ``centres`` (G, 3 unit vectors) within [t_launch, t_end].

    Returns arrays (G,): ``t`` (NaN if none), ``s0``/``s1`` bracketing sample indices and
    ``best_slack`` (the largest t - t_launch - T over the window; exact only with ``prune=False``).
    The (G x samples) slack matrix is built in chunks of centres; no Python loop over centres.
    With ``prune``, (centre, sample) pairs that no interceptor could reach in time even flying
    straight at the fan's top speed are skipped before the table look-up (a lower bound on T)."""
    G = centres.shape[0]
    ts = track.t_s
    i0 = max(int(np.searchsorted(ts, t_launch, side="right")) - 1, 0)
    i1 = int(np.searchsorted(ts, t_end, side="right"))
    out = {"t": np.full(G, np.nan), "s0": np.zeros(G, int), "s1": np.zeros(G, int),
           "best_slack": np.full(G, -np.inf)}
    if i1 - i0 < 1:
        return out
    win = slice(i0, i1)
    tw, uw, hw = ts[win], track.unit[win], track.alt_m[win]
    dt = tw - t_launch
    altok = hw >= kv.min_altitude_m
    ra = R_SPHERE_M + table.launch_alt_m
    rb = R_SPHERE_M + np.maximum(hw, 0.0)
    reach2 = np.where(dt > 0, dt, 0.0) ** 2 * table.top_speed_m_s ** 2
    step = max(1, chunk // max(1, len(tw)))

    def slack_at(c, cosm_rows, cols):
        d = np.arccos(np.clip(cosm_rows, -1.0, 1.0)) * R_SPHERE_M + range_offset_m
        return dt[cols] - table.lookup(d, hw[cols]), d

    for g0 in range(0, G, step):
        c = centres[g0:g0 + step]
        cosm = c @ uw.T
        n = len(c)
        if prune:
            # straight-line distance platform -> threat point; T >= distance / top speed
            cand = (ra * ra + rb * rb - 2.0 * ra * rb * cosm <= reach2[None, :]) & (dt > 0)[None, :]
            ii, jj = np.nonzero(cand)
            slack = np.full(cosm.shape, -np.inf)
            dmat = np.full(cosm.shape, np.nan)
            slack[ii, jj], dmat[ii, jj] = slack_at(c, cosm[ii, jj], jj)
        else:
            jj = np.broadcast_to(np.arange(len(tw)), cosm.shape)
            slack, dmat = slack_at(c, cosm, jj)
        out["best_slack"][g0:g0 + step] = slack.max(axis=1)
        feas = (slack >= 0) & altok[None, :]
        has = feas.any(axis=1)
        first = np.argmax(feas, axis=1)
        rows = np.arange(n)
        # closing speed at the first feasible sample; where too slow, take the next fast-enough one
        if kv.min_closing_speed_m_s > 0 and has.any():
            cl = np.full(n, np.inf)
            hr = rows[has]
            cl[has] = _closing_at(track, c[hr], i0 + first[has], dmat[hr, first[has]], table)
            slow = has & (cl < kv.min_closing_speed_m_s)
            if slow.any():
                si, sj = np.nonzero(feas & slow[:, None])
                _, vr, vh = table.lookup(dmat[si, sj], hw[sj], velocity=True)
                clp = _closing_speed(track, c[si], track.state[i0 + sj], uw[sj], vr, vh)
                feas[si[clp < kv.min_closing_speed_m_s], sj[clp < kv.min_closing_speed_m_s]] = False
                has[slow] = feas[slow].any(axis=1)
                first[slow] = np.argmax(feas[slow], axis=1)
        f1 = first
        f0 = np.maximum(f1 - 1, 0)
        s1v = slack[rows, f1]
        s0v = slack[rows, f0]
        redo = has & (f1 > f0) & ~np.isfinite(s0v)   # pruned: look the sample before up exactly
        if redo.any():
            s0v[redo], _ = slack_at(None, cosm[rows[redo], f0[redo]], f0[redo])
        # between the last infeasible sample and the first feasible one the slack crosses zero
        # (if the earlier sample failed only the closing-speed test, take the feasible sample)
        interp = (f1 > f0) & np.isfinite(s0v) & (s0v < 0) & (s1v > s0v)
        with np.errstate(invalid="ignore"):
            frac = np.where(interp, -s0v / np.where(interp, s1v - s0v, 1.0), 1.0)
        tstar = tw[f0] + (tw[f1] - tw[f0]) * np.clip(frac, 0.0, 1.0)
        # an intercept cannot precede the interceptor's launch
        tstar = np.maximum(tstar, t_launch)
        out["t"][g0:g0 + step] = np.where(has, tstar, np.nan)
        out["s0"][g0:g0 + step] = i0 + f0
        out["s1"][g0:g0 + step] = i0 + f1
    return out


def earliest_intercepts(track: ThreatTrack, lat_deg, lon_deg, table: ReachTable, launch_time_s,
                        kill_vehicle: KillVehicle | None = None, range_offset_m: float = 0.0,
                        chunk: int = 1024) -> np.ndarray:
    """Earliest intercept time (s after the threat's launch; NaN: none on the track) for many
    (platform point, interceptor launch time) pairs at once, against one threat track.

    Row ``i`` fires from (``lat_deg[i]``, ``lon_deg[i]``) (deg; ground range measured on the
    6371 km sphere, plus ``range_offset_m``) at ``launch_time_s[i]`` (s after the threat's
    launch), with the reach ``table``. The rule is :meth:`Engagement.solve`'s, row by row: the
    first track sample where t - t_L - T(range, altitude) >= 0, the altitude floor and the kill
    vehicle's minimum closing speed hold, refined by linear interpolation of that slack from the
    sample before; never before t_L. The search runs over the whole track (boost and the coast
    after), so a result after ``track.burnout_time_s`` means no boost-phase intercept. Used by
    ensembles that vary the aircraft's position and the delays per sample (boostphase.claims.c5)."""
    kv = kill_vehicle or KillVehicle()
    la = np.atleast_1d(np.asarray(lat_deg, float))
    lo = np.atleast_1d(np.asarray(lon_deg, float))
    tl = np.atleast_1d(np.asarray(launch_time_s, float))
    la, lo, tl = np.broadcast_arrays(la, lo, tl)
    out = np.full(la.shape, np.nan)
    ts, hw = track.t_s, track.alt_m
    altok = hw >= kv.min_altitude_m
    for a in range(0, la.size, chunk):
        sl = slice(a, a + chunk)
        out[sl] = _earliest_rows(track, unit_vector(la[sl], lo[sl]), tl[sl], table, range_offset_m, kv, ts, hw, altok)
    return out


def _earliest_rows(track, c, tl, table, range_offset_m, kv, ts, hw, altok) -> np.ndarray:
    """The rows of :func:`earliest_intercepts` for one chunk (c: unit vectors, tl: launch times)."""
    n, m = len(tl), len(ts)
    i0 = np.maximum(np.searchsorted(ts, tl, side="right") - 1, 0)
    u = track.unit
    # element by element (not a matrix product): a row's bits do not depend on the chunk's size
    cosm = c[:, 0:1] * u[None, :, 0] + c[:, 1:2] * u[None, :, 1] + c[:, 2:3] * u[None, :, 2]
    d = np.arccos(np.clip(cosm, -1.0, 1.0)) * R_SPHERE_M + range_offset_m
    cols = np.broadcast_to(np.arange(m), (n, m))
    slack = (ts[None, :] - tl[:, None]) - table.lookup(d, np.broadcast_to(hw, (n, m)))
    slack[cols < i0[:, None]] = -np.inf
    feas = (slack >= 0) & altok[None, :]
    if kv.min_closing_speed_m_s > 0 and feas.any():
        ii, jj = np.nonzero(feas)
        _, vr, vh = table.lookup(d[ii, jj], hw[jj], velocity=True)
        cl = _closing_speed(track, c[ii], track.state[jj], track.unit[jj], vr, vh)
        feas[ii[cl < kv.min_closing_speed_m_s], jj[cl < kv.min_closing_speed_m_s]] = False
    has = feas.any(axis=1)
    rows = np.arange(n)
    f1 = np.argmax(feas, axis=1)
    f0 = np.maximum(f1 - 1, i0)
    s1v, s0v = slack[rows, f1], slack[rows, f0]
    interp = (f1 > f0) & np.isfinite(s0v) & (s0v < 0) & (s1v > s0v)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(interp, -s0v / np.where(interp, s1v - s0v, 1.0), 1.0)
    tstar = ts[f0] + (ts[f1] - ts[f0]) * np.clip(frac, 0.0, 1.0)
    return np.where(has, np.maximum(tstar, tl), np.nan)


def _closing_at(track: ThreatTrack, c: np.ndarray, s_idx: np.ndarray, d: np.ndarray, table: ReachTable):
    _, vr, vh = table.lookup(d, track.alt_m[s_idx], velocity=True)
    return _closing_speed(track, c, track.state[s_idx], track.unit[s_idx], vr, vh)


@dataclass(repr=False)
class EngagementResult(ResultMixin):
    """One (threat, platform) engagement; times in s after the threat's launch."""

    threat: str
    platform: str
    intercept_possible: bool
    intercept_time_s: float | None
    intercept_lat_deg: float | None
    intercept_lon_deg: float | None
    intercept_alt_m: float | None
    interceptor_launch_time_s: float
    interceptor_flyout_s: float | None
    closing_speed_m_s: float | None
    margin_before_burnout_s: float | None
    burnout_time_s: float
    latest_useful_time_s: float
    criterion: str
    ground_range_m: float | None
    phase: str
    reference: str
    method: str = "table"
    shortfall_s: float | None = None   # no intercept: the interceptor is at least this late

    def row(self) -> dict:
        """The CLI's JSON contract (s, km, km/s, deg)."""
        def r(x, k=1.0, nd=3):
            return None if x is None else round(float(x) / k, nd)

        return {
            "threat": self.threat, "platform": self.platform,
            "intercept_possible": self.intercept_possible,
            "intercept_time_s": r(self.intercept_time_s),
            "intercept": {"lat": r(self.intercept_lat_deg, nd=4), "lon": r(self.intercept_lon_deg, nd=4),
                          "alt_km": r(self.intercept_alt_m, 1e3)},
            "margin_before_burnout_s": r(self.margin_before_burnout_s),
            "margin_before_latest_useful_s": r(None if self.intercept_time_s is None
                                               else self.latest_useful_time_s - self.intercept_time_s),
            "interceptor_flyout_s": r(self.interceptor_flyout_s),
            "closing_speed_km_s": r(self.closing_speed_m_s, 1e3),
            "interceptor_launch_time_s": r(self.interceptor_launch_time_s),
            "burnout_time_s": r(self.burnout_time_s),
            "latest_useful_time_s": r(self.latest_useful_time_s),
            "criterion": self.criterion,
            "ground_range_km": r(self.ground_range_m, 1e3),
            "phase": self.phase,
            "platform_reference": self.reference,
            "method": self.method,
            "shortfall_s": r(self.shortfall_s),
        }

    # --- as data and pictures (boostphase.results) ------------------------------------------
    plot_kind = "engagement"

    def result_title(self) -> str:
        return f"{self.threat} vs {self.platform}"

    def key_figures(self) -> list[tuple[str, str]]:
        """Intercept time, margin before burnout, altitude and fly-out; or how late it is."""
        if self.intercept_time_s is None:
            return [("no intercept, short by", quantity(self.shortfall_s, "s", 1)),
                    ("interceptor launch", quantity(self.interceptor_launch_time_s, "s", 1)),
                    ("burnout", quantity(self.burnout_time_s, "s", 1))]
        return [("intercept at", quantity(self.intercept_time_s, "s", 1)),
                ("margin to burnout", quantity(self.margin_before_burnout_s, "s", 1)),
                ("altitude", quantity(self.intercept_alt_m / 1e3, "km")),
                ("fly-out", quantity(self.interceptor_flyout_s, "s", 1))]

    def verdict_line(self) -> str:
        if self.intercept_possible:
            return (f"intercept possible ({self.phase}) at {self.intercept_time_s:.1f} s, "
                    f"{self.latest_useful_time_s - self.intercept_time_s:.1f} s before the latest useful "
                    f"time ({self.criterion})")
        if self.intercept_time_s is None:
            late = "" if self.shortfall_s is None else f": the interceptor is at least {self.shortfall_s:.1f} s late"
            return f"no intercept within the window{late}"
        return (f"no useful intercept: the earliest ({self.intercept_time_s:.1f} s) comes after the latest "
                f"useful time ({self.latest_useful_time_s:.1f} s, {self.criterion})")

    def figures(self) -> dict:
        """Every field, unrounded, in display units named in the keys (s, deg, km, km/s)."""
        def km(x):
            return None if x is None else x / 1e3

        return {"threat": self.threat, "platform": self.platform, "intercept_possible": self.intercept_possible,
                "phase": self.phase, "intercept_time_s": self.intercept_time_s,
                "intercept_lat_deg": self.intercept_lat_deg, "intercept_lon_deg": self.intercept_lon_deg,
                "intercept_alt_km": km(self.intercept_alt_m), "interceptor_launch_time_s": self.interceptor_launch_time_s,
                "interceptor_flyout_s": self.interceptor_flyout_s, "closing_speed_km_s": km(self.closing_speed_m_s),
                "margin_before_burnout_s": self.margin_before_burnout_s, "burnout_time_s": self.burnout_time_s,
                "latest_useful_time_s": self.latest_useful_time_s, "ground_range_km": km(self.ground_range_m),
                "shortfall_s": self.shortfall_s, "criterion": self.criterion, "method": self.method}

    def to_dataframe(self):
        """One row (None as NaN); ``pandas.concat`` of several results' frames is a table of them."""
        row = {k: [np.nan if v is None else v] for k, v in self.figures().items()}
        return frame(row, {"result": repr(self)})

    def to_xarray(self):
        """The figures as scalar variables of an xarray Dataset (``units`` attributes)."""
        figs = {k: (np.nan if v is None else v) for k, v in self.figures().items()}
        return dataset({k: ((), v) for k, v in figs.items()}, {}, {"result": repr(self)})



class Engagement:
    """One threat against interceptors fired from one platform, after a timeline."""

    def __init__(self, threat: Threat, platform: Platform, interceptor: Interceptor,
                 timeline: Timeline | None = None):
        self.threat, self.platform, self.interceptor = threat, platform, interceptor
        self.timeline = timeline or Timeline()

    def table(self) -> ReachTable:
        return self.interceptor.reach_table(self.platform.altitude_m, self.platform.along_speed_m_s)

    def solve(self, table: ReachTable | None = None, method: str = "table") -> EngagementResult:
        """Earliest intercept, its point, fly-out time, closing speed and margin before burnout.

        The search runs over the boost and the post-boost continuation, so a late intercept shows
        as a negative margin; ``intercept_possible`` requires t* <= the latest useful time."""
        tab = table or self.table()
        tr = self.threat.track
        tl = self.timeline.interceptor_launch_s
        c = unit_vector(self.platform.lat_deg, self.platform.lon_deg)[None, :]
        kv = self.interceptor.kill_vehicle
        res = earliest_over_centres(tr, c, tab, tl, float(tr.t_s[-1]), self.platform.range_offset_m, kv, prune=False)
        t_useful = self.threat.latest_useful_time_s
        t_bo = tr.burnout_time_s
        base = dict(threat=self.threat.name, platform=self.platform.name, interceptor_launch_time_s=tl,
                    burnout_time_s=t_bo, latest_useful_time_s=t_useful, criterion=self.threat.criterion_text,
                    reference=self.platform.reference, method=method)
        ts = float(res["t"][0])
        if not np.isfinite(ts):
            bs = float(res["best_slack"][0])
            base["shortfall_s"] = -bs if np.isfinite(bs) else None
            return EngagementResult(intercept_possible=False, intercept_time_s=None, intercept_lat_deg=None,
                                    intercept_lon_deg=None, intercept_alt_m=None, interceptor_flyout_s=None,
                                    closing_speed_m_s=None, margin_before_burnout_s=None, ground_range_m=None,
                                    phase="none within the window", **base)
        x = tr.state_at(ts)
        la, lo, h = tr.earth.ecef_to_geodetic(x[:3])
        xu = unit_vector(la, lo)
        d = float(np.arccos(np.clip(c[0] @ xu, -1, 1))) * R_SPHERE_M + self.platform.range_offset_m
        _, vr, vh = tab.lookup(np.array([d]), np.array([float(h)]), velocity=True)
        cl = float(_closing_speed(tr, c[0], x, xu, vr, vh)[0])
        return EngagementResult(
            intercept_possible=bool(ts <= t_useful + 1e-9), intercept_time_s=ts,
            intercept_lat_deg=float(la), intercept_lon_deg=float(lo), intercept_alt_m=float(h),
            interceptor_flyout_s=ts - tl, closing_speed_m_s=cl, margin_before_burnout_s=t_bo - ts,
            ground_range_m=d, phase="boost" if ts <= t_bo + 1e-9 else "post-boost", **base)


def direct_engagement(threat: Threat, platform: Platform, interceptor: Interceptor,
                      timeline: Timeline | None = None, n_shots: int = N_SHOTS) -> EngagementResult:
    """The same engagement with the interceptor flown for *this* platform: a fresh fan of shots
    from the orbit centre on the rotating WGS84 Earth (J2, Coriolis), in the vertical plane toward
    the shared-table solution's intercept point (or the threat's burnout point). An accuracy check
    on the shared table and the baseline of the benchmark's speed ratio."""
    eng = Engagement(threat, platform, interceptor, timeline)
    first = eng.solve()
    if first.intercept_time_s is not None:
        la, lo = first.intercept_lat_deg, first.intercept_lon_deg
    else:
        b = threat.track
        i = int(np.searchsorted(b.t_s, b.burnout_time_s))
        la, lo = float(b.lat_deg[i]), float(b.lon_deg[i])
    _, az = WGS84.distance_azimuth(platform.lat_deg, platform.lon_deg, la, lo)
    tab = build_reach_table(interceptor, platform.altitude_m, platform.along_speed_m_s, lat_deg=platform.lat_deg,
                            lon_deg=platform.lon_deg, azimuth_deg=float(az), earth=WGS84, n_shots=n_shots)
    return eng.solve(table=tab, method="direct (WGS84 fan for this platform)")

