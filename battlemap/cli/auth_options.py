"""Options of the user/token/audit subcommands: which store's auth tables, the password."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from battlemap.auth.store import AuthStore
from battlemap.cli.options import DEFAULT_DATA_DIR, DsnAction, add_dsn_file_option
from battlemap.geodata.errors import BattlemapError

__all__ = ["add_auth_store_options", "auth_store_from_args", "read_password"]


def add_auth_store_options(parser: argparse.ArgumentParser) -> None:
    """``--data-dir D`` (users.sqlite in the embedded data dir), or ``--dsn DSN`` /
    ``--dsn-file FILE`` (PostGIS)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--data-dir",
        default=None,
        help=f"embedded store data dir: users in DIR/users.sqlite (default: {DEFAULT_DATA_DIR})",
    )
    where.add_argument(
        "--dsn",
        action=DsnAction,
        default=None,
        help="PostgreSQL DSN: users in the PostGIS database (default: $BATTLEMAP_DSN if set); "
        "leave the password out: PGPASSWORD and ~/.pgpass are read",
    )
    add_dsn_file_option(where)


def auth_store_from_args(args: argparse.Namespace) -> AuthStore:
    """The auth tables named by ``--dsn`` / ``--data-dir`` (then $BATTLEMAP_DSN, the default
    data dir)."""
    if args.dsn:
        return AuthStore.open("postgis", dsn=args.dsn)
    if args.data_dir is None and os.environ.get("BATTLEMAP_DSN"):
        return AuthStore.open("postgis", dsn=os.environ["BATTLEMAP_DSN"])
    return AuthStore.open("embedded", data_dir=args.data_dir or DEFAULT_DATA_DIR)


def read_password(from_stdin: bool) -> str:
    """The first line of standard input (``--password-stdin``), else asked twice on a tty."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise BattlemapError("--password-stdin: standard input held no password")
        return password
    if not sys.stdin.isatty():
        raise BattlemapError("no password: pass --password-stdin and pipe it in")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise BattlemapError("the passwords differ")
    return first
