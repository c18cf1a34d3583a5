"""Projects and funds on the store side: one :class:`FundsSource` per store, two engines.

``funds_source(store)`` gives the store's source (cached on it): :class:`EmbeddedFunds` reads
the data dir's four optional tables, :class:`~battlemap.geodata.postgis.funds.PostgisFunds`
the loaded database. Both answer the same questions with the same numbers: pre-aggregated
values per (region, year) (:mod:`.funds_aggregate`), the anomaly hits (one scan over the
whole data set, :func:`~battlemap.indicators.funds_anomalies.scan`, cached), and the rows
under a region for the map, the panel and the report. A data set without the tables is
``available = False``: every panel says no data.

The embedded engine keeps everything in one array bundle (:func:`~battlemap.geodata.
embedded_cache.cached_bundle` ``funds``, keyed by the data version, the [funds] rules' digest
and the years; rebuilt when any changes or a file is damaged; in the cache dir, never in the
data dir, which may be read-only): the values [region, year, metric], the anomaly hits and
the four tables' columns (numbers and dates as ``.npy``; text with few distinct values as
int32 codes into a small vocabulary, other text as Arrow strings) with the projects sorted
by code and the payments' rows sorted by project, all memory-mapped, so the workers of
``battlemap run --workers N`` share their pages instead of each holding ~1 GB of pandas
frames (issue 19). What a query would otherwise compute from many rows is computed once
into the bundle: each project's allocated and paid totals and beneficiaries, its rank by
project ID and each payment's rank by (date, payment ID), so a region's projects and
payments are a binary search, an integer sort and one take per column, with the dtypes,
index and order :func:`read_funds_tables` and :func:`with_totals` give. A data dir without
a version is not cached (built in memory per process, the same arrays).
"""

from __future__ import annotations

import json
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from battlemap.geodata.datadir import read_table
from battlemap.geodata.embedded_cache import cached_bundle
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.features import code_range
from battlemap.geodata.funds_aggregate import funds_values
from battlemap.geodata.funds_schema import FUNDS_METRICS, FUNDS_TABLE_FILES, FUNDS_TABLES
from battlemap.geodata.mapped_text import MappedText, text_array
from battlemap.geodata.parquet_file import read_parquet
from battlemap.geodata.schema import TABLE_FILES
from battlemap.indicators.funds_anomalies import HIT_COLUMNS, scan
from battlemap.indicators.funds_rules import FundsRules, funds_rules_of

__all__ = ["CACHE_DIR", "EmbeddedFunds", "FundsSource", "build_funds", "funds_source"]

log = logging.getLogger(__name__)
CACHE_DIR = "funds"  # cache_root() / "funds-<key digest>"
BUNDLE_FORMAT = "funds-bundle-2"  # bump when what the bundle holds changes
_DATES = ("date", "planned_start", "planned_end", "actual_start", "actual_end")
_NUMBERS = ("amount", "budget", "lon", "lat")
_BY_PROJECT = ("fund_payments",)  # tables searched by project ID (the others: totals)
_TOTALS = ("allocated", "paid", "beneficiaries")  # per project, computed into the bundle
_PROJECT_RANK = "projects.by_id"  # each project's place in the order by project_id
_PAYMENT_RANK = "fund_payments.by_date"  # each payment's place by (date, payment_id)
# text with at most this many distinct values, and at most one per _WORDS_SHARE rows,
# is kept as int32 codes into its vocabulary (each row's string costs an object take)
_WORDS_MAX, _WORDS_SHARE = 1 << 16, 8
FundsCounts = dict[str, int]


class FundsSource(ABC):
    """Projects and funds of one store (region-rooted; codes are known 12-digit codes)."""

    available: bool
    years: tuple[int, ...]

    @abstractmethod
    def counts(self, codes: list[str], year: int) -> dict[str, FundsCounts]:
        """FUNDS_METRICS of each region in ``year`` (zeros when the data set has none)."""

    @abstractmethod
    def hits(self, code: str) -> pd.DataFrame:
        """Every anomaly hit of the projects under a region (HIT_COLUMNS, any date)."""

    @abstractmethod
    def projects(self, code: str) -> pd.DataFrame:
        """The projects under a region with their allocated and paid totals (yuan, all
        dates) and beneficiary count, ordered by project_id."""

    @abstractmethod
    def payments(self, project_ids: list[str]) -> pd.DataFrame:
        """The payments of some projects (PAYMENT_COLUMNS), by date then payment_id."""


def _zero() -> FundsCounts:
    return dict.fromkeys(FUNDS_METRICS, 0)


def funds_source(store: Any) -> FundsSource:
    """The store's funds source (built once per store object)."""
    found = store.__dict__.get("_funds_source")
    if found is None:
        lock = store.__dict__.setdefault("_funds_lock", threading.Lock())
        with lock:
            found = store.__dict__.get("_funds_source")
            if found is None:
                if hasattr(store, "data_dir"):
                    found = EmbeddedFunds(
                        store.data_dir,
                        store.regions.codes,
                        store.years,
                        funds_rules_of(store.rules),
                        store.manifest,
                    )
                else:
                    from battlemap.geodata.postgis.funds import PostgisFunds

                    found = PostgisFunds(store)
                store.__dict__["_funds_source"] = found
    return found


def has_funds_tables(data_dir: Path) -> bool:
    return all((data_dir / f).is_file() for f in FUNDS_TABLE_FILES.values())


def read_funds_tables(data_dir: Path) -> dict[str, pd.DataFrame]:
    """The four tables as DataFrames (dates as datetime64, IDs as object)."""
    out = {}
    for name, columns in FUNDS_TABLES.items():
        frame = read_table(data_dir, name)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataDirError(f"{data_dir}/{name}.parquet lacks column(s) {', '.join(missing)}")
        out[name] = normalise(name, frame[list(columns)])
    return out


def normalise(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Plain dtypes for a funds table: text as object (None for null), dates as
    datetime64[ns], amounts and coordinates as float64."""
    data = {}
    for column in FUNDS_TABLES[name]:
        values = frame[column]
        if column in _DATES:
            data[column] = pd.to_datetime(values).astype("datetime64[ns]").to_numpy()
        elif column in _NUMBERS:
            data[column] = pd.to_numeric(values).astype(float).to_numpy()
        else:
            data[column] = pd.Series(text_values(values), dtype=object)
    return pd.DataFrame(data, columns=list(FUNDS_TABLES[name]))


def text_values(values: pd.Series) -> np.ndarray:
    """Text as a numpy object array with None for missing (fast hashing, no Arrow strings)."""
    if values.dtype != object:
        return values.to_numpy(dtype=object, na_value=None)
    out = values.to_numpy(dtype=object).copy()
    out[pd.isna(values).to_numpy()] = None
    return out


def plain_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``frame`` as object arrays (pandas' Arrow strings hash slowly)."""
    return frame.assign(
        **{c: pd.Series(text_values(frame[c]), index=frame.index, dtype=object) for c in columns}
    )


def scan_inputs(
    tables: dict[str, pd.DataFrame], households: pd.Series, household_years: pd.DataFrame
) -> tuple[pd.DataFrame, pd.Index]:
    """(registry rows of the paid households, the paid IDs that are registered)."""
    payees = pd.Index(tables["fund_payments"].payee_hh_id.dropna().unique(), dtype=object)
    known = payees[payees.isin(households)]
    return household_years[household_years.hh_id.isin(known)], known


def build_funds(
    codes: tuple[str, ...],
    years: tuple[int, ...],
    tables: dict[str, pd.DataFrame],
    households: pd.DataFrame,
    household_years: pd.DataFrame,
    shapes,
    rules: FundsRules,
) -> tuple[np.ndarray, pd.DataFrame]:
    """(values [region, year, metric], hits) from the tables: the one computation both
    engines' caches hold. ``households``: hh_id, village_code, size; ``household_years``:
    hh_id, year, status, income_per_capita (any superset of the linked households)."""
    registry, known = scan_inputs(tables, households.hh_id, household_years)
    as_of = pd.Timestamp(f"{years[-1]}-12-31")
    hits = scan(
        tables["projects"],
        tables["project_beneficiaries"],
        tables["fund_allocations"],
        tables["fund_payments"],
        registry,
        known,
        shapes,
        rules,
        as_of,
    )
    values = funds_values(codes, years, tables, households, household_years, hits)
    return values, hits


class EmbeddedFunds(FundsSource):
    """Funds from the data dir's parquet tables, served from a memory-mapped array bundle
    in the cache dir (see the module doc)."""

    def __init__(self, data_dir: Path, codes, years, rules: FundsRules, manifest: dict) -> None:
        self.data_dir = Path(data_dir)
        self.codes, self.years, self.rules = tuple(codes), tuple(years), rules
        self.available = has_funds_tables(self.data_dir)
        version = str(manifest.get("version") or "")
        self._parts = (version, rules.digest, json.dumps(list(self.years)), BUNDLE_FORMAT)
        self._index = {c: i for i, c in enumerate(self.codes)}
        self._year_index = {y: i for i, y in enumerate(self.years)}
        self._lock = threading.Lock()
        self._values: np.ndarray | None = None
        self._hits: pd.DataFrame | None = None
        self._bundle: dict[str, Any] | None = None
        self._text: dict[str, MappedText] = {}
        self._words: dict[str, np.ndarray] = {}  # vocabularies, None last (code -1)

    # -- the bundle ----------------------------------------------------------------------
    def _ensure(self) -> None:
        if self._values is not None:
            return
        with self._lock:
            if self._values is not None:
                return
            bundle = cached_bundle(CACHE_DIR, self._parts, self._build_bundle, source=self.data_dir)
            self._text = {
                name: MappedText(value)
                for name, value in bundle.items()
                if isinstance(value, pa.Array | pa.ChunkedArray) and not name.startswith("hits.")
            }
            self._words = _words_of(bundle)
            self._hits = _hits_frame(bundle)
            self._bundle = bundle
            self._values = bundle["values"]

    def _build_bundle(self) -> dict[str, Any]:
        """Everything the queries read, from the tables (once per data version and rules)."""
        tables = self.tables()
        values, hits = self._compute(tables)
        return funds_bundle(tables, values, hits)

    def _build(self) -> tuple[np.ndarray, pd.DataFrame]:
        """(values, hits) computed from the tables, without the cache."""
        return self._compute(self.tables() if self.available else None)

    def _compute(self, tables: dict[str, pd.DataFrame] | None) -> tuple[np.ndarray, pd.DataFrame]:
        if not self.available or tables is None:
            empty = np.zeros((len(self.codes), len(self.years), len(FUNDS_METRICS)), np.int64)
            return empty, scan_empty()
        linked = pd.Index(
            dtype=object,
            data=pd.concat(
                [tables["project_beneficiaries"].hh_id, tables["fund_payments"].payee_hh_id]
            )
            .dropna()
            .unique(),
        )
        households = plain_text(
            read_table(self.data_dir, "households", ["hh_id", "village_code", "size"]),
            ["hh_id", "village_code"],
        )
        years = self._linked_years(linked)
        return build_funds(
            self.codes, self.years, tables, households, years, self._shapes(tables), self.rules
        )

    def _linked_years(self, linked: pd.Index) -> pd.DataFrame:
        """household_years rows of the linked households (filtered in Arrow, part by part)."""
        columns = ["hh_id", "year", "status", "income_per_capita"]
        wanted = pa.array(linked.to_numpy(object), pa.string())
        path = self.data_dir / TABLE_FILES["household_years"]
        table = read_parquet(path, columns)
        hh = pc.cast(table.column("hh_id"), pa.string())
        table = table.filter(pc.is_in(hh, value_set=wanted))
        frame = table.to_pandas()
        frame = frame.assign(status=frame.status.astype(str))
        return plain_text(frame, ["hh_id", "status"])

    def _shapes(self, tables):
        wanted = set(tables["projects"].code.dropna())
        regions = gpd.read_parquet(
            self.data_dir / TABLE_FILES["regions"], columns=["code", "geometry"]
        )
        return regions[regions.code.isin(wanted)].set_index("code").geometry

    # -- queries -------------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tables read from the data dir (projects sorted by code); read afresh
        on every call and not kept: the queries read the mapped bundle."""
        tables = read_funds_tables(self.data_dir)
        tables["projects"] = tables["projects"].sort_values("code", kind="stable")
        return tables

    def counts(self, codes: list[str], year: int) -> dict[str, FundsCounts]:
        if not self.available:
            return {c: _zero() for c in codes}
        self._ensure()
        k = self._year_index[year]
        rows = self._values[[self._index[c] for c in codes], k]
        return {
            c: dict(zip(FUNDS_METRICS, r.tolist(), strict=True))
            for c, r in zip(codes, rows, strict=True)
        }

    def hits(self, code: str) -> pd.DataFrame:
        if not self.available:
            return scan_empty()
        self._ensure()
        lo, hi = code_range(code)
        hits = self._hits
        return hits[(hits.code >= lo) & (hits.code <= hi)].reset_index(drop=True)

    def projects(self, code: str) -> pd.DataFrame:
        if not self.available:
            return project_rows_empty()
        self._ensure()
        lo, hi = code_range(code)
        keys = self._bundle["projects.code_key"]  # the projects' codes sorted, no nulls
        start = int(np.searchsorted(keys, lo.encode(), "left"))
        end = int(np.searchsorted(keys, hi.encode(), "right"))
        rows = np.asarray(self._bundle["projects.code_order"][start:end])
        # with_totals' order (project_id, then place by code) is the bundle's rank
        rows = rows[np.argsort(self._bundle[_PROJECT_RANK][rows])]
        return self._rows("projects", rows, np.arange(len(rows)), PROJECT_ROW_COLUMNS)

    def payments(self, project_ids: list[str]) -> pd.DataFrame:
        if not self.available:
            return normalise(
                "fund_payments", pd.DataFrame({c: [] for c in FUNDS_TABLES["fund_payments"]})
            )
        return self._project_rows("fund_payments", project_ids, rank=_PAYMENT_RANK)

    def _project_rows(
        self,
        name: str,
        ids,
        columns: tuple[str, ...] | None = None,
        *,
        rank: str | None = None,
    ) -> pd.DataFrame:
        """The rows of table ``name`` whose project_id is in ``ids``, in the table's order
        (as ``isin`` gives them) or, with ``rank``, in the order of that bundle array,
        indexed 0..n-1 then; by binary search in the bundle's project IDs sorted: a
        village's few projects cost a lookup each instead of a scan of 1.3 M payments."""
        self._ensure()
        keys = self._bundle[f"{name}.project_key"]
        order = self._bundle[f"{name}.project_order"]
        texts, encoded = _probe(ids)
        if not texts or not len(keys):
            found, owner = np.zeros(0, dtype=np.int64), np.empty(0, dtype=object)
        else:
            starts = np.searchsorted(keys, encoded, "left")
            sizes = np.searchsorted(keys, encoded, "right") - starts
            total = int(sizes.sum())
            first = np.repeat(starts - np.cumsum(sizes) + sizes, sizes)
            found = np.asarray(order[first + np.arange(total)])
            # each row's project_id is the ID it was found by: no need to read it back
            owner = np.asarray(texts, dtype=object)[np.repeat(np.arange(len(texts)), sizes)]
        if rank is None:
            by = np.argsort(found, kind="stable")
            index = None
        else:
            by = np.argsort(self._bundle[rank][found], kind="stable")
            index = np.arange(len(found))
        known = {"project_id": owner[by]}
        return self._rows(name, found[by], index, columns=columns, known=known)

    def _rows(
        self,
        name: str,
        rows: np.ndarray,
        index: np.ndarray | None = None,
        columns: tuple[str, ...] | None = None,
        known: dict[str, np.ndarray] | None = None,
    ) -> pd.DataFrame:
        """Rows of a table as the frame :func:`read_funds_tables` would give them (text as
        object with None, dates datetime64[ns], numbers float64), indexed by their row
        (``0..n-1``: a RangeIndex); only ``columns`` when given (the projects' totals
        too); ``known`` columns' values as given."""
        if index is None:
            index = pd.Index(rows)
        elif isinstance(index, np.ndarray) and np.array_equal(index, np.arange(len(index))):
            index = pd.RangeIndex(len(index))
        else:
            index = pd.Index(index)
        columns = columns or FUNDS_TABLES[name]
        known = known or {}
        data = {}
        for column in columns:
            values = known[column] if column in known else self._column(name, column, rows)
            if values.dtype == object:  # pandas 3 would make it "str"
                values = pd.Series(values, index=index, dtype=object, copy=False)
            data[column] = values
        return pd.DataFrame(data, columns=list(columns), index=index, copy=False)

    def _column(self, name: str, column: str, rows: np.ndarray) -> np.ndarray:
        """One column's values at ``rows`` (distinct row numbers, any order): text from
        its vocabulary or its mapped strings, else the mapped numbers."""
        key = f"{name}.{column}"
        words = self._words.get(key)
        if words is not None:
            return words[self._bundle[f"{key}.codes"][rows]]
        text = self._text.get(key)
        if text is not None:
            return text.take(rows)
        return np.asarray(self._bundle[key][rows])


def _probe(ids) -> tuple[list[str], np.ndarray]:
    """(the distinct text IDs in first-seen order, as UTF-8 bytes for a binary search;
    wide enough that no ID is cut: a longer ID matches no key)."""
    texts = [i for i in dict.fromkeys(ids) if isinstance(i, str)]
    wanted = [i.encode() for i in texts]
    width = max((len(w) for w in wanted), default=1)
    return texts, np.asarray(wanted, dtype=f"S{max(width, 1)}")


def _sorted_keys(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the non-null texts as UTF-8 bytes, sorted; their row numbers): binary search by
    bytes orders as by the strings (UTF-8 keeps code point order)."""
    present = np.flatnonzero(pd.notna(values))
    encoded = np.asarray([str(v).encode() for v in values[present]], dtype=bytes)
    if not len(encoded):
        encoded = np.zeros(0, dtype="S1")
    order = np.argsort(encoded, kind="stable")
    return encoded[order], present[order].astype(np.int64)


def funds_bundle(
    tables: dict[str, pd.DataFrame], values: np.ndarray, hits: pd.DataFrame
) -> dict[str, Any]:
    """What the embedded engine maps: values, hits, every table column (text as Arrow
    strings, dates as datetime64[ns], numbers as float64) and the sort orders the queries
    search (projects by code, the other tables by project)."""
    bundle: dict[str, Any] = {"values": np.ascontiguousarray(values, dtype=np.int64)}
    projects = tables["projects"]  # sorted by code, nulls last (tables())
    bundle["projects.code_key"], bundle["projects.code_order"] = _sorted_keys(
        projects.code.to_numpy(object)
    )
    bundle["projects.row"] = projects.index.to_numpy(np.int64)  # its row in the file
    totals = project_totals(
        projects.project_id,
        tables["fund_allocations"],
        tables["fund_payments"],
        tables["project_beneficiaries"],
    )
    for column, values in zip(_TOTALS, totals, strict=True):
        bundle[f"projects.{column}"] = values
    bundle[_PROJECT_RANK] = _rank(projects, ["project_id"])
    bundle[_PAYMENT_RANK] = _rank(tables["fund_payments"], ["date", "payment_id"])
    for name, frame in tables.items():
        for column in FUNDS_TABLES[name]:
            data = frame[column]
            if column in _DATES:
                bundle[f"{name}.{column}"] = data.to_numpy("datetime64[ns]")
            elif column in _NUMBERS:
                bundle[f"{name}.{column}"] = data.to_numpy(np.float64)
            else:
                bundle.update(_text_parts(f"{name}.{column}", text_values(data)))
        if name in _BY_PROJECT:
            keys, order = _sorted_keys(frame.project_id.to_numpy(object))
            bundle[f"{name}.project_key"], bundle[f"{name}.project_order"] = keys, order
    table = pa.Table.from_pandas(hits[list(HIT_COLUMNS)], preserve_index=False)
    for column in HIT_COLUMNS:
        array = table.column(column).combine_chunks()
        if column != "date" and array.type != pa.string():
            array = array.cast(pa.string())  # an empty scan's columns have no type
        bundle[f"hits.{column}"] = array
    return bundle


def _text_parts(key: str, values: np.ndarray) -> dict[str, Any]:
    """A text column (object, None for null) for the bundle: ``KEY.codes`` (int32, -1 for
    null) and ``KEY.words`` (its vocabulary) when it has few distinct values, else ``KEY``
    as Arrow strings."""
    codes, words = pd.factorize(values)
    if len(words) <= _WORDS_MAX and len(words) * _WORDS_SHARE <= len(values):
        return {f"{key}.codes": codes.astype(np.int32), f"{key}.words": np.asarray(words, object)}
    return {key: text_array(values)}


def _words_of(bundle: dict[str, Any]) -> dict[str, np.ndarray]:
    """Each coded text column's vocabulary (by column key) with None last, so that
    ``words[codes]`` gives the values (code -1: None)."""
    return {
        name.removesuffix(".words"): np.append(np.asarray(value, dtype=object), None)
        for name, value in bundle.items()
        if name.endswith(".words")
    }


def _rank(frame: pd.DataFrame, by: list[str]) -> np.ndarray:
    """Each row's place in ``frame.sort_values(by, kind="stable")``: any subset of the
    rows sorted by it is in the order that sort of the subset gives (ties by row)."""
    order = frame.reset_index(drop=True).sort_values(by, kind="stable").index.to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _hits_frame(bundle: dict[str, Any]) -> pd.DataFrame:
    """The hits as a frame, as the old parquet cache gave them (a handful of rows:
    materialised per process)."""
    table = pa.table({c: bundle[f"hits.{c}"] for c in HIT_COLUMNS})
    return table.to_pandas().astype({"date": "datetime64[ns]"})[list(HIT_COLUMNS)]


PROJECT_ROW_COLUMNS = (*FUNDS_TABLES["projects"], "allocated", "paid", "beneficiaries")


def with_totals(
    projects: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    rows: Callable[[str, Any], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Projects with their allocated and paid totals (yuan, from fen) and beneficiaries;
    ``rows(table, ids)`` gives a table's rows of the projects (default: ``isin``)."""
    ids = projects.project_id

    def of(name: str) -> pd.DataFrame:
        if rows is not None:
            return rows(name, ids.tolist())
        frame = tables[name]
        return frame[frame.project_id.isin(ids)]

    totals = project_totals(
        ids, of("fund_allocations"), of("fund_payments"), of("project_beneficiaries")
    )
    out = projects.assign(**dict(zip(_TOTALS, totals, strict=True)))
    return out.sort_values("project_id", kind="stable").reset_index(drop=True)[
        list(PROJECT_ROW_COLUMNS)
    ]


def project_totals(
    ids: pd.Series, alloc: pd.DataFrame, pay: pd.DataFrame, links: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(allocated yuan, paid yuan, beneficiaries) of each of ``ids`` from rows of the
    allocations, payments and beneficiary links (any superset of those projects' rows):
    money summed as integer fen, distinct households counted."""
    from battlemap.geodata.funds_aggregate import to_fen

    allocated = (
        pd.Series(to_fen(alloc.amount), index=alloc.project_id.to_numpy()).groupby(level=0).sum()
    )
    paid = pd.Series(to_fen(pay.amount), index=pay.project_id.to_numpy()).groupby(level=0).sum()
    count = links.drop_duplicates().groupby("project_id").size()
    return (
        ids.map(allocated).fillna(0).to_numpy(float) / 100,
        ids.map(paid).fillna(0).to_numpy(float) / 100,
        ids.map(count).fillna(0).to_numpy(np.int64),
    )


def project_rows_empty() -> pd.DataFrame:
    empty = normalise("projects", pd.DataFrame({c: [] for c in FUNDS_TABLES["projects"]}))
    return empty.assign(
        allocated=np.zeros(0), paid=np.zeros(0), beneficiaries=np.zeros(0, np.int64)
    )


def scan_empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in HIT_COLUMNS})
    return frame.astype({"date": "datetime64[ns]"})
