"""Cross-filters: one cause, one guarantee or one household type narrows the view.

A filter is written in a link as ``cause:01`` (primary cause 因病), ``guarantee:housing``
(a radar axis) or ``hh_type:2`` (低保户). What it does to a number follows the unfiltered
definitions exactly, from the same additive counts:

* cause X — poor persons → poor persons whose primary cause is X (``cause_persons_XX``);
  poverty incidence → those persons / rural population × 100. Other indicators have no
  per-cause counts: the filtered view shows the poor persons of cause X instead (and says so).
* guarantee G — the share of registered households meeting G, in percent (the radar's
  own definition, :func:`battlemap.indicators.radar.radar_shares`), whatever the indicator.
* household type T — poor persons → poor persons of type T (``hh_type_poor_persons_N``);
  poverty incidence → those / rural population × 100; exit progress → exited persons of
  type T / registered persons of type T × 100. Other indicators show the poor persons of
  type T instead (and say so).

Household rows are narrowed by :func:`household_mask`: a cause or type keeps its rows; a
guarantee keeps the households *not* meeting it (``met_<guarantee>`` False), the gap a
planner clicks an axis to find, while the map shows the share that meets it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from battlemap.geodata.schema import CAUSES, HH_TYPES
from battlemap.indicators.incidence import percent
from battlemap.indicators.metric_names import (
    cause_metric,
    guarantee_metric,
    hh_type_metric,
    met_column,
)
from battlemap.indicators.rules import GUARANTEES

__all__ = [
    "KINDS",
    "Filter",
    "filtered_value",
    "household_mask",
    "parse_filter",
]

KINDS = ("cause", "guarantee", "hh_type")
Counts = Mapping[str, int]
Value = Callable[[Counts], float | int | None]


@dataclass(frozen=True)
class Filter:
    """One cross-filter: ``kind`` (cause, guarantee, hh_type) and the stored ``value``
    (a cause or household type as stored, in Chinese; a guarantee key)."""

    kind: str
    value: str

    @property
    def token(self) -> str:
        """How the filter is written in a link: ``cause:01``, ``guarantee:housing``…"""
        if self.kind == "cause":
            return f"cause:{CAUSES.index(self.value) + 1:02d}"
        if self.kind == "hh_type":
            return f"hh_type:{HH_TYPES.index(self.value) + 1}"
        return f"guarantee:{self.value}"


def parse_filter(text: str | None) -> Filter | None:
    """The filter a link's ``filter=`` names, or None when empty or malformed.

    >>> parse_filter("cause:01"), parse_filter("guarantee:water").value, parse_filter("x:1")
    (Filter(kind='cause', value='因病'), 'water', None)
    """
    kind, _, key = (text or "").partition(":")
    try:
        if kind == "cause" and key.isdigit() and 1 <= int(key) <= len(CAUSES):
            return Filter("cause", CAUSES[int(key) - 1])
        if kind == "hh_type" and key.isdigit() and 1 <= int(key) <= len(HH_TYPES):
            return Filter("hh_type", HH_TYPES[int(key) - 1])
    except ValueError:
        return None
    if kind == "guarantee" and key in GUARANTEES:
        return Filter("guarantee", key)
    return None


def _count(name: str) -> Value:
    return lambda c: c[name]


def _of_population(name: str) -> Value:
    return lambda c: percent(c[name], c["rural_population"])


def _type_exit_progress(index: int) -> Value:
    exited = hh_type_metric(index, "exited", "persons")
    registered = hh_type_metric(index, "registered", "persons")
    return lambda c: percent(c[exited], c[registered])


def _guarantee_share(guarantee: str) -> Value:
    name = guarantee_metric(guarantee)
    return lambda c: percent(c[name], c["registered_households"])


def filtered_value(indicator: str, flt: Filter) -> tuple[str, Value]:
    """(the indicator actually shown, its value from counts) under ``flt``: the indicator
    itself where per-cause or per-type counts define it, else the filtered poor persons.

    >>> key, value = filtered_value("incidence", Filter("cause", "因病"))
    >>> key, value({"cause_persons_01": 3, "rural_population": 200})
    ('incidence', 1.5)
    >>> filtered_value("exit_progress", Filter("cause", "因病"))[0]
    'poor_persons'
    >>> key, value = filtered_value("exit_progress", Filter("hh_type", "低保户"))
    >>> key, value({"hh_type_exited_persons_2": 3, "hh_type_registered_persons_2": 4})
    ('exit_progress', 75.0)
    """
    if flt.kind == "guarantee":
        return "guarantee", _guarantee_share(flt.value)
    if flt.kind == "cause":
        persons = cause_metric(CAUSES.index(flt.value))
    else:
        index = HH_TYPES.index(flt.value)
        persons = hh_type_metric(index, "poor", "persons")
        if indicator == "exit_progress":
            return "exit_progress", _type_exit_progress(index)
    if indicator == "incidence":
        return "incidence", _of_population(persons)
    return "poor_persons", _count(persons)


def household_mask(frame: pd.DataFrame, flt: Filter | None) -> np.ndarray:
    """Rows of a household frame the filter keeps: all for none; the cause's or the type's
    households; for a guarantee, the households not meeting it."""
    if flt is None:
        return np.ones(len(frame), dtype=bool)
    if flt.kind == "guarantee":
        return ~frame[met_column(flt.value)].to_numpy(dtype=bool)
    column = "primary_cause" if flt.kind == "cause" else "hh_type"
    return (frame[column] == flt.value).to_numpy()
