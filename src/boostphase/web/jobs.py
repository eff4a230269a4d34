"""Background jobs of the web server (footprints, sweeps) and its result cache."""


from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..scenario.ensemble import run_ensemble
from ..scenario.registry import (
    footprint_files,
    footprint_payload,
    panel_kind,
    run_footprint,
    sweep_summary,
)
from ..scenario.specs import FootprintRequest

JOB_CHUNK_SIZE = 10_000            # fragments between progress reports and cancel points (bench_job_cancel.py: 20,000 cancelled in up to 0.49 s, 10,000 in 0.16 s; a job 5 % slower)
MAX_RUNNING_JOBS = 1               # background jobs computing at once
MAX_PENDING_JOBS = 4               # queued or running; more is refused with 429
MAX_KEPT_JOBS = 16                 # finished jobs remembered (oldest dropped first)


class ResultCache:
    """A small thread-safe LRU cache of computed results, keyed by the validated request.

    Single flight: while a result is being computed, identical requests wait for it instead of
    computing it again (a crowd sending the same claim check costs one computation; measured
    with benchmarks/bench_web_concurrency.py). A failed computation is not cached: each waiter
    gets the same error, and a later request tries again."""

    def __init__(self, size: int = 64):
        self.size = size
        self._d: OrderedDict[str, Any] = OrderedDict()
        self._inflight: dict[str, Future] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, key: str, fn: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key]
            fut = self._inflight.get(key)
            owner = fut is None
            if owner:
                fut = self._inflight[key] = Future()
        if not owner:
            return fut.result()
        try:
            val = fn()
        except BaseException as e:
            with self._lock:
                self._inflight.pop(key, None)
            fut.set_exception(e)
            raise
        with self._lock:
            self._d[key] = val
            while len(self._d) > self.size:
                self._d.popitem(last=False)
            self._inflight.pop(key, None)
        fut.set_result(val)
        return val


class JobCancelled(Exception):
    """Raised from a job's progress callback once the job is cancelled: it stops the work."""


class JobsBusy(Exception):
    """Too many jobs queued or running."""


@dataclass
class Job:
    id: str
    kind: str
    params: dict
    total: int = 0
    state: str = "queued"
    progress: float = 0.0
    message: str = "queued"
    result: Any = None
    error: dict | None = None
    files: dict = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    workdir: Path | None = None   # a server-owned temporary folder (sweeps); removed with the job

    def dispose(self) -> None:
        """Remove the job's temporary folder (its files are gone with it)."""
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def status(self) -> dict:
        out: dict[str, Any] = {"job_id": self.id, "kind": self.kind, "state": self.state,
                               "progress": round(self.progress, 4), "message": self.message,
                               "params": self.params, "files": sorted(self.files)}
        t_end = self.finished or time.time()
        out["elapsed_s"] = None if self.started is None else round(t_end - self.started, 3)
        if self.state == "done":
            out["result"] = self.result
        if self.state == "failed":
            out["error"] = self.error["error"]
            out["field"] = self.error.get("field")
        return out


class JobManager:
    """Background jobs in a thread pool of :data:`MAX_RUNNING_JOBS` threads; at most
    :data:`MAX_PENDING_JOBS` queued or running, the last :data:`MAX_KEPT_JOBS` finished kept."""

    def __init__(self, workers: int = MAX_RUNNING_JOBS, max_pending: int = MAX_PENDING_JOBS,
                 keep: int = MAX_KEPT_JOBS):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="boostphase-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self.max_pending = max_pending
        self.keep = keep
        self._closed = False

    def submit(self, kind: str, params: dict, total: int, work: Callable[[Job], Any]) -> Job:
        with self._lock:
            pending = sum(j.state in ("queued", "running") for j in self._jobs.values())
            if pending >= self.max_pending:
                raise JobsBusy(f"{pending} jobs are queued or running (at most {self.max_pending}); "
                               "wait for one to finish or cancel one")
            job = Job(id=secrets.token_urlsafe(12), kind=kind, params=params, total=total)
            self._jobs[job.id] = job
            dropped = self._prune()
        for j in dropped:
            j.dispose()
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            job.cancel.set()
            if job.state == "queued":
                job.state, job.message, job.finished = "cancelled", "cancelled before it started", time.time()
            elif job.state == "running":
                job.message = "cancelling"
            return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        with self._lock:
            if job.cancel.is_set() or job.state != "queued":
                return
            job.state, job.started, job.message = "running", time.time(), "starting"
        try:
            result = work(job)
        except JobCancelled:
            state, upd = "cancelled", {"message": "cancelled"}
        except InputError as e:
            state, upd = "failed", {"error": {"error": str(e), "field": e.field}, "message": "failed"}
        except Exception as e:  # never a traceback to the client
            state, upd = "failed", {"error": {"error": f"internal error ({type(e).__name__}); please report "
                                                       "the request", "field": None}, "message": "failed"}
        else:
            state, upd = "done", {"result": result, "progress": 1.0, "message": "done"}
        with self._lock:
            if job.cancel.is_set() and state == "done":
                state, upd = "cancelled", {"message": "cancelled"}
            for k, v in upd.items():
                setattr(job, k, v)
            job.state, job.finished = state, time.time()
            if state != "done":
                job.files = {}
            dropped = self._prune()
            if state != "done" or self._closed:  # nothing to download: its folder goes now
                dropped.append(job)
        for j in dropped:
            j.dispose()

    def _prune(self) -> list[Job]:
        """Forget the oldest finished jobs beyond :attr:`keep`; returns them (to dispose of
        outside the lock)."""
        finished = [k for k, j in self._jobs.items() if j.state in ("done", "cancelled", "failed")]
        return [self._jobs.pop(k) for k in finished[: max(0, len(finished) - self.keep)]]

    def shutdown(self) -> None:
        """Cancel every job and remove the folders of those not running; a running job stops
        at its next progress report and removes its own folder when it ends."""
        with self._lock:
            self._closed = True
            idle = []
            for j in self._jobs.values():
                j.cancel.set()
                if j.state != "running":
                    idle.append(j)
        for j in idle:
            j.dispose()
        self._pool.shutdown(wait=False, cancel_futures=True)


def chunk_progress(job: Job, start: float, span: float, what: str) -> Callable[[int], None]:
    """The progress callback of a chunked job: ``k`` more units done moves the bar from
    ``start`` by ``span`` over ``job.total``; a cancelled job stops there (JobCancelled)."""
    done = 0

    def progress(k: int) -> None:
        nonlocal done
        done += int(k)
        job.progress = min(0.99, start + span * done / max(job.total, 1))
        job.message = f"{done:,} of {job.total:,} {what}"
        if job.cancel.is_set():
            raise JobCancelled()

    return progress


def footprint_job(req: FootprintRequest, chunk_size: int | None = None) -> Callable[[Job], dict]:
    """The work of a footprint job: progress after every chunk of fragments; a cancelled job
    stops at the next chunk (the callback raises :class:`JobCancelled`)."""

    def work(job: Job) -> dict:
        progress = chunk_progress(job, 0.05, 0.9, "fragments flown")
        job.message, job.progress = "flying the threat and the intercept states", 0.02
        if job.cancel.is_set():
            raise JobCancelled()
        fp, title = run_footprint(req, progress=progress, chunk_size=chunk_size or JOB_CHUNK_SIZE)
        if job.cancel.is_set():
            raise JobCancelled()
        job.message = "writing the result"
        out = footprint_payload(fp, title)
        job.files = footprint_files(fp, f"footprint-{job.id[:8]}")
        return out

    return work


def ensemble_job(panel: str, req) -> Callable[[Job], dict]:
    """The work of an ensemble job (a panel's spec with distributions): progress after every
    chunk of samples; a cancelled job stops at the next chunk."""

    def work(job: Job) -> dict:
        progress = chunk_progress(job, 0.02, 0.97, "samples computed")
        job.message, job.progress = "sampling the uncertain inputs", 0.01
        if job.cancel.is_set():
            raise JobCancelled()
        return run_ensemble(panel, panel_kind(panel), req, progress=progress)

    return work


SWEEP_DIR_PREFIX = "boostphase-sweep-"


def remove_stale_sweep_dirs(tmp: str | os.PathLike | None = None) -> list[Path]:
    """Remove the sweep jobs' temporary folders left by servers that are no longer running (a
    server killed outright cannot clean up; a finished or cancelled job removes its own folder).
    A folder is ``boostphase-sweep-<pid>-<job>-<random>`` in the temporary directory; it is
    removed when no process has that pid. Returns the folders removed."""
    import tempfile

    root = Path(tmp or tempfile.gettempdir())
    removed = []
    for d in root.glob(f"{SWEEP_DIR_PREFIX}*-*-*"):
        pid_text = d.name[len(SWEEP_DIR_PREFIX):].split("-", 1)[0]
        if not d.is_dir() or not pid_text.isdigit():
            continue
        try:
            os.kill(int(pid_text), 0)
            continue  # that server is alive (or the pid belongs to another user's process)
        except ProcessLookupError:
            pass
        except OSError:
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


def sweep_job(spec) -> Callable[[Job], dict]:
    """The work of a sweep job: ``run_sweep`` serially in the job's thread (``workers=0``) into a
    server-owned temporary folder; progress after every chunk; a cancelled job stops after the
    chunk it is computing (``on_chunk`` raises :class:`JobCancelled`; chunks are persisted one
    by one, so stopping between them is safe). Downloads are built from the written dataset."""

    def work(job: Job) -> dict:
        import tempfile

        from ..present import exports
        from ..sweep import open_result, run_sweep

        if job.cancel.is_set():
            raise JobCancelled()
        # the server's pid in the name: a later server removes folders of dead servers
        job.workdir = Path(tempfile.mkdtemp(prefix=f"{SWEEP_DIR_PREFIX}{os.getpid()}-{job.id[:8]}-"))
        out = job.workdir / "out"
        n, n_chunks = spec.n_cases, spec.n_chunks
        job.message, job.progress = f"{n:,} cases in {n_chunks:,} chunks of {spec.chunk:,}", 0.02

        def on_chunk(k: int, done: int, total: int) -> None:
            job.progress = min(0.99, 0.02 + 0.93 * done / max(total, 1))
            job.message = f"{done:,} of {total:,} chunks done ({min(done * spec.chunk, n):,} of {n:,} cases)"
            if job.cancel.is_set():
                raise JobCancelled()

        res = run_sweep(spec, out, workers=0, progress=False, on_chunk=on_chunk)
        if job.cancel.is_set():
            raise JobCancelled()
        job.message = "summarising the result"
        summary = sweep_summary(res)
        name = f"sweep-{job.id[:8]}"
        job.files = {
            "csv": lambda: (exports.sweep_csv(open_result(out)), "text/csv", f"{name}.csv"),
            "netcdf": lambda: (exports.sweep_netcdf(open_result(out)), "application/x-netcdf", f"{name}.nc"),
        }
        return summary

    return work
