"""Batched float64 engine (JAX). See :mod:`boostphase.engine.kernel`."""

from .kernel import T_INF, Case, Result, Settings, altitude_and_vspeed, integrate

__all__ = ["T_INF", "Case", "Result", "Settings", "altitude_and_vspeed", "integrate"]
