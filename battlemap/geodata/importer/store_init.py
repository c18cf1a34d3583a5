"""An empty data dir: regions (and optionally the rural population), no households yet.

Every table file exists with the generator's column types, so the embedded store opens it
and imports append to it. ``battlemap import boundaries`` creates one on first use.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from battlemap.geodata.datadir import MANIFEST_FILE, holds_data
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.importer.atomic import DataDirTransaction
from battlemap.geodata.importer.tables import HOUSEHOLD_YEARS_SCHEMA, HOUSEHOLDS_SCHEMA
from battlemap.geodata.partitions import (
    PARTITIONED_TABLES,
    PARTITIONS,
    part_name,
    point_geo_metadata,
)
from battlemap.geodata.schema import TABLE_FILES, YEARS

__all__ = ["EMPTY_SCHEMAS", "empty_store", "stage_empty_tables"]

EMPTY_SCHEMAS: dict[str, pa.Schema] = {
    "households": HOUSEHOLDS_SCHEMA,
    "household_years": HOUSEHOLD_YEARS_SCHEMA,
    "relocations": pa.schema([
        ("hh_id", pa.large_string()), ("year", pa.int16()),
        ("from_village_code", pa.large_string()), ("to_site_code", pa.large_string()),
        ("to_lon", pa.float64()), ("to_lat", pa.float64()), ("persons", pa.int16()),
    ]),
    "labour_flows": pa.schema([
        ("origin_county_code", pa.large_string()), ("year", pa.int64()),
        ("destination_name", pa.large_string()), ("dest_lon", pa.float64()),
        ("dest_lat", pa.float64()), ("persons", pa.int64()),
    ]),
    "rural_population": pa.schema([
        ("code", pa.large_string()), ("year", pa.int16()), ("persons", pa.int64()),
    ]),
}  # fmt: skip


def stage_empty_tables(txn: DataDirTransaction, tables: Sequence[str]) -> None:
    """Stage empty tables (household tables as empty part files) for a new data dir."""
    for name in tables:
        schema = EMPTY_SCHEMAS[name]
        if name == "households":
            schema = schema.with_metadata({b"geo": point_geo_metadata()})
        if name in PARTITIONED_TABLES:
            names = [part_name(name, p) for p in range(PARTITIONS)]
        else:
            names = [TABLE_FILES[name]]
        for file in names:
            pq.write_table(schema.empty_table(), txn.path(file), compression="zstd")


def empty_store(
    data_dir: str | Path,
    regions: gpd.GeoDataFrame,
    *,
    rural_population: pd.DataFrame | None = None,
    years: Sequence[int] = YEARS,
    note: str = "Imported data (boundaries and households from files).",
) -> Path:
    """Create a data dir holding only ``regions`` (and the rural population, if given)."""
    path = Path(data_dir)
    if (path / MANIFEST_FILE).exists():
        raise DataDirError(f"{path} already holds a data set (manifest.json exists)")
    if holds_data(path):
        raise DataDirError(
            f"{path} holds data ({', '.join(holds_data(path)[:3])}) but no manifest.json: "
            "restore it, or create the store in a new or empty dir"
        )
    with DataDirTransaction(path, create=True) as txn:
        regions.to_parquet(txn.path(TABLE_FILES["regions"]), index=False, compression="zstd")
        empty = [t for t in EMPTY_SCHEMAS if t != "rural_population" or rural_population is None]
        stage_empty_tables(txn, empty)
        if rural_population is not None:
            frame = pd.DataFrame(
                {
                    "code": rural_population["code"].astype(str),
                    "year": rural_population["year"].astype("int16"),
                    "persons": rural_population["persons"].astype("int64"),
                }
            )
            frame.to_parquet(
                txn.path(TABLE_FILES["rural_population"]), index=False, compression="zstd"
            )
        manifest: dict[str, Any] = {
            "synthetic": False,
            "years": [int(y) for y in years],
            "counts": {
                "regions": {str(lv): int((regions["level"] == lv).sum()) for lv in range(1, 6)},
                "households": 0,
                "persons": 0,
                "household_years": 0,
                "relocations": 0,
                "labour_flows": 0,
            },
            "note": note,
        }
        txn.path(MANIFEST_FILE).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        from battlemap.geodata.importer.embedded_write import rebuild_aggregates

        rebuild_aggregates(txn)
        txn.commit()
    return path
