"""KPI tiles: poor persons, incidence, exited, remaining households, warnings, vs last year."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from battlemap.i18n import t
from battlemap.indicators.incidence import incidence_pct
from battlemap.layers.catalog import warning_total

__all__ = ["Tile", "kpi_tiles"]


@dataclass(frozen=True)
class Tile:
    """One tile: label, formatted value, change vs last year and whether the change is good."""

    key: str
    label: str
    value: str
    delta: str
    good: bool | None  # None: no change or no comparison


def _delta(
    now: float | None, before: float | None, *, pct: bool, lower_is_better: bool, lang: str
) -> tuple[str, bool | None]:
    if now is None or before is None:
        return "", None
    change = now - before
    if change == 0:
        return f"{t('vs_last_year', lang)} 0", None
    arrow = "▲" if change > 0 else "▼"
    text = f"{abs(change):,.2f}\u00a0pp" if pct else f"{abs(change):,.0f}"
    return f"{t('vs_last_year', lang)} {arrow}{text}", (change < 0) == lower_is_better


def kpi_tiles(
    counts: Mapping[str, int], previous: Mapping[str, int] | None, *, lang: str = "zh"
) -> list[Tile]:
    """The five tiles for one region and year (``previous`` = last year's counts or None)."""
    prev = previous or {}
    rows: list[tuple[str, float | None, float | None, bool, bool]] = [
        ("kpi_poor", counts["poor_persons"], prev.get("poor_persons"), False, True),
        (
            "kpi_incidence",
            incidence_pct(counts),
            incidence_pct(prev) if previous else None,
            True,
            True,
        ),
        ("kpi_exited", counts["exited_persons"], prev.get("exited_persons"), False, False),
        ("kpi_remaining", counts["poor_households"], prev.get("poor_households"), False, True),
        (
            "kpi_warnings",
            warning_total(counts),
            warning_total(prev) if previous else None,
            False,
            True,
        ),
    ]
    tiles = []
    for key, now, before, pct, lower in rows:
        if now is None:
            value = "—"
        elif pct:
            value = f"{now:.2f}%"
        else:
            value = f"{now:,.0f}"
        delta, good = _delta(now, before, pct=pct, lower_is_better=lower, lang=lang)
        tiles.append(Tile(key, t(key, lang), value, delta, good))
    return tiles
