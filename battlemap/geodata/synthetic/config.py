"""Generator settings: sizes, seed and the province's incidence trajectory."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from battlemap.geodata.errors import BattlemapError
from battlemap.geodata.schema import YEARS

__all__ = ["DEFAULT_TRAJECTORY", "INCOME_LINES", "GeneratorConfig"]

GENERATOR_VERSION = "1.0"

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
    relocated_share: float = 0.10
    returned_share: float = 0.04
    wrong_exit_share: float = 0.03

    def __post_init__(self) -> None:
        if self.households < 100:
            raise BattlemapError("--households must be at least 100")
        if sorted(self.trajectory) != list(YEARS):
            raise BattlemapError(f"the incidence trajectory must give every year {YEARS}")
        values = [self.trajectory[y] for y in YEARS]
        if any(b > a for a, b in pairwise(values)) or values[0] <= 0:
            raise BattlemapError("the incidence trajectory must start above 0 and never rise")
