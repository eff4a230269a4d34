"""Ensembles over uncertain inputs: distributions, seeded sampling, intervals, convergence and
sensitivity ranking. Generic: nothing here knows of missiles or countries.

Distributions
-------------
Any numeric input may be a :class:`Distribution`: ``fixed``, ``uniform`` (low, high),
``normal`` (mean, sd; truncated to [low, high] when bounds are given or the field has them),
``lognormal`` (median, sigma of ln x; truncatable too), ``triangular`` (low, mode, high) or
``choice`` (a list of values, numbers or names, with weights). :func:`parse_distribution` reads
one from a scenario value (a number, a quantity string such as ``"45 s"``, a list, or a table
``{dist = "uniform", low = "30 s", high = "60 s"}``) and refuses bad input with one line naming
the field, the value and what is allowed (NaN and infinities never pass).

Reproducibility contract
------------------------
Sample ``i`` of input ``name`` under ``seed`` is a pure function of (seed, name, i): a uniform
number from a counter-based generator (SplitMix64 finaliser applied to the seed, a stable
32-bit stream number of the name (CRC-32) and the index; 53 random bits), pushed through the
distribution's inverse CDF. No generator state is carried from one sample to the next, so any
chunking, order or worker count gives bit-identical samples (tested).

Results
-------
:func:`proportion` gives a probability with its 95 % interval (Wilson score, or Clopper-Pearson
exact), :func:`stratified_proportion` the same for a weighted mix of independent ensembles,
:func:`quantiles`, :func:`convergence` (is n large enough?) and :func:`sensitivity` (which input
moves a probability most: the change between its low and high terciles, or across categories).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import InputError, check_range

Z95 = 1.959963984540054
"""Two-sided 95 % standard-normal quantile."""

KINDS = ("fixed", "uniform", "normal", "lognormal", "triangular", "choice")
_ALLOWED = ("a number, a quantity, a list of values, or a table with dist = "
            + " | ".join(KINDS[1:]))

__all__ = ["Distribution", "parse_distribution", "uniforms", "stream_id", "sample", "proportion",
           "stratified_proportion", "wilson_interval", "clopper_pearson", "quantiles", "convergence",
           "sensitivity", "median_convergence", "quantile_key", "KINDS", "Z95"]


# ------------------------------------------------------------------------------------------
# counter-based uniforms
# ------------------------------------------------------------------------------------------

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (a bijection of 64-bit words with full avalanche)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def stream_id(name: str) -> int:
    """A stable 32-bit stream number for an input's name (CRC-32 of its UTF-8 bytes)."""
    return zlib.crc32(str(name).encode("utf-8"))


def uniforms(seed: int, stream: int, index) -> np.ndarray:
    """Uniform numbers in (0, 1) for sample indices ``index`` (array of ints >= 0): a pure
    function of (seed, stream, index), so any chunking gives the same numbers."""
    seed = int(seed) % 2**64
    idx = np.asarray(index, dtype=np.uint64)
    with np.errstate(over="ignore"):
        key = _mix(np.uint64(seed) ^ (np.uint64(int(stream) % 2**64) * _GOLDEN))
        x = _mix(_mix(idx * _GOLDEN + key) ^ key)
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


# ------------------------------------------------------------------------------------------
# distributions
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Distribution:
    """One uncertain input. ``params`` by kind: fixed (value,), uniform (low, high), normal
    (mean, sd, low, high), lognormal (median, sigma, low, high), triangular (low, mode, high);
    choice: ``values`` and normalised ``weights``. Numbers are in the field's unit."""

    kind: str
    params: tuple = ()
    values: tuple = ()
    weights: tuple = ()
    unit: str = ""

    @property
    def categorical(self) -> bool:
        """True for a choice among names (not numbers)."""
        return self.kind == "choice" and not all(isinstance(v, (int, float)) for v in self.values)

    @property
    def varies(self) -> bool:
        if self.kind == "fixed":
            return False
        if self.kind == "choice":
            return len(set(self.values)) > 1
        return not (self.kind == "uniform" and self.params[0] == self.params[1])

    def ppf(self, u) -> np.ndarray:
        """Values at uniform numbers ``u`` (inverse CDF); a choice gives indices into ``values``
        when categorical, else the values themselves."""
        from scipy.special import ndtr, ndtri

        u = np.asarray(u, float)
        k, p = self.kind, self.params
        if k == "fixed":
            return np.full(u.shape, p[0])
        if k == "uniform":
            return p[0] + (p[1] - p[0]) * u
        if k == "triangular":
            a, c, b = p
            f = (c - a) / (b - a) if b > a else 0.5
            lo = a + np.sqrt(u * (b - a) * (c - a))
            hi = b - np.sqrt((1 - u) * (b - a) * (b - c))
            return np.where(u < f, lo, hi)
        if k in ("normal", "lognormal"):
            mu, sd, a, b = (p[0], p[1], p[2], p[3]) if k == "normal" else (math.log(p[0]), p[1],
                                                                          _log(p[2]), _log(p[3]))
            if sd == 0:
                x = np.full(u.shape, mu)
            else:
                fa, fb = ndtr((a - mu) / sd), ndtr((b - mu) / sd)
                x = mu + sd * ndtri(np.clip(fa + (fb - fa) * u, 1e-300, 1 - 1e-16))
                x = np.clip(x, a, b)
            return x if k == "normal" else np.exp(x)
        idx = np.minimum(np.searchsorted(np.cumsum(self.weights), u, side="right"), len(self.values) - 1)
        return idx if self.categorical else np.asarray(self.values, float)[idx]

    def describe(self) -> str:
        """The distribution in words, e.g. ``uniform 30-60 s``."""
        u = f" {self.unit}" if self.unit else ""
        p = self.params
        if self.kind == "fixed":
            return f"{_g(p[0])}{u}"
        if self.kind == "uniform":
            return f"uniform {_g(p[0])}-{_g(p[1])}{u}"
        if self.kind == "triangular":
            return f"triangular {_g(p[0])}/{_g(p[1])}/{_g(p[2])}{u} (low/mode/high)"
        if self.kind in ("normal", "lognormal"):
            head = (f"normal mean {_g(p[0])}{u}, sd {_g(p[1])}" if self.kind == "normal"
                    else f"lognormal median {_g(p[0])}{u}, sigma {_g(p[1])}")
            cut = [f">= {_g(p[2])}" if math.isfinite(p[2]) and p[2] > 0 else "",
                   f"<= {_g(p[3])}" if math.isfinite(p[3]) else ""]
            cut = " ".join(c for c in cut if c)
            return head + (f" (truncated {cut})" if cut else "")
        return ", ".join(f"{v if isinstance(v, str) else _g(v)}{'' if isinstance(v, str) else u} "
                         f"({w:.0%})" for v, w in zip(self.values, self.weights, strict=True))

    def to_dict(self) -> dict:
        d = {"dist": self.kind, "unit": self.unit, "text": self.describe()}
        if self.kind == "choice":
            d.update(values=list(self.values), weights=list(self.weights))
        else:
            d["params"] = [float(x) for x in self.params]
        return d


def _log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def _g(x) -> str:
    return f"{x:g}"


def _num(field: str, v, unit: str, lo, hi) -> float:
    from .units import quantity

    if unit:
        return quantity(field, v, unit, lo, hi)
    return check_range(field, v, lo, hi)


def _choice(field: str, values, weights, unit: str, lo, hi) -> Distribution:
    if not isinstance(values, (list, tuple)) or not values or len(values) > 10_000:
        raise InputError(f"{field}.values", values, "a non-empty list (up to 10,000 values)")
    if all(isinstance(v, str) for v in values) and not unit:
        vals = tuple(str(v) for v in values)
    else:
        vals = tuple(_num(f"{field}.values[{i}]", v, unit, lo, hi) for i, v in enumerate(values))
    if weights is None:
        w = [1.0] * len(vals)
    else:
        if not isinstance(weights, (list, tuple)) or len(weights) != len(vals):
            raise InputError(f"{field}.weights", weights, f"a list of {len(vals)} weights (one per value)")
        w = [check_range(f"{field}.weights[{i}]", x, 0.0, 1e12) for i, x in enumerate(weights)]
    if sum(w) <= 0:
        raise InputError(f"{field}.weights", weights, "weights >= 0 with a positive sum")
    s = sum(w)
    return Distribution("choice", values=vals, weights=tuple(x / s for x in w), unit=unit)


def parse_distribution(field: str, spec, unit: str = "", lo: float | None = None,
                       hi: float | None = None, tails: float | None = None) -> Distribution:
    """A :class:`Distribution` from a scenario value, in ``unit`` (numbers may carry units as
    strings), every value and the whole support checked against [lo, hi]. A table without
    ``dist`` but with ``values`` is a choice. InputError names the field (``field.low``,
    ``field.weights[2]``, ...) on bad input.

    A normal or lognormal without its own ``low``/``high`` is truncated to [lo, hi]; with
    ``tails`` (a number of standard deviations, e.g. 6) it is instead refused unless
    mean +- tails * sd (lognormal: median * exp(+- tails * sigma)) lies inside [lo, hi], so that
    a field's range never silently reshapes the distribution a user wrote."""
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, (list, tuple)):
        return _choice(field, list(spec), None, unit, lo, hi)
    if not isinstance(spec, Mapping):
        if isinstance(spec, str) and not unit:
            return Distribution("choice", values=(spec,), weights=(1.0,))
        return Distribution("fixed", (_num(field, spec, unit, lo, hi),), unit=unit)
    kind = str(spec.get("dist", "choice" if "values" in spec else "")).strip().lower()
    if kind not in KINDS:
        raise InputError(f"{field}.dist", spec.get("dist"), " | ".join(KINDS))
    keys = {"fixed": {"value"}, "uniform": {"low", "high"}, "normal": {"mean", "sd", "low", "high"},
            "lognormal": {"median", "sigma", "low", "high"}, "triangular": {"low", "mode", "high"},
            "choice": {"values", "weights"}}[kind]
    extra = sorted(set(spec) - keys - {"dist"})
    if extra:
        raise InputError(f"{field}.{extra[0]}", spec[extra[0]], f"keys of a {kind} distribution: {sorted(keys)}")
    if kind == "choice":
        return _choice(field, spec.get("values"), spec.get("weights"), unit, lo, hi)

    def need(k, lo_=lo, hi_=hi):
        if k not in spec:
            raise InputError(f"{field}.{k}", None, f"a value (required by a {kind} distribution)")
        return _num(f"{field}.{k}", spec[k], unit, lo_, hi_)

    if kind == "fixed":
        return Distribution("fixed", (need("value"),), unit=unit)
    if kind == "uniform":
        a, b = need("low"), need("high")
        if b < a:
            raise InputError(f"{field}.high", spec["high"], f">= low ({_g(a)} {unit})")
        return Distribution("uniform", (a, b), unit=unit)
    if kind == "triangular":
        a, c, b = need("low"), need("mode"), need("high")
        if not a <= c <= b or a == b:
            raise InputError(f"{field}.mode", spec["mode"], f"low <= mode <= high with low < high ({unit})")
        return Distribution("triangular", (a, c, b), unit=unit)
    cut_lo = need("low") if "low" in spec else (lo if lo is not None else -math.inf)
    cut_hi = need("high") if "high" in spec else (hi if hi is not None else math.inf)
    if kind == "normal":
        m = need("mean")
        if "sd" not in spec:
            raise InputError(f"{field}.sd", None, "a value (required by a normal distribution)")
        sd = _num(f"{field}.sd", spec["sd"], unit, 0.0, None)
    else:
        m = need("median")
        if m <= 0:
            raise InputError(f"{field}.median", spec["median"], "> 0 (a lognormal is positive)")
        if "sigma" not in spec:
            raise InputError(f"{field}.sigma", None, "a value (required by a lognormal distribution)")
        sd = check_range(f"{field}.sigma", spec["sigma"], 0.0, 5.0)
    if not cut_lo <= m <= cut_hi or cut_lo >= cut_hi:
        raise InputError(f"{field}.{'mean' if kind == 'normal' else 'median'}", m,
                         f"inside the truncation bounds {_g(cut_lo)} to {_g(cut_hi)} {unit}")
    if tails is not None:
        _check_tails(field, kind, spec, m, sd, unit, lo if "low" not in spec else None,
                     hi if "high" not in spec else None, tails)
    return Distribution(kind, (m, sd, cut_lo, cut_hi), unit=unit)


def _check_tails(field: str, kind: str, spec, m: float, sd: float, unit: str, lo, hi, tails: float) -> None:
    """Refuse a normal/lognormal whose +-``tails`` sd span leaves [lo, hi] (None: no bound)."""
    if kind == "normal":
        a, b, key = m - tails * sd, m + tails * sd, "sd"
    else:
        a, b, key = m * math.exp(-tails * sd), m * math.exp(min(tails * sd, 700.0)), "sigma"
    if (lo is not None and a < lo) or (hi is not None and b > hi):
        rng = f"{_g(lo) if lo is not None else '-inf'} to {_g(hi) if hi is not None else 'inf'} {unit}".rstrip()
        raise InputError(f"{field}.{key}", spec[key],
                         f"a spread whose +-{_g(tails)} sd ({_g(a)} to {_g(b)} {unit}) stays inside the field's "
                         f"range {rng}", "or give low/high to truncate it")


def sample(dists: Mapping[str, Distribution], seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """Samples ``start`` to ``stop - 1`` of every input (pure functions of seed, name, index)."""
    if not 0 <= int(start) <= int(stop):
        raise InputError("samples", (start, stop), "0 <= start <= stop")
    idx = np.arange(int(start), int(stop), dtype=np.uint64)
    return {name: d.ppf(uniforms(seed, stream_id(name), idx)) for name, d in dists.items()}


# ------------------------------------------------------------------------------------------
# intervals and summaries
# ------------------------------------------------------------------------------------------

def wilson_interval(k, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes in n trials (arrays broadcast; (0, 1) for n = 0)."""
    k = np.asarray(k, float)
    n = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / np.maximum(n, 1), 0.0)
        den = 1 + z * z / np.maximum(n, 1e-300)
        c = (p + z * z / (2 * np.maximum(n, 1e-300))) / den
        h = z * np.sqrt(p * (1 - p) / np.maximum(n, 1e-300) + z * z / (4 * np.maximum(n, 1e-300) ** 2)) / den
    lo = np.where(n > 0, np.clip(c - h, 0, 1), 0.0)
    hi = np.where(n > 0, np.clip(c + h, 0, 1), 1.0)
    return lo, hi


def clopper_pearson(k, n, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Clopper-Pearson (exact binomial) interval for k successes in n trials."""
    from scipy.stats import beta

    k = np.asarray(k, float)
    n = np.asarray(n, float)
    a = (1 - conf) / 2
    with np.errstate(invalid="ignore"):
        lo = np.where(k > 0, beta.ppf(a, k, n - k + 1), 0.0)
        hi = np.where(k < n, beta.ppf(1 - a, k + 1, n - k), 1.0)
    return np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=1.0)


def proportion(event, method: str = "wilson") -> dict:
    """``{p, ci95, n, k, method}`` for a boolean array of outcomes (p None when n = 0)."""
    e = np.asarray(event, bool)
    n, k = int(e.size), int(e.sum())
    if method not in ("wilson", "clopper-pearson"):
        raise InputError("interval method", method, "wilson | clopper-pearson")
    lo, hi = wilson_interval(k, n) if method == "wilson" else clopper_pearson(k, n)
    return {"p": k / n if n else None, "ci95": [float(lo), float(hi)], "n": n, "k": k, "method": method}


def stratified_proportion(parts: Sequence[dict], weights: Sequence[float]) -> dict:
    """A weighted mix of independent proportions (``proportion`` dicts), e.g. over targets:
    p = sum w_i p_i; its 95 % interval is Wilson's at the effective size p(1-p)/var with
    var = sum w_i^2 p_i (1 - p_i) / n_i (Kish), the plain sizes' sum where p is 0 or 1."""
    w = np.asarray(weights, float)
    ok = np.array([d["n"] > 0 for d in parts])
    if not ok.any():
        return {"p": None, "ci95": [0.0, 1.0], "n": 0, "method": "stratified wilson"}
    w = np.where(ok, w, 0.0)
    w = w / w.sum()
    p_i = np.array([d["p"] if d["n"] else 0.0 for d in parts])
    n_i = np.array([max(d["n"], 1) for d in parts], float)
    p = float(w @ p_i)
    var = float(np.sum(w**2 * p_i * (1 - p_i) / n_i))
    n_total = int(sum(d["n"] for d in parts))
    n_eff = p * (1 - p) / var if var > 0 else float(n_total)
    lo, hi = wilson_interval(p * n_eff, n_eff)
    return {"p": p, "ci95": [float(lo), float(hi)], "n": n_total, "n_effective": float(n_eff),
            "method": "stratified wilson (Kish effective size)"}


def quantile_key(q: float) -> str:
    """``q05`` for 0.05, ``q50`` for 0.5, ``q2.5`` for 0.025 (whole percents padded to 2 digits)."""
    pct = q * 100
    return f"q{round(pct):02d}" if abs(pct - round(pct)) < 1e-9 else f"q{pct:g}"


def quantiles(x, qs: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> dict[str, float]:
    """Quantiles of the finite values of ``x`` (keys ``q05``, ``q50``, ...: see
    :func:`quantile_key`; numpy's default linear interpolation); empty if none."""
    v = np.asarray(x, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {}
    return {quantile_key(q): float(np.quantile(v, q)) for q in qs}


def convergence(event, tol: float = 0.05) -> dict:
    """Is the ensemble large enough for this probability? ``converged`` when the 95 % Wilson
    half-width is <= ``tol`` and the estimate from the first half of the samples lies inside
    the full ensemble's 95 % interval. Also the estimates at n/4, n/2 and n."""
    e = np.asarray(event, bool)
    n = e.size
    if n < 4:
        return {"converged": False, "half_width": 0.5, "running": {}, "tol": tol}
    full = proportion(e)
    half = proportion(e[: n // 2])
    hw = (full["ci95"][1] - full["ci95"][0]) / 2
    ok = hw <= tol and full["ci95"][0] <= half["p"] <= full["ci95"][1]
    return {"converged": bool(ok), "half_width": float(hw), "tol": tol,
            "running": {str(m): float(e[:m].mean()) for m in (n // 4, n // 2, n)}}


def median_convergence(x, tol: float = 0.02) -> dict:
    """Is the ensemble large enough for the median of a numeric output? The distribution-free
    95 % interval of the median (order statistics at ranks n/2 -+ 1.96 sqrt(n)/2); ``converged``
    when its half-width is <= ``tol`` times the spread scale max(|median|, IQR) and the median
    of the first half of the samples lies inside it. Also the medians at n/4, n/2 and n."""
    v = np.asarray(x, float)
    v = v[np.isfinite(v)]
    n = v.size
    if n < 8:
        return {"converged": False, "n": int(n), "tol": tol, "running": {}}
    s = np.sort(v)
    h = Z95 * math.sqrt(n) / 2
    lo, hi = s[max(int(math.floor(n / 2 - h)), 0)], s[min(int(math.ceil(n / 2 + h)), n - 1)]
    med = float(np.median(v))
    scale = max(abs(med), float(np.subtract(*np.quantile(v, [0.75, 0.25]))), 1e-300)
    first = float(np.median(v[: n // 2]))
    ok = (hi - lo) / 2 <= tol * scale and lo <= first <= hi
    return {"converged": bool(ok), "n": int(n), "tol": tol, "median_ci95": [float(lo), float(hi)],
            "running": {str(m): float(np.median(v[:m])) for m in (n // 4, n // 2, n)}}


def _group_stat(e: np.ndarray, mask: np.ndarray, numeric: bool) -> float:
    """P(event) in a group, or the mean of the finite outcomes there (NaN if none)."""
    if not numeric:
        return float(e[mask].mean())
    m = mask & np.isfinite(e)
    return float(e[m].mean()) if m.any() else math.nan


def sensitivity(inputs: Mapping[str, np.ndarray], event, labels: Mapping[str, Sequence[str]] | None = None,
                min_group: int = 10) -> list[dict]:
    """Which input moves the outcome most, sorted by the size of the change.

    ``event``: booleans (the statistic is P(event)) or numbers (the statistic is the mean of
    the finite outcomes). A numeric input: the statistic among samples in its lowest tercile
    and in its highest (``effect`` = high - low). A categorical input (integer codes, names in
    ``labels``) or one with at most 6 distinct values: the statistic per value, ``effect`` =
    largest - smallest (signed from the first value's to the last's is not meaningful, so it
    is >= 0). Inputs that do not vary, or groups under ``min_group`` samples, are left out."""
    e = np.asarray(event)
    numeric = e.dtype.kind != "b"
    e = e.astype(float) if numeric else e.astype(bool)
    stat_name = "mean" if numeric else "p"
    labels = labels or {}
    rows = []
    for name, x in inputs.items():
        x = np.asarray(x)
        if x.shape != e.shape or e.size == 0:
            continue
        vals = np.unique(x[np.isfinite(x)] if x.dtype.kind == "f" else x)
        if vals.size < 2:
            continue
        if name in labels or vals.size <= 6:
            groups = {}
            for v in vals:
                m = x == v
                if m.sum() >= min_group:
                    key = labels[name][int(v)] if name in labels else _g(float(v))
                    groups[key] = _group_stat(e, m, numeric)
            finite = [g for g in groups.values() if math.isfinite(g)]
            if len(finite) < 2:
                continue
            effect = max(finite) - min(finite)
            rows.append({"input": name, "effect": effect, "method": "range over values", "statistic": stat_name,
                         "by_value": groups})
            continue
        lo_q, hi_q = np.nanquantile(x, [1 / 3, 2 / 3])
        lo_m, hi_m = x <= lo_q, x >= hi_q
        if lo_m.sum() < min_group or hi_m.sum() < min_group:
            continue
        p_lo, p_hi = _group_stat(e, lo_m, numeric), _group_stat(e, hi_m, numeric)
        if not (math.isfinite(p_lo) and math.isfinite(p_hi)):
            continue
        pre = "mean" if numeric else "p"
        rows.append({"input": name, "effect": p_hi - p_lo, "method": "high - low tercile", "statistic": stat_name,
                     f"{pre}_low_tercile": p_lo, f"{pre}_high_tercile": p_hi,
                     "low_tercile_max": float(lo_q), "high_tercile_min": float(hi_q)})
    return sorted(rows, key=lambda r: -abs(r["effect"]))
