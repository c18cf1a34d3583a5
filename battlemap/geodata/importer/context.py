"""What validation needs from the store: years and villages (codes, names, polygons).

Stored households are not read here: they are checked part by part, when merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from battlemap.geodata.datadir import check_files, read_manifest, read_table, require_data_dir

__all__ = ["StoreContext"]


@dataclass
class StoreContext:
    """Read-only facts about the target data dir, loaded once per import."""

    years: tuple[int, ...]
    villages: pd.Index  # 12-digit village codes, level 5
    village_names: np.ndarray
    village_geoms: np.ndarray  # shapely polygons aligned with ``villages``
    tolerance_m: float = 500.0
    insert_only: bool = False  # reject IDs already in the store instead of updating them
    manifest: dict = field(default_factory=dict)

    @classmethod
    def load(
        cls, data_dir: str | Path, *, tolerance_m: float = 500.0, insert_only: bool = False
    ) -> StoreContext:
        path = require_data_dir(data_dir)
        manifest = read_manifest(path)
        check_files(path, manifest).raise_problems(path)  # never import into a damaged store
        years = tuple(sorted(int(y) for y in manifest["years"]))
        regions = read_table(path, "regions", ["code", "level", "name", "geometry"], geo=True)
        villages = regions[regions["level"] == 5].sort_values("code")
        geoms = villages.geometry.to_numpy()
        shapely.prepare(geoms)
        return cls(
            years=years,
            villages=pd.Index(villages["code"].astype(str).to_numpy(dtype=object), dtype=object),
            village_names=villages["name"].to_numpy(dtype=object),
            village_geoms=geoms,
            tolerance_m=tolerance_m,
            insert_only=insert_only,
            manifest=manifest,
        )

    @cached_property
    def village_codes(self) -> pa.Array:
        return pa.array(list(self.villages), pa.string())

    @cached_property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the villages (built on first use: only for points outside)."""
        return shapely.STRtree(self.village_geoms)

    def village_label(self, index: int) -> str:
        return f"{self.villages[index]} {self.village_names[index]}"
