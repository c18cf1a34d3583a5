"""County paces: each county's own incidence path and exit year (摘帽 batch).

Poverty counties leave in batches (Guizhou: 1, 14, 18, 24 and the last 9 in 2020), the
poorest last: a county stays above the exit threshold until its batch year, falls below it
that year and declines to zero by 2020. Within those bounds one number per year (how far
counties still above the threshold come down, and how far exited ones go on falling) is
solved so that the province follows the configured trajectory exactly.
"""

from __future__ import annotations

import numpy as np

from battlemap.geodata.schema import YEARS
from battlemap.geodata.synthetic.subdivide import allocate

__all__ = ["county_exit_years", "county_paths"]


def county_exit_years(
    incidence: np.ndarray,
    flagged: np.ndarray,
    batches: dict[int, int],
    threshold: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """The year each county first falls below ``threshold`` (a fraction).

    Flagged counties fill the batches in order of 2014 incidence with some noise (the
    poorest last); the others, never poverty counties, go below by 2015–2017.
    """
    n = len(incidence)
    out = np.full(n, YEARS[0], dtype=np.int16)
    idx = np.nonzero(flagged)[0]
    if len(idx):
        years = np.asarray(sorted(batches))
        sizes = allocate(len(idx), np.asarray([batches[y] for y in years], float), 0)
        key = np.argsort(np.argsort(incidence[idx])) + rng.normal(0, 0.12 * len(idx), len(idx))
        out[idx[np.argsort(key)]] = np.repeat(years, sizes)
    rest = np.nonzero(~flagged & (incidence >= threshold))[0]
    if len(rest):
        rank = np.argsort(np.argsort(incidence[rest] + rng.normal(0, 0.01, len(rest))))
        out[rest] = YEARS[1] + (3 * rank // len(rest)).astype(np.int16)
    return out


def _solve(f, target: float) -> float:
    """α in [0, 1] with f(α) ≈ target for f increasing in α (clipped at the ends)."""
    lo, hi = 0.0, 1.0
    if f(lo) >= target:
        return lo
    if f(hi) <= target:
        return hi
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < target else (lo, mid)
    return (lo + hi) / 2


def county_paths(
    incidence: np.ndarray,
    population: np.ndarray,
    exit_year: np.ndarray,
    trajectory: dict[int, float],
    threshold: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Incidence (fraction) per county (rows) and year (columns, YEARS order).

    ``incidence`` is the 2014 incidence, ``population`` rural persons per county and year.
    Before its exit year a county stays at or above ``high`` (a little above the threshold),
    from it on at or below ``low``; 2020 is zero everywhere.
    """
    n = len(incidence)
    high = threshold * rng.uniform(1.12, 1.6, n)
    low = threshold * rng.uniform(0.35, 0.85, n)
    speed = rng.lognormal(0.0, 0.45, n)  # >1: falls early within its band, <1: late
    path = np.zeros((n, len(YEARS)))
    path[:, 0] = incidence
    for k, year in enumerate(YEARS[1:], start=1):
        prev = path[:, k - 1]
        before = year < exit_year
        floor = np.minimum(high, prev)
        cap = np.minimum(low, prev)
        if year == YEARS[-1]:
            break

        def at(alpha: float, prev=prev, before=before, floor=floor, cap=cap) -> np.ndarray:
            pre = floor + (prev - floor) * alpha**speed
            post = cap * alpha**0.7
            return np.where(before, pre, post)

        want = trajectory[year] / 100 * population[:, k].sum()
        alpha = _solve(lambda a, at=at, k=k: float(at(a) @ population[:, k]), want)
        path[:, k] = at(alpha)
    return path
