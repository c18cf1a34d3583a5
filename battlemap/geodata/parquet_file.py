"""Reading one parquet file of a data dir, with the one clear error a user can act on.

pyarrow raises many exception types for a corrupt, truncated or foreign file; every reader
of a data dir's files turns them into one :class:`DataDirError` line naming the file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from battlemap.geodata.errors import DataDirError, one_line

__all__ = ["read_parquet", "unreadable_parquet"]


@contextlib.contextmanager
def unreadable_parquet(path: Path) -> Iterator[None]:
    """Inside the block, any error reading ``path`` raises DataDirError naming it."""
    try:
        yield
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise DataDirError(f"{path} is not a readable parquet table: {one_line(exc)}") from None


def read_parquet(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One parquet file as an Arrow table; a corrupt file raises DataDirError naming it."""
    with unreadable_parquet(path):
        return pq.read_table(path, columns=columns)
