"""Units at the boundary: scenario files, CLI and web values like ``"20 km"`` or ``"5 km/s"``.

Physics code never sees pint: values are converted here to SI floats, range-checked, and a bad
value raises :class:`~boostphase.errors.InputError` naming the field.
"""

from __future__ import annotations

from functools import lru_cache

from .errors import InputError, check_range


@lru_cache(maxsize=1)
def _ureg():
    import pint

    return pint.UnitRegistry()


def quantity(field: str, value, unit: str, lo: float | None = None, hi: float | None = None) -> float:
    """``value`` (a number, taken as ``unit``, or a string with units, e.g. "20 km", "12 nmi",
    "5 km/s", "90 s", "2 min") as a float in ``unit`` (use SI units: m, s, m/s, kg, kg/m**2, deg),
    checked against [lo, hi] (in ``unit``)."""
    if isinstance(value, bool):
        raise InputError(field, value, f"a number or a quantity in {unit}")
    if isinstance(value, (int, float)):
        return check_range(field, float(value), lo, hi, unit)
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, value, f"a number or a quantity like '10 {unit}'")
    text = value.strip()
    # pint evaluates powers exactly: "9**9**9 km" would never return; units need no exponent
    # beyond a small integer, and no quantity here needs a long string
    if len(text) > 64 or "**" in text or "^" in text.replace("^2", "").replace("^3", ""):
        raise InputError(field, value, f"a number or a quantity like '10 {unit}' (no exponent expressions)")
    ureg = _ureg()
    try:
        q = ureg.Quantity(text)
        if q.units == ureg.dimensionless:  # a bare number in a string: taken in the field's unit
            mag = float(q.magnitude)
        else:  # "1 km/parsec" is dimensionless but not a speed: to() refuses it
            mag = float(q.to(unit).magnitude)
    except Exception:  # pint raises several error types for bad strings and incompatible units
        raise InputError(field, value, f"a quantity convertible to {unit}") from None
    return check_range(field, mag, lo, hi, unit)


def quantity_validator(unit: str, lo: float | None = None, hi: float | None = None):
    """A pydantic ``BeforeValidator`` that converts a field's value with :func:`quantity` (a
    number in ``unit`` or a string with units, checked against [lo, hi]); the InputError names
    the field. Use as ``Annotated[float, quantity_validator("s", 0, 1000)]``."""
    from pydantic import BeforeValidator

    def conv(v, info):
        return quantity(info.field_name or "value", v, unit, lo, hi)

    return BeforeValidator(conv)
