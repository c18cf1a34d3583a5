"""Every path that writes a data dir lists its files in the manifest: a new store, each
import (households, population, boundaries), and the aggregates cache they stage."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from battlemap.geodata.datadir import check_files, data_file_names, read_manifest, read_table
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.importer.boundaries import import_boundaries
from battlemap.geodata.importer.households import import_households
from battlemap.geodata.importer.population import import_population

COUNTY = "522631"


def _households(data: Path, rows: pd.DataFrame, tmp: Path) -> None:
    path = tmp / "hh.csv"
    rows.to_csv(path, index=False)
    assert import_households(path, data).households["inserted"] > 0


def _population(data: Path, rows: pd.DataFrame, tmp: Path) -> None:
    rural = read_table(data, "rural_population")
    rural = rural[rural["code"].str.startswith(COUNTY) & (rural["year"] == 2020)]
    path = tmp / "pop.csv"
    rural.assign(persons=rural["persons"] + 1).to_csv(path, index=False)
    assert import_population(path, data).population["updated"] > 0


def _boundaries(data: Path, rows: pd.DataFrame, tmp: Path) -> None:
    regions = read_table(data, "regions", geo=True)
    county = regions[regions["code"] == f"{COUNTY}000000"][["code", "name", "geometry"]]
    county = county.assign(name="黎平县（新）")
    path = tmp / "county.geojson"
    path.write_text(gpd.GeoDataFrame(county, crs=4326).to_json(), encoding="utf-8")
    assert import_boundaries(path, data, level="county").regions["updated"] == 1


@pytest.mark.parametrize(
    ("write", "target"),
    [
        (_households, "households.parquet/"),
        (_population, "rural_population.parquet"),
        (_boundaries, "regions.parquet"),
    ],
    ids=["households", "population", "boundaries"],
)
def test_an_import_lists_the_files_it_writes(
    write: Callable, target: str, empty_dir: Path, county_rows: pd.DataFrame, tmp_path: Path
) -> None:
    before = read_manifest(empty_dir)
    assert sorted(before["files"]) == data_file_names(empty_dir)  # a new store lists them
    write(empty_dir, county_rows, tmp_path)
    after = read_manifest(empty_dir)
    assert sorted(after["files"]) == data_file_names(empty_dir)
    check = check_files(empty_dir, after, digests=True)
    assert check.problems == [] and check.cache_ok
    assert after["version"] != before["version"]
    assert after["import_id"] != before.get("import_id")
    changed = {n for n in after["files"] if after["files"][n] != before["files"].get(n)}
    assert any(name.startswith(target) for name in changed), changed
    EmbeddedStore(empty_dir)  # opens without a rebuild or a complaint


def test_a_second_identical_import_changes_nothing(
    empty_dir: Path, county_rows: pd.DataFrame, tmp_path: Path, digests
) -> None:
    _households(empty_dir, county_rows, tmp_path)
    before = digests(empty_dir)
    path = tmp_path / "hh.csv"
    assert not import_households(path, empty_dir).changed
    assert digests(empty_dir) == before  # the manifest is not rewritten either


def test_a_copied_data_dir_opens_anywhere(empty_dir: Path, tmp_path: Path) -> None:
    """Names in the list are relative: a data dir can be moved or copied."""
    moved = tmp_path / "elsewhere"
    shutil.copytree(empty_dir, moved)
    assert check_files(moved, read_manifest(moved)).problems == []
