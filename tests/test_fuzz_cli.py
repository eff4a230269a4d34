"""Hostile scenario files through the CLI (issue 16): every scenario kind, driven by Hypothesis
with NaN, infinities, huge and negative numbers, empty strings, wrong types, deep nesting and
unknown keys, through ``boostphase run FILE.toml --json`` (the CLI's own entry point, in this
process). Each must end with exit code 2, one ``error:`` line naming a field, the error as JSON on
stdout, no traceback, and nothing written. (The web API's fuzz test is in test_web_api.py.)

Every generated file carries at least one value that no field accepts, so no case reaches a
long computation: the property is about refusing, not about physics."""

from __future__ import annotations

import json
import math
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boostphase.cli import commands as cli
from boostphase.scenario.registry import KIND_ALIASES, scenario_kinds
from boostphase.scenario.specs import EXAMPLES

# values no field of any spec accepts (every field is a number, a short string, a bool, a
# literal or an int, and these are none of those in a valid form)
NEVER_VALID = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308 * 10, [], {}, [[[[[[[[1]]]]]]]]]),
    st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), min_size=1, max_size=2),
)
HOSTILE = st.one_of(
    NEVER_VALID, st.sampled_from(["", " ", "\x7f", "nan", "-inf", "1e999", "9**9**9 km", "x" * 300]),
    st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
)


def toml_value(v) -> str:
    """A Python value as TOML text (floats incl. nan/inf, strings, bools, lists, inline tables)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a basic TOML string with JSON escapes
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def example_of(kind: str) -> dict:
    panel = KIND_ALIASES.get(kind, kind)
    base = dict(EXAMPLES.get(panel, {}))
    if panel == "engagemap":
        base = {**EXAMPLES["engage"], **base}
    return base


@st.composite
def hostile_scenario(draw):
    kind = draw(st.sampled_from(scenario_kinds()))
    data = example_of(kind)
    fields = sorted(data) or ["range_km"]
    for f in draw(st.lists(st.sampled_from(fields), max_size=3, unique=True)):
        data[f] = draw(HOSTILE)
    bad = draw(st.sampled_from([*fields, "unknown_key"]))
    data[bad] = draw(NEVER_VALID)
    return {"kind": kind, **data}


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(hostile_scenario())
def test_hostile_scenario_files_are_refused_cleanly(tmp_path_factory, capsys, monkeypatch, scenario):
    assert_refused_by_run(tmp_path_factory.mktemp("fuzz"), capsys, monkeypatch, scenario)


def assert_refused_by_run(d, capsys, monkeypatch, scenario: dict) -> None:
    """`boostphase run FILE --json` on the scenario written as TOML in ``d``: exit 2, one
    `error:` line, the error as JSON on stdout, nothing written."""
    f = d / "s.toml"
    f.write_text("\n".join(f"{k} = {toml_value(v)}" for k, v in scenario.items()) + "\n")
    before = sorted(p.name for p in d.iterdir())
    monkeypatch.setattr(sys, "argv", ["boostphase", "run", str(f), "--json"])
    monkeypatch.chdir(d)
    with pytest.raises(SystemExit) as e:
        cli.main()
    out, err = capsys.readouterr()
    assert e.value.code == 2, (scenario, out[-300:], err[-300:])
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("note:")]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    body = json.loads(out)["error"]
    assert body["field"] and body["allowed"]
    assert sorted(p.name for p in d.iterdir()) == before  # nothing written


# ------------------------------------------------------------------------------ distribution tables
# Any numeric field may be a distribution table (issue 17): throw hostile ones. Each table carries
# one parameter no distribution accepts (NaN, infinities, an exponent expression, a long string,
# a bool, an empty list or table, or an unknown key), so every file must be refused.

DIST_KEYS = ["low", "high", "mean", "sd", "median", "sigma", "mode", "value", "values", "weights"]
BAD_PARAM = st.sampled_from([math.nan, math.inf, -math.inf, "nan km", "9**9**9 km", "x" * 300, True, [], {},
                             [math.nan], "1e999 km"])


def numeric_fields(kind: str) -> list[str]:
    """The fields of a kind that accept a distribution table (read from the JSON Schema)."""
    from boostphase.scenario.registry import scenario_schema

    props = scenario_schema(kind)["properties"]
    return sorted(k for k, p in props.items() if "distribution table" in json.dumps(p))


@st.composite
def hostile_distribution_scenario(draw):
    kind = draw(st.sampled_from(scenario_kinds()))
    data = example_of(kind)
    fields = numeric_fields(kind)
    field = draw(st.sampled_from(fields))
    table: dict = {}
    dist = draw(st.sampled_from(["uniform", "normal", "lognormal", "triangular", "choice", "cauchy", "", None]))
    if dist is not None:
        table["dist"] = dist
    for key in draw(st.lists(st.sampled_from(DIST_KEYS), max_size=4, unique=True)):
        table[key] = draw(HOSTILE)
    table[draw(st.sampled_from([*DIST_KEYS, "bogus"]))] = draw(BAD_PARAM)
    data[field] = table
    if draw(st.booleans()):
        data["ensemble"] = {"n": draw(st.integers(1, 50)), "seed": draw(st.integers(0, 2**32))}
    return {"kind": kind, **data}


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(hostile_distribution_scenario())
def test_hostile_distribution_tables_are_refused_cleanly(tmp_path_factory, capsys, monkeypatch, scenario):
    assert_refused_by_run(tmp_path_factory.mktemp("fuzzdist"), capsys, monkeypatch, scenario)
