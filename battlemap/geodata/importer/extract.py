"""A data dir's households as import rows (one per household-year): the import format's inverse.

Used to produce round-trip and benchmark files; it also shows the format by example.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from battlemap.geodata.datadir import read_table
from battlemap.geodata.importer.crs import wgs84_to_bd09, wgs84_to_gcj02
from battlemap.geodata.importer.headers import FIELD_BY_NAME, FLAG_FIELDS

__all__ = ["EXPORT_COLUMNS", "import_rows"]

EXPORT_COLUMNS: tuple[str, ...] = (
    "hh_id", "head_name", "village_code", "lon", "lat", "size", "hh_type", "primary_cause",
    "secondary_causes", "registered_year", "year", "status", "income_per_capita", *FLAG_FIELDS,
)  # fmt: skip


def import_rows(
    data_dir: str | Path,
    *,
    prefix: str = "",
    chinese: bool = False,
    crs: str = "wgs84",
    flags_as_text: bool = True,
) -> pd.DataFrame:
    """Household-year rows of the households whose village code starts with ``prefix``.

    ``chinese`` uses the Chinese headers; ``crs`` gcj02/bd09 converts the points;
    ``flags_as_text`` writes 是/否 instead of booleans. Coordinates are rounded to 6 decimals.
    """
    path = Path(data_dir)
    hh = read_table(path, "households")
    hh = hh.drop(columns=[c for c in ("geometry", "h3_r7", "h3_r9") if c in hh.columns])
    if prefix:
        hh = hh[hh["village_code"].str.startswith(prefix)]
    years = read_table(path, "household_years")
    years = years[years["hh_id"].isin(hh["hh_id"])]
    rows = years.merge(hh, on="hh_id", how="left", validate="many_to_one")
    rows = rows.sort_values(["hh_id", "year"], ignore_index=True)
    lon, lat = rows["lon"].to_numpy(float), rows["lat"].to_numpy(float)
    if crs == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    elif crs == "bd09":
        lon, lat = wgs84_to_bd09(lon, lat)
    elif crs != "wgs84":
        raise ValueError(f"unknown crs {crs!r}")
    # GCJ/BD values need 9 decimals so that converting back rounds to the same 6 decimals.
    digits = 6 if crs == "wgs84" else 9
    rows["lon"], rows["lat"] = np.round(lon, digits), np.round(lat, digits)
    rows["secondary_causes"] = [";".join(s) for s in rows["secondary_causes"]]
    rows["status"] = rows["status"].astype(str)
    if flags_as_text:
        for name in FLAG_FIELDS:
            rows[name] = np.where(rows[name].to_numpy(bool), "是", "否")
    rows["income_per_capita"] = rows["income_per_capita"].round(2)
    out = rows[list(EXPORT_COLUMNS)]
    if chinese:
        out = out.rename(columns={c: FIELD_BY_NAME[c].label for c in EXPORT_COLUMNS})
    return out
