"""``battlemap import cadres|assignments|visits FILE`` (issue 15): cadre tables from files.

Like the other imports: CSV or XLSX with Chinese or English headers, every row checked (the
bad ones to the rejects file with their reason), good rows upserted by key (cadres by
cadre_id, assignments by household and start date, visits by visit_id) so re-importing a
file changes nothing, all or nothing in both stores (the data dir's files are staged and
swapped under a journal; PostGIS writes in the same transaction and records the import).

Row checks: IDs present and known (a cadre's village in the regions, an assignment's or a
visit's cadre and household in the store), dates valid and in order, roles, unit levels and
visit kinds from the fixed lists, check-in coordinates finite and in range, and at most one
responsible helper per household at a time (an assignment overlapping another of the same
household, stored or in the file, is refused).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from battlemap.geodata.cadre_tables import (
    CADRE_FILES,
    CADRE_SCHEMAS,
    ROLES,
    UNIT_LEVELS,
    VISIT_KINDS,
)
from battlemap.geodata.codes import InvalidCodeError, code_level, normalize_code
from battlemap.geodata.datadir import read_table
from battlemap.geodata.importer.crs import to_wgs84
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

__all__ = ["CADRE_IMPORT_REASONS", "CadreImportReport", "import_cadre_table"]

CADRE_IMPORT_REASONS: dict[str, str] = {
    "malformed_row": "row does not fit the header",
    "missing_value": "a required cell is empty",
    "too_long": "a cell is longer than allowed",
    "bad_code": "not a valid village code",
    "unknown_village": "village not in the store's regions",
    "bad_choice": "not one of the allowed values",
    "bad_date": "not a date (YYYY-MM-DD), or the end is before the start",
    "unknown_cadre": "cadre_id not in the store's cadres",
    "unknown_household": "hh_id not in the store's households",
    "second_helper": "the household has another responsible helper in that period",
    "bad_point": "check-in longitude/latitude missing or out of range",
    "bad_id": "visit_id not a positive whole number",
    "duplicate_in_file": "key repeated in the file",
}
_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "cadres": {
        "cadre_id": ("干部编号", "帮扶干部编号", "cadre_id"),
        "name": ("姓名", "干部姓名", "name"),
        "unit": ("帮扶单位", "单位", "unit"),
        "unit_level": ("单位级别", "单位层级", "unit_level"),
        "role": ("职务", "帮扶身份", "角色", "role"),
        "village_code": ("村代码", "行政区划代码", "village_code"),
        "start_date": ("开始日期", "起始日期", "start_date"),
        "end_date": ("结束日期", "截止日期", "end_date"),
    },
    "assignments": {
        "cadre_id": ("干部编号", "帮扶干部编号", "cadre_id"),
        "hh_id": ("户编号", "hh_id"),
        "start_date": ("开始日期", "结对日期", "start_date"),
        "end_date": ("结束日期", "解除日期", "end_date"),
    },
    "visits": {
        "visit_id": ("日志编号", "走访编号", "visit_id"),
        "cadre_id": ("干部编号", "帮扶干部编号", "cadre_id"),
        "hh_id": ("户编号", "hh_id"),
        "date": ("日期", "走访日期", "date"),
        "lon": ("经度", "签到经度", "lon", "longitude"),
        "lat": ("纬度", "签到纬度", "lat", "latitude"),
        "kind": ("类别", "帮扶类别", "kind"),
        "note": ("备注", "内容", "帮扶内容", "note"),
    },
}
_OPTIONAL = {"end_date", "note", "name"}
_KEYS = {"cadres": ("cadre_id",), "assignments": ("hh_id", "start_date"), "visits": ("visit_id",)}
_MAX_LEN = {"cadre_id": 40, "hh_id": 40, "name": 50, "unit": 100, "note": 100}


CadreImportReport = TableImportReport  # one report shape for every side-table import


SPECS: dict[str, TableSpec] = table_specs(
    CADRE_FILES, CADRE_SCHEMAS, _COLUMNS, _KEYS, dict.fromkeys(CADRE_FILES, _OPTIONAL),
    ddl="cadres_ddl:CADRE_TABLES",
    stale_aggregates="cadres_",  # the PostGIS store's cadre counts, built on demand
)  # fmt: skip


class _Checker:
    """Row checks of one table against the store (regions, cadres, households)."""

    def __init__(self, table: str, data_dir: Path, years: tuple[int, ...]) -> None:
        self.table = table
        regions = read_table(data_dir, "regions", ["code", "level"])
        self.villages = set(regions.loc[regions["level"] == 5, "code"].astype(str))
        self.cadres = set(SPECS["cadres"].stored(data_dir)["cadre_id"].astype(str))
        if table != "cadres":
            ids = pq.read_table(data_dir / "households.parquet", columns=["hh_id"])["hh_id"]
            self.households = set(ids.cast(pa.string()).to_pylist())
        self.first, self.last = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)

    def check(self, cells: dict[str, str | None]) -> tuple[str | None, Any]:
        reason, values = text_cells(_COLUMNS[self.table], cells, _OPTIONAL, _MAX_LEN, 100)
        if reason is not None:
            return reason, values
        for name in ("start_date", "end_date", "date"):
            if name in values and values[name] is not None:
                day = parse_date(values[name])
                if day is None:
                    return "bad_date", f"{name} {values[name]!r} is not a date"
                values[name] = day
        if values.get("end_date") and values["end_date"] < values["start_date"]:
            return "bad_date", f"end_date {values['end_date']} is before start_date"
        return getattr(self, f"_{self.table}")(values)

    def _cadres(self, v: dict[str, Any]) -> tuple[str | None, Any]:
        try:
            code = normalize_code(v["village_code"])
        except InvalidCodeError as exc:
            return "bad_code", str(exc)
        if code_level(code) != 5:
            return "bad_code", f"{code} is not a village code"
        if code not in self.villages:
            return "unknown_village", f"village {code} is not in the store"
        if v["role"] not in ROLES:
            return "bad_choice", f"role {v['role']!r} is not one of {', '.join(ROLES)}"
        if v["unit_level"] not in UNIT_LEVELS:
            return (
                "bad_choice",
                f"unit_level {v['unit_level']!r} is not one of {', '.join(UNIT_LEVELS)}",
            )
        return None, {**v, "village_code": code}

    def _assignments(self, v: dict[str, Any]) -> tuple[str | None, Any]:
        """A known cadre and household (what an assignment and a visit refer to)."""
        if v["cadre_id"] not in self.cadres:
            return (
                "unknown_cadre",
                f"cadre {v['cadre_id']} is not in the store: import cadres first",
            )
        if v["hh_id"] not in self.households:
            return "unknown_household", f"household {v['hh_id']} is not in the store"
        return None, v

    def _visits(self, v: dict[str, Any]) -> tuple[str | None, Any]:
        try:
            visit_id = int(float(v["visit_id"]))
        except (ValueError, OverflowError):
            return "bad_id", f"visit_id {v['visit_id']!r} is not a whole number"
        if visit_id <= 0 or float(v["visit_id"]) != visit_id:
            return "bad_id", f"visit_id {v['visit_id']!r} is not a positive whole number"
        reason, detail = self._assignments(v)
        if reason is not None:
            return reason, detail
        if not self.first <= v["date"] <= self.last:
            return "bad_date", f"date {v['date']} is outside the data set's years"
        try:
            lon, lat = float(v["lon"]), float(v["lat"])
        except ValueError:
            return "bad_point", f"lon/lat {v['lon']!r}, {v['lat']!r} are not numbers"
        if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            return "bad_point", f"lon/lat {lon}, {lat} out of range"
        if v["kind"] not in VISIT_KINDS:
            return "bad_choice", f"kind {v['kind']!r} is not one of {', '.join(VISIT_KINDS)}"
        return None, {**v, "visit_id": visit_id, "lon": lon, "lat": lat}


def _overlaps(
    a_start: dt.date, a_end: dt.date | None, b_start: dt.date, b_end: dt.date | None
) -> bool:
    far = dt.date.max
    return a_start <= (b_end or far) and b_start <= (a_end or far)


class _OneHelper:
    """At most one responsible helper per household at a time among the file's rows: an
    assignment overlapping an earlier kept one of the same household is refused."""

    def __init__(self) -> None:
        self.spans: dict[str, list[tuple[dt.date, dt.date | None, int]]] = {}

    def accept(self, values: dict[str, Any], row: int) -> tuple[str | None, Any]:
        hh = values["hh_id"]
        for start, end, other in self.spans.get(hh, []):
            if _overlaps(start, end, values["start_date"], values["end_date"]):
                return "second_helper", f"overlaps the assignment of row {other} for household {hh}"
        self.spans.setdefault(hh, []).append((values["start_date"], values["end_date"], row))
        return None, values


def import_cadre_table(
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
    crs: str = "wgs84",
) -> CadreImportReport:
    """Validate and upsert the rows of one cadre table; see the module docstring.
    ``crs``: the visits' check-in coordinates (wgs84, gcj02 or bd09), stored as WGS84."""
    if table not in CADRE_FILES:
        raise ImportFileError(f"unknown cadre table {table!r} (cadres, assignments, visits)")

    def finish(frame, good, stored, writer) -> pd.DataFrame:
        if table == "assignments":
            frame = _drop_stored_overlaps(frame, stored, good, writer)
        if table == "visits" and crs != "wgs84":
            lon, lat = to_wgs84(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float), crs)
            frame = frame.assign(lon=np.round(lon, 6), lat=np.round(lat, 6))
        return frame

    def checks(run: ImportRun) -> RowChecks:
        helpers = _OneHelper() if table == "assignments" else None
        check = _Checker(table, run.data_dir, run.years).check
        return RowChecks(check, helpers.accept if helpers else None, finish)

    return import_table(
        SPECS[table], path, data_dir, checks, dsn=dsn, encoding=encoding, sheet=sheet,
        rejects=rejects, dry_run=dry_run,
    )  # fmt: skip


def _drop_stored_overlaps(frame, stored, good, writer) -> pd.DataFrame:
    """Refuse new assignments overlapping a stored one of the same household (a stored row
    with the same key is replaced, so it does not count)."""
    rows = {k: r for k, (_, r) in good.items()}
    new_keys = set(zip(frame["hh_id"], frame["start_date"], strict=True))
    mine = stored[stored["hh_id"].isin(set(frame["hh_id"]))]
    by_hh: dict[str, list[tuple]] = {}
    for hh, start, end in zip(mine["hh_id"], mine["start_date"], mine["end_date"], strict=True):
        start = pd.Timestamp(start).date()
        end = None if pd.isna(end) else pd.Timestamp(end).date()
        if (hh, start) not in new_keys:
            by_hh.setdefault(hh, []).append((start, end))
    keep = []
    for hh, start, end in zip(frame["hh_id"], frame["start_date"], frame["end_date"], strict=True):
        end = None if end is None or pd.isna(end) else end
        clash = next((s for s, e in by_hh.get(hh, []) if _overlaps(s, e, start, end)), None)
        if clash is not None:
            writer.add(
                rows[(hh, start)],
                "second_helper",
                f"overlaps the stored assignment from {clash} for household {hh}",
                [],
            )
        keep.append(clash is None)
    return frame[np.asarray(keep, dtype=bool)].reset_index(drop=True)
