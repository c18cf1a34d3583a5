"""``battlemap audit [--user U] [--since S] [--refused]``: print the access audit log.

One line per row, oldest first: time (UTC), who, address, region, view or action,
allowed/refused, detail.
"""

from __future__ import annotations

import argparse

from battlemap.auth.store import parse_since
from battlemap.cli.auth_options import add_auth_store_options, auth_store_from_args

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="print the access audit log")
    parser.add_argument("--user", default=None, help="only this user (or token:ID:NAME)")
    parser.add_argument(
        "--since", default=None, help="from a date/time (2026-12-01T08:00) or back 30m/12h/7d"
    )
    parser.add_argument("--refused", action="store_true", help="only refused requests")
    parser.add_argument("--limit", type=int, default=None, help="only the last N rows")
    add_auth_store_options(parser)
    parser.set_defaults(func=_audit)


def _audit(args: argparse.Namespace) -> int:
    since = parse_since(args.since) if args.since else None
    entries = auth_store_from_args(args).audit_entries(
        user=args.user, since=since, refused=args.refused, limit=args.limit
    )
    print("at\twho\taddress\tregion\taction\tresult\tdetail")
    for e in entries:
        result = "allowed" if e.allowed else "refused"
        print(f"{e.at}\t{e.who}\t{e.address}\t{e.region}\t{e.action}\t{result}\t{e.detail}")
    return 0
