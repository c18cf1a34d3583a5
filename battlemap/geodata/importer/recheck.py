"""Stored households checked against village boundaries that an import just changed.

A corrected village polygon can leave households the store already holds outside their
village. The boundary import does not move or drop them: it lists them (the same tolerance
and distance as the household import uses), so the county can fix their points or villages
and import the households again. The store is read one part at a time.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from battlemap.geodata.importer.validate import metres_outside
from battlemap.geodata.partitions import PARTITIONS, read_part, require_parts

__all__ = ["OUTSIDE_COLUMNS", "households_outside"]

OUTSIDE_COLUMNS = (
    "hh_id",
    "village_code",
    "village_name",
    "lon",
    "lat",
    "metres_outside",
    "lies_in",
)


def households_outside(
    data_dir: Path, changed: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, tolerance_m: float
) -> pd.DataFrame:
    """Stored households of the ``changed`` villages (code, name, new polygon) whose points
    lie more than ``tolerance_m`` outside them, with the village of ``villages`` (all of
    them, after the import) they lie in now, if any."""
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in OUTSIDE_COLUMNS})
    if changed.empty:
        return out
    require_parts(data_dir, "households")
    codes = pa.array(changed["code"].astype(str).tolist(), pa.large_string())
    polygons = changed.geometry.to_numpy()
    shapely.prepare(polygons)
    tree = shapely.STRtree(villages.geometry.to_numpy())
    records = []
    for part in range(PARTITIONS):
        rows = read_part(data_dir, "households", part, ["hh_id", "village_code", "lon", "lat"])
        village = pc.index_in(rows["village_code"].cast(pa.large_string()), value_set=codes)
        village = pc.fill_null(village, -1).to_numpy(zero_copy_only=False)
        mine = np.flatnonzero(village >= 0)
        if not len(mine):
            continue
        x, y = rows["lon"].to_numpy()[mine], rows["lat"].to_numpy()[mine]
        for k in np.flatnonzero(~shapely.contains_xy(polygons[village[mine]], x, y)).tolist():
            v = int(village[mine[k]])
            metres = metres_outside(polygons[v], x[k], y[k])
            if metres <= tolerance_m:
                continue
            hits = tree.query(shapely.Point(x[k], y[k]), predicate="within")
            records.append(
                {
                    "hh_id": rows["hh_id"][int(mine[k])].as_py(),
                    "village_code": codes[v].as_py(),
                    "village_name": changed["name"].iloc[v],
                    "lon": float(x[k]),
                    "lat": float(y[k]),
                    "metres_outside": round(metres, 1),
                    "lies_in": villages["code"].iloc[int(hits[0])] if len(hits) else "",
                }
            )
    if not records:
        return out
    return pd.DataFrame.from_records(records, columns=list(OUTSIDE_COLUMNS))
