"""The one-word verdict of a claim check, and the plain sentence that goes with it.

:func:`boostphase.claims.check.check_claim` records which of its checks failed and why; this module
turns that into ``verdict`` (a contract of ``boostphase check --json``), one of

* ``consistent`` - one ballistic flight matches every given figure (each within the tolerance);
* ``too_fast_for_ballistic`` - the figures need more than a ballistic flight gives them: a claimed
  speed above what the ballistic arc with the claimed range (and apogee or flight time) has, a
  speed at or above escape speed, or a range that no ballistic arc through the claimed apogee
  reaches. A glide or a powered manoeuvre is implied;
* ``too_slow_for_any_ballistic`` - the claimed speed is below what every ballistic flight that
  matches the other claimed figures needs (with the range alone: below the minimum-energy speed
  for that range, so no ballistic flight at that speed covers it);
* ``inconsistent_times`` - the speed (if any) fits, but the claimed flight time fits no ballistic
  arc of that range (and apogee).

When several checks fail, a speed verdict wins over an unreachable apogee, and both over the
flight time: the speed is the headline figure of such claims.

Gliders. A claimed speed that does not fit a ballistic arc may still fit a boost-glide flight:
the sentence states the least lift-to-drag ratio L/D for an equilibrium glide from that speed
to cover the range (Eggers, Allen & Neice, NACA Report 1382, 1958) and whether it is beyond any
known hypersonic glider. Public figures: the HTV-2 class of glider is credited with L/D about
2.6 (J. M. Acton, "Hypersonic Boost-Glide Weapons", Science & Global Security 23 (2015) 191-219;
C. L. Tracy and D. Wright, "Modeling the Performance of Hypersonic Boost-Glide Missiles",
Science & Global Security 28 (2020) 135-170, model HTV-2-like gliders with L/D 2.6); hypersonic
glide bodies are generally put at L/D 2-4 at Mach 10-20 in the open literature. We call a
required L/D above :data:`KNOWN_GLIDER_LD_MAX` (4) "beyond any known hypersonic glider".
"""

from __future__ import annotations

__all__ = ["HTV2_LD", "KNOWN_GLIDER_LD_MAX", "VERDICTS", "glide_clause", "pick_verdict", "verdict_sentence"]

VERDICTS = ("consistent", "too_fast_for_ballistic", "too_slow_for_any_ballistic", "inconsistent_times")

HTV2_LD = 2.6
"""Lift-to-drag ratio credited to the HTV-2 class of hypersonic glider (Acton 2015; Tracy & Wright
2020 use 2.6 for their HTV-2-like model)."""

KNOWN_GLIDER_LD_MAX = 4.0
"""Upper end of the L/D 2-4 range quoted for hypersonic glide bodies at Mach 10-20: a glide that
needs more is "beyond any known hypersonic glider"."""

_PRIORITY = ("too_fast_for_ballistic:speed", "too_slow_for_any_ballistic:speed",
             "too_fast_for_ballistic:apogee", "inconsistent_times:time")


def pick_verdict(failures: list[tuple[str, str]]) -> tuple[str, str | None]:
    """(verdict, the failing check's sentence) from ``(kind, sentence)`` pairs, ``kind`` being
    ``"<verdict>:<what>"``; ``("consistent", None)`` when nothing failed."""
    for key in _PRIORITY:
        for kind, text in failures:
            if kind == key:
                return key.split(":")[0], text
    if failures:
        kind, text = failures[0]
        return kind.split(":")[0], text
    return "consistent", None


def glide_clause(speed_m_s: float, min_ld: float | None) -> tuple[str, bool | None]:
    """(sentence part, beyond known gliders?) for a glide from ``speed_m_s`` needing at least
    ``min_ld`` (None: at or above circular speed, no equilibrium glide)."""
    v = f"{speed_m_s / 1e3:.2f} km/s"
    if min_ld is None:
        return f"{v} is orbital speed: no equilibrium glide starts there.", None
    if min_ld > KNOWN_GLIDER_LD_MAX:
        return (f"A glide from {v} would need a lift-to-drag ratio of at least {min_ld:.1f}: beyond any "
                f"known hypersonic glider (above {KNOWN_GLIDER_LD_MAX:g}; the HTV-2 class is credited with "
                f"about {HTV2_LD:g}, Acton 2015).", True)
    return (f"A glide from {v} would need a lift-to-drag ratio of at least {min_ld:.2f}, within what "
            f"hypersonic gliders achieve (the HTV-2 class is credited with about {HTV2_LD:g}, Acton 2015).",
            False)


def verdict_sentence(verdict: str, failing: str | None, *, fit_sentence: str,
                     glide: str | None) -> str:
    """The plain sentence of a verdict: what failed (``failing``, the check's own sentence), what
    it implies, and (for speed verdicts) the glide that would be needed (``glide``)."""
    if verdict == "consistent":
        return fit_sentence
    lead = {"too_fast_for_ballistic": "Too fast for a ballistic flight. ",
            "too_slow_for_any_ballistic": "Too slow for any ballistic flight with these figures. ",
            "inconsistent_times": "The flight time fits no ballistic flight with these figures. "}[verdict]
    out = lead + (failing or "")
    if verdict == "too_fast_for_ballistic":
        out += " A glide or a powered manoeuvre is implied."
    if glide and verdict in ("too_fast_for_ballistic", "too_slow_for_any_ballistic"):
        out += " " + glide
    return out
