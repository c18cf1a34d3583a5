"""Exit assessment of regions from a store: village (贫困村出列) and county (贫困县摘帽).

:func:`assess_region` gives one county's or village's checks and failing reasons;
:func:`exit_report` lists every county or village under a region (the ``exit-report``
command and the exit-check table). Counts come from the store in one query per level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from battlemap.geodata.codes import LEVEL_NAMES, code_prefix
from battlemap.geodata.errors import BattlemapError
from battlemap.geodata.regions import RegionInfo
from battlemap.geodata.store import Counts, CountyAssessment, RegionStats, Store
from battlemap.indicators.exit_checks import (
    CHECK_LABELS,
    COUNTY_STANDARD,
    PASS,
    VILLAGE_STANDARD,
    ExitCheck,
    county_exit_checks,
    overall_status,
    village_exit_checks,
)
from battlemap.indicators.rules import ExitRules

__all__ = [
    "ASSESSED_LEVELS",
    "ExitAssessment",
    "assess_region",
    "exit_report",
    "report_columns",
    "report_rows",
]

COUNTY, VILLAGE = 3, 5
ASSESSED_LEVELS: dict[int, str] = {COUNTY: COUNTY_STANDARD, VILLAGE: VILLAGE_STANDARD}


@dataclass(frozen=True)
class ExitAssessment:
    """A county's or village's exit checks in one year and the overall verdict."""

    code: str
    name: str
    level: int
    zone: str
    year: int
    standard: str
    poverty_flag: bool
    checks: tuple[ExitCheck, ...]

    @property
    def status(self) -> str:
        """``pass``, ``fail`` (a check fails) or ``no_data`` (none fails, some lack data)."""
        return overall_status(self.checks)

    @property
    def passed(self) -> bool:
        """True only when every check passes (no data is not a pass)."""
        return self.status == PASS

    @property
    def reasons(self) -> list[str]:
        """不达标原因: one line per failing check or check without data."""
        return [c.reason for c in self.checks if c.reason]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "level": LEVEL_NAMES[self.level],
            "zone": self.zone,
            "year": self.year,
            "standard": self.standard,
            "poverty_flag": self.poverty_flag,
            "status": self.status,
            "passed": self.passed,
            "reasons": self.reasons,
            "checks": [c.as_dict() for c in self.checks],
        }


def _assess(
    info: RegionInfo,
    year: int,
    counts: Counts,
    assessment: CountyAssessment | None,
    rules: ExitRules,
) -> ExitAssessment:
    if info.level == COUNTY:
        checks = county_exit_checks(counts, info.zone, assessment, rules, year=year)
    else:
        checks = village_exit_checks(counts, info.zone, rules)
    return ExitAssessment(
        info.code,
        info.name,
        info.level,
        info.zone,
        int(year),
        ASSESSED_LEVELS[info.level],
        info.poverty_flag,
        checks,
    )


def assess_region(
    store: Store, code: str | int, year: int, *, stats: RegionStats | None = None
) -> ExitAssessment | None:
    """The exit checks of a flagged county (贫困县) or village (贫困村); None for other levels
    and for regions without ``poverty_flag`` (摘帽 and 出列 apply to flagged regions only).
    ``stats``: the region's :meth:`Store.region_stats` for ``year``, if already fetched."""
    info = store.region(code)
    if info.level not in ASSESSED_LEVELS or not info.poverty_flag:
        return None
    if stats is not None and (stats.code, stats.year) == (info.code, int(year)):
        counts, assessment = stats.counts, stats.assessment
        assessment = assessment if info.level == COUNTY else None
    else:
        counts = store.counts(info.code, year)
        assessment = store.assessment(info.code, year) if info.level == COUNTY else None
    return _assess(info, year, counts, assessment, store.rules)


def _default_level(level: int) -> int:
    return COUNTY if level < COUNTY else VILLAGE


def exit_report(
    store: Store,
    code: str | int,
    year: int,
    level: int | None = None,
    *,
    flagged_only: bool = True,
) -> list[ExitAssessment]:
    """Every flagged county (``level`` 3, 贫困县) or village (5, 贫困村) under a region, in
    code order; ``flagged_only=False`` also lists the regions without ``poverty_flag``.

    Default level: counties under a province or city, villages under a county, township
    or village (a county or village region at its own level lists itself).
    """
    info = store.region(code)
    level = _default_level(info.level) if level is None else int(level)
    if level not in ASSESSED_LEVELS:
        raise BattlemapError(f"exit reports are by county (3) or village (5), not level {level}")
    if level < info.level:
        raise BattlemapError(
            f"{info.name} ({info.code}) is a {LEVEL_NAMES[info.level]}: it has no "
            f"{LEVEL_NAMES[level]} under it"
        )
    year = store.check_year(year)
    prefix = code_prefix(info.code)
    codes = [
        c
        for c in store.regions.level_codes(level)
        if c.startswith(prefix) and (store.region(c).poverty_flag or not flagged_only)
    ]
    codes.sort()
    counts = store.counts_many(codes, year)
    assessments = store.assessments(codes, year) if level == COUNTY else {}
    return [
        _assess(store.region(c), year, counts[c], assessments.get(c), store.rules) for c in codes
    ]


def report_columns(level: int) -> list[str]:
    """Flat column names of :func:`report_rows` for a report by county or by village."""
    checks = ["incidence"] if level == VILLAGE else list(CHECK_LABELS)
    per_check = [f"{c}_{part}" for c in checks for part in ("value", "threshold", "status")]
    return [
        "code",
        "name",
        "level",
        "zone",
        "year",
        "standard",
        "poverty_flag",
        "status",
        "passed",
        *per_check,
        "reasons",
    ]


def report_rows(assessments: list[ExitAssessment]) -> list[dict[str, Any]]:
    """One flat dict per region (for CSV): verdict, each check's value/threshold/status,
    and the failing reasons joined with "；"."""
    rows = []
    for a in assessments:
        row: dict[str, Any] = {
            "code": a.code,
            "name": a.name,
            "level": LEVEL_NAMES[a.level],
            "zone": a.zone,
            "year": a.year,
            "standard": a.standard,
            "poverty_flag": a.poverty_flag,
            "status": a.status,
            "passed": a.passed,
        }
        for c in a.checks:
            row[f"{c.check}_value"] = c.value
            row[f"{c.check}_threshold"] = c.threshold
            row[f"{c.check}_status"] = c.status
        row["reasons"] = "；".join(a.reasons)
        rows.append(row)
    return rows
