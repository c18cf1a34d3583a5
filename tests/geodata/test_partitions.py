"""The part files of the household tables: a stable hash, every row in its part, layouts."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely

from battlemap.geodata.datadir import write_table
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.partitions import (
    PARTITIONS,
    part_path,
    partition_of,
    read_part,
    require_parts,
    table_files,
    table_rows,
)


@pytest.mark.parametrize(
    ("hh_id", "part"),
    # pinned: stored households are found by these parts, so the hash must never change
    [("5226310010010001", 9), ("5201020030040123", 6), ("户编号0001", 10), ("A", 7)],
)
def test_partition_of_is_pinned(hh_id: str, part: int) -> None:
    assert partition_of(pa.array([hh_id])).tolist() == [part]


def test_partition_of_ignores_the_arrow_layout() -> None:
    ids = [f"52263100{i:08d}" for i in range(500)] + ["户1", "x" * 100, "贵州-7"]
    expected = partition_of(pa.array(ids))
    sliced = pa.array(["pad", *ids]).slice(1)
    chunked = pa.chunked_array([ids[:7], ids[7:]])
    for same in (
        sliced,
        chunked,
        pa.array(ids, pa.large_string()),
        pa.array(ids).dictionary_encode(),
    ):
        np.testing.assert_array_equal(partition_of(same), expected)
    # one ID alone lands where it lands among others
    assert [partition_of(pa.array([i]))[0] for i in ids[-3:]] == expected[-3:].tolist()


def test_parts_are_even_for_serial_ids() -> None:
    counts = np.bincount(partition_of(pa.array([f"5226{i:012d}" for i in range(32_000)])))
    assert len(counts) == PARTITIONS
    assert counts.min() > 0.9 * 2000 and counts.max() < 1.1 * 2000


def test_partition_of_rejects_null_ids() -> None:
    with pytest.raises(ValueError, match="null"):
        partition_of(pa.array(["1", None]))


def test_write_table_puts_every_row_in_its_part(tmp_path: Path) -> None:
    ids = [f"5226310010{i:06d}" for i in range(300)]
    frame = gpd.GeoDataFrame(
        {"hh_id": ids, "size": np.arange(300, dtype=np.int16), "causes": [[]] * 299 + [["因病"]]},
        geometry=shapely.points(np.linspace(108, 109, 300), np.full(300, 26.0)),
        crs=4326,
    )
    write_table(tmp_path, "households", frame)
    assert len(table_files(tmp_path, "households")) == PARTITIONS
    assert table_rows(tmp_path, "households") == 300
    types = set()
    for part in range(PARTITIONS):
        rows = read_part(tmp_path, "households", part)
        assert (partition_of(rows["hh_id"]) == part).all()
        types.add(rows.schema.field("causes").type)
    assert len(types) == 1 and pa.types.is_string(types.pop().value_type)  # even empty parts
    back = gpd.read_parquet(tmp_path / "households.parquet").sort_values("hh_id", ignore_index=True)
    assert back.crs.to_epsg() == 4326
    assert back["hh_id"].tolist() == ids
    assert back.geometry.equals(frame.geometry)


def test_imports_need_the_part_layout(tmp_path: Path) -> None:
    write_table(tmp_path, "household_years", pd.DataFrame({"hh_id": ["1"], "year": [2020]}))
    require_parts(tmp_path, "household_years")
    part_path(tmp_path, "household_years", 4).unlink()
    with pytest.raises(DataDirError, match=r"missing parts \[4\]"):
        require_parts(tmp_path, "household_years")
    shutil.rmtree(tmp_path / "household_years.parquet")
    pd.DataFrame({"hh_id": ["1"], "year": [2020]}).to_parquet(tmp_path / "household_years.parquet")
    with pytest.raises(DataDirError, match=r"household_years\.parquet is a single file"):
        require_parts(tmp_path, "household_years")
