"""Store tables from validated import rows: ``households`` and ``household_years`` (Arrow).

Household-year files: each household's attributes come from its latest-year row (sizes and
villages change over the years; the store keeps the current ones). Household files: the
yearly rows are derived from 识别年度 and 脱贫年度 — 未脱贫 before the exit year, 已脱贫 from
it on — and the income and yes/no columns describe the last year only (earlier years are
stored as not recorded: income null, flags false).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from battlemap.geodata.cells import h3_cells
from battlemap.geodata.importer.headers import FLAG_FIELDS, YEAR_MODE
from battlemap.geodata.schema import STATUS_EXITED, STATUS_POOR

__all__ = [
    "HOUSEHOLDS_SCHEMA",
    "HOUSEHOLD_YEARS_SCHEMA",
    "build_tables",
]

HOUSEHOLDS_SCHEMA = pa.schema(
    [
        ("hh_id", pa.large_string()),
        ("village_code", pa.large_string()),
        ("lon", pa.float64()),
        ("lat", pa.float64()),
        ("size", pa.int16()),
        ("hh_type", pa.large_string()),
        ("primary_cause", pa.large_string()),
        ("secondary_causes", pa.list_(pa.string())),
        ("registered_year", pa.int16()),
        ("h3_r7", pa.large_string()),
        ("h3_r9", pa.large_string()),
        ("head_name", pa.large_string()),
        ("geometry", pa.binary()),
    ]
)
HOUSEHOLD_YEARS_SCHEMA = pa.schema(
    [
        ("hh_id", pa.large_string()),
        ("year", pa.int16()),
        ("status", pa.large_string()),
        ("income_per_capita", pa.float64()),
        *((name, pa.bool_()) for name in FLAG_FIELDS),
    ]
)


def _households(rows: pa.Table) -> pa.Table:
    lon = rows["lon"].to_numpy()
    lat = rows["lat"].to_numpy()
    r7, r9 = h3_cells(lat, lon)
    return pa.table(
        {
            "hh_id": rows["hh_id"],
            "village_code": rows["village_code"],
            "lon": rows["lon"],
            "lat": rows["lat"],
            "size": rows["size"],
            "hh_type": rows["hh_type"],
            "primary_cause": rows["primary_cause"],
            "secondary_causes": rows["secondary_causes"],
            "registered_year": rows["registered_year"],
            "h3_r7": pa.array(r7, pa.string()),
            "h3_r9": pa.array(r9, pa.string()),
            "head_name": rows["head_name"],
            "geometry": pa.array(shapely.to_wkb(shapely.points(lon, lat)), pa.binary()),
        }
    ).cast(HOUSEHOLDS_SCHEMA)


def _latest_per_household(rows: pa.Table) -> np.ndarray:
    """Position of each household's latest-year row."""
    hh = rows["hh_id"].combine_chunks().dictionary_encode().indices.to_numpy(zero_copy_only=False)
    year = rows["year"].to_numpy()
    order = np.lexsort((year, hh))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = hh[order][1:] != hh[order][:-1]
    return np.sort(order[last])


def _derived_years(rows: pa.Table, last_year: int) -> pa.Table:
    """Yearly rows of one-row-per-household files: registration year to ``last_year``."""
    registered = rows["registered_year"].to_numpy().astype(np.int64)
    exit_year = pc.fill_null(rows["exit_year"], 32767).to_numpy().astype(np.int64)
    counts = np.maximum(last_year - registered + 1, 0)
    index = np.repeat(np.arange(rows.num_rows), counts)
    offset = np.arange(len(index)) - np.repeat(np.cumsum(counts) - counts, counts)
    year = registered[index] + offset
    latest = year == last_year
    status = np.where(year >= exit_year[index], STATUS_EXITED, STATUS_POOR)
    take = pa.array(index)
    income = pc.take(rows["income_per_capita"], take)
    columns = {
        "hh_id": pc.take(rows["hh_id"], take),
        "year": pa.array(year, pa.int16()),
        "status": pa.array(status, pa.string()),
        "income_per_capita": pc.if_else(pa.array(latest), income, pa.scalar(None, pa.float64())),
    }
    for name in FLAG_FIELDS:
        columns[name] = pc.and_(pc.take(rows[name], take), pa.array(latest))
    return pa.table(columns).cast(HOUSEHOLD_YEARS_SCHEMA)


def build_tables(rows: pa.Table, mode: str, last_year: int) -> tuple[pa.Table, pa.Table]:
    """(households, household_years) from the validated rows of one import."""
    if mode == YEAR_MODE:
        households = _households(rows.take(pa.array(_latest_per_household(rows))))
        years = rows.select(list(HOUSEHOLD_YEARS_SCHEMA.names)).cast(HOUSEHOLD_YEARS_SCHEMA)
    else:
        households = _households(rows)
        years = _derived_years(rows, last_year)
    return households, years
