"""Labels that never overlap: each label tries a few offsets from its point, in priority
order, and a label whose rendered box still overlaps one already kept (or any other text of
the figure: titles, tick labels, legends, the source line) is dropped.

Measured on screen (``Text.get_window_extent`` with the canvas's renderer), so call it after
the figure's layout is final (:func:`boostphase.present.figures.freeze_layout`): a later
layout pass would move the texts under the measurement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from matplotlib.offsetbox import AnchoredOffsetbox
from matplotlib.text import Text

OFFSETS_PT: tuple[tuple[float, float], ...] = (
    (4, 4), (4, -4), (-4, 4), (-4, -4), (0, 7), (0, -7), (7, 0), (-7, 0), (10, 10), (-10, -10))
"""Candidate offsets (points) from the labelled point, tried in order: NE, SE, NW, SW, N, S,
E, W, then further out."""

CENTRED: tuple[tuple[float, float], ...] = ((0, 0), (0, 8), (0, -8))
"""Offsets for area labels (country names): on the point, or just above or below it."""

MARKER_PX = 2.0
"""Half-size (pixels at 100 dpi) of the box kept clear around each labelled point."""

PAD_PX = 1.0
"""Gap (pixels) two labels must keep; boxes closer than this count as overlapping."""


@dataclass
class Label:
    """A label to place: text at data point (``x``, ``y``) of the axes; higher ``priority``
    wins a collision; ``style`` goes to ``Axes.annotate`` (fontsize, colour, ...)."""

    x: float
    y: float
    text: str
    priority: float = 0.0
    style: dict = field(default_factory=dict)


def overlaps(a, b, pad: float = PAD_PX) -> bool:
    """Whether two window boxes (pixels) overlap or come closer than ``pad``."""
    return a.x0 < b.x1 + pad and b.x0 < a.x1 + pad and a.y0 < b.y1 + pad and b.y0 < a.y1 + pad


def _tick_labels(axis, in_view_only: bool) -> list[Text]:
    """Tick-label texts of one axis (only those of ticks inside its view interval if asked)."""
    lo, hi = sorted(axis.get_view_interval())
    out = []
    for ticks, locs in ((axis.get_major_ticks(), axis.get_majorticklocs()),
                        (axis.get_minor_ticks(), axis.get_minorticklocs())):
        for tick, loc in zip(ticks, locs, strict=False):
            if in_view_only and not lo - 1e-9 * max(1.0, abs(hi)) <= loc <= hi + 1e-9 * max(1.0, abs(hi)):
                continue
            out += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    return out


def _axes_axes(fig) -> list:
    """Every axis object (x, y, theta, r) of every axes of ``fig``."""
    return [axis for a in fig.axes for axis in (a.xaxis, a.yaxis)]


def text_obstacles(fig, renderer, exclude: Iterable[Text] = ()) -> list:
    """Window boxes of every visible, non-empty text of ``fig`` (tick labels only inside their
    axis's view) and of every legend."""
    skip = {id(t) for t in exclude}
    all_ticks = {id(t) for axis in _axes_axes(fig) for t in _tick_labels(axis, False)}
    texts = [t for t in fig.findobj(Text) if id(t) not in all_ticks]
    texts += [t for axis in _axes_axes(fig) for t in _tick_labels(axis, True)]
    boxes = [t.get_window_extent(renderer) for t in texts
             if id(t) not in skip and t.get_visible() and t.get_text().strip()]
    boxes += [leg.get_window_extent(renderer) for a in fig.axes if (leg := a.get_legend())]
    boxes += [leg.get_window_extent(renderer) for leg in fig.legends]
    # anchored boxes (scale bars) hold their text in an offset box
    boxes += [a.get_window_extent(renderer) for ax in fig.axes for a in ax.get_children()
              if isinstance(a, AnchoredOffsetbox)]
    return boxes


def place_labels(ax, labels: Sequence[Label], *, offsets=OFFSETS_PT, obstacles=None,
                 fontsize: float = 7.0, markers: bool = True) -> list[Text]:
    """Place ``labels`` on ``ax`` without overlap; returns the texts kept (highest priority
    first). A label whose point lies outside the axes is not drawn. ``obstacles``: window
    boxes to avoid (default: every other text of the figure, see :func:`text_obstacles`);
    with ``markers`` the labelled points themselves too (a label never covers a marker)."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    taken = list(text_obstacles(fig, renderer) if obstacles is None else obstacles)
    if markers:
        taken += [_marker_box(ax, lb) for lb in labels]
    frame = ax.get_window_extent(renderer)
    kept = []
    for lab in sorted(labels, key=lambda lb: -lb.priority):
        px, py = ax.transData.transform((lab.x, lab.y))
        if not (frame.x0 <= px <= frame.x1 and frame.y0 <= py <= frame.y1):
            continue
        t = _first_fit(ax, lab, offsets, fontsize, renderer, taken, frame)
        if t is not None:
            taken.append(t.get_window_extent(renderer))
            kept.append(t)
    return kept


def _marker_box(ax, lab: Label, half_px: float = MARKER_PX):
    """Window box of the marker at a label's point."""
    from matplotlib.transforms import Bbox

    px, py = ax.transData.transform((lab.x, lab.y))
    return Bbox.from_extents(px - half_px, py - half_px, px + half_px, py + half_px)


def _first_fit(ax, lab: Label, offsets, fontsize, renderer, taken, frame):
    """The label drawn at the first offset where it stays inside the axes and clear of
    ``taken``; None (nothing drawn) when no offset fits."""
    for dx, dy in offsets:
        style = {"fontsize": fontsize, **lab.style,
                 "ha": "left" if dx > 0 else "right" if dx < 0 else "center",
                 "va": "bottom" if dy > 0 else "top" if dy < 0 else "center"}
        t = ax.annotate(lab.text, (lab.x, lab.y), xytext=(dx, dy), textcoords="offset points",
                        **style)
        bb = t.get_window_extent(renderer)
        inside = frame.x0 <= bb.x0 and bb.x1 <= frame.x1 and frame.y0 <= bb.y0 and bb.y1 <= frame.y1
        if inside and not any(overlaps(bb, o) for o in taken):
            return t
        t.remove()
    return None
