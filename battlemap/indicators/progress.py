"""Exit progress (脱贫进度): registered, exited, remaining; exits per year; target; projection.

Inputs are a region's counts for every year (``Store.series``). Persons and households are
counted from the household-year records: *registered* = records in the year, *exited* =
status 已脱贫, *remaining* = still poor (未脱贫 or 返贫). An *exit* in a year is a household
marked 已脱贫 that was poor (or unrecorded) the year before, so returns and re-exits count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from fractions import Fraction
from math import floor
from typing import Any

from battlemap.indicators.incidence import percent
from battlemap.indicators.rules import ExitRules

__all__ = ["ExitProgress", "exit_progress", "exits_by_year", "projected_goal_year"]

Counts = Mapping[str, int]


@dataclass(frozen=True)
class ExitProgress:
    """One region's exit progress in ``year`` (persons and households, percent).

    ``target_met_pct``: exited persons / registered persons (the target being every
    registered person out of poverty by ``target_year``); ``expected_pct``: where a straight
    line from the first data year to the target year would be; ``projected_year``: first
    year with incidence below the goal at last year's pace (None when not reachable or
    unknown), equal to ``year`` when already below.
    """

    year: int
    registered_persons: int
    registered_households: int
    exited_persons: int
    exited_households: int
    remaining_persons: int
    remaining_households: int
    exits_by_year: dict[int, dict[str, int]]
    target_year: int
    target_met_pct: float | None
    expected_pct: float | None
    on_track: bool | None
    goal_incidence_pct: float
    pace_persons: int | None
    projected_year: int | None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exits_by_year"] = {str(y): v for y, v in self.exits_by_year.items()}
        return data


def exits_by_year(series: Mapping[int, Counts], up_to: int | None = None) -> dict[int, dict]:
    """Households and persons exiting in each year (up to ``up_to`` inclusive).

    >>> exits_by_year({2015: {"new_exit_households": 3, "new_exit_persons": 9}})
    {2015: {'households': 3, 'persons': 9}}
    """
    return {
        int(y): {"households": int(c["new_exit_households"]), "persons": int(c["new_exit_persons"])}
        for y, c in sorted(series.items())
        if up_to is None or y <= up_to
    }


def projected_goal_year(
    series: Mapping[int, Counts], year: int, goal_pct: float
) -> tuple[int | None, int | None]:
    """(first year with incidence < ``goal_pct`` at the current pace, pace in persons/year).

    The pace is the fall in poor persons from the previous year; the rural population is
    held at this year's. Already below the goal → ``year``. No previous year, zero rural
    population, or a pace ≤ 0 while above the goal → None.

    >>> s = {2017: {"poor_persons": 500, "rural_population": 10_000},
    ...      2018: {"poor_persons": 400, "rural_population": 10_000}}
    >>> projected_goal_year(s, 2018, 2)   # 400 → 300 → 200 (2 %, not below) → 100
    (2021, 100)
    """
    now = series[year]
    poor, population = int(now["poor_persons"]), int(now["rural_population"])
    before = series.get(year - 1)
    pace = int(before["poor_persons"]) - poor if before is not None else None
    if population <= 0:
        return None, pace
    goal = Fraction(repr(float(goal_pct)))
    excess = poor * 100 - goal * population  # must become < 0
    if excess < 0:
        return year, pace
    if pace is None or pace <= 0:
        return None, pace
    return year + floor(excess / (pace * 100)) + 1, pace


def exit_progress(series: Mapping[int, Counts], year: int, rules: ExitRules) -> ExitProgress:
    """Exit progress of one region in ``year`` from its counts for every year."""
    c = series[year]
    first = min(series)
    target = rules.progress.target_year
    met = percent(c["exited_persons"], c["registered_persons"])
    if target > first:
        expected = round(min(max((year - first) / (target - first), 0.0), 1.0) * 100, 4)
    else:
        expected = 100.0
    projected, pace = projected_goal_year(series, year, rules.progress.goal_incidence_pct)
    return ExitProgress(
        year=int(year),
        registered_persons=c["registered_persons"],
        registered_households=c["registered_households"],
        exited_persons=c["exited_persons"],
        exited_households=c["exited_households"],
        remaining_persons=c["poor_persons"],
        remaining_households=c["poor_households"],
        exits_by_year=exits_by_year(series, year),
        target_year=target,
        target_met_pct=met,
        expected_pct=expected if met is not None else None,
        on_track=None if met is None else met >= expected,
        goal_incidence_pct=rules.progress.goal_incidence_pct,
        pace_persons=pace,
        projected_year=projected,
    )
