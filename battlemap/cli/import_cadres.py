"""``battlemap import cadres|assignments|visits FILE`` (issue 15), registered by cli/import_."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

__all__ = ["register_cadre_imports"]

_HELP = {
    "cadres": "帮扶干部: cadre_id, name, unit, unit_level, role, village_code, start/end date",
    "assignments": "结对帮扶: cadre_id, hh_id, start_date, end_date (one helper at a time)",
    "visits": "帮扶日志: visit_id, cadre_id, hh_id, date, lon, lat, kind, note",
}


def register_cadre_imports(
    commands: argparse._SubParsersAction,
    common: Callable[..., None],
    rejected: Callable[[object], str],
    summary: Callable[[list[str]], None],
) -> None:
    """Add the three subcommands with the household import's common options."""
    for table, text in _HELP.items():
        parser = commands.add_parser(
            table,
            help=f"{text} (CSV, XLSX)",
            description="Check every row, upsert the good ones by key (re-importing the same "
            "file changes nothing), reject the rest with their reasons; all or nothing in "
            "both stores. Chinese or English headers.",
        )
        common(parser, points=table == "visits")  # --crs for the check-in points
        parser.add_argument("--sheet", default=None, help="XLSX sheet (default: the first)")
        parser.set_defaults(func=_runner(table, rejected, summary))


def _runner(table: str, rejected, summary):
    def run(args: argparse.Namespace) -> int:
        from battlemap.geodata.importer.cadres import import_cadre_table
        from battlemap.geodata.importer.progress import Progress

        report = import_cadre_table(
            table,
            args.file,
            args.data_dir,
            dsn=args.dsn,
            encoding=args.encoding,
            sheet=args.sheet,
            rejects=args.rejects,
            dry_run=args.dry_run,
            progress=Progress(quiet=args.quiet),
            crs=getattr(args, "crs", "wgs84"),
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
