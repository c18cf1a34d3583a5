"""``PostgisStore``: the store interface over a database loaded by ``battlemap db load``.

The region tree is read once; counts are one indexed lookup in ``region_year_stats`` (or, when
the store's exit rules differ from the load's, in ``region_year_stats_<digest>``, built on
first use). Map features are range scans on the code-ordered indexes, fetched with
``COPY ... TO STDOUT`` into Arrow. Queries run on a small connection pool; every statement
has a timeout (``statement_timeout`` on the server, a watchdog that cuts the socket of a
server that stopped answering), so a slow or hung database costs a request a few seconds
and a clear error, never the whole site.
"""

from __future__ import annotations

import io
import itertools
import math
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.csv as pacsv

from battlemap.geodata.datadir import RENAMED_COLUMNS
from battlemap.geodata.errors import StoreUnavailableError
from battlemap.geodata.features import MET_COLUMNS, UnitRows, met_column
from battlemap.geodata.metrics import METRIC_NAMES, met_sql, metric_set
from battlemap.geodata.postgis.aggregate import build_aggregate
from battlemap.geodata.postgis.connection import (
    DatabaseUnreachableError,
    connect,
    describe_dsn,
    first_line,
)
from battlemap.geodata.postgis.ddl import AGGREGATE_PREFIX, AGGREGATE_TABLE, META_TABLE
from battlemap.geodata.postgis.load import LOCK_KEY
from battlemap.geodata.postgis.pool import GRACE_S, ConnectionPool, DatabaseHungError
from battlemap.geodata.regions import REGION_COLUMNS, RegionTree
from battlemap.geodata.schema import STATUS_POOR, STATUS_RETURNED
from battlemap.geodata.store import Counts, CountyAssessment, RegionStats, Store
from battlemap.indicators.rules import GUARANTEES, ExitRules

__all__ = ["PostgisStore"]

_POOR_SQL = f"y.status IN ('{STATUS_POOR}', '{STATUS_RETURNED}')"
SESSION_WORK_MEM = "64MB"
DEFAULT_TIMEOUT_S = 5.0  # connect and statement timeout of the store's queries
POOL_SIZE = 8  # connections (a gunicorn worker serves 8 threads)
_REQUIRED = ("regions", "households", "household_years", AGGREGATE_TABLE, META_TABLE)

_HOUSEHOLDS_SQL = """
SELECT h.hh_id, h.village_code, h.lon, h.lat, h.size, h.hh_type, h.primary_cause, y.status,
  h.head_name, {met}
FROM households h JOIN household_years y ON y.hh_id = h.hh_id AND y.year = %(year)s
WHERE h.village_code BETWEEN %(lo)s AND %(hi)s
"""


def households_sql(rules: ExitRules) -> str:
    """The household rows' query, with ``met_<guarantee>`` under ``rules``: the SQL of the
    ``guarantee_households_*`` counts (:func:`~battlemap.geodata.metrics.met_sql`)."""
    met = met_sql(rules)
    columns = ", ".join(f"{met[g]} AS {met_column(g)}" for g in GUARANTEES)
    return _HOUSEHOLDS_SQL.format(met=columns)


_HEX_SQL = f"""
SELECT h.h3_r{{source}} AS cell, count(*) AS poor_households, sum(h.size) AS poor_persons
FROM households h JOIN household_years y ON y.hh_id = h.hh_id AND y.year = %(year)s
WHERE h.village_code BETWEEN %(lo)s AND %(hi)s AND {_POOR_SQL}
GROUP BY 1
"""
_RELOCATIONS_SQL = """
SELECT rpad(left(from_village_code, %(len)s), 12, '0') AS origin_code, to_site_code AS site_code,
  min(to_lon) AS site_lon, min(to_lat) AS site_lat, count(*) AS households,
  sum(persons) AS persons
FROM relocations
WHERE from_village_code BETWEEN %(lo)s AND %(hi)s AND year <= %(year)s
GROUP BY 1, 2
"""
_LABOUR_SQL = """
SELECT rpad(left(origin_county_code, %(len)s), 12, '0') AS origin_code, destination_name,
  min(dest_lon) AS dest_lon, min(dest_lat) AS dest_lat, sum(persons) AS persons
FROM labour_flows
WHERE origin_county_code BETWEEN %(lo)s AND %(hi)s AND year = %(year)s
GROUP BY 1, 2
"""

_TEXT, _FLOAT, _INT = pa.string(), pa.float64(), pa.int64()
_HOUSEHOLD_TYPES = {
    "hh_id": _TEXT, "village_code": _TEXT, "lon": _FLOAT, "lat": _FLOAT, "size": _INT,
    "hh_type": _TEXT, "primary_cause": _TEXT, "status": _TEXT, "head_name": _TEXT,
    **dict.fromkeys(MET_COLUMNS, pa.bool_()),
}  # fmt: skip
_HEX_TYPES = {"cell": _TEXT, "poor_households": _INT, "poor_persons": _INT}
_RELOCATION_TYPES = {
    "origin_code": _TEXT, "site_code": _TEXT, "site_lon": _FLOAT, "site_lat": _FLOAT,
    "households": _INT, "persons": _INT,
}  # fmt: skip
_LABOUR_TYPES = {
    "origin_code": _TEXT, "destination_name": _TEXT, "dest_lon": _FLOAT, "dest_lat": _FLOAT,
    "persons": _INT,
}  # fmt: skip


class _Unreachable(StoreUnavailableError):
    """The server did not answer or accept a connection (opens the fail-fast window)."""


class _Reader:
    """A server the store reads from: its connection pool and its outage window."""

    def __init__(self, dsn: str | None, pool: ConnectionPool) -> None:
        self.where = describe_dsn(dsn)
        self.pool = pool
        self.down: tuple[float, str] | None = None  # (fail fast until, why) after an outage


def _utc_iso(when: datetime | None) -> str:
    """``2026-12-04T22:07:30Z`` (UTC, to the second); "" for None."""
    if when is None:
        return ""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """Columns as numpy: text as plain ``object`` (None for NULL, never pandas' inferred
    Arrow strings, like the embedded engine), numbers as they are."""
    data = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_string(column.type):
            data[name] = pd.Series(column.to_numpy(zero_copy_only=False), dtype=object)
        else:
            data[name] = pd.Series(column.to_numpy())
    return pd.DataFrame(data, columns=table.column_names, copy=False)


def _metrics(values: list[int]) -> Counts:
    return dict(zip(METRIC_NAMES, values, strict=True))


def _zero() -> Counts:
    return dict.fromkeys(METRIC_NAMES, 0)


def _optional_pct(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


class PostgisStore(Store):
    """Counts and features from a PostGIS database loaded by ``battlemap db load``."""

    batch_years = True

    def __init__(
        self,
        dsn: str | None,
        *,
        rules: ExitRules | None = None,
        timeout_s: float | None = None,
        pool_size: int = POOL_SIZE,
        on_statement: Callable[[str], None] | None = None,
        read_dsns: Sequence[str] = (),
    ) -> None:
        self._dsn = dsn  # the primary: aggregates for other rules are built there
        self._on_statement = on_statement  # told each statement sent (counts round trips)
        self.timeout_s = DEFAULT_TIMEOUT_S if timeout_s is None else float(timeout_s)
        self.metrics = metric_set(rules)
        # the servers reads go to: the replicas (--read-dsn), else the primary
        self._readers = [
            _Reader(source, self._pool_for(source, pool_size))
            for source in (list(read_dsns) or [dsn])
        ]
        self._replicas = bool(read_dsns)
        self._turn = itertools.count()
        self._pool = self._readers[0].pool
        self._where = self._readers[0].where
        try:
            if len(self._readers) == 1:
                with self._pool.connection():  # fails fast and clearly when unreachable
                    pass
            self._check_loaded()
            manifest, years, digest, loaded_at = self._fetch(
                f"SELECT manifest, years, metrics_digest, loaded_at FROM {META_TABLE} LIMIT 1"
            )[0]
            self.manifest: dict[str, Any] = dict(manifest or {})
            # when the data served were loaded or last imported, as the server read knows it
            self.as_of = _utc_iso(loaded_at)
            self.manifest.setdefault("as_of", self.as_of)
            self.years = tuple(sorted(int(y) for y in years))
            self.metrics.rules.check_years(self.years)
            frame = pd.DataFrame(
                self._fetch(
                    f"SELECT {', '.join(self._region_columns())} FROM regions ORDER BY code"
                ),
                columns=list(REGION_COLUMNS),
            )
            self.regions = RegionTree(frame)
            self._table = (
                AGGREGATE_TABLE
                if digest == self.metrics.digest
                else self._rules_aggregate(self.metrics.digest)
            )
        except BaseException:
            self.close()
            raise
        if not self.years or not len(self.regions):
            self.close()
            raise StoreUnavailableError(self._not_loaded("it has no regions or no years"))
        # every metric in one bigint[] column: a row of 89 columns costs the client far
        # more than one array (psycopg2 builds a column description and parses each)
        values = f"ARRAY[{', '.join(f's.{name}' for name in METRIC_NAMES)}]::bigint[]"
        self._counts_sql = (
            f"SELECT s.code, s.year, {values} FROM {self._table} s "
            "WHERE s.code = ANY(%(codes)s::char(12)[]) AND s.year = ANY(%(years)s::smallint[])"
        )
        # one stats call, one statement: the region in every year, its parent and children
        # in the year, and its county assessment (three index scans, planned in 0.1 ms)
        self._stats_sql = (
            f"SELECT s.code, s.year, {values}, NULL::float8, NULL::float8 FROM {self._table} s "
            "WHERE s.code = %(code)s::char(12) "
            f"UNION ALL SELECT s.code, s.year, {values}, NULL, NULL FROM {self._table} s "
            "WHERE s.code = ANY(%(others)s::char(12)[]) AND s.year = %(year)s "
            "UNION ALL SELECT a.code, a.year, NULL, a.satisfaction_pct, a.missed_registration_pct "
            "FROM county_assessments a WHERE a.code = %(code)s::char(12) AND a.year = %(year)s"
        )

    # -- connection -----------------------------------------------------------------------
    def _not_loaded(self, why: str) -> str:
        return (
            f"PostgreSQL database {self._where} is not loaded ({why}): "
            "run `battlemap db load --dsn DSN --data-dir DIR`"
        )

    def _pool_for(self, dsn: str | None, size: int) -> ConnectionPool:
        def factory():
            # work_mem for region-wide feature joins; settings travel in the start-up packet
            conn = connect(dsn, timeout_s=self.timeout_s, session={"work_mem": SESSION_WORK_MEM})
            conn.on_statement = self._on_statement
            return conn

        return ConnectionPool(factory, size=size, wait_s=self.timeout_s)

    def _region_columns(self) -> list[str]:
        """REGION_COLUMNS as SELECT items; a database loaded before a column was renamed
        (``is_poverty_county``, now ``poverty_flag``) gives it under its new name."""
        found = {
            row[0]
            for row in self._fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'regions' AND table_schema = current_schema()"
            )
        }
        renamed = RENAMED_COLUMNS["regions"]
        return [
            f"{renamed[c]} AS {c}" if c not in found and renamed.get(c) in found else c
            for c in REGION_COLUMNS
        ]

    def _check_loaded(self) -> None:
        found = self._fetch("SELECT " + ", ".join(f"to_regclass('{n}')" for n in _REQUIRED))[0]
        missing = [n for n, oid in zip(_REQUIRED, found, strict=True) if oid is None]
        if missing:
            raise StoreUnavailableError(self._not_loaded(f"no table {', '.join(missing)}"))

    def _run(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(cursor)`` on a pooled connection (its statements are under the
        timeouts); retry once on a fresh connection if a pooled one had gone stale.

        Reads take turns over the servers (the replicas of ``--read-dsn``); one that does
        not answer is skipped for the next. After a server failed to answer or to accept a
        connection, it is skipped, and with no other one every query fails at once, for
        ``timeout_s`` (then one tries again): a page's several queries cost one timeout,
        not one each."""
        readers = self._readers
        first = next(self._turn) % len(readers)
        why = ""
        for reader in readers[first:] + readers[:first]:
            down = reader.down
            if down is not None and time.monotonic() < down[0]:
                why = down[1]
                continue
            try:
                result = self._attempt(reader, work)
            except _Unreachable as exc:
                reader.down = (time.monotonic() + self.timeout_s, str(exc))
                why = str(exc)
                continue
            reader.down = None
            return result
        raise StoreUnavailableError(why)

    def _attempt(self, reader: _Reader, work: Callable[[Any], Any]) -> Any:
        where = reader.where
        for attempt in (0, 1):
            try:
                with reader.pool.connection() as conn, conn.cursor() as cur:
                    return work(cur)
            except DatabaseHungError:
                raise _Unreachable(
                    f"PostgreSQL at {where} did not answer within {self.timeout_s + GRACE_S:g} s"
                ) from None
            except psycopg2.extensions.QueryCanceledError:
                raise StoreUnavailableError(
                    f"query on {where} exceeded the {self.timeout_s:g} s statement timeout"
                ) from None
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
                if attempt:
                    raise _Unreachable(f"lost PostgreSQL at {where}: {first_line(exc)}") from None
            except psycopg2.Error as exc:
                raise StoreUnavailableError(f"query on {where} failed: {first_line(exc)}") from None
            except DatabaseUnreachableError as exc:
                raise _Unreachable(str(exc)) from None
        raise AssertionError("unreachable")

    def _fetch(self, sql: str, params: Any = None) -> list[tuple]:
        def work(cur) -> list[tuple]:
            cur.execute(sql, params)
            return cur.fetchall()

        return self._run(work)

    def _frame(
        self, sql: str, params: dict[str, Any], types: dict[str, pa.DataType]
    ) -> pd.DataFrame:
        """A query's rows as a DataFrame, streamed with COPY TO STDOUT (CSV) into Arrow."""

        def work(cur) -> bytes:
            query = cur.mogrify(sql, params).decode()
            buffer = io.BytesIO()
            cur.copy_expert(
                f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE *)", buffer
            )
            return buffer.getvalue()

        data = self._run(work)
        table = pacsv.read_csv(
            io.BytesIO(data),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],
                true_values=["t"],  # PostgreSQL's text for booleans
                false_values=["f"],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
        return _arrow_to_frame(table.select(list(types)))

    def close(self) -> None:
        for reader in getattr(self, "_readers", ()):
            reader.pool.close()

    def data_stamp(self) -> str:
        """A cheap stamp of the loaded data: changes with every load or import (manifest)."""
        return str(self._fetch(f"SELECT md5(manifest::text) FROM {META_TABLE} LIMIT 1")[0][0])

    # -- aggregates -----------------------------------------------------------------------
    def _rules_aggregate(self, digest: str) -> str:
        """The aggregate table for this store's rules, built once if it does not exist."""
        table = f"{AGGREGATE_PREFIX}{digest}"
        if self._fetch("SELECT to_regclass(%s)", (table,))[0][0] is not None:
            return table
        conn = connect(self._dsn, autocommit=False)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                cur.execute("SELECT to_regclass(%s)", (table,))
                if cur.fetchone()[0] is None:
                    build_aggregate(cur, self.metrics, self.years, table)
            conn.commit()
        except psycopg2.Error as exc:
            conn.rollback()
            raise StoreUnavailableError(
                f"PostgreSQL database {self._where} was loaded under other exit rules and "
                f"the aggregates for these rules cannot be built ({first_line(exc)}): "
                "reload it with `battlemap db load`"
            ) from None
        finally:
            conn.close()
        self.wait_for_replicas()
        return table

    def wait_for_replicas(self, timeout_s: float | None = None) -> None:
        """After a write on the primary (a derived table built on first use): wait until
        every server reads go to has replayed the primary's WAL so far (at most
        ``timeout_s``, default the statement timeout, at least 5 s); no wait without
        ``--read-dsn``. StoreUnavailableError if a replica lags longer."""
        if not self._replicas:
            return
        conn = connect(self._dsn, timeout_s=self.timeout_s)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_current_wal_insert_lsn()::text")
                target = cur.fetchone()[0]
        except psycopg2.Error as exc:
            raise StoreUnavailableError(
                f"lost PostgreSQL at {describe_dsn(self._dsn)}: {first_line(exc)}"
            ) from None
        finally:
            conn.close()
        deadline = time.monotonic() + max(self.timeout_s if timeout_s is None else timeout_s, 5)
        for reader in self._readers:
            try:
                while not self._attempt(reader, lambda cur: self._replayed(cur, target)):
                    if time.monotonic() > deadline:
                        raise StoreUnavailableError(
                            f"the replica {reader.where} has not replayed the primary's "
                            "changes yet: try again shortly"
                        )
                    time.sleep(0.05)
            except _Unreachable as exc:  # reads skip it for now (see _run)
                reader.down = (time.monotonic() + self.timeout_s, str(exc))

    @staticmethod
    def _replayed(cur, lsn: str) -> bool:
        cur.execute(
            "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)
        )
        return bool(cur.fetchone()[0])

    def _aggregate_rows(self, sql: str, params: dict[str, Any]) -> list[tuple]:
        """Rows of a query over the aggregate table; an aggregate for other rules that a
        reload dropped is built again, once."""
        try:
            return self._fetch(sql, params)
        except StoreUnavailableError:
            if (
                self._table == AGGREGATE_TABLE
                or self._fetch("SELECT to_regclass(%s)", (self._table,))[0][0]
            ):
                raise
            self._rules_aggregate(self.metrics.digest)
            return self._fetch(sql, params)

    def _counts_years(self, codes: list[str], years: list[int]) -> dict[int, dict[str, Counts]]:
        params = {"codes": list(codes), "years": [int(y) for y in years]}
        found: dict[int, dict[str, Counts]] = {int(y): {} for y in years}
        for code, year, values in self._aggregate_rows(self._counts_sql, params):
            found[int(year)][code] = _metrics(values)
        return {
            year: {code: by_code.get(code) or _zero() for code in codes}
            for year, by_code in found.items()
        }

    def _counts(self, codes: list[str], year: int) -> dict[str, Counts]:
        return self._counts_years(codes, [year])[int(year)]

    def _region_stats(
        self, code: str, parent: str | None, children: list[str], year: int
    ) -> RegionStats:
        others = [*children, *([parent] if parent else [])]
        params = {"code": code, "others": others, "year": int(year)}
        series: dict[int, Counts] = {}
        year_rows: dict[str, Counts] = {}
        assessment = None
        for row_code, row_year, values, sat, missed in self._aggregate_rows(
            self._stats_sql, params
        ):
            if values is None:  # the county assessment row
                assessment = CountyAssessment(
                    code, int(year), _optional_pct(sat), _optional_pct(missed)
                )
            elif row_code == code:
                series[int(row_year)] = _metrics(values)
            else:
                year_rows[row_code] = _metrics(values)
        return RegionStats(
            code=code,
            year=int(year),
            series={y: series.get(y) or _zero() for y in self.years},
            children={c: year_rows.get(c) or _zero() for c in children},
            parent=(year_rows.get(parent) or _zero()) if parent else None,
            assessment=assessment,
        )

    def _assessments(self, codes: list[str], year: int) -> dict[str, CountyAssessment]:
        rows = self._fetch(
            "SELECT code, satisfaction_pct, missed_registration_pct FROM county_assessments "
            "WHERE code = ANY(%s::char(12)[]) AND year = %s",
            (list(codes), int(year)),
        )
        return {
            code: CountyAssessment(code, int(year), _optional_pct(sat), _optional_pct(missed))
            for code, sat, missed in rows
        }

    # -- map features ---------------------------------------------------------------------
    def _unit_rows(self, codes: list[str]) -> UnitRows:
        rows = self._fetch(
            "SELECT code, name, label_lon, label_lat, ST_AsBinary(geom) FROM regions "
            "WHERE code = ANY(%s::char(12)[])",
            (list(codes),),
        )
        by_code = {row[0]: row for row in rows}
        ordered = [by_code[c] for c in codes if c in by_code]
        return UnitRows(
            codes=[r[0] for r in ordered],
            names=[r[1] for r in ordered],
            label_lon=[r[2] for r in ordered],
            label_lat=[r[3] for r in ordered],
            wkb=[bytes(r[4]) for r in ordered],
        )

    def _households(self, lo: str, hi: str, year: int) -> pd.DataFrame:
        params = {"lo": lo, "hi": hi, "year": int(year)}
        return self._frame(households_sql(self.metrics.rules), params, _HOUSEHOLD_TYPES)

    def _hex_cells(self, lo: str, hi: str, year: int, source: int) -> pd.DataFrame:
        if source not in (7, 9):
            raise ValueError(f"stored H3 cells are resolution 7 or 9, not {source}")
        sql = _HEX_SQL.format(source=source)
        return self._frame(sql, {"lo": lo, "hi": hi, "year": int(year)}, _HEX_TYPES)

    def _relocation_flows(self, lo: str, hi: str, year: int, origin_len: int) -> pd.DataFrame:
        params = {"lo": lo, "hi": hi, "year": int(year), "len": int(origin_len)}
        return self._frame(_RELOCATIONS_SQL, params, _RELOCATION_TYPES)

    def _labour_flows(self, lo: str, hi: str, year: int, origin_len: int) -> pd.DataFrame:
        params = {"lo": lo, "hi": hi, "year": int(year), "len": int(origin_len)}
        return self._frame(_LABOUR_SQL, params, _LABOUR_TYPES)
