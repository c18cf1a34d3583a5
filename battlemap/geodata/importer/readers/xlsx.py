"""XLSX workbooks via openpyxl in read-only mode (rows streamed, never the whole sheet).

Cells become text the way a user typed them: whole numbers without ``.0`` (Excel stores
``5201021012000001`` as a number), other numbers in their shortest form, dates as ISO text.
A whole number beyond 2^53 has already lost digits in Excel and is kept in scientific form,
so an ID stored that way is rejected as malformed instead of silently changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.readers import RawChunk

__all__ = ["XlsxReader", "cell_text"]

_EXACT_INT = 2**53


def cell_text(value: Any) -> str | None:
    """A cell value as text; None for an empty cell.

    >>> cell_text(5201021012000001.0), cell_text(106.660303), cell_text(True)
    ('5201021012000001', '106.660303', 'true')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_INT:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


class XlsxReader:
    """Streams one worksheet (``--sheet NAME``, default the first) as :class:`RawChunk`."""

    kind = "xlsx"
    dbf = False
    has_geometry = False
    encoding = None

    def __init__(self, path: Path, *, sheet: str | None = None, chunk_rows: int = 100_000):
        try:
            import openpyxl
        except ImportError:  # pragma: no cover - a declared dependency
            raise ImportFileError("reading .xlsx needs openpyxl: pip install openpyxl") from None
        self.path = path
        self.chunk_rows = max(int(chunk_rows), 1)
        self._openpyxl = openpyxl
        book = self._open()
        names = book.sheetnames
        book.close()
        self.sheet_names = list(names)
        self.sheet_given = sheet is not None
        if sheet is None:
            self.sheet = names[0]
        elif sheet in names:
            self.sheet = sheet
        else:
            raise ImportFileError(f"{path} has no sheet {sheet!r}; sheets: {', '.join(names)}")
        self.description = f"XLSX, sheet {self.sheet}"
        try:
            self.headers, self._header_row = self._read_header()
        except ImportFileError as exc:
            raise ImportFileError(f"{exc}{self.sheet_hint(bool)}") from None

    def sheet_hint(self, accepts: Callable[[list[str]], object]) -> str:
        """'; sheet X has them: pass --sheet X' for the first other sheet whose header row
        ``accepts`` takes (without raising, and truthy); '' when --sheet was given or none."""
        if self.sheet_given:
            return ""
        for name in self.sheet_names:
            if name == self.sheet:
                continue
            other = XlsxReader.__new__(XlsxReader)
            other.path, other.sheet, other._openpyxl = self.path, name, self._openpyxl
            try:
                headers, _ = other._read_header()
                if accepts(headers):
                    return f"; sheet {name!r} has them: pass --sheet {name}"
            except ImportFileError:
                continue
        return ""

    def _open(self) -> Any:
        try:
            return self._openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # zipfile, XML and openpyxl errors
            raise ImportFileError(f"{self.path} is not a readable .xlsx workbook: {exc}") from None

    def _rows(self) -> Iterator[tuple[Any, ...]]:
        """The sheet's rows as values, from a freshly opened read-only workbook."""
        book = self._open()
        try:
            yield from book[self.sheet].iter_rows(values_only=True)
        finally:
            book.close()

    def _read_header(self) -> tuple[list[str], int]:
        rows = self._rows()
        for number, row in enumerate(rows, start=1):
            cells = [cell_text(v) for v in row]
            if any(cells):
                while cells and cells[-1] is None:
                    cells.pop()
                rows.close()
                return [c or "" for c in cells], number
        raise ImportFileError(f"{self.path}, sheet {self.sheet}: empty, no header row")

    def original_headers(self) -> list[str]:
        return list(self.headers)

    def chunks(self) -> Iterator[RawChunk]:
        n = len(self.headers)
        rows: list[int] = []
        values: list[list[str | None]] = []
        for number, row in enumerate(self._rows(), start=1):
            if number <= self._header_row:
                continue
            cells = [cell_text(v) for v in row[:n]]
            cells += [None] * (n - len(cells))
            rows.append(number)
            values.append(cells)
            if len(values) >= self.chunk_rows:
                yield self._chunk(rows, values)
                rows, values = [], []
        if values:
            yield self._chunk(rows, values)

    @staticmethod
    def _chunk(rows: list[int], values: list[list[str | None]]) -> RawChunk:
        columns = [pa.array(list(col), pa.string()) for col in zip(*values, strict=True)]
        return RawChunk(rows=np.asarray(rows, dtype=np.int64), columns=columns)
