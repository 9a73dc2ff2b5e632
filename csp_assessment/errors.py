"""Errors that name what is wrong with an input, so an analyst can fix the file."""

from __future__ import annotations

import difflib
import errno
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
    """The run was asked for something that does not exist (a year, an area, a section), or params
    or a flag hold a value they may not."""


def did_you_mean(key: str, known: list[str]) -> str:
    """'; did you mean suppression_threshold?' for a key close to a known one, else the known keys."""
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]}?"
    return f"; the keys allowed here: {', '.join(known)}" if known else ""


def describe_os_error(exc: OSError) -> str:
    """One line for a file-system failure: which path, what happened, what to do."""
    path = exc.filename or "a file"
    if exc.errno == errno.ENOSPC:
        return f"{path}: the disk is full (no space left on device): free some space, or choose another folder " \
               "with --out / --processed, and run again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path}: cannot write here ({exc.strerror}): check the folder's permissions, or choose another " \
               "folder with --out / --processed"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"{path}: a file stands where a folder is needed ({exc.strerror}): give a folder with --out / " \
               "--processed"
    return f"{path}: {exc.strerror or exc}"
