"""Every reader of a data dir's parquet files gives the same one clear line for a file that
is not a readable parquet table (one function, battlemap.geodata.parquet_file)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from battlemap.geodata.datadir import read_table
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.parquet_file import read_parquet
from battlemap.geodata.partitions import part_path, read_part
from battlemap.geodata.postgis.copy import copy_parquet
from battlemap.geodata.postgis.ddl import Column, Table


def _readers(data_dir: Path) -> dict[str, tuple[Path, object]]:
    """name -> (the file it reads, a call reading it)."""
    part = part_path(data_dir, "households", 3)
    county = data_dir / "county_assessments.parquet"
    return {
        "read_parquet": (county, lambda: read_parquet(county, ["code"])),
        "read_part": (part, lambda: read_part(data_dir, "households", 3, ["hh_id"])),
        "read_table": (county, lambda: read_table(data_dir, "county_assessments")),
        "read_table geo": (county, lambda: read_table(data_dir, "county_assessments", geo=True)),
        # db load: the file's columns are checked before any row is sent (no cursor needed)
        "copy_parquet": (
            county,
            lambda: copy_parquet(None, Table("c", (Column("code", "text"),)), county),
        ),
        "copy_parquet parts": (
            part,
            lambda: copy_parquet(None, Table("h", (Column("hh_id", "text"),)), part.parent),
        ),
    }


@pytest.mark.parametrize(
    "reader",
    [
        "read_parquet",
        "read_part",
        "read_table",
        "read_table geo",
        "copy_parquet",
        "copy_parquet parts",
    ],
)
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_an_unreadable_file_is_one_line_naming_it(tmp_path: Path, reader: str, damage: str):
    data_dir = tmp_path / "data"
    part = part_path(data_dir, "households", 3)
    part.parent.mkdir(parents=True)
    good = pa.table({"code": ["520000000000"], "hh_id": ["h1"]})
    for path in (part, data_dir / "county_assessments.parquet"):
        pq.write_table(good, path)
    path, read = _readers(data_dir)[reader]
    data = path.read_bytes()
    path.write_bytes(b"not parquet at all" if damage == "garbage" else data[: len(data) // 2])
    with pytest.raises(DataDirError) as caught:
        read()
    message = str(caught.value)
    assert message.startswith(f"{path} is not a readable parquet table: ")
    assert "\n" not in message


def test_a_good_file_reads_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), path)
    assert read_parquet(path, ["b"]).to_pydict() == {"b": ["x", "y"]}
