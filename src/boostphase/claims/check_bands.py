"""The reported figures' own uncertainty in a claim check (mission claim C3): the Mach range
that a ballistic flight of the reported range and apogee (or flight time) allows, and the
probability that the claim is consistent.

A report rounds: "about 1,000 km", "100 km", "Mach 14". Each reported figure x is given an
uncertainty u (``range_unc`` etc.: a number in the figure's unit, or a percentage such as
``"10%"``) and read as *uniform* on [x - u, x + u] (all that "x, give or take u" says). When
no uncertainty is given, the default is the check's own ``tolerance`` (the ±5 % the verdict
already grants each figure), and for a Mach number the larger of that and half a unit in its
last digit (the rounding of "Mach 14" is ±0.5). The verdict keys of
:func:`boostphase.claims.check.check_claim` are always computed on the nominal figures; this
module adds three keys:

``mach_range``
    the least and the greatest peak speed of a ballistic flight whose range and apogee (or
    flight time; or the range alone) lie anywhere in their intervals, as Mach numbers in the
    claim's convention. The peak speed of a ballistic arc is its burnout speed: in vacuum the
    arc is symmetric and re-enters at that same speed at the same altitude; with re-entry drag
    it re-enters slower. The vacuum speeds are closed forms on the sphere (minimum energy:
    v^2 = mu/R 2 sin(psi/2)/(1 + sin(psi/2)); through apogee r_a: e = (r_a - R)/(r_a - R cos(psi/2)),
    v^2 = mu (2/R - (1 + e)/r_a); for a flight time, the arc whose Kepler time matches). They rise
    with the range at a fixed apogee or time and have one minimum in the apogee (time), at the
    minimum-energy arc, so the extremes lie at the ends of the intervals, or at that minimum:
    :func:`vacuum_speed_extremes`. The drag model widens the band: its edges are the nominal
    check's ``peak_speed_band_km_s`` over its vacuum speed, applied to the extremes (over a ±5 %
    box around 1,000 km / 100 km those ratios vary by under 1.5 %: tests/test_check_bands.py).
    With the range alone, any speed from the low end to escape speed fits (lofted or depressed
    arcs), so ``high`` is escape speed.
``p_consistent``
    the share of ``samples`` draws (seeded: :func:`boostphase.ensembles.sample`) of the
    figures within their uncertainty for which the figures fit a ballistic flight *exactly*
    (no further tolerance: the uncertainty takes its place), with its Wilson 95 % interval.
    The same tests as the verdict, per draw, in closed form: the claimed speed inside the
    draw's band (vacuum speed times the nominal drag ratios), or with the range alone at
    least the band's low end and below escape speed; a flight time inside the arc's times
    (vacuum and, scaled by the nominal ratio, drag) plus the boost allowance, or above the
    grazing arc's time. An apogee that no drag arc reaches at the range is checked at the
    nominal figures only (it enters the verdict, not the draws).
``sensitivity``
    which reported figure moves that probability most
    (:func:`boostphase.ensembles.sensitivity`: P among its lowest and highest terciles).

Mach numbers: ``sea-level`` divides by the US76 sea-level sound speed (340.29 m/s);
``local`` by the US76 sound speed at the drag model's burnout altitude of the nominal claim
(50 km or half the apogee: where the burnout speed, the peak, occurs in that model).
"""

from __future__ import annotations

import math

import numpy as np

from ..ensembles import Distribution, proportion, sample, sensitivity
from ..errors import InputError, check_range
from .arcs import A_SEA_LEVEL, BOOST_ALLOWANCE_S, MU, R_E, V_ESC, min_energy_arc, sound_speed

__all__ = ["DEFAULT_SAMPLES", "UNC_FIELDS", "UNC_OPTION", "arc_time_vec", "band_draws", "parse_unc", "speed_for_time_vec",
           "speed_through_apogee", "uncertainty_blocks", "vacuum_speed_extremes"]

DEFAULT_SAMPLES = 2000
"""Draws for ``p_consistent``: the Wilson 95 % interval is at most ±2.2 percentage points wide."""

UNC_FIELDS = {"range_km": "km", "apogee_km": "km", "flight_time_s": "s", "peak_speed_km_s": "km/s",
              "peak_mach": ""}
UNC_OPTION = {"range_km": "range_unc", "apogee_km": "apogee_unc", "flight_time_s": "flight_time_unc",
              "peak_speed_km_s": "peak_unc", "peak_mach": "peak_unc"}
"""The name of each figure's uncertainty (the keyword of check_claim, the CLI's --range-unc ...)."""


# ------------------------------------------------------------------------------------------
# vectorised closed forms (vacuum, spherical Earth, burnout at the surface radius)
# ------------------------------------------------------------------------------------------

def speed_through_apogee(psi, apogee_m):
    """Burnout speed (m/s) of the symmetric vacuum arc of range angle ``psi`` (rad) through
    apogee altitude ``apogee_m`` (arrays broadcast)."""
    ra = R_E + np.asarray(apogee_m, float)
    e = (ra - R_E) / (ra - R_E * np.cos(np.asarray(psi, float) / 2.0))
    return np.sqrt(MU * (2.0 / R_E - (1.0 + e) / ra))


def apogee_min_energy_m(psi):
    """Apogee altitude (m) of the minimum-energy arc of range angle ``psi``: its eccentric
    anomaly is fixed by gamma* = (pi - psi)/4; from r_a = a (1 + e) with the closed forms."""
    v, g = min_energy_arc(psi)
    q = np.asarray(v) ** 2 * R_E / MU
    a = R_E / (2.0 - q)
    e = np.sqrt(np.maximum(0.0, 1.0 - q * (2.0 - q) * np.cos(g) ** 2))
    return a * (1.0 + e) - R_E


def arc_time_vec(speed_m_s, gamma_rad):
    """Time of flight (s) of the symmetric vacuum arc from the surface radius back to it
    (Kepler's equation: twice the time from the start's eccentric anomaly E0 to apogee,
    sqrt(a^3/mu) (pi - E0 + e sin E0))."""
    v, g = np.asarray(speed_m_s, float), np.asarray(gamma_rad, float)
    q = v * v * R_E / MU
    a = R_E / (2.0 - q)
    e = np.sqrt(np.maximum(1e-300, 1.0 - q * (2.0 - q) * np.cos(g) ** 2))
    nu0 = np.arctan2(q * np.sin(g) * np.cos(g), q * np.cos(g) ** 2 - 1.0)
    e0 = 2.0 * np.arctan(np.sqrt((1.0 - e) / (1.0 + e)) * np.tan(nu0 / 2.0))
    return 2.0 * np.sqrt(a**3 / MU) * (math.pi - e0 + e * np.sin(e0))


def speed_for_time_vec(psi, time_s):
    """(speed m/s, gamma rad) of the vacuum arcs of range angles ``psi`` taking ``time_s``
    (arrays): bisection on gamma (the time rises with it at a fixed range), 42 halvings of a
    bracket under pi/2 wide (angle to 4e-13 rad);
    NaN where no elliptic arc takes that long (at or below the grazing arc's psi sqrt(R^3/mu))."""
    psi, t = np.broadcast_arrays(np.asarray(psi, float), np.asarray(time_s, float))
    lo = np.full(psi.shape, 1e-9)
    hi = math.pi / 2.0 - psi / 4.0 - 1e-9
    for _ in range(42):
        mid = 0.5 * (lo + hi)
        fast = arc_time_vec(_speed_for_angle(psi, mid), mid) < t
        lo, hi = np.where(fast, mid, lo), np.where(fast, hi, mid)
    g = 0.5 * (lo + hi)
    ok = t > psi * math.sqrt(R_E**3 / MU)
    return np.where(ok, _speed_for_angle(psi, g), np.nan), g


def _speed_for_angle(psi, g):
    t = np.tan(psi / 2.0)
    return np.sqrt(t / (np.sin(g) * np.cos(g) + t * np.cos(g) ** 2) * MU / R_E)


def vacuum_speed_extremes(psi_lo: float, psi_hi: float, second: str | None, lo: float, hi: float):
    """(least, greatest) vacuum burnout speed (m/s) over range angles [psi_lo, psi_hi] and, by
    ``second``: apogee altitudes [lo, hi] m ('apogee'), flight times [lo, hi] s ('time') or
    nothing (None: the least is the minimum-energy speed at psi_lo, the greatest escape speed).
    The speed rises with the range and has its one minimum in the apogee (time) at the
    minimum-energy arc: the least is at psi_lo with the apogee (time) nearest that arc's, the
    greatest at psi_hi and one end of the apogee (time) interval."""
    if second is None:
        return float(min_energy_arc(psi_lo)[0]), V_ESC
    if second == "apogee":
        best = float(np.clip(apogee_min_energy_m(psi_lo), lo, hi))
        v_lo = float(speed_through_apogee(psi_lo, best))
        v_hi = float(np.max(speed_through_apogee(psi_hi, np.array([lo, hi]))))
        return v_lo, v_hi
    v_me, g_me = min_energy_arc(psi_lo)
    best = float(np.clip(arc_time_vec(v_me, g_me), lo, hi))
    # NaN where a time is at or below the grazing arc's (no arc): the ends that have arcs
    v = speed_for_time_vec(np.array([psi_lo, psi_hi, psi_hi, psi_lo, psi_lo]), np.array([best, lo, hi, lo, hi]))[0]
    if not np.any(np.isfinite(v)):
        return math.nan, math.nan
    return float(np.nanmin(v)), float(np.nanmax(v))


# ------------------------------------------------------------------------------------------
# the uncertainty of each reported figure
# ------------------------------------------------------------------------------------------

def parse_unc(field: str, spec, value: float, unit: str) -> float:
    """The absolute uncertainty (in the figure's unit) from ``spec``: a number in the figure's
    unit, or a string: ``"10%"`` (of ``value``) or a quantity such as ``"50 km"``. It must keep
    the interval positive: 0 <= u < value, and at most 50 %."""
    what = UNC_OPTION[field]
    allowed = f"0 to 50 % of {value:g}{' ' + unit if unit else ''} (a number in {unit or 'Mach'}, or 'N%')"
    if isinstance(spec, str) and spec.strip().endswith("%"):
        try:
            pct = float(spec.strip()[:-1])
        except ValueError:
            raise InputError(what, spec, allowed) from None
        u = check_range(what, pct, 0.0, 50.0, "%") / 100.0 * value
    elif isinstance(spec, str) and unit:
        from ..units import quantity

        u = quantity(what, spec, unit, 0.0, None)
    else:
        try:
            num = float(spec)
        except (TypeError, ValueError):
            raise InputError(what, spec, allowed) from None
        u = check_range(what, num, 0.0, 0.5 * value, unit)
    if u > 0.5 * value:
        raise InputError(what, spec, allowed)
    return float(u)


def _rounding(x: float) -> float:
    """Half a unit in the last digit of ``x`` as written (14 -> 0.5, 4.7 -> 0.05)."""
    text = repr(float(x)).removesuffix(".0")
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return 0.5 * 10.0 ** -decimals


def uncertainties(c: dict, given: dict) -> dict[str, dict]:
    """Per reported figure of the validated claim ``c``: {value, unc, low, high, unit, source}.
    ``given``: field -> spec (None: the default)."""
    tol = c["tolerance"]
    out = {}
    for field, unit in UNC_FIELDS.items():
        x = c.get(field)
        spec = given.get(field)
        if x is None:
            others = [f for f, o in UNC_OPTION.items() if o == UNC_OPTION[field] and c.get(f) is not None]
            if spec is not None and not others:
                raise InputError(UNC_OPTION[field], spec, f"no uncertainty without a claimed {field}")
            continue
        if spec is not None:
            u, src = parse_unc(field, spec, x, unit), "given"
        elif field == "peak_mach":
            u, src = max(tol * x, _rounding(x)), (f"default: the larger of ±{tol:.0%} (the tolerance) and "
                                                  f"half a unit in the last digit ({_rounding(x):g})")
        else:
            u, src = tol * x, f"default: ±{tol:.0%} (the tolerance)"
        out[field] = {"value": x, "unc": u, "low": x - u, "high": x + u, "unit": unit,
                      "dist": "uniform", "source": src}
    return out


# ------------------------------------------------------------------------------------------
# the draws
# ------------------------------------------------------------------------------------------

def band_draws(c: dict, unc: dict, nominal: dict, n: int, seed: int) -> tuple[dict, np.ndarray]:
    """Draw the figures (seeded) and test each draw: (draws by field, consistent per draw).

    ``nominal``: the nominal check's ``v_need`` and ``band`` (m/s), ``t_vac`` and ``t_drag``
    (s, or None), ``sound`` (m/s) for a Mach claim."""
    dists = {f: Distribution("uniform", (u["low"], u["high"]), unit=u["unit"]) for f, u in unc.items()}
    x = sample(dists, seed, 0, n)
    psi = x["range_km"] * 1e3 / R_E
    r_lo, r_hi = (b / nominal["v_need"] for b in nominal["band"])
    ok = np.ones(n, bool)
    if "apogee_km" in x:
        v_need = speed_through_apogee(psi, x["apogee_km"] * 1e3)
    elif "flight_time_s" in x:
        v_need, g = speed_for_time_vec(psi, x["flight_time_s"])
        ok &= np.isfinite(v_need)
    else:
        v_need = min_energy_arc(psi)[0]
    if "apogee_km" in x and "flight_time_s" in x:
        ra = R_E + x["apogee_km"] * 1e3
        e = (ra - R_E) / (ra - R_E * np.cos(psi / 2.0))
        g = np.arccos(np.clip(np.sqrt(MU * ra * (1.0 - e)) / (R_E * v_need), -1.0, 1.0))
        t_vac = arc_time_vec(v_need, g)
        t_drag = t_vac * (nominal["t_drag"] / nominal["t_vac"]) if nominal["t_drag"] else t_vac
        t = x["flight_time_s"]
        ok &= (np.minimum(t_vac, t_drag) <= t) & (t <= np.maximum(t_vac, t_drag) + BOOST_ALLOWANCE_S)
    if "peak_mach" in x or "peak_speed_km_s" in x:
        v = x["peak_mach"] * nominal["sound"] if "peak_mach" in x else x["peak_speed_km_s"] * 1e3
        if "apogee_km" in x or "flight_time_s" in x:
            ok &= (v >= r_lo * v_need) & (v <= r_hi * v_need)
        else:
            ok &= (v >= r_lo * v_need) & (v < V_ESC)
    return x, ok


def uncertainty_blocks(c: dict, given: dict, nominal: dict, conv: str, h_bo_m: float,
                       n: int = DEFAULT_SAMPLES, seed: int = 0) -> dict:
    """The ``uncertainty``, ``mach_range``, ``p_consistent`` and ``sensitivity`` keys of a check
    (see the module doc). ``nominal`` as in :func:`band_draws`; ``h_bo_m``: the nominal drag
    model's burnout altitude (where a local Mach number is read)."""
    n = int(check_range("samples", n, 10, 1_000_000))
    seed = int(check_range("seed", seed, 0, 2**63))
    unc = uncertainties(c, given)
    sound = A_SEA_LEVEL if conv == "sea-level" else sound_speed(h_bo_m)
    nominal = {**nominal, "sound": sound}
    draws, ok = band_draws(c, unc, nominal, n, seed)
    mach = _mach_range(unc, nominal, conv, h_bo_m, sound)
    p = proportion(ok)
    return {"uncertainty": unc, "mach_range": mach,
            "p_consistent": {**p, "samples": n, "seed": seed,
                             "tests": "each draw against the closed-form arcs, no further tolerance "
                                      "(claims.check_bands)"},
            "sensitivity": _ranking(draws, ok)}


def _ranking(draws: dict, ok: np.ndarray) -> list[dict]:
    """:func:`boostphase.ensembles.sensitivity` of the outcome to each figure; when every draw
    has the same outcome no figure moves it (each row's effect 0, without the terciles)."""
    if ok.all() or not ok.any():
        return [{"input": k, "effect": 0.0, "method": "the same outcome in every draw"} for k in draws]
    return [_row(r) for r in sensitivity(draws, ok)]


def _row(r: dict) -> dict:
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()}


def _mach_range(unc: dict, nominal: dict, conv: str, h_bo_m: float, sound: float) -> dict:
    rng = unc["range_km"]
    psi_lo, psi_hi = rng["low"] * 1e3 / R_E, rng["high"] * 1e3 / R_E
    if "apogee_km" in unc:
        second, lo, hi = "apogee", unc["apogee_km"]["low"] * 1e3, unc["apogee_km"]["high"] * 1e3
    elif "flight_time_s" in unc:
        second, lo, hi = "time", unc["flight_time_s"]["low"], unc["flight_time_s"]["high"]
    else:
        second, lo, hi = None, 0.0, 0.0
    v_lo, v_hi = vacuum_speed_extremes(psi_lo, psi_hi, second, lo, hi)
    r_lo, r_hi = (b / nominal["v_need"] for b in nominal["band"])
    s_lo, s_hi = v_lo * r_lo, (v_hi * r_hi if second is not None else V_ESC)
    where = ("the US76 sea-level sound speed, 340.29 m/s" if conv == "sea-level" else
             f"the US76 sound speed at {h_bo_m / 1e3:.0f} km, the drag model's burnout altitude "
             f"({sound:.1f} m/s)")
    note = (f"Peak speed = burnout speed (in vacuum the arc re-enters at the same speed at the same "
            f"altitude; with drag slower), as a Mach number at {where}. "
            + {"apogee": "Range and apogee anywhere in their intervals",
               "time": "Range and flight time anywhere in their intervals",
               None: "Range anywhere in its interval"}[second]
            + "; with re-entry drag the band widens by the nominal check's "
              "drag ratios" + ("" if second else "; with the range alone any speed up to escape speed "
                                                "fits a lofted or depressed arc (high = escape speed)") + ".")
    if not math.isfinite(v_lo):  # no ballistic arc anywhere in the intervals
        s_lo = s_hi = v_lo = v_hi = None
        note = "No ballistic arc covers the range in the flight time anywhere in their intervals."

    def div(x, k):
        return None if x is None else x / k

    out = {"low": div(s_lo, sound), "high": div(s_hi, sound), "speed_km_s": [div(s_lo, 1e3), div(s_hi, 1e3)],
           "vacuum_speed_km_s": [div(v_lo, 1e3), div(v_hi, 1e3)], "convention": conv, "sound_speed_m_s": sound,
           "altitude_km": 0.0 if conv == "sea-level" else h_bo_m / 1e3, "peak_at": "burnout",
           "high_is_escape_speed": second is None, "altitude_note": note}
    claim = unc.get("peak_mach") or unc.get("peak_speed_km_s")
    if claim is not None:
        k = 1.0 if "peak_mach" in unc else 1e3 / sound
        out["claimed_mach"] = [claim["low"] * k, claim["high"] * k]
        out["claimed_overlaps"] = (out["low"] is not None
                                   and bool(claim["low"] * k <= out["high"] and claim["high"] * k >= out["low"]))
    return out
