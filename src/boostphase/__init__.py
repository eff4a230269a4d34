"""boostphase: open, physics-based checks of public claims about ballistic missiles and boost-phase defence."""

__version__ = "0.1.0"
