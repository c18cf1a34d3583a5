"""``battlemap exit-report``: every county or village under a region with its exit checks."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import TextIO

from battlemap.cli.options import add_store_options, store_from_args
from battlemap.geodata.errors import BattlemapError
from battlemap.views.exit_report import exit_report, report_columns, report_rows

__all__ = ["register", "write_report"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "exit-report",
        help="exit checks (贫困县摘帽 / 贫困村出列) of every county or village under a region",
        description="Lists every poverty county (贫困县, under a province or city) or poverty "
        "village (贫困村, under a county or township) with each exit check's value, threshold "
        "and verdict and the failing reasons (不达标原因); --all adds the unflagged ones.",
    )
    parser.add_argument("--region", required=True, help="2/4/6/9/12-digit region code")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--format", choices=("csv", "json"), default="csv")
    parser.add_argument(
        "--level",
        choices=("county", "village"),
        default=None,
        help="list counties or villages (default: by the region's level)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="all_regions",
        help="also list counties and villages not flagged 贫困县/贫困村 (default: flagged only)",
    )
    parser.add_argument(
        "--output",
        default=None,
        help="write to this file (CSV with a BOM for Excel) instead of stdout",
    )
    add_store_options(parser)
    parser.set_defaults(func=run)


def write_report(rows: list[dict], columns: list[str], fmt: str, out: TextIO) -> None:
    """Rows as CSV (header + one line per region) or as a JSON list."""
    if fmt == "json":
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})


def run(args: argparse.Namespace) -> int:
    level = {"county": 3, "village": 5, None: None}[args.level]
    store = store_from_args(args)
    try:
        report = exit_report(
            store, args.region, args.year, level, flagged_only=not args.all_regions
        )
    finally:
        store.close()
    report_level = report[0].level if report else (level or 5)
    rows = [a.as_dict() for a in report] if args.format == "json" else report_rows(report)
    columns = report_columns(report_level)
    if args.output is None:
        write_report(rows, columns, args.format, sys.stdout)
        return 0
    encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
    try:
        with open(args.output, "w", encoding=encoding, newline="") as out:
            write_report(rows, columns, args.format, out)
    except OSError as exc:
        raise BattlemapError(f"cannot write {args.output}: {exc.strerror}") from None
    return 0
