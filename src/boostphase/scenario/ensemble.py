"""Ensembles of a scenario: a spec whose numeric fields hold distributions runs once per sample
and reports, for every output of the kind's summary, what the uncertain inputs make of it.

How: sample i of input X is :func:`boostphase.ensembles.sample` at (seed, X, i) (counter-based,
so any chunking or worker count gives bit-identical samples and results); each sample's concrete
spec is the validated spec with the sampled numbers put in; each is evaluated by the kind's own
computation and summarised as the run store keeps it. A flyout at the min-energy profile (the
hot kind) flies every sample of a chunk in batched engine calls (one for each of the four
rounds of the maximum-range search, one for the recorded flights) instead of a loop of solves;
the other kinds loop over their computation, on Dask workers when ``workers``/``scheduler`` is
given. Results are assembled in sample order, so they do not depend on how the work was split.

Reported (all under ``ensemble``): ``n``, ``seed``, ``inputs`` (each sampled field with its
distribution), ``outputs.NAME`` (``quantiles``, ``mean``, ``n``: finite values) for each numeric
leaf of the summary (nested names joined with ``.`` and ``[i]``), ``probabilities.NAME`` (``p``,
``ci95``, ``n``, ``k``, ``method``, ``convergence``) for each boolean leaf, each value of a
short text leaf that varies or is a verdict (``NAME=VALUE``) and each ``[ensemble] events``
threshold, and for the ``headline`` output its ``convergence`` and the ``sensitivity`` ranking
of the sampled inputs (:func:`boostphase.ensembles.sensitivity`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from ..ensembles import (
    Distribution,
    convergence,
    median_convergence,
    proportion,
    quantiles,
    sample,
    sensitivity,
)
from ..errors import InputError
from .uncertain import (
    MAX_ENSEMBLE_BATCHED,
    MAX_ENSEMBLE_LOOP,
    EnsembleSpec,
    distribution_spec,
    distributions_of,
)

# the output the sensitivity ranking is about, per kind; "shares.*": the largest mean share
HEADLINES = {"flight": "range_km", "coast": "range_km", "reconstruct": "max_range_km", "check": "ballistic_consistent",
             "engage": "rows[0].intercept_possible", "engagemap": "feasible_cells", "shortfall": "burnout_s",
             "footprint": "shares.*"}
MAX_LIST = 20            # list items flattened into outputs (longer lists are drawings, not figures)
MAX_TEXT = 40            # longer text leaves are sentences, not categories
MAX_CATEGORIES = 12      # a text leaf with more distinct values is a name, not a verdict
_SKIP = re.compile(r"(^|\.)(compute_s|timings_s|timings)($|\.|\[)")  # wall-clock figures vary run to run


def flatten(obj, prefix: str = "", out: dict | None = None) -> dict:
    """Leaves of a JSON summary by name: ``a.b``, ``rows[0].x`` (lists up to :data:`MAX_LIST`)."""
    out = {} if out is None else out
    if _SKIP.search(prefix or "-"):
        return out
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(obj, (list, tuple)):
        if len(obj) <= MAX_LIST:
            for i, v in enumerate(obj):
                flatten(v, f"{prefix}[{i}]", out)
    else:
        out[prefix] = obj
    return out


def is_batched(panel: str, req) -> bool:
    """True where the kind flies all samples in batched engine calls: coasts, flyouts at the
    min-energy profile and flyouts with a fixed kick (the lofted, depressed and target profiles
    loop over single flyouts: each sample searches alone)."""
    if panel == "coast":
        return True
    return panel == "flight" and req.profile == "min-energy" and req.apogee_km is None


def cap_for(panel: str, req) -> int:
    return MAX_ENSEMBLE_BATCHED if is_batched(panel, req) else MAX_ENSEMBLE_LOOP


def _concrete(base, samples: dict[str, np.ndarray], i: int):
    return base.model_copy(update={k: float(v[i]) for k, v in samples.items()})


def _sample_error(e: InputError, i: int, samples: dict[str, np.ndarray]) -> InputError:
    """The error of one sample's computation, saying which sample (its inputs) it was."""
    vals = ", ".join(f"{k}={float(v[i]):.6g}" for k, v in samples.items())
    return InputError(e.field, e.value, e.allowed, f"ensemble sample {i}: {vals}" + (f"; {e.hint}" if e.hint else ""))


def flyout_batch(cases: list) -> list[dict]:
    """Summaries of min-energy or fixed-kick flyouts (FlyoutRequest specs that differ only in
    numbers): the same steps as :func:`boostphase.flight.flyout.fly`, with each search round and
    the recorded flights of all cases in one engine call (:func:`max_range_kicks`,
    :func:`fly_trajectories`); a fixed kick (``kick_deg``, optionally pitch-hold) needs no search."""
    from ..errors import check_range
    from ..flight.flyout import Flyer, Steering, fly_trajectories, max_range_kicks
    from ..models.earth import earth_model
    from .fields import parse_latlon, parse_place
    from .registry import fixed_steering, request_vehicle

    r0 = cases[0]
    missile = request_vehicle(r0.missile, r0.vehicle_toml)
    lat, lon = parse_latlon("launch", r0.launch)
    tgt = parse_place("target", r0.target) if r0.target else None
    earth = earth_model(r0.earth, rotation=not r0.no_rotation)
    jobs = []
    for req in cases:
        m = missile if req.payload_kg is None else missile.with_payload(req.payload_kg)
        az = req.azimuth_deg
        if az is None:
            if tgt is None:
                raise InputError("azimuth_deg", None, "an azimuth in degrees or a target (LAT,LON or a city)")
            az = float(earth.distance_azimuth(lat, lon, tgt[0], tgt[1])[1])
        else:
            check_range("azimuth", az, -360, 360, "deg")
        steering = fixed_steering(req) or Steering(kick_deg=0.0)
        jobs.append((Flyer(m, float(lat), float(lon), 0.0, steering, earth, rtol=1e-10), az))
    fixed = r0.kick_deg is not None
    kicks = [(req.kick_deg, None) for req in cases] if fixed else max_range_kicks(jobs)
    profile = "fixed-kick" if fixed else "min-energy"
    out = []
    for a in range(0, len(jobs), 64):  # recorded flights hold 8,192 states each: 64 at a time
        part = [(fl, az, k, profile, {}) for (fl, az), (k, _) in zip(jobs[a:a + 64], kicks[a:a + 64], strict=True)]
        out += [t.summary() for t in fly_trajectories(part)]
    return out


def coast_batch(cases: list) -> list[dict]:
    """Rows of coasts (CoastRequest specs that differ only in numbers), as
    :func:`boostphase.scenario.registry.compute_coast` gives them, from one engine call."""
    from ..flight.flyout import coast
    from ..models.earth import earth_model

    r0 = cases[0]
    em = earth_model(r0.earth, rotation=not r0.no_rotation)

    def col(name: str, scale: float = 1.0) -> np.ndarray:
        return np.array([getattr(c, name) * scale for c in cases], float)

    beta = None if r0.beta_kg_m2 is None else col("beta_kg_m2")
    res = coast(col("lat"), col("lon"), col("alt_km", 1e3), col("speed_km_s", 1e3), col("flight_path_deg"),
                col("azimuth_deg"), beta, earth=em)
    return [{**res.row(i), "earth": em.name} for i in range(len(cases))]


def evaluate_chunk(panel: str, base, dists: dict[str, Distribution], seed: int, a: int, b: int) -> list[dict]:
    """The flattened summaries of samples a to b-1 (what one task computes)."""
    from .registry import jsonable, panel_computations, result_summary

    samples = sample(dists, seed, a, b)
    cases = [_concrete(base, samples, i) for i in range(b - a)]
    if is_batched(panel, base):
        try:
            summaries = (coast_batch if panel == "coast" else flyout_batch)(cases)
        except InputError as e:
            raise _sample_error(e, a, samples) from None
    else:
        compute = panel_computations()[panel][1]
        summaries = []
        for i, c in enumerate(cases):
            try:
                summaries.append(result_summary(panel, compute(c)))
            except InputError as e:
                raise InputError(e.field, e.value, e.allowed,
                                 _sample_error(e, i, samples).hint.replace(f"sample {i}:", f"sample {a + i}:")) from None
    return [flatten(jsonable(s)) for s in summaries]


def _task(panel: str, base, dists, seed: int, a: int, b: int):
    """A Dask task: a bad input comes back as a value (no retries, no worker log)."""
    try:
        return "ok", evaluate_chunk(panel, base, dists, seed, a, b)
    except InputError as e:
        return "input", (e.field, e.value, e.allowed, e.hint)


def _run_dask(panel, base, dists, seed, chunks, ens: EnsembleSpec, progress) -> list[list[dict]]:
    import logging

    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if ens.scheduler is not None:
        client = Client(ens.scheduler, timeout="10s")
    else:
        cluster = LocalCluster(n_workers=int(ens.workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    parts: dict[int, list[dict]] = {}
    try:
        futs = [client.submit(_task, panel, base, dists, seed, a, b, pure=False) for a, b in chunks]
        index = {f.key: i for i, f in enumerate(futs)}
        for fut in as_completed(futs):
            status, value = fut.result()
            fut.release()
            if status != "ok":
                client.cancel(futs)
                raise InputError(*value)
            i = index[fut.key]
            parts[i] = value
            if progress is not None:
                progress(chunks[i][1] - chunks[i][0])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return [parts[i] for i in range(len(chunks))]


def run_ensemble(panel: str, kind: str, req, progress: Callable[[int], None] | None = None) -> dict:
    """The ensemble of a validated spec whose fields hold distributions (``{"ensemble": ...}``).
    ``progress(k)`` is called after each chunk of k samples (it may raise to cancel)."""
    dists = distributions_of(req)
    ens = req.ensemble or EnsembleSpec()
    if not dists:
        raise InputError("ensemble", "a table", "given together with at least one field as a distribution table")
    cap = cap_for(panel, req)
    if ens.n > cap:
        raise InputError("ensemble.n", ens.n, f"at most {cap:,} samples for a {kind} ensemble"
                         + ("" if panel != "flight" else " (other than min-energy: each sample searches alone)"))
    chunks = [(a, min(a + ens.chunk, ens.n)) for a in range(0, ens.n, ens.chunk)]
    base = req.model_copy(update={"ensemble": None})
    if ens.scheduler is not None or ens.workers:
        parts = _run_dask(panel, base, dists, ens.seed, chunks, ens, progress)
    else:
        parts = []
        for a, b in chunks:
            parts.append(evaluate_chunk(panel, base, dists, ens.seed, a, b))
            if progress is not None:
                progress(b - a)
    flats = [f for p in parts for f in p]
    inputs = sample(dists, ens.seed, 0, ens.n)
    return {"ensemble": summarize(kind, panel, ens, dists, inputs, flats)}


def _column(flats: list[dict], name: str) -> list:
    return [f.get(name) for f in flats]


def _classify(values: list) -> str | None:
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    if all(isinstance(v, bool) for v in vals):
        return "bool"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return "number"
    if all(isinstance(v, str) and len(v) <= MAX_TEXT for v in vals):
        return "text"
    return None


def _prob(event, ens: EnsembleSpec) -> dict:
    e = np.asarray(event, bool)
    return {**proportion(e, ens.interval), "convergence": convergence(e)}


def _numbers(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], float)


def summarize(kind: str, panel: str, ens: EnsembleSpec, dists: dict[str, Distribution],
              inputs: dict[str, np.ndarray], flats: list[dict]) -> dict:
    """The ensemble's report from the flattened summaries of its samples (in sample order)."""
    names = list(dict.fromkeys(k for f in flats for k in f))
    outputs, probs, columns = {}, {}, {}
    for name in names:
        col = _column(flats, name)
        cls = _classify(col)
        if cls == "number":
            x = columns[name] = _numbers(col)
            fin = x[np.isfinite(x)]
            outputs[name] = {"quantiles": quantiles(x, ens.quantiles), "mean": float(fin.mean()) if fin.size else None,
                             "n": int(fin.size)}
        elif cls == "bool":
            defined = [v for v in col if v is not None]
            columns[name] = np.array([bool(v) if v is not None else False for v in col])
            probs[name] = _prob(defined, ens)
        elif cls == "text":
            defined = [v for v in col if v is not None]
            cats = list(dict.fromkeys(defined))
            if len(cats) <= MAX_CATEGORIES and (len(cats) > 1 or name.split(".")[-1].endswith("verdict")):
                for c in cats:
                    probs[f"{name}={c}"] = _prob([v == c for v in defined], ens)
    for ev in ens.events:
        probs[_event_name(ev)] = _prob(_event(ev, columns), ens)
    headline = _headline(panel, ens, outputs, probs)
    h = columns.get(headline)
    out = {"kind": kind, "n": len(flats), "seed": ens.seed,
           "inputs": {k: {**d.to_dict(), "spec": distribution_spec(d)} for k, d in dists.items()},
           "outputs": outputs, "probabilities": probs, "headline": headline,
           "convergence": None if h is None else (convergence(h) if h.dtype == bool else median_convergence(h)),
           "sensitivity": [] if h is None else sensitivity(inputs, h)}
    return out


def _event_name(ev) -> str:
    if ev.above is not None and ev.below is not None:
        return f"{ev.below:g} > {ev.output} > {ev.above:g}"
    return f"{ev.output} > {ev.above:g}" if ev.above is not None else f"{ev.output} < {ev.below:g}"


def _event(ev, columns: dict[str, np.ndarray]) -> np.ndarray:
    """The event's outcome on the samples where the output is finite."""
    if ev.output not in columns:
        raise InputError("ensemble.events.output", ev.output, "a numeric output: " + ", ".join(list(columns)[:30]))
    if ev.above is None and ev.below is None:
        raise InputError("ensemble.events", ev.output, "a threshold: above and/or below")
    x = columns[ev.output]
    x = x[np.isfinite(x)]
    e = np.ones(x.shape, bool)
    if ev.above is not None:
        e &= x > ev.above
    if ev.below is not None:
        e &= x < ev.below
    return e


def _headline(panel: str, ens: EnsembleSpec, outputs: dict, probs: dict) -> str | None:
    if ens.headline is not None:
        if ens.headline not in outputs and ens.headline not in probs:
            raise InputError("ensemble.headline", ens.headline,
                             "an output or probability of the ensemble: " + ", ".join(list(outputs)[:30]))
        return ens.headline
    h = HEADLINES.get(panel)
    if h is not None and h.endswith(".*"):
        pre = h[:-1]
        cands = [(v["mean"], k) for k, v in outputs.items() if k.startswith(pre) and v["mean"] is not None]
        h = max(cands)[1] if cands else None
    if h in outputs or h in probs:
        return h
    return next((k for k, v in outputs.items() if v["n"] and len(set(v["quantiles"].values())) > 1), None)


def has_distributions(req) -> bool:
    """True when a validated spec holds at least one distribution (it runs as an ensemble)."""
    return bool(distributions_of(req)) or getattr(req, "ensemble", None) is not None


__all__ = ["run_ensemble", "evaluate_chunk", "flatten", "flyout_batch", "summarize", "has_distributions",
           "is_batched", "cap_for", "HEADLINES"]
