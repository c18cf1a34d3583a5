"""A small blocking connection pool with a hang watchdog, for the web app's PostGIS store.

One shared connection let one slow or hung query block every request (issue 18.6). Here:

* :class:`ConnectionPool` hands out up to ``size`` connections; a caller waits at most
  ``wait_s`` for one, then gets :class:`StoreUnavailableError` (never an endless queue).
  Broken connections are dropped, and after a connection error the idle ones are dropped
  too (after a server restart they are all dead). ``psycopg2.pool`` raises instead of
  waiting and cannot drop its idle connections, hence this class.
* :class:`Watchdog` covers a server that stops answering (SIGSTOP, a dead host behind a
  live TCP stack): ``statement_timeout`` cannot fire there, so past its deadline the query's
  socket is shut down, libpq returns an error at once and the connection is discarded.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import psycopg2.extensions

from battlemap.geodata.errors import StoreUnavailableError

__all__ = [
    "GRACE_S",
    "ConnectionPool",
    "DatabaseHungError",
    "GuardedConnection",
    "Watchdog",
    "hang_guard",
]

GRACE_S = 1.0  # the watchdog cuts a statement this long after its statement_timeout


class DatabaseHungError(StoreUnavailableError):
    """The server accepted a statement and then stopped answering."""


class Watchdog:
    """Shuts down the socket of a connection whose query outlives its deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._watched: dict[int, Any] = {}
        self._fired: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, conn: Any, seconds: float) -> int:
        """Start watching ``conn``; returns the token for :meth:`release`."""
        with self._cond:
            token = next(self._ids)
            self._watched[token] = conn
            heapq.heappush(self._heap, (time.monotonic() + seconds, token))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="battlemap-pg-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return token

    def release(self, token: int) -> bool:
        """Stop watching; True if the deadline passed and the connection was cut."""
        with self._cond:
            self._watched.pop(token, None)
            if token in self._fired:
                self._fired.discard(token)
                return True
            return False

    def _loop(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._watched:
                    heapq.heappop(self._heap)  # released in time
                if not self._heap:
                    self._cond.wait(60)
                    if not self._heap:
                        self._thread = None
                        return
                    continue
                deadline, token = self._heap[0]
                now = time.monotonic()
                if deadline > now:
                    self._cond.wait(deadline - now)
                    continue
                heapq.heappop(self._heap)
                conn = self._watched.pop(token)
                self._fired.add(token)
                _cut(conn)  # under the lock: release() cannot return the conn meanwhile


def _cut(conn: Any) -> None:
    """Shut the connection's socket down (both ways): a blocked libpq call returns."""
    with contextlib.suppress(Exception):
        sock = socket.socket(fileno=os.dup(conn.fileno()))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()


WATCHDOG = Watchdog()


@contextlib.contextmanager
def hang_guard(conn: Any, seconds: float | None) -> Iterator[None]:
    """Cut ``conn`` if the block takes longer than ``seconds`` (None: no limit); a cut
    becomes :class:`DatabaseHungError`."""
    if seconds is None:
        yield
        return
    token = WATCHDOG.watch(conn, seconds)
    cut = False
    try:
        yield
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        cut = WATCHDOG.release(token)
        if cut:
            raise DatabaseHungError(
                f"PostgreSQL did not answer within {seconds:g} s (statement cut off)"
            ) from None
        raise
    finally:
        if not cut:
            WATCHDOG.release(token)


class _GuardedCursor(psycopg2.extensions.cursor):
    """Every statement and COPY runs under the connection's hang guard."""

    def execute(self, query: Any, vars: Any = None) -> Any:
        if self.connection.on_statement is not None:
            self.connection.on_statement(query)
        with hang_guard(self.connection, self.connection.hang_after_s):
            return super().execute(query, vars)

    def copy_expert(self, sql: Any, file: Any, size: int = 8192) -> Any:
        if self.connection.on_statement is not None:
            self.connection.on_statement(sql)
        with hang_guard(self.connection, self.connection.hang_after_s):
            return super().copy_expert(sql, file, size)


class GuardedConnection(psycopg2.extensions.connection):
    """A connection whose cursors are cut off ``hang_after_s`` into a statement that the
    server never answers (made by ``connect(..., timeout_s=...)``)."""

    hang_after_s: float | None = None
    # told every statement's text before it is sent (a round-trip counter, a debug log)
    on_statement: Callable[[str], None] | None = None

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cursor_factory", _GuardedCursor)
        return super().cursor(*args, **kwargs)


class ConnectionPool:
    """Up to ``size`` connections made by ``factory``; callers wait at most ``wait_s``."""

    def __init__(self, factory: Callable[[], Any], *, size: int, wait_s: float) -> None:
        self._factory = factory
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._closed = False
        self.size = size
        self.wait_s = wait_s

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        """A connection for one unit of work; dropped if the work raised a database error."""
        if not self._slots.acquire(timeout=self.wait_s):
            raise StoreUnavailableError(
                f"all {self.size} database connections are busy (waited {self.wait_s:g} s)"
            )
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None or conn.closed:
                conn = self._factory()
            try:
                yield conn
            except psycopg2.extensions.QueryCanceledError:
                self._give_back(conn)  # statement_timeout: the connection is fine
                raise
            except (psycopg2.OperationalError, psycopg2.InterfaceError, DatabaseHungError):
                _close(conn)
                self.drop_idle()  # the server went away or hangs: so do the idle ones
                raise
            except BaseException:
                _close(conn)
                raise
            self._give_back(conn)
        finally:
            self._slots.release()

    def _give_back(self, conn: Any) -> None:
        with self._lock:
            if not conn.closed and not self._closed:
                self._idle.append(conn)
                return
        _close(conn)

    def drop_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            _close(conn)

    def close(self) -> None:
        """Close the idle connections (those in use close when they are returned)."""
        with self._lock:
            self._closed = True
        self.drop_idle()


def _close(conn: Any) -> None:
    with contextlib.suppress(psycopg2.Error):
        conn.close()
