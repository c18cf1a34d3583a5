"""Rankings: a region's children ordered by any indicator, with rank change vs last year.

Rank 1 is the largest value (``ascending=True``: the smallest); ties share the better rank
(1, 1, 3); regions without a value (no population, no households) are unranked and listed
last. ``change`` is the number of places moved up since last year (positive = better rank
number, i.e. closer to 1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from battlemap.indicators.exit_checks import wrong_exit_rate_pct
from battlemap.indicators.household import GUARANTEE_LABELS
from battlemap.indicators.incidence import exit_progress_pct, incidence_pct, percent
from battlemap.indicators.radar import RADAR_DIMENSIONS, radar_shares
from battlemap.indicators.warning import WARNING_CATEGORIES, warning_metric

__all__ = [
    "RANKING_INDICATORS",
    "RankRow",
    "indicator_value",
    "rank_regions",
    "rank_values",
]

Counts = Mapping[str, int]
Value = float | int | None
IndicatorFunc = Callable[[Counts], Value]


def _warnings(counts: Counts) -> int:
    return sum(counts[warning_metric(c)] for c in WARNING_CATEGORIES)


def _count(name: str) -> IndicatorFunc:
    return lambda c: c[name]


# name → (Chinese label, value from a region's counts)
RANKING_INDICATORS: dict[str, tuple[str, IndicatorFunc]] = {
    "incidence_pct": ("贫困发生率", incidence_pct),
    "exit_progress_pct": ("脱贫进度", exit_progress_pct),
    "poor_persons": ("贫困人口", _count("poor_persons")),
    "poor_households": ("贫困户数", _count("poor_households")),
    "returned_persons": ("返贫人口", _count("returned_persons")),
    "new_exit_persons": ("当年脱贫人口", _count("new_exit_persons")),
    "wrong_exit_households": ("错退户数", _count("wrong_exit_households")),
    "wrong_exit_rate_pct": ("错退率", wrong_exit_rate_pct),
    "warning_households": ("返贫预警户数", _warnings),
    "warning_rate_pct": ("返贫预警户占比", lambda c: percent(_warnings(c), c["exited_households"])),
    **{
        f"guarantee_{g}_pct": (f"{GUARANTEE_LABELS[g]}户占比", lambda c, g=g: radar_shares(c)[g])
        for g in RADAR_DIMENSIONS
    },
}


def indicator_value(indicator: str | IndicatorFunc) -> IndicatorFunc:
    """The value function of a registered indicator name (or a callable, returned as is)."""
    if callable(indicator):
        return indicator
    try:
        return RANKING_INDICATORS[indicator][1]
    except KeyError:
        raise ValueError(
            f"unknown indicator {indicator!r}; known: {', '.join(RANKING_INDICATORS)}"
        ) from None


@dataclass(frozen=True)
class RankRow:
    """One region's place: value and rank this year and last year, places moved up."""

    code: str
    name: str
    value: Value
    rank: int | None
    previous_value: Value
    previous_rank: int | None
    change: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rank_values(values: Mapping[str, Value], *, ascending: bool = False) -> dict[str, int]:
    """Competition ranks (1, 1, 3) of the non-None values; rank 1 = largest by default.

    >>> rank_values({"a": 3, "b": 5, "c": 5, "d": None})
    {'b': 1, 'c': 1, 'a': 3}
    >>> rank_values({}, ascending=True)
    {}
    """
    present = sorted(
        ((v, c) for c, v in values.items() if v is not None),
        key=lambda item: (item[0] if ascending else -item[0], item[1]),
    )
    out: dict[str, int] = {}
    for i, (value, code) in enumerate(present):
        if i and value == present[i - 1][0]:
            out[code] = out[present[i - 1][1]]
        else:
            out[code] = i + 1
    return out


def rank_regions(
    current: Mapping[str, Counts],
    previous: Mapping[str, Counts] | None,
    indicator: str | IndicatorFunc,
    *,
    ascending: bool = False,
    names: Mapping[str, str] | None = None,
) -> list[RankRow]:
    """Rank regions by an indicator this year and last year; rows in rank order."""
    value = indicator_value(indicator)
    now = {code: value(c) for code, c in current.items()}
    before = {code: value(c) for code, c in (previous or {}).items()}
    rank_now = rank_values(now, ascending=ascending)
    rank_before = rank_values(before, ascending=ascending)
    rows = []
    for code in current:
        r, p = rank_now.get(code), rank_before.get(code)
        rows.append(
            RankRow(
                code,
                (names or {}).get(code, ""),
                now[code],
                r,
                before.get(code),
                p,
                None if r is None or p is None else p - r,
            )
        )
    return sorted(rows, key=lambda row: (row.rank is None, row.rank or 0, row.code))
