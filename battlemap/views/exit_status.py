"""Exit checks across a region, for the wall: how many poverty counties (or villages) pass,
and which fail with their reasons (不达标原因).

Under a province or prefecture the flagged counties (贫困县摘帽) are assessed, under a
county, township or village the flagged villages (贫困村出列): the same
:func:`battlemap.views.exit_report.exit_report` the ``exit-report`` command and the
page's exit-check table use, so the wall cannot disagree with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from battlemap.geodata.access import ScopedStore
from battlemap.i18n import t
from battlemap.layers.exitchecks import check_label, check_reason
from battlemap.layers.kpi import Tile
from battlemap.views.exit_report import exit_report
from battlemap.views.panel import PanelView

__all__ = ["ExitStatus", "exit_status", "failing_panel", "passing_tile"]

COUNTY, VILLAGE = 3, 5


@dataclass(frozen=True)
class Failing:
    """One flagged region failing its exit checks: code, name and the reasons (in ``lang``)."""

    code: str
    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ExitStatus:
    """Flagged regions of one level under a region in a year: how many, how many pass, and
    the failing ones (most failing checks first, then by code)."""

    level: int
    total: int
    passing: int
    failing: tuple[Failing, ...]


def exit_status(access: ScopedStore, code: str, year: int, *, lang: str = "zh") -> ExitStatus:
    """Exit checks of the flagged counties (under a province or prefecture) or villages."""
    info = access.region(code)
    level = COUNTY if info.level < COUNTY else VILLAGE
    report = exit_report(access.store, info.code, year, level)
    failing = []
    for a in report:
        failed = [c for c in a.checks if c.status == "fail"]
        if failed:
            reasons = tuple(
                check_reason(c.as_dict(), lang) or check_label(c.as_dict(), lang) for c in failed
            )
            failing.append((len(failed), a.code, Failing(a.code, a.name, reasons)))
    failing.sort(key=lambda item: (-item[0], item[1]))
    return ExitStatus(
        level=level,
        total=len(report),
        passing=sum(a.passed for a in report),
        failing=tuple(f for _, _, f in failing),
    )


def passing_tile(now: ExitStatus, before: ExitStatus | None, *, lang: str = "zh") -> Tile:
    """``贫困县达标 12 / 66`` with the change in passing regions vs last year."""
    key = "kpi_counties_passing" if now.level == COUNTY else "kpi_villages_passing"
    label = t(key, lang)
    if now.total == 0:
        return Tile(key, label, "—", "", None)
    delta, good = "", None
    if before is not None and before.total:
        change = now.passing - before.passing
        arrow = "▲" if change > 0 else "▼"
        delta = f"{t('vs_last_year', lang)} " + (f"{arrow}{abs(change):,}" if change else "0")
        good = None if change == 0 else change > 0
    return Tile(key, label, f"{now.passing:,} / {now.total:,}", delta, good)


def failing_panel(status: ExitStatus, *, lang: str = "zh", limit: int = 8) -> PanelView:
    """The failing regions with their reasons as a panel (``rows``: name, reasons)."""
    rows = [
        {"code": f.code, "name": f.name, "reasons": "；".join(f.reasons)}
        for f in status.failing[:limit]
    ]
    if status.total == 0:
        note = t("no_flagged", lang)
    else:
        note = t("exit_failing_count", lang).format(failing=len(status.failing), total=status.total)
    return PanelView(
        panel="exit_failing",
        title=t("exit_failing", lang),
        rows=rows,
        columns=[
            {"name": t("name", lang), "id": "name"},
            {"name": t("exit_reasons", lang), "id": "reasons"},
        ],
        note=note,
        data={
            "level": status.level,
            "total": status.total,
            "passing": status.passing,
            "failing": [f.code for f in status.failing],
        },
    )
