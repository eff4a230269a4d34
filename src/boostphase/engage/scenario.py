"""Engagement scenario files (TOML): pydantic models, units parsed at this boundary.

:func:`load_scenario` / :func:`parse_scenario` validate a scenario (an :class:`InputError` names
the first bad field); :meth:`Scenario.build` gives the domain objects (:class:`ScenarioObjects`).

Numbers are read by the shared vocabulary (:mod:`boostphase.scenario.uncertain`): a number in
the field's unit, a quantity string ("45 s", "5 km/s", "12 nmi"), or, for the inputs of an
engagement (timeline delays, interceptor and kill vehicle, orbit altitude, radius and speed,
threat payload and azimuth), a distribution table. A scenario with distributions runs as a
seeded ensemble under ``boostphase engage`` (its ``[ensemble]`` table; see
:mod:`boostphase.scenario.engage_ensemble`); :meth:`Scenario.build` and everything else that
needs one case (``engage-map``, ``engage-sensitivity``, ``c4``, a footprint's ``[engagement]``)
refuse it with one line naming the field. Keep-out distances, map and sensitivity grids and
aircraft logistics never vary (a distribution there is refused when the file is read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..errors import InputError
from ..limits import LAT_DEG, LON_DEG
from ..scenario.uncertain import EnsembleSpec, Uncertain, fixed_quantity, refuse_distributions
from .engagement import Engagement, EngagementResult
from .interceptor import Airframe, Interceptor, InterceptorStage, KillVehicle, Timeline
from .maps import EngagementMap, engagement_map, sensitivity_table
from .platform import KeepOut, Platform
from .threat import Threat, prepare_threats

FIXED_ONLY = "keep-out distances, map and sensitivity grids and aircraft logistics are not sampled"
ONE_CASE = ("`boostphase engage` runs a scenario with distributions as an ensemble; engage-map, "
            "engage-sensitivity, c4 and a footprint's [engagement] take one number per field")


def _q(unit: str, lo: float | None = None, hi: float | None = None):
    """A field that is never sampled: a number in its unit or a quantity string."""
    return fixed_quantity(unit, lo, hi, FIXED_ONLY)


Seconds = Annotated[float, _q("s", 0.0, 1e7)]
Meters = Annotated[float, _q("m", 0.0, 5e7)]
Speed = Annotated[float, _q("m/s", 0.0, 3e4)]
Isp = Annotated[float, _q("s", 50.0, 500.0)]
Mass = Annotated[float, _q("kg", 0.0, 1e7)]
# the inputs of an engagement: a number, a quantity string or a distribution table
SecondsU = Uncertain("s", 0.0, 1e7)
MetersU = Uncertain("m", 0.0, 5e7)
SpeedU = Uncertain("m/s", 0.0, 3e4)
IspU = Uncertain("s", 50.0, 500.0)
MassU = Uncertain("kg", 0.0, 1e7)
Place = str | tuple[float, float]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimelineSpec(_M):
    detection_delay: SecondsU = Timeline.detection_delay_s
    decision_time: SecondsU = Timeline.decision_time_s
    launch_delay: SecondsU = Timeline.launch_delay_s

    def build(self) -> Timeline:
        refuse_distributions(self, "timeline", ONE_CASE)
        return Timeline(self.detection_delay, self.decision_time, self.launch_delay)


class KillVehicleSpec(_M):
    divert: SpeedU = KillVehicle.divert_m_s
    min_closing_speed: SpeedU = KillVehicle.min_closing_speed_m_s
    min_altitude: MetersU = 0.0

    def build(self) -> KillVehicle:
        refuse_distributions(self, "interceptor.kill_vehicle", ONE_CASE)
        return KillVehicle(self.divert, self.min_closing_speed, self.min_altitude)


class StageSpec(_M):
    burn_time: SecondsU
    delta_v: SpeedU | None = None
    propellant_mass: MassU | None = None
    dry_mass: MassU | None = None
    isp: IspU = 280.0

    @model_validator(mode="after")
    def _one(self):
        if (self.delta_v is None) == (self.propellant_mass is None or self.dry_mass is None):
            raise InputError("stage", self.model_dump(), "delta_v, or propellant_mass and dry_mass (with isp)")
        return self


class AirframeSpec(_M):
    """``[interceptor.airframe]``: fly the climb with drag (US76; stage masses from the rocket
    equation with this structure fraction and kill-vehicle mass). Omit it for a vacuum fly-out."""

    kill_vehicle_mass: MassU = Airframe.kill_vehicle_mass_kg
    structure_fraction: float = Airframe.structure_fraction
    cd: float = Airframe.cd
    diameter: MetersU = Airframe.diameter_m

    def build(self) -> Airframe:
        refuse_distributions(self, "airframe", ONE_CASE)
        return Airframe(self.kill_vehicle_mass, self.structure_fraction, self.cd, self.diameter)


class InterceptorSpec(_M):
    name: str = "interceptor"
    burnout_speed: SpeedU | None = None
    burn_times: list[SecondsU] = [20.0, 20.0]
    isp: IspU = 280.0
    stages: list[StageSpec] | None = None
    kill_vehicle_mass: MassU | None = None
    kill_vehicle: KillVehicleSpec = KillVehicleSpec()
    airframe: AirframeSpec | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.burnout_speed is None) == (self.stages is None):
            raise InputError("interceptor", "burnout_speed/stages", "exactly one of burnout_speed or [[interceptor.stages]]")
        return self

    def build(self) -> Interceptor:
        refuse_distributions(self, "interceptor", ONE_CASE)
        ic = self._vacuum()
        return ic if self.airframe is None else ic.with_drag(self.airframe.build())

    def _vacuum(self) -> Interceptor:
        kv = self.kill_vehicle.build()
        if self.burnout_speed is not None:
            return Interceptor.two_stage(self.burnout_speed, self.burn_times, self.isp, kv, self.name)
        if all(s.delta_v is not None for s in self.stages):
            return Interceptor(tuple(InterceptorStage(s.burn_time, s.delta_v, s.isp) for s in self.stages), kv, self.name)
        if self.kill_vehicle_mass is None:
            raise InputError("interceptor.kill_vehicle_mass", None, "a mass when stages are given by masses")
        return Interceptor.from_masses([{"propellant_mass_kg": s.propellant_mass, "dry_mass_kg": s.dry_mass,
                                         "isp_s": s.isp, "burn_time_s": s.burn_time} for s in self.stages],
                                       self.kill_vehicle_mass, kv, self.name)


class SiteSpec(_M):
    name: str
    lat: float
    lon: float


class ThreatSpec(_M):
    name: str | None = None
    missile: str
    launch: Place
    target: Place | None = None
    azimuth: Uncertain("deg", -360.0, 360.0) | None = None
    payload_kg: Uncertain("kg", 1.0, 1e5) | None = None  # default: the catalog model's payload
    profile: Literal["min-energy", "target"] = "min-energy"
    criterion: str = "burnout"


class ThreatSetSpec(_M):
    missiles: list[str]
    sites: list[Place]
    targets: list[Place]
    profile: Literal["min-energy", "target"] = "min-energy"
    criterion: str = "burnout"


class PlatformDefaults(_M):
    altitude: MetersU = Platform.altitude_m
    orbit_radius: MetersU = Platform.orbit_radius_m
    speed: SpeedU = Platform.speed_m_s
    endurance: Seconds = Platform.endurance_s
    transit: Seconds = Platform.transit_s
    turnaround: Seconds = Platform.turnaround_s
    interceptors: int = Platform.interceptors
    salvo: int = Platform.salvo
    reference: Literal["worst-point", "centre"] = "worst-point"
    base: Place | None = None


class PlatformSpec(_M):
    name: str | None = None
    centre: tuple[float, float]
    altitude: MetersU | None = None
    orbit_radius: MetersU | None = None
    speed: SpeedU | None = None
    endurance: Seconds | None = None
    transit: Seconds | None = None
    reference: Literal["worst-point", "centre"] | None = None


class KeepOutCountry(_M):
    country: str
    distance: Meters


class KeepOutSpec(_M):
    international_waters: Meters | None = None
    countries: list[KeepOutCountry] = []
    overfly: list[str] = []

    def build(self) -> KeepOut:
        return KeepOut(tuple((c.country, c.distance) for c in self.countries), self.international_waters,
                       tuple(self.overfly))


class MapSpec(_M):
    lat: tuple[float, float]
    lon: tuple[float, float]
    n_lat: int = 100
    n_lon: int = 100


class SensitivitySpec(_M):
    speeds: list[Speed] = [3e3, 4e3, 5e3, 6e3, 7e3, 8e3]
    delays: list[Seconds] = [30.0, 60.0, 90.0, 120.0]
    missiles: list[str] = ["generic-liquid-icbm", "generic-solid-icbm"]
    site: Place = (39.0, 125.7)
    target: Place = "Chicago"
    bearing_step_deg: float = 10.0
    max_distance: Meters = 3.0e6
    distance_step: Meters = 10e3


class Scenario(_M):
    """A shareable engagement scenario (TOML): see ``examples/c4_*.toml``."""

    title: str = ""
    timeline: TimelineSpec = TimelineSpec()
    interceptor: InterceptorSpec = InterceptorSpec(burnout_speed=5e3)
    sites: list[SiteSpec] = []
    threats: list[ThreatSpec] = []
    threat_sets: list[ThreatSetSpec] = []
    platform_defaults: PlatformDefaults = PlatformDefaults()
    platforms: list[PlatformSpec] = []
    keep_out: KeepOutSpec | None = None
    map: MapSpec | None = None
    sensitivity: SensitivitySpec | None = None
    ensemble: EnsembleSpec | None = None  # how `boostphase engage` samples the distributions

    def build(self) -> ScenarioObjects:
        """Domain objects (threats fly lazily; platforms are checked against the keep-out zones).
        One case: a field that holds a distribution is refused (see the module doc)."""
        refuse_distributions(self, "", ONE_CASE)
        sites = {s.name.strip().lower(): (LAT_DEG.check(f"site {s.name} lat", s.lat),
                                          LON_DEG.check(f"site {s.name} lon", s.lon))
                 for s in self.sites}
        site_names = {s.name.strip().lower(): s.name for s in self.sites}

        def place(field_: str, p, allow_city: bool) -> tuple[tuple[float, float], str]:
            if isinstance(p, tuple):
                return (LAT_DEG.check(f"{field_} lat", p[0]),
                        LON_DEG.check(f"{field_} lon", p[1])), f"{p[0]:.2f},{p[1]:.2f}"
            key = p.strip().lower()
            if key in sites:
                return sites[key], site_names[key]
            if allow_city:
                from ..models.geography import find_city

                c = find_city(p)
                return (c.lat_deg, c.lon_deg), c.name
            raise InputError(field_, p, "a [[sites]] name or [lat, lon]" + (" or a city" if allow_city else ""))

        threats = []
        for i, t in enumerate(self.threats):
            la, ln = place(f"threats[{i}].launch", t.launch, False)
            tg, tn = place(f"threats[{i}].target", t.target, True) if t.target is not None else (None, "")
            missile = t.missile if t.payload_kg is None else _with_payload(f"threats[{i}]", t.missile, t.payload_kg)
            threats.append(Threat(missile, *la, target=tg, azimuth_deg=t.azimuth, profile=t.profile,
                                  criterion=t.criterion, name=t.name or f"{t.missile} {ln} -> {tn or t.azimuth}"))
        for i, s in enumerate(self.threat_sets):
            for m in s.missiles:
                for site in s.sites:
                    la, ln = place(f"threat_sets[{i}].sites", site, False)
                    for tgt in s.targets:
                        tg, tn = place(f"threat_sets[{i}].targets", tgt, True)
                        threats.append(Threat(m, *la, target=tg, profile=s.profile, criterion=s.criterion,
                                              name=f"{m} {ln} -> {tn}"))
        d = self.platform_defaults
        base = None if d.base is None else place("platform_defaults.base", d.base, True)[0]
        template = Platform(0.0, 0.0, d.altitude, d.orbit_radius, d.speed, d.endurance, d.transit, d.turnaround,
                            d.interceptors, d.salvo, d.reference, "template", base)
        ko = self.keep_out.build() if self.keep_out is not None else KeepOut()
        platforms = []
        from dataclasses import replace

        for i, p in enumerate(self.platforms):
            kw = {k: v for k, v in dict(altitude_m=p.altitude, orbit_radius_m=p.orbit_radius, speed_m_s=p.speed,
                                         endurance_s=p.endurance, transit_s=p.transit, reference=p.reference).items()
                  if v is not None}
            pl = replace(template, lat_deg=p.centre[0], lon_deg=p.centre[1], name=p.name or f"platforms[{i}]", **kw)
            ko.check(pl)
            platforms.append(pl)
        return ScenarioObjects(self.title, self.timeline.build(), self.interceptor.build(), threats, platforms,
                               template, ko, self.map, self.sensitivity, place)


def _with_payload(where: str, missile: str, payload_kg: float):
    """The catalog model (or vehicle file) ``missile`` carrying ``payload_kg``."""
    from ..models.vehicles import load

    try:
        return load(missile).with_payload(payload_kg)
    except InputError as e:
        raise InputError(f"{where}.{e.field}", e.value, e.allowed, e.hint) from None


@dataclass
class ScenarioObjects:
    """A built scenario: the domain objects every surface (Python, CLI, web) works on."""

    title: str
    timeline: Timeline
    interceptor: Interceptor
    threats: list[Threat]
    platforms: list[Platform]
    platform_template: Platform
    keep_out: KeepOut
    map_spec: MapSpec | None
    sensitivity_spec: SensitivitySpec | None
    _place: object = field(repr=False, default=None)

    def engagements(self) -> list[EngagementResult]:
        """Every (threat, platform) pair, threats outer."""
        prepare_threats(self.threats)
        return [Engagement(t, p, self.interceptor, self.timeline).solve() for t in self.threats for p in self.platforms]

    def engagement_map(self) -> EngagementMap:
        if self.map_spec is None:
            raise InputError("map", None, "a [map] table with lat = [lo, hi] and lon = [lo, hi]")
        if not self.threats:
            raise InputError("threats", 0, "at least one threat ([[threats]] or [[threat_sets]])")
        m = self.map_spec
        return engagement_map(self.threats, self.interceptor, self.timeline, self.platform_template, m.lat, m.lon,
                              m.n_lat, m.n_lon, self.keep_out)

    def sensitivity(self) -> list[dict]:
        s = self.sensitivity_spec or SensitivitySpec()
        (la, lo), _ = self._place("sensitivity.site", s.site, False)
        tg, tn = self._place("sensitivity.target", s.target, True)
        ths = {m: Threat(m, la, lo, target=tg, name=f"{m} -> {tn}") for m in s.missiles}
        from dataclasses import replace

        plat = replace(self.platform_template, orbit_radius_m=0.0)
        return sensitivity_table(ths, s.speeds, s.delays, self.interceptor, plat, s.bearing_step_deg,
                                 s.max_distance, s.distance_step)


def validation_to_input_error(e: ValidationError, where: str) -> InputError:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err["loc"]) or where
    orig = (err.get("ctx") or {}).get("error")
    if isinstance(orig, InputError):
        last = str(err["loc"][-1]) if err["loc"] else ""
        if last and orig.field.startswith(last + "."):  # a key of the field's distribution table
            loc += orig.field[len(last):]
        return InputError(f"{where}: {loc}", orig.value, orig.allowed, orig.hint)
    if err["type"] == "extra_forbidden":
        return InputError(f"{where}: {loc}", err.get("input"), "a known key (unknown key; check its spelling)")
    if err["type"] == "missing":
        return InputError(f"{where}: {loc}", None, "a value (required)")
    return InputError(f"{where}: {loc}", err.get("input"), err["msg"])


def parse_scenario(data: dict, where: str = "scenario") -> Scenario:
    """Validate a scenario mapping (e.g. parsed TOML); InputError names the first bad field."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise validation_to_input_error(e, where) from None


def load_scenario(path) -> Scenario:
    """Read and validate a scenario TOML file."""
    from pathlib import Path

    from ..scenario.files import load_toml

    data = load_toml("scenario", path)
    _resolve_vehicle_files(data, Path(path).parent)
    return parse_scenario(data, Path(path).name)


def _resolve_vehicle_files(data: dict, base_dir) -> None:
    """Vehicle files named relative to the scenario file become absolute paths (in place)."""
    from ..models.vehicles import resolve_vehicle_ref

    for t in data.get("threats") or []:
        if isinstance(t, dict) and "missile" in t:
            t["missile"] = resolve_vehicle_ref(t["missile"], base_dir)
    tables = [*(data.get("threat_sets") or []), data.get("sensitivity")]
    for t in tables:
        if isinstance(t, dict) and isinstance(t.get("missiles"), list):
            t["missiles"] = [resolve_vehicle_ref(m, base_dir) for m in t["missiles"]]
