"""Upsert imported rows into a loaded PostGIS store in one transaction.

The data dir side already knows which rows are new and which changed (the stores hold the
same content, checked by row counts first); it hands them over one store part at a time.
New rows go in by plain COPY (the loader's CSV conversion); changed rows are COPYed into a
temporary table and merged at the end with ``INSERT … ON CONFLICT DO UPDATE`` (only rows
that differ are touched). ``region_year_stats``
then gets the import's :class:`~battlemap.geodata.importer.aggregate_delta.AggregateDelta`
added (the same numbers the embedded cache gets), or is rebuilt with the loader's aggregate
SQL when it was built under other metric definitions; the data dir's new manifest is stored.
The caller commits, at the same moment as the data dir swap.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg2
import psycopg2.extras
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from battlemap.geodata.errors import StoreUnavailableError
from battlemap.geodata.importer.aggregate_delta import AggregateDelta
from battlemap.geodata.importer.embedded_write import HOUSEHOLD_COMPARE, YEAR_COMPARE, Changes
from battlemap.geodata.importer.progress import Progress
from battlemap.geodata.metrics import METRIC_NAMES, metric_set
from battlemap.geodata.postgis.aggregate import build_aggregate, use_build_settings
from battlemap.geodata.postgis.connection import connect, describe_dsn, first_line
from battlemap.geodata.postgis.copy import BATCH_ROWS, BatchReader, batch_to_csv
from battlemap.geodata.postgis.ddl import (
    AGGREGATE_PREFIX,
    AGGREGATE_TABLE,
    META_TABLE,
    TABLES,
    Table,
)
from battlemap.geodata.postgis.load import LOCK_KEY, record_import

__all__ = ["PostgisUpsert", "copy_rows", "is_loaded", "load_whole", "refresh_aggregate"]

# Above this share of the aggregate table's rows, a delta rewrites the table instead of
# updating rows in place.
REWRITE_SHARE = 0.25
_REQUIRED = ("regions", "households", "household_years", AGGREGATE_TABLE, META_TABLE)


def is_loaded(dsn: str) -> bool:
    """True when the database has the store's tables (``battlemap db load`` ran)."""
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT " + ", ".join(f"to_regclass('{n}')" for n in _REQUIRED))
            return all(cur.fetchone())
    finally:
        conn.close()


def load_whole(dsn: str, txn: Any, progress: Progress) -> None:
    """Load the staged data dir (``txn``, a DataDirTransaction) whole into a database that
    holds no store yet: the imports' way into an empty PostGIS. The caller commits ``txn``."""
    from battlemap.geodata.postgis.load import load_data_dir

    progress.step("PostGIS database not loaded yet: loading the whole data dir")
    txn.prepare()  # a kill after the load's commit: recovery asks the database
    load_data_dir(dsn, txn.complete_dir(), import_id=txn.import_id, verify=False)


def drop_other_aggregates(cur) -> None:
    """Drop the aggregates stores built on demand for other exit rules: stale after a change."""
    cur.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND starts_with(tablename, %s)",
        (AGGREGATE_PREFIX,),
    )
    for (name,) in cur.fetchall():
        cur.execute(f'DROP TABLE IF EXISTS "{name}"')


def refresh_aggregate(cur, years: list[int]) -> str:
    """Rebuild ``region_year_stats`` in the caller's transaction with the loader's
    ``build_aggregate`` (default exit rules); drop aggregates stores built for other rules,
    which are stale now. Returns the metrics digest the table was built under.
    """
    drop_other_aggregates(cur)
    cur.execute(f"DROP TABLE IF EXISTS {AGGREGATE_TABLE}")
    metrics = metric_set()
    build_aggregate(cur, metrics, years, AGGREGATE_TABLE)
    return metrics.digest


def _batches(rows: pa.Table | Path) -> Iterator[pa.RecordBatch]:
    if isinstance(rows, pa.Table):
        return iter(rows.to_batches(max_chunksize=BATCH_ROWS))
    return pq.ParquetFile(rows).iter_batches(batch_size=BATCH_ROWS)


def copy_rows(cur, table: Table, source: pa.Table | Path) -> int:
    """COPY an Arrow table or a parquet file into an existing table (the loader's CSV
    conversion, no FREEZE)."""
    rows = 0

    def chunks() -> Iterator[bytes]:
        nonlocal rows
        for batch in _batches(source):
            rows += batch.num_rows
            yield batch_to_csv(table, batch)

    names = ", ".join(c.name for c in table.columns)
    reader = BatchReader(chunks())
    try:
        cur.copy_expert(f"COPY {table.name} ({names}) FROM STDIN WITH (FORMAT csv)", reader)
    except Exception:
        if reader.error is not None:
            raise reader.error from None
        raise
    return rows


def _upsert_sql(table: Table, staging: str, key: tuple[str, ...], compare: tuple[str, ...]) -> str:
    names = [c.name for c in table.columns]
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n not in key)
    mine = ", ".join(f"t.{n}" for n in compare)
    theirs = ", ".join(f"EXCLUDED.{n}" for n in compare)
    return (
        f"WITH up AS (INSERT INTO {table.name} AS t ({', '.join(names)}) "
        f"SELECT {', '.join(names)} FROM {staging} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates} "
        f"WHERE ({mine}) IS DISTINCT FROM ({theirs}) "
        "RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
    )


class PostgisUpsert:
    """One import's transaction on a loaded database: prepare, then commit or roll back."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.where = describe_dsn(dsn)
        self.conn = connect(dsn, autocommit=False)
        self.cur = self.conn.cursor()
        self.cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        # the loader's memory settings: index builds and the aggregate join stay in memory
        use_build_settings(self.cur)
        self._inserted: dict[str, int] = {}
        self._reindex: set[str] = set()
        self._staged: set[str] = set()

    def _count(self, table: str) -> int:
        self.cur.execute(f"SELECT count(*) FROM {table}")
        return int(self.cur.fetchone()[0])

    def check_in_sync(self, households: int, household_years: int, data_dir: Path) -> None:
        """The database must hold what the data dir holds before the import."""
        have = (self._count("households"), self._count("household_years"))
        if have != (households, household_years):
            raise StoreUnavailableError(
                f"PostgreSQL database {self.where} is not in sync with {data_dir} "
                f"({have[0]:,} vs {households:,} households, {have[1]:,} vs "
                f"{household_years:,} household-years): run `battlemap db load --dsn DSN "
                f"--data-dir {data_dir}` first"
            )

    def _create_staging(self, name: str) -> str:
        staging = f"import_{name}"
        self.cur.execute(
            f"CREATE TEMP TABLE {staging} (LIKE {name} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        return staging

    def _stage(self, name: str, rows: pa.Table | Path) -> str:
        staging = self._create_staging(name)
        copy_rows(self.cur, Table(staging, TABLES[name].columns), rows)
        return staging

    def begin(self) -> None:
        """Get both household tables ready to take the import's parts: an empty table loses
        its key and indexes until :meth:`end` (COPY first, index once, like ``db load``)."""
        self._reindex = set()
        self._staged = set()
        for name in ("households", "household_years"):
            self.cur.execute(f"SELECT EXISTS (SELECT 1 FROM {name})")
            if not self.cur.fetchone()[0] and self._drop_indexes(TABLES[name]):
                self._reindex.add(name)

    def add(self, name: str, inserts: pa.Table, updates: pa.Table) -> None:
        """One part's new rows by plain COPY into the table; its changed rows COPYed into a
        staging table, merged at :meth:`end`.

        A new row whose key exists (the stores differ) aborts the COPY on the primary key.
        """
        if inserts.num_rows:
            self._inserted[name] = self._inserted.get(name, 0) + copy_rows(
                self.cur, TABLES[name], inserts
            )
        if updates.num_rows:
            staging = f"import_{name}"
            if name not in self._staged:
                self._create_staging(name)
                self._staged.add(name)
            copy_rows(self.cur, Table(staging, TABLES[name].columns), updates)

    def end(self) -> dict[str, tuple[int, int]]:
        """Merge the staged changed rows with ``INSERT … ON CONFLICT DO UPDATE`` (only rows
        that really differ are written), index the tables :meth:`begin` emptied of indexes;
        (inserted, updated) per table."""
        done = {}
        for name in ("households", "household_years"):
            table = TABLES[name]
            inserted, updated = self._inserted.get(name, 0), 0
            if name in self._staged:
                key = ("hh_id", "year") if name == "household_years" else ("hh_id",)
                compare = YEAR_COMPARE if name == "household_years" else HOUSEHOLD_COMPARE
                self.cur.execute(_upsert_sql(table, f"import_{name}", key, compare))
                extra, updated = (int(v) for v in self.cur.fetchone())
                inserted += extra
            if name in self._reindex:
                for sql in table.index_sql():
                    self.cur.execute(sql)
                self.cur.execute(f"ANALYZE {name}")
            done[name] = (inserted, updated)
        return done

    def _drop_indexes(self, table: Table) -> bool:
        """Drop the key and indexes ``Table.index_sql`` creates, to rebuild them after the
        COPY; False (nothing dropped) if something depends on them."""
        self.cur.execute("SAVEPOINT drop_indexes")
        try:
            if table.primary_key:
                self.cur.execute(
                    f"ALTER TABLE {table.name} DROP CONSTRAINT IF EXISTS {table.name}_pkey"
                )
            for index, _ in table.indexes:
                self.cur.execute(f"DROP INDEX IF EXISTS {index}")
        except psycopg2.Error:
            self.cur.execute("ROLLBACK TO SAVEPOINT drop_indexes")
            return False
        self.cur.execute("RELEASE SAVEPOINT drop_indexes")
        return True

    def upsert_regions(self, regions: Path) -> Changes:
        """COPY a staged regions file and upsert it by code."""
        staging = self._stage("regions", regions)
        total = self._count(staging)
        compare = tuple(c.name for c in TABLES["regions"].columns if c.name != "code")
        self.cur.execute(_upsert_sql(TABLES["regions"], staging, ("code",), compare))
        inserted, updated = (int(v) for v in self.cur.fetchone())
        return Changes(inserted, updated, total - inserted - updated)

    def check_population_in_sync(self, rows: int, data_dir: Path) -> None:
        """The database must hold as many population rows as the data dir, before."""
        have = self._count("rural_population")
        if have != rows:
            raise StoreUnavailableError(
                f"PostgreSQL database {self.where} is not in sync with {data_dir} ({have:,} vs "
                f"{rows:,} rural population rows): run `battlemap db load --dsn DSN "
                f"--data-dir {data_dir}` first"
            )

    def upsert_population(self, rows: Path) -> Changes:
        """COPY a staged rural_population file and upsert it by (code, year)."""
        staging = self._stage("rural_population", rows)
        total = self._count(staging)
        sql = _upsert_sql(TABLES["rural_population"], staging, ("code", "year"), ("persons",))
        self.cur.execute(sql)
        inserted, updated = (int(v) for v in self.cur.fetchone())
        return Changes(inserted, updated, total - inserted - updated)

    def set_rural_population(
        self, codes: tuple[str, ...], years: tuple[int, ...], population: np.ndarray
    ) -> None:
        """Set ``region_year_stats.rural_population`` to the rolled-up [region, year] values
        (the embedded store's numbers); aggregates built for other rules are dropped."""
        drop_other_aggregates(self.cur)
        table = pa.table(
            {
                "code": pa.array(np.repeat(np.asarray(codes, dtype=object), len(years))),
                "year": pa.array(np.tile(np.asarray(years, dtype=np.int16), len(codes))),
                "rural_population": pa.array(population.reshape(-1).astype(np.int64)),
            }
        )
        self.cur.execute(
            "CREATE TEMP TABLE import_population (code text, year smallint, "
            "rural_population bigint) ON COMMIT DROP"
        )
        sink = io.BytesIO()
        pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False))
        sink.seek(0)
        self.cur.copy_expert("COPY import_population FROM STDIN WITH (FORMAT csv)", sink)
        self.cur.execute(
            f"UPDATE {AGGREGATE_TABLE} t SET rural_population = p.rural_population "
            "FROM import_population p WHERE t.code = p.code AND t.year = p.year "
            "AND t.rural_population IS DISTINCT FROM p.rural_population"
        )
        self.cur.execute(
            f"SELECT count(*) FROM {AGGREGATE_TABLE} t JOIN import_population p "
            "ON t.code = p.code AND t.year = p.year"
        )
        if int(self.cur.fetchone()[0]) != table.num_rows:
            raise StoreUnavailableError(
                f"{AGGREGATE_TABLE} on {self.where} lacks region-years of the data dir: reload "
                "PostGIS with `battlemap db load`"
            )

    def _aggregate_takes(self, delta: AggregateDelta) -> bool:
        """True when ``region_year_stats`` was built under the delta's metric definitions and
        years, so adding the delta gives what a rebuild would."""
        self.cur.execute(f"SELECT metrics_digest, years FROM {META_TABLE}")
        row = self.cur.fetchone()
        return row is not None and row[0] == delta.digest and tuple(row[1]) == delta.years

    def _add_delta(self, delta: AggregateDelta) -> None:
        """``region_year_stats`` += delta: an UPDATE of the region-years it changes, or, when
        that is a large share of the table, a rewrite joined with the delta (much faster
        than updating most rows in place)."""
        changed = delta.changed_rows
        if changed.num_rows == 0:
            return
        names = changed.schema.names
        self.cur.execute(f"CREATE TEMP TABLE import_delta (LIKE {AGGREGATE_TABLE}) ON COMMIT DROP")
        self.cur.copy_expert(
            f"COPY import_delta ({', '.join(names)}) FROM STDIN WITH (FORMAT csv)",
            io.BytesIO(delta.changed_csv),
        )
        total = len(delta.codes) * len(delta.years)  # the table has every region-year
        if changed.num_rows > REWRITE_SHARE * total:
            found = self._rewrite_with(changed.num_rows)
        else:
            sets = ", ".join(f"{n} = t.{n} + d.{n}" for n in names[2:])
            self.cur.execute(
                f"UPDATE {AGGREGATE_TABLE} t SET {sets} FROM import_delta d "
                "WHERE t.code = d.code AND t.year = d.year"
            )
            found = self.cur.rowcount
        if found != changed.num_rows:
            raise StoreUnavailableError(
                f"{AGGREGATE_TABLE} on {self.where} lacks region-years this import changes "
                f"({found:,} of {changed.num_rows:,} found): reload PostGIS with "
                "`battlemap db load`"
            )

    def _rewrite_with(self, delta_rows: int) -> int:
        """Replace the aggregate table by itself plus ``import_delta`` (``delta_rows`` rows);
        how many of them matched a region-year of the table.

        A full join keeps delta rows the table lacks (rural population NULL) to count them.
        """
        rewritten = f"{AGGREGATE_TABLE}_import"
        columns = ", ".join(
            [
                "coalesce(t.code, d.code) AS code",
                "coalesce(t.year, d.year) AS year",
                "t.rural_population",
                *(f"coalesce(t.{n}, 0) + coalesce(d.{n}, 0) AS {n}" for n in METRIC_NAMES[1:]),
            ]
        )
        self.cur.execute(
            f"CREATE TABLE {rewritten} AS SELECT {columns} FROM {AGGREGATE_TABLE} t "
            "FULL JOIN import_delta d ON d.code = t.code AND d.year = t.year"
        )
        self.cur.execute(f"SELECT count(*) FROM {rewritten} WHERE rural_population IS NULL")
        missing = int(self.cur.fetchone()[0])
        self.cur.execute(f"DROP TABLE {AGGREGATE_TABLE}")
        self.cur.execute(f"ALTER TABLE {rewritten} RENAME TO {AGGREGATE_TABLE}")
        self.cur.execute(f"ALTER TABLE {AGGREGATE_TABLE} ADD PRIMARY KEY (code, year)")
        self.cur.execute(f"ANALYZE {AGGREGATE_TABLE} (code, year)")
        return delta_rows - missing

    def finish(
        self, years: list[int], manifest: dict[str, Any], delta: AggregateDelta | None = None
    ) -> str:
        """Bring the aggregate table up to date and store the manifest (still uncommitted):
        add ``delta`` when the table takes it, else rebuild it in SQL. Says which."""
        if delta is not None and self._aggregate_takes(delta):
            drop_other_aggregates(self.cur)
            self._add_delta(delta)
            digest, how = delta.digest, "delta"
        else:
            digest, how = refresh_aggregate(self.cur, years), "rebuilt"
        self.cur.execute(
            f"UPDATE {META_TABLE} SET manifest = %s, years = %s, metrics_digest = %s, "
            "loaded_at = now()",
            (psycopg2.extras.Json(manifest), list(years), digest),
        )
        return how

    def stamp(self, import_id: str | None) -> None:
        """Date the data now, in this transaction: ``loaded_at`` is the as-of time readers
        show, and the import's ID in the stored manifest changes the data stamp, so a running
        app takes the import up (every import commits through here, whatever it changed)."""
        extra = {"import_id": import_id} if import_id is not None else {}
        self.cur.execute(
            f"UPDATE {META_TABLE} SET manifest = manifest || %s, loaded_at = clock_timestamp()",
            (psycopg2.extras.Json(extra),),
        )

    def commit(self, import_id: str | None = None) -> None:
        """Commit, with the as-of time moved to now (:meth:`stamp`); with ``import_id``,
        recorded in the same transaction (crash recovery)."""
        try:
            self.stamp(import_id)
            if import_id is not None:
                record_import(self.cur, import_id)
            self.conn.commit()
        except psycopg2.Error as exc:
            raise StoreUnavailableError(
                f"commit on {self.where} failed: {first_line(exc)}"
            ) from None
        from battlemap.geodata.postgis.load import prepare_derived

        prepare_derived(self.dsn)  # as the importing user: readers never have to write

    def cancel(self) -> None:
        """Interrupt a running statement (from another thread)."""
        with contextlib.suppress(psycopg2.Error):
            self.conn.cancel()

    def close(self) -> None:
        """Roll back anything uncommitted and close (safe after commit)."""
        try:
            if not self.conn.closed:
                self.conn.rollback()
                self.conn.close()
        except psycopg2.Error:
            pass
