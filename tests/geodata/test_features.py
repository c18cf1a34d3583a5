"""Map features of the store interface: invariants against the counts (embedded store).

Engine parity (PostGIS = embedded) is in test_postgis_store.py.
"""

from __future__ import annotations

import json

import h3
import pandas as pd
import pytest
import shapely

from battlemap.geodata.errors import BattlemapError, UnknownRegionError, YearOutOfRangeError
from battlemap.geodata.features import (
    HEX_RESOLUTION,
    HEXBIN_COLUMNS,
    HOUSEHOLD_COLUMNS,
    LABOUR_COLUMNS,
    RELOCATION_COLUMNS,
    code_range,
    origin_prefix_length,
)
from battlemap.geodata.schema import TABLE_FILES


@pytest.fixture(scope="module")
def path(embedded_store) -> list[str]:
    """Province → city → county → township → village (first child with households)."""
    store = embedded_store
    chain = [store.regions.roots()[0].code]
    while len(chain) < 5:
        children = store.regions.children(chain[-1])
        best = max(children, key=lambda c: store.counts(c.code, 2015)["registered_households"])
        chain.append(best.code)
    return chain


def test_code_range_and_origin_length() -> None:
    assert code_range("520000000000") == ("520000000000", "529999999999")
    assert code_range("520102100200") == ("520102100200", "520102100200")
    assert origin_prefix_length("520000000000") == 4
    assert origin_prefix_length("520102100000") == 12
    assert origin_prefix_length("520102100200") == 12


def test_unit_shapes_are_children_or_the_village(embedded_store, path) -> None:
    for code in path:
        shapes = embedded_store.unit_shapes(code)
        children = [c.code for c in embedded_store.regions.children(code)]
        assert list(shapes.codes) == (children or [code])
        data = json.loads(shapes.geojson)
        assert [f["id"] for f in data["features"]] == list(shapes.codes)
        assert [f["properties"]["name"] for f in data["features"]] == list(shapes.names)
        geoms = [shapely.from_geojson(json.dumps(f["geometry"])) for f in data["features"]]
        assert all(not g.is_empty for g in geoms)
        minx, miny, maxx, maxy = shapes.bounds
        assert minx < maxx and miny < maxy
        for lon, lat in zip(shapes.label_lon, shapes.label_lat, strict=True):
            assert minx <= lon <= maxx and miny <= lat <= maxy
    assert embedded_store.unit_shapes(path[0]) is embedded_store.unit_shapes(path[0])  # cached


def test_province_shapes_are_small(embedded_store, path) -> None:
    """Simplified, rounded boundaries: the province's prefectures in well under 150 kB."""
    assert len(embedded_store.unit_shapes(path[0]).geojson) < 150_000


@pytest.mark.parametrize("level", [0, 1, 2, 3, 4])
def test_households_match_counts(embedded_store, path, level: int) -> None:
    code = path[level]
    for year in (2014, 2016, 2019):
        frame = embedded_store.households(code, year)
        counts = embedded_store.counts(code, year)
        assert list(frame.columns) == list(HOUSEHOLD_COLUMNS)
        assert len(frame) == counts["registered_households"]
        assert int(frame["size"].sum()) == counts["registered_persons"]
        poor = frame["status"].isin(["未脱贫", "返贫"])
        assert int(frame.loc[poor, "size"].sum()) == counts["poor_persons"]
        assert (frame["village_code"] >= code_range(code)[0]).all()
        assert (frame["village_code"] <= code_range(code)[1]).all()
        assert frame["village_code"].is_monotonic_increasing


@pytest.mark.parametrize("level", [0, 2, 3, 4])
def test_hexbins_sum_to_poor_persons(embedded_store, path, level: int) -> None:
    code = path[level]
    year = 2015
    cells = embedded_store.hexbins(code, year)
    assert list(cells.columns) == list(HEXBIN_COLUMNS)
    assert int(cells["poor_persons"].sum()) == embedded_store.counts(code, year)["poor_persons"]
    assert (
        int(cells["poor_households"].sum()) == embedded_store.counts(code, year)["poor_households"]
    )
    assert all(h3.get_resolution(c) == HEX_RESOLUTION[level + 1] for c in cells["cell"])
    assert cells["cell"].is_monotonic_increasing and (cells["poor_households"] > 0).all()
    finer = embedded_store.hexbins(code, year, min(HEX_RESOLUTION[level + 1] + 1, 9))
    assert int(finer["poor_persons"].sum()) == int(cells["poor_persons"].sum())


def test_hexbins_reject_bad_resolution(embedded_store, path) -> None:
    with pytest.raises(BattlemapError, match="resolution"):
        embedded_store.hexbins(path[0], 2015, 12)


def test_relocation_flows_are_cumulative_sums(embedded_store, small_data_dir, path) -> None:
    moves = pd.read_parquet(small_data_dir / TABLE_FILES["relocations"])
    root = path[0]
    for year in embedded_store.years:
        flows = embedded_store.relocation_flows(root, year)
        assert list(flows.columns) == list(RELOCATION_COLUMNS)
        upto = moves[moves["year"] <= year]
        assert int(flows["persons"].sum()) == int(upto["persons"].sum())
        assert int(flows["households"].sum()) == len(upto)
        assert set(flows["origin_code"]) <= {c.code for c in embedded_store.regions.children(root)}
    village = path[4]
    flows = embedded_store.relocation_flows(village, embedded_store.years[-1])
    assert set(flows["origin_code"]) <= {village}


def test_labour_flows_by_unit(embedded_store, small_data_dir, path) -> None:
    labour = pd.read_parquet(small_data_dir / TABLE_FILES["labour_flows"])
    year = 2017
    root, city, county, township = path[:4]
    for code in (root, city, county):
        flows = embedded_store.labour_flows(code, year)
        assert list(flows.columns) == list(LABOUR_COLUMNS)
        part = labour[
            (labour["year"] == year) & labour["origin_county_code"].str.startswith(code.rstrip("0"))
        ]
        assert int(flows["persons"].sum()) == int(part["persons"].sum())
    assert set(embedded_store.labour_flows(county, year)["origin_code"]) == {county}
    assert embedded_store.labour_flows(township, year).empty


def test_features_validate_region_and_year(embedded_store) -> None:
    with pytest.raises(UnknownRegionError):
        embedded_store.unit_shapes("529999000000")
    with pytest.raises(UnknownRegionError):
        embedded_store.households("52x", 2015)
    with pytest.raises(YearOutOfRangeError):
        embedded_store.hexbins("52", 1999)
