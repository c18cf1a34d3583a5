"""Map features both stores serve: unit boundaries, household points, H3 hexbins, flows.

Engines fetch raw rows (:class:`UnitRows`, frames with the column sets below); everything
after the fetch — simplification, GeoJSON, H3 parents, grouping — happens here, once, so both
engines give byte-identical answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import h3
import numpy as np
import pandas as pd
import shapely

from battlemap.geodata.codes import PREFIX_LENGTHS, code_level
from battlemap.indicators.metric_names import met_column
from battlemap.indicators.rules import GUARANTEES

__all__ = [
    "HEXBIN_COLUMNS",
    "HEX_RESOLUTION",
    "HOUSEHOLD_COLUMNS",
    "LABOUR_COLUMNS",
    "MET_COLUMNS",
    "RELOCATION_COLUMNS",
    "RegionShapes",
    "UnitRows",
    "build_shapes",
    "code_range",
    "hex_parents",
    "hexbins_from_cells",
    "met_column",
    "object_frame",
    "origin_prefix_length",
]


# One boolean per guarantee, in GUARANTEES order: what a radar-axis filter narrows rows by.
MET_COLUMNS: tuple[str, ...] = tuple(met_column(g) for g in GUARANTEES)
# Household points: one row per household registered in the year, ordered by village, hh_id.
HOUSEHOLD_COLUMNS: tuple[str, ...] = (
    "hh_id",
    "village_code",
    "lon",
    "lat",
    "size",
    "hh_type",
    "primary_cause",
    "status",
    "head_name",
    *MET_COLUMNS,
)
# Poor households/persons per H3 cell (cells without poor households are left out).
HEXBIN_COLUMNS: tuple[str, ...] = ("cell", "poor_households", "poor_persons")
# Relocations (cumulative up to the year) from each unit of the region to each site.
RELOCATION_COLUMNS: tuple[str, ...] = (
    "origin_code",
    "site_code",
    "site_lon",
    "site_lat",
    "households",
    "persons",
)
# Labour outflow in the year from each unit of the region to each destination city.
LABOUR_COLUMNS: tuple[str, ...] = (
    "origin_code",
    "destination_name",
    "dest_lon",
    "dest_lat",
    "persons",
)

# H3 resolution of the hexbin layer by the level of the region in view (≈ 300–800 cells).
# (level 0: the national root of a multi-province data set)
HEX_RESOLUTION: dict[int, int] = {0: 4, 1: 5, 2: 6, 3: 7, 4: 8, 5: 9}
# Coverage simplification tolerance (degrees) and coordinate grid by the units' level.
SIMPLIFY_TOLERANCE: dict[int, float] = {
    0: 0.02, 1: 0.01, 2: 0.005, 3: 0.002, 4: 0.0007, 5: 0.0002
}  # fmt: skip
COORD_GRID: dict[int, float] = {0: 1e-4, 1: 1e-4, 2: 1e-4, 3: 1e-4, 4: 1e-5, 5: 1e-5}


def object_frame(columns: dict[str, Any]) -> pd.DataFrame:
    """A DataFrame keeping text columns as plain ``object`` (pandas 3 would infer Arrow
    strings, slow to build and slow to read back as numpy for a few hundred rows)."""
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object) if _is_text(values) else pd.Series(values)
            for name, values in columns.items()
        },
        copy=False,
    )


def _is_text(values: Any) -> bool:
    array = np.asarray(values)
    return array.dtype == object or array.dtype.kind in "US"


def code_range(code: str) -> tuple[str, str]:
    """First and last 12-digit code under a region (inclusive), for range scans.

    >>> code_range("520102000000")
    ('520102000000', '520102999999')
    """
    prefix = code[: PREFIX_LENGTHS[code_level(code)]]
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


def origin_prefix_length(code: str) -> int:
    """Digits identifying the region's units (children; the region itself for a village)."""
    return PREFIX_LENGTHS[min(code_level(code) + 1, 5)]


@dataclass(frozen=True)
class UnitRows:
    """Raw rows of a region's map units as an engine fetched them (ordered by code)."""

    codes: list[str]
    names: list[str]
    label_lon: list[float]
    label_lat: list[float]
    wkb: list[bytes]


@dataclass(frozen=True)
class RegionShapes:
    """Display boundaries of a region's map units, ready to send once and cache.

    ``geojson`` is a FeatureCollection (UTF-8 bytes) whose feature ``id`` is the unit code.
    """

    code: str
    level: int
    codes: tuple[str, ...]
    names: tuple[str, ...]
    label_lon: tuple[float, ...]
    label_lat: tuple[float, ...]
    bounds: tuple[float, float, float, float]
    geojson: bytes

    @property
    def labels(self) -> dict[str, tuple[float, float]]:
        """Label point (lon, lat) of each unit code."""
        return {
            c: (x, y) for c, x, y in zip(self.codes, self.label_lon, self.label_lat, strict=True)
        }


def _simplify(geoms: np.ndarray, level: int) -> np.ndarray:
    """Coverage simplification (shared edges stay shared); per-polygon if not a coverage."""
    tolerance = SIMPLIFY_TOLERANCE[level]
    try:
        out = shapely.coverage_simplify(geoms, tolerance)
    except shapely.errors.GEOSException:
        out = shapely.simplify(geoms, tolerance, preserve_topology=True)
    empty = shapely.is_empty(out)
    out[empty] = geoms[empty]
    return shapely.set_precision(out, COORD_GRID[level], mode="pointwise")


def _feature_collection(codes: list[str], names: list[str], geoms: np.ndarray) -> bytes:
    parts = [
        '{"type":"Feature","id":"'
        + code
        + '","properties":{"name":'
        + json.dumps(name, ensure_ascii=False)
        + '},"geometry":'
        + geom
        + "}"
        for code, name, geom in zip(codes, names, shapely.to_geojson(geoms), strict=True)
    ]
    return ('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}").encode()


def build_shapes(code: str, rows: UnitRows) -> RegionShapes:
    """Simplify, round and serialise one region's units (identical for every engine)."""
    order = np.argsort(np.asarray(rows.codes, dtype=object), kind="stable")
    codes = [rows.codes[i] for i in order]
    names = [rows.names[i] for i in order]
    geoms = shapely.from_wkb(np.asarray([rows.wkb[i] for i in order], dtype=object))
    level = code_level(codes[0]) if codes else code_level(code)
    geoms = _simplify(geoms, level) if len(geoms) else geoms
    bounds = (
        tuple(float(v) for v in shapely.total_bounds(geoms)) if len(geoms) else (0.0, 0.0, 0.0, 0.0)
    )
    return RegionShapes(
        code=code,
        level=level,
        codes=tuple(codes),
        names=tuple(names),
        label_lon=tuple(round(float(rows.label_lon[i]), 5) for i in order),
        label_lat=tuple(round(float(rows.label_lat[i]), 5) for i in order),
        bounds=bounds,  # type: ignore[arg-type]
        geojson=_feature_collection(codes, names, geoms),
    )


@lru_cache(maxsize=200_000)
def _parent(cell: str, resolution: int) -> str:
    if h3.get_resolution(cell) == resolution:
        return cell
    return h3.cell_to_parent(cell, resolution)


def hex_parents(cells: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cells (strings) mapped to their parent at ``resolution`` (same cell if equal)."""
    return np.asarray([_parent(c, resolution) for c in cells], dtype=object)


def hexbins_from_cells(
    cells: np.ndarray, poor_households: np.ndarray, poor_persons: np.ndarray, resolution: int
) -> pd.DataFrame:
    """Sum per-cell counts (unique cells at any finer resolution) into ``resolution`` cells.

    Rows with zero poor households are dropped; the result is ordered by cell.
    """
    frame = pd.DataFrame(
        {
            "cell": hex_parents(cells, resolution),
            "poor_households": np.asarray(poor_households, dtype=np.int64),
            "poor_persons": np.asarray(poor_persons, dtype=np.int64),
        }
    )
    out = frame.groupby("cell", sort=True, as_index=False)[["poor_households", "poor_persons"]]
    out = out.sum()
    out = out[out["poor_households"] > 0].reset_index(drop=True)
    out["cell"] = out["cell"].astype(object)
    return out[list(HEXBIN_COLUMNS)]
