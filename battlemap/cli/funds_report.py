"""``battlemap funds-report``: the fund anomalies (资金监管异常) of the projects under a region."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from battlemap.cli.options import add_store_options, store_from_args
from battlemap.geodata.access import ScopedStore
from battlemap.geodata.errors import BattlemapError
from battlemap.views.funds import REPORT_COLUMNS, funds_report, report_records

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "funds-report",
        help="fund anomalies (the data cage) of the projects under a region, with reasons",
        description="Lists every anomaly found in the projects, allocations and payments "
        "under a region up to 31 December of the year: the rule, the reason in words, the "
        "project and the evidence (thresholds: the rules file's [funds] section).",
    )
    parser.add_argument("--region", required=True, help="2/4/6/9/12-digit region code")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--format", choices=("csv", "json", "xlsx"), default="csv")
    parser.add_argument(
        "--output", default=None, help="write to this file instead of stdout (xlsx needs it)"
    )
    add_store_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.format == "xlsx" and args.output is None:
        raise BattlemapError("--format xlsx needs --output FILE")
    store = store_from_args(args)
    try:
        frame = funds_report(ScopedStore(store), args.region, args.year)
    finally:
        store.close()
    if args.format == "xlsx":
        try:
            frame.to_excel(args.output, index=False, sheet_name="funds")
        except OSError as exc:
            raise BattlemapError(f"cannot write {args.output}: {exc.strerror}") from None
        return 0
    if args.format == "json":
        text = json.dumps(report_records(frame), ensure_ascii=False, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(frame[list(REPORT_COLUMNS)].itertuples(index=False))
        text = buffer.getvalue()
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8-sig" if args.format == "csv" else "utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise BattlemapError(f"cannot write {args.output}: {exc.strerror}") from None
    return 0
