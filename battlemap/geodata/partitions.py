"""Household tables split into a fixed number of part files by a stable hash of ``hh_id``.

``households.parquet`` and ``household_years.parquet`` are directories holding
``part-00.parquet`` … ``part-15.parquet``; every row of a household (its household row and all
its yearly rows) lies in the part :func:`partition_of` its ID gives. Readers see one table
(pyarrow reads a directory as a dataset). Writers gain a bound: an import merges one part at a
time, so its memory follows the size of a part, not of the store, and a part no row of the
import falls in is left as it is.

The hash is part of the data format: changing it would misplace stored households.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pyproj import CRS

from battlemap.geodata.errors import DataDirError
from battlemap.geodata.parquet_file import read_parquet
from battlemap.geodata.schema import TABLE_FILES

__all__ = [
    "PARTITIONED_TABLES",
    "PARTITIONS",
    "part_name",
    "part_path",
    "partition_of",
    "point_geo_metadata",
    "read_part",
    "require_parts",
    "split",
    "table_files",
    "table_rows",
    "table_schema",
    "write_parts",
]

PARTITIONS = 16
PARTITIONED_TABLES: tuple[str, ...] = ("households", "household_years")
_MAX_WEIGHTED = 64  # bytes of an ID that get their own weight; later ones reuse them


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer (uint64 in, well-spread uint64 out; wraps on purpose)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_WEIGHTS = _mix(np.arange(1, _MAX_WEIGHTED + 1, dtype=np.uint64))


def partition_of(ids: pa.Array | pa.ChunkedArray, partitions: int = PARTITIONS) -> np.ndarray:
    """The part (0 … ``partitions`` − 1) of each household ID, from its UTF-8 bytes.

    Vectorized: each byte times a fixed weight for its position, summed per ID, mixed
    (IDs of one length at a time).
    """
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks() if ids.num_chunks != 1 else ids.chunk(0)
    if pa.types.is_dictionary(ids.type):
        ids = ids.dictionary_decode()
    ids = ids.cast(pa.large_string())
    if ids.null_count:
        raise ValueError("household IDs must not be null")
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int64)[ids.offset : ids.offset + n + 1]
    data = ids.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    raw = raw[offsets[0] : offsets[-1]]
    starts = offsets[:-1] - offsets[0]
    lengths = np.diff(offsets)
    sums = np.zeros(n, dtype=np.uint64)
    by_length = np.bincount(lengths)
    for length in np.flatnonzero(by_length[1:]) + 1:  # IDs mostly share one or two lengths
        rows = np.arange(n) if by_length[length] == n else np.flatnonzero(lengths == length)
        first = starts[rows]
        total = np.zeros(len(rows), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(length):  # column by column: temporaries stay one value per ID
                total += raw[first + j].astype(np.uint64) * _WEIGHTS[j % _MAX_WEIGHTED]
        sums[rows] = total
    hashed = _mix(sums ^ lengths.astype(np.uint64))
    return (hashed % np.uint64(partitions)).astype(np.int64)


def part_name(table: str, part: int) -> str:
    """Data-dir relative name of one part file, e.g. ``households.parquet/part-03.parquet``."""
    return f"{TABLE_FILES[table]}/part-{part:02d}.parquet"


def part_path(data_dir: Path, table: str, part: int) -> Path:
    return data_dir / part_name(table, part)


def table_files(data_dir: Path, table: str) -> list[Path]:
    """The parquet files holding ``table``: its part files, or the table's single file."""
    path = data_dir / TABLE_FILES[table]
    if path.is_dir():
        return sorted(path.glob("part-*.parquet"))
    return [path] if path.exists() else []


def require_parts(data_dir: Path, table: str) -> None:
    """DataDirError unless ``table`` is stored as the :data:`PARTITIONS` part files."""
    path = data_dir / TABLE_FILES[table]
    missing = [p for p in range(PARTITIONS) if not part_path(data_dir, table, p).is_file()]
    if not path.is_dir() or missing:
        layout = "a single file" if path.is_file() else f"missing parts {missing}"
        raise DataDirError(
            f"{path} is {layout}, not the {PARTITIONS} part files imports write: "
            "regenerate the data dir (`battlemap generate`) or import into a new one"
        )


def table_schema(data_dir: Path, table: str) -> pa.Schema:
    files = table_files(data_dir, table)
    if not files:
        raise DataDirError(f"{data_dir / TABLE_FILES[table]} does not exist")
    return pq.read_schema(files[0])


def table_rows(data_dir: Path, table: str) -> int:
    """Row count from the files' metadata (nothing is read)."""
    return sum(pq.ParquetFile(f).metadata.num_rows for f in table_files(data_dir, table))


def read_part(data_dir: Path, table: str, part: int, columns: list[str] | None = None) -> pa.Table:
    return read_parquet(part_path(data_dir, table, part), columns)


def _bounds(ids: pa.Array | pa.ChunkedArray, partitions: int) -> tuple[np.ndarray, np.ndarray]:
    """Row order grouping the parts (stable) and each part's start in it."""
    part = partition_of(ids, partitions)
    order = np.argsort(part, kind="stable")
    return order, np.searchsorted(part[order], np.arange(partitions + 1))


def split(table: pa.Table, partitions: int = PARTITIONS) -> list[pa.Table]:
    """``table``'s rows per part (each part keeps the rows' order)."""
    order, bounds = _bounds(table["hh_id"], partitions)
    ordered = table.take(pa.array(order))
    return [ordered.slice(bounds[p], bounds[p + 1] - bounds[p]) for p in range(partitions)]


def point_geo_metadata() -> bytes:
    """GeoParquet 1.1 metadata for a WKB point column in EPSG:4326 (household points)."""
    return json.dumps(
        {
            "version": "1.1.0",
            "primary_column": "geometry",
            "columns": {
                "geometry": {
                    "encoding": "WKB",
                    "geometry_types": ["Point"],
                    "crs": CRS.from_epsg(4326).to_json_dict(),
                }
            },
        }
    ).encode()


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """One Arrow table for the whole frame (so every part gets the same column types); a
    GeoDataFrame's points as WKB with GeoParquet metadata."""
    if not isinstance(frame, gpd.GeoDataFrame):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        return table.replace_schema_metadata(None)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        raise ValueError(f"household points must be in EPSG:4326, not {frame.crs}")
    table = pa.Table.from_pandas(pd.DataFrame(frame.to_wkb()), preserve_index=False)
    return table.replace_schema_metadata({b"geo": point_geo_metadata()})


def write_parts(directory: Path, table: str, rows: pa.Table | pd.DataFrame) -> None:
    """Write ``rows`` as the table's part files under ``directory``: every part, even an
    empty one, rows in their given order. A GeoDataFrame is written as GeoParquet."""
    (directory / TABLE_FILES[table]).mkdir(parents=True, exist_ok=True)
    if not isinstance(rows, pa.Table):
        rows = _arrow(rows)
    for part, rows_of_part in enumerate(split(rows)):
        pq.write_table(rows_of_part, part_path(directory, table, part), compression="zstd")
