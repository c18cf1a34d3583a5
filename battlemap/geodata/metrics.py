"""Additive counts kept per (region, year): one definition, evaluated by both stores.

Every indicator is a ratio of these integer sums, so the embedded store (numpy) and the
PostGIS store (SQL) agree exactly as long as both evaluate the same definitions below.
A metric is a per household-year weight: ``sql`` over ``households h JOIN household_years y``
and ``weight`` over the same rows as numpy arrays (see :class:`HouseholdYearArrays`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from battlemap.geodata.schema import CAUSES, STATUS_EXITED, STATUS_POOR, STATUS_RETURNED

__all__ = [
    "HOUSEHOLD_METRICS",
    "METRIC_NAMES",
    "STATUS_CODES",
    "HouseholdYearArrays",
    "Metric",
    "cause_metric",
]

STATUS_CODES: dict[str, int] = {STATUS_POOR: 0, STATUS_EXITED: 1, STATUS_RETURNED: 2}


@dataclass(frozen=True)
class HouseholdYearArrays:
    """Columns of households joined to household_years, one element per household-year.

    ``status`` holds :data:`STATUS_CODES`, ``cause`` the index of the primary cause in
    :data:`~battlemap.geodata.schema.CAUSES`.
    """

    size: np.ndarray
    status: np.ndarray
    cause: np.ndarray

    @property
    def poor(self) -> np.ndarray:
        return (self.status == STATUS_CODES[STATUS_POOR]) | self.returned

    @property
    def exited(self) -> np.ndarray:
        return self.status == STATUS_CODES[STATUS_EXITED]

    @property
    def returned(self) -> np.ndarray:
        return self.status == STATUS_CODES[STATUS_RETURNED]


@dataclass(frozen=True)
class Metric:
    """An additive count: SQL expression and numpy weight of the same per-row quantity."""

    name: str
    sql: str
    weight: Callable[[HouseholdYearArrays], np.ndarray]


_POOR_SQL = f"y.status IN ('{STATUS_POOR}', '{STATUS_RETURNED}')"


def _when(condition: str, value: str) -> str:
    return f"CASE WHEN {condition} THEN {value} ELSE 0 END"


def cause_metric(index: int) -> str:
    """Metric name of poor persons whose primary cause is ``CAUSES[index]``."""
    return f"cause_persons_{index + 1:02d}"


def _cause_weight(index: int) -> Callable[[HouseholdYearArrays], np.ndarray]:
    return lambda a: np.where(a.poor & (a.cause == index), a.size, 0)


HOUSEHOLD_METRICS: tuple[Metric, ...] = (
    Metric("registered_households", "1", lambda a: np.ones_like(a.size)),
    Metric("registered_persons", "h.size", lambda a: a.size),
    Metric("poor_households", _when(_POOR_SQL, "1"), lambda a: a.poor.astype(np.int64)),
    Metric("poor_persons", _when(_POOR_SQL, "h.size"), lambda a: np.where(a.poor, a.size, 0)),
    Metric(
        "exited_households",
        _when(f"y.status = '{STATUS_EXITED}'", "1"),
        lambda a: a.exited.astype(np.int64),
    ),
    Metric(
        "exited_persons",
        _when(f"y.status = '{STATUS_EXITED}'", "h.size"),
        lambda a: np.where(a.exited, a.size, 0),
    ),
    Metric(
        "returned_households",
        _when(f"y.status = '{STATUS_RETURNED}'", "1"),
        lambda a: a.returned.astype(np.int64),
    ),
    Metric(
        "returned_persons",
        _when(f"y.status = '{STATUS_RETURNED}'", "h.size"),
        lambda a: np.where(a.returned, a.size, 0),
    ),
    *(
        Metric(
            cause_metric(i),
            _when(f"{_POOR_SQL} AND h.primary_cause = '{name}'", "h.size"),
            _cause_weight(i),
        )
        for i, name in enumerate(CAUSES)
    ),
)

# Column order of every aggregate: rural population first, then the household metrics.
METRIC_NAMES: tuple[str, ...] = ("rural_population", *(m.name for m in HOUSEHOLD_METRICS))
