"""The embedded store: parquet files in a data dir, pre-aggregated per code prefix and year.

Cold start reads the regions (without geometry) and the cached ``aggregates.parquet``; the
cache is rebuilt from the household tables when missing, stale or unreadable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from battlemap.geodata import aggregate
from battlemap.geodata.datadir import (
    AGGREGATES_FILE,
    read_manifest,
    read_table,
    require_data_dir,
    write_table,
)
from battlemap.geodata.embedded_features import EmbeddedFeatures
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.metrics import METRIC_NAMES
from battlemap.geodata.regions import REGION_COLUMNS, RegionTree
from battlemap.geodata.schema import TABLE_FILES
from battlemap.geodata.store import Counts, Store

__all__ = ["EmbeddedStore", "build_aggregates"]


def build_aggregates(data_dir: Path, tree: RegionTree, years: tuple[int, ...]) -> np.ndarray:
    """Recompute the [region, year, metric] array from the tables and cache it."""
    households = read_table(data_dir, "households", ["hh_id", "village_code", "size",
                                                     "primary_cause"])
    household_years = read_table(data_dir, "household_years", ["hh_id", "year", "status"])
    rural = read_table(data_dir, "rural_population")
    values = aggregate.aggregate_tables(tree.codes, years, households, household_years, rural)
    write_table(data_dir, AGGREGATES_FILE, aggregate.to_frame(tree.codes, years, values))
    return values


def _cache_is_fresh(data_dir: Path) -> bool:
    cache = data_dir / AGGREGATES_FILE
    if not cache.is_file():
        return False
    newest = max((data_dir / f).stat().st_mtime_ns for f in TABLE_FILES.values())
    return cache.stat().st_mtime_ns >= newest


class EmbeddedStore(EmbeddedFeatures, Store):
    """Counts from an in-memory int64 array [region, year, metric]."""

    def __init__(self, data_dir: str | Path | None) -> None:
        if data_dir is None:
            raise DataDirError("the embedded store needs --data-dir")
        self.data_dir = require_data_dir(data_dir)
        manifest = read_manifest(self.data_dir)
        self.manifest = manifest
        self.regions = RegionTree(read_table(self.data_dir, "regions", list(REGION_COLUMNS)))
        try:
            self.years = tuple(int(y) for y in manifest["years"])
        except (KeyError, TypeError, ValueError):
            raise DataDirError(f"{self.data_dir}/manifest.json has no valid 'years' list") from None
        values = None
        if _cache_is_fresh(self.data_dir):
            try:
                frame = read_table(self.data_dir, AGGREGATES_FILE)
                values = aggregate.from_frame(frame, self.regions.codes, self.years)
            except DataDirError:
                values = None
        if values is None:
            values = build_aggregates(self.data_dir, self.regions, self.years)
        self._values = values
        self._year_index = {y: i for i, y in enumerate(self.years)}

    def _counts(self, codes: list[str], year: int) -> dict[str, Counts]:
        rows = self._values[[self.regions.index[c] for c in codes], self._year_index[year]]
        return {
            code: dict(zip(METRIC_NAMES, row.tolist(), strict=True))
            for code, row in zip(codes, rows, strict=True)
        }
