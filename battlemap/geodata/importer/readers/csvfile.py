"""CSV in UTF-8, GBK or GB18030: pyarrow's streaming parser, every column read as text.

GBK/GB18030 files stream through glibc's ``iconv`` (a child process) into pyarrow; without
iconv they are transcoded to a temporary UTF-8 file first (in the system temp dir).

Row numbers count records with the header as row 1 (a blank line is a row too), which is
the row a spreadsheet shows. pyarrow cannot say where a record with the wrong number of
fields was, so when one appears the reader switches to Python's ``csv`` module from the
first record it has not yet yielded: same numbering, bad records reported with their row.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from battlemap.geodata.importer.encoding import detect_encoding, normalize_encoding
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.readers import BadRecord, RawChunk

__all__ = ["CsvReader"]

_HEAD_BYTES = 1 << 20
_TRANSCODE_BYTES = 4 << 20
_DELIMITERS = (",", "\t", ";", "|")
_ICONV_POSITION = re.compile(r"at position (\d+)")


class _Ragged(Exception):
    """A record with the wrong number of fields: switch to the exact reader."""


def _codec(encoding: str) -> str:
    # GB18030 is a superset of GBK and decodes faster in CPython.
    return "gb18030" if encoding == "gbk" else encoding


class CsvReader:
    """Streams a delimited text file as :class:`RawChunk` blocks."""

    kind = "csv"
    dbf = False
    has_geometry = False

    def __init__(self, path: Path, *, encoding: str = "auto", chunk_rows: int = 100_000) -> None:
        self.path = path
        self.encoding = (
            detect_encoding(path) if encoding == "auto" else normalize_encoding(encoding)
        )
        self.chunk_rows = max(int(chunk_rows), 1)
        self.delimiter, self.headers, self._header_row = self._read_header()
        self.description = f"CSV, {self.encoding}"
        self._last_row = 0  # the exact reader's last record (for a parse error's message)

    # -- header ---------------------------------------------------------------------------
    def _text_head(self) -> str:
        with open(self.path, "rb") as fh:
            data = fh.read(_HEAD_BYTES)
        decoder = codecs.getincrementaldecoder(_codec(self.encoding))("replace")
        return decoder.decode(data, final=False)

    def _read_header(self) -> tuple[str, list[str], int]:
        text = self._text_head()
        first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
        if self.path.suffix.lower() == ".tsv":
            delimiter = "\t"
        else:
            delimiter = max(_DELIMITERS, key=first_line.count)
        for row, record in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
            if any(cell.strip() for cell in record):
                headers = [cell.strip().lstrip("\ufeff") for cell in record]
                return delimiter, headers, row
        raise ImportFileError(f"{self.path} is empty: no header row")

    def original_headers(self) -> list[str]:
        return list(self.headers)

    # -- streaming ------------------------------------------------------------------------
    def _utf8_blocks(self) -> Iterator[bytes]:
        """The file as UTF-8, 4 MB at a time; the bad-byte error where the codec stops."""
        with open(self.path, "rb") as src:
            decoder = codecs.getincrementaldecoder(_codec(self.encoding))("strict")
            offset = 0
            while True:
                block = src.read(_TRANSCODE_BYTES)
                try:
                    text = decoder.decode(block, final=not block)
                except UnicodeDecodeError as exc:
                    raise self._bad_byte(offset + exc.start) from None
                yield text.encode("utf-8")
                if not block:
                    return
                offset += len(block)

    def _utf8_path(self) -> Path:
        """A temporary UTF-8 copy of a file in another encoding."""
        fd, name = tempfile.mkstemp(prefix="battlemap-utf8-", suffix=".csv")
        try:
            with os.fdopen(fd, "wb") as out:
                for data in self._utf8_blocks():
                    out.write(data)
        except BaseException:
            os.unlink(name)
            raise
        return Path(name)

    def _undecodable(self) -> ImportFileError:
        """The error for a file the exact reader could not decode, naming the first bad byte."""
        for _ in self._utf8_blocks():
            pass
        return ImportFileError(f"{self.path} is not valid {self.encoding}: pass --encoding")

    def _bad_byte(self, offset: int) -> ImportFileError:
        return ImportFileError(
            f"byte {offset:,} of {self.path} is not valid {self.encoding}: "
            "pass --encoding (utf-8, gbk or gb18030)"
        )

    @contextlib.contextmanager
    def _utf8_source(self) -> Iterator[object]:
        """What pyarrow reads: the file itself when UTF-8; otherwise its UTF-8 form.

        GBK/GB18030 stream through glibc's ``iconv`` in a child process, so a second core
        transcodes while this one validates and pyarrow never calls a Python codec; where
        iconv is missing the file is transcoded to a temporary file first. On leaving, an
        input iconv could not convert raises the same error as the codec, naming the byte.
        """
        if self.encoding in ("utf-8", "utf-8-sig"):  # pyarrow skips a UTF-8 BOM itself
            yield str(self.path)
            return
        iconv = shutil.which("iconv") if _codec(self.encoding) == "gb18030" else None
        if iconv is None:
            path = self._utf8_path()
            try:
                yield str(path)
            finally:
                path.unlink(missing_ok=True)
            return
        proc = subprocess.Popen(
            [iconv, "-f", "GB18030", "-t", "UTF-8", str(self.path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            try:
                yield pa.PythonFile(proc.stdout, mode="r")
            except (GeneratorExit, _Ragged):
                raise  # stopped early on purpose: nothing to check
            except BaseException:
                self._check_iconv(proc, timeout=0.5)  # a parse error may come from a bad byte
                raise
            self._check_iconv(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def _check_iconv(self, proc: subprocess.Popen, timeout: float | None = None) -> None:
        """Raise the bad-byte error if iconv stopped at input it could not convert."""
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return  # still converting: the error was not iconv's
        if proc.returncode == 0:
            return
        message = proc.stderr.read().decode("utf-8", "replace")
        match = _ICONV_POSITION.search(message)
        if match:
            raise self._bad_byte(int(match.group(1)))
        raise ImportFileError(
            f"{self.path} could not be read as {self.encoding} (iconv: {message.strip()}): "
            "pass --encoding (utf-8, gbk or gb18030)"
        )

    def chunks(self) -> Iterator[RawChunk]:
        """All data rows after the header, fast path first, exact path after a bad record."""
        yielded = 0
        try:
            for chunk in self._fast_chunks():
                yielded += len(chunk)
                yield chunk
            return
        except _Ragged:
            pass
        yield from self._exact_chunks(skip=yielded)

    def _fast_chunks(self) -> Iterator[RawChunk]:
        n = len(self.headers)
        names = [f"c{i}" for i in range(n)]

        ragged = []

        def on_invalid(row: object) -> str:
            ragged.append(row)
            return "error"

        with self._utf8_source() as source:
            yield from self._parse(source, names, on_invalid, ragged)

    def _parse(
        self, source: object, names: list[str], on_invalid: Callable, ragged: list
    ) -> Iterator[RawChunk]:
        n = len(names)
        reader = None
        try:
            reader = pacsv.open_csv(
                source,
                read_options=pacsv.ReadOptions(
                    column_names=names,
                    block_size=int(min(max(self.chunk_rows * 160, 1 << 16), 1 << 24)),
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            row = 0  # record number of the last record seen (header = self._header_row)
            skip = self._header_row
            for batch in reader:
                count = batch.num_rows
                first = row + 1
                row += count
                if skip:
                    drop = min(skip, count)
                    batch, first, skip = batch.slice(drop), first + drop, skip - drop
                if batch.num_rows == 0:
                    continue
                yield RawChunk(
                    rows=np.arange(first, first + batch.num_rows, dtype=np.int64),
                    columns=[batch.column(i) for i in range(n)],
                )
        except pa.ArrowInvalid as exc:
            if ragged:
                raise _Ragged from None
            if "UTF8" in str(exc) or "utf8" in str(exc).lower():
                raise ImportFileError(
                    f"{self.path} is not valid UTF-8: pass --encoding gbk or gb18030"
                ) from None
            raise ImportFileError(f"{self.path} cannot be parsed as CSV: {exc}") from None
        finally:
            if reader is not None:
                reader.close()

    def _exact_chunks(self, skip: int) -> Iterator[RawChunk]:
        """Python's csv module from data row ``skip`` on; wrong-width rows become BadRecord."""
        try:
            yield from self._exact_records(skip)
        except UnicodeDecodeError:
            raise self._undecodable() from None
        except csv.Error as exc:  # e.g. an unterminated quote swallowing the rest of the file
            raise ImportFileError(
                f"{self.path} cannot be parsed as CSV after row {self._last_row}: {exc} "
                "(a quote opened there is probably never closed)"
            ) from None

    def _exact_records(self, skip: int) -> Iterator[RawChunk]:
        n = len(self.headers)
        with open(self.path, encoding=_codec(self.encoding), newline="") as fh:
            records = csv.reader(fh, delimiter=self.delimiter)
            row = 0
            for _ in range(self._header_row + skip):
                next(records, None)
                row += 1
            while True:
                values: list[list[str]] = []
                rows: list[int] = []
                bad: list[BadRecord] = []
                for record in records:
                    row += 1
                    self._last_row = row
                    if not record:
                        record = [""] * n
                    if len(record) != n:
                        if len(record) > n and not any(c.strip() for c in record[n:]):
                            record = record[:n]
                        else:
                            bad.append(BadRecord(row, record, _width_problem(record, n)))
                            continue
                    values.append(record)
                    rows.append(row)
                    if len(values) >= self.chunk_rows:
                        break
                if not values and not bad:
                    return
                columns = [pa.array(list(col), pa.string()) for col in zip(*values, strict=True)]
                if not values:
                    columns = [pa.array([], pa.string()) for _ in range(n)]
                yield RawChunk(rows=np.asarray(rows, dtype=np.int64), columns=columns, bad=bad)


def _width_problem(record: list[str], n: int) -> str:
    """Why a record has the wrong number of fields (an unclosed quote runs over lines)."""
    lines = max(c.count("\n") for c in record) if record else 0
    if lines:
        return (
            f"row has {len(record)} fields, the header has {n}: a quote opened in it is not "
            f"closed, so it runs over {lines + 1} lines"
        )
    return f"row has {len(record)} fields, the header has {n}"
