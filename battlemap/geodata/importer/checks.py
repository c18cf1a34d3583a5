"""Checks across rows of the same households: IDs the store holds for another household,
duplicates in the file, status sequences.

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
import pyarrow as pa
import pyarrow.compute as pc

from battlemap.geodata.importer.headers import YEAR_MODE
from battlemap.geodata.importer.keys import hh_ids, joint_codes, year_keys
from battlemap.geodata.importer.keys import positions as key_positions
from battlemap.geodata.schema import STATUS_EXITED, STATUS_POOR, STATUS_RETURNED

__all__ = ["CrossRowRejects", "cross_row_checks", "store_clashes"]

_STATUS = {STATUS_POOR: 0, STATUS_EXITED: 1, STATUS_RETURNED: 2}
_NAMES = {v: k for k, v in _STATUS.items()}


@dataclass
class CrossRowRejects:
    """Rows of the good table rejected by a cross-row check."""

    positions: np.ndarray  # positions in the good table
    reasons: list[str]
    details: list[str]


def _status_codes(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """0/1/2 for 未脱贫/已脱贫/返贫 (the values were validated before)."""
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    found = pc.index_in(array.cast(pa.string()), value_set=pa.array(list(_STATUS), pa.string()))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _duplicates(
    hh: np.ndarray, year: np.ndarray | None, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(positions of later duplicates, row number of each one's first occurrence)."""
    key = year_keys(hh, year) if year is not None else hh
    order = np.lexsort((rows, key))
    sorted_key = key[order]
    dup = np.zeros(len(key), dtype=bool)
    dup[1:] = sorted_key[1:] == sorted_key[:-1]
    start = np.maximum.accumulate(np.where(~dup, np.arange(len(key)), 0))
    first_row = rows[order][start]
    return order[dup], first_row[dup]


def _county(codes: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return pc.utf8_slice_codeunits(codes, 0, 6).to_numpy(zero_copy_only=False).astype(object)


def store_clashes(good: pa.Table, stored: pa.Table, insert_only: bool) -> CrossRowRejects:
    """Rows whose household ID the store (``stored``: the households of its part) already
    holds in another county: an ID reused for a different household. With ``insert_only``,
    every ID the store holds."""
    if good.num_rows == 0 or stored.num_rows == 0:
        return CrossRowRejects(np.zeros(0, np.int64), [], [])
    where = pc.index_in(hh_ids(good), value_set=hh_ids(stored).combine_chunks())
    where = pc.fill_null(where, -1).to_numpy(zero_copy_only=False)
    hit = np.flatnonzero(where >= 0)
    stored_village = pc.take(stored["village_code"], pa.array(where[hit]))
    if insert_only:
        clash = np.ones(len(hit), dtype=bool)
    else:
        new_county = _county(pc.take(good["village_code"], pa.array(hit)))
        clash = _county(stored_village) != new_county
    positions = hit[clash]
    ids = pc.take(good["hh_id"], pa.array(positions)).to_pylist()
    villages = pc.filter(stored_village, pa.array(clash)).to_pylist()
    details = [
        f"household ID {i} is already in the store (village {v})"
        for i, v in zip(ids, villages, strict=True)
    ]
    return CrossRowRejects(positions, ["duplicate_in_store"] * len(positions), details)


def cross_row_checks(good: pa.Table, mode: str, stored: pa.Table | None = None) -> CrossRowRejects:
    """Duplicate (hh_id[, year]) rows and impossible status sequences in ``good``.

    ``stored`` holds the store's rows (hh_id, year, status) of the households in ``good``.
    The first occurrence of a duplicate key loads; later ones are rejected.
    """
    n = good.num_rows
    if n == 0:
        return CrossRowRejects(np.zeros(0, np.int64), [], [])
    has_stored = stored is not None and stored.num_rows > 0
    if has_stored:
        hh, st_hh = joint_codes(good["hh_id"], stored["hh_id"])
    else:
        hh, st_hh = joint_codes(good["hh_id"])[0], None
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
    status = _status_codes(good["status"])
    registered = good["registered_year"].to_numpy(zero_copy_only=False).astype(np.int64)
    idx = np.flatnonzero(keep)
    s_hh, s_year, s_status, s_pos = hh[idx], year[idx], status[idx], idx
    if has_stored:
        st_year = stored["year"].to_numpy(zero_copy_only=False).astype(np.int64)
        st_status = _status_codes(stored["status"])
        extra = key_positions(year_keys(st_hh, st_year), year_keys(s_hh, s_year)) < 0
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
        seq = np.flatnonzero(keep & (key_positions(hh, bad_hh) >= 0))
        positions = np.concatenate([positions, seq])
        reasons += ["status_sequence"] * len(seq)
        details += [f"impossible status sequence: {problems[int(hh[i])]}" for i in seq.tolist()]
    return CrossRowRejects(positions, reasons, details)
