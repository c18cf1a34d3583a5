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

import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from battlemap.geodata.codes import InvalidCodeError, normalize_code
from battlemap.geodata.datadir import read_table
from battlemap.geodata.funds_schema import (
    FUNDS_TABLE_FILES,
    FUNDS_TABLES,
    PAYEE_TYPES,
    PROJECT_STATUSES,
    PROJECT_TYPES,
    SOURCES,
)
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.progress import Progress
from battlemap.geodata.importer.table_import import (
    ImportRun,
    RowChecks,
    TableSpec,
    import_table,
    parse_date,
    table_specs,
    text_cells,
)
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


SPECS: dict[str, TableSpec] = table_specs(
    FUNDS_TABLE_FILES, FUNDS_SCHEMAS, _COLUMNS, _KEYS, _OPTIONAL,
    ddl="funds_ddl:FUNDS_TABLES",
    create_missing=True,  # a database loaded before issue 14
)  # fmt: skip


class _Checker:
    """Row checks of one table against the store (regions, projects, households)."""

    def __init__(self, table: str, data_dir: Path, pending_projects: set[str]) -> None:
        self.table = table
        self.regions = set(read_table(data_dir, "regions", ["code"])["code"].astype(str))
        if table != "projects":
            stored = SPECS["projects"].stored(data_dir)["project_id"].astype(str)
            self.projects = set(stored) | pending_projects
        if table == "project_beneficiaries":
            ids = pq.read_table(data_dir / "households.parquet", columns=["hh_id"])["hh_id"]
            self.households = set(ids.cast(pa.string()).to_pylist())

    def check(self, cells: dict[str, str | None]) -> tuple[str | None, Any]:
        optional = _OPTIONAL[self.table]
        reason, values = text_cells(_COLUMNS[self.table], cells, optional, _MAX_LEN, 40)
        if reason is not None:
            return reason, values
        for name, value in values.items():
            if value is None:
                continue
            if name in _DATES:
                day = parse_date(value)
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

    def checks(run: ImportRun) -> RowChecks:
        return RowChecks(_Checker(table, run.data_dir, set()).check)

    return import_table(
        SPECS[table], path, data_dir, checks, dsn=dsn, encoding=encoding, sheet=sheet,
        rejects=rejects, dry_run=dry_run,
    )  # fmt: skip
