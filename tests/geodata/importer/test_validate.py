"""Row validation end to end: the messy fixture gets exactly the expected rejects."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from messy import build_messy

from battlemap.geodata.datadir import read_table
from battlemap.geodata.importer.extract import import_rows
from battlemap.geodata.importer.households import ImportOptions, import_households
from battlemap.geodata.importer.reasons import REASONS


@pytest.fixture
def store_with_other_county(
    empty_dir: Path, small_data_dir: Path, tmp_path: Path
) -> tuple[Path, str]:
    """The empty store plus one household of another county (for duplicate_in_store)."""
    other = import_rows(small_data_dir, prefix="520102")
    other = other[other["hh_id"] == other["hh_id"].iloc[0]]
    path = tmp_path / "other.csv"
    other.to_csv(path, index=False)
    report = import_households(path, empty_dir)
    assert report.rejected == 0 and report.households["inserted"] == 1
    return empty_dir, str(other["hh_id"].iloc[0])


def test_messy_file_gets_exactly_the_expected_rejects(
    store_with_other_county: tuple[Path, str],
    county_rows: pd.DataFrame,
    small_data_dir: Path,
    tmp_path: Path,
) -> None:
    store, other_id = store_with_other_county
    regions = gpd.read_parquet(small_data_dir / "regions.parquet")
    messy = build_messy(county_rows, regions, other_id, tmp_path / "messy.csv")
    assert set(messy.rejects.values()) == set(REASONS)  # every kind of bad row is in it
    rejects_path = tmp_path / "rejects.csv"
    report = import_households(messy.path, store, options=ImportOptions(rejects=rejects_path))

    rejected = pd.read_csv(rejects_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    got = dict(zip(rejected["row"].astype(int), rejected["reason"], strict=True))
    assert got == messy.rejects
    assert rejected["row"].astype(int).is_monotonic_increasing
    details = dict(zip(rejected["row"].astype(int), rejected["detail"], strict=True))
    for row, fragment in messy.details.items():
        assert fragment in details[row], (row, details[row])
    assert report.reasons == dict(Counter(messy.rejects.values()))
    assert list(report.reasons) == [r for r in REASONS if r in report.reasons]
    assert report.rejected == len(messy.rejects)
    assert report.loaded == messy.loaded_rows
    assert report.blank == messy.blank
    assert report.rows == report.loaded + report.rejected + report.blank

    # the rejects file holds the original cells under the original headers
    by_row = rejected.set_index(rejected["row"].astype(int))
    malformed = next(r for r, reason in messy.rejects.items() if reason == "malformed_id")
    assert by_row.loc[malformed, "户编号"] == "5.22631E+15"
    short = next(r for r, reason in messy.rejects.items() if reason == "malformed_row")
    assert list(by_row.loc[short, ["户编号", "户主姓名", "行政区划代码", "经度"]]) == [
        "5226310000009999",
        "张三",
        "522631100200",
        "",
    ]

    households = read_table(store, "households")
    assert set(households["hh_id"]) == messy.loaded_households | {other_id}
    hh_id, lon, lat = messy.tolerated_point
    stored = households.set_index("hh_id").loc[hh_id]
    assert (stored["lon"], stored["lat"]) == (lon, lat)


def test_dry_run_writes_nothing_but_the_rejects(
    store_with_other_county: tuple[Path, str],
    county_rows: pd.DataFrame,
    small_data_dir: Path,
    tmp_path: Path,
    digests,
) -> None:
    store, other_id = store_with_other_county
    regions = gpd.read_parquet(small_data_dir / "regions.parquet")
    messy = build_messy(county_rows, regions, other_id, tmp_path / "messy.csv")
    before = digests(store)
    report = import_households(messy.path, store, options=ImportOptions(dry_run=True))
    assert digests(store) == before
    assert report.dry_run and report.households["inserted"] == len(messy.loaded_households)
    assert Path(report.rejects_file) == messy.path.with_name("messy.csv.rejects.csv")
    assert len(pd.read_csv(report.rejects_file, encoding="utf-8-sig")) == len(messy.rejects)


def test_household_rows_derive_the_yearly_status_from_the_exit_year(
    empty_dir: Path,
    tmp_path: Path,
) -> None:
    """One row per household (no 年度 column): years from 识别年度 to the last, 脱贫年度 on."""
    villages = read_table(empty_dir, "regions", ["code", "level", "label_lon", "label_lat"])
    village = villages[villages["code"].str.startswith("522631") & (villages["level"] == 5)]
    village = village.iloc[0]
    frame = pd.DataFrame(
        {
            "户编号": ["5226310000000001", "5226310000000002", "5226310000000003"],
            "户主姓名": ["甲", "乙", "丙"],
            "行政区划代码": [village.code] * 3,
            "经度": [village.label_lon] * 3,
            "纬度": [village.label_lat] * 3,
            "家庭人口数": [3, 2, 4],
            "贫困户属性": ["一般贫困户", "低保户", "五保户"],
            "主要致贫原因": ["因病致贫", "缺劳力", "因学"],
            "识别年度": [2014, 2015, 2014],
            "脱贫年度": [2017, None, 2019],
            "贫困户状态": ["已脱贫", "未脱贫", "返贫"],
            "住房安全": ["是", "否", "是"],
        }
    )
    path = tmp_path / "hh.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    report = import_households(path, empty_dir, options=ImportOptions())
    assert report.mode == "household"
    assert report.reasons == {"status_sequence": 1}  # 返贫 needs one row per year
    years = read_table(empty_dir, "household_years")
    years["status"] = years["status"].astype(str)
    first = years[years["hh_id"] == "5226310000000001"].set_index("year")
    assert list(first.index) == list(range(2014, 2021))
    assert list(first["status"]) == ["未脱贫"] * 3 + ["已脱贫"] * 4
    assert list(first["housing_safe"]) == [False] * 6 + [True]  # flags describe the last year
    second = years[years["hh_id"] == "5226310000000002"]
    assert list(second["year"]) == list(range(2015, 2021))
    assert set(second["status"]) == {"未脱贫"}
    households = read_table(empty_dir, "households").set_index("hh_id")
    assert households.loc["5226310000000001", "hh_type"] == "一般户"
    assert households.loc["5226310000000002", "primary_cause"] == "缺劳动力"
