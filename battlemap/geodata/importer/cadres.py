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
import time
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
from battlemap.geodata.datadir import check_files, read_manifest, read_table, require_data_dir
from battlemap.geodata.importer.atomic import DataDirTransaction, database_check
from battlemap.geodata.importer.crs import to_wgs84
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.headers import normalize_header
from battlemap.geodata.importer.progress import Progress
from battlemap.geodata.importer.readers import open_reader
from battlemap.geodata.importer.rejects import RejectsWriter
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
_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S")


CadreImportReport = TableImportReport  # one report shape for every side-table import


def _date(text: str | None) -> dt.date | None:
    text = (text or "").strip()
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
        elif name not in _OPTIONAL:
            raise ImportFileError(
                f"no {name} column (one of {', '.join(aliases)}); the file has {', '.join(headers)}"
            )
    return found


def _stored(data_dir: Path, table: str) -> pd.DataFrame:
    path = data_dir / CADRE_FILES[table]
    if path.is_file():
        return read_table(data_dir, table)
    return CADRE_SCHEMAS[table].empty_table().to_pandas()


class _Checker:
    """Row checks of one table against the store (regions, cadres, households)."""

    def __init__(self, table: str, data_dir: Path, years: tuple[int, ...]) -> None:
        self.table = table
        regions = read_table(data_dir, "regions", ["code", "level"])
        self.villages = set(regions.loc[regions["level"] == 5, "code"].astype(str))
        self.cadres = set(_stored(data_dir, "cadres")["cadre_id"].astype(str))
        if table != "cadres":
            ids = pq.read_table(data_dir / "households.parquet", columns=["hh_id"])["hh_id"]
            self.households = set(ids.cast(pa.string()).to_pylist())
        self.first, self.last = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)

    def check(self, cells: dict[str, str | None]) -> tuple[str | None, Any]:
        values: dict[str, Any] = {}
        for name in _COLUMNS[self.table]:
            text = (cells.get(name) or "").strip()
            if not text and name not in _OPTIONAL:
                return "missing_value", f"{name} is empty"
            if len(text) > _MAX_LEN.get(name, 100):
                return (
                    "too_long",
                    f"{name} has {len(text)} characters (at most {_MAX_LEN.get(name, 100)})",
                )
            values[name] = text or None
        for name in ("start_date", "end_date", "date"):
            if name in values and values[name] is not None:
                day = _date(values[name])
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
        if v["cadre_id"] not in self.cadres:
            return (
                "unknown_cadre",
                f"cadre {v['cadre_id']} is not in the store: import cadres first",
            )
        if v["hh_id"] not in self.households:
            return "unknown_household", f"household {v['hh_id']} is not in the store"
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


def _key(table: str, values: dict[str, Any]) -> tuple:
    return tuple(values[k] for k in _KEYS[table])


def _overlaps(
    a_start: dt.date, a_end: dt.date | None, b_start: dt.date, b_end: dt.date | None
) -> bool:
    far = dt.date.max
    return a_start <= (b_end or far) and b_start <= (a_end or far)


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
    started = time.perf_counter()
    path, data_dir = Path(path), Path(data_dir)
    reader = open_reader(path, encoding=encoding, sheet=sheet, layer=sheet)
    columns = _columns(table, reader.headers)
    writer = RejectsWriter(
        rejects or path.with_name(path.name + ".rejects.csv"), reader.original_headers()
    )
    report = CadreImportReport(
        file=str(path), table=table, dry_run=dry_run,
        stores=["embedded"] + (["postgis"] if dsn else []),
    )  # fmt: skip
    try:
        with DataDirTransaction(data_dir, committed_in_database=database_check(dsn)) as txn:
            manifest = read_manifest(require_data_dir(data_dir))
            check_files(data_dir, manifest).raise_problems(data_dir)
            checker = _Checker(table, data_dir, tuple(int(y) for y in manifest["years"]))
            stored = _stored(data_dir, table)
            good = _validate(table, reader, columns, checker, writer, report, stored)
            if table == "visits" and crs != "wgs84" and len(good):
                lon, lat = to_wgs84(good["lon"].to_numpy(float), good["lat"].to_numpy(float), crs)
                good = good.assign(lon=np.round(lon, 6), lat=np.round(lat, 6))
            report.loaded = len(good)
            report.rejected = writer.total
            report.reasons = writer.summary()
            merged, changed = _upsert(table, stored, good, report)
            if not dry_run and changed:
                out = pa.Table.from_pandas(
                    merged, schema=CADRE_SCHEMAS[table], preserve_index=False
                )
                pq.write_table(out, txn.path(CADRE_FILES[table]), compression="zstd")
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


def _validate(table, reader, columns, checker, writer, report, stored) -> pd.DataFrame:
    good: dict[tuple, tuple[dict[str, Any], int]] = {}
    spans: dict[str, list[tuple[dt.date, dt.date | None, int]]] = {}
    for chunk in reader.chunks():
        report.rows += len(chunk) + len(chunk.bad)
        for record in chunk.bad:
            writer.add(record.row, "malformed_row", record.detail, record.values)
        cells = {name: chunk.columns[i].to_pylist() for name, i in columns.items()}
        for pos in range(len(chunk)):
            row = int(chunk.rows[pos])
            reason, result = checker.check({n: cells[n][pos] for n in cells})
            if reason is None and _key(table, result) in good:
                first = good[_key(table, result)][1]
                reason, result = "duplicate_in_file", f"same key as row {first}"
            if reason is None and table == "assignments":
                for start, end, other in spans.get(result["hh_id"], []):
                    if _overlaps(start, end, result["start_date"], result["end_date"]):
                        reason = "second_helper"
                        hh = result["hh_id"]
                        result = f"overlaps the assignment of row {other} for household {hh}"
                        break
            if reason is not None:
                writer.add(row, reason, result, chunk.original(np.asarray([pos]))[0])
                continue
            good[_key(table, result)] = (result, row)
            if table == "assignments":
                spans.setdefault(result["hh_id"], []).append(
                    (result["start_date"], result["end_date"], row)
                )
    frame = pd.DataFrame([v for v, _ in good.values()], columns=list(_COLUMNS[table]))
    if table == "assignments" and len(frame):
        frame = _drop_stored_overlaps(frame, stored, good, writer)
    return frame


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


def _normal(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Comparable values: dates as datetime.date or None, text as str or None."""
    out = frame.copy()
    for name, typ in zip(CADRE_SCHEMAS[table].names, CADRE_SCHEMAS[table].types, strict=True):
        if pa.types.is_date(typ):
            out[name] = [
                None if v is None or pd.isna(v) else pd.Timestamp(v).date() for v in out[name]
            ]
        elif pa.types.is_string(typ):
            out[name] = [None if v is None or pd.isna(v) else str(v) for v in out[name]]
    return out.astype(object)


def _upsert(
    table: str, stored: pd.DataFrame, new: pd.DataFrame, report
) -> tuple[pd.DataFrame, bool]:
    """``stored`` with ``new`` upserted by the table's key, sorted by it; counts in report."""
    key = list(_KEYS[table])
    names = list(CADRE_SCHEMAS[table].names)
    stored, new = _normal(stored[names], table), _normal(new.reindex(columns=names), table)
    both = new.merge(stored, on=key, how="left", suffixes=("", "_stored"), indicator=True)
    report.inserted = int((both["_merge"] == "left_only").sum())
    others = [n for n in names if n not in key]
    same = (
        (both["_merge"] == "both")
        & np.logical_and.reduce(
            [
                both[n].eq(both[f"{n}_stored"]) | (both[n].isna() & both[f"{n}_stored"].isna())
                for n in others
            ]
        )
        if others
        else (both["_merge"] == "both")
    )
    report.unchanged = int(same.sum())
    report.updated = len(both) - report.inserted - report.unchanged
    kept = stored.merge(new[key], on=key, how="left", indicator=True)
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")
    merged = pd.concat([kept, new], ignore_index=True).sort_values(key, ignore_index=True)
    return merged, bool(report.inserted or report.updated)


def _write_postgis(dsn: str, table: str, txn: DataDirTransaction, rows: pa.Table) -> None:
    """Replace the table's rows in PostGIS in one transaction with the data dir's swap."""
    import psycopg2

    from battlemap.geodata.errors import StoreUnavailableError
    from battlemap.geodata.importer.postgis_write import PostgisUpsert
    from battlemap.geodata.postgis.cadres_ddl import CADRE_TABLES
    from battlemap.geodata.postgis.connection import first_line

    ddl = {t.name: t for t in CADRE_TABLES}[table]
    pg = PostgisUpsert(dsn)
    try:
        _replace_rows(pg, table, ddl, rows, txn)
    except psycopg2.Error as exc:
        raise StoreUnavailableError(
            f"importing {table} into PostgreSQL failed ({first_line(exc)}); nothing was changed"
        ) from None
    finally:
        pg.close()


def _replace_rows(pg, table: str, ddl, rows: pa.Table, txn: DataDirTransaction) -> None:
    import psycopg2.extras

    from battlemap.geodata.importer.postgis_write import copy_rows
    from battlemap.geodata.postgis.ddl import AGGREGATE_PREFIX, META_TABLE

    pg.cur.execute(f"DELETE FROM {table}")
    copy_rows(pg.cur, ddl, rows)
    pg.cur.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND starts_with(tablename, %s)",
        (f"{AGGREGATE_PREFIX}cadres_",),
    )
    for (name,) in pg.cur.fetchall():
        pg.cur.execute(f'DROP TABLE "{name}"')
    pg.cur.execute(
        f"UPDATE {META_TABLE} SET manifest = manifest || %s, loaded_at = now()",
        (psycopg2.extras.Json({"cadre_import": txn.import_id}),),
    )
    txn.commit(before=lambda: pg.commit(txn.import_id))
