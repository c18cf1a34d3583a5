"""Write an export's file atomically: a temporary name beside it, then a rename, so a
failed export never leaves a partial file at the path."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from battlemap.geodata.errors import BattlemapError

__all__ = ["ExportPathError", "check_writable", "write_atomic"]


class ExportPathError(BattlemapError):
    """The output path cannot be written (missing directory, no permission)."""


def check_writable(path: Path) -> None:
    """ExportPathError unless a file can be created in ``path``'s directory (checked before
    the work starts, so a bad path fails in a second, not after rendering)."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ExportPathError(f"{path}: is a directory, not a file name")
    if not folder.is_dir():
        raise ExportPathError(f"{path}: directory {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportPathError(f"{path}: directory {folder} is not writable")


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename."""
    path = Path(path)
    check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
