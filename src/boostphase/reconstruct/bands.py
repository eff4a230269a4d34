"""Reach bands: the implied reach of a test as a distribution over the class model's uncertain
inputs (MISSION claims C1 and C2), and the altitude band of an overflight (claim C6).

Reach band, method
------------------
The point reconstruction (:func:`boostphase.reconstruct.reconstruction.reconstruct`) fits one
class model. Its inputs are assumptions with ranges, not measurements, so the band samples them
(seeded, counter-based: :func:`boostphase.ensembles.sample`, so member ``i`` is the same whatever
the chunking or the number of threads) from the ranges of :data:`REACH_INPUTS`:

* ``burn_time_factor_stageK``: every stage's burn time, independently, x0.8-1.2 at the same
  propellant (so thrust / factor): the burn times of the class models are derived from claimed
  or assumed thrusts (catalog sources say "flagged"), and +-20 % is the range of the point
  reconstruction's burn-time variants;
* ``dry_mass_factor``: every stage's dry (structural) mass x0.85-1.15, one factor for all stages
  (one structural technology): an explicit assumption, about the spread of the structural
  ratios the catalog's sources quote for stages of this class (0.08-0.18);
* ``isp_factor``: every stage's vacuum and sea-level Isp together x0.97-1.03: an explicit
  assumption, +-3 % for a known propellant family (storable NTO/UDMH-class liquids or a
  composite solid), about the spread of the Isp values quoted for engines of one family in
  Sutton & Biblarz, Rocket Propulsion Elements (ch. 5).

All three are uniform (no public source says more than a range). The payload is not sampled:
each member's payload (and pitch-over kick) is refitted to the reported apogee and range by
:func:`~boostphase.reconstruct.reconstruction.fit_vehicle`, at the propellant of the point fit
(no further propellant scaling). A member the fit cannot make fly the test (no payload works,
it cannot lift off, or its fit misses the apogee or range by more than ``tolerance``) is
**ruled out** by the test: counted in ``n_ruled_out`` with its reason, never dropped silently.
Each fitted member is flown on a minimum-energy trajectory over a non-rotating Earth (as the
point reconstruction's ``max_range_km``); a member whose flight does not come down or flies
18,000 km or more is **global** (:func:`~boostphase.reconstruct.reconstruction.is_global`).

Output (:func:`summarise`): ``median_km``, ``p10_km``, ``p90_km`` over the *finite* fitted
members; ``p_global`` (share of the fitted members that are global, with its 95 % Wilson
interval); ``n`` (members sampled), ``n_ruled_out``; ``inputs`` (each range and its reason);
``sensitivity`` (each input's effect on the reach: median of its high tercile minus its low one,
global members counted at 18,000 km). Cost: one member is one fit (a chain of small batched
engine calls, about 2,000 flights) plus one flyout: 0.5-1 s on one core; members run side by
side on the engine threads.

Altitude band over Japan (C6)
-----------------------------
:func:`altitude_band` flies a reported overflight test (``overflight --test DATE``) with its
reported apogee and range sampled over their stated uncertainty (:data:`PASSAGE_FIGURES`), each
member refitted (payload and kick) by a Newton step from the nominal fit, and reports the
lowest and highest altitude over the territory's land in each member, with the 10-90 % band.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from .. import ensembles as ens
from ..errors import InputError, check_range
from ..models.earth import WGS84
from .reconstruction import GLOBAL_RANGE_M, fit_vehicle, is_global

BURN_TIME_RANGE = (0.8, 1.2)
DRY_MASS_RANGE = (0.85, 1.15)
ISP_RANGE = (0.97, 1.03)

REACH_INPUTS = {
    "burn_time_factor_stage": (BURN_TIME_RANGE, "every stage's burn time, sampled independently per "
                               "stage, at the same propellant (thrust / factor): burn times of the class "
                               "models are derived from claimed or assumed thrusts (flagged in the catalog); "
                               "+-20 % as the point reconstruction's burn-time variants"),
    "dry_mass_factor": (DRY_MASS_RANGE, "every stage's dry (structural) mass, one factor for all stages: "
                        "explicit assumption, +-15 %, about the spread of the structural ratios the "
                        "catalog's sources quote for stages of this class"),
    "isp_factor": (ISP_RANGE, "vacuum and sea-level Isp of every stage together: explicit assumption, "
                   "+-3 % for a known propellant family (Sutton & Biblarz, Rocket Propulsion Elements, ch. 5)"),
}
"""Each sampled input: (uniform range of the factor, why that range)."""

DEFAULT_TOLERANCE = 0.02
"""Largest relative miss of the fitted apogee or range for a member to count as flying the test
(as ``boostphase tests`` holds the point fit; 5 % for figures reported only approximately)."""


def reach_inputs(n_stages: int) -> dict[str, ens.Distribution]:
    """The sampled inputs of a vehicle with ``n_stages`` stages (names -> uniform factors)."""
    lo, hi = BURN_TIME_RANGE
    d = {f"burn_time_factor_stage{k + 1}": ens.Distribution("uniform", (lo, hi)) for k in range(n_stages)}
    d["dry_mass_factor"] = ens.Distribution("uniform", DRY_MASS_RANGE)
    d["isp_factor"] = ens.Distribution("uniform", ISP_RANGE)
    return d


def inputs_table(n_stages: int) -> dict:
    """The inputs with their ranges and reasons, for the JSON output."""
    out = {}
    for name, dist in reach_inputs(n_stages).items():
        key = "burn_time_factor_stage" if name.startswith("burn_time_factor_stage") else name
        out[name] = {**dist.to_dict(), "why": REACH_INPUTS[key][1]}
    return out


def member_vehicle(base, factors: dict):
    """``base`` with one member's factors applied (burn time per stage at the same propellant,
    dry mass of every stage, vacuum and sea-level Isp of every stage); notes say what changed.
    Raises InputError when the result is not a valid missile (e.g. it cannot lift off)."""
    isp, dry = float(factors["isp_factor"]), float(factors["dry_mass_factor"])
    stages = []
    for k, s in enumerate(base.stages):
        bf = float(factors[f"burn_time_factor_stage{k + 1}"])
        stages.append(replace(s, burn_time_s=s.burn_time_s * bf, dry_mass_kg=s.dry_mass_kg * dry,
                              isp_vac_s=s.isp_vac_s * isp,
                              isp_sl_s=None if s.isp_sl_s is None else s.isp_sl_s * isp))
    what = ", ".join(f"{k} x{float(v):.4f}" for k, v in factors.items())
    return replace(base, stages=tuple(stages), notes=f"{base.notes.rstrip()}\nReach-band member: {what}.")


@dataclass(frozen=True)
class Test:
    """What a band member is fitted to: reported apogee and range (m), launch point (deg),
    test azimuth (deg) and the largest relative miss of the fit accepted."""

    apogee_m: float
    range_m: float
    lat: float
    lon: float
    azimuth_deg: float = 90.0
    tolerance: float = DEFAULT_TOLERANCE


def fly_member(base, factors: dict, test: Test) -> dict:
    """One member: build the vehicle, refit its payload to the test, fly it on a minimum-energy
    trajectory over a non-rotating Earth. Returns ``{"payload_kg", "reach_km" (None if global),
    "global_reach"}`` or ``{"ruled_out": why}``."""
    from ..flight.flyout import fly

    try:
        vehicle = member_vehicle(base, factors)
        fit = fit_vehicle(vehicle, test.apogee_m, test.range_m, test.lat, test.lon, test.azimuth_deg,
                          scale_propellant=False)
    except InputError as e:
        return {"ruled_out": str(e)}
    miss = max(abs(fit.apogee_m - test.apogee_m) / test.apogee_m, abs(fit.range_m - test.range_m) / test.range_m)
    if miss > test.tolerance:
        return {"ruled_out": f"best fit misses the reported apogee or range by {miss:.1%} "
                             f"(> {test.tolerance:.0%})"}
    std = fly(fit.missile, test.lat, test.lon, azimuth_deg=test.azimuth_deg, profile="min-energy",
              earth=WGS84.without_rotation())
    g = is_global(std)
    return {"payload_kg": fit.payload_kg, "reach_km": None if g else std.range_m / 1e3, "global_reach": g}


def member_jobs(base, seed: int, start: int, stop: int) -> list[dict]:
    """The sampled factors of members ``start`` to ``stop - 1`` (pure functions of seed, input
    name and index)."""
    draws = ens.sample(reach_inputs(len(base.stages)), seed, start, stop)
    return [{"index": i, "inputs": {k: float(v[j]) for k, v in draws.items()}}
            for j, i in enumerate(range(start, stop))]


def run_members(base, test: Test, jobs: list[dict], workers: int | None = None, progress=None) -> list[dict]:
    """Fly ``jobs`` (from :func:`member_jobs`) side by side on ``workers`` threads (default: the
    engine's); ``progress()`` is called once per finished member. Each member's result depends
    on its inputs only, so the thread count does not change it."""
    from ..flight.flyout import engine_threads

    def one(job):
        r = {**job, **fly_member(base, job["inputs"], test)}
        if progress is not None:
            progress()
        return r

    nw = max(1, min(workers or engine_threads(), len(jobs) or 1))
    with ThreadPoolExecutor(nw) as pool:
        return list(pool.map(one, jobs))


def reach_band(base, test: Test, n: int = 40, seed: int = 0, workers: int | None = None,
               progress=None) -> dict:
    """The reach band of one test (see the module docstring): ``n`` members of ``base`` (a
    Missile: the class model at the point fit's propellant) fitted to ``test``."""
    n = int(check_range("--band", n, 1, 10_000))
    seed = int(check_range("--seed", seed, 0, 2**63 - 1))
    members = run_members(base, test, member_jobs(base, seed, 0, n), workers, progress)
    return summarise(members, len(base.stages), seed)


def reconstruction_band(res: dict, base, apogee_km: float, range_km: float, launch, azimuth_deg: float,
                        n: int, seed: int = 0, progress=None) -> dict:
    """The reach band of a reconstruction ``res`` (:func:`reconstruct`'s answer): members of
    ``base`` (the fitted class model, a Missile) at the point fit's propellant, fitted to the same
    test (km; ``launch`` (lat, lon) deg or None for reconstruct()'s default point)."""
    pf = res["fit"].get("propellant_factor", 1.0)
    if abs(pf - 1.0) > 1e-9:
        base = base.scaled(propellant_factor=pf)
    lat, lon = launch if launch is not None else (40.0, 127.0)  # reconstruct()'s default launch point
    return reach_band(base, Test(apogee_km * 1e3, range_km * 1e3, lat, lon, azimuth_deg), n=n, seed=seed,
                      progress=progress)


def _q(x: np.ndarray, q: float) -> float | None:
    return float(np.quantile(x, q)) if x.size else None


def summarise(members: list[dict], n_stages: int, seed: int) -> dict:
    """The band of a list of flown members (:func:`run_members`)."""
    fitted = [m for m in members if "ruled_out" not in m]
    finite = np.array([m["reach_km"] for m in fitted if not m["global_reach"]], float)
    glob = np.array([m["global_reach"] for m in fitted], bool)
    prop = ens.proportion(glob)
    reasons: dict[str, int] = {}
    for m in members:
        if "ruled_out" in m:
            key = m["ruled_out"].split(":")[0][:120]
            reasons[key] = reasons.get(key, 0) + 1
    return {
        "median_km": _q(finite, 0.5), "p10_km": _q(finite, 0.1), "p90_km": _q(finite, 0.9),
        "p_global": prop["p"], "p_global_ci95": prop["ci95"],
        "n": len(members), "n_ruled_out": len(members) - len(fitted), "n_fitted": len(fitted),
        "n_finite": int(finite.size), "seed": seed,
        "quantiles_over": "the finite fitted members (global members are in p_global; ruled-out ones in n_ruled_out)",
        "inputs": inputs_table(n_stages),
        "sensitivity": reach_sensitivity(fitted),
        "ruled_out_reasons": reasons,
        "method": ("each member: the class model with its burn times (per stage, same propellant), dry masses "
                   "and Isp scaled by sampled factors; payload and kick refitted to the reported apogee and "
                   "range; flown on a minimum-energy trajectory over a non-rotating Earth; global when it does "
                   f"not come down or flies {GLOBAL_RANGE_M / 1e3:,.0f} km or more"),
        "members": [{"index": m["index"], "inputs": m["inputs"],
                     **({"ruled_out": m["ruled_out"]} if "ruled_out" in m else
                        {"payload_kg": m["payload_kg"], "reach_km": m["reach_km"], "global_reach": m["global_reach"]})}
                    for m in members],
    }


def reach_sensitivity(fitted: list[dict]) -> list[dict]:
    """Which input moves the reach most: for each input, the median reach (km; a global member
    counted at 18,000 km) of the members in its highest tercile minus that of its lowest,
    largest change first. Needs at least 3 fitted members."""
    if len(fitted) < 3:
        return []
    reach = [GLOBAL_RANGE_M / 1e3 if m["global_reach"] else m["reach_km"] for m in fitted]
    rows = tercile_effects({k: [m["inputs"][k] for m in fitted] for k in fitted[0]["inputs"]}, reach)
    for r in rows:
        r["effect_km"] = r.pop("effect")
        r["median_low_tercile_km"] = r.pop("median_low_tercile")
        r["median_high_tercile_km"] = r.pop("median_high_tercile")
        r["method"] = "median reach of the high tercile minus the low (global counted at 18,000 km)"
    return rows


def tercile_effects(inputs: dict, y) -> list[dict]:
    """For each input (name -> values), the median of ``y`` over the samples in its highest
    tercile minus that over its lowest (``effect``, in y's unit), largest change first."""
    y = np.asarray(y, float)
    rows = []
    for name, x in inputs.items():
        x = np.asarray(x, float)
        lo_q, hi_q = np.quantile(x, [1 / 3, 2 / 3])
        lo, hi = float(np.median(y[x <= lo_q])), float(np.median(y[x >= hi_q]))
        rows.append({"input": name, "effect": hi - lo, "median_low_tercile": lo, "median_high_tercile": hi,
                     "low_tercile_max": float(lo_q), "high_tercile_min": float(hi_q),
                     "method": "median of the high tercile minus the low"})
    return sorted(rows, key=lambda r: -abs(r["effect"]))


# ------------------------------------------------------------------------------------------
# C6: the altitude band over a territory of a reported overflight
# ------------------------------------------------------------------------------------------

PASSAGE_FIGURES = {
    "2017-08-29": {
        "apogee_km": (525.0, 575.0, "ROK JCS 'around 550 km', Japan 550 km (data/nk_tests.toml): read as "
                                    "rounded to the nearest 50 km"),
        "range_km": (2650.0, 2800.0, "Japan 'about 2,700 km' read as rounded to the nearest 100 km (from "
                                     "2,650 km) and ROK JCS 'more than 2,700 km' (taken as up to 2,800 km; "
                                     "Japan put the fall about 1,180 km east of Cape Erimo)"),
    },
    "2017-09-15": {
        "apogee_km": (750.0, 825.0, "Japan MOD 'approx. 800 km', ROK JCS 'about 770 km' "
                                    "(data/nk_tests.toml): both, each rounded to the nearest 50 km"),
        "range_km": (3650.0, 3750.0, "Japan MOD and ROK JCS 'approx. 3,700 km': rounded to the nearest 100 km"),
    },
}
"""Stated uncertainty of the reported figures of the overflights of Japan: (low, high, why);
sampled uniformly (the reports give rounded figures, not errors)."""


def passage_inputs(date: str) -> dict[str, ens.Distribution]:
    """The sampled reported figures of the overflight test of ``date`` (uniform, km)."""
    if date not in PASSAGE_FIGURES:
        raise InputError("--test", date, "a test with stated figure uncertainties: " + ", ".join(PASSAGE_FIGURES))
    return {k: ens.Distribution("uniform", v[:2], unit="km") for k, v in PASSAGE_FIGURES[date].items()}


def passage_member(nominal: dict, apogee_km: float, range_km: float, dt_s: float = 1.0,
                   tol: float = 2e-3) -> dict:
    """One member of the altitude band: the nominal fit of ``nominal`` (a
    :func:`~boostphase.reconstruct.overflight.fly_reported_test` report) refitted by a Newton
    step to (apogee_km, range_km), its overflight, and the lowest and highest altitude (km)
    over the passage territory's land. ``{"ruled_out": why}`` when the refit misses by more
    than ``tol`` (relative)."""
    from ..models.vehicles import load
    from .overflight import overflight, refine_fit

    t = nominal["test"]
    base = load(t["fit"]["model"])
    apo, rng = apogee_km * 1e3, range_km * 1e3
    try:
        _, _, tr = refine_fit(base, t["fit"]["payload_kg"], t["fit"]["kick_deg"], apo, rng,
                              t["site"]["lat"], t["site"]["lon"], t["azimuth_deg"], tol=tol / 2)
    except InputError as e:
        return {"ruled_out": str(e)}
    if not tr.impacted:
        return {"ruled_out": "the refitted flight does not come down"}
    miss = max(abs(tr.apogee_m - apo) / apo, abs(tr.range_m - rng) / rng)
    if miss > tol:
        return {"ruled_out": f"the refit misses the sampled apogee or range by {miss:.2%} (> {tol:.1%})"}
    where = t.get("passage", {}).get("territory", "Japan")
    segs = [s for s in overflight(tr, dt_s=dt_s)["segments"] if s["territory"] == where]
    if not segs:
        return {"over": False, "min_altitude_km": None, "max_altitude_km": None}
    return {"over": True, "min_altitude_km": min(s["min_altitude_km"] for s in segs),
            "max_altitude_km": max(s["max_altitude_km"] for s in segs)}


def _band(x) -> dict:
    x = np.asarray(x, float)
    return {"p10": _q(x, 0.1), "median": _q(x, 0.5), "p90": _q(x, 0.9)}


def altitude_band(date: str, n: int = 16, seed: int = 0, dt_s: float = 1.0, workers: int | None = None,
                  nominal: dict | None = None) -> dict:
    """The altitude over the passage territory's land (Japan) of the test of ``date`` flown as
    reported, over the reported figures' stated uncertainty (:data:`PASSAGE_FIGURES`): ``p10``,
    ``median``, ``p90`` (km) of each member's lowest altitude over that land, the same for the
    highest (``max_altitude_km``), ``n``, ``n_over`` (members passing over it), ``n_ruled_out``."""
    from ..flight.flyout import engine_threads
    from .overflight import fly_reported_test

    n = int(check_range("band n", n, 1, 10_000))
    seed = int(check_range("--seed", seed, 0, 2**63 - 1))
    dists = passage_inputs(date)
    nominal = nominal or fly_reported_test(date, dt_s=dt_s)
    draws = ens.sample(dists, seed, 0, n)
    jobs = [{"index": i, "inputs": {k: float(v[i]) for k, v in draws.items()}} for i in range(n)]

    def one(job):
        return {**job, **passage_member(nominal, job["inputs"]["apogee_km"], job["inputs"]["range_km"], dt_s)}

    with ThreadPoolExecutor(max(1, min(workers or engine_threads(), n))) as pool:
        members = list(pool.map(one, jobs))
    over = [m for m in members if m.get("over")]
    lows = [m["min_altitude_km"] for m in over]
    return {
        **_band(lows), "n": n, "n_over": len(over),
        "n_ruled_out": sum("ruled_out" in m for m in members), "seed": seed,
        "territory": nominal["test"].get("passage", {}).get("territory", "Japan"),
        "quantity": "each member's lowest altitude over the territory's land (km); max_altitude_km: its highest",
        "min_altitude_km": _band(lows), "max_altitude_km": _band([m["max_altitude_km"] for m in over]),
        "sensitivity": (tercile_effects({k: [m["inputs"][k] for m in over] for k in dists}, lows)
                        if len(over) >= 3 else []),
        "inputs": {k: {**d.to_dict(), "why": PASSAGE_FIGURES[date][k][2]} for k, d in dists.items()},
        "method": ("reported apogee and range sampled over their stated uncertainty; each member's payload and "
                   "kick refitted from the nominal fit by a Newton step on both (same model, site and azimuth); "
                   f"its overflight sampled every {dt_s:g} s"),
        "members": members,
    }
