"""Pure cadre indicators (issue 15) on tiny hand-made arrays."""

from __future__ import annotations

import numpy as np

from battlemap.indicators import cadres as ind
from battlemap.indicators.cadre_rules import default_cadre_rules

RULES = default_cadre_rules()
DAY = ind.year_end_day(2018)


def test_distance_and_far_checkin() -> None:
    # 0.001° of latitude ≈ 111 m; 0.01° ≈ 1.1 km
    lon, lat = np.array([106.0, 106.0]), np.array([26.001, 26.01])
    checks = ind.visit_checks(np.array([1, 2]), np.array([0, 1]), np.array([DAY, DAY]),
                              lon, lat, np.array([106.0, 106.0]), np.array([26.0, 26.0]),
                              RULES)  # fmt: skip
    assert np.allclose(checks.distance_m, [111.2, 1112.0], rtol=1e-3)
    assert checks.far.tolist() == [False, True]
    assert not checks.impossible.any()


def test_impossible_travel_is_per_cadre_and_day() -> None:
    # cadre 0 checks in 1.5° (~167 km) apart on one day; cadre 1 on two days; cadre 2 nearby
    cadre = np.array([0, 0, 1, 1, 2, 2])
    day = np.array([DAY, DAY, DAY, DAY - 1, DAY, DAY])
    lon = np.array([106.0, 107.5, 106.0, 107.5, 106.0, 106.1])
    lat = np.full(6, 26.0)
    checks = ind.visit_checks(np.arange(6), cadre, day, lon, lat, lon, lat, RULES)
    assert checks.impossible.tolist() == [True, True, False, False, False, False]
    assert round(float(checks.travel_km[0])) == 150


def test_coverage_loads_and_visits_on_31_december() -> None:
    hh = np.array([0, 1, 1, 2])
    cadre = np.array([0, 0, 1, 1])
    start = np.array([0, 0, DAY + 1, 0])
    end = np.array([-1, DAY - 1, -1, DAY])  # household 1's helper ends the day before
    assert ind.covered(4, hh, start, end, DAY).tolist() == [True, False, True, False]
    assert ind.helper_of(4, hh, cadre, start, end, DAY).tolist() == [0, -1, 1, -1]
    assert ind.helper_loads(2, cadre, start, end, DAY).tolist() == [1, 1]
    last = ind.last_visit(3, np.array([0, 0, 1]), np.array([DAY - 100, DAY - 89, DAY + 3]), DAY)
    assert last.tolist() == [DAY - 89, -1, -1]
    assert ind.not_visited(last, DAY, RULES).tolist() == [False, True, True]


def test_score() -> None:
    got = ind.score(np.array([10.0]), np.array([1]), np.array([1]), np.array([1]),
                    np.array([2]), RULES)  # fmt: skip
    w = RULES.score
    expected = 10 + 2 * w.exited_household - w.far_checkin - w.impossible_travel
    assert got.tolist() == [expected - w.not_visited_household]
