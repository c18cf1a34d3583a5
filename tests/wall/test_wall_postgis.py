"""The wall on PostGIS: the database stops (its own throwaway cluster) → the stale badge and
the last frame, no traceback; the database starts again → the badge clears, no reload."""

from __future__ import annotations

import pytest

from battlemap.geodata.synthetic.generate import generate
from tests.browser.helpers import ARTIFACTS
from tests.pg import PgCluster
from tests.wall.browser import Server, badge, chromium, drawn, heartbeat, until

pytestmark = pytest.mark.postgis
N, REFRESH = 3, 5


def _pg_ctl(cluster: PgCluster, *args: str) -> None:
    cluster._run("pg_ctl", "-D", "data", "-w", "-t", "60", *args)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    data = tmp_path_factory.mktemp("wall-pg") / "data"
    generate(data, households=2000, seed=7, quiet=True)
    with PgCluster() as cluster:
        dsn = cluster.load_database("wall", data)
        yield cluster, dsn, data


@pytest.fixture(scope="module")
def server(cluster, tmp_path_factory):
    _cluster, dsn, _data = cluster
    log = tmp_path_factory.mktemp("wall-pg-run") / "server.log"
    server = Server(["--store", "postgis", "--dsn", dsn, "--db-timeout", "2"], log).start()
    try:
        yield server
    finally:
        server.stop()


def test_database_down_then_back(cluster, server) -> None:
    pg, _dsn, _data = cluster
    driver = chromium()
    try:
        driver.get(f"{server.url}/wall?interval={N}&refresh={REFRESH}")
        until(lambda: heartbeat(driver)[0] == "ok", 40, "first frame")
        region = heartbeat(driver)[2]
        drawn(driver, region, 30)
        driver.execute_script("window.__bmNoReload = 1;")
        _pg_ctl(pg, "-m", "fast", "stop")
        try:
            text = until(lambda: badge(driver), N + 2 + 8, "stale badge")
            assert "数据暂停更新" in text
            assert "Traceback" not in driver.page_source
            assert heartbeat(driver)[0] == "fail"
            assert driver.execute_script(
                "return document.querySelector('#wall-map .js-plotly-plot').data.length"
            )  # the last frame's map is still there
            ARTIFACTS.mkdir(exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / "wall-stale-postgis.png"))
        finally:
            options = (
                f"-p {pg.port} -k {pg.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c jit=off "
                "-c wal_level=minimal -c max_wal_senders=0"
            )
            _pg_ctl(pg, "-l", "server.log", "-o", options, "start")
        until(lambda: badge(driver) is None and heartbeat(driver)[0] == "ok", 40, "recovered")
        assert driver.execute_script("return window.__bmNoReload;") == 1
    finally:
        driver.quit()
