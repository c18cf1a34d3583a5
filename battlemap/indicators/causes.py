"""Poverty causes (致贫原因): poor persons and households by primary and by any cause.

*Primary* counts add up to the poor total; *any* counts a household under its primary and
each secondary cause, so they add up to more. Shares are of the poor persons (households)
in percent; a region without poor persons has None shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from battlemap.geodata.schema import CAUSE_CODES, CAUSES
from battlemap.indicators.incidence import percent
from battlemap.indicators.metric_names import cause_metric

__all__ = ["CauseMix", "CauseRow", "cause_mix_vs_parent", "cause_table"]

Counts = Mapping[str, int]


@dataclass(frozen=True)
class CauseRow:
    """One cause in one region: counts and shares of the poor (percent)."""

    code: str
    name: str
    persons: int
    households: int
    any_persons: int
    any_households: int
    share_pct: float | None
    any_share_pct: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CauseMix:
    """A cause's share of poor persons in a region and its parent (percentage points)."""

    code: str
    name: str
    share_pct: float | None
    parent_share_pct: float | None
    diff_pp: float | None
    any_share_pct: float | None
    parent_any_share_pct: float | None
    any_diff_pp: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cause_table(counts: Counts) -> list[CauseRow]:
    """All 12 causes in code order (zeros kept).

    >>> from battlemap.geodata.metrics import METRIC_NAMES
    >>> rows = cause_table(dict.fromkeys(METRIC_NAMES, 0))
    >>> rows[0].name, rows[0].persons, rows[0].share_pct
    ('因病', 0, None)
    """
    poor = counts["poor_persons"]
    rows = []
    for i, name in enumerate(CAUSES):
        persons = counts[cause_metric(i)]
        any_persons = counts[cause_metric(i, any_cause=True)]
        rows.append(
            CauseRow(
                code=CAUSE_CODES[name],
                name=name,
                persons=persons,
                households=counts[cause_metric(i, unit="households")],
                any_persons=any_persons,
                any_households=counts[cause_metric(i, unit="households", any_cause=True)],
                share_pct=percent(persons, poor),
                any_share_pct=percent(any_persons, poor),
            )
        )
    return rows


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 4)


def cause_mix_vs_parent(counts: Counts, parent: Counts | None) -> list[CauseMix]:
    """Each cause's share of poor persons here and in the parent, and the difference.

    A positive ``diff_pp`` means the cause weighs more here than in the parent region.
    ``parent`` None (a province) gives None parent shares.
    """
    here = cause_table(counts)
    there = cause_table(parent) if parent is not None else [None] * len(here)
    out = []
    for row, other in zip(here, there, strict=True):
        p_share = other.share_pct if other else None
        p_any = other.any_share_pct if other else None
        out.append(
            CauseMix(
                row.code,
                row.name,
                row.share_pct,
                p_share,
                _diff(row.share_pct, p_share),
                row.any_share_pct,
                p_any,
                _diff(row.any_share_pct, p_any),
            )
        )
    return out
