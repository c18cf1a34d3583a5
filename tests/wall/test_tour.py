"""The tour as stops: drill in to each attention region and back out; year play; cycling."""

from __future__ import annotations

import pytest

from battlemap.wall.tour import Stop, attention_tour, explicit_tour, stop_at

PATHS = {
    "520100000000": ["520100000000"],
    "520121000000": ["520100000000", "520121000000"],
    "522301000000": ["522300000000", "522301000000"],
}


def test_attention_tour_drills_in_and_out() -> None:
    attention = [("520121000000", "incidence"), ("522301000000", "warnings")]
    stops = attention_tour("520000000000", 2019, attention, PATHS.__getitem__)
    assert [(s.region, s.reason) for s in stops] == [
        ("520000000000", "home"),
        ("520100000000", "path"),
        ("520121000000", "incidence"),
        ("520000000000", "home"),
        ("522300000000", "path"),
        ("522301000000", "warnings"),
    ]  # the last drill-out is the first stop of the next cycle
    assert {s.year for s in stops} == {2019}


def test_year_play_on_the_first_stop() -> None:
    stops = attention_tour(
        "520000000000",
        2016,
        [("520100000000", "incidence")],
        PATHS.__getitem__,
        years=(2014, 2015, 2016),
    )
    assert [(s.region, s.year) for s in stops] == [
        ("520000000000", 2014),
        ("520000000000", 2015),
        ("520000000000", 2016),
        ("520100000000", 2016),
    ]


def test_explicit_tour_in_order() -> None:
    stops = explicit_tour(["520100000000", "520121000000"], 2018)
    assert stops == [Stop("520100000000", 2018, "listed"), Stop("520121000000", 2018, "listed")]
    assert explicit_tour([], 2018) == []


def test_a_tour_with_nothing_to_see_is_the_region_alone() -> None:
    assert attention_tour("520000000000", 2019, [], PATHS.__getitem__) == [
        Stop("520000000000", 2019, "home")
    ]


@pytest.mark.parametrize(("step", "index"), [(0, 0), (2, 2), (3, 0), (7, 1), (3001, 1)])
def test_steps_cycle_through_the_stops(step: int, index: int) -> None:
    stops = explicit_tour(["520100000000", "520200000000", "520300000000"], 2018)
    assert stop_at(stops, step) == (index, stops[index])
