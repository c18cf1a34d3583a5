"""Geodata exports: GeoPackage and GeoJSON of the view's map units (the children's
polygons) with their indicators, in EPSG:4326, which open in QGIS. The stamp goes into
the GeoJSON's top-level ``battlemap`` member and a GeoPackage ``stamp`` table."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from battlemap.exports.frames import children_frame
from battlemap.exports.registry import FormatInfo, register_format
from battlemap.exports.request import ExportRequest, ExportResult
from battlemap.exports.stamp import file_name, make_stamp

__all__ = ["children_geoframe", "render_geojson", "render_gpkg"]

GPKG_TYPE = "application/geopackage+sqlite3"
GEOJSON_TYPE = "application/geo+json"
LAYER = "regions"


def children_geoframe(request: ExportRequest) -> gpd.GeoDataFrame:
    """The children's indicators with their display polygons (EPSG:4326)."""
    access, state = request.access, request.state
    access.check_export(state.region)
    frame = children_frame(access, state)
    shapes = access.unit_shapes(state.region)
    features = json.loads(shapes.geojson)["features"]
    geoms = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in features}
    geometry = [geoms.get(code) for code in frame["code"]]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def render_geojson(request: ExportRequest) -> ExportResult:
    """A FeatureCollection (RFC 7946, WGS84) with the stamp as a ``battlemap`` member."""
    frame = children_geoframe(request)
    stamp = make_stamp(request.access, request.state, request.generated_at)
    collection = json.loads(frame.to_json(na="null", drop_id=True))
    collection["battlemap"] = stamp.as_dict()
    data = json.dumps(collection, ensure_ascii=False).encode("utf-8")
    name = file_name(stamp.region_code, stamp.year, stamp.indicator, "geojson")
    return ExportResult(data, name, GEOJSON_TYPE)


def render_gpkg(request: ExportRequest) -> ExportResult:
    """A GeoPackage: layer ``regions`` (polygons + indicators) and table ``stamp``."""
    frame = children_geoframe(request)
    stamp = make_stamp(request.access, request.state, request.generated_at)
    with tempfile.TemporaryDirectory(prefix="battlemap-gpkg-") as tmp:
        path = Path(tmp) / "export.gpkg"
        frame.to_file(path, layer=LAYER, driver="GPKG", engine="pyogrio")
        about = pd.DataFrame([{"key": k, "value": str(v)} for k, v in stamp.as_dict().items()])
        pyogrio.write_dataframe(about, path, layer="stamp", driver="GPKG")
        data = path.read_bytes()
    name = file_name(stamp.region_code, stamp.year, stamp.indicator, "gpkg")
    return ExportResult(data, name, GPKG_TYPE)


register_format("gpkg", render_gpkg, FormatInfo("gpkg", GPKG_TYPE))
register_format("geojson", render_geojson, FormatInfo("geojson", GEOJSON_TYPE))
