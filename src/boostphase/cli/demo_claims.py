"""The demo's answers to claims C1 (Hwasong-14 reach) and C3 (the 2024 'Mach 14' IRBM)."""

from __future__ import annotations

from pathlib import Path


def run(con, out: Path) -> None:
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
    for mach in (14.0, 5.0):
        r = check_claim(1000.0, apogee_km=100.0, peak_mach=mach)
        con.print(f"Mach {mach:g} ({r.get('mach_convention', 'sea-level')} convention): "
                  f"verdict {r['verdict']}. {r['verdict_sentence']}")
        for reason in r["reasons"]:
            con.print(f"  - {reason}")
    run_overflight(con)
    run_timeline(con, out)


def run_overflight(con) -> None:
    """C6: the Hwasong-12 test of 29 Aug 2017 flown as reported (payload and kick fitted to the
    reported apogee and range), and what it passes over."""
    from ..reconstruct.overflight import fly_reported_test

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


def run_timeline(con, out: Path) -> None:
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
