"""Results as data and pictures (issue 18): what every result object shares.

A result class (:class:`~boostphase.flight.trajectory.Trajectory`, ``CoastResult``,
``Reconstruction``, ``EngagementResult``, ``Footprint``, ``C5Answer``) inherits
:class:`ResultMixin` and supplies three small hooks:

* ``key_figures()``: ``[(label, text)]``, the few numbers a reader looks at first, each text
  with its unit (``("range", "12,950 km")``);
* ``result_title()``: what the result is about (a missile, a threat and a platform...);
* ``verdict_line()``: a sentence where the result answers a question, else None.

From those the mixin makes a one-line ``repr`` (at most :data:`REPR_MAX` characters), a small
HTML table for notebooks (``_repr_html_``) and ``plot()``. Each class writes its own
``to_dataframe()`` (pandas) and ``to_xarray()``; :func:`frame` and :func:`dataset` build them
with the units taken from the column names (:func:`unit_of`), so a name and its unit can never
disagree.

Plotting is a backend, as in pandas (which loads ``pandas.plotting``'s backend by module name):
the physics never imports matplotlib or the presentation layer. ``plot()`` loads
:data:`PLOT_BACKEND` by name when it is called and draws with its function named by the
result's ``plot_kind``. Layer 0: this module imports nothing of boostphase but its errors.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import math

from .errors import InputError

PLOT_BACKEND = "boostphase.present.result_plots"
"""Module holding one drawing function per result kind (``trajectory(result, ax=None, **kw)``...);
set it to another module's name to draw elsewhere."""

REPR_MAX = 120
"""Longest one-line ``repr`` of a result (characters)."""

# name suffix -> unit, longest first (so "_km_s" wins over "_s")
UNIT_SUFFIXES = (
    ("_kg_m2", "kg/m^2"), ("_km_s", "km/s"), ("_m_s", "m/s"), ("_kpa", "kPa"), ("_deg", "deg"),
    ("_min", "min"), ("_km", "km"), ("_kg", "kg"), ("_pa", "Pa"), ("_m", "m"), ("_s", "s"),
)


def unit_of(name: str) -> str:
    """The unit a column's name carries (``alt_km`` -> ``km``); ``""`` where it has none
    (a count, a flag, a label); ``"1"`` for a Mach number or a probability (dimensionless)."""
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    if name == "mach" or name.startswith(("p_", "ci95")) or name.endswith("_factor"):
        return "1"
    return ""


def number(x, digits: int = 0) -> str:
    """``x`` with thousands separators and ``digits`` decimals; ``n/a`` for None, NaN or inf."""
    if x is None:
        return "n/a"
    x = float(x)
    return f"{x:,.{digits}f}" if math.isfinite(x) else "n/a"


def nan_if_none(x) -> float:
    """A JSON view's number as a float for a table: None (no value) becomes NaN."""
    return float("nan") if x is None else float(x)


def quantity(x, unit: str, digits: int = 0) -> str:
    """``number(x) unit`` (``12,950 km``); ``n/a`` alone when there is no number."""
    text = number(x, digits)
    return text if text == "n/a" else f"{text} {unit}"


def percent(p, digits: int = 0) -> str:
    """A probability as a percentage (``62 %``); ``n/a`` when undefined."""
    if p is None or not math.isfinite(float(p)):
        return "n/a"
    return f"{100.0 * float(p):.{digits}f} %"


def one_line(kind: str, title: str, figures, limit: int = REPR_MAX) -> str:
    """``<kind title: label text, label text>``; figures are dropped from the end until the line
    fits ``limit`` characters, then the title is shortened."""
    parts = [f"{label} {text}".strip() for label, text in figures]
    head = f"<{kind} {title}".rstrip() if title else f"<{kind}"
    while True:
        line = head + (": " + ", ".join(parts) if parts else "") + ">"
        if len(line) <= limit or not parts:
            break
        parts.pop()
    if len(line) > limit:
        line = line[: limit - 4] + "...>"
    return line


def html_table(kind: str, title: str, figures, verdict: str | None = None) -> str:
    """A small HTML table of key figures (label | value with unit) and a verdict line."""
    esc = html.escape
    rows = "".join(f"<tr><th style='text-align:left'>{esc(str(a))}</th><td>{esc(str(b))}</td></tr>"
                   for a, b in figures)
    cap = esc(f"{kind} {title}".strip())
    out = f"<div><table><caption style='text-align:left'><b>{cap}</b></caption>{rows}</table>"
    if verdict:
        out += f"<p><b>Verdict:</b> {esc(verdict)}</p>"
    return out + "</div>"


def need(module: str, what: str):
    """Import an optional library by name, or raise ImportError saying what needs it."""
    if importlib.util.find_spec(module) is None:
        raise ImportError(f"{what} needs {module}, which is not installed (pip install {module})")
    return importlib.import_module(module)


def clean_attrs(attrs: dict) -> dict:
    """Attributes a NetCDF file can hold: None and non-finite numbers left out, flags as 0/1,
    anything else not a number as text."""
    out = {}
    for k, v in attrs.items():
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            continue
        if isinstance(v, bool):
            out[k] = int(v)
        elif isinstance(v, (int, float, str)):
            out[k] = v
        else:
            out[k] = str(v)
    return out


def frame(columns: dict, attrs: dict | None = None, index: str | None = None):
    """A pandas DataFrame of ``columns`` (name -> array; the names carry the units), with
    ``attrs`` (the key figures) and ``attrs["units"]`` (column -> unit)."""
    pd = need("pandas", "to_dataframe()")
    df = pd.DataFrame(columns)
    if index is not None:
        df.index.name = index
    df.attrs.update(attrs or {})
    df.attrs["units"] = {c: unit_of(c) for c in df.columns}
    return df


def dataset(data_vars: dict, coords: dict, attrs: dict | None = None):
    """An xarray Dataset; ``data_vars`` and ``coords`` map a name to ``(dims, values)``. Each
    variable and coordinate gets ``attrs["units"]`` from its name (:func:`unit_of`)."""
    xr = need("xarray", "to_xarray()")
    ds = xr.Dataset({k: (d, v) for k, (d, v) in data_vars.items()},
                    coords={k: (d, v) for k, (d, v) in coords.items()}, attrs=clean_attrs(attrs or {}))
    for name in [*ds.data_vars, *ds.coords]:
        unit = unit_of(str(name))
        if unit:
            ds[name].attrs["units"] = unit
    return ds


def plot_backend():
    """The plotting module (:data:`PLOT_BACKEND`), loaded by name; ImportError when matplotlib
    is missing."""
    need("matplotlib", "plot()")
    return importlib.import_module(PLOT_BACKEND)


class ResultMixin:
    """Short repr, notebook table and plot() from a result's key figures (see the module)."""

    plot_kind = ""
    """Name of the result's drawing function in the plotting backend."""

    def key_figures(self) -> list[tuple[str, str]]:
        """``[(label, text with unit)]``: the numbers a reader looks at first."""
        raise NotImplementedError

    def result_title(self) -> str:
        return ""

    def verdict_line(self) -> str | None:
        return None

    def __repr__(self) -> str:
        return one_line(type(self).__name__, self.result_title(), self.key_figures())

    def _repr_html_(self) -> str:
        return html_table(type(self).__name__, self.result_title(), self.key_figures(), self.verdict_line())

    def plot(self, ax=None, *, path=None, formats=None, **kw):
        """Draw the result and return the matplotlib Axes; with ``path``, write the figure
        (300-dpi PNG, SVG or PDF by the suffix; ``formats=("png", "svg")`` writes each beside
        ``path``) and return the path written.

        ``ax`` None: a new figure (no pyplot state; ``result.plot().figure`` shows it in a
        notebook) with the source line at its foot; places (tracks, impact points) go on an
        azimuthal-equidistant map. A caller's Axes: drawn onto it (places in longitude and
        latitude, deg, unless it is already a boostphase map). Other keyword arguments go to
        the drawing function (see boostphase.present.result_plots)."""
        draw = getattr(plot_backend(), self.plot_kind, None)
        if draw is None:
            raise InputError("plot", type(self).__name__, f"a result kind {PLOT_BACKEND} can draw")
        if formats is not None and path is None:
            raise InputError("formats", formats, "given together with path")
        if path is not None:  # a backend of one's own need not know about files
            kw.update(path=path, formats=formats)
        return draw(self, ax=ax, **kw)

    def save(self, path, formats=None, **kw):
        """Write the result's figure (see :meth:`plot`) to ``path``: 300-dpi PNG, SVG or PDF by
        the suffix, or each of ``formats`` (``("png", "svg", "pdf")``) beside it, with the
        source line; returns the path written (the first format's)."""
        return self.plot(path=path, formats=formats, **kw)
