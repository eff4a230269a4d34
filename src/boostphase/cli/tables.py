"""The CLI's tables: every cell wraps (folds) instead of being cut with an ellipsis.

Rich's default cuts a long word that does not fit its column ("generic-…"); on a narrow terminal
that loses a missile's, a city's or an orbit's name. Every command builds its tables with this
``Table``; written to a pipe, tables are not cut to 80 columns either (``commands.PIPED_COLUMNS``).
"""

from __future__ import annotations

from rich import table as rich_table


class Table(rich_table.Table):
    """``rich.table.Table`` whose columns fold long words onto the next line by default."""

    def add_column(self, *args, **kwargs) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(*args, **kwargs)
