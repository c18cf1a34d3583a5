"""db load COPYs the funds and cadre tables the embedded engines compute (issue 19), in the
load's own transaction, and they equal what the PostGIS engines' own builders (the funds
read back from the database, the cadre counts in SQL) make from the loaded rows."""

from __future__ import annotations

import psycopg2
import pytest

from battlemap.geodata.cadres_store import cadre_source
from battlemap.geodata.funds import funds_source
from battlemap.geodata.postgis.ddl import META_TABLE
from battlemap.geodata.postgis.funds_ddl import FUNDS_META, HITS_TABLE, VALUES_TABLE
from battlemap.geodata.postgis.load import load_data_dir
from battlemap.geodata.postgis.store import PostgisStore


@pytest.fixture(scope="module")
def loaded(postgis_cluster, small_data_dir):
    dsn = postgis_cluster.create_database("battlemap_derived")
    report = load_data_dir(dsn, small_data_dir)
    store = PostgisStore(dsn)
    yield dsn, report, store
    store.close()


def _rows(dsn: str, sql: str) -> list[tuple]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def _tables(dsn: str, cadre_table: str) -> dict[str, list[tuple]]:
    return {
        "values": _rows(dsn, f"SELECT * FROM {VALUES_TABLE} ORDER BY code, year"),
        "hits": _rows(dsn, f"SELECT * FROM {HITS_TABLE} ORDER BY 1, 2, 3, 4, 5, 6, 7"),
        "cadres": _rows(dsn, f"SELECT * FROM {cadre_table} ORDER BY village_code, year"),
    }


def test_the_load_itself_copies_the_derived_tables(loaded) -> None:
    dsn, report, store = loaded
    cadre_table = cadre_source(store)._stats_table()  # the name the engine looks for
    assert report.rows[VALUES_TABLE] > 0 and report.rows[cadre_table] > 0
    # written in the load's transaction (not built after it by prepare_derived)
    meta = _rows(dsn, f"SELECT xmin::text FROM {META_TABLE}")[0][0]
    for table in (FUNDS_META, VALUES_TABLE, cadre_table):
        assert _rows(dsn, f"SELECT DISTINCT xmin::text FROM {table}") == [(meta,)], table
    funds = funds_source(store)
    assert funds._stored_key() == funds._key()  # the key the engine expects


def test_copied_tables_equal_the_postgis_engines_own_builders(loaded) -> None:
    dsn, _report, store = loaded
    cadre_table = cadre_source(store)._stats_table()
    copied = _tables(dsn, cadre_table)
    assert all(copied.values()), "a derived table is empty"
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE {cadre_table}; DROP TABLE {FUNDS_META}")
    conn.close()
    fresh = PostgisStore(dsn)  # new engines: they build their tables as after an import
    try:
        funds_source(fresh).prepare()
        cadre_source(fresh).prepare()
        assert _rows(dsn, f"SELECT to_regclass('{cadre_table}')")[0][0] is not None
        rebuilt = _tables(dsn, cadre_table)
    finally:
        fresh.close()
    for name in copied:
        assert copied[name] == rebuilt[name], name
