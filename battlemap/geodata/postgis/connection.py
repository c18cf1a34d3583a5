"""Connections with errors a user can act on (one line, password never shown)."""

from __future__ import annotations

import psycopg2
import psycopg2.extensions

from battlemap.geodata.errors import StoreUnavailableError

__all__ = ["connect", "describe_dsn", "first_line"]

CONNECT_TIMEOUT_S = 5


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception message (libpq messages span lines)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def describe_dsn(dsn: str | None) -> str:
    """``user@host:port/dbname`` of a DSN (key=value or URI), without the password."""
    try:
        parts = psycopg2.extensions.parse_dsn(dsn or "")
    except psycopg2.ProgrammingError:
        return "<invalid DSN>"
    host = parts.get("host") or "localhost"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"{user}{host}{port}/{parts.get('dbname', '')}"


def connect(dsn: str | None, *, autocommit: bool = True):
    """Open a connection with JIT off; StoreUnavailableError if the server can't be reached."""
    if not dsn:
        raise StoreUnavailableError("no PostgreSQL DSN given: pass --dsn postgresql://...")
    try:
        psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError as exc:
        raise StoreUnavailableError(f"invalid PostgreSQL DSN: {first_line(exc)}") from None
    try:
        conn = psycopg2.connect(
            dsn, connect_timeout=CONNECT_TIMEOUT_S, application_name="battlemap"
        )
    except psycopg2.Error as exc:
        raise StoreUnavailableError(
            f"cannot connect to PostgreSQL at {describe_dsn(dsn)}: {first_line(exc)}"
        ) from None
    conn.set_client_encoding("UTF8")
    conn.autocommit = autocommit
    with conn.cursor() as cur:
        cur.execute("SET jit = off")
    if not autocommit:
        conn.commit()
    return conn
