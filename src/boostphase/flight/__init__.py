"""Powered flight and coast of one vehicle over the rotating Earth: ``flyout`` (steering, the
batched engine, range searches) and ``trajectory`` (the result object).
"""
