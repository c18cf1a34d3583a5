"""Cross-filters: one cause, one guarantee or one household type narrows the view.

A filter is written in a link as ``cause:01`` (primary cause 因病), ``guarantee:housing``
(a radar axis) or ``hh_type:2`` (低保户). What it does to a number follows the unfiltered
definitions exactly, from the same additive counts:

* cause X — poor persons → poor persons whose primary cause is X (``cause_persons_XX``);
  poverty incidence → those persons / rural population × 100. Other indicators have no
  per-cause counts: the filtered view shows the poor persons of cause X instead (and says so).
* guarantee G — the share of registered households meeting G, in percent (the radar's
  own definition, :func:`battlemap.indicators.radar.radar_shares`), whatever the indicator.
* household type T — no per-type counts exist: numbers come from the household rows
  (:func:`poor_persons_by_unit`) where they are few enough to read (township and village,
  a county of up to 20,000 households), else the filter narrows only the table and points.

Household rows are narrowed by :func:`household_mask` (cause and type; guarantees are not in
the rows, so a guarantee filter leaves them as they are).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from battlemap.geodata.metrics import cause_metric, guarantee_metric
from battlemap.geodata.schema import CAUSES, HH_TYPES, POOR_STATUSES
from battlemap.indicators.incidence import percent
from battlemap.indicators.rules import GUARANTEES

__all__ = [
    "KINDS",
    "Filter",
    "filtered_value",
    "household_mask",
    "parse_filter",
    "poor_persons_by_unit",
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


def _cause_persons(cause: str) -> Value:
    name = cause_metric(CAUSES.index(cause))
    return lambda c: c[name]


def _cause_incidence(cause: str) -> Value:
    name = cause_metric(CAUSES.index(cause))
    return lambda c: percent(c[name], c["rural_population"])


def _guarantee_share(guarantee: str) -> Value:
    name = guarantee_metric(guarantee)
    return lambda c: percent(c[name], c["registered_households"])


def filtered_value(indicator: str, flt: Filter) -> tuple[str, Value] | None:
    """(the indicator actually shown, its value from counts) under ``flt``; None when the
    counts cannot give it (a household-type filter: see :func:`poor_persons_by_unit`).

    >>> key, value = filtered_value("incidence", Filter("cause", "因病"))
    >>> key, value({"cause_persons_01": 3, "rural_population": 200})
    ('incidence', 1.5)
    >>> filtered_value("exit_progress", Filter("cause", "因病"))[0]
    'poor_persons'
    """
    if flt.kind == "cause":
        if indicator == "incidence":
            return "incidence", _cause_incidence(flt.value)
        return "poor_persons", _cause_persons(flt.value)
    if flt.kind == "guarantee":
        return "guarantee", _guarantee_share(flt.value)
    return None


def household_mask(frame: pd.DataFrame, flt: Filter | None) -> np.ndarray:
    """Rows of a household frame the filter keeps (all rows for none or a guarantee)."""
    if flt is None or flt.kind == "guarantee":
        return np.ones(len(frame), dtype=bool)
    column = "primary_cause" if flt.kind == "cause" else "hh_type"
    return (frame[column] == flt.value).to_numpy()


def poor_persons_by_unit(frame: pd.DataFrame, flt: Filter, unit_length: int) -> dict[str, int]:
    """Poor persons (status 未脱贫 or 返贫) of the filtered households per unit code prefix
    (``unit_length`` digits of the village code, zero-padded to 12): the same definition as
    the ``poor_persons`` count, on the rows themselves."""
    keep = household_mask(frame, flt) & frame["status"].isin(POOR_STATUSES).to_numpy()
    rows = frame.loc[keep, ["village_code", "size"]]
    units = rows["village_code"].str[:unit_length].str.ljust(12, "0")
    return {k: int(v) for k, v in rows["size"].groupby(units).sum().items()}
