"""Fixtures for the import tests: one county of the small data set, empty stores, helpers.

The round trips use one county (黎平县 522631, ~1,800 households, ~12,000 household-years) so
the suite stays fast. ``reference_dir`` is the small data set cut down to that county's
households: the store an import of the county must reproduce exactly.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from battlemap.geodata.datadir import read_table, write_table
from battlemap.geodata.importer.extract import import_rows
from battlemap.geodata.importer.store_init import empty_store

COUNTY = "522631"
YEARS = (2014, 2015, 2016, 2017, 2018, 2019, 2020)


@pytest.fixture(scope="session")
def county_rows(small_data_dir: Path) -> pd.DataFrame:
    """The county's household-year rows with English headers, WGS84, 是/否 flags."""
    return import_rows(small_data_dir, prefix=COUNTY)


@pytest.fixture(scope="session")
def empty_template(small_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the small set's regions and rural population, and no households."""
    path = tmp_path_factory.mktemp("empty-template") / "data"
    empty_store(
        path,
        gpd.read_parquet(small_data_dir / "regions.parquet"),
        rural_population=pd.read_parquet(small_data_dir / "rural_population.parquet"),
    )
    return path


@pytest.fixture
def empty_dir(empty_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the empty store for one test."""
    target = tmp_path / "store"
    shutil.copytree(empty_template, target)
    return target


@pytest.fixture(scope="session")
def reference_dir(
    small_data_dir: Path, empty_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The empty store plus exactly the county's households and household-years."""
    path = tmp_path_factory.mktemp("reference") / "data"
    shutil.copytree(empty_template, path)
    households = read_table(small_data_dir, "households", geo=True)
    households = households[households["village_code"].str.startswith(COUNTY)]
    years = read_table(small_data_dir, "household_years")
    years = years[years["hh_id"].isin(households["hh_id"])]
    write_table(path, "households", households.reset_index(drop=True))
    write_table(path, "household_years", years.reset_index(drop=True))
    (path / "aggregates.parquet").unlink()
    return path


def file_digests(data_dir: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of every file in a data dir and its table directories, by relative
    path (hidden lock file excluded; a staging dir left behind shows up)."""
    out = {}
    for path in sorted(data_dir.rglob("*")):
        name = path.relative_to(data_dir).as_posix()
        if name == ".import.lock":
            continue
        if path.is_dir():
            out[name] = ("<dir>", 0)
            continue
        out[name] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return out


@pytest.fixture
def digests() -> Callable[[Path], dict[str, tuple[str, int]]]:
    return file_digests


def household_tables(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """households and household_years of a data dir, sorted, in comparable types."""
    hh = read_table(data_dir, "households").drop(columns=["geometry"])
    hh["secondary_causes"] = hh["secondary_causes"].map(lambda v: ";".join(v))
    hh = hh.astype({c: object for c in hh.columns if c not in ("lon", "lat")})
    years = read_table(data_dir, "household_years")
    years["status"] = years["status"].astype(str)
    years = years.astype(object)
    return (
        hh.sort_values("hh_id", ignore_index=True),
        years.sort_values(["hh_id", "year"], ignore_index=True),
    )


@pytest.fixture
def tables() -> Callable[[Path], tuple[pd.DataFrame, pd.DataFrame]]:
    return household_tables
