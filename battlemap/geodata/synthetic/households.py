"""Synthetic registered households (建档立卡) and their yearly records.

Households are allocated to villages in proportion to expected poor persons, drawn inside
their village polygon, and given an exit year so that the province incidence follows the
configured trajectory (calibrated after drawing late registrations and returns to poverty).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from battlemap.geodata.metrics import STATUS_CODES
from battlemap.geodata.schema import (
    CAUSES,
    HH_TYPES,
    STATUS_EXITED,
    STATUS_POOR,
    STATUS_RETURNED,
    YEARS,
)
from battlemap.geodata.synthetic.config import INCOME_LINES, GeneratorConfig

__all__ = ["HouseholdDraw", "draw_households", "household_years"]

_SIZE_P = np.array([0.14, 0.24, 0.24, 0.20, 0.10, 0.05, 0.02, 0.01])
# primary cause shares: 因病 ≈ 42 %
_CAUSE_P = np.array([42, 6, 8, 3, 4, 2, 12, 8, 9, 2, 3, 1], dtype=float) / 100
_REG_YEARS = np.array([2014, 2015, 2016])
_REG_P = np.array([0.92, 0.05, 0.03])
NO_YEAR = 9999  # "never" for return / re-exit years


@dataclass
class HouseholdDraw:
    """Per-household arrays (index = household)."""

    village: np.ndarray  # index into the village table
    size: np.ndarray
    hh_type: np.ndarray  # index into HH_TYPES
    cause: np.ndarray  # index into CAUSES
    secondary: list[np.ndarray]  # 0–2 secondary cause indices, -1 = none
    registered_year: np.ndarray
    exit_year: np.ndarray
    return_year: np.ndarray
    reexit_year: np.ndarray
    wrong_exit: np.ndarray  # exited while failing a veto, in the exit year
    relocation_year: np.ndarray  # NO_YEAR = not relocated


def _exit_years(
    u: np.ndarray, pace: np.ndarray, remaining: dict[int, float], registered: np.ndarray
) -> np.ndarray:
    """First year whose remaining-share curve drops below ``u``; after registration."""
    exit_year = np.full(len(u), YEARS[-1], dtype=np.int16)
    for year in reversed(YEARS[1:]):
        r = remaining[year]
        curve = np.clip(r * (1 + 0.5 * pace * (1 - r)), 0, 1)
        exit_year = np.where(u >= curve, year, exit_year)
    return np.maximum(exit_year, registered + 1).astype(np.int16)


def _poor_persons_by_year(d: HouseholdDraw) -> np.ndarray:
    out = []
    for year in YEARS:
        poor = (d.registered_year <= year) & (
            (year < d.exit_year) | ((d.return_year <= year) & (year < d.reexit_year))
        )
        out.append(int(d.size[poor].sum()))
    return np.asarray(out, dtype=float)


def draw_households(
    villages: pd.DataFrame, config: GeneratorConfig, rng: np.random.Generator
) -> tuple[HouseholdDraw, np.ndarray]:
    """Households for every village, and the villages' 2014 rural population.

    ``villages`` has pop_weight, incidence, pace, dist_rel, county (see village_profiles).
    """
    n = config.households
    expected = (villages.pop_weight * villages.incidence).to_numpy()
    per_village = rng.multinomial(n, expected / expected.sum())
    village = np.repeat(np.arange(len(villages)), per_village)
    size = rng.choice(np.arange(1, 9), size=n, p=_SIZE_P).astype(np.int16)
    single = size == 1
    hh_type = np.where(
        single,
        rng.choice(3, size=n, p=[0.55, 0.30, 0.15]),
        rng.choice(3, size=n, p=[0.82, 0.17, 0.01]),
    ).astype(np.int8)
    # per-county cause mix around the province mix
    counties, county_of = np.unique(villages.county.to_numpy()[village], return_inverse=True)
    mix = rng.dirichlet(_CAUSE_P * 300, size=len(counties))
    cum = np.cumsum(mix, axis=1)[county_of]
    cause = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, len(CAUSES) - 1).astype(np.int8)
    n_secondary = rng.choice(3, size=n, p=[0.4, 0.4, 0.2])
    off1 = rng.integers(1, len(CAUSES), n)
    off2 = (off1 + rng.integers(1, len(CAUSES) - 1, n) - 1) % (len(CAUSES) - 1) + 1
    secondary = [
        np.where(n_secondary >= 1, (cause + off1) % len(CAUSES), -1),
        np.where(n_secondary >= 2, (cause + off2) % len(CAUSES), -1),
    ]
    registered = rng.choice(_REG_YEARS, size=n, p=_REG_P).astype(np.int16)

    # returns to poverty: some households exited by 2018 fall back for a year or two
    returns = rng.random(n) < config.returned_share
    return_lag = 1 + (rng.random(n) < 0.3)
    u = rng.random(n)
    pace = villages.pace.to_numpy()[village]

    # rural population in 2014: village weights scaled so province incidence hits the target
    poor_2014 = np.bincount(village, weights=size * (registered == 2014), minlength=len(villages))
    pop_weight = villages.pop_weight.to_numpy()
    # village population follows its own weight, but never below its registered persons
    scale = poor_2014.sum() / (config.trajectory[2014] / 100) / pop_weight.sum()
    population = np.maximum(np.round(pop_weight * scale), poor_2014 / 0.8).astype(np.int64)
    population_by_year = {y: _rural_population(population, y) for y in YEARS}
    target = np.array([config.trajectory[y] / 100 * population_by_year[y].sum() for y in YEARS])

    remaining = {y: target[i] / target[0] for i, y in enumerate(YEARS)}
    draw = None
    for _ in range(6):  # calibrate the remaining-share curve against late entries and returns
        exit_year = _exit_years(u, pace, remaining, registered)
        return_year = np.where(
            returns & (exit_year <= 2018), exit_year + return_lag, NO_YEAR
        ).astype(np.int16)
        return_year = np.where(return_year <= 2019, return_year, NO_YEAR).astype(np.int16)
        reexit_year = np.where(return_year < NO_YEAR, return_year + 1, NO_YEAR).astype(np.int16)
        draw = HouseholdDraw(
            village,
            size,
            hh_type,
            cause,
            secondary,
            registered,
            exit_year,
            return_year,
            reexit_year,
            np.zeros(n, bool),
            np.full(n, NO_YEAR, np.int16),
        )
        actual = _poor_persons_by_year(draw)
        for i, year in enumerate(YEARS[1:], start=1):
            if actual[i] > 0:
                remaining[year] = min(remaining[year] * target[i] / actual[i], 1.0)
    assert draw is not None
    draw.wrong_exit = rng.random(n) < config.wrong_exit_share
    # relocation (易地扶贫搬迁) 2016–2019, more likely from remote villages
    remote = villages.dist_rel.to_numpy()[village]
    p_move = config.relocated_share * 2 * remote / max(remote.mean() * 2, 1e-9)
    moved = rng.random(n) < p_move
    move_year = np.maximum(rng.integers(2016, 2020, n), registered)
    draw.relocation_year = np.where(moved, move_year, NO_YEAR).astype(np.int16)
    return draw, population


def _rural_population(population_2014: np.ndarray, year: int) -> np.ndarray:
    """Rural population shrinks ~1 %/year (urbanisation)."""
    return np.round(population_2014 * 0.99 ** (year - YEARS[0])).astype(np.int64)


def rural_population_by_year(population_2014: np.ndarray) -> dict[int, np.ndarray]:
    """Village rural population for every year."""
    return {y: _rural_population(population_2014, y) for y in YEARS}


def household_years(d: HouseholdDraw, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One row per household and year from registration to 2020 (hh index, year, status …)."""
    first = d.registered_year.astype(np.int64)
    counts = YEARS[-1] - first + 1
    hh = np.repeat(np.arange(len(first)), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    year = (first[hh] + np.arange(len(hh)) - start).astype(np.int16)
    returned = (d.return_year[hh] <= year) & (year < d.reexit_year[hh])
    poor = year < d.exit_year[hh]
    status = np.where(
        returned,
        STATUS_CODES[STATUS_RETURNED],
        np.where(poor, STATUS_CODES[STATUS_POOR], STATUS_CODES[STATUS_EXITED]),
    ).astype(np.int8)
    exited = status == STATUS_CODES[STATUS_EXITED]
    m = len(hh)
    k = year - YEARS[0]
    line = np.asarray([INCOME_LINES[y] for y in YEARS], dtype=float)[k]
    wrong = exited & d.wrong_exit[hh] & (year <= d.exit_year[hh] + 1)
    wrong_veto = rng.integers(0, 4, m)  # which veto a wrong exit fails
    # exited incomes persist per household (yearly noise ~6 %): year-on-year drops are rare
    # events the early warning can flag; mean ~2.7 × the line, as reported nationally in 2020
    level = rng.gamma(3.0, 0.55, len(first))[hh]
    income = np.where(
        exited,
        line * (1.05 + level * rng.lognormal(0.0, 0.06, m)),
        line * rng.uniform(0.45, 0.97, m),
    )
    income = np.where(wrong & (wrong_veto == 0), line * rng.uniform(0.7, 0.98, m), income)
    r = rng.random((8, m))
    nonveto_fail = np.where(exited & (r[7] < 0.12), rng.integers(0, 3, m), -1)

    def veto(i: int, p_poor: np.ndarray | float) -> np.ndarray:
        return np.where(exited, ~(wrong & (wrong_veto == i)), r[i] < p_poor)

    def nonveto(i: int, p_poor: np.ndarray | float) -> np.ndarray:
        return np.where(exited, nonveto_fail != i, r[4 + i] < p_poor)

    return {
        "hh": hh,
        "year": year,
        "status": status,
        "income_per_capita": np.round(income),
        "housing_safe": veto(1, 0.5 + 0.07 * k),
        "no_dropout": veto(2, 0.88),
        "medical_insured": veto(3, 0.85 + 0.02 * k),
        "pension_insured": nonveto(0, 0.7),
        "water_safe": nonveto(1, 0.65 + 0.05 * k),
        "electricity": nonveto(2, 0.96),
        "relocated": year >= d.relocation_year[hh],
    }


HH_TYPE_NAMES = np.asarray(HH_TYPES)
