"""``import_households``: a registered-household extract into the embedded store (and PostGIS).

Steps: stream the file in chunks and validate each row (bad rows go to the rejects file as
they come); check across rows (duplicates, status sequences); build the store's tables and
upsert them in memory; count the touched households before and after (the aggregate delta,
:mod:`~battlemap.geodata.importer.aggregate_delta`); stage the changed data dir files and
the cache plus the delta; with a DSN, meanwhile upsert the same rows into PostGIS and add
the same delta there, in one transaction; commit both together. Nothing is written before
the commit, so an error or Ctrl-C leaves both stores exactly as they were.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from battlemap.geodata.datadir import AGGREGATES_FILE, MANIFEST_FILE
from battlemap.geodata.errors import StoreUnavailableError
from battlemap.geodata.importer.aggregate_delta import (
    AggregateDelta,
    add_to_cache,
    aggregate_delta,
)
from battlemap.geodata.importer.atomic import DataDirTransaction
from battlemap.geodata.importer.checks import cross_row_checks
from battlemap.geodata.importer.context import StoreContext
from battlemap.geodata.importer.crs import CRS_NAMES
from battlemap.geodata.importer.embedded_write import (
    Upsert,
    merge_into,
    rebuild_aggregates,
    write_merged,
)
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.headers import map_headers
from battlemap.geodata.importer.progress import Progress
from battlemap.geodata.importer.readers import (
    DEFAULT_CHUNK_ROWS,
    SourceReader,
    open_reader,
    prefetched,
)
from battlemap.geodata.importer.rejects import RejectsWriter
from battlemap.geodata.importer.tables import (
    HOUSEHOLD_YEARS_SCHEMA,
    HOUSEHOLDS_SCHEMA,
    build_tables,
)
from battlemap.geodata.importer.validate import NORMALIZED_SCHEMA, validate_chunk
from battlemap.geodata.schema import TABLE_FILES

__all__ = ["ImportOptions", "ImportReport", "import_households"]


@dataclass(frozen=True)
class ImportOptions:
    """How to read and check the file (CLI flags)."""

    crs: str = "wgs84"
    encoding: str = "auto"
    sheet: str | None = None
    rejects: Path | None = None  # default: FILE.rejects.csv next to the file
    dry_run: bool = False
    tolerance_m: float = 500.0
    insert_only: bool = False
    chunk_rows: int = DEFAULT_CHUNK_ROWS

    def __post_init__(self) -> None:
        if self.crs not in CRS_NAMES:
            raise ImportFileError(f"unknown --crs {self.crs!r}: use {', '.join(CRS_NAMES)}")
        if self.tolerance_m < 0:
            raise ImportFileError("--tolerance-m must be zero or more")


@dataclass
class ImportReport:
    """What one import read, rejected and changed (printed as JSON by the CLI)."""

    file: str
    source: str
    mode: str
    crs: str
    rows: int = 0
    blank: int = 0
    loaded: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    households: dict[str, int] = field(default_factory=dict)
    household_years: dict[str, int] = field(default_factory=dict)
    stores: list[str] = field(default_factory=list)
    changed: bool = False
    # per store, how its aggregates were brought up to date: "delta" added or "rebuilt"
    aggregates: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    rejects_file: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rows_per_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stored_years(data_dir: Path, good: pa.Table, ctx: StoreContext) -> pa.Table | None:
    """The store's (hh_id, year, status) rows of households in ``good`` (for sequences)."""
    if not len(ctx.hh_ids) or good.num_rows == 0:
        return None
    wanted = pc.unique(good["hh_id"].combine_chunks().cast(pa.large_string()))
    if not pc.any(pc.is_in(ctx.hh_id_array, value_set=wanted)).as_py():
        return None
    table = pq.read_table(
        data_dir / TABLE_FILES["household_years"], columns=["hh_id", "year", "status"]
    )
    table = table.filter(pc.is_in(table["hh_id"].cast(pa.large_string()), value_set=wanted))
    status = table["status"]
    if pa.types.is_dictionary(status.type):
        table = table.set_column(2, "status", status.cast(status.type.value_type))
    return table


def _reread(reader: SourceReader, rows: set[int]) -> dict[int, list[str]]:
    """Original cells of the given row numbers (second pass, only for late rejects)."""
    found: dict[int, list[str]] = {}
    wanted = np.fromiter(rows, dtype=np.int64)
    for chunk in reader.chunks():
        positions = np.flatnonzero(np.isin(chunk.rows, wanted))
        if len(positions):
            for pos, values in zip(positions.tolist(), chunk.original(positions), strict=True):
                found[int(chunk.rows[pos])] = values
        if len(found) == len(rows):
            break
    return found


def _manifest(
    ctx: StoreContext, households: pa.Table, years: pa.Table, file: Path, loaded: int
) -> dict[str, Any]:
    manifest = json.loads(json.dumps(ctx.manifest))
    counts = manifest.setdefault("counts", {})
    counts["households"] = households.num_rows
    counts["household_years"] = years.num_rows
    counts["persons"] = int(pc.sum(households["size"]).as_py() or 0)
    manifest.setdefault("imports", []).append(
        {
            "file": file.name,
            "rows_loaded": loaded,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    )
    return manifest


def import_households(
    path: str | Path,
    data_dir: str | Path,
    *,
    dsn: str | None = None,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and load a household extract; see the module docstring for the steps."""
    options = options or ImportOptions()
    progress = progress or Progress(quiet=True)
    started = time.perf_counter()
    path = Path(path)
    data_dir = Path(data_dir)
    reader = open_reader(
        path,
        encoding=options.encoding,
        sheet=options.sheet,
        layer=options.sheet,
        chunk_rows=options.chunk_rows,
    )
    header = map_headers(reader.headers, dbf=reader.dbf, has_geometry=reader.has_geometry)
    report = ImportReport(
        file=str(path),
        source=reader.description,
        mode=header.mode,
        crs=options.crs,
        dry_run=options.dry_run,
        ignored_columns=header.ignored,
    )
    rejects_path = options.rejects or path.with_name(path.name + ".rejects.csv")
    rejects = RejectsWriter(rejects_path, reader.original_headers())
    try:
        with DataDirTransaction(data_dir) as txn:
            ctx = StoreContext.load(
                data_dir, tolerance_m=options.tolerance_m, insert_only=options.insert_only
            )
            progress.step(f"reading {path.name} ({reader.description}, {header.mode} rows)")
            good_parts = []
            for chunk in prefetched(reader.chunks()):
                report.rows += len(chunk) + len(chunk.bad)
                for record in chunk.bad:
                    rejects.add(record.row, "malformed_row", record.detail, record.values)
                result = validate_chunk(chunk, header, ctx, options.crs)
                report.blank += result.blank
                if len(result.rejected):
                    originals = chunk.original(result.rejected)
                    for pos, reason, detail, values in zip(
                        result.rejected.tolist(),
                        result.reasons,
                        result.details,
                        originals,
                        strict=True,
                    ):
                        rejects.add(int(chunk.rows[pos]), reason, detail, values)
                good_parts.append(result.good)
                progress.rows(report.rows, rejects.total)
            progress.rows(report.rows, rejects.total, final=True)
            good = pa.concat_tables(good_parts) if good_parts else NORMALIZED_SCHEMA.empty_table()

            progress.step("checking duplicates and status sequences")
            late = cross_row_checks(good, header.mode, _stored_years(data_dir, good, ctx))
            if len(late.positions):
                rows = good["row"].to_numpy()[late.positions]
                originals = _reread(reader, set(rows.tolist()))
                for row, reason, detail in zip(
                    rows.tolist(), late.reasons, late.details, strict=True
                ):
                    rejects.add(row, reason, detail, originals.get(row, []))
                keep = np.ones(good.num_rows, dtype=bool)
                keep[late.positions] = False
                good = good.filter(pa.array(keep))
            report.loaded = good.num_rows
            report.rejected = rejects.total
            report.reasons = rejects.summary()
            if report.loaded == 0 and report.rows - report.blank > 0:
                progress.step("no valid rows: nothing to load")

            households, years = build_tables(good, header.mode, ctx.years[-1])
            del good, good_parts  # keep memory to one copy of the rows from here on
            progress.step(
                f"{households.num_rows:,} households, {years.num_rows:,} household-years to upsert"
            )
            hh, hy, touched = merge_into(
                data_dir, households, years, (HOUSEHOLDS_SCHEMA, HOUSEHOLD_YEARS_SCHEMA)
            )
            del households, years
            report.households = hh.changes.as_dict()
            report.household_years = hy.changes.as_dict()
            report.changed = hh.changes.changed or hy.changes.changed
            report.stores = ["embedded"] + (["postgis"] if dsn else [])
            if not options.dry_run:
                _write(txn, ctx, path, report, (hh, hy, touched), dsn, progress)
        report.rejects_file = str(rejects.finish()) if rejects.total else None
    except BaseException:
        rejects.discard()
        raise
    report.seconds = round(time.perf_counter() - started, 3)
    report.rows_per_s = round(report.rows / max(report.seconds, 1e-9), 1)
    return report


class _Background:
    """Run one function in a thread; :meth:`result` joins and re-raises its error."""

    def __init__(self, func: Callable[[], Any]) -> None:
        self._result: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._result = func()
            except BaseException as exc:  # handed to the caller
                self._error = exc

        self._thread = threading.Thread(target=run, name="battlemap-postgis", daemon=True)
        self._thread.start()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result

    def wait(self) -> None:
        self._thread.join()


def _postgis_apply(
    pg: Any,
    txn: DataDirTransaction,
    ctx: StoreContext,
    upserts: tuple[Upsert, Upsert],
    manifest: dict[str, Any] | None,
    delta: Callable[[], AggregateDelta],
    progress: Progress,
) -> str | None:
    """The PostGIS half of the import, inside ``pg``'s transaction (not committed here).

    ``delta`` waits for the data dir side's aggregate delta (computed there meanwhile).
    """
    pg.check_in_sync(len(ctx.hh_ids), _year_rows(txn.data_dir), txn.data_dir)
    if manifest is None:
        return  # nothing changed
    progress.step("PostGIS: COPY new rows, upsert changed rows")
    got = [
        pg.apply(name, upsert.inserts, upsert.updates, upsert.changes.unchanged)
        for name, upsert in zip(("households", "household_years"), upserts, strict=True)
    ]
    want = [u.changes.as_dict() for u in upserts]
    if [c.as_dict() for c in got] != want:
        raise StoreUnavailableError(
            f"PostGIS and {txn.data_dir} disagree about this import (PostGIS: "
            f"{[c.as_dict() for c in got]}, data dir: {want}): the stores differ; reload "
            "PostGIS with `battlemap db load` first"
        )
    progress.step("PostGIS: updating region_year_stats")
    return pg.finish(list(ctx.years), manifest, delta())


def _write(
    txn: DataDirTransaction,
    ctx: StoreContext,
    path: Path,
    report: ImportReport,
    merged: tuple[Upsert, Upsert, pa.Array],
    dsn: str | None,
    progress: Progress,
) -> None:
    """Stage the tables, manifest and aggregates, apply to PostGIS meanwhile, commit both.

    The aggregate delta is computed once here and added to both stores' aggregates.
    """
    hh, hy, touched = merged
    changed = report.changed
    manifest = _manifest(ctx, hh.merged, hy.merged, path, report.loaded) if changed else None
    delta: Future[AggregateDelta] = Future()  # the database thread waits for it

    pg = job = None
    loaded = False
    if dsn:
        from battlemap.geodata.importer.postgis_write import PostgisUpsert, is_loaded

        loaded = is_loaded(dsn)
        if loaded:
            pg = PostgisUpsert(dsn)
            # the database works while the data dir side is written here
            job = _Background(
                lambda: _postgis_apply(pg, txn, ctx, (hh, hy), manifest, delta.result, progress)
            )
    try:
        if changed:
            # the delta first: the database thread adds it as soon as its COPY is done
            progress.step("aggregates: counting the touched households before and after")
            counted = aggregate_delta(
                txn.data_dir, ctx.years, touched, (hh.before, hy.before), (hh.merged, hy.merged)
            )
            if job is not None:
                counted.changed_csv  # noqa: B018 - PostGIS's payload, made off its thread's path
            delta.set_result(counted)
            progress.step("writing household tables")
            write_merged(txn, hh, hy)
            hh.merged = hy.merged = None
            txn.path(MANIFEST_FILE).write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            # after the tables: the cache must be at least as new as they are
            if add_to_cache(txn.data_dir, txn.staging, counted):
                txn.path(AGGREGATES_FILE)
                report.aggregates["embedded"] = "delta"
            else:
                progress.step("rebuilding aggregates.parquet")
                rebuild_aggregates(txn)
                report.aggregates["embedded"] = "rebuilt"
        if job is not None:
            how = job.result()
            if how:
                report.aggregates["postgis"] = how
        if not changed:
            progress.step("nothing changed")
            return
        if dsn and not loaded:
            from battlemap.geodata.postgis.load import load_data_dir

            progress.step("PostGIS database not loaded yet: loading the whole data dir")
            load_data_dir(dsn, txn.complete_dir())
            report.aggregates["postgis"] = "rebuilt"
            txn.commit()
        else:
            txn.commit(before=pg.commit if pg is not None else None)
        progress.step("data dir and PostGIS updated" if dsn else "data dir updated")
    except BaseException:
        if not delta.done():  # release the database thread if it waits for the delta
            delta.set_exception(StoreUnavailableError("the data dir side of the import failed"))
        if pg is not None and job is not None:
            pg.cancel()
            job.wait()
        raise
    finally:
        if pg is not None:
            pg.close()


def _year_rows(data_dir: Path) -> int:
    return pq.ParquetFile(data_dir / TABLE_FILES["household_years"]).metadata.num_rows
