"""How every static figure is made and written: one figure factory, one source line, one
:func:`save_figure` (presentation only, no physics here).

* :func:`new_figure` makes a figure on the Agg canvas (no pyplot state, so it is safe in the
  web server's threads) with constrained layout, or takes the caller's ``ax``.
* :func:`source_line` writes the line printed at the foot of every figure:
  ``"boostphase <version> · <what was computed, key inputs> · borders: Natural Earth (public
  domain)"`` (the borders credit only where borders are drawn).
* :func:`finish` puts the source line on the figure and either returns the
  :class:`~matplotlib.figure.Figure` (``path=None``, for notebooks) or writes it.
* :func:`save_figure` writes 300-dpi PNG, or SVG/PDF when the path's suffix asks for it, or
  every format in ``formats=("png", "svg", "pdf")`` next to each other. The source goes into
  the file's metadata too. Output is deterministic: a fixed SVG hash salt, no dates in the
  metadata, so writing a figure twice gives identical SVG bytes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from boostphase import __version__

DPI = 300
"""Resolution of every PNG (dots per inch): print quality."""

FORMATS = ("png", "svg", "pdf")
"""The file formats :func:`save_figure` writes (chosen by suffix, or all via ``formats``)."""

BORDERS_CREDIT = "borders: Natural Earth (public domain)"
CITIES_CREDIT = "cities: GeoNames (CC BY 4.0)"
SOURCE_GID = "boostphase-source-line"
"""The ``gid`` of the source-line text artist (how a test or a caller finds it)."""

SOURCE_FONTSIZE = 6.0
_SEP = " \u00b7 "
# SVG ids are hashes salted with this; a fixed salt makes reruns byte-identical
_RC_DETERMINISTIC = {"svg.hashsalt": "boostphase", "svg.fonttype": "none", "pdf.fonttype": 42}


def source_line(what: str, *, borders: bool = False, cities: bool = False) -> str:
    """The figure's source line: boostphase's version, what was computed (with its key inputs)
    and the credits of any vendored data drawn (Natural Earth borders, GeoNames cities)."""
    parts = [f"boostphase {__version__}", what.strip()]
    if borders:
        parts.append(BORDERS_CREDIT)
    if cities:
        parts.append(CITIES_CREDIT)
    return _SEP.join(p for p in parts if p)


def new_figure(figsize: tuple[float, float], ax=None, **subplot_kw):
    """``(fig, ax)``: a new figure of ``figsize`` inches (Agg canvas, constrained layout) with
    one axes, or the figure of the caller's ``ax`` and that axes."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(**subplot_kw)


def new_figure_grid(figsize: tuple[float, float], nrows: int, ncols: int, **kw):
    """``(fig, axes)``: a new figure (Agg canvas, constrained layout) with a grid of axes."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, **kw)


def add_source_line(fig, source: str) -> None:
    """Write ``source`` at the foot of ``fig`` (wrapped to its width) and keep a strip free for
    it; a second call on the same figure appends to the existing line (several plots drawn
    into one user figure)."""
    old = next((t for t in fig.texts if t.get_gid() == SOURCE_GID), None)
    if old is not None:
        if source in old.get_text().replace("\n", " "):
            return
        old.remove()
        source = old.get_text().replace("\n", " ") + "; " + source
    width_pt = fig.get_figwidth() * 72.0
    # about 0.55 em per character in the default sans-serif font, with a margin
    chars = max(40, int(width_pt / (0.58 * SOURCE_FONTSIZE)) - 2)
    text = "\n".join(textwrap.wrap(source, chars))
    t = fig.text(0.005, 0.004, text, fontsize=SOURCE_FONTSIZE, color="0.35", ha="left",
                 va="bottom", gid=SOURCE_GID)
    t.set_in_layout(False)
    strip = (text.count("\n") + 1) * SOURCE_FONTSIZE * 1.35 / (fig.get_figheight() * 72.0) + 0.006
    reserve_bottom(fig, strip)


def reserve_bottom(fig, frac: float) -> None:
    """Keep the bottom ``frac`` of the figure free of axes (for the source line)."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine

    eng = fig.get_layout_engine()
    if isinstance(eng, ConstrainedLayoutEngine):  # rect is (left, bottom, width, height)
        eng.set(rect=(0.0, frac, 1.0, 1.0 - frac))
    elif isinstance(eng, TightLayoutEngine):  # rect is (left, bottom, right, top)
        eng.set(rect=(0.0, frac, 1.0, 1.0))
    # no engine, or a frozen one: positions are the caller's (a frozen figure got its strip
    # before it was frozen)


def freeze_layout(fig) -> None:
    """Run the layout engine once and switch it off, so positions stay put from now on (label
    placement measures text on screen; a later layout pass would move things under it)."""
    fig.canvas.draw()
    fig.set_layout_engine("none")


def outside_legend(ax, *, where: str = "right", max_inside: int = 0, fontsize: float = 7,
                   ncol: int | None = None, **kw):
    """A legend that hides no data: outside the axes, on the ``"right"`` or ``"below"`` (in
    ``ncol`` columns); ``max_inside`` entries or fewer may go inside, at matplotlib's
    least-covering spot. Returns the legend or None."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    if len(handles) <= max_inside:
        return ax.legend(fontsize=fontsize, loc="best", **kw)
    if where == "below":
        kw.setdefault("loc", "upper center")
        kw.setdefault("bbox_to_anchor", (0.5, -0.01))
        kw.setdefault("ncol", ncol or min(2, len(handles)))
    else:
        kw.setdefault("loc", "upper left")
        kw.setdefault("bbox_to_anchor", (1.02, 1.0))
        kw.setdefault("ncol", ncol or 1)
    return ax.legend(fontsize=fontsize, borderaxespad=0.0, **kw)


def finish(fig, path, *, source: str, formats: Sequence[str] | None = None):
    """Put the source line on ``fig``; with ``path`` write it (see :func:`save_figure`) and
    return the path, else return the figure."""
    add_source_line(fig, source)
    if path is None:
        return fig
    return save_figure(fig, path, source=source, formats=formats)


def save_figure(fig, path, *, source: str, formats: Sequence[str] | None = None,
                dpi: int = DPI) -> Path:
    """Write ``fig`` to ``path`` (its folder created) and return the path written.

    The format follows the suffix (``.png`` at ``dpi``, 300 by default; ``.svg``; ``.pdf``; no
    suffix: PNG). With ``formats`` (e.g. ``("png", "svg", "pdf")``) each format is written
    beside ``path`` with that suffix, and the first is returned. ``source`` is drawn at the
    foot of the figure if not there yet, and stored in the file's metadata (PNG text chunk,
    SVG ``dc:source``, PDF ``Subject``), without any date, so the output is reproducible.
    """
    add_source_line(fig, source)
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    wanted = [f.lower().lstrip(".") for f in formats] if formats else [suffix if suffix in FORMATS else "png"]
    bad = [f for f in wanted if f not in FORMATS]
    if bad:
        from boostphase.errors import InputError

        raise InputError("formats", bad[0], f"one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with matplotlib.rc_context(_RC_DETERMINISTIC):
        for fmt in wanted:
            out = path if (fmt == suffix) else path.with_suffix(f".{fmt}")
            fig.savefig(out, format=fmt, dpi=dpi, metadata=_metadata(fmt, source))
            written.append(out)
    return written[0]


def _metadata(fmt: str, source: str) -> dict:
    """File metadata for ``fmt`` with the source and no timestamps (reproducible files)."""
    creator = f"boostphase {__version__} (matplotlib {matplotlib.__version__})"
    if fmt == "png":
        return {"Software": creator, "Source": source}
    if fmt == "svg":
        return {"Creator": creator, "Source": source, "Date": None}
    return {"Creator": creator, "Subject": source, "CreationDate": None, "ModDate": None}
