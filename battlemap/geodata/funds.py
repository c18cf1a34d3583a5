"""Projects and funds on the store side: one :class:`FundsSource` per store, two engines.

``funds_source(store)`` gives the store's source (cached on it): :class:`EmbeddedFunds` reads
the data dir's four optional tables, :class:`~battlemap.geodata.postgis.funds.PostgisFunds`
the loaded database. Both answer the same questions with the same numbers: pre-aggregated
values per (region, year) (:mod:`.funds_aggregate`), the anomaly hits (one scan over the
whole data set, :func:`~battlemap.indicators.funds_anomalies.scan`, cached), and the rows
under a region for the map, the panel and the report. A data set without the tables is
``available = False``: every panel says no data.

The embedded cache (``values.parquet`` and ``hits.parquet``, keyed by the data version and
the [funds] rules' digest; not a data file, rebuilt when stale) lives in the array bundles'
cache dir (:func:`~battlemap.geodata.embedded_cache.cache_root`), never in the data dir, which
may be read-only: ``funds-<digest of the key>/``. A data dir without a version is not cached.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
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
import pyarrow.parquet as pq

from battlemap.geodata.datadir import owner_only, read_table
from battlemap.geodata.embedded_cache import cache_root
from battlemap.geodata.errors import DataDirError, one_line
from battlemap.geodata.features import code_range
from battlemap.geodata.funds_aggregate import funds_values
from battlemap.geodata.funds_schema import FUNDS_METRICS, FUNDS_TABLE_FILES, FUNDS_TABLES
from battlemap.geodata.schema import TABLE_FILES
from battlemap.indicators.funds_anomalies import HIT_COLUMNS, scan
from battlemap.indicators.funds_rules import FundsRules, funds_rules_of

__all__ = ["CACHE_DIR", "EmbeddedFunds", "FundsSource", "build_funds", "funds_source"]

log = logging.getLogger(__name__)
CACHE_DIR = "funds"  # cache_root() / "funds-<key digest>"
_KEY = b"battlemap.funds"
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
        if column in ("date", "planned_start", "planned_end", "actual_start", "actual_end"):
            data[column] = pd.to_datetime(values).astype("datetime64[ns]").to_numpy()
        elif column in ("amount", "budget", "lon", "lat"):
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
    """Funds from the data dir's parquet tables, aggregates cached in the cache dir."""

    def __init__(self, data_dir: Path, codes, years, rules: FundsRules, manifest: dict) -> None:
        self.data_dir = Path(data_dir)
        self.codes, self.years, self.rules = tuple(codes), tuple(years), rules
        self.available = has_funds_tables(self.data_dir)
        self._key = json.dumps([manifest.get("version"), rules.digest, list(self.years)])
        self._folder = cache_folder(self._key) if manifest.get("version") else None
        self._index = {c: i for i, c in enumerate(self.codes)}
        self._year_index = {y: i for i, y in enumerate(self.years)}
        self._lock = threading.Lock()
        self._values: np.ndarray | None = None
        self._hits: pd.DataFrame | None = None
        self._tables: dict[str, pd.DataFrame] | None = None
        self._by_project: dict[str, dict[str, np.ndarray]] = {}
        self._index_lock = threading.Lock()

    # -- cache ---------------------------------------------------------------------------
    def _ensure(self) -> None:
        if self._values is not None:
            return
        with self._lock:
            if self._values is not None:
                return
            cached = self._read_cache()
            if cached is None:
                cached = self._build()
                self._write_cache(*cached)
            self._values, self._hits = cached

    def _read_cache(self) -> tuple[np.ndarray, pd.DataFrame] | None:
        folder = self._folder
        if folder is None:
            return None
        try:
            values = pq.read_table(folder / "values.parquet")
            meta = values.schema.metadata or {}
            if meta.get(_KEY, b"").decode() != self._key:
                return None
            hits = pq.read_table(folder / "hits.parquet").to_pandas()
        except Exception:  # missing, unreadable or foreign: rebuild
            return None
        frame = values.to_pandas()
        if list(frame.columns) != ["code", "year", *FUNDS_METRICS]:
            return None
        out = np.zeros((len(self.codes), len(self.years), len(FUNDS_METRICS)), dtype=np.int64)
        rows = pd.Index(self.codes, dtype=object).get_indexer(text_values(frame.code))
        ks = frame.year.map(self._year_index).to_numpy()
        ok = (rows >= 0) & pd.notna(ks)
        out[rows[ok], ks[ok].astype(int)] = frame[list(FUNDS_METRICS)].to_numpy(np.int64)[ok]
        hits = hits.astype({"date": "datetime64[ns]"})
        return out, hits[list(HIT_COLUMNS)]

    def _write_cache(self, values: np.ndarray, hits: pd.DataFrame) -> None:
        if self._folder is not None:
            write_cache(self._folder, self.codes, self.years, values, hits, self._key)

    def _build(self) -> tuple[np.ndarray, pd.DataFrame]:
        if not self.available:
            empty = np.zeros((len(self.codes), len(self.years), len(FUNDS_METRICS)), np.int64)
            return empty, scan_empty()
        tables = self.tables()
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
        try:
            table = pq.read_table(path, columns=columns)
        except Exception as exc:  # pyarrow raises many types for corrupt files
            raise DataDirError(f"{path} is not a readable parquet table: {one_line(exc)}") from None
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
        if self._tables is None:
            tables = read_funds_tables(self.data_dir)
            tables["projects"] = tables["projects"].sort_values("code", kind="stable")
            self._tables = tables
        return self._tables

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
        tables = self.tables()
        lo, hi = code_range(code)
        p = tables["projects"]  # sorted by code (tables())
        codes = p.code.to_numpy(dtype=object)
        if len(codes) and all(isinstance(c, str) for c in (codes[0], codes[-1])):
            p = p.iloc[np.searchsorted(codes, lo) : np.searchsorted(codes, hi, side="right")]
        else:  # a missing code sorts last: compare row by row
            p = p[(p.code >= lo) & (p.code <= hi)]
        return with_totals(p, tables, rows=self._project_rows)

    def payments(self, project_ids: list[str]) -> pd.DataFrame:
        if not self.available:
            return normalise(
                "fund_payments", pd.DataFrame({c: [] for c in FUNDS_TABLES["fund_payments"]})
            )
        pay = self._project_rows("fund_payments", project_ids)
        return pay.sort_values(["date", "payment_id"], kind="stable").reset_index(drop=True)

    def _project_rows(self, name: str, ids) -> pd.DataFrame:
        """The rows of table ``name`` whose project_id is in ``ids``, in the table's order
        (as ``isin`` gives them), from positions by project built once: a village's few
        projects cost a lookup each instead of a scan of 1.3 M payments (issue 19)."""
        frame = self.tables()[name]
        positions = self._by_project.get(name)
        if positions is None:
            with self._index_lock:
                positions = self._by_project.get(name)
                if positions is None:
                    positions = frame.groupby("project_id", sort=False).indices
                    self._by_project[name] = positions
        found = [positions[i] for i in dict.fromkeys(ids) if i in positions]
        rows = np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        return frame.iloc[rows]


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

    alloc = of("fund_allocations")
    pay = of("fund_payments")
    links = of("project_beneficiaries")
    from battlemap.geodata.funds_aggregate import to_fen

    allocated = (
        pd.Series(to_fen(alloc.amount), index=alloc.project_id.to_numpy()).groupby(level=0).sum()
    )
    paid = pd.Series(to_fen(pay.amount), index=pay.project_id.to_numpy()).groupby(level=0).sum()
    count = links.drop_duplicates().groupby("project_id").size()
    out = projects.assign(
        allocated=ids.map(allocated).fillna(0).to_numpy(float) / 100,
        paid=ids.map(paid).fillna(0).to_numpy(float) / 100,
        beneficiaries=ids.map(count).fillna(0).to_numpy(np.int64),
    )
    return out.sort_values("project_id", kind="stable").reset_index(drop=True)[
        list(PROJECT_ROW_COLUMNS)
    ]


def project_rows_empty() -> pd.DataFrame:
    empty = normalise("projects", pd.DataFrame({c: [] for c in FUNDS_TABLES["projects"]}))
    return empty.assign(
        allocated=np.zeros(0), paid=np.zeros(0), beneficiaries=np.zeros(0, np.int64)
    )


def scan_empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in HIT_COLUMNS})
    return frame.astype({"date": "datetime64[ns]"})


def cache_folder(key: str) -> Path:
    """The cache folder of a funds key (data version, rules digest, years)."""
    return cache_root() / f"{CACHE_DIR}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def write_cache(
    folder: Path, codes, years, values: np.ndarray, hits: pd.DataFrame, key: str
) -> None:
    """Write the cache ``folder`` (owner-only, atomic per file); a read-only or full cache
    dir is skipped (the values are served from memory)."""
    nonzero = values.any(axis=2)
    r, k = np.nonzero(nonzero)
    frame = pd.DataFrame(
        {"code": np.asarray(codes, dtype=object)[r], "year": np.asarray(years, np.int16)[k]}
    )
    frame = pd.concat([frame, pd.DataFrame(values[r, k], columns=list(FUNDS_METRICS))], axis=1)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _KEY: key.encode()})
    try:
        with owner_only():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            for name, data in (
                ("hits.parquet", pa.Table.from_pandas(hits, preserve_index=False)),
                ("values.parquet", table),
            ):
                tmp = folder / f".{name}.{os.getpid()}.tmp"
                pq.write_table(data, tmp, compression="zstd")
                os.replace(tmp, folder / name)
    except OSError as exc:
        log.warning("%s: cannot write the funds cache: %s", folder, one_line(exc))


def cache_key(manifest: dict, rules: FundsRules, years) -> str:
    return json.dumps([manifest.get("version"), rules.digest, list(years)])
