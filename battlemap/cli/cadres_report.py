"""``battlemap cadres-report``: per unit and per cadre of a region, households, visits,
记工分 score and the problems found with their reasons (issue 15)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from typing import Any

import pandas as pd

from battlemap.cli.options import add_store_options, store_from_args
from battlemap.geodata.access import Scope, ScopedStore
from battlemap.geodata.codes import PREFIX_LENGTHS
from battlemap.geodata.datadir import owner_only
from battlemap.geodata.errors import BattlemapError
from battlemap.indicators.cadre_report import OUTCOME_COLUMNS, region_ranking
from battlemap.indicators.cadre_rules import as_plain
from battlemap.views.cadres import cadre_detail

__all__ = ["register", "report_tables"]

REGION_COLUMNS = ("rank", "code", "cadres", "households", "visits", *OUTCOME_COLUMNS,
                  "problems", "score")  # fmt: skip
UNIT_COLUMNS = ("rank", "unit", "unit_level", "cadres", "households", "visits",
                *OUTCOME_COLUMNS, "problems", "score")  # fmt: skip
CADRE_COLUMNS = ("cadre_id", "name", "role", "unit", "unit_level", "village_code", "in_post",
                 "households", "poor_households", "visits", "last_visit", "far_checkins",
                 "impossible_travel_days", "households_not_visited", *OUTCOME_COLUMNS, "score",
                 "rank_in_county", "problems")  # fmt: skip
PROBLEM_COLUMNS = ("kind", "reason", "cadre_id", "hh_id", "visit_ids", "date", "village_code")
SHEETS = {"regions": "下级地区", "units": "帮扶单位", "cadres": "帮扶干部", "problems": "问题清单"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cadres-report",
        help="cadres and units of a region: households, visits, score, problems with reasons",
        description="Per 帮扶单位 and per cadre of a region in a year (counted on 31 December): "
        "households carried, visits, the exit outcomes of the households helped (exited, "
        "wrong exits, early warnings, returned), 记工分 score and rank, and every problem "
        "found (no helper, not visited, over the household limit, far check-in, impossible "
        "travel) with its reason. Cadre names are masked unless --show-names.",
    )
    parser.add_argument("--region", required=True, help="2/4/6/9/12-digit region code")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--unit", default=None, help="only this 帮扶单位 (exact name)")
    parser.add_argument("--format", choices=("csv", "xlsx", "json"), default="csv")
    parser.add_argument("--output", default=None, help="write to this file (xlsx needs one)")
    parser.add_argument("--show-names", action="store_true", help="cadre names unmasked")
    add_store_options(parser)
    parser.set_defaults(func=run)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, list | str):
        return value.item()
    return value


def report_tables(store, region: str, year: int, *, unit: str | None = None,
                  show_names: bool = False) -> dict[str, Any]:  # fmt: skip
    """The report as plain data: region, year, rules, and the three tables as row lists."""
    access = ScopedStore(store, Scope(pii=show_names))
    info = access.region(region)
    detail = cadre_detail(access, info.code, year, unit=unit)
    if not detail.has_data:
        raise BattlemapError("the data set has no cadre tables (cadres, assignments, visits)")
    if unit is not None and detail.units.empty:
        raise BattlemapError(f"no cadre of unit {unit!r} is in post in {info.code} in {year}")
    child = PREFIX_LENGTHS[min(info.level + 1, 5)]
    tables = {
        "regions": region_ranking(detail.cadres, child).reindex(columns=list(REGION_COLUMNS)),
        "units": detail.units.reindex(columns=list(UNIT_COLUMNS)),
        "cadres": detail.cadres.reindex(columns=list(CADRE_COLUMNS)),
        "problems": detail.problems.reindex(columns=list(PROBLEM_COLUMNS)),
    }
    return {
        "region": info.code,
        "name": info.name,
        "year": int(year),
        "unit": unit,
        "rules": dict(as_plain(detail_rules(store))),
        "summary": detail.summary,
        **{
            name: [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]
            for name, frame in tables.items()
        },
    }


def detail_rules(store):
    from battlemap.geodata.cadres_store import cadre_source

    return cadre_source(store).rules


def _csv_text(report: dict[str, Any]) -> str:
    """One CSV: a ``section`` column (unit / cadre / problem) then each table's columns."""
    out = io.StringIO()
    columns = [
        "section",
        *dict.fromkeys([*REGION_COLUMNS, *UNIT_COLUMNS, *CADRE_COLUMNS, *PROBLEM_COLUMNS]),
    ]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    sections = (
        ("region", "regions"),
        ("unit", "units"),
        ("cadre", "cadres"),
        ("problem", "problems"),
    )
    for section, name in sections:
        for row in report[name]:
            cells = {k: _cell(v) for k, v in row.items()}
            writer.writerow({"section": section, **cells})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # never a spreadsheet formula
    return value


def _write_xlsx(report: dict[str, Any], path: str) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, title in SHEETS.items():
        sheet = book.create_sheet(title)
        columns = {
            "regions": REGION_COLUMNS,
            "units": UNIT_COLUMNS,
            "cadres": CADRE_COLUMNS,
            "problems": PROBLEM_COLUMNS,
        }
        sheet.append(list(columns[name]))
        for row in report[name]:
            sheet.append([_cell(row.get(c)) for c in columns[name]])
    book.save(path)


def run(args: argparse.Namespace) -> int:
    store = store_from_args(args)
    try:
        report = report_tables(
            store, args.region, args.year, unit=args.unit, show_names=args.show_names
        )
    finally:
        store.close()
    if args.format == "xlsx":
        if args.output is None:
            raise BattlemapError("--format xlsx needs --output FILE")
        try:
            with owner_only():
                _write_xlsx(report, args.output)
        except OSError as exc:
            raise BattlemapError(f"cannot write {args.output}: {exc.strerror}") from None
        return 0
    text = (
        json.dumps(report, ensure_ascii=False, indent=2) + "\n"
        if args.format == "json"
        else _csv_text(report)
    )
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
        with owner_only(), open(args.output, "w", encoding=encoding, newline="") as out:
            out.write(text)
    except OSError as exc:
        raise BattlemapError(f"cannot write {args.output}: {exc.strerror}") from None
    return 0
