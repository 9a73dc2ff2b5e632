"""Errors that name what is wrong with an input, so an analyst can fix the file."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """A raw input file cannot be used as it is.

    The message names the file and, where known, the row (1-based line number in the file,
    header = line 1) and the column, and says what was expected.
    """

    def __init__(self, path: str | Path, message: str, *, row: int | None = None, column: str | None = None):
        self.path = str(path)
        self.row = row
        self.column = column
        self.detail = message
        where = [f"{self.path}"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}")


class ConfigError(ValueError):
    """The run was asked for something that does not exist (a year, an area, a section)."""
