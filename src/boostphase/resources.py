"""Files shipped inside the package: the example scenario files (``boostphase/examples``).

Found through :mod:`importlib.resources`, so the same call finds them in a source checkout (the
repository's ``examples`` is a link to ``src/boostphase/examples``), an editable install and an
installed wheel. Layer 0: imports nothing of boostphase but its errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

EXAMPLES = "examples"

# What each example file is, by the start of its name (first match wins), and the command that
# runs it ({path}: the file). Kept beside the files' names so `boostphase examples` can say it.
EXAMPLE_KINDS = (
    ("c4_decision", "c4 settings", "boostphase c4 --spec {path}"),
    ("c4_", "engagement", "boostphase engage {path}"),
    ("c5prob_", "c5 settings", "boostphase c5 --spec {path}"),
    ("c5_", "consequence", "boostphase footprint {path}"),
    ("coast_", "coast batch", "boostphase coast --batch {path} --out impacts.csv"),
    ("run_", "scenario", "boostphase run {path}"),
    ("sweep_", "sweep", "boostphase sweep {path} --out sweep_out"),
)

# a scenario file of any kind (boostphase run) says so in a top-level `kind = "..."` line
SCENARIO_KIND = re.compile(r'^kind\s*=\s*"[a-z-]+"', re.MULTILINE)

# a sentence ends at . ! or ? (a closing quote may follow) before a capital letter or a digit
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”]))\s+(?=[A-Z0-9`\"])")


@dataclass(frozen=True)
class ExampleFile:
    """One shipped example: file name, path, kind, the command that runs it (with ``{path}``
    filled in), and a one-line description (the first sentence of the file's first comment)."""

    name: str
    path: Path
    kind: str
    command: str
    description: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "path": str(self.path), "kind": self.kind, "command": self.command,
                "description": self.description}


def examples_dir() -> Path:
    """The folder of the example scenario files shipped with the package."""
    # pip installs a wheel as plain files, so the package's Traversable is a real path
    # (importlib.resources only hands out a non-path one for a zipped package)
    return Path(str(resources.files("boostphase") / EXAMPLES))


def describe(text: str) -> str:
    """The first sentence of a file's first ``#`` comment block (command lines and a trailing
    "Run:" left out); for a CSV file without comments, its columns."""
    prose = []
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("#"):
            break
        s = s.lstrip("#").strip()
        if not s:
            if prose:
                break
            continue
        if not s.startswith("boostphase "):
            prose.append(s)
    if not prose:
        first = text.splitlines()[0] if text.strip() else ""
        return f"one case per row; columns: {first.replace(',', ', ')}" if "," in first else ""
    joined = re.split(r"\s+Run:", " ".join(prose))[0]
    return _SENTENCE_END.split(joined, maxsplit=1)[0]


def example_files(folder: Path | None = None) -> list[ExampleFile]:
    """The example files in ``folder`` (default: :func:`examples_dir`), sorted by name; the
    commands name them as ``examples/NAME`` (after ``boostphase examples --copy examples``)."""
    folder = examples_dir() if folder is None else Path(folder)
    out = []
    for p in sorted(folder.iterdir()):
        if not p.is_file():
            continue
        text = p.read_text(encoding="utf-8")
        kind = next(((k, c) for prefix, k, c in EXAMPLE_KINDS if p.name.startswith(prefix)), None)
        if kind is None and p.suffix == ".toml" and SCENARIO_KIND.search(text):
            kind = ("scenario", "boostphase run {path}")  # any scenario file names its kind
        if kind is None:
            continue
        out.append(ExampleFile(p.name, p, kind[0], kind[1].format(path=f"{EXAMPLES}/{p.name}"),
                               describe(text)))
    return out
