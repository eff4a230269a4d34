"""Claim C5 as a probability: where does the payload of an ICBM shot down in boost phase land?

The claim ("If a UAV shoots down a nuclear-armed ICBM headed for the U.S. in its boost phase,
the debris will almost certainly fall on Russian territory") is a probability claim over an
uncertain engagement. This module samples the engagement itself and reports, per target and
per firing policy, P(payload on Russian land | intercept) with its 95 % interval, the shares of
other territories, and P(no intercept before burnout), then says in words under which
conditions the claim holds and what would flip it.

Model (every choice stated; each is a field of :class:`C5Spec`):

* **Sampled inputs** (seeded; sample i of each input is a pure function of (seed, target,
  input, i), see :mod:`boostphase.ensembles`): threat model (catalog names, liquid and solid),
  launch site (the laydown's known ICBM launch areas), detection delay, decision time, launch
  delay, the interceptor's ideal burnout speed, each UAV's phase on its orbit and whether each
  orbit is manned. Targets are not sampled: each target is its own ensemble; "overall" mixes
  them with the user's weights (stratified estimate).
* **Threat**: the missile's minimum-energy boost on the azimuth toward the target (the boost a
  standard attack flies, as in the C4 laydown), rotating WGS84 Earth.
* **Engagement** (:func:`boostphase.engage.earliest_intercepts`, the rule of
  ``boostphase engage``): the interceptor leaves the aircraft at t_L = detection + decision +
  launch delay; the aircraft is at its sampled point on the orbit circle (centre and radius
  from the laydown; its own ~100 m/s along the line of fire is neglected, ~2 % of the
  interceptor's speed); the earliest intercept of each orbit comes from the shared reach table;
  an intercept after burnout is no boost-phase intercept.
* **Firing policies**: ``earliest`` (the first shot that can reach, from the best manned orbit;
  the claim is conditional on a kill, so a single-shot kill probability drops out of the
  conditional shares), ``window_uniform`` (the intercept time spread uniformly from that
  earliest intercept to burnout: the weighting of the old ``c5`` answer, kept as a
  sensitivity), ``shoot_look_shoot`` (the first shot kills with probability ``kill_probability``;
  if it misses, a second interceptor leaves ``look_time_s`` after the first shot's intercept
  time (assessment and release included) from any manned orbit and kills with the same
  probability if it arrives before burnout; the intercept time is the killing shot's). A kill
  vehicle is a kill probability and a minimum closing speed: no guidance law.
* **Payload**: the intact re-entry vehicle flies on from the intercept with ballistic
  coefficient ``payload_beta`` (drag), as :func:`boostphase.consequence.shortfall_trace`. Its
  impact is computed for thrust cut-off on a grid of ``trace_dt_s`` (0.5 s) per (threat,
  site, target); a sample's cut-off is its intercept time rounded to that grid (the stated
  resolution: late in boost the impact point moves tens to hundreds of km per second).
* **Territory**: countries' land (Natural Earth 1:10m). Russia's territorial sea: Natural
  Earth has no 12-nmi belt, so a sea point within 22.2 km (12 nmi) of Russian land counts as
  Russian territorial sea (an approximation: the real baselines differ).
* **Booster fragments**: for the first ``fragment_intercepts`` intercepts of each target and
  policy, ``fragments_per_intercept`` fragments (boostphase.consequence.footprint's default kicks
  and ballistic coefficients) from the threat's state at the cut-off; their territory shares
  carry a normal interval over the intercepts (the fragments of one intercept are correlated).

Public, policy-level kinematics only (the level of the APS boost-phase study).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .. import ensembles as ens
from ..errors import InputError, check_range

POLICIES = ("earliest", "window_uniform", "shoot_look_shoot")
DEFAULT_TARGETS = ("Chicago", "Los Angeles", "Washington")
DEFAULT_MISSILES = ("hwasong-15", "generic-liquid-icbm", "generic-solid-icbm")
DEFAULT_LAYDOWN = "c4_sea_of_japan.toml"
TERRITORIAL_SEA_KM = 22.2
"""12 nautical miles (22.224 km), rounded down: a sea point this close to Russian land is
counted as Russian territorial sea (Natural Earth has no territorial-sea polygons)."""
CLAIM_THRESHOLD = 0.9
"""Our reading of "almost certainly": a probability of at least 90 %."""
RUSSIA = "Russia"
GROUPS = ("russia_land", "russia_territorial_sea", "china", "north_korea", "japan", "seas",
          "alaska_canada_us", "other_land")
_COUNTRY_GROUP = {"Russia": 0, "China": 2, "North Korea": 3, "Japan": 4, "United States of America": 6,
                  "Canada": 6}
POLICY_WORDS = {"earliest": "the earliest-fire policy (fire as soon as a shot can reach)",
                "window_uniform": "the window-uniform weighting (intercept time uniform from the "
                                  "earliest intercept to burnout)",
                "shoot_look_shoot": "shoot-look-shoot"}

# input name -> (unit, lo, hi, default); the defaults are assumptions inside public ranges
_NUMERIC = {
    # APS study (2003): detection and firing-quality track 30-65 s after launch; 45 s the laydown's
    "detection_delay": ("s", 0.0, 600.0, {"dist": "triangular", "low": 30.0, "mode": 45.0, "high": 65.0}),
    # a free parameter in the APS study and Wilkening (2004); the laydown's 15 s is its middle
    "decision_time": ("s", 0.0, 600.0, {"dist": "uniform", "low": 0.0, "high": 30.0}),
    "launch_delay": ("s", 0.0, 120.0, 5.0),
    # ideal burnout speeds discussed for air-launched boost-phase interceptors; 5 km/s the laydown's
    "interceptor_speed": ("m/s", 1000.0, 10000.0, {"dist": "choice", "values": [4000.0, 5000.0, 6000.0],
                                                    "weights": [1.0, 2.0, 1.0]}),
    "orbit_phase": ("deg", 0.0, 360.0, {"dist": "uniform", "low": 0.0, "high": 360.0}),
}
SPEED_STEP_M_S = 250.0
"""A continuous interceptor-speed distribution is rounded to this step (one reach table each)."""


@dataclass(frozen=True)
class C5Spec:
    """The C5 ensemble's settings (SI units; distributions from :mod:`boostphase.ensembles`)."""

    targets: dict[str, float]
    missiles: ens.Distribution
    sites: ens.Distribution
    inputs: dict[str, ens.Distribution]
    site_coords: dict[str, tuple[float, float]]
    orbit_availability: float = 1.0
    payload_beta: float = 5000.0
    kill_probability: float = 0.7
    look_time_s: float = 15.0
    n: int = 3000
    seed: int = 20171129
    trace_dt_s: float = 0.5
    fragment_intercepts: int = 300
    fragments_per_intercept: int = 50
    laydown: str = DEFAULT_LAYDOWN
    policies: tuple[str, ...] = POLICIES

    def conditions(self) -> dict:
        """Every assumption of the ensemble, in words and numbers (for the JSON and the verdict)."""
        return {
            "targets": self.targets, "threat_models": self.missiles.describe(),
            "launch_sites": self.sites.describe(), "site_coordinates": self.site_coords,
            "profile": "minimum-energy boost on the azimuth toward the target",
            **{k: d.describe() for k, d in self.inputs.items()},
            "orbit_availability": self.orbit_availability,
            "payload_beta_kg_m2": self.payload_beta,
            "shoot_look_shoot": f"single-shot kill probability {self.kill_probability:g}, second shot "
                                f"{self.look_time_s:g} s after the first shot's intercept time",
            "laydown": self.laydown, "n_per_target": self.n, "seed": self.seed,
            "cutoff_resolution_s": self.trace_dt_s,
            "fragments": f"{self.fragments_per_intercept} booster fragments from each of the first "
                         f"{self.fragment_intercepts} intercepts per target and policy (kicks log-normal, median "
                         "100 m/s, sigma 0.7, isotropic; beta log-normal, median 200 kg/m^2, sigma 1.0: "
                         "boostphase.consequence's defaults)",
            "russian_territorial_sea": f"sea within {TERRITORIAL_SEA_KM} km (12 nmi) of Russian land "
                                       "(approximation: Natural Earth has no territorial-sea belt)",
            "threshold": f"'almost certainly' read as >= {CLAIM_THRESHOLD:.0%}",
        }


_KEYS = ("targets", "missiles", "sites", *_NUMERIC, "orbit_availability", "payload_beta", "kill_probability",
         "look_time", "fragment_intercepts", "fragments_per_intercept", "n", "seed", "trace_dt", "laydown", "policies")


def _laydown(name: str):
    from ..consequence import EngagementSpec

    return EngagementSpec(scenario=name).build()


def _targets(v) -> dict[str, float]:
    from ..models.geography import find_city

    if isinstance(v, (list, tuple)):
        v = {str(x): 1.0 for x in v}
    if not isinstance(v, Mapping) or not v or len(v) > 50:
        raise InputError("targets", v, "a list of 1-50 city names or a table {city = weight}")
    out = {}
    for name, w in v.items():
        try:
            find_city(str(name))  # refuses unknown or ambiguous names with one line
        except InputError as e:
            raise InputError("targets", name, e.allowed, e.hint) from None
        out[str(name)] = check_range(f"targets.{name}", w, 0.0, 1e6)
    if sum(out.values()) <= 0:
        raise InputError("targets", v, "weights >= 0 with a positive sum")
    return out


def c5_spec(data: Mapping | None = None) -> C5Spec:
    """A :class:`C5Spec` from a table (e.g. a TOML ``[c5]`` section or CLI options); every
    field optional (the defaults are documented in this module). Bad input: InputError naming
    the field (the cheap checks first, the laydown file last)."""
    from ..units import quantity

    data = dict(data or {})
    extra = sorted(set(data) - set(_KEYS))
    if extra:
        raise InputError(extra[0], data[extra[0]], f"one of the C5 settings: {', '.join(_KEYS)}")
    pols = data.get("policies", list(POLICIES))
    if not isinstance(pols, (list, tuple)) or not pols or any(p not in POLICIES for p in pols):
        raise InputError("policies", pols, "a list of: " + ", ".join(POLICIES))
    plain = dict(
        n=_count("n", data.get("n", 3000), 1, 10_000_000), seed=_count("seed", data.get("seed", 20171129), 0, 2**63 - 1),
        orbit_availability=check_range("orbit_availability", data.get("orbit_availability", 1.0), 0.0, 1.0),
        payload_beta=quantity("payload_beta", data.get("payload_beta", 5000.0), "kg/m**2", 1.0, 1e6),
        kill_probability=check_range("kill_probability", data.get("kill_probability", 0.7), 0.0, 1.0),
        look_time_s=quantity("look_time", data.get("look_time", 15.0), "s", 0.0, 300.0),
        fragment_intercepts=_count("fragment_intercepts", data.get("fragment_intercepts", 300), 0, 100_000),
        fragments_per_intercept=_count("fragments_per_intercept", data.get("fragments_per_intercept", 50), 1,
                                       1_000_000),
        trace_dt_s=quantity("trace_dt", data.get("trace_dt", 0.5), "s", 0.05, 5.0), policies=tuple(pols))
    inputs = {k: ens.parse_distribution(k, data.get(k, d), u, lo, hi) for k, (u, lo, hi, d) in _NUMERIC.items()}
    missiles = _missiles(data.get("missiles", list(DEFAULT_MISSILES)))
    targets = _targets(data.get("targets", list(DEFAULT_TARGETS)))
    laydown = str(data.get("laydown", DEFAULT_LAYDOWN))
    _laydown(laydown)   # the laydown's orbits, interceptor and timeline are valid
    site_coords = {s["name"]: (float(s["lat"]), float(s["lon"])) for s in _laydown_sites(laydown)}
    sites = ens.parse_distribution("sites", data.get("sites", list(site_coords)))
    if sites.kind != "choice" or not sites.categorical or not set(sites.values) <= set(site_coords):
        raise InputError("sites", data.get("sites"), "names of the laydown's [[sites]]: " + ", ".join(site_coords))
    return C5Spec(targets=targets, missiles=missiles, sites=sites, inputs=inputs, site_coords=site_coords,
                  laydown=laydown, **plain)


def _missiles(value) -> ens.Distribution:
    from ..models.vehicles import load

    missiles = ens.parse_distribution("missiles", value)
    if missiles.kind != "choice" or not missiles.categorical:
        raise InputError("missiles", value, "catalog names (a list, or a choice with weights)")
    for m in missiles.values:
        try:
            load(m)
        except InputError as e:
            raise InputError("missiles", m, e.allowed, e.hint) from None
    return missiles


def _count(field: str, v, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise InputError(field, v, f"an integer from {lo:,} to {hi:,}")
    return v


def _laydown_sites(name: str) -> list[dict]:
    from ..consequence import EngagementSpec

    data, _ = EngagementSpec(scenario=name).engage_data()
    sites = data.get("sites") or []
    if not sites:
        raise InputError("laydown", name, "an engagement scenario with [[sites]] (the launch areas)")
    return sites


# ------------------------------------------------------------------------------------------
# precomputation: threats, payload traces, reach tables
# ------------------------------------------------------------------------------------------

@dataclass
class Case:
    """One (threat model, launch site, target): its boost track and the payload's impact for
    thrust cut-off on a grid (territory label and group code per grid time)."""

    missile: str
    site: str
    target: str
    threat: object               # boostphase.engage.Threat
    cutoff_s: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    territory: np.ndarray
    group: np.ndarray            # index into GROUPS per grid time

    @property
    def burnout_s(self) -> float:
        return float(self.threat.burnout_time_s)

    def grid_index(self, t) -> np.ndarray:
        """Index of the grid cut-off nearest to each time ``t`` (s after launch)."""
        return nearest_index(self.cutoff_s, t)


def nearest_index(grid: np.ndarray, t) -> np.ndarray:
    """Index of the nearest value of the increasing ``grid`` to each ``t`` (ties: the earlier)."""
    t = np.asarray(t, float)
    i = np.clip(np.searchsorted(grid, t), 1, len(grid) - 1)
    return np.where(np.abs(t - grid[i - 1]) <= np.abs(grid[i] - t), i - 1, i)


def group_codes(territory, lat, lon) -> np.ndarray:
    """The :data:`GROUPS` index of each impact point (territory labels from geography)."""
    from ..models.geography import distance_to_territory_km, territory_table

    tab = territory_table()
    countries = set(tab.labels[: tab.n_countries])
    terr = np.asarray(territory, object)
    code = np.array([_COUNTRY_GROUP.get(str(x), 7 if str(x) in countries else 5) for x in terr], int)
    sea = code == 5
    if sea.any():
        near = distance_to_territory_km(np.asarray(lat, float)[sea], np.asarray(lon, float)[sea], RUSSIA)
        code[np.flatnonzero(sea)[near <= TERRITORIAL_SEA_KM]] = 1
    return code


@dataclass
class Context:
    """Everything the sampling needs, computed once: cases, orbits, interceptor, timing."""

    spec: C5Spec
    cases: dict[tuple[str, str, str], Case]
    orbits: list            # boostphase.engage.Platform
    interceptor: object     # boostphase.engage.Interceptor (the laydown's; speed sampled)
    timing_s: dict = field(default_factory=dict)

    def table(self, speed_m_s: float, altitude_m: float):
        return self.interceptor.with_speed(float(speed_m_s)).reach_table(altitude_m, 0.0)


def prepare(spec: C5Spec, progress=None) -> Context:
    """Fly every (threat model, site, target) boost once (batched) and its payload trace."""
    import time

    from .. import engage
    from ..consequence import shortfall_trace
    from ..models.geography import find_city

    t0 = time.perf_counter()
    objs, _ = _laydown(spec.laydown)
    threats = {}
    for tgt in spec.targets:
        c = find_city(tgt)
        for m in spec.missiles.values:
            for s in spec.sites.values:
                la, lo = spec.site_coords[s]
                threats[(m, s, tgt)] = engage.Threat(m, la, lo, target=(c.lat_deg, c.lon_deg), profile="min-energy",
                                                     name=f"{m} from {s} toward {tgt}")
    engage.prepare_threats(list(threats.values()))
    t1 = time.perf_counter()
    cases = {}
    for key, th in threats.items():
        tr = shortfall_trace(th.missile, th.launch, beta_kg_m2=spec.payload_beta, dt_s=spec.trace_dt_s,
                             trajectory=th.trajectory)
        cases[key] = Case(*key, th, tr.cutoff_s, tr.lat, tr.lon, tr.territory,
                          group_codes(tr.territory, tr.lat, tr.lon))
        if progress:
            progress(1)
    t2 = time.perf_counter()
    ctx = Context(spec, cases, list(objs.platforms), objs.interceptor)
    ctx.timing_s.update(threats_s=t1 - t0, traces_s=t2 - t1)
    return ctx


# ------------------------------------------------------------------------------------------
# sampling
# ------------------------------------------------------------------------------------------

def draw(spec: C5Spec, target: str, start: int, stop: int, n_orbits: int) -> dict[str, np.ndarray]:
    """Samples ``start..stop-1`` of every input for one target (pure functions of (seed,
    target, input, index): any chunking gives the same values)."""
    dists = {"missile": spec.missiles, "site": spec.sites, **spec.inputs}
    dists.pop("orbit_phase")
    for o in range(n_orbits):
        dists[f"orbit_phase_{o}"] = spec.inputs["orbit_phase"]
    out = ens.sample({f"{target}/{k}": d for k, d in dists.items()}, spec.seed, start, stop)
    out = {k.split("/", 1)[1]: v for k, v in out.items()}
    idx = np.arange(start, stop, dtype=np.uint64)
    for name in ["window", "kill_1", "kill_2", *[f"orbit_manned_{o}" for o in range(n_orbits)]]:
        out[name] = ens.uniforms(spec.seed, ens.stream_id(f"{target}/{name}"), idx)
    sp = out["interceptor_speed"]
    if spec.inputs["interceptor_speed"].kind != "choice":
        out["interceptor_speed"] = np.round(sp / SPEED_STEP_M_S) * SPEED_STEP_M_S
    out["interceptor_launch"] = out["detection_delay"] + out["decision_time"] + out["launch_delay"]
    return out


def orbit_point(platform, phase_deg) -> tuple[np.ndarray, np.ndarray]:
    """The aircraft's position (deg) at ``phase_deg`` (bearing from the orbit centre) on its
    orbit circle (sphere of 6371 km, as the engagement geometry)."""
    from ..models.earth import SPHERE

    ph = np.asarray(phase_deg, float)
    return SPHERE.destination(np.full(ph.shape, platform.lat_deg), np.full(ph.shape, platform.lon_deg), ph,
                              np.full(ph.shape, platform.orbit_radius_m))


def _orbit_times(ctx: Context, case: Case, s: dict, rows: np.ndarray, launch_s: np.ndarray) -> np.ndarray:
    """Earliest intercept (s; NaN none) of each sample in ``rows`` from each manned orbit,
    interceptor leaving at ``launch_s``: shape (len(rows), n_orbits)."""
    from ..engage import earliest_intercepts

    out = np.full((len(rows), len(ctx.orbits)), np.nan)
    speeds = s["interceptor_speed"][rows]
    for v in np.unique(speeds):
        sub = np.flatnonzero(speeds == v)
        for o, plat in enumerate(ctx.orbits):
            manned = s[f"orbit_manned_{o}"][rows[sub]] < ctx.spec.orbit_availability
            if not manned.any():
                continue
            r = sub[manned]
            la, lo = orbit_point(plat, s[f"orbit_phase_{o}"][rows[r]])
            out[r, o] = earliest_intercepts(case.threat.track, la, lo, ctx.table(v, plat.altitude_m), launch_s[r],
                                            ctx.interceptor.kill_vehicle)
    return out


def _first(times: np.ndarray, burnout_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(earliest time over orbits, index of that orbit); NaN / -1 where no orbit intercepts
    before burnout."""
    t = np.where(times <= burnout_s + 1e-9, times, np.inf)
    o = np.argmin(t, axis=1)
    best = t[np.arange(len(t)), o]
    ok = np.isfinite(best)
    return np.where(ok, best, np.nan), np.where(ok, o, -1)


def simulate(ctx: Context, target: str, start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
    """Samples ``start..stop-1`` of one target: inputs, intercept time per policy (NaN: no
    intercept before burnout), grid cut-off index and territory group per policy. Each sample
    depends only on its own inputs, so any chunking gives bit-identical results."""
    spec = ctx.spec
    stop = spec.n if stop is None else stop
    s = draw(spec, target, start, stop, len(ctx.orbits))
    n = stop - start
    res = {f"t_{p}": np.full(n, np.nan) for p in POLICIES}
    res.update({f"group_{p}": np.full(n, -1) for p in POLICIES})
    res.update({f"cut_{p}": np.full(n, -1) for p in POLICIES})
    res["orbit"] = np.full(n, -1)
    res["burnout_s"] = np.full(n, np.nan)
    res["index"] = np.arange(start, stop)
    for mi, m in enumerate(spec.missiles.values):
        for si, site in enumerate(spec.sites.values):
            rows = np.flatnonzero((s["missile"] == mi) & (s["site"] == si))
            if rows.size:
                _simulate_case(ctx, ctx.cases[(m, site, target)], s, rows, res)
    s.update(res)
    s["target"] = target
    return s


def _simulate_case(ctx: Context, case: Case, s: dict, rows: np.ndarray, res: dict) -> None:
    spec, t_bo = ctx.spec, case.burnout_s
    res["burnout_s"][rows] = t_bo
    t1, orbit = _first(_orbit_times(ctx, case, s, rows, s["interceptor_launch"][rows]), t_bo)
    res["orbit"][rows] = orbit
    hit = np.isfinite(t1)
    times = {"earliest": t1,
             "window_uniform": np.where(hit, t1 + s["window"][rows] * (t_bo - t1), np.nan)}
    # shoot-look-shoot: the second interceptor leaves look_time after the first shot's intercept
    kill1 = hit & (s["kill_1"][rows] < spec.kill_probability)
    miss = hit & ~kill1
    t2 = np.full(len(rows), np.nan)
    if miss.any():
        t2[miss], _ = _first(_orbit_times(ctx, case, s, rows[miss], t1[miss] + spec.look_time_s), t_bo)
    kill2 = miss & np.isfinite(t2) & (s["kill_2"][rows] < spec.kill_probability)
    times["shoot_look_shoot"] = np.where(kill1, t1, np.where(kill2, t2, np.nan))
    for p, t in times.items():
        ok = np.isfinite(t)
        res[f"t_{p}"][rows] = t
        cut = np.where(ok, case.grid_index(np.where(ok, t, t_bo)), -1)
        res[f"cut_{p}"][rows] = cut
        res[f"group_{p}"][rows] = np.where(ok, case.group[np.maximum(cut, 0)], -1)


def simulate_chunked(ctx: Context, target: str, chunk: int = 1000, progress=None,
                     workers: int = 1) -> dict[str, np.ndarray]:
    """:func:`simulate` for all samples of a target, ``chunk`` samples at a time, on ``workers``
    threads (the result does not depend on either: each sample depends on its index only)."""
    from concurrent.futures import ThreadPoolExecutor

    n, step = ctx.spec.n, max(1, int(chunk))
    bounds = [(a, min(n, a + step)) for a in range(0, n, step)]

    def one(ab):
        out = simulate(ctx, target, *ab)
        if progress:
            progress(ab[1] - ab[0])
        return out

    if workers > 1 and len(bounds) > 1:
        # build the shared reach tables before the threads start
        for v in np.unique(draw(ctx.spec, target, 0, n, len(ctx.orbits))["interceptor_speed"]):
            for p in ctx.orbits:
                ctx.table(v, p.altitude_m)
        with ThreadPoolExecutor(int(workers)) as ex:
            parts = list(ex.map(one, bounds))
    else:
        parts = [one(ab) for ab in bounds]
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != "target"}
    out["target"] = target
    return out


# ------------------------------------------------------------------------------------------
# summaries
# ------------------------------------------------------------------------------------------

def policy_summary(ctx: Context, sim: dict, policy: str) -> dict:
    """One target under one policy: P(payload on Russian land | intercept) with its 95 %
    Wilson interval and n (the intercepts), the same with Russia's territorial sea, the share
    of every territory group, P(no intercept before burnout) over all samples, intercept-time
    quantiles, a convergence check and the sensitivity ranking of P(Russian land)."""
    g = sim[f"group_{policy}"]
    hit = g >= 0
    gh = g[hit]
    ru = ens.proportion(gh == 0)
    shares = {name: ens.proportion(gh == i) for i, name in enumerate(GROUPS)}
    return {
        "p_russia_land": ru["p"], "ci95": ru["ci95"], "n": ru["n"],
        "p_russia_land_or_territorial_sea": ens.proportion(gh <= 1),
        "shares": shares,
        "p_no_intercept": ens.proportion(~hit),
        "samples": int(g.size),
        "intercept_time_s": ens.quantiles(sim[f"t_{policy}"]),
        "convergence": ens.convergence(gh == 0, tol=0.03),
        "sensitivity": sensitivity_ranking(ctx, sim, policy),
        "fragments": fragment_summary(ctx, sim, policy),
        "by_threat_model": {m: _short(ens.proportion(gh[sim["missile"][hit] == i] == 0))
                            for i, m in enumerate(ctx.spec.missiles.values)},
    }


def _short(prop: dict) -> dict:
    return {"p_russia_land": prop["p"], "ci95": prop["ci95"], "n": prop["n"]}


def fragment_summary(ctx: Context, sim: dict, policy: str) -> dict | None:
    """Booster fragments (the fragment model of :func:`boostphase.consequence.footprint`, from
    the threat's state at the cut-off) of the first ``fragment_intercepts`` intercepted samples:
    the mean share of fragments per territory group, with a 95 % normal interval over the
    intercepts (the independent units; fragments of one intercept are not independent draws).
    Each sample's fragment seed derives from (seed, target, policy, sample index). All the
    intercepts' fragments fly in one engine call; the engine's results do not depend on the
    batch, so each fragment lands exactly where ``footprint(state, n, seed)`` puts it (tested)."""
    rows = np.flatnonzero(sim[f"group_{policy}"] >= 0)[: ctx.spec.fragment_intercepts]
    if rows.size == 0:
        return None
    per = ctx.spec.fragments_per_intercept
    lat, lon, hit = fragment_impacts(fragment_states(ctx, sim, policy, rows), per)
    frac = np.zeros((rows.size, len(GROUPS)))
    g_all = np.full(lat.size, -1)
    from ..models.geography import territory

    g_all[hit] = group_codes(territory(lat[hit], lon[hit]), lat[hit], lon[hit])
    for k in range(rows.size):
        g = g_all[k * per:(k + 1) * per]
        frac[k] = np.bincount(g[g >= 0], minlength=len(GROUPS)) / max(int((g >= 0).sum()), 1)
    m = frac.mean(axis=0)
    se = frac.std(axis=0, ddof=1) / np.sqrt(rows.size) if rows.size > 1 else np.full(len(GROUPS), 0.5)
    shares = {g: {"p": float(m[j]), "ci95": [float(max(0.0, m[j] - ens.Z95 * se[j])),
                                             float(min(1.0, m[j] + ens.Z95 * se[j]))]} for j, g in enumerate(GROUPS)}
    return {"intercepts": int(rows.size), "per_intercept": per,
            "p_russia_land": shares["russia_land"]["p"], "ci95": shares["russia_land"]["ci95"], "shares": shares,
            "interval": "normal over the intercepts (cluster means)"}


def fragment_states(ctx: Context, sim: dict, policy: str, rows) -> list[tuple[np.ndarray, int]]:
    """(Earth-fixed cut-off state (6,), fragment seed) of each intercepted sample in ``rows``."""
    spec = ctx.spec
    seeds = ens.uniforms(spec.seed, ens.stream_id(f"{sim['target']}/fragments/{policy}"), sim["index"][rows])
    out = []
    for i, u in zip(rows, seeds, strict=True):
        case = ctx.cases[(spec.missiles.values[sim["missile"][i]], spec.sites.values[sim["site"][i]], sim["target"])]
        out.append((case.threat.track.state_at(float(case.cutoff_s[sim[f"cut_{policy}"][i]])), int(u * 2**53)))
    return out


def fragment_impacts(sources: list[tuple[np.ndarray, int]], per: int):
    """Impact (lat, lon, impacted) of ``per`` fragments from each (state, seed), fragments of
    source k at rows k*per..(k+1)*per-1: the footprint's fragment model and defaults (kick and
    beta distributions, tolerance, time limit), flown together."""
    from ..consequence import (
        BetaDist,
        FragmentSource,
        Kick,
        Scenario,
        coast_lanes,
        initial_states,
        wrap_lon,
    )
    from ..models.earth import WGS84

    rtol = Scenario.model_fields["rtol"].default
    kick, beta = Kick(), BetaDist()
    parts = [initial_states(FragmentSource(times=np.zeros(1), states=np.asarray(st, float)[None, :], kick=kick,
                                           beta=beta, earth=WGS84, rtol=rtol), seed, 0, per)
             for st, seed in sources]
    r0, v0, b = (np.concatenate([p[j] for p in parts]) for j in range(3))
    t_max = FragmentSource.__dataclass_fields__["t_max_s"].default
    order = np.argsort(b, kind="stable")  # similar step counts side by side (speed only)
    out = coast_lanes(r0[order], v0[order], b[order], WGS84, rtol, t_max)
    y, hit = np.empty_like(r0, shape=(len(b), 6)), np.empty(len(b), bool)
    y[order], hit[order] = out["y"], out["impacted"]
    lat, lon, _ = WGS84.ecef_to_geodetic(y[:, :3])
    return lat, wrap_lon(lon), hit


def sensitivity_ranking(ctx: Context, sim: dict, policy: str) -> list[dict]:
    """Which sampled input moves P(payload on Russian land | intercept) most (ensembles.sensitivity)."""
    hit = sim[f"group_{policy}"] >= 0
    if hit.sum() < 20:
        return []
    names = ["missile", "site", "detection_delay", "decision_time", "launch_delay", "interceptor_speed",
             "interceptor_launch", *[f"orbit_phase_{o}" for o in range(len(ctx.orbits))]]
    inputs = {k: sim[k][hit] for k in names}
    labels = {"missile": ctx.spec.missiles.values, "site": ctx.spec.sites.values}
    rows = ens.sensitivity(inputs, sim[f"group_{policy}"][hit] == 0, labels)
    words = {"missile": "threat model", "site": "launch site", "interceptor_launch": "interceptor launch time "
             "(sum of the delays)", "detection_delay": "detection delay", "decision_time": "decision time",
             "launch_delay": "launch delay", "interceptor_speed": "interceptor speed"}
    for r in rows:
        if r["input"].startswith("orbit_phase_"):
            r["input"] = f"orbit phase ({ctx.orbits[int(r['input'].rsplit('_', 1)[1])].name})"
        r["input"] = words.get(r["input"], r["input"])
    return rows


def russia_by_time(ctx: Context, target: str, step_s: float = 1.0) -> dict:
    """P(payload on Russian land | intercept at time t) against t (s after launch): the
    threat-model and site weights' average of each case's label at t, over the cases still
    burning at t (``burning`` gives their weight)."""
    spec = ctx.spec
    t_max = max(c.burnout_s for k, c in ctx.cases.items() if k[2] == target)
    t = np.arange(step_s, t_max + 1e-9, step_s)
    num, den = np.zeros((len(spec.missiles.values), t.size)), np.zeros((len(spec.missiles.values), t.size))
    for mi, m in enumerate(spec.missiles.values):
        for si, site in enumerate(spec.sites.values):
            c = ctx.cases[(m, site, target)]
            w = spec.missiles.weights[mi] * spec.sites.weights[si]
            on = t <= c.burnout_s + 1e-9
            ru = c.group[c.grid_index(np.minimum(t, c.burnout_s))] == 0
            num[mi] += w * (on & ru)
            den[mi] += w * on
    with np.errstate(invalid="ignore"):
        p = np.where(den.sum(0) > 0, num.sum(0) / np.maximum(den.sum(0), 1e-300), np.nan)
        per = np.where(den > 0, num / np.maximum(den, 1e-300), np.nan)
    return {"t_s": t.tolist(), "p_russia_land": p.tolist(), "burning": den.sum(0).tolist(),
            "by_threat_model": {m: per[i].tolist() for i, m in enumerate(spec.missiles.values)}}


def _runs(t: np.ndarray, ok: np.ndarray) -> list[tuple[float, float]]:
    """Consecutive runs of True as (first t, last t)."""
    out, start = [], None
    for i, v in enumerate(ok):
        if v and start is None:
            start = t[i]
        if not v and start is not None:
            out.append((start, t[i - 1]))
            start = None
    if start is not None:
        out.append((start, t[-1]))
    return out


def flip_condition(curve: dict, policy_row: dict) -> str:
    """What would flip the verdict under a policy, from the P(Russia | t) curve."""
    t = np.asarray(curve["t_s"])
    p = np.asarray(curve["p_russia_land"], float)
    good = np.nan_to_num(p, nan=0.0) >= CLAIM_THRESHOLD
    runs = _runs(t, good)
    med = (policy_row.get("intercept_time_s") or {}).get("q50")
    if policy_row["p_russia_land"] is None:
        return "no sample is intercepted before burnout, so nothing lands anywhere by intercept"
    if policy_row["p_russia_land"] >= CLAIM_THRESHOLD:
        after = t[(t > (med or 0)) & ~good]
        return (f"it would fail if the intercepts came after t = {after[0]:.0f} s (there P(Russia | t) drops "
                f"below {CLAIM_THRESHOLD:.0%})" if after.size else "no later intercept time flips it")
    if not runs:
        return (f"no intercept time reaches {CLAIM_THRESHOLD:.0%}: across the threat models and sites, "
                f"P(Russia | t) peaks at {np.nanmax(p):.0%} (t = {t[np.nanargmax(p)]:.0f} s)")
    txt = ", ".join(f"{a:.0f}-{b:.0f} s" if b > a else f"{a:.0f} s" for a, b in runs)
    hold = (f", i.e. a defence holding fire until t = {runs[0][0]:.0f} s or later (its median intercept "
            f"under this policy comes at {med:.0f} s)" if med is not None and runs[0][0] > med else "")
    return (f"it would need every intercept to fall within {txt} after launch, where at least "
            f"{CLAIM_THRESHOLD:.0%} of the threat cases put the payload on Russian land{hold}")


def target_answer(ctx: Context, target: str, sim: dict) -> dict:
    """All policies of one target, the P(Russia | t) curve and the verdict in words."""
    pols = {p: policy_summary(ctx, sim, p) for p in ctx.spec.policies}
    curve = russia_by_time(ctx, target)
    for row in pols.values():
        row["flip"] = flip_condition(curve, row)
    return {"policies": pols, "russia_by_intercept_time": curve, "verdict": verdict(target, pols)}


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


def _prob_txt(row: dict) -> str:
    lo, hi = row["ci95"]
    return (f"{_pct(row['p_russia_land'])} (95 % CI {_pct(lo)}-{_pct(hi)}, n = {row['n']:,} intercepts; "
            f"no intercept before burnout in {_pct(row['p_no_intercept']['p'])} of {row['samples']:,} samples)")


def verdict(target: str, pols: dict) -> str:
    """The answer in words: each policy's probability with its interval and the flip condition."""
    parts = [f"under {POLICY_WORDS[p]}, P(payload on Russian land | intercept) = {_prob_txt(r)}"
             + (" (by threat model: " + ", ".join(f"{m} {_pct(b['p_russia_land'])}" for m, b in
                                                  r["by_threat_model"].items()) + ")"
                if len(r["by_threat_model"]) > 1 else "")
             for p, r in pols.items()]
    holds = [p for p, r in pols.items() if r["p_russia_land"] is not None and r["ci95"][0] >= CLAIM_THRESHOLD]
    fails = [p for p in pols if p not in holds]
    head = (f"{target}: 'almost certainly' (>= {CLAIM_THRESHOLD:.0%}, by the interval's lower end) holds under "
            f"{', '.join(holds) or 'no policy'}" + (f" and not under {', '.join(fails)}" if fails and holds else "")
            + ". ")
    by_text: dict[str, list[str]] = {}
    for p, r in pols.items():
        by_text.setdefault(r["flip"], []).append(p)
    flips = ("; ".join(f"{', '.join(ps)}: {txt}" for txt, ps in by_text.items()) if len(by_text) > 1
             else next(iter(by_text)))
    return head + "; ".join(parts) + ". What would flip it: " + flips + "."


def overall(ctx: Context, answers: dict) -> dict:
    """The targets mixed with their weights (stratified estimate per policy)."""
    w = [ctx.spec.targets[t] for t in answers]
    out = {}
    for p in ctx.spec.policies:
        parts = [{"p": a["policies"][p]["p_russia_land"], "n": a["policies"][p]["n"]} for a in answers.values()]
        st = ens.stratified_proportion(parts, w)
        no = ens.stratified_proportion([a["policies"][p]["p_no_intercept"] for a in answers.values()], w)
        out[p] = {"p_russia_land": st["p"], "ci95": st["ci95"], "n": st["n"], "method": st["method"],
                  "p_no_intercept": no}
    return out


def summary_text(result: dict) -> str:
    """One paragraph over all targets and policies, composed from the numbers."""
    ov = result["overall"]
    parts = [f"under {POLICY_WORDS[p]}, {_pct(r['p_russia_land'])} (95 % CI {_pct(r['ci95'][0])}-"
             f"{_pct(r['ci95'][1])})" for p, r in ov.items()]
    tw = ", ".join(f"{t} {w:g}" for t, w in result["conditions"]["targets"].items())
    top = result["most_influential_input"]
    return (f"Claim C5 as a probability (targets weighted {tw}; "
            f"{result['conditions']['n_per_target']:,} sampled engagements per target): the payload of an ICBM "
            "shot down in boost phase lands on Russian land " + "; ".join(parts) + ". "
            + (f"The input that moves it most: {top}. " if top else "")
            + "The answer depends on the firing policy; each target's verdict names what would flip it.")


def analyse(spec: C5Spec | None = None, chunk: int = 1000, progress=None, keep_samples: bool = False,
            workers: int = 1) -> dict:
    """The whole C5 analysis: per target and policy (``targets.<city>.policies.<policy>``:
    ``p_russia_land``, ``ci95``, ``n``, shares, P(no intercept), sensitivity), overall, the
    conditions and timings. ``keep_samples``: also the per-sample arrays (under ``samples``)."""
    import time

    spec = spec or c5_spec()
    t0 = time.perf_counter()
    ctx = prepare(spec)
    t1 = time.perf_counter()
    answers, samples = {}, {}
    for tgt in spec.targets:
        sim = simulate_chunked(ctx, tgt, chunk, progress, workers)
        answers[tgt] = target_answer(ctx, tgt, sim)
        samples[tgt] = sim
    t2 = time.perf_counter()
    res = {"claim": "C5", "conditions": spec.conditions(), "targets": answers, "overall": overall(ctx, answers),
           "orbits": [{"name": p.name, "lat": p.lat_deg, "lon": p.lon_deg, "radius_km": p.orbit_radius_m / 1e3,
                       "altitude_km": p.altitude_m / 1e3} for p in ctx.orbits],
           "timing_s": {**ctx.timing_s, "prepare": t1 - t0, "sampling": t2 - t1, "total": t2 - t0}}
    first = next(iter(answers.values()))["policies"]
    sens = first.get("earliest", next(iter(first.values())))["sensitivity"]
    res["most_influential_input"] = (f"{sens[0]['input']} (change in P(Russian land) {sens[0]['effect']:+.0%} "
                                     f"for {next(iter(answers))}, earliest fire)") if sens else None
    res["summary"] = summary_text(res)
    if keep_samples:
        res["samples"] = samples
        res["context"] = ctx
    return res


def impact_points(ctx: Context, target: str, sim: dict, policy: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon, group) of the payload impact of every intercepted sample under a policy."""
    lat, lon, grp = [], [], []
    for mi, m in enumerate(ctx.spec.missiles.values):
        for si, site in enumerate(ctx.spec.sites.values):
            c = ctx.cases[(m, site, target)]
            rows = (sim["missile"] == mi) & (sim["site"] == si) & (sim[f"cut_{policy}"] >= 0)
            k = sim[f"cut_{policy}"][rows]
            lat.append(c.lat[k])
            lon.append(c.lon[k])
            grp.append(c.group[k])
    return np.concatenate(lat), np.concatenate(lon), np.concatenate(grp)


def probability_text(x: float | None) -> str:
    """A probability as a percentage for the CLI (n/a when undefined)."""
    return _pct(x) if x is None or not math.isnan(x) else "n/a"


__all__ = ["C5Spec", "c5_spec", "prepare", "simulate", "simulate_chunked", "analyse", "draw", "orbit_point",
           "nearest_index", "group_codes", "policy_summary", "russia_by_time", "flip_condition", "verdict",
           "impact_points", "POLICIES", "GROUPS", "DEFAULT_TARGETS", "Case", "Context"]
