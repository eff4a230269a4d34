"""The run store: an embedded SQLite catalogue of runs (CLI now, web later).

One row per run: the command (argv after ``boostphase``), the scenario (JSON), the package
version, the seed, timings, a result summary (JSON) and the paths of artifacts written.

Where: ``platformdirs.user_data_dir("boostphase")/runs.sqlite``; the environment variable
``BOOSTPHASE_STORE`` overrides it (a file path, or a folder that gets ``runs.sqlite``).

Safety: the database runs in WAL mode with ``synchronous=FULL``; each run is written in one
``BEGIN IMMEDIATE`` transaction, so a writer killed at any instant leaves the database readable
with every committed run intact (SQLite rolls back or ignores the unfinished transaction).
Several processes may write at once (they wait on each other up to ``busy_timeout``).

Reproduction: :func:`rerun` executes a stored run again and compares the new result with the
stored one (exactly for sweeps, through a digest of the dataset; within a relative tolerance for
numbers in other commands' JSON results).
"""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..errors import InputError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_utc TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    command     TEXT    NOT NULL,   -- JSON list: argv after 'boostphase'
    scenario    TEXT    NOT NULL,   -- JSON
    version     TEXT    NOT NULL,
    seed        INTEGER,
    timings     TEXT    NOT NULL,   -- JSON {name: seconds}
    summary     TEXT    NOT NULL,   -- JSON
    artifacts   TEXT    NOT NULL,   -- JSON list of paths
    host        TEXT,
    python      TEXT,
    code        TEXT,               -- digest of the package sources that ran
    rerun_of    INTEGER REFERENCES runs(id)
);
CREATE INDEX IF NOT EXISTS runs_kind ON runs(kind);
"""

_COLUMNS = ("id", "created_utc", "kind", "command", "scenario", "version", "seed", "timings",
            "summary", "artifacts", "host", "python", "code", "rerun_of")
_JSON_COLUMNS = ("command", "scenario", "timings", "summary", "artifacts")


def store_path() -> Path:
    """The database file: $BOOSTPHASE_STORE, or runs.sqlite in the user's data folder."""
    env = os.environ.get("BOOSTPHASE_STORE")
    if env:
        p = Path(env).expanduser()
        if p.is_dir() or env.endswith(("/", os.sep)):
            p = p / "runs.sqlite"
        return p
    from platformdirs import user_data_dir

    return Path(user_data_dir("boostphase")) / "runs.sqlite"


def connect(path: str | os.PathLike | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the store in WAL mode with the schema in place."""
    p = Path(path) if path is not None else store_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(p, timeout=30.0, isolation_level=None)  # explicit transactions
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA busy_timeout=30000")
    mode = con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        con.close()
        raise RuntimeError(f"run store {p}: could not enable WAL mode (got {mode})")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    if con.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
        # one transaction: the schema appears whole or not at all (DDL is transactional)
        con.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
    return con


def _json_default(o):
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, set | tuple):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _dumps(obj) -> str:
    # NaN/inf become strings: the stored JSON stays standard JSON. Key order is kept (a sweep's
    # grid order is the order of its dimensions).
    return json.dumps(_finite(json.loads(json.dumps(obj, default=_json_default))))


def _finite(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def save_run(*, command: Sequence[str] | str, scenario: dict, summary: dict, kind: str | None = None,
             seed: int | None = None, timings: dict | None = None,
             artifacts: Sequence[str | os.PathLike] = (), rerun_of: int | None = None,
             path: str | os.PathLike | None = None) -> int:
    """Record one run in a single transaction and return its id."""
    from ..sweep import code_digest

    argv = command.split() if isinstance(command, str) else [str(a) for a in command]
    kind = kind or (argv[0] if argv else "run")
    row = (
        datetime.now(UTC).isoformat(timespec="milliseconds"), kind, _dumps(argv), _dumps(scenario),
        __version__, None if seed is None else int(seed), _dumps(timings or {}), _dumps(summary),
        _dumps([str(Path(a).resolve()) for a in artifacts]), platform.node(),
        platform.python_version(), code_digest(), rerun_of,
    )
    con = connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            cur = con.execute(
                "INSERT INTO runs (created_utc, kind, command, scenario, version, seed, timings, "
                "summary, artifacts, host, python, code, rerun_of) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
            run_id = int(cur.lastrowid)
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    return run_id


def _row(r: sqlite3.Row) -> dict:
    d = {k: r[k] for k in _COLUMNS}
    for k in _JSON_COLUMNS:
        d[k] = json.loads(d[k])
    return d


def list_runs(limit: int | None = None, kind: str | None = None,
              path: str | os.PathLike | None = None) -> list[dict]:
    """Runs, newest first (full records)."""
    con = connect(path)
    try:
        q = "SELECT * FROM runs"
        args: list = []
        if kind:
            q += " WHERE kind = ?"
            args.append(kind)
        q += " ORDER BY id DESC"
        if limit is not None:
            q += " LIMIT ?"
            args.append(int(limit))
        return [_row(r) for r in con.execute(q, args)]
    finally:
        con.close()


def get_run(run_id: int, path: str | os.PathLike | None = None) -> dict:
    """One run as a dict; an unknown id raises InputError."""
    try:
        rid = int(run_id)
    except (TypeError, ValueError):
        raise InputError("ID", run_id, "a run id (a whole number) from `boostphase runs list`") from None
    con = connect(path)
    try:
        r = con.execute("SELECT * FROM runs WHERE id = ?", (rid,)).fetchone()
    finally:
        con.close()
    if r is None:
        raise InputError("ID", run_id, "the id of a stored run (see `boostphase runs list`)")
    return _row(r)


def export_run(run_id: int, path: str | os.PathLike | None = None) -> str:
    """A stored run as JSON text."""
    return json.dumps(get_run(run_id, path), indent=2, sort_keys=True)


def save_cli_run(command: Sequence[str] | str, scenario: dict, result: dict, *,
                 seed: int | None = None, timings: dict | None = None,
                 artifacts: Sequence[str | os.PathLike] = (), started: float | None = None) -> int:
    """The ``--save`` hook for CLI commands: record the command line (argv after 'boostphase',
    without ``--save``), its validated scenario and the JSON result it printed.

    ``started`` (a ``time.perf_counter()`` value) adds ``wall_s`` to the timings. The stored
    result must be what the command prints with ``--json``: ``rerun`` compares against it.
    """
    argv = command.split() if isinstance(command, str) else [str(a) for a in command]
    argv = [a for a in argv if a != "--save"]
    t = dict(timings or {})
    if started is not None:
        t.setdefault("wall_s", round(time.perf_counter() - started, 4))
    return save_run(command=argv, scenario=scenario, summary=result, seed=seed, timings=t,
                    artifacts=artifacts)


# ------------------------------------------------------------------------------------------
# rerun
# ------------------------------------------------------------------------------------------

@dataclass
class RerunReport:
    run_id: int
    reproduced: bool
    differences: list[str]
    new_summary: dict
    wall_s: float
    new_id: int | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, "reproduced": self.reproduced, "differences": self.differences,
                "wall_s": self.wall_s, "new_id": self.new_id, "notes": self.notes}


def compare(old, new, rtol: float = 1e-9, atol: float = 0.0, where: str = "") -> list[str]:
    """Differences between two JSON-like results (numbers within rtol/atol, the rest exact)."""
    diffs: list[str] = []
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            p = f"{where}.{k}" if where else str(k)
            if k not in old or k not in new:
                diffs.append(f"{p}: only in the {'new' if k not in old else 'stored'} result")
            else:
                diffs += compare(old[k], new[k], rtol, atol, p)
        return diffs
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{where}: length {len(old)} -> {len(new)}"]
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            diffs += compare(a, b, rtol, atol, f"{where}[{i}]")
        return diffs
    if isinstance(old, bool) != isinstance(new, bool):
        return [f"{where}: {old!r} -> {new!r}"]
    num = (int, float)
    if isinstance(old, num) and isinstance(new, num) and not isinstance(old, bool) and not isinstance(new, bool):
        if old == new or (math.isnan(old) and math.isnan(new)):
            return []
        if math.isfinite(old) and math.isfinite(new) and abs(new - old) <= atol + rtol * max(abs(old), abs(new)):
            return []
        return [f"{where}: {old!r} -> {new!r}"]
    if old != new:
        return [f"{where}: {old!r} -> {new!r}"]
    return []


# what a sweep summary must reproduce exactly; timings, paths and chunk counts may change
_SWEEP_VOLATILE = ("path", "timings_s", "computed_chunks", "reused_chunks")


def rerun(run_id: int, *, workers: int | None = None, save: bool = False, rtol: float = 1e-9,
          path: str | os.PathLike | None = None) -> RerunReport:
    """Execute a stored run again and compare its result with the stored one."""
    run = get_run(run_id, path)
    t0 = time.perf_counter()
    notes: list[str] = []
    if run["version"] != __version__:
        notes.append(f"stored with boostphase {run['version']}, rerun with {__version__}")
    from ..sweep import code_digest

    if run["code"] != code_digest():
        notes.append(f"the package code changed since the run (digest {run['code']} -> {code_digest()})")
    if str(run["kind"]).startswith("web-"):
        # a run saved from the web page: its request validated and computed again in-process
        from ..scenario.registry import recompute_summary

        new = recompute_summary(str(run["kind"])[4:], run["scenario"])
        diffs = compare(run["summary"], _finite(json.loads(json.dumps(new, default=_json_default))), rtol=rtol)
    elif run["kind"] == "sweep":
        new = _rerun_sweep(run, workers)
        old = {k: v for k, v in run["summary"].items() if k not in _SWEEP_VOLATILE}
        cur = {k: v for k, v in new.items() if k not in _SWEEP_VOLATILE}
        diffs = compare(old, _finite(json.loads(json.dumps(cur, default=_json_default))), rtol=0.0)
    else:
        new = _rerun_cli(run)
        diffs = compare(run["summary"], _finite(new), rtol=rtol)
    wall = round(time.perf_counter() - t0, 4)
    new_id = None
    if save:
        new_id = save_run(command=run["command"], scenario=run["scenario"], summary=new,
                          kind=run["kind"], seed=run["seed"], timings={"wall_s": wall},
                          rerun_of=run["id"], path=path)
    return RerunReport(run_id=run["id"], reproduced=not diffs, differences=diffs, new_summary=new,
                       wall_s=wall, new_id=new_id, notes=notes)


def _rerun_sweep(run: dict, workers: int | None) -> dict:
    """A fresh computation of a stored sweep (into a temporary folder: no chunk is reused)."""
    from ..sweep import parse_spec, run_sweep

    spec = parse_spec(run["scenario"]["sweep"])
    if workers is None:
        workers = run["scenario"].get("workers")
    with tempfile.TemporaryDirectory(prefix="boostphase-rerun-") as tmp:
        res = run_sweep(spec, Path(tmp) / "out", workers=workers, progress=False)
        return res.summary()


def _rerun_cli(run: dict) -> dict:
    """Run the stored command line again in a fresh process and read its JSON result."""
    argv = [a for a in run["command"] if a != "--save"]
    if "--json" not in argv:
        argv.append("--json")
    proc = subprocess.run([sys.executable, "-m", "boostphase.cli", *argv], capture_output=True,
                          text=True, timeout=3600)
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise InputError("ID", run["id"], f"a run whose command still runs (exit {proc.returncode}: {msg})")
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise InputError("ID", run["id"], "a run whose command prints a JSON result") from None
