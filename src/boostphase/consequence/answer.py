"""Claim C5's window answer in words (kept as the window_uniform sensitivity of boostphase.claims.c5)."""


from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..resources import examples_dir
from .common import (
    ASSUMPTIONS,
    CLAIM_THRESHOLD,
    DEFAULT_WINDOW_START_S,
    TERRITORIAL_SEA_KM,
)
from .footprint import footprint
from .fragments import wilson_interval
from .scenario import Scenario, load_scenario
from .shortfall import (
    SWEEP_BETAS,
    beta_sensitivity,
    resolve_missile,
    share_of_window,
    territory_intervals,
)

# ------------------------------------------------------------------------------------------
# answering C5
# ------------------------------------------------------------------------------------------

C5_CLAIM = ("If a UAV shoots down a nuclear-armed ICBM headed for the U.S. in its boost phase, "
            "the debris will almost certainly fall on Russian territory.")

RUSSIA = "Russia"
WINDOW_STARTS_S = (60, 90, 120, 150, 180, 210, 240)
"""Window starts (s after launch) for the sensitivity of the Russia share to the assumed window."""




def _fmt_t(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 1e-6 else f"{x:.1f}"


def _fmt_intervals(ivs: Sequence[dict], name: str) -> str:
    runs = [f"{_fmt_t(iv['from_s'])}-{_fmt_t(iv['to_s'])} s" for iv in ivs if iv["territory"] == name]
    return ", ".join(runs) if runs else "no cut-off time"


def _fmt_shares(shares: dict[str, float], k: int = 4, skip: str | None = None) -> str:
    items = [(t, s) for t, s in shares.items() if t != skip]
    txt = ", ".join(f"{t} {s:.0%}" for t, s in items[:k])
    rest = sum(s for _, s in items[k:])
    return txt + (f", other {rest:.0%}" if rest > 0.005 else "")


def c5_answer(paths: Sequence[str | Path] | None = None, fragments: int | None = 4_000,
              seed: int | None = None, betas: Sequence[float | None] | None = SWEEP_BETAS) -> list[dict]:
    """Claim C5 checked for each scenario (default: ``examples/c5_*.toml``).

    For each target: the intercept window (from the engagement analysis where the scenario asks
    for it and an orbit can intercept; else the assumed one, said so in ``window_assumption``),
    the territories under the payload's shortfall trace across the window, the share of the
    window landing in Russia (land), the same share counting Russian territorial sea (within 12
    nmi of Russia), a fragment footprint over the window (shares with Wilson intervals), the
    payload shares for each ballistic coefficient of ``betas`` (one batched engine call; None:
    vacuum; empty or None: no table) and verdict strings composed from these computed numbers.
    The claim "holds" for a target when both the payload and the debris land in Russia in at
    least :data:`CLAIM_THRESHOLD` of the cases (the fragment share by the lower end of its
    interval).
    """
    from ..models.geography import distance_to_territory_km

    if paths is None:
        paths = sorted(examples_dir().glob("c5_*.toml"))
        if not paths:
            raise InputError("paths", str(examples_dir()), "a folder with c5_*.toml scenario files")
    answers = []
    for p in paths:
        sc = load_scenario(p)
        fp = footprint(sc, n=fragments, seed=seed, include_payload=True)
        pay = fp.payload
        a, b = fp.intercept["from_s"], fp.intercept["to_s"]
        ivs = pay["intervals"]
        share = pay["share_of_window"]
        ru_pay = share.get(RUSSIA, 0.0)
        # generous reading: sea points within 12 nmi of Russia count as Russian (territorial sea)
        imp = pay["impacts"]
        plat = np.array([x["lat"] for x in imp])
        plon = np.array([x["lon"] for x in imp])
        near_ru = distance_to_territory_km(plat, plon, RUSSIA) <= TERRITORIAL_SEA_KM
        ivs_ts = territory_intervals([x["intercept_s"] for x in imp],
                                     np.where(near_ru, RUSSIA, "elsewhere"))
        ru_pay_ts = share_of_window(ivs_ts, a, b).get(RUSSIA, 0.0) if len(imp) > 1 else float(near_ru[0])
        ru_frag = fp.shares.get(RUSSIA, 0.0)
        ru_ci = fp.shares_ci.get(RUSSIA, list(map(float, wilson_interval(0, fp.n))))
        holds = ru_pay >= CLAIM_THRESHOLD and ru_ci[0] >= CLAIM_THRESHOLD
        tgt_name = sc.title or Path(p).stem
        ru_runs = _fmt_intervals(ivs, RUSSIA)
        src = fp.intercept.get("window_source", "assumed")
        note = fp.intercept.get("window_note", ASSUMPTIONS["window"])
        verdict = (
            f"{tgt_name}: the claim {'HOLDS' if holds else 'does NOT hold'}. "
            f"With thrust cut at a time spread evenly over {a:.0f}-{b:.0f} s after launch ("
            f"{'earliest intercept of the engagement analysis to burnout' if src == 'engagement' else 'an assumed window' if src == 'assumed' else 'the scenario window'}), the intact "
            f"payload lands in Russia for {ru_pay:.0%} of the window (cut-offs at {ru_runs}); "
            f"counting Russia's 12-nmi territorial sea, {ru_pay_ts:.0%}. Elsewhere it lands in: "
            f"{_fmt_shares(share, skip=RUSSIA) or 'nowhere else'}. Booster fragments "
            f"(n={fp.n}) land in Russia in {ru_frag:.0%} of cases (95 % CI {ru_ci[0]:.0%}-{ru_ci[1]:.0%})."
        )
        sequence = " -> ".join(f"{iv['territory']} ({_fmt_t(iv['from_s'])}-{_fmt_t(iv['to_s'])} s)" for iv in ivs)
        # how the answer moves with the start of the window
        by_start = {}
        for t0 in WINDOW_STARTS_S:
            if a <= t0 < b:
                by_start[f"{t0:g}"] = share_of_window(ivs, t0, b).get(RUSSIA, 0.0)
        plain = (f"For {tgt_name}, the intercept window is {a:.0f}-{b:.0f} s after launch ({note}). "
                 f"The payload lands on Russian land only if the boost is cut at {ru_runs}. "
                 f"Across the window the impact point runs: {sequence}.")
        if by_start:
            why = ("it depends on the laydown, the interceptor and the delays" if src == "engagement"
                   else "the window is an assumption")
            plain += (f" The start matters ({why}); Russia's share of the payload impacts if the window opened "
                      "at: " + ", ".join(f"{k} s {v:.0%}" for k, v in by_start.items()) + ".")
        sweep = []
        if betas and len(imp) >= 1:
            th = fp.threat
            sweep = beta_sensitivity(resolve_missile(sc.threat.missile, sc.threat.payload_kg),
                                     (th["launch"]["lat"], th["launch"]["lon"]), th["azimuth_deg"], th["kick_deg"],
                                     [x["intercept_s"] for x in imp], (a, b), betas)
            for row in sweep:
                row["russia_share"] = row["share_of_window"].get(RUSSIA, 0.0)
            plain += (" The payload's ballistic coefficient is an assumption; Russia's share of the window: "
                      + ", ".join(f"{r['russia_share']:.0%} at {r['label']}" for r in sweep) + ".")
        answers.append({
            "scenario": str(p), "title": sc.title, "threat": fp.threat, "window_s": [a, b],
            "window_assumption": note, "window_source": src, "engagement": fp.intercept.get("engagement"),
            "beta_sweep": sweep,
            "territories": ivs, "share_of_window": share, "payload_impacts": imp, "russia_share": ru_pay,
            "russia_share_with_territorial_sea": ru_pay_ts, "russia_share_by_window_start_s": by_start,
            "fragments": {"n": fp.n, "seed": fp.seed, "shares": fp.shares, "shares_ci": fp.shares_ci,
                          "russia_share": ru_frag, "russia_ci": ru_ci},
            "stages": fp.stages, "cities_at_risk": fp.cities_at_risk[:10],
            "claim_holds": bool(holds), "verdict": verdict, "plain": plain, "sequence": sequence,
            "threshold": CLAIM_THRESHOLD,
        })
    return answers


def c5_summary(answers: Sequence[dict]) -> str:
    """One paragraph over all targets, composed from :func:`c5_answer`'s numbers."""
    held = [a["title"] for a in answers if a["claim_holds"]]
    failed = [a["title"] for a in answers if not a["claim_holds"]]
    ru = ", ".join(f"{a['title']} {a['russia_share']:.0%}" for a in answers)
    txt = f'Claim C5 ("{C5_CLAIM}"): share of the intercept window putting the payload on Russian land: {ru}. '
    by_src: dict[str, list[str]] = {}
    for a in answers:
        by_src.setdefault(a.get("window_source", "assumed"), []).append(a["title"])
    words = {"engagement": "from the engagement analysis (earliest intercept of the UAV laydown to burnout)",
             "assumed": f"assumed ({DEFAULT_WINDOW_START_S:g} s after launch to burnout)",
             "scenario": "given in the scenario", "time": "a fixed intercept time"}
    txt += "Windows: " + "; ".join(f"{words.get(k, k)} for {', '.join(v)}" for k, v in by_src.items()) + ". "
    if failed and not held:
        txt += "The claim does not hold for any of these targets."
    elif held and not failed:
        txt += "The claim holds for all of these targets."
    else:
        txt += f"It holds for {', '.join(held)} and not for {', '.join(failed)}."
    return txt


def scenario_dict(sc: Scenario) -> dict[str, Any]:
    """The validated scenario as plain data (SI units)."""
    return sc.model_dump()
