"""Ranking table of a region's children by one indicator, with rank change vs last year."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from battlemap.i18n import t
from battlemap.indicators.ranking import rank_values
from battlemap.layers.catalog import Indicator

__all__ = ["rank", "ranking_columns", "ranking_rows"]


def rank(values: Mapping[str, float | int | None]) -> dict[str, int]:
    """Rank 1 = largest value; ties share the better rank; missing values are unranked.

    >>> rank({"a": 3, "b": 5, "c": 5, "d": None})
    {'b': 1, 'c': 1, 'a': 3}
    """
    return rank_values(values, ascending=False)


def ranking_rows(
    codes: Sequence[str],
    names: Sequence[str],
    values: Mapping[str, float | int | None],
    previous: Mapping[str, float | int | None] | None = None,
) -> list[dict[str, Any]]:
    """Rows ``id, rank, name, value, change`` ordered by rank (unranked last).

    ``change`` is the rank's move since last year, not the value's: ``↑2`` (two places up),
    ``↓1``, ``–`` (same place) or empty (no rank last year).
    """
    now = rank(values)
    before = rank(previous) if previous is not None else {}
    rows = []
    for code, name in zip(codes, names, strict=True):
        r = now.get(code)
        change = ""
        if r is not None and code in before:
            moved = before[code] - r
            change = f"↑{moved}" if moved > 0 else f"↓{-moved}" if moved else "–"
        rows.append(
            {"id": code, "rank": r, "name": name, "value": values.get(code), "change": change}
        )
    return sorted(rows, key=lambda row: (row["rank"] is None, row["rank"] or 0, row["id"]))


def ranking_columns(indicator: Indicator, *, lang: str = "zh") -> list[dict[str, Any]]:
    """DataTable column specs (numeric value column formatted in the indicator's unit)."""
    return [
        {"name": t("rank", lang), "id": "rank", "type": "numeric"},
        {"name": t("name", lang), "id": "name", "type": "text"},
        {
            "name": indicator.title(lang),
            "id": "value",
            "type": "numeric",
            "format": {"specifier": f",.{indicator.digits}f"},
        },
        {"name": t("rank_change", lang), "id": "change", "type": "text"},
    ]
