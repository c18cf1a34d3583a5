"""Poverty flags (贫困县 / 贫困乡镇 / 贫困村): the poorest regions of each level.

Counties: the province's published number of poverty counties (Guizhou 66), the poorest by
2014 incidence. Townships and villages: Guizhou's shares (928 of 1,500, 9,000 of 17,000),
ranked by expected incidence with a preference for those inside flagged parents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from battlemap.geodata.synthetic.config import (
    FULL_TOWNSHIPS,
    FULL_VILLAGES,
    POVERTY_COUNTIES,
    POVERTY_TOWNSHIPS,
    POVERTY_VILLAGES,
)

__all__ = ["poverty_flags"]


def _top(score: np.ndarray, count: int) -> np.ndarray:
    flags = np.zeros(len(score), dtype=bool)
    flags[np.argsort(-score, kind="stable")[: max(0, min(count, len(score)))]] = True
    return flags


def poverty_flags(
    county_prof: pd.DataFrame, village_prof: pd.DataFrame, province: str
) -> dict[str, bool]:
    """``poverty_flag`` by region code for counties, townships and villages.

    ``county_prof`` has code, incidence; ``village_prof`` code, county, pop_weight,
    incidence (expected 2014 incidence).
    """
    n_counties = len(county_prof)
    county_count = POVERTY_COUNTIES.get(province, round(0.75 * n_counties))
    county_flag = _top(county_prof.incidence.to_numpy(), county_count)
    flagged_counties = set(county_prof.code[county_flag])

    town = village_prof.code.str[:9].str.ljust(12, "0")
    poor = village_prof.pop_weight * village_prof.incidence
    town_inc = (
        poor.groupby(town.to_numpy()).sum() / village_prof.pop_weight.groupby(town.to_numpy()).sum()
    )
    in_county = town_inc.index.str[:6].str.ljust(12, "0").isin(flagged_counties)
    town_count = round(len(town_inc) * POVERTY_TOWNSHIPS / FULL_TOWNSHIPS)
    town_flag = _top(town_inc.to_numpy() * np.where(in_county, 1.3, 1.0), town_count)
    flagged_towns = set(town_inc.index[town_flag])

    in_town = town.isin(flagged_towns).to_numpy()
    village_count = round(len(village_prof) * POVERTY_VILLAGES / FULL_VILLAGES)
    village_flag = _top(
        village_prof.incidence.to_numpy() * np.where(in_town, 1.25, 1.0), village_count
    )
    out = dict(zip(county_prof.code, county_flag.tolist(), strict=True))
    out.update(zip(town_inc.index, town_flag.tolist(), strict=True))
    out.update(zip(village_prof.code, village_flag.tolist(), strict=True))
    return out
