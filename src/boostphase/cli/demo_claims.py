"""The demo's answers to claims C1 (Hwasong-14 reach), C2 (the 2017 timeline), C3 (the 2024
'Mach 14' IRBM) and C6 (over Japan), and the closing answers to C1-C6 in plain words
(:func:`plain_words`), each with its condition and its most sensitive input."""

from __future__ import annotations

from pathlib import Path

DEMO_BAND_N = 12
"""Members of the demo's Hwasong-14 reach band (small, to keep `make demo` under a minute;
`boostphase tests` uses 32 per test)."""

DEMO_ALTITUDE_N = 8
"""Members of the demo's altitude band over Japan."""


def run(con, out: Path) -> dict:
    """C1, C3, C6 and C2 of the demo; returns what :func:`plain_words` needs."""
    from ..reconstruct.reconstruction import reconstruct

    con.rule("[bold]C1: did the Hwasong-14 test of 28 July 2017 show reach to most of the US?")
    site = (40.61556, 126.46306)
    res = reconstruct(3724.9, 998.0, 2832.0, launch=site, test_azimuth_deg=90.0,
                      cities=["Los Angeles", "Denver", "Chicago", "Washington", "New York", "Seattle"],
                      sensitivity=False, n_azimuths=36)
    con.print(f"Reported: apogee 3,724.9 km, range 998 km, 47 min 12 s. Fitted model ({res['missile_model']}, "
              f"payload {res['fit']['payload_kg']:.0f} kg) flies {res['fit']['apogee_km']:,.0f} km / "
              f"{res['fit']['range_km']:,.0f} km / {res['fit']['flight_time_s'] / 60:.1f} min.")
    std = "global" if res["global_reach"] else f"{res['max_range_km']:,.0f} km"
    con.print(f"On a minimum-energy trajectory over a non-rotating Earth: [bold]{std}[/] "
              f"(D. Wright, UCS 2017: ~10,400 km).")
    from ..models.vehicles import load
    from ..reconstruct import bands
    from .commands import band_words

    band = bands.reach_band(load(res["missile_model"]), bands.Test(3724.9e3, 998e3, *site, 90.0), n=DEMO_BAND_N)
    con.print("  " + band_words(band))
    for c in res["cities"]:
        if c["global_reach"]:
            con.print(f"  {c['name']:>15}: {c['distance_km']:7,.0f} km away, reach that way  global "
                      f"-> IN reach (the flight that way does not come down short of 18,000 km, with rotation)")
            continue
        con.print(f"  {c['name']:>15}: {c['distance_km']:7,.0f} km away, reach that way {c['range_km']:7,.0f} km "
                  f"-> {'IN reach' if c['in_reach'] else 'out of reach'} ({c['margin_km']:+,.0f} km, with rotation)")
    # azimuthal-equidistant view centred on the launch site, over the coastlines
    from ..present.reach import reach_by_azimuth

    reach_by_azimuth(res, out / "hwasong14_reach.png", launch=site,
                     title="Hwasong-14 (28 Jul 2017) reconstructed reach from Mupyong-ni\n"
                           "radius: ground distance (km); angle: bearing from north")
    con.print(f"plot: {out / 'hwasong14_reach.png'}")

    from ..claims.check import check_claim

    con.rule("[bold]C3: the IRBM of 14 Jan 2024: 1,000 km, ~100 km altitude, 'Mach 14' or 'just Mach 5'?")
    c3 = {}
    for mach in (14.0, 5.0):
        r = check_claim(1000.0, apogee_km=100.0, peak_mach=mach)
        c3[mach] = r
        con.print(f"Mach {mach:g} ({r.get('mach_convention', 'sea-level')} convention): "
                  f"verdict {r['verdict']}. {r['verdict_sentence']}")
        for reason in r["reasons"]:
            con.print(f"  - {reason}")
    # which reported number moves the Mach 14 verdict: range and apogee each moved by 20 %
    moved = {f"{what} x{f:g}": check_claim(1000.0 * (f if what == "range" else 1.0),
                                            apogee_km=100.0 * (f if what == "apogee" else 1.0),
                                            peak_mach=14.0)["verdict"]
             for what in ("range", "apogee") for f in (0.8, 1.2)}
    c6 = run_overflight(con)
    rows = run_timeline(con, out)
    return {"c1": {"result": res, "band": band}, "c2": {"rows": rows, "band": band},
            "c3": {"checks": c3, "moved": moved}, "c6": c6}


def run_overflight(con) -> dict:
    """C6: the Hwasong-12 test of 29 Aug 2017 flown as reported (payload and kick fitted to the
    reported apogee and range), what it passes over, and its altitude over Japan over the
    reported figures' uncertainty."""
    from ..reconstruct.bands import altitude_band
    from ..reconstruct.overflight import fly_reported_test
    from .tests import altitude_band_words

    con.rule("[bold]C6: 'recent tests pass over Japan' (Hwasong-12, 29 Aug 2017, as reported)")
    rep = fly_reported_test("2017-08-29")
    for s in rep["segments"]:
        con.print(f"  {s['territory']:>22}: {s['enter_s']:7.1f}-{s['exit_s']:7.1f} s, "
                  f"{s['min_altitude_km']:6.0f}-{s['max_altitude_km']:4.0f} km altitude")
    t = rep["test"]
    p = t["passage"]
    con.print(f"  flown: apogee {t['flown']['apogee_km']:,.0f} km, range {t['flown']['range_km']:,.0f} km, "
              f"{t['flown']['flight_time_s'] / 60:.1f} min; over Japan from {p['flown_enter_s'] / 60:.1f} min "
              f"(payload fitted: {t['fit']['payload_kg']:,.0f} kg)")
    con.print("  reported: apogee ~550 km, range ~2,700 km, over Cape Erimo ~06:06 and fall ~06:12 JST "
              "after a 05:57-05:58 launch (sources in `boostphase overflight --test 2017-08-29 --json`)")
    band = altitude_band("2017-08-29", n=DEMO_ALTITUDE_N, nominal=rep)
    con.print("  " + altitude_band_words(band))
    return {"report": rep, "band": band}


def run_timeline(con, out: Path) -> list[dict]:
    """C2: implied reach of every catalogued North Korean test, as a timeline plot."""
    from ..reconstruct.testflights import load_tests
    from .tests import catalog_row, plot_timeline, reconstruct_all

    con.rule("[bold]C2: implied reach per test, 2017-2024 (class models fitted to each test)")
    tests = load_tests()
    rows = [catalog_row(t) for t in tests]
    reconstruct_all(tests, rows, sensitivity=False, verbose=False)
    for t, r in zip(tests, rows, strict=True):
        rng = r.get("implied_max_range_km")
        what = f"{rng:,.0f} km" if rng else r["status"] + (f" ({r['reason']})" if r.get("reason") else "")
        if r["status"] == "global":
            what = f"global (at least {r['implied_lower_km']:,.0f} km)"
        con.print(f"  {t.date}  {t.vehicle:<22} {what}")
    path, _ = plot_timeline(tests, rows, out / "timeline.png", None)
    con.print(f"plot: {path}  (`boostphase tests --plot timeline.png` adds the burn-time x0.8 / x1.2 bars)")
    return rows


# ------------------------------------------------------------------------------------------
# the answers in plain words
# ------------------------------------------------------------------------------------------

def input_words(name: str) -> str:
    """A sampled input of a reach band in words."""
    if name.startswith("burn_time_factor_stage"):
        return f"the stage-{name.removeprefix('burn_time_factor_stage')} burn time"
    return {"dry_mass_factor": "the structural (dry) mass", "isp_factor": "the engines' Isp",
            "apogee_km": "the reported apogee", "range_km": "the reported range"}.get(name, name)


def _top(sens: list[dict], key: str = "effect_km") -> str:
    if not sens:
        return "not ranked (too few members)"
    s = sens[0]
    return (f"{input_words(s['input'])} (median reach {s[key]:+,.0f} km from its lowest to its highest "
            f"third of the sampled range)")


def c1_words(c1: dict) -> str:
    res, b = c1["result"], c1["band"]
    point = "global" if res["global_reach"] else f"{res['max_range_km']:,.0f} km"
    inn = [c["name"] for c in res["cities"] if c["in_reach"]]
    out = [c["name"] for c in res["cities"] if not c["in_reach"]]
    band = ("no finite member" if b["median_km"] is None else
            f"median {b['median_km']:,.0f} km, 80 % interval {b['p10_km']:,.0f}-{b['p90_km']:,.0f} km")
    verdict = ("So the claim holds on this model: every city checked is in reach" if not out else
               f"So the claim holds only in part on this model: {', '.join(out)} out of reach")
    return (f"C1. The Hwasong-14 test of 28 July 2017 implies a reach of {point} on a standard trajectory "
            f"({band} over {b['n']} variants of the class model, {b['n_ruled_out']} ruled out by the test, "
            f"{b['p_global']:.0%} global); with the Earth's rotation {', '.join(inn) or 'none'} "
            f"{'are' if len(inn) != 1 else 'is'} in reach" + (f", {', '.join(out)} not" if out else "")
            + f". {verdict}. Condition: the "
            "Hwasong-14 class model with its payload refitted to the reported apogee (3,725 km) and range "
            f"(998 km), flown on a minimum-energy trajectory. Most sensitive input: {_top(b['sensitivity'])}.")


def c2_words(c2: dict) -> str:
    rows = [r for r in c2["rows"] if r["date"].startswith("2017") and r["status"] in ("reconstructed", "global")]
    steps = [f"{r['vehicle']} ({r['date']}) " + ("global" if r["status"] == "global"
                                                  else f"{r['implied_max_range_km']:,.0f} km") for r in rows]
    first = next((r for r in rows if r["status"] == "reconstructed"), None)
    top = max((18_000.0 if r["status"] == "global" else r["implied_max_range_km"] for r in rows), default=None)
    # 5,500 km: the conventional IRBM / ICBM boundary (New START, Art. II)
    pace = (", from an IRBM's reach to an ICBM's within the year" if first is not None and top is not None
            and first["implied_max_range_km"] < 5_500.0 <= top else "")
    return ("C2. The pace: in 2017 the implied reach went " + " -> ".join(steps) + pace + ". "
            "boostphase checks the pace, not the engine's origin: the RD-250 "
            "resemblance is a catalog assumption (the class models' first stage is RD-250-class, as cited), "
            "not something a trajectory can show. Condition: each test fitted with its vehicle's class model "
            "(payload refitted), minimum-energy reach over a non-rotating Earth. Most sensitive input (the "
            f"Hwasong-14 band of C1; per test: `boostphase tests`): {_top(c2['band']['sensitivity'])}.")


def c3_words(c3: dict) -> str:
    r14, r5 = c3["checks"][14.0], c3["checks"][5.0]
    lo, hi = r14["peak_speed_band_km_s"]
    sound = r14["claimed_peak_speed_km_s"] / r14["claimed_peak_mach"]  # km/s per Mach, as the check reads it
    flips = [k for k, v in c3["moved"].items() if v != r14["verdict"]]
    moved = ("moving the reported range or apogee by 20 % does not change it" if not flips else
             "it also changes with " + ", ".join(flips))
    mr = r14.get("mach_range")  # the reported figures' own uncertainty (claims.check_bands), when present
    unc = ""
    if mr:
        pc = [c3["checks"][m]["p_consistent"] for m in (14.0, 5.0)]
        unc = (f" With the reported figures read with their rounding, a ballistic flight allows Mach "
               f"{mr['low']:.1f}-{mr['high']:.1f}; the share of such readings consistent with 'Mach 14' is "
               f"{pc[0]['p']:.0%} (95 % CI up to {pc[0]['ci95'][1]:.1%}), with 'Mach 5' {pc[1]['p']:.0%}.")
    return (f"C3. Neither speed fits a ballistic flight of 1,000 km through a 100 km apogee: that needs "
            f"{lo:.2f}-{hi:.2f} km/s (Mach {lo / sound:.1f}-{hi / sound:.1f}); 'Mach 14' is "
            f"{r14['verdict'].replace('_', ' ')} (a glide or manoeuvre is implied) and 'just Mach 5' is "
            f"{r5['verdict'].replace('_', ' ')}.{unc} Condition: {r14['mach_convention']} sound speed for Mach "
            f"(the convention the JCS appears to use), figures within +-{r14['claim']['tolerance']:.0%}. Most "
            f"sensitive input: the reported speed, which alone decides the verdict; {moved}.")


def c4_words(res: dict) -> str:
    c, ms = res["conditions"], res.get("most_sensitive_input")
    top = ("not ranked" if ms is None else
           f"{ms['input']} ({ms['change']} moves the guaranteed standoff {ms['delta_km']:+,.0f} km)")
    return (f"C4. {res['verdict'][0].upper() + res['verdict'][1:]}. Condition: a "
            f"{c['ideal_burnout_speed_km_s']:.1f} km/s interceptor fired {c['interceptor_launch_time_s']:.0f} s "
            f"after launch from {c['platform_altitude_km']:.0f} km, orbits {c['keep_out']}; kinematics only "
            f"(no sensors, discrimination or countermeasures). Most sensitive input: {top}.")


def c5_words(res: dict) -> str:
    from ..claims.c5 import CLAIM_THRESHOLD, POLICY_WORDS

    ov = res["overall"]
    parts = [f"{POLICY_WORDS[p]}: {r['p_russia_land']:.0%} (95 % CI {r['ci95'][0]:.0%}-{r['ci95'][1]:.0%})"
             for p, r in ov.items() if r["p_russia_land"] is not None]
    holds = [p for p, r in ov.items() if r["p_russia_land"] is not None and r["ci95"][0] >= CLAIM_THRESHOLD]
    head = ("'almost certainly' holds under " + ", ".join(holds) if holds else
            f"'almost certainly' (>= {CLAIM_THRESHOLD:.0%}) holds under no firing policy")
    tw = ", ".join(f"{t} {w:g}" for t, w in res["conditions"]["targets"].items())
    return (f"C5. As a probability, {head}: the payload lands on Russian land " + "; ".join(parts)
            + f". Condition: the firing policy (shown for each), targets weighted {tw}, "
            f"{res['conditions']['n_per_target']:,} sampled engagements per target. Most sensitive input: "
            f"{res.get('most_influential_input') or 'not ranked'}.")


def c6_words(c6: dict) -> str:
    rep, b = c6["report"], c6["band"]
    japan = [c for c in rep["countries"] if c["name"] == "Japan"] if "countries" in rep else []
    segs = [s for s in rep["segments"] if s["territory"] == "Japan"]
    t_over = japan[0]["time_s"] if japan else sum(s["exit_s"] - s["enter_s"] for s in segs)
    top = (f"{input_words(b['sensitivity'][0]['input'])} (the lowest altitude over Japan moves "
           f"{b['sensitivity'][0]['effect']:+,.0f} km across its stated range)") if b["sensitivity"] else "not ranked"
    return (f"C6. Yes: the Hwasong-12 of 29 August 2017, flown as reported, passes over Japan (Hokkaido) for "
            f"about {t_over:,.0f} s, in space: its lowest altitude over Japan's land is {b['median']:,.0f} km "
            f"(80 % interval {b['p10']:,.0f}-{b['p90']:,.0f} km over the reported figures' uncertainty, "
            f"n = {b['n']}). Condition: the Hwasong-12 class model fitted to the reported apogee and range, "
            f"launched on azimuth {rep['test']['azimuth_deg']:g} deg (the track Japan reported). Most sensitive "
            f"input: {top}.")


def plain_words(con, answers: dict) -> None:
    """The demo's closing section: each claim's answer, its condition and its most sensitive
    input, one short paragraph each (from the results the demo computed)."""
    con.rule("[bold]The claims in plain words")
    makers = {"c1": c1_words, "c2": c2_words, "c3": c3_words, "c4": c4_words, "c5": c5_words, "c6": c6_words}
    for key, make in makers.items():
        if answers.get(key) is not None:
            con.print(make(answers[key]) + "\n")
