"""``import boundaries``: every format, level by level into a new data dir, and bad features."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from battlemap.geodata.datadir import read_table
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.importer.boundaries import import_boundaries
from battlemap.geodata.importer.crs import wgs84_to_gcj02
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.households import import_households

COUNTY = "522631"


@pytest.fixture(scope="module")
def regions(small_data_dir: Path) -> gpd.GeoDataFrame:
    return gpd.read_parquet(small_data_dir / "regions.parquet")


def _level(regions: gpd.GeoDataFrame, level: int, prefix: str = "") -> gpd.GeoDataFrame:
    out = regions[(regions["level"] == level) & regions["code"].str.startswith(prefix)]
    return out.reset_index(drop=True)


def write_levels(regions: gpd.GeoDataFrame, folder: Path) -> list[tuple[Path, str, dict]]:
    """One file per level, each in another format and style (as real bureaus deliver them)."""
    province = _level(regions, 1)
    province = gpd.GeoDataFrame(
        {"adcode": province["code"].str[:6], "name": province["name"]},
        geometry=province.geometry,
        crs=4326,
    )
    province.to_file(folder / "province.geojson")
    cities = _level(regions, 2)
    gpd.GeoDataFrame(
        {"code": cities["code"], "name": cities["name"]}, geometry=cities.geometry, crs=4326
    ).to_file(folder / "cities.gpkg", layer="市级")
    counties = _level(regions, 3)
    source = folder / "counties_src.gpkg"
    gpd.GeoDataFrame(
        {
            "区划代码": counties["code"].str[:6],
            "名称": counties["name"],
            "贫困县": np.where(counties["poverty_flag"], "是", "否"),
        },
        geometry=counties.geometry,
        crs=4326,
    ).to_file(source)
    shp = folder / "counties.shp"
    subprocess.run(
        ["ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", str(shp), str(source)],
        check=True,
        capture_output=True,
    )
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    towns = _level(regions, 4, COUNTY)
    gpd.GeoDataFrame(
        {
            "Name": towns["name"],
            "XZQDM": towns["code"].str[:9],
            "PKXZ": np.where(towns["poverty_flag"], "是", "否"),
        },
        geometry=towns.geometry,
        crs=4326,
    ).to_file(folder / "towns.kml", driver="KML")
    villages = _level(regions, 5, COUNTY)
    gpd.GeoDataFrame(
        {
            "村代码": villages["code"],
            "村名": villages["name"],
            "贫困村": np.where(villages["poverty_flag"], "是", "否"),
        },
        geometry=villages.geometry,
        crs=4326,
    ).to_crs(3857).to_file(folder / "villages.gpkg")
    return [
        (folder / "province.geojson", "province", {}),
        (folder / "cities.gpkg", "city", {}),
        (shp, "county", {"poverty_field": "贫困县"}),
        (folder / "towns.kml", "township", {"code_field": "XZQDM", "poverty_field": "PKXZ"}),
        (
            folder / "villages.gpkg",
            "village",
            {"code_field": "村代码", "name_field": "村名", "poverty_field": "贫困村"},
        ),
    ]


def test_level_by_level_into_a_new_data_dir(
    regions: gpd.GeoDataFrame,
    county_rows: pd.DataFrame,
    tmp_path: Path,
    digests,
) -> None:
    data = tmp_path / "new-store"
    for path, level, kwargs in write_levels(regions, tmp_path):
        report = import_boundaries(path, data, level=level, **kwargs)
        assert report.rejected == 0 and report.regions["inserted"] == report.features, report
    assert report.created_data_dir is False
    got = read_table(data, "regions", geo=True).set_index("code")
    want = regions[regions["code"].isin(got.index)].set_index("code")
    assert len(got) == 1 + 9 + 88 + len(_level(regions, 4, COUNTY)) + len(
        _level(regions, 5, COUNTY)
    )
    for column in ("level", "name", "parent_code", "zone", "poverty_flag"):
        assert got[column].to_dict() == want.loc[got.index, column].to_dict(), column
    # same shapes up to ring orientation (Shapefiles store outer rings clockwise)
    assert shapely.equals_exact(
        shapely.normalize(got.geometry.to_numpy()),
        shapely.normalize(want.loc[got.index].geometry.to_numpy()),
        tolerance=1e-7,
    ).all()
    np.testing.assert_allclose(got["area_km2"], want.loc[got.index, "area_km2"], rtol=1e-6)
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is False and manifest["counts"]["regions"]["5"] == len(
        _level(regions, 5, COUNTY)
    )

    before = digests(data)
    again = import_boundaries(tmp_path / "towns.kml", data, level="township", code_field="XZQDM")
    assert again.regions["unchanged"] == again.features and digests(data) == before

    rows = tmp_path / "households.csv"
    county_rows.to_csv(rows, index=False)
    imported = import_households(rows, data)
    assert imported.rejected == 0
    store = EmbeddedStore(data)
    assert (
        store.counts(COUNTY, 2014)["registered_households"]
        == county_rows[county_rows["year"] == 2014]["hh_id"].nunique()
    )


def test_bad_features_are_rejected_with_reasons_and_invalid_polygons_repaired(
    regions: gpd.GeoDataFrame,
    empty_dir: Path,
    tmp_path: Path,
) -> None:
    towns = _level(regions, 4, COUNTY)
    good = towns.iloc[0]
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    box = shapely.affinity.translate(  # a bow-tie 0.01° wide centred on the label point
        shapely.affinity.scale(bowtie, 0.01, 0.01), good.label_lon - 0.5, good.label_lat - 0.5
    )
    features = [
        (good["code"][:9], "修好的镇", box),  # 1 invalid bow-tie: repaired
        (good["code"][:9], "重复", good.geometry),  # 2 duplicate_code
        ("522699101", "无上级", good.geometry),  # 3 missing_parent (no county 522699)
        (COUNTY, "县", good.geometry),  # 4 wrong_level
        ("52263A101", "乱码", good.geometry),  # 5 bad_code
        (towns.iloc[1]["code"][:9], "", good.geometry),  # 6 missing_name
        (towns.iloc[2]["code"][:9], "点", shapely.Point(107, 26)),  # 7 bad_geometry
        (None, "无代码", good.geometry),  # 8 missing_code
    ]
    frame = gpd.GeoDataFrame(
        {"code": [f[0] for f in features], "name": [f[1] for f in features]},
        geometry=[f[2] for f in features],
        crs=4326,
    )
    path = tmp_path / "bad.geojson"
    frame.to_file(path)
    report = import_boundaries(path, empty_dir, level="township")
    assert report.repaired == [good["code"]]
    rejects = pd.read_csv(
        report.rejects_file, dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    assert dict(zip(rejects["row"].astype(int), rejects["reason"], strict=True)) == {
        2: "duplicate_code",
        3: "missing_parent",
        4: "wrong_level",
        5: "bad_code",
        6: "missing_name",
        7: "bad_geometry",
        8: "missing_code",
    }
    assert report.regions == {"inserted": 0, "updated": 1, "unchanged": 0}
    stored = read_table(empty_dir, "regions", geo=True).set_index("code").loc[good["code"]]
    assert stored["name"] == "修好的镇" and stored.geometry.is_valid
    assert stored.geometry.geom_type == "MultiPolygon"


def test_gcj02_boundaries_are_shifted_back(
    regions: gpd.GeoDataFrame, empty_dir: Path, tmp_path: Path
) -> None:
    villages = _level(regions, 5, COUNTY).iloc[:20]
    shifted = shapely.transform(
        villages.geometry.to_numpy(), lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    )
    path = tmp_path / "gcj.geojson"
    gpd.GeoDataFrame(
        {"code": villages["code"], "name": villages["name"]}, geometry=shifted, crs=4326
    ).to_file(path)
    report = import_boundaries(path, empty_dir, level="village", crs="gcj02")
    assert report.regions == {"inserted": 0, "updated": 0, "unchanged": 20}


def test_fields_must_be_found_or_named(
    regions: gpd.GeoDataFrame, empty_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "odd.geojson"
    towns = _level(regions, 4, COUNTY).iloc[:2]
    gpd.GeoDataFrame(
        {"foo": towns["code"], "bar": towns["name"]}, geometry=towns.geometry, crs=4326
    ).to_file(path)
    with pytest.raises(ImportFileError, match=r"pass --code-field \(fields: foo, bar\)"):
        import_boundaries(path, empty_dir, level="township")
    with pytest.raises(ImportFileError, match="no field 'baz'"):
        import_boundaries(path, empty_dir, level="township", code_field="baz")
    report = import_boundaries(
        path, empty_dir, level="township", code_field="foo", name_field="bar", dry_run=True
    )
    assert report.dry_run and report.regions["unchanged"] == 2


def test_boundaries_into_postgis(
    regions: gpd.GeoDataFrame, empty_dir: Path, tmp_path: Path, postgis_cluster
) -> None:
    from battlemap.geodata.postgis.load import load_data_dir
    from battlemap.geodata.postgis.store import PostgisStore

    dsn = postgis_cluster.create_database("import_boundaries")
    load_data_dir(dsn, empty_dir)
    towns = _level(regions, 4, COUNTY).iloc[:3]
    path = tmp_path / "renamed.geojson"
    gpd.GeoDataFrame(
        {"code": towns["code"], "name": towns["name"] + "（新）"}, geometry=towns.geometry, crs=4326
    ).to_file(path)
    report = import_boundaries(path, empty_dir, level="township", dsn=dsn)
    assert report.regions == {"inserted": 0, "updated": 3, "unchanged": 0}
    store = PostgisStore(dsn)
    try:
        assert store.region(towns["code"].iloc[0]).name.endswith("（新）")
        assert (
            store.region(towns["code"].iloc[0]).name
            == EmbeddedStore(empty_dir).region(towns["code"].iloc[0]).name
        )
    finally:
        store.close()


def test_changed_villages_list_the_households_they_leave_outside(
    county_rows: pd.DataFrame, empty_dir: Path, tmp_path: Path
) -> None:
    rows = tmp_path / "households.csv"
    county_rows.to_csv(rows, index=False)
    import_households(rows, empty_dir)
    villages = read_table(empty_dir, "regions", geo=True)
    villages = villages[villages["code"].str.startswith(COUNTY) & (villages["level"] == 5)]
    counts = county_rows.drop_duplicates("hh_id")["village_code"].astype(str).value_counts()
    moved, kept = counts.index[0], counts.index[1]
    corrected = villages[villages["code"].isin([moved, kept])].reset_index(drop=True)
    shifted = corrected["code"] == moved
    # the corrected polygon lies elsewhere in its township (inside its parent, as it must):
    # a small square around the sibling village's point farthest from the old polygon
    old = villages.loc[villages["code"] == moved, "geometry"].iloc[0]
    siblings = villages[villages["code"].str[:9] == moved[:9]]
    points = shapely.point_on_surface(siblings.geometry.to_numpy())
    far = points[np.argmax(shapely.distance(points, old))]
    corrected.loc[shifted, "geometry"] = shapely.MultiPolygon([far.buffer(0.002, cap_style=3)])
    path = tmp_path / "villages.geojson"
    corrected[["code", "name", "geometry"]].to_file(path)

    report = import_boundaries(path, empty_dir, level="village")
    assert report.regions == {"inserted": 0, "updated": 1, "unchanged": 1}
    assert report.households_outside == counts[moved]
    listed = pd.read_csv(report.households_outside_file, dtype=str, encoding="utf-8-sig")
    assert set(listed["village_code"]) == {moved}
    assert set(listed["hh_id"]) == set(
        county_rows.loc[county_rows["village_code"].astype(str) == moved, "hh_id"].astype(str)
    )
    assert (listed["metres_outside"].astype(float) > 500).all()

    # changed again, within a generous tolerance: nothing is listed and the stale list goes
    corrected.loc[shifted, "geometry"] = corrected.loc[shifted].translate(xoff=0.0001)
    corrected[["code", "name", "geometry"]].to_file(path)
    again = import_boundaries(path, empty_dir, level="village", tolerance_m=1e6)
    assert again.regions["updated"] == 1 and again.households_outside == 0
    assert again.households_outside_file is None
    assert not Path(report.households_outside_file).exists()
