"""Imports go store part by store part: the grouping changes nothing, untouched parts stay."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa

from battlemap.geodata.importer import spill
from battlemap.geodata.importer.households import import_households
from battlemap.geodata.partitions import part_name, partition_of


def _csv(rows: pd.DataFrame, path: Path) -> Path:
    rows.to_csv(path, index=False)
    return path


def test_small_groups_give_the_same_store(
    county_rows: pd.DataFrame, empty_dir: Path, tmp_path: Path, monkeypatch, tables
) -> None:
    path = _csv(county_rows, tmp_path / "county.csv")
    whole = tmp_path / "whole"
    shutil.copytree(empty_dir, whole)
    expected = import_households(path, whole)
    monkeypatch.setattr(spill, "GROUP_ROWS", 150)  # many groups per part
    got = import_households(path, empty_dir)
    assert (got.loaded, got.households, got.household_years) == (
        expected.loaded,
        expected.households,
        expected.household_years,
    )
    for mine, theirs in zip(tables(empty_dir), tables(whole), strict=True):
        pd.testing.assert_frame_equal(mine, theirs)


def test_an_update_rewrites_only_the_parts_it_touches(
    county_rows: pd.DataFrame, empty_dir: Path, tmp_path: Path, digests
) -> None:
    import_households(_csv(county_rows, tmp_path / "county.csv"), empty_dir)
    before = digests(empty_dir)
    parts = partition_of(pa.array(county_rows["hh_id"].astype(str)))
    changed = county_rows[parts == 3].copy()
    changed["income_per_capita"] = (changed["income_per_capita"] * 1.1).round(2)
    report = import_households(_csv(changed, tmp_path / "part3.csv"), empty_dir)
    assert report.household_years["updated"] > 0 and report.aggregates == {"embedded": "delta"}
    after = digests(empty_dir)
    rewritten = {name for name in after if after[name] != before.get(name)}
    assert rewritten == {
        part_name("household_years", 3),
        "manifest.json",
        "aggregates.parquet",
    }
