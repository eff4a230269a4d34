"""North Korean long-range test flights from public reports, a timeline of implied reach, and an
honest test of whether tests follow user-supplied dated events (MISSION claim C2).

The catalogue lives in ``boostphase/data/nk_tests.toml``.  Each test keeps a *primary* figure for
apogee, ground range and flight time (the North Korean state-media claim where one was made,
otherwise the official Japanese or South Korean figure), a citation for every number, and every
alternative report found (Japan MOD, ROK JCS, KCNA, ...), because reports disagree and the
disagreement is part of the evidence.  Nothing is averaged and nothing is guessed: a figure that
no public source gives is absent (``None``) and the gap is said in the test's ``notes``.

Three tools sit on top:

- :func:`association_test`: a permutation test of "tests come within N days after events more
  often than chance", with the caveats it cannot escape spelled out in its result;
- :func:`implied_reach_timeline`: maps a reconstruction callable (built elsewhere) over the tests;
- the timeline figure itself is drawn by :func:`boostphase.present.timeline.plot_timeline`.

Bad input raises :class:`boostphase.errors.InputError` naming the field, the value and what is
allowed.
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from boostphase.errors import InputError, check_range

__all__ = [
    "Report",
    "Estimate",
    "TestFlight",
    "ReachRow",
    "load_tests",
    "read_events_csv",
    "association_test",
    "implied_reach_timeline",
    "as_date",
]

QUALIFIERS = ("approx", "at least", "at most")
"""How a reported figure was stated; a figure without a qualifier was stated exactly."""

_FIGURES = ("apogee_km", "range_km", "flight_time_s")
_REPORT_NUMBERS = (*_FIGURES, "peak_speed_mach")
_LIMITS = {  # generous validity limits, not physics checks (those live in the tests)
    "apogee_km": (0.0, 50_000.0, "km"),
    "range_km": (0.0, 20_040.0, "km"),  # half the Earth's circumference
    "flight_time_s": (0.0, 20_000.0, "s"),
    "peak_speed_mach": (0.0, 100.0, ""),
}
_TEST_KEYS = {
    "date", "vehicle", "site_name", "site_lat_deg", "site_lon_deg", *_FIGURES, "qualifiers",
    "notes", "sources", "reports", "estimates",
}
_REPORT_KEYS = {"by", "vehicle", *_REPORT_NUMBERS, "qualifiers", "source", "note"}
_ESTIMATE_KEYS = {"by", "max_range_km", "source", "note"}


@dataclass(frozen=True)
class Report:
    """One public report of a test (one agency or outlet), with its own source."""

    by: str
    source: str
    vehicle: str | None = None
    apogee_km: float | None = None
    range_km: float | None = None
    flight_time_s: float | None = None
    peak_speed_mach: float | None = None
    qualifiers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    note: str = ""


@dataclass(frozen=True)
class Estimate:
    """A published maximum-range estimate made from a test (an analysis, not a measurement)."""

    by: str
    max_range_km: float
    source: str
    note: str = ""


@dataclass(frozen=True)
class TestFlight:
    """One test flight: primary figures, their citations and every alternative report.

    ``sources`` maps a field name (``vehicle``, ``site``, ``apogee_km``, ``range_km``,
    ``flight_time_s``) to its citation; ``qualifiers`` says which primary figures were stated as
    "approx" or "at least".  ``sources`` and ``qualifiers`` are read-only mappings and ``reports``
    and ``estimates`` tuples, so a loaded catalogue cannot be changed by accident.
    """

    __test__ = False  # not a pytest test class, despite the name

    date: _dt.date
    vehicle: str
    site_name: str
    site_lat_deg: float
    site_lon_deg: float
    apogee_km: float | None
    range_km: float | None
    flight_time_s: float | None
    sources: Mapping[str, str]
    reports: tuple[Report, ...] = ()
    notes: str = ""
    qualifiers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    estimates: tuple[Estimate, ...] = ()


class ReachRow(NamedTuple):
    """One row of the implied-reach timeline (km).

    ``status``: ``"reconstructed"`` (``low_km <= range_km <= high_km``, all finite);
    ``"global"`` (the fitted vehicle reaches any point: ``range_km`` and ``high_km`` NaN,
    ``low_km`` the smallest range the fit and its band support); anything else (``"skipped"``,
    ``"fit failed"``): no reach (all NaN), ``note`` says why."""

    date: _dt.date
    vehicle: str
    range_km: float
    low_km: float
    high_km: float
    status: str = "reconstructed"
    note: str = ""


# --------------------------------------------------------------------------- catalogue


def _data_path() -> Path:
    return Path(str(resources.files("boostphase") / "data" / "nk_tests.toml"))


def _number(fld: str, value: object, name: str) -> float:
    lo, hi, unit = _LIMITS[name]
    v = check_range(fld, value, lo, hi, unit)  # type: ignore[arg-type]
    if isinstance(value, bool) or v <= 0.0 or math.isinf(v):
        raise InputError(fld, value, f"a number > 0 and <= {hi:g} {unit}".rstrip())
    return v


def _text(fld: str, value: object, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(fld, value, "a non-empty string")
    return value.strip()


def _unknown(fld: str, table: Mapping[str, object], allowed: set[str]) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise InputError(fld, extra[0], "one of " + ", ".join(sorted(allowed)))


def _qualifiers(fld: str, raw: object, numbers: Mapping[str, float | None]) -> Mapping[str, str]:
    if raw is None:
        return MappingProxyType({})
    if not isinstance(raw, Mapping):
        raise InputError(fld, raw, "a table such as { apogee_km = \"approx\" }")
    out: dict[str, str] = {}
    for key, q in raw.items():
        if key not in numbers or numbers[key] is None:
            raise InputError(f"{fld}.{key}", q, "a qualifier only for a figure given in this table")
        if q not in QUALIFIERS:
            raise InputError(f"{fld}.{key}", q, " | ".join(QUALIFIERS))
        out[key] = q
    return MappingProxyType(out)


def _parse_report(fld: str, raw: object) -> Report:
    if not isinstance(raw, Mapping):
        raise InputError(fld, raw, "a [[tests.reports]] table")
    _unknown(fld, raw, _REPORT_KEYS)
    nums = {k: (_number(f"{fld}.{k}", raw[k], k) if k in raw else None) for k in _REPORT_NUMBERS}
    return Report(
        by=_text(f"{fld}.by", raw.get("by")),
        source=_text(f"{fld}.source", raw.get("source")),
        vehicle=_text(f"{fld}.vehicle", raw.get("vehicle"), required=False) or None,
        qualifiers=_qualifiers(f"{fld}.qualifiers", raw.get("qualifiers"), nums),
        note=_text(f"{fld}.note", raw.get("note"), required=False),
        **nums,
    )


def _parse_estimate(fld: str, raw: object) -> Estimate:
    if not isinstance(raw, Mapping):
        raise InputError(fld, raw, "a [[tests.estimates]] table")
    _unknown(fld, raw, _ESTIMATE_KEYS)
    return Estimate(
        by=_text(f"{fld}.by", raw.get("by")),
        max_range_km=_number(f"{fld}.max_range_km", raw.get("max_range_km"), "range_km"),
        source=_text(f"{fld}.source", raw.get("source")),
        note=_text(f"{fld}.note", raw.get("note"), required=False),
    )


def _parse_test(where: str, i: int, raw: object) -> TestFlight:
    if not isinstance(raw, Mapping):
        raise InputError(f"{where} tests[{i}]", raw, "a [[tests]] table")
    day = raw.get("date")
    if isinstance(day, _dt.datetime) or not isinstance(day, _dt.date):
        raise InputError(f"{where} tests[{i}].date", day, "a TOML date such as 2017-07-28")
    fld = f"{where} tests[{day.isoformat()}]"
    _unknown(fld, raw, _TEST_KEYS)

    sources = raw.get("sources")
    if not isinstance(sources, Mapping):
        raise InputError(f"{fld}.sources", sources, "a [tests.sources] table citing every number")
    for key, cite in sources.items():
        _text(f"{fld}.sources.{key}", cite)

    def cite(key: str, value: object, *aliases: str) -> None:
        if not any(isinstance(sources.get(k), str) and sources[k].strip() for k in (key, *aliases)):
            raise InputError(f"{fld}.sources.{key}", value,
                             "a citation (non-empty string) in [tests.sources] for every number")

    lat = check_range(f"{fld}.site_lat_deg", raw.get("site_lat_deg"), -90.0, 90.0, "deg")
    lon = check_range(f"{fld}.site_lon_deg", raw.get("site_lon_deg"), -180.0, 180.0, "deg")
    cite("site_lat_deg", lat, "site")
    cite("site_lon_deg", lon, "site")
    vehicle = _text(f"{fld}.vehicle", raw.get("vehicle"))
    cite("vehicle", vehicle)

    figs: dict[str, float | None] = {}
    for key in _FIGURES:
        if key in raw:
            figs[key] = _number(f"{fld}.{key}", raw[key], key)
            cite(key, figs[key])
        else:
            figs[key] = None
    if figs["range_km"] is None:
        raise InputError(f"{fld}.range_km", None, "a ground range in km (every test needs one)")

    reports = raw.get("reports", [])
    estimates = raw.get("estimates", [])
    if not isinstance(reports, list) or not isinstance(estimates, list):
        raise InputError(f"{fld}.reports", reports, "arrays of tables [[tests.reports]]")
    reps = tuple(_parse_report(f"{fld}.reports[{j}]", r) for j, r in enumerate(reports))
    ests = tuple(_parse_estimate(f"{fld}.estimates[{j}]", e) for j, e in enumerate(estimates))
    # Traceability: a primary figure must be one that some report gave, not a blend.
    if reps:
        for key, v in figs.items():
            if v is not None and not any(getattr(r, key) == v for r in reps):
                raise InputError(f"{fld}.{key}", v,
                                 "a value that one of the [[tests.reports]] gives for this test")

    return TestFlight(
        date=day,
        vehicle=vehicle,
        site_name=_text(f"{fld}.site_name", raw.get("site_name")),
        site_lat_deg=lat,
        site_lon_deg=lon,
        apogee_km=figs["apogee_km"],
        range_km=figs["range_km"],
        flight_time_s=figs["flight_time_s"],
        sources=MappingProxyType({str(k): str(v).strip() for k, v in sources.items()}),
        reports=reps,
        notes=_text(f"{fld}.notes", raw.get("notes"), required=False),
        qualifiers=_qualifiers(f"{fld}.qualifiers", raw.get("qualifiers"), figs),
        estimates=ests,
    )


def load_tests(path: str | Path | None = None) -> list[TestFlight]:
    """Load and validate a test catalogue (default: the packaged ``data/nk_tests.toml``).

    Returns the tests sorted by date.  Raises :class:`InputError` for a number without a
    citation, a value out of its allowed range, an unknown key, or a primary figure that no
    listed report gives.
    """
    p = _data_path() if path is None else Path(path)
    try:
        with open(p, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise InputError("path", str(p), "an existing TOML test catalogue") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(p.name, str(exc), "valid TOML") from None
    raw_tests = doc.get("tests")
    if not isinstance(raw_tests, list) or not raw_tests:
        raise InputError(f"{p.name} tests", raw_tests, "one or more [[tests]] tables")
    tests = [_parse_test(p.name, i, t) for i, t in enumerate(raw_tests)]
    return sorted(tests, key=lambda t: t.date)


# --------------------------------------------------------------------------- events


def as_date(fld: str, value: object) -> _dt.date:
    """A date from a date, a datetime or an ISO string; else InputError naming ``fld``."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(fld, value, "a date (datetime.date or 'YYYY-MM-DD')")


def read_events_csv(path: str | Path) -> list[tuple[_dt.date, str]]:
    """Read dated events from a CSV file with a header ``date,label``.

    Dates are ISO ``YYYY-MM-DD``; extra columns are ignored; blank lines and lines starting with
    ``#`` are skipped; a field holding a comma must be quoted, and fields cannot span lines.
    Returns ``(date, label)`` pairs in file order.  A bad row raises :class:`InputError` whose
    field names the file and the row's line number (``"events.csv row 3: date"``).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("path", str(p), "an existing CSV file with columns date,label") from None
    except UnicodeDecodeError:
        raise InputError("path", str(p), "a UTF-8 text CSV file") from None
    numbered = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1)
                if ln.strip() and not ln.lstrip().startswith("#")]
    if not numbered:
        raise InputError(f"{p.name} header", None, "columns 'date' and 'label'")
    header = next(csv.reader([numbered[0][1]]))
    cols = [c.strip().lower() for c in header]
    if "date" not in cols or "label" not in cols:
        raise InputError(f"{p.name} header", header, "columns 'date' and 'label'")
    i_date, i_label = cols.index("date"), cols.index("label")
    out: list[tuple[_dt.date, str]] = []
    for n, line in numbered[1:]:
        row = next(csv.reader([line]))
        where = f"{p.name} row {n}"
        if len(row) <= max(i_date, i_label):
            raise InputError(f"{where}: columns", line, "a date and a label")
        raw = row[i_date].strip()
        try:
            day = _dt.date.fromisoformat(raw)
        except ValueError:
            raise InputError(f"{where}: date", raw, "a date as YYYY-MM-DD") from None
        out.append((day, row[i_label].strip()))
    return out


# --------------------------------------------------------------------------- association


_CAVEATS = (
    "An association in time is not evidence of causation: both the tests and the events may follow "
    "a common driver (a political calendar, a development campaign, a season).",
    "With {n_tests} tests the test has little power: a large p-value does not show that there is "
    "no link, and a small one can arise from one or two coincidences.",
    "Trying several windows, event lists or null models and reporting the smallest p-value "
    "inflates false positives; fix the window before looking, or correct for the number of tries "
    "(e.g. Bonferroni: multiply p by the number of analyses).",
    "Test dates cluster for political and technical reasons (anniversaries, exercises, summits, "
    "campaigns of tests); the circular-shift null keeps that clustering, the uniform null does "
    "not and then overstates significance when events cluster too.",
    "An event list assembled with the test dates in view (for example port calls found by "
    "searching around known tests) is biased towards association; only a list compiled "
    "independently supports the test.",
    "The result is conditional on the study period and uses calendar days: events outside the "
    "period are ignored, and time zones (KST vs UTC) can move a date by one day.",
    "It says nothing about what any event carried or whether technology was transferred.",
)


def _covered(event_pos: np.ndarray, length: int, window: int) -> np.ndarray:
    """covered[d] is True if some event e satisfies 0 <= (d - e) mod length <= window."""
    marks = np.zeros(length, dtype=np.int64)
    np.add.at(marks, event_pos, 1)
    if window + 1 >= length:
        return np.full(length, bool(marks.any()))
    ext = np.concatenate([marks[length - window:], marks]) if window else marks
    csum = np.concatenate([[0], np.cumsum(ext)])
    # window sum over ext[d : d + window + 1] == marks[d - window .. d] (circular)
    return (csum[window + 1:] - csum[: length]) > 0


def association_test(
    test_dates: Iterable[_dt.date | str],
    event_dates: Iterable[_dt.date | str],
    window_days: int = 30,
    n_permutations: int = 10_000,
    seed: int = 0,
    *,
    null: str = "circular",
    period: tuple[_dt.date | str, _dt.date | str] | None = None,
) -> dict:
    """Permutation test: do tests fall within ``window_days`` after an event more often than chance?

    Statistic: the number of tests with at least one event ``0 <= test - event <= window_days``
    days before (same day included).  Null distribution, keeping the events fixed:

    - ``null="circular"`` (default): all test dates shifted together by one random offset around
      the study period (wrapping at its end).  This keeps the spacing between tests, so the
      clustering of tests (for political or technical reasons) is not mistaken for association.
      It is exact if either the tests' or the events' timing is uniform over the period.
    - ``null="uniform"``: each test date placed independently and uniformly over the period, as a
      textbook comparison.  Exact when the tests themselves are uniform; anti-conservative when
      tests cluster and the events cluster too.

    The study period defaults to ``[first test - window_days, last test]``; starting it at least
    ``window_days`` before the first test means the wrap-around can never pair a late event with
    an early test in the observed data, so the observed statistic is the plain count.  Events
    outside the period are ignored (they cannot precede a test within the window anyway).

    The p-value is ``(k + 1) / (n_permutations + 1)``, where ``k`` counts null statistics >= the
    observed one; it is valid (never too small on average) and deterministic for a given seed.
    """
    tests = [as_date(f"test_dates[{i}]", d) for i, d in enumerate(test_dates)]
    events = [as_date(f"event_dates[{i}]", d) for i, d in enumerate(event_dates)]
    if not tests:
        raise InputError("test_dates", tests, "at least one test date")
    if isinstance(window_days, bool) or not isinstance(window_days, int | np.integer):
        raise InputError("window_days", window_days, "a whole number of days >= 0")
    if window_days < 0:
        raise InputError("window_days", window_days, "a whole number of days >= 0")
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, int | np.integer) \
            or not 1 <= n_permutations <= 10_000_000:
        raise InputError("n_permutations", n_permutations, "a whole number from 1 to 10,000,000")
    if null not in ("circular", "uniform"):
        raise InputError("null", null, "'circular' or 'uniform'")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError("seed", seed, "a whole number >= 0")

    w = int(window_days)
    first, last = min(tests), max(tests)
    if period is None:
        start, end = first - _dt.timedelta(days=w), last
    else:
        start, end = (as_date("period[0]", period[0]), as_date("period[1]", period[1]))
        if start > first - _dt.timedelta(days=w) or end < last:
            raise InputError(
                "period", (start.isoformat(), end.isoformat()),
                f"a period from on or before {(first - _dt.timedelta(days=w)).isoformat()} "
                f"(first test minus window_days) to on or after {last.isoformat()}")
    length = (end - start).days + 1

    t_pos = np.array([(d - start).days for d in tests], dtype=np.int64)
    in_period = [d for d in events if start <= d <= end]
    e_pos = np.array([(d - start).days for d in in_period], dtype=np.int64)
    covered = _covered(e_pos, length, w)

    observed = int(covered[t_pos].sum())
    # The same count on the plain (non-circular) time line, over all events: must agree, which
    # the period's start (>= window_days before the first test) guarantees.
    ev_all = np.sort(np.array([(d - start).days for d in events], dtype=np.int64))
    linear = int((np.searchsorted(ev_all, t_pos, "right")
                  > np.searchsorted(ev_all, t_pos - w, "left")).sum())
    if observed != linear:  # pragma: no cover - a guard, not a code path
        raise RuntimeError(f"circular count {observed} != linear count {linear}")

    rng = np.random.default_rng(int(seed))
    n = int(n_permutations)
    null_stats = np.empty(n, dtype=np.int64)
    chunk = max(1, min(n, 2_000_000 // max(1, len(tests))))
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        if null == "circular":
            shifts = rng.integers(0, length, size=(m, 1))
            pos = (t_pos[None, :] + shifts) % length
        else:
            pos = rng.integers(0, length, size=(m, len(tests)))
        null_stats[lo:lo + m] = covered[pos].sum(axis=1)
    k = int((null_stats >= observed).sum())
    p_value = (k + 1) / (n + 1)

    how = ("shifting all test dates together by a random offset around the study period"
           if null == "circular" else
           "placing each test date uniformly at random over the study period")
    method = (
        f"Counted the tests preceded within {w} days (same day included) by at least one event "
        f"and compared that count with {n:,} random re-timings made by {how} "
        f"({start.isoformat()} to {end.isoformat()}), p = (k+1)/(n+1)."
    )
    return {
        "statistic": observed,
        "p_value": float(p_value),
        "n_tests": len(tests),
        "n_events": len(events),
        "window_days": w,
        "n_permutations": n,
        "method": method,
        "caveats": [c.format(n_tests=len(tests)) for c in _CAVEATS],
        "null": null,
        "expected_under_null": float(null_stats.mean()),
        "n_events_in_period": len(in_period),
        "period": (start.isoformat(), end.isoformat()),
        "seed": int(seed),
    }


# --------------------------------------------------------------------------- timeline


def implied_reach_timeline(
    tests: Sequence[TestFlight],
    reconstruct: Callable[[TestFlight], tuple[float, float, float] | None],
) -> list[ReachRow]:
    """Apply ``reconstruct(test) -> (range_km, low_km, high_km)`` to each test, in date order.

    ``reconstruct`` may return ``None`` for a test it cannot handle (for example one without a
    flight time); that test is left out of the timeline.  It may also return a :class:`ReachRow`
    whose status is ``"global"`` (``low_km`` finite and > 0) or a reason not reconstructed
    (kept, so a plot shows every test).  A tuple must satisfy
    ``0 < low_km <= range_km <= high_km`` (all finite), else :class:`InputError`.
    """
    rows: list[ReachRow] = []
    for t in sorted(tests, key=lambda x: x.date):
        out = reconstruct(t)
        if out is None:
            continue
        fld = f"reconstruct({t.date.isoformat()})"
        if isinstance(out, ReachRow) and out.status != "reconstructed":
            if out.status == "global" and not (math.isfinite(out.low_km) and out.low_km > 0):
                raise InputError(fld, out, "a global row with a finite lower bound low_km > 0")
            rows.append(out._replace(date=t.date, vehicle=t.vehicle))
            continue
        try:
            rng_km, low, high = (float(v) for v in out)
        except (TypeError, ValueError):
            raise InputError(fld, out, "a tuple (range_km, low_km, high_km) or None") from None
        if not all(math.isfinite(v) for v in (rng_km, low, high)) or not 0 < low <= rng_km <= high:
            raise InputError(fld, (rng_km, low, high), "finite values with 0 < low <= range <= high")
        rows.append(ReachRow(t.date, t.vehicle, rng_km, low, high))
    return rows
