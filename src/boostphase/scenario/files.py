"""Files at the boundary: every input file is read, and every output path checked, here.

A file a user names can be missing, a folder, binary, unreadable, huge, or a TOML document
nested thousands of levels deep; an output path can be a folder or sit in a read-only folder.
Each of these becomes one :class:`~boostphase.errors.InputError` naming the field, the value
and what is allowed (exit code 2 on the CLI, 422 on the web), never a traceback. Output paths
are checked *before* any computation, so a long run never fails at its last step, and outputs
are written to a temporary file and renamed, so nothing already saved is lost half-written.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError

MAX_INPUT_BYTES = 64 * 1024 * 1024  # no scenario, vehicle or case file here comes near this
MAX_TOML_DEPTH = 64                 # scenario files nest 3-4 levels; deeper is not a scenario


def read_text(field: str, path, what: str = "a UTF-8 text file") -> str:
    """The text of the file ``path`` (UTF-8), or an InputError naming ``field``."""
    p = Path(path)
    if not p.exists():
        raise InputError(field, str(path), f"an existing file ({what})")
    if not p.is_file():
        raise InputError(field, str(path), f"a file, not a folder or device ({what})")
    try:
        size = p.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(field, str(path), f"{what} of at most {MAX_INPUT_BYTES // 2**20} MiB")
        data = p.read_bytes()
    except PermissionError:
        raise InputError(field, str(path), f"a readable file ({what})") from None
    except OSError as e:
        raise InputError(field, str(path), f"a readable file ({what})", e.strerror) from None
    if b"\x00" in data:
        raise InputError(field, str(path), f"{what}, not a binary file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(field, str(path), f"{what}, not a binary file") from None


def _depth(obj, limit: int) -> int:
    """Nesting depth of parsed TOML data, iteratively (no recursion to exhaust)."""
    stack, deepest = [(obj, 1)], 0
    while stack:
        o, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(o, dict):
            stack.extend((v, d + 1) for v in o.values())
        elif isinstance(o, list):
            stack.extend((v, d + 1) for v in o)
    return deepest


def parse_toml(field: str, text: str, where: str) -> dict:
    """TOML text as a dict; a syntax error or absurd nesting is an InputError naming ``field``."""
    # tomllib recurses once per level of nesting: a document of thousands of levels raises
    # RecursionError inside the parser (measured with 5,000 levels), so refuse that up front
    opens = max(text.count("["), text.count("{"))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(field, where, "a valid TOML file", str(e)) from None
    except RecursionError:
        raise InputError(field, where, f"TOML nested at most {MAX_TOML_DEPTH} levels deep",
                         f"about {opens} levels found") from None
    if _depth(data, MAX_TOML_DEPTH) > MAX_TOML_DEPTH:
        raise InputError(field, where, f"TOML nested at most {MAX_TOML_DEPTH} levels deep")
    return data


def load_toml(field: str, path) -> dict:
    """Read and parse the TOML file ``path``; every failure is an InputError naming ``field``."""
    return parse_toml(field, read_text(field, path, "a UTF-8 TOML file"), str(path))


def check_output(field: str, path) -> Path | None:
    """Check that ``path`` can be written (not a folder; its folder exists or can be made, and is
    writable) before any work is done. Returns the path (None stays None)."""
    if path is None:
        return None
    p = Path(path)
    if p.is_dir():
        raise InputError(field, str(path), "a file path, not a folder")
    if p.exists() and not os.access(p, os.W_OK):
        raise InputError(field, str(path), "a writable file (this one is read-only)")
    parent = p.parent if str(p.parent) else Path(".")
    probe = parent
    while not probe.exists():  # the first existing ancestor must let us create the rest
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(field, str(path), f"a path whose folder can be created ({probe} is a file)")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(field, str(path), f"a path in a writable folder ({probe} is read-only)")
    return p


def check_output_dir(field: str, path) -> Path | None:
    """As :func:`check_output` for an output folder (it may exist; it must not be a file)."""
    if path is None:
        return None
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError(field, str(path), "a folder path, not a file")
    probe = p
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(field, str(path), f"a folder that can be written ({probe} is not writable)")
    return p


def write_atomic(path, write: Callable[[Path], None]) -> None:
    """Write through ``write(tmp_path)`` to a temporary file beside ``path``, then rename it over
    ``path``: readers see the old file or the whole new one, never half of it."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
