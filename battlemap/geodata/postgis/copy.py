"""Stream a parquet file into ``COPY ... FROM STDIN``, one record batch at a time.

A table of numbers, booleans and text goes in binary COPY format (:mod:`.binary`: the
server parses nothing); others as CSV text made by pyarrow (strings quoted, NULL
unquoted-empty), geometries as hex EWKB with SRID 4326, list columns as array literals.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import shapely

from battlemap.geodata.errors import DataDirError
from battlemap.geodata.parquet_file import unreadable_parquet
from battlemap.geodata.postgis.binary import HEADER, TRAILER, binary_supported, encode_batch
from battlemap.geodata.postgis.ddl import Column, Table

__all__ = ["BatchReader", "batch_to_csv", "copy_parquet"]

SRID = 4326
BATCH_ROWS = 65_536
_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=BATCH_ROWS)


def _plain(array: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


_HEX_DIGITS = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
_POINT_WKB_SIZE = 21  # byte order, type, x, y
# EWKB point header: little-endian, type 1 with the SRID flag, SRID 4326.
_EWKB_POINT_HEADER = np.array([1, 1, 0, 0, 0x20, 0xE6, 0x10, 0, 0], dtype=np.uint8)


def _hex_rows(matrix: np.ndarray) -> pa.Array:
    """Each row of a uint8 matrix as one upper-case hex string (vectorised)."""
    n, width = matrix.shape
    chars = np.empty((n, 2 * width), dtype=np.uint8)
    chars[:, 0::2] = _HEX_DIGITS[matrix >> 4]
    chars[:, 1::2] = _HEX_DIGITS[matrix & 15]
    offsets = np.arange(0, (n + 1) * 2 * width, 2 * width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars))


def _point_ewkb_fast(array: pa.Array) -> pa.Array | None:
    """Hex EWKB of 2-D little-endian WKB points without parsing them; None if not all such."""
    if array.null_count or not len(array):
        return None
    dtype = np.int64 if pa.types.is_large_binary(array.type) else np.int32
    offsets = np.frombuffer(array.buffers()[1], dtype=dtype)[
        array.offset : array.offset + len(array) + 1
    ]
    if not (np.diff(offsets) == _POINT_WKB_SIZE).all():
        return None
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    data = data.reshape(-1, _POINT_WKB_SIZE)
    if not (data[:, :5] == np.array([1, 1, 0, 0, 0], dtype=np.uint8)).all():
        return None
    out = np.empty((len(data), 25), dtype=np.uint8)
    out[:, :9] = _EWKB_POINT_HEADER
    out[:, 9:] = data[:, 5:]
    return _hex_rows(out)


def _ewkb(array: pa.Array, *, multipolygon: bool) -> pa.Array:
    """WKB geometries → hex EWKB strings with SRID 4326 (Polygon promoted to MultiPolygon)."""
    if not (pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type)):
        raise TypeError(f"geometry column must be WKB binary, not {array.type}")
    if not multipolygon:
        fast = _point_ewkb_fast(array)
        if fast is not None:
            return fast
    geoms = shapely.from_wkb(array.to_numpy(zero_copy_only=False))
    if multipolygon:
        single = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
        if single.any():
            geoms = geoms.copy()
            geoms[single] = [shapely.multipolygons([g]) for g in geoms[single]]
    geoms = shapely.set_srid(geoms, SRID)
    return pa.array(shapely.to_wkb(geoms, hex=True, include_srid=True), pa.string())


def _points_from_lonlat(batch: pa.RecordBatch) -> pa.Array:
    lon = batch.column("lon").to_numpy(zero_copy_only=False).astype("<f8")
    lat = batch.column("lat").to_numpy(zero_copy_only=False).astype("<f8")
    out = np.empty((len(lon), 25), dtype=np.uint8)
    out[:, :9] = _EWKB_POINT_HEADER
    out[:, 9:] = np.column_stack([lon, lat]).view(np.uint8)
    return _hex_rows(out)


def _text_array(array: pa.Array) -> pa.Array:
    """list<string> → ``{"a","b"}`` literals (``{}`` for an empty list, NULL for NULL)."""
    if not (pa.types.is_list(array.type) or pa.types.is_large_list(array.type)):
        raise TypeError(f"expected list<string>, not {array.type}")
    values = _plain(array.flatten())
    values = pc.replace_substring(values, "\\", "\\\\")
    values = pc.replace_substring(values, '"', '\\"')
    quoted = pc.binary_join_element_wise('"', values, '"', "")
    offsets = pc.subtract(array.offsets, array.offsets[0])
    cls = pa.LargeListArray if pa.types.is_large_list(array.type) else pa.ListArray
    rebuilt = cls.from_arrays(offsets, quoted, mask=array.is_null())
    return pc.binary_join_element_wise("{", pc.binary_join(rebuilt, ","), "}", "")


def _convert(column: Column, batch: pa.RecordBatch) -> pa.Array:
    present = column.parquet in batch.schema.names
    if column.kind == "point":
        if present:
            return _ewkb(batch.column(column.parquet), multipolygon=False)
        return _points_from_lonlat(batch)
    if not present:  # an optional column the file lacks
        return pa.nulls(batch.num_rows, pa.string())
    array = batch.column(column.parquet)
    if column.kind == "multipolygon":
        return _ewkb(array, multipolygon=True)
    if column.kind == "text_array":
        return _text_array(array)
    return _plain(array)


def batch_to_csv(table: Table, batch: pa.RecordBatch) -> bytes:
    """One record batch as CSV rows in the table's column order."""
    arrays = [_convert(c, batch) for c in table.columns]
    out = pa.Table.from_arrays(arrays, names=[c.name for c in table.columns])
    sink = io.BytesIO()
    pacsv.write_csv(out, sink, _CSV_OPTIONS)
    return sink.getvalue()


class BatchReader:
    """A file-like ``read()`` over an iterator of byte chunks, for ``copy_expert``.

    ``read`` returns one whole chunk whatever size is asked (psycopg2 sends what it gets),
    which avoids re-slicing megabytes. An exception from the iterator is kept in ``error``
    so the caller can re-raise it after psycopg2 has aborted the COPY.
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            return next(self._chunks, b"")
        except BaseException as exc:
            self.error = exc
            raise


def _framed(chunks: Iterator[bytes], binary: bool) -> Iterator[bytes]:
    """Binary COPY data between its header and trailer; CSV as it is."""
    if binary:
        yield HEADER
    yield from chunks
    if binary:
        yield TRAILER


def _source_columns(table: Table, path: Path) -> list[str]:
    """Parquet columns to read; DataDirError naming the missing ones."""
    with unreadable_parquet(path):
        names = set(pq.read_schema(path).names)
    wanted, missing = [], []
    for column in table.columns:
        if column.kind == "point" and column.parquet not in names:
            needed = ["lon", "lat"]
        else:
            needed = [column.parquet]
        for name in needed:
            if name not in names:
                if not column.optional:
                    missing.append(name)
            elif name not in wanted:
                wanted.append(name)
    if missing:
        raise DataDirError(f"{path} lacks column(s) {', '.join(missing)} for table {table.name}")
    return wanted


def copy_parquet(
    cursor, table: Table, path: Path, *, on_rows: Callable[[int], None] | None = None
) -> int:
    """COPY one parquet file, or a directory of part files, into ``table`` (already
    created) in one COPY; returns the row count."""
    files = sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]
    columns = [_source_columns(table, file) for file in files]
    rows = 0

    def chunks() -> Iterator[bytes]:
        nonlocal rows
        for file, wanted in zip(files, columns, strict=True):
            try:
                parquet = pq.ParquetFile(file)
                for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
                    data = encode(table, batch)
                    rows += batch.num_rows
                    if on_rows:
                        on_rows(rows)
                    yield data
            except DataDirError:
                raise
            except Exception as exc:  # corrupt pages, bad WKB, wrong types
                raise DataDirError(f"{file} cannot be loaded into {table.name}: {exc}") from None

    names = ", ".join(c.name for c in table.columns)
    binary = binary_supported(table)  # numbers, booleans and text: no parsing on the server
    encode = (lambda t, b: bytes(encode_batch(t, b))) if binary else batch_to_csv
    reader = BatchReader(_framed(chunks(), binary))
    try:
        cursor.copy_expert(
            f"COPY {table.name} ({names}) FROM STDIN WITH "
            f"(FORMAT {'binary' if binary else 'csv'}, FREEZE)",
            reader,
        )
    except Exception:
        if reader.error is not None:
            raise reader.error from None
        raise
    return rows
