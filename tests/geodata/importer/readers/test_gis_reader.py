"""GIS reader: points reprojected to EPSG:4326, DBF encoding guessed, attributes as text."""

from __future__ import annotations

import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.readers import open_reader
from battlemap.geodata.importer.readers.gis import dbf_encoding


def _frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"户编号": ["5201", "5202", "5203"], "家庭人口数": [3, 4, 5], "收入": [1.5, 2.0, None]},
        geometry=[shapely.Point(106.6, 26.5), shapely.Point(106.7, 26.6), None],
        crs=4326,
    )


def test_geopackage_in_web_mercator_comes_back_in_degrees(tmp_path: Path) -> None:
    path = tmp_path / "hh.gpkg"
    _frame().to_crs(3857).to_file(path)
    reader = open_reader(path)
    assert reader.has_geometry and reader.headers == ["户编号", "家庭人口数", "收入"]
    (chunk,) = list(reader.chunks())
    assert np.allclose(chunk.lon[:2], [106.6, 106.7]) and np.allclose(chunk.lat[:2], [26.5, 26.6])
    assert np.isnan(chunk.lon[2])
    assert chunk.rows.tolist() == [1, 2, 3]
    original = chunk.original(np.array([0, 2]))
    assert original[0][:3] == ["5201", "3", "1.5"] and original[0][3].startswith("POINT")
    assert original[1] == ["5203", "5", "", ""]


def test_shapefile_without_cpg_written_by_ogr2ogr_in_gbk(tmp_path: Path) -> None:
    source = tmp_path / "hh.geojson"
    _frame().to_file(source)
    shp = tmp_path / "hh.shp"
    subprocess.run(
        ["ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", str(shp), str(source)],
        check=True,
        capture_output=True,
    )
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    assert dbf_encoding(shp) == "gbk"
    reader = open_reader(shp)
    assert reader.dbf and reader.headers[0] == "户编号"
    (chunk,) = list(reader.chunks())
    assert chunk.columns[0].to_pylist() == ["5201", "5202", "5203"]


def test_layer_without_crs_must_be_in_degrees(tmp_path: Path) -> None:
    path = tmp_path / "metres.shp"
    _frame().rename(columns={"户编号": "hh_id", "家庭人口数": "size", "收入": "income"}).to_crs(
        3857
    ).to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(ImportFileError, match="no coordinate reference system"):
        open_reader(path)


def test_unknown_layer(tmp_path: Path) -> None:
    path = tmp_path / "hh.gpkg"
    _frame().to_file(path, layer="households")
    with pytest.raises(ImportFileError, match="no layer 'x'; layers: households"):
        open_reader(path, layer="x")
