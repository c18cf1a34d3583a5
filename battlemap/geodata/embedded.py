"""The embedded store: parquet files in a data dir, pre-aggregated per code prefix and year.

Opening first finishes or rolls back an interrupted import commit (:mod:`.journal`), then
checks every data file against the manifest's list (size and sha256: a missing, stray or
changed table file is refused by name, :func:`~battlemap.geodata.datadir.check_files`).
Cold start reads the regions (without geometry) and the cached ``aggregates.parquet``; the
cache is rebuilt from the household tables when missing, stale, changed, unreadable or built
under other exit rules (its metadata keeps the digest of the metric definitions), and its new
size and digest are recorded in the manifest.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from battlemap.geodata import aggregate
from battlemap.geodata.datadir import (
    AGGREGATES_FILE,
    check_files,
    file_entry,
    list_files,
    read_manifest,
    read_table,
    require_data_dir,
    seal_manifest,
    write_manifest,
    write_table,
)
from battlemap.geodata.embedded_cache import cached_bundle
from battlemap.geodata.embedded_features import EmbeddedFeatures
from battlemap.geodata.errors import DataDirError, one_line
from battlemap.geodata.journal import data_dir_lock, recover_on_open
from battlemap.geodata.metrics import METRIC_NAMES, MetricSet, metric_set
from battlemap.geodata.parquet_file import read_parquet
from battlemap.geodata.partitions import PARTITIONED_TABLES, table_files, table_schema
from battlemap.geodata.regions import REGION_COLUMNS, RegionTree
from battlemap.geodata.schema import OPTIONAL_TABLE_FILES, TABLE_FILES
from battlemap.geodata.store import Counts, CountyAssessment, Store
from battlemap.indicators.rules import ExitRules

__all__ = [
    "EmbeddedStore",
    "build_aggregates",
    "cache_is_fresh",
    "household_files",
    "present_columns",
    "read_frame",
]

log = logging.getLogger(__name__)


def present_columns(data_dir: Path, table: str, wanted: list[str]) -> list[str]:
    """The wanted columns the table's file has (older files may lack optional ones)."""
    names = set(table_schema(data_dir, table).names)
    return [c for c in wanted if c in names]


def household_files(data_dir: Path) -> list[tuple[Path, Path]]:
    """(households, household_years) file pairs holding the same households: the parts, or
    the two whole tables (an older single-file data dir)."""
    households, years = (table_files(data_dir, t) for t in PARTITIONED_TABLES)
    if len(households) == len(years):
        return list(zip(households, years, strict=True))
    return [(data_dir / TABLE_FILES["households"], data_dir / TABLE_FILES["household_years"])]


def read_frame(path: Path, columns: list[str]) -> pd.DataFrame:
    """Columns of one parquet file as a frame; a corrupt file raises DataDirError naming it."""
    return read_parquet(path, columns).to_pandas()


def build_aggregates(
    data_dir: Path,
    tree: RegionTree,
    years: tuple[int, ...],
    metrics: MetricSet | None = None,
    *,
    write: bool = True,
) -> np.ndarray:
    """Recompute the [region, year, metric] array from the tables and cache it (unless not
    ``write``), a part of the household tables at a time: memory follows a part, not the
    store."""
    metrics = metrics or metric_set()
    try:
        hh_columns = present_columns(data_dir, "households", aggregate.HOUSEHOLD_YEAR_HH_COLUMNS)
        hy_columns = present_columns(data_dir, "household_years", aggregate.HOUSEHOLD_YEAR_COLUMNS)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise DataDirError(
            f"{data_dir}: household tables are unreadable: {one_line(exc)}"
        ) from None
    villages = aggregate.village_codes(tree.codes)
    rural = read_table(data_dir, "rural_population")
    sums = np.zeros((len(villages), len(years), len(METRIC_NAMES)), dtype=np.int64)
    sums[:, :, 0] = aggregate.village_population(villages, years, rural)
    # a household's rows all lie in one part: the parts' sums add up to the store's
    for hh_file, hy_file in household_files(data_dir):
        households = read_frame(hh_file, hh_columns)
        household_years = read_frame(hy_file, hy_columns)
        if len(household_years):
            sums += aggregate.village_values(
                villages, years, households, household_years, rural.iloc[:0], metrics
            )
    values = aggregate.roll_up(tree.codes, villages, sums)
    if write:
        write_cache(data_dir, tree, years, values, metrics)
    return values


def write_cache(
    data_dir: Path, tree: RegionTree, years: tuple[int, ...], values: np.ndarray, metrics: MetricSet
) -> None:
    """Write ``aggregates.parquet`` from the [region, year, metric] array."""
    write_table(
        data_dir, AGGREGATES_FILE, aggregate.to_frame(tree.codes, years, values, metrics.digest)
    )


def cache_is_fresh(data_dir: Path) -> bool:
    """True when ``aggregates.parquet`` is newer than every table (it may still be built
    under other rules: :func:`aggregate.from_frame` checks the digest)."""
    cache = data_dir / AGGREGATES_FILE
    if not cache.is_file():
        return False
    files = [data_dir / f for t, f in TABLE_FILES.items() if t not in PARTITIONED_TABLES]
    files += [f for t in PARTITIONED_TABLES for f in table_files(data_dir, t)]
    newest = max(f.stat().st_mtime_ns for f in files)
    return cache.stat().st_mtime_ns >= newest


class EmbeddedStore(EmbeddedFeatures, Store):
    """Counts from an in-memory int64 array [region, year, metric]."""

    def __init__(self, data_dir: str | Path | None, *, rules: ExitRules | None = None) -> None:
        if data_dir is None:
            raise DataDirError("the embedded store needs --data-dir")
        self.data_dir = require_data_dir(data_dir)
        recover_on_open(self.data_dir)
        manifest = read_manifest(self.data_dir)
        files = check_files(self.data_dir, manifest)
        files.raise_problems(self.data_dir)
        self.manifest = manifest
        self.regions = RegionTree(read_table(self.data_dir, "regions", list(REGION_COLUMNS)))
        self.years = tuple(int(y) for y in manifest["years"])
        self.metrics = metric_set(rules)
        self.metrics.rules.check_years(self.years)
        fresh = files.cache_ok and cache_is_fresh(self.data_dir)

        def build() -> dict[str, np.ndarray]:
            values = None
            if fresh:
                try:
                    frame = read_table(self.data_dir, AGGREGATES_FILE)
                    values = aggregate.from_frame(
                        frame, self.regions.codes, self.years, self.metrics.digest
                    )
                except DataDirError:
                    values = None
            rebuilt = values is None
            if values is None:
                values = build_aggregates(
                    self.data_dir, self.regions, self.years, self.metrics, write=False
                )
            if rebuilt or not files.listed:
                self._save(values if rebuilt else None)
            return {"values": values}

        # a valid aggregates.parquet is also kept memory-mapped (shared by the workers)
        entry = (manifest.get("files") or {}).get(AGGREGATES_FILE) or {}
        parts = (str(manifest.get("version") or ""), self.metrics.digest)
        parts += (str(entry.get("sha256") or ""),)
        bundle = cached_bundle("aggregates", parts if fresh else ("",), build, source=self.data_dir)
        self._values = bundle["values"]
        self._year_index = {y: i for i, y in enumerate(self.years)}
        self._assessment_rows: dict[tuple[str, int], CountyAssessment] | None = None

    def _save(self, values: np.ndarray | None) -> None:
        """Write a rebuilt cache and record it (or, in an older data dir, every data file)
        in the manifest; skipped while an import holds the data dir or when it changed."""
        try:
            with data_dir_lock(self.data_dir) as held:
                manifest = read_manifest(self.data_dir)
                if not held or manifest.get("version") != self.manifest.get("version"):
                    return  # an import is running or committed meanwhile: it owns the cache
                if values is not None:
                    write_cache(self.data_dir, self.regions, self.years, values, self.metrics)
                entries = manifest.get("files")
                if isinstance(entries, dict):
                    entries = dict(entries)
                    entries[AGGREGATES_FILE] = file_entry(self.data_dir / AGGREGATES_FILE)
                else:
                    entries = list_files(self.data_dir)
                    log.warning(
                        "%s: manifest.json had no file list (an older data dir): recorded the "
                        "sizes and digests of its %d data files",
                        self.data_dir,
                        len(entries),
                    )
                self.manifest = seal_manifest(manifest, entries)
                write_manifest(self.data_dir, self.manifest)
        except OSError as exc:  # a read-only data dir: serve from memory
            log.warning("%s: cannot record the aggregates cache: %s", self.data_dir, exc)

    def _assessments(self, codes: list[str], year: int) -> dict[str, CountyAssessment]:
        if self._assessment_rows is None:
            self._assessment_rows = _read_assessments(self.data_dir)
        rows = self._assessment_rows
        return {c: rows[(c, year)] for c in codes if (c, year) in rows}

    def _counts(self, codes: list[str], year: int) -> dict[str, Counts]:
        rows = self._values[[self.regions.index[c] for c in codes], self._year_index[year]]
        return {
            code: dict(zip(METRIC_NAMES, row.tolist(), strict=True))
            for code, row in zip(codes, rows, strict=True)
        }


def _optional_pct(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _read_assessments(data_dir: Path) -> dict[tuple[str, int], CountyAssessment]:
    """county_assessments.parquet by (code, year); empty when the data dir has none."""
    if not (data_dir / OPTIONAL_TABLE_FILES["county_assessments"]).is_file():
        return {}
    frame = read_table(data_dir, "county_assessments")
    missing = {"code", "year", "satisfaction_pct", "missed_registration_pct"} - set(frame)
    if missing:
        raise DataDirError(
            f"{data_dir}/county_assessments.parquet lacks column(s) {', '.join(sorted(missing))}"
        )
    return {
        (str(code), int(year)): CountyAssessment(
            str(code), int(year), _optional_pct(sat), _optional_pct(missed)
        )
        for code, year, sat, missed in zip(
            frame["code"],
            frame["year"],
            frame["satisfaction_pct"],
            frame["missed_registration_pct"],
            strict=True,
        )
    }
