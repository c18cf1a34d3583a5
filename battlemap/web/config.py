"""Web settings from the command line and the environment (Host names, body cap, DB timeout)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from battlemap.geodata.errors import BattlemapError

__all__ = ["add_web_options", "web_settings", "web_settings_from_env"]

ENV_HOSTS = "BATTLEMAP_ALLOWED_HOSTS"  # comma-separated
ENV_MAX_BODY = "BATTLEMAP_MAX_BODY_BYTES"
ENV_DB_TIMEOUT = "BATTLEMAP_DB_TIMEOUT"  # seconds


def _hosts(text: str | None) -> tuple[str, ...]:
    return tuple(h.strip() for h in (text or "").split(",") if h.strip())


def _number(name: str, text: str, kind: type) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise BattlemapError(f"{name}={text!r} is not a number") from None


def web_settings_from_env() -> dict[str, Any]:
    """Settings fields from ``BATTLEMAP_ALLOWED_HOSTS``, ``_MAX_BODY_BYTES``, ``_DB_TIMEOUT``."""
    found: dict[str, Any] = {}
    if _hosts(os.environ.get(ENV_HOSTS)):
        found["allowed_hosts"] = _hosts(os.environ[ENV_HOSTS])
    if os.environ.get(ENV_MAX_BODY):
        found["max_body_bytes"] = _number(ENV_MAX_BODY, os.environ[ENV_MAX_BODY], int)
    if os.environ.get(ENV_DB_TIMEOUT):
        found["db_timeout_s"] = _number(ENV_DB_TIMEOUT, os.environ[ENV_DB_TIMEOUT], float)
    return found


def add_web_options(parser: argparse.ArgumentParser) -> None:
    """``--allowed-host`` (repeatable) and ``--max-body-bytes`` for serving commands."""
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="NAME",
        help=f"a Host name to answer to, repeatable (default: ${ENV_HOSTS}, else the bound "
        "address, localhost and 127.0.0.1; '*' accepts any)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=None,
        help=f"largest request body accepted (default: ${ENV_MAX_BODY}, else 1 MiB)",
    )


def web_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Settings fields from the options, falling back to the environment."""
    found = web_settings_from_env()
    hosts = tuple(h for item in getattr(args, "allowed_host", None) or () for h in _hosts(item))
    if hosts:
        found["allowed_hosts"] = hosts
    if getattr(args, "max_body_bytes", None) is not None:
        found["max_body_bytes"] = args.max_body_bytes
    if getattr(args, "db_timeout", None) is not None:
        found["db_timeout_s"] = args.db_timeout
    return found
