"""Sign-in limit counters in the auth store (issue 19): two processes' limiters over one
store count together, on SQLite (the data dir's users.sqlite) and on PostGIS."""

from __future__ import annotations

import stat

import pytest
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from battlemap.auth.backends import PostgresBackend, SqliteBackend
from battlemap.auth.demo_secret import SECRET_FILE, kept_secret
from battlemap.auth.limits_store import AuthStoreLimits


@pytest.fixture(params=["sqlite", "postgis"])
def backends(request, tmp_path):
    """Two backends on one store, as two workers open it."""
    if request.param == "sqlite":
        made = [SqliteBackend(tmp_path), SqliteBackend(tmp_path)]
    else:
        dsn = request.getfixturevalue("postgis_cluster").create_database("bm_limits_test")
        made = [PostgresBackend(dsn), PostgresBackend(dsn)]
    yield made
    for backend in made:
        backend.close()


def test_two_limiters_count_against_one_limit(backends) -> None:
    first, second = (
        FixedWindowRateLimiter(AuthStoreLimits(backend=lambda b=b: b)) for b in backends
    )
    item = parse("5 per minute")
    hits = [(first if i % 2 else second).hit(item, "user:x") for i in range(7)]
    assert hits == [True] * 5 + [False, False]
    assert first.get_window_stats(item, "user:x").remaining == 0
    assert second.hit(item, "user:y")  # another key has its own count
    assert first.storage.reset() == 2
    assert second.test(item, "user:x")


def test_an_expired_window_starts_again(backends) -> None:
    storage = AuthStoreLimits(backend=lambda: backends[0])
    assert storage.incr("k", expiry=0.0) == 1  # expires at once
    assert storage.get("k") == 0
    assert storage.incr("k", expiry=60.0, amount=2) == 2  # a new window, not 3
    assert storage.get("k") == 2 and storage.get_expiry("k") > 0
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


def test_the_demo_secret_is_kept_once(tmp_path) -> None:
    """One key for every worker of ``gunicorn -w N`` (kept in the cache directory)."""
    first = kept_secret(tmp_path / "cache")
    assert first and len(first) >= 32 and kept_secret(tmp_path / "cache") == first
    mode = stat.S_IMODE((tmp_path / "cache" / SECRET_FILE).stat().st_mode)
    assert mode == 0o600 and stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [SECRET_FILE]  # no temp file
    (tmp_path / "file").write_text("")
    assert kept_secret(tmp_path / "file" / "cache") is None  # cannot be kept: per process
