"""``battlemap import projects|beneficiaries|allocations|payments FILE`` (issue 14).

Like the other imports: CSV or XLSX with Chinese or English headers, every row checked (the
bad ones to the rejects file with their reason), good rows upserted by key (project_id,
(project_id, hh_id), allocation_id, payment_id) so re-importing a file changes nothing, all
or nothing in both stores (the data dir's files are staged and swapped under a journal;
PostGIS writes in the same transaction and records the import). The funds caches of both
stores follow the new data version.

Row checks: IDs present, region codes valid and in the store, types, statuses, sources and
payee types from the fixed lists, dates valid (an end not before its start), amounts and
budgets finite numbers (amounts > 0), coordinates in range, a payment's or beneficiary's
project known (import projects first), a beneficiary's household in the registry. A payee
household is *not* checked against the registry: a payment to an unregistered household is
what the anomaly scan is there to find.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from battlemap.geodata.codes import InvalidCodeError, normalize_code
from battlemap.geodata.datadir import check_files, read_manifest, read_table, require_data_dir
from battlemap.geodata.funds_schema import (
    FUNDS_TABLE_FILES,
    FUNDS_TABLES,
    PAYEE_TYPES,
    PROJECT_STATUSES,
    PROJECT_TYPES,
    SOURCES,
)
from battlemap.geodata.importer.atomic import DataDirTransaction, database_check
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.headers import normalize_header
from battlemap.geodata.importer.progress import Progress
from battlemap.geodata.importer.readers import open_reader
from battlemap.geodata.importer.rejects import RejectsWriter
from battlemap.geodata.importer.table_report import TableImportReport

__all__ = ["FUNDS_IMPORT_REASONS", "FUNDS_SCHEMAS", "FundsImportReport", "import_funds_table"]

# the command's table names → data-dir tables
TABLE_NAMES = {
    "projects": "projects",
    "beneficiaries": "project_beneficiaries",
    "allocations": "fund_allocations",
    "payments": "fund_payments",
}
FUNDS_IMPORT_REASONS: dict[str, str] = {
    "malformed_row": "row does not fit the header",
    "missing_value": "a required cell is empty",
    "too_long": "a cell is longer than allowed",
    "bad_code": "not a valid region code",
    "unknown_region": "region not in the store's regions",
    "bad_choice": "not one of the allowed values",
    "bad_date": "not a date (YYYY-MM-DD), or an end before its start",
    "bad_amount": "not a finite number (amounts above 0, budgets not below 0)",
    "bad_point": "longitude/latitude not numbers or out of range",
    "unknown_project": "project_id not in the store's projects (import projects first)",
    "unknown_household": "hh_id not in the store's households",
    "duplicate_in_file": "key repeated in the file",
}
_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "projects": {
        "project_id": ("项目编号", "项目代码", "project_id"),
        "name": ("项目名称", "name"),
        "type": ("项目类型", "类型", "type"),
        "code": ("行政区划代码", "所在区域代码", "村代码", "code", "village_code"),
        "lon": ("经度", "lon", "longitude"),
        "lat": ("纬度", "lat", "latitude"),
        "planned_start": ("计划开工日期", "计划开始", "planned_start"),
        "planned_end": ("计划完工日期", "计划结束", "planned_end"),
        "actual_start": ("实际开工日期", "实际开始", "actual_start"),
        "actual_end": ("实际完工日期", "实际结束", "actual_end"),
        "status": ("项目状态", "状态", "status"),
        "budget": ("预算", "项目预算", "预算金额", "budget"),
        "source": ("资金来源", "source"),
        "unit": ("实施单位", "unit"),
    },
    "project_beneficiaries": {
        "project_id": ("项目编号", "项目代码", "project_id"),
        "hh_id": ("户编号", "受益户编号", "hh_id"),
    },
    "fund_allocations": {
        "allocation_id": ("下达编号", "资金下达编号", "allocation_id"),
        "from_code": ("下达单位代码", "拨出区域代码", "from_code"),
        "to_code": ("接收单位代码", "拨入区域代码", "to_code"),
        "project_id": ("项目编号", "项目代码", "project_id"),
        "date": ("下达日期", "日期", "date"),
        "amount": ("金额", "下达金额", "amount"),
        "source": ("资金来源", "source"),
        "document": ("文号", "下达文号", "document"),
    },
    "fund_payments": {
        "payment_id": ("支付编号", "payment_id"),
        "project_id": ("项目编号", "项目代码", "project_id"),
        "date": ("支付日期", "日期", "date"),
        "amount": ("金额", "支付金额", "amount"),
        "payee_type": ("收款方类型", "收款类型", "payee_type"),
        "payee_hh_id": ("收款户编号", "户编号", "payee_hh_id"),
    },
}
_OPTIONAL = {
    "projects": {"lon", "lat", "planned_end", "actual_start", "actual_end", "unit"},
    "project_beneficiaries": set(),
    "fund_allocations": {"from_code", "to_code", "project_id", "source", "document"},
    "fund_payments": {"payee_hh_id"},
}
_KEYS = {
    "projects": ("project_id",),
    "project_beneficiaries": ("project_id", "hh_id"),
    "fund_allocations": ("allocation_id",),
    "fund_payments": ("payment_id",),
}
_DATES = {"planned_start", "planned_end", "actual_start", "actual_end", "date"}
_MONEY = {"budget", "amount"}
_MAX_LEN = {"name": 100, "unit": 100, "document": 100}
_CHOICES = {"type": PROJECT_TYPES, "status": PROJECT_STATUSES, "source": SOURCES,
            "payee_type": PAYEE_TYPES}  # fmt: skip
_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S")


def _arrow_type(column: str) -> pa.DataType:
    if column in _DATES:
        return pa.date32()
    if column in _MONEY or column in ("lon", "lat"):
        return pa.float64()
    return pa.string()


FUNDS_SCHEMAS: dict[str, pa.Schema] = {
    t: pa.schema([(c, _arrow_type(c)) for c in cols]) for t, cols in FUNDS_TABLES.items()
}


FundsImportReport = TableImportReport  # one report shape for every side-table import


def _date(text: str) -> dt.date | None:
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _columns(table: str, headers: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for name, aliases in _COLUMNS[table].items():
        wanted = {normalize_header(a) for a in aliases}
        hits = [i for i, h in enumerate(headers) if normalize_header(h) in wanted]
        if hits:
            found[name] = hits[0]
        elif name not in _OPTIONAL[table]:
            raise ImportFileError(
                f"no {name} column (one of {', '.join(aliases)}); the file has {', '.join(headers)}"
            )
    return found


def _stored(data_dir: Path, table: str) -> pd.DataFrame:
    if (data_dir / FUNDS_TABLE_FILES[table]).is_file():
        return read_table(data_dir, table)
    return FUNDS_SCHEMAS[table].empty_table().to_pandas()


class _Checker:
    """Row checks of one table against the store (regions, projects, households)."""

    def __init__(self, table: str, data_dir: Path, pending_projects: set[str]) -> None:
        self.table = table
        self.regions = set(read_table(data_dir, "regions", ["code"])["code"].astype(str))
        if table != "projects":
            stored = _stored(data_dir, "projects")["project_id"].astype(str)
            self.projects = set(stored) | pending_projects
        if table == "project_beneficiaries":
            ids = pq.read_table(data_dir / "households.parquet", columns=["hh_id"])["hh_id"]
            self.households = set(ids.cast(pa.string()).to_pylist())

    def check(self, cells: dict[str, str | None]) -> tuple[str | None, Any]:
        values: dict[str, Any] = {}
        for name in _COLUMNS[self.table]:
            text = (cells.get(name) or "").strip()
            if not text and name not in _OPTIONAL[self.table]:
                return "missing_value", f"{name} is empty"
            limit = _MAX_LEN.get(name, 40)
            if len(text) > limit:
                return "too_long", f"{name} has {len(text)} characters (at most {limit})"
            values[name] = text or None
        for name, value in values.items():
            if value is None:
                continue
            if name in _DATES:
                day = _date(value)
                if day is None:
                    return "bad_date", f"{name} {value!r} is not a date"
                values[name] = day
            elif name in _MONEY or name in ("lon", "lat"):
                try:
                    number = float(value.replace(",", ""))
                except ValueError:
                    number = math.nan
                positive = number > 0 if name == "amount" else number >= 0
                if name in _MONEY and not (math.isfinite(number) and positive):
                    return "bad_amount", f"{name} {value!r} is not a valid amount"
                bound = 180 if name == "lon" else 90
                if name in ("lon", "lat") and not (math.isfinite(number) and abs(number) <= bound):
                    return "bad_point", f"{name} {value!r} is not a coordinate"
                values[name] = number
            elif name in _CHOICES and value not in _CHOICES[name]:
                return "bad_choice", f"{name} {value!r} is not one of {', '.join(_CHOICES[name])}"
            elif name in ("code", "from_code", "to_code"):
                try:
                    code = normalize_code(value)
                except InvalidCodeError as exc:
                    return "bad_code", str(exc)
                if code not in self.regions:
                    return "unknown_region", f"region {code} is not in the store"
                values[name] = code
        for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
            if values.get(start) and values.get(end) and values[end] < values[start]:
                return "bad_date", f"{end} {values[end]} is before {start} {values[start]}"
        if (values.get("lon") is None) != (values.get("lat") is None):
            return "bad_point", "give both lon and lat, or neither"
        known = self.table == "projects" or values.get("project_id") is None
        if not known and values["project_id"] not in self.projects:
            return "unknown_project", f"project {values['project_id']} is not in the store"
        if self.table == "project_beneficiaries" and values["hh_id"] not in self.households:
            return "unknown_household", f"household {values['hh_id']} is not in the store"
        return None, values


def import_funds_table(
    table: str,
    path: str | Path,
    data_dir: str | Path,
    *,
    dsn: str | None = None,
    encoding: str = "auto",
    sheet: str | None = None,
    rejects: Path | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> FundsImportReport:
    """Validate and upsert the rows of one funds table; see the module docstring.

    ``table``: projects, beneficiaries, allocations or payments."""
    table = TABLE_NAMES.get(table, table)
    if table not in FUNDS_TABLES:
        raise ImportFileError(
            f"unknown funds table {table!r} (projects, beneficiaries, allocations, payments)"
        )
    started = time.perf_counter()
    path, data_dir = Path(path), Path(data_dir)
    reader = open_reader(path, encoding=encoding, sheet=sheet, layer=sheet)
    columns = _columns(table, reader.headers)
    writer = RejectsWriter(
        rejects or path.with_name(path.name + ".rejects.csv"), reader.original_headers()
    )
    report = FundsImportReport(
        file=str(path), table=table, dry_run=dry_run,
        stores=["embedded"] + (["postgis"] if dsn else []),
    )  # fmt: skip
    try:
        with DataDirTransaction(data_dir, committed_in_database=database_check(dsn)) as txn:
            manifest = read_manifest(require_data_dir(data_dir))
            check_files(data_dir, manifest).raise_problems(data_dir)
            checker = _Checker(table, data_dir, set())
            stored = _stored(data_dir, table)
            good = _validate(table, reader, columns, checker, writer, report)
            report.loaded = len(good)
            report.rejected = writer.total
            report.reasons = writer.summary()
            merged, changed = _upsert(table, stored, good, report)
            if not dry_run and changed:
                out = pa.Table.from_pandas(
                    merged, schema=FUNDS_SCHEMAS[table], preserve_index=False
                )
                pq.write_table(out, txn.path(FUNDS_TABLE_FILES[table]), compression="zstd")
                if dsn:
                    _write_postgis(dsn, table, txn, out)
                else:
                    txn.commit()
        report.rejects_file = str(writer.finish()) if writer.total else None
    except BaseException:
        writer.discard()
        raise
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _validate(table, reader, columns, checker, writer, report) -> pd.DataFrame:
    good: dict[tuple, tuple[dict[str, Any], int]] = {}
    for chunk in reader.chunks():
        report.rows += len(chunk) + len(chunk.bad)
        for record in chunk.bad:
            writer.add(record.row, "malformed_row", record.detail, record.values)
        cells = {name: chunk.columns[i].to_pylist() for name, i in columns.items()}
        for pos in range(len(chunk)):
            row = int(chunk.rows[pos])
            reason, result = checker.check({n: cells[n][pos] for n in cells})
            if reason is None:
                key = tuple(result[k] for k in _KEYS[table])
                if key in good:
                    reason, result = "duplicate_in_file", f"same key as row {good[key][1]}"
            if reason is not None:
                writer.add(row, reason, result, chunk.original(np.asarray([pos]))[0])
                continue
            good[key] = (result, row)
    return pd.DataFrame([v for v, _ in good.values()], columns=list(FUNDS_TABLES[table]))


def _normal(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Comparable values: dates as datetime.date or None, numbers as float, text as str."""
    out = frame.copy()
    for name, typ in zip(FUNDS_SCHEMAS[table].names, FUNDS_SCHEMAS[table].types, strict=True):
        values = out[name].tolist()
        if pa.types.is_date(typ):
            out[name] = pd.Series(
                [None if v is None or pd.isna(v) else pd.Timestamp(v).date() for v in values],
                dtype=object,
            )
        elif pa.types.is_floating(typ):
            out[name] = pd.Series(
                [None if v is None or pd.isna(v) else float(v) for v in values], dtype=object
            )
        else:
            out[name] = pd.Series(
                [None if v is None or pd.isna(v) else str(v) for v in values], dtype=object
            )
    return out.astype(object)


def _upsert(
    table: str, stored: pd.DataFrame, new: pd.DataFrame, report
) -> tuple[pd.DataFrame, bool]:
    """``stored`` with ``new`` upserted by the table's key, sorted by it; counts in report."""
    key = list(_KEYS[table])
    names = list(FUNDS_SCHEMAS[table].names)
    stored = _normal(stored.reindex(columns=names).reset_index(drop=True), table)
    new = _normal(new.reindex(columns=names).reset_index(drop=True), table)
    both = new.merge(stored, on=key, how="left", suffixes=("", "_stored"), indicator=True)
    report.inserted = int((both["_merge"] == "left_only").sum())
    others = [n for n in names if n not in key]
    same = both["_merge"] == "both"
    for n in others:
        same &= both[n].eq(both[f"{n}_stored"]) | (both[n].isna() & both[f"{n}_stored"].isna())
    report.unchanged = int(same.sum())
    report.updated = len(both) - report.inserted - report.unchanged
    kept = stored.merge(new[key], on=key, how="left", indicator=True)
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")
    merged = pd.concat([kept, new], ignore_index=True).sort_values(key, ignore_index=True)
    return merged, bool(report.inserted or report.updated)


def _write_postgis(dsn: str, table: str, txn: DataDirTransaction, rows: pa.Table) -> None:
    """Replace the table's rows in PostGIS in one transaction with the data dir's swap (the
    derived funds tables follow the new data stamp on their next use)."""
    import psycopg2.extras

    from battlemap.geodata.importer.postgis_write import PostgisUpsert, copy_rows
    from battlemap.geodata.postgis.ddl import META_TABLE
    from battlemap.geodata.postgis.funds_ddl import FUNDS_TABLES as DDL

    ddl = {t.name: t for t in DDL}[table]
    pg = PostgisUpsert(dsn)
    try:
        pg.cur.execute(f"SELECT to_regclass('{table}')")
        if pg.cur.fetchone()[0] is None:  # a database loaded before issue 14
            pg.cur.execute(ddl.create_sql())
            for sql in ddl.index_sql():
                pg.cur.execute(sql)
        pg.cur.execute(f"DELETE FROM {table}")
        copy_rows(pg.cur, ddl, rows)
        pg.cur.execute(
            f"UPDATE {META_TABLE} SET manifest = manifest || %s, loaded_at = now()",
            (psycopg2.extras.Json({"funds_import": txn.import_id}),),
        )
        txn.commit(before=lambda: pg.commit(txn.import_id))
    finally:
        pg.close()
