"""Claim C4, decision-grade: can a UAV-borne interceptor kill a North Korean ICBM in boost phase?

The claim: the best short-term defence is "a high-altitude, long-endurance UAV armed with
interceptor missiles" killing ICBMs in boost phase. The figure that decides it is the
**guaranteed standoff**: the distance from the launch site within which an orbit reaches the
missile whatever direction it flies (:mod:`boostphase.engage.standoff`). If the keep-out rules
put the nearest allowed orbit farther than that, no orbit can promise an intercept. The
best-case standoff (under the missile's own track, downrange) is reported only with its bearing
and the territory under it.

Model (every choice stated; each is a field of :class:`C4Spec`, defaults in
``examples/c4_decision.toml``):

* **Threats** - liquid (``generic-liquid-icbm``, ``hwasong-15``) and solid (``generic-solid-icbm``,
  ``hwasong-18``, ``hwasong-19``: North Korea's solid ICBMs) catalog models, each on its
  minimum-energy boost from the standoff site toward the target (rotating WGS84 Earth). A class's
  figures are its least favourable model's (named).
* **Interceptor** - the example's two-stage interceptor (ideal burnout speed 5 km/s, two 20 s
  burns, Isp 280 s), its climb flown **with drag** (US Standard Atmosphere 1976, constant Cd on
  its cross-section, masses from the rocket equation: :class:`~boostphase.engage.interceptor.Airframe`);
  the same in vacuum for comparison. Fired ``delay`` seconds after the ICBM's launch (detection,
  decision and release together), from the aircraft's altitude, no along-track speed.
* **Standoff** - polar grid around the launch site (bearings every 10 deg, distances every 10 km);
  distance from the launch site to the aircraft at interceptor launch.
* **Keep-out** - the orbit must be over international waters and >= 100 km from North Korea
  (the example's rules); the nearest allowed orbit to each launch site is found on the same grid.
* **Divert** - the kill vehicle's budget against n-sigma of the threat's predicted-position
  uncertainty at intercept (:mod:`boostphase.engage.divert`), over the fly-out at the
  guaranteed standoff when no track update reaches the interceptor after launch.
* **Logistics** - interceptor mass (rocket equation), interceptors per aircraft, transit from the
  base, aircraft per 24/7 orbit, simultaneous launches per orbit (:mod:`boostphase.engage.logistics`).
* **Sensitivity** - the deciding number (liquid guaranteed standoff) recomputed with each input
  moved by a stated step; the output names the input that moves it most.

Public, policy-level kinematics only (the APS boost-phase study's level): no guidance law.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..engage.scenario import AirframeSpec
from ..errors import InputError, check_range
from ..limits import LAT_DEG, LON_DEG
from ..units import quantity_validator

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "c4_decision.toml"
CLASSES = ("liquid", "solid")


_q = quantity_validator  # a field given as a number in its unit or a quantity string


_Seconds = Annotated[float, _q("s", 0.0, 1000.0)]
_Meters = Annotated[float, _q("m", 0.0, 2e7)]
_Speed = Annotated[float, _q("m/s", 0.0, 3e4)]
_Mass = Annotated[float, _q("kg", 0.0, 1e7)]
_Hours = Annotated[float, _q("h", 0.0, 1000.0)]
_Accel = Annotated[float, _q("m/s^2", 0.0, 1000.0)]
_Place = str | tuple[float, float]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DivertSpec(_Spec):
    accel_sigma: _Accel = 9.81          # unpredicted threat acceleration, 1 sigma (m/s^2)
    sigma: _Meters | None = None        # or a stated 1-sigma predicted-position error (m)
    n_sigma: float = 3.0


class AircraftSpec(_Spec):
    name: str = "MQ-9 class"
    payload: _Mass = 1361.0
    endurance: _Hours = 20.0
    cruise_speed: _Speed = 100.0
    turnaround: _Hours = 4.0
    launcher_fraction: float = 0.10
    altitude: _Meters = 15e3
    base: _Place = "Misawa"
    salvo: int = 2


def _default_interceptor():
    from ..engage import InterceptorSpec

    return InterceptorSpec(name="two-stage air-launched interceptor, 5 km/s", burnout_speed=5e3,
                           burn_times=[20.0, 20.0], isp=280.0)


def _default_keep_out():
    from ..engage import KeepOutCountry, KeepOutSpec

    return KeepOutSpec(international_waters=22224.0, countries=[KeepOutCountry(country="North Korea", distance=100e3)])


def _default_sites():
    from ..engage import SiteSpec

    return [SiteSpec(name="Pyongyang (Sunan)", lat=39.0, lon=125.7), SiteSpec(name="Sohae", lat=39.66, lon=124.7),
            SiteSpec(name="Mupyong-ni", lat=40.6, lon=126.4)]


class C4Spec(_Spec):
    """The C4 analysis's inputs (TOML: ``examples/c4_decision.toml``)."""

    title: str = "C4: UAV-borne boost-phase intercept of North Korean ICBMs"
    delay: _Seconds = 60.0
    delays: list[_Seconds] = [30.0, 45.0, 60.0, 75.0, 90.0, 120.0]
    speeds: list[_Speed] = [5e3, 6.5e3, 8e3, 10e3]
    target: str = "Chicago"
    liquid: list[str] = ["generic-liquid-icbm", "hwasong-15"]
    solid: list[str] = ["generic-solid-icbm", "hwasong-18", "hwasong-19"]
    figure_liquid: str = "generic-liquid-icbm"
    figure_solid: str = "hwasong-18"
    bearing_step_deg: float = 10.0
    max_distance: _Meters = 3.0e6
    distance_step: _Meters = 10e3
    figure_distance_step: _Meters = 20e3
    drag: bool = True
    platform_altitude: _Meters = 15e3
    interceptor: object = None
    airframe: AirframeSpec = AirframeSpec()
    divert: DivertSpec = DivertSpec()
    aircraft: AircraftSpec = AircraftSpec()
    sites: list = []
    keep_out: object = None

    @model_validator(mode="before")
    @classmethod
    def _nested(cls, data):
        from ..engage import InterceptorSpec, KeepOutSpec, SiteSpec

        data = dict(data or {})
        data["interceptor"] = (InterceptorSpec.model_validate(data["interceptor"]) if data.get("interceptor") is not None
                               else _default_interceptor())
        data["keep_out"] = (KeepOutSpec.model_validate(data["keep_out"]) if data.get("keep_out") is not None
                            else _default_keep_out())
        data["sites"] = ([SiteSpec.model_validate(s) for s in data["sites"]] if data.get("sites")
                         else _default_sites())
        return data

    @model_validator(mode="after")
    def _ranges(self):
        check_range("bearing_step_deg", self.bearing_step_deg, 1.0, 90.0, "deg")
        check_range("distance_step", self.distance_step, 1e3, 200e3, "m")
        check_range("figure_distance_step", self.figure_distance_step, 1e3, 200e3, "m")
        check_range("max_distance", self.max_distance, 100e3, 8e6, "m")
        check_range("platform_altitude", self.platform_altitude, 0.0, 40e3, "m")
        check_range("airframe.structure_fraction", self.airframe.structure_fraction, 0.01, 0.5, "")
        check_range("airframe.cd", self.airframe.cd, 0.0, 5.0, "")
        check_range("divert.n_sigma", self.divert.n_sigma, 0.5, 10.0, "")
        check_range("aircraft.launcher_fraction", self.aircraft.launcher_fraction, 0.0, 2.0, "")
        if not 1 <= self.aircraft.salvo <= 16:
            raise InputError("aircraft.salvo", self.aircraft.salvo, "1 to 16 interceptors per threat")
        for f in ("delays", "speeds", "liquid", "solid"):
            if not getattr(self, f):
                raise InputError(f, [], "at least one value")
        for d in (self.delay, *self.delays):
            check_range("delay", d, 0.0, 600.0, "s")
        for v in self.speeds:
            check_range("speeds", v, 1e3, 15e3, "m/s")
        return self


def c4_spec(data: dict | None = None, where: str = "c4") -> C4Spec:
    """Validate C4 settings (a mapping, e.g. parsed TOML: a ``[c4]`` table or top-level keys)."""
    from ..engage.scenario import validation_to_input_error

    d = dict(data or {})
    if isinstance(d.get("c4"), dict):
        d = {**{k: v for k, v in d.items() if k != "c4"}, **d["c4"]}
    try:
        return C4Spec.model_validate(d)
    except ValidationError as e:
        raise validation_to_input_error(e, where) from None


def load_c4_spec(path=None) -> C4Spec:
    """Read C4 settings from a TOML file (default: ``examples/c4_decision.toml`` if present)."""
    from ..scenario.files import load_toml

    p = Path(path) if path is not None else EXAMPLE
    if path is None and not p.exists():
        return c4_spec({})
    return c4_spec(load_toml("c4 settings", p), p.name)


# ------------------------------------------------------------------------------------------
# the analysis
# ------------------------------------------------------------------------------------------

def _place(p, what: str) -> tuple[tuple[float, float], str]:
    if isinstance(p, tuple):
        return (LAT_DEG.check(f"{what} lat", p[0]), LON_DEG.check(f"{what} lon", p[1])), \
            f"{p[0]:.2f},{p[1]:.2f}"
    from ..models.geography import find_city

    c = find_city(p)
    return (c.lat_deg, c.lon_deg), c.name


def _nn(x, nd=1):
    """JSON-safe rounding: None for NaN/inf."""
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def _nearest_allowed_km(keep_out, lat0, lon0, bearings, dists) -> float | None:
    """Distance (km) from a launch site to the nearest orbit centre the keep-out rules allow."""
    from ..models.earth import SPHERE

    B, D = np.meshgrid(bearings, dists, indexing="ij")
    la, lo = SPHERE.destination(lat0, lon0, B.ravel(), D.ravel())
    ok = keep_out.allowed(np.asarray(la), np.asarray(lo)).reshape(B.shape).any(axis=0)
    return float(dists[np.argmax(ok)] / 1e3) if ok.any() else None


class _Run:
    """One C4 computation: shared objects and grids."""

    def __init__(self, spec: C4Spec):
        from ..engage import Platform, Threat, prepare_threats

        self.spec = spec
        s = spec
        self.site_name = s.sites[0].name
        self.site = (LAT_DEG.check("site lat", s.sites[0].lat),
                     LON_DEG.check("site lon", s.sites[0].lon))
        self.target, self.target_name = _place(s.target, "target")
        self.ic_vac = s.interceptor.model_copy(update={"airframe": None}).build()
        self.airframe = s.airframe.build()
        self.ic = self.ic_vac.with_drag(self.airframe) if s.drag else self.ic_vac
        self.ic_mass = self.ic_vac.with_drag(self.airframe).launch_mass_kg
        self.platform = Platform(0.0, 0.0, altitude_m=s.platform_altitude, orbit_radius_m=0.0)
        self.keep_out = s.keep_out.build()
        names = list(dict.fromkeys([*s.liquid, *s.solid, s.figure_liquid, s.figure_solid]))
        self.threats = {m: Threat(m, *self.site, target=self.target, name=m) for m in names}
        prepare_threats(list(self.threats.values()))

    def grid(self, model: str, ic=None, delay=None, step=None, max_d=None):
        from ..engage import standoff_grid

        s = self.spec
        return standoff_grid(self.threats[model], ic or self.ic, s.delay if delay is None else delay, self.platform,
                             s.bearing_step_deg, max_d or s.max_distance, step or s.distance_step)


def _model_row(run: _Run, model: str, g, gv, allowed) -> dict:
    from ..models.geography import territory

    th = run.threats[model]
    best = g.best()
    best_ok = g.best(allowed)
    row = {"model": model, "burnout_time_s": th.burnout_time_s, "time_available_s": g.time_available_s,
           "guaranteed_standoff_km": g.guaranteed_m / 1e3, "best_standoff_km": None, "capped": g.capped,
           "vacuum": {"guaranteed_standoff_km": gv.guaranteed_m / 1e3,
                      "best_standoff_km": None if gv.best() is None else gv.best()["distance_m"] / 1e3}}
    if best is not None:
        row.update(best_standoff_km=best["distance_m"] / 1e3,
                   best_bearing_from_threat_azimuth_deg=_nn(best["bearing_from_threat_azimuth_deg"]),
                   best_position={"lat": round(best["lat_deg"], 3), "lon": round(best["lon_deg"], 3)},
                   territory_under_best=str(territory(best["lat_deg"], best["lon_deg"])))
    row["best_allowed_standoff_km"] = None if best_ok is None else best_ok["distance_m"] / 1e3
    # fly-out (s) at the guaranteed standoff, on the worst bearing
    tti = g.time_to_intercept()
    k = int(np.searchsorted(g.distances_m, g.guaranteed_m))
    t = tti["worst_bearing_s"][k] if k < len(g.distances_m) else np.nan
    row["flyout_at_guaranteed_s"] = _nn(t - g.launch_time_s) if np.isfinite(t) else None
    return row


def analyse(spec: C4Spec | None = None, figures: bool = True) -> dict:
    """The C4 numbers (see the module doc): ``threats.<class>`` with the guaranteed and best
    standoff (km), the figures' data, divert, logistics, sensitivity and the answer in words."""
    from ..engage import AircraftClass, divert_check, orbit_logistics

    t0 = time.perf_counter()
    spec = spec or load_c4_spec()
    run = _Run(spec)
    s = spec
    bearings = np.arange(0.0, 360.0, s.bearing_step_deg)
    dists = np.arange(0.0, s.max_distance + 1.0, s.distance_step)
    grids, rows = {}, {}
    allowed = None
    for m in dict.fromkeys([*s.liquid, *s.solid]):
        g = run.grid(m)
        gv = run.grid(m, ic=run.ic_vac)
        if allowed is None:
            allowed = run.keep_out.allowed(g.lat_deg, g.lon_deg)
        grids[m] = g
        rows[m] = _model_row(run, m, g, gv, allowed)
    nearest = {site.name: _nearest_allowed_km(run.keep_out, site.lat, site.lon, bearings, dists) for site in s.sites}
    res: dict = {"claim": "C4", "title": s.title, "threats": {}}
    for cls in CLASSES:
        models = list(dict.fromkeys(getattr(s, cls)))
        gov = min(models, key=lambda m: (rows[m]["guaranteed_standoff_km"], m))
        best_m = min(models, key=lambda m: (rows[m]["best_standoff_km"] if rows[m]["best_standoff_km"] is not None
                                            else -1.0, m))
        G = rows[gov]["guaranteed_standoff_km"]
        c = {"guaranteed_standoff_km": G, "governing_model": gov, "time_available_s": rows[gov]["time_available_s"],
             "best_standoff_km": rows[best_m]["best_standoff_km"], "best_model": best_m}
        for k in ("best_bearing_from_threat_azimuth_deg", "best_position", "territory_under_best"):
            c[k] = rows[best_m].get(k)
        c["best_allowed_standoff_km"] = min((rows[m]["best_allowed_standoff_km"] or 0.0) for m in models)
        c["vacuum"] = {"guaranteed_standoff_km": min(rows[m]["vacuum"]["guaranteed_standoff_km"] for m in models),
                       "best_standoff_km": min((rows[m]["vacuum"]["best_standoff_km"] or 0.0) for m in models)}
        c["sites_within_guaranteed_standoff_of_an_allowed_orbit"] = [n for n, d in nearest.items()
                                                                     if d is not None and d <= G]
        t_go = rows[gov]["flyout_at_guaranteed_s"]
        kv = run.ic.kill_vehicle
        if t_go is not None and t_go > 0.1:
            c["divert"] = divert_check(kv.divert_m_s, t_go, sigma_m=s.divert.sigma,
                                       accel_sigma_m_s2=None if s.divert.sigma is not None else s.divert.accel_sigma,
                                       n_sigma=s.divert.n_sigma).row()
        else:
            c["divert"] = None
        c["models"] = [rows[m] for m in models]
        res["threats"][cls] = c
    res["nearest_allowed_orbit_km"] = nearest
    # logistics: an orbit at the allowed point nearest the first site, flown from the base
    (base, base_name) = _place(s.aircraft.base, "aircraft.base")
    orbit = _nearest_allowed_point(run, bearings, dists)
    ac = s.aircraft
    acls = AircraftClass(ac.name, ac.payload, ac.endurance, ac.cruise_speed, ac.turnaround, ac.launcher_fraction,
                         ac.altitude)
    logi = orbit_logistics(acls, run.ic_mass, base, orbit, ac.salvo) if orbit is not None else None
    if logi is not None:
        logi.update(base=base_name, orbit={"lat": round(orbit[0], 3), "lon": round(orbit[1], 3)})
    res["logistics"] = logi
    res["interceptor_mass_by_speed"] = [{"speed_km_s": v / 1e3, "launch_mass_kg": _mass(run, v),
                                         "per_aircraft": _per_ac(acls, _mass(run, v))} for v in s.speeds]
    res["sensitivity"] = _sensitivity(run, res)
    res["most_sensitive_input"] = res["sensitivity"][0] if res["sensitivity"] else None
    if figures:
        res["figures"] = _figures(run, grids)
    res["conditions"] = _conditions(run, s)
    res["verdict"] = _verdict(res)
    res["answer"] = answer_words(res)
    res["compute_s"] = round(time.perf_counter() - t0, 2)
    return res


def _mass(run: _Run, v: float) -> float | None:
    try:
        return round(run.ic_vac.with_speed(v).with_drag(run.airframe).launch_mass_kg, 1)
    except InputError:
        return None   # no rocket with that structure reaches that speed in these stages


def _per_ac(acls, m) -> int:
    return 0 if m is None else acls.interceptors_per_aircraft(m)


def _nearest_allowed_point(run: _Run, bearings, dists):
    from ..models.earth import SPHERE

    B, D = np.meshgrid(bearings, dists, indexing="ij")
    la, lo = SPHERE.destination(*run.site, B.ravel(), D.ravel())
    la, lo = np.asarray(la).reshape(B.shape), np.asarray(lo).reshape(B.shape)
    ok = run.keep_out.allowed(la, lo)
    if not ok.any():
        return None
    d = np.where(ok, D, np.inf)
    b, k = np.unravel_index(int(np.argmin(d)), d.shape)
    return float(la[b, k]), float(lo[b, k])


def _sensitivity(run: _Run, res: dict) -> list[dict]:
    """The liquid class's guaranteed standoff with one input moved at a time, largest change first."""
    s = run.spec
    gov = res["threats"]["liquid"]["governing_model"]
    base = res["threats"]["liquid"]["guaranteed_standoff_km"]
    v0 = run.ic_vac.ideal_burnout_speed_m_s
    cases = [("detection delay", "-15 s", dict(delay=max(s.delay - 15.0, 0.0))),
             ("detection delay", "+15 s", dict(delay=s.delay + 15.0)),
             ("interceptor burnout speed", "+1.5 km/s",
              dict(ic=_ic_speed(run, v0 + 1.5e3))),
             ("interceptor drag", "off (vacuum)" if s.drag else "on", dict(ic=run.ic_vac if s.drag else
                                                                            run.ic_vac.with_drag(run.airframe)))]
    out = []
    for name, change, kw in cases:
        g = run.grid(gov, **kw)
        out.append({"input": name, "change": change, "guaranteed_standoff_km": g.guaranteed_m / 1e3,
                    "delta_km": g.guaranteed_m / 1e3 - base})
    liq = [m["guaranteed_standoff_km"] for m in res["threats"]["liquid"]["models"]]
    if len(liq) > 1:
        out.append({"input": "threat model within the liquid class", "change": "best-case model",
                    "guaranteed_standoff_km": max(liq), "delta_km": max(liq) - base})
    out.sort(key=lambda r: -abs(r["delta_km"]))
    return out


def _ic_speed(run: _Run, v: float):
    ic = run.ic_vac.with_speed(v)
    return ic.with_drag(run.airframe) if run.spec.drag else ic


def _figures(run: _Run, grids: dict) -> dict:
    """APS-style figures' data: fly-out contours, time to intercept against standoff, standoff
    against delay for each interceptor speed (liquid and solid side by side)."""
    s = run.spec
    tab = run.ic.reach_table(s.platform_altitude)
    times = [30.0, 60.0, 90.0, 120.0, 150.0, 180.0]
    alts_km = [20.0, 50.0, 100.0, 150.0, 200.0, 300.0]
    contours = {"times_s": times, "altitudes_km": alts_km,
                "max_ground_range_km": [[tab.max_range_m(a * 1e3, t) / 1e3 for a in alts_km] for t in times]}
    tti = {}
    for cls, m in (("liquid", s.figure_liquid), ("solid", s.figure_solid)):
        g = grids.get(m) or run.grid(m)
        d = g.time_to_intercept()
        tti[cls] = {"model": m, "distance_km": (d["distance_m"] / 1e3).tolist(),
                    "worst_bearing_s": [_nn(x) for x in d["worst_bearing_s"]],
                    "best_bearing_s": [_nn(x) for x in d["best_bearing_s"]],
                    "burnout_time_s": g.threat.burnout_time_s}
    sweep = []
    for v in s.speeds:
        ic = _ic_speed(run, v) if _mass(run, v) is not None or not s.drag else run.ic_vac.with_speed(v)
        for cls, m in (("liquid", s.figure_liquid), ("solid", s.figure_solid)):
            for dl in s.delays:
                g = run.grid(m, ic=ic, delay=dl, step=s.figure_distance_step, max_d=max(s.max_distance, 4.0e6))
                b = g.best()
                sweep.append({"class": cls, "model": m, "speed_km_s": v / 1e3, "delay_s": dl,
                              "drag": ic.airframe is not None,
                              "guaranteed_standoff_km": g.guaranteed_m / 1e3,
                              "best_standoff_km": None if b is None else b["distance_m"] / 1e3, "capped": g.capped})
    return {"flyout_contours": contours, "time_to_intercept": tti, "standoff_vs_delay": sweep}


def _conditions(run: _Run, s: C4Spec) -> dict:
    ic = run.ic
    return {"interceptor": ic.name, "ideal_burnout_speed_km_s": ic.ideal_burnout_speed_m_s / 1e3,
            "burn_time_s": ic.burn_time_s, "interceptor_launch_time_s": s.delay,
            "drag": s.drag, "airframe": {"launch_mass_kg": round(run.ic_mass, 1), "cd": s.airframe.cd,
                                         "diameter_m": s.airframe.diameter,
                                         "structure_fraction": s.airframe.structure_fraction,
                                         "kill_vehicle_mass_kg": s.airframe.kill_vehicle_mass},
            "kill_vehicle_divert_km_s": ic.kill_vehicle.divert_m_s / 1e3,
            "platform_altitude_km": s.platform_altitude / 1e3, "standoff_site": run.site_name,
            "site": {"lat": run.site[0], "lon": run.site[1]}, "target": run.target_name,
            "keep_out": run.keep_out.describe(), "grid": {"bearing_step_deg": s.bearing_step_deg,
                                                          "distance_step_km": s.distance_step / 1e3}}


def _verdict(res: dict) -> str:
    """Per class: which launch sites have an allowed orbit within the guaranteed standoff, with
    the distances (km) that decide it and the grid resolution as the margin's unit."""
    near = res["nearest_allowed_orbit_km"]
    step = res["conditions"]["grid"]["distance_step_km"]
    parts = []
    for label in CLASSES:
        c = res["threats"][label]
        G = c["guaranteed_standoff_km"]
        if G <= 0:
            parts.append(f"{label}: no orbit anywhere guarantees an intercept (guaranteed standoff 0 km)")
            continue
        ok = [n for n, d in near.items() if d is not None and d <= G]
        no = [f"{n} ({'none' if d is None else f'{d:,.0f} km'})" for n, d in near.items() if d is None or d > G]
        if not ok:
            parts.append(f"{label}: no allowed orbit lies within the {G:,.0f} km guaranteed standoff of any launch site "
                         f"(nearest: " + ", ".join(no) + ")")
            continue
        thin = [n for n in ok if G - near[n] < step]
        s = f"{label}: an allowed orbit lies within the {G:,.0f} km guaranteed standoff of " + ", ".join(
            f"{n} ({near[n]:,.0f} km)" for n in ok)
        if thin:
            s += f" - with less than one {step:.0f} km grid step to spare for " + ", ".join(thin)
        if no:
            s += "; not of " + ", ".join(no)
        parts.append(s)
    return "; ".join(parts)


def answer_words(res: dict) -> str:
    """The answer to C4 in plain words: guaranteed standoff and time available first, the
    condition, the best case only with its bearing and territory, and the most sensitive input."""
    c = res["conditions"]
    L, S = res["threats"]["liquid"], res["threats"]["solid"]
    drag = "flown with drag" if c["drag"] else "flown in vacuum"
    lines = [f"Claim C4 - a UAV armed with interceptors kills North Korean ICBMs in boost phase - "
             f"decision figures for a {c['ideal_burnout_speed_km_s']:.1f} km/s interceptor ({drag}, "
             f"{c['airframe']['launch_mass_kg']:.0f} kg) fired {c['interceptor_launch_time_s']:.0f} s after launch "
             f"from {c['platform_altitude_km']:.0f} km, launches from {c['standoff_site']} toward {c['target']}:"]
    for label, x in (("Liquid-fuel", L), ("Solid-fuel", S)):
        lines.append(f"  {label} ICBMs ({x['governing_model']} governs): guaranteed standoff "
                     f"{x['guaranteed_standoff_km']:,.0f} km (an orbit that close reaches the missile whatever its "
                     f"direction), {x['time_available_s']:.0f} s between interceptor launch and burnout; "
                     f"in vacuum {x['vacuum']['guaranteed_standoff_km']:,.0f} km.")
    near = res["nearest_allowed_orbit_km"]
    lines.append("  Nearest orbit the keep-out rules allow " + c["keep_out"] + ": "
                 + ", ".join(f"{n} {('none' if d is None else f'{d:,.0f} km')}" for n, d in near.items()) + ".")
    for label, x in (("liquid", L), ("solid", S)):
        if x["best_standoff_km"] is None:
            continue
        lines.append(f"  Best case ({label}, {x['best_model']}): {x['best_standoff_km']:,.0f} km, only on a bearing "
                     f"{x['best_bearing_from_threat_azimuth_deg']:+.0f} deg from the missile's azimuth (under its "
                     f"track, over {x['territory_under_best']}); among allowed orbits "
                     f"{x['best_allowed_standoff_km']:,.0f} km, and only for that one direction.")
    for label, x in (("liquid", L), ("solid", S)):
        dv = x["divert"]
        if dv is None:
            continue
        lines.append(f"  Divert ({label}): with no track update after launch (fly-out {dv['time_to_go_s']:.0f} s at the "
                     f"guaranteed standoff) a {dv['divert_budget_km_s']:.1f} km/s kill vehicle needs {dv['required_divert_km_s']:.2f} km/s for {dv['n_sigma']:.0f} sigma of "
                     f"{dv['predicted_position_sigma_m'] / 1e3:.1f} km predicted-position error: "
                     + ("enough" if dv["sufficient"] else "not enough")
                     + (f" (enough only if the last track update comes <= {dv['max_time_to_go_s']:.0f} s before intercept)"
                        if dv.get("max_time_to_go_s") else "") + ".")
    lg = res["logistics"]
    if lg is not None:
        lines.append(f"  Logistics: {lg['interceptor_mass_kg']:.0f} kg per interceptor -> {lg['interceptors_per_aircraft']} "
                     f"per {lg['aircraft_class']} aircraft ({lg['payload_kg']:.0f} kg payload); {lg['transit_h']:.1f} h "
                     f"transit from {lg['base']}, {lg['time_on_station_h']:.1f} h on station, "
                     f"{lg['aircraft_per_24_7_orbit']} aircraft per 24/7 orbit; with {lg['salvo']} interceptors per "
                     f"threat one orbit engages {lg['simultaneous_launches_per_orbit']} launch(es) at once.")
    heavy = [r for r in res["interceptor_mass_by_speed"] if r["per_aircraft"] == 0]
    if heavy:
        lines.append("  Faster interceptors do not fit: " + ", ".join(
            f"{r['speed_km_s']:.1f} km/s -> " + ("no such rocket" if r["launch_mass_kg"] is None
                                                  else f"{r['launch_mass_kg']:,.0f} kg") for r in heavy) + ".")
    ms = res["most_sensitive_input"]
    lines.append(f"Verdict (kinematics only; no sensor, discrimination, reliability or countermeasure effects): "
                 f"{res['verdict']}.")
    if ms is not None:
        steps = "; ".join(f"{r['input']} {r['change']}: {r['delta_km']:+,.0f} km" for r in res["sensitivity"][1:])
        s = (f"Most sensitive input: {ms['input']} ({ms['change']} moves the liquid guaranteed standoff "
             f"{ms['delta_km']:+,.0f} km to {ms['guaranteed_standoff_km']:,.0f} km")
        if ms["input"] == "interceptor burnout speed":
            v = c["ideal_burnout_speed_km_s"] + 1.5
            m = next((r for r in res["interceptor_mass_by_speed"] if abs(r["speed_km_s"] - v) < 1e-6), None)
            if m is not None and m["launch_mass_kg"] is not None:
                s += f", but at {m['launch_mass_kg']:,.0f} kg: {m['per_aircraft']} per aircraft"
        lines.append(s + f"). Other steps: {steps}.")
    return "\n".join(lines)


def json_safe(obj):
    """``obj`` with every NaN or infinite float replaced by None (JSON output never holds them)."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def interceptors(spec: C4Spec):
    """(the interceptor as analysed, the same in vacuum) for a spec."""
    ic = spec.interceptor.model_copy(update={"airframe": None}).build()
    return (ic.with_drag(spec.airframe.build()) if spec.drag else ic), ic
