"""The consequence scenario files (examples/c5_*.toml): validated models and loaders.

Numbers are read by the shared vocabulary (:mod:`boostphase.scenario.uncertain`): a number in
the field's unit or a quantity string ("5000 kg/m^2", "2 min"). A distribution table in a
consequence file (payload, payload beta, intercept time or window, kicks, ...) is parsed, so a
malformed one is named like anywhere else, and then refused with one line (:data:`NO_DISTRIBUTIONS`).
Why no outer ensemble here: the footprint is already a Monte Carlo over fragments (their kicks
and ballistic coefficients) and over the intercept window (every time on its grid); an outer
loop over, say, the payload would multiply its cost by n and mix what the input's uncertainty
does with the fragments' spread in one cloud. That outer ensemble exists, with its own report,
where the inputs are one number each: ``boostphase run`` with ``kind = "footprint"``
(``payload_kg``, ``beta_kg_m2``, ``intercept_time_s`` may be distributions; shares by country
with their quantiles); and ``boostphase c5`` gives the probability by country over an uncertain
engagement (delays, orbits, threats, firing policy). The ``[engagement]`` laydown is read by
:mod:`boostphase.engage.scenario`, which refuses a distribution there the same way.
"""


from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..resources import examples_dir
from ..scenario.uncertain import fixed_quantity, refuse_table
from ..units import quantity
from .common import DEFAULT_ENGAGEMENT, ENGAGEMENT

NO_DISTRIBUTIONS = ("distributions in a consequence file are not run (the footprint is already a Monte Carlo over "
                    "fragments): use `boostphase run` with kind = \"footprint\" (payload_kg, beta_kg_m2, "
                    "intercept_time_s may be distributions) or `boostphase c5` instead")

# ------------------------------------------------------------------------------------------
# scenario files (validated at this boundary; units allowed)
# ------------------------------------------------------------------------------------------

def _q(unit: str, lo: float | None = None, hi: float | None = None):
    return fixed_quantity(unit, lo, hi, NO_DISTRIBUTIONS)


def _number(v, unit: str, lo: float | None = None, hi: float | None = None) -> float:
    """A number or quantity of a field with its own validator (the error's field is named by
    its location); a distribution table is refused."""
    refuse_table("value", v, unit, lo, hi, NO_DISTRIBUTIONS)
    return quantity("value", v, unit, lo, hi)


def _latlon(v):
    if isinstance(v, str):
        parts = [p.strip() for p in v.split(",")]
    elif isinstance(v, (list, tuple)):
        parts = list(v)
    else:
        raise InputError("value", v, "LAT,LON in degrees (a string '39.0,125.7' or a list [39.0, 125.7])")
    if len(parts) != 2:
        raise InputError("value", v, "LAT,LON in degrees (a string '39.0,125.7' or a list [39.0, 125.7])")
    lat = quantity("value", parts[0], "deg", -90, 90)
    lon = quantity("value", parts[1], "deg", -180, 360)
    return (lat, lon)


def _place(v):
    if isinstance(v, str) and any(c.isalpha() for c in v):
        from ..models.geography import find_city

        c = find_city(v)
        return (c.lat_deg, c.lon_deg)
    return _latlon(v)


def _beta_or_vacuum(v):
    if isinstance(v, str) and v.strip().lower() in ("vacuum", "none"):
        return None
    return _number(v, "kg/m**2", 1.0, 1e6)


def _window_end(v):
    if isinstance(v, str) and v.strip().lower() == "burnout":
        return "burnout"
    return _number(v, "s", 0.0, 2000.0)


def _window_start(v):
    if isinstance(v, str) and v.strip().lower() == ENGAGEMENT:
        return ENGAGEMENT
    return _number(v, "s", 0.0, 2000.0)


def _window(v):
    if isinstance(v, str):
        if v.strip().lower() == ENGAGEMENT:
            return (ENGAGEMENT, "burnout")
        raise InputError("value", v, "'engagement' or [FROM, TO] in s after launch (FROM may be "
                         "'engagement', TO may be 'burnout')")
    refuse_table("value", v, "s", 0.0, 2000.0, NO_DISTRIBUTIONS)
    return v


Seconds = Annotated[float, _q("s", 0.0, 2000.0)]
Speed = Annotated[float, _q("m/s", 0.0, 5000.0)]
Beta = Annotated[float, _q("kg/m**2", 0.01, 1e6)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def __init__(self, **data):
        # built directly from Python: bad values are InputErrors too (named "Kick.median", ...)
        try:
            super().__init__(**data)
        except ValidationError as e:
            raise _validation_to_input_error(e, type(self).__name__) from None


class Kick(_Model):
    """Velocity kick of each fragment relative to the intercept state."""

    direction: Literal["isotropic", "cone"] = "isotropic"
    cone_half_angle: Annotated[float, _q("deg", 0.0, 180.0)] = 45.0  # about the threat's velocity
    magnitude: Literal["lognormal", "uniform"] = "lognormal"
    median: Speed = 100.0   # lognormal
    sigma: float = Field(0.7, ge=0.0, le=5.0)  # lognormal: std of ln(magnitude)
    min: Speed = 0.0        # uniform
    max: Speed = 300.0      # uniform


class BetaDist(_Model):
    """Log-normal ballistic coefficient m / (Cd A) of the fragments."""

    median: Beta = 200.0
    sigma: float = Field(1.0, ge=0.0, le=5.0)


class Threat(_Model):
    missile: str
    payload_kg: Annotated[float, _q("kg", 1.0, 1e5)] | None = None
    launch: Annotated[tuple[float, float], BeforeValidator(_latlon)]
    target: Annotated[tuple[float, float], BeforeValidator(_place)] | None = None
    azimuth: Annotated[float, _q("deg", -360.0, 360.0)] | None = None
    profile: Literal["target", "min-energy"] | None = None
    payload_beta: Annotated[float | None, BeforeValidator(_beta_or_vacuum)] = None


class Intercept(_Model):
    """When the intercept happens: one ``time``, or a ``window`` [FROM, TO] (s after launch;
    FROM may be ``"engagement"``: the earliest intercept of the ``[engagement]`` laydown; TO may
    be ``"burnout"``; ``window = "engagement"`` is short for ["engagement", "burnout"])."""

    time: Annotated[float, _q("s", 0.0, 2000.0)] | None = None
    window: Annotated[tuple[Annotated[float | str, BeforeValidator(_window_start)],
                            Annotated[float | str, BeforeValidator(_window_end)]],
                      BeforeValidator(_window)] | None = None
    dt: Annotated[float, _q("s", 0.01, 60.0)] = 1.0


_ENGAGE_KEYS = ("timeline", "interceptor", "sites", "platform_defaults", "platforms", "keep_out")


class EngagementSpec(_Model):
    """The UAV laydown whose earliest intercept opens the intercept window (``[engagement]``).

    ``scenario``: a ``boostphase engage`` scenario file (relative to this scenario's folder, else
    to ``examples/``) whose timeline, interceptor, platforms and keep-out zones are used; its
    threats are not (the threat is this scenario's). Tables of the same names and formats given
    here (``[engagement.timeline]``, ``[engagement.interceptor]``, ``[[engagement.platforms]]``,
    ...) replace the file's. ``orbits``: names of the platforms to use (default: all). With
    neither a file nor platforms, the example laydown :data:`DEFAULT_ENGAGEMENT` is used."""

    scenario: str | None = None
    orbits: list[str] | None = None
    timeline: dict | None = None
    interceptor: dict | None = None
    sites: list[dict] | None = None
    platform_defaults: dict | None = None
    platforms: list[dict] | None = None
    keep_out: dict | None = None

    def engage_data(self) -> tuple[dict, str]:
        """The merged ``boostphase engage`` scenario data and where it came from."""
        base: dict = {}
        name = "inline [engagement] tables"
        path = self.scenario
        if path is None and self.platforms is None:
            path = str(examples_dir() / DEFAULT_ENGAGEMENT)
        if path is not None:
            p = _find_engage_file(path)
            from ..scenario.files import load_toml

            base = load_toml("engagement.scenario", p)
            name = str(p)
        data = {k: base[k] for k in (*_ENGAGE_KEYS, "title") if k in base}
        for k in _ENGAGE_KEYS:
            v = getattr(self, k)
            if v is not None:
                data[k] = v
        return data, name

    def build(self):
        """(:class:`boostphase.engage.ScenarioObjects`, source) with the selected orbits.
        InputErrors name the field as ``engagement.<key>`` (a key of this table) or
        ``engagement.scenario`` (a key of the engage scenario file, named in the hint)."""
        from .. import engage

        data, name = self.engage_data()
        try:
            objs = engage.parse_scenario(data, "engagement").build()
        except InputError as e:
            fld = e.field.split(": ", 1)[-1] if e.field.startswith("engagement: ") else e.field
            top = fld.split(".")[0]
            if top in _ENGAGE_KEYS and top in self.model_fields_set:
                raise InputError(f"engagement.{fld}", e.value, e.allowed, e.hint) from None
            if self.scenario is not None and top in _ENGAGE_KEYS:
                raise InputError("engagement.scenario", e.value, e.allowed,
                                 f"{fld} in {Path(name).name}" + (f"; {e.hint}" if e.hint else "")) from None
            # raised while building the domain objects (their own names: 'platform altitude', ...)
            raise InputError(f"engagement: {fld}", e.value, e.allowed, e.hint) from None
        if not objs.platforms:
            raise InputError("engagement.platforms", 0, "at least one UAV orbit ([[engagement.platforms]] "
                             "or an engage scenario with [[platforms]])")
        if self.orbits is not None:
            names = {p.name.strip().lower(): p for p in objs.platforms}
            chosen = []
            for o in self.orbits:
                if o.strip().lower() not in names:
                    raise InputError("engagement.orbits", o, "names of the laydown's orbits: "
                                     + "; ".join(p.name for p in objs.platforms))
                chosen.append(names[o.strip().lower()])
            if not chosen:
                raise InputError("engagement.orbits", [], "at least one orbit name")
            objs.platforms = chosen
        return objs, name

    @model_validator(mode="after")
    def _check(self):
        try:
            self.build()  # bad values surface when the scenario is read (cheap: nothing is flown)
        except InputError as e:
            # named for _validation_to_input_error, which turns it back into 'engagement.<field>'
            tail = e.field.removeprefix("engagement.").removeprefix("engagement: ")
            raise InputError(f"EngagementSpec.{tail}", e.value, e.allowed, e.hint) from None
        return self


def _find_engage_file(path: str) -> Path:
    p = Path(path)
    for cand in ((p,) if p.is_absolute() else (p, examples_dir() / p)):
        if cand.is_file():
            return cand
    raise InputError("engagement.scenario", str(path), "an engagement scenario TOML file (relative to the "
                     "C5 scenario's folder or examples/)")


class Fragments(_Model):
    n: int = Field(10_000, ge=1, le=100_000_000)
    pieces: int | None = Field(None, ge=1, le=10_000_000)  # real pieces, for expected counts
    kick: Kick = Kick()
    beta: BetaDist = BetaDist()
    include_payload: bool = True
    include_stages: bool = True
    stage_beta: Annotated[float | str, BeforeValidator(
        lambda v: "auto" if isinstance(v, str) and v.strip().lower() == "auto"
        else _number(v, "kg/m**2", 0.01, 1e6))] = "auto"


class Report(_Model):
    city_radius: Annotated[float, _q("km", 0.0, 2000.0)] = 20.0


class Scenario(_Model):
    """A footprint (and shortfall) scenario, as read from a TOML file."""

    title: str = ""
    seed: int = Field(0, ge=0, le=2**63 - 1)
    # fragments' integration tolerance: impact points within ~20 m of DOP853 at rtol 1e-10
    # (measured on 120 fragments incl. the lightest and heaviest; 6 m at 1e-5 for 22 % more steps),
    # far inside the 100 m bar and the kick and beta uncertainties' spread of hundreds of km
    rtol: float = Field(1e-4, ge=1e-12, le=1e-3)
    threat: Threat
    intercept: Intercept = Intercept()
    engagement: EngagementSpec | None = None
    fragments: Fragments = Fragments()
    report: Report = Report()


def _validation_to_input_error(e: ValidationError, prefix: str = "") -> InputError:
    err = e.errors()[0]
    loc = [str(x) for x in err["loc"] if not str(x).startswith("function-")]
    # pydantic appends the branch tried for unions/tuples ('float', 'str', 'tuple[...]'): drop it
    loc = [x for x in loc if x not in ("float", "str", "int", "bool") and not x.startswith(("tuple[", "constrained"))]
    fld = ".".join([p for p in (prefix, *loc) if p]) or "scenario"
    inner = (err.get("ctx") or {}).get("error")
    if isinstance(inner, InputError):
        head, _, tail = inner.field.partition(".")
        # raised by a nested model's own __init__, or a key of a field's distribution table
        if tail and (head in _MODEL_NAMES or (loc and head in (loc[-1], "value"))):
            fld = ".".join([p for p in (prefix, *loc, tail) if p])
        return InputError(fld, inner.value, inner.allowed, inner.hint)
    if err["type"] == "extra_forbidden":
        return InputError(fld, err.get("input"), "no such key (check the spelling)")
    if err["type"] == "missing":
        return InputError(fld, None, "a value (required)")
    return InputError(fld, err.get("input"), err.get("msg", "a valid value"))


_MODEL_NAMES = {"Kick", "BetaDist", "Threat", "Intercept", "EngagementSpec", "Fragments", "Report", "Scenario"}


def parse_scenario(data: dict) -> Scenario:
    """A :class:`Scenario` from a dict (e.g. parsed TOML); InputError names the bad field."""
    if not isinstance(data, dict):
        raise InputError("scenario", type(data).__name__, "a table of settings")
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise _validation_to_input_error(e) from None


def load_scenario(path) -> Scenario:
    """Read a scenario TOML file (see ``examples/c5_*.toml``)."""
    from ..scenario.files import load_toml

    p = Path(path)
    data = load_toml("scenario", p)
    eng = data.get("engagement")
    if isinstance(eng, dict) and isinstance(eng.get("scenario"), str):
        # an engagement scenario named relative to this file
        q = Path(eng["scenario"])
        if not q.is_absolute() and (p.parent / q).is_file():
            data = {**data, "engagement": {**eng, "scenario": str((p.parent / q).resolve())}}
    th = data.get("threat")
    if isinstance(th, dict) and "missile" in th:  # a vehicle file named relative to this file
        from ..models.vehicles import resolve_vehicle_ref

        data = {**data, "threat": {**th, "missile": resolve_vehicle_ref(th["missile"], p.parent)}}
    return parse_scenario(data)
