"""PostGIS cadre counts of many regions at once (the attention tour, a county's ~400 village
ranking): each code is one range scan of the per-village counts' (year, village_code) index,
never a pass over every village per code (which hit the 5 s statement timeout)."""

from __future__ import annotations

import json

from battlemap.geodata.cadres_store import cadre_source

YEAR = 2018


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def test_counts_of_400_villages_scan_the_index_by_village_range(postgis_store) -> None:
    source = cadre_source(postgis_store)
    codes = postgis_store.regions.level_codes(5)[:400]
    sql, params = source.counts_query(codes, YEAR)
    (plan,) = postgis_store._fetch("EXPLAIN (FORMAT JSON) " + sql, params)[0][0]
    nodes = list(_plan_nodes(plan["Plan"]))
    table = sql.split("LEFT JOIN ")[1].split()[0]
    # the village range is the index's condition ...
    ranges = [
        n["Index Cond"]
        for n in nodes
        if n.get("Index Name", "").startswith(table) and "village_code >=" in n["Index Cond"]
    ]
    assert ranges and all("village_code <=" in c for c in ranges), json.dumps(plan)
    # ... not a filter applied to every village of the year for each code
    filters = [n.get("Join Filter", "") + n.get("Filter", "") for n in nodes]
    assert not any("village_code" in f for f in filters), json.dumps(plan)


def test_counts_of_many_regions_agree_with_the_embedded_store(
    embedded_store, postgis_store
) -> None:
    regions = postgis_store.regions
    codes = [*regions.level_codes(5)[:300], *regions.level_codes(4)[:60]]
    codes += [*regions.level_codes(3)[:20], *regions.level_codes(2), *regions.level_codes(1)]
    got = cadre_source(postgis_store).counts_many(codes, YEAR)
    assert set(got) == set(codes)
    assert got == cadre_source(embedded_store).counts_many(codes, YEAR)
