"""Connections with errors a user can act on (one line, password never shown)."""

from __future__ import annotations

import math

import psycopg2
import psycopg2.extensions

from battlemap.geodata.errors import StoreUnavailableError
from battlemap.geodata.postgis.pool import GRACE_S, GuardedConnection

__all__ = ["DatabaseUnreachableError", "connect", "describe_dsn", "first_line"]

CONNECT_TIMEOUT_S = 5


class DatabaseUnreachableError(StoreUnavailableError):
    """The server refused the connection or did not complete it within the timeout."""


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


def connect(
    dsn: str | None,
    *,
    autocommit: bool = True,
    timeout_s: float | None = None,
    session: dict[str, str] | None = None,
):
    """Open a connection with JIT off; StoreUnavailableError if the server can't be reached.

    ``timeout_s`` bounds connection set-up (libpq ``connect_timeout``, at least 2 s) and, as
    ``statement_timeout``, every statement; a server that stops answering altogether is cut
    off a second later (:class:`~battlemap.geodata.postgis.pool.GuardedConnection`).
    ``session`` settings (and JIT off) then travel in the start-up packet, so a server that
    hangs after accepting costs no extra round trip. The password comes from the DSN,
    ``PGPASSWORD`` or ``~/.pgpass`` (libpq).
    """
    if not dsn:
        raise StoreUnavailableError("no PostgreSQL DSN given: pass --dsn postgresql://...")
    try:
        parts = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError as exc:
        raise StoreUnavailableError(f"invalid PostgreSQL DSN: {first_line(exc)}") from None
    extra: dict[str, object] = {}
    if timeout_s is not None or session:
        settings = {"jit": "off", **(session or {})}
        if timeout_s is not None:
            settings["statement_timeout"] = f"{max(1, round(timeout_s * 1000))}"
        options = " ".join(f"-c {key}={value}" for key, value in settings.items())
        extra["options"] = f"{parts.get('options', '')} {options}".strip()
        extra["client_encoding"] = "UTF8"
    connect_timeout = CONNECT_TIMEOUT_S if timeout_s is None else max(2, math.ceil(timeout_s))
    if timeout_s is not None:
        extra["connection_factory"] = GuardedConnection
    try:
        conn = psycopg2.connect(
            dsn, connect_timeout=connect_timeout, application_name="battlemap", **extra
        )
    except psycopg2.Error as exc:
        raise DatabaseUnreachableError(
            f"cannot connect to PostgreSQL at {describe_dsn(dsn)}: {first_line(exc)}"
        ) from None
    conn.autocommit = autocommit
    if timeout_s is not None:
        conn.hang_after_s = timeout_s + GRACE_S  # a hung server: cut off (pool.Watchdog)
    if not extra:
        conn.set_client_encoding("UTF8")
        with conn.cursor() as cur:
            cur.execute("SET jit = off")
        if not autocommit:
            conn.commit()
    return conn
