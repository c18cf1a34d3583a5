"""Spilled import rows come back one store part at a time, each row once, in bounded groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from battlemap.geodata.importer.spill import Spill
from battlemap.geodata.partitions import PARTITIONS, partition_of

SCHEMA = pa.schema([("row", pa.int64()), ("hh_id", pa.string()), ("year", pa.int16())])


def _chunks(households: int, years: int, chunk_rows: int) -> list[pa.Table]:
    """Household-year rows, a household's years spread over different chunks."""
    ids = np.repeat([f"5226{i:012d}" for i in range(households)], years)
    year = np.tile(np.arange(2014, 2014 + years, dtype=np.int16), households)
    order = np.random.default_rng(5).permutation(len(ids))
    table = pa.table({"row": np.arange(len(ids)), "hh_id": ids[order], "year": year[order]})
    return [table.slice(s, chunk_rows).cast(SCHEMA) for s in range(0, len(ids), chunk_rows)]


@pytest.mark.parametrize("group_rows", [50, 400, 100_000])
def test_each_row_comes_back_once_in_its_part(tmp_path: Path, group_rows: int) -> None:
    spill = Spill(tmp_path / "spill", SCHEMA, group_rows=group_rows)
    for chunk in [*_chunks(households=700, years=5, chunk_rows=900), SCHEMA.empty_table()]:
        spill.add(chunk)
    assert spill.rows == 3500
    seen: list[np.ndarray] = []
    for part in range(PARTITIONS):
        groups = list(spill.groups(part))
        assert sum(g.num_rows for g in groups) == spill.part_rows(part)
        for group in groups:
            assert (partition_of(group["hh_id"]) == part).all()
            seen.append(group["row"].to_numpy())
            # a household's rows never straddle two groups
            for other in groups:
                if other is not group:
                    assert not set(group["hh_id"].to_pylist()) & set(other["hh_id"].to_pylist())
        for group in groups:  # only a single bucket larger than the bound may exceed it
            buckets = partition_of(group["hh_id"], spill.buckets)
            assert group.num_rows <= group_rows or len(set(buckets.tolist())) == 1
    rows = np.sort(np.concatenate(seen))
    np.testing.assert_array_equal(rows, np.arange(3500))
    if group_rows == 50:
        assert max(len(list(spill.groups(p))) for p in range(PARTITIONS)) > 1
