"""Store parity: embedded == PostGIS == pandas, for every level, several regions, every year."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from battlemap.geodata.metrics import HH_TYPE_COUNTS, hh_type_metric
from battlemap.geodata.schema import HH_TYPES
from battlemap.views.summary import region_summary
from tests.geodata.recompute import PandasReference

LEVELS = [1, 2, 3, 4, 5]
REGIONS_PER_LEVEL = 3


@pytest.fixture(scope="module")
def reference(small_data_dir: Path) -> PandasReference:
    return PandasReference(small_data_dir)


def sample(store, level: int) -> list[str]:
    codes = store.regions.level_codes(level)
    return random.Random(level).sample(codes, min(REGIONS_PER_LEVEL, len(codes)))


@pytest.mark.parametrize("level", LEVELS)
def test_counts_agree_everywhere(embedded_store, postgis_store, reference, level: int) -> None:
    assert embedded_store.years == postgis_store.years
    for code in sample(embedded_store, level):
        for year in embedded_store.years:
            embedded = embedded_store.counts(code, year)
            assert embedded == postgis_store.counts(code, year), (code, year)
            expected = reference.counts(code, year)
            assert {k: embedded[k] for k in expected} == expected, (code, year)


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_stats_output_agrees(embedded_store, postgis_store, level: int) -> None:
    for code in sample(embedded_store, level):
        for year in embedded_store.years:
            assert region_summary(embedded_store, code, year) == region_summary(
                postgis_store, code, year
            )


def test_region_trees_agree(embedded_store, postgis_store) -> None:
    assert embedded_store.regions.codes == postgis_store.regions.codes
    for code in sample(embedded_store, 3) + sample(embedded_store, 5):
        assert embedded_store.region(code) == postgis_store.region(code)


@pytest.mark.parametrize("level", [1, 2, 3])
def test_household_type_counts_agree(embedded_store, postgis_store, reference, level: int) -> None:
    """Per household type (一般户/低保户/特困供养户): poor households and persons, registered
    and exited persons, the same in both stores and in pandas, and the types split the totals."""
    names = [
        hh_type_metric(i, of, unit) for i in range(len(HH_TYPES)) for of, unit in HH_TYPE_COUNTS
    ]
    seen = dict.fromkeys(names, 0)
    for code in sample(embedded_store, level):
        for year in (embedded_store.years[0], 2017, embedded_store.years[-1]):
            embedded = embedded_store.counts(code, year)
            postgis = postgis_store.counts(code, year)
            expected = reference.counts(code, year)
            assert {n: embedded[n] for n in names} == {n: expected[n] for n in names}, code
            assert {n: postgis[n] for n in names} == {n: expected[n] for n in names}, code
            for of, unit in HH_TYPE_COUNTS:
                parts = [embedded[hh_type_metric(i, of, unit)] for i in range(len(HH_TYPES))]
                assert sum(parts) == embedded[f"{of}_{unit}"], (code, year, of, unit)
            for n in names:
                seen[n] += embedded[n]
    assert all(seen.values()), seen  # every type has poor, registered and exited persons
