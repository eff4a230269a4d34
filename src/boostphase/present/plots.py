"""Static plots (matplotlib, Agg backend): presentation only, no physics here."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def altitude_vs_range(trajectories, path, title: str = "Flyouts") -> Path:
    """Altitude (km) against ground range (km) for one or more Trajectory objects; burnout marked."""
    fig, ax = plt.subplots(figsize=(9, 5))
    for tr in trajectories:
        rng = tr.ground_range_m() / 1e3
        alt = tr.altitude_m / 1e3
        line, = ax.plot(rng, alt, label=f"{tr.missile.title} ({tr.profile})")
        b = tr.burnout()
        i = min(range(len(tr.t_s)), key=lambda k: abs(tr.t_s[k] - b["time_s"]))
        ax.plot(rng[i], alt[i], "o", color=line.get_color())
    ax.set_xlabel("ground range (km)")
    ax.set_ylabel("altitude (km)")
    ax.set_title(title + " (dots: burnout)")
    return _finish(fig, ax, path)


def ground_tracks(trajectories, path, title: str = "Ground tracks") -> Path:
    """Longitude/latitude tracks (plate carree) with launch and impact points."""
    fig, ax = plt.subplots(figsize=(10, 5))
    for tr in trajectories:
        lat, lon, _ = tr.geodetic()
        lon = (lon + 360.0) % 360.0  # keep Pacific tracks continuous
        line, = ax.plot(lon, lat, label=tr.missile.title)
        ax.plot(lon[-1], lat[-1], "x", color=line.get_color())
    ax.set_xlabel("longitude (deg E, 0-360)")
    ax.set_ylabel("latitude (deg)")
    ax.set_title(title)
    return _finish(fig, ax, path)


def _finish(fig, ax, path) -> Path:
    """Grid, legend, layout; write the PNG (creating its folder) and free the figure."""
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def save_figure(fig, path, dpi: int = 120) -> Path:
    """Tight layout, write the PNG (creating its folder), free the figure; returns the path."""
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
