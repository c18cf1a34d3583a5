"""A hung database does not hang the site (issue 18.6): PostgreSQL paused with SIGSTOP.

A throwaway cluster of its own (paused and resumed here, so other tests' cluster is never
touched), holding a 2,000-household set. Queries on a pooled connection fail with a clear
StoreUnavailableError shortly after the statement timeout, callers beyond the pool size
give up after the same wait, the page shows the outage banner, and everything works again
after SIGCONT.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from battlemap.app import create_app
from battlemap.geodata.errors import StoreUnavailableError
from battlemap.geodata.postgis import PostgisStore
from battlemap.geodata.synthetic.generate import generate
from battlemap.settings import Settings
from tests.auth.dash_calls import call, server_callbacks, view_state
from tests.pg import PgCluster

pytestmark = pytest.mark.postgis

TIMEOUT_S = 2.0
RECHECK_S = 0.2  # the app's data-version check: cached answers need a check this recent
BOUND_S = 20.0  # far above timeout + grace + pool wait; without the fix: forever


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PgCluster, str]]:
    data = tmp_path_factory.mktemp("hang-data")
    generate(data, households=2000, seed=11, quiet=True)
    with PgCluster() as pg:
        yield pg, pg.load_database("hang", data)


def _server_pids(pg: PgCluster) -> list[int]:
    """The postmaster and every process it started (backends, checkpointer, …)."""
    postmaster = int((pg.root / "data" / "postmaster.pid").read_text().split()[0])
    pids = [postmaster]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                    pids.append(int(entry.name))
    return pids


@contextlib.contextmanager
def paused(pg: PgCluster) -> Iterator[None]:
    pids = _server_pids(pg)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in _server_pids(pg) + pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def _in_threads(n: int, call, bound_s: float = BOUND_S) -> list[BaseException | object]:
    """Run ``call`` in ``n`` threads at once; all must be done within ``bound_s`` in all."""
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            results[i] = call()
        except BaseException as exc:  # collected, checked below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + bound_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
        assert not thread.is_alive(), "a request was still blocked on the paused database"
    return results


def _eventually(call):
    """``call()`` once the database answers again (after SIGCONT and the fail-fast window)."""
    deadline = time.monotonic() + BOUND_S
    while True:
        try:
            return call()
        except StoreUnavailableError:
            assert time.monotonic() < deadline, "never recovered"
            time.sleep(0.5)


def test_paused_database_fails_fast_and_recovers(cluster) -> None:
    pg, dsn = cluster
    store = PostgisStore(dsn, timeout_s=TIMEOUT_S, pool_size=2)
    root = store.regions.roots()[0].code
    before = store.counts(root, 2016)
    with paused(pg):
        results = _in_threads(5, lambda: store.counts(root, 2016))
        assert all(isinstance(r, StoreUnavailableError) for r in results), results
        messages = {str(r) for r in results}
        assert any("did not answer within" in m for m in messages), messages
        # a new connection does not hang either (connect_timeout)
        fresh = _in_threads(1, lambda: PostgisStore(dsn, timeout_s=TIMEOUT_S))
        assert isinstance(fresh[0], StoreUnavailableError)
    assert _eventually(lambda: store.counts(root, 2016)) == before  # reconnects after SIGCONT
    store.close()


def test_map_shapes_do_not_queue_behind_a_hung_build(cluster) -> None:
    """Eight map requests for boundaries on a paused database: each fails within seconds
    (one builds, the others wait for it only briefly), not one after another."""
    pg, dsn = cluster
    store = PostgisStore(dsn, timeout_s=TIMEOUT_S, pool_size=8)
    root = store.regions.roots()[0].code
    codes = [c.code for c in store.regions.children(root)]
    with paused(pg):
        results = _in_threads(8, lambda: store.unit_shapes(codes[0]), bound_s=12.0)
    assert all(isinstance(r, StoreUnavailableError) for r in results), results
    assert _eventually(lambda: store.unit_shapes(codes[0])).code == codes[0]
    store.close()


def test_after_an_outage_queries_fail_at_once_then_retry(cluster) -> None:
    """A page runs several queries: once the server did not answer, the next ones fail at
    once (no new connection, no second timeout) until the window passes."""
    pg, dsn = cluster
    store = PostgisStore(dsn, timeout_s=TIMEOUT_S, pool_size=2)
    root = store.regions.roots()[0].code
    tries: list[int] = []
    connect = store._pool._factory
    store._pool._factory = lambda: tries.append(1) or connect()
    with paused(pg):
        with pytest.raises(StoreUnavailableError, match="did not answer"):
            store.counts(root, 2016)
        attempts = len(tries)
        for _ in range(5):
            with pytest.raises(StoreUnavailableError, match="did not answer"):
                store.counts(root, 2016)
        assert len(tries) == attempts  # failed fast: the server was not asked again
    _eventually(lambda: store.counts(root, 2016))  # after the window one query tries again
    store.close()


def test_statement_timeout_is_a_clear_error(cluster) -> None:
    _pg, dsn = cluster
    store = PostgisStore(dsn, timeout_s=1.0, pool_size=1)
    with pytest.raises(StoreUnavailableError, match="statement timeout"):
        store._fetch("SELECT pg_sleep(3)")
    assert store._fetch("SELECT 1") == [(1,)]  # the same pooled connection still works
    store.close()


def _kpi_callback(client, region: str) -> dict:
    dep = next(d for d in server_callbacks(client) if "kpis.children" in d["output"])
    values = {"view-state.data": view_state(region, layers=[], lang="en")}
    return json.loads(call(client, dep, values, page="/?lang=en").data)


def _app(dsn: str):
    settings = Settings(store="postgis", dsn=dsn, db_timeout_s=TIMEOUT_S, reload_check_s=RECHECK_S)
    app = create_app(settings, warm=False)
    context = app.server.config["BATTLEMAP_CONTEXT"]
    return app.server.test_client(), context.store.regions.roots()[0].code


def test_the_page_shows_the_outage_banner_and_recovers(cluster) -> None:
    pg, dsn = cluster
    client, root = _app(dsn)
    assert "sideUpdate" not in _kpi_callback(client, root)
    with paused(pg):
        time.sleep(2 * RECHECK_S)  # past the last good check: the answer is cached, not current
        answers = _in_threads(3, lambda: _kpi_callback(client, root))
        for answer in answers:
            banner = answer["sideUpdate"]["error-banner"]
            assert banner["hidden"] is False
            assert "The database is not answering" in banner["children"]
            assert str(pg.port) not in banner["children"] and "hang" not in banner["children"]
    deadline = time.monotonic() + BOUND_S
    while "sideUpdate" in _kpi_callback(client, root):  # the banner clears once it answers
        assert time.monotonic() < deadline, "never recovered"
        time.sleep(0.5)


def test_audit_writes_do_not_hang_on_a_paused_database(cluster) -> None:
    """Sign-in and audit rows go to the same server: a paused one fails them in seconds."""
    from battlemap.auth.backends import PostgresBackend
    from battlemap.auth.store import AuthStore

    pg, dsn = cluster
    auth = AuthStore(PostgresBackend(dsn, timeout_s=TIMEOUT_S))

    def write() -> None:
        auth.audit(who="w", address="127.0.0.1", region="52", action="view", allowed=True)

    write()
    with paused(pg):
        results = _in_threads(2, write)
    assert all(isinstance(r, StoreUnavailableError) for r in results), results
    _eventually(write)
    auth.close()
