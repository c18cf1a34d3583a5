"""Names of the additive counts the indicators read (the stores compute them): pure
naming, so indicators need nothing of a store to know what to ask for."""

from __future__ import annotations

__all__ = ["cause_metric", "guarantee_metric", "hh_type_metric", "met_column"]


def cause_metric(index: int, *, unit: str = "persons", any_cause: bool = False) -> str:
    """Metric name of poor persons (or households) with cause ``CAUSES[index]``.

    By primary cause by default; with ``any_cause`` as primary or secondary cause.
    """
    return f"{'any_' if any_cause else ''}cause_{unit}_{index + 1:02d}"


def guarantee_metric(name: str) -> str:
    """Metric name of registered households meeting indicator ``name`` (radar numerator)."""
    return f"guarantee_households_{name}"


def hh_type_metric(index: int, of: str = "poor", unit: str = "persons") -> str:
    """Metric name of ``of`` (poor, registered, exited) persons or households of household
    type ``HH_TYPES[index]``: ``hh_type_poor_persons_2`` is the poor persons of 低保户."""
    return f"hh_type_{of}_{unit}_{index + 1}"


def met_column(guarantee: str) -> str:
    """Household column telling whether the household meets ``guarantee`` (a radar axis:
    income, housing…) in the year, under the store's exit rules: ``met_housing``…"""
    return f"met_{guarantee}"
