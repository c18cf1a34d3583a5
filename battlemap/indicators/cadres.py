"""Cadre indicators (issue 15): coverage, visits, check-in distance, impossible travel, 记工分.

Pure functions on arrays: households, cadres and visits are integer indices (an engine maps
its IDs to them), dates are day numbers since 1970-01-01 (−1 = open end). Everything is
counted on one day, 31 December of the year (:func:`year_end_day`), under the ``[cadres]``
rules (:class:`~battlemap.indicators.cadre_rules.CadreRules`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from battlemap.indicators.cadre_rules import CadreRules

__all__ = [
    "CADRE_COUNT_NAMES",
    "REASONS",
    "VisitChecks",
    "active_on",
    "covered",
    "day_iso",
    "haversine_m",
    "helper_loads",
    "last_visit",
    "score",
    "visit_checks",
    "year_end_day",
    "year_start_day",
]

# The ``cadres`` object of ``battlemap stats``, in order.
CADRE_COUNT_NAMES: tuple[str, ...] = (
    "cadres",
    "poor_households",
    "poor_households_without_helper",
    "helpers_over_limit",
    "households_not_visited",
    "visits_in_year",
    "far_checkins_in_year",
)
# Problem kinds and the reason shown for them (不达标原因 of a cadre or household).
REASONS: dict[str, str] = {
    "without_helper": "无帮扶责任人",
    "not_visited": "超期未走访",
    "helper_over_limit": "帮扶户数超限",
    "far_checkin": "未真正入户（签到点远离农户）",
    "impossible_travel": "轨迹异常（同日相距过远）",
}
_EPOCH = dt.date(1970, 1, 1)
EARTH_RADIUS_M = 6_371_008.8


def year_start_day(year: int) -> int:
    """Day number of 1 January ``year``."""
    return (dt.date(int(year), 1, 1) - _EPOCH).days


def year_end_day(year: int) -> int:
    """Day number of 31 December ``year`` (the day every cadre count is taken on)."""
    return (dt.date(int(year), 12, 31) - _EPOCH).days


def day_iso(day: int) -> str | None:
    """``YYYY-MM-DD`` of a day number; None for −1 (open)."""
    return None if day < 0 else (_EPOCH + dt.timedelta(days=int(day))).isoformat()


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (spherical Earth, mean radius)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def active_on(start: np.ndarray, end: np.ndarray, day: int) -> np.ndarray:
    """Rows whose [start, end] covers ``day`` (end −1 = open)."""
    return (start <= day) & ((end < 0) | (end >= day))


def covered(n: int, hh: np.ndarray, start: np.ndarray, end: np.ndarray, day: int) -> np.ndarray:
    """Per household index < n: has an assignment covering ``day``."""
    out = np.zeros(n, dtype=bool)
    out[hh[active_on(start, end, day)]] = True
    return out


def helper_of(
    n: int, hh: np.ndarray, cadre: np.ndarray, start: np.ndarray, end: np.ndarray, day: int
) -> np.ndarray:
    """Per household index < n: the cadre index assigned on ``day`` (−1 none; the one
    that started last when rows overlap)."""
    out = np.full(n, -1, dtype=np.int64)
    rows = np.nonzero(active_on(start, end, day))[0]
    rows = rows[np.argsort(start[rows], kind="stable")]
    out[hh[rows]] = cadre[rows]
    return out


def helper_loads(
    n_cadres: int, cadre: np.ndarray, start: np.ndarray, end: np.ndarray, day: int
) -> np.ndarray:
    """Households each cadre carries on ``day`` (assignments covering it)."""
    return np.bincount(cadre[active_on(start, end, day)], minlength=n_cadres)


def last_visit(n: int, hh: np.ndarray, day_of_visit: np.ndarray, day: int) -> np.ndarray:
    """Per household index < n: the day of its last visit on or before ``day`` (−1 none)."""
    out = np.full(n, -1, dtype=np.int64)
    keep = day_of_visit <= day
    np.maximum.at(out, hh[keep], day_of_visit[keep])
    return out


def not_visited(last: np.ndarray, day: int, rules: CadreRules) -> np.ndarray:
    """No visit in the ``not_visited_days`` days up to and including ``day``."""
    return last <= day - rules.not_visited_days


@dataclass
class VisitChecks:
    """Per visit: check-in distance to the household (m), far flag, impossible-travel flag
    and the greatest distance (km) from the cadre's first check-in of that day."""

    distance_m: np.ndarray
    far: np.ndarray
    travel_km: np.ndarray
    impossible: np.ndarray


def visit_checks(
    visit_id: np.ndarray,
    cadre: np.ndarray,
    day: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    hh_lon: np.ndarray,
    hh_lat: np.ndarray,
    rules: CadreRules,
) -> VisitChecks:
    """Far check-ins (未真正入户: farther than ``far_checkin_m`` from the household's
    point) and impossible travel (a check-in more than ``impossible_travel_km`` from the
    same cadre's first check-in, by visit_id, of the same day)."""
    distance = haversine_m(lon, lat, hh_lon, hh_lat)
    far = distance > rules.far_checkin_m
    n = len(visit_id)
    travel = np.zeros(n)
    if n:
        order = _by_cadre_day(visit_id, cadre, day)
        c, d = cadre[order], day[order]
        first = np.ones(n, dtype=bool)
        first[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1])
        starts = np.flatnonzero(first)
        sizes = np.diff(np.append(starts, n))
        group = np.repeat(np.arange(len(starts)), sizes)
        several = sizes[group] > 1  # a lone visit of a day travels nowhere
        head = starts[group][several]
        rows = order[several]
        km = np.zeros(n)
        km[several] = haversine_m(lon[order][head], lat[order][head], lon[rows], lat[rows]) / 1000
        # each visit of a (cadre, day) group carries the group's greatest distance
        travel[order] = np.maximum.reduceat(km, starts)[group]
    return VisitChecks(distance, far, travel, travel > rules.impossible_travel_km)


def _by_cadre_day(visit_id: np.ndarray, cadre: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Order of the visits by cadre, day, then visit_id (one stable integer sort when the
    visits come ordered by visit_id, as the stores give them)."""
    if len(day) and (np.diff(visit_id) > 0).all() and cadre.min() >= 0:
        span = int(day.max() - day.min()) + 1
        key = cadre.astype(np.int64) * span + (day - day.min())
        return np.argsort(key, kind="stable")
    return np.lexsort((visit_id, day, cadre))


def score(
    kind_points: np.ndarray,
    far: np.ndarray,
    impossible_days: np.ndarray,
    not_visited_households: np.ndarray,
    exited_households: np.ndarray,
    rules: CadreRules,
) -> np.ndarray:
    """记工分 per cadre: points of its visits (a far check-in earns none: ``kind_points``
    already zeroed for them is summed by the caller), plus exits, minus penalties."""
    w = rules.score
    return np.round(
        kind_points
        + w.exited_household * exited_households
        - w.far_checkin * far
        - w.impossible_travel * impossible_days
        - w.not_visited_household * not_visited_households,
        2,
    )
