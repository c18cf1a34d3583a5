"""What an import changes in every aggregate count, computed once from the rows it touches.

Every metric is a sum over household-years, and a row's contribution depends only on its
household, the row itself and the same household's previous year. So the counts of the
households an import does not touch stay exactly as they were, and

    new counts = stored counts − touched households' contributions before + after.

The same delta is added to the embedded cache (``aggregates.parquet``) and to PostGIS's
``region_year_stats``: both stores change by identical numbers, in time proportional to the
import rather than to the store. A cache that cannot take a delta (missing, stale, built
under other exit rules) is rebuilt in full instead; tests check that the incremental result
equals a full rebuild in both stores.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from battlemap.geodata import aggregate
from battlemap.geodata.datadir import AGGREGATES_FILE, read_table, write_table
from battlemap.geodata.embedded import cache_is_fresh
from battlemap.geodata.importer.keys import hh_ids
from battlemap.geodata.metrics import METRIC_NAMES, MetricSet, metric_set

__all__ = ["AggregateDelta", "DeltaCounter", "add_to_cache", "change_cache", "region_codes"]

BATCH_HOUSEHOLDS = 100_000
_NO_RURAL = pd.DataFrame({"code": pd.Series([], dtype=object), "year": [], "persons": []})


@dataclass(frozen=True)
class AggregateDelta:
    """Change of every count per (region, year): int64 [region, year, metric]."""

    codes: tuple[str, ...]
    years: tuple[int, ...]
    values: np.ndarray  # rural_population (column 0) is always zero
    digest: str  # the metric definitions it was computed under

    @cached_property
    def changed_rows(self) -> pa.Table:
        """``code``, ``year`` and every household metric, only the region-years that change."""
        flat = self.values.reshape(-1, self.values.shape[2])
        keep = np.flatnonzero(flat.any(axis=1))
        region, year = np.divmod(keep, len(self.years))
        columns = {
            "code": pa.array(np.asarray(self.codes, dtype=object)[region], pa.string()),
            "year": pa.array(np.asarray(self.years, dtype=np.int16)[year]),
        }
        for j, name in enumerate(METRIC_NAMES[1:], start=1):
            columns[name] = pa.array(flat[keep, j])
        return pa.table(columns)

    @cached_property
    def changed_csv(self) -> bytes:
        """:attr:`changed_rows` as header-less CSV (what PostGIS COPYs)."""
        sink = io.BytesIO()
        pacsv.write_csv(self.changed_rows, sink, pacsv.WriteOptions(include_header=False))
        return sink.getvalue()


def _frame(table: pa.Table, columns: list[str]) -> pd.DataFrame:
    return table.select([c for c in columns if c in table.schema.names]).to_pandas()


def _contributions(
    villages: list[str],
    years: tuple[int, ...],
    households: pa.Table,
    household_years: pa.Table,
    metrics: MetricSet,
) -> np.ndarray | int:
    """Per village, the counts these households' rows add up to (the store's own sums)."""
    if household_years.num_rows == 0:
        return 0
    return aggregate.village_values(
        villages,
        years,
        _frame(households, aggregate.HOUSEHOLD_YEAR_HH_COLUMNS),
        _frame(household_years, aggregate.HOUSEHOLD_YEAR_COLUMNS),
        _NO_RURAL,
        metrics,
    )


def _of(table: pa.Table, ids: pa.Array) -> pa.Table:
    if table.num_rows == 0 or len(ids) == 0:
        return table.slice(0, 0)
    return table.filter(pc.is_in(hh_ids(table), value_set=ids))


class DeltaCounter:
    """Sums the delta over the parts of one import (a part's households are added once)."""

    def __init__(
        self, regions_dir: Path, years: tuple[int, ...], metrics: MetricSet | None = None
    ) -> None:
        self.metrics = metrics or metric_set()
        self.years = years
        self.codes = region_codes(regions_dir)
        self.villages = aggregate.village_codes(self.codes)
        self.values = np.zeros((len(self.villages), len(years), len(METRIC_NAMES)), np.int64)

    def add(
        self, touched: pa.Array, before: tuple[pa.Table, pa.Table], after: tuple[pa.Table, pa.Table]
    ) -> None:
        """Count the ``touched`` households (large_string IDs) changing from ``before`` to
        ``after`` (each: households, household_years, any superset of their rows)."""
        # contributions add up per household: a batch at a time keeps memory bounded
        for start in range(0, len(touched), BATCH_HOUSEHOLDS):
            ids = touched[start : start + BATCH_HOUSEHOLDS]
            for sign, tables in ((1, after), (-1, before)):
                counts = _contributions(
                    self.villages, self.years, *(_of(t, ids) for t in tables), self.metrics
                )
                self.values += sign * counts

    def result(self) -> AggregateDelta:
        values = aggregate.roll_up(self.codes, self.villages, self.values)
        return AggregateDelta(self.codes, self.years, values, self.metrics.digest)


def region_codes(regions_dir: Path) -> tuple[str, ...]:
    """Every region code in RegionTree's order (by code), without building the tree."""
    return tuple(sorted(read_table(regions_dir, "regions", ["code"])["code"]))


def change_cache(
    data_dir: Path,
    staging: Path,
    codes: tuple[str, ...],
    years: tuple[int, ...],
    change: Callable[[np.ndarray], np.ndarray | None],
    digest: str | None = None,
) -> bool:
    """Write ``data_dir``'s cached aggregates, changed by ``change`` (values in, new values
    out, or None when they cannot take the change), into ``staging``. False (nothing
    written) when the cache must be rebuilt in full: missing, stale, unreadable, built for
    other regions or years, or under other rules than ``digest`` (None: the cache's own)."""
    if not cache_is_fresh(data_dir):
        return False
    try:
        frame = read_table(data_dir, AGGREGATES_FILE)
    except Exception:  # an unreadable cache is rebuilt
        return False
    digest = digest or frame.attrs.get(aggregate.DIGEST_ATTR)
    values = aggregate.from_frame(frame, codes, years, digest)
    changed = None if values is None else change(values)
    if changed is None:
        return False
    write_table(staging, AGGREGATES_FILE, aggregate.to_frame(codes, years, changed, digest))
    return True


def add_to_cache(data_dir: Path, staging: Path, delta: AggregateDelta) -> bool:
    """:func:`change_cache` adding ``delta`` (to a cache built under the delta's rules)."""

    def add(values: np.ndarray) -> np.ndarray | None:
        total = values + delta.values
        return None if (total < 0).any() else total  # the cache did not hold the tables

    return change_cache(data_dir, staging, delta.codes, delta.years, add, delta.digest)
