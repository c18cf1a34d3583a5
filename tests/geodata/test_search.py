"""Region search: names by substring, codes by prefix, best first, within the user's scope."""

from __future__ import annotations

import pandas as pd
import pytest

from battlemap.geodata.access import Scope
from battlemap.geodata.regions import RegionTree
from battlemap.geodata.search import RegionIndex, long_enough

ROWS = [
    ("520000000000", 1, "贵州省", None),
    ("520100000000", 2, "贵阳市", "520000000000"),
    ("520102000000", 3, "南明区", "520100000000"),
    ("520102001000", 4, "花溪镇", "520102000000"),
    ("520102001001", 5, "花溪村", "520102001000"),
    ("520102001002", 5, "新花村", "520102001000"),
    ("522600000000", 2, "黔东南苗族侗族自治州", "520000000000"),
    ("522631000000", 3, "黎平县", "522600000000"),
    ("522631100000", 4, "花溪乡", "522631000000"),
    ("522631100001", 5, "花溪村", "522631100000"),
    ("522631100002", 5, "上花溪村", "522631100000"),
]


@pytest.fixture(scope="module")
def index() -> RegionIndex:
    frame = pd.DataFrame(
        [
            {
                "code": c,
                "level": lv,
                "name": n,
                "parent_code": p,
                "zone": "west",
                "is_poverty_county": False,  # the poverty flag, old and new column name
                "poverty_flag": False,
            }
            for c, lv, n, p in ROWS
        ]
    )
    return RegionIndex(RegionTree(frame))


def _codes(hits) -> list[str]:
    return [h.code for h in hits]


@pytest.mark.parametrize(
    ("query", "ok"),
    [("52", False), ("522", True), ("ab", False), ("abc", True), ("花", False), ("花溪", True)],
)
def test_minimum_length(query, ok) -> None:
    assert long_enough(query) is ok


def test_name_exact_then_prefix_then_inside_higher_levels_first(index) -> None:
    hits, total = index.search("花溪村")
    assert total == 3
    # the two exact 花溪村 (code order), then 上花溪村 which only contains the query
    assert _codes(hits) == ["520102001001", "522631100001", "522631100002"]
    hits, total = index.search("花溪")
    # starts-with by level: the two townships (level 4), then the villages; 上花溪村 last
    assert _codes(hits) == [
        "520102001000",
        "522631100000",
        "520102001001",
        "522631100001",
        "522631100002",
    ]


def test_results_carry_their_path(index) -> None:
    hit = index.search("上花溪")[0][0]
    assert hit.path == ("贵州省", "黔东南苗族侗族自治州", "黎平县", "花溪乡", "上花溪村")
    assert hit.path_text() == "贵州省 › 黔东南苗族侗族自治州 › 黎平县 › 花溪乡 › 上花溪村"
    assert hit.level == 5 and hit.name == "上花溪村"


def test_code_prefix(index) -> None:
    hits, total = index.search("522631")
    assert total == 4
    assert _codes(hits)[0] == "522631000000"  # the county before what lies under it
    assert _codes(index.search("520102001002")[0]) == ["520102001002"]
    assert index.search("999")[0] == []


def test_limit_keeps_the_total(index) -> None:
    hits, total = index.search("520", limit=2)
    assert len(hits) == 2 and total == 6
    assert _codes(hits) == ["520000000000", "520100000000"]


def test_too_short_or_blank_finds_nothing(index) -> None:
    assert index.search("  花 ") == ([], 0)
    assert index.search("") == ([], 0)


def test_scope_hides_other_regions_and_their_names(index) -> None:
    scope = Scope(roots=("522631000000",))
    hits, total = index.search("花溪村", allows=scope.allows)
    assert _codes(hits) == ["522631100001", "522631100002"] and total == 2
    # the path starts at the top of the scope: names above it are not shown
    assert hits[0].path == ("黎平县", "花溪乡", "花溪村")
    assert index.search("贵阳", allows=scope.allows) == ([], 0)
    assert index.search("5201", allows=scope.allows) == ([], 0)


def test_generated_store_every_village_findable_by_code(embedded_store) -> None:
    index = RegionIndex(embedded_store.regions)
    villages = embedded_store.regions.level_codes(5)
    assert len(index) == len(embedded_store.regions) and len(villages) > 1000
    for code in villages[:: max(1, len(villages) // 50)]:
        hits, _ = index.search(code)
        info = embedded_store.region(code)
        assert _codes(hits) == [code]
        assert hits[0].path == tuple(i.name for i in embedded_store.regions.ancestors(code))
        assert info.code in _codes(index.search(info.name, limit=10_000)[0])
