"""Sign-in rate-limit counters in the auth store, so every worker counts against one limit.

Flask-Limiter's ``memory://`` storage is per process: with ``battlemap run --workers N`` (or
several app servers behind a load balancer) each process would allow the whole limit, N
times in all. :class:`AuthStoreLimits` keeps the fixed-window counters in a ``bm_limits``
table of the auth store (``users.sqlite`` in the data dir, or PostGIS), which every worker
and every app server of a deployment already share: no extra server. Only failed sign-ins
and the limit checks of ``POST /login`` reach it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from limits.storage import Storage

from battlemap.auth.backends import Backend
from battlemap.geodata.errors import BattlemapError

__all__ = ["SCHEME", "AuthStoreLimits"]

SCHEME = "battlemap-auth"
_TABLE = """CREATE TABLE IF NOT EXISTS bm_limits (
    key text PRIMARY KEY,
    hits integer NOT NULL,
    expires double precision NOT NULL)"""
# One statement: start a new window when the old one expired, else add to it.
_INCR = """INSERT INTO bm_limits (key, hits, expires) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN bm_limits.expires <= ? THEN excluded.hits
                ELSE bm_limits.hits + excluded.hits END,
    expires = CASE WHEN bm_limits.expires <= ? THEN excluded.expires
                   ELSE bm_limits.expires END
RETURNING hits"""


class AuthStoreLimits(Storage):
    """Fixed-window counters in the ``bm_limits`` table of a :class:`Backend`.

    ``backend`` is a callable (the auth store opens lazily, on the first sign-in).
    """

    STORAGE_SCHEME: ClassVar[list[str]] = [SCHEME]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        *,
        backend: Callable[[], Backend],
        **options: float | str | bool,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._backend = backend
        self._ready = False

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return BattlemapError

    def _run(self, statements: list[tuple[str, tuple]]) -> list[tuple]:
        backend = self._backend()
        if not self._ready:
            backend.run([(_TABLE, ())])
            self._ready = True
        return backend.run(statements)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        rows = self._run(
            [
                ("DELETE FROM bm_limits WHERE expires <= ? AND key <> ?", (now, key)),
                (_INCR, (key, amount, now + expiry, now, now)),
            ]
        )
        return int(rows[0][0])

    def get(self, key: str) -> int:
        rows = self._run(
            [("SELECT hits FROM bm_limits WHERE key = ? AND expires > ?", (key, time.time()))]
        )
        return int(rows[0][0]) if rows else 0

    def get_expiry(self, key: str) -> float:
        rows = self._run(
            [("SELECT expires FROM bm_limits WHERE key = ? AND expires > ?", (key, time.time()))]
        )
        return float(rows[0][0]) if rows else time.time()

    def check(self) -> bool:
        try:
            self._run([("SELECT 1", ())])
        except BattlemapError:
            return False
        return True

    def reset(self) -> int | None:
        return len(self._run([("DELETE FROM bm_limits RETURNING key", ())]))

    def clear(self, key: str) -> None:
        self._run([("DELETE FROM bm_limits WHERE key = ?", (key,))])
