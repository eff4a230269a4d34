"""Reconstructions of tests: ``reconstruction`` (a class model fitted to a lofted test, and its
range on a standard trajectory), ``testflights`` (the public test catalogue) and ``overflight``
(a flight over Japan fitted to reported figures).
"""
