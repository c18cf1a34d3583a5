"""``battlemap brief``: the printable region brief (报表自动生成) as PDF, HTML or Word."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from battlemap.cli.options import add_store_options, store_from_args
from battlemap.exports.atomic import check_writable, write_atomic
from battlemap.exports.brief import BRIEF_FORMATS, render_brief
from battlemap.geodata.access import Scope, ScopedStore
from battlemap.layers.catalog import DEFAULT_INDICATOR, INDICATORS
from battlemap.viewstate import ViewState

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "brief",
        help="a printable brief of a region and year (PDF, HTML or Word)",
        description="Title page with a summary written from the numbers, KPIs with the change "
        "vs last year, the map, trend, causes, guarantees vs the parent, the ranking of the "
        "sub-regions, exit checks with every failing reason and the early warnings. PDF is "
        "printed by headless Chromium; the numbers are the page's.",
    )
    parser.add_argument("--region", required=True, help="2/4/6/9/12-digit region code")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--out", required=True, help="output file (written atomically)")
    parser.add_argument(
        "--format",
        choices=BRIEF_FORMATS,
        default=None,
        help="pdf, html or docx (default: from the --out suffix, else pdf)",
    )
    parser.add_argument(
        "--indicator",
        choices=tuple(INDICATORS),
        default=DEFAULT_INDICATOR,
        help="what the map and the ranking show (default: %(default)s)",
    )
    parser.add_argument("--language", choices=("zh", "en"), default="zh")
    add_store_options(parser)
    parser.set_defaults(func=run)


def _format(args: argparse.Namespace, out: Path) -> str:
    if args.format:
        return args.format
    suffix = out.suffix.lower().lstrip(".")
    return suffix if suffix in BRIEF_FORMATS else "pdf"


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    check_writable(out)  # a bad path fails now, not after the rendering
    fmt = _format(args, out)
    started = time.perf_counter()
    store = store_from_args(args)
    try:
        access = ScopedStore(store, Scope())  # the command line: every region, names masked
        state = ViewState(
            region=str(args.region), year=args.year, indicator=args.indicator, lang=args.language
        )
        result = render_brief(access, state, fmt, datetime.now(UTC))
    finally:
        store.close()
    write_atomic(out, result.data)
    took = time.perf_counter() - started
    print(f"{out} ({fmt}, {len(result.data) / 1024:,.0f} KiB, {took:.1f} s)", file=sys.stderr)
    return 0
