"""Poverty incidence, exit progress and cause breakdown from additive counts.

All inputs are integer counts for one region and year (see geodata.metrics); every store
and every view computes ratios through these functions so the numbers agree everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

from battlemap.geodata.schema import CAUSES
from battlemap.indicators.metric_names import cause_metric

__all__ = ["cause_breakdown", "exit_progress_pct", "incidence_pct", "percent"]

PCT_DIGITS = 4


def percent(part: int, whole: int) -> float | None:
    """part / whole × 100 rounded to 4 decimals; None when the denominator is zero.

    >>> percent(1, 3)
    33.3333
    >>> percent(0, 0) is None
    True
    """
    if whole <= 0:
        return None
    return round(part * 100 / whole, PCT_DIGITS)


def incidence_pct(counts: Mapping[str, int]) -> float | None:
    """贫困发生率: poor persons (未脱贫 or 返贫 at year end) / rural population × 100."""
    return percent(counts["poor_persons"], counts["rural_population"])


def exit_progress_pct(counts: Mapping[str, int]) -> float | None:
    """Persons with status 已脱贫 / persons ever registered up to this year × 100."""
    return percent(counts["exited_persons"], counts["registered_persons"])


def cause_breakdown(counts: Mapping[str, int]) -> dict[str, int]:
    """Poor persons by primary cause name, in cause-code order (zeros kept)."""
    return {name: counts[cause_metric(i)] for i, name in enumerate(CAUSES)}
