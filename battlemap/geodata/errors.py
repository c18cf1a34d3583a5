"""Domain errors with messages a user can act on. The CLI prints them as one line, exit 2."""

from __future__ import annotations

__all__ = [
    "BattlemapError",
    "DataDirError",
    "RulesError",
    "StoreUnavailableError",
    "UnknownRegionError",
    "YearOutOfRangeError",
    "one_line",
]


def one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's message as one short line (pyarrow's schema errors span many)."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= limit else text[:limit] + " …"


class BattlemapError(Exception):
    """Base of every error that is the user's input or environment, not a bug."""


class UnknownRegionError(BattlemapError):
    """The region code is valid in form but not in this data set."""


class YearOutOfRangeError(BattlemapError):
    """The year is outside the years the data set covers."""


class StoreUnavailableError(BattlemapError):
    """The database cannot be reached or is not loaded."""


class DataDirError(BattlemapError):
    """The data directory is missing, incomplete or corrupt."""


class RulesError(BattlemapError):
    """The exit-rules configuration (rules.toml) is missing, unreadable or invalid."""
