"""Pre-aggregation of the additive metrics per (region code, year) for the embedded store.

Household-years are summed per village with ``np.bincount`` and rolled up to every ancestor
by code prefix, so a query is an array lookup. The result is cached as ``aggregates.parquet``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from battlemap.geodata.codes import PREFIX_LENGTHS
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.metrics import (
    HOUSEHOLD_METRICS,
    METRIC_NAMES,
    STATUS_CODES,
    HouseholdYearArrays,
)
from battlemap.geodata.schema import CAUSES

__all__ = ["aggregate_tables", "from_frame", "roll_up", "to_frame", "village_sums"]


def village_sums(
    village: np.ndarray, year_index: np.ndarray, rows: HouseholdYearArrays, shape: tuple[int, int]
) -> np.ndarray:
    """Sum every household metric per (village index, year index): int64 [v, y, m]."""
    flat = village.astype(np.int64) * shape[1] + year_index
    size = shape[0] * shape[1]
    out = np.empty((size, len(HOUSEHOLD_METRICS)), dtype=np.int64)
    for j, metric in enumerate(HOUSEHOLD_METRICS):
        weight = np.asarray(metric.weight(rows), dtype=np.int64)
        out[:, j] = np.bincount(flat, weights=weight, minlength=size).round().astype(np.int64)
    return out.reshape(shape[0], shape[1], -1)


def roll_up(
    codes: Sequence[str], village_codes: Sequence[str], village_values: np.ndarray
) -> np.ndarray:
    """Sum village values [v, y, m] into every region of ``codes`` by code prefix.

    Returns [len(codes), y, m]; regions without villages are zero.
    """
    index = {code: i for i, code in enumerate(codes)}
    out = np.zeros((len(codes), *village_values.shape[1:]), dtype=np.int64)
    villages = pd.Index(village_codes)
    for length in PREFIX_LENGTHS.values():
        ancestors = villages.str[:length].str.ljust(12, "0")
        target = np.fromiter((index.get(a, -1) for a in ancestors), dtype=np.int64,
                             count=len(ancestors))
        if (target < 0).any():
            missing = ancestors[target < 0][0]
            raise DataDirError(f"village data refers to region {missing}, missing from regions")
        np.add.at(out, target, village_values)
    return out


def aggregate_tables(
    codes: Sequence[str],
    years: Sequence[int],
    households: pd.DataFrame,
    household_years: pd.DataFrame,
    rural_population: pd.DataFrame,
) -> np.ndarray:
    """[region, year, metric] sums from the DESIGN.md tables (as loaded from parquet)."""
    level5 = [c for c in codes if c[9:] != "000"]
    v_index = pd.Index(level5)
    hh_village = v_index.get_indexer(households["village_code"])
    if (hh_village < 0).any():
        bad = households["village_code"].to_numpy()[hh_village < 0][0]
        raise DataDirError(f"households.parquet: village_code {bad} is not a village in regions")
    row_hh = pd.Index(households["hh_id"]).get_indexer(household_years["hh_id"])
    if (row_hh < 0).any():
        bad = household_years["hh_id"].to_numpy()[row_hh < 0][0]
        raise DataDirError(f"household_years.parquet: hh_id {bad} is not in households")
    year_index = pd.Index(years).get_indexer(household_years["year"])
    cause_index = pd.Index(CAUSES).get_indexer(households["primary_cause"])
    status = household_years["status"].map(STATUS_CODES)
    if status.isna().any():
        bad = household_years["status"][status.isna()].iloc[0]
        raise DataDirError(f"household_years.parquet: unknown status {bad!r}")
    rows = HouseholdYearArrays(
        size=households["size"].to_numpy(np.int64)[row_hh],
        status=status.to_numpy(np.int8),
        cause=cause_index[row_hh],
    )
    values = village_sums(hh_village[row_hh], year_index, rows, (len(level5), len(years)))
    population = np.zeros((len(level5), len(years), 1), dtype=np.int64)
    rp_village = v_index.get_indexer(rural_population["code"])
    rp_year = pd.Index(years).get_indexer(rural_population["year"])
    ok = (rp_village >= 0) & (rp_year >= 0)
    np.add.at(population[:, :, 0], (rp_village[ok], rp_year[ok]),
              rural_population["persons"].to_numpy(np.int64)[ok])
    return roll_up(codes, level5, np.concatenate([population, values], axis=2))


def to_frame(codes: Sequence[str], years: Sequence[int], values: np.ndarray) -> pd.DataFrame:
    """Long table code, year, one column per metric (the aggregates.parquet layout)."""
    frame = pd.DataFrame(values.reshape(-1, values.shape[2]), columns=list(METRIC_NAMES))
    frame.insert(0, "year", np.tile(np.asarray(years, dtype=np.int16), len(codes)))
    frame.insert(0, "code", np.repeat(np.asarray(codes, dtype=object), len(years)))
    return frame


def from_frame(
    frame: pd.DataFrame, codes: Sequence[str], years: Sequence[int]
) -> np.ndarray | None:
    """The [region, year, metric] array back from :func:`to_frame`; None if it doesn't fit."""
    if list(frame.columns[2:]) != list(METRIC_NAMES) or len(frame) != len(codes) * len(years):
        return None
    if list(frame["code"].iloc[:: len(years)]) != list(codes):
        return None
    if list(frame["year"].iloc[: len(years)]) != list(years):
        return None
    return frame[list(METRIC_NAMES)].to_numpy(np.int64).reshape(len(codes), len(years), -1)
