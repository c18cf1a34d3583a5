"""``battlemap import cadres|assignments|visits|projects|beneficiaries|allocations|payments
FILE`` (issues 15 and 14): one subcommand a side table, registered by cli/import_."""

from __future__ import annotations

import argparse
from functools import partial

from battlemap.cli.import_common import add_import_options, print_report, table_options

__all__ = ["register_table_imports"]

CADRE_COMMANDS = {
    "cadres": "帮扶干部: cadre_id, name, unit, unit_level, role, village_code, start/end date",
    "assignments": "结对帮扶: cadre_id, hh_id, start_date, end_date (one helper at a time)",
    "visits": "帮扶日志: visit_id, cadre_id, hh_id, date, lon, lat, kind, note",
}
FUNDS_COMMANDS = {
    "projects": "扶贫项目: project_id, name, type, code, lon, lat, planned/actual start/end, "
    "status, budget, source, unit",
    "beneficiaries": "项目受益户: project_id, hh_id",
    "allocations": "资金下达: allocation_id, from_code, to_code, project_id, date, amount, "
    "source, document",
    "payments": "资金支付: payment_id, project_id, date, amount, payee_type, payee_hh_id",
}


def register_table_imports(commands: argparse._SubParsersAction) -> None:
    """Add the cadre and funds subcommands with the household import's common options."""
    for table, text in {**CADRE_COMMANDS, **FUNDS_COMMANDS}.items():
        headers = "Chinese or English headers" + (
            "." if table in CADRE_COMMANDS else "; amounts in yuan."
        )
        parser = commands.add_parser(
            table,
            help=f"{text} (CSV, XLSX)",
            description="Check every row, upsert the good ones by key (re-importing the same "
            "file changes nothing), reject the rest with their reasons; all or nothing in "
            f"both stores. {headers}",
        )
        add_import_options(parser, points=table == "visits")  # --crs for the check-in points
        parser.add_argument("--sheet", default=None, help="XLSX sheet (default: the first)")
        parser.set_defaults(func=partial(run_table, table))


def run_table(table: str, args: argparse.Namespace) -> int:
    """Import one side table's file; the report as JSON, a summary on stderr."""
    options = table_options(args)
    if table in CADRE_COMMANDS:
        from battlemap.geodata.importer.cadres import import_cadre_table

        crs = getattr(args, "crs", "wgs84")
        report = import_cadre_table(table, args.file, args.data_dir, crs=crs, **options)
    else:
        from battlemap.geodata.importer.funds import import_funds_table

        report = import_funds_table(table, args.file, args.data_dir, **options)
    verb = "would load" if report.dry_run else "loaded"
    line = (
        f"{verb} {report.loaded:,} of {report.rows:,} {table} rows "
        f"({report.inserted:,} new, {report.updated:,} changed, {report.unchanged:,} unchanged)"
    )
    print_report(args, report, [line])
    return 0
