"""What the row-table imports share: population, funds and cadre tables.

Each reads a CSV or XLSX file with Chinese or English headers, checks every row (a bad one
goes to the rejects file with its reason; a key repeated in the file is a reject), upserts
the good rows into the stored table by key (re-importing a file changes nothing), and swaps
the result in under the data dir's journal, PostGIS writing in the same commit. The row
checks and the tables differ; the rest is here once: finding the columns
(:func:`find_columns`), the cells every check starts with (:func:`text_cells`), the read and
check loop (:func:`check_rows`), the import's frame (:func:`run_import`), and for the funds
and cadre tables, which are replaced whole, the upsert and the write (:func:`import_table`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from battlemap.geodata.datadir import check_files, read_manifest, read_table, require_data_dir
from battlemap.geodata.importer.atomic import DataDirTransaction, database_check
from battlemap.geodata.importer.embedded_write import Changes
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.headers import normalize_header
from battlemap.geodata.importer.readers import SourceReader, open_reader
from battlemap.geodata.importer.rejects import RejectsWriter
from battlemap.geodata.importer.table_report import TableImportReport

__all__ = [
    "Check",
    "ImportRun",
    "RowChecks",
    "TableSpec",
    "check_rows",
    "find_columns",
    "import_table",
    "parse_date",
    "run_import",
    "stores",
    "table_specs",
    "text_cells",
]

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S")
# a row check: the row's cells by column name -> (None, values) or (reason, detail)
Check = Callable[[dict[str, str | None]], tuple[str | None, Any]]
Report = TypeVar("Report")
# the good rows once all are read: (frame, kept rows by key, stored rows, rejects) -> frame
Finish = Callable[[pd.DataFrame, dict, pd.DataFrame, RejectsWriter], pd.DataFrame]


def parse_date(text: str | None) -> dt.date | None:
    """A date in one of the formats the offices write, or None."""
    text = (text or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def find_columns(
    aliases: Mapping[str, tuple[str, ...]], headers: list[str], optional: Collection[str] = ()
) -> dict[str, int]:
    """Which source column holds each field (its first header matching an alias);
    ImportFileError naming a required field the file lacks."""
    found: dict[str, int] = {}
    for name, names in aliases.items():
        wanted = {normalize_header(a) for a in names}
        hits = [i for i, h in enumerate(headers) if normalize_header(h) in wanted]
        if hits:
            found[name] = hits[0]
        elif name not in optional:
            raise ImportFileError(
                f"no {name} column (one of {', '.join(names)}); the file has {', '.join(headers)}"
            )
    return found


def text_cells(
    names: Collection[str],
    cells: dict[str, str | None],
    optional: Collection[str],
    max_len: Mapping[str, int],
    default_len: int,
) -> tuple[str | None, Any]:
    """(None, the cells stripped, an empty one None), or the reason a cell fails first in
    column order: a required one empty, or one longer than its limit."""
    values: dict[str, Any] = {}
    for name in names:
        text = (cells.get(name) or "").strip()
        if not text and name not in optional:
            return "missing_value", f"{name} is empty"
        limit = max_len.get(name, default_len)
        if len(text) > limit:
            return "too_long", f"{name} has {len(text)} characters (at most {limit})"
        values[name] = text or None
    return None, values


def check_rows(
    reader: SourceReader,
    columns: dict[str, int],
    check: Check,
    key: Callable[[Any], tuple],
    writer: RejectsWriter,
    report: Any,
    *,
    duplicate: str = "same key as row {row}",
    accept: Callable[[Any, int], tuple[str | None, Any]] | None = None,
) -> dict[tuple, tuple[Any, int]]:
    """Read every row and check it; the good ones by key, with their row numbers.

    Bad rows go to ``writer`` with their reason: a malformed line, what ``check`` says, a
    key already taken by an earlier row (``duplicate``, formatted with that row), or what
    ``accept`` says of a row that passed (a check against the rows kept so far; it may note
    the row, which is kept when it returns no reason). ``report.rows`` counts every row."""
    good: dict[tuple, tuple[Any, int]] = {}
    for chunk in reader.chunks():
        report.rows += len(chunk) + len(chunk.bad)
        for record in chunk.bad:
            writer.add(record.row, "malformed_row", record.detail, record.values)
        cells = {name: chunk.columns[i].to_pylist() for name, i in columns.items()}
        for pos in range(len(chunk)):
            row = int(chunk.rows[pos])
            reason, result = check({n: cells[n][pos] for n in cells})
            if reason is None and key(result) in good:
                reason, result = "duplicate_in_file", duplicate.format(row=good[key(result)][1])
            if reason is None and accept is not None:
                reason, result = accept(result, row)
            if reason is not None:
                writer.add(row, reason, result, chunk.original(np.asarray([pos]))[0])
                continue
            good[key(result)] = (result, row)
    return good


@dataclass
class ImportRun:
    """What a running import has at hand (see :func:`run_import`)."""

    txn: DataDirTransaction
    manifest: dict[str, Any]
    reader: SourceReader
    columns: dict[str, int]
    writer: RejectsWriter

    @property
    def data_dir(self) -> Path:
        return self.txn.data_dir

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(int(y) for y in self.manifest["years"])

    def tally(self, report: Any, loaded: int) -> None:
        """The report's loaded, rejected and per-reason counts once every row is checked."""
        report.loaded = loaded
        report.rejected = self.writer.total
        report.reasons = self.writer.summary()


def stores(dsn: str | None) -> list[str]:
    """The stores an import writes: the data dir, and PostGIS with ``--dsn``."""
    return ["embedded"] + (["postgis"] if dsn else [])


def run_import(
    path: Path,
    data_dir: Path,
    report: Report,
    body: Callable[[ImportRun], None],
    *,
    dsn: str | None,
    encoding: str,
    sheet: str | None,
    rejects: Path | None,
    columns: Callable[[SourceReader], dict[str, int]],
) -> Report:
    """Open the file, find its ``columns``, run ``body`` in a data dir transaction of a
    checked data dir (it validates, tallies and writes), finish the rejects file (beside
    the file unless ``rejects``; removed on any error) and time the import."""
    started = time.perf_counter()
    reader = open_reader(path, encoding=encoding, sheet=sheet, layer=sheet)
    found = columns(reader)
    writer = RejectsWriter(
        rejects or path.with_name(path.name + ".rejects.csv"), reader.original_headers()
    )
    try:
        with DataDirTransaction(data_dir, committed_in_database=database_check(dsn)) as txn:
            manifest = read_manifest(require_data_dir(data_dir))
            check_files(data_dir, manifest).raise_problems(data_dir)
            body(ImportRun(txn, manifest, reader, found, writer))
        report.rejects_file = str(writer.finish()) if writer.total else None
    except BaseException:
        writer.discard()
        raise
    report.seconds = round(time.perf_counter() - started, 3)
    return report


@dataclass(frozen=True)
class TableSpec:
    """One side table a file replaces row by row: its data-dir file, Arrow schema, source
    columns (field -> header aliases) and key; PostGIS's table of the same name."""

    name: str
    file: str
    schema: pa.Schema
    columns: Mapping[str, tuple[str, ...]]
    keys: tuple[str, ...]
    optional: frozenset[str]
    ddl: str  # "module:TABLES" in battlemap.geodata.postgis (imported only with --dsn)
    create_missing: bool = False  # a database loaded before the table existed gets it
    # aggregates derived from the table (region_year_stats_<this>*) dropped with its rows
    stale_aggregates: str | None = None

    def postgis_table(self) -> Any:
        """The PostGIS table's DDL (a :class:`~battlemap.geodata.postgis.ddl.Table`)."""
        module, _, name = self.ddl.partition(":")
        tables = getattr(import_module(f"battlemap.geodata.postgis.{module}"), name)
        return {t.name: t for t in tables}[self.name]

    def stored(self, data_dir: Path) -> pd.DataFrame:
        """The stored rows (none when the data dir predates the table)."""
        if (data_dir / self.file).is_file():
            return read_table(data_dir, self.name)
        return self.schema.empty_table().to_pandas()


def table_specs(
    files: Mapping[str, str],
    schemas: Mapping[str, pa.Schema],
    columns: Mapping[str, Mapping[str, tuple[str, ...]]],
    keys: Mapping[str, tuple[str, ...]],
    optional: Mapping[str, Collection[str]],
    **shared: Any,
) -> dict[str, TableSpec]:
    """A :class:`TableSpec` per table of ``files`` (table -> its data-dir file), the other
    fields by table, ``shared`` for all."""
    return {
        table: TableSpec(
            name=table,
            file=file,
            schema=schemas[table],
            columns=columns[table],
            keys=keys[table],
            optional=frozenset(optional[table]),
            **shared,
        )
        for table, file in files.items()
    }


@dataclass
class RowChecks:
    """How one import checks its rows: ``check`` each row; ``accept`` one that passed,
    against the rows kept before it (see :func:`check_rows`); ``finish`` the good rows
    (frame, the kept rows by key, the stored rows, the rejects) once all are read."""

    check: Check
    accept: Callable[[Any, int], tuple[str | None, Any]] | None = None
    finish: Finish | None = None


def import_table(
    spec: TableSpec,
    path: str | Path,
    data_dir: str | Path,
    checks: Callable[[ImportRun], RowChecks],
    *,
    dsn: str | None = None,
    encoding: str = "auto",
    sheet: str | None = None,
    rejects: Path | None = None,
    dry_run: bool = False,
) -> TableImportReport:
    """Import one side table: the file's rows are checked (``checks``, made for the run),
    the good ones upserted by key into the stored rows, and the result replaces the table
    in the data dir and PostGIS."""
    path, data_dir = Path(path), Path(data_dir)
    report = TableImportReport(file=str(path), table=spec.name, dry_run=dry_run, stores=stores(dsn))

    def body(run: ImportRun) -> None:
        stored = spec.stored(run.data_dir)
        rules = checks(run)
        good = check_rows(
            run.reader, run.columns, rules.check, lambda v: tuple(v[k] for k in spec.keys),
            run.writer, report, accept=rules.accept,
        )  # fmt: skip
        frame = pd.DataFrame([v for v, _ in good.values()], columns=list(spec.columns))
        if rules.finish is not None and len(frame):
            frame = rules.finish(frame, good, stored, run.writer)
        run.tally(report, len(frame))
        merged, changes = upsert_by_key(stored, frame, spec.keys, spec.schema)
        report.inserted, report.updated = changes.inserted, changes.updated
        report.unchanged = changes.unchanged
        if dry_run or not changes.changed:
            return
        out = pa.Table.from_pandas(merged, schema=spec.schema, preserve_index=False)
        pq.write_table(out, run.txn.path(spec.file), compression="zstd")
        if dsn:
            _replace_in_postgis(dsn, spec, run.txn, out)
        else:
            run.txn.commit()

    return run_import(
        path, data_dir, report, body, dsn=dsn, encoding=encoding, sheet=sheet, rejects=rejects,
        columns=lambda reader: find_columns(spec.columns, reader.headers, spec.optional),
    )  # fmt: skip


def comparable(frame: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    """The schema's columns as Python values to compare (dates as datetime.date, floats as
    float, text as str, a null as None), each column of object dtype (None stays a null)."""
    out = frame.reindex(columns=schema.names).reset_index(drop=True)
    for name, typ in zip(schema.names, schema.types, strict=True):
        cast = _cast(typ)
        if cast is not None:
            values = out[name].tolist()
            out[name] = pd.Series(
                [None if v is None or pd.isna(v) else cast(v) for v in values], dtype=object
            )
    return out.astype(object)


def _date(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


def _cast(typ: pa.DataType) -> Callable[[Any], Any] | None:
    """How :func:`comparable` makes a value of an Arrow type a Python one (None: as is)."""
    if pa.types.is_date(typ):
        return _date
    if pa.types.is_floating(typ):
        return float
    if pa.types.is_string(typ):
        return str
    return None


def upsert_by_key(
    stored: pd.DataFrame, new: pd.DataFrame, keys: tuple[str, ...], schema: pa.Schema
) -> tuple[pd.DataFrame, Changes]:
    """``stored`` with ``new`` upserted by ``keys``, sorted by them; what that changes."""
    key = list(keys)
    stored, new = comparable(stored, schema), comparable(new, schema)
    both = new.merge(stored, on=key, how="left", suffixes=("", "_stored"), indicator=True)
    inserted = int((both["_merge"] == "left_only").sum())
    same = both["_merge"] == "both"
    for n in schema.names:
        if n not in key:
            old = both[f"{n}_stored"]
            same &= both[n].eq(old) | (both[n].isna() & old.isna())
    unchanged = int(same.sum())
    kept = stored.merge(new[key], on=key, how="left", indicator=True)
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")
    merged = pd.concat([kept, new], ignore_index=True).sort_values(key, ignore_index=True)
    return merged, Changes(inserted, len(both) - inserted - unchanged, unchanged)


def _replace_in_postgis(dsn: str, spec: TableSpec, txn: DataDirTransaction, rows: pa.Table) -> None:
    """Replace the table's rows in PostGIS in one transaction with the data dir's swap."""
    import psycopg2

    from battlemap.geodata.errors import StoreUnavailableError
    from battlemap.geodata.importer.postgis_write import PostgisUpsert, copy_rows
    from battlemap.geodata.postgis.connection import first_line
    from battlemap.geodata.postgis.ddl import AGGREGATE_PREFIX

    ddl = spec.postgis_table()
    pg = PostgisUpsert(dsn)
    try:
        try:
            if spec.create_missing:
                pg.cur.execute("SELECT to_regclass(%s)", (spec.name,))
                if pg.cur.fetchone()[0] is None:
                    pg.cur.execute(ddl.create_sql())
                    for sql in ddl.index_sql():
                        pg.cur.execute(sql)
            pg.cur.execute(f"DELETE FROM {spec.name}")
            copy_rows(pg.cur, ddl, rows)
            if spec.stale_aggregates:
                pg.cur.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND starts_with(tablename, %s)",
                    (AGGREGATE_PREFIX + spec.stale_aggregates,),
                )
                for (name,) in pg.cur.fetchall():
                    pg.cur.execute(f'DROP TABLE "{name}"')
        except psycopg2.Error as exc:
            raise StoreUnavailableError(
                f"importing {spec.name} into PostgreSQL failed ({first_line(exc)}); "
                "nothing was changed"
            ) from None
        txn.commit(before=lambda: pg.commit(txn.import_id))  # with the as-of time
    finally:
        pg.close()
