"""Regenerate the example figures shown in the documentation (docs/figures/*.png).

    .venv/bin/python tools/docs_figures.py [--out docs/figures]

Each figure is drawn by the same function the CLI uses (300 dpi, with its source line), then
reduced to a 256-colour palette (the maps and line plots have few colours, so nothing visible
is lost) to keep each file under ~400 KB for the site. Takes about a minute.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from boostphase.present import figures

HWASONG14_SITE = (40.61556, 126.46306)  # Mupyong-ni, as in the demo (sources: data/nk_tests.toml)


def _palette(path: Path) -> Path:
    """Rewrite a PNG with an adaptive 256-colour palette, keeping its dpi and source text."""
    img = Image.open(path)
    info = {k: v for k, v in img.info.items() if isinstance(v, str)}
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    for k, v in info.items():
        meta.add_text(k, v)
    img.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(path, dpi=(300, 300), pnginfo=meta,
                                                                          optimize=True)
    return path


def flyouts(out: Path) -> list[Path]:
    """Altitude-range and ground tracks of three catalog missiles from near Pyongyang."""
    from boostphase.flight.flyout import fly
    from boostphase.models.vehicles import load
    from boostphase.present.plots import altitude_vs_range, ground_tracks

    trs = [fly(load(name), 39.0, 125.7, azimuth_deg=45.0, profile="min-energy")
           for name in ("no-dong", "hwasong-12", "hwasong-14")]
    return [altitude_vs_range(trs, out / "flyouts_altitude_range.png", "Minimum-energy flyouts"),
            ground_tracks(trs, out / "flyouts_ground_tracks.png", "Minimum-energy ground tracks")]


def reach(out: Path) -> Path:
    """C1: the Hwasong-14 reconstruction's reach by bearing, with US and other cities."""
    from boostphase.present.reach import reach_by_azimuth
    from boostphase.reconstruct.reconstruction import reconstruct

    res = reconstruct(3724.9, 998.0, 2832.0, launch=HWASONG14_SITE, test_azimuth_deg=90.0,
                      cities=["Los Angeles", "Denver", "Chicago", "Washington", "New York", "Seattle",
                              "Anchorage", "Honolulu", "Tokyo", "Beijing", "Moscow", "London", "Sydney"],
                      sensitivity=False, n_azimuths=36)
    return reach_by_azimuth(res, out / "c1_hwasong14_reach.png", launch=HWASONG14_SITE,
                            title="Hwasong-14 (28 Jul 2017) reconstructed reach from Mupyong-ni\n"
                                  "radius: ground distance (km); angle: bearing from north")


def shortfall(out: Path) -> Path:
    """C5: where the payload lands for each thrust cut-off time (generic liquid ICBM toward
    Seattle), through the CLI as a user would."""
    from typer.testing import CliRunner

    from boostphase.cli.commands import app

    png = out / "c5_shortfall_map.png"
    r = CliRunner().invoke(app, ["shortfall", "--missile", "generic-liquid-icbm", "--launch", "40.0,127.5",
                                 "--target", "Seattle", "--png", str(png), "--json"])
    if r.exit_code != 0:
        raise SystemExit(r.output)
    return png


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/figures")
    out = Path(ap.parse_args(argv).out)
    out.mkdir(parents=True, exist_ok=True)
    for p in [*flyouts(out), reach(out), shortfall(out)]:
        _palette(Path(p))
        print(f"{p}: {Path(p).stat().st_size / 1e3:,.0f} kB at {figures.DPI} dpi")


if __name__ == "__main__":
    main()
