"""Map features of the embedded store: household arrays sorted by village code.

Households are loaded once (lazily, thread-safe) into numpy arrays sorted by village code, so
the households under any region are one contiguous slice found with ``searchsorted``; the
status of every household in every year is an int8 matrix, and the guarantees it meets (under
the store's exit rules) a bit per guarantee in a uint8 matrix (one byte per household-year).
2.3 M households took ~7 s to load and ~150 MB before the guarantees were added;
:meth:`EmbeddedFeatures.warm` does it in the background at app start.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from battlemap.geodata.datadir import read_table
from battlemap.geodata.embedded_cache import cached_bundle
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.features import MET_COLUMNS, UnitRows, object_frame
from battlemap.geodata.metrics import STATUS_CODES, MetricSet
from battlemap.geodata.partitions import table_schema
from battlemap.geodata.regions import RegionTree
from battlemap.geodata.schema import TABLE_FILES
from battlemap.indicators.household import FLAG_COLUMNS, guarantees_met
from battlemap.indicators.rules import GUARANTEES, ExitRules, load_rules

__all__ = ["EmbeddedFeatures", "HouseholdArrays", "load_household_arrays"]

_STATUS_NAMES = np.asarray([*sorted(STATUS_CODES, key=STATUS_CODES.get), None], dtype=object)
_POOR = (STATUS_CODES["未脱贫"], STATUS_CODES["返贫"])
_NO_ROW = -1


@dataclass(frozen=True)
class HouseholdArrays:
    """Every household as columns sorted by (village code, hh_id); ``status`` is [hh, year]."""

    village: np.ndarray  # int64 village code
    lon: np.ndarray
    lat: np.ndarray
    size: np.ndarray  # int64
    hh_type: np.ndarray  # int16 index into hh_types
    cause: np.ndarray  # int16 index into causes
    hh_types: np.ndarray  # object vocabulary (small: no giant object arrays for the GC)
    causes: np.ndarray
    status: np.ndarray  # int8 [n, years], STATUS_CODES or -1 when not registered
    met: np.ndarray  # uint8 [n, years], bit i set when GUARANTEES[i] is met that year
    r7: np.ndarray  # int32 index into cells7
    r9: np.ndarray  # int32 index into cells9
    cells7: pa.Array  # H3 strings (Arrow: mappable, no Python object per cell)
    cells9: pa.Array
    hh_id: pa.Array
    head_name: pa.Array

    def span(self, lo: str, hi: str) -> slice:
        """Rows whose village code lies in [lo, hi]."""
        start = int(np.searchsorted(self.village, int(lo), side="left"))
        stop = int(np.searchsorted(self.village, int(hi), side="right"))
        return slice(start, stop)


def _dictionary(array: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    indices, dictionary = _arrow_dictionary(array)
    return indices, np.asarray(dictionary.to_pylist(), dtype=object)


def _arrow_dictionary(array: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    encoded = pc.dictionary_encode(array).combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32), encoded.dictionary


def _read(data_dir: Path, table: str, columns: list[str]) -> pa.Table:
    path = data_dir / TABLE_FILES[table]
    try:
        return pq.read_table(path, columns=columns)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise DataDirError(f"{path} is not a readable {table} table: {exc}") from None


def _large_strings(column: pa.ChunkedArray) -> pa.Array:
    """One plain large_string array (dictionary-encoded columns decoded)."""
    array = column.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array.cast(pa.large_string())


def _met_bits(hy: pa.Table, rules: ExitRules) -> np.ndarray:
    """Per household_years row, bit i set when it meets ``GUARANTEES[i]`` under ``rules``
    (the definition of the ``guarantee_households_*`` counts; missing values are not met)."""
    names = set(hy.schema.names)

    def flag(column: str) -> np.ndarray:
        if column not in names:
            return np.zeros(hy.num_rows, dtype=bool)
        values = pc.fill_null(pc.cast(hy[column], pa.bool_()), False)
        return values.to_numpy(zero_copy_only=False).astype(bool)

    if "income_per_capita" in names:
        income = pc.cast(hy["income_per_capita"], pa.float64()).to_numpy(zero_copy_only=False)
        income = np.asarray(income, dtype=np.float64)  # nulls are NaN: never above a line
    else:
        income = np.full(hy.num_rows, np.nan)
    flags = {name: flag(column) for name, column in FLAG_COLUMNS.items()}
    met = guarantees_met(hy["year"].to_numpy(), income, flags, rules)
    bits = np.zeros(hy.num_rows, dtype=np.uint8)
    for i, name in enumerate(GUARANTEES):
        bits |= met[name].astype(np.uint8) << i
    return bits


def _hy_columns(data_dir: Path) -> list[str]:
    """household_years columns to read: the keys, and income and flags where present."""
    keys = ["hh_id", "year", "status"]
    try:
        names = set(table_schema(data_dir, "household_years").names)
    except Exception:  # missing or unreadable: _read names the file
        return keys
    return keys + [c for c in ("income_per_capita", *FLAG_COLUMNS.values()) if c in names]


def load_household_arrays(
    data_dir: Path, years: tuple[int, ...], rules: ExitRules | None = None
) -> HouseholdArrays:
    """Read households + household_years into :class:`HouseholdArrays` (guarantees met
    under ``rules``, default :func:`load_rules`)."""
    columns = [
        "hh_id",
        "village_code",
        "lon",
        "lat",
        "size",
        "hh_type",
        "primary_cause",
        "h3_r7",
        "h3_r9",
        "head_name",
    ]
    table = _read(data_dir, "households", columns)
    try:
        village = pc.cast(table["village_code"], pa.int64()).to_numpy()
    except pa.ArrowInvalid as exc:
        raise DataDirError(f"{data_dir}: households has a bad village_code: {exc}") from None
    ids = _large_strings(table["hh_id"])
    sorted_ids = len(ids) < 2 or pc.all(pc.less(ids[1:], ids[:-1]) == pa.scalar(False)).as_py()
    if not (np.all(village[1:] >= village[:-1]) and sorted_ids):
        # parts are each sorted: a stable sort by hh_id, then by village, orders them all
        by_id = pc.sort_indices(ids).to_numpy()
        order = by_id[np.argsort(village[by_id], kind="stable")]
        table = table.take(pa.array(order))
        village = village[order]
        ids = ids.take(pa.array(order))
    hy = _read(data_dir, "household_years", _hy_columns(data_dir))
    row = pc.fill_null(pc.index_in(_large_strings(hy["hh_id"]), value_set=ids), -1)
    row = row.to_numpy(zero_copy_only=False)
    year = hy["year"].to_numpy().astype(np.int64)
    year_index = np.searchsorted(np.asarray(years), year)
    year_index[year_index >= len(years)] = 0
    known_year = np.asarray(years)[year_index] == year
    status_names = pa.array(list(STATUS_CODES), pa.large_string())
    found = pc.index_in(_large_strings(hy["status"]), value_set=status_names)
    status = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
    if (row < 0).any() or not known_year.all() or (status < 0).any():
        raise DataDirError(f"{data_dir}: household_years has rows that match no household/year")
    status = np.asarray(list(STATUS_CODES.values()), dtype=np.int8)[status]
    matrix = np.full((len(village), len(years)), _NO_ROW, dtype=np.int8)
    matrix[row.astype(np.int64), year_index] = status
    met = np.zeros((len(village), len(years)), dtype=np.uint8)
    met[row.astype(np.int64), year_index] = _met_bits(hy, rules or load_rules())
    hh_type, hh_types = _dictionary(table["hh_type"])
    cause, causes = _dictionary(table["primary_cause"])
    r7, cells7 = _arrow_dictionary(table["h3_r7"])
    r9, cells9 = _arrow_dictionary(table["h3_r9"])
    return HouseholdArrays(
        village=village,
        lon=table["lon"].to_numpy().astype(np.float64),
        lat=table["lat"].to_numpy().astype(np.float64),
        size=table["size"].to_numpy().astype(np.int64),
        hh_type=hh_type,
        hh_types=hh_types,
        cause=cause,
        causes=causes,
        status=matrix,
        met=met,
        r7=r7,
        r9=r9,
        cells7=cells7,
        cells9=cells9,
        hh_id=table["hh_id"].combine_chunks(),
        head_name=table["head_name"].combine_chunks(),
    )


class EmbeddedFeatures:
    """Feature hooks of :class:`~battlemap.geodata.store.Store` for the embedded engine."""

    data_dir: Path
    regions: RegionTree
    years: tuple[int, ...]
    metrics: MetricSet

    def _feature_state(self) -> dict:
        return self.__dict__.setdefault("_features", {"lock": threading.Lock()})

    def _lazy(self, key: str, load):
        state = self._feature_state()
        if key not in state:
            with state["lock"]:
                if key not in state:
                    state[key] = load()
        return state[key]

    def household_arrays(self) -> HouseholdArrays:
        """The household arrays, loaded on first use: memory-mapped from the array cache
        (shared by every worker process), built from the tables the first time."""

        def build() -> dict:
            arrays = load_household_arrays(self.data_dir, self.years, self.metrics.rules)
            return {f.name: getattr(arrays, f.name) for f in fields(arrays)}

        def load() -> HouseholdArrays:
            version = str((getattr(self, "manifest", None) or {}).get("version") or "")
            parts = (version, self.metrics.digest, repr(self.years))
            bundle = cached_bundle("households", parts, build, source=self.data_dir)
            return HouseholdArrays(**bundle)

        return self._lazy("households", load)

    def _geometry(self) -> pd.DataFrame:
        def load() -> pd.DataFrame:
            frame = read_table(
                self.data_dir, "regions", ["code", "name", "label_lon", "label_lat", "geometry"]
            )
            return frame.set_index("code")

        return self._lazy("geometry", load)

    def _flow_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        def load() -> tuple[pd.DataFrame, pd.DataFrame]:
            moves = read_table(self.data_dir, "relocations")
            moves = moves.sort_values("from_village_code", kind="stable").reset_index(drop=True)
            labour = read_table(self.data_dir, "labour_flows")
            labour = labour.sort_values("origin_county_code", kind="stable")
            return moves, labour.reset_index(drop=True)

        return self._lazy("flows", load)

    def warm(self) -> None:
        """Load everything features need now (call from a background thread)."""
        self._geometry()
        self._flow_tables()
        self.household_arrays()

    def _unit_rows(self, codes: list[str]) -> UnitRows:
        rows = self._geometry().loc[codes]
        return UnitRows(
            codes=list(codes),
            names=rows["name"].tolist(),
            label_lon=rows["label_lon"].tolist(),
            label_lat=rows["label_lat"].tolist(),
            wkb=rows["geometry"].tolist(),
        )

    def _households(self, lo: str, hi: str, year: int) -> pd.DataFrame:
        arrays = self.household_arrays()
        span = arrays.span(lo, hi)
        column = self.years.index(year)
        status = arrays.status[span, column]
        keep = np.flatnonzero(status != _NO_ROW)
        rows = keep + span.start
        met = arrays.met[rows, column]
        length = span.stop - span.start

        def text(column: pa.Array) -> np.ndarray:
            return column.slice(span.start, length).to_numpy(zero_copy_only=False)[keep]

        villages, counts = np.unique(arrays.village[rows], return_counts=True)
        village_codes = np.repeat(
            np.asarray([str(v) for v in villages.tolist()], dtype=object), counts
        )
        return object_frame(
            {
                "hh_id": text(arrays.hh_id),
                "village_code": village_codes,
                "lon": arrays.lon[rows],
                "lat": arrays.lat[rows],
                "size": arrays.size[rows],
                "hh_type": arrays.hh_types[arrays.hh_type[rows]],
                "primary_cause": arrays.causes[arrays.cause[rows]],
                "status": _STATUS_NAMES[status[keep]],
                "head_name": text(arrays.head_name),
                **{name: (met >> i) & 1 == 1 for i, name in enumerate(MET_COLUMNS)},
            }
        )

    def _hex_cells(self, lo: str, hi: str, year: int, source: int) -> pd.DataFrame:
        arrays = self.household_arrays()
        span = arrays.span(lo, hi)
        status = arrays.status[span, self.years.index(year)]
        poor = np.isin(status, _POOR)
        index, cells = (arrays.r7, arrays.cells7) if source == 7 else (arrays.r9, arrays.cells9)
        cell = index[span][poor]
        households = np.bincount(cell, minlength=len(cells))
        persons = np.bincount(cell, weights=arrays.size[span][poor], minlength=len(cells))
        used = np.flatnonzero(households)
        return pd.DataFrame(
            {
                "cell": cells.take(pa.array(used)).to_numpy(zero_copy_only=False),
                "poor_households": households[used].astype(np.int64),
                "poor_persons": persons[used].round().astype(np.int64),
            }
        )

    def _relocation_flows(self, lo: str, hi: str, year: int, origin_len: int) -> pd.DataFrame:
        moves, _ = self._flow_tables()
        codes = moves["from_village_code"]
        start, stop = codes.searchsorted(lo, "left"), codes.searchsorted(hi, "right")
        part = moves.iloc[start:stop]
        part = part[part["year"] <= year]
        origin = part["from_village_code"].str[:origin_len].str.ljust(12, "0")
        grouped = (
            part.assign(origin_code=origin)
            .groupby(["origin_code", "to_site_code"], as_index=False, sort=True)
            .agg(
                site_lon=("to_lon", "min"),
                site_lat=("to_lat", "min"),
                households=("hh_id", "size"),
                persons=("persons", "sum"),
            )
        )
        return grouped.rename(columns={"to_site_code": "site_code"})

    def _labour_flows(self, lo: str, hi: str, year: int, origin_len: int) -> pd.DataFrame:
        _, labour = self._flow_tables()
        codes = labour["origin_county_code"]
        start, stop = codes.searchsorted(lo, "left"), codes.searchsorted(hi, "right")
        part = labour.iloc[start:stop]
        part = part[part["year"] == year]
        origin = part["origin_county_code"].str[:origin_len].str.ljust(12, "0")
        return (
            part.assign(origin_code=origin)
            .groupby(["origin_code", "destination_name"], as_index=False, sort=True)
            .agg(
                dest_lon=("dest_lon", "min"),
                dest_lat=("dest_lat", "min"),
                persons=("persons", "sum"),
            )
        )
