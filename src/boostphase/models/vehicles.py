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

The same format serves vehicles of the user's own: :func:`load` takes a catalog name or a
path to such a file, :func:`from_text` the text of one (e.g. pasted into the web app), and
:func:`template_text` is a commented file to start from (``boostphase catalog --template``;
the format is documented field by field in ``docs/vehicle-file.md``).

Bad input raises :class:`boostphase.errors.InputError` naming the field, the value and
what is allowed; errors in a file name the file too (``my.toml: stages.1.burn_time_s: ...``).
"""

from __future__ import annotations

import difflib
import functools
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from ..errors import InputError, check_range
from ..results import one_line, quantity
from .constants import G0, P0_PA  # standard gravity (defines Isp in s); US76 sea-level pressure

__all__ = ["G0", "P0_PA", "Stage", "Missile", "load", "load_catalog", "catalog", "catalog_names", "from_toml", "from_text",
           "looks_like_vehicle_file", "resolve_vehicle_ref", "template_text", "MAX_VEHICLE_FILE_BYTES"]


"""Sea-level standard pressure, Pa (used to turn a sea-level Isp into a nozzle exit area)."""

ISP_MIN_S, ISP_MAX_S = 100.0, 500.0
MAX_BURN_TIME_S = 2_000.0
MAX_MASS_KG = 1.0e7
MAX_AREA_M2 = 100.0
MAX_CD = 5.0

MAX_VEHICLE_FILE_BYTES = 65_536
"""Largest vehicle file accepted (bytes): the catalog's files are 3-6 kB."""

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PLACEHOLDER_RE = re.compile(r"^\s*<.*>\s*$", re.S)

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
    """``value`` as a float in (0, hi], else InputError saying so."""
    v = check_range(fld, value)  # type: ignore[arg-type]
    if not 0.0 < v <= hi:
        raise InputError(fld, value, f"> 0 and <= {hi:g} {unit}".rstrip())
    return v


def _cd_table(fld: str, value: object) -> tuple[tuple[float, ...], tuple[float, ...]]:
    allowed = "two equal-length lists ([Mach...], [Cd...]), Mach >= 0 strictly ascending, 0 < Cd <= 5"
    try:
        machs, cds = value  # type: ignore[misc]
        if isinstance(machs, str | bytes) or isinstance(cds, str | bytes):
            raise TypeError
        if any(isinstance(x, bool | str) for x in (*machs, *cds)):
            raise TypeError
        machs = tuple(float(m) for m in machs)
        cds = tuple(float(c) for c in cds)
    except (TypeError, ValueError):
        raise InputError(fld, value, allowed) from None
    if not machs or len(machs) != len(cds):
        raise InputError(fld, value, allowed, hint=f"{len(machs)} Mach points but {len(cds)} Cd values")
    if any(not math.isfinite(x) for x in machs + cds):
        raise InputError(fld, value, allowed, hint="NaN and infinity are not numbers here")
    if machs[0] < 0:
        raise InputError(fld, value, allowed, hint=f"Mach {machs[0]:g} is negative")
    for a, b in zip(machs, machs[1:], strict=False):
        if b <= a:
            raise InputError(fld, value, allowed, hint=f"Mach {b:g} follows {a:g}: the table must increase in Mach")
    for c in cds:
        if not 0.0 < c <= MAX_CD:
            raise InputError(fld, value, allowed, hint=f"Cd {c:g} is out of range")
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

    def __repr__(self) -> str:
        """One line: name, wet mass, vacuum Isp, burn time (the full record: ``dataclasses.asdict``)."""
        return one_line("Stage", repr(self.name), [("wet mass", quantity(self.wet_mass_kg, "kg")),
                                                   ("Isp", quantity(self.isp_vac_s, "s")),
                                                   ("burn", quantity(self.burn_time_s, "s"))])

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

    def __repr__(self) -> str:
        """One line of key figures (stages, launch mass, payload, boost time); the whole record
        with its sources: ``dataclasses.asdict`` or ``boostphase catalog``."""
        n = len(self.stages)
        return one_line("Missile", self.name, [("", f"{n} stage{'s' if n != 1 else ''}"),
                                                ("launch mass", quantity(self.launch_mass_kg, "kg")),
                                                ("payload", quantity(self.payload_kg, "kg")),
                                                ("boost", quantity(self.boost_time_s, "s"))])

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


def _number(key: str, value: object) -> None:
    """A TOML number (int or float, not a boolean, string or table); NaN/inf fail later, by range."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(key, value, "a number")
    if not math.isfinite(float(value)):
        raise InputError(key, value, "a finite number (NaN and infinity are not accepted)")


def from_toml(path: str | os.PathLike) -> Missile:
    """Load and validate one vehicle file; every numeric parameter must be cited.

    An error names the file: ``InputError.field`` is ``"<path>: <field>"``."""
    where = str(path)
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_VEHICLE_FILE_BYTES:
            raise InputError(where, f"{size} bytes", f"a vehicle file of at most {MAX_VEHICLE_FILE_BYTES} bytes")
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError("path", where, "an existing vehicle TOML file") from None
    except UnicodeDecodeError:
        raise InputError(where, "binary data", "a UTF-8 text file (TOML)") from None
    except OSError as exc:
        raise InputError("path", where, "a readable vehicle TOML file", hint=exc.strerror) from None
    return from_text(text, where)


def from_text(text: str, where: str = "vehicle file") -> Missile:
    """Validate the text of a vehicle file (e.g. pasted into the web app); ``where`` names it in
    errors (``"<where>: <field>: got ...; allowed: ..."``). Nothing is written anywhere."""
    if not isinstance(text, str):
        raise InputError(where, type(text).__name__, "the text of a vehicle TOML file")
    if len(text.encode("utf-8")) > MAX_VEHICLE_FILE_BYTES:
        raise InputError(where, f"{len(text)} characters",
                         f"a vehicle file of at most {MAX_VEHICLE_FILE_BYTES} bytes")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(where, "not TOML", "a valid TOML vehicle file", hint=str(exc)) from None
    except RecursionError:  # arrays nested thousands deep
        raise InputError(where, "deeply nested arrays", "a vehicle TOML file (see the template)") from None
    try:
        return _from_mapping(data, where)
    except InputError as e:
        raise InputError(f"{where}: {e.field}", e.value, e.allowed, e.hint) from None


def _stage_error(e: InputError, stage_name: str, i: int) -> InputError:
    """A Stage's own error (field ``stage 'name'.x``) renamed to the file's ``stages.i.x``."""
    prefix = f"stage {stage_name!r}."
    fld = f"stages.{i}.{e.field[len(prefix):]}" if e.field.startswith(prefix) else e.field
    if fld == "stage.name":
        fld = f"stages.{i}.name"
    return InputError(fld, e.value, e.allowed, e.hint)


def _from_mapping(data: Mapping[str, object], where: str) -> Missile:
    """A validated Missile from a parsed vehicle file; errors name fields as written in the file
    (the caller adds the file's name)."""
    ref_keys = [k for k in data if k.startswith("reference_")]
    unknown = [k for k in data if k not in _MISSILE_KEYS and k not in ref_keys]
    if unknown:
        raise InputError(unknown[0], data[unknown[0]],
                         f"one of: {', '.join(_MISSILE_KEYS)} or reference_* (unknown key)")
    for key in ("name", "title", "stages", "payload_kg", "sources"):
        if key not in data:
            raise InputError(key, None, "present (a required key)")
    for key in ("name", "title", "notes"):
        if key in data and not isinstance(data[key], str):
            raise InputError(key, data[key], "a string")
    raw_sources = data["sources"]
    if not isinstance(raw_sources, Mapping):
        raise InputError("sources", raw_sources, "a table of parameter path -> citation")
    sources: dict[str, str] = {}
    for k, v in raw_sources.items():
        if isinstance(v, Mapping):
            raise InputError(f"sources.{k}", "a table", "a citation string",
                             hint=f'quote dotted keys: "{k}.<...>" = "..."')
        if not isinstance(v, str) or not v.strip():
            raise InputError(f"sources.{k}", v, "a non-empty citation string")
        if _PLACEHOLDER_RE.match(v):
            raise InputError(f"sources.{k}", v, "a public citation (author, title, year, table or page)",
                             hint="replace the template's <...> placeholder with your source")
        sources[str(k)] = v

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
            raise InputError(f"stages.{i}.{bad[0]}", raw[bad[0]], f"one of: {', '.join(_STAGE_KEYS)} (unknown key)")
        for k in _STAGE_REQUIRED:
            if k not in raw:
                raise InputError(f"stages.{i}.{k}", None, "present (a required stage key)")
        for k in ("name", "source"):
            if k in raw and not isinstance(raw[k], str):
                raise InputError(f"stages.{i}.{k}", raw[k], "a string")
        stage_source = raw.get("source")
        if stage_source is not None and _PLACEHOLDER_RE.match(str(stage_source)):
            raise InputError(f"stages.{i}.source", stage_source, "a public citation (author, title, year, table or page)",
                             hint="replace the template's <...> placeholder with your source")
        for k in _STAGE_NUMERIC:
            if k in raw:
                key = f"stages.{i}.{k}"
                if stage_source and _lookup(sources, key) is None:
                    sources[key] = str(stage_source)
                _require_source(sources, key, raw[k])
                cited_keys.add(key)
                if k != "cd_mach":
                    _number(key, raw[k])
        kwargs = {k: raw[k] for k in _STAGE_NUMERIC if k in raw}
        name = str(raw.get("name", f"stage {i}"))
        try:
            stages.append(Stage(name=name, **kwargs))  # type: ignore[arg-type]
        except InputError as e:
            raise _stage_error(e, name, i) from None

    for k in (*_MISSILE_NUMERIC, *ref_keys):
        if k in data:
            _require_source(sources, k, data[k])
            cited_keys.add(k)
            _number(k, data[k])
    references = {k: float(data[k]) for k in ref_keys}  # type: ignore[arg-type]

    # Citations must refer to real parameters (catches typos such as stages.3 on a 2-stage missile).
    for k in sources:
        m = re.match(r"^stages\.\*\.(.+)$", k)
        if m:
            if m.group(1) not in _STAGE_NUMERIC:
                raise InputError(f"sources.{k}", sources[k], f"a stage field: {', '.join(_STAGE_NUMERIC)}")
            continue
        if k not in cited_keys:
            raise InputError(f"sources.{k}", sources[k], "a key naming a parameter present in this file")

    name = data["name"]
    try:
        return Missile(
            name=name,  # type: ignore[arg-type]
            title=data["title"],  # type: ignore[arg-type]
            stages=tuple(stages),
            payload_kg=data["payload_kg"],  # type: ignore[arg-type]
            payload_beta_kg_m2=data.get("payload_beta_kg_m2"),  # type: ignore[arg-type]
            shroud_mass_kg=data.get("shroud_mass_kg", 0.0),  # type: ignore[arg-type]
            shroud_drop_time_s=data.get("shroud_drop_time_s"),  # type: ignore[arg-type]
            sources=sources,
            notes=str(data.get("notes", "")),
            references=references,
        )
    except InputError as e:  # the Missile names its fields "<name>.<field>": the file's are bare
        fld = e.field
        if fld == "missile.name":
            fld = "name"
        elif isinstance(name, str) and fld.startswith(f"{name}."):
            fld = fld[len(name) + 1:]
        raise InputError(fld, e.value, e.allowed, e.hint) from None


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


def looks_like_vehicle_file(ref: object) -> bool:
    """True if ``ref`` names a file rather than a catalog entry: a path object, or a string that
    ends in ``.toml`` or contains a path separator."""
    if isinstance(ref, os.PathLike):
        return True
    if not isinstance(ref, str):
        return False
    s = ref.strip()
    return s.lower().endswith(".toml") or "/" in s or (os.sep != "/" and os.sep in s)


def resolve_vehicle_ref(ref: object, base_dir: str | os.PathLike | None) -> object:
    """``ref`` unchanged, unless it is a relative vehicle-file path that exists next to a
    scenario file in ``base_dir``: then that file's absolute path (scenario files name their
    vehicle files relative to themselves)."""
    if base_dir is None or not isinstance(ref, str) or not looks_like_vehicle_file(ref):
        return ref
    p = Path(ref.strip()).expanduser()
    if p.is_absolute():
        return ref
    q = Path(base_dir) / p
    return str(q.resolve()) if q.is_file() else ref


def load(name_or_path: str | os.PathLike | Missile) -> Missile:
    """A catalog vehicle by name (case-insensitive; spaces/underscores read as '-'), or a vehicle
    TOML file of the catalog's format by path (``*.toml``, or any string with a ``/``; a name
    that is not in the catalog but is an existing file is read too). A :class:`Missile` is
    returned as it is."""
    if isinstance(name_or_path, Missile):
        return name_or_path
    if looks_like_vehicle_file(name_or_path):
        p = Path(str(name_or_path).strip() if isinstance(name_or_path, str) else name_or_path).expanduser()
        if not p.is_file():
            why = "a folder, not a file" if p.is_dir() else "file not found"
            raise InputError("missile", str(name_or_path), f"a catalog name or an existing vehicle TOML file ({why})")
        return from_toml(p)
    if isinstance(name_or_path, str) and _normalise(name_or_path) not in _catalog() \
            and name_or_path.strip() and Path(name_or_path.strip()).is_file():
        return from_toml(name_or_path.strip())
    return load_catalog(name_or_path, files=True)  # type: ignore[arg-type]


def load_catalog(name: str, files: bool = False) -> Missile:
    """A catalog vehicle by name only (never a file: what a server offers remote users)."""
    if not isinstance(name, str):
        raise InputError("missile", name, "a catalog name" + (" or a path to a vehicle TOML file" if files else ""))
    cat = _catalog()
    key = _normalise(name)
    if key in cat:
        return cat[key]
    names = sorted(cat)
    near = difflib.get_close_matches(key, names, n=3, cutoff=0.4)
    hint = f"did you mean: {', '.join(near)}?" if near else None
    raise InputError("missile", name, f"one of: {', '.join(names)}" + (", or a path to a vehicle TOML file"
                                                                        if files else ""), hint=hint)


def template_text() -> str:
    """A commented vehicle file to start from (``boostphase catalog --template``). Its numbers
    are illustrative; its citations are ``<...>`` placeholders, which :func:`load` rejects until
    each is replaced by a public source."""
    return (resources.files("boostphase") / "data" / "vehicle_template.toml").read_text(encoding="utf-8")


# Field names of the public dataclasses, handy for callers building their own tables.
STAGE_FIELDS = tuple(f.name for f in fields(Stage))
MISSILE_FIELDS = tuple(f.name for f in fields(Missile))
