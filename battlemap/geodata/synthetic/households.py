"""Synthetic registered households (建档立卡): who they are, where, when they exit and return.

Every village holds at least one household; the rest are allocated in proportion to its
expected poor persons. Villages' rural population follows their size but never lets the
registered persons exceed 90 % of it (no incidence above 100 % in any year). Each county
follows its own incidence path (:mod:`~battlemap.geodata.synthetic.paces`); inside a county
households of remote, flagged villages exit later. Exit years are calibrated per county and
year against late registrations and returns to poverty, so the province follows the
configured trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from battlemap.geodata.schema import CAUSES, YEARS
from battlemap.geodata.synthetic import paces
from battlemap.geodata.synthetic.config import (
    COUNTY_EXIT_BATCHES,
    RELOCATION_YEARS,
    GeneratorConfig,
)

__all__ = ["NO_YEAR", "HouseholdDraw", "draw_households", "rural_population_by_year"]

_SIZE_P = np.array([0.14, 0.24, 0.24, 0.20, 0.10, 0.05, 0.02, 0.01])
# primary cause shares: 因病 ≈ 42 %
_CAUSE_P = np.array([42, 6, 8, 3, 4, 2, 12, 8, 9, 2, 3, 1], dtype=float) / 100
_REG_YEARS = np.array([2014, 2015, 2016])
_REG_P = np.array([0.92, 0.05, 0.03])
NO_YEAR = 9999  # "never" for return / re-exit / relocation years
LAST = YEARS[-1]
_MAX_REGISTERED_SHARE = 0.9  # of a village's rural population, in its smallest (last) year


@dataclass
class HouseholdDraw:
    """Per-household arrays (index = household)."""

    village: np.ndarray  # index into the village table
    county: np.ndarray  # index into ``county_codes``
    size: np.ndarray
    hh_type: np.ndarray  # index into HH_TYPES
    cause: np.ndarray  # index into CAUSES
    secondary: list[np.ndarray]  # 0–2 secondary cause indices, -1 = none
    registered_year: np.ndarray
    exit_year: np.ndarray
    # two return episodes: poor again from return_year until (not including) reexit_year
    return_year: np.ndarray
    reexit_year: np.ndarray
    return2_year: np.ndarray
    reexit2_year: np.ndarray
    warned_return: np.ndarray  # the return is preceded by a warning sign the year before
    relocation_year: np.ndarray  # NO_YEAR = not relocated
    lag: np.ndarray  # how far behind its county the household's village is (≈ N(0, 1))
    county_codes: np.ndarray
    county_exit_year: np.ndarray  # per county: planned first year below the threshold
    county_path: np.ndarray  # per county and year: planned incidence (fraction)


def rural_population_by_year(population_2014: np.ndarray) -> dict[int, np.ndarray]:
    """Village rural population for every year: shrinks ~1 %/year (urbanisation)."""
    return {y: np.round(population_2014 * 0.99 ** (y - YEARS[0])).astype(np.int64) for y in YEARS}


def _allocate_households(expected: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Households per village: one each, the rest ∝ expected poor persons."""
    base = np.ones(len(expected), dtype=np.int64) if n >= len(expected) else 0
    return base + rng.multinomial(n - np.sum(base), expected / expected.sum())


def _population(
    weight: np.ndarray, poor_2014: np.ndarray, ever: np.ndarray, target_2014: float
) -> np.ndarray:
    """Village rural population in 2014: ∝ weight, scaled so the province's 2014 incidence is
    the target, and at least enough that registered persons stay ≤ 90 % in every year."""
    floor = np.ceil(ever / _MAX_REGISTERED_SHARE / 0.99 ** (YEARS[-1] - YEARS[0]) + 1)
    want = poor_2014.sum() / target_2014
    lo, hi = 0.0, want / max(weight.sum(), 1e-12) * 2
    while np.maximum(weight * hi, floor).sum() < want:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.maximum(weight * mid, floor).sum() < want else (lo, mid)
    return np.maximum(np.round(weight * hi), floor).astype(np.int64)


def _within_county_rank(county: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Rank of ``key`` within each county as a fraction in [0, 1)."""
    order = np.lexsort((key, county))
    sorted_county = county[order]
    start = np.searchsorted(sorted_county, sorted_county, side="left")
    size = np.bincount(county)[sorted_county]
    out = np.empty(len(key))
    out[order] = (np.arange(len(key)) - start + 0.5) / size
    return out


@dataclass
class _ReturnDraws:
    """Fixed random draws behind returns; the years follow from the exit year.

    Only households exited by 2018 can return (and re-exit) within the years; the draws are
    scaled by how many can, so the shares hold whatever the exit years turn out to be.
    """

    returner: np.ndarray  # uniform; a returner when below the scaled share
    lag: np.ndarray  # uniform; years from exit to return
    duration: np.ndarray
    repeat: np.ndarray  # uniform
    gap: np.ndarray
    in_2020: np.ndarray
    config: GeneratorConfig

    @classmethod
    def draw(cls, n: int, config: GeneratorConfig, rng: np.random.Generator) -> _ReturnDraws:
        return cls(
            returner=rng.random(n),
            lag=rng.random(n),
            duration=rng.choice([1, 2, 3], n, p=[0.6, 0.3, 0.1]),
            repeat=rng.random(n),
            gap=rng.choice([1, 2], n, p=[0.6, 0.4]),
            in_2020=rng.random(n),
            config=config,
        )

    def years(self, exit_year: np.ndarray) -> tuple[np.ndarray, ...]:
        """(return, re-exit, second return, second re-exit) years, NO_YEAR for none."""
        c = self.config
        room = np.clip(LAST - 1 - exit_year, 0, 3)  # possible lags: 1 … room
        eligible = room > 0
        share = c.returned_share / max(eligible.mean(), 1e-9)
        returner = eligible & (self.returner < share)
        first = exit_year + 1 + np.floor(self.lag * np.maximum(room, 1)).astype(np.int64)
        r1 = np.where(returner, first, NO_YEAR)
        late = ~returner & (exit_year <= LAST - 1)
        in_2020 = late & (self.in_2020 < c.return_2020_share / max(late.mean(), 1e-9))
        r1 = np.where(in_2020, LAST, r1)
        x1 = np.where(r1 < LAST, np.minimum(r1 + self.duration, LAST), NO_YEAR)
        second = x1 + np.where(x1 + self.gap <= LAST - 1, self.gap, 1)  # room permitting
        can = returner & (second <= LAST - 1)
        share2 = c.repeat_return_share * returner.sum() / max(can.sum(), 1)
        r2 = np.where(can & (self.repeat < share2), second, NO_YEAR)
        x2 = np.where(r2 < LAST, r2 + 1, NO_YEAR)
        return tuple(a.astype(np.int16) for a in (r1, x1, r2, x2))


def poor_mask(
    year: int,
    registered: np.ndarray,
    exit_year: np.ndarray,
    returns: tuple[np.ndarray, ...],
) -> np.ndarray:
    """Poor at the end of ``year`` (未脱贫 or 返贫)."""
    r1, x1, r2, x2 = returns
    return (registered <= year) & (
        (year < exit_year) | ((r1 <= year) & (year < x1)) | ((r2 <= year) & (year < x2))
    )


def _shift_surplus(
    target: np.ndarray, actual: np.ndarray, remaining: np.ndarray, floor: np.ndarray
) -> np.ndarray:
    """Per-county goals: where a county has no poor left to exit and its returns exceed its
    target, the surplus comes off the others (down to their floor), so the province keeps
    to its trajectory."""
    goal = target.copy()
    stuck = remaining <= 0
    surplus = np.where(stuck, actual - target, 0.0).sum(axis=0)
    room = np.where(stuck, 0.0, np.maximum(target - floor, 0))
    share = np.clip(surplus / np.maximum(room.sum(axis=0), 1e-9), 0, 1)
    goal -= room * share[None, :]
    return goal


def _exit_years(
    stay: np.ndarray, remaining: np.ndarray, county: np.ndarray, registered: np.ndarray
) -> np.ndarray:
    """First year the household is no longer among its county's ``remaining`` share."""
    exit_year = np.full(len(stay), LAST, dtype=np.int16)
    for k in range(len(YEARS) - 2, 0, -1):
        exit_year = np.where(stay < 1 - remaining[county, k], YEARS[k], exit_year)
    return np.maximum(exit_year, registered + 1).astype(np.int16)


def _calibrated_remaining(
    stay: np.ndarray,
    path: np.ndarray,
    target: np.ndarray,
    floor: np.ndarray,
    county: np.ndarray,
    registered: np.ndarray,
    size: np.ndarray,
    return_draws: _ReturnDraws,
) -> np.ndarray:
    """Per county and year, the share of its households still waiting to exit, adjusted
    until poor persons (late registrations and returns included) meet ``target``."""
    remaining = np.clip(path / np.maximum(path[:, :1], 1e-9), 0, 1)
    n_c = len(path)
    for _ in range(8):  # calibrate each county's remaining share against entries and returns
        exit_year = _exit_years(stay, remaining, county, registered)
        returns = return_draws.years(exit_year)
        own = np.zeros((n_c, len(YEARS)))  # 未脱贫: not yet exited
        actual = np.zeros((n_c, len(YEARS)))  # also 返贫
        for k, year in enumerate(YEARS):
            poor = poor_mask(year, registered, exit_year, returns)
            actual[:, k] = np.bincount(county[poor], weights=size[poor], minlength=n_c)
            waiting = (registered <= year) & (year < exit_year)
            own[:, k] = np.bincount(county[waiting], weights=size[waiting], minlength=n_c)
        goal = _shift_surplus(target, actual, remaining, floor)
        # the returns stay; the households not yet exited make up the rest of the goal
        want = np.maximum(goal - (actual - own), 0)
        ratio = np.where(own > 0, want / np.maximum(own, 1e-9), 1.0)
        remaining[:, 1:-1] = np.clip(remaining[:, 1:-1] * ratio[:, 1:-1], 0, 1)
        remaining = np.minimum.accumulate(remaining, axis=1)
    return remaining


def draw_households(
    villages: pd.DataFrame,
    config: GeneratorConfig,
    threshold: float,
    rng: np.random.Generator,
) -> tuple[HouseholdDraw, np.ndarray]:
    """Households for every village, and the villages' 2014 rural population.

    ``villages`` has pop_weight, incidence, dist_rel, county, flag (see village_profiles);
    ``threshold`` is the county exit threshold (fraction) the county paths are built around.
    """
    n = config.households
    expected = (villages.pop_weight * villages.incidence).to_numpy()
    per_village = _allocate_households(expected, n, rng)
    village = np.repeat(np.arange(len(villages)), per_village)
    size = rng.choice(np.arange(1, 9), size=n, p=_SIZE_P).astype(np.int16)
    single = size == 1
    hh_type = np.where(
        single,
        rng.choice(3, size=n, p=[0.55, 0.30, 0.15]),
        rng.choice(3, size=n, p=[0.82, 0.17, 0.01]),
    ).astype(np.int8)
    county_codes, county_of_village = np.unique(villages.county.to_numpy(), return_inverse=True)
    county = county_of_village[village]
    # per-county cause mix around the province mix
    mix = rng.dirichlet(_CAUSE_P * 300, size=len(county_codes))
    cum = np.cumsum(mix, axis=1)[county]
    cause = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, len(CAUSES) - 1).astype(np.int8)
    n_secondary = rng.choice(3, size=n, p=[0.4, 0.4, 0.2])
    off1 = rng.integers(1, len(CAUSES), n)
    off2 = (off1 + rng.integers(1, len(CAUSES) - 1, n) - 1) % (len(CAUSES) - 1) + 1
    secondary = [
        np.where(n_secondary >= 1, (cause + off1) % len(CAUSES), -1),
        np.where(n_secondary >= 2, (cause + off2) % len(CAUSES), -1),
    ]
    registered = rng.choice(_REG_YEARS, size=n, p=_REG_P).astype(np.int16)

    n_v = len(villages)
    poor_2014 = np.bincount(village, weights=size * (registered == YEARS[0]), minlength=n_v)
    ever = np.bincount(village, weights=size, minlength=n_v)
    population = _population(
        villages.pop_weight.to_numpy(), poor_2014, ever, config.trajectory[YEARS[0]] / 100
    )
    by_year = rural_population_by_year(population)
    county_pop = np.stack(
        [np.bincount(county_of_village, weights=by_year[y]) for y in YEARS], axis=1
    )
    county_poor_2014 = np.bincount(
        county, weights=size * (registered == YEARS[0]), minlength=len(county_codes)
    )
    incidence = county_poor_2014 / np.maximum(county_pop[:, 0], 1)
    county_flag = (
        pd.Series(villages.county_flag.to_numpy()).groupby(county_of_village).first().to_numpy()
    )
    county_exit = paces.county_exit_years(
        incidence, county_flag, COUNTY_EXIT_BATCHES, threshold, rng
    )
    path = paces.county_paths(incidence, county_pop, county_exit, config.trajectory, threshold, rng)
    target = path * county_pop
    # counties before their exit year stay above the threshold, whatever else moves
    before = np.asarray(YEARS)[None, :] < county_exit[:, None]
    floor = np.where(before, 1.04 * threshold * county_pop, 0.0)

    # remote and flagged villages lag behind their county; households vary around them
    dist = villages.dist_rel.to_numpy()
    village_lag = (
        1.2 * (dist - dist.mean()) + 0.5 * villages.flag.to_numpy() + rng.normal(0, 0.5, n_v)
    )
    lag = village_lag[village] + rng.normal(0, 0.8, n)
    stay = _within_county_rank(county, lag)
    return_draws = _ReturnDraws.draw(n, config, rng)
    remaining = _calibrated_remaining(
        stay, path, target, floor, county, registered, size, return_draws
    )
    exit_year = _exit_years(stay, remaining, county, registered)
    r1, x1, r2, x2 = return_draws.years(exit_year)
    warned = rng.random(n) < config.warned_return_share

    # relocation (易地扶贫搬迁) 2016–2019, more likely from remote and lagging villages
    weight = np.exp(0.8 * lag)
    p_move = np.clip(config.relocated_share * weight / weight.mean(), 0, 0.95)
    moved = rng.random(n) < p_move
    years = np.asarray(sorted(RELOCATION_YEARS))
    move_year = rng.choice(years, n, p=[RELOCATION_YEARS[y] for y in years])
    move_year = np.maximum(move_year, registered)
    draw = HouseholdDraw(
        village=village,
        county=county,
        size=size,
        hh_type=hh_type,
        cause=cause,
        secondary=secondary,
        registered_year=registered,
        exit_year=exit_year,
        return_year=r1,
        reexit_year=x1,
        return2_year=r2,
        reexit2_year=x2,
        warned_return=warned,
        relocation_year=np.where(moved, move_year, NO_YEAR).astype(np.int16),
        lag=lag,
        county_codes=county_codes,
        county_exit_year=county_exit,
        county_path=path,
    )
    return draw, population
