"""What every ``battlemap import`` subcommand shares: the common options and the output
(the JSON report on stdout; on stderr, unless --quiet, a short summary with the rejects)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from battlemap.cli.options import DEFAULT_DATA_DIR, add_dsn_options

__all__ = ["add_import_options", "print_report", "rejected_line", "table_options"]


def add_import_options(parser: argparse.ArgumentParser, *, points: bool = True) -> None:
    """FILE, --data-dir, --dsn, --crs (files with points), --encoding, --rejects,
    --dry-run and --quiet."""
    parser.add_argument("file", type=Path, help="file to import")
    parser.add_argument(
        "--data-dir",
        default=DEFAULT_DATA_DIR,
        help="data dir to import into (default: %(default)s)",
    )
    add_dsn_options(parser, help="also upsert into this PostGIS database, in the same commit")
    if points:
        parser.add_argument(
            "--crs",
            choices=("wgs84", "gcj02", "bd09"),
            default="wgs84",
            help="coordinate system of the file's points (default: %(default)s)",
        )
    parser.add_argument(
        "--encoding",
        default="auto",
        help="text encoding: auto, utf-8, gbk or gb18030 (default: auto)",
    )
    parser.add_argument(
        "--rejects",
        type=Path,
        default=None,
        help="rejects CSV (default: FILE.rejects.csv next to the file)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate and report, write nothing but the rejects file",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def table_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of a table import (population, funds, cadres) from the
    common options."""
    from battlemap.geodata.importer.progress import Progress

    return {
        "dsn": args.dsn,
        "encoding": args.encoding,
        "sheet": args.sheet,
        "rejects": args.rejects,
        "dry_run": args.dry_run,
        "progress": Progress(quiet=args.quiet),
    }


def rejected_line(report: Any) -> str:
    """The summary line of an import's rejects: count per reason and the rejects file."""
    counts = ", ".join(f"{k} {v:,}" for k, v in report.reasons.items())
    return f"rejected {report.rejected:,}: {counts} → {report.rejects_file}"


def print_report(
    args: argparse.Namespace, report: Any, lines: list[str], after: Iterable[str] = ()
) -> None:
    """The report as JSON on stdout; unless --quiet, ``lines``, the rejects line (if any
    row was rejected) and ``after`` on stderr."""
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    if args.quiet:
        return
    summary = [*lines, *([rejected_line(report)] if report.rejected else []), *after]
    for line in summary:
        print(line, file=sys.stderr)
