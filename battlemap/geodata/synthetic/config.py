"""Generator settings: sizes, seed and the province's incidence trajectory."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from battlemap.geodata.errors import BattlemapError
from battlemap.geodata.schema import YEARS

__all__ = [
    "COUNTY_EXIT_BATCHES",
    "DEFAULT_TRAJECTORY",
    "INCOME_LINES",
    "POVERTY_COUNTIES",
    "GeneratorConfig",
]

GENERATOR_VERSION = "2.0"

# 贫困县 per province (Guizhou 66 of 88; Guangxi 54, Yunnan 88, Gansu 75: their published
# totals of national and provincial poverty counties). Flagged at every data set size.
POVERTY_COUNTIES: dict[str, int] = {"52": 66, "45": 54, "53": 88, "62": 75}
# Guizhou at full size: 1,500 townships with 928 贫困乡镇, 17,000 villages with 9,000 贫困村.
FULL_TOWNSHIPS, FULL_VILLAGES = 1500, 17000
POVERTY_TOWNSHIPS, POVERTY_VILLAGES = 928, 9000
# Guizhou's county exits (摘帽) by the data year they passed in: 赤水 in 2016, then batches of
# 14, 18 and 24, and the last nine in 2020. Other provinces use the same shares.
COUNTY_EXIT_BATCHES: dict[int, int] = {2016: 1, 2017: 14, 2018: 18, 2019: 24, 2020: 9}
# 易地扶贫搬迁 households by move year (Guizhou's peak was 2017–2018).
RELOCATION_YEARS: dict[int, float] = {2016: 0.22, 2017: 0.36, 2018: 0.32, 2019: 0.10}
# Where relocated households go: a prefecture city site (市州府所在地, usually another county),
# a county-town site (县城) or a central town (中心集镇, usually another township).
RELOCATION_DESTINATIONS: dict[str, float] = {"city": 0.22, "county_town": 0.53, "town": 0.25}
MIN_HOUSEHOLDS = 100
MAX_HOUSEHOLDS = 50_000_000

# Province poverty incidence (%) at year end, Guizhou-like.
DEFAULT_TRAJECTORY: dict[int, float] = {
    2014: 18.0,
    2015: 14.0,
    2016: 10.6,
    2017: 7.8,
    2018: 4.3,
    2019: 0.85,
    2020: 0.0,
}

# Yearly income line (yuan per person-year) the synthetic incomes are drawn around. The exit
# rules keep their own, configurable copy; these are the published national lines.
INCOME_LINES: dict[int, float] = {
    2014: 2800,
    2015: 2855,
    2016: 2952,
    2017: 3335,
    2018: 3535,
    2019: 3747,
    2020: 4000,
}


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. Township and village totals default to Guizhou's density."""

    households: int = 2_300_000
    seed: int = 1
    province: str = "52"
    trajectory: dict[int, float] = field(default_factory=lambda: dict(DEFAULT_TRAJECTORY))
    townships_per_county: float = 1500 / 88
    villages_per_township: float = 17000 / 1500
    # Guizhou moved about 1.5 M registered poor people of about 6–7 M ever registered
    relocated_share: float = 0.20
    returned_share: float = 0.04  # households returning to poverty at least once
    repeat_return_share: float = 0.2  # of those, returning a second time
    return_2020_share: float = 0.002  # households whose return falls in 2020 (返贫 at year end)
    # returns preceded by an early-warning sign (low income or an income drop the year before)
    warned_return_share: float = 0.8
    # warned households return the next year at least this many times as often as others
    warned_return_ratio: float = 4.0
    # exits whose income is marginal: log(income / line) ~ N(mean, sd), the part below 0 are
    # near-miss wrong exits (错退); the other exits land 1.25–2 × the line
    marginal_exit_share: float = 0.3
    exit_income_log_mean: float = 0.13
    exit_income_log_sd: float = 0.055
    # exits whose last veto (housing) is only finished the year after: wrong exits too
    veto_near_miss_share: float = 0.004

    def __post_init__(self) -> None:
        if not MIN_HOUSEHOLDS <= self.households <= MAX_HOUSEHOLDS:
            raise BattlemapError(
                f"--households must be {MIN_HOUSEHOLDS:,} to {MAX_HOUSEHOLDS:,}, "
                f"not {self.households:,}"
            )
        if not 0 <= self.seed < 2**63:
            raise BattlemapError(
                f"--seed must be a whole number from 0 to 2**63-1, not {self.seed}"
            )
        if not (isinstance(self.province, str) and re.fullmatch(r"[1-9]\d", self.province)):
            raise BattlemapError(f"--province must be a 2-digit code, not {self.province!r}")
        if sorted(self.trajectory) != list(YEARS):
            raise BattlemapError(f"the incidence trajectory must give every year {YEARS}")
        values = [self.trajectory[y] for y in YEARS]
        if any(b > a for a, b in pairwise(values)) or values[0] <= 0:
            raise BattlemapError("the incidence trajectory must start above 0 and never rise")

    def region_totals(self, counties: int) -> tuple[int, int]:
        """Townships and villages to draw: Guizhou's density, fewer for small household
        counts (at least eight households per village on average, every village holding at
        least one), so that villages still differ the way their counties do."""
        towns = round(counties * self.townships_per_county)
        towns = min(towns, max(counties, self.households // 24))
        villages = round(towns * self.villages_per_township)
        return towns, min(villages, max(towns, self.households // 8))

    def targets(self, towns: int | None = None, villages: int | None = None) -> dict:
        """What the generator aims at (recorded in the manifest, printed by --report);
        with the drawn numbers of townships and villages, the flagged counts too."""
        flags = {}
        if towns is not None and villages is not None:
            flags = {
                "poverty_townships": round(towns * POVERTY_TOWNSHIPS / FULL_TOWNSHIPS),
                "poverty_villages": round(villages * POVERTY_VILLAGES / FULL_VILLAGES),
            }
        return {
            "incidence_pct": {str(y): v for y, v in self.trajectory.items()},
            "poverty_counties": POVERTY_COUNTIES.get(self.province),
            **flags,
            "poverty_township_share": round(POVERTY_TOWNSHIPS / FULL_TOWNSHIPS, 4),
            "poverty_village_share": round(POVERTY_VILLAGES / FULL_VILLAGES, 4),
            "county_exit_batches": {str(y): n for y, n in COUNTY_EXIT_BATCHES.items()},
            "relocated_household_share": self.relocated_share,
            "relocation_years": {str(y): v for y, v in RELOCATION_YEARS.items()},
            "relocation_destinations": dict(RELOCATION_DESTINATIONS),
            "returned_household_share": self.returned_share,
            "repeat_return_share": self.repeat_return_share,
            "return_2020_household_share": self.return_2020_share,
            "warned_return_ratio_min": self.warned_return_ratio,
            "marginal_exit_share": self.marginal_exit_share,
            "exit_income_log_mean": self.exit_income_log_mean,
            "exited_meeting_guarantees_2020_pct": 100.0,
        }
