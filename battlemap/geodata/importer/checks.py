"""Checks across rows, run once on all good rows: duplicates in the file, status sequences.

The status rules (DESIGN.md: 未脱贫 → 已脱贫 → 返贫 → 已脱贫 …):

- after 已脱贫 or 返贫 a household can never be 未脱贫 again (falling back is 返贫);
- 返贫 needs an earlier exit: 未脱贫 in one year and 返贫 the next is impossible, and so is
  返贫 in the registration year.

A household with an impossible sequence has all its rows rejected: the file does not say
which year is wrong. Rows already in the store take part (the import may add later years).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from battlemap.geodata.importer.headers import YEAR_MODE
from battlemap.geodata.schema import STATUS_EXITED, STATUS_POOR, STATUS_RETURNED

__all__ = ["CrossRowRejects", "cross_row_checks"]

_STATUS = {STATUS_POOR: 0, STATUS_EXITED: 1, STATUS_RETURNED: 2}
_NAMES = {v: k for k, v in _STATUS.items()}


@dataclass
class CrossRowRejects:
    """Rows of the good table rejected by a cross-row check."""

    positions: np.ndarray  # positions in the good table
    reasons: list[str]
    details: list[str]


def _codes(array: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pd.Index]:
    """Integer code per value and the distinct values (Arrow's hash, not Python's)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = array.dictionary_encode()
    uniques = pd.Index(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), uniques


def _duplicates(
    hh: np.ndarray, year: np.ndarray | None, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(positions of later duplicates, row number of each one's first occurrence)."""
    key = hh * 4096 + year if year is not None else hh
    order = np.lexsort((rows, key))
    sorted_key = key[order]
    dup = np.zeros(len(key), dtype=bool)
    dup[1:] = sorted_key[1:] == sorted_key[:-1]
    start = np.maximum.accumulate(np.where(~dup, np.arange(len(key)), 0))
    first_row = rows[order][start]
    return order[dup], first_row[dup]


def cross_row_checks(good: pa.Table, mode: str, stored: pa.Table | None = None) -> CrossRowRejects:
    """Duplicate (hh_id[, year]) rows and impossible status sequences in ``good``.

    ``stored`` holds the store's rows (hh_id, year, status) of the households in ``good``.
    The first occurrence of a duplicate key loads; later ones are rejected.
    """
    n = good.num_rows
    if n == 0:
        return CrossRowRejects(np.zeros(0, np.int64), [], [])
    hh, uniques_hh = _codes(good["hh_id"])
    rows = good["row"].to_numpy()
    year = (
        good["year"].to_numpy(zero_copy_only=False).astype(np.int64)
        if (mode == YEAR_MODE)
        else None
    )
    positions, first = _duplicates(hh, year, rows)
    reasons = ["duplicate_in_file"] * len(positions)
    what = "household and year" if mode == YEAR_MODE else "household ID"
    details = [f"same {what} as row {int(f)}" for f in first]
    if mode != YEAR_MODE:
        return CrossRowRejects(positions, reasons, details)

    keep = np.ones(n, dtype=bool)
    keep[positions] = False
    status = np.asarray(
        pd.Series(good["status"].to_numpy(zero_copy_only=False)).map(_STATUS), dtype=np.int64
    )
    registered = good["registered_year"].to_numpy(zero_copy_only=False).astype(np.int64)
    idx = np.flatnonzero(keep)
    s_hh, s_year, s_status, s_pos = hh[idx], year[idx], status[idx], idx
    if stored is not None and stored.num_rows:
        st_hh = uniques_hh.get_indexer(stored["hh_id"].to_numpy(zero_copy_only=False))
        st_year = stored["year"].to_numpy(zero_copy_only=False).astype(np.int64)
        st_status = np.asarray(
            pd.Series(stored["status"].to_numpy(zero_copy_only=False)).map(_STATUS), dtype=np.int64
        )
        extra = (st_hh >= 0) & ~np.isin(st_hh * 4096 + st_year, s_hh * 4096 + s_year)
        s_hh = np.concatenate([s_hh, st_hh[extra]])
        s_year = np.concatenate([s_year, st_year[extra]])
        s_status = np.concatenate([s_status, st_status[extra]])
        s_pos = np.concatenate([s_pos, np.full(int(extra.sum()), -1)])
    order = np.lexsort((s_year, s_hh))
    s_hh, s_year, s_status, s_pos = s_hh[order], s_year[order], s_status[order], s_pos[order]
    same = s_hh[1:] == s_hh[:-1]
    prev, cur = s_status[:-1], s_status[1:]
    bad_step = same & (
        ((prev >= 1) & (cur == 0)) | ((prev == 0) & (cur == 2) & (s_year[1:] - s_year[:-1] == 1))
    )
    problems: dict[int, str] = {}
    for i in np.flatnonzero(bad_step).tolist():
        h = int(s_hh[i])
        if h not in problems:
            source = " (in the store)" if s_pos[i] < 0 else ""
            problems[h] = (
                f"status {_NAMES[int(prev[i])]} in {int(s_year[i])}{source} "
                f"then {_NAMES[int(cur[i])]} in {int(s_year[i + 1])}"
            )
    first_year_return = keep & (status == 2) & (year == registered)
    for i in np.flatnonzero(first_year_return).tolist():
        problems.setdefault(
            int(hh[i]), f"status {STATUS_RETURNED} in the registration year {int(year[i])}"
        )
    if problems:
        bad_hh = np.fromiter(problems, dtype=np.int64)
        seq = np.flatnonzero(keep & np.isin(hh, bad_hh))
        positions = np.concatenate([positions, seq])
        reasons += ["status_sequence"] * len(seq)
        details += [f"impossible status sequence: {problems[int(hh[i])]}" for i in seq.tolist()]
    return CrossRowRejects(positions, reasons, details)
