"""Table exports: csv (UTF-8 with BOM, so Excel shows Chinese) and xlsx of the children's
indicators, the exit checks with reasons, and the household list where the role may see it.

A csv starts with ``# key: value`` lines (the stamp), then the header and rows: read it
back with ``pandas.read_csv(path, comment="#", encoding="utf-8-sig")``. An xlsx holds one
sheet per table and a 说明 (about) sheet with the stamp.
"""

from __future__ import annotations

import io

import pandas as pd

from battlemap.exports.frames import children_frame, exit_check_frame, household_frame
from battlemap.exports.pictures import BadExportOption
from battlemap.exports.registry import FormatInfo, register_format
from battlemap.exports.request import ExportRequest, ExportResult
from battlemap.exports.stamp import Stamp, file_name, make_stamp

__all__ = ["TABLES", "children_frame", "render_csv", "render_xlsx", "table_frame"]

TABLES = ("indicators", "exit_checks", "households")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAMES = {"indicators": "indicators", "exit_checks": "exit_checks", "households": "households"}


def table_frame(request: ExportRequest, table: str) -> pd.DataFrame:
    """One table of the request (scope and export right checked)."""
    if table not in TABLES:
        raise BadExportOption(f"unknown table {table!r} (one of {', '.join(TABLES)})")
    access, state = request.access, request.state
    access.check_export(state.region, households=table == "households")
    if table == "indicators":
        return children_frame(access, state)
    if table == "exit_checks":
        return exit_check_frame(access, state)
    return household_frame(access, state, request.households)


def _table(request: ExportRequest) -> str:
    return "indicators" if request.panel in ("map", "", None) else request.panel


def _preamble(stamp: Stamp) -> str:
    return "".join(f"# {k}: {v}\n" for k, v in stamp.as_dict().items() if v != "")


def render_csv(request: ExportRequest) -> ExportResult:
    """One table (``request.panel``: indicators (default), exit_checks, households)."""
    table = _table(request)
    frame = table_frame(request, table)
    stamp = make_stamp(request.access, request.state, request.generated_at)
    text = _preamble(stamp) + frame.to_csv(index=False, lineterminator="\n")
    data = "\ufeff".encode() + text.encode("utf-8")
    name = file_name(stamp.region_code, stamp.year, stamp.indicator, "csv", table)
    return ExportResult(data, name, CSV_TYPE)


def render_xlsx(request: ExportRequest) -> ExportResult:
    """A workbook: indicators, exit checks, households (only where the scope may see
    household rows, a county or below) and the stamp sheet."""
    access, state = request.access, request.state
    access.check_export(state.region)
    stamp = make_stamp(access, state, request.generated_at)
    sheets = {"indicators": table_frame(request, "indicators")}
    sheets["exit_checks"] = table_frame(request, "exit_checks")
    if access.scope.households and access.region(state.region).level >= 3:
        sheets["households"] = table_frame(request, "households")
    about = pd.DataFrame(
        [{"key": k, "value": v} for k, v in stamp.as_dict().items()]
        + [{"key": "sheets", "value": ", ".join(sheets)}]
    )
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for table, frame in sheets.items():
            frame.to_excel(writer, sheet_name=SHEET_NAMES[table], index=False)
        about.to_excel(writer, sheet_name="说明 about", index=False)
        for sheet in writer.book.worksheets:
            sheet.freeze_panes = "A2"
    name = file_name(stamp.region_code, stamp.year, stamp.indicator, "xlsx")
    return ExportResult(buffer.getvalue(), name, XLSX_TYPE)


register_format("csv", render_csv, FormatInfo("csv", CSV_TYPE, panels=TABLES))
register_format("xlsx", render_xlsx, FormatInfo("xlsx", XLSX_TYPE, panels=("indicators",)))
