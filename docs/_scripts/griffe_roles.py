"""Griffe extension for the API reference: the docstrings use reST roles (:class:`~a.B`,
:func:`f`, :data:`X`), which Markdown would print literally; show them as code (``B``, ``f``)."""

from __future__ import annotations

import re

from griffe import Extension

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|data|mod|attr|obj|exc):`~?([^`]+)`")


class RolesAsCode(Extension):
    def on_object(self, *, obj, **kwargs) -> None:
        doc = getattr(obj, "docstring", None)
        if doc is not None and doc.value:
            doc.value = _ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1]}`", doc.value)
