"""Presentation: how results leave the program (JSON text now; plots, exports and the run store
move here step by step, issue 16)."""
