"""``battlemap token add|list|revoke``: revocable read-only tokens for wall screens.

A token signs a screen in as role ``display`` (its scope, aggregates only, no exports) when
a URL carries ``?token=ID.SECRET`` (the wall: ``/wall?token=…``). Only a hash of the secret
is stored; ``add`` prints it once.
"""

from __future__ import annotations

import argparse

from battlemap.auth.store import Token, now_text
from battlemap.cli.auth_options import add_auth_store_options, auth_store_from_args

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("token", help="manage display tokens (wall screens)")
    actions = parser.add_subparsers(dest="action", required=True)

    add = actions.add_parser("add", help="create a display token; prints it once")
    add.add_argument("name", help="what the token is for, e.g. the screen's room")
    add.add_argument("--scope", required=True, help="region code the screen shows")
    add.add_argument("--days", type=float, default=None, help="expires after N days")
    add.set_defaults(func=_add)

    listing = actions.add_parser("list", help="list tokens (never their secrets)")
    listing.set_defaults(func=_list)

    revoke = actions.add_parser("revoke", help="revoke a token by its ID (screens sign out)")
    revoke.add_argument("id")
    revoke.set_defaults(func=_revoke)

    for sub in (add, listing, revoke):
        add_auth_store_options(sub)


def _state(token: Token) -> str:
    if token.revoked:
        return f"revoked {token.revoked}"
    if not token.valid(now_text()):
        return f"expired {token.expires}"
    return f"valid until {token.expires}" if token.expires else "valid"


def _describe(token: Token) -> str:
    return (
        f"{token.id}\t{token.name}\t{token.role}\t{token.scope}\t{token.created}\t{_state(token)}"
    )


def _add(args: argparse.Namespace) -> int:
    token, secret = auth_store_from_args(args).add_token(args.name, args.scope, days=args.days)
    print(f"added {_describe(token)}")
    print(f"token: {secret}")
    print(f"wall URL: /wall?token={secret}")
    return 0


def _list(args: argparse.Namespace) -> int:
    print("id\tname\trole\tscope\tcreated\tstate")
    for token in auth_store_from_args(args).tokens():
        print(_describe(token))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    print(f"revoked {_describe(auth_store_from_args(args).revoke_token(args.id))}")
    return 0
