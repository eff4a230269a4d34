"""Uncertain inputs of the scenario specs: every numeric field of a spec may be a number, a
quantity string (``"20 km"``) or a distribution table, parsed here once for every surface (TOML
scenario files, the web API's JSON bodies, the run store), and the ``[ensemble]`` table that
says how many samples to draw and how to report them.

A distribution table (``{dist = "uniform", low = 200, high = 260}``; see
:func:`boostphase.ensembles.parse_distribution`) is checked against the field's own range:
every number in it must lie inside the range, and a normal or lognormal without its own
``low``/``high`` is refused unless its +-6 sd span (:data:`TAILS_SD`) stays inside the range (a
field's range never silently truncates what a user wrote; give ``low``/``high`` to truncate).
A validated spec holds a :class:`boostphase.ensembles.Distribution` in such a field; the
scenario's ensemble runner (:mod:`boostphase.scenario.ensemble`) replaces it by samples.

This module is the shared vocabulary of numeric fields, below the analyses (layer 2, like
:mod:`boostphase.scenario.fields`): it imports only :mod:`boostphase.ensembles`, errors and units,
so the analyses' own scenario files (``engage``, ``consequence``) parse numbers and
distributions with the same code and the same error text. Nested specs (an engagement file's
``[timeline]``, ``[[platforms]]``, ...) hold distributions at paths: :func:`nested_distributions`
finds them and :func:`with_values` puts one sample's numbers in; :func:`fixed_quantity` is the
field type of a number that is never sampled (a distribution there is refused with one line).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from ..ensembles import KINDS, Distribution, parse_distribution
from ..errors import InputError, check_range

TAILS_SD = 6.0                    # a normal's mean +- 6 sd must stay inside the field's range
MAX_ENSEMBLE_BATCHED = 20_000     # samples of a flyout ensemble (batched engine; ~25 ms each)
MAX_ENSEMBLE_LOOP = 2_000         # samples of the other kinds (one computation each, in a loop)
MAX_WEB_ENSEMBLE = 200            # samples answered at once on the web; more: a background job
MAX_JOB_ENSEMBLE = 5_000          # samples of a web ensemble job (and the per-kind cap above)
DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

# A number, or a short quantity string: a plain decimal number and a unit name. Exponent operators
# are refused before pint sees them: pint evaluates "9**9**9 km" exactly (a huge integer power);
# only a square or cube (``kg/m^2``, the unit of a ballistic coefficient) is allowed.
QUANTITY_RE = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,3})?\s*([A-Za-z_ /.\u00b0]|\^[23]){0,24}\s*$")

_DIST_KEYS = ("dist", "low", "high", "mean", "sd", "median", "sigma", "mode", "value", "values", "weights")
_NUM = {"anyOf": [{"type": "number"}, {"type": "string", "maxLength": 40}]}


def distribution_schema(unit: str) -> dict:
    """JSON Schema of a distribution table for a field in ``unit``."""
    u = f" (in {unit}, or a quantity string)" if unit else ""
    return {"type": "object", "additionalProperties": False,
            "description": "an uncertain value: dist = uniform (low, high) | normal (mean, sd; optional low, "
                           "high truncate) | lognormal (median, sigma of ln x; optional low, high) | triangular "
                           f"(low, mode, high) | choice (values, optional weights; dist may be left out){u}",
            "properties": {"dist": {"enum": list(KINDS[1:])},
                           **{k: _NUM for k in ("low", "high", "mean", "sd", "median", "mode", "value")},
                           "sigma": {"type": "number", "minimum": 0, "maximum": 5},
                           "values": {"type": "array", "items": _NUM, "minItems": 1, "maxItems": 10_000},
                           "weights": {"type": "array", "items": {"type": "number", "minimum": 0}}}}


def number_value(name: str, v, unit: str, lo: float | None, hi: float | None) -> float:
    """A number in ``unit`` or a quantity string, checked against [lo, hi] (finite)."""
    shape = f"a number in {unit} or a quantity like '10 {unit}'" if unit else "a number"
    if isinstance(v, str):
        if len(v) > 40 or not QUANTITY_RE.match(v):
            raise InputError(name, v, shape)
    elif not isinstance(v, (int, float)) or isinstance(v, bool):
        raise InputError(name, v, shape + ", or a distribution table {dist = ..., ...}")
    if not unit:
        return check_range(name, v, lo, hi)
    from ..units import quantity

    x = quantity(name, v, unit, lo, hi)
    if not math.isfinite(x):
        raise InputError(name, v, f"a finite number in {unit}")
    return x


def field_value(name: str, v, unit: str, lo: float | None, hi: float | None):
    """A float, or a :class:`Distribution` when ``v`` is a distribution table (a fixed one is its
    float). Every number in the table is checked against the field's range [lo, hi]."""
    if isinstance(v, Distribution):
        return v
    if not isinstance(v, Mapping):
        return number_value(name, v, unit, lo, hi)
    for k, x in v.items():  # only short numbers and quantity strings inside a table
        if k != "dist" and isinstance(x, str) and (len(x) > 40 or not QUANTITY_RE.match(x)):
            raise InputError(f"{name}.{k}", x, f"a number or a quantity like '10 {unit}'" if unit else "a number")
    d = parse_distribution(name, v, unit, lo, hi, tails=TAILS_SD)
    if d.categorical:
        raise InputError(f"{name}.values", v.get("values"), "numbers" + (f" in {unit}" if unit else ""))
    if d.kind == "fixed":
        return float(d.params[0])
    return d


def distribution_spec(d: Distribution) -> dict:
    """A distribution as a table that :func:`field_value` parses back to the same distribution
    (numbers in the field's unit): what a saved run or a cache key stores."""
    p = d.params
    if d.kind == "choice":
        return {"dist": "choice", "values": list(d.values), "weights": list(d.weights)}
    if d.kind == "fixed":
        return {"dist": "fixed", "value": p[0]}
    if d.kind == "uniform":
        return {"dist": "uniform", "low": p[0], "high": p[1]}
    if d.kind == "triangular":
        return {"dist": "triangular", "low": p[0], "mode": p[1], "high": p[2]}
    out = ({"dist": "normal", "mean": p[0], "sd": p[1]} if d.kind == "normal"
           else {"dist": "lognormal", "median": p[0], "sigma": p[1]})
    if math.isfinite(p[2]) and not (d.kind == "lognormal" and p[2] <= 0):
        out["low"] = p[2]
    if math.isfinite(p[3]):
        out["high"] = p[3]
    return out


def _serialize(v):
    return distribution_spec(v) if isinstance(v, Distribution) else v


def uncertain_field(unit: str, lo: float | None = None, hi: float | None = None, what: str = ""):
    """The pydantic metadata of a numeric field that may be uncertain: a number (in ``unit``), a
    quantity string ("20 km") or a distribution table; the InputError names the field."""

    def conv(v, info):
        return field_value(info.field_name or "value", v, unit, lo, hi)

    lim = ""
    if lo is not None and hi is not None:
        lim = f" ({lo:g} to {hi:g} {unit})".replace(" )", ")")
    how = f"a number in {unit} or a quantity string such as '10 {unit}'" if unit else "a number"
    schema = {"anyOf": [{"type": "number"}, {"type": "string", "maxLength": 40}, distribution_schema(unit)],
              "description": f"{what}{lim}; {how}, or a distribution table (an uncertain input: the "
                             "scenario then runs as an ensemble)"}
    return PlainValidator(conv), PlainSerializer(_serialize), WithJsonSchema(schema)


def Uncertain(unit: str, lo: float | None = None, hi: float | None = None, what: str = ""):  # noqa: N802
    """``Annotated[float, ...]`` for a numeric spec field that may hold a distribution."""
    return Annotated[float, *uncertain_field(unit, lo, hi, what)]


class EnsembleEvent(BaseModel):
    """A threshold event on a numeric output, reported as a probability with its interval."""

    model_config = ConfigDict(extra="forbid")
    output: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="an output's name as in ensemble.outputs (e.g. range_km, rows[0].intercept_time_s)")
    above: Annotated[float, Field(allow_inf_nan=False)] | None = Field(None, description="P(output > above)")
    below: Annotated[float, Field(allow_inf_nan=False)] | None = Field(None, description="P(output < below)")


class EnsembleSpec(BaseModel):
    """The ``[ensemble]`` table: how many samples of the uncertain inputs to draw, with which
    seed, and what to report. Sample i of input X is a pure function of (seed, X, i), so the
    result is bit-identical at any ``chunk`` or worker count."""

    model_config = ConfigDict(extra="forbid")
    n: int = Field(200, ge=1, le=MAX_ENSEMBLE_BATCHED,
                   description=f"samples (coast, and flyout at min-energy: up to {MAX_ENSEMBLE_BATCHED:,}; other kinds: "
                               f"{MAX_ENSEMBLE_LOOP:,}; on the web {MAX_WEB_ENSEMBLE} at once, "
                               f"{MAX_JOB_ENSEMBLE:,} as a background job)")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="seed of the counter-based sampler")
    quantiles: list[Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]] = Field(
        list(DEFAULT_QUANTILES), min_length=1, max_length=20, description="quantiles of each numeric output")
    events: list[EnsembleEvent] = Field([], max_length=20, description="threshold events to report as probabilities")
    headline: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="the output the sensitivity ranking and the convergence check are about "
                          "(default: the kind's headline, e.g. range_km for a flyout)")
    interval: Literal["wilson", "clopper-pearson"] = Field("wilson", description="95 % interval of probabilities")
    chunk: int = Field(256, ge=1, le=10_000, description="samples per engine call / task (does not change results)")
    workers: int | None = Field(None, ge=0, le=256, description="Dask worker processes of a local cluster "
                                                                "(0 or empty: in this process)")
    scheduler: Annotated[str, Field(max_length=200, pattern=r"^(tcp|tls|inproc)://[A-Za-z0-9_.:\[\]/-]+$")] | None = \
        Field(None, description="address of an existing Dask scheduler (tcp://host:port)")


def distributions_of(req: BaseModel) -> dict[str, Distribution]:
    """The fields of a validated spec that hold a distribution, in field order."""
    return {k: v for k, v in req.__dict__.items() if isinstance(v, Distribution)}


# ------------------------------------------------------------------------------------------
# nested specs: distributions at paths, fixed-only fields
# ------------------------------------------------------------------------------------------

_PATH_TOKEN = re.compile(r"([A-Za-z_]\w*)|\[(\d+)\]")


def nested_distributions(model, prefix: str = "") -> dict[str, Distribution]:
    """Every :class:`Distribution` in a validated model, the models inside it and their lists,
    by path (``timeline.detection_delay``, ``platforms[1].altitude``, ``interceptor.burn_times[0]``),
    in field order. The path names the input in the ensemble (and its random stream)."""
    out: dict[str, Distribution] = {}
    stack = [(model, prefix)]
    while stack:  # depth-first, in field order (pushed reversed)
        v, path = stack.pop()
        if isinstance(v, Distribution):
            out[path] = v
        elif isinstance(v, BaseModel):
            kids = [(getattr(v, k), f"{path}.{k}" if path else k) for k in type(v).model_fields]
            stack.extend(reversed(kids))
        elif isinstance(v, (list, tuple)):
            stack.extend(reversed([(x, f"{path}[{i}]") for i, x in enumerate(v)]))
    return out


def _tokens(path: str) -> list:
    return [int(i) if i else k for k, i in _PATH_TOKEN.findall(path)]


def _put(obj, toks: list, x: float):
    if not toks:
        return float(x)
    t, rest = toks[0], toks[1:]
    if isinstance(t, int):
        seq = list(obj)
        seq[t] = _put(seq[t], rest, x)
        return tuple(seq) if isinstance(obj, tuple) else seq
    return obj.model_copy(update={t: _put(getattr(obj, t), rest, x)})


def with_values(model, values: Mapping[str, float]):
    """A copy of a validated model with the numbers ``values`` (by the paths
    :func:`nested_distributions` gives) put in; fields not named are shared, not copied."""
    for path, x in values.items():
        model = _put(model, _tokens(path), x)
    return model


def refuse_distributions(model, prefix: str, use: str) -> None:
    """Raise one InputError naming the first field of ``model`` that holds a distribution, saying
    where distributions are run instead (``use``); nothing when every field is a number."""
    d = nested_distributions(model, prefix)
    if d:
        path, dist = next(iter(d.items()))
        raise InputError(path, f"a distribution ({dist.describe()})", f"a number here; {use}")


def fixed_quantity(unit: str, lo: float | None = None, hi: float | None = None, use: str = ""):
    """A pydantic ``BeforeValidator``: a number in ``unit`` or a quantity string
    (:func:`boostphase.units.quantity`, checked against [lo, hi]), for a field that is never
    sampled. A distribution table is parsed (a malformed one gets its own error) and then refused
    with one line naming the field and saying ``use`` (where distributions are run instead)."""
    from ..units import quantity

    def conv(v, info):
        name = info.field_name or "value"
        refuse_table(name, v, unit, lo, hi, use)
        return quantity(name, v, unit, lo, hi)

    return BeforeValidator(conv)


def refuse_table(name: str, v, unit: str, lo: float | None, hi: float | None, use: str) -> None:
    """Nothing unless ``v`` is a distribution table: then parse it (a malformed one gets its own
    error naming ``name``) and refuse it with one line saying ``use``."""
    if not isinstance(v, Mapping):
        return
    d = field_value(name, v, unit, lo, hi)
    text = d.describe() if isinstance(d, Distribution) else f"{d:g} {unit}".strip()
    raise InputError(name, f"a distribution ({text})", f"a number or a quantity in {unit or 'its unit'} here"
                     + (f"; {use}" if use else ""))
