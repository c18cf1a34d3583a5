"""Streaming readers, one per file family: every cell arrives as text, in chunks.

A reader yields :class:`RawChunk` objects: the row numbers a user sees (the header is row 1
in CSV and XLSX, features count from 1 in GIS files), one string array per source column
(null for an empty cell), point coordinates for GIS sources, and rows the reader itself
could not split into the header's columns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Protocol

import numpy as np
import pyarrow as pa
import shapely

from battlemap.geodata.importer.errors import ImportFileError

__all__ = [
    "CSV_SUFFIXES",
    "GIS_SUFFIXES",
    "XLSX_SUFFIXES",
    "BadRecord",
    "RawChunk",
    "SourceReader",
    "open_reader",
    "prefetched",
]

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
GIS_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".kml", ".kmz", ".fgb", ".gml")
DEFAULT_CHUNK_ROWS = 100_000


@dataclass
class BadRecord:
    """A source row that does not fit the header (wrong number of fields)."""

    row: int
    values: list[str]
    detail: str


@dataclass
class RawChunk:
    """A block of source rows: all values as text, as in the file."""

    rows: np.ndarray  # int64 row numbers as the user sees them
    columns: list[pa.Array]  # one string array per header, null = empty cell
    lon: np.ndarray | None = None  # GIS sources: point coordinates (layer CRS → EPSG:4326)
    lat: np.ndarray | None = None
    geometry: np.ndarray | None = None  # GIS sources: shapely geometries (for the rejects file)
    bad: list[BadRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def original(self, positions: np.ndarray) -> list[list[str]]:
        """The original cells of the rows at ``positions`` (for the rejects file)."""
        cols = [c.take(pa.array(positions, pa.int64())).to_pylist() for c in self.columns]
        out = [["" if v is None else v for v in row] for row in zip(*cols, strict=True)]
        if self.geometry is not None:
            wkt = shapely.to_wkt(self.geometry[positions], rounding_precision=-1)
            for row, text in zip(out, wkt.tolist(), strict=True):
                row.append(text or "")
        return out


class SourceReader(Protocol):
    """What the import needs from a reader."""

    kind: str  # csv | xlsx | gis
    headers: list[str]  # source column names (GIS: attribute fields)
    dbf: bool  # field names limited to 10 bytes (Shapefile)
    has_geometry: bool
    encoding: str | None
    description: str

    def chunks(self) -> Iterator[RawChunk]: ...

    def original_headers(self) -> list[str]:
        """Headers of :meth:`RawChunk.original` rows."""
        ...


def prefetched(chunks: Iterator[RawChunk], depth: int = 2) -> Iterator[RawChunk]:
    """Read the next chunks in a background thread while the caller validates this one.

    Parsing (pyarrow, GDAL) releases the GIL, so on two cores reading and checking overlap.
    Errors are re-raised in the caller; closing the generator stops the thread.
    """
    queue: Queue[tuple[str, object]] = Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        queue.put(("chunk", chunk), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(("end", None))
        except BaseException as exc:  # handed to the caller
            queue.put(("error", exc))
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # the reader's own cleanup runs here, not at interpreter exit

    thread = threading.Thread(target=work, name="battlemap-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise item  # type: ignore[misc]
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():
            try:
                queue.get_nowait()
            except Empty:
                thread.join(timeout=0.1)


def open_reader(
    path: str | Path,
    *,
    encoding: str = "auto",
    sheet: str | None = None,
    layer: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> SourceReader:
    """A reader for ``path`` chosen by its suffix; ImportFileError if it can't be read."""
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"{path} does not exist")
    if path.is_dir():
        raise ImportFileError(f"{path} is a directory, not a file")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        from battlemap.geodata.importer.readers.csvfile import CsvReader

        return CsvReader(path, encoding=encoding, chunk_rows=chunk_rows)
    if suffix in XLSX_SUFFIXES:
        from battlemap.geodata.importer.readers.xlsx import XlsxReader

        return XlsxReader(path, sheet=sheet, chunk_rows=chunk_rows)
    if suffix == ".xls":
        raise ImportFileError(f"{path}: old .xls workbooks are not supported; save as .xlsx")
    if suffix in GIS_SUFFIXES:
        from battlemap.geodata.importer.readers.gis import GisReader

        return GisReader(path, encoding=encoding, layer=layer, chunk_rows=chunk_rows)
    raise ImportFileError(
        f"{path}: unknown file type {suffix or '(none)'}; use CSV, XLSX, GeoJSON, "
        "GeoPackage, Shapefile or KML"
    )
