"""Running a sweep: chunks on dask (or in this process), resumable storage, the assembled dataset."""


from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import InputError
from .common import RESULT_NAME
from .kinds import KINDS
from .spec import SweepSpec, code_digest, jsonable_value, load_spec

# ------------------------------------------------------------------------------------------
# one chunk (runs on a worker)
# ------------------------------------------------------------------------------------------

class ChunkInputError(Exception):
    """An input error raised inside a task, in a form that pickles (InputError's args don't)."""

    def __init__(self, field: str, value: object, allowed: str):
        super().__init__(field, value, allowed)
        self.field, self.value, self.allowed = field, value, allowed


def compute_chunk(spec: SweepSpec, k: int) -> dict[str, np.ndarray]:
    """Results of chunk ``k`` (one batched engine call). Pure: same inputs, same bits (the
    engine's result for a case depends on that case alone, whatever the chunk)."""
    start, stop = spec.chunk_range(k)
    m = stop - start
    cases = spec.cases(start, stop)
    kind = KINDS[spec.kind]
    try:
        res = kind.run(cases, m)
    except InputError as e:
        value = e.value if isinstance(e.value, str | int | float | None) else repr(e.value)
        raise ChunkInputError(e.field, value, e.allowed) from None
    out = {name: np.asarray(res[name])[:m].astype(o.dtype) for name, o in kind.outputs.items()}
    for name in spec.dispersion:
        out[f"{name}_value"] = np.asarray(cases[name], float)
    return out


def _task(spec: SweepSpec, k: int):
    """What a dask task runs: a bad input comes back as a value (no retries, no worker log)."""
    try:
        return "ok", compute_chunk(spec, k)
    except ChunkInputError as e:
        return "input-error", (e.field, e.value, e.allowed)


# ------------------------------------------------------------------------------------------
# persistence of chunks
# ------------------------------------------------------------------------------------------

def _chunk_path(out: Path, k: int) -> Path:
    return out / "chunks" / f"c{k:07d}.npz"


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_chunk(out: Path, k: int, fingerprint: str, arrays: dict[str, np.ndarray]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, _fingerprint=np.array(fingerprint), _chunk=np.array(k), **arrays)

    _write_atomic(_chunk_path(out, k), write)


def load_chunk(out: Path, k: int, fingerprint: str, n: int, names) -> dict[str, np.ndarray] | None:
    """A persisted chunk, or None if it is missing, from another sweep, or unreadable."""
    p = _chunk_path(out, k)
    if not p.is_file():
        return None
    try:
        with np.load(p, allow_pickle=False) as z:
            if str(z["_fingerprint"]) != fingerprint or int(z["_chunk"]) != k:
                return None
            arrays = {name: z[name] for name in names}
    except Exception:  # a damaged file is simply recomputed
        return None
    if any(a.shape != (n,) for a in arrays.values()):
        return None
    return arrays


def _output_names(spec: SweepSpec) -> list[str]:
    return list(KINDS[spec.kind].outputs) + [f"{n}_value" for n in spec.dispersion]


# ------------------------------------------------------------------------------------------
# the sweep
# ------------------------------------------------------------------------------------------

@dataclass
class SweepResult:
    dataset: object               # xarray.Dataset
    path: Path                    # the written dataset (OUT/result.zarr)
    n_chunks: int
    computed: list[int]           # chunk indices computed in this run (each once)
    reused: int                   # chunks loaded from OUT/chunks
    timings: dict[str, float]

    def summary(self) -> dict:
        ds = self.dataset
        return {
            "path": str(self.path), "kind": ds.attrs["kind"], "name": ds.attrs["name"],
            "dims": {d: int(s) for d, s in ds.sizes.items()}, "n_cases": int(ds.attrs["n_cases"]),
            "n_chunks": self.n_chunks, "computed_chunks": len(self.computed),
            "reused_chunks": self.reused, "sha256": dataset_digest(ds),
            "timings_s": self.timings,
            "outputs": {name: _var_summary(ds[name]) for name in ds.data_vars},
        }


def _var_summary(da) -> dict:
    a = np.asarray(da.values)
    if a.dtype == bool:
        return {"true": int(a.sum()), "false": int(a.size - a.sum())}
    a = a.astype(float)
    ok = np.isfinite(a)
    if not ok.any():
        return {"min": None, "max": None, "mean": None, "nan": int(a.size)}
    return {"min": float(a[ok].min()), "max": float(a[ok].max()), "mean": float(a[ok].mean()),
            "nan": int(a.size - ok.sum()), "unit": da.attrs.get("units", "")}


def dataset_digest(ds) -> str:
    """SHA-256 over the coordinates and data (names, dtypes, shapes, bytes) of a dataset."""
    h = hashlib.sha256()
    for name in sorted(ds.variables):
        a = np.asarray(ds[name].values)
        if a.dtype == object or a.dtype.kind == "U":
            a = a.astype(str).astype(object)
            b = "\x1f".join(a.ravel().tolist()).encode()
        else:
            b = np.ascontiguousarray(a).tobytes()
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(b)
    return h.hexdigest()


def _prepare_out(spec: SweepSpec, out: Path, fresh: bool) -> dict:
    fp = spec.fingerprint()
    manifest_path = out / "sweep.json"
    if fresh and out.exists():
        shutil.rmtree(out / "chunks", ignore_errors=True)
        shutil.rmtree(out / RESULT_NAME, ignore_errors=True)
        manifest_path.unlink(missing_ok=True)
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "a folder")
    if manifest_path.is_file():
        try:
            old = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            old = {}
        if old.get("fingerprint") != fp:
            if old.get("spec_fingerprint") == spec.fingerprint(code=False):
                raise InputError("--out", str(out), "a folder whose chunks were computed by this "
                                 f"code (they come from code {old.get('code')}, this is {code_digest()})",
                                 "--fresh recomputes them")
            raise InputError("--out", str(out),
                             "an empty folder or the folder of this same sweep (--fresh starts over)")
    elif out.is_dir() and any(out.iterdir()):
        raise InputError("--out", str(out), "an empty folder or the folder of this same sweep")
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    manifest = {"fingerprint": fp, "spec_fingerprint": spec.fingerprint(code=False),
                "code": code_digest(), "kind": spec.kind, "name": spec.name, "version": __version__,
                "dims": list(spec.dims), "shape": list(spec.shape), "n_cases": spec.n_cases,
                "chunk": spec.chunk, "n_chunks": spec.n_chunks, "seed": spec.seed,
                "spec": spec.source, "status": "running"}
    _write_json(manifest_path, manifest)
    return manifest


def _write_json(path: Path, data: dict) -> None:
    _write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, sort_keys=True)))


def run_sweep(spec: SweepSpec | str | os.PathLike, out: str | os.PathLike, *,
              workers: int | None = None, scheduler: str | None = None, client=None,
              retries: int = 3, fresh: bool = False, progress: bool | None = None,
              on_chunk: Callable[[int, int, int], None] | None = None) -> SweepResult:
    """Run (or finish) a sweep into the folder ``out`` and return its dataset.

    ``workers``: worker processes of a LocalCluster (default: the CPU count); 0 runs serially
    in this process. ``scheduler``: address of an existing dask scheduler (``tcp://host:port``);
    ``client``: an existing ``dask.distributed.Client``. ``retries``: reruns of a failed task.
    ``progress``: a rich progress bar (default: when stderr is a terminal). ``on_chunk(k, done,
    total)`` is called in this process after chunk ``k`` is persisted.

    With the default ``workers=None`` a sweep with a single chunk left runs in this process.
    Worker processes are spawned: a script that calls this must guard its top level with
    ``if __name__ == "__main__":``.
    """
    t0 = time.perf_counter()
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    if workers is not None and (isinstance(workers, bool) or not 0 <= workers <= 4096):
        raise InputError("--workers", workers, "0 (serial) to 4096")
    out = Path(out)
    created = not out.exists()
    try:
        return _run_sweep_in(spec, out, t0, workers, scheduler, client, retries, fresh, progress, on_chunk)
    except BaseException:
        # a sweep that failed before it saved any chunk (an unreachable scheduler, a bad value
        # found by a worker, Ctrl-C) leaves no folder behind that it made itself
        if created and not any((out / "chunks").glob("*.npz")):
            shutil.rmtree(out, ignore_errors=True)
        raise


def _run_sweep_in(spec: SweepSpec, out: Path, t0: float, workers, scheduler, client, retries: int, fresh: bool,
                  progress, on_chunk) -> SweepResult:
    """The body of :func:`run_sweep`, once the spec and the worker count are checked."""
    _prepare_out(spec, out, fresh)
    fp = spec.fingerprint()
    names = _output_names(spec)

    results: dict[int, dict[str, np.ndarray]] = {}
    todo: list[int] = []
    for k in range(spec.n_chunks):
        s, e = spec.chunk_range(k)
        got = load_chunk(out, k, fp, e - s, names)
        if got is None:
            todo.append(k)
        else:
            results[k] = got
    reused = len(results)
    t_load = time.perf_counter()

    computed: list[int] = []
    bar = _Progress(spec, sum(len(next(iter(r.values()))) for r in results.values()), progress)

    def accept(k: int, arrays: dict[str, np.ndarray]) -> None:
        if k in results:  # never twice (a retried task that raced its first copy)
            return
        save_chunk(out, k, fp, arrays)
        results[k] = arrays
        computed.append(k)
        s, e = spec.chunk_range(k)
        bar.advance(e - s)
        if on_chunk is not None:
            on_chunk(k, len(results), spec.n_chunks)

    with bar:
        if todo:
            local = scheduler is None and client is None
            # one chunk left and no cluster asked for: starting one would only add seconds
            if local and (workers == 0 or (workers is None and len(todo) == 1)):
                for k in todo:
                    accept(k, _checked(lambda k=k: compute_chunk(spec, k)))
            else:
                _run_distributed(spec, todo, accept, workers=workers, scheduler=scheduler,
                                 client=client, retries=retries)
    t_compute = time.perf_counter()

    ds = assemble(spec, [results[k] for k in range(spec.n_chunks)])
    path = out / RESULT_NAME
    write_dataset(ds, path)
    t_end = time.perf_counter()
    timings = {"load_s": round(t_load - t0, 4), "compute_s": round(t_compute - t_load, 4),
               "write_s": round(t_end - t_compute, 4), "total_s": round(t_end - t0, 4)}
    manifest = json.loads((out / "sweep.json").read_text())
    manifest.update(status="complete", timings_s=timings, computed_chunks=len(computed),
                    reused_chunks=reused)
    _write_json(out / "sweep.json", manifest)
    return SweepResult(dataset=ds, path=path, n_chunks=spec.n_chunks, computed=computed,
                       reused=reused, timings=timings)


def _checked(fn):
    try:
        return fn()
    except ChunkInputError as e:
        raise InputError(e.field, e.value, e.allowed) from None


def _run_distributed(spec: SweepSpec, todo: list[int], accept, *, workers, scheduler, client,
                     retries: int) -> None:
    import logging

    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    own_client = client is None
    try:
        if client is None:
            if scheduler is not None:
                client = Client(scheduler, timeout="10s")
            else:
                n = workers if workers else (os.cpu_count() or 1)
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.CRITICAL,
                                       preload=[__name__])  # runs dask_setup in each worker
                client = Client(cluster)
        fp = spec.fingerprint()[:16]
        futures = [client.submit(_task, spec, k, key=f"boostphase-sweep-{fp}-{k}",
                                 retries=retries, pure=False) for k in todo]
        index = {f.key: k for f, k in zip(futures, todo, strict=True)}
        try:
            for fut in as_completed(futures):
                k = index[fut.key]
                status, value = fut.result()
                fut.release()
                if status != "ok":
                    raise InputError(*value)
                accept(k, value)
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        if own_client and client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def dask_setup(worker) -> None:
    """Preload hook of the workers of our own LocalCluster: Ctrl-C in the terminal reaches the
    whole process group; the client handles it and closes the cluster, workers ignore it."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def assemble(spec: SweepSpec, chunks: list[dict[str, np.ndarray]]):
    """The xarray Dataset of a sweep from its chunks (in order)."""
    import xarray as xr

    kind = KINDS[spec.kind]
    shape = spec.shape
    coords = {}
    for name, vals in spec.grid.items():
        fs = kind.fields[name]
        v = vals.astype(str) if vals.dtype == object else vals
        coords[name] = xr.Variable(name, v, attrs={"units": fs.attr_unit, "long_name": fs.doc})
    if spec.samples:
        coords["sample"] = xr.Variable("sample", np.arange(spec.samples),
                                       attrs={"long_name": "Monte Carlo sample"})
    data = {}
    for name in _output_names(spec):
        arr = np.concatenate([c[name] for c in chunks]).reshape(shape)
        if name in kind.outputs:
            o = kind.outputs[name]
            attrs = {"units": o.unit, "long_name": o.doc}
        else:
            base = name[: -len("_value")]
            attrs = {"units": kind.fields[base].attr_unit,
                     "long_name": f"{kind.fields[base].doc} (dispersed, per case)"}
        data[name] = xr.Variable(spec.dims, arr, attrs=attrs)
    attrs = {
        "title": f"boostphase sweep: {spec.name}", "kind": spec.kind, "name": spec.name,
        "kind_doc": kind.doc, "boostphase_version": __version__, "boostphase_code": code_digest(),
        "seed": spec.seed,
        "chunk": spec.chunk, "n_cases": spec.n_cases, "fingerprint": spec.fingerprint(),
        "case_order": "C order over the dimensions; case index = flat index",
        "sweep_spec": json.dumps(spec.source),
        "fixed": json.dumps({k: jsonable_value(v) for k, v in spec.fixed.items()}, sort_keys=True),
    }
    for k, sigma in spec.dispersion.items():
        attrs[f"dispersion_{k}"] = f"{sigma!r} {kind.fields[k].attr_unit} (one sigma, normal)"
    return xr.Dataset(data, coords=coords, attrs=attrs)


def write_dataset(ds, path: Path) -> None:
    """Write the dataset as Zarr through a temporary folder and a rename."""
    import warnings

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr format notes about fixed-length strings
        ds.to_zarr(tmp, mode="w", consolidated=True)
    old = path.with_name(f".{path.name}.{os.getpid()}.old")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def open_result(out: str | os.PathLike):
    """Open a written sweep (the folder given as ``out``, or the .zarr itself) as a Dataset."""
    import xarray as xr

    p = Path(out)
    if p.name != RESULT_NAME:
        p = p / RESULT_NAME
    return xr.open_zarr(p, consolidated=True).load()


class _Progress:
    """A rich progress bar over cases, shown only on a terminal (or when asked)."""

    def __init__(self, spec: SweepSpec, done_cases: int, enabled: bool | None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total = spec.n_cases
        self.start = done_cases
        self.label = f"{spec.kind} sweep '{spec.name}'"
        self._p = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                               TimeElapsedColumn(), TimeRemainingColumn(),
                               console=Console(stderr=True), transient=False)
            self._p.__enter__()
            self._task = self._p.add_task(self.label, total=self.total, completed=self.start)
        return self

    def advance(self, n: int) -> None:
        if self._p is not None:
            self._p.advance(self._task, n)

    def __exit__(self, *exc):
        if self._p is not None:
            self._p.__exit__(*exc)
        return False
