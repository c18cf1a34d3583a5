"""Data dirs written before ``regions.poverty_flag`` (then ``is_poverty_county``) still open."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from battlemap.geodata.datadir import read_table
from battlemap.geodata.regions import REGION_COLUMNS, RegionTree


@pytest.fixture
def old_dir(tmp_path: Path) -> Path:
    gpd.GeoDataFrame(
        {
            "code": ["520000000000", "520100000000"],
            "level": [1, 2],
            "name": ["贵州省", "贵阳市"],
            "parent_code": [None, "520000000000"],
            "zone": ["west", "west"],
            "is_poverty_county": [False, True],
        },
        geometry=[shapely.box(106, 26, 107, 27), shapely.box(106, 26, 106.5, 26.5)],
        crs=4326,
    ).to_parquet(tmp_path / "regions.parquet")
    return tmp_path


def test_old_column_is_read_under_its_new_name(old_dir: Path) -> None:
    frame = read_table(old_dir, "regions", list(REGION_COLUMNS))
    assert list(frame.columns) == list(REGION_COLUMNS)
    assert frame.poverty_flag.tolist() == [False, True]
    tree = RegionTree(frame)
    assert tree.get("5201").poverty_flag is True


def test_whole_table_and_geo_reads_are_renamed(old_dir: Path) -> None:
    frame = read_table(old_dir, "regions", geo=True)
    assert "poverty_flag" in frame and "is_poverty_county" not in frame
    assert isinstance(frame, gpd.GeoDataFrame)


def test_a_database_loaded_before_the_rename_opens(postgis_cluster, tmp_path: Path) -> None:
    import psycopg2

    from battlemap.geodata.postgis.store import PostgisStore
    from tests.indicators.tiny import COUNTY_A, PROVINCE, write_tiny_data_dir

    dsn = postgis_cluster.load_database("battlemap_renamed", write_tiny_data_dir(tmp_path))
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("ALTER TABLE regions RENAME COLUMN poverty_flag TO is_poverty_county")
    finally:
        conn.close()
    store = PostgisStore(dsn)
    try:
        assert store.region(COUNTY_A).poverty_flag is True
        assert store.region(PROVINCE).poverty_flag is False
    finally:
        store.close()
