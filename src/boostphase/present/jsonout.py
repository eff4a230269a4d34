"""Results as JSON that every reader can parse: plain types, and ``null`` where a value is not a
number (a flight that does not land has no range), never ``NaN`` or ``Infinity``."""

from __future__ import annotations

import json
import math

import numpy as np


def finite_json(o):
    """``o`` with NumPy values made plain, dict keys as strings and every NaN/inf float replaced
    by None."""
    if isinstance(o, dict):
        return {str(k): finite_json(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [finite_json(v) for v in o]
    if isinstance(o, np.ndarray):
        return finite_json(o.tolist())
    if isinstance(o, np.generic):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o


def json_text(data, indent: int | None = 2, default=None) -> str:
    """JSON text of ``data`` (:func:`finite_json` first); the encoder refuses any non-finite
    number that remains (``allow_nan=False``)."""
    return json.dumps(finite_json(data), indent=indent, default=default, allow_nan=False)
