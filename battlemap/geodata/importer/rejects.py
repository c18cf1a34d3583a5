"""The rejects file: each bad row as it was in the source, with its row number and reason.

CSV in UTF-8 with a BOM (Excel opens it with Chinese intact): ``row, reason, detail`` and
then the source's own columns. Rows are streamed to a temporary file during the import and
sorted by row number when the file is finished.

The file holds personal data, so it is created owner-only (0600), and it is opened in
spreadsheets, so a cell starting with ``= + - @``, a tab or a carriage return gets a leading
``'`` (OWASP's CSV-injection advice): ``=HYPERLINK(…)`` stays text, never a live formula.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path
from typing import TextIO

import pandas as pd

from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.reasons import REASONS

__all__ = ["RejectsWriter", "neutralise", "open_private", "write_private_csv"]

_OWN = ("row", "reason", "detail")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_MAX_CELL = 1000  # characters of a cell copied into the rejects file


def neutralise(cell: object) -> str:
    """The cell as text a spreadsheet will not run as a formula (and a huge cell cut)."""
    text = "" if cell is None else str(cell)
    if len(text) > _MAX_CELL:
        text = f"{text[:_MAX_CELL]}…[{len(text):,} characters]"
    return "'" + text if text.startswith(_FORMULA_START) else text


def open_private(path: Path) -> TextIO:
    """Open ``path`` for writing a CSV, created owner-only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
    return open(fd, "w", encoding="utf-8-sig", newline="")


def write_private_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame as an owner-only CSV, every cell neutralised."""
    with open_private(path) as handle:
        writer = csv.writer(handle)
        writer.writerow([neutralise(c) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            writer.writerow([neutralise(c) for c in row])


class RejectsWriter:
    """Collects rejected rows and the count per reason."""

    def __init__(self, path: Path | None, headers: list[str]) -> None:
        self.path = path
        self.counts: Counter[str] = Counter()
        self.headers = [f"{h} (original)" if h in _OWN else h for h in headers]
        self._tmp = None if path is None else path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self._fh = None
        self._writer = None
        self._sorted = True
        self._last_row = 0

    def add(self, row: int, reason: str, detail: str, values: list[str]) -> None:
        """One rejected row (``values`` are the source cells, in header order)."""
        self.counts[reason] += 1
        if self._tmp is None:
            return
        if self._writer is None:
            try:
                self._tmp.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open_private(self._tmp)
            except OSError as exc:
                raise ImportFileError(
                    f"cannot write the rejects file {self.path}: {exc.strerror}; "
                    "pass --rejects PATH"
                ) from None
            self._writer = csv.writer(self._fh)
            self._writer.writerow([*_OWN, *(neutralise(h) for h in self.headers)])
        if row < self._last_row:
            self._sorted = False
        self._last_row = row
        cells = list(values) + [""] * (len(self.headers) - len(values))
        self._writer.writerow([row, reason, neutralise(detail), *(neutralise(c) for c in cells)])

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> dict[str, int]:
        """Counts per reason, in the household checks' order (other reasons after them, as
        they came: boundary and population imports have their own)."""
        known = {code: self.counts[code] for code in REASONS if self.counts[code]}
        return known | {code: n for code, n in self.counts.items() if code not in known}

    def finish(self) -> Path | None:
        """Close and move the file into place (sorted by row); None when nothing was rejected."""
        if self._fh is None or self.path is None or self._tmp is None:
            return None
        self._fh.close()
        if not self._sorted:
            # csv, not pandas: a malformed row may have more cells than the header
            with open(self._tmp, encoding="utf-8-sig", newline="") as handle:
                header, *rows = csv.reader(handle)
            rows.sort(key=lambda cells: int(cells[0]))  # stable: a row's reasons keep order
            with open_private(self._tmp) as handle:  # cells were neutralised when written
                csv.writer(handle).writerows([header, *rows])
        os.replace(self._tmp, self.path)
        return self.path

    def discard(self) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
