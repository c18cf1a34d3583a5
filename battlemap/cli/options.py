"""Options shared by several subcommands (store choice, data dir, DSN, database timeout).

The database password should not be on the command line, where every user of the machine
sees it in the process list: give a DSN without one and let libpq take it from
``PGPASSWORD`` or ``~/.pgpass``, or put the whole DSN in a file (``--dsn-file``). A password
in ``--dsn`` still works, with a warning on stderr.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path
from typing import Any

import psycopg2.extensions

from battlemap.geodata.errors import BattlemapError
from battlemap.geodata.store import Store, open_store
from battlemap.indicators.rules import load_rules

__all__ = [
    "DEFAULT_DATA_DIR",
    "DsnAction",
    "add_dsn_file_option",
    "add_dsn_options",
    "add_read_dsn_options",
    "add_rules_option",
    "add_store_options",
    "read_dsn_file",
    "store_from_args",
]

DEFAULT_DATA_DIR = os.environ.get("BATTLEMAP_DATA_DIR", "demo-data")
PASSWORD_WARNING = (
    "battlemap: warning: the password in --dsn is visible to every user of this machine "
    "(process list); use PGPASSWORD, ~/.pgpass or --dsn-file FILE instead"
)


def add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", choices=("embedded", "postgis"), default="embedded")
    parser.add_argument(
        "--data-dir",
        default=DEFAULT_DATA_DIR,
        help="embedded store data dir (default: %(default)s)",
    )
    add_dsn_options(parser, help="PostgreSQL DSN for --store postgis")
    add_read_dsn_options(parser)
    parser.add_argument(
        "--db-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="PostGIS connect and statement timeout (default: $BATTLEMAP_DB_TIMEOUT, else 5)",
    )
    add_rules_option(parser)


def add_dsn_options(
    container: Any, *, help: str = "PostgreSQL DSN", default: str | None = None
) -> None:
    """``--dsn DSN`` or ``--dsn-file FILE`` (mutually exclusive, both set ``args.dsn``).

    ``container`` is a parser or an argument group; ``default`` falls back to
    ``$BATTLEMAP_DSN``. Without a password in the DSN libpq reads ``PGPASSWORD`` and
    ``~/.pgpass``.
    """
    group = container.add_mutually_exclusive_group()
    group.add_argument(
        "--dsn",
        action=DsnAction,
        default=default if default is not None else os.environ.get("BATTLEMAP_DSN"),
        help=f"{help} (default: $BATTLEMAP_DSN); leave the password out: PGPASSWORD and "
        "~/.pgpass are read",
    )
    add_dsn_file_option(group)


def add_read_dsn_options(container: Any) -> None:
    """``--read-dsn DSN`` and ``--read-dsn-file FILE`` (each repeatable, both append to
    ``args.read_dsns``): streaming replicas the PostGIS store reads from, taking turns;
    ``--dsn`` stays the primary that imports, users and the audit log write to."""
    container.add_argument(
        "--read-dsn",
        action=_ReadDsnAction,
        dest="read_dsns",
        default=[],
        metavar="DSN",
        help="a read replica of --dsn for --store postgis (repeatable): the data are read "
        "there, imports, users and the audit log go to --dsn",
    )
    container.add_argument(
        "--read-dsn-file",
        action=_ReadDsnFileAction,
        dest="read_dsns",
        default=[],
        metavar="FILE",
        help="read a replica's DSN (with its password) from FILE (repeatable)",
    )


class _ReadDsnAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if _has_password(values):
            print(
                PASSWORD_WARNING.replace("--dsn", "--read-dsn", 1).replace(
                    "--dsn-file", "--read-dsn-file"
                ),
                file=sys.stderr,
            )
        setattr(namespace, self.dest, [*getattr(namespace, self.dest, []), values])


class _ReadDsnFileAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None) -> None:
        try:
            dsn = read_dsn_file(Path(values))
        except BattlemapError as exc:
            parser.error(str(exc).replace("--dsn-file", "--read-dsn-file", 1))
        setattr(namespace, self.dest, [*getattr(namespace, self.dest, []), dsn])


def add_dsn_file_option(group: Any) -> None:
    """``--dsn-file FILE`` into an existing (mutually exclusive) group that holds ``--dsn``
    (declared with ``action=DsnAction`` for the password warning)."""
    group.add_argument(
        "--dsn-file",
        action=_DsnFileAction,
        dest="dsn",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="read the DSN (with its password) from FILE, kept out of the process list",
    )


class DsnAction(argparse.Action):
    """Stores ``--dsn``; warns on stderr when it carries a password."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if _has_password(values):
            print(PASSWORD_WARNING, file=sys.stderr)
        setattr(namespace, self.dest, values)


class _DsnFileAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None) -> None:
        try:
            setattr(namespace, self.dest, read_dsn_file(Path(values)))
        except BattlemapError as exc:
            parser.error(str(exc))


def _has_password(dsn: str | None) -> bool:
    try:
        return bool(psycopg2.extensions.parse_dsn(dsn or "").get("password"))
    except psycopg2.ProgrammingError:
        return False  # an invalid DSN is reported when it is used


def read_dsn_file(path: Path) -> str:
    """The first line of ``path`` that is not empty or a ``#`` comment; warns on stderr when
    other users may read the file."""
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BattlemapError(f"--dsn-file {path}: cannot read it: {reason}") from None
    lines = [line.strip() for line in text.splitlines()]
    dsn = next((line for line in lines if line and not line.startswith("#")), None)
    if dsn is None:
        raise BattlemapError(f"--dsn-file {path}: the file holds no DSN")
    if _has_password(dsn) and mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(
            f"battlemap: warning: --dsn-file {path} holds a password and other users may "
            f"read it: chmod 600 {path}",
            file=sys.stderr,
        )
    return dsn


def add_rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        default=None,
        help="exit rules TOML (default: $BATTLEMAP_RULES, else the shipped rules.toml)",
    )


def store_from_args(args: argparse.Namespace) -> Store:
    if args.store == "postgis" and not args.dsn:
        raise BattlemapError("--store postgis needs --dsn or --dsn-file (or BATTLEMAP_DSN)")
    read_dsns = tuple(getattr(args, "read_dsns", None) or ())
    if read_dsns and args.store != "postgis":
        raise BattlemapError("--read-dsn needs --store postgis")
    rules = load_rules(getattr(args, "rules", None))
    timeout = getattr(args, "db_timeout", None)
    if timeout is None and os.environ.get("BATTLEMAP_DB_TIMEOUT"):
        from battlemap.web.config import web_settings_from_env

        timeout = web_settings_from_env().get("db_timeout_s")
    return open_store(
        args.store,
        data_dir=args.data_dir,
        dsn=args.dsn,
        rules=rules,
        db_timeout_s=timeout,
        read_dsns=read_dsns,
    )
