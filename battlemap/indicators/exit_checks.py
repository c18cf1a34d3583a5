"""Village exit (贫困村出列) and county exit (贫困县摘帽) checks, with failing reasons.

Each check compares one percentage with its threshold from the exit rules and says, in plain
Chinese, why it fails (不达标原因), e.g. ``贫困发生率 3.4%，高于 3% 标准``. Comparisons are exact
(integer counts against the decimal threshold), so 2 % of the rural population poor fails a
"below 2 %" check even where floating point would round. A check without data has status
``no_data`` and ``passed`` None: it never passes silently, and the region does not pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Protocol

from battlemap.indicators.incidence import percent
from battlemap.indicators.rules import ExitRules

__all__ = [
    "CHECK_LABELS",
    "COUNTY_STANDARD",
    "NO_DATA",
    "VILLAGE_STANDARD",
    "ExitCheck",
    "county_exit_checks",
    "format_pct",
    "overall_status",
    "village_exit_checks",
    "wrong_exit_rate_pct",
    "zone_threshold",
]


class Assessment(Protocol):
    """A county's third-party assessment in a year (percent; None when not surveyed): the
    store's ``CountyAssessment`` or anything with these two fields."""

    @property
    def satisfaction_pct(self) -> float | None: ...

    @property
    def missed_registration_pct(self) -> float | None: ...


VILLAGE_STANDARD = "贫困村出列"
COUNTY_STANDARD = "贫困县摘帽"
PASS, FAIL, NO_DATA = "pass", "fail", "no_data"
CHECK_LABELS: dict[str, str] = {
    "incidence": "贫困发生率",
    "wrong_exit": "错退率",
    "missed_registration": "漏评率",
    "satisfaction": "群众认可度",
}


@dataclass(frozen=True)
class ExitCheck:
    """One check: value and threshold in percent, ``comparison`` ``<`` or ``>=``.

    ``status`` is ``pass``, ``fail`` or ``no_data``; ``reason`` explains a fail or the
    missing data (None when passing).
    """

    check: str
    label: str
    value: float | None
    threshold: float
    comparison: str
    status: str
    reason: str | None

    @property
    def passed(self) -> bool | None:
        """True/False; None when there is no data."""
        return None if self.status == NO_DATA else self.status == PASS

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: check, label, value, threshold, comparison, status, passed, reason."""
        return {**asdict(self), "passed": self.passed}


def _exact(value: float | int | Fraction) -> Fraction:
    """Exact rational of a number as written in decimal (0.1 → 1/10, not its binary float)."""
    if isinstance(value, Fraction | int):
        return Fraction(value)
    return Fraction(repr(float(value)))


def format_pct(value: float, threshold: float | None = None) -> str:
    """Percent text with up to 2 decimals, more when needed to tell it from the threshold.

    >>> format_pct(3.4), format_pct(3.0), format_pct(2.00004, 2)
    ('3.4%', '3%', '2.00004%')
    """
    for digits in (2, 3, 4, 5, 6):
        text = f"{round(value, digits):.{digits}f}".rstrip("0").rstrip(".")
        if threshold is None or value == threshold or _exact(text) != _exact(threshold):
            return f"{text}%"
    return f"{value}%"


def _make(
    check: str,
    value: Fraction | None,
    shown: float | None,
    threshold: float,
    comparison: str,
    no_data: str,
) -> ExitCheck:
    label = CHECK_LABELS[check]
    if value is None or shown is None:
        return ExitCheck(
            check, label, None, threshold, comparison, NO_DATA, f"{label}无数据：{no_data}"
        )
    limit = _exact(threshold)
    ok = value < limit if comparison == "<" else value >= limit
    if ok:
        return ExitCheck(check, label, shown, threshold, comparison, PASS, None)
    if comparison == "<":
        word = "高于" if value > limit else "等于"
        rule = f"须低于 {format_pct(threshold)}" if value == limit else ""
    else:
        word, rule = "低于", ""
    text = f"{label} {format_pct(float(value), threshold)}，{word} {format_pct(threshold)} 标准"
    return ExitCheck(
        check, label, shown, threshold, comparison, FAIL, f"{text}（{rule}）" if rule else text
    )


def _ratio_check(check: str, part: int, whole: int, threshold: float, no_data: str) -> ExitCheck:
    """``part / whole × 100 < threshold``, exactly; no data when ``whole`` is zero."""
    if whole <= 0:
        return _make(check, None, None, threshold, "<", no_data)
    return _make(check, Fraction(part * 100, whole), percent(part, whole), threshold, "<", no_data)


def _value_check(
    check: str, value: float | None, threshold: float, comparison: str, no_data: str
) -> ExitCheck:
    exact = None if value is None else _exact(value)
    return _make(check, exact, value, threshold, comparison, no_data)


def zone_threshold(by_zone: Mapping[str, float], zone: str | None) -> float:
    """The zone's threshold; for an unknown zone the strictest (lowest) one."""
    if zone in by_zone:
        return by_zone[zone]
    return min(by_zone.values())


def wrong_exit_rate_pct(counts: Mapping[str, int]) -> float | None:
    """错退率: persons marked 已脱贫 who fail the household exit assessment / exited × 100."""
    return percent(counts["wrong_exit_persons"], counts["exited_persons"])


def _incidence(counts: Mapping[str, int], threshold: float) -> ExitCheck:
    return _ratio_check(
        "incidence", counts["poor_persons"], counts["rural_population"], threshold, "农村人口为 0"
    )


def village_exit_checks(
    counts: Mapping[str, int], zone: str | None, rules: ExitRules
) -> tuple[ExitCheck, ...]:
    """贫困村出列: incidence below 2 % (3 % in the west zone, from the rules).

    >>> from battlemap.indicators.rules import default_rules
    >>> c = {"poor_persons": 34, "rural_population": 1000}
    >>> village_exit_checks(c, "west", default_rules())[0].reason
    '贫困发生率 3.4%，高于 3% 标准'
    """
    return (_incidence(counts, zone_threshold(rules.village.max_incidence_pct, zone)),)


def county_exit_checks(
    counts: Mapping[str, int],
    zone: str | None,
    assessment: Assessment | None,
    rules: ExitRules,
    *,
    year: int | None = None,
) -> tuple[ExitCheck, ...]:
    """贫困县摘帽: incidence, wrong-exit rate, missed-registration rate, satisfaction.

    ``assessment`` (satisfaction, missed registration) None, or a None field, gives a
    ``no_data`` check naming the year.
    """
    c = rules.county
    when = f" {year} 年" if year is not None else ""
    missing = f"缺少{when}第三方评估数据"
    sat = assessment.satisfaction_pct if assessment else None
    missed = assessment.missed_registration_pct if assessment else None
    return (
        _incidence(counts, zone_threshold(c.max_incidence_pct, zone)),
        _ratio_check(
            "wrong_exit",
            counts["wrong_exit_persons"],
            counts["exited_persons"],
            c.max_wrong_exit_pct,
            "当年无已脱贫人口",
        ),
        _value_check("missed_registration", missed, c.max_missed_registration_pct, "<", missing),
        _value_check("satisfaction", sat, c.min_satisfaction_pct, ">=", missing),
    )


def overall_status(checks: tuple[ExitCheck, ...] | list[ExitCheck]) -> str:
    """``fail`` if any check fails, else ``no_data`` if any lacks data, else ``pass``."""
    statuses = {check.status for check in checks}
    if FAIL in statuses:
        return FAIL
    if NO_DATA in statuses or not statuses:
        return NO_DATA
    return PASS
