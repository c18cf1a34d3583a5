"""The indicators a map can be coloured by: label, unit, colour scale, value from counts.

Values come from the same additive counts as ``battlemap stats`` through the functions of
:mod:`battlemap.indicators.incidence`, so a map value equals the CLI's number exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from battlemap.i18n import t
from battlemap.indicators.incidence import exit_progress_pct, incidence_pct

__all__ = [
    "DEFAULT_INDICATOR",
    "INDICATORS",
    "Indicator",
    "available_indicators",
    "format_value",
    "warning_total",
]

# Listed with the metric names when the store holds the cadre tables (issue 15).
CADRE_DATA = "cadre_tables"
# Names of issue 4's warning metrics (households per category); summed for the map.
WARNING_PREFIX = "warning_households_"


def warning_total(counts: Mapping[str, int]) -> int | None:
    """Households in any early-warning category (None when the store has no such metric)."""
    names = [k for k in counts if k.startswith(WARNING_PREFIX)]
    if not names:
        return None
    return sum(int(counts[k]) for k in names)


@dataclass(frozen=True)
class Indicator:
    """One colourable indicator. ``value`` maps a region's counts to a number or None."""

    key: str
    label: tuple[str, str]
    unit: tuple[str, str]
    colorscale: str
    digits: int
    value: Callable[[Mapping[str, int]], float | int | None]
    needs: tuple[str, ...] = ()
    source: str = "counts"  # "counts" or "relocations" (from the flow table)

    def title(self, lang: str) -> str:
        """``贫困发生率 (%)``: label with unit, for legends and axes."""
        i = 1 if lang == "en" else 0
        return f"{self.label[i]} ({self.unit[i]})"

    def name(self, lang: str) -> str:
        return self.label[1 if lang == "en" else 0]


INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        Indicator(
            "incidence",
            ("贫困发生率", "Poverty incidence"),
            ("%", "%"),
            "Reds",
            2,
            incidence_pct,
            ("poor_persons", "rural_population"),
        ),
        Indicator(
            "poor_persons",
            ("贫困人口", "Poor persons"),
            ("人", "persons"),
            "OrRd",
            0,
            lambda c: c["poor_persons"],
            ("poor_persons",),
        ),
        Indicator(
            "exit_progress",
            ("脱贫进度", "Exit progress"),
            ("%", "%"),
            "Greens",
            2,
            exit_progress_pct,
            ("exited_persons", "registered_persons"),
        ),
        Indicator(
            "wrong_exits",
            ("错退户", "Wrong exits"),
            ("户", "households"),
            "Purples",
            0,
            lambda c: c["wrong_exit_households"],
            ("wrong_exit_households",),
        ),
        Indicator(
            "warnings",
            ("返贫预警户", "Households at risk"),
            ("户", "households"),
            "YlOrBr",
            0,
            warning_total,
            (WARNING_PREFIX,),
        ),
        Indicator(
            "relocations",
            ("累计搬迁人口", "Persons relocated (cumulative)"),
            ("人", "persons"),
            "Blues",
            0,
            lambda c: c.get("relocated_persons"),
            source="relocations",
        ),
        # issue 15: from the cadre tables (views/cadres.py cadre_unit_values)
        Indicator(
            "no_helper",
            ("无帮扶责任人的贫困户", "Poor households without a helper"),
            ("户", "households"),
            "Oranges",
            0,
            lambda c: c.get("poor_households_without_helper"),
            (CADRE_DATA,),
            source="cadres",
        ),
        Indicator(
            "not_visited",
            ("超期未走访的贫困户", "Poor households not visited lately"),
            ("户", "households"),
            "YlOrRd",
            0,
            lambda c: c.get("households_not_visited"),
            (CADRE_DATA,),
            source="cadres",
        ),
        Indicator(
            "cadre_score",
            ("帮扶干部平均记工分（县及以下）", "Cadres' mean score (county and below)"),
            ("分", "points"),
            "Blues",
            1,
            lambda c: c.get("score"),
            (CADRE_DATA,),
            source="cadres",
        ),
    )
}
DEFAULT_INDICATOR = "incidence"

# payment rate / idle funds / fund anomalies (issue 14), values from the funds source
from battlemap.layers.funds_catalog import FUNDS_INDICATORS  # noqa: E402

INDICATORS.update(FUNDS_INDICATORS)


def available_indicators(metric_names: Iterable[str]) -> list[str]:
    """Indicator keys whose metrics the store provides (prefix needs match any name)."""
    names = list(metric_names)

    def has(need: str) -> bool:
        return any(n.startswith(need) for n in names) if need.endswith("_") else need in names

    return [k for k, i in INDICATORS.items() if all(has(n) for n in i.needs)]


def format_value(value: float | int | None, indicator: Indicator, lang: str = "zh") -> str:
    """``12.35%`` / ``1,234 人``; ``—`` for a missing value."""
    if value is None:
        return t("no_data", lang)
    unit = indicator.unit[1 if lang == "en" else 0]
    if unit == "%":
        return f"{value:,.{indicator.digits}f}%"
    return f"{value:,.{indicator.digits}f} {unit}"
