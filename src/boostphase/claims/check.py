"""Claim checks (mission claim C3): is there a ballistic flight that matches the reported figures?

A report gives some of: ground range, apogee, flight time and a peak speed (in km/s or as a
Mach number). :func:`check_claim` answers, with numbers a journalist can quote, whether one
ballistic flight matches all of them (each within ``±tolerance``), which kind of trajectory
that would be (minimum-energy, depressed, lofted), and what a boost-glide vehicle of a given
lift-to-drag ratio would need instead.

Models (all on the spherical, non-rotating Earth :data:`boostphase.models.earth.SPHERE`:
R = 6371 km, point-mass gravity mu = 3.986004418e14 m^3/s^2):

* **Vacuum** (``min_energy``, ``through_apogee``): a Keplerian arc from a burnout *at the
  surface radius* back to the surface radius. This is the textbook simplification: the boost
  is not modelled, the launch point and the burnout point coincide, so the burnout speed is
  the speed the arc has at the surface (the largest speed anywhere on it) and flight times
  run from burnout (the boost, one to a few minutes for a real missile, comes on top).
* **Re-entry drag** (``with_drag``): the body starts at burnout at altitude ``h_bo`` directly
  above the launch point (the ground covered during the boost is not counted, as in the
  vacuum model) and coasts to impact with drag (ballistic coefficient beta = m / (C_D A),
  C_D = 1 as in :func:`boostphase.flight.flyout.coast`) through the US76 atmosphere. ``h_bo`` is
  50 km, or half the apogee if that is lower (the claimed apogee; the apogee of the
  range-and-time arc; with the range alone, the flat-Earth minimum-energy apogee range/4).
  Above 50 km lies less than 0.1 % of the atmosphere's mass (US76: p(50 km)/p(0) = 0.08 %),
  so drag there hardly matters; below, a real missile is still under power, which we do not
  model. The burnout speed is the speed at ``h_bo``; drag only removes energy, so no later
  speed exceeds the *surface-equivalent* speed (the burnout state's speed extrapolated down
  to the surface in vacuum). Searches: a few batched :func:`boostphase.flight.flyout.coast` calls of
  one fixed batch shape (the kernel compiles once).
* **Glide** (``glide``): equilibrium glide of a vehicle with a constant L/D (see
  :func:`glide_range_m`).

Verdict (``ballistic_consistent``). The range fixes nothing by itself (any range up to 20,000
km has ballistic arcs). A claimed peak speed must lie, within ``±tolerance``, in the band
spanned by the vacuum arc's burnout speed and the drag arc's peak (between the larger of its
burnout and impact speeds and its surface-equivalent speed); with the range alone, it must be
at least the band's lower end and below escape speed (faster flights fly lofted or depressed
arcs, which are reported). A flight time must match the arc's (with or without drag) within
``±tolerance``, plus up to :data:`BOOST_ALLOWANCE_S` for the boost. An apogee that no drag arc
can reach at the range makes the claim inconsistent too. ``verdict`` and ``verdict_sentence``
say which way a claim fails: see :mod:`boostphase.claims.verdict`.

Mach numbers. ``mach_convention="sea-level"`` divides by the US76 sea-level speed of sound
(340.29 m/s), which is how South Korea's Joint Chiefs of Staff *appear* to quote Mach
numbers. ``"local"`` divides by the US76 speed of sound at the altitude where that speed
occurs (the burnout altitude of the model, or the glide altitude); US76 defines no speed of
sound above 86 km, so a local Mach number there is undefined (``None``). A claimed Mach
number given with the ``local`` convention is turned into km/s at the drag model's burnout
altitude (ballistic) or at the equilibrium-glide altitude (glide).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError, check_range
from .arcs import (
    A_SEA_LEVEL,
    BOOST_ALLOWANCE_S,
    H_BO_CAP_M,
    MACH_CONVENTIONS,
    MU,
    R_E,
    V_CIRC,
    V_ESC,
    apogee_radius_m,
    arc_for_time,
    arc_through_apogee,
    arcs_at_speed,
    ascent_state,
    burnout_altitude_m,
    glide_altitude_m,
    glide_range_m,
    glide_speed_needed_m_s,
    min_energy_arc,
    range_angle_through_apogee_at_speed,
    sound_speed,
    speed_for_angle,
    surface_equivalent_speed,
    time_of,
)
from .check_bands import DEFAULT_SAMPLES, uncertainty_blocks
from .check_drag import drag_min_energy, drag_newton, drag_through_apogee
from .verdict import glide_clause, pick_verdict, verdict_sentence

__all__ = [
    "BOOST_ALLOWANCE_S",
    "H_BO_CAP_M",
    "MACH_CONVENTIONS",
    "arc_for_time",
    "arc_through_apogee",
    "arcs_at_speed",
    "check_claim",
    "glide_altitude_m",
    "glide_range_m",
    "glide_speed_needed_m_s",
    "min_energy_arc",
    "speed_for_angle",
]


# ------------------------------------------------------------------------------------------
# the claim check
# ------------------------------------------------------------------------------------------

def _km(x_m: float) -> str:
    x = x_m / 1e3
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}"


def _kms(v_m_s: float) -> str:
    return f"{v_m_s / 1e3:.2f}"


def _profile(apogee_m: float, apogee_min_energy_m: float, tol: float) -> str:
    """'depressed' / 'lofted' if the apogee is below / above the minimum-energy one by more than
    the tolerance, else 'minimum-energy'."""
    if apogee_m < apogee_min_energy_m * (1 - tol):
        return "depressed"
    if apogee_m > apogee_min_energy_m * (1 + tol):
        return "lofted"
    return "minimum-energy"


def _validate(range_km, apogee_km, flight_time_s, peak_speed_km_s, peak_mach, mach_convention,
              glide_ld, tolerance, reentry_beta_kg_m2):
    out = {"range_km": check_range("range_km", range_km, 1.0, 20_000.0, "km")}
    out["apogee_km"] = None if apogee_km is None else check_range("apogee_km", apogee_km, 1.0, 10_000.0, "km")
    out["flight_time_s"] = (None if flight_time_s is None
                            else check_range("flight_time_s", flight_time_s, 1.0, 100_000.0, "s"))
    if peak_speed_km_s is not None and peak_mach is not None:
        raise InputError("peak_mach", peak_mach, "no Mach number when peak_speed_km_s is given",
                         "give the peak speed either in km/s or as a Mach number, not both")
    out["peak_speed_km_s"] = (None if peak_speed_km_s is None
                              else check_range("peak_speed_km_s", peak_speed_km_s, 0.1, 12.0, "km/s"))
    out["peak_mach"] = None if peak_mach is None else check_range("peak_mach", peak_mach, 0.5, 40.0)
    if mach_convention not in MACH_CONVENTIONS:
        raise InputError("mach_convention", mach_convention, "'sea-level' or 'local'")
    out["glide_ld"] = None if glide_ld is None else check_range("glide_ld", glide_ld, 0.5, 10.0)
    out["tolerance"] = check_range("tolerance", tolerance, 0.0, 0.5)
    out["reentry_beta_kg_m2"] = check_range("reentry_beta_kg_m2", reentry_beta_kg_m2, 100.0, 1e6, "kg/m^2")
    return out


def check_claim(range_km, apogee_km=None, flight_time_s=None, peak_speed_km_s=None, peak_mach=None,
                mach_convention="sea-level", glide_ld=None, tolerance=0.05,
                reentry_beta_kg_m2=5000.0, *, range_unc=None, apogee_unc=None, flight_time_unc=None,
                peak_unc=None, samples=DEFAULT_SAMPLES, seed=0) -> dict:
    """Is there a ballistic flight that matches all the given figures (each within ±tolerance)?

    ``range_km`` is required; ``apogee_km``, ``flight_time_s`` and a peak speed (``peak_speed_km_s``
    or ``peak_mach`` with ``mach_convention`` 'sea-level' or 'local') are optional;
    ``glide_ld`` adds the boost-glide check. Returns a JSON-ready dict (the contract of
    ``boostphase check ... --json``): ``min_energy``, ``through_apogee``, ``with_drag``,
    ``reentry_beta_kg_m2``, ``peak_speed_km_s_needed``, ``claimed_peak_speed_km_s``,
    ``mach_convention``, ``ballistic_consistent``, ``verdict`` (:data:`boostphase.claims.verdict.VERDICTS`),
    ``verdict_sentence``, ``reasons``, ``glide`` and supporting figures.
    See the module doc for the models and their simplifications.

    The reported figures' own uncertainty: ``range_unc``, ``apogee_unc``, ``flight_time_unc``,
    ``peak_unc`` (for the speed or the Mach number), each a number in the figure's unit or a
    string ``"N%"`` (default: see :mod:`boostphase.claims.check_bands`), ``samples`` draws with
    ``seed``: the keys ``uncertainty``, ``mach_range``, ``p_consistent`` and ``sensitivity``.
    Every other key is computed on the nominal figures, whatever the uncertainty.
    """
    c = _validate(range_km, apogee_km, flight_time_s, peak_speed_km_s, peak_mach, mach_convention,
                  glide_ld, tolerance, reentry_beta_kg_m2)
    tol, beta, conv = c["tolerance"], c["reentry_beta_kg_m2"], mach_convention
    rng = c["range_km"] * 1e3
    psi = rng / R_E
    apo = None if c["apogee_km"] is None else c["apogee_km"] * 1e3
    t_claim = c["flight_time_s"]
    reasons: list[str] = []
    fails: list[tuple[str, str]] = []  # (verdict kind, its sentence): see claim_verdict

    def mach_of(v_m_s: float, alt_m: float) -> float | None:
        a = A_SEA_LEVEL if conv == "sea-level" else sound_speed(alt_m)
        return None if a is None else v_m_s / a

    # --- vacuum, minimum energy ------------------------------------------------------------
    v_me, g_me = (float(x) for x in min_energy_arc(psi))
    apo_me = float(apogee_radius_m(v_me, g_me)) - R_E
    t_me = time_of(v_me, g_me)
    min_energy = {"burnout_speed_km_s": v_me / 1e3, "flight_path_deg": math.degrees(g_me),
                  "apogee_km": apo_me / 1e3, "flight_time_s": t_me, "burnout_altitude_km": 0.0,
                  "burnout_mach": mach_of(v_me, 0.0), "mach_convention": conv}
    reasons.append(
        f"A {_km(rng)} km ballistic flight needs at least {_kms(v_me)} km/s at burnout "
        f"(Mach {v_me / A_SEA_LEVEL:.1f} at sea-level sound speed), on the minimum-energy arc: "
        f"{math.degrees(g_me):.1f} deg above the horizon, apogee {_km(apo_me)} km, "
        f"{t_me / 60:.1f} min from burnout (vacuum, spherical Earth, burnout at the surface).")

    # --- vacuum, the arc fixed by the apogee or the flight time ---------------------------
    through = None
    arc_kind = None
    if apo is not None:
        v_a, g_a = (float(x) for x in arc_through_apogee(psi, R_E + apo))
        t_a = time_of(v_a, g_a)
        arc_kind = _profile(apo, apo_me, tol)
        through = {"burnout_speed_km_s": v_a / 1e3, "flight_path_deg": math.degrees(g_a),
                   "flight_time_s": t_a, "apogee_km": apo / 1e3, "profile": arc_kind,
                   "solved_from": "apogee", "burnout_mach": mach_of(v_a, 0.0), "mach_convention": conv}
        kind_words = {"depressed": "a depressed trajectory", "lofted": "a lofted trajectory",
                      "minimum-energy": "close to the minimum-energy trajectory"}[arc_kind]
        reasons.append(
            f"Reaching {_km(apo)} km apogee on a {_km(rng)} km range is {kind_words} "
            f"(the minimum-energy arc peaks at {_km(apo_me)} km): it needs {_kms(v_a)} km/s at "
            f"{math.degrees(g_a):.1f} deg, and takes {t_a / 60:.1f} min from burnout.")
    elif t_claim is not None:
        t_min = psi * math.sqrt(R_E**3 / MU)
        arc = arc_for_time(psi, max(t_claim, t_min * (1 + 1e-6)))
        if t_claim * (1 + tol) <= t_min:
            reasons.append(
                f"No ballistic arc covers {_km(rng)} km in {t_claim:,.0f} s: even a grazing arc at "
                f"circular speed takes {t_min:,.0f} s.")
            fails.append(("inconsistent_times:time", reasons[-1]))
        elif arc is None:
            reasons.append(f"No ballistic arc below escape speed takes {t_claim:,.0f} s to cover "
                           f"{_km(rng)} km.")
            fails.append(("inconsistent_times:time", reasons[-1]))
        else:
            v_a, g_a = arc
            apo_a = float(apogee_radius_m(v_a, g_a)) - R_E
            arc_kind = _profile(apo_a, apo_me, tol)
            through = {"burnout_speed_km_s": v_a / 1e3, "flight_path_deg": math.degrees(g_a),
                       "flight_time_s": time_of(v_a, g_a), "apogee_km": apo_a / 1e3, "profile": arc_kind,
                       "solved_from": "flight_time", "burnout_mach": mach_of(v_a, 0.0),
                       "mach_convention": conv}
            reasons.append(
                f"Covering {_km(rng)} km in {t_claim:,.0f} s (counted from burnout) takes a {arc_kind} "
                f"arc: {_kms(v_a)} km/s at {math.degrees(g_a):.1f} deg, apogee {_km(apo_a)} km.")

    # --- with re-entry drag -----------------------------------------------------------------
    # burnout below the claimed apogee, or that of the range-and-time arc; with the range alone,
    # below the flat-Earth minimum-energy apogee, range/4 (the spherical one vanishes near
    # antipodal ranges, where the vacuum arc grazes the surface)
    h_bo = burnout_altitude_m(apo if apo is not None else
                              through["apogee_km"] * 1e3 if through is not None else rng / 4.0)
    reach = None
    if through is None:
        dr = drag_min_energy(psi, h_bo, beta)
        drag_profile = "minimum-energy"
    elif through["solved_from"] == "apogee":
        dr, reach = drag_through_apogee(psi, apo, h_bo, beta)
        drag_profile = "through-apogee"
    else:
        x0 = ascent_state(through["burnout_speed_km_s"] * 1e3, math.radians(through["flight_path_deg"]), h_bo)
        dr = drag_newton(psi, t_claim, "time", h_bo, beta, [float(x0[0]), float(x0[1])])
        if dr is not None:
            dr.pop("jacobian")
        drag_profile = "range-and-time"
    with_drag = None
    if dr is not None:
        v_se = float(surface_equivalent_speed(dr["speed_m_s"], h_bo))
        with_drag = {
            "profile": drag_profile, "reentry_beta_kg_m2": beta, "burnout_altitude_km": h_bo / 1e3,
            "burnout_speed_km_s": dr["speed_m_s"] / 1e3, "flight_path_deg": math.degrees(dr["gamma_rad"]),
            "apogee_km": dr["apogee_m"] / 1e3, "flight_time_s": dr["time_s"],
            "impact_speed_km_s": dr["impact_speed_m_s"] / 1e3, "surface_equivalent_speed_km_s": v_se / 1e3,
            "burnout_mach": mach_of(dr["speed_m_s"], h_bo), "mach_convention": conv}
        reasons.append(
            f"With re-entry drag (beta {beta:,.0f} kg/m^2, burnout {_km(h_bo)} km above the launch "
            f"point) the {drag_profile} arc needs {_kms(dr['speed_m_s'])} km/s at burnout, "
            f"{math.degrees(dr['gamma_rad']):.1f} deg, and lands at {_kms(dr['impact_speed_m_s'])} km/s; "
            f"no speed after burnout can exceed {_kms(v_se)} km/s.")
    elif reach is not None and reach < rng:
        reasons.append(
            f"With re-entry drag (beta {beta:,.0f} kg/m^2, burnout {_km(h_bo)} km up) no ballistic arc "
            f"through {_km(apo)} km apogee reaches {_km(rng)} km: the longest flies {_km(reach)} km.")
        fails.append(("too_fast_for_ballistic:apogee", reasons[-1]))
    else:
        reasons.append(f"With re-entry drag (beta {beta:,.0f} kg/m^2) the search for the {drag_profile} "
                       f"arc did not converge; the verdict rests on the vacuum arc.")

    # --- the speed the flight needs, and the claimed speed ---------------------------------
    v_need = (through["burnout_speed_km_s"] * 1e3) if through else v_me
    # The peak speed of the drag arc lies between the larger of its burnout and impact speeds
    # and its surface-equivalent speed; the band spans that and the vacuum figure.
    band = [v_need, v_need]
    if with_drag is not None:
        band = [min(v_need, max(dr["speed_m_s"], dr["impact_speed_m_s"])),
                max(v_need, with_drag["surface_equivalent_speed_km_s"] * 1e3)]
    if c["peak_speed_km_s"] is not None:
        v_claim = c["peak_speed_km_s"] * 1e3
        claim_alt = 0.0 if conv == "sea-level" else h_bo
        mach_claim = None
        claim_words = f"{v_claim / 1e3:.2f} km/s"
    elif c["peak_mach"] is not None:
        claim_alt = 0.0 if conv == "sea-level" else h_bo
        a = A_SEA_LEVEL if conv == "sea-level" else sound_speed(claim_alt)
        v_claim = c["peak_mach"] * a
        mach_claim = c["peak_mach"]
        claim_words = (f"Mach {c['peak_mach']:g} is {_kms(v_claim)} km/s at "
                       + ("sea-level sound speed (the convention South Korea's JCS appears to use)"
                          if conv == "sea-level" else
                          f"the sound speed at the {_km(h_bo)} km burnout altitude ({a:.1f} m/s)"))
    else:
        v_claim = None

    ballistic_arcs = None
    if v_claim is not None:
        if mach_claim is None:
            mach_claim = mach_of(v_claim, claim_alt)
        if through is None:  # range only: any speed from the minimum up (below escape) will do
            ok = v_claim >= band[0] * (1 - tol) and v_claim < V_ESC
            d, lft = arcs_at_speed(psi, v_claim)
            ballistic_arcs = {"depressed": None, "lofted": None}
            for name, g in (("depressed", d), ("lofted", lft)):
                if g is not None:
                    ballistic_arcs[name] = {
                        "flight_path_deg": math.degrees(g),
                        "apogee_km": (float(apogee_radius_m(v_claim, g)) - R_E) / 1e3,
                        "flight_time_s": time_of(v_claim, g)}
            if not ok and v_claim < band[0] * (1 - tol):
                reasons.append(
                    f"{claim_words}: too slow. Even the minimum-energy arc needs {_kms(band[0])} km/s "
                    f"or more, and {_kms(v_claim)} km/s carries a ballistic flight at most "
                    f"{_km(_max_range_m(v_claim))} km.")
                fails.append(("too_slow_for_any_ballistic:speed", reasons[-1]))
            elif not ok:
                reasons.append(f"{claim_words}: at or above escape speed ({_kms(V_ESC)} km/s): not a "
                               f"ballistic flight.")
                fails.append(("too_fast_for_ballistic:speed", reasons[-1]))
            elif v_claim <= v_me * (1 + tol):
                reasons.append(f"{claim_words}: consistent with a near minimum-energy ballistic flight.")
            else:
                parts = [f"a {k} arc ({a['flight_path_deg']:.1f} deg, apogee {_km(a['apogee_km'] * 1e3)} km)"
                         for k, a in ballistic_arcs.items() if a is not None]
                reasons.append(
                    f"{claim_words}: more than the {_kms(v_me)} km/s minimum, so a ballistic flight at "
                    f"that speed reaches {_km(rng)} km only on a non-minimum-energy path: "
                    + " or ".join(parts) + " (vacuum).")
        else:
            ok = band[0] * (1 - tol) <= v_claim <= band[1] * (1 + tol)
            if ok:
                reasons.append(f"{claim_words}: consistent with that arc (within ±{tol:.0%}).")
            else:
                rel = v_claim / v_need - 1
                need = (f"{_kms(v_need)} km/s in vacuum" if with_drag is None
                        else f"{_kms(band[0])}-{_kms(band[1])} km/s with and without drag")
                msg = (f"{claim_words}: {abs(rel):.0%} {'more' if rel > 0 else 'less'} than that arc "
                       f"needs ({need})")
                if apo is not None:
                    other = range_angle_through_apogee_at_speed(v_claim, R_E + apo)
                    if other is not None:
                        msg += (f"; a ballistic arc at {_kms(v_claim)} km/s through {_km(apo)} km apogee "
                                f"would land {_km(other * R_E)} km away")
                    else:
                        msg += f"; no ballistic arc at {_kms(v_claim)} km/s has a {_km(apo)} km apogee"
                if rel < 0 and v_claim < v_me * (1 - tol):
                    msg += f"; it is below even the {_kms(v_me)} km/s of the minimum-energy arc for this range"
                reasons.append(msg + ".")
                fails.append((f"{'too_fast_for_ballistic' if rel > 0 else 'too_slow_for_any_ballistic'}:speed", reasons[-1]))

    # --- flight time against the arc fixed by the apogee ------------------------------------
    if t_claim is not None and apo is not None:
        times = [through["flight_time_s"]] + ([dr["time_s"]] if with_drag is not None else [])
        lo_t, hi_t = min(times) * (1 - tol), max(times) * (1 + tol) + BOOST_ALLOWANCE_S
        ok = lo_t <= t_claim <= hi_t
        reasons.append(
            f"A flight time of {t_claim:,.0f} s is {'consistent' if ok else 'inconsistent'} with that "
            f"arc: it takes {min(times):,.0f}-{max(times):,.0f} s from burnout, plus up to "
            f"{BOOST_ALLOWANCE_S:.0f} s of boost.")
        if not ok:
            fails.append(("inconsistent_times:time", reasons[-1]))

    ballistic = not fails
    reasons.append(("The figures fit a ballistic flight" if ballistic else "No ballistic flight matches all the figures")
                   + f" (each within ±{tol:.0%}).")

    # --- boost-glide ------------------------------------------------------------------------
    glide = None
    min_ld = None
    if v_claim is not None:
        min_ld = 2.0 * rng / (R_E * math.log(1.0 / (1.0 - v_claim**2 / V_CIRC**2))) if v_claim < V_CIRC else None
        if c["glide_ld"] is None and not ballistic and min_ld is not None:
            reasons.append(
                f"A boost-glide vehicle starting an equilibrium glide at {_kms(v_claim)} km/s covers "
                f"{_km(rng)} km if its lift-to-drag ratio is at least {min_ld:.2f} (Eggers-Allen-Neice "
                f"glide range; pass glide_ld to check a given vehicle).")
    if c["glide_ld"] is not None:
        glide = _glide_block(c["glide_ld"], rng, beta, conv, v_claim if c["peak_mach"] is None else None,
                             c["peak_mach"], tol, reasons)
    verdict, failing = pick_verdict(fails)
    glide_words, beyond = (None, None) if v_claim is None else glide_clause(v_claim, min_ld)
    fit = f"The figures fit a ballistic flight (each within ±{tol:.0%})."
    sentence = verdict_sentence(verdict, failing, glide=glide_words, fit_sentence=fit)

    nominal = {"v_need": v_need, "band": band, "t_vac": through["flight_time_s"] if through else None,
               "t_drag": dr["time_s"] if with_drag is not None else None}
    given = {"range_km": range_unc, "apogee_km": apogee_unc, "flight_time_s": flight_time_unc,
             "peak_speed_km_s": peak_unc, "peak_mach": peak_unc}
    bands = uncertainty_blocks(c, given, nominal, conv, h_bo, samples, seed)
    return {
        "claim": {"range_km": c["range_km"], "apogee_km": c["apogee_km"], "flight_time_s": t_claim,
                  "peak_speed_km_s": c["peak_speed_km_s"], "peak_mach": c["peak_mach"],
                  "mach_convention": conv, "glide_ld": c["glide_ld"], "tolerance": tol},
        "earth": "sphere (R = 6371 km, point-mass gravity, non-rotating)",
        "min_energy": min_energy,
        "through_apogee": through,
        "with_drag": with_drag,
        "reentry_beta_kg_m2": beta,
        "peak_speed_km_s_needed": v_need / 1e3,
        "peak_speed_band_km_s": [band[0] / 1e3, band[1] / 1e3],
        "peak_mach_needed": mach_of(v_need, 0.0),
        "claimed_peak_speed_km_s": None if v_claim is None else v_claim / 1e3,
        "claimed_peak_mach": mach_claim if v_claim is not None else None,
        "mach_convention": conv,
        "ballistic_arcs_at_claimed_speed": ballistic_arcs,
        "min_glide_ld_for_claimed_speed": min_ld,
        "min_glide_ld_beyond_known_gliders": beyond,
        "ballistic_consistent": ballistic,
        "verdict": verdict,
        "verdict_sentence": sentence,
        "glide": glide,
        "reasons": reasons,
        **bands,
    }


def _max_range_m(speed_m_s: float) -> float:
    """Longest vacuum range (m) for a burnout speed at the surface: sin(psi/2) = Q / (2 - Q)."""
    q = speed_m_s**2 * R_E / MU
    if q >= 1.0:
        return math.pi * R_E
    return 2.0 * math.asin(q / (2.0 - q)) * R_E


def _glide_block(ld: float, rng: float, beta: float, conv: str, v_claim_fixed: float | None,
                 mach: float | None, tol: float, reasons: list[str]) -> dict:
    """The ``glide`` part of :func:`check_claim` (appends its sentences to ``reasons``)."""
    loading = beta / ld  # m/(C_L S) = m/(C_D S) / (L/D): the glider's beta is the stated one
    v_need = float(glide_speed_needed_m_s(rng, ld))
    h_need = float(glide_altitude_m(v_need, loading))
    a_need = A_SEA_LEVEL if conv == "sea-level" else sound_speed(h_need)
    out = {"ld": ld, "speed_km_s_needed": v_need / 1e3, "altitude_km": h_need / 1e3,
           "mach_needed": None if a_need is None else v_need / a_need, "mach_convention": conv,
           "lift_loading_kg_m2": loading, "checks": "speed and range (not apogee or flight time)",
           "method": "equilibrium glide at constant L/D (Eggers, Allen & Neice 1958); altitude where "
                     "lift at m/(C_L S) = reentry_beta_kg_m2 / L/D balances weight less centrifugal relief"}
    reasons.append(
        f"A glider with L/D {ld:g} needs at least {_kms(v_need)} km/s at the start of its glide to cover "
        f"{_km(rng)} km (equilibrium glide, at about {_km(h_need)} km altitude for m/(C_L S) = "
        f"{loading:,.0f} kg/m^2).")
    v_claim = v_claim_fixed
    if mach is not None:
        if conv == "sea-level":
            v_claim = mach * A_SEA_LEVEL
        else:  # the speed of sound at the glide altitude, which itself depends on the speed
            v_claim = mach * A_SEA_LEVEL
            for _ in range(30):
                a = sound_speed(float(glide_altitude_m(min(v_claim, V_CIRC * (1 - 1e-9)), loading)))
                if a is None:
                    v_claim = None
                    reasons.append(
                        f"Mach {mach:g} at the local sound speed is undefined for this glider: it would "
                        f"fly above 86 km, where US76 defines no speed of sound.")
                    break
                v_claim = mach * a
    out["claimed_speed_km_s"] = None if v_claim is None else v_claim / 1e3
    if v_claim is None:
        out["fits"] = None
        return out
    h_claim = float(glide_altitude_m(min(v_claim, V_CIRC * (1 - 1e-9)), loading))
    reach = float(glide_range_m(v_claim, ld))
    out["range_km_at_claimed_speed"] = reach / 1e3 if np.isfinite(reach) else None
    out["altitude_km_at_claimed_speed"] = h_claim / 1e3
    fits = v_need * (1 - tol) <= v_claim < V_CIRC
    out["fits"] = bool(fits)
    if v_claim >= V_CIRC:
        reasons.append(f"{_kms(v_claim)} km/s is orbital speed: no equilibrium glide starts there.")
    elif fits:
        reasons.append(
            f"The claimed {_kms(v_claim)} km/s fits a glide: it would carry this glider about "
            f"{_km(reach)} km, gliding near {_km(h_claim)} km altitude.")
    else:
        reasons.append(
            f"The claimed {_kms(v_claim)} km/s is too slow for this glider: it glides about {_km(reach)} km.")
    return out
