"""Threats: a ballistic missile's boost track, sampled in time, and batched threat flights.

:class:`Threat` (missile, launch point, target or azimuth, criterion) flies lazily and caches
its flight and track; :func:`prepare_threats` flies many threats together. Times in s after the
threat's launch, states Earth-fixed (m, m/s), angles in deg.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, check_range
from ..limits import LAT_DEG, LON_DEG
from ..models.earth import WGS84, Earth
from .geometry import unit_vector


@dataclass
class ThreatTrack:
    """Threat states sampled in time: the boost (t <= burnout) and a ballistic continuation."""

    t_s: np.ndarray             # (n,)
    state: np.ndarray           # (n, 6) Earth-fixed m, m/s
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    unit: np.ndarray            # (n, 3) unit vectors of the geodetic lat/lon (sphere geometry)
    burnout_time_s: float
    impact_lat_deg: np.ndarray  # payload impact for thrust termination at each boost sample (NaN after)
    impact_lon_deg: np.ndarray
    earth: Earth = WGS84

    @classmethod
    def from_states(cls, t_s, state, burnout_time_s: float, earth: Earth = WGS84, impact_lat=None,
                    impact_lon=None) -> ThreatTrack:
        t = np.asarray(t_s, float)
        s = np.asarray(state, float)
        if t.ndim != 1 or s.shape != (len(t), 6) or len(t) < 2 or np.any(np.diff(t) <= 0):
            raise InputError("track", f"{t.shape}/{s.shape}", "increasing times (n >= 2) and (n, 6) states")
        la, lo, h = earth.ecef_to_geodetic(s[:, :3])
        nan = np.full(len(t), np.nan)
        return cls(t, s, la, lo, h, unit_vector(la, lo), float(burnout_time_s),
                   nan if impact_lat is None else np.asarray(impact_lat, float),
                   nan if impact_lon is None else np.asarray(impact_lon, float), earth)

    def state_at(self, t: float) -> np.ndarray:
        """State at time t: cubic Hermite position, linear velocity between samples."""
        i = int(np.clip(np.searchsorted(self.t_s, t) - 1, 0, len(self.t_s) - 2))
        t0, t1 = self.t_s[i], self.t_s[i + 1]
        dt = t1 - t0
        s = (t - t0) / dt
        p0, p1 = self.state[i, :3], self.state[i + 1, :3]
        m0, m1 = self.state[i, 3:] * dt, self.state[i + 1, 3:] * dt
        h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
        pos = h00 * p0 + h10 * m0 + h01 * p1 + h11 * m1
        vel = self.state[i, 3:] + (self.state[i + 1, 3:] - self.state[i, 3:]) * s
        return np.concatenate([pos, vel])


CRITERIA = ("burnout", "payload-short-of:COUNTRY")


def _parse_criterion(text: str) -> tuple[str, str | None]:
    c = str(text).strip()
    if c.lower() == "burnout":
        return "burnout", None
    if c.lower().startswith("payload-short-of:"):
        country = c.split(":", 1)[1].strip()
        if country:
            from ..models.geography import territory_table

            t = territory_table()
            return "payload-short-of", t.labels[t.country_index(country)]
    raise InputError("criterion", text, "'burnout' or 'payload-short-of: COUNTRY'")


class Threat:
    """A ballistic missile launch: missile (catalog name or :class:`~boostphase.models.vehicles.Missile`),
    launch point, and a target (``(lat, lon)``) or an azimuth.

    ``profile``: ``min-energy`` (default; the maximum-range trajectory on the azimuth toward the
    target: the boost a standard attack flies, whether or not the catalog model's payload can
    reach that far) or ``target`` (the trajectory that lands on the target; must be in range).
    ``criterion`` sets the latest useful intercept time (see module doc).
    """

    def __init__(self, missile, launch_lat_deg: float, launch_lon_deg: float, *,
                 target: tuple[float, float] | None = None, azimuth_deg: float | None = None,
                 profile: str = "min-energy", name: str | None = None, criterion: str = "burnout",
                 sample_s: float = 1.0, post_boost_s: float = 200.0, earth: Earth = WGS84):
        from ..models.vehicles import Missile, load

        self.missile = load(missile) if isinstance(missile, str) else missile
        if not isinstance(self.missile, Missile):
            raise InputError("missile", missile, "a catalog name or a Missile")
        self.launch = (LAT_DEG.check("launch lat", launch_lat_deg),
                       LON_DEG.check("launch lon", launch_lon_deg))
        if (target is None) == (azimuth_deg is None):
            raise InputError("target/azimuth", None, "exactly one of a target (lat, lon) or an azimuth")
        if profile not in ("min-energy", "target"):
            raise InputError("profile", profile, "min-energy or target")
        if profile == "target" and target is None:
            raise InputError("profile", profile, "a target for the 'target' profile")
        self.target = None if target is None else (LAT_DEG.check("target lat", target[0]),
                                                    LON_DEG.check("target lon", target[1]))
        self.azimuth_in = azimuth_deg
        self.profile = profile
        self.criterion, self.criterion_country = _parse_criterion(criterion)
        self.criterion_text = criterion
        self.sample_s = check_range("sample_s", sample_s, 0.05, 10.0, "s")
        self.post_boost_s = check_range("post_boost_s", post_boost_s, 0.0, 2000.0, "s")
        self.earth = earth
        self.name = name or f"{self.missile.name} from {self.launch[0]:.2f},{self.launch[1]:.2f}"
        self._track: ThreatTrack | None = None
        self._traj = None

    @classmethod
    def from_track(cls, name: str, t_s, state, burnout_time_s: float, earth: Earth = WGS84) -> Threat:
        """A threat given directly by its sampled states (user vehicles, textbook checks);
        samples after ``burnout_time_s`` are the post-boost continuation."""
        self = cls.__new__(cls)
        self.missile, self.name, self.earth = None, name, earth
        self.profile, self.criterion, self.criterion_country, self.criterion_text = "track", "burnout", None, "burnout"
        self._track = ThreatTrack.from_states(t_s, state, burnout_time_s, earth)
        la, lo = self._track.lat_deg[0], self._track.lon_deg[0]
        self.launch, self.target, self.azimuth_in, self._traj = (float(la), float(lo)), None, None, None
        return self

    # --- the flight -------------------------------------------------------------------------
    @property
    def trajectory(self):
        """The full flight (:class:`~boostphase.flight.flyout.Trajectory`)."""
        if self._traj is None and self.missile is not None:
            self._traj = _fly_cached(self.missile, self.launch, self.target, self.azimuth_in, self.profile,
                                     self.earth)
        return self._traj

    @property
    def azimuth_deg(self) -> float:
        return float(self.trajectory.azimuth_deg) if self.trajectory is not None else float("nan")

    @property
    def burnout_time_s(self) -> float:
        return self.track.burnout_time_s

    @property
    def track(self) -> ThreatTrack:
        """Boost samples every ``sample_s`` (exact, by thrust cut-off flights) and the coast after."""
        if self._track is None:
            self._track = _track_cached(self.missile, self.launch, self.trajectory.azimuth_deg,
                                        self.trajectory.kick_deg, self.sample_s, self.post_boost_s, self.earth,
                                        self.criterion != "burnout")
        return self._track

    @property
    def latest_useful_time_s(self) -> float:
        """Latest intercept time that still meets the criterion (s after launch)."""
        tr = self.track
        if self.criterion == "burnout":
            return tr.burnout_time_s
        from ..models.geography import distance_to_territory_km

        boost = np.flatnonzero(tr.t_s <= tr.burnout_time_s + 1e-9)
        lat, lon = tr.impact_lat_deg[boost], tr.impact_lon_deg[boost]
        ok = np.isfinite(lat)
        inside = np.zeros(len(boost), bool)
        inside[ok] = distance_to_territory_km(lat[ok], lon[ok], self.criterion_country) == 0.0
        if not inside.any():
            return tr.burnout_time_s
        i = int(np.argmax(inside))
        return float(tr.t_s[boost[i - 1]]) if i > 0 else 0.0

    def describe(self) -> dict:
        d = {"name": self.name, "missile": None if self.missile is None else self.missile.name,
             "launch": {"lat": self.launch[0], "lon": self.launch[1]}, "profile": self.profile,
             "burnout_time_s": self.burnout_time_s, "criterion": self.criterion_text,
             "latest_useful_time_s": self.latest_useful_time_s}
        if self.target is not None:
            d["target"] = {"lat": self.target[0], "lon": self.target[1]}
        if self.trajectory is not None:
            d["azimuth_deg"] = self.azimuth_deg
            b = self.trajectory.burnout()
            d["burnout"] = {"altitude_km": b["altitude_m"] / 1e3, "speed_km_s": b["speed_m_s"] / 1e3}
        return d


class _Cache:
    """A small thread-safe LRU map (threat flights are shared by web requests and map cells, and
    filled in batches by :func:`prepare_threats`)."""

    def __init__(self, size: int):
        import threading
        from collections import OrderedDict

        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            v = self.data.get(key)
            if v is not None:
                self.data.move_to_end(key)
            return v

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


FLIGHT_CACHE = _Cache(256)   # (missile, launch, target, azimuth, profile, earth) -> Trajectory
TRACK_CACHE = _Cache(256)    # (missile, launch, az, kick, sample_s, post_s, earth, impacts) -> ThreatTrack


def _fly_cached(missile, launch, target, azimuth, profile, earth):
    key = (missile, launch, target, azimuth, profile, earth)
    traj = FLIGHT_CACHE.get(key)
    if traj is None:
        from ..flight.flyout import fly

        if profile == "target":
            traj = fly(missile, *launch, target=target, profile="target", earth=earth)
        else:
            traj = fly(missile, *launch, azimuth_deg=_threat_azimuth(launch, target, azimuth, earth),
                       profile="min-energy", earth=earth)
        FLIGHT_CACHE.put(key, traj)
    return traj


def _threat_azimuth(launch, target, azimuth, earth) -> float:
    if azimuth is not None:
        return float(azimuth)
    _, az = earth.distance_azimuth(launch[0], launch[1], target[0], target[1])
    return float(az)


def _track_cached(missile, launch, az, kick, sample_s, post_s, earth, impacts: bool = False) -> ThreatTrack:
    key = (missile, launch, az, kick, sample_s, post_s, earth, impacts)
    tr = TRACK_CACHE.get(key)
    if tr is None:
        tr = _tracks([key])[0]
        TRACK_CACHE.put(key, tr)
    return tr


def _tracks(keys) -> list[ThreatTrack]:
    """Boost tracks of several threats (keys as in _track_cached, one Earth), each phase one
    batched engine call across the threats: the cut-off flights, then the post-boost coasts."""
    from ..flight.flyout import Steering, cutoff_flights
    from .flightcore import cd_table, engine_settings, flyout_arrays, run_engine

    earth = keys[0][6]
    # --- boost samples: thrust cut-off flights (exact states at each sample time)
    parts, rows = [], []
    for missile, launch, az, kick, sample_s, _, _, impacts in keys:
        t_bo = missile.boost_time_s
        cuts = np.arange(sample_s, t_bo, sample_s)
        cuts = np.append(cuts[cuts < t_bo - 1e-6], t_bo)
        if impacts:
            # thrust cut-off flights to impact: the state at each cut-off and where the payload lands
            res = cutoff_flights(missile, launch[0], launch[1], az, kick, cuts, earth=earth)
            rows.append((cuts, res.state, np.where(res.impacted, res.impact_lat_deg, np.nan),
                         np.where(res.impacted, res.impact_lon_deg, np.nan), None))
        else:
            # the same cut-off flights (same schedule, steering and integrator as cutoff_flights),
            # each stopped 1 s after its cut-off: only the state at the cut-off is needed
            cut_eff = np.minimum(cuts, t_bo * (1 - 1e-12))
            arrays, _, bo = flyout_arrays(missile, launch[0], launch[1], 0.0, az, kick, Steering(), 2.0e4, earth,
                                           cut_eff, None)
            arrays["t_max"] = cut_eff + 1.0
            nan = np.full(len(cuts), np.nan)
            rows.append((cuts, None, nan, nan, bo))
            parts.append(arrays)
    if parts:
        out = run_engine({k: np.concatenate([p[k] for p in parts], axis=0) for k in parts[0]}, earth,
                   engine_settings(earth, True))
        start = 0
        for i, (cuts, states, ilat, ilon, bo) in enumerate(rows):
            if states is None:
                seg = out["seg_state"][start:start + len(cuts)]
                rows[i] = (cuts, seg[np.arange(len(cuts)), bo, 1:], ilat, ilon, bo)
                start += len(cuts)
    # --- after burnout: the vacuum coast, stopped at each later sample time
    mach, cd = cd_table(((0.0, 1.0), (1.0, 1.0)))
    coasts, tps = [], []
    for (missile, _, _, _, sample_s, post_s, _, _), (_, states, _, _, _) in zip(keys, rows, strict=True):
        t_bo = missile.boost_time_s
        tp = t_bo + np.arange(sample_s, post_s + 1e-9, sample_s) if post_s > 0 else np.zeros(0)
        n = len(tp)
        tps.append(tp)
        coasts.append(dict(
            y0=np.repeat(states[-1:], n, axis=0), t0=np.full(n, t_bo), seg_t_end=np.full((n, 1), 1e30),
            seg_m0=np.ones((n, 1)), seg_mdot=np.zeros((n, 1)), seg_thrust=np.zeros((n, 1)),
            seg_exit_area=np.zeros((n, 1)), seg_ref_area=np.zeros((n, 1)), seg_mode=np.full((n, 1), 2, np.int32),
            cd_mach=np.broadcast_to(mach, (n, 1, len(mach))), cd_val=np.broadcast_to(cd, (n, 1, len(cd))),
            azimuth=np.zeros(n), kick=np.zeros(n), pitch_t0=np.zeros(n), pitch_t1=np.zeros(n),
            u_fixed=np.zeros((n, 3)), t_max=tp))
    total = sum(len(tp) for tp in tps)
    out = run_engine({k: np.concatenate([c[k] for c in coasts], axis=0) for k in coasts[0]}, earth,
               engine_settings(earth, False)) if total else None
    tracks, start = [], 0
    for (missile, *_), (cuts, states, ilat, ilon, _), tp in zip(keys, rows, tps, strict=True):
        t = cuts
        if len(tp):
            sl = slice(start, start + len(tp))
            start += len(tp)
            keep = ~out["impacted"][sl]
            t = np.concatenate([t, tp[keep]])
            states = np.concatenate([states, out["y"][sl][keep]])
            ilat = np.concatenate([ilat, np.full(keep.sum(), np.nan)])
            ilon = np.concatenate([ilon, np.full(keep.sum(), np.nan)])
        tracks.append(ThreatTrack.from_states(t, states, missile.boost_time_s, earth, ilat, ilon))
    return tracks


def prepare_threats(threats: Sequence[Threat]) -> None:
    """Fly every threat's trajectory and boost track that is not known yet, batched across the
    threats: the min-energy searches of all threats share each round's engine call, then their
    recorded flights, cut-off flights and post-boost coasts one call each (per Earth model). The
    results are those each threat computes alone (same grids, steering and integrator), cached
    for it and for any later threat with the same launch. Target-profile flights (an iterative
    two-parameter search) are flown one by one."""
    from ..flight.flyout import Steering
    from .flightcore import flyer, max_range_kicks, trajectories

    pending: dict = {}
    for th in threats:
        if th.missile is None or th._traj is not None or th.profile != "min-energy":
            continue
        key = (th.missile, th.launch, th.target, th.azimuth_in, th.profile, th.earth)
        if key not in pending and FLIGHT_CACHE.get(key) is None:
            pending[key] = th
    for earth in {k[5] for k in pending}:
        keys = [k for k in pending if k[5] == earth]
        jobs = [(flyer(k[0], k[1][0], k[1][1], 0.0, Steering(), earth), _threat_azimuth(k[1], k[2], k[3], earth))
                for k in keys]
        kicks = max_range_kicks(jobs)
        trajs = trajectories([(fl, az, kick, "min-energy", {}) for (fl, az), (kick, _) in zip(jobs, kicks, strict=True)])
        for k, traj in zip(keys, trajs, strict=True):
            FLIGHT_CACHE.put(k, traj)
    todo: dict = {}
    for th in threats:
        if th.missile is None or th._track is not None:
            continue
        traj = th.trajectory
        key = (th.missile, th.launch, traj.azimuth_deg, traj.kick_deg, th.sample_s, th.post_boost_s, th.earth,
               th.criterion != "burnout")
        if key not in todo and TRACK_CACHE.get(key) is None:
            todo[key] = th
    for earth in {k[6] for k in todo}:
        keys = [k for k in todo if k[6] == earth]
        for k, tr in zip(keys, _tracks(keys), strict=True):
            TRACK_CACHE.put(k, tr)

