"""Pre-aggregation of the additive metrics per (region code, year) for the embedded store.

Household-years are summed per village with ``np.bincount`` and rolled up to every ancestor
by code prefix, so a query is an array lookup. The result is cached as ``aggregates.parquet``
with the digest of the metric definitions (and so of the exit rules) in its metadata.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from battlemap.geodata.codes import NATIONAL_CODE, PREFIX_LENGTHS
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.metrics import (
    METRIC_NAMES,
    NO_STATUS,
    STATUS_CODES,
    HouseholdYearArrays,
    MetricSet,
    metric_set,
)
from battlemap.geodata.schema import CAUSES, HH_TYPES
from battlemap.indicators.household import FLAG_COLUMNS
from battlemap.indicators.warning import cause_mask

__all__ = [
    "DIGEST_ATTR",
    "HOUSEHOLD_YEAR_COLUMNS",
    "HOUSEHOLD_YEAR_HH_COLUMNS",
    "aggregate_tables",
    "from_frame",
    "household_year_arrays",
    "roll_up",
    "to_frame",
    "village_codes",
    "village_sums",
    "village_values",
]

# Columns the metrics read from households and household_years.
HOUSEHOLD_YEAR_HH_COLUMNS = [
    "hh_id",
    "village_code",
    "size",
    "hh_type",
    "primary_cause",
    "secondary_causes",
]
HOUSEHOLD_YEAR_COLUMNS = ["hh_id", "year", "status", "income_per_capita", *FLAG_COLUMNS.values()]


def village_sums(
    village: np.ndarray,
    year_index: np.ndarray,
    rows: HouseholdYearArrays,
    shape: tuple[int, int],
    metrics: MetricSet | None = None,
) -> np.ndarray:
    """Sum every household metric per (village index, year index): int64 [v, y, m]."""
    metrics = metrics or metric_set()
    flat = village.astype(np.int64) * shape[1] + year_index
    size = shape[0] * shape[1]
    persons = rows.size.astype(np.float64)
    out = np.empty((size, len(metrics.metrics)), dtype=np.int64)
    selected: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # households/persons share rows
    for j, metric in enumerate(metrics.metrics):
        if metric.condition not in selected:
            mask = np.asarray(metric.mask(rows), dtype=bool)
            selected = {metric.condition: (flat[mask], mask)}
        where, mask = selected[metric.condition]
        if metric.persons:
            sums = np.bincount(where, weights=persons[mask], minlength=size).round()
        else:
            sums = np.bincount(where, minlength=size)
        out[:, j] = sums.astype(np.int64)
    return out.reshape(shape[0], shape[1], -1)


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    series = frame[column]
    if series.dtype == bool:
        return series.to_numpy()
    return series.astype("boolean").fillna(False).to_numpy(dtype=bool)


def _index_in(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Position of each value in ``keys`` (int64; -1 when absent), hashed in Arrow."""
    found = pc.index_in(
        pa.array(values, from_pandas=True), value_set=pa.array(keys, from_pandas=True)
    )
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _status_codes(status: pd.Series) -> np.ndarray:
    """:data:`STATUS_CODES` of a status column (int8); DataDirError for another value."""
    if isinstance(status.dtype, pd.CategoricalDtype):
        lookup = np.array([STATUS_CODES.get(c, -1) for c in status.cat.categories] + [-1])
        codes = lookup[status.cat.codes.to_numpy()]  # code -1 (missing) → last entry, -1
    else:
        names = pd.Series(list(STATUS_CODES), dtype=object)
        codes = np.asarray(list(STATUS_CODES.values()))[_index_in(status, names)]
        codes[_index_in(status, names) < 0] = -1
    if (codes < 0).any():
        bad = status.iloc[int(np.argmax(codes < 0))]
        raise DataDirError(f"household_years.parquet: unknown status {bad!r}")
    return codes.astype(np.int8)


def _previous_row(hh: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Index of each row's record for the same household in year - 1; -1 when none."""
    ordered = len(hh) < 2 or bool(
        np.all((hh[1:] > hh[:-1]) | ((hh[1:] == hh[:-1]) & (year[1:] > year[:-1])))
    )
    order = np.arange(len(hh)) if ordered else np.lexsort((year, hh))
    prev = np.full(len(hh), -1, dtype=np.int64)
    if len(order) > 1:
        a, b = order[:-1], order[1:]
        same = (hh[a] == hh[b]) & (year[a] == year[b] - 1)
        prev[b[same]] = a[same]
    return prev


def household_year_arrays(
    households: pd.DataFrame, household_years: pd.DataFrame
) -> tuple[HouseholdYearArrays, np.ndarray]:
    """The metric inputs of every household_years row, and each row's household index.

    DataDirError when a row names an unknown household or an unknown status.
    """
    row_hh = _index_in(household_years["hh_id"], households["hh_id"])
    if (row_hh < 0).any():
        bad = household_years["hh_id"].to_numpy()[row_hh < 0][0]
        raise DataDirError(f"household_years.parquet: hh_id {bad} is not in households")
    status = _status_codes(household_years["status"])
    year = household_years["year"].to_numpy(np.int64)
    if "income_per_capita" in household_years:
        income = pd.to_numeric(household_years["income_per_capita"], errors="coerce")
        income = income.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        income = np.full(len(household_years), np.nan)
    prev = _previous_row(row_hh, year)
    has_prev = prev >= 0
    cause_index = _index_in(households["primary_cause"], pd.Series(CAUSES, dtype=object))
    if "hh_type" in households:
        type_index = _index_in(households["hh_type"], pd.Series(HH_TYPES, dtype=object))
    else:  # an old data dir without the column: no per-type counts
        type_index = np.full(len(households), -1, dtype=np.int64)
    masks = cause_mask(households["primary_cause"], households.get("secondary_causes"))
    rows = HouseholdYearArrays(
        size=households["size"].to_numpy(np.int64)[row_hh],
        status=status,
        cause=cause_index[row_hh],
        hh_type=type_index[row_hh],
        year=year,
        income=income,
        prev_income=np.where(has_prev, income[prev], np.nan),
        prev_status=np.where(has_prev, status[prev], NO_STATUS).astype(np.int8),
        cause_mask=masks[row_hh],
        flags={name: _flag(household_years, col) for name, col in FLAG_COLUMNS.items()},
    )
    return rows, row_hh


def roll_up(
    codes: Sequence[str], village_codes: Sequence[str], village_values: np.ndarray
) -> np.ndarray:
    """Sum village values [v, y, m] into every region of ``codes`` by code prefix.

    Returns [len(codes), y, m]; regions without villages are zero. Each level is summed
    from the one below (runs of equal prefixes), so only the first step reads every village.
    """
    regions = pd.Index(codes)
    out = np.zeros((len(codes), *village_values.shape[1:]), dtype=np.int64)
    level_codes, values = pd.Index(village_codes), village_values
    if len(level_codes) == 0:
        return out
    for length in sorted(PREFIX_LENGTHS.values(), reverse=True):
        if length == 0 and NATIONAL_CODE not in regions:
            break  # a one-province data set: no national root to sum into
        prefixes = level_codes.str[:length]
        if not prefixes.is_monotonic_increasing:  # codes arrive sorted; sort if not
            order = np.argsort(prefixes.to_numpy(dtype=object), kind="stable")
            prefixes, values = prefixes[order], values[order]
        starts = np.flatnonzero(np.r_[True, prefixes[1:] != prefixes[:-1]])
        if len(starts) < len(prefixes):  # (villages are their own 12-digit prefixes)
            values = np.add.reduceat(values, starts, axis=0)
            prefixes = prefixes[starts]
        level_codes = prefixes.str.ljust(12, "0")
        target = regions.get_indexer(level_codes)
        if (target < 0).any():
            missing = level_codes[target < 0][0]
            raise DataDirError(f"village data refers to region {missing}, missing from regions")
        out[target] += values
    return out


def village_values(
    villages: Sequence[str],
    years: Sequence[int],
    households: pd.DataFrame,
    household_years: pd.DataFrame,
    rural_population: pd.DataFrame,
    metrics: MetricSet | None = None,
) -> np.ndarray:
    """[village, year, metric] sums (rural population first) of ``villages`` (sorted codes)."""
    hh_village = _index_in(households["village_code"], pd.Series(villages, dtype=object))
    if (hh_village < 0).any():
        bad = households["village_code"].to_numpy()[hh_village < 0][0]
        raise DataDirError(f"households.parquet: village_code {bad} is not a village in regions")
    rows, row_hh = household_year_arrays(households, household_years)
    year_index = pd.Index(years).get_indexer(household_years["year"])
    if (year_index < 0).any():
        bad = household_years["year"].to_numpy()[year_index < 0][0]
        raise DataDirError(
            f"household_years.parquet: year {bad} is outside the data set's "
            f"years {years[0]}–{years[-1]}"
        )
    values = village_sums(
        hh_village[row_hh], year_index, rows, (len(villages), len(years)), metrics
    )
    population = village_population(villages, years, rural_population)
    return np.concatenate([population[:, :, None], values], axis=2)


def village_population(
    villages: Sequence[str], years: Sequence[int], rural_population: pd.DataFrame
) -> np.ndarray:
    """[village, year] rural population (rows of other regions or years are not counted)."""
    population = np.zeros((len(villages), len(years)), dtype=np.int64)
    rp_village = pd.Index(villages).get_indexer(rural_population["code"])
    rp_year = pd.Index(years).get_indexer(rural_population["year"])
    ok = (rp_village >= 0) & (rp_year >= 0)
    np.add.at(
        population,
        (rp_village[ok], rp_year[ok]),
        rural_population["persons"].to_numpy(np.int64)[ok],
    )
    return population


def village_codes(codes: Sequence[str]) -> list[str]:
    """The level-5 codes among ``codes`` (the last three digits are not all zero)."""
    return [c for c in codes if c[9:] != "000"]


def aggregate_tables(
    codes: Sequence[str],
    years: Sequence[int],
    households: pd.DataFrame,
    household_years: pd.DataFrame,
    rural_population: pd.DataFrame,
    metrics: MetricSet | None = None,
) -> np.ndarray:
    """[region, year, metric] sums from the DESIGN.md tables (as loaded from parquet)."""
    villages = village_codes(codes)
    values = village_values(villages, years, households, household_years, rural_population, metrics)
    return roll_up(codes, villages, values)


DIGEST_ATTR = "metrics_digest"


def to_frame(
    codes: Sequence[str], years: Sequence[int], values: np.ndarray, digest: str | None = None
) -> pd.DataFrame:
    """Long table code, year, one column per metric (the aggregates.parquet layout).

    ``digest`` (:attr:`MetricSet.digest`) is kept in ``frame.attrs`` and so in the file.
    """
    frame = pd.DataFrame(values.reshape(-1, values.shape[2]), columns=list(METRIC_NAMES))
    frame.insert(0, "year", np.tile(np.asarray(years, dtype=np.int16), len(codes)))
    frame.insert(0, "code", np.repeat(np.asarray(codes, dtype=object), len(years)))
    frame.attrs[DIGEST_ATTR] = digest or metric_set().digest
    return frame


def from_frame(
    frame: pd.DataFrame, codes: Sequence[str], years: Sequence[int], digest: str | None = None
) -> np.ndarray | None:
    """The [region, year, metric] array back from :func:`to_frame`; None if it doesn't fit
    (other regions, years or metrics, or built under other rules than ``digest``)."""
    if frame.attrs.get(DIGEST_ATTR) != (digest or metric_set().digest):
        return None
    if list(frame.columns[2:]) != list(METRIC_NAMES) or len(frame) != len(codes) * len(years):
        return None
    if list(frame["code"].iloc[:: len(years)]) != list(codes):
        return None
    if list(frame["year"].iloc[: len(years)]) != list(years):
        return None
    return frame[list(METRIC_NAMES)].to_numpy(np.int64).reshape(len(codes), len(years), -1)
