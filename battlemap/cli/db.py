"""``battlemap db load``: a data dir into PostgreSQL + PostGIS (COPY, indexes, aggregates)."""

from __future__ import annotations

import argparse
import sys

from battlemap.cli.options import DEFAULT_DATA_DIR, add_dsn_options, add_rules_option

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="PostgreSQL + PostGIS store")
    commands = parser.add_subparsers(dest="db_command", required=True)
    load = commands.add_parser(
        "load",
        help="load a data dir into PostGIS, replacing its tables (one transaction)",
        description="Load every table of a data dir with COPY, build indexes and the "
        "region_year_stats aggregate, all in one transaction: on error nothing changes.",
    )
    add_dsn_options(load, help="PostgreSQL DSN, e.g. postgresql://user@host:5432/db")
    load.add_argument(
        "--data-dir", default=DEFAULT_DATA_DIR, help="data dir to load (default: %(default)s)"
    )
    load.add_argument("--quiet", action="store_true", help="print only the summary line")
    add_rules_option(load)
    load.set_defaults(func=run_load)


def run_load(args: argparse.Namespace) -> int:
    from battlemap.geodata.postgis import describe_dsn, load_data_dir

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"  {message}", file=sys.stderr, flush=True)

    if not args.quiet:
        print(f"loading {args.data_dir} into {describe_dsn(args.dsn)}", file=sys.stderr)
    from battlemap.indicators.rules import load_rules

    rules = load_rules(args.rules)  # a bad rules file fails before any database work
    report = load_data_dir(args.dsn, args.data_dir, rules=rules, progress=progress)
    counts = ", ".join(f"{name} {rows:,}" for name, rows in report.rows.items())
    print(
        f"loaded {counts} (years {report.years[0]}–{report.years[-1]}) "
        f"in {report.total_seconds:.1f} s"
    )
    return 0
