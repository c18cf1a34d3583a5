"""What the region brief shows beyond the page's panels: the exit checks of every flagged
county or village under the region, with the checks they fail most often.

The list is :func:`battlemap.views.exit_status.exit_status` (the wall's, the same
``exit_report`` the ``exit-report`` command prints); the per-check tally is counted here from
the same report, so the brief's "12 个村未达到出列标准，主要原因……" agrees with both.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from battlemap.geodata.access import ScopedStore
from battlemap.layers.exitchecks import check_label
from battlemap.views.exit_report import exit_report
from battlemap.views.exit_status import ExitStatus, exit_status

__all__ = ["ExitOverview", "exit_overview"]


@dataclass(frozen=True)
class ExitOverview:
    """Flagged counties (under a province or city) or villages (under a county and below):
    the status with every failing region and its reasons, and how many regions fail each
    check (check label in the language, count), most frequent first."""

    status: ExitStatus
    failed_checks: tuple[tuple[str, int], ...]


def exit_overview(access: ScopedStore, code: str, year: int, *, lang: str = "zh") -> ExitOverview:
    """The exit overview of ``code`` in ``year`` (scope checked by ``exit_status``)."""
    status = exit_status(access, code, year, lang=lang)
    tally: Counter[str] = Counter()
    if status.failing:
        info = access.region(code)
        for assessed in exit_report(access.store, info.code, year, status.level):
            for check in assessed.checks:
                if check.status == "fail":
                    tally[check_label(check.as_dict(), lang)] += 1
    ranked = sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))
    return ExitOverview(status=status, failed_checks=tuple(ranked))
