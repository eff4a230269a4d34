"""The interceptor's kinematic reach: a fan of shots flown once, tabulated over (range, altitude).

See the package docstring (:mod:`boostphase.engage`) for the model. :func:`build_reach_table`
flies the fan (one batched engine call) and tabulates the earliest arrival time (s after the
interceptor's launch) and the interceptor's velocity (m/s) over a grid of ground range (m) and
altitude (m); :class:`ReachTable` answers look-ups by bilinear interpolation.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import check_range
from ..models.earth import SPHERE, Earth
from .geometry import R_SPHERE_M, unit_vector
from .interceptor import G0, Interceptor

_S = 4            # engine segments of an interceptor shot: up to two burns, a coast, padding
_N_REC = 256      # recorded points per shot (accepted steps, <= _H_MAX_S apart)
_H_MAX_S = 5.0    # largest integration step of a shot (s); records are densified by Hermite
_DT_S = 0.5       # ... to this uniform time step before the row crossings are located
N_SHOTS = 512     # elevations of the fan
_ELEV_DEG = (-85.0, 95.0)   # fan limits: above 90 deg the shot leans back (covers range ~ 0)
_BIG = 1.0e9


@dataclass
class ReachTable:
    """Earliest arrival time (s after interceptor launch) over a (ground range, altitude) grid,
    and the interceptor's velocity there (along the line of fire, and up).

    ``time_s[j, i]`` is for altitude ``alt_m[j]`` and range ``range_m[i]``; unreachable cells hold
    a large number. Look-ups (:meth:`lookup`) are bilinear; a cell next to an unreachable one is
    unreachable (conservative edge).
    """

    range_m: np.ndarray
    alt_m: np.ndarray
    time_s: np.ndarray
    v_range_m_s: np.ndarray
    v_up_m_s: np.ndarray
    launch_alt_m: float
    along_speed_m_s: float
    horizon_s: float
    earth_name: str
    burnout_speed_m_s: tuple[float, float]   # actual speed at burnout over the fan (min, max)
    top_speed_m_s: float = np.inf            # highest speed anywhere in the fan (a bound for pruning)
    build_s: float = 0.0

    @property
    def d_range(self) -> float:
        return float(self.range_m[1] - self.range_m[0])

    @property
    def d_alt(self) -> float:
        return float(self.alt_m[1] - self.alt_m[0])

    def lookup(self, range_m, alt_m, velocity: bool = False):
        """Time to reach (s; inf if unreachable) at each (range, altitude); with ``velocity=True``
        also the interceptor's (along-range, up) velocity components there (m/s)."""
        r = np.asarray(range_m, float)
        h = np.asarray(alt_m, float)
        nr, nh = len(self.range_m), len(self.alt_m)
        x = (r - self.range_m[0]) / self.d_range
        y = (h - self.alt_m[0]) / self.d_alt
        inside = (x >= 0) & (x <= nr - 1) & (y >= 0) & (y <= nh - 1)
        ix = np.clip(np.floor(x), 0, nr - 2).astype(np.intp)
        iy = np.clip(np.floor(y), 0, nh - 2).astype(np.intp)
        fx = np.clip(x - ix, 0.0, 1.0)
        fy = np.clip(y - iy, 0.0, 1.0)
        k = iy * nr + ix

        def interp(a):
            f = a.ravel()
            return ((f[k] * (1 - fx) + f[k + 1] * fx) * (1 - fy)
                    + (f[k + nr] * (1 - fx) + f[k + nr + 1] * fx) * fy)

        t = interp(self.time_s)
        t = np.where(inside & (t <= self.horizon_s), t, np.inf)
        if not velocity:
            return t
        return t, interp(self.v_range_m_s), interp(self.v_up_m_s)

    def max_range_m(self, alt_m: float, within_s: float) -> float:
        """Farthest ground range reachable at an altitude within a flight time (0 if none)."""
        t = self.lookup(self.range_m, np.full(len(self.range_m), alt_m))
        ok = t <= within_s
        return float(self.range_m[ok].max()) if ok.any() else 0.0


def _cd_dummy():
    from .flightcore import cd_table

    return cd_table(((0.0, 1.0), (1.0, 1.0)))


def _fly_fan(interceptor: Interceptor, lat: float, lon: float, alt_m: float, az_deg: float,
             along_m_s: float, elev_deg: np.ndarray, earth: Earth, horizon_s: float):
    """Fly a fan of constant-attitude interceptor shots (one batched engine call)."""
    from .flightcore import engine_settings, run_engine

    n = len(elev_deg)
    r0, v0 = earth.state_from_local(np.full(n, lat), np.full(n, lon), np.full(n, alt_m),
                                    np.full(n, along_m_s), np.zeros(n), np.full(n, az_deg))
    segs = []
    t = 0.0
    af = interceptor.airframe
    if af is None:   # vacuum: only accelerations matter, each stage's start mass normalised to 1
        masses = [(1.0, 1.0 / math.exp(st.delta_v_m_s / (st.isp_s * G0))) for st in interceptor.stages]
        area = 0.0
        mach, cd = _cd_dummy()
    else:            # with drag: real masses (kg), US76 air, constant Cd on the cross-section
        from .flightcore import cd_table

        masses = af.stage_masses(interceptor.stages)
        area = af.area_m2
        mach, cd = cd_table(((0.0, 1.0), (af.cd, af.cd)))
    for st, (m0, m1) in zip(interceptor.stages, masses, strict=True):
        mdot = (m0 - m1) / st.burn_time_s
        t += st.burn_time_s
        segs.append((t, m0, mdot, mdot * st.isp_s * G0, 3))
    segs.append((1e30, masses[-1][1], 0.0, 0.0, 2))
    segs += [segs[-1]] * (_S - len(segs))
    cols = np.array(segs, float)
    e, az = np.radians(elev_deg), math.radians(az_deg)
    u_fixed = np.stack([np.cos(e) * math.sin(az), np.cos(e) * math.cos(az), np.sin(e)], axis=1)
    arrays = dict(
        y0=np.concatenate([r0, v0], axis=1), t0=np.zeros(n),
        seg_t_end=np.tile(cols[:, 0], (n, 1)), seg_m0=np.tile(cols[:, 1], (n, 1)),
        seg_mdot=np.tile(cols[:, 2], (n, 1)), seg_thrust=np.tile(cols[:, 3], (n, 1)),
        seg_exit_area=np.zeros((n, _S)), seg_ref_area=np.full((n, _S), area),
        seg_mode=np.tile(cols[:, 4], (n, 1)).astype(np.int32),
        cd_mach=np.broadcast_to(mach, (n, _S, len(mach))), cd_val=np.broadcast_to(cd, (n, _S, len(cd))),
        azimuth=np.full(n, az), kick=np.zeros(n), pitch_t0=np.zeros(n), pitch_t1=np.zeros(n), u_fixed=u_fixed, t_max=np.full(n, horizon_s))
    settings = engine_settings(earth, af is not None, n_rec=_N_REC, rtol=1e-9, h_max_s=_H_MAX_S)
    out = run_engine(arrays, earth, settings)
    nb = len(interceptor.stages)
    bo = np.linalg.norm(out["seg_state"][:, nb - 1, 4:7], axis=1)
    if np.any(out["n_rec"] >= _N_REC):
        raise RuntimeError("interceptor fan: record buffer full; raise _N_REC")  # pragma: no cover
    return _densify(out["rec"], out["n_rec"], horizon_s), bo


def _densify(rec: np.ndarray, nrec: np.ndarray, horizon_s: float, dt: float = _DT_S):
    """Resample recorded (t, r, v) rows of every shot onto a uniform time grid by cubic Hermite
    interpolation (positions and velocities are both known at the records; records sit on every
    thrust change, so no interval spans one). Returns (n, m, 7) with NaN past each shot's end."""
    n, N, _ = rec.shape
    tg = np.arange(0.0, horizon_s + dt / 2, dt)
    m = len(tg)
    t = rec[..., 0]
    last = t[np.arange(n), nrec - 1]
    big = 2.0 * (horizon_s + 1.0)
    tf = np.where(np.arange(N)[None, :] < nrec[:, None], t, big - 1e-3) + big * np.arange(n)[:, None]
    q = (tg[None, :] + big * np.arange(n)[:, None]).ravel()
    i = np.searchsorted(tf.ravel(), q, side="right") - 1
    row = np.repeat(np.arange(n), m)
    i = np.clip(i - row * N, 0, np.maximum(nrec[row] - 2, 0))
    a, b = rec[row, i], rec[row, np.minimum(i + 1, nrec[row] - 1)]
    h = b[:, 0] - a[:, 0]
    tq = np.tile(tg, n)
    s = np.where(h > 0, (tq - a[:, 0]) / np.where(h > 0, h, 1.0), 0.0)[:, None]
    hh = h[:, None]
    p0, p1, v0, v1 = a[:, 1:4], b[:, 1:4], a[:, 4:7] * hh, b[:, 4:7] * hh
    pos = ((2 * s**3 - 3 * s**2 + 1) * p0 + (s**3 - 2 * s**2 + s) * v0 + (-2 * s**3 + 3 * s**2) * p1
           + (s**3 - s**2) * v1)
    vel = ((6 * s**2 - 6 * s) * p0 + (3 * s**2 - 4 * s + 1) * v0 + (-6 * s**2 + 6 * s) * p1
           + (3 * s**2 - 2 * s) * v1) / np.where(hh > 0, hh, 1.0)
    vel = np.where(hh > 0, vel, a[:, 4:7])
    out = np.concatenate([tq[:, None], pos, vel], axis=1).reshape(n, m, 7)
    out[tg[None, :] > last[:, None] + 1e-9] = np.nan
    return out


def _plane_coordinates(rec: np.ndarray, lat: float, lon: float, az_deg: float, earth: Earth):
    """Recorded states -> signed ground range along the plane of fire (m), altitude (m), velocity
    along the line of fire and up (m/s); ranges on the 6371 km sphere between geodetic points."""
    t = rec[..., 0]
    r, v = rec[..., 1:4], rec[..., 4:7]
    la, lo, h = earth.ecef_to_geodetic(r)
    u = unit_vector(la, lo)
    p0 = unit_vector(lat, lon)
    east, north, _ = earth.enu_basis(lat, lon)
    a0 = math.sin(math.radians(az_deg)) * east + math.cos(math.radians(az_deg)) * north
    normal = np.cross(p0, a0)
    ang = np.arctan2(np.einsum("...k,k->...", u, a0), np.einsum("...k,k->...", u, p0))
    fwd = np.cross(normal, u)
    fwd /= np.linalg.norm(fwd, axis=-1, keepdims=True)
    _, _, up = earth.enu_basis(la, lo)
    return t, R_SPHERE_M * ang, h, np.einsum("...k,...k->...", v, fwd), np.einsum("...k,...k->...", v, up)


def _candidates(level_var, levels, other_var, t, vr, vh, other0: float, d_other: float, n_other: int,
                max_jump_m: float = 150e3, max_jump_s: float = 30.0):
    """Arrival candidates on grid lines ``levels`` of one coordinate (altitude rows, or range
    columns): each shot's first crossing of each line (rising, and falling after its maximum),
    then for adjacent shots of the fan, every grid node of the other coordinate between their two
    crossings, with time and velocity interpolated linearly along the line. Adjacent crossings
    farther apart than ``max_jump_m`` / ``max_jump_s`` are not bridged (a fold of the fan).

    Returns (line index, time, v_range, v_up, node index of the other coordinate)."""
    nsh, nl = level_var.shape[0], len(levels)
    cross = np.full((2, 4, nsh, nl), np.nan)   # (branch, [t, other, vR, vH], shot, line)
    for k in range(nsh):
        n = int(np.isfinite(t[k]).sum())
        if n < 2:
            continue
        x = level_var[k, :n]
        data = np.stack([t[k, :n], other_var[k, :n], vr[k, :n], vh[k, :n]])
        ia = int(np.argmax(x))
        for b, (seq, off, target) in enumerate(((np.maximum.accumulate(x), 0, levels),
                                                (-np.minimum.accumulate(x[ia:]), ia, -levels))):
            p = np.searchsorted(seq, target, side="right")
            ok = (p >= 1) & (p < len(seq))
            idx = p[ok] + off
            x0, x1 = x[idx - 1], x[idx]
            f = (levels[ok] - x0) / (x1 - x0)
            cross[b][:, k, ok] = data[:, idx - 1] + (data[:, idx] - data[:, idx - 1]) * f
    out = [[], [], [], [], []]
    for b in range(2):
        t0_, o0, vr0, vh0 = (cross[b, q, :-1] for q in range(4))
        t1_, o1, vr1, vh1 = (cross[b, q, 1:] for q in range(4))
        ok = (np.isfinite(t0_) & np.isfinite(t1_) & (np.abs(o1 - o0) <= max_jump_m)
              & (np.abs(t1_ - t0_) <= max_jump_s))
        kk, jj = np.nonzero(ok)
        oa, ob = o0[kk, jj], o1[kk, jj]
        lo = np.maximum(np.ceil((np.minimum(oa, ob) - other0) / d_other), 0).astype(np.int64)
        hi = np.minimum(np.floor((np.maximum(oa, ob) - other0) / d_other), n_other - 1).astype(np.int64)
        cnt = np.maximum(hi - lo + 1, 0)
        rep = np.repeat(np.arange(len(kk)), cnt)
        node = lo[rep] + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        den = (ob - oa)[rep]
        big = np.abs(den) > 1e-9
        w = np.where(big, (other0 + node * d_other - oa[rep]) / np.where(big, den, 1.0), 0.0)
        kr, jr = kk[rep], jj[rep]
        for q, (a0, a1) in enumerate(((t0_, t1_), (vr0, vr1), (vh0, vh1))):
            out[1 + q].append(a0[kr, jr] + (a1[kr, jr] - a0[kr, jr]) * w)
        out[0].append(jr)
        out[4].append(node)
    return tuple(np.concatenate(a) for a in out)


def build_reach_table(interceptor: Interceptor, altitude_m: float, along_speed_m_s: float = 0.0, *,
                      lat_deg: float = 0.0, lon_deg: float = 0.0, azimuth_deg: float = 90.0,
                      earth: Earth = SPHERE, horizon_s: float = 500.0, n_shots: int = N_SHOTS,
                      d_range_m: float = 2500.0, d_alt_m: float = 2000.0, max_alt_m: float = 1.6e6,
                      max_range_m: float = 5.0e6) -> ReachTable:
    """Fly the fan once and tabulate the earliest arrival time over (ground range, altitude).

    The grid's altitude rows sit half a cell off the launch altitude (a row through the launch
    point would be degenerate); rows run from near the ground to the fan's highest point (at most
    ``max_alt_m``), columns from 0 to its farthest range (at most ``max_range_m``)."""
    import time

    t0 = time.perf_counter()
    check_range("platform altitude", altitude_m, 0.0, 1e5, "m")
    elev = np.linspace(*_ELEV_DEG, n_shots)
    rec, bo_speed = _fly_fan(interceptor, lat_deg, lon_deg, altitude_m, azimuth_deg, along_speed_m_s,
                             elev, earth, horizon_s)
    t, rr, hh, vr, vh = _plane_coordinates(rec, lat_deg, lon_deg, azimuth_deg, earth)
    # grid
    valid = np.isfinite(t)
    hmax = min(float(np.max(np.where(valid, hh, -np.inf))), max_alt_m)
    rmax = min(float(np.max(np.where(valid, rr, -np.inf))), max_range_m)
    j_lo = -int(math.floor(altitude_m / d_alt_m - 0.5))
    j_hi = int(math.ceil((hmax - altitude_m) / d_alt_m + 0.5))
    rows = altitude_m + (np.arange(j_lo, j_hi) + 0.5) * d_alt_m
    rows = rows[rows > 0]
    cols = np.arange(0.0, rmax + d_range_m, d_range_m)
    nh, nr = len(rows), len(cols)
    # crossings of the shots with every row (interpolated along the row between adjacent shots)
    # and with every column (interpolated along the column): rows are well conditioned where the
    # shots climb steeply, columns where they fly flat (near an apex); the table takes the earlier
    k_r, t_r, vr_r, vh_r, other_r = _candidates(hh, rows, rr, t, vr, vh, cols[0], d_range_m, nr)
    k_c, t_c, vr_c, vh_c, other_c = _candidates(rr, cols, hh, t, vr, vh, rows[0], d_alt_m, nh)
    key = np.concatenate([k_r * nr + other_r, other_c * nr + k_c])
    tt, vra, vha = (np.concatenate(a) for a in ((t_r, t_c), (vr_r, vr_c), (vh_r, vh_c)))
    order = np.lexsort((tt, key))
    key_s = key[order]
    first = np.concatenate([[True], key_s[1:] != key_s[:-1]]) if len(key_s) else np.zeros(0, bool)
    sel = order[first]
    T = np.full(nh * nr, _BIG)
    VR = np.zeros(nh * nr)
    VH = np.zeros(nh * nr)
    T[key[sel]], VR[key[sel]], VH[key[sel]] = tt[sel], vra[sel], vha[sel]
    return ReachTable(range_m=cols, alt_m=rows, time_s=T.reshape(nh, nr), v_range_m_s=VR.reshape(nh, nr),
                      v_up_m_s=VH.reshape(nh, nr), launch_alt_m=float(altitude_m),
                      along_speed_m_s=float(along_speed_m_s), horizon_s=float(horizon_s), earth_name=earth.name,
                      burnout_speed_m_s=(float(np.nanmin(bo_speed)), float(np.nanmax(bo_speed))),
                      top_speed_m_s=float(np.nanmax(np.linalg.norm(rec[..., 4:7], axis=-1))) * 1.001,
                      build_s=time.perf_counter() - t0)


@functools.lru_cache(maxsize=64)
def cached_table(interceptor: Interceptor, altitude_m: float, along_m_s: float, earth: Earth,
                 horizon_s: float) -> ReachTable:
    """:func:`build_reach_table` with its defaults, cached per (interceptor, launch altitude in m,
    along-track launch speed in m/s, Earth, horizon in s): see :meth:`Interceptor.reach_table`."""
    return build_reach_table(interceptor, altitude_m, along_m_s, earth=earth, horizon_s=horizon_s)

