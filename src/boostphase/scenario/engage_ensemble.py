"""Ensembles of engagement scenario files: ``boostphase engage FILE.toml`` where numeric inputs
(timeline delays, interceptor and kill vehicle, orbit altitude, radius and speed, threat payload
or azimuth) are distribution tables (:mod:`boostphase.engage.scenario`).

How: the inputs are the file's distributions, named by their path (``timeline.detection_delay``,
``platforms[0].altitude``, ``threats[1].payload_kg``); sample i of each is
:func:`boostphase.ensembles.sample` at (seed, path, i), so any ``chunk`` gives bit-identical
results. Each sample's scenario is the file with the sampled numbers put in
(:func:`boostphase.scenario.uncertain.with_values`), built and solved exactly as ``boostphase
engage`` solves one file: :meth:`Engagement.solve` for every (threat, platform) pair, threats
outer. Results are assembled in sample order, whatever order they were computed in.

Cost (why the caps): a sample whose interceptor, or whose orbit altitude (or, at the orbit's
centre, speed) differs needs its own reach table: 0.5-2 s and about 20 MB each. Tables are built
once per distinct inputs within a run (samples of a chunk are solved grouped by table; a choice
``{values = [...]}`` shares them) and at most :data:`MAX_REACH_TABLES` per run. A sample whose
threat payload or azimuth differs flies its own boost (batched per group of samples; about
0.1 s for a min-energy boost with its track), at most :data:`MAX_FLIGHTS` per run. Each pair
costs about 2 ms once both are known (build and solve), at most :data:`MAX_SOLVES` per run.
Measured (2-core shared machine, examples/c4_single_orbit.toml, 4 pairs): a uniform detection
delay 16 ms per sample (n = 200: 3.1 s); a uniform interceptor burnout speed 0.52 s per sample
(one table each); a uniform payload of one threat 0.12 s per sample; c4_sea_of_japan.toml
(108 pairs), a uniform delay: 1.9 ms per pair (n = 20: 4.1 s).

Reported under ``ensemble``: the scenario layer's keys (``n``, ``seed``, ``inputs``, ``outputs``,
``probabilities``, ``headline``, ``convergence``, ``sensitivity``:
:func:`boostphase.scenario.ensemble.summarize`) over each sample's ``engagements`` rows (as
``engage --json`` gives them; flattened when there are at most 20 pairs) and
``intercepted_share`` (the share of pairs with an intercept before the latest useful time), and
``pairs``: for each (threat, platform) pair P(intercept in boost phase, before the latest useful
time) with its 95 % interval, n and convergence, the quantiles of the intercept time and of the
margin before burnout (over the samples that have an intercept, n says how many), and the
sensitivity ranking of the sampled inputs for that pair's P.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from ..ensembles import Distribution, convergence, proportion, quantiles, sample, sensitivity
from ..errors import InputError
from .ensemble import flatten, summarize
from .uncertain import MAX_ENSEMBLE_LOOP, EnsembleSpec, nested_distributions, with_values

MAX_REACH_TABLES = 64      # distinct reach tables one run may build (0.5-2 s, ~20 MB each)
MAX_FLIGHTS = 2_000        # distinct threat boosts one run may fly (~0.1 s each at min energy)
MAX_SOLVES = 200_000       # samples x (threat, platform) pairs (~2 ms each)
TABLES_KEPT = 8            # reach tables held at once within a run (~160 MB)
THREATS_PER_BATCH = 96     # threat boosts flown per batched call (the flight caches hold 256)


def _value(spec_value, path: str, samples: dict[str, np.ndarray], i: int):
    return float(samples[path][i]) if isinstance(spec_value, Distribution) else spec_value


def table_keys(base, samples: dict[str, np.ndarray], n: int) -> list[tuple]:
    """Per sample, what decides its reach tables: the sampled interceptor numbers and each
    platform's (altitude, along-track launch speed) (for the cost check and the grouping)."""
    ic_paths = [p for p in samples if p.startswith("interceptor.")]
    d = base.platform_defaults
    plats = []
    for k, p in enumerate(base.platforms):
        alt, alt_path = (p.altitude, f"platforms[{k}].altitude") if p.altitude is not None else \
            (d.altitude, "platform_defaults.altitude")
        spd, spd_path = (p.speed, f"platforms[{k}].speed") if p.speed is not None else \
            (d.speed, "platform_defaults.speed")
        plats.append((alt, alt_path, spd, spd_path, (p.reference or d.reference) == "centre"))
    keys = []
    for i in range(n):
        ic = tuple(float(samples[p][i]) for p in ic_paths)
        keys.append(tuple((ic, _value(a, ap, samples, i), _value(s, sp, samples, i) if centre else 0.0)
                          for a, ap, s, sp, centre in plats))
    return keys


def flight_count(base, samples: dict[str, np.ndarray], n: int) -> int:
    """Distinct threat boosts the samples fly beyond the file's own (a sampled payload or azimuth)."""
    total = 0
    for k in range(len(base.threats)):
        paths = [p for p in samples if p.startswith(f"threats[{k}].")]
        if paths:
            total += len({tuple(float(samples[p][i]) for p in paths) for i in range(n)})
    return total


def check_cost(base, dists: dict[str, Distribution], ens: EnsembleSpec) -> tuple[list[tuple], int, int]:
    """Refuse (ensemble.n) a run over the caps; returns (table keys per sample, tables, flights)."""
    if ens.workers or ens.scheduler is not None:
        raise InputError("ensemble.workers" if ens.workers else "ensemble.scheduler", ens.workers or ens.scheduler,
                         "empty: an engagement file's ensemble runs in this process (its reach tables are "
                         "shared by the samples)")
    if ens.n > MAX_ENSEMBLE_LOOP:
        raise InputError("ensemble.n", ens.n, f"at most {MAX_ENSEMBLE_LOOP:,} samples for an engagement ensemble")
    s = sample(dists, ens.seed, 0, ens.n)
    keys = table_keys(base, s, ens.n)
    tables = len({k for key in keys for k in key})
    if tables > MAX_REACH_TABLES:
        raise InputError("ensemble.n", ens.n, f"a run that builds at most {MAX_REACH_TABLES} reach tables; these "
                         f"samples need {tables} (each distinct interceptor, or orbit altitude, builds one: "
                         "0.5-2 s and ~20 MB)", "lower n, or give those fields as a choice {values = [...]} "
                         "so that samples share tables")
    flights = flight_count(base, s, ens.n)
    if flights > MAX_FLIGHTS:
        raise InputError("ensemble.n", ens.n, f"a run that flies at most {MAX_FLIGHTS:,} threat boosts; these "
                         f"samples need {flights:,} (each sampled payload or azimuth of each threat flies one)",
                         "lower n, or give those fields as a choice {values = [...]}")
    pairs = len(base.platforms) * _threat_count(base)
    if ens.n * pairs > MAX_SOLVES:
        raise InputError("ensemble.n", ens.n, f"at most {MAX_SOLVES // max(pairs, 1):,} samples for "
                         f"{pairs} (threat, platform) pairs ({MAX_SOLVES:,} engagements per run)")
    return keys, tables, flights


def _threat_count(base) -> int:
    return len(base.threats) + sum(len(s.missiles) * len(s.sites) * len(s.targets) for s in base.threat_sets)


class TableCache:
    """Reach tables by their inputs (interceptor, launch altitude, along-track speed), kept for
    the run (the last :data:`TABLES_KEPT`); built as :meth:`Interceptor.reach_table` builds them."""

    def __init__(self, size: int = TABLES_KEPT):
        self.size, self.data, self.built = size, OrderedDict(), 0

    def get(self, interceptor, platform):
        from ..engage.reach import build_reach_table
        from ..models.earth import SPHERE

        key = (interceptor, float(platform.altitude_m), float(platform.along_speed_m_s))
        tab = self.data.get(key)
        if tab is None:
            tab = build_reach_table(interceptor, key[1], key[2], earth=SPHERE, horizon_s=500.0)
            self.built += 1
            self.data[key] = tab
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        self.data.move_to_end(key)
        return tab


def _sample_error(e: InputError, i: int, values: dict[str, float]) -> InputError:
    vals = ", ".join(f"{k}={v:.6g}" for k, v in values.items())
    return InputError(e.field, e.value, e.allowed, f"ensemble sample {i}: {vals}" + (f"; {e.hint}" if e.hint else ""))


def evaluate_chunk(base, dists: dict[str, Distribution], seed: int, a: int, b: int, tables: TableCache,
                   order: list[int] | None = None) -> list[list[dict]]:
    """The ``engage --json`` rows of samples a to b-1 (in sample order). ``order``: the chunk's
    sample offsets in the order to solve them (grouped by reach table); results do not depend on it."""
    from ..engage import Engagement, prepare_threats

    s = sample(dists, seed, a, b)
    order = list(range(b - a)) if order is None else order
    out: list[list[dict] | None] = [None] * (b - a)
    batch: list[tuple[int, object]] = []

    def solve(batch):
        prepare_threats([t for _, o in batch for t in o.threats])  # new boosts: batched engine calls
        for j, o in batch:
            out[j] = [Engagement(t, p, o.interceptor, o.timeline).solve(tables.get(o.interceptor, p)).row()
                      for t in o.threats for p in o.platforms]

    for j in order:
        values = {k: float(v[j]) for k, v in s.items()}
        try:
            objs = with_values(base, values).build()
        except InputError as e:
            raise _sample_error(e, a + j, values) from None
        batch.append((j, objs))
        if sum(len(o.threats) for _, o in batch) >= THREATS_PER_BATCH:
            solve(batch)
            batch = []
    if batch:
        solve(batch)
    return out


def engage_ensemble(sc, progress: Callable[[int], None] | None = None) -> dict:
    """The ensemble of an engagement scenario (a validated :class:`boostphase.engage.Scenario`)
    whose fields hold distributions: ``{"ensemble": ...}`` (see the module doc). ``progress(k)``
    is called after each chunk of k samples."""
    dists = nested_distributions(sc)
    if not dists:
        raise InputError("ensemble", "a table", "given together with at least one field as a distribution table")
    ens = sc.ensemble or EnsembleSpec()
    base = sc.model_copy(update={"ensemble": None})
    keys, n_tables, n_flights = check_cost(base, dists, ens)
    tables = TableCache()
    rows: list[list[dict]] = []
    for a in range(0, ens.n, ens.chunk):
        b = min(a + ens.chunk, ens.n)
        order = sorted(range(b - a), key=lambda j: (keys[a + j], j))
        rows += evaluate_chunk(base, dists, ens.seed, a, b, tables, order)
        if progress is not None:
            progress(b - a)
    inputs = sample(dists, ens.seed, 0, ens.n)
    out = report(ens, dists, inputs, rows, len(base.platforms))
    out["cost"] = {"reach_tables": n_tables, "reach_tables_built": tables.built, "threat_boosts_sampled": n_flights}
    return {"ensemble": out}


def _numbers(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], float)


def _stats(x: np.ndarray, ens: EnsembleSpec) -> dict:
    fin = x[np.isfinite(x)]
    return {"quantiles": quantiles(x, ens.quantiles), "mean": float(fin.mean()) if fin.size else None,
            "n": int(fin.size)}


def pair_reports(rows: list[list[dict]], inputs: dict[str, np.ndarray], ens: EnsembleSpec, n_platforms: int) -> list:
    """Per (threat, platform) pair: P(intercept) with its interval, n and convergence, intercept
    time and margin quantiles, and which sampled input moves P most."""
    out = []
    for j in range(len(rows[0]) if rows else 0):
        col = [r[j] for r in rows]
        ok = np.array([bool(c["intercept_possible"]) for c in col])
        names = {c["threat"] for c in col}
        ti = j // max(n_platforms, 1)
        threat = col[0]["threat"] if len(names) == 1 else f"threat {ti + 1} (its name varies with the samples)"
        out.append({"threat": threat, "platform": col[0]["platform"],
                    "intercept_possible": {**proportion(ok, ens.interval), "convergence": convergence(ok)},
                    "intercept_time_s": _stats(_numbers([c["intercept_time_s"] for c in col]), ens),
                    "margin_before_burnout_s": _stats(_numbers([c["margin_before_burnout_s"] for c in col]), ens),
                    "sensitivity": sensitivity(inputs, ok)})
    return out


def report(ens: EnsembleSpec, dists: dict[str, Distribution], inputs: dict[str, np.ndarray],
           rows: list[list[dict]], n_platforms: int) -> dict:
    """The ensemble's report from each sample's rows (in sample order)."""
    flats = []
    for r in rows:
        share = float(np.mean([x["intercept_possible"] for x in r])) if r else 0.0
        flats.append(flatten({"engagements": r, "intercepted_share": share}))
    headline = ens.headline or ("engagements[0].intercept_possible" if rows and len(rows[0]) == 1
                                else "intercepted_share")
    out = summarize("engage", "engage-file", ens.model_copy(update={"headline": headline}), dists, inputs, flats)
    out["pairs"] = pair_reports(rows, inputs, ens, n_platforms)
    return out


__all__ = ["engage_ensemble", "evaluate_chunk", "report", "pair_reports", "check_cost", "table_keys", "TableCache",
           "MAX_REACH_TABLES", "MAX_FLIGHTS", "MAX_SOLVES"]
