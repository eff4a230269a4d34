"""Debris fragments: seeded draws, initial states, flights on the engine, territory shares and cities at risk."""


from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..models.earth import Earth
from .common import EARTH_RADIUS_KM, RNG_BLOCK, WILSON_Z
from .scenario import BetaDist, Kick
from .shortfall import wrap_lon

# ------------------------------------------------------------------------------------------
# fragment footprint
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FragmentSource:
    """Everything a chunk of fragments needs (plain arrays: cheap to ship to workers)."""

    times: np.ndarray      # (k,) intercept times on the grid (s after launch)
    states: np.ndarray     # (k, 6) Earth-fixed intercept states
    kick: Kick
    beta: BetaDist
    earth: Earth
    rtol: float
    t_max_s: float = 2.0e4


def _block_draws(seed: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
    return g.random((RNG_BLOCK, 4)), g.standard_normal((RNG_BLOCK, 2))


def fragment_draws(seed: int, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniforms (m, 4) and standard normals (m, 2) of fragments ``start..stop-1``: a pure
    function of (seed, index), whatever range is asked for."""
    if stop <= start:
        return np.zeros((0, 4)), np.zeros((0, 2))
    b0, b1 = start // RNG_BLOCK, (stop - 1) // RNG_BLOCK
    us, zs = zip(*(_block_draws(seed, b) for b in range(b0, b1 + 1)), strict=True)
    off = start - b0 * RNG_BLOCK
    return (np.concatenate(us)[off:off + stop - start], np.concatenate(zs)[off:off + stop - start])


def initial_states(src: FragmentSource, seed: int, start: int, stop: int):
    """(r0, v0, beta, kick magnitude, intercept-time index) of fragments start..stop-1."""
    u, z = fragment_draws(seed, start, stop)
    m = stop - start
    k = src.kick
    ti = np.minimum((u[:, 3] * len(src.times)).astype(np.int64), len(src.times) - 1)
    st = src.states[ti]
    v = st[:, 3:]
    if k.direction == "isotropic":
        cos_t = 2.0 * u[:, 0] - 1.0
    else:
        cos_t = 1.0 - u[:, 0] * (1.0 - math.cos(math.radians(k.cone_half_angle)))
    phi = 2.0 * math.pi * u[:, 1]
    sin_t = np.sqrt(np.maximum(0.0, 1.0 - cos_t ** 2))
    # basis: e1 along the threat's velocity (Earth-fixed), e2 and e3 across it
    e1 = v / np.linalg.norm(v, axis=1, keepdims=True)
    helper = np.where(np.abs(e1[:, 2:3]) < 0.9, np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]]))
    e2 = np.cross(e1, helper)
    e2 /= np.linalg.norm(e2, axis=1, keepdims=True)
    e3 = np.cross(e1, e2)
    d = cos_t[:, None] * e1 + (sin_t * np.cos(phi))[:, None] * e2 + (sin_t * np.sin(phi))[:, None] * e3
    if k.magnitude == "lognormal":
        mag = k.median * np.exp(k.sigma * z[:, 0])
    else:
        mag = k.min + (k.max - k.min) * u[:, 2]
    beta = src.beta.median * np.exp(src.beta.sigma * z[:, 1])
    assert d.shape == (m, 3)
    return st[:, :3].copy(), v + mag[:, None] * d, beta, mag, ti


def coast_lanes(r0, v0, beta, earth: Earth, rtol: float, t_max_s: float) -> dict:
    """Coast bodies on the engine (:func:`boostphase.flight.flyout.coast_states`, on the engine
    threads). Slow
    light debris ends with the terminal-fall model (impact points within metres of a full
    integration, fall times within 2 %: see ``Settings.terminal_fall``)."""
    from ..flight.flyout import coast_states

    out = coast_states(r0, v0, beta, earth=earth, t_max_s=t_max_s, rtol=rtol, terminal_fall=True)
    return {k: np.asarray(out[k]) for k in ("y", "t", "impacted")}


def fly_fragment_chunk(src: FragmentSource, seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """Impacts of fragments ``start..stop-1``: a pure function of (source, seed, index).

    Fragments are sorted by ballistic coefficient before they are grouped into engine calls
    (similar step counts per call); the results are put back in index order."""
    r0, v0, beta, mag, ti = initial_states(src, seed, start, stop)
    m = stop - start
    order = np.lexsort((beta, ti))  # similar fragments side by side: same intercept time, then beta
    out = coast_lanes(r0[order], v0[order], beta[order], src.earth, src.rtol, src.t_max_s)
    y, t, hit = np.empty((m, 6)), np.empty(m), np.empty(m, dtype=bool)
    y[order], t[order], hit[order] = out["y"], out["t"], out["impacted"]
    lat, lon, _ = src.earth.ecef_to_geodetic(y[:, :3])
    return {"lat": lat, "lon": wrap_lon(lon), "flight_time_s": t, "impacted": hit, "beta_kg_m2": beta,
            "kick_m_s": mag, "intercept_s": src.times[ti]}


def wilson_interval(k, n: int, z: float = WILSON_Z) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion k/n (two-sided, 95 % for the default z)."""
    k = np.asarray(k, float)
    p = k / n
    den = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z / den * np.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n))
    return np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)


def territory_shares(labels, n: int | None = None) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Shares of each label and their 95 % Wilson intervals, largest first."""
    from collections import Counter

    lab = np.asarray(labels, dtype=object)
    n = lab.size if n is None else n
    # a Counter over the few distinct labels: np.unique on a million strings sorts them (0.8 s)
    tally = Counter(str(x) for x in lab.tolist())
    names = np.array(sorted(tally), dtype=object)
    counts = np.array([tally[k] for k in names], dtype=np.int64)
    order = np.lexsort((names, -counts))
    lo, hi = wilson_interval(counts[order], n)
    shares = {str(names[i]): float(counts[i] / n) for i in order}
    ci = {str(names[i]): [float(a), float(b)] for i, a, b in zip(order, lo, hi, strict=True)}
    return shares, ci


def _unit(lat, lon):
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _km_to_chord(km):
    return 2.0 * np.sin(np.asarray(km, float) / (2.0 * EARTH_RADIUS_KM))


def _chord_to_km(ch):
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.asarray(ch, float) / 2.0, 1.0))


def cities_at_risk(frag_lat, frag_lon, radius_km: float, pieces: int | None = None,
                   others: Sequence[dict] = ()) -> list[dict]:
    """Cities (GeoNames, population >= 15,000) within ``radius_km`` of any impact.

    ``frag_lat/lon``: fragment impacts (each one simulated fragment). ``pieces``: the number of
    real pieces the simulated fragments stand for (default: as many as simulated); each city's
    ``expected_impacts`` = fragments within the radius x pieces / fragments. ``others``:
    further impacts (``{kind, lat, lon, weight}``: the payload per window sample, the stages)
    reported by kind, with the summed weight of those within the radius."""
    from scipy.spatial import cKDTree

    from ..models.geography import city_table

    cat = city_table()
    radius_km = float(radius_km)
    n = len(frag_lat)
    scale = (pieces if pieces else n) / max(n, 1)
    chord = float(_km_to_chord(radius_km))
    pts = _unit(frag_lat, frag_lon) if n else np.zeros((0, 3))
    o_pts = _unit([o["lat"] for o in others], [o["lon"] for o in others]) if others else np.zeros((0, 3))
    allp = np.concatenate([pts, o_pts])
    if allp.shape[0] == 0:
        return []
    # candidate cities: near the occupied 0.1-degree cells (cell half-diagonal < 8 km)
    la = np.concatenate([np.asarray(frag_lat, float), [o["lat"] for o in others]])
    lo = np.concatenate([np.asarray(frag_lon, float), [o["lon"] for o in others]])
    # unique cells as one integer code each (np.unique on rows of a million pairs is slow)
    ila, ilo = np.round(la * 10.0).astype(np.int64), np.round(wrap_lon(lo) * 10.0).astype(np.int64)
    code = np.unique((ila + 900) * 3602 + (ilo + 1800))
    cells = np.stack([(code // 3602 - 900) / 10.0, (code % 3602 - 1800) / 10.0], 1)
    near = cat.tree.query_ball_point(_unit(cells[:, 0], cells[:, 1]), float(_km_to_chord(radius_km + 8.0)))
    cand = np.unique(np.concatenate([np.asarray(x, dtype=np.int64) for x in near] or [np.zeros(0, np.int64)]))
    if cand.size == 0:
        return []
    cv = _unit(cat.lat[cand], cat.lon[cand])
    # one tree over the fragments (built once: it is most of the time for a million points)
    tree = cKDTree(pts, balanced_tree=False) if n else None
    counts = (tree.query_ball_point(cv, chord * (1 + 1e-12), return_length=True)
              if n else np.zeros(cand.size, int))
    dmin = tree.query(cv)[0] if n else np.full(cand.size, np.inf)
    if o_pts.shape[0]:
        dmin = np.minimum(dmin, np.linalg.norm(cv[:, None, :] - o_pts[None, :, :], axis=2).min(axis=1))
    dmin_km = _chord_to_km(dmin)
    rows = []
    for j, ci in enumerate(cand):
        if dmin_km[j] > radius_km:
            continue
        row = {"name": cat.name[ci], "country": cat.country[ci], "lat": float(cat.lat[ci]),
               "lon": float(cat.lon[ci]), "population": int(cat.population[ci]),
               "nearest_impact_km": float(dmin_km[j]), "fragments_within": int(counts[j]),
               "expected_impacts": float(counts[j] * scale)}
        if others:
            d_o = _chord_to_km(np.linalg.norm(o_pts - cv[j], axis=1))
            kinds: dict[str, float] = {}
            for o, d in zip(others, d_o, strict=True):
                if d <= radius_km:
                    kinds[o["kind"]] = kinds.get(o["kind"], 0.0) + float(o.get("weight", 1.0))
            row["other_impacts_within"] = kinds
        rows.append(row)
    rows.sort(key=lambda r: (-r["expected_impacts"], -sum(r.get("other_impacts_within", {}).values()),
                             r["nearest_impact_km"], -r["population"]))
    return rows
