"""The plotting backend of result objects (issue 18): one function per result kind, each drawing
onto a given matplotlib Axes and returning it (a new figure when ``ax`` is None).

``result.plot(ax=None, **kw)`` (boostphase.results.ResultMixin) loads this module by name and
calls the function named by the result's ``plot_kind``, so no physics module imports matplotlib.
Presentation only: every number drawn is one of the result's own (its ``display_columns()`` or
table rows), in the units its axis label names. Keyword arguments go to the main artist
(``ax.plot`` / ``ax.scatter`` / ``ax.bar``).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..models.geography import unwrap_longitude
from ..results import UNIT_SUFFIXES


def _axes(ax, size=(8.0, 4.5)):
    """``ax``, or the Axes of a new pyplot figure (so a notebook shows it)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size)
    return ax


def _finish(ax, xlabel: str, ylabel: str, title: str):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return ax


WORDS = {"alt": "altitude", "t": "time", "lat": "latitude", "lon": "longitude", "mach": "Mach number"}


def column_label(name: str) -> str:
    """An axis label from a column name: ``ground_range_km`` -> ``ground range (km)``."""
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return f"{WORDS.get(stem, stem.replace('_', ' '))} ({unit})"
    return WORDS.get(name, name.replace("_", " "))


def trajectory(tr, ax=None, x: str = "ground_range_km", y: str = "alt_km", **kw):
    """One flight: ``y`` against ``x`` (any two of its ``display_columns()``; default altitude
    against ground range, km), burnout marked with a dot; several flights can share an Axes."""
    ax = _axes(ax)
    cols = tr.display_columns()
    for name in (x, y):
        if name not in cols:
            raise InputError("plot column", name, ", ".join(cols))
    kw.setdefault("label", ", ".join([f"{tr.missile.title} ({tr.profile})",
                                      *(f"{a} {b}" for a, b in tr.key_figures()[:2])]))
    line, = ax.plot(cols[x], cols[y], **kw)
    i = int(np.argmin(np.abs(cols["t_s"] - tr.burnout_time_s)))
    ax.plot([cols[x][i]], [cols[y][i]], "o", color=line.get_color(), label="_nolegend_")
    ax.legend(fontsize=8)
    return _finish(ax, column_label(x), column_label(y), "dots: burnout")


def coast(res, ax=None, **kw):
    """Impact points (longitude, latitude, deg) of the cases that landed."""
    ax = _axes(ax)
    c = res.display_columns()
    hit = c["impacted"]
    kw.setdefault("s", 12)
    ax.scatter(unwrap_longitude(c["impact_lon_deg"][hit]), c["impact_lat_deg"][hit], **kw)
    return _finish(ax, "impact longitude (deg east, continuous across 180)", "impact latitude (deg)",
                   repr(res).strip("<>"))


def reconstruction(rec, ax=None, what: str = "auto", **kw):
    """``reach``: maximum range (km) by launch azimuth (global bearings as triangles at the top);
    ``variants``: the maximum range of the fit and of each burn-time variant. ``auto``: reach
    where it was computed."""
    ax = _axes(ax)
    if what == "auto":
        what = "reach" if "reach_by_azimuth" in rec else "variants"
    df = rec.to_dataframe(what)
    title = repr(rec).strip("<>")
    if what == "reach":
        kw.setdefault("marker", "o")
        ax.plot(df["azimuth_deg"].to_numpy(), df["range_km"].to_numpy(), **kw)
        glob = df["global_reach"].to_numpy(bool)
        if glob.any():
            top = np.nanmax(df["range_km"].to_numpy()) if (~glob).any() else 20_000.0
            ax.plot(df["azimuth_deg"].to_numpy()[glob], np.full(glob.sum(), top), "^", color="C3",
                    label="global: reaches any point on the bearing")
            ax.legend(fontsize=8)
        ax.set_ylim(bottom=0.0)
        return _finish(ax, "launch azimuth (deg)", "maximum range (km)", title)
    ax.bar(df["variant"].to_numpy(), np.nan_to_num(df["max_range_km"].to_numpy()), **kw)
    return _finish(ax, "model variant", "maximum range (km)", title)


def engagement(res, ax=None, **kw):
    """The timeline in s after the threat's launch: waiting for the interceptor's launch, its
    fly-out to the intercept (when there is one), the threat's burnout and latest useful time."""
    ax = _axes(ax, (8.0, 2.8))
    kw.setdefault("lw", 8)
    tl = res.interceptor_launch_time_s
    ax.plot([0.0, tl], [1.0, 1.0], color="0.6", label="detection, decision, launch", **kw)
    if res.intercept_time_s is not None:
        ax.plot([tl, res.intercept_time_s], [1.0, 1.0], color="C0", label="interceptor fly-out", **kw)
    ax.axvline(res.burnout_time_s, color="C3", ls="--", label="threat burnout")
    if abs(res.latest_useful_time_s - res.burnout_time_s) > 1e-9:
        ax.axvline(res.latest_useful_time_s, color="C1", ls=":", label=f"latest useful ({res.criterion})")
    ax.set_yticks([])
    ax.set_ylim(0.5, 1.5)
    ax.legend(fontsize=8, loc="lower right")
    return _finish(ax, "time after the threat's launch (s)", "", res.verdict_line())


def footprint(fp, ax=None, **kw):
    """Fragment impacts (longitude, latitude, deg; longitudes kept continuous across the date
    line) and the payload's impact points."""
    ax = _axes(ax, (8.0, 5.0))
    ok = np.asarray(fp.impacted, bool)
    lon = np.asarray(fp.lon, float)
    centre = float(unwrap_longitude(lon[ok]).mean()) if ok.any() else 0.0
    kw.setdefault("s", 4)
    kw.setdefault("alpha", 0.5)
    ax.scatter(unwrap_longitude(lon[ok], centre), np.asarray(fp.lat)[ok], label="fragments", **kw)
    if fp.payload:
        p = fp.payload["impacts"]
        ax.plot(unwrap_longitude([q["lon"] for q in p], centre), [q["lat"] for q in p], "x", color="C3",
                label="payload")
    ax.legend(fontsize=8)
    return _finish(ax, "longitude (deg east, continuous across 180)", "latitude (deg)", repr(fp).strip("<>"))


def c5(answer, ax=None, what: str = "by_time", **kw):
    """``by_time``: P(payload on Russian land | intercept at t) against t for each target, with
    the 90 % reading of "almost certainly"; ``policies``: each policy's overall probability with
    its 95 % interval."""
    ax = _axes(ax)
    if what == "policies":
        df = answer.to_dataframe("policies")
        df = df[df["target"] == "overall"]
        p = df["p_russia_land"].to_numpy()
        err = np.vstack([p - df["ci95_low"].to_numpy(), df["ci95_high"].to_numpy() - p])
        ax.bar(df["policy"].to_numpy(), p, yerr=err, capsize=4, **kw)
        ax.set_ylim(0.0, 1.0)
        return _finish(ax, "firing policy", "P(payload on Russian land | intercept)", answer.result_title())
    df = answer.to_dataframe("by_time")
    for target, part in df.groupby("target", sort=False):
        ax.plot(part["t_s"].to_numpy(), part["p_russia_land"].to_numpy(), label=str(target), **kw)
    ax.axhline(0.9, color="0.4", ls="--", lw=0.8, label="'almost certainly' (90 %)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8)
    return _finish(ax, "intercept time after launch (s)", "P(payload on Russian land | t)",
                   answer.result_title())
