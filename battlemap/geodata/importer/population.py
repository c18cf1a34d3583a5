"""``import_population``: rural population per village and year (the incidence denominator).

Poverty incidence divides poor persons by the rural population (DESIGN.md), which a province
takes from its statistics bureau, not from the registration system. The file (CSV or XLSX)
has one row per village and year: 行政区划代码, 年度, 农村人口 (or English code, year,
rural_population). Every row is checked (a village code of the store, a year of the data
set, a whole number of persons, no repeated village-year); bad rows go to the rejects file.
Good rows are upserted by (code, year). Population is counted per village and summed up the
code prefixes, so the rolled-up column replaces ``rural_population`` in both stores'
aggregates (``aggregates.parquet``, PostGIS ``region_year_stats``): the same numbers in
each, and the same as a full rebuild. All or nothing, as the other imports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from battlemap.geodata import aggregate
from battlemap.geodata.codes import InvalidCodeError, code_level, normalize_code
from battlemap.geodata.datadir import AGGREGATES_FILE, read_table
from battlemap.geodata.importer.aggregate_delta import change_cache, region_codes
from battlemap.geodata.importer.atomic import DataDirTransaction
from battlemap.geodata.importer.embedded_write import Changes, rebuild_aggregates
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.progress import Progress
from battlemap.geodata.importer.readers import SourceReader
from battlemap.geodata.importer.rejects import RejectsWriter
from battlemap.geodata.importer.table_import import (
    ImportRun,
    check_rows,
    find_columns,
    run_import,
    stores,
)
from battlemap.geodata.schema import TABLE_FILES

__all__ = ["POPULATION_REASONS", "PopulationReport", "import_population"]

POPULATION_REASONS: dict[str, str] = {
    "malformed_row": "row does not fit the header",
    "missing_code": "no region code",
    "bad_code": "not a valid region code",
    "not_a_village": "population is counted per village",
    "unknown_village": "village not in the store's regions",
    "bad_year": "year missing or outside the data set's years",
    "bad_persons": "persons missing, not a whole number or negative",
    "duplicate_in_file": "village and year repeated in the file",
}
_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("行政区划代码", "区划代码", "村代码", "统计用区划代码", "code", "village_code"),
    "year": ("年度", "年份", "统计年度", "year"),
    "persons": (
        "农村人口",
        "农村户籍人口",
        "乡村人口",
        "户籍人口",
        "农业人口",
        "rural_population",
        "persons",
    ),
}
MAX_PERSONS = 1_000_000  # more than any village has


@dataclass
class PopulationReport:
    """What one population import read, rejected and changed (printed as JSON by the CLI)."""

    file: str
    rows: int = 0
    loaded: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    population: dict[str, int] = field(default_factory=dict)
    stores: list[str] = field(default_factory=list)
    # per store: how rural_population in the aggregates was brought up to date
    aggregates: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    rejects_file: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Context:
    villages: set[str]
    years: tuple[int, ...]


def _column_index(headers: list[str]) -> dict[str, int]:
    """Which source column holds code, year and persons; ImportFileError naming what lacks."""
    return find_columns(_COLUMNS, headers)


def _columns(reader: SourceReader) -> dict[str, int]:
    """The file's columns; without them, the XLSX sheet that has them, if one does."""
    try:
        return _column_index(reader.headers)
    except ImportFileError as exc:
        hint = getattr(reader, "sheet_hint", lambda _: "")(_column_index)
        raise ImportFileError(f"{exc}{hint}") from None


def _check(
    code: str | None, year: str | None, persons: str | None, ctx: _Context
) -> tuple[str | None, Any]:
    """(reason, detail) of a bad row, or (None, (code, year, persons)) of a good one."""
    if code is None or not code.strip():
        return "missing_code", "the code cell is empty"
    try:
        full = normalize_code(code.strip())
    except InvalidCodeError as exc:
        return "bad_code", str(exc)
    if code_level(full) != 5:
        return "not_a_village", f"{full} is not a village code: give each village's population"
    if full not in ctx.villages:
        return "unknown_village", f"village {full} is not in the store: import its boundary first"
    try:
        year_value = int(float(year)) if year is not None else None
    except (ValueError, OverflowError):  # "1e400" is a float, but no whole number
        year_value = None
    if year_value is None or year_value not in ctx.years:
        return "bad_year", f"year {year!r} is not one of {ctx.years[0]}–{ctx.years[-1]}"
    try:
        value = float(persons) if persons is not None else float("nan")
    except ValueError:
        value = float("nan")
    if not np.isfinite(value) or value != int(value) or not 0 <= value <= MAX_PERSONS:
        return "bad_persons", f"persons {persons!r} is not a whole number from 0 to {MAX_PERSONS:,}"
    return None, (full, year_value, int(value))


def import_population(
    path: str | Path,
    data_dir: str | Path,
    *,
    dsn: str | None = None,
    encoding: str = "auto",
    sheet: str | None = None,
    rejects: Path | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> PopulationReport:
    """Validate and upsert rural population rows; see the module docstring."""
    progress = progress or Progress(quiet=True)
    path = Path(path)
    report = PopulationReport(file=str(path), dry_run=dry_run, stores=stores(dsn))

    def body(run: ImportRun) -> None:
        regions = read_table(run.data_dir, "regions", ["code", "level"])
        ctx = _Context(
            villages=set(regions.loc[regions["level"] == 5, "code"].astype(str)),
            years=run.years,
        )
        good = _validate(run.reader, run.columns, ctx, run.writer, report)
        run.tally(report, len(good))
        stored = read_table(run.data_dir, "rural_population")
        merged, changes = _upsert(stored, good)
        report.population = changes.as_dict()
        if not dry_run and changes.changed:
            _write(run.txn, ctx.years, (stored, merged), dsn, report, progress)

    return run_import(
        path, Path(data_dir), report, body, dsn=dsn, encoding=encoding, sheet=sheet,
        rejects=rejects, columns=_columns,
    )  # fmt: skip


def _validate(
    reader: SourceReader,
    columns: dict[str, int],
    ctx: _Context,
    writer: RejectsWriter,
    report: PopulationReport,
) -> pd.DataFrame:
    """Good rows as a frame (code, year, persons); bad ones to ``writer``."""
    good = check_rows(
        reader, columns, lambda cells: _check(cells["code"], cells["year"], cells["persons"], ctx),
        lambda result: result[:2], writer, report,
        duplicate="same village and year as row {row}",
    )  # fmt: skip
    return pd.DataFrame(
        {
            "code": pd.Series([k[0] for k in good], dtype=object),
            "year": np.asarray([k[1] for k in good], dtype=np.int16),
            "persons": np.asarray([v[0][2] for v in good.values()], dtype=np.int64),
        }
    )


def _upsert(stored: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, Changes]:
    """``stored`` with ``new`` upserted by (code, year), sorted; the change counts."""
    key = ["code", "year"]
    stored = stored.astype({"code": object, "year": np.int16, "persons": np.int64})
    both = new.merge(stored, on=key, how="left", suffixes=("", "_stored"), indicator=True)
    inserted = int((both["_merge"] == "left_only").sum())
    same = (both["_merge"] == "both") & (both["persons"] == both["persons_stored"])
    changes = Changes(inserted, len(both) - inserted - int(same.sum()), int(same.sum()))
    kept = stored.merge(new[key], on=key, how="left", indicator=True)
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")
    merged = pd.concat([kept, new], ignore_index=True).sort_values(key, ignore_index=True)
    return merged, changes


def rolled_up_population(
    regions_dir: Path, years: tuple[int, ...], rural: pd.DataFrame
) -> tuple[tuple[str, ...], np.ndarray]:
    """(codes, [region, year] rural population) summed up the code prefixes."""
    codes = region_codes(regions_dir)
    villages = aggregate.village_codes(codes)
    population = aggregate.village_population(villages, years, rural)
    return codes, aggregate.roll_up(codes, villages, population[:, :, None])[:, :, 0]


def _write(
    txn: DataDirTransaction,
    years: tuple[int, ...],
    tables: tuple[pd.DataFrame, pd.DataFrame],
    dsn: str | None,
    report: PopulationReport,
    progress: Progress,
) -> None:
    """Stage the table and the cache, update PostGIS in the same commit; ``tables`` are the
    stored rows and the merged ones."""
    stored, merged = tables
    merged.to_parquet(txn.path(TABLE_FILES["rural_population"]), index=False, compression="zstd")
    codes, population = rolled_up_population(txn.data_dir, years, merged)

    def with_population(values: np.ndarray) -> np.ndarray:
        values = values.copy()
        values[:, :, 0] = population
        return values

    if change_cache(txn.data_dir, txn.staging, codes, years, with_population):
        txn.path(AGGREGATES_FILE)
        report.aggregates["embedded"] = "updated"
    else:
        progress.step("rebuilding aggregates.parquet")
        rebuild_aggregates(txn)
        report.aggregates["embedded"] = "rebuilt"
    if not dsn:
        txn.commit()
        return
    from battlemap.geodata.importer.postgis_write import PostgisUpsert, is_loaded, load_whole

    if not is_loaded(dsn):
        load_whole(dsn, txn, progress)
        report.aggregates["postgis"] = "rebuilt"
        txn.commit()
        return
    pg = PostgisUpsert(dsn)
    try:
        pg.check_population_in_sync(len(stored), txn.data_dir)
        pg.upsert_population(txn.staging / TABLE_FILES["rural_population"])
        pg.set_rural_population(codes, years, population)
        report.aggregates["postgis"] = "updated"
        txn.commit(before=lambda: pg.commit(txn.import_id))
    finally:
        pg.close()
