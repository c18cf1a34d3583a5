from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from battlemap.geodata.datadir import AGGREGATES_FILE
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.errors import DataDirError, UnknownRegionError, YearOutOfRangeError
from battlemap.geodata.partitions import table_files


@pytest.fixture
def data_copy(small_data_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(small_data_dir, target)
    return target


def test_cache_rebuilt_from_tables_equals_generator_aggregates(
    data_copy: Path, embedded_store
) -> None:
    (data_copy / AGGREGATES_FILE).unlink()
    rebuilt = EmbeddedStore(data_copy)
    assert (data_copy / AGGREGATES_FILE).exists()
    for code in ["520000000000", "520100000000", embedded_store.regions.level_codes(5)[7]]:
        for year in embedded_store.years:
            assert rebuilt.counts(code, year) == embedded_store.counts(code, year)


def test_stale_cache_is_rebuilt(data_copy: Path) -> None:
    cache = data_copy / AGGREGATES_FILE
    old = cache.stat().st_mtime_ns
    newer = table_files(data_copy, "households")[3]  # one part file changed after the cache
    os.utime(newer, ns=(old + 10**9, old + 10**9))
    EmbeddedStore(data_copy)
    assert cache.stat().st_mtime_ns > old


def test_corrupt_cache_is_rebuilt(data_copy: Path, embedded_store) -> None:
    (data_copy / AGGREGATES_FILE).write_bytes(b"not parquet")
    store = EmbeddedStore(data_copy)
    assert store.counts("52", 2016) == embedded_store.counts("52", 2016)


@pytest.mark.parametrize(
    ("code", "year", "error"),
    [
        ("529999000000", 2016, UnknownRegionError),
        ("52", 2013, YearOutOfRangeError),
        ("abc", 2016, UnknownRegionError),
        ("52", 2021, YearOutOfRangeError),
    ],
)
def test_bad_queries(embedded_store, code: str, year: int, error: type) -> None:
    with pytest.raises(error):
        embedded_store.counts(code, year)


def test_missing_and_corrupt_data_dir(tmp_path: Path, data_copy: Path) -> None:
    with pytest.raises(DataDirError, match="does not exist"):
        EmbeddedStore(tmp_path / "nowhere")
    shutil.rmtree(data_copy / "household_years.parquet")
    with pytest.raises(DataDirError, match=r"missing household_years\.parquet"):
        EmbeddedStore(data_copy)


def test_corrupt_table(data_copy: Path) -> None:
    (data_copy / "regions.parquet").write_bytes(b"\x00garbage")
    with pytest.raises(DataDirError, match=r"regions\.parquet"):
        EmbeddedStore(data_copy)


def test_children_sum_to_parent(embedded_store) -> None:
    for code in ["520000000000", "520100000000", embedded_store.regions.level_codes(3)[5]]:
        parent = embedded_store.counts(code, 2015)
        children = embedded_store.children_counts(code, 2015).values()
        for metric, value in parent.items():
            assert sum(c[metric] for c in children) == value, metric
