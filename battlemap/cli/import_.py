"""``battlemap import households|boundaries|population|recover``: real data into the data
dir (and PostGIS); the side tables' subcommands come from :mod:`battlemap.cli.import_tables`.

The JSON report goes to stdout, progress and a short summary to stderr. Rejected rows do
not fail the command (exit 0); a file that cannot be read or mapped is an error (exit 2).
"""

from __future__ import annotations

import argparse
import sys

from battlemap.cli.import_common import add_import_options, print_report, table_options
from battlemap.cli.import_tables import register_table_imports
from battlemap.cli.options import DEFAULT_DATA_DIR, add_dsn_options

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import", help="import households, boundaries or rural population from files"
    )
    commands = parser.add_subparsers(dest="import_command", required=True)

    hh = commands.add_parser(
        "households",
        help="registered households (建档立卡) from CSV, XLSX, GeoJSON, GPKG, SHP",
        description="Validate every row, load the good ones (upsert by household ID and year) "
        "and write the bad ones with their reason to a rejects file. All or nothing: an error "
        "or Ctrl-C leaves the store as it was.",
    )
    add_import_options(hh)
    hh.add_argument(
        "--sheet", default=None, help="XLSX sheet, or GeoPackage/KML layer (default: the first)"
    )
    hh.add_argument(
        "--tolerance-m",
        type=float,
        default=500.0,
        help="how far outside its village a point may lie (default: %(default)s m)",
    )
    hh.add_argument(
        "--insert-only",
        action="store_true",
        help="reject households already in the store instead of updating them",
    )
    hh.add_argument("--chunk-rows", type=int, default=100_000, help=argparse.SUPPRESS)
    hh.set_defaults(func=run_households)

    bd = commands.add_parser(
        "boundaries",
        help="one level of region polygons (GeoJSON, GPKG, SHP, KML)",
        description="Reproject to EPSG:4326, repair invalid polygons, check codes, parents and "
        "duplicates, and upsert the regions by code (creating the data dir if needed).",
    )
    add_import_options(bd)
    bd.add_argument(
        "--level", required=True, choices=("province", "city", "county", "township", "village")
    )
    bd.add_argument("--code-field", default=None, help="field with the region code")
    bd.add_argument("--name-field", default=None, help="field with the region name")
    bd.add_argument(
        "--poverty-field",
        default=None,
        help="field marking 贫困县 (是/否, 1/0) for county boundaries",
    )
    bd.add_argument("--layer", default=None, help="layer of a GeoPackage or KML file")
    bd.add_argument(
        "--tolerance-m",
        type=float,
        default=500.0,
        help="how far outside a changed village a stored household may lie before it is "
        "listed (default: %(default)s m)",
    )
    bd.set_defaults(func=run_boundaries)

    pop = commands.add_parser(
        "population",
        help="rural population per village and year (CSV, XLSX): the incidence denominator",
        description="Check every row (village code, year, persons), upsert the good ones by "
        "village and year, and update rural_population in both stores' aggregates. All or "
        "nothing.",
    )
    add_import_options(pop, points=False)
    pop.add_argument("--sheet", default=None, help="XLSX sheet (default: the first)")
    pop.set_defaults(func=run_population)

    rec = commands.add_parser(
        "recover",
        help="finish or roll back an import interrupted while committing",
        description="After a crash between PostGIS's commit and the data dir's swap, ask the "
        "database which import it committed and bring the data dir to the same state.",
    )
    rec.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    add_dsn_options(rec, help="the PostGIS database the import also wrote")
    rec.set_defaults(func=run_recover)

    register_table_imports(commands)  # cadres (issue 15) and funds (issue 14) tables


def run_recover(args: argparse.Namespace) -> int:
    from battlemap.geodata.importer.atomic import recover_data_dir

    completed = recover_data_dir(args.data_dir, args.dsn)
    print(
        f"{args.data_dir}: "
        + ("the interrupted import was completed" if completed else "nothing to finish"),
        file=sys.stderr,
    )
    return 0


def run_households(args: argparse.Namespace) -> int:
    from battlemap.geodata.importer.households import ImportOptions, import_households
    from battlemap.geodata.importer.progress import Progress

    options = ImportOptions(
        crs=args.crs,
        encoding=args.encoding,
        sheet=args.sheet,
        rejects=args.rejects,
        dry_run=args.dry_run,
        tolerance_m=args.tolerance_m,
        insert_only=args.insert_only,
        chunk_rows=args.chunk_rows,
    )
    report = import_households(
        args.file, args.data_dir, dsn=args.dsn, options=options, progress=Progress(quiet=args.quiet)
    )
    verb = "would load" if report.dry_run else "loaded"
    line = (
        f"{verb} {report.loaded:,} of {report.rows:,} rows in {report.seconds:.1f} s "
        f"({report.rows_per_s:,.0f} rows/s); households {report.households}"
    )
    ignored = report.ignored_columns
    after = [f"ignored columns: {', '.join(ignored)}"] if ignored else []
    print_report(args, report, [line], after)
    return 0


def run_population(args: argparse.Namespace) -> int:
    from battlemap.geodata.importer.population import import_population

    report = import_population(args.file, args.data_dir, **table_options(args))
    verb = "would load" if report.dry_run else "loaded"
    print_report(
        args, report, [f"{verb} {report.loaded:,} of {report.rows:,} rows; {report.population}"]
    )
    return 0


def run_boundaries(args: argparse.Namespace) -> int:
    from battlemap.geodata.importer.boundaries import import_boundaries
    from battlemap.geodata.importer.progress import Progress

    report = import_boundaries(
        args.file,
        args.data_dir,
        level=args.level,
        code_field=args.code_field,
        name_field=args.name_field,
        poverty_field=args.poverty_field,
        crs=args.crs,
        encoding=args.encoding,
        layer=args.layer,
        dsn=args.dsn,
        rejects=args.rejects,
        dry_run=args.dry_run,
        tolerance_m=args.tolerance_m,
        progress=Progress(quiet=args.quiet),
    )
    verb = "would load" if report.dry_run else "loaded"
    lines = [
        f"{verb} {report.loaded:,} of {report.features:,} {args.level} features; "
        f"regions {report.regions}"
    ]
    if report.repaired:
        lines.append(f"repaired {len(report.repaired)} invalid geometries")
    outside = []
    if report.households_outside:
        outside.append(
            f"{report.households_outside:,} stored households now lie outside their "
            f"village → {report.households_outside_file}"
        )
    print_report(args, report, lines, outside)
    return 0
