"""`make demo`: the main demonstration, in a few readable tables, with plots under ``out/``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console

from .tables import Table


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="boostphase demo")
    ap.add_argument("--out", default="out")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    con = Console(width=150)
    con.rule("[bold]boostphase demo")

    from ..flight.flyout import coast, fly
    from ..models.earth import SPHERE
    from ..models.vehicles import catalog
    from ..present.plots import altitude_vs_range, ground_tracks

    # 1. a textbook coast, checkable by hand
    t0 = time.perf_counter()
    c = coast(39.0, 125.7, 100e3, 6000.0, 20.0, 45.0, earth=SPHERE).row(0)
    con.print(f"Vacuum coast on the textbook sphere (6 km/s, 20 deg, from 100 km): range {c['range_km']:,.1f} km, "
              f"apogee {c['apogee_km']:,.1f} km, {c['flight_time_s']:,.1f} s  [{time.perf_counter() - t0:.1f} s]")

    # 2. every catalog missile on a minimum-energy trajectory from near Pyongyang, toward the east
    site = (39.0, 125.7)
    table = Table(title=f"Minimum-energy flyouts from {site[0]}N {site[1]}E, azimuth 45 deg (rotating WGS84 Earth)")
    for col in ("missile", "boost (s)", "burnout speed (km/s)", "burnout alt (km)", "range (km)", "apogee (km)",
                "flight time (min)", "published reference"):
        table.add_column(col, justify="right" if col != "missile" else "left")
    trajs = []
    for m in catalog():
        tr = fly(m, *site, azimuth_deg=45.0, profile="min-energy")
        trajs.append(tr)
        s = tr.summary()
        ref = m.references.get("reference_max_range_km")
        landed = s["range_km"] is not None  # a flight that does not come down has no range
        table.add_row(m.name, f"{m.boost_time_s:.0f}", f"{s['burnout']['speed_km_s']:.2f}",
                      f"{s['burnout']['altitude_km']:.0f}",
                      f"{s['range_km']:,.0f}" if landed else "global (no impact)",
                      f"{s['apogee_km']:,.0f}" if landed else "-",
                      f"{s['flight_time_s'] / 60:.1f}" if landed else "-", f"{ref:,.0f} km" if ref else "")
    con.print(table)
    p1 = altitude_vs_range(trajs, out / "flyouts_altitude_range.png", "Minimum-energy flyouts")
    p2 = ground_tracks(trajs, out / "flyouts_ground_tracks.png")
    con.print(f"plots: {p1}, {p2}")
    from . import consequence, demo_claims, engage

    # C1, C3 and C6; C4; C5: each command module offers run(console, out) for the demo
    for mod in (demo_claims, engage, consequence):
        mod.run(con, out)


if __name__ == "__main__":
    main()
