"""The data directory: GeoParquet/Parquet per DESIGN.md table plus manifest.json."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

from battlemap.geodata.errors import DataDirError
from battlemap.geodata.partitions import PARTITIONED_TABLES, write_parts
from battlemap.geodata.schema import OPTIONAL_TABLE_FILES, TABLE_FILES

__all__ = [
    "AGGREGATES_FILE",
    "MANIFEST_FILE",
    "read_manifest",
    "read_table",
    "require_data_dir",
    "write_manifest",
    "write_table",
]

MANIFEST_FILE = "manifest.json"
AGGREGATES_FILE = "aggregates.parquet"


def require_data_dir(data_dir: str | Path) -> Path:
    """The data dir as a Path, after checking every table file and the manifest exist."""
    path = Path(data_dir)
    if not path.is_dir():
        raise DataDirError(
            f"data dir {path} does not exist: run `battlemap generate --data-dir {path}`"
        )
    missing = [f for f in [*TABLE_FILES.values(), MANIFEST_FILE] if not (path / f).exists()]
    if missing:
        raise DataDirError(f"data dir {path} is incomplete: missing {', '.join(missing)}")
    return path


def read_manifest(data_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((data_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataDirError(f"{data_dir / MANIFEST_FILE} is unreadable: {exc}") from None


def write_manifest(data_dir: Path, manifest: dict[str, Any]) -> None:
    _atomic_write_text(data_dir / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=2))


def read_table(
    data_dir: Path, table: str, columns: list[str] | None = None, *, geo: bool = False
) -> pd.DataFrame:
    """One table as a (Geo)DataFrame; a corrupt file raises DataDirError naming it.

    Columns renamed since a data dir was written (:data:`RENAMED_COLUMNS`) are read under
    their old name and returned under the new one.
    """
    path = data_dir / _file_name(table)
    try:
        columns, renames = _renamed(path, table, columns)
        if geo:
            frame = gpd.read_parquet(path, columns=columns)
        else:
            frame = pq.read_table(path, columns=columns).to_pandas()
        return frame.rename(columns=renames) if renames else frame
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise DataDirError(f"{path} is not a readable parquet table: {exc}") from None


# Per table, columns renamed since older data dirs were written: new name -> old name.
RENAMED_COLUMNS: dict[str, dict[str, str]] = {"regions": {"poverty_flag": "is_poverty_county"}}


def _renamed(
    path: Path, table: str, columns: list[str] | None
) -> tuple[list[str] | None, dict[str, str]]:
    """The columns to read from an older file and the renames (old -> new) to apply."""
    old_names = RENAMED_COLUMNS.get(table)
    if not old_names or not path.is_file():
        return columns, {}
    present = set(pq.read_schema(path).names)
    renames = {old: new for new, old in old_names.items() if new not in present and old in present}
    if not renames or columns is None:
        return columns, renames
    back = {new: old for old, new in renames.items()}
    return [back.get(c, c) for c in columns], renames


def _file_name(table: str) -> str:
    return TABLE_FILES.get(table) or OPTIONAL_TABLE_FILES.get(table, table)


def write_table(data_dir: Path, table: str, frame: pd.DataFrame) -> None:
    """Write a table atomically (temp file + rename), GeoParquet when it has geometry;
    household tables as their part files (:mod:`~battlemap.geodata.partitions`)."""
    path = data_dir / _file_name(table)
    if table in PARTITIONED_TABLES:
        _write_parts(data_dir, table, frame)
        return
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # concurrent writers don't collide
    frame.to_parquet(tmp, index=False, compression="zstd")
    os.replace(tmp, path)


def _write_parts(data_dir: Path, table: str, frame: pd.DataFrame) -> None:
    """The parts go to a temporary directory that then replaces the table."""
    path = data_dir / _file_name(table)
    tmp = data_dir / f".{path.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    write_parts(tmp, table, frame)
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    os.replace(tmp / _file_name(table), path)
    tmp.rmdir()


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
