"""GeoJSON, GeoPackage, Shapefile, KML (anything GDAL reads) via pyogrio's Arrow stream.

Attributes become text; point geometries are reprojected from the layer's CRS to EPSG:4326.
A Shapefile without a ``.cpg`` gets its DBF encoding guessed (UTF-8, else GBK/GB18030).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS, Transformer

from battlemap.geodata.importer.encoding import detect_bytes, normalize_encoding
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.readers import RawChunk

__all__ = ["GisReader", "dbf_encoding", "layer_crs", "to_lonlat_transformer"]

_DBF_SAMPLE = 1 << 20


def dbf_encoding(shp: Path) -> str | None:
    """Encoding of a Shapefile's DBF: None when a .cpg names it, else a guess from the bytes."""
    if shp.suffix.lower() != ".shp":
        return None
    if any(shp.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        raise ImportFileError(f"{shp}: the .dbf file next to it is missing")
    with open(dbf, "rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            raise ImportFileError(f"{dbf} is not a dBASE file")
        header_len = struct.unpack("<H", head[8:10])[0]
        descriptors = fh.read(max(header_len - 32, 0))
        records = fh.read(_DBF_SAMPLE)
    # field names (11 bytes per 32-byte descriptor) and the records are text; the rest is binary
    names = b" ".join(
        descriptors[i : i + 11].split(b"\0")[0] for i in range(0, len(descriptors) - 31, 32)
    )
    data = names + b" " + records.rstrip(b"\x1a")
    encoding = detect_bytes(data)
    return "utf-8" if encoding == "utf-8-sig" else encoding


def layer_crs(text: str | None) -> CRS | None:
    return CRS.from_user_input(text) if text else None


def to_lonlat_transformer(
    crs: CRS | None, bounds: tuple[float, ...] | None, path: Path
) -> Transformer | None:
    """Transformer to EPSG:4326 lon/lat; None when the data is already geographic WGS84-like.

    Geographic CGCS2000 (EPSG:4490) and WGS84 differ by centimetres: no transform. A layer
    without a CRS is accepted as lon/lat only if its bounds look like degrees.
    """
    if crs is None:
        if (
            bounds is not None
            and all(np.isfinite(bounds))
            and (-180 <= bounds[0] <= bounds[2] <= 180 and -90 <= bounds[1] <= bounds[3] <= 90)
        ):
            return None
        raise ImportFileError(
            f"{path} has no coordinate reference system and its coordinates are not degrees: "
            "add a .prj file or reproject it to EPSG:4326"
        )
    if (
        crs.is_geographic
        and crs.ellipsoid is not None
        and crs.ellipsoid.name
        in (
            "WGS 84",
            "GRS 1980",
            "CGCS2000",
        )
    ):
        return None
    return Transformer.from_crs(crs, 4326, always_xy=True)


class GisReader:
    """Streams one layer (``--sheet NAME`` picks it) as :class:`RawChunk` with points."""

    kind = "gis"

    def __init__(
        self,
        path: Path,
        *,
        encoding: str = "auto",
        layer: str | None = None,
        chunk_rows: int = 100_000,
    ) -> None:
        self.path = path
        self.chunk_rows = max(int(chunk_rows), 1)
        self.dbf = path.suffix.lower() == ".shp"
        try:
            layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        except Exception as exc:  # GDAL errors come in several types
            raise ImportFileError(f"{path} cannot be opened by GDAL: {exc}") from None
        if not layers:
            raise ImportFileError(f"{path} has no layers")
        if layer is not None and layer not in layers:
            raise ImportFileError(f"{path} has no layer {layer!r}; layers: {', '.join(layers)}")
        self.layer = layer or layers[0]
        if encoding != "auto" and self.dbf:
            self.encoding: str | None = normalize_encoding(encoding)
        else:
            self.encoding = dbf_encoding(path)
        try:
            info = pyogrio.read_info(
                path, layer=self.layer, encoding=self.encoding, force_total_bounds=True
            )
        except Exception as exc:
            raise ImportFileError(f"{path} cannot be read: {exc}") from None
        self.headers = [str(f) for f in info["fields"]]
        geometry_type = info.get("geometry_type")
        if geometry_type == "Unknown":  # mixed types in one layer (GeoJSON allows it)
            self._require_points(path)
        elif geometry_type not in (None, "None") and "Point" not in str(geometry_type):
            raise ImportFileError(
                f"{path} holds {geometry_type} geometries: a household file needs one Point "
                "per household (or 经度/纬度 columns and no geometry)"
            )
        self.has_geometry = geometry_type not in (None, "None")
        self.crs = layer_crs(info.get("crs"))
        bounds = info.get("total_bounds")
        self._transformer = (
            to_lonlat_transformer(self.crs, tuple(bounds) if bounds is not None else None, path)
            if self.has_geometry
            else None
        )
        self.description = f"{info.get('driver', 'GIS')} layer {self.layer}" + (
            f", {self.encoding}" if self.encoding else ""
        )

    def _require_points(self, path: Path) -> None:
        """ImportFileError naming the geometry types unless every feature is a point."""
        try:
            frame = pyogrio.read_dataframe(
                path, layer=self.layer, columns=[], encoding=self.encoding
            )
        except Exception as exc:  # GDAL errors come in several types
            raise ImportFileError(f"{path} cannot be read: {exc}") from None
        types = frame.geometry.geom_type.fillna("no geometry").value_counts()
        if set(types.index) <= {"Point", "MultiPoint"}:
            return
        counts = ", ".join(f"{name} {n:,}" for name, n in types.items())
        raise ImportFileError(
            f"{path} mixes geometry types ({counts}): a household file needs one Point per "
            "household; keep only the point features (or give 经度/纬度 columns)"
        )

    def original_headers(self) -> list[str]:
        return [*self.headers, "geometry"] if self.has_geometry else list(self.headers)

    def _points(self, wkb: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        original = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False), on_invalid="ignore")
        geoms = original
        kind = shapely.get_type_id(geoms)
        single = (kind == shapely.GeometryType.MULTIPOINT) & (
            shapely.get_num_geometries(geoms) == 1
        )
        geoms = np.where(single, shapely.get_geometry(geoms, 0), geoms)
        is_point = (shapely.get_type_id(geoms) == shapely.GeometryType.POINT) & ~shapely.is_empty(
            geoms
        )
        x = np.where(is_point, shapely.get_x(geoms), np.nan)
        y = np.where(is_point, shapely.get_y(geoms), np.nan)
        if self._transformer is not None:
            x, y = self._transformer.transform(x, y)
        return np.asarray(x, float), np.asarray(y, float), original

    def chunks(self) -> Iterator[RawChunk]:
        first = 1
        try:
            with pyogrio.raw.open_arrow(
                self.path,
                layer=self.layer,
                encoding=self.encoding,
                batch_size=self.chunk_rows,
                use_pyarrow=True,
                datetime_as_string=True,
            ) as (meta, reader):
                geometry_name = meta.get("geometry_name") or "wkb_geometry"
                for batch in reader:
                    n = batch.num_rows
                    columns = [_as_text(batch.column(name)) for name in self.headers]
                    chunk = RawChunk(
                        rows=np.arange(first, first + n, dtype=np.int64), columns=columns
                    )
                    if self.has_geometry and geometry_name in batch.schema.names:
                        chunk.lon, chunk.lat, chunk.geometry = self._points(
                            batch.column(geometry_name)
                        )
                    first += n
                    yield chunk
        except ImportFileError:
            raise
        except Exception as exc:
            if isinstance(exc, KeyboardInterrupt | GeneratorExit):
                raise
            raise ImportFileError(f"{self.path} cannot be read: {exc}") from None


def _as_text(array: pa.Array) -> pa.Array:
    """Any attribute type as text (whole floats without ``.0``), null stays null."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array.cast(pa.string())
    if pa.types.is_floating(array.type):
        values = array.to_numpy(zero_copy_only=False)
        whole = np.isfinite(values) & (np.mod(values, 1) == 0) & (np.abs(values) < 2**53)
        as_int = pc.cast(pa.array(np.where(whole, values, 0)).cast(pa.int64()), pa.string())
        return pc.if_else(pa.array(whole), as_int, pc.cast(array, pa.string()))
    if pa.types.is_boolean(array.type):
        return pc.if_else(array, "true", "false")
    return pc.cast(array, pa.string())
