"""The rejects file: each bad row as it was in the source, with its row number and reason.

CSV in UTF-8 with a BOM (Excel opens it with Chinese intact): ``row, reason, detail`` and
then the source's own columns. Rows are streamed to a temporary file during the import and
sorted by row number when the file is finished.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path

import pandas as pd

from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.reasons import REASONS

__all__ = ["RejectsWriter"]

_OWN = ("row", "reason", "detail")


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
                self._fh = open(self._tmp, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            except OSError as exc:
                raise ImportFileError(
                    f"cannot write the rejects file {self.path}: {exc.strerror}; "
                    "pass --rejects PATH"
                ) from None
            self._writer = csv.writer(self._fh)
            self._writer.writerow([*_OWN, *self.headers])
        if row < self._last_row:
            self._sorted = False
        self._last_row = row
        cells = list(values) + [""] * (len(self.headers) - len(values))
        self._writer.writerow([row, reason, detail, *cells])

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
            frame = pd.read_csv(self._tmp, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            frame = frame.sort_values("row", key=lambda s: s.astype(int), kind="stable")
            frame.to_csv(self._tmp, index=False, encoding="utf-8-sig")
        os.replace(self._tmp, self.path)
        return self.path

    def discard(self) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
