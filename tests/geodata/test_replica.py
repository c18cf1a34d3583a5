"""A read replica (``--read-dsn``): the app reads a hot standby, imports write the primary.

A throwaway primary and a hot standby made with ``pg_basebackup -R`` stream on loopback
(real PostgreSQL, no mocks). With the standby's replay paused, an import on the primary
changes the primary only: the app still shows the old numbers and the old as-of time, so
it reads the standby. Once the standby has replayed the primary's WAL (replay LSN ≥ the
primary's), the app shows the new numbers and the as-of time the standby now holds.
"""

from __future__ import annotations

import time

import pytest

from battlemap.callbacks.context import AppContext
from battlemap.exports.stamp import data_as_of
from battlemap.geodata.importer.extract import import_rows
from battlemap.geodata.importer.households import import_households
from battlemap.geodata.synthetic.generate import generate
from battlemap.layout import page
from battlemap.settings import Settings
from battlemap.views.summary import scoped_summary
from battlemap.viewstate import ViewState
from tests.pg import PgCluster, PgClusterError

YEAR = 2016


def _one(cluster: PgCluster, sql: str, params: tuple = (), db: str = "bm"):
    conn = cluster.connect(db)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]
    finally:
        conn.close()


def _wait_replayed(primary: PgCluster, standby: PgCluster, timeout_s: float = 60) -> str:
    """Wait until the standby's replay LSN reaches the primary's WAL insert LSN (its
    commits are in the WAL up to there; with synchronous_commit off the last may not be
    written yet, so pg_current_wal_lsn() can lag behind it)."""
    target = _one(primary, "SELECT pg_current_wal_insert_lsn()::text", db="postgres")
    deadline = time.monotonic() + timeout_s
    while not _one(
        standby, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,), db="postgres"
    ):
        assert time.monotonic() < deadline, f"the standby did not replay up to {target}"
        time.sleep(0.1)
    return target


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(primary, standby, data dir): the standby made before the load, which streams."""
    data_dir = tmp_path_factory.mktemp("replica") / "data"
    generate(data_dir, households=2000, seed=7, quiet=True)
    primary, standby = PgCluster(replication=True), PgCluster()
    try:
        primary.start()
        primary.create_database("bm")
        standby.start_standby(primary)
        from battlemap.geodata.postgis.load import load_data_dir

        load_data_dir(primary.dsn("bm"), data_dir)
        _wait_replayed(primary, standby)
        yield primary, standby, data_dir
    except PgClusterError as exc:
        pytest.fail(f"cannot start the primary and standby: {exc}", pytrace=False)
    finally:
        standby.stop()
        primary.stop()


def _footer_as_of(context: AppContext, code: str) -> str:
    tree = page(context.access(), ViewState(region=code, year=YEAR), indicators=[], problems=[])
    found = []

    def walk(node) -> None:
        if getattr(node, "id", None) == "data-as-of":
            found.append(node.children)
        for child in getattr(node, "children", None) or []:
            if not isinstance(child, str):
                walk(child)

    walk(tree)
    assert len(found) == 1
    return found[0]


def test_the_app_reads_the_standby_and_sees_an_import_once_replayed(pair, tmp_path) -> None:
    primary, standby, data_dir = pair
    settings = Settings(
        store="postgis",
        dsn=primary.dsn("bm"),  # writes: imports, users, audit
        read_dsns=(standby.dsn("bm"),),
        data_dir=data_dir,
        reload_check_s=0.0,  # look for a new data version on every request
    )
    context = AppContext(settings)
    store = context.store
    assert [r.where for r in store._readers] == [f"postgres@127.0.0.1:{standby.port}/bm"]
    village = max(
        store.regions.level_codes(5),
        key=lambda c: store.counts(c, YEAR)["registered_persons"],
    )
    before = context.access().counts(village, YEAR)["registered_persons"]
    as_of_before = data_as_of(context.access())
    standby_time = _one(standby, "SELECT loaded_at FROM battlemap_meta")
    assert as_of_before == standby_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _footer_as_of(context, village).endswith(as_of_before[11:19] + " UTC")

    # replay paused: the primary takes an import (one more person in every household of
    # the village) that the standby does not see yet
    _one(standby, "SELECT pg_wal_replay_pause()::text", db="postgres")
    time.sleep(1.1)  # a later second, so the as-of time differs
    rows = import_rows(data_dir, prefix=village)
    rows["size"] = rows["size"] + 1
    csv = tmp_path / "households.csv"
    rows.to_csv(csv, index=False)
    report = import_households(csv, data_dir, dsn=primary.dsn("bm"))
    assert report.rejected == 0
    after = _one(
        primary,
        "SELECT registered_persons FROM region_year_stats WHERE code = %s AND year = %s",
        (village, YEAR),
    )
    assert after > before
    assert context.access().counts(village, YEAR)["registered_persons"] == before
    assert data_as_of(context.access()) == as_of_before

    # replay resumed: once the standby has the primary's WAL, the app shows the import
    _one(standby, "SELECT pg_wal_replay_resume()::text", db="postgres")
    _wait_replayed(primary, standby)
    assert context.access().counts(village, YEAR)["registered_persons"] == after
    assert scoped_summary(context.access(), village, YEAR)["registered_persons"] == after
    as_of_after = data_as_of(context.access())
    standby_time = _one(standby, "SELECT loaded_at FROM battlemap_meta")
    assert as_of_after == standby_time.strftime("%Y-%m-%dT%H:%M:%SZ") != as_of_before
    assert _footer_as_of(context, village).endswith(as_of_after[11:19] + " UTC")
    context.store.close()


def test_the_standby_refuses_writes(pair) -> None:
    """What the app reads from is read-only: writes have to go to --dsn."""
    import psycopg2

    _, standby, _ = pair
    conn = standby.connect("bm")
    try:
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.execute("CREATE TABLE nope (x int)")
    finally:
        conn.close()


def test_stats_reads_the_replicas_given_on_the_command_line(pair, tmp_path) -> None:
    """``--read-dsn`` and ``--read-dsn-file`` (repeatable): with the first replica
    unreachable, `battlemap stats` answers from the other one, the embedded store's numbers."""
    import json

    from battlemap.geodata.embedded import EmbeddedStore
    from battlemap.views.summary import region_summary
    from tests.clirun import run_cli

    primary, standby, data_dir = pair
    dsn_file = tmp_path / "replica.dsn"
    dsn_file.write_text(f"# the standby\n{standby.dsn('bm')}\n")
    dsn_file.chmod(0o600)
    embedded = EmbeddedStore(data_dir)
    county = embedded.regions.level_codes(3)[0]
    nobody = "postgresql://postgres@127.0.0.1:1/bm"  # nothing listens on port 1
    result = run_cli(
        "stats", "--region", county, "--year", str(YEAR), "--store", "postgis",
        "--dsn", primary.dsn("bm"), "--read-dsn", nobody, "--read-dsn-file", str(dsn_file),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = json.loads(json.dumps(region_summary(embedded, county, YEAR), ensure_ascii=False))
    answer = json.loads(result.stdout)  # plus the cadres and funds objects
    assert {key: answer[key] for key in expected} == expected
    refused = run_cli(
        "stats", "--region", county, "--year", str(YEAR), "--data-dir", str(data_dir),
        "--read-dsn", standby.dsn("bm"),
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].endswith("--read-dsn needs --store postgis")


def test_gunicorn_settings_take_read_replicas_from_the_environment(monkeypatch) -> None:
    from battlemap.app import settings_from_env

    monkeypatch.setenv("BATTLEMAP_STORE", "postgis")
    monkeypatch.setenv("BATTLEMAP_DSN", "postgresql://app@primary/bm")
    monkeypatch.setenv("BATTLEMAP_READ_DSNS", "postgresql://app@r1/bm; postgresql://app@r2/bm;")
    assert settings_from_env().read_dsns == ("postgresql://app@r1/bm", "postgresql://app@r2/bm")
