"""The scenario layer: the only place user input is parsed and checked.

Started with :mod:`boostphase.scenario.files` (input files read and output paths checked once,
for every surface); the per-analysis specs move here step by step (issue 16).
"""
