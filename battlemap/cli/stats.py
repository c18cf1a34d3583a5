"""``battlemap stats``: indicators of one region and year as JSON."""

from __future__ import annotations

import argparse
import json

from battlemap.cli.options import add_store_options, store_from_args
from battlemap.geodata.access import ScopedStore
from battlemap.geodata.cadres_store import cadre_counts
from battlemap.views.funds import funds_stats
from battlemap.views.summary import region_summary

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("stats", help="indicators of a region and year as JSON")
    parser.add_argument("--region", required=True, help="2/4/6/9/12-digit region code")
    parser.add_argument("--year", type=int, required=True)
    add_store_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store = store_from_args(args)
    try:
        summary = region_summary(store, args.region, args.year)
        summary["cadres"] = cadre_counts(store, args.region, args.year)  # issue 15
        summary["funds"] = funds_stats(ScopedStore(store), args.region, args.year)  # issue 14
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    finally:
        store.close()
    return 0
