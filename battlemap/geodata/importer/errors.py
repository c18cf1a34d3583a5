"""Errors of the import commands: a whole file that cannot be imported (not a bad row)."""

from __future__ import annotations

from battlemap.geodata.errors import BattlemapError

__all__ = ["ImportFileError"]


class ImportFileError(BattlemapError):
    """The input file cannot be read or mapped (format, encoding, headers, CRS)."""
