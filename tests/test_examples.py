"""`boostphase examples` and boostphase.resources (issue 18): the example files are package data,
found through importlib.resources, listed with their kind and a one-line description, and
copied to a folder of the user's without ever overwriting a file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from boostphase.cli import app
from boostphase.resources import describe, example_files, examples_dir

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.name for p in (ROOT / "src" / "boostphase" / "examples").iterdir() if p.is_file())


def test_examples_are_package_data_and_the_repo_link_points_there():
    assert examples_dir().resolve() == (ROOT / "src" / "boostphase" / "examples").resolve()
    assert (ROOT / "examples").is_symlink() and (ROOT / "examples").resolve() == examples_dir().resolve()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"examples/*"' in pyproject  # the wheel's package data (tests/test_wheel.py checks the wheel)


def test_every_shipped_file_is_listed_with_a_kind_a_command_and_a_description():
    files = example_files()
    assert [f.name for f in files] == SHIPPED
    for f in files:
        assert f.kind and f.command.startswith("boostphase ") and f"examples/{f.name}" in f.command
        assert f.description and "\n" not in f.description, f.name
        first = f.path.read_text().splitlines()[0]
        if first.startswith("#"):  # the description is the start of the file's first comment
            assert f.description.startswith(first.lstrip("# ")[:40]), (f.name, f.description)


def test_describe_takes_the_first_sentence_of_the_first_comment():
    text = '# A thing: "U.S. and Canada." More here.\n#   boostphase run x.toml\nkind = "check"\n'
    assert describe(text) == 'A thing: "U.S. and Canada."'
    assert describe("# One line. Run:  boostphase c4\n") == "One line."
    assert describe("a,b\n1,2\n") == "one case per row; columns: a, b"


def test_examples_command_lists_them_as_json():
    p = CliRunner().invoke(app, ["examples", "--json"])
    assert p.exit_code == 0, p.output
    out = json.loads(p.output)
    assert [e["name"] for e in out["examples"]] == SHIPPED
    assert {"name", "path", "kind", "command", "description"} <= set(out["examples"][0])


def test_copy_makes_the_folder_and_refuses_to_overwrite(tmp_path):
    dest = tmp_path / "new" / "examples"
    p = CliRunner().invoke(app, ["examples", "--copy", str(dest)])
    assert p.exit_code == 0, p.output
    assert sorted(q.name for q in dest.iterdir()) == SHIPPED
    for name in SHIPPED:
        assert (dest / name).read_bytes() == (examples_dir() / name).read_bytes()
    # one file of the user's already there: nothing is written, the user's file is untouched
    other = tmp_path / "other"
    other.mkdir()
    (other / SHIPPED[0]).write_text("mine")
    # the real entry point (InputError -> one line on stderr, exit code 2)
    r = subprocess.run([sys.executable, "-c", "from boostphase.cli import main; main()", "examples",
                        "--copy", str(other)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--copy" in r.stderr, r.stderr
    assert sorted(q.name for q in other.iterdir()) == [SHIPPED[0]] and (other / SHIPPED[0]).read_text() == "mine"


def test_copy_onto_a_file_is_refused(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    r = CliRunner().invoke(app, ["examples", "--copy", str(f)])
    assert r.exit_code != 0 and f.read_text() == "x"
