"""``battlemap import projects|beneficiaries|allocations|payments FILE`` (issue 14),
registered by cli/import_."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

__all__ = ["register_funds_imports"]

_HELP = {
    "projects": "扶贫项目: project_id, name, type, code, lon, lat, planned/actual start/end, "
    "status, budget, source, unit",
    "beneficiaries": "项目受益户: project_id, hh_id",
    "allocations": "资金下达: allocation_id, from_code, to_code, project_id, date, amount, "
    "source, document",
    "payments": "资金支付: payment_id, project_id, date, amount, payee_type, payee_hh_id",
}


def register_funds_imports(
    commands: argparse._SubParsersAction,
    common: Callable[..., None],
    rejected: Callable[[object], str],
    summary: Callable[[list[str]], None],
) -> None:
    """Add the four subcommands with the household import's common options."""
    for table, text in _HELP.items():
        parser = commands.add_parser(
            table,
            help=f"{text} (CSV, XLSX)",
            description="Check every row, upsert the good ones by key (re-importing the same "
            "file changes nothing), reject the rest with their reasons; all or nothing in "
            "both stores. Chinese or English headers; amounts in yuan.",
        )
        common(parser, points=False)
        parser.add_argument("--sheet", default=None, help="XLSX sheet (default: the first)")
        parser.set_defaults(func=_runner(table, rejected, summary))


def _runner(table: str, rejected, summary):
    def run(args: argparse.Namespace) -> int:
        from battlemap.geodata.importer.funds import import_funds_table
        from battlemap.geodata.importer.progress import Progress

        report = import_funds_table(
            table,
            args.file,
            args.data_dir,
            dsn=args.dsn,
            encoding=args.encoding,
            sheet=args.sheet,
            rejects=args.rejects,
            dry_run=args.dry_run,
            progress=Progress(quiet=args.quiet),
        )
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        if not args.quiet:
            verb = "would load" if report.dry_run else "loaded"
            lines = [
                f"{verb} {report.loaded:,} of {report.rows:,} {table} rows "
                f"({report.inserted:,} new, {report.updated:,} changed, "
                f"{report.unchanged:,} unchanged)"
            ]
            if report.rejected:
                lines.append(rejected(report))
            summary(lines)
        return 0

    return run
