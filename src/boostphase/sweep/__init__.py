"""Parameter sweeps: a grid over scenario fields, run in chunks on dask.distributed, resumable.

A sweep is described by a TOML file::

    kind = "coast"              # what one case is: "coast" (a free ballistic body) or "flyout"
    name = "speed-by-angle"     # optional, written into the dataset's attributes
    chunk = 4096                # cases per task (>= 1000; each task is one batched engine call)
    seed = 1                    # optional; only used by [dispersion]

    [fixed]                     # one value for every case (numbers are taken in SI / degrees)
    lat = 39.0
    lon = "125.7 deg"
    alt = "0 km"
    azimuth = 90
    beta = "vacuum"             # or e.g. "5000 kg/m^2"

    [grid]                      # the dimensions of the result, in this order
    speed = {from = "2 km/s", to = "7 km/s", n = 51}       # linspace, both ends included
    flight_path = [20, 30, "45 deg"]                        # an explicit list
    # also {from=..., to=..., step=...} (both ends included when they fall on the step)
    # and {from=..., to=..., n=..., spacing="log"}

    [dispersion]                # optional Monte Carlo: a "sample" dimension is added last
    samples = 100
    speed = "20 m/s"            # one-sigma normal perturbation of each case's value

How it runs
-----------
* The grid (C order over the dimensions as written, then ``sample``) is cut into chunks of
  ``chunk`` consecutive cases. A chunk is one task; it calls the batched engine once.
* Tasks run on a ``LocalCluster`` of worker *processes* (``threads_per_worker=1``), or on an
  existing scheduler given by address; ``workers=0`` runs the same chunks serially in this
  process (the reference the distributed run must equal exactly).
* Finished chunks come back to the client, which writes each one to ``OUT/chunks/`` through a
  temporary file and an atomic rename. Workers need no shared file system. A re-run after a
  crash or Ctrl-C loads what is there and computes only the missing chunks; since every chunk
  is a pure function of (spec, chunk index), the final dataset equals an uninterrupted run.
  ``OUT/sweep.json`` holds the fingerprint of the spec (and package version): a different
  sweep refuses to mix its chunks with these.
* Randomness (dispersion only) is derived from (seed, case index) alone, so it does not
  depend on chunking, on the worker or on the order of completion.
* A worker that dies mid-task (killed, out of memory) loses no chunk: the scheduler reruns its
  tasks elsewhere (``retries`` also covers exceptions), and the client writes each chunk once.
* The result is an :class:`xarray.Dataset` with the grid fields as named dimensions, units in
  ``attrs``, written to ``OUT/result.zarr`` (through a temporary folder and a rename).

Workers need no warm-up: the engine is compiled C, built with the package.
"""

from __future__ import annotations

from .common import DEFAULT_CHUNK, MAX_CASES, MAX_CHUNK, MIN_CHUNK, REQUIRED, RESULT_NAME  # noqa: F401
from .kinds import COAST, FLYOUT, KINDS, FieldSpec, Kind, OutputSpec, vehicle_file_digests  # noqa: F401
from .run import (  # noqa: F401
    ChunkInputError,
    SweepResult,
    assemble,
    compute_chunk,
    dask_setup,
    dataset_digest,
    load_chunk,
    open_result,
    run_sweep,
    save_chunk,
    write_dataset,
)
from .spec import SweepSpec, case_normals, code_digest, jsonable_value, load_spec, parse_spec  # noqa: F401
