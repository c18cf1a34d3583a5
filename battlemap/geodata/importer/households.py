"""``import_households``: a registered-household extract into the embedded store (and PostGIS).

Steps: stream the file in chunks and validate each row (bad rows go to the rejects file as
they come, good rows to scratch files, :mod:`~battlemap.geodata.importer.spill`); then, one
store part at a time (:mod:`~battlemap.geodata.partitions`): check across rows (duplicates,
status sequences), build the store's tables, upsert them into the part in memory, count the
touched households before and after (the aggregate delta,
:mod:`~battlemap.geodata.importer.aggregate_delta`) and stage the part if it changed. With a
DSN the database takes each part's rows meanwhile, in one transaction
(:mod:`~battlemap.geodata.importer.postgis_side`). Last, the manifest and the cache plus the
delta are staged and both stores commit together. Memory holds one part and one group of
rows, not the file or the store. Nothing is written before the commit, so an error or Ctrl-C
leaves both stores exactly as they were.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from battlemap.geodata import partitions
from battlemap.geodata.datadir import AGGREGATES_FILE, MANIFEST_FILE
from battlemap.geodata.importer.aggregate_delta import DeltaCounter, add_to_cache
from battlemap.geodata.importer.atomic import DataDirTransaction, database_check
from battlemap.geodata.importer.checks import CrossRowRejects, cross_row_checks, store_clashes
from battlemap.geodata.importer.context import StoreContext
from battlemap.geodata.importer.crs import CRS_NAMES
from battlemap.geodata.importer.embedded_write import (
    Changes,
    StoredPart,
    merge_into,
    read_part,
    rebuild_aggregates,
    write_part,
)
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.headers import map_headers
from battlemap.geodata.importer.keys import hh_ids
from battlemap.geodata.importer.progress import Progress
from battlemap.geodata.importer.readers import (
    DEFAULT_CHUNK_ROWS,
    SourceReader,
    open_reader,
    prefetched,
)
from battlemap.geodata.importer.rejects import RejectsWriter
from battlemap.geodata.importer.spill import Spill
from battlemap.geodata.importer.tables import (
    HOUSEHOLD_YEARS_SCHEMA,
    HOUSEHOLDS_SCHEMA,
    build_tables,
)
from battlemap.geodata.importer.validate import NORMALIZED_SCHEMA, validate_chunk
from battlemap.geodata.partitions import PARTITIONED_TABLES, PARTITIONS, require_parts

if TYPE_CHECKING:
    from battlemap.geodata.importer.postgis_side import PostgisSide

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


def _stored_years(stored: pa.Table, good: pa.Table) -> pa.Table | None:
    """The store part's (hh_id, year, status) rows of households in ``good`` (for sequences)."""
    if stored.num_rows == 0 or good.num_rows == 0:
        return None
    wanted = pc.unique(good["hh_id"].combine_chunks().cast(pa.large_string()))
    table = stored.select(["hh_id", "year", "status"])
    table = table.filter(pc.is_in(hh_ids(table), value_set=wanted))
    if table.num_rows == 0:
        return None
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


def _read_and_validate(
    reader: SourceReader,
    header: Any,
    ctx: StoreContext,
    options: ImportOptions,
    spill: Spill,
    rejects: RejectsWriter,
    report: ImportReport,
    progress: Progress,
) -> None:
    """Stream the file: each chunk's bad rows to the rejects file, its good rows to ``spill``."""
    for chunk in prefetched(reader.chunks()):
        report.rows += len(chunk) + len(chunk.bad)
        for record in chunk.bad:
            rejects.add(record.row, "malformed_row", record.detail, record.values)
        result = validate_chunk(chunk, header, ctx, options.crs)
        report.blank += result.blank
        if len(result.rejected):
            originals = chunk.original(result.rejected)
            for pos, reason, detail, values in zip(
                result.rejected.tolist(), result.reasons, result.details, originals, strict=True
            ):
                rejects.add(int(chunk.rows[pos]), reason, detail, values)
        spill.add(result.good)
        progress.rows(report.rows, rejects.total)
    progress.rows(report.rows, rejects.total, final=True)


@dataclass
class _Merged:
    """What merging the import into the store parts found and staged."""

    hh: Changes = field(default_factory=Changes)
    hy: Changes = field(default_factory=Changes)
    late: list[tuple[int, str, str]] = field(default_factory=list)  # row, reason, detail
    # per rewritten part: rows of households and household_years, persons
    sizes: dict[int, tuple[int, int, int]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.hh.changed or self.hy.changed

    def count(self, hh: Changes, hy: Changes) -> None:
        for total, part in ((self.hh, hh), (self.hy, hy)):
            total.inserted += part.inserted
            total.updated += part.updated
            total.unchanged += part.unchanged


def _drop(good: pa.Table, rejects: CrossRowRejects, merged: _Merged) -> pa.Table:
    """``good`` without the rejected rows (noted in ``merged``, with their reasons)."""
    if not len(rejects.positions):
        return good
    rows = good["row"].to_numpy()[rejects.positions]
    merged.late += zip(rows.tolist(), rejects.reasons, rejects.details, strict=True)
    keep = np.ones(good.num_rows, dtype=bool)
    keep[rejects.positions] = False
    return good.filter(pa.array(keep))


def _checked(
    good: pa.Table, mode: str, stored: StoredPart, ctx: StoreContext, merged: _Merged
) -> pa.Table:
    """``good`` without the rows the checks against the store part and across rows reject."""
    good = _drop(good, store_clashes(good, stored[0], ctx.insert_only), merged)
    return _drop(good, cross_row_checks(good, mode, _stored_years(stored[1], good)), merged)


def _merge_parts(
    txn: DataDirTransaction,
    ctx: StoreContext,
    mode: str,
    spill: Spill,
    counter: DeltaCounter | None,
    database: PostgisSide | None,
    report: ImportReport,
) -> _Merged:
    """Check, build and upsert the spilled rows one store part at a time; stage each changed
    part (unless ``counter`` is None: a dry run), count the delta, feed the database."""
    merged = _Merged()
    for part in range(PARTITIONS):
        if not spill.part_rows(part):
            continue  # no row of the import lies in this part: it stays as it is
        stored = read_part(txn.data_dir, part, (HOUSEHOLDS_SCHEMA, HOUSEHOLD_YEARS_SCHEMA))
        rewrite = (False, False)
        for group in spill.groups(part):
            good = _checked(group, mode, stored, ctx, merged)
            report.loaded += good.num_rows
            households, years = build_tables(good, mode, ctx.years[-1])
            hh, hy, touched = merge_into(stored, households, years)
            merged.count(hh.changes, hy.changes)
            if database is not None:
                database.put(hh, hy)
            if hh.merged is None or hy.merged is None:
                continue  # nothing changes in this group
            if counter is not None:
                counter.add(touched, (hh.before, hy.before), (hh.merged, hy.merged))
            stored = (hh.merged, hy.merged)
            rewrite = (rewrite[0] or hh.rewrite, rewrite[1] or hy.rewrite)
        if any(rewrite):
            persons = int(pc.sum(stored[0]["size"]).as_py() or 0)
            merged.sizes[part] = (stored[0].num_rows, stored[1].num_rows, persons)
            if counter is not None:
                write_part(txn, part, stored, rewrite)
    return merged


def _manifest(
    ctx: StoreContext, data_dir: Path, merged: _Merged, file: Path, loaded: int
) -> dict[str, Any]:
    """The new manifest: counts summed over the parts (rewritten or as stored)."""
    sizes = dict(merged.sizes)
    for part in set(range(PARTITIONS)) - set(sizes):
        households = partitions.read_part(data_dir, "households", part, ["size"])
        years = pq.ParquetFile(partitions.part_path(data_dir, "household_years", part))
        persons = int(pc.sum(households["size"]).as_py() or 0)
        sizes[part] = (households.num_rows, years.metadata.num_rows, persons)
    manifest = json.loads(json.dumps(ctx.manifest))
    counts = manifest.setdefault("counts", {})
    for i, name in enumerate(("households", "household_years", "persons")):
        counts[name] = sum(size[i] for size in sizes.values())
    manifest.setdefault("imports", []).append(
        {
            "file": file.name,
            "rows_loaded": loaded,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    )
    return manifest


def _open_database(
    dsn: str | None, txn: DataDirTransaction, ctx: StoreContext, progress: Progress
) -> tuple[PostgisSide | None, bool]:
    """The database side when the DSN's database is loaded; (None, loaded?) otherwise."""
    if not dsn:
        return None, False
    from battlemap.geodata.importer.postgis_side import PostgisSide
    from battlemap.geodata.importer.postgis_write import is_loaded

    if not is_loaded(dsn):
        return None, False
    stored = tuple(partitions.table_rows(txn.data_dir, t) for t in PARTITIONED_TABLES)
    return PostgisSide(dsn, txn.data_dir, stored, ctx.years, progress), True


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
    try:
        header = map_headers(reader.headers, dbf=reader.dbf, has_geometry=reader.has_geometry)
    except ImportFileError as exc:
        hint = getattr(reader, "sheet_hint", lambda _: "")(
            lambda headers: map_headers(headers, dbf=reader.dbf, has_geometry=reader.has_geometry)
        )
        raise ImportFileError(f"{exc}{hint}") from None
    report = ImportReport(
        file=str(path),
        source=reader.description,
        mode=header.mode,
        crs=options.crs,
        dry_run=options.dry_run,
        ignored_columns=header.ignored,
        stores=["embedded"] + (["postgis"] if dsn else []),
    )
    rejects_path = options.rejects or path.with_name(path.name + ".rejects.csv")
    rejects = RejectsWriter(rejects_path, reader.original_headers())
    try:
        with DataDirTransaction(data_dir, committed_in_database=database_check(dsn)) as txn:
            ctx = StoreContext.load(
                data_dir, tolerance_m=options.tolerance_m, insert_only=options.insert_only
            )
            for table in PARTITIONED_TABLES:
                require_parts(data_dir, table)
            progress.step(f"reading {path.name} ({reader.description}, {header.mode} rows)")
            spill = Spill(txn.scratch("rows"), NORMALIZED_SCHEMA)
            _read_and_validate(reader, header, ctx, options, spill, rejects, report, progress)
            database, loaded = (None, False)
            if not options.dry_run:
                database, loaded = _open_database(dsn, txn, ctx, progress)
            try:
                progress.step(f"checking and merging {spill.rows:,} rows, store part by part")
                counter = None if options.dry_run else DeltaCounter(data_dir, ctx.years)
                merged = _merge_parts(txn, ctx, header.mode, spill, counter, database, report)
                _late_rejects(reader, merged.late, rejects)
                report.rejected = rejects.total
                report.reasons = rejects.summary()
                report.households = merged.hh.as_dict()
                report.household_years = merged.hy.as_dict()
                report.changed = merged.changed
                if report.loaded == 0 and report.rows - report.blank > 0:
                    progress.step("no valid rows: nothing to load")
                if counter is not None:
                    _commit(
                        txn, ctx, path, report, merged, counter, (dsn, database, loaded), progress
                    )
                    progress.step(
                        ("data dir and PostGIS updated" if dsn else "data dir updated")
                        if report.changed
                        else "nothing changed"
                    )
            except BaseException:
                if database is not None:
                    database.cancel()
                raise
            finally:
                if database is not None:
                    database.close()
        report.rejects_file = str(rejects.finish()) if rejects.total else None
    except BaseException:
        rejects.discard()
        raise
    report.seconds = round(time.perf_counter() - started, 3)
    report.rows_per_s = round(report.rows / max(report.seconds, 1e-9), 1)
    return report


def _late_rejects(
    reader: SourceReader, late: list[tuple[int, str, str]], rejects: RejectsWriter
) -> None:
    """Rejects found by the checks across rows, with their original cells (read again)."""
    if not late:
        return
    originals = _reread(reader, {row for row, _, _ in late})
    for row, reason, detail in late:
        rejects.add(row, reason, detail, originals.get(row, []))


def _commit(
    txn: DataDirTransaction,
    ctx: StoreContext,
    path: Path,
    report: ImportReport,
    merged: _Merged,
    counter: DeltaCounter,
    database: tuple[str | None, PostgisSide | None, bool],
    progress: Progress,
) -> None:
    """Stage the manifest and aggregates, finish the database side, commit both.

    The aggregate delta was counted once, part by part, and is added to both stores.
    """
    dsn, side, loaded = database
    manifest = delta = None
    if merged.changed:
        delta = counter.result()
        if side is not None:
            delta.changed_csv  # noqa: B018 - PostGIS's payload, made off its thread's path
        manifest = _manifest(ctx, txn.data_dir, merged, path, report.loaded)
        txn.path(MANIFEST_FILE).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        # after the tables: the cache must be at least as new as they are
        if add_to_cache(txn.data_dir, txn.staging, delta):
            txn.path(AGGREGATES_FILE)
            report.aggregates["embedded"] = "delta"
        else:
            progress.step("rebuilding aggregates.parquet")
            rebuild_aggregates(txn)
            report.aggregates["embedded"] = "rebuilt"
    if side is not None:
        how = side.finish((merged.hh, merged.hy), manifest, delta)
        if how:
            report.aggregates["postgis"] = how
    if not merged.changed:
        return
    if dsn and not loaded:
        from battlemap.geodata.importer.postgis_write import load_whole

        load_whole(dsn, txn, progress)
        report.aggregates["postgis"] = "rebuilt"
        txn.commit()
    else:
        txn.commit(before=(lambda: side.commit(txn.import_id)) if side is not None else None)
