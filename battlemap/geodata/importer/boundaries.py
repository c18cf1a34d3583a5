"""``import_boundaries``: one level of region polygons into the data dir (and PostGIS).

Reads GeoJSON, GeoPackage, Shapefile (``.cpg`` or a guessed GBK/GB18030 DBF) or KML;
reprojects to EPSG:4326 (and from GCJ-02/BD-09 with ``crs``); repairs invalid polygons
(``make_valid``, polygonal parts kept) and reports which; checks every code (12 digits, or a
2/4/6/9-digit code padded with zeros, of the given level), that its parent exists (in the
store or the same file) and that no code repeats. Good rows are upserted by code; a new
data dir is created when ``data_dir`` holds none yet. Changed village polygons are checked
against the households already stored in them (:mod:`~battlemap.geodata.importer.recheck`):
those left outside are listed in ``FILE.households-outside.csv``.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from battlemap.geodata.boundaries import zone_of
from battlemap.geodata.codes import LEVEL_NAMES, InvalidCodeError, code_level, normalize_code
from battlemap.geodata.codes import parent_code as parent_of
from battlemap.geodata.datadir import (
    MANIFEST_FILE,
    check_files,
    holds_data,
    read_manifest,
    read_table,
)
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.importer.atomic import DataDirTransaction, database_check
from battlemap.geodata.importer.crs import CRS_NAMES, to_wgs84
from battlemap.geodata.importer.embedded_write import rebuild_aggregates
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.headers import normalize_header
from battlemap.geodata.importer.progress import Progress
from battlemap.geodata.importer.readers.gis import dbf_encoding, to_lonlat_transformer
from battlemap.geodata.importer.recheck import households_outside
from battlemap.geodata.importer.rejects import RejectsWriter, write_private_csv
from battlemap.geodata.importer.store_init import EMPTY_SCHEMAS, stage_empty_tables
from battlemap.geodata.importer.vocab import FLAG_VALUES, normalize_value
from battlemap.geodata.schema import EQUAL_AREA_CRS, REGION_TABLE_COLUMNS, TABLE_FILES, YEARS

__all__ = ["BOUNDARY_REASONS", "BoundaryReport", "import_boundaries"]

LEVELS: dict[str, int] = {name: level for level, name in LEVEL_NAMES.items() if level}
BOUNDARY_REASONS: dict[str, str] = {
    "missing_code": "no region code",
    "bad_code": "not a valid region code",
    "wrong_level": "code of another level",
    "missing_name": "no name",
    "bad_geometry": "missing or non-polygonal geometry",
    "duplicate_code": "code repeated in the file",
    "missing_parent": "parent region not in the store",
    "bad_coordinates": "vertex not a valid longitude/latitude",
    "outside_parent": "polygon not inside its parent region",
    "name_too_long": "name too long",
}
MAX_NAME_LENGTH = 50
# A region must lie inside its parent, give or take what two surveys of one border differ
# by: its bounding box within the parent's grown by PARENT_MARGIN_DEG (≈ 5 km), and at most
# PARENT_OUTSIDE_SHARE of its area outside the parent.
PARENT_MARGIN_DEG = 0.05
PARENT_OUTSIDE_SHARE = 0.05
CODE_FIELDS = (
    "code",
    "adcode",
    "区划代码",
    "行政区划代码",
    "统计用区划代码",
    "xzqdm",
    "qhdm",
    "xzqhdm",
    "gb",
    "pac",
    "dm",
    "admin_code",
    "village_code",
    "county_code",
)
NAME_FIELDS = (
    "name",
    "名称",
    "行政区划名称",
    "区划名称",
    "xzqmc",
    "qhmc",
    "mc",
    "村名",
    "乡镇名称",
    "县名",
    "admin_name",
)
REGION_ORDER = list(REGION_TABLE_COLUMNS)


@dataclass
class BoundaryReport:
    """What one boundary import read, repaired, rejected and changed."""

    file: str
    level: str
    features: int = 0
    loaded: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    repaired: list[str] = field(default_factory=list)
    regions: dict[str, int] = field(default_factory=dict)
    created_data_dir: bool = False
    stores: list[str] = field(default_factory=list)
    dry_run: bool = False
    rejects_file: str | None = None
    # stored households now more than the tolerance outside their changed village
    households_outside: int = 0
    households_outside_file: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pick_field(
    fields: list[str], given: str | None, candidates: tuple[str, ...], what: str
) -> str:
    if given:
        if given not in fields:
            raise ImportFileError(f"no field {given!r}; fields: {', '.join(fields)}")
        return given
    by_norm = {normalize_header(f): f for f in fields}
    for candidate in candidates:
        if normalize_header(candidate) in by_norm:
            return by_norm[normalize_header(candidate)]
    raise ImportFileError(
        f"cannot tell which field holds the {what}: pass --{what}-field (fields: "
        f"{', '.join(fields)})"
    )


def _code_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text or None


def _polygonal(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """MultiPolygon of the polygonal parts; None when there are none."""
    if geom is None or geom.is_empty:
        return None
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    polygons = [q for p in parts for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(polygons) if polygons else None


def _read(path: Path, encoding: str, layer: str | None, crs: str) -> gpd.GeoDataFrame:
    if not path.exists():
        raise ImportFileError(f"{path} does not exist")
    enc = None if encoding == "auto" else encoding
    if enc is None:
        enc = dbf_encoding(path)
    try:
        with warnings.catch_warnings():  # NaN vertices: rejected by name below, not warned
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(path, layer=layer, encoding=enc)
    except Exception as exc:  # GDAL errors come in several types
        raise ImportFileError(f"{path} cannot be read: {exc}") from None
    if frame.crs is None:
        to_lonlat_transformer(None, tuple(frame.total_bounds), path)  # raises unless degrees
        frame = frame.set_crs(4326)
    elif to_lonlat_transformer(frame.crs, None, path) is not None:
        frame = frame.to_crs(4326)
    else:
        frame = frame.set_crs(4326, allow_override=True)
    if crs != "wgs84":
        frame["geometry"] = shapely.transform(
            frame.geometry.to_numpy(), lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs))
        )
    return frame


def import_boundaries(
    path: str | Path,
    data_dir: str | Path,
    *,
    level: str,
    code_field: str | None = None,
    name_field: str | None = None,
    poverty_field: str | None = None,
    crs: str = "wgs84",
    encoding: str = "auto",
    layer: str | None = None,
    dsn: str | None = None,
    rejects: Path | None = None,
    dry_run: bool = False,
    tolerance_m: float = 500.0,
    progress: Progress | None = None,
) -> BoundaryReport:
    """Validate and upsert one level of boundaries; see the module docstring."""
    started = time.perf_counter()
    progress = progress or Progress(quiet=True)
    if level not in LEVELS:
        raise ImportFileError(f"unknown --level {level!r}: use {', '.join(LEVELS)}")
    if crs not in CRS_NAMES:
        raise ImportFileError(f"unknown --crs {crs!r}: use {', '.join(CRS_NAMES)}")
    path, data_dir = Path(path), Path(data_dir)
    want = LEVELS[level]
    frame = _read(path, encoding, layer, crs)
    fields = [c for c in frame.columns if c != "geometry"]
    code_col = _pick_field(fields, code_field, CODE_FIELDS, "code")
    name_col = _pick_field(fields, name_field, NAME_FIELDS, "name")
    if poverty_field and poverty_field not in fields:
        raise ImportFileError(f"no field {poverty_field!r}; fields: {', '.join(fields)}")
    report = BoundaryReport(file=str(path), level=level, features=len(frame), dry_run=dry_run)
    writer = RejectsWriter(
        rejects or path.with_name(path.name + ".rejects.csv"), [*fields, "geometry"]
    )
    progress.step(
        f"read {len(frame):,} features from {path.name}; code field {code_col}, "
        f"name field {name_col}"
    )

    with DataDirTransaction(
        data_dir, create=True, committed_in_database=database_check(dsn)
    ) as txn:
        exists = (data_dir / MANIFEST_FILE).exists()
        if exists:
            check_files(data_dir, read_manifest(data_dir)).raise_problems(data_dir)
        elif holds_data(data_dir):
            raise DataDirError(
                f"data dir {data_dir} holds data ({', '.join(holds_data(data_dir)[:3])}) but no "
                f"{MANIFEST_FILE}: restore it, or import into a new or empty dir"
            )
        existing = (
            read_table(data_dir, "regions", geo=True)
            if exists
            else gpd.GeoDataFrame({c: [] for c in REGION_ORDER[:-1]}, geometry=[], crs=4326)
        )
        known = set(existing["code"].astype(str))
        rows: list[dict[str, Any]] = []
        seen: dict[str, int] = {}
        geoms = frame.geometry.to_numpy()
        for i, record in enumerate(frame[fields].itertuples(index=False)):
            values = dict(zip(fields, record, strict=True))
            feature = i + 1
            reason, detail, code = _check_feature(values, code_col, name_col, geoms[i], want)
            if reason is None and code in seen:
                reason, detail = "duplicate_code", f"code {code} also in feature {seen[code]}"
            if reason is not None:
                writer.add(feature, reason, detail, _original(values, fields, geoms[i]))
                continue
            seen[code] = feature
            geom = geoms[i]
            if not shapely.is_valid(geom):
                geom = shapely.make_valid(geom)
                report.repaired.append(code)
            geom = _polygonal(geom)
            if geom is None:
                writer.add(
                    feature,
                    "bad_geometry",
                    "no polygon left after repair",
                    _original(values, fields, geoms[i]),
                )
                continue
            poverty = None
            if poverty_field:
                flag = values.get(poverty_field)
                poverty = FLAG_VALUES.get(normalize_value(str(flag))) if flag is not None else None
            rows.append(
                {
                    "code": code,
                    "name": str(values[name_col]).strip(),
                    "geometry": geom,
                    "poverty_flag": poverty,
                    "feature": feature,
                    "original": _original(values, fields, geoms[i]),
                }
            )
        batch_codes = {r["code"]: r["geometry"] for r in rows}
        stored_geoms = dict(zip(existing["code"].astype(str), existing.geometry, strict=True))
        good = []
        for row in rows:
            parent = parent_of(row["code"])
            if parent is not None and parent not in known and parent not in batch_codes:
                writer.add(
                    row["feature"],
                    "missing_parent",
                    f"parent {parent} of {row['code']} is not in the store: import the "
                    f"{LEVEL_NAMES[want - 1]} level first",
                    row["original"],
                )
                continue
            parent_geom = batch_codes.get(parent) if parent else None
            if parent_geom is None and parent is not None:
                parent_geom = stored_geoms.get(parent)
            outside = _outside_parent(row["geometry"], parent_geom) if parent_geom else None
            if outside:
                writer.add(
                    row["feature"],
                    "outside_parent",
                    f"{row['code']} is not inside its parent {parent}: {outside}",
                    row["original"],
                )
                continue
            good.append(row)
        report.loaded = len(good)
        report.rejected = writer.total
        report.reasons = writer.summary()
        if report.repaired:
            progress.step(
                f"repaired {len(report.repaired)} invalid geometries: "
                f"{', '.join(report.repaired[:10])}" + (" …" if len(report.repaired) > 10 else "")
            )
        merged, changes, updated = _merge(existing, good, want)
        report.regions = changes
        if exists and want == LEVELS["village"] and updated:
            _recheck(data_dir, path, merged, updated, tolerance_m, report, progress)
        report.created_data_dir = not exists
        report.stores = ["embedded"] + (["postgis"] if dsn else [])
        if not dry_run and (changes["inserted"] or changes["updated"] or not exists):
            _write(txn, merged, exists, dsn, progress)
    report.rejects_file = str(writer.finish()) if writer.total else None
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _recheck(
    data_dir: Path,
    path: Path,
    merged: gpd.GeoDataFrame,
    updated: list[str],
    tolerance_m: float,
    report: BoundaryReport,
    progress: Progress,
) -> None:
    """List the stored households the changed villages now leave outside (next to the file)."""
    villages = merged[merged["level"] == LEVELS["village"]].reset_index(drop=True)
    changed = villages[villages["code"].isin(updated)].reset_index(drop=True)
    outside = households_outside(data_dir, changed, villages, tolerance_m)
    report.households_outside = len(outside)
    target = path.with_name(path.name + ".households-outside.csv")
    if outside.empty:
        target.unlink(missing_ok=True)  # a list from an earlier import of this file is stale
        return
    write_private_csv(outside, target)
    report.households_outside_file = str(target)
    progress.step(
        f"{len(outside):,} stored households lie more than {tolerance_m:g} m outside their "
        f"changed village: listed in {target.name}; fix and import them again"
    )


def _check_feature(
    values: dict[str, Any], code_col: str, name_col: str, geom: Any, want: int
) -> tuple[str | None, str, str]:
    """(reason, detail, 12-digit code) of one feature; reason None when it is fine."""
    text = _code_text(values.get(code_col))
    if text is None:
        return "missing_code", f"no value in {code_col}", ""
    try:
        code = normalize_code(text)
    except InvalidCodeError as exc:
        return "bad_code", str(exc), ""
    have = code_level(code)
    if have != want:
        return (
            "wrong_level",
            f"{code} is a {LEVEL_NAMES[have]} code, not a {LEVEL_NAMES[want]}",
            code,
        )
    name = values.get(name_col)
    if name is None or not str(name).strip():
        return "missing_name", f"no value in {name_col}", code
    if len(str(name).strip()) > MAX_NAME_LENGTH:
        return (
            "name_too_long",
            f"{name_col} has {len(str(name).strip()):,} characters (at most {MAX_NAME_LENGTH})",
            code,
        )
    bad_vertex = _bad_vertex(geom)
    if bad_vertex:
        return "bad_coordinates", bad_vertex, code
    if (
        _polygonal(geom if geom is None or shapely.is_valid(geom) else shapely.make_valid(geom))
        is None
    ):
        return "bad_geometry", "missing, empty or not a polygon", code
    return None, "", code


def _bad_vertex(geom: shapely.Geometry | None) -> str | None:
    """Why a geometry's vertices are not WGS84 longitude/latitude; None when they are."""
    if geom is None:
        return None
    xy = shapely.get_coordinates(geom)
    if not len(xy):
        return None
    finite = np.isfinite(xy).all(axis=1)
    if not finite.all():
        x, y = xy[~finite][0]
        return f"vertex ({x:g}, {y:g}) is not a number"
    bad = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    if bad.any():
        x, y = xy[bad][0]
        return (
            f"vertex ({x:g}, {y:g}) is outside longitude −180…180 / latitude −90…90"
            f" ({int(bad.sum()):,} such vertices)"
        )
    return None


def _outside_parent(child: shapely.Geometry, parent: shapely.Geometry) -> str | None:
    """Why ``child`` is not inside ``parent`` (beyond the margins); None when it is."""
    cx0, cy0, cx1, cy1 = child.bounds
    px0, py0, px1, py1 = parent.bounds
    m = PARENT_MARGIN_DEG
    if cx0 < px0 - m or cy0 < py0 - m or cx1 > px1 + m or cy1 > py1 + m:
        return (
            f"its extent ({cx0:.3f}, {cy0:.3f})–({cx1:.3f}, {cy1:.3f}) reaches beyond its "
            f"parent's ({px0:.3f}, {py0:.3f})–({px1:.3f}, {py1:.3f}) by more than {m}°"
        )
    if shapely.contains(parent, child) or child.area == 0:
        return None
    outside = shapely.difference(child, parent).area / child.area
    if outside > PARENT_OUTSIDE_SHARE:
        return f"{outside:.0%} of its area lies outside its parent"
    return None


def _original(values: dict[str, Any], fields: list[str], geom: Any) -> list[str]:
    cells = ["" if values[f] is None else str(values[f]) for f in fields]
    return [*cells, "" if geom is None else shapely.to_wkt(geom, rounding_precision=-1)]


def _merge(
    existing: gpd.GeoDataFrame, rows: list[dict[str, Any]], level: int
) -> tuple[gpd.GeoDataFrame, dict[str, int], list[str]]:
    """Existing regions with ``rows`` upserted by code; change counts; the updated codes."""
    if not rows:
        return existing, {"inserted": 0, "updated": 0, "unchanged": 0}, []
    new = gpd.GeoDataFrame(
        {
            "code": [r["code"] for r in rows],
            "level": level,
            "name": [r["name"] for r in rows],
            "parent_code": [parent_of(r["code"]) for r in rows],
            "zone": [zone_of(r["code"]) for r in rows],
        },
        geometry=[r["geometry"] for r in rows],
        crs=4326,
    )
    old_by_code = existing.set_index(existing["code"].astype(str)) if len(existing) else None
    poverty = []
    for r in rows:
        if r["poverty_flag"] is not None:
            poverty.append(bool(r["poverty_flag"]))
        elif old_by_code is not None and r["code"] in old_by_code.index:
            poverty.append(bool(old_by_code.at[r["code"], "poverty_flag"]))
        else:
            poverty.append(False)
    new["poverty_flag"] = poverty
    new["area_km2"] = new.to_crs(EQUAL_AREA_CRS).area.to_numpy() / 1e6
    label = shapely.point_on_surface(new.geometry.to_numpy())
    new["label_lon"], new["label_lat"] = shapely.get_x(label), shapely.get_y(label)
    new = new[REGION_ORDER]
    inserted = unchanged = 0
    updated: list[str] = []
    for r in new.itertuples(index=False):
        if old_by_code is None or r.code not in old_by_code.index:
            inserted += 1
            continue
        old = old_by_code.loc[r.code]
        same = (
            old["name"] == r.name
            and bool(old["poverty_flag"]) == r.poverty_flag
            and shapely.equals_exact(old.geometry, r.geometry, tolerance=1e-9)
        )
        if same:
            unchanged += 1
        else:
            updated.append(r.code)
    keep = existing[~existing["code"].astype(str).isin(new["code"])] if len(existing) else None
    parts = [new] if keep is None or keep.empty else [keep[REGION_ORDER], new]
    merged = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=4326)
    merged = merged.sort_values("code", ignore_index=True)
    merged["level"] = merged["level"].astype("int64")
    merged["poverty_flag"] = merged["poverty_flag"].astype(bool)
    changes = {"inserted": inserted, "updated": len(updated), "unchanged": unchanged}
    return merged, changes, updated


def _write(
    txn: DataDirTransaction,
    regions: gpd.GeoDataFrame,
    exists: bool,
    dsn: str | None,
    progress: Progress,
) -> None:
    """Stage regions (+ empty tables and a manifest for a new data dir), aggregates, commit."""
    regions.to_parquet(txn.path(TABLE_FILES["regions"]), index=False, compression="zstd")
    if exists:
        manifest = json.loads((txn.data_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    else:
        stage_empty_tables(txn, list(EMPTY_SCHEMAS))
        manifest = {
            "synthetic": False,
            "years": list(YEARS),
            "counts": {
                "households": 0,
                "persons": 0,
                "household_years": 0,
                "relocations": 0,
                "labour_flows": 0,
            },
            "note": "Imported data (boundaries and households from files).",
        }
    manifest.setdefault("counts", {})["regions"] = {
        str(lv): int((regions["level"] == lv).sum()) for lv in range(1, 6)
    }
    txn.path(MANIFEST_FILE).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    progress.step("rebuilding aggregates.parquet")
    rebuild_aggregates(txn)
    if not dsn:
        txn.commit()
        return
    from battlemap.geodata.importer.postgis_write import PostgisUpsert, is_loaded, load_whole

    if not is_loaded(dsn):
        load_whole(dsn, txn, progress)
        txn.commit()
        return
    progress.step("PostGIS: upserting regions and rebuilding region_year_stats")
    pg = PostgisUpsert(dsn)
    try:
        pg.upsert_regions(txn.staging / TABLE_FILES["regions"])
        pg.finish(list(manifest["years"]), manifest)
        txn.commit(before=lambda: pg.commit(txn.import_id))
    finally:
        pg.close()
