"""Bad input, tried as a new user would: hostile values and files over every command.

Runs each case as a real process (``python -m boostphase.cli``) and counts the outcomes the
project's rule allows (exit 2 with one ``error:`` line, nothing written) and those it forbids:
a traceback, another exit code, a bad value accepted (exit 0), or a file written. Not a test
(it takes minutes); its counts go into the issue notes. Run: ``.venv/bin/python tools/bad_input_survey.py``.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
BAD_NUMBERS = ["nan", "inf", "-inf", "1e300", "-1e300", "", "abc", "0x10"]


def files(tmp: Path) -> dict[str, Path]:
    binary = tmp / "binary.toml"
    binary.write_bytes(bytes(range(256)) * 64)
    deep = tmp / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    folder = tmp / "folder.toml"
    folder.mkdir()
    ro = tmp / "ro"
    ro.mkdir()
    os.chmod(ro, stat.S_IRUSR | stat.S_IXUSR)
    return {"binary": binary, "deep": deep, "folder": folder, "missing": tmp / "missing.toml",
            "readonly_out": ro / "out.csv", "folder_out": folder}


def cases(f: dict[str, Path]) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    coast = ["coast", "--lat", "39", "--lon", "125", "--alt-km", "100", "--speed-km-s", "6",
             "--flight-path-deg", "20", "--azimuth-deg", "45"]
    for i, opt in enumerate(("--lat", "--lon", "--alt-km", "--speed-km-s", "--flight-path-deg", "--azimuth-deg")):
        for v in BAD_NUMBERS[:5]:
            a = list(coast)
            a[2 + 2 * i] = v
            out.append((f"coast {opt}={v}", a))
    for v in ("0", "-5", "nan", "1e12"):
        out.append((f"coast --beta={v}", [*coast, "--beta-kg-m2", v]))
    fly = ["flyout", "--missile", "no-dong", "--launch", "39,125.7", "--azimuth", "40"]
    for v in BAD_NUMBERS[:5]:
        out.append((f"flyout --azimuth={v}", [*fly[:-1], v]))
    for v in ("39", "95,125", "39,400", "nan,1", "a,b", ""):
        out.append((f"flyout --launch={v}", ["flyout", "--missile", "no-dong", "--launch", v, "--azimuth", "40"]))
    # "Atlantis" is a real town (South Africa): taken, and the note says which place it was
    for v in ("Springfield", "zzzz"):
        out.append((f"flyout --target={v}", ["flyout", "--missile", "hwasong-15", "--launch", "39,125.7", "--target", v]))
    for v in ("hwasong-99", str(f["binary"]), str(f["folder"]), str(f["missing"])):
        out.append((f"flyout --missile={Path(v).name}", ["flyout", "--missile", v, "--launch", "39,125.7", "--azimuth", "40"]))
    # root writes into a read-only folder anyway: that case only means something for other users
    outs = (("folder", f["folder_out"]),) if os.geteuid() == 0 else (("readonly", f["readonly_out"]), ("folder", f["folder_out"]))
    for k, p in outs:
        out.append((f"flyout --csv {k}", [*fly, "--csv", str(p)]))
        out.append((f"coast --batch --out {k}", ["coast", "--batch", str(EX / "coast_cases.csv"), "--out", str(p)]))
    for v in ("nan", "-1", "1e300"):
        out.append((f"reconstruct --apogee={v}", ["reconstruct", "--apogee-km", v, "--range-km", "1000"]))
        out.append((f"check --range={v}", ["check", "--range-km", v]))
        out.append((f"check --peak-mach={v}", ["check", "--range-km", "1000", "--peak-mach", v]))
    for cmd in ("engage", "engage-map", "c4", "footprint", "run", "sweep"):
        for k in ("binary", "deep", "folder", "missing"):
            args = [cmd, str(f[k])] if cmd not in ("c4",) else [cmd, "--spec", str(f[k])]
            out.append((f"{cmd} {k} file", args))
    for k in ("binary", "deep", "folder", "missing"):
        out.append((f"c5 --spec {k}", ["c5", "--spec", str(f[k])]))
        out.append((f"tests --catalog {k}", ["tests", "--catalog", str(f[k]), "--no-reconstruct"]))
        out.append((f"coast --batch {k}", ["coast", "--batch", str(f[k]), "--out", str(f["missing"].with_suffix(".csv"))]))
    for v in ("nan", "-3", "1e9"):
        out.append((f"footprint --fragments={v}", ["footprint", str(EX / "c5_chicago.toml"), "--fragments", v]))
        out.append((f"c5 --n={v}", ["c5", "--n", v]))
    out.append(("shortfall --beta=-1", ["shortfall", "--missile", "hwasong-15", "--launch", "39,125.7",
                                        "--target", "Chicago", "--beta-kg-m2", "-1"]))
    out.append(("overflight --test bad date", ["overflight", "--test", "2017-13-45"]))
    out.append(("runs show 999999", ["runs", "show", "999999"]))
    out.append(("catalog --save", ["--save", "catalog"]))
    out.append(("serve --port 99999", ["serve", "--port", "99999"]))
    return out


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bp-survey-"))
    f = files(tmp)
    store = Path(tempfile.mkdtemp(prefix="bp-survey-store-"))  # outside tmp: not counted as written
    env = {**os.environ, "BOOSTPHASE_STORE": str(store / "runs.sqlite")}
    tally = {"refused (exit 2, one line)": 0, "traceback": 0, "other exit": 0, "accepted (exit 0)": 0,
             "wrote a file": 0}
    bad: list[str] = []
    todo = cases(f)
    for name, args in todo:
        before = set(tmp.rglob("*"))
        p = subprocess.run([sys.executable, "-m", "boostphase.cli", *args], capture_output=True, text=True,
                           env=env, cwd=tmp, timeout=600)
        wrote = set(tmp.rglob("*")) - before
        lines = [x for x in p.stderr.splitlines() if x.strip() and not x.startswith("note:")]
        if "Traceback" in p.stderr:
            kind = "traceback"
        elif p.returncode == 0:
            kind = "accepted (exit 0)"
        elif p.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "):
            kind = "refused (exit 2, one line)"
        else:
            kind = "other exit"
        if wrote and kind != "accepted (exit 0)":
            tally["wrote a file"] += 1
            bad.append(f"{name}: wrote {sorted(str(w) for w in wrote)}")
        tally[kind] += 1
        if kind != "refused (exit 2, one line)":
            bad.append(f"{name}: {kind}, exit {p.returncode}: {(p.stderr.strip().splitlines() or [''])[-1][:160]}")
    print(f"{len(todo)} bad inputs over {len({a[0] if not a[0].startswith('--') else a[1] for _, a in todo})} commands")
    for k, v in tally.items():
        print(f"  {k}: {v}")
    for b in bad:
        print("  -", b)
    os.chmod(tmp / "ro", stat.S_IRWXU)
    return 0


if __name__ == "__main__":
    sys.exit(main())
