"""Exit progress: counts, exits per year, target, projection at the current pace."""

from __future__ import annotations

from battlemap.indicators.progress import exit_progress, exits_by_year, projected_goal_year
from battlemap.indicators.rules import default_rules, parse_rules
from tests.indicators.common import mutated

RULES = default_rules()


def counts(poor: int, population: int = 10_000, exited: int = 0, new: int = 0) -> dict:
    registered = poor + exited
    return {"poor_persons": poor, "rural_population": population, "exited_persons": exited,
            "registered_persons": registered, "poor_households": poor // 3,
            "exited_households": exited // 3, "registered_households": registered // 3,
            "new_exit_households": new // 3, "new_exit_persons": new}  # fmt: skip


SERIES = {
    2014: counts(1500),
    2015: counts(1200, exited=300, new=300),
    2016: counts(900, exited=600, new=300),
    2017: counts(500, exited=1000, new=400),
    2018: counts(400, exited=1100, new=100),
}


def test_projection_by_hand() -> None:
    # 2018: 400 poor of 10,000 (4 %), pace 100/year → 300 (3 %), 200 (2 %, not below), 100
    assert projected_goal_year(SERIES, 2018, 2) == (2021, 100)
    # 2017: 500, pace 400 → 100 (1 %) in 2018
    assert projected_goal_year(SERIES, 2017, 2) == (2018, 400)
    assert projected_goal_year(SERIES, 2018, 4.5) == (2018, 100)  # already below
    assert projected_goal_year(SERIES, 2014, 2) == (None, None)  # no previous year
    flat = {2017: counts(400), 2018: counts(400)}
    assert projected_goal_year(flat, 2018, 2) == (None, 0)  # no progress, never
    empty = {2017: counts(0, population=0), 2018: counts(0, population=0)}
    assert projected_goal_year(empty, 2018, 2) == (None, 0)


def test_exit_progress_by_hand() -> None:
    p = exit_progress(SERIES, 2017, RULES)
    assert (p.registered_persons, p.exited_persons, p.remaining_persons) == (1500, 1000, 500)
    assert p.target_met_pct == 66.6667
    assert p.expected_pct == 50.0  # 3 of 6 years from 2014 to 2020
    assert p.on_track is True
    assert p.exits_by_year == {2014: {"households": 0, "persons": 0},
                               2015: {"households": 100, "persons": 300},
                               2016: {"households": 100, "persons": 300},
                               2017: {"households": 133, "persons": 400}}  # fmt: skip
    assert p.projected_year == 2018 and p.pace_persons == 400
    assert p.as_dict()["exits_by_year"]["2015"] == {"households": 100, "persons": 300}


def test_target_year_is_configuration() -> None:
    later = parse_rules(mutated(lambda d: d["progress"].update(target_year=2024)))
    p = exit_progress(SERIES, 2017, later)
    assert p.expected_pct == 30.0 and p.target_year == 2024


def test_region_without_households() -> None:
    series = {2014: counts(0), 2015: counts(0)}
    p = exit_progress(series, 2015, RULES)
    assert p.target_met_pct is None and p.on_track is None and p.expected_pct is None
    assert p.projected_year == 2015  # 0 % is below the goal
    assert exits_by_year({}) == {}
