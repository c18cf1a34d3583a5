"""Where users, tokens and the audit log live: the active store's database.

The embedded store keeps them in ``<data_dir>/users.sqlite`` (SQLite in WAL mode: each
change is one transaction and survives a kill); the PostGIS store in ``bm_users``,
``bm_tokens`` and ``bm_audit`` beside the data tables. Both speak the same SQL (``?``
placeholders, rewritten to ``%s`` for psycopg2); every value is a bound parameter.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from battlemap.geodata.errors import StoreUnavailableError

__all__ = ["USERS_FILE", "Backend", "PostgresBackend", "SqliteBackend"]

USERS_FILE = "users.sqlite"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS bm_users (
        name text PRIMARY KEY,
        role text NOT NULL,
        scope text NOT NULL,
        password_hash text NOT NULL,
        disabled integer NOT NULL DEFAULT 0,
        created text NOT NULL,
        updated text NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS bm_tokens (
        id text PRIMARY KEY,
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        role text NOT NULL,
        scope text NOT NULL,
        created text NOT NULL,
        expires text,
        revoked text)""",
    """CREATE TABLE IF NOT EXISTS bm_audit (
        id {serial} PRIMARY KEY,
        at text NOT NULL,
        who text NOT NULL,
        address text NOT NULL,
        region text NOT NULL,
        action text NOT NULL,
        detail text NOT NULL,
        allowed integer NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS bm_audit_at ON bm_audit (at)",
)

Rows = list[tuple[Any, ...]]


class Backend(ABC):
    """Runs parameterised statements, each call one transaction."""

    @abstractmethod
    def run(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> Rows:
        """Run the statements in one transaction; the rows of the last one."""

    @abstractmethod
    def region_exists(self, code: str) -> bool | None:
        """True/False when the data set's regions can be read, None when they cannot."""

    def query(self, sql: str, *params: Any) -> Rows:
        return self.run([(sql, params)])

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class SqliteBackend(Backend):
    """``<data_dir>/users.sqlite``; one connection per call (threads never share one)."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / USERS_FILE
        if not self.data_dir.is_dir():
            raise StoreUnavailableError(f"data dir {self.data_dir} does not exist")
        self._ready = False
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=15, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot open {self.path}: {exc}") from None
        if not self._ready:
            with self._lock:
                for sql in _SCHEMA:
                    conn.execute(sql.format(serial="integer"))
                self._ready = True
        return conn

    def run(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> Rows:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            rows: Rows = []
            for sql, params in statements:
                rows = conn.execute(sql, tuple(params)).fetchall()
            conn.execute("COMMIT")
            return rows
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreUnavailableError(f"{self.path}: {exc}") from None
        finally:
            conn.close()

    def region_exists(self, code: str) -> bool | None:
        from battlemap.geodata.datadir import read_table
        from battlemap.geodata.errors import BattlemapError

        try:
            codes = read_table(self.data_dir, "regions", ["code"])["code"]
        except (BattlemapError, OSError):
            return None
        return bool((codes.astype(str) == code).any())


DEFAULT_TIMEOUT_S = 5.0  # sign-in and audit must not hang a request on a hung database


class PostgresBackend(Backend):
    """Tables in the PostGIS database; a small pool of connections shared by threads."""

    def __init__(self, dsn: str | None, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        from battlemap.geodata.postgis.connection import connect

        self.dsn = dsn
        self.timeout_s = timeout_s
        # StoreUnavailableError names the problem; a paused server fails within the timeout
        conn = connect(dsn, autocommit=False, timeout_s=timeout_s)
        self._pool: list[Any] = []
        self._lock = threading.Lock()
        self._give_back(
            conn, self._run(conn, [(s.format(serial="bigserial"), ()) for s in _SCHEMA])
        )

    def _take(self) -> Any:
        from battlemap.geodata.postgis.connection import connect

        with self._lock:
            if self._pool:
                return self._pool.pop()
        return connect(self.dsn, autocommit=False, timeout_s=self.timeout_s)

    def _give_back(self, conn: Any, rows: Rows) -> Rows:
        with self._lock:
            if len(self._pool) < 4 and not conn.closed:
                self._pool.append(conn)
                return rows
        conn.close()
        return rows

    @staticmethod
    def _run(conn: Any, statements: Sequence[tuple[str, Sequence[Any]]]) -> Rows:
        import psycopg2

        from battlemap.geodata.postgis.connection import first_line

        try:
            rows: Rows = []
            with conn.cursor() as cur:
                for sql, params in statements:
                    cur.execute(sql.replace("?", "%s"), tuple(params))
                    rows = cur.fetchall() if cur.description else []
            conn.commit()
            return rows
        except psycopg2.Error as exc:
            if not conn.closed:
                conn.rollback()
            raise StoreUnavailableError(f"PostgreSQL: {first_line(exc)}") from None

    def run(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> Rows:
        conn = self._take()
        try:
            rows = self._run(conn, statements)
        except BaseException:
            conn.close()
            raise
        return self._give_back(conn, rows)

    def region_exists(self, code: str) -> bool | None:
        try:
            if not self.query("SELECT to_regclass('regions') IS NOT NULL")[0][0]:
                return None
            return bool(self.query("SELECT count(*) FROM regions WHERE code = ?", code)[0][0])
        except StoreUnavailableError:
            return None

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, []
        for conn in pool:
            conn.close()
