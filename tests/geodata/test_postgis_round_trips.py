"""Round trips to PostGIS: one statement per stats call, few per drill click (real PostGIS).

Statements are counted client-side: the store's connections tell ``on_statement`` about
every statement before it is sent.
"""

from __future__ import annotations

import pytest

from battlemap.callbacks.context import AppContext
from battlemap.callbacks.mapview import MapUrls, map_update
from battlemap.geodata.metrics import metric_set
from battlemap.geodata.postgis.aggregate import build_aggregate
from battlemap.geodata.postgis.connection import connect
from battlemap.geodata.postgis.ddl import AGGREGATE_TABLE
from battlemap.geodata.postgis.store import PostgisStore
from battlemap.geodata.store import Store
from battlemap.settings import Settings
from battlemap.views.summary import region_summary
from battlemap.viewstate import ViewState

URLS = MapUrls(geo=lambda code: f"/geo/{code}.json?v=t", glyphs="/glyphs/{fontstack}/{range}.pbf")


class Statements(list):
    """Every statement's text, in order."""

    def kinds(self) -> list[str]:
        """``shapes`` / ``counts`` / ``households`` / other, one per statement."""
        out = []
        for sql in self:
            if "ST_AsBinary(geom)" in sql:
                out.append("shapes")
            elif "region_year_stats" in sql:
                out.append("counts")
            elif sql.startswith("COPY") and "households h" in sql:
                out.append("households")
            else:
                out.append(sql[:40])
        return out


@pytest.fixture(scope="module")
def counted(postgis_loaded_dsn):
    statements = Statements()
    store = PostgisStore(postgis_loaded_dsn, on_statement=statements.append)
    yield store, statements
    store.close()


@pytest.fixture(scope="module")
def chain(embedded_store) -> list[str]:
    """Province → village, each step the child with the most households in 2016."""
    codes = [embedded_store.regions.roots()[0].code]
    while len(codes) < 5:
        children = embedded_store.regions.children(codes[-1])
        codes.append(
            max(
                children, key=lambda c: embedded_store.counts(c.code, 2016)["registered_households"]
            ).code
        )
    return codes


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_a_stats_call_is_one_statement(counted, embedded_store, chain, level) -> None:
    store, statements = counted
    for year in (2014, 2018):
        statements.clear()
        summary = region_summary(store, chain[level - 1], year)
        assert statements.kinds() == ["counts"]
        assert summary == region_summary(embedded_store, chain[level - 1], year)


def test_region_stats_equal_the_separate_lookups(counted, embedded_store) -> None:
    """Counties with an assessment, a province, a village: the one statement gives what a
    lookup per part gives (the store interface's plain implementation)."""
    store, _ = counted
    assessed = sorted({a.code for a in embedded_store.assessments(
        embedded_store.regions.level_codes(3), 2018
    ).values()})[:3]  # fmt: skip
    assert assessed, "the test set has county assessments"
    codes = [store.regions.roots()[0].code, *assessed, store.regions.level_codes(5)[0]]
    for code in codes:
        info = store.region(code)
        children = [c.code for c in store.regions.children(code)]
        for year in (2016, 2018):
            one = store.region_stats(code, year)
            plain = Store._region_stats(store, code, info.parent_code, children, year)
            assert one == plain
    assert any(store.region_stats(c, 2018).assessment is not None for c in assessed)


def test_a_drill_click_costs_one_counts_statement(counted, chain, postgis_loaded_dsn) -> None:
    """The state callback's map for each step of a drill: one statement for every count the
    map shows (all years of the colour range, the comparison, the region's own), one for the
    units' shapes on the first visit, one for the household points where they are drawn."""
    store, statements = counted
    context = AppContext(Settings(store="postgis", dsn=postgis_loaded_dsn), store=store)
    for level, code in enumerate(chain, start=1):
        points = ["households"] if level >= 4 else []
        statements.clear()
        state = ViewState(region=code, year=2016)
        map_update(context, state, urls=URLS, viewport=None, rendered=None)
        assert statements.kinds() == ["shapes", "counts", *points], code
        statements.clear()  # another year and a comparison: shapes are cached
        map_update(context, state.but(year=2017, compare=2014), urls=URLS, viewport=None,
                   rendered=None)  # fmt: skip
        assert statements.kinds() == ["counts", *points], code


def test_the_sql_aggregate_equals_the_copied_one(postgis_loaded_dsn) -> None:
    """`db load` COPYs the embedded store's numbers; the SQL build (other exit rules,
    imports) must give the same table."""
    conn = connect(postgis_loaded_dsn, autocommit=False)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT years FROM battlemap_meta")
            years = cur.fetchone()[0]
            build_aggregate(cur, metric_set(), years, "sql_built_stats")
            for a, b in (
                ("sql_built_stats", AGGREGATE_TABLE),
                (AGGREGATE_TABLE, "sql_built_stats"),
            ):
                cur.execute(f"SELECT count(*) FROM (TABLE {a} EXCEPT ALL TABLE {b}) d")
                assert cur.fetchone()[0] == 0, f"{a} has rows {b} lacks"
            cur.execute(f"SELECT count(*) FROM {AGGREGATE_TABLE}")
            assert cur.fetchone()[0] > 0
    finally:
        conn.rollback()
        conn.close()
