"""Options shared by several subcommands (store choice, data dir, DSN)."""

from __future__ import annotations

import argparse
import os

from battlemap.geodata.errors import BattlemapError
from battlemap.geodata.store import Store, open_store
from battlemap.indicators.rules import load_rules

__all__ = ["DEFAULT_DATA_DIR", "add_rules_option", "add_store_options", "store_from_args"]

DEFAULT_DATA_DIR = os.environ.get("BATTLEMAP_DATA_DIR", "demo-data")


def add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", choices=("embedded", "postgis"), default="embedded")
    parser.add_argument(
        "--data-dir",
        default=DEFAULT_DATA_DIR,
        help="embedded store data dir (default: %(default)s)",
    )
    parser.add_argument(
        "--dsn", default=os.environ.get("BATTLEMAP_DSN"), help="PostgreSQL DSN for --store postgis"
    )
    add_rules_option(parser)


def add_rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        default=None,
        help="exit rules TOML (default: $BATTLEMAP_RULES, else the shipped rules.toml)",
    )


def store_from_args(args: argparse.Namespace) -> Store:
    if args.store == "postgis" and not args.dsn:
        raise BattlemapError("--store postgis needs --dsn (or BATTLEMAP_DSN)")
    rules = load_rules(getattr(args, "rules", None))
    return open_store(args.store, data_dir=args.data_dir, dsn=args.dsn, rules=rules)
