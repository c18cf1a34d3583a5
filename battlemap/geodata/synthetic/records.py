"""Yearly household records: status, a continuous income process and the guarantees.

Income is followed as ``z = log(income per capita / line)`` per household and year. A poor
household starts below the line, the further the longer it has to go, and climbs towards it
year by year; in its exit year income lands either clearly above the line or, for the
marginal exits, around ``exit_income_log_mean``: a few of those fall just below the line
(near-miss exits, the wrong exits). Some households cross the line a year before they are
marked exited (ready to exit). After exit income keeps growing with noise. A return to
poverty is a shock that drops income below the line; most are preceded by a warning sign the
year before (income falling towards the line), the rest hit without one.

Each guarantee (safe housing, schooling, medical and pension insurance, water, electricity)
is met from a fixed-by year on, no later than the exit for the vetoes, so guarantees improve
with time and with exit.
"""

from __future__ import annotations

import numpy as np

from battlemap.geodata.metrics import STATUS_CODES
from battlemap.geodata.schema import STATUS_EXITED, STATUS_POOR, STATUS_RETURNED, YEARS
from battlemap.geodata.synthetic.config import INCOME_LINES, GeneratorConfig
from battlemap.geodata.synthetic.households import LAST, NO_YEAR, HouseholdDraw, poor_mask

__all__ = ["household_years", "income_paths", "status_matrix"]

_K = len(YEARS)
_Y0 = YEARS[0]
# share meeting each guarantee when registered: fixed later, vetoes by the exit year
_MET_AT_START = {
    "housing_safe": 0.45,
    "no_dropout": 0.88,
    "medical_insured": 0.84,
    "pension_insured": 0.62,
    "water_safe": 0.6,
    "electricity": 0.92,
}
_LAGGING_FLAGS = ("pension_insured", "water_safe")  # may follow a year after the exit


def status_matrix(d: HouseholdDraw) -> np.ndarray:
    """Status code per household and year (-1 before registration)."""
    returns = (d.return_year, d.reexit_year, d.return2_year, d.reexit2_year)
    out = np.full((len(d.size), _K), -1, dtype=np.int8)
    for k, year in enumerate(YEARS):
        registered = d.registered_year <= year
        poor = poor_mask(year, d.registered_year, d.exit_year, returns)
        status = np.where(
            poor,
            np.where(year < d.exit_year, STATUS_CODES[STATUS_POOR], STATUS_CODES[STATUS_RETURNED]),
            STATUS_CODES[STATUS_EXITED],
        )
        out[:, k] = np.where(registered, status, -1)
    return out


def _exit_level(n: int, config: GeneratorConfig, rng: np.random.Generator) -> np.ndarray:
    """Exit-year log(income / line): marginal exits around the line (some just below: the
    near-miss wrong exits), the others clearly above it (1.25–2 × the line)."""
    marginal = rng.normal(config.exit_income_log_mean, config.exit_income_log_sd, n)
    clear = np.log(rng.uniform(1.25, 2.0, n))
    return np.where(rng.random(n) < config.marginal_exit_share, marginal, clear)


def _climb(
    z: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    z_to: np.ndarray,
    step: np.ndarray,
    noise: np.ndarray,
) -> None:
    """Fill years start ≤ y < end: ``step`` below ``z_to`` per year still to go (those far
    from their exit start deep below the line), with yearly noise."""
    for k, year in enumerate(YEARS):
        rows = (start <= year) & (year < end)
        z[rows, k] = np.maximum(
            z_to[rows] - step[rows] * (end[rows] - year) + noise[rows, k], np.log(0.3)
        )


def _grow(
    z: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    level: np.ndarray,
    top: np.ndarray,
    noise: np.ndarray,
) -> None:
    """From ``start`` (exit year, at ``level``) grow towards ``top`` in 2020, until ``end``."""
    for k, year in enumerate(YEARS):
        rows = (start <= year) & (year < end)
        if not rows.any():
            continue
        span = np.maximum(LAST - start[rows], 1)
        t = (year - start[rows]) / span
        value = level[rows] + (top[rows] - level[rows]) * (1 - (1 - t) ** 2)  # fast at first
        after = year > start[rows]
        z[rows, k] = np.where(after, np.maximum(value + noise[rows, k], 0.01), level[rows])


def income_paths(d: HouseholdDraw, config: GeneratorConfig, rng: np.random.Generator):
    """``z`` = log(income / line) per household and year (NaN before registration), and the
    exit-year levels (first exit, first and second re-exit) that decide near-miss exits."""
    n = len(d.size)
    z = np.full((n, _K), np.nan)
    levels = [_exit_level(n, config, rng) for _ in range(3)]
    # the 2020 level of exited households: mean ≈ 2.7 × the line (as reported nationally)
    top = np.log(1.2 + rng.gamma(3.0, 0.5, n))
    top = np.maximum(top, levels[0] + 0.05)
    noise = rng.normal(0, 0.06, (n, _K))
    # poor years climb towards the line (a few cross it early); clear exits jump at the exit
    approach = np.minimum(levels[0], rng.normal(0.0, 0.08, n))
    step = rng.uniform(0.05, 0.2, n)
    _climb(z, d.registered_year.astype(np.int64), d.exit_year, approach, step, noise)
    exit_year = d.exit_year.astype(np.int64)
    r1, x1 = d.return_year.astype(np.int64), d.reexit_year.astype(np.int64)
    r2, x2 = d.return2_year.astype(np.int64), d.reexit2_year.astype(np.int64)
    _grow(z, exit_year, np.minimum(r1, LAST + 1), levels[0], top, noise)
    # returns: a shock takes income below the line until the household exits again
    no_more = np.full(n, LAST + 1)
    for r, x, level, nxt in ((r1, x1, levels[1], r2), (r2, x2, levels[2], no_more)):
        low = np.log(rng.uniform(0.5, 0.93, n))
        for k, year in enumerate(YEARS):
            rows = (r <= year) & (year < x)
            z[rows, k] = low[rows] + 0.5 * noise[rows, k]
        _grow(z, x, np.minimum(nxt, LAST + 1), level, top, noise)
        # the warning sign the year before: income sinks to within 1.45 × the line
        sign = np.log(rng.uniform(1.03, 1.42, n))
        rows = d.warned_return & (r < NO_YEAR) & (r - 1 >= d.registered_year)
        k = (r[rows] - 1 - _Y0).astype(np.int64)
        idx = np.nonzero(rows)[0]
        z[idx, k] = np.minimum(z[idx, k], sign[idx])
    return z, levels


def _fixed_years(
    d: HouseholdDraw, config: GeneratorConfig, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Year from which each guarantee is met (≤ registration year: met throughout)."""
    n = len(d.size)
    registered = d.registered_year.astype(np.int64)
    exit_year = d.exit_year.astype(np.int64)
    out = {}
    for name, p in _MET_AT_START.items():
        met = rng.random(n) < np.clip(p - 0.08 * d.lag, 0.05, 0.99)
        last = np.minimum(exit_year + 1, LAST) if name in _LAGGING_FLAGS else exit_year
        span = np.maximum(last - registered, 1)
        fix = registered + 1 + np.floor(rng.random(n) ** 1.3 * span).astype(np.int64)
        out[name] = np.where(met, registered, np.minimum(fix, last))
    relocated = d.relocation_year < NO_YEAR
    moved_in = d.relocation_year.astype(np.int64)
    out["housing_safe"] = np.where(
        relocated, np.minimum(out["housing_safe"], moved_in), out["housing_safe"]
    )
    # near misses: housing work finished only the year after the exit (错退 that year)
    late = (out["housing_safe"] > registered) & (rng.random(n) < 2 * config.veto_near_miss_share)
    out["housing_safe"] = np.where(late, exit_year + 1, out["housing_safe"])
    return out


def household_years(
    d: HouseholdDraw, config: GeneratorConfig, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """One row per household and year from registration to 2020 (hh index, year, status …)."""
    status = status_matrix(d)
    z, _ = income_paths(d, config, rng)
    fixed = _fixed_years(d, config, rng)
    first = d.registered_year.astype(np.int64)
    counts = LAST - first + 1
    hh = np.repeat(np.arange(len(first)), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    year = (first[hh] + np.arange(len(hh)) - start).astype(np.int16)
    k = year - _Y0
    line = np.asarray([INCOME_LINES[y] for y in YEARS], dtype=float)[k]
    out = {
        "hh": hh,
        "year": year,
        "status": status[hh, k],
        "income_per_capita": np.round(line * np.exp(z[hh, k])),
    }
    for name, since in fixed.items():
        out[name] = year >= since[hh]
    out["relocated"] = year >= d.relocation_year[hh]
    return out
