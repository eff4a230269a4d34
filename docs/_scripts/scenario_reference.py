"""Tables of the scenario-file fields, generated at docs build time from the specs themselves:
the pydantic models' JSON Schemas (types, defaults, required keys, bounds) and the unit each
quantity field is converted to (read from the field's validator), for the engage and the
consequence scenario files; the sweep kinds' field and output registries for sweep files.
A field added to a spec appears here without editing the docs."""

from __future__ import annotations

import math
import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

# A few words on fields whose name does not say enough (the specs carry no descriptions yet).
NOTES = {
    "engage.timeline.detection_delay": "launch to detection and track",
    "engage.timeline.decision_time": "detection to the decision to fire",
    "engage.timeline.launch_delay": "decision to interceptor launch",
    "engage.interceptor.burnout_speed": "ideal (vacuum, gravity-free) burnout speed; or give `stages`",
    "engage.interceptor.kill_vehicle.min_closing_speed": "criterion at intercept",
    "engage.interceptor.kill_vehicle.divert": "reported only",
    "engage.threats[].launch": "a `[[sites]]` name or [lat, lon]",
    "engage.threats[].target": "a city, a site name or [lat, lon]",
    "engage.threats[].criterion": "`burnout`, or `payload-short-of: COUNTRY`",
    "engage.threats[].payload_kg": "replaces the catalog payload (the boost is flown with it)",
    "engage.ensemble": "samples of the distribution tables, for `boostphase engage` (see below)",
    "engage.threat_sets[]": "every missile x site x target",
    "engage.platform_defaults.reference": "judge an orbit at its worst point or its centre",
    "engage.platform_defaults.base": "airfield the aircraft transit from (city or [lat, lon])",
    "engage.platforms[].centre": "[lat, lon] of the orbit centre",
    "engage.keep_out.international_waters": "keep this far outside any coast",
    "engage.keep_out.overfly": "countries whose airspace may be used",
    "engage.map": "grid of orbit centres for `engage-map`",
    "consequence.seed": "seed of the fragment draws (results do not depend on chunking)",
    "consequence.rtol": "fragments' integration tolerance",
    "consequence.threat.payload_kg": "replaces the catalog payload",
    "consequence.threat.payload_beta": "re-entry ballistic coefficient, or `vacuum`",
    "consequence.intercept.time": "one intercept time after launch",
    "consequence.intercept.window": "[FROM, TO] after launch; FROM may be `engagement`, TO `burnout`",
    "consequence.intercept.dt": "grid step over the window",
    "consequence.engagement.scenario": "an engage scenario file whose laydown opens the window",
    "consequence.engagement.orbits": "names of the laydown's orbits to use (default all)",
    "consequence.fragments.n": "fragments drawn",
    "consequence.fragments.pieces": "real pieces, for expected counts",
    "consequence.fragments.stage_beta": "`auto`: stage dry mass / (Cd 1 x area)",
    "consequence.fragments.kick.sigma": "std of ln(magnitude), lognormal",
    "consequence.fragments.beta.sigma": "std of ln(beta)",
    "consequence.report.city_radius": "cities within this distance of a fragment are listed",
}


def _unit_of(tp) -> tuple[str, float | None, float | None] | None:
    """(unit, lo, hi) of a quantity field, read from its BeforeValidator's closure."""
    for meta in getattr(tp, "__metadata__", ()):
        f = getattr(meta, "func", None)
        if f is not None and f.__closure__ and "unit" in f.__code__.co_freevars:
            cells = dict(zip(f.__code__.co_freevars, (c.cell_contents for c in f.__closure__), strict=True))
            return cells["unit"], cells.get("lo"), cells.get("hi")
    for a in typing.get_args(tp):
        u = _unit_of(a)
        if u is not None:
            return u
    return None


def _models_in(tp) -> list[tuple[type[BaseModel], bool]]:
    """Model classes inside an annotation, with whether they sit in a list."""
    out = []
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [(tp, False)]
    for a in typing.get_args(tp):
        for m, in_list in _models_in(a):
            out.append((m, in_list or origin in (list, tuple)))
    return out


def _type(prop: dict) -> str:
    if "anyOf" in prop:
        parts = [p for p in prop["anyOf"] if p.get("type") != "null"]
        opt = len(parts) < len(prop["anyOf"])
        s = " or ".join(dict.fromkeys(_type(p) for p in parts))
        return s + (" (optional)" if opt else "")
    if "$ref" in prop:
        return "table"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    t = prop.get("type")
    if t == "array":
        if "prefixItems" in prop:
            return "[" + ", ".join(_type(p) for p in prop["prefixItems"]) + "]"
        it = prop.get("items", {})
        return "list of tables" if "$ref" in it else f"list of {_type(it)}" if it else "list"
    return {"number": "number", "string": "text", "integer": "integer", "boolean": "true/false",
            "object": "table", None: "any"}.get(t, t)


def _num(x) -> str:
    if x is None:
        return ""
    if isinstance(x, float) and (math.isinf(x) or abs(x) >= 1e6 or (0 < abs(x) < 1e-3)):
        return f"{x:g}"
    return f"{x:,g}" if isinstance(x, float) else f"{x:,}"


def _default(fi, unit: str | None) -> str:
    if fi.is_required():
        return "**required**"
    d = fi.default
    if d is PydanticUndefined or d is None:
        return "—"
    if isinstance(d, BaseModel):
        return "(table)"
    if isinstance(d, (list, tuple)):
        if d and isinstance(d[0], BaseModel):
            return "(tables)"
        return "[" + ", ".join(_num(v) if isinstance(v, (int, float)) else str(v) for v in d) + "]" + (
            f" {unit}" if unit and d else "")
    if isinstance(d, bool):
        return str(d).lower()
    if isinstance(d, (int, float)):
        return _num(d) + (f" {unit}" if unit else "")
    return f"`{d}`" if d != "" else '`""`'


def _rows(model: type[BaseModel], prefix: str, key: str) -> list[list[str]]:
    schema = model.model_json_schema()
    props = schema.get("properties", {})
    rows = []
    for name, fi in model.model_fields.items():
        prop = props.get(fi.alias or name, {})
        path = f"{prefix}{name}"
        u = _unit_of(fi.annotation) or next(filter(None, (_unit_of(typing.Annotated[object, m])
                                                          for m in fi.metadata)), None)
        unit, lo, hi = u if u else (None, None, None)
        cons = []
        if unit is not None:
            cons.append(unit.replace("**", "^") or "(number)")
            if lo is not None or hi is not None:
                cons.append(f"{_num(lo)} to {_num(hi)}")
        for k, w in (("minimum", "≥"), ("maximum", "≤"), ("exclusiveMinimum", ">"), ("exclusiveMaximum", "<")):
            if k in prop:
                cons.append(f"{w} {_num(prop[k])}")
        note = NOTES.get(f"{key}.{path}") or prop.get("description", "") or ""
        models = _models_in(fi.annotation)
        if models and not note:
            note = (models[0][0].__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        note = " ".join(note.replace("``", "`").split())
        rows.append([f"`{path}`", _type(prop), "; ".join(cons), _default(fi, unit and unit.replace("**", "^")),
                     note.replace("|", "\\|")])
        for m, in_list in models:
            rows += _rows(m, f"{path}{'[]' if in_list else ''}.", key)
    return rows


def model_table(model: type[BaseModel], key: str) -> str:
    head = "| field | type | unit and bounds | default | notes |\n|---|---|---|---|---|\n"
    return head + "\n".join("| " + " | ".join(r) + " |" for r in _rows(model, "", key)) + "\n"


def engage_table() -> str:
    from boostphase.engage import Scenario

    return model_table(Scenario, "engage")


def consequence_table() -> str:
    from boostphase.consequence import Scenario

    return model_table(Scenario, "consequence")


def sweep_tables() -> str:
    from boostphase.sweep import KINDS

    out = []
    for kind in KINDS.values():
        out.append(f"### `kind = \"{kind.name}\"`\n\n{kind.doc[:1].upper() + kind.doc[1:]}.\n")
        out.append("| field | unit | bounds | default | may be a grid dimension | description |\n"
                   "|---|---|---|---|---|---|")
        for name, fs in kind.fields.items():
            if fs.type == "str":
                ch = fs.allowed_choices()
                bounds = "one of " + ", ".join(f"`{c}`" for c in ch[:8]) + (" ..." if len(ch) > 8 else "") if ch else "text"
            elif fs.type == "bool":
                bounds = "true/false"
            else:
                bounds = f"{_num(fs.lo)} to {_num(fs.hi)}" if fs.lo is not None else ""
            d = fs.default
            if d is not None and d.__class__ is object:
                dflt = "**required**"
            elif isinstance(d, float) and math.isnan(d):
                dflt = f"`{fs.none_word}`" if fs.none_word else "—"
            elif isinstance(d, bool):
                dflt = str(d).lower()
            else:
                dflt = f"{_num(d) if isinstance(d, (int, float)) else d}" + (f" {fs.attr_unit}" if fs.attr_unit not in ("", "1") else "")
            out.append(f"| `{name}` | {fs.attr_unit or '—'} | {bounds} | {dflt} | {'yes' if fs.grid else 'no'} | {fs.doc} |")
        out.append("\nOutputs (variables of the result dataset):\n")
        out.append("| output | unit | type | description |\n|---|---|---|---|")
        for name, o in kind.outputs.items():
            out.append(f"| `{name}` | {o.unit} | {o.dtype} | {o.doc} |")
        out.append("")
    return "\n".join(out) + "\n"


def run_tables() -> str:
    """One table per kind of ``boostphase run FILE.toml`` (the web API's request specs)."""
    from boostphase.scenario.registry import KIND_ALIASES, panel_computations, scenario_kinds

    comps = panel_computations()
    out = []
    for kind in scenario_kinds():
        model = comps[KIND_ALIASES.get(kind, kind)][0]
        doc = " ".join((model.__doc__ or "").replace("``", "`").split())
        out.append(f"### `kind = \"{kind}\"`\n\n{doc}\n\n{model_table(model, 'run.' + kind)}")
    return "\n".join(out)


def distribution_table() -> str:
    """The distribution tables a numeric field accepts (from the scenario layer's schema)."""
    from boostphase.scenario.uncertain import distribution_schema

    keys = {"uniform": "`low`, `high`", "normal": "`mean`, `sd`; optional `low`, `high` truncate",
            "lognormal": "`median`, `sigma` (sd of ln x, 0 to 5); optional `low`, `high` truncate",
            "triangular": "`low`, `mode`, `high`", "choice": "`values`, optional `weights` (`dist` may be left out)"}
    kinds = distribution_schema("kg")["properties"]["dist"]["enum"]
    examples = {"uniform": '{dist = "uniform", low = 200, high = 260}',
                "normal": '{dist = "normal", mean = "500 kg", sd = "50 kg"}',
                "lognormal": '{dist = "lognormal", median = 60, sigma = 0.2}',
                "triangular": '{dist = "triangular", low = 3, mode = 5, high = 6}',
                "choice": "{values = [300, 500, 700], weights = [1, 2, 1]}"}
    rows = [f"| `{k}` | {keys[k]} | `{examples[k]}` |" for k in kinds]
    return "| dist | keys | example |\n|---|---|---|\n" + "\n".join(rows) + "\n"
