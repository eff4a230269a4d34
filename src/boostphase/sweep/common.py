"""Limits and names shared by the sweep modules."""


from __future__ import annotations

MIN_CHUNK = 1000
DEFAULT_CHUNK = 4096
MAX_CHUNK = 1_000_000
MAX_CASES = 2**31
RESULT_NAME = "result.zarr"

REQUIRED = object()
