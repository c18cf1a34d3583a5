"""``battlemap user add|list|set-role|set-scope|disable|enable|passwd``: sign-in accounts.

Users live in the active store (``--data-dir``: ``users.sqlite`` there; ``--dsn``: PostGIS
tables). Roles and their rights: :mod:`battlemap.auth.roles`.
"""

from __future__ import annotations

import argparse

from battlemap.auth.roles import ROLE_NAMES
from battlemap.auth.store import User
from battlemap.cli.auth_options import add_auth_store_options, auth_store_from_args, read_password

__all__ = ["register"]

_PASSWORD_ROLES = tuple(r for r in ROLE_NAMES if r != "display")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("user", help="manage sign-in users (roles, region scope)")
    actions = parser.add_subparsers(dest="action", required=True)

    add = actions.add_parser("add", help="add a user; the password comes from standard input")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=_PASSWORD_ROLES)
    add.add_argument("--scope", required=True, help="region code the user sees (and below)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=_add)

    listing = actions.add_parser("list", help="list users")
    listing.set_defaults(func=_list)

    role = actions.add_parser("set-role", help="change a user's role")
    role.add_argument("name")
    role.add_argument("role", choices=_PASSWORD_ROLES)
    role.set_defaults(func=_set_role)

    scope = actions.add_parser("set-scope", help="change a user's region scope")
    scope.add_argument("name")
    scope.add_argument("scope")
    scope.set_defaults(func=_set_scope)

    disable = actions.add_parser("disable", help="stop a user from signing in (sessions end)")
    disable.add_argument("name")
    disable.set_defaults(func=_disable, disabled=True)

    enable = actions.add_parser("enable", help="let a disabled user sign in again")
    enable.add_argument("name")
    enable.set_defaults(func=_disable, disabled=False)

    passwd = actions.add_parser("passwd", help="set a user's password (sessions end)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=_passwd)

    for sub in (add, listing, role, scope, disable, enable, passwd):
        add_auth_store_options(sub)


def _describe(user: User) -> str:
    state = "disabled" if user.disabled else "active"
    return f"{user.name}\t{user.role}\t{user.scope}\t{state}\t{user.updated}"


def _add(args: argparse.Namespace) -> int:
    store = auth_store_from_args(args)
    store.check_name(args.name)
    store.check_scope(args.scope)  # a bad name or scope before asking for the password
    user = store.add_user(args.name, args.role, args.scope, read_password(args.password_stdin))
    print(f"added {_describe(user)}")
    return 0


def _list(args: argparse.Namespace) -> int:
    print("name\trole\tscope\tstate\tupdated")
    for user in auth_store_from_args(args).users():
        print(_describe(user))
    return 0


def _set_role(args: argparse.Namespace) -> int:
    print(f"changed {_describe(auth_store_from_args(args).set_role(args.name, args.role))}")
    return 0


def _set_scope(args: argparse.Namespace) -> int:
    print(f"changed {_describe(auth_store_from_args(args).set_scope(args.name, args.scope))}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    user = auth_store_from_args(args).set_disabled(args.name, args.disabled)
    print(f"changed {_describe(user)}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    store = auth_store_from_args(args)
    store.require_user(args.name)  # "no user …" before asking for a password
    user = store.set_password(args.name, read_password(args.password_stdin))
    print(f"changed the password of {user.name}")
    return 0
