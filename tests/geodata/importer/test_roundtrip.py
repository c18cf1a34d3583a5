"""Round trips: the test county exported to every supported format and imported into an empty
store gives the reference store's tables and identical ``battlemap stats``; re-importing
changes nothing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pgtables import assert_same_content

from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.importer.crs import wgs84_to_bd09, wgs84_to_gcj02
from battlemap.geodata.importer.headers import FIELD_BY_NAME
from battlemap.geodata.importer.households import ImportOptions, import_households
from battlemap.geodata.store import Store
from battlemap.views.summary import region_summary

COUNTY = "522631"


def _chinese(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(
        columns={c: FIELD_BY_NAME[c].label for c in frame.columns if c in FIELD_BY_NAME}
    )


def _points(frame: pd.DataFrame, crs: str) -> gpd.GeoDataFrame:
    lon, lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    if crs == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    elif crs == "bd09":
        lon, lat = wgs84_to_bd09(lon, lat)
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]), geometry=shapely.points(lon, lat), crs=4326
    )


def write_csv_gbk(rows: pd.DataFrame, folder: Path) -> tuple[Path, str]:
    """CSV in GBK with Chinese headers and GCJ-02 points (the usual extract)."""
    frame = rows.copy()
    lon, lat = wgs84_to_gcj02(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    frame["lon"], frame["lat"] = np.round(lon, 9), np.round(lat, 9)
    path = folder / "county.csv"
    _chinese(frame).to_csv(path, index=False, encoding="gbk")
    return path, "gcj02"


def write_xlsx(rows: pd.DataFrame, folder: Path) -> tuple[Path, str]:
    """XLSX, Chinese headers, on a second sheet; IDs as text, numbers as numbers."""
    path = folder / "county.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"说明": ["建档立卡户"]}).to_excel(writer, sheet_name="说明", index=False)
        _chinese(rows).to_excel(writer, sheet_name="贫困户", index=False)
    return path, "wgs84"


def write_gpkg(rows: pd.DataFrame, folder: Path) -> tuple[Path, str]:
    """GeoPackage, English fields, points in BD-09 (as exported from Baidu-based tools)."""
    path = folder / "county.gpkg"
    _points(rows, "bd09").to_file(path, layer="households")
    return path, "bd09"


def write_shapefile(rows: pd.DataFrame, folder: Path) -> tuple[Path, str]:
    """Shapefile written by GDAL's ogr2ogr: GBK DBF without .cpg, Chinese names cut to 10 bytes."""
    source = folder / "source.gpkg"
    _chinese(_points(rows, "wgs84")).to_file(source)
    path = folder / "county.shp"
    subprocess.run(
        ["ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", str(path), str(source)],
        check=True,
        capture_output=True,
    )
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path, "wgs84"


def write_geojson(rows: pd.DataFrame, folder: Path) -> tuple[Path, str]:
    path = folder / "county.geojson"
    _points(rows, "wgs84").to_file(path)
    return path, "wgs84"


WRITERS: dict[str, Callable[[pd.DataFrame, Path], tuple[Path, str]]] = {
    "csv-gbk-gcj02": write_csv_gbk,
    "xlsx": write_xlsx,
    "gpkg-bd09": write_gpkg,
    "shapefile-ogr2ogr": write_shapefile,
    "geojson": write_geojson,
}


def comparison_regions(store: Store) -> list[str]:
    """Province, city, county, every township of the county, a dozen of its villages."""
    county = store.region(COUNTY)
    towns = store.regions.children(county.code)
    villages = [v.code for t in towns[:4] for v in store.regions.children(t.code)[:3]]
    return ["520000000000", county.parent_code, county.code, *(t.code for t in towns), *villages]


def summaries(store: Store, codes: list[str]) -> dict:
    return {
        (code, year): region_summary(store, code, year) for code in codes for year in store.years
    }


@pytest.fixture(scope="module")
def reference_summaries(reference_dir: Path) -> tuple[list[str], dict]:
    store = EmbeddedStore(reference_dir)
    codes = comparison_regions(store)
    return codes, summaries(store, codes)


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_round_trip_into_an_empty_embedded_store(
    fmt: str,
    county_rows: pd.DataFrame,
    empty_dir: Path,
    reference_dir: Path,
    tmp_path: Path,
    reference_summaries,
    tables,
    digests,
) -> None:
    path, crs = WRITERS[fmt](county_rows, tmp_path)
    options = ImportOptions(crs=crs, sheet="贫困户" if fmt == "xlsx" else None)
    report = import_households(path, empty_dir, options=options)
    assert (report.rejected, report.loaded) == (0, len(county_rows)), report.reasons
    assert report.household_years == {"inserted": len(county_rows), "updated": 0, "unchanged": 0}
    assert report.ignored_columns == []

    got_hh, got_years = tables(empty_dir)
    want_hh, want_years = tables(reference_dir)
    pd.testing.assert_frame_equal(got_hh, want_hh, check_dtype=False)
    pd.testing.assert_frame_equal(got_years, want_years, check_dtype=False)
    codes, expected = reference_summaries
    assert summaries(EmbeddedStore(empty_dir), codes) == expected

    before = digests(empty_dir)
    again = import_households(path, empty_dir, options=options)
    assert not again.changed
    assert again.households == {
        "inserted": 0,
        "updated": 0,
        "unchanged": report.households["inserted"],
    }
    assert digests(empty_dir) == before  # byte for byte, same mtimes


def test_update_changes_only_what_differs(
    county_rows: pd.DataFrame,
    empty_dir: Path,
    tmp_path: Path,
    tables,
) -> None:
    first = tmp_path / "first.csv"
    county_rows.to_csv(first, index=False)
    import_households(first, empty_dir)
    changed = county_rows.copy()
    hh = changed["hh_id"].iloc[0]
    mask = changed["hh_id"] == hh
    changed.loc[mask, "size"] = changed.loc[mask, "size"] + 1
    changed.loc[mask & (changed["year"] == 2020), "income_per_capita"] = 99999.0
    second = tmp_path / "second.csv"
    changed.to_csv(second, index=False)
    report = import_households(second, empty_dir)
    assert report.households == {
        "inserted": 0,
        "updated": 1,
        "unchanged": county_rows["hh_id"].nunique() - 1,
    }
    assert report.household_years["updated"] == 1
    got_hh, got_years = tables(empty_dir)
    assert (
        int(got_hh.set_index("hh_id").loc[hh, "size"])
        == int(county_rows.loc[mask, "size"].iloc[0]) + 1
    )
    assert (
        float(
            got_years[(got_years["hh_id"] == hh) & (got_years["year"] == 2020)][
                "income_per_capita"
            ].iloc[0]
        )
        == 99999.0
    )


def test_later_years_extend_households_already_in_the_store(
    county_rows: pd.DataFrame,
    empty_dir: Path,
    reference_dir: Path,
    tmp_path: Path,
    tables,
) -> None:
    """2014–2017 first, then 2018–2020: the sequence check sees the stored years."""
    early, late = tmp_path / "early.csv", tmp_path / "late.csv"
    county_rows[county_rows["year"] <= 2017].to_csv(early, index=False)
    county_rows[county_rows["year"] > 2017].to_csv(late, index=False)
    assert import_households(early, empty_dir).rejected == 0
    report = import_households(late, empty_dir)
    assert report.rejected == 0
    pd.testing.assert_frame_equal(tables(empty_dir)[1], tables(reference_dir)[1], check_dtype=False)


def test_round_trip_into_postgis_matches_the_embedded_store(
    county_rows: pd.DataFrame,
    empty_dir: Path,
    reference_dir: Path,
    tmp_path: Path,
    postgis_cluster,
    reference_summaries,
    tables,
) -> None:
    from battlemap.geodata.postgis.store import PostgisStore

    dsn = postgis_cluster.load_database("import_roundtrip", empty_dir)  # the empty store, loaded
    path, crs = write_csv_gbk(county_rows, tmp_path)
    report = import_households(path, empty_dir, dsn=dsn, options=ImportOptions(crs=crs))
    assert report.stores == ["embedded", "postgis"] and report.rejected == 0
    codes, expected = reference_summaries
    store = PostgisStore(dsn)
    try:
        assert summaries(store, codes) == expected
    finally:
        store.close()
    assert_same_content(dsn, empty_dir, tables)

    again = import_households(path, empty_dir, dsn=dsn, options=ImportOptions(crs=crs))
    assert not again.changed and again.household_years["inserted"] == 0
    assert_same_content(dsn, empty_dir, tables)

    # one household changed, one new year row for another: only those rows move
    changed = county_rows.copy()
    first, second = changed["hh_id"].unique()[:2]
    changed.loc[changed["hh_id"] == first, "primary_cause"] = "因灾"
    changed = changed[~((changed["hh_id"] == second) & (changed["year"] == 2020))]
    update = tmp_path / "update.csv"
    changed.to_csv(update, index=False)
    report = import_households(update, empty_dir, dsn=dsn)
    assert report.households["updated"] == 1 and report.household_years["inserted"] == 0
    assert_same_content(dsn, empty_dir, tables)


def test_an_unloaded_database_is_loaded_whole(
    county_rows: pd.DataFrame,
    empty_dir: Path,
    tmp_path: Path,
    postgis_cluster,
    tables,
) -> None:
    dsn = postgis_cluster.create_database("import_unloaded")
    path = tmp_path / "rows.csv"
    county_rows.to_csv(path, index=False)
    report = import_households(path, empty_dir, dsn=dsn)
    assert report.rejected == 0
    assert_same_content(dsn, empty_dir, tables)


def test_a_database_out_of_sync_is_refused(
    county_rows: pd.DataFrame,
    empty_dir: Path,
    tmp_path: Path,
    postgis_cluster,
    digests,
) -> None:
    from battlemap.geodata.errors import StoreUnavailableError
    from battlemap.geodata.postgis.load import load_data_dir

    dsn = postgis_cluster.create_database("import_out_of_sync")
    load_data_dir(dsn, empty_dir)
    path = tmp_path / "rows.csv"
    county_rows.iloc[:100].to_csv(path, index=False)
    import_households(path, empty_dir)  # data dir only: PostGIS falls behind
    before = digests(empty_dir)
    with pytest.raises(StoreUnavailableError, match="not in sync"):
        import_households(path, empty_dir, dsn=dsn)
    assert digests(empty_dir) == before
