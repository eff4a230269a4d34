"""Every command in the README runs as written (issue 14, part 6).

The README is read when the tests are collected: every line of its fenced blocks that starts
with ``boostphase`` (backslash continuations joined, ``#`` comments dropped) is run through the
CLI in-process (typer's CliRunner; the compiled kernels are shared between commands) in a
temporary folder that holds a link to ``examples/``, with the run store there too, and must
exit 0. The Python block is executed as well.

Skipped: ``serve`` (a web server that runs until stopped; tests/test_web_api.py covers it).
Lighter in the default run (the ``slow`` test runs them exactly as written), each for a stated
reason, see LIGHTER; every other command runs as written.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = README.parent / "examples"

SKIP = {"serve": "a web server that runs until stopped (tests/test_web_api.py covers the app)"}


def _set(args: list[str], opt: str, value: str) -> list[str]:
    a = list(args)
    a[a.index(opt) + 1] = value
    return a


# subcommand -> (how to lighten its README arguments, why)
LIGHTER = {
    "tests": (lambda a: [*a, "--date", "2017-07-28", "--no-sensitivity", "--band", "4"],
              "all 14 catalogued tests with burn-time refits and 32-member reach bands take many "
              "minutes on the 2-core CI machine; one test with a 4-member band runs the same code "
              "(test_cli_tests.py and test_reach_bands.py cover the catalogue and the bands)"),
    "reconstruct": (lambda a: [*a, "--no-sensitivity"],
                    "the +-20 % burn-time refits triple the fitting; fit, reach and cities run as written"),
    "footprint": (lambda a: _set(a, "--fragments", "2000"),
                  "100,000 fragments take ~20 s; 2,000 run the same code"),
    "c4": (lambda a: [*(x for i, x in enumerate(a) if x != "--png-dir" and (i == 0 or a[i - 1] != "--png-dir")),
                      "--no-figures"],
           "the figures' speed x delay sweep (48 standoff grids) and plots add ~30 s; tests/test_c4.py "
           "runs a one-speed, one-delay sweep and the plots"),
    "c5": (lambda a: _set(a, "--n", "500") if "--n" in a else [*a, "--n", "500"],
           "3,000-5,000 sampled engagements per target take 40-80 s on the loaded 2-core machine; "
           "500 run the same code (test_c5*.py check the probabilities)"),
}


def readme_commands() -> list[list[str]]:
    """The README's ``boostphase ...`` command lines as argument lists (without 'boostphase')."""
    text = README.read_text(encoding="utf-8")
    cmds = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            if line.strip().startswith("boostphase "):
                cmds.append(shlex.split(line, comments=True)[1:])
    return cmds


def python_block() -> str:
    m = re.search(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)
    return m.group(1) if m else ""


def _sub(args: list[str]) -> str:
    return next((a for a in args if not a.startswith("-")), "")


CMDS = readme_commands()


def test_readme_has_the_commands():
    subs = [_sub(a) for a in CMDS]
    assert len(CMDS) >= 15 and {"coast", "flyout", "overflight", "shortfall", "footprint"} <= set(subs)
    assert ["overflight", "--test", "2017-08-29"] in CMDS  # the example that flies the reported test


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    (tmp_path / "examples").symlink_to(EXAMPLES, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOOSTPHASE_STORE", str(tmp_path / "runs.sqlite"))
    return tmp_path


def _invoke(args: list[str]):
    from typer.testing import CliRunner

    from boostphase.cli.commands import app

    p = CliRunner().invoke(app, args)
    assert p.exit_code == 0, f"boostphase {shlex.join(args)} -> {p.exit_code}: {p.output[-2000:]}\n{p.exception!r}"
    return p


@pytest.mark.parametrize("args", CMDS, ids=[" ".join(a)[:60] for a in CMDS])
def test_readme_command_runs(args, workdir):
    sub = _sub(args)
    if sub in SKIP:
        pytest.skip(SKIP[sub])
    if sub in LIGHTER:
        args = LIGHTER[sub][0](args)
    _invoke(args)


@pytest.mark.slow
@pytest.mark.parametrize("args", [a for a in CMDS if _sub(a) in LIGHTER],
                         ids=[" ".join(a)[:60] for a in CMDS if _sub(a) in LIGHTER])
def test_readme_heavy_command_runs_as_written(args, workdir):
    _invoke(args)


def test_readme_python_block_runs(workdir):
    code = python_block()
    assert "fly(" in code and "coast(" in code
    exec(compile(code, str(README) + ":python", "exec"), {"__name__": "readme"})
    assert (workdir / "nodong.csv").is_file()
