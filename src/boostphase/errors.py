"""Errors that reach users as one clear line (field, value, what is allowed), never a traceback."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: names the field, the value given and what is allowed.

    The CLI turns this into one line on stderr and exit code 2; the web API into a 422.
    """

    def __init__(self, field: str, value: object, allowed: str, hint: str | None = None):
        self.field = field
        self.value = value
        self.allowed = allowed
        self.hint = hint
        msg = f"{field}: got {value!r}; allowed: {allowed}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)


def check_range(field: str, value: float, lo: float | None = None, hi: float | None = None,
                unit: str = "") -> float:
    """Return ``value`` as float if ``lo <= value <= hi`` (bounds optional), else raise InputError."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(field, value, "a number") from None
    if v != v or v in (float("inf"), float("-inf")):  # NaN and infinities are never inputs
        raise InputError(field, value, "a finite number")
    u = f" {unit}" if unit else ""
    if lo is not None and hi is not None and not (lo <= v <= hi):
        raise InputError(field, value, f"{lo:g} to {hi:g}{u}")
    if lo is not None and hi is None and v < lo:
        raise InputError(field, value, f">= {lo:g}{u}")
    if hi is not None and lo is None and v > hi:
        raise InputError(field, value, f"<= {hi:g}{u}")
    return v
