"""``load_data_dir``: a data dir into PostGIS in one transaction (all or nothing).

Tables are created and filled with COPY in a staging schema, indexed, checked, aggregated
into ``region_year_stats``, then swapped into the current schema at the end of the same
transaction: a failure at any step leaves the database exactly as before, and readers keep
the old tables until the commit.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extras

from battlemap.geodata.datadir import check_files, read_manifest, require_data_dir
from battlemap.geodata.errors import BattlemapError, DataDirError, StoreUnavailableError
from battlemap.geodata.journal import recover_on_open
from battlemap.geodata.metrics import MetricSet, metric_set
from battlemap.geodata.postgis.aggregate import (
    compute_aggregate,
    copy_aggregate,
    use_build_settings,
)
from battlemap.geodata.postgis.connection import connect, describe_dsn, first_line
from battlemap.geodata.postgis.copy import copy_parquet
from battlemap.geodata.postgis.ddl import (
    AGGREGATE_PREFIX,
    AGGREGATE_TABLE,
    LOAD_ORDER,
    META_SQL,
    META_TABLE,
    TABLES,
)
from battlemap.geodata.postgis.derived import (
    DERIVED_FUNDS_TABLES,
    compute_derived,
    copy_derived,
)
from battlemap.geodata.schema import OPTIONAL_TABLE_FILES, TABLE_FILES
from battlemap.indicators.rules import ExitRules

__all__ = [
    "ALL_TABLES",
    "IMPORTS_TABLE",
    "LOCK_KEY",
    "STAGING_SCHEMA",
    "LoadReport",
    "import_committed",
    "load_data_dir",
    "record_import",
]

STAGING_SCHEMA = "battlemap_load"
# import ids committed here, each in the transaction of its import (see geodata/journal.py)
IMPORTS_TABLE = "battlemap_imports"
ALL_TABLES: tuple[str, ...] = (*LOAD_ORDER, AGGREGATE_TABLE, META_TABLE)
LOCK_KEY = 0x424D4C44  # "BMLD": one load (or aggregate build) at a time per database

Progress = Callable[[str], None]


@dataclass
class LoadReport:
    """Rows per table and seconds per step of one load."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    years: tuple[int, ...] = ()
    aggregate_from_cache: bool = False  # the embedded store's verified cache was COPYed
    derived_copied: bool = False  # the funds and cadre tables went in with the load

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


DERIVED_TIMEOUT_S = 600.0  # the province's funds and cadre tables take a while to derive


class _Steps:
    """Times named steps into the report and tells the progress callback."""

    def __init__(self, report: LoadReport, progress: Progress | None) -> None:
        self.report, self.progress = report, progress or (lambda _msg: None)
        self.current = "connect"

    def run(self, name: str, func: Callable[[], Any], done: Callable[[Any], str] | None = None):
        self.current = name
        start = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - start
        self.report.seconds[name] = elapsed
        detail = f" {done(result)}" if done else ""
        self.progress(f"{name}:{detail} {elapsed:.2f} s")
        return result


def _ensure_postgis(cur) -> None:
    cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
    if cur.fetchone():
        return
    try:
        cur.execute("CREATE EXTENSION postgis")
    except psycopg2.Error as exc:
        raise StoreUnavailableError(
            f"the PostGIS extension is not installed in this database and cannot be created "
            f"({first_line(exc)}): run CREATE EXTENSION postgis as a superuser"
        ) from None


def _first(cur, sql: str, params: tuple = ()) -> tuple | None:
    cur.execute(sql, params)
    return cur.fetchone()


def _check_regions(cur) -> None:
    """Every region's ancestors exist."""
    bad = _first(
        cur,
        "SELECT r.code, a.code FROM regions r CROSS JOIN LATERAL "
        "(SELECT (rpad(left(r.code, n), 12, '0') COLLATE \"C\")::char(12) AS code "
        " FROM unnest(ARRAY[2, 4, 6, 9]) AS n) a "
        "WHERE a.code <> r.code AND NOT EXISTS (SELECT 1 FROM regions p WHERE p.code = a.code) "
        "LIMIT 1",
    )
    if bad:
        raise DataDirError(f"regions.parquet: region {bad[0]} has no ancestor region {bad[1]}")


def _check_household_years(cur, years: tuple[int, ...], metrics: MetricSet, rows: int) -> None:
    """Every household_years row is counted: its household exists and its year is in range.

    When ``registered_households`` counts every row, its province totals must add up to the
    row count (free after the aggregate); only a mismatch runs the slower searches.
    """
    counts_rows = any(
        m.name == "registered_households" and "WHEN true THEN 1 ELSE 0" in m.sql
        for m in metrics.metrics
    )
    if counts_rows:
        total = _first(
            cur,
            f"SELECT coalesce(sum(s.registered_households), 0) FROM {AGGREGATE_TABLE} s "
            "JOIN regions r ON r.code = s.code WHERE r.level = 1",
        )[0]
        if total == rows:
            return
    bad = _first(
        cur,
        "SELECT year FROM household_years WHERE year <> ALL(%s::smallint[]) LIMIT 1",
        (list(years),),
    )
    if bad:
        raise DataDirError(
            f"household_years.parquet: year {bad[0]} is outside the data set's years "
            f"{years[0]}–{years[-1]}"
        )
    bad = _first(
        cur,
        "SELECT y.hh_id FROM household_years y WHERE NOT EXISTS "
        "(SELECT 1 FROM households h WHERE h.hh_id = y.hh_id) LIMIT 1",
    )
    if bad:
        raise DataDirError(f"household_years.parquet: hh_id {bad[0]} is not in households")
    if counts_rows:
        raise DataDirError(
            f"household_years.parquet: {rows:,} rows but the aggregates count {total:,}"
        )


def _load_table(cur, name: str, data_dir: Path, steps: _Steps) -> None:
    """Create one staged table, COPY its file, then its key and indexes (one sorted build
    each, after the rows) and its statistics."""
    table = TABLES[name]
    cur.execute(table.create_sql())
    path = data_dir / (TABLE_FILES.get(name) or OPTIONAL_TABLE_FILES[name])
    if table.optional_file and not path.is_file():
        steps.report.rows[name] = 0
        return
    steps.report.rows[name] = steps.run(
        f"copy {name}", lambda: copy_parquet(cur, table, path), lambda n: f"{n:,} rows"
    )

    def build() -> None:
        for sql in table.index_sql():
            cur.execute(sql)
        cur.execute(f"ANALYZE {name}")

    steps.run(f"index {name}", build)


# Tables loaded side by side, each group in its own connection and transaction: the three
# largest on their own (the cadres' 23 M visits of a province take as long as the
# household-years), the rest (regions first, relocations …) on a fourth.
PARALLEL_LOADS: tuple[tuple[str, ...], ...] = (("household_years",), ("households",), ("visits",))


def _table_groups() -> list[list[str]]:
    alone = {name for group in PARALLEL_LOADS for name in group}
    groups = [[n for n in LOAD_ORDER if n not in alone]]
    groups += [[n for n in group if n in LOAD_ORDER] for group in PARALLEL_LOADS]
    return [g for g in groups if g]


def _stage_tables(dsn: str, data_dir: Path, steps: _Steps) -> None:
    """COPY every table into the staging schema, a group of tables per connection at the
    same time (the server parses one group while the client encodes another); each group
    commits its own transaction into the staging schema, which nothing reads."""
    errors: list[tuple[str, BaseException]] = []
    conns: list[Any] = []

    def load(group: list[str]) -> None:
        conn, current = None, group[0]
        try:
            conn = connect(dsn, autocommit=False)
            conns.append(conn)
            with conn.cursor() as cur:
                use_build_settings(cur)
                # the staging schema is thrown away after a crash: its commits need not
                # wait for the WAL flush (the swap's commit does)
                cur.execute("SET LOCAL synchronous_commit = off")
                cur.execute(
                    "SELECT set_config('search_path', %s || ', ' || "
                    "current_setting('search_path'), true)",
                    (STAGING_SCHEMA,),
                )
                for current in group:
                    _load_table(cur, current, data_dir, steps)
            conn.commit()
        except BaseException as exc:
            errors.append((f"copy {current}", exc))
            for other in conns:  # stop the other groups' statements
                with contextlib.suppress(Exception):
                    other.cancel()
        finally:
            if conn is not None:
                _rollback(conn)
                conn.close()

    threads = [
        threading.Thread(target=load, args=(group,), name=f"battlemap-load-{i}", daemon=True)
        for i, group in enumerate(_table_groups())
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        # the first error is the cause; the others were cancelled because of it
        cancelled = [e for e in errors if isinstance(e[1], psycopg2.errors.QueryCanceled)]
        step, exc = next((e for e in errors if e not in cancelled), errors[0])
        steps.current = step
        raise exc


def _swap(cur, target: str, derived: tuple[str, ...] = ()) -> None:
    """Replace the target schema's tables by the staged ones (same transaction).

    Aggregates built by stores for other exit rules (``region_year_stats_<digest>``) and
    the funds and cadre tables derived from the old rows are stale after a load and dropped
    too; ``derived``: the ones staged for the new rows.
    """
    cur.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s AND starts_with(tablename, %s)",
        (target, AGGREGATE_PREFIX),
    )
    stale = [name for (name,) in cur.fetchall()]
    for name in (*ALL_TABLES, *stale, *DERIVED_FUNDS_TABLES):
        cur.execute(f'DROP TABLE IF EXISTS "{target}".{name}')
    for name in (*ALL_TABLES, *derived):
        cur.execute(f'ALTER TABLE {STAGING_SCHEMA}.{name} SET SCHEMA "{target}"')
    cur.execute(f"DROP SCHEMA {STAGING_SCHEMA}")


def _prepare(cur) -> str:
    """Lock out other loads and imports (for the session), check PostGIS, make an empty
    staging schema (committed: the table groups fill it from their own connections).
    Returns the schema the tables go to."""
    cur.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    _ensure_postgis(cur)
    target = _first(cur, "SELECT current_schema()")[0]
    if target is None:
        raise StoreUnavailableError("the database's search_path names no existing schema")
    cur.execute(f"DROP SCHEMA IF EXISTS {STAGING_SCHEMA} CASCADE")
    cur.execute(f"CREATE SCHEMA {STAGING_SCHEMA}")
    cur.connection.commit()
    return target


def _finish(
    cur,
    target: str,
    data_dir: Path,
    manifest: dict[str, Any],
    metrics: MetricSet,
    steps: _Steps,
    computing: Background,
    deriving: Background,
) -> None:
    """In one transaction: check the staged tables, add the aggregates, the meta row and
    the derived funds and cadre tables, swap them all in (the caller commits)."""
    report = steps.report
    use_build_settings(cur)
    cur.execute(
        "SELECT set_config('search_path', %s || ', ' || current_setting('search_path'), true)",
        (STAGING_SCHEMA,),
    )
    years = report.years
    steps.run("checks", lambda: _check_regions(cur))
    computed = steps.run("aggregate wait", computing.result)  # summed while COPY ran
    report.aggregate_from_cache = computed.from_cache
    if computed.years != years:
        raise DataDirError(f"{data_dir}: the aggregates' years differ from the data set's")
    report.rows[AGGREGATE_TABLE] = steps.run(
        "aggregate",
        lambda: copy_aggregate(cur, computed, AGGREGATE_TABLE),
        lambda n: f"{n:,} region-years COPYed",
    )
    rows = report.rows["household_years"]
    steps.run("totals", lambda: _check_household_years(cur, years, metrics, rows))
    cur.execute(META_SQL)
    cur.execute(
        f"INSERT INTO {META_TABLE} (data_dir, manifest, years, metrics_digest) "
        "VALUES (%s, %s, %s, %s)",
        (str(data_dir.resolve()), psycopg2.extras.Json(manifest), list(years), metrics.digest),
    )
    derived = _copy_derived(cur, metrics, steps, deriving)
    steps.run("swap", lambda: _swap(cur, target, derived))


def _copy_derived(cur, metrics: MetricSet, steps: _Steps, deriving: Background) -> tuple[str, ...]:
    """COPY the funds and cadre tables computed from the data dir (keyed by the staged meta
    row's stamp, as :meth:`PostgisStore.data_stamp` reads it); their names. When they could
    not be computed, none: :func:`prepare_derived` builds them after the load."""
    try:
        computed = steps.run("derived wait", deriving.result)
    except Exception as exc:  # the tables' own COPY names bad data; this only falls back
        steps.progress(f"derived tables left for after the load: {exc}")
        return ()
    steps.report.derived_copied = True
    stamp = str(_first(cur, f"SELECT md5(manifest::text) FROM {META_TABLE}")[0])
    rows = steps.run(
        "derived",
        lambda: copy_derived(cur, computed, stamp, metrics.rules),
        lambda r: ", ".join(f"{n}: {v:,} rows" for n, v in r.items()) or "none",
    )
    steps.report.rows.update(rows)
    names = tuple(rows)
    if computed.funds is not None:
        names = (*DERIVED_FUNDS_TABLES, *names[1:])
    return names


def _drop_staging(conn) -> None:
    """After a failed load: no half-filled staging schema stays behind."""
    with contextlib.suppress(psycopg2.Error):
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {STAGING_SCHEMA} CASCADE")
        conn.commit()


def _rollback(conn) -> None:
    with contextlib.suppress(psycopg2.Error):  # a lost connection rolls back by itself
        conn.rollback()


def record_import(cur, import_id: str) -> None:
    """Record that this transaction commits import ``import_id`` (with the data dir's swap):
    after a crash between the two commits, :func:`import_committed` tells which won."""
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {IMPORTS_TABLE} (import_id text PRIMARY KEY, "
        "committed_at timestamptz NOT NULL DEFAULT now())"
    )
    cur.execute(f"INSERT INTO {IMPORTS_TABLE} (import_id) VALUES (%s)", (import_id,))


def import_committed(dsn: str) -> Callable[[str], bool]:
    """A check: did the database at ``dsn`` commit import ``import_id``? (It connects only
    when asked; an unreachable database raises StoreUnavailableError.)"""

    def check(import_id: str) -> bool:
        conn = connect(dsn)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT to_regclass(%s)", (IMPORTS_TABLE,))
                if cur.fetchone()[0] is None:
                    return False
                cur.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {IMPORTS_TABLE} WHERE import_id = %s)",
                    (import_id,),
                )
                return bool(cur.fetchone()[0])
        finally:
            conn.close()

    return check


def load_data_dir(
    dsn: str,
    data_dir: str | Path,
    *,
    rules: ExitRules | None = None,
    progress: Progress | None = None,
    import_id: str | None = None,
    verify: bool = True,
) -> LoadReport:
    """Load every table of ``data_dir`` into the database at ``dsn``, replacing what is there.

    The aggregates are built under ``rules`` (default: ``load_rules()``). All or nothing: on
    any error the transaction is rolled back and the previous tables stay. Raises
    DataDirError for bad input files, StoreUnavailableError for database problems.
    ``verify``: first recover an interrupted import and check the files against the
    manifest (off for an import's own staged dir); ``import_id``: the import this load
    commits (recorded in ``battlemap_imports``).
    """
    path = require_data_dir(data_dir)
    if verify:
        recover_on_open(path, import_committed(dsn))
    manifest = read_manifest(path)
    if verify:
        check_files(path, manifest).raise_problems(path)
    metrics = metric_set(rules)
    report = LoadReport()
    steps = _Steps(report, progress)
    years = tuple(sorted({int(y) for y in manifest["years"]}))
    metrics.rules.check_years(years)
    report.years = years
    conn = connect(dsn, autocommit=False)
    staged = False
    try:
        with conn.cursor() as cur:
            target = _prepare(cur)
            staged = True
            # the counts are summed (or read from the verified cache) while the tables COPY
            computing = Background(
                lambda: compute_aggregate(path, years, metrics, trust_cache=verify),
                name="battlemap-aggregate",
            )
            # the funds and cadre tables too, by the embedded engines (or from their cache)
            deriving = Background(
                lambda: compute_derived(path, years, metrics.rules, manifest, trust_cache=verify),
                name="battlemap-derived",
            )
            _stage_tables(dsn, path, steps)
            report.rows = {n: report.rows[n] for n in LOAD_ORDER if n in report.rows}
            _finish(cur, target, path, manifest, metrics, steps, computing, deriving)
            if import_id is not None:
                record_import(cur, import_id)
        steps.run("commit", conn.commit)
        staged = False  # swapped in: the staging schema is gone
    except BattlemapError:
        raise
    except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
        raise DataDirError(f"{path}: {steps.current} failed: {first_line(exc)}") from None
    except psycopg2.OperationalError as exc:
        raise StoreUnavailableError(
            f"lost PostgreSQL at {describe_dsn(dsn)} during {steps.current}: {first_line(exc)}"
        ) from None
    except psycopg2.Error as exc:
        raise StoreUnavailableError(
            f"loading into {describe_dsn(dsn)} failed during {steps.current}: {first_line(exc)}"
        ) from None
    finally:
        _rollback(conn)
        if staged:
            _drop_staging(conn)
        conn.close()  # ends the session: its load lock too
    if not report.derived_copied:  # computing them failed: built from the loaded rows
        # after the load lock is released: the funds tables are built under the same lock
        steps.run("derived tables", lambda: prepare_derived(dsn, rules, progress))
    return report


def prepare_derived(
    dsn: str, rules: ExitRules | None = None, progress: Progress | None = None
) -> None:
    """Build the funds and cadre tables derived from the rows just loaded, under ``rules``.

    Done by the loading user right after the load, so ``battlemap stats`` or the app running
    as a read-only role (or on a replica) finds them and never writes. A failure here leaves
    the committed load as it is: readers that may write build them on first use instead.
    """
    from battlemap.geodata.cadres_store import cadre_source
    from battlemap.geodata.funds import funds_source
    from battlemap.geodata.postgis.store import PostgisStore

    store = PostgisStore(dsn, rules=rules, timeout_s=DERIVED_TIMEOUT_S, pool_size=1)
    try:
        for source in (funds_source(store), cadre_source(store)):
            source.prepare()
    except BattlemapError as exc:
        (progress or (lambda _msg: None))(f"derived tables left for first use: {exc}")
    finally:
        store.close()


class Background:
    """``func()`` run in a daemon thread (an abandoned load's exit does not wait for it);
    :meth:`result` waits and returns its value or raises its exception."""

    def __init__(self, func: Callable[[], Any], *, name: str) -> None:
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = func()
            except BaseException as exc:
                self._error = exc

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
