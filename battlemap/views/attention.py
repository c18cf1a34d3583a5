"""The regions that most need attention under a region, for the wall's auto-tour.

Three lists, merged in turn (one of each, then the next of each …) without repeats until
K regions: the highest poverty incidence, the most early-warning households, and the
poverty counties (or villages under a county) failing their exit checks (most failing
checks first). Candidates are the counties under a province or prefecture, else the
children of the region. Numbers come from the store's counts and the exit report, the
same functions the page's tiles, ranking and exit-check table use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.codes import code_prefix
from battlemap.indicators.incidence import incidence_pct
from battlemap.layers.catalog import warning_total
from battlemap.views.exit_report import exit_report

__all__ = ["Attention", "attention_regions", "candidate_codes"]

COUNTY = 3
REASONS = ("incidence", "warnings", "exit_checks")


@dataclass(frozen=True)
class Attention:
    """One region on the attention list and why (``incidence``, ``warnings``,
    ``exit_checks``) with the value that put it there."""

    code: str
    reason: str
    value: float


def candidate_codes(access: ScopedStore, home: str) -> list[str]:
    """Counties under a province or prefecture; the children of anything lower."""
    info = access.region(home)
    if info.level < COUNTY:
        prefix = code_prefix(info.code)
        return sorted(c for c in access.store.regions.level_codes(COUNTY) if c.startswith(prefix))
    return [c.code for c in access.children(info.code)]


def _top(values: Mapping[str, float | int | None]) -> list[tuple[str, float]]:
    """Codes by value, largest first (ties by code); zero and missing values left out."""
    kept = [(c, float(v)) for c, v in values.items() if v]
    return sorted(kept, key=lambda cv: (-cv[1], cv[0]))


def _failing(access: ScopedStore, home: str, year: int, level: int) -> list[tuple[str, float]]:
    if level not in (3, 5):
        return []
    report = exit_report(access.store, access.region(home).code, year, level)
    failing = [(a.code, float(sum(c.status == "fail" for c in a.checks))) for a in report]
    return _top(dict(failing))


def attention_regions(access: ScopedStore, home: str, year: int, k: int) -> list[Attention]:
    """Up to ``k`` regions under ``home`` that most need attention in ``year``."""
    info = access.region(home)
    codes = candidate_codes(access, info.code)
    if not codes or k <= 0:
        return []
    counts = access.store.counts_many(codes, year)
    level = access.store.region(codes[0]).level
    lists = {
        "incidence": _top({c: incidence_pct(n) for c, n in counts.items()}),
        "warnings": _top({c: warning_total(n) for c, n in counts.items()}),
        "exit_checks": _failing(access, info.code, year, level),
    }
    chosen: list[Attention] = []
    seen: set[str] = set()
    position = {reason: 0 for reason in REASONS}
    while len(chosen) < k and any(position[r] < len(lists[r]) for r in REASONS):
        for reason in REASONS:
            ranked = lists[reason]
            while position[reason] < len(ranked) and ranked[position[reason]][0] in seen:
                position[reason] += 1
            if position[reason] < len(ranked) and len(chosen) < k:
                code, value = ranked[position[reason]]
                chosen.append(Attention(code, reason, value))
                seen.add(code)
                position[reason] += 1
    return chosen
