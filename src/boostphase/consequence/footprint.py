"""The debris footprint of an intercept: the window of intercept times, the fragment Monte Carlo and its result."""


from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..models.earth import WGS84, Earth
from ..results import ResultMixin, dataset, frame, percent
from .common import ASSUMPTIONS, DEFAULT_WINDOW_START_S, ENGAGEMENT, NO_IMPACT, examples_dir
from .fragments import (
    FragmentSource,
    cities_at_risk,
    coast_lanes,
    fly_fragment_chunk,
    territory_shares,
)
from .scenario import BetaDist, EngagementSpec, Kick, Scenario, load_scenario
from .shortfall import (
    ShortfallTrace,
    cutoff_grid,
    resolve_missile,
    share_of_window,
    territory_intervals,
    wrap_lon,
)


@dataclass(repr=False)
class Footprint(ResultMixin):
    """Result of :func:`footprint`. Arrays are per fragment, in index order."""

    n: int
    seed: int
    lat: np.ndarray
    lon: np.ndarray
    territory: np.ndarray
    impacted: np.ndarray
    flight_time_s: np.ndarray
    beta_kg_m2: np.ndarray
    kick_m_s: np.ndarray
    intercept_s: np.ndarray
    shares: dict[str, float]
    shares_ci: dict[str, list[float]]
    cities_at_risk: list[dict]
    city_radius_km: float
    payload: dict | None = None
    stages: list[dict] = field(default_factory=list)
    intercept: dict = field(default_factory=dict)
    threat: dict = field(default_factory=dict)
    trace: ShortfallTrace | None = None
    assumptions: dict = field(default_factory=dict)
    timing_s: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The CLI's JSON contract (no per-fragment arrays)."""
        return {
            "n": self.n, "seed": self.seed, "shares": self.shares, "shares_ci": self.shares_ci,
            "ci_method": "Wilson score interval, 95 %, binomial per territory (Monte Carlo "
                         "sampling error only; not the uncertainty of the kick and beta models)",
            "cities_at_risk": self.cities_at_risk, "city_radius_km": self.city_radius_km,
            "payload": self.payload, "stages": self.stages, "intercept": self.intercept,
            "threat": self.threat, "assumptions": self.assumptions, "timing_s": self.timing_s,
        }

    # --- as data and pictures (boostphase.results) ------------------------------------------
    plot_kind = "footprint"

    def result_title(self) -> str:
        return str(self.threat.get("missile") or "intercept state")

    def key_figures(self) -> list[tuple[str, str]]:
        """Fragments flown, the three largest territory shares, where the payload lands."""
        figs = [("fragments", f"{self.n:,}")]
        figs += [(name, percent(p)) for name, p in list(self.shares.items())[:3]]
        if self.payload and self.payload.get("share_of_window"):
            where, p = max(self.payload["share_of_window"].items(), key=lambda kv: kv[1])
            figs.append(("payload", f"{where} {percent(p)}"))
        return figs

    def verdict_line(self) -> str | None:
        if not self.shares:
            return None
        name, p = next(iter(self.shares.items()))
        lo, hi = self.shares_ci[name]
        return (f"the largest share of fragments lands in {name}: {percent(p)} (95 % CI {percent(lo)}-"
                f"{percent(hi)}, Monte Carlo sampling error only)")

    def display_columns(self) -> dict[str, np.ndarray]:
        """Every fragment (the columns of :meth:`to_csv`), units named in the keys."""
        return {"lat_deg": self.lat, "lon_deg": self.lon, "territory": np.asarray(self.territory, dtype=object),
                "impacted": np.asarray(self.impacted, bool), "flight_time_s": self.flight_time_s,
                "beta_kg_m2": self.beta_kg_m2, "kick_m_s": self.kick_m_s, "intercept_s": self.intercept_s}

    def to_dataframe(self):
        """Every fragment as a pandas DataFrame (index ``fragment``); shares and their intervals
        in ``attrs``."""
        return frame(self.display_columns(), {"result": repr(self), "n": self.n, "seed": self.seed,
                                              "shares": self.shares, "shares_ci": self.shares_ci},
                     index="fragment")

    def to_xarray(self):
        """Fragments on the dimension ``fragment`` (their territory as ``fragment_territory``);
        the territory shares (``share``, ``ci95_low``, ``ci95_high``) on the dimension ``territory``."""
        cols = self.display_columns()
        cols["fragment_territory"] = cols.pop("territory").astype(str)  # "territory" is the shares' dim
        names = list(self.shares)
        data = {k: ("fragment", v) for k, v in cols.items()}
        data["share"] = ("territory", np.array([self.shares[t] for t in names], float))
        data["ci95_low"] = ("territory", np.array([self.shares_ci[t][0] for t in names], float))
        data["ci95_high"] = ("territory", np.array([self.shares_ci[t][1] for t in names], float))
        return dataset(data, {"fragment": ("fragment", np.arange(self.n)), "territory": ("territory", names)},
                       {"result": repr(self), "n": self.n, "seed": self.seed})


    # --- exports (impact points and density contours) ---------------------------------
    def density_contours(self, levels=(0.5, 0.9, 0.99), bins: int = 200) -> list[dict]:
        """Highest-density regions holding the given fractions of the impacted fragments:
        ``[{level, rings, polygons}]`` from a 2-D histogram smoothed by 1.5 bins.

        ``rings: [[(lon, lat), ...], ...]``: the contours with longitudes kept continuous around
        the cloud's centre (they may leave [-180, 180]; for plots). ``polygons: [[ring], ...]``:
        the same regions for maps and files, each ring a polygon of its own (a rare ring around a
        hole is filled), cut at the antimeridian into parts inside [-180, 180] (RFC 7946, 3.1.9),
        counter-clockwise."""
        import contourpy

        from ..models.geography import unwrap_longitude

        ok = self.impacted
        if ok.sum() < 10:
            return []
        lat = self.lat[ok]
        lon = unwrap_longitude(self.lon[ok])
        x0, x1 = lon.min(), lon.max()
        y0, y1 = lat.min(), lat.max()
        px, py = max(1e-3, 0.02 * (x1 - x0)), max(1e-3, 0.02 * (y1 - y0))
        ex = np.linspace(x0 - px, x1 + px, bins + 1)
        ey = np.linspace(y0 - py, y1 + py, bins + 1)
        h, _, _ = np.histogram2d(lon, lat, bins=(ex, ey))
        # a light smoothing (Gaussian, 1.5 bins) so the regions are not outlines of single cells
        from scipy.ndimage import gaussian_filter

        h = np.pad(gaussian_filter(h, 1.5, mode="constant"), 1)  # zero border: every contour closes
        cx = np.concatenate([[ex[0] - (ex[1] - ex[0]) / 2], 0.5 * (ex[1:] + ex[:-1]), [ex[-1] + (ex[1] - ex[0]) / 2]])
        cy = np.concatenate([[ey[0] - (ey[1] - ey[0]) / 2], 0.5 * (ey[1:] + ey[:-1]), [ey[-1] + (ey[1] - ey[0]) / 2]])
        flat = np.sort(h.ravel())[::-1]
        cum = np.cumsum(flat) / flat.sum()
        gen = contourpy.contour_generator(cx, cy, h.T)
        out = []
        for lev in levels:
            i = int(np.searchsorted(cum, lev))
            thr = flat[min(i, flat.size - 1)]
            lines = gen.lines(max(float(thr), 1e-12) * (1 - 1e-9))
            rings = []
            for ln in lines:
                if len(ln) < 4:
                    continue
                ring = [(float(a), float(b)) for a, b in ln]
                if ring[0] != ring[-1]:
                    ring.append(ring[0])
                rings.append(ring)
            polys = [q for r in rings for q in split_antimeridian(r)]
            out.append({"level": float(lev), "rings": rings, "polygons": polys})
        return out

    def to_geojson(self, max_points: int = 10_000) -> dict:
        """FeatureCollection: fragment impacts (the first ``max_points`` indices: a random
        sample, since indices are exchangeable), payload and stage impacts, density contours."""
        feats = []
        idx = np.flatnonzero(self.impacted)[:max_points]
        for i in idx:
            feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [
                float(self.lon[i]), float(self.lat[i])]}, "properties": {
                "kind": "fragment", "index": int(i), "territory": str(self.territory[i]),
                "beta_kg_m2": float(self.beta_kg_m2[i]), "kick_m_s": float(self.kick_m_s[i]),
                "intercept_s": float(self.intercept_s[i])}})
        for o in self._objects():
            feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [o["lon"], o["lat"]]},
                          "properties": {k: v for k, v in o.items() if k not in ("lat", "lon")}})
        for c in self.density_contours():
            feats.append({"type": "Feature", "properties": {"kind": "density contour", "level": c["level"]},
                          "geometry": {"type": "MultiPolygon",
                                       "coordinates": [[[list(p) for p in r] for r in poly]
                                                       for poly in c["polygons"]]}})
        return {"type": "FeatureCollection", "features": feats,
                "properties": {"n": self.n, "seed": self.seed, "points_written": int(idx.size)}}

    def _objects(self) -> list[dict]:
        objs = []
        if self.payload:
            for p in self.payload["impacts"]:
                objs.append({"kind": "payload", "lat": p["lat"], "lon": p["lon"], "intercept_s": p["intercept_s"],
                             "territory": p["territory"]})
        for s in self.stages:
            objs.append({"kind": s["name"], "lat": s["lat"], "lon": s["lon"], "territory": s["territory"]})
        return objs

    def to_csv(self, path) -> Path:
        """Every fragment: index, lat, lon, territory, impacted, flight time, beta, kick, intercept time."""
        import csv

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["index", "lat", "lon", "territory", "impacted", "flight_time_s", "beta_kg_m2",
                        "kick_m_s", "intercept_s"])
            for i in range(self.n):
                w.writerow([i, f"{self.lat[i]:.6f}", f"{self.lon[i]:.6f}", self.territory[i],
                            int(self.impacted[i]), f"{self.flight_time_s[i]:.3f}", f"{self.beta_kg_m2[i]:.4g}",
                            f"{self.kick_m_s[i]:.4g}", f"{self.intercept_s[i]:.3f}"])
        return path

    def to_kml(self, max_points: int = 5_000) -> str:
        """KML: density contours as polygons, payload/stage impacts and a sample of fragments."""
        from xml.sax.saxutils import escape

        parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<kml xmlns="http://www.opengis.net/kml/2.2">',
                 "<Document>", f"<name>boostphase footprint (n={self.n}, seed={self.seed})</name>"]
        for c in self.density_contours():
            for poly in c["polygons"]:  # cut at the antimeridian: no polygon spans the map
                rings = [" ".join(f"{a:.5f},{b:.5f},0" for a, b in r) for r in poly]
                inner = "".join(f"<innerBoundaryIs><LinearRing><coordinates>{x}</coordinates></LinearRing>"
                                "</innerBoundaryIs>" for x in rings[1:])
                parts.append(f"<Placemark><name>{c['level']:.0%} of fragments</name><Polygon><outerBoundaryIs>"
                             f"<LinearRing><coordinates>{rings[0]}</coordinates></LinearRing></outerBoundaryIs>"
                             f"{inner}</Polygon></Placemark>")
        for o in self._objects():
            parts.append(f"<Placemark><name>{escape(str(o['kind']))} ({escape(str(o['territory']))})</name>"
                         f"<Point><coordinates>{o['lon']:.5f},{o['lat']:.5f},0</coordinates></Point></Placemark>")
        parts.append("<Folder><name>fragments (sample)</name>")
        for i in np.flatnonzero(self.impacted)[:max_points]:
            parts.append(f"<Placemark><Point><coordinates>{self.lon[i]:.5f},{self.lat[i]:.5f},0"
                         "</coordinates></Point></Placemark>")
        parts += ["</Folder>", "</Document>", "</kml>"]
        return "\n".join(parts)


def split_antimeridian(ring) -> list[list[list[tuple[float, float]]]]:
    """A closed ring of (lon, lat) with continuous longitudes (it may leave [-180, 180]) as
    polygons inside [-180, 180]: the ring is cut along every meridian +-180 + 360 k it crosses
    and each part shifted by a whole turn into the map (RFC 7946, 3.1.9: split, do not wrap).
    Each polygon is ``[exterior, *holes]``, exterior counter-clockwise (RFC 7946, 3.1.6);
    closed rings of (lon, lat)."""
    import shapely
    from shapely.geometry import Polygon, box
    from shapely.geometry.polygon import orient

    pts = [(float(a), float(b)) for a, b in ring]
    if len(pts) < 4:
        return []
    poly = Polygon(pts)
    if not poly.is_valid:
        poly = shapely.make_valid(poly)
    x0, _, x1, _ = poly.bounds
    out = []
    for k in range(math.floor((x0 + 180.0) / 360.0), math.floor((x1 + 180.0) / 360.0) + 1):
        part = poly.intersection(box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0))
        for g in getattr(part, "geoms", [part]):
            if g.geom_type != "Polygon" or g.is_empty or g.area < 1e-9:  # slivers of the cut
                continue
            g = orient(g, 1.0)

            def shift(coords, k=k):
                return [(min(180.0, max(-180.0, x - 360.0 * k)), y) for x, y in coords]

            out.append([shift(g.exterior.coords), *(shift(h.coords) for h in g.interiors)])
    return out


def _window_mode(sc: Scenario) -> str:
    """Where the intercept time(s) come from: ``time``, ``scenario`` (a window given in numbers),
    ``engagement`` (the earliest intercept of the laydown) or ``assumed`` (the default window)."""
    ic = sc.intercept
    if ic.time is not None:
        return "time"
    if ic.window is not None:
        return ENGAGEMENT if ic.window[0] == ENGAGEMENT else "scenario"
    return ENGAGEMENT if sc.engagement is not None else "assumed"


def resolve_window(sc: Scenario, t_bo: float, start_s: float | None = None) -> tuple[float, float, bool]:
    """(from, to, is_window) in s after launch, checked against burnout. ``start_s``: the
    engagement analysis' earliest intercept (None: none, or not asked for: the assumed start)."""
    ic = sc.intercept
    if ic.time is not None and ic.window is not None:
        raise InputError("intercept", "time and window", "one of intercept.time or intercept.window")
    if ic.time is not None:
        if not 0.0 < ic.time <= t_bo:
            raise InputError("intercept.time", ic.time, f"> 0 s and <= burnout ({t_bo:g} s)")
        return ic.time, ic.time, False
    a, b = (ENGAGEMENT, "burnout") if ic.window is None else ic.window
    b = t_bo if b == "burnout" else float(b)
    if a == ENGAGEMENT:
        if start_s is not None and start_s >= min(b, t_bo) - 1e-9:
            # the earliest intercept comes at the very end of the window: one intercept time
            t = float(min(b, t_bo))
            return t, t, False
        a = DEFAULT_WINDOW_START_S if start_s is None else float(start_s)
    if not 0.0 < a < b <= t_bo + 1e-9:
        raise InputError("intercept.window", (a, b), f"0 < from < to <= burnout ({t_bo:g} s)")
    return float(a), float(min(b, t_bo)), True


def _window_stop(sc: Scenario, t_bo: float) -> float:
    w = sc.intercept.window
    return t_bo if w is None or w[1] == "burnout" else min(float(w[1]), t_bo)


def engagement_threat(sc: Scenario, missile=None, earth: Earth = WGS84):
    """The scenario's threat as a :class:`boostphase.engage.Threat` (same missile, payload,
    launch, target or azimuth and profile; criterion: burnout)."""
    from .. import engage

    th = sc.threat
    m = missile if missile is not None else resolve_missile(th.missile, th.payload_kg)
    if th.target is None and th.azimuth is None:
        raise InputError("threat.target", None, "a target (LAT,LON or a city) or an azimuth")
    prof = th.profile or ("target" if th.target is not None else "min-energy")
    return engage.Threat(m, th.launch[0], th.launch[1], target=th.target,
                         azimuth_deg=th.azimuth if th.target is None else None, profile=prof,
                         criterion="burnout", earth=earth, name=sc.title or m.name)


def engagement_window(sc: Scenario, threat, t_end_s: float | None = None) -> dict:
    """The earliest intercept of ``threat`` (a :class:`boostphase.engage.Threat`) from the
    scenario's UAV laydown (``[engagement]``, default :data:`DEFAULT_ENGAGEMENT`): every orbit's
    engagement (``boostphase engage``'s rows) and the earliest intercept before ``t_end_s``
    (default burnout) over all orbits, or None where no orbit can intercept by then."""
    from ..engage import Engagement

    spec = sc.engagement or EngagementSpec()
    objs, src = spec.build()
    t_end = threat.burnout_time_s if t_end_s is None else float(t_end_s)
    rows = [Engagement(threat, p, objs.interceptor, objs.timeline).solve() for p in objs.platforms]
    ok = [r for r in rows if r.intercept_possible and r.intercept_time_s is not None
          and r.intercept_time_s <= t_end + 1e-9]
    best = min(ok, key=lambda r: r.intercept_time_s) if ok else None
    try:
        src_txt = str(Path(src).resolve().relative_to(examples_dir().parent))
    except ValueError:
        src_txt = src
    ic = objs.interceptor
    return {
        "laydown": src_txt, "title": objs.title,
        "interceptor": {"name": ic.name, "ideal_burnout_speed_km_s": ic.ideal_burnout_speed_m_s / 1e3,
                        "burn_time_s": ic.burn_time_s},
        "interceptor_launch_s": objs.timeline.interceptor_launch_s,
        "latest_s": t_end,
        "orbits": [r.row() for r in rows],
        "earliest": None if best is None else {
            "orbit": best.platform, "intercept_time_s": float(best.intercept_time_s),
            "lat": best.intercept_lat_deg, "lon": best.intercept_lon_deg,
            "alt_km": best.intercept_alt_m / 1e3, "interceptor_flyout_s": best.interceptor_flyout_s},
        "threat": "this scenario's threat (missile, payload, launch, target, profile), not the "
                  "engagement scenario's threats",
    }


def window_note(mode: str, a: float, b: float, eng: dict | None) -> str:
    if mode == "time":
        return f"a fixed intercept time given in the scenario ({a:g} s after launch)"
    if mode == "scenario":
        return f"window given in the scenario ({a:g}-{b:g} s after launch)"
    if mode == "assumed":
        return (f"assumed window from {DEFAULT_WINDOW_START_S:g} s after launch to burnout (the scenario "
                "asks for no engagement analysis; set [intercept] window = \"engagement\")")
    e = eng["earliest"] if eng else None
    lay = f"the UAV laydown of {eng['laydown']}" if eng else "the UAV laydown"
    if e is None:
        return (f"assumed window from {DEFAULT_WINDOW_START_S:g} s after launch to {b:g} s: no orbit of "
                f"{lay} can intercept this threat by {eng['latest_s']:.0f} s, so the engagement "
                "analysis gives no window")
    ic = eng["interceptor"]
    return (f"from the engagement analysis: the earliest intercept from {lay} is {e['intercept_time_s']:.1f} s "
            f"after launch (orbit '{e['orbit']}', {ic['name']}, fired {eng['interceptor_launch_s']:g} s "
            f"after the threat's launch); the window runs from then to {b:g} s"
            + (" (burnout)" if abs(b - eng["latest_s"]) < 1e-9 else ""))


def _stage_beta(stage, given) -> float:
    if given != "auto":
        return float(given)
    return stage.dry_mass_kg / (1.0 * stage.reference_area_m2)


def footprint(source, n: int | None = None, seed: int | None = None, *, kick: Kick | None = None,
              beta: BetaDist | None = None, include_payload: bool | None = None,
              include_stages: bool | None = None, city_radius_km: float | None = None,
              chunk_size: int = 65_536, workers: int = 0, earth: Earth = WGS84,
              progress: Callable[[int], None] | None = None, missile=None) -> Footprint:
    """Monte Carlo footprint of the debris of a boost-phase intercept.

    ``source``: a :class:`Scenario` (or a path to its TOML file), or an Earth-fixed intercept
    state (6,) in m and m/s (then only fragments are flown). Keyword arguments override the
    scenario's values. ``chunk_size``: fragments per chunk (chunks are independent tasks; the
    result does not depend on it); ``workers`` > 0 runs the chunks on that many local worker
    processes (dask.distributed), 0 runs them here. ``missile``: a
    :class:`~boostphase.models.vehicles.Missile` (e.g. a pasted vehicle file) flown instead of the
    scenario's ``threat.missile`` (its payload override still applies).
    """
    import time

    from ..models.geography import nearest_city, territory

    t_start = time.perf_counter()
    if isinstance(source, (str, Path)):
        source = load_scenario(source)
    if isinstance(source, Scenario):
        sc = source
    else:
        st = np.asarray(source, float)
        if st.shape != (6,) or not np.all(np.isfinite(st)):
            raise InputError("intercept state", st.shape, "6 finite numbers: Earth-fixed x, y, z (m), vx, vy, vz (m/s)")
        sc = None
    n = int(n if n is not None else (sc.fragments.n if sc else 10_000))
    if not 1 <= n <= 100_000_000:
        raise InputError("fragments", n, "1 to 100,000,000")
    seed = int(seed if seed is not None else (sc.seed if sc else 0))
    if not 0 <= seed < 2**63:
        raise InputError("seed", seed, "an integer 0 to 2^63-1")
    chunk_size = int(chunk_size)
    if chunk_size < 1:
        raise InputError("chunk_size", chunk_size, ">= 1")
    kick = kick or (sc.fragments.kick if sc else Kick())
    beta = beta or (sc.fragments.beta if sc else BetaDist())
    radius = float(city_radius_km if city_radius_km is not None else (sc.report.city_radius if sc else 20.0))
    rtol = sc.rtol if sc else Scenario.model_fields["rtol"].default
    payload = None
    stages: list[dict] = []
    intercept: dict = {}
    threat: dict = {}
    stage_cases = []
    trace = None
    if sc is None:
        times, states = np.zeros(1), st[None, :]
        intercept = {"state": st.tolist()}
    else:
        from ..flight.flyout import cutoff_flights, fly

        th = sc.threat
        try:
            m = resolve_missile(th.missile if missile is None else missile, th.payload_kg)
        except InputError as e:  # a vehicle file's own errors already name the file and its field
            fld = "threat.missile" if e.field in ("missile", "path") or e.field.startswith("missile.") else e.field
            raise InputError(fld, e.value, e.allowed, e.hint) from None
        lat0, lon0 = th.launch
        if th.target is None and th.azimuth is None:
            raise InputError("threat.target", None, "a target (LAT,LON or a city) or an azimuth")
        prof = th.profile or ("target" if th.target is not None else "min-energy")
        mode = _window_mode(sc)
        t_bo = float(m.boost_time_s)
        eng = None
        if mode == ENGAGEMENT:
            # the threat as the engagement analysis flies it (the same trajectory search)
            eth = engagement_threat(sc, m, earth)
            traj = eth.trajectory
            eng = engagement_window(sc, eth, _window_stop(sc, t_bo))
        else:
            traj = fly(m, lat0, lon0, azimuth_deg=th.azimuth if th.target is None else None,
                       target=th.target, profile=prof, earth=earth)
        a, b, is_window = resolve_window(sc, t_bo, eng["earliest"]["intercept_time_s"]
                                          if eng and eng["earliest"] else None)
        times = cutoff_grid(a, b, sc.intercept.dt) if is_window else np.array([a])
        inc_stages = sc.fragments.include_stages if include_stages is None else include_stages
        inc_payload = sc.fragments.include_payload if include_payload is None else include_payload
        bo = list(np.cumsum([s.coast_before_s + s.burn_time_s for s in m.stages]))
        spent = [j for j in range(len(m.stages) - 1) if bo[j] < b] if inc_stages else []
        # one engine call: the whole boost (the shortfall trace), the intercept times, the
        # stage separations
        dt = sc.intercept.dt
        all_t = np.unique(np.concatenate([cutoff_grid(dt, t_bo, dt), times]))
        res = cutoff_flights(m, lat0, lon0, traj.azimuth_deg, traj.kick_deg,
                             np.concatenate([all_t, [bo[j] for j in spent]]),
                             beta_kg_m2=th.payload_beta, earth=earth)
        n_all = len(all_t)
        sel = np.searchsorted(all_t, times)
        k = len(times)
        states = res.state[sel]
        tlat, tlon = res.impact_lat_deg[:n_all], wrap_lon(res.impact_lon_deg[:n_all])
        tterr = territory(tlat, tlon).astype(object)
        tterr[~res.impacted[:n_all]] = NO_IMPACT
        tc, tkm = nearest_city(tlat, tlon)
        trace = ShortfallTrace(
            missile=m.name, launch=(lat0, lon0), target=th.target, azimuth_deg=float(traj.azimuth_deg),
            kick_deg=float(traj.kick_deg), burnout_s=t_bo, beta_kg_m2=th.payload_beta,
            nominal_impact=traj.impact_lat_lon_deg, cutoff_s=all_t, lat=tlat, lon=tlon,
            impacted=res.impacted[:n_all], territory=tterr, nearest_city=tc, nearest_city_km=tkm,
            intervals=territory_intervals(all_t, tterr), state=res.state[:n_all])
        threat = {"missile": m.name, "payload_kg": m.payload_kg, "launch": {"lat": lat0, "lon": lon0},
                  "target": None if th.target is None else {"lat": th.target[0], "lon": th.target[1]},
                  "profile": prof, "azimuth_deg": traj.azimuth_deg, "kick_deg": traj.kick_deg,
                  "burnout_s": t_bo, "payload_beta_kg_m2": th.payload_beta,
                  "nominal_impact": dict(zip(("lat", "lon"), traj.impact_lat_lon_deg or (None, None), strict=True))}
        glat, glon, galt = earth.ecef_to_geodetic(states[:, :3])
        intercept = {"from_s": a, "to_s": b, "window": is_window, "grid_dt_s": sc.intercept.dt if is_window else None,
                     "samples": k, "intercept_time_distribution": "uniform over the window's grid" if is_window else "fixed",
                     "altitude_km": [float(galt.min() / 1e3), float(galt.max() / 1e3)],
                     "ground_point_first": {"lat": float(glat[0]), "lon": float(wrap_lon(glon[0]))},
                     "ground_point_last": {"lat": float(glat[-1]), "lon": float(wrap_lon(glon[-1]))},
                     "window_source": ("engagement" if eng and eng["earliest"] else
                                       "assumed" if mode in (ENGAGEMENT, "assumed") else mode),
                     "window_note": window_note(mode, a, b, eng)}
        if eng is not None:
            intercept["engagement"] = eng
        if inc_payload:
            plat, plon, pterr = tlat[sel], tlon[sel], tterr[sel]
            pc, pkm = tc[sel], tkm[sel]
            impacts = [{"intercept_s": float(t), "lat": float(x), "lon": float(y), "territory": str(te),
                        "nearest_city": str(c), "nearest_city_km": float(d)}
                       for t, x, y, te, c, d in zip(times, plat, plon, pterr, pc, pkm, strict=True)]
            if is_window:
                ivs = territory_intervals(times, pterr)
                pshare = share_of_window(ivs, a, b)
            else:
                ivs = [{"territory": str(pterr[0]), "from_s": a, "to_s": a}]
                pshare = {str(pterr[0]): 1.0}
            payload = {"beta_kg_m2": th.payload_beta, "impacts": impacts, "intervals": ivs,
                       "share_of_window": pshare}
        for j_i, j in enumerate(spent):
            s_state = res.state[n_all + j_i]
            stage_cases.append((m.stages[j].name, float(bo[j]), s_state, _stage_beta(m.stages[j], sc.fragments.stage_beta)))

    src = FragmentSource(times=times, states=states, kick=kick, beta=beta, earth=earth, rtol=rtol)
    t_prep = time.perf_counter()
    chunks = [(s, min(n, s + chunk_size)) for s in range(0, n, chunk_size)]
    parts = _run_chunks(src, seed, chunks, workers, progress)
    frag = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    t_fly = time.perf_counter()

    if stage_cases:
        r0 = np.stack([c[2][:3] for c in stage_cases])
        v0 = np.stack([c[2][3:] for c in stage_cases])
        bb = np.array([c[3] for c in stage_cases])
        out = coast_lanes(r0, v0, bb, earth, rtol, 2.0e4)
        slat, slon, _ = earth.ecef_to_geodetic(out["y"][:, :3])
        slon = wrap_lon(slon)
        sterr = territory(slat, slon)
        sc_names, sc_km = nearest_city(slat, slon)
        a_w, b_w = intercept["from_s"], intercept["to_s"]
        for i, (name, t_sep, _, bst) in enumerate(stage_cases):
            frac = 1.0 if b_w == a_w else (b_w - max(a_w, t_sep)) / (b_w - a_w)
            stages.append({"name": name, "separation_s": t_sep, "beta_kg_m2": float(bst),
                           "lat": float(slat[i]), "lon": float(slon[i]),
                           "territory": str(sterr[i]) if out["impacted"][i] else NO_IMPACT,
                           "nearest_city": str(sc_names[i]), "nearest_city_km": float(sc_km[i]),
                           "share_of_window_spent": float(min(1.0, max(0.0, frac)))})

    terr = territory(frag["lat"], frag["lon"]).astype(object)
    terr[~frag["impacted"]] = NO_IMPACT
    shares, ci = territory_shares(terr, n)
    others = []
    if payload:
        w = 1.0 / len(payload["impacts"])
        others += [{"kind": "payload", "lat": p["lat"], "lon": p["lon"], "weight": w} for p in payload["impacts"]]
    others += [{"kind": s["name"], "lat": s["lat"], "lon": s["lon"], "weight": 1.0} for s in stages]
    ok = frag["impacted"]
    cities = cities_at_risk(frag["lat"][ok], frag["lon"][ok], radius,
                            pieces=(sc.fragments.pieces if sc else None), others=others)
    t_end = time.perf_counter()
    assumptions = dict(ASSUMPTIONS)
    if "window_note" in intercept:
        assumptions["window"] = intercept["window_note"]
    assumptions["kick"] = kick.model_dump()
    assumptions["beta"] = beta.model_dump()
    if sc is not None and sc.fragments.pieces:
        assumptions["pieces"] = sc.fragments.pieces
    return Footprint(n=n, seed=seed, lat=frag["lat"], lon=frag["lon"], territory=terr, impacted=ok,
                     flight_time_s=frag["flight_time_s"], beta_kg_m2=frag["beta_kg_m2"],
                     kick_m_s=frag["kick_m_s"], intercept_s=frag["intercept_s"], shares=shares,
                     shares_ci=ci, cities_at_risk=cities, city_radius_km=radius, payload=payload,
                     stages=stages, intercept=intercept, threat=threat, trace=trace,
                     assumptions=assumptions,
                     timing_s={"threat_and_intercept": t_prep - t_start, "fragments": t_fly - t_prep,
                               "labels_and_cities": t_end - t_fly, "total": t_end - t_start})


def _run_chunks(src: FragmentSource, seed: int, chunks, workers: int, progress) -> list[dict]:
    if workers and workers > 0 and len(chunks) > 1:
        return _run_chunks_dask(src, seed, chunks, workers, progress)
    if len(chunks) == 1:
        part = fly_fragment_chunk(src, seed, *chunks[0])
        if progress is not None:
            progress(chunks[0][1] - chunks[0][0])
        return [part]
    from concurrent.futures import ThreadPoolExecutor

    # two chunks in flight: one's draws, sorting and conversions (NumPy, one core) overlap the
    # other's engine calls, which would otherwise leave both cores idle between chunks
    parts = []
    with ThreadPoolExecutor(2, thread_name_prefix="boostphase-chunk") as pool:
        futs = [pool.submit(fly_fragment_chunk, src, seed, a, b) for a, b in chunks]
        try:
            for (a, b), fut in zip(chunks, futs, strict=True):
                parts.append(fut.result())
                if progress is not None:
                    progress(b - a)  # may raise to cancel: the finally drops the chunks not started
        finally:
            for fut in futs:
                fut.cancel()
    return parts


def _chunk_task(src: FragmentSource, seed: int, a: int, b: int) -> dict:
    return fly_fragment_chunk(src, seed, a, b)


def _run_chunks_dask(src: FragmentSource, seed: int, chunks, workers: int, progress) -> list[dict]:
    import logging

    from dask.distributed import Client, LocalCluster, as_completed

    parts: dict[int, dict] = {}
    with LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        s_fut = client.scatter(src, broadcast=True)
        futs = [client.submit(_chunk_task, s_fut, seed, a, b, pure=False) for a, b in chunks]
        index = {f.key: i for i, f in enumerate(futs)}
        for fut in as_completed(futs):
            i = index[fut.key]
            parts[i] = fut.result()
            fut.release()
            if progress is not None:
                progress(chunks[i][1] - chunks[i][0])
    return [parts[i] for i in range(len(chunks))]
