"""The interceptor side of an engagement: the timeline, the kill vehicle and the interceptor.

* :class:`Timeline` - seconds from the threat's launch to the interceptor's launch (s).
* :class:`KillVehicle` - a divert budget (m/s) and a minimum closing speed (m/s), nothing more.
* :class:`InterceptorStage`, :class:`Interceptor` - one or two constant-thrust stages given by
  burn time (s) and ideal (vacuum, gravity-free) velocity gain (m/s); the Isp (s) only shapes the
  acceleration. Reach tables (:mod:`boostphase.engage.reach`) are built from them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InputError, check_range
from ..models.constants import G0  # standard gravity of the rocket equation (m/s^2)
from ..models.earth import SPHERE, Earth

if TYPE_CHECKING:
    from .reach import ReachTable



@dataclass(frozen=True)
class Timeline:
    """Seconds after the ICBM's launch until the interceptor leaves the aircraft.

    Defaults (each an assumption inside the ranges the public studies discuss; change them):

    * ``detection_delay_s`` 45 s - an ICBM plume is seen by space-based infrared sensors once it
      climbs above the cloud tops, and a firing-quality track takes tens of seconds more; the
      APS study (2003; Rev. Mod. Phys. 76, S1, 2004) worked with detection-and-track delays of
      roughly 30-65 s after launch (range as summarised in this project's issue #4; the report's
      tables were not available to this work). 45 s is mid-range.
    * ``decision_time_s`` 15 s - commit/decision time; the APS study and Wilkening (Science &
      Global Security 12, 2004) treat it as a free parameter, zero being the optimistic limit.
      15 s is an assumption.
    * ``launch_delay_s`` 5 s - release from the aircraft and motor ignition (assumption).
    """

    detection_delay_s: float = 45.0
    decision_time_s: float = 15.0
    launch_delay_s: float = 5.0

    def __post_init__(self):
        for f in ("detection_delay_s", "decision_time_s", "launch_delay_s"):
            object.__setattr__(self, f, check_range(f, getattr(self, f), 0.0, 1000.0, "s"))

    @property
    def interceptor_launch_s(self) -> float:
        """Time after the threat's launch at which the interceptor is launched."""
        return self.detection_delay_s + self.decision_time_s + self.launch_delay_s

    @classmethod
    def total(cls, delay_s: float) -> Timeline:
        """A timeline given only by its total delay (all of it counted as detection)."""
        return cls(detection_delay_s=delay_s, decision_time_s=0.0, launch_delay_s=0.0)


@dataclass(frozen=True)
class KillVehicle:
    """The kill vehicle at policy level: a divert budget and a minimum closing speed, nothing more.

    ``divert_m_s`` is carried and reported (no end-game is modelled); ``min_closing_speed_m_s`` is a
    criterion on the relative speed at intercept; ``min_altitude_m`` optionally excludes intercepts
    below an altitude. Defaults are placeholders (assumptions): 1.0 km/s divert, 1.0 km/s minimum
    closing speed, no altitude floor.
    """

    divert_m_s: float = 1000.0
    min_closing_speed_m_s: float = 1000.0
    min_altitude_m: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "divert_m_s", check_range("divert_m_s", self.divert_m_s, 0.0, 1e4, "m/s"))
        object.__setattr__(self, "min_closing_speed_m_s",
                           check_range("min_closing_speed_m_s", self.min_closing_speed_m_s, 0.0, 3e4, "m/s"))
        object.__setattr__(self, "min_altitude_m", check_range("min_altitude_m", self.min_altitude_m, 0.0, 2e6, "m"))


@dataclass(frozen=True)
class InterceptorStage:
    """One constant-thrust stage: burn time and ideal (vacuum, gravity-free) velocity gain.

    The specific impulse only sets how the acceleration grows during the burn (mass ratio
    exp(dv / (Isp g0))); the velocity gained is ``delta_v_m_s`` whatever it is.
    """

    burn_time_s: float
    delta_v_m_s: float
    isp_s: float = 280.0

    def __post_init__(self):
        object.__setattr__(self, "burn_time_s", check_range("burn_time_s", self.burn_time_s, 1e-3, 600.0, "s"))
        object.__setattr__(self, "delta_v_m_s", check_range("delta_v_m_s", self.delta_v_m_s, 1.0, 15000.0, "m/s"))
        object.__setattr__(self, "isp_s", check_range("isp_s", self.isp_s, 50.0, 500.0, "s"))


@dataclass(frozen=True)
class Airframe:
    """What the interceptor weighs and how it meets the air: for the climb flown with drag.

    Stage masses follow from the rocket equation, top stage first: a stage of ideal velocity gain
    dv (m/s) and specific impulse Isp (s) with structure fraction e = dry / (dry + propellant)
    lifting a payload m_pl (the kill vehicle, plus the stages above it) has ignition mass
    m0 = m_pl / (1 - (1 - 1/R) / (1 - e)), R = exp(dv / (Isp g0)) (needs e R < 1).
    Drag: US Standard Atmosphere 1976 (the engine's table), a constant drag coefficient ``cd``
    on the body's cross-section (``diameter_m``); after burnout the burnt-out last stage and the
    kill vehicle coast together with the same cross-section (stated simplification).

    Defaults (assumptions, stated): kill vehicle 50 kg, structure fraction 0.12 per stage
    (composite solid motors of this size are typically 0.10-0.15), Cd 0.3 (a slender finned
    body at supersonic speed), diameter 0.35 m (a length-to-diameter ratio near 10 at ~500 kg).
    """

    kill_vehicle_mass_kg: float = 50.0
    structure_fraction: float = 0.12
    cd: float = 0.3
    diameter_m: float = 0.35

    def __post_init__(self):
        sa = object.__setattr__
        sa(self, "kill_vehicle_mass_kg", check_range("kill_vehicle_mass", self.kill_vehicle_mass_kg, 0.1, 1e4, "kg"))
        sa(self, "structure_fraction", check_range("structure_fraction", self.structure_fraction, 0.01, 0.5, ""))
        sa(self, "cd", check_range("cd", self.cd, 0.0, 5.0, ""))
        sa(self, "diameter_m", check_range("diameter", self.diameter_m, 0.01, 5.0, "m"))

    @property
    def area_m2(self) -> float:
        """Reference (cross-section) area (m^2)."""
        return math.pi * self.diameter_m ** 2 / 4.0

    def stage_masses(self, stages: Sequence[InterceptorStage]) -> list[tuple[float, float]]:
        """(ignition mass, burnout mass) in kg of the stack at each stage, lowest stage first."""
        out = []
        payload = self.kill_vehicle_mass_kg
        e = self.structure_fraction
        for st in reversed(tuple(stages)):
            r = math.exp(st.delta_v_m_s / (st.isp_s * G0))
            den = 1.0 - (1.0 - 1.0 / r) / (1.0 - e)
            if den <= 0.0:
                raise InputError("structure_fraction", e, f"below 1/R = {1.0 / r:.3f} for a stage of "
                                 f"{st.delta_v_m_s / 1e3:.2f} km/s at Isp {st.isp_s:.0f} s (no such rocket)")
            m0 = payload / den
            out.append((m0, m0 / r))
            payload = m0
        return out[::-1]

    def launch_mass_kg(self, stages: Sequence[InterceptorStage]) -> float:
        """Interceptor mass at launch (kg)."""
        return self.stage_masses(stages)[0][0]


@dataclass(frozen=True)
class Interceptor:
    """A one- or two-stage kinematic interceptor (launched from the aircraft's altitude and speed).

    Build it with :meth:`two_stage` (an ideal burnout speed split over stages), :meth:`from_masses`
    (propellant/dry masses and Isp per stage plus the kill vehicle's mass) or :meth:`constant_speed`
    (an idealised interceptor reaching a speed almost instantly, for textbook checks).
    Without an ``airframe`` it flies in vacuum (the reach tables before issue 17); with one
    (:meth:`with_drag`) its climb is flown with drag through US76 air.
    """

    stages: tuple[InterceptorStage, ...]
    kill_vehicle: KillVehicle = KillVehicle()
    name: str = "interceptor"
    airframe: Airframe | None = None

    def __post_init__(self):
        st = tuple(self.stages)
        if not 1 <= len(st) <= 2 or not all(isinstance(s, InterceptorStage) for s in st):
            raise InputError("interceptor.stages", len(st), "one or two stages")
        object.__setattr__(self, "stages", st)

    @classmethod
    def two_stage(cls, burnout_speed_m_s: float, burn_times_s: Sequence[float] = (20.0, 20.0),
                  isp_s: float = 280.0, kill_vehicle: KillVehicle | None = None,
                  name: str | None = None) -> Interceptor:
        """Ideal burnout speed split equally over ``len(burn_times_s)`` (1 or 2) stages.

        Defaults (assumptions, in the class of the air-launched interceptors discussed by the
        public studies): two 20 s stages, Isp 280 s."""
        v = check_range("burnout_speed", burnout_speed_m_s, 100.0, 15000.0, "m/s")
        bts = tuple(burn_times_s)
        if not 1 <= len(bts) <= 2:
            raise InputError("burn_times", bts, "one or two stage burn times")
        stages = tuple(InterceptorStage(bt, v / len(bts), isp_s) for bt in bts)
        return cls(stages, kill_vehicle or KillVehicle(), name or f"{len(bts)}-stage, {v / 1e3:.1f} km/s")

    @classmethod
    def from_masses(cls, stages: Sequence[dict], kill_vehicle_mass_kg: float,
                    kill_vehicle: KillVehicle | None = None, name: str = "interceptor") -> Interceptor:
        """Stages (lowest first) as dicts with ``propellant_mass_kg``, ``dry_mass_kg``, ``isp_s`` and
        ``burn_time_s``; each stage's delta-v follows from the rocket equation with everything above
        it (upper stages and the kill vehicle) as payload."""
        kv = check_range("kill_vehicle_mass", kill_vehicle_mass_kg, 0.1, 1e5, "kg")
        wet = [check_range("propellant_mass", s["propellant_mass_kg"], 0.1, 1e6, "kg")
               + check_range("dry_mass", s["dry_mass_kg"], 0.1, 1e6, "kg") for s in stages]
        out = []
        for i, s in enumerate(stages):
            above = kv + sum(wet[i + 1:])
            m0, m1 = wet[i] + above, s["dry_mass_kg"] + above
            dv = s["isp_s"] * G0 * math.log(m0 / m1)
            out.append(InterceptorStage(s["burn_time_s"], dv, s["isp_s"]))
        return cls(tuple(out), kill_vehicle or KillVehicle(), name)

    @classmethod
    def constant_speed(cls, speed_m_s: float, burn_time_s: float = 0.02,
                       kill_vehicle: KillVehicle | None = None) -> Interceptor:
        """An interceptor that reaches ``speed_m_s`` within ``burn_time_s`` (textbook checks)."""
        return cls((InterceptorStage(burn_time_s, speed_m_s, 300.0),),
                   kill_vehicle or KillVehicle(0.0, 0.0), f"constant speed {speed_m_s / 1e3:.2f} km/s")

    @property
    def ideal_burnout_speed_m_s(self) -> float:
        return sum(s.delta_v_m_s for s in self.stages)

    @property
    def burn_time_s(self) -> float:
        return sum(s.burn_time_s for s in self.stages)

    def with_speed(self, burnout_speed_m_s: float) -> Interceptor:
        """The same stages scaled to another ideal burnout speed (same split and burn times)."""
        f = burnout_speed_m_s / self.ideal_burnout_speed_m_s
        st = tuple(InterceptorStage(s.burn_time_s, s.delta_v_m_s * f, s.isp_s) for s in self.stages)
        return Interceptor(st, self.kill_vehicle, f"{self.name} @ {burnout_speed_m_s / 1e3:.1f} km/s", self.airframe)

    def with_drag(self, airframe: Airframe | None = None) -> Interceptor:
        """The same interceptor flown with drag (``airframe``'s masses, Cd and diameter)."""
        af = airframe or Airframe()
        af.stage_masses(self.stages)  # a rocket that can exist, or InputError
        return Interceptor(self.stages, self.kill_vehicle, f"{self.name}, with drag", af)

    @property
    def launch_mass_kg(self) -> float | None:
        """Mass at launch (kg) from the airframe's rocket equation; None without an airframe."""
        return None if self.airframe is None else self.airframe.launch_mass_kg(self.stages)

    def reach_table(self, altitude_m: float, along_speed_m_s: float = 0.0, earth: Earth = SPHERE,
                    horizon_s: float = 500.0) -> ReachTable:
        """The (cached) time-to-reach table for launches at ``altitude_m`` with ``along_speed_m_s``
        of horizontal speed along the line of fire, on a non-rotating spherical ``earth``."""
        if earth.rotating or not earth.spherical:
            raise InputError("earth", earth.name, "a spherical, non-rotating Earth for shared tables "
                             "(use build_reach_table for others)")
        from .reach import cached_table

        return cached_table(self, float(altitude_m), float(along_speed_m_s), earth, float(horizon_s))

