"""What validation needs from the store: years, villages (codes, names, polygons), IDs in use."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from battlemap.geodata.datadir import read_manifest, read_table, require_data_dir
from battlemap.geodata.errors import DataDirError

__all__ = ["StoreContext"]


@dataclass
class StoreContext:
    """Read-only facts about the target data dir, loaded once per import."""

    years: tuple[int, ...]
    villages: pd.Index  # 12-digit village codes, level 5
    village_names: np.ndarray
    village_geoms: np.ndarray  # shapely polygons aligned with ``villages``
    hh_ids: pd.Index  # household IDs already in the store
    hh_villages: np.ndarray  # their village codes
    tolerance_m: float = 500.0
    insert_only: bool = False  # reject IDs already in the store instead of updating them
    manifest: dict = field(default_factory=dict)

    @classmethod
    def load(
        cls, data_dir: str | Path, *, tolerance_m: float = 500.0, insert_only: bool = False
    ) -> StoreContext:
        path = require_data_dir(data_dir)
        manifest = read_manifest(path)
        try:
            years = tuple(sorted(int(y) for y in manifest["years"]))
        except (KeyError, TypeError, ValueError):
            raise DataDirError(f"{path}/manifest.json has no valid 'years' list") from None
        regions = read_table(path, "regions", ["code", "level", "name", "geometry"], geo=True)
        villages = regions[regions["level"] == 5].sort_values("code")
        geoms = villages.geometry.to_numpy()
        shapely.prepare(geoms)
        households = read_table(path, "households", ["hh_id", "village_code"])
        ids = households["hh_id"].astype(str).to_numpy(dtype=object)
        return cls(
            years=years,
            villages=pd.Index(villages["code"].astype(str).to_numpy(dtype=object), dtype=object),
            village_names=villages["name"].to_numpy(dtype=object),
            village_geoms=geoms,
            hh_ids=pd.Index(ids, dtype=object),
            hh_villages=households["village_code"].astype(str).to_numpy(dtype=object),
            tolerance_m=tolerance_m,
            insert_only=insert_only,
            manifest=manifest,
        )

    @cached_property
    def hh_id_array(self) -> pa.Array:
        """The stored household IDs as Arrow strings (for Arrow's hash kernels)."""
        return pa.array(list(self.hh_ids), pa.large_string())

    @cached_property
    def village_codes(self) -> pa.Array:
        return pa.array(list(self.villages), pa.string())

    @cached_property
    def village_counties(self) -> np.ndarray:
        """County part (first 6 digits) of each village code, as integers."""
        return np.asarray([int(c[:6]) for c in self.villages], dtype=np.int64)

    @cached_property
    def hh_counties(self) -> np.ndarray:
        """County part of each stored household's village code, as integers."""
        counties = pc.utf8_slice_codeunits(pa.array(self.hh_villages, pa.string()), 0, 6)
        return pc.cast(counties, pa.int64()).to_numpy(zero_copy_only=False)

    @cached_property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the villages (built on first use: only for points outside)."""
        return shapely.STRtree(self.village_geoms)

    def village_label(self, index: int) -> str:
        return f"{self.villages[index]} {self.village_names[index]}"
