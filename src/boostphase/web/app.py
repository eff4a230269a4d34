"""The FastAPI app: a JSON API that mirrors the CLI, and the single page with the Cesium globe.

Design (see ``shared/DESIGN.md``):

* **Same validation as the CLI.** Request bodies are pydantic models whose fields carry the CLI's
  option names (``apogee_km``, ``launch`` as ``"LAT,LON"``, ``target`` as ``"LAT,LON"`` or a city).
  Numbers may also be given as quantities with units (``"3724.9 km"``, ``"47 min"``) and are
  converted by :func:`boostphase.units.quantity`. The physics functions raise
  :class:`~boostphase.errors.InputError`; it becomes HTTP 422 whose ``error`` is the same text the
  CLI prints and whose ``field`` names the field.
* **Security.** Binds to 127.0.0.1 by default (``boostphase serve``); without a token only
  requests whose ``Host`` is a loopback name are served (a guard against DNS rebinding). With a
  token every request must carry it (``Authorization: Bearer T``, ``?token=T`` or the HttpOnly
  cookie set after a valid ``?token=``), compared with :func:`hmac.compare_digest`. Request
  bodies are limited to :data:`MAX_BODY_BYTES`. Clients never name files: ``/cesium/`` serves
  only the CesiumJS build that :func:`find_cesium_dir` found (the package's ``web/cesium`` or a
  checkout's ``node_modules/cesium/Build/Cesium``) and ``/static/`` only this package's ``static/``.
  A strict Content-Security-Policy forbids inline script and ``eval``.
* **Speed.** Computations run in worker threads, at most :data:`MAX_CONCURRENT_JOBS` at once,
  and results are kept in a small LRU cache so that the downloads (CSV, GeoJSON, CZML) of a result
  just shown do not recompute it. Every response carries ``Server-Timing: compute;dur=MS``.

Engage (``/api/engage``): one threat against one or several UAV orbits (``orbit_centre`` holds
``LAT,LON`` pairs separated by ``;``), the engagement rows of ``boostphase engage``;
``/api/engage/map``: a coarse engagement map (``boostphase.engage.engagement_map``) around the
threat's boost, the intercept margin per orbit-centre cell. Consequence (``/api/shortfall``,
``/api/footprint``): the shortfall trace and a *small* fragment Monte Carlo (at most
:data:`MAX_FOOTPRINT_FRAGMENTS`); bigger ones (up to :data:`MAX_JOB_FRAGMENTS`) run as background
jobs. The page gets at most :data:`MAX_FOOTPRINT_SAMPLE` impact points, never the full cloud.

Background jobs (``/api/jobs``): long work runs in a small thread pool inside the server
(:data:`MAX_RUNNING_JOBS` at once, at most :data:`MAX_PENDING_JOBS` queued or running, the last
:data:`MAX_KEPT_JOBS` finished ones kept). ``GET /api/jobs/{id}`` reports state and progress;
``DELETE`` cancels: the footprint's progress callback raises at the next chunk of
:data:`boostphase.web.jobs.JOB_CHUNK_SIZE` fragments, so the work stops within 0.2 s (bench_job_cancel.py). Kinds: ``footprint``
(the body of ``/api/footprint`` with up to :data:`MAX_JOB_FRAGMENTS` fragments) and ``sweep`` (a
SWEEP.toml as JSON, validated by :func:`boostphase.sweep.parse_spec`, at most
:data:`MAX_SWEEP_JOB_CASES` cases): ``run_sweep`` runs serially in the job's thread into a
server-owned temporary folder (removed when the job is dropped or the server stops), reports
progress after each chunk and stops between chunks when cancelled; the result is a JSON summary,
``GET /api/jobs/{id}/csv`` and ``/netcdf`` the table and the dataset. The page's Sweep panel runs
them; ``/api/meta`` lists the example sweeps (``examples.sweep``) that fit the web's limits.

Run store (``/api/runs``): "Save run" records the panel's request (re-validated here, never a file
path) and the summary of its result with :func:`boostphase.present.store.save_run`, in the store that
``$BOOSTPHASE_STORE`` names (else the user's data folder).

Borders (``/api/borders``): the Natural Earth country outlines of ``boostphase.models.geography``,
simplified to :data:`BORDER_TOLERANCE_DEG`, as GeoJSON (built once, gzip-compressed when asked).
Layout: the request specs live in :mod:`boostphase.scenario.specs` and the computations in
:mod:`boostphase.scenario.registry` (shared with the run store and ``boostphase run``); this
module holds the routes; :mod:`.jobs` the background jobs and the result cache,
:mod:`.security` the guard middleware, :mod:`.payloads` the data the page loads.
"""


from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import InputError
from ..scenario.ensemble import has_distributions
from ..scenario.registry import (
    WEB_ENSEMBLE_CAPS,
    compute_check,
    compute_engage,
    compute_engage_map,
    compute_flyout,
    compute_footprint,
    compute_reconstruct,
    compute_shortfall,
    ensemble_job_spec,
    flyout_payload,
    footprint_files,
    footprint_scenario,
    jsonable,
    panel_computations,
    panel_kind,
    result_summary,
    run_footprint,
    sweep_spec,
    web_ensemble,
)
from ..scenario.specs import (
    EXAMPLES,
    JOB_KINDS,
    MAX_FOOTPRINT_FRAGMENTS,
    MAX_JOB_FRAGMENTS,
    MAX_SWEEP_JOB_CASES,
    CheckRequest,
    EngageMapRequest,
    EngageRequest,
    EnsembleJobRequest,
    FlyoutRequest,
    FootprintRequest,
    JobRequest,
    ReconstructRequest,
    RunSaveRequest,
    ShortfallRequest,
    SweepJobRequest,
)
from ..scenario.uncertain import MAX_ENSEMBLE_LOOP, MAX_JOB_ENSEMBLE, EnsembleSpec
from .jobs import (
    MAX_KEPT_JOBS,
    Job,
    JobManager,
    JobsBusy,
    ResultCache,
    ensemble_job,
    footprint_job,
    remove_stale_sweep_dirs,
    sweep_job,
)
from .payloads import (
    CESIUM_MISSING,
    borders_bytes,
    catalog_payload,
    find_cesium_dir,
    optional_module,
    panels,
    sweep_examples,
    tests_payload,
)
from .security import GuardMiddleware, error_body

STATIC_DIR = Path(__file__).with_name("static")
MAX_CONCURRENT_JOBS = 2
CZML_EPOCH = "2000-01-01T12:00:00Z"  # scenarios carry no date; CZML needs one (stated in the file)
JobId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{8,40}$", description="a job id from POST /api/jobs")]


def create_app(token: str | None = None, *, warm: bool = False) -> FastAPI:
    """The ASGI app. ``token``: require it on every request (also read from $BOOSTPHASE_TOKEN by
    ``boostphase serve``, not here). ``warm``: compile the flight kernels in a background thread
    at start-up, so that the first flyout answers at warm speed."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        remove_stale_sweep_dirs()
        if warm:
            threading.Thread(target=_warm_up, name="boostphase-warm-up", daemon=True).start()
        try:
            yield
        finally:
            job_manager.shutdown()

    app = FastAPI(title="boostphase", version=__version__, lifespan=lifespan,
                  description="Physics-based checks of public claims about ballistic missiles and boost-phase "
                              "defence. Mirrors the `boostphase` CLI: same inputs, same validation, same JSON.",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    jobs = threading.BoundedSemaphore(MAX_CONCURRENT_JOBS)
    cache = ResultCache()
    job_manager = JobManager()
    app.state.jobs = job_manager
    cesium = find_cesium_dir()

    def run(kind: str, req: BaseModel | None, fn: Callable[[], Any]):
        key = f"{kind}:{req.model_dump_json() if req is not None else ''}"
        if req is not None and has_distributions(req):  # uncertain inputs: the ensemble report
            fn = web_ensemble(kind, req)

        def compute():  # only the request that computes takes a worker slot; its twins wait
            with jobs:
                return fn()

        return cache.get_or_compute(key, compute)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        return JSONResponse(error_body(exc.field, str(exc)), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        first = errs[0] if errs else {"loc": ["body"], "msg": "invalid request"}
        loc = [str(x) for x in first.get("loc", ())]
        if request.url.path == "/api/jobs":  # the job request union: "kind", "params.x", no tag
            errs = [{**e, "loc": _untag(e.get("loc", ()))} for e in errs]
            first = errs[0] if errs else first
            loc = [str(x) for x in first.get("loc", ())]
            if first.get("type") in ("union_tag_invalid", "union_tag_not_found"):
                loc = ["body", "kind"]
        field = ".".join(x for x in loc[1:]) if len(loc) > 1 else (loc[0] if loc else "body")
        orig = (first.get("ctx") or {}).get("error")
        if isinstance(orig, InputError):
            msg = str(orig)
        elif first.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            tag = (first.get("ctx") or {}).get("tag")
            msg = f"kind: got {tag!r}; allowed: " + " or ".join(repr(k) for k in JOB_KINDS)
        elif first.get("type") == "extra_forbidden":
            msg = f"{field}: unknown field; allowed: the fields in /api/openapi.json"
        elif first.get("type") == "missing":
            msg = f"{field}: missing; allowed: a value (required)"
        else:
            msg = f"{field}: got {first.get('input')!r}; allowed: {first.get('msg', 'a valid value')}"
        detail = [{"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")} for e in errs]
        return JSONResponse(error_body(field, msg, jsonable(detail)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):  # 404, 405: same shape as the rest
        return JSONResponse({"error": f"path: {request.url.path!r}: {exc.detail}", "field": "path"},
                            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(_NotFound)
    async def _not_found(request: Request, exc: _NotFound):
        return JSONResponse({"error": f"job_id: no job {exc.args[0]!r} (finished jobs are kept for a while, "
                                      f"the last {MAX_KEPT_JOBS})", "field": "job_id"}, status_code=404)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # never a traceback to the client
        return JSONResponse({"error": f"internal error ({type(exc).__name__}); please report the request"},
                            status_code=500)

    @app.middleware("http")
    async def _timing(request: Request, call_next):
        t0 = time.perf_counter()
        response = await call_next(request)
        response.headers["server-timing"] = f"compute;dur={(time.perf_counter() - t0) * 1e3:.1f}"
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("cache-control", "no-store")
        return response

    # --- API ----------------------------------------------------------------------------------
    @app.get("/api/meta", tags=["meta"])
    def meta() -> dict:
        """Version, panels available, the example scenario of each panel (``examples.sweep``: the
        example sweeps by name, each a sweep job's ``params``), whether Cesium is installed;
        ``ensemble``: the samples each panel answers at once and as a background job."""
        return {"version": __version__, "panels": panels(), "examples": {**EXAMPLES, "sweep": sweep_examples()},
                "modules": {"engage": optional_module("engage"), "consequence": optional_module("consequence")},
                "cesium": cesium is not None, "czml_epoch": CZML_EPOCH,
                "footprint_job_above": MAX_FOOTPRINT_FRAGMENTS, "max_job_fragments": MAX_JOB_FRAGMENTS,
                "max_sweep_cases": MAX_SWEEP_JOB_CASES, "job_kinds": list(JOB_KINDS),
                "ensemble": _ensemble_limits()}

    @app.get("/api/catalog", tags=["data"])
    def api_catalog() -> list[dict]:
        """The vehicles in the catalog, with their key figures and sources (``boostphase catalog --json``)."""
        return run("catalog", None, catalog_payload)

    @app.get("/api/tests", tags=["data"])
    def api_tests() -> dict:
        """The test-flight catalogue with citations, and the launch sites it names."""
        return run("tests", None, tests_payload)

    @app.get("/api/city", tags=["data"])
    def api_city(name: Annotated[str, Query(min_length=1, max_length=100)]) -> dict:
        """Look a city up in the offline GeoNames gazetteer (CC BY 4.0)."""
        from ..models.geography import find_city

        c = find_city(name)
        return {"name": c.name, "country_code": c.country_code, "lat": c.lat_deg, "lon": c.lon_deg,
                "population": c.population}

    @app.post("/api/flyout", tags=["flight"])
    def api_flyout(req: FlyoutRequest) -> dict:
        """Fly a catalog missile (``boostphase flyout --json``): ``summary`` is the CLI's JSON;
        ``track`` and ``events`` are for drawing."""
        return run("flyout", req, lambda: flyout_payload(compute_flyout(req)))

    @app.post("/api/flyout/{fmt}", tags=["flight"], response_class=Response)
    def api_flyout_file(fmt: Literal["geojson", "csv", "czml", "kml"], req: FlyoutRequest):
        """The flyout as a file: GeoJSON (track and events), CSV (time series), CZML (animated),
        KML (track in 3D and events)."""
        from ..present import exports

        traj = run("flyout-traj", req, lambda: compute_flyout(req))
        name = f"flyout-{traj.missile.name}"
        if fmt == "geojson":
            return _download(json.dumps(jsonable(traj.to_geojson())), "application/geo+json", f"{name}.geojson")
        if fmt == "csv":
            return _download(exports.trajectory_csv(traj), "text/csv", f"{name}.csv")
        if fmt == "kml":
            return _download(exports.trajectory_kml(traj), KML_TYPE, f"{name}.kml")
        return _download(exports.trajectory_czml(traj, CZML_EPOCH), "application/json", f"{name}.czml")

    @app.post("/api/reconstruct", tags=["reconstruct"])
    def api_reconstruct(req: ReconstructRequest) -> dict:
        """Reconstruct a lofted test (``boostphase reconstruct --json``); with ``launch``, the reach
        contour (GeoJSON) and the cities in and out of reach."""
        return run("reconstruct", req, lambda: compute_reconstruct(req))

    @app.post("/api/reconstruct/{fmt}", tags=["reconstruct"], response_class=Response)
    def api_reconstruct_file(fmt: Literal["geojson", "csv", "czml", "kml"], req: ReconstructRequest):
        """The reconstruction as a file: GeoJSON (reach contour, cities), CSV (reach by azimuth),
        CZML, KML."""
        from ..present import exports

        res = run("reconstruct", req, lambda: compute_reconstruct(req))
        if fmt == "geojson":
            return _download(json.dumps(exports.reconstruct_geojson(res)), "application/geo+json",
                             "reconstruct.geojson")
        if fmt == "csv":
            return _download(exports.reconstruct_csv(res), "text/csv", "reconstruct.csv")
        if fmt == "kml":
            return _download(exports.reconstruct_kml(res), KML_TYPE, "reconstruct.kml")
        return _download(exports.reconstruct_czml(res, CZML_EPOCH), "application/json", "reconstruct.czml")

    @app.post("/api/check", tags=["check"])
    def api_check(req: CheckRequest) -> dict:
        """Check a claim (``boostphase check --json``): verdict and reasons in plain words."""
        return run("check", req, lambda: compute_check(req))

    @app.post("/api/engage", tags=["engage"])
    def api_engage(req: EngageRequest) -> dict:
        """One threat against one UAV orbit: the engagement row of ``boostphase engage --json``
        (``row``), the threat's boost track, the orbit and the timeline."""
        return run("engage", req, lambda: compute_engage(req))

    @app.post("/api/engage/map", tags=["engage"])
    def api_engage_map(req: EngageMapRequest) -> dict:
        """The engagement map (``boostphase engage-map``) for the threat of an engage request: a
        ``cells`` x ``cells`` grid of orbit centres around the boost, and per cell the margin (s)
        by which the intercept beats burnout (``null``: no intercept in time)."""
        return run("engagemap", req, lambda: compute_engage_map(req))

    @app.post("/api/shortfall", tags=["consequence"])
    def api_shortfall(req: ShortfallRequest) -> dict:
        """Payload impact for thrust termination at each moment of boost (``boostphase shortfall
        --json``): ``trace`` and ``intervals`` by territory."""
        return run("shortfall", req, lambda: compute_shortfall(req))

    @app.post("/api/footprint", tags=["consequence"])
    def api_footprint(req: FootprintRequest) -> dict:
        """Debris footprint Monte Carlo (at most 20,000 fragments here): shares by territory with
        95 % Wilson intervals, and ``sample``, at most 5,000 impact points for drawing."""
        return run("footprint", req, lambda: compute_footprint(req))

    def footprint_obj(req: FootprintRequest):
        return run("footprint-obj", req, lambda: run_footprint(req))

    @app.post("/api/footprint/{fmt}", tags=["consequence"], response_class=Response)
    def api_footprint_file(fmt: Literal["geojson", "kml"], req: FootprintRequest):
        """The footprint as a file: GeoJSON or KML (impact sample, payload and stage impacts,
        density contours holding 50/90/99 % of the fragments)."""
        fp, _ = footprint_obj(req)
        text, media, name = footprint_files(fp, f"footprint-n{fp.n}-seed{fp.seed}")[fmt]
        return _download(text, media, name)

    # --- background jobs ------------------------------------------------------------------------
    @app.post("/api/jobs", tags=["jobs"], status_code=202)
    def api_job_submit(req: JobRequest):
        """Start a background job: ``footprint`` (the body of /api/footprint, up to 1,000,000
        fragments) or ``sweep`` (a SWEEP.toml as JSON, up to 200,000 cases; results as JSON, CSV
        and NetCDF). Returns its ``job_id`` at once; poll ``GET /api/jobs/{job_id}``, cancel with
        ``DELETE``. Bad input is a 422 naming the field, before the job is queued."""
        params = req.params
        if isinstance(req, SweepJobRequest):
            body = params.model_dump(exclude_none=True)
            spec = sweep_spec(body)
            kind, total, work = "sweep", spec.n_cases, sweep_job(spec)
        elif isinstance(req, EnsembleJobRequest):
            panel, spec = ensemble_job_spec(params)
            body = {"kind": params["kind"], **spec.model_dump(exclude_none=True)}
            kind, total, work = "ensemble", (spec.ensemble.n if spec.ensemble else 200), ensemble_job(panel, spec)
        else:
            footprint_scenario(params)  # bad input is a 422 now, not a failed job later
            body, kind, total, work = (params.model_dump(exclude_none=True), "footprint", params.n_fragments,
                                       footprint_job(params))
        try:
            job = job_manager.submit(kind, body, total, work)
        except JobsBusy as e:
            return JSONResponse({"error": str(e), "field": "kind"}, status_code=429,
                                headers={"retry-after": "5"})
        return {"job_id": job.id, "state": job.state}

    def _job(job_id: str) -> Job:
        job = job_manager.get(job_id)
        if job is None:
            raise _NotFound(job_id)
        return job

    @app.get("/api/jobs/{job_id}", tags=["jobs"])
    def api_job(job_id: JobId) -> dict:
        """A job's state (queued, running, done, cancelled, failed), progress (0 to 1) and, when
        done, its ``result`` (the body of the matching endpoint's answer)."""
        return _job(job_id).status()

    @app.delete("/api/jobs/{job_id}", tags=["jobs"])
    def api_job_cancel(job_id: JobId) -> dict:
        """Cancel a job: a queued job never starts; a running footprint stops at its next chunk
        of fragments (within about a second); the state becomes ``cancelled``."""
        job = job_manager.cancel(job_id)
        if job is None:
            raise _NotFound(job_id)
        return job.status()

    @app.get("/api/jobs/{job_id}/{fmt}", tags=["jobs"], response_class=Response)
    def api_job_file(job_id: JobId, fmt: Literal["geojson", "kml", "csv", "netcdf"]):
        """A finished job's result as a file: a footprint as GeoJSON or KML; a sweep as CSV (one
        row per case: case index, coordinates, variables) or NetCDF (the dataset, NetCDF-3)."""
        job = _job(job_id)
        if job.state != "done":
            return JSONResponse({"error": f"job_id: job {job_id} is {job.state}; files come when it is done",
                                 "field": "job_id"}, status_code=409)
        if fmt not in job.files:
            raise InputError("fmt", fmt, f"{' or '.join(sorted(job.files))} (the files of a {job.kind} job)")
        entry = job.files[fmt]
        if callable(entry):  # built on demand from the job's folder
            if job.workdir is not None and not job.workdir.exists():
                raise _NotFound(job_id)
            try:
                with jobs:
                    entry = entry()
            except FileNotFoundError:  # the job was dropped meanwhile
                raise _NotFound(job_id) from None
        text, media, name = entry
        return _download(text, media, name)

    # --- run store ------------------------------------------------------------------------------
    # the same computations as the panels' endpoints, through the result cache
    def _cached(panel: str, fn: Callable[[Any], dict]) -> Callable[[Any], dict]:
        name = {"flight": "flyout"}.get(panel, panel)
        return lambda r: run(name, r, lambda: fn(r))

    computations: dict[str, tuple[type[BaseModel], Callable[[Any], dict]]] = {
        panel: (model, _cached(panel, fn)) for panel, (model, fn) in panel_computations().items()
    }

    @app.post("/api/runs", tags=["runs"], status_code=201)
    def api_save_run(req: RunSaveRequest) -> dict:
        """Save a panel's request (as the scenario) and the summary of its result in the run store
        (``boostphase runs list`` shows it). Give ``request`` (the panel's body; the result comes
        from the cache or is computed) or ``job_id`` (a finished footprint job)."""
        from ..present.store import save_run

        if (req.request is None) == (req.job_id is None):
            raise InputError("request", None, "exactly one of request (the panel's body) or job_id")
        t0 = time.perf_counter()
        if req.job_id is not None:
            job = job_manager.get(req.job_id)
            if req.panel != "footprint":
                raise InputError("panel", req.panel, "footprint (jobs are footprints)")
            if job is not None and job.kind != "footprint":
                raise InputError("job_id", req.job_id, "a finished footprint job (sweeps are not saved as runs)")
            if job is None or job.state != "done":
                raise InputError("job_id", req.job_id, "a finished job of this server (see GET /api/jobs/{id})")
            scenario, res = job.params, job.result
        else:
            model, compute = computations[req.panel]
            try:
                body = model.model_validate(req.request)
            except ValidationError as e:
                raise RequestValidationError([{**err, "loc": ("body", "request", *err["loc"])}
                                              for err in e.errors()]) from None
            scenario, res = body.model_dump(exclude_none=True), compute(body)
        summary = result_summary(req.panel, res)
        api = {"flight": "flyout", "engagemap": "engage/map"}.get(req.panel, req.panel)
        if req.note:
            scenario = {**scenario, "note": req.note}
        seed = res.get("seed") if isinstance(res.get("seed"), int) else None
        run_id = save_run(command=["web", f"/api/{api}"], kind=f"web-{req.panel}", scenario=scenario,
                          summary=summary, seed=seed, timings={"save_s": round(time.perf_counter() - t0, 4)})
        return {"id": run_id, "kind": f"web-{req.panel}", "panel": req.panel}

    @app.get("/api/runs", tags=["runs"])
    def api_runs(limit: Annotated[int, Query(ge=1, le=100)] = 20,
                 web_only: Annotated[bool, Query(description="only runs saved from this page")] = True) -> list[dict]:
        """The most recent runs in the run store, newest first (id, time, kind, scenario, summary)."""
        from ..present.store import list_runs

        rows = list_runs(limit=None if web_only else limit)
        if web_only:
            rows = [r for r in rows if str(r["kind"]).startswith("web-")][:limit]
        keep = ("id", "created_utc", "kind", "command", "version", "seed", "scenario", "summary")
        return [{k: r[k] for k in keep} for r in rows]

    # --- borders ----------------------------------------------------------------------------------
    @app.get("/api/borders", tags=["data"], response_class=Response)
    def api_borders(request: Request):
        """Country outlines (Natural Earth 1:10m admin-0, simplified to 0.05 deg) as GeoJSON
        MultiLineStrings, for the globe's border overlay."""
        b = borders_bytes()
        headers = {"cache-control": "max-age=86400", "vary": "accept-encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(b.gzipped, media_type="application/geo+json",
                            headers={**headers, "content-encoding": "gzip"})
        return Response(b.geojson, media_type="application/geo+json", headers=headers)

    # --- page, static files, Cesium -------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC_DIR / "index.html", headers={"cache-control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if cesium is not None:
        app.mount("/cesium", StaticFiles(directory=cesium), name="cesium")
    else:
        @app.get("/cesium/{rest:path}", include_in_schema=False)
        def no_cesium(rest: str):
            return JSONResponse({"error": CESIUM_MISSING}, status_code=404)

    # Guard is added last so it wraps everything, error handling included.
    app.add_middleware(GuardMiddleware, token=token)
    return app


KML_TYPE = "application/vnd.google-earth.kml+xml"


class _NotFound(Exception):
    """An unknown job id (404)."""


def _ensemble_limits() -> dict:
    """The web's ensemble sizes, for the page: ``at_once`` (samples a panel's endpoint answers
    itself), ``job`` (samples of that panel's background ``ensemble`` job; a flight at the
    lofted, depressed or target profile searches each sample alone: ``job_loop``), ``default_n`` and each
    panel's scenario ``kind`` (the job's ``params.kind``)."""
    loop = min(MAX_JOB_ENSEMBLE, MAX_ENSEMBLE_LOOP)
    return {"at_once": dict(WEB_ENSEMBLE_CAPS), "default_n": EnsembleSpec().n, "job_loop": loop,
            "job": {p: MAX_JOB_ENSEMBLE if p in ("flight", "coast") else loop for p in WEB_ENSEMBLE_CAPS},
            "kind": {p: panel_kind(p) for p in WEB_ENSEMBLE_CAPS}}


def _untag(loc) -> tuple:
    """A job request's error location without the union's tag: ("body", "sweep", "params", "x")
    becomes ("body", "params", "x")."""
    loc = tuple(loc)
    if len(loc) > 1 and loc[0] == "body" and loc[1] in JOB_KINDS:
        return (loc[0], *loc[2:])
    return loc


def _download(text: str, media_type: str, filename: str) -> Response:
    return Response(text, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def _warm_up() -> None:
    """Fly the Flight panel's example once before the first request (the engine is compiled C,
    so this only loads the catalog, the tables and the code paths into memory)."""
    try:
        compute_flyout(FlyoutRequest(**EXAMPLES["flight"]))
    except Exception:  # warm-up is best effort; a real request will report any problem
        pass
