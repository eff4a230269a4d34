"""Missile vehicle models: stages, masses, propulsion and drag, loaded from a cited catalog.

Every vehicle in ``boostphase/catalog/*.toml`` is a public, policy-level kinematic model
(the level of the APS boost-phase study and Science & Global Security papers).  Each
numeric parameter in a catalog file must carry a citation in the file's ``[sources]``
table, keyed by parameter path::

    payload_kg = "..."                       # missile-level parameter
    "stages.1.propellant_mass_kg" = "..."    # stage 1 (1-based)
    "stages.*.cd_mach" = "..."               # one citation for that field of every stage
    reference_max_range_km = "..."           # published figure recorded for checks

Top-level keys named ``reference_*`` hold published figures (maximum range, boost time,
...) that the vehicle is checked against; they are kept in :attr:`Missile.references`.

Bad input raises :class:`boostphase.errors.InputError` naming the field, the value and
what is allowed.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from boostphase.errors import InputError, check_range

__all__ = ["G0", "P0_PA", "Stage", "Missile", "load", "catalog", "catalog_names", "from_toml"]

G0 = 9.80665
"""Standard gravity, m/s^2 (defines Isp in seconds)."""

P0_PA = 101_325.0
"""Sea-level standard pressure, Pa (used to turn a sea-level Isp into a nozzle exit area)."""

ISP_MIN_S, ISP_MAX_S = 100.0, 500.0
MAX_BURN_TIME_S = 2_000.0
MAX_MASS_KG = 1.0e7
MAX_AREA_M2 = 100.0
MAX_CD = 5.0

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_STAGE_REQUIRED = (
    "propellant_mass_kg",
    "dry_mass_kg",
    "isp_vac_s",
    "burn_time_s",
    "reference_area_m2",
    "cd_mach",
)
# Numeric stage fields that need a citation when present in a TOML file.
_STAGE_NUMERIC = (*_STAGE_REQUIRED, "isp_sl_s", "nozzle_exit_area_m2", "coast_before_s")
_STAGE_KEYS = ("name", *_STAGE_NUMERIC, "source")
_MISSILE_NUMERIC = ("payload_kg", "payload_beta_kg_m2", "shroud_mass_kg", "shroud_drop_time_s")
_MISSILE_KEYS = ("name", "title", "stages", "sources", "notes", *_MISSILE_NUMERIC)


def _positive(fld: str, value: object, hi: float, unit: str) -> float:
    v = check_range(fld, value, 0.0, hi, unit)  # type: ignore[arg-type]
    if v <= 0.0:
        raise InputError(fld, value, f"> 0 and <= {hi:g} {unit}")
    if math.isinf(v):
        raise InputError(fld, value, "a finite number")
    return v


def _cd_table(fld: str, value: object) -> tuple[tuple[float, ...], tuple[float, ...]]:
    allowed = "two equal-length lists ([Mach...], [Cd...]), Mach >= 0 strictly ascending, 0 < Cd <= 5"
    try:
        machs, cds = value  # type: ignore[misc]
        machs = tuple(float(m) for m in machs)
        cds = tuple(float(c) for c in cds)
    except (TypeError, ValueError):
        raise InputError(fld, value, allowed) from None
    if not machs or len(machs) != len(cds):
        raise InputError(fld, value, allowed)
    if any(not math.isfinite(x) for x in machs + cds):
        raise InputError(fld, value, allowed)
    if machs[0] < 0 or any(b <= a for a, b in zip(machs, machs[1:], strict=False)):
        raise InputError(fld, value, allowed)
    if any(not (0.0 < c <= MAX_CD) for c in cds):
        raise InputError(fld, value, allowed)
    return machs, cds


@dataclass(frozen=True)
class Stage:
    """One rocket stage, with the drag data of the stack while it is the lowest stage.

    Thrust is constant in vacuum (``thrust_vac_n``); when ``isp_sl_s`` or
    ``nozzle_exit_area_m2`` is given the delivered thrust falls with ambient pressure as
    ``T = T_vac - p_amb * A_exit`` (see :meth:`thrust_n`).
    """

    name: str
    propellant_mass_kg: float
    dry_mass_kg: float  # structure + engines of this stage, dropped at its burnout
    isp_vac_s: float  # vacuum specific impulse
    burn_time_s: float
    reference_area_m2: float  # drag reference area of the stack while this stage is the lowest one
    cd_mach: tuple[tuple[float, ...], tuple[float, ...]]  # (Mach points ascending, Cd values)
    isp_sl_s: float | None = None  # sea-level Isp; if given, thrust drops with ambient pressure
    nozzle_exit_area_m2: float | None = None  # alternative to isp_sl_s
    coast_before_s: float = 0.0  # unpowered gap between previous burnout and this ignition

    def __post_init__(self) -> None:
        p = f"stage {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("stage.name", self.name, "a non-empty string")
        set_ = functools.partial(object.__setattr__, self)
        set_("propellant_mass_kg", _positive(f"{p}.propellant_mass_kg", self.propellant_mass_kg, MAX_MASS_KG, "kg"))
        set_("dry_mass_kg", _positive(f"{p}.dry_mass_kg", self.dry_mass_kg, MAX_MASS_KG, "kg"))
        set_("isp_vac_s", check_range(f"{p}.isp_vac_s", self.isp_vac_s, ISP_MIN_S, ISP_MAX_S, "s"))
        set_("burn_time_s", _positive(f"{p}.burn_time_s", self.burn_time_s, MAX_BURN_TIME_S, "s"))
        set_("reference_area_m2", _positive(f"{p}.reference_area_m2", self.reference_area_m2, MAX_AREA_M2, "m^2"))
        set_("cd_mach", _cd_table(f"{p}.cd_mach", self.cd_mach))
        set_("coast_before_s", check_range(f"{p}.coast_before_s", self.coast_before_s, 0.0, MAX_BURN_TIME_S, "s"))
        if self.isp_sl_s is not None and self.nozzle_exit_area_m2 is not None:
            raise InputError(f"{p}.isp_sl_s", self.isp_sl_s,
                             "either isp_sl_s or nozzle_exit_area_m2, not both")
        if self.isp_sl_s is not None:
            set_("isp_sl_s", check_range(f"{p}.isp_sl_s", self.isp_sl_s, ISP_MIN_S, self.isp_vac_s, "s"))
        if self.nozzle_exit_area_m2 is not None:
            set_("nozzle_exit_area_m2",
                 _positive(f"{p}.nozzle_exit_area_m2", self.nozzle_exit_area_m2, MAX_AREA_M2, "m^2"))
        if self.thrust_sl_n <= 0.0:
            raise InputError(f"{p}.nozzle_exit_area_m2", self.nozzle_exit_area_m2,
                             f"small enough that sea-level thrust stays > 0 (T_vac = {self.thrust_vac_n:.0f} N)")

    # -- derived quantities -------------------------------------------------------------
    @property
    def mass_flow_kg_s(self) -> float:
        """Propellant mass flow, kg/s (constant over the burn)."""
        return self.propellant_mass_kg / self.burn_time_s

    @property
    def thrust_vac_n(self) -> float:
        """Vacuum thrust, N: mass flow x Isp_vac x g0."""
        return self.mass_flow_kg_s * self.isp_vac_s * G0

    @property
    def wet_mass_kg(self) -> float:
        return self.propellant_mass_kg + self.dry_mass_kg

    def exit_area_m2(self) -> float:
        """Nozzle exit area resolving either input; 0.0 when thrust does not depend on pressure.

        From a sea-level Isp: ``A_e = mdot * g0 * (Isp_vac - Isp_sl) / p0``.
        """
        if self.nozzle_exit_area_m2 is not None:
            return self.nozzle_exit_area_m2
        if self.isp_sl_s is not None:
            return self.mass_flow_kg_s * G0 * (self.isp_vac_s - self.isp_sl_s) / P0_PA
        return 0.0

    def thrust_n(self, p_amb_pa: float = 0.0) -> float:
        """Thrust at ambient pressure ``p_amb_pa`` (Pa): ``T_vac - p_amb * A_exit``, floored at 0."""
        return max(self.thrust_vac_n - max(p_amb_pa, 0.0) * self.exit_area_m2(), 0.0)

    @property
    def thrust_sl_n(self) -> float:
        """Thrust at sea-level standard pressure, N."""
        return self.thrust_n(P0_PA)

    def cd(self, mach: float) -> float:
        """Drag coefficient at ``mach``: linear interpolation, clamped at the table ends."""
        machs, cds = self.cd_mach
        if mach <= machs[0]:
            return cds[0]
        if mach >= machs[-1]:
            return cds[-1]
        for i in range(1, len(machs)):
            if mach <= machs[i]:
                m0, m1, c0, c1 = machs[i - 1], machs[i], cds[i - 1], cds[i]
                return c0 + (c1 - c0) * (mach - m0) / (m1 - m0)
        return cds[-1]  # pragma: no cover


@dataclass(frozen=True)
class Missile:
    """A ballistic missile: stages (lowest first), payload, optional shroud, and citations."""

    name: str  # catalog key, e.g. "scud-b"
    title: str  # human name
    stages: tuple[Stage, ...]
    payload_kg: float  # re-entry vehicle / warhead section
    payload_beta_kg_m2: float | None = None  # None: payload stays attached to the last stage
    shroud_mass_kg: float = 0.0
    shroud_drop_time_s: float | None = None
    sources: Mapping[str, str] = field(default_factory=dict)  # parameter path -> citation
    notes: str = ""
    references: Mapping[str, float] = field(default_factory=dict)  # published figures, e.g. reference_max_range_km

    def __post_init__(self) -> None:
        set_ = functools.partial(object.__setattr__, self)
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise InputError("missile.name", self.name, "lower-case letters, digits and '-' (e.g. 'scud-b')")
        if not isinstance(self.title, str) or not self.title.strip():
            raise InputError(f"{self.name}.title", self.title, "a non-empty string")
        stages = tuple(self.stages)
        if not stages or not all(isinstance(s, Stage) for s in stages):
            raise InputError(f"{self.name}.stages", self.stages, "one or more Stage objects, lowest first")
        if stages[0].coast_before_s != 0.0:
            raise InputError(f"{self.name}.stages.1.coast_before_s", stages[0].coast_before_s,
                             "0 (the first stage ignites at launch)")
        set_("stages", stages)
        set_("payload_kg", _positive(f"{self.name}.payload_kg", self.payload_kg, MAX_MASS_KG, "kg"))
        if self.payload_beta_kg_m2 is not None:
            set_("payload_beta_kg_m2",
                 _positive(f"{self.name}.payload_beta_kg_m2", self.payload_beta_kg_m2, 1.0e6, "kg/m^2"))
        set_("shroud_mass_kg", check_range(f"{self.name}.shroud_mass_kg", self.shroud_mass_kg, 0.0, MAX_MASS_KG, "kg"))
        if self.shroud_mass_kg > 0.0:
            if self.shroud_drop_time_s is None:
                raise InputError(f"{self.name}.shroud_drop_time_s", None,
                                 "a drop time in s when shroud_mass_kg > 0")
            set_("shroud_drop_time_s", check_range(f"{self.name}.shroud_drop_time_s", self.shroud_drop_time_s,
                                                   0.0, self.boost_time_s, "s"))
        elif self.shroud_drop_time_s is not None:
            raise InputError(f"{self.name}.shroud_drop_time_s", self.shroud_drop_time_s,
                             "unset when shroud_mass_kg is 0")
        set_("sources", MappingProxyType({str(k): str(v) for k, v in dict(self.sources).items()}))
        set_("references", MappingProxyType({str(k): float(v) for k, v in dict(self.references).items()}))
        if not isinstance(self.notes, str):
            raise InputError(f"{self.name}.notes", self.notes, "a string")
        # A missile must be able to lift off: first-stage sea-level thrust > launch weight.
        s1 = stages[0]
        if s1.thrust_sl_n <= self.launch_mass_kg * G0:
            raise InputError(
                f"{self.name}.stages.1.burn_time_s", s1.burn_time_s,
                f"short enough that sea-level thrust ({s1.thrust_sl_n:.0f} N) exceeds launch weight "
                f"({self.launch_mass_kg * G0:.0f} N)")

    def __hash__(self) -> int:
        return hash((self.name, self.title, self.stages, self.payload_kg, self.payload_beta_kg_m2,
                     self.shroud_mass_kg, self.shroud_drop_time_s, tuple(sorted(self.sources.items())),
                     self.notes, tuple(sorted(self.references.items()))))

    # -- derived quantities -------------------------------------------------------------
    @property
    def launch_mass_kg(self) -> float:
        """Sum of all stage wet masses + payload + shroud."""
        return sum(s.wet_mass_kg for s in self.stages) + self.payload_kg + self.shroud_mass_kg

    @property
    def boost_time_s(self) -> float:
        """Launch to final burnout: all burn times plus inter-stage coasts."""
        return sum(s.burn_time_s + s.coast_before_s for s in self.stages)

    def stage_ignition_times_s(self) -> tuple[float, ...]:
        """Ignition time of each stage after launch."""
        t, out = 0.0, []
        for s in self.stages:
            t += s.coast_before_s
            out.append(t)
            t += s.burn_time_s
        return tuple(out)

    def ideal_delta_v_m_s(self) -> float:
        """Rocket-equation velocity gain with vacuum Isp, no gravity, no drag.

        The shroud is carried until ``shroud_drop_time_s`` (if dropped mid-burn the burn is
        split there); each stage's dry mass is dropped at its burnout.
        """
        dv = 0.0
        above = [sum(s.wet_mass_kg for s in self.stages[i + 1:]) for i in range(len(self.stages))]
        for s, t_ign, m_above in zip(self.stages, self.stage_ignition_times_s(), above, strict=True):
            t_end = t_ign + s.burn_time_s
            base = m_above + self.payload_kg + s.dry_mass_kg
            shroud_on = self.shroud_mass_kg if (self.shroud_drop_time_s or 0.0) > t_ign else 0.0
            m0 = base + s.propellant_mass_kg + shroud_on
            if shroud_on and self.shroud_drop_time_s is not None and self.shroud_drop_time_s < t_end:
                burned = s.mass_flow_kg_s * (self.shroud_drop_time_s - t_ign)
                dv += s.isp_vac_s * G0 * math.log(m0 / (m0 - burned))
                m0 = m0 - burned - shroud_on
                shroud_on = 0.0
            mf = base + shroud_on
            dv += s.isp_vac_s * G0 * math.log(m0 / mf)
        return dv

    @property
    def reference_max_range_km(self) -> float | None:
        """Published maximum range recorded with the vehicle, if any."""
        return self.references.get("reference_max_range_km")

    # -- modified copies ----------------------------------------------------------------
    def with_payload(self, kg: float) -> Missile:
        """Copy with a different payload mass; sources and notes record the change."""
        new = _positive(f"{self.name}.payload_kg", kg, MAX_MASS_KG, "kg")
        old = self.payload_kg
        sources = dict(self.sources)
        sources["payload_kg"] = f"user override {new:g} kg (was {old:g} kg: {self.sources.get('payload_kg', 'uncited')})"
        return replace(self, payload_kg=new, sources=sources,
                       notes=_append_note(self.notes, f"Payload changed from {old:g} kg to {new:g} kg."))

    def scaled(self, propellant_factor: float = 1.0, burn_time_factor: float = 1.0,
               stage: int | None = None) -> Missile:
        """Copy with propellant masses and/or burn times multiplied by the given factors.

        Applies to every stage, or only to ``stage`` (1-based) when given.  Dry masses are
        unchanged.  Sources and notes record what changed.
        """
        pf = _positive(f"{self.name}.propellant_factor", propellant_factor, 100.0, "")
        bf = _positive(f"{self.name}.burn_time_factor", burn_time_factor, 100.0, "")
        if stage is not None and (isinstance(stage, bool) or not isinstance(stage, int)
                                  or not 1 <= stage <= len(self.stages)):
            raise InputError(f"{self.name}.stage", stage, f"an integer 1 to {len(self.stages)} or None")
        idx = range(len(self.stages)) if stage is None else (stage - 1,)
        stages = list(self.stages)
        sources = dict(self.sources)
        for i in idx:
            s = stages[i]
            stages[i] = replace(s, propellant_mass_kg=s.propellant_mass_kg * pf,
                                burn_time_s=s.burn_time_s * bf)
            for fld, f in (("propellant_mass_kg", pf), ("burn_time_s", bf)):
                if f != 1.0:
                    key = f"stages.{i + 1}.{fld}"
                    sources[key] = f"scaled x{f:g} from: {_lookup(self.sources, key) or 'uncited'}"
        which = "all stages" if stage is None else f"stage {stage}"
        note = f"Scaled {which}: propellant x{pf:g}, burn time x{bf:g} (dry masses unchanged)."
        return replace(self, stages=tuple(stages), sources=sources, notes=_append_note(self.notes, note))


def _append_note(notes: str, extra: str) -> str:
    return f"{notes.rstrip()}\n{extra}" if notes.strip() else extra


def _lookup(sources: Mapping[str, str], key: str) -> str | None:
    """Citation for ``key``; ``stages.N.x`` falls back to ``stages.*.x``."""
    if key in sources:
        return sources[key]
    m = re.match(r"^stages\.\d+\.(.+)$", key)
    if m:
        return sources.get(f"stages.*.{m.group(1)}")
    return None


# ---------------------------------------------------------------------------------------
# TOML loading
# ---------------------------------------------------------------------------------------
def _require_source(sources: Mapping[str, str], key: str, value: object) -> None:
    cite = _lookup(sources, key)
    if cite is None or not str(cite).strip():
        raise InputError(key, value, "a value with a public citation in the file's [sources] table",
                         hint=f'add sources."{key}" (or the stages.*.field form for stage fields)')


def from_toml(path: str | Path) -> Missile:
    """Load and validate one vehicle file; every numeric parameter must be cited."""
    path = Path(path)
    where = str(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise InputError("path", where, "an existing vehicle TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError("path", where, "valid TOML", hint=str(exc)) from None
    return _from_mapping(data, where)


def _from_mapping(data: Mapping[str, object], where: str) -> Missile:
    ref_keys = [k for k in data if k.startswith("reference_")]
    unknown = [k for k in data if k not in _MISSILE_KEYS and k not in ref_keys]
    if unknown:
        raise InputError(unknown[0], data[unknown[0]],
                         f"one of: {', '.join(_MISSILE_KEYS)} or reference_* (in {where})")
    for key in ("name", "title", "stages", "payload_kg", "sources"):
        if key not in data:
            raise InputError(key, None, f"present (required in {where})")
    raw_sources = data["sources"]
    if not isinstance(raw_sources, Mapping):
        raise InputError("sources", raw_sources, "a table of parameter path -> citation")
    sources = {str(k): str(v) for k, v in raw_sources.items()}
    for k, v in sources.items():
        if not v.strip():
            raise InputError(f"sources.{k}", v, "a non-empty citation")

    raw_stages = data["stages"]
    if not isinstance(raw_stages, list) or not raw_stages:
        raise InputError("stages", raw_stages, "one or more [[stages]] tables")

    cited_keys: set[str] = set()
    stages: list[Stage] = []
    for i, raw in enumerate(raw_stages, start=1):
        if not isinstance(raw, Mapping):
            raise InputError(f"stages.{i}", raw, "a table")
        bad = [k for k in raw if k not in _STAGE_KEYS]
        if bad:
            raise InputError(f"stages.{i}.{bad[0]}", raw[bad[0]], f"one of: {', '.join(_STAGE_KEYS)}")
        for k in _STAGE_REQUIRED:
            if k not in raw:
                raise InputError(f"stages.{i}.{k}", None, "present")
        stage_source = raw.get("source")
        for k in _STAGE_NUMERIC:
            if k in raw:
                key = f"stages.{i}.{k}"
                if stage_source and _lookup(sources, key) is None:
                    sources[key] = str(stage_source)
                _require_source(sources, key, raw[k])
                cited_keys.add(key)
        kwargs = {k: raw[k] for k in _STAGE_NUMERIC if k in raw}
        stages.append(Stage(name=str(raw.get("name", f"stage {i}")), **kwargs))  # type: ignore[arg-type]

    for k in (*_MISSILE_NUMERIC, *ref_keys):
        if k in data:
            _require_source(sources, k, data[k])
            cited_keys.add(k)
    references = {}
    for k in ref_keys:
        v = data[k]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
            raise InputError(k, v, "a finite number")
        references[k] = float(v)

    # Citations must refer to real parameters (catches typos such as stages.3 on a 2-stage missile).
    for k in sources:
        m = re.match(r"^stages\.\*\.(.+)$", k)
        if m:
            if m.group(1) not in _STAGE_NUMERIC:
                raise InputError(f"sources.{k}", sources[k], f"a stage field: {', '.join(_STAGE_NUMERIC)}")
            continue
        if k not in cited_keys:
            raise InputError(f"sources.{k}", sources[k], "a key naming a parameter present in this file")

    return Missile(
        name=str(data["name"]),
        title=str(data["title"]),
        stages=tuple(stages),
        payload_kg=data["payload_kg"],  # type: ignore[arg-type]
        payload_beta_kg_m2=data.get("payload_beta_kg_m2"),  # type: ignore[arg-type]
        shroud_mass_kg=data.get("shroud_mass_kg", 0.0),  # type: ignore[arg-type]
        shroud_drop_time_s=data.get("shroud_drop_time_s"),  # type: ignore[arg-type]
        sources=sources,
        notes=str(data.get("notes", "")),
        references=references,
    )


# ---------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------
def _catalog_dir() -> Path:
    return Path(str(resources.files("boostphase") / "catalog"))


@functools.lru_cache(maxsize=1)
def _catalog() -> Mapping[str, Missile]:
    out: dict[str, Missile] = {}
    for path in sorted(_catalog_dir().glob("*.toml")):
        m = from_toml(path)
        if m.name != path.stem:
            raise InputError(f"{path.name}: name", m.name, f"the file stem {path.stem!r}")
        out[m.name] = m
    return MappingProxyType(out)


def catalog_names() -> list[str]:
    """Names of all catalog vehicles, sorted."""
    return sorted(_catalog())


def catalog() -> list[Missile]:
    """All catalog vehicles, sorted by name."""
    cat = _catalog()
    return [cat[n] for n in sorted(cat)]


def _normalise(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def load(name: str) -> Missile:
    """Catalog vehicle by name (case-insensitive; spaces/underscores read as '-')."""
    if not isinstance(name, str):
        raise InputError("missile", name, "a catalog name string")
    cat = _catalog()
    key = _normalise(name)
    if key in cat:
        return cat[key]
    names = sorted(cat)
    near = difflib.get_close_matches(key, names, n=3, cutoff=0.4)
    hint = f"did you mean: {', '.join(near)}?" if near else None
    raise InputError("missile", name, f"one of: {', '.join(names)}", hint=hint)


# Field names of the public dataclasses, handy for callers building their own tables.
STAGE_FIELDS = tuple(f.name for f in fields(Stage))
MISSILE_FIELDS = tuple(f.name for f in fields(Missile))
